/*
 * libFuzzer target for the pgoutput decoder: every input is decoded as a
 * message outside and inside a stream block. It must never crash, leak or
 * read out of bounds, whatever the bytes.
 */
#include "sluice/source_pg.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t touched;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_arena arena;
    struct sl_pgoutput_msg msg;
    struct sl_error err;
    size_t total = 0;

    sl_arena_init(&arena, 4096);
    for (int in_stream = 0; in_stream < 2; in_stream++) {
        sl_arena_reset(&arena);
        if (sl_pgoutput_decode(data, size, in_stream != 0, &arena, &msg, &err) != SL_OK)
            continue;
        /* touch what the decoder handed out so ASan checks the bounds */
        const struct sl_pgoutput_tuple *tuples[2] = {NULL, NULL};
        if (msg.type == SL_PGOUTPUT_INSERT)
            tuples[0] = &msg.u.insert.new_tuple;
        else if (msg.type == SL_PGOUTPUT_UPDATE) {
            tuples[0] = &msg.u.update.new_tuple;
            if (msg.u.update.old_kind)
                tuples[1] = &msg.u.update.old_tuple;
        } else if (msg.type == SL_PGOUTPUT_DELETE)
            tuples[0] = &msg.u.delete_.old_tuple;
        else if (msg.type == SL_PGOUTPUT_RELATION)
            for (uint16_t i = 0; i < msg.u.relation.ncolumns; i++)
                total += strlen(msg.u.relation.columns[i].name);
        for (int t = 0; t < 2; t++)
            for (uint16_t i = 0; tuples[t] && i < tuples[t]->ncolumns; i++)
                for (uint32_t b = 0; b < tuples[t]->columns[i].len; b++)
                    total += tuples[t]->columns[i].data[b];
    }
    sl_arena_free(&arena);
    touched = total; /* keeps the reads from being optimised away */
    return 0;
}
