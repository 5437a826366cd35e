/*
 * sluice core: errors, allocation, bounded buffers, arenas, logging, clocks.
 * Every other module builds on these; nothing here knows about PostgreSQL,
 * Parquet or Hudi.
 */
#ifndef SLUICE_CORE_H
#define SLUICE_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SL_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define SL_PRINTF(fmt_index, first_arg)
#endif

/* ---------------------------------------------------------------- errors */

/* Result codes: 0 is success, failures are negative. */
enum {
    SL_OK = 0,
    SL_EINVAL = -1,    /* bad argument or bad user input */
    SL_ENOMEM = -2,    /* allocation failed */
    SL_EIO = -3,       /* file or socket I/O failed */
    SL_EPROTO = -4,    /* malformed bytes from outside (protocol, file format) */
    SL_ECONN = -5,     /* connection to a peer failed or broke */
    SL_ECONFIG = -6,   /* the environment or a peer is not set up as required */
    SL_ELIMIT = -7,    /* a configured bound was reached */
    SL_ENOTFOUND = -8, /* a named thing does not exist */
    SL_EINTR = -9,     /* interrupted by a signal / shutdown request */
    SL_EPEER = -10,    /* the peer answered with an error */
    SL_EEXIST = -11,   /* the thing to create already exists (put-if-absent lost) */
};

#define SL_ERROR_MESSAGE_MAX 1024

/*
 * An error: a code, whether retrying may help, and a message that names the
 * bad value and what to do. Functions that can fail take an optional
 * `struct sl_error *err` (NULL allowed) and return the code they set.
 */
struct sl_error {
    int code;
    bool retriable;
    char message[SL_ERROR_MESSAGE_MAX];
};

/* Sets code and message; returns code so callers can `return sl_error_set(..)`. */
int sl_error_set(struct sl_error *err, int code, const char *fmt, ...) SL_PRINTF(3, 4);
int sl_error_setv(struct sl_error *err, int code, const char *fmt, va_list ap);
/* Prepends context ("while reading x: ") to an already set message. */
void sl_error_prefix(struct sl_error *err, const char *fmt, ...) SL_PRINTF(2, 3);
void sl_error_clear(struct sl_error *err);
/* Stable name of a code, e.g. "EPROTO". */
const char *sl_error_code_name(int code);

/* ---------------------------------------------------------------- memory */

/*
 * Allocation wrappers. They return NULL on failure like malloc. Tests can make
 * the Nth allocation from now fail (sl_alloc_fail_after) to exercise error
 * paths; this hook is the one process-wide mutable state in core, for tests.
 */
void *sl_malloc(size_t size);
void *sl_calloc(size_t count, size_t size);
void *sl_realloc(void *ptr, size_t size);
void sl_free(void *ptr);
/* Caller owns the copy. */
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t len);
/*
 * Grows *array (of elem-byte elements, *cap of them) to hold at least `need`,
 * doubling from 256; the array stays as it was on failure (SL_ENOMEM).
 */
int sl_array_grow(void **array, size_t *cap, size_t need, size_t elem);
/* Make the nth allocation from now fail (1 = the next one); 0 disables. */
void sl_alloc_fail_after(long nth);

/* ---------------------------------------------------------------- buffers */

/*
 * A growable byte buffer with a maximum size (as curl's dynbuf). The content
 * is always followed by a NUL byte so text can be used as a C string.
 */
struct sl_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* appends that would grow len beyond max fail with SL_ELIMIT; SIZE_MAX = no limit */
};

void sl_buf_init(struct sl_buf *buf, size_t max);
void sl_buf_free(struct sl_buf *buf);             /* accepts a zeroed buffer */
void sl_buf_reset(struct sl_buf *buf);            /* len = 0, memory kept */
int sl_buf_reserve(struct sl_buf *buf, size_t extra);
int sl_buf_append(struct sl_buf *buf, const void *bytes, size_t len);
int sl_buf_append_str(struct sl_buf *buf, const char *s);
int sl_buf_putc(struct sl_buf *buf, char c);
int sl_buf_printf(struct sl_buf *buf, const char *fmt, ...) SL_PRINTF(2, 3);
/* Takes the content away: caller owns the returned string; buffer is reset to empty. */
char *sl_buf_detach(struct sl_buf *buf);

/* ---------------------------------------------------------------- arena */

