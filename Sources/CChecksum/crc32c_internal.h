#ifndef CCHECKSUM_INTERNAL_H
#define CCHECKSUM_INTERNAL_H

#include <stdint.h>
#include <string.h>

/// Reflected CRC32C polynomial.
#define DD_CRC32C_POLY 0x82F63B78u

/// Lane lengths of the 3-way interleaved hardware path: long lanes for bulk, short lanes for the tail.
#define DD_CRC32C_LONG 8192
#define DD_CRC32C_SHORT 256

/// Tables and constants built once by dd_crc32c_init (thread-safe, idempotent).
struct dd_crc32c_tables {
    /// Slice-by-8 tables: slice[k][b] is the CRC of byte b followed by k zero bytes.
    uint32_t slice[8][256];
    /// PCLMUL multipliers that shift a raw CRC state across 1 or 2 lanes of LONG / SHORT bytes.
    uint32_t long1, long2, short1, short2;
    /// True when the CPU has SSE4.2 and PCLMULQDQ.
    int hardware;
};

extern struct dd_crc32c_tables dd_crc32c_state;

/// Builds the tables on first use; every entry point calls it.
void dd_crc32c_init(void);

/// The portable and hardware kernels on the raw (un-inverted) CRC state; tables must be built.
uint32_t dd_crc32c_portable_raw(uint32_t state, const unsigned char *p, size_t len);
uint32_t dd_crc32c_hardware_raw(uint32_t state, const unsigned char *p, size_t len);

/// Little-endian 64-bit load from any address.
static inline uint64_t dd_load_le64(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

#endif
