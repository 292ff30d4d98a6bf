import Glibc

/// Copies the bytes of one region list into another of the same total length, in order (memmove per
/// piece, so a run copied onto itself or an overlapping neighbour stays defined).
enum RegionCopy {
    static func copy(from source: [UnsafeMutableRawBufferPointer], to destination: [UnsafeMutableRawBufferPointer]) {
        var si = 0
        var so = 0
        var di = 0
        var dOff = 0
        while si < source.count, di < destination.count {
            let s = source[si]
            let d = destination[di]
            let n = min(s.count - so, d.count - dOff)
            if n > 0, let sb = s.baseAddress, let db = d.baseAddress {
                memmove(db + dOff, sb + so, n)
            }
            so += n
            dOff += n
            if so == s.count {
                si += 1
                so = 0
            }
            if dOff == d.count {
                di += 1
                dOff = 0
            }
        }
    }
}
