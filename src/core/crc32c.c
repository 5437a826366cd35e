/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum S3
 * verifies for x-amz-checksum-crc32c. On x86-64 with SSE4.2 the CRC32
 * instruction does 8 bytes a step, on three independent streams whose
 * results are joined by carry-less "shift by N bytes" tables; elsewhere a
 * slicing-by-8 table loop. Both give the same value; test_core checks them
 * against each other and against the RFC 3720 vectors.
 */
#include "sluice/core.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];          /* slicing-by-8 */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        for (int t = 1; t < 8; t++)
            table[t][n] = (table[t - 1][n] >> 8) ^ table[0][table[t - 1][n] & 0xff];
    }
}

/* crc is the running register (already inverted). */
static uint32_t crc32c_soft(uint32_t crc, const unsigned char *p, size_t len)
{
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc; /* little-endian hosts; see the byte loop below for others */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
              table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^
              table[2][(w >> 40) & 0xff] ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
        p += 8;
        len -= 8;
#else
        break;
#endif
    }
    while (len > 0) {
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
        len--;
    }
    return crc;
}

uint32_t sl_crc32c_portable(uint32_t crc, const void *bytes, size_t len)
{
    pthread_once(&tables_once, build_tables);
    return ~crc32c_soft(~crc, bytes, len);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_HW 1

/* Three streams of STRIDE bytes run in parallel (the instruction's latency is
 * 3 cycles, its throughput 1 per cycle); shift[k] moves a CRC register past
 * STRIDE zero bytes, one table per byte of the register. */
#define STRIDE 4096
static uint32_t shift_stride[4][256];
static pthread_once_t hw_once = PTHREAD_ONCE_INIT;

/* The register after feeding `len` zero bytes to register `crc` (bitwise; used
 * only to build the shift tables). */
static uint32_t zeros_soft(uint32_t crc, size_t len)
{
    for (size_t i = 0; i < len * 8; i++)
        crc = (crc & 1) ? (crc >> 1) ^ POLY : crc >> 1;
    return crc;
}

static void build_shift_tables(void)
{
    /* the map is linear in the register, so one table per register byte */
    uint32_t basis[32];
    for (int b = 0; b < 32; b++)
        basis[b] = zeros_soft(1u << b, STRIDE);
    for (int byte = 0; byte < 4; byte++) {
        for (uint32_t v = 0; v < 256; v++) {
            uint32_t r = 0;
            for (int bit = 0; bit < 8; bit++) {
                if (v & (1u << bit))
                    r ^= basis[byte * 8 + bit];
            }
            shift_stride[byte][v] = r;
        }
    }
}

static uint32_t shift(uint32_t crc)
{
    return shift_stride[0][crc & 0xff] ^ shift_stride[1][(crc >> 8) & 0xff] ^
           shift_stride[2][(crc >> 16) & 0xff] ^ shift_stride[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p,
                                                            size_t len)
{
    uint64_t c0 = crc;
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        c0 = __builtin_ia32_crc32qi((uint32_t)c0, *p++);
        len--;
    }
    while (len >= 3 * STRIDE) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < STRIDE; i += 8) {
            uint64_t a, b, d;
            memcpy(&a, p + i, 8);
            memcpy(&b, p + STRIDE + i, 8);
            memcpy(&d, p + 2 * STRIDE + i, 8);
            c0 = __builtin_ia32_crc32di(c0, a);
            c1 = __builtin_ia32_crc32di(c1, b);
            c2 = __builtin_ia32_crc32di(c2, d);
        }
        /* crc(A|B) = shift(crc(A)) ^ crc0(B) for a register started at 0 */
        c0 = shift(shift((uint32_t)c0) ^ (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * STRIDE;
        len -= 3 * STRIDE;
    }
    while (len >= 8) {
        uint64_t a;
        memcpy(&a, p, 8);
        c0 = __builtin_ia32_crc32di(c0, a);
        p += 8;
        len -= 8;
    }
    while (len > 0) {
        c0 = __builtin_ia32_crc32qi((uint32_t)c0, *p++);
        len--;
    }
    return (uint32_t)c0;
}
#endif

uint32_t sl_crc32c(uint32_t crc, const void *bytes, size_t len)
{
#ifdef HAVE_HW
    if (__builtin_cpu_supports("sse4.2")) {
        pthread_once(&hw_once, build_shift_tables);
        return ~crc32c_hw(~crc, bytes, len);
    }
#endif
    return sl_crc32c_portable(crc, bytes, len);
}
