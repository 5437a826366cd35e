/* Facts about sluice's column types that the writer and the reader share. */
#include "sluice/parquet.h"

int32_t sl_parquet_decimal_bytes(int32_t precision)
{
    /* smallest n with 2^(8n-1) > 10^precision - 1, for precision 0..38 */
    static const int8_t bytes[39] = {1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9,
                                     9, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15,
                                     16, 16, 16};
    if (precision < 0 || precision > 38)
        return 0;
    return bytes[precision];
}
