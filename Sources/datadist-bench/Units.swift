let MiB = 1 << 20
let GiB = 1 << 30

/// Decimal gigabytes per second.
func gbPerSecond(_ bytes: Int, _ seconds: Double) -> Double { Double(bytes) / 1e9 / seconds }

/// "256 MiB" / "1 GiB".
func sizeName(_ bytes: Int) -> String { bytes >= GiB && bytes % GiB == 0 ? "\(bytes / GiB) GiB" : "\(bytes / MiB) MiB" }

/// A reproducible shuffle (xorshift64), so runs compare like with like.
func shuffled(_ n: Int, seed: UInt64) -> [Int] {
    var a = Array(0..<n)
    var x = seed | 1
    for i in stride(from: n - 1, to: 0, by: -1) {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        a.swapAt(i, Int(x % UInt64(i + 1)))
    }
    return a
}