/*
 * A bump allocator for per-message and per-batch data: many allocations, one
 * reset. Pointers stay valid until sl_arena_reset or sl_arena_free.
 */
struct sl_arena_block;
struct sl_arena {
    struct sl_arena_block *head;
    size_t block_size;
    size_t used_total; /* bytes handed out since the last reset */
};

void sl_arena_init(struct sl_arena *arena, size_t block_size);
void *sl_arena_alloc(struct sl_arena *arena, size_t size); /* 16-byte aligned, NULL on OOM */
char *sl_arena_strndup(struct sl_arena *arena, const char *s, size_t len);
void sl_arena_reset(struct sl_arena *arena); /* keeps one block of standard size */
void sl_arena_free(struct sl_arena *arena);  /* accepts a zeroed arena */

/* ---------------------------------------------------------------- logging */

enum sl_log_level { SL_LOG_ERROR = 0, SL_LOG_WARN = 1, SL_LOG_INFO = 2, SL_LOG_DEBUG = 3 };

/*
 * One line per event on stderr: `ts=... level=info event=<event> key=value ...`.
 * The level threshold is set once at startup by cli/ (the only other global).
 * Never log row values, passwords or secret keys.
 */
void sl_log_set_level(enum sl_log_level level);
enum sl_log_level sl_log_get_level(void);
int sl_log_level_parse(const char *name, enum sl_log_level *out);
void sl_log(enum sl_log_level level, const char *event, const char *fmt, ...) SL_PRINTF(3, 4);

/* ---------------------------------------------------------------- clocks */

int64_t sl_clock_monotonic_ms(void);
int64_t sl_clock_wall_us(void); /* microseconds since the Unix epoch */

/* ---------------------------------------------------------------- hash map */

/*
 * Map from a uint64 key to a borrowed pointer (open addressing, linear
 * probing). The map never owns the values.
 */
struct sl_u64map_slot;
struct sl_u64map {
    struct sl_u64map_slot *slots;
    size_t cap; /* power of two, 0 when empty */
    size_t count;
};

void sl_u64map_init(struct sl_u64map *map);
void sl_u64map_free(struct sl_u64map *map); /* accepts a zeroed map; values untouched */
void *sl_u64map_get(const struct sl_u64map *map, uint64_t key);
int sl_u64map_put(struct sl_u64map *map, uint64_t key, void *value); /* replaces */
void *sl_u64map_remove(struct sl_u64map *map, uint64_t key);       /* returns old value */
/* Iteration: *pos starts at 0; returns false at the end. Putting or removing
 * during an iteration may skip or repeat entries (removal shifts entries back). */
bool sl_u64map_next(const struct sl_u64map *map, size_t *pos, uint64_t *key, void **value);

/* ---------------------------------------------------------------- calendar */

/* A proleptic Gregorian date; year is astronomical (0 is 1 BC, -1 is 2 BC). */
struct sl_civil_date {
    int64_t year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* The date `days` days after 1970-01-01 (negative: before), for any int64 day count
 * whose year fits (|days| < 2^62). */
void sl_civil_from_unix_days(int64_t days, struct sl_civil_date *out);
/* Days from 1970-01-01 to a proleptic Gregorian date (astronomical year); the
 * inverse of sl_civil_from_unix_days. Month 1..12, day 1..31 (not checked
 * against the month's length: day 31 of a 30-day month is the next day). */
int64_t sl_unix_days_from_civil(int64_t year, int month, int day);
/* a / b rounded toward negative infinity (b > 0). */
int64_t sl_floor_div(int64_t a, int64_t b);

/* ---------------------------------------------------------------- checksums */

/*
 * CRC-32C (Castagnoli) of bytes, continuing from crc (0 to start): the value
 * S3 checks for x-amz-checksum-crc32c; "123456789" gives 0xE3069283. Uses the
 * SSE4.2 instruction where the CPU has it; sl_crc32c_portable is the table
 * version every CPU runs (same results; exposed for tests).
 */
uint32_t sl_crc32c(uint32_t crc, const void *bytes, size_t len);
uint32_t sl_crc32c_portable(uint32_t crc, const void *bytes, size_t len);

/* ---------------------------------------------------------------- misc */

/* Parses a decimal unsigned 64-bit integer; the whole string must be used. */
int sl_parse_u64(const char *s, uint64_t *out);

#define SL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SL_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
