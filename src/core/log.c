/*
 * key=value logging on stderr, one line per event. The threshold is set
 * once by cli/ at startup.
 */
#include "sluice/core.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static enum sl_log_level threshold = SL_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void sl_log_set_level(enum sl_log_level level)
{
    if ((unsigned)level < SL_ARRAY_LEN(level_names))
        threshold = level;
}

enum sl_log_level sl_log_get_level(void)
{
    return threshold;
}

int sl_log_level_parse(const char *name, enum sl_log_level *out)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(level_names); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum sl_log_level)i;
            return SL_OK;
        }
    }
    return SL_EINVAL;
}

void sl_log(enum sl_log_level level, const char *event, const char *fmt, ...)
{
    char line[2048];
    char stamp[32];
    struct timespec now;
    struct tm tm;
    size_t off;
    va_list ap;
    int n;

    if (level > threshold || (unsigned)level >= SL_ARRAY_LEN(level_names))
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s event=%s", stamp,
                 now.tv_nsec / 1000000, level_names[level], event);
    off = n < 0 ? 0 : SL_MIN((size_t)n, sizeof(line) - 1);
    if (fmt != NULL && fmt[0] != '\0' && off < sizeof(line) - 2) {
        line[off++] = ' ';
        va_start(ap, fmt);
        n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
        va_end(ap);
        off = n < 0 ? off : SL_MIN(off + (size_t)n, sizeof(line) - 1);
    }
    line[off] = '\0';
    fprintf(stderr, "%s\n", line);
}
