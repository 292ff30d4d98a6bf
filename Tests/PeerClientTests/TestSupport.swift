import Foundation
import PeerClient

/// The error `perform` threw, or nil if it succeeded.
func peerError<T>(_ work: () throws(PeerError) -> T) -> PeerError? {
    do {
        _ = try work()
        return nil
    } catch {
        return error
    }
}

/// `count` random bytes.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        var offset = 0
        while offset < count {
            var word = generator.next()
            let take = min(8, count - offset)
            withUnsafeBytes(of: &word) {
                buffer.baseAddress!.advanced(by: offset).update(
                    from: $0.bindMemory(to: UInt8.self).baseAddress!,
                    count: take
                )
            }
            offset += take
        }
        initialized = count
    }
}

/// FNV-1a 64 of `bytes`: a cheap checksum to compare payloads.
func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    return hash
}

/// Seconds elapsed while running `work`.
func measure<T>(_ work: () -> T) -> (T, Double) {
    let start = ContinuousClock.now
    let result = work()
    let elapsed = ContinuousClock.now - start
    return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
