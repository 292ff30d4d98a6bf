#include "crc32c_internal.h"

#if defined(__x86_64__)

#include <nmmintrin.h>
#include <wmmintrin.h>

#define DD_TARGET __attribute__((target("sse4.2,pclmul")))

/// state * x^N mod P, with `multiplier` = x^(N - 33) (see build_tables): one carry-less multiply, then
/// crc32 of the 64-bit product reduces it.
DD_TARGET static inline uint64_t shift(uint64_t state, uint32_t multiplier) {
    __m128i product = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)state),
                                           _mm_cvtsi32_si128((int)multiplier), 0x00);
    return _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(product));
}

/// Three independent crc32 chains over three consecutive lanes hide the instruction's 3-cycle latency;
/// the lane states are then shifted into place and xored (CRC is linear).
#define LANES(LANE, ONE, TWO)                                                                     \
    while (len >= 3 * (LANE)) {                                                                   \
        uint64_t c1 = 0, c2 = 0;                                                                  \
        const unsigned char *end = p + (LANE);                                                    \
        do {                                                                                      \
            c0 = _mm_crc32_u64(c0, dd_load_le64(p));                                              \
            c1 = _mm_crc32_u64(c1, dd_load_le64(p + (LANE)));                                     \
            c2 = _mm_crc32_u64(c2, dd_load_le64(p + 2 * (LANE)));                                 \
            p += 8;                                                                               \
        } while (p < end);                                                                        \
        c0 = shift(c0, (TWO)) ^ shift(c1, (ONE)) ^ c2;                                            \
        p += 2 * (LANE);                                                                          \
        len -= 3 * (LANE);                                                                        \
    }

DD_TARGET uint32_t dd_crc32c_hardware_raw(uint32_t state, const unsigned char *p, size_t len) {
    uint64_t c0 = state;
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        c0 = _mm_crc32_u8((uint32_t)c0, *p++);
        len--;
    }
    const uint32_t long1 = dd_crc32c_state.long1, long2 = dd_crc32c_state.long2;
    const uint32_t short1 = dd_crc32c_state.short1, short2 = dd_crc32c_state.short2;
    LANES(DD_CRC32C_LONG, long1, long2)
    LANES(DD_CRC32C_SHORT, short1, short2)
    while (len >= 8) {
        c0 = _mm_crc32_u64(c0, dd_load_le64(p));
        p += 8;
        len -= 8;
    }
    while (len > 0) {
        c0 = _mm_crc32_u8((uint32_t)c0, *p++);
        len--;
    }
    return (uint32_t)c0;
}

#else

// No SSE4.2 on this architecture: the dispatcher never selects this path.
uint32_t dd_crc32c_hardware_raw(uint32_t state, const unsigned char *p, size_t len) {
    return dd_crc32c_portable_raw(state, p, len);
}

#endif
