/// Block index maps of `copy_blocks` (`{"0": [1, 2]}`) and `swap_blocks` (`{"0": 1}`): object keys are
/// decimal block indices. Members keep their order.
public enum BlockMapping {
    /// `{"src": [dst, ...]}`: not an object, a key that is not a decimal integer, a value that is not an
    /// array of integers → TYPE_ERROR; negative or beyond 2^32-1 → VALUE_ERROR.
    public static func decodeOneToMany(_ value: JSONValue, field: String) -> Result<[(src: Int, dsts: [Int])], APIError>
    {
        guard case .object(let o) = value else { return .failure(.typeError("'\(field)' must be an object")) }
        var result: [(src: Int, dsts: [Int])] = []
        for (key, item) in o.members {
            guard let src = index(key) else {
                return .failure(.typeError("'\(field)' keys must be block indices, got '\(key)'"))
            }
            guard case .array(let items) = item else {
                return .failure(.typeError("'\(field)[\(key)]' must be an array of block indices"))
            }
            var dsts: [Int] = []
            for v in items {
                switch JSONInteger.uint32(v, field: "\(field)[\(key)]") {
                case .success(let d): dsts.append(d)
                case .failure(let e): return .failure(e)
                }
            }
            result.append((src, dsts))
        }
        return .success(result)
    }

    /// `{"src": dst}` with the same rules.
    public static func decodeOneToOne(_ value: JSONValue, field: String) -> Result<[(src: Int, dst: Int)], APIError> {
        guard case .object(let o) = value else { return .failure(.typeError("'\(field)' must be an object")) }
        var result: [(src: Int, dst: Int)] = []
        for (key, item) in o.members {
            guard let src = index(key) else {
                return .failure(.typeError("'\(field)' keys must be block indices, got '\(key)'"))
            }
            switch JSONInteger.uint32(item, field: "\(field)[\(key)]") {
            case .success(let d): result.append((src, d))
            case .failure(let e): return .failure(e)
            }
        }
        return .success(result)
    }

    /// A decimal key in [0, 2^32-1].
    private static func index(_ key: String) -> Int? {
        guard !key.isEmpty, key.utf8.count <= 10, key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let v = Int(key), v <= Int(UInt32.max)
        else { return nil }
        return v
    }
}
