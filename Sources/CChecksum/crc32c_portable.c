#include "crc32c_internal.h"

uint32_t dd_crc32c_portable_raw(uint32_t state, const unsigned char *p, size_t len) {
    const uint32_t (*t)[256] = dd_crc32c_state.slice;
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        state = (state >> 8) ^ t[0][(state ^ *p++) & 0xff];
        len--;
    }
    while (len >= 8) {
        uint64_t word = dd_load_le64(p) ^ state;
        state = t[7][word & 0xff] ^ t[6][(word >> 8) & 0xff] ^ t[5][(word >> 16) & 0xff]
            ^ t[4][(word >> 24) & 0xff] ^ t[3][(word >> 32) & 0xff] ^ t[2][(word >> 40) & 0xff]
            ^ t[1][(word >> 48) & 0xff] ^ t[0][word >> 56];
        p += 8;
        len -= 8;
    }
    while (len > 0) {
        state = (state >> 8) ^ t[0][(state ^ *p++) & 0xff];
        len--;
    }
    return state;
}
