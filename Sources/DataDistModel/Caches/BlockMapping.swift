/// Block index maps of `copy_blocks` (`{"0": [1, 2]}`) and `swap_blocks` (`{"0": 1}`): object keys are
/// decimal block indices. Members keep their order.
public enum BlockMapping {
    /// `{"src": [dst, ...]}`: not an object, a key that is not a decimal integer, a value that is not an
    /// array of integers → TYPE_ERROR; negative or beyond 2^32-1 → VALUE_ERROR.
    public static func decodeOneToMany(_ value: JSONValue, field: String) throws(APIError) -> [(src: Int, dsts: [Int])]
    {
        guard case .object(let o) = value else { throw .typeError("'\(field)' must be an object") }
        var result: [(src: Int, dsts: [Int])] = []
        for (key, item) in o.members {
            guard let src = index(key) else {
                throw .typeError("'\(field)' keys must be block indices, got '\(key)'")
            }
            guard case .array(let items) = item else {
                throw .typeError("'\(field)[\(key)]' must be an array of block indices")
            }
            var dsts: [Int] = []
            for v in items {
                dsts.append(try JSONInteger.uint32(v, field: "\(field)[\(key)]"))
            }
            result.append((src, dsts))
        }
        return result
    }

    /// `{"src": dst}` with the same rules.
    public static func decodeOneToOne(_ value: JSONValue, field: String) throws(APIError) -> [(src: Int, dst: Int)] {
        guard case .object(let o) = value else { throw .typeError("'\(field)' must be an object") }
        var result: [(src: Int, dst: Int)] = []
        for (key, item) in o.members {
            guard let src = index(key) else {
                throw .typeError("'\(field)' keys must be block indices, got '\(key)'")
            }
            result.append((src, try JSONInteger.uint32(item, field: "\(field)[\(key)]")))
        }
        return result
    }

    /// A decimal key in [0, 2^32-1].
    private static func index(_ key: String) -> Int? {
        guard !key.isEmpty, key.utf8.count <= 10, key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let v = Int(key), v <= Int(UInt32.max)
        else { return nil }
        return v
    }
}
