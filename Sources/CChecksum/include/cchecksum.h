#ifndef CCHECKSUM_H
#define CCHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor ~0: the iSCSI/ext4 CRC).
// Every function continues from `crc`: start with 0, and dd_crc32c(dd_crc32c(0, a), b) == dd_crc32c(0, a ++ b).
// `data` may be NULL when `len` is 0. All functions are thread-safe.

/// CRC32C of `len` bytes at `data`, continued from `crc`; SSE4.2 when the CPU has it, else slice-by-8.
uint32_t dd_crc32c(uint32_t crc, const void *_Nullable data, size_t len);

/// Copies `len` bytes from `src` to `dst` (not overlapping) and returns their CRC32C continued from `crc`,
/// block by block so each block is checksummed and copied while it is hot in the L1 cache.
uint32_t dd_crc32c_copy(uint32_t crc, void *_Nullable dst, const void *_Nullable src, size_t len);

/// The portable slice-by-8 path, whatever the CPU (for tests and measurements).
uint32_t dd_crc32c_portable(uint32_t crc, const void *_Nullable data, size_t len);

/// The SSE4.2 path (3-way interleaved, PCLMUL lane combine); falls back to the portable path on CPUs
/// without SSE4.2 and PCLMULQDQ.
uint32_t dd_crc32c_hardware(uint32_t crc, const void *_Nullable data, size_t len);

/// True when `dd_crc32c` runs on the SSE4.2 instruction.
bool dd_crc32c_hardware_available(void);

#endif
