/*
 * Calendar arithmetic for text forms of dates: day counts to proleptic
 * Gregorian dates, shared by PostgreSQL's text forms and parquet-dump.
 */
#include "sluice/core.h"

/* Days from 0000-03-01 (proleptic Gregorian) to 1970-01-01. */
#define DAYS_0000_03_01_TO_1970_01_01 INT64_C(719468)
#define DAYS_PER_400_YEARS INT64_C(146097)

int64_t sl_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && (a < 0) != (b < 0))
        q--;
    return q;
}

/*
 * Years are counted from March so the leap day ends each year: a 400-year
 * cycle is three 36524-day centuries and one of 36525, a century is 4-year
 * blocks of 1461 days (the last one short by a day except in the fourth
 * century), a block is three 365-day years and one of 366.
 */
void sl_civil_from_unix_days(int64_t days, struct sl_civil_date *out)
{
    /* Days after the start of each month, counted from March. */
    static const int month_start[12] = {0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337};
    int64_t since = days + DAYS_0000_03_01_TO_1970_01_01;
    int64_t cycle = sl_floor_div(since, DAYS_PER_400_YEARS);
    int64_t rest = since - cycle * DAYS_PER_400_YEARS; /* 0 .. 146096 */
    int64_t century = SL_MIN(rest / 36524, 3);
    int64_t block, year_in_block, year;
    int month_index = 11;

    rest -= century * 36524;
    block = rest / 1461;
    rest -= block * 1461;
    year_in_block = SL_MIN(rest / 365, 3);
    rest -= year_in_block * 365; /* day of the March-based year, 0 .. 365 */
    while (month_index > 0 && month_start[month_index] > rest)
        month_index--;
    year = cycle * 400 + century * 100 + block * 4 + year_in_block;
    out->month = month_index < 10 ? month_index + 3 : month_index - 9;
    out->day = (int)(rest - month_start[month_index]) + 1;
    out->year = out->month <= 2 ? year + 1 : year;
}

int64_t sl_unix_days_from_civil(int64_t year, int month, int day)
{
    /* Inverse of the above: count from 0000-03-01 with March-based years. */
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t cycle = sl_floor_div(y, 400);
    int64_t year_of_cycle = y - cycle * 400;                        /* 0 .. 399 */
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 +
                           day_of_year;                             /* 0 .. 146096 */
    return cycle * DAYS_PER_400_YEARS + day_of_cycle - DAYS_0000_03_01_TO_1970_01_01;
}
