/// Deterministic split points for a fuzz input: the same input always yields the same splits, so a crash
/// reproduces from its saved input alone. SplitMix64 seeded from the input's FNV-1a hash.
struct FuzzSplits {
    private var state: UInt64

    init(_ bytes: UnsafeRawBufferPointer) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        state = h
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Piece lengths (each ≥ 1, mostly small so that every state boundary gets crossed) that add up to `count`.
    mutating func pieces(of count: Int) -> [Int] {
        var out: [Int] = []
        var left = count
        while left > 0 {
            let r = next()
            let n = r & 3 == 0 ? Int((r >> 8) % UInt64(left)) + 1 : Int((r >> 8) % 8) + 1
            let take = min(n, left)
            out.append(take)
            left -= take
        }
        return out
    }
}

/// Stops the run with a message libFuzzer records as a crash (the input is kept).
func fuzzFail(_ message: String) -> Never {
    fatalError(message)
}
