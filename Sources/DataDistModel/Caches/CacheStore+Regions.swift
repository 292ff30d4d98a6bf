extension CacheStore {
    /// Caches whose tensors are region `regionID`'s memory, visible or retired-but-pinned, in id order: while
    /// any remains the region must stay mapped (CONTRACT §10, `IN_USE`).
    public func cacheIDs(usingRegion regionID: Int64) -> [Int64] {
        let users = entries.values.map(\.info) + retired.values.map(\.info)
        return users.filter { $0.region?.regionID == regionID }.map(\.id).sorted()
    }
}
