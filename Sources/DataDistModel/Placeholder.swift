// DataDistModel
