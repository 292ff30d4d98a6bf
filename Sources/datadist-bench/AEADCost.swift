import CTLS
import Glibc

/// What AES-256-GCM (the cipher our TLS 1.3 connections negotiate) costs one core of this machine per GB, sealing
/// and opening 16 KiB records as a TLS record layer does, through the same libcrypto the nodes use. Thread CPU
/// time, not wall time, so a busy neighbour does not inflate it.
enum AEADCost {
    struct Seconds {
        /// CPU seconds per GB to seal (encrypt + tag), as a TLS server does.
        var seal: Double
        /// CPU seconds per GB to open (decrypt + verify), as a TLS client does.
        var open: Double
    }

    static let record = 16 * 1024

    /// The least of `repeats` runs over `bytes` each: the intrinsic cost, not what a neighbour took from it.
    static func measure(bytes: Int = 512 * MiB, repeats: Int = 3) throws(BenchError) -> Seconds {
        var best = Seconds(seal: .infinity, open: .infinity)
        for _ in 0..<repeats {
            let s = try measureOnce(bytes: bytes)
            best = Seconds(seal: min(best.seal, s.seal), open: min(best.open, s.open))
        }
        return best
    }

    private static func measureOnce(bytes: Int) throws(BenchError) -> Seconds {
        let key = [UInt8](repeating: 0x5a, count: 32)
        let input = try PinnedBuffer(count: record)
        input.fillRandom(seed: 42)
        let output = try PinnedBuffer(count: record)
        let records = max(1, bytes / record)
        var tag = [UInt8](repeating: 0, count: 16)
        let seal = try run(records: records, encrypt: true, key: key, input: input, output: output, tag: &tag)
        let open = try run(records: records, encrypt: false, key: key, input: output, output: input, tag: &tag)
        let gb = Double(records * record) / 1e9
        return Seconds(seal: seal / gb, open: open / gb)
    }

    /// CPU seconds for `records` seals (or opens) of one record with a fresh nonce each; a seal leaves its tag in
    /// `tag`.
    private static func run(
        records: Int,
        encrypt: Bool,
        key: [UInt8],
        input: PinnedBuffer,
        output: PinnedBuffer,
        tag: inout [UInt8]
    ) throws(BenchError) -> Double {
        guard let ctx = EVP_CIPHER_CTX_new() else { throw BenchError("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let initialised =
            encrypt
            ? EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nil)
            : EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nil)
        guard initialised == 1 else { throw BenchError("AES-256-GCM init failed") }
        var nonce = [UInt8](repeating: 0, count: 12)
        let inBase = input.base.assumingMemoryBound(to: UInt8.self)
        let outBase = output.base.assumingMemoryBound(to: UInt8.self)
        var length: Int32 = 0
        let started = threadCPUSeconds()
        for i in 0..<records {
            nonce[0] = UInt8(truncatingIfNeeded: i)
            nonce[1] = UInt8(truncatingIfNeeded: i >> 8)
            nonce[2] = UInt8(truncatingIfNeeded: i >> 16)
            if encrypt {
                guard EVP_EncryptInit_ex(ctx, nil, nil, nil, nonce) == 1,
                    EVP_EncryptUpdate(ctx, outBase, &length, inBase, Int32(record)) == 1,
                    EVP_EncryptFinal_ex(ctx, outBase + Int(length), &length) == 1,
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1
                else { throw BenchError("AES-256-GCM seal failed") }
            } else {
                // Every record is opened with the last seal's tag: the work is the same whether it verifies or
                // not (the tag is compared after the whole record is decrypted and hashed).
                guard EVP_DecryptInit_ex(ctx, nil, nil, nil, nonce) == 1,
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1,
                    EVP_DecryptUpdate(ctx, outBase, &length, inBase, Int32(record)) == 1
                else { throw BenchError("AES-256-GCM open failed") }
                _ = EVP_DecryptFinal_ex(ctx, outBase + Int(length), &length)
            }
        }
        return threadCPUSeconds() - started
    }

    private static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
