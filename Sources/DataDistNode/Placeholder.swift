// DataDistNode
