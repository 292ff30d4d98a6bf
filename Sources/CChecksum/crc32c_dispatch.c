#include "cchecksum.h"
#include "crc32c_internal.h"

#include <pthread.h>

struct dd_crc32c_tables dd_crc32c_state;

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/// x^n mod P in the reflected representation (bit i holds the coefficient of x^(31-i)).
static uint32_t x_pow_mod(uint64_t n) {
    uint32_t value = 0x80000000u;
    while (n--) value = (value >> 1) ^ ((value & 1) ? DD_CRC32C_POLY : 0);
    return value;
}

static void build_tables(void) {
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ ((crc & 1) ? DD_CRC32C_POLY : 0);
        dd_crc32c_state.slice[0][byte] = crc;
    }
    for (int k = 1; k < 8; k++) {
        for (int byte = 0; byte < 256; byte++) {
            uint32_t previous = dd_crc32c_state.slice[k - 1][byte];
            dd_crc32c_state.slice[k][byte] = (previous >> 8) ^ dd_crc32c_state.slice[0][previous & 0xff];
        }
    }
    // Shifting a state a by N bits is a * x^N mod P. The hardware path multiplies with PCLMULQDQ (which
    // yields a * k * x in the 64-bit reflected form) and reduces with crc32(0, .) (another * x^32), so
    // the multiplier is k = x^(N - 33).
    dd_crc32c_state.long1 = x_pow_mod(8ull * DD_CRC32C_LONG - 33);
    dd_crc32c_state.long2 = x_pow_mod(16ull * DD_CRC32C_LONG - 33);
    dd_crc32c_state.short1 = x_pow_mod(8ull * DD_CRC32C_SHORT - 33);
    dd_crc32c_state.short2 = x_pow_mod(16ull * DD_CRC32C_SHORT - 33);
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    dd_crc32c_state.hardware = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
#else
    dd_crc32c_state.hardware = 0;
#endif
}

void dd_crc32c_init(void) {
    pthread_once(&tables_once, build_tables);
}

uint32_t dd_crc32c(uint32_t crc, const void *data, size_t len) {
    dd_crc32c_init();
    if (len == 0) return crc;
    if (dd_crc32c_state.hardware) return ~dd_crc32c_hardware_raw(~crc, data, len);
    return ~dd_crc32c_portable_raw(~crc, data, len);
}

uint32_t dd_crc32c_portable(uint32_t crc, const void *data, size_t len) {
    dd_crc32c_init();
    if (len == 0) return crc;
    return ~dd_crc32c_portable_raw(~crc, data, len);
}

uint32_t dd_crc32c_hardware(uint32_t crc, const void *data, size_t len) {
    dd_crc32c_init();
    if (len == 0) return crc;
    if (!dd_crc32c_state.hardware) return ~dd_crc32c_portable_raw(~crc, data, len);
    return ~dd_crc32c_hardware_raw(~crc, data, len);
}

bool dd_crc32c_hardware_available(void) {
    dd_crc32c_init();
    return dd_crc32c_state.hardware != 0;
}

/// Block small enough that checksumming it leaves it in L1 for the copy, large enough for the long lanes.
#define COPY_BLOCK (3 * DD_CRC32C_LONG)

uint32_t dd_crc32c_copy(uint32_t crc, void *dst, const void *src, size_t len) {
    unsigned char *out = dst;
    const unsigned char *in = src;
    while (len > 0) {
        size_t n = len < COPY_BLOCK ? len : COPY_BLOCK;
        crc = dd_crc32c(crc, in, n);
        memcpy(out, in, n);
        in += n;
        out += n;
        len -= n;
    }
    return crc;
}
