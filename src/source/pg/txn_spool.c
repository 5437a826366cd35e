/*
 * Transaction spool for pgoutput protocol 2 streaming: the messages of each
 * in-progress transaction wait here until Stream Commit replays them or Stream
 * Abort drops them; past a memory cap the biggest transaction spills to disk.
 */
#include "sluice/source_pg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Layout. A transaction is a stream of records `u64 lsn | u32 length | bytes`
 * (native byte order: spill files never outlive the process). The record
 * stream lives either wholly in memory, in chunks, or wholly in one unlinked
 * temp file; spilling moves it from the first to the second, once. A record's
 * position in the stream is the same in memory and in the file, so the first
 * offset of each subtransaction stays valid across a spill and aborting a
 * subtransaction is a truncation at that offset (as PostgreSQL's apply worker
 * does with its stream files).
 *
 * Memory accounting counts the chunk capacity of in-memory transactions: that
 * is what memory_limit caps. On top come two fixed I/O buffers shared by all
 * transactions (the write buffer holds the tail of one spilled transaction at
 * a time; pgoutput sends one transaction per stream block, so switches are
 * rare) and small per-transaction bookkeeping.
 */

_Static_assert(sizeof(off_t) >= 8, "spill files need 64-bit file offsets");

#define RECORD_HEADER 12 /* u64 lsn, u32 length */
#define CHUNK_MIN 1024
#define CHUNK_MAX (64 * 1024)
#define IO_BUFFER_SIZE (64 * 1024)
#define SPILL_NAME "/sluice-spool-XXXXXX"

struct chunk {
    struct chunk *next;
    uint64_t start; /* stream offset of data[0] */
    size_t cap;
    size_t used; /* whole records only: a record never spans chunks */
    unsigned char data[];
};

struct subxact {
    uint32_t xid;
    uint64_t offset; /* stream offset of its first record */
};

struct txn {
    uint32_t xid;
    uint64_t len; /* bytes of the record stream, wherever they are */

    /* in memory (fd < 0) */
    struct chunk *head, *tail;
    size_t mem_bytes; /* sum of chunk capacities */
    size_t next_chunk;

    /* spilled (fd >= 0); bytes past disk_len sit in the spool's write buffer */
    int fd;
    char *path; /* already unlinked; kept for error messages */
    uint64_t disk_len;
    bool broken; /* an I/O error lost part of the stream: replay must fail */

    /* subtransactions in order of their first record */
    struct subxact *subs;
    size_t nsubs, subs_cap;
    struct sl_u64map sub_index; /* sub xid -> index + 1 in subs, stored as a pointer */
};

struct sl_txn_spool {
    size_t memory_limit;
    char *spill_dir;
    struct sl_u64map txns; /* top xid -> struct txn */
    size_t memory_bytes;
    uint64_t spilled_bytes;
    unsigned char *write_buf;
    size_t write_len;
    struct txn *write_owner; /* spilled transaction whose tail is in write_buf */
    unsigned char *read_buf;
};

/* ---------------------------------------------------------------- helpers */

static int io_error(struct sl_error *err, const struct txn *txn, const char *op, int errnum)
{
    return sl_error_set(err, SL_EIO, "transaction spool: %s of spill file %s (xid %u) failed: %s",
                        op, txn->path != NULL ? txn->path : "?", txn->xid, strerror(errnum));
}

static int broken_error(struct sl_error *err, const struct txn *txn)
{
    return sl_error_set(err, SL_EIO,
                        "transaction spool: xid %u lost messages after an I/O error on spill "
                        "file %s; it cannot be replayed",
                        txn->xid, txn->path != NULL ? txn->path : "?");
}

/* Returns 0 or an errno value. */
static int write_at(int fd, const unsigned char *bytes, size_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, bytes, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO;
        bytes += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

/* Reads exactly len bytes; returns 0 or an errno value (EIO at an early end of file). */
static int read_at(int fd, unsigned char *bytes, size_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t n = pread(fd, bytes, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO;
        bytes += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

static void put_header(unsigned char *out, sl_lsn lsn, size_t len)
{
    uint64_t lsn64 = lsn;
    uint32_t len32 = (uint32_t)len;
    memcpy(out, &lsn64, sizeof(lsn64));
    memcpy(out + 8, &len32, sizeof(len32));
}

static void get_header(const unsigned char *in, sl_lsn *lsn, uint32_t *len)
{
    uint64_t lsn64;
    memcpy(&lsn64, in, sizeof(lsn64));
    memcpy(len, in + 8, sizeof(*len));
    *lsn = lsn64;
}

/* ---------------------------------------------------------------- transactions */

static struct txn *txn_new(uint32_t xid)
{
    struct txn *txn = sl_calloc(1, sizeof(*txn));
    if (txn == NULL)
        return NULL;
    txn->xid = xid;
    txn->fd = -1;
    txn->next_chunk = CHUNK_MIN;
    sl_u64map_init(&txn->sub_index);
    return txn;
}

static void free_chunks(struct sl_txn_spool *spool, struct txn *txn, struct chunk *chunk)
{
    while (chunk != NULL) {
        struct chunk *next = chunk->next;
        spool->memory_bytes -= chunk->cap;
        txn->mem_bytes -= chunk->cap;
        sl_free(chunk);
        chunk = next;
    }
}

/* Frees the transaction and its file; the caller removes it from the map. */
static void txn_free(struct sl_txn_spool *spool, struct txn *txn)
{
    free_chunks(spool, txn, txn->head);
    if (txn->fd >= 0) {
        spool->spilled_bytes -= txn->len;
        close(txn->fd);
    }
    if (spool->write_owner == txn) {
        spool->write_owner = NULL;
        spool->write_len = 0;
    }
    sl_u64map_free(&txn->sub_index);
    sl_free(txn->subs);
    sl_free(txn->path);
    sl_free(txn);
}

static void discard(struct sl_txn_spool *spool, struct txn *txn)
{
    sl_u64map_remove(&spool->txns, txn->xid);
    txn_free(spool, txn);
}

/* ---------------------------------------------------------------- spilling */

/* Writes the write buffer to its owner's file; the owner stays. */
static int flush_write_buffer(struct sl_txn_spool *spool, struct sl_error *err)
{
    struct txn *owner = spool->write_owner;
    int errnum;

    if (owner == NULL || spool->write_len == 0)
        return SL_OK;
    errnum = write_at(owner->fd, spool->write_buf, spool->write_len, owner->disk_len);
    if (errnum != 0) {
        owner->broken = true;
        spool->write_owner = NULL;
        spool->write_len = 0;
        return io_error(err, owner, "write", errnum);
    }
    owner->disk_len += spool->write_len;
    spool->write_len = 0;
    return SL_OK;
}

/* Appends bytes to a spilled transaction through the shared write buffer. */
static int spill_write(struct sl_txn_spool *spool, struct txn *txn, const unsigned char *bytes,
                       size_t len, struct sl_error *err)
{
    int rc;

    if (spool->write_owner != txn) {
        rc = flush_write_buffer(spool, err);
        if (rc != SL_OK)
            return rc;
        spool->write_owner = txn;
    }
    while (len > 0) {
        if (spool->write_len == 0 && len >= IO_BUFFER_SIZE) {
            int errnum = write_at(txn->fd, bytes, len, txn->disk_len);
            if (errnum != 0) {
                txn->broken = true;
                return io_error(err, txn, "write", errnum);
            }
            txn->disk_len += len;
            txn->len += len;
            spool->spilled_bytes += len;
            return SL_OK;
        }
        size_t take = SL_MIN(len, IO_BUFFER_SIZE - spool->write_len);
        memcpy(spool->write_buf + spool->write_len, bytes, take);
        spool->write_len += take;
        txn->len += take;
        spool->spilled_bytes += take;
        bytes += take;
        len -= take;
        if (spool->write_len == IO_BUFFER_SIZE) {
            rc = flush_write_buffer(spool, err);
            if (rc != SL_OK)
                return rc;
        }
    }
    return SL_OK;
}

/*
 * Moves an in-memory transaction to a new unlinked temp file. On failure the
 * transaction stays in memory, unchanged.
 */
static int spill(struct sl_txn_spool *spool, struct txn *txn, struct sl_error *err)
{
    size_t path_len = strlen(spool->spill_dir) + sizeof(SPILL_NAME);
    char *path = NULL;
    uint64_t offset = 0;
    int fd = -1;
    int rc, errnum;

    path = sl_malloc(path_len);
    if (path == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
        goto fail;
    }
    memcpy(path, spool->spill_dir, strlen(spool->spill_dir));
    memcpy(path + strlen(spool->spill_dir), SPILL_NAME, sizeof(SPILL_NAME));
    fd = mkstemp(path);
    if (fd < 0) {
        rc = sl_error_set(err, SL_EIO,
                          "transaction spool: cannot create a spill file in %s for xid %u: %s",
                          spool->spill_dir, txn->xid, strerror(errno));
        goto fail;
    }
    /* unlinked at once, so a crash leaves nothing behind */
    if (unlink(path) != 0) {
        rc = sl_error_set(err, SL_EIO, "transaction spool: cannot unlink spill file %s: %s", path,
                          strerror(errno));
        goto fail;
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    for (struct chunk *chunk = txn->head; chunk != NULL; chunk = chunk->next) {
        errnum = write_at(fd, chunk->data, chunk->used, offset);
        if (errnum != 0) {
            rc = sl_error_set(err, SL_EIO,
                              "transaction spool: write of spill file %s (xid %u) failed: %s",
                              path, txn->xid, strerror(errnum));
            goto fail;
        }
        offset += chunk->used;
    }
    free_chunks(spool, txn, txn->head);
    txn->head = txn->tail = NULL;
    txn->fd = fd;
    txn->path = path;
    txn->disk_len = offset;
    spool->spilled_bytes += txn->len;
    sl_log(SL_LOG_INFO, "spool_spill", "xid=%u bytes=%llu dir=%s", txn->xid,
           (unsigned long long)offset, spool->spill_dir);
    return SL_OK;

fail:
    if (fd >= 0)
        close(fd);
    sl_free(path);
    return rc;
}

/* The in-memory transaction holding the most memory, or NULL when none holds any. */
static struct txn *largest_in_memory(const struct sl_txn_spool *spool)
{
    struct txn *largest = NULL;
    size_t pos = 0;
    void *value;

    while (sl_u64map_next(&spool->txns, &pos, NULL, &value)) {
        struct txn *txn = value;
        if (txn->fd < 0 && txn->mem_bytes > 0 &&
            (largest == NULL || txn->mem_bytes > largest->mem_bytes))
            largest = txn;
    }
    return largest;
}

/* ---------------------------------------------------------------- appending */

static int append_spilled(struct sl_txn_spool *spool, struct txn *txn, sl_lsn lsn,
                          const uint8_t *msg, size_t len, struct sl_error *err)
{
    unsigned char header[RECORD_HEADER];
    int rc;

    put_header(header, lsn, len);
    rc = spill_write(spool, txn, header, sizeof(header), err);
    if (rc == SL_OK && len > 0)
        rc = spill_write(spool, txn, msg, len, err);
    return rc;
}

static int append_memory(struct sl_txn_spool *spool, struct txn *txn, sl_lsn lsn,
                         const uint8_t *msg, size_t len, struct sl_error *err)
{
    size_t need = RECORD_HEADER + len;
    struct chunk *chunk = txn->tail;
    int rc;

    if (chunk == NULL || chunk->cap - chunk->used < need) {
        size_t room;
        for (;;) {
            room = spool->memory_limit - spool->memory_bytes;
            if (need <= room)
                break;
            /* a record larger than the whole cap never fits: evict nobody else */
            struct txn *victim = need > spool->memory_limit ? txn : largest_in_memory(spool);
            if (victim == NULL)
                victim = txn; /* nothing else to free: this one goes to disk */
            rc = spill(spool, victim, err);
            if (rc != SL_OK)
                return rc;
            if (victim == txn)
                return append_spilled(spool, txn, lsn, msg, len, err);
        }
        size_t cap = SL_MAX(need, SL_MIN(txn->next_chunk, room));
        chunk = sl_malloc(sizeof(*chunk) + cap);
        if (chunk == NULL)
            return sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
        chunk->next = NULL;
        chunk->start = txn->len;
        chunk->cap = cap;
        chunk->used = 0;
        if (txn->tail != NULL)
            txn->tail->next = chunk;
        else
            txn->head = chunk;
        txn->tail = chunk;
        txn->mem_bytes += cap;
        spool->memory_bytes += cap;
        if (txn->next_chunk < CHUNK_MAX)
            txn->next_chunk *= 2;
    }
    put_header(chunk->data + chunk->used, lsn, len);
    if (len > 0)
        memcpy(chunk->data + chunk->used + RECORD_HEADER, msg, len);
    chunk->used += need;
    txn->len += need;
    return SL_OK;
}

static int add_subxact(struct txn *txn, uint32_t sub_xid, struct sl_error *err)
{
    if (txn->nsubs == txn->subs_cap) {
        size_t cap = txn->subs_cap == 0 ? 8 : txn->subs_cap * 2;
        struct subxact *grown = sl_realloc(txn->subs, cap * sizeof(*grown));
        if (grown == NULL)
            return sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
        txn->subs = grown;
        txn->subs_cap = cap;
    }
    if (sl_u64map_put(&txn->sub_index, sub_xid, (void *)(uintptr_t)(txn->nsubs + 1)) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
    txn->subs[txn->nsubs].xid = sub_xid;
    txn->subs[txn->nsubs].offset = txn->len;
    txn->nsubs++;
    return SL_OK;
}

/* ---------------------------------------------------------------- truncation */

static int truncate_txn(struct sl_txn_spool *spool, struct txn *txn, uint64_t offset,
                        struct sl_error *err)
{
    if (txn->fd < 0) {
        struct chunk **link = &txn->head;
        struct chunk *last = NULL;
        /* keep the chunks that start before offset, cut the last of them */
        while (*link != NULL && (*link)->start < offset) {
            last = *link;
            if (last->used > offset - last->start)
                last->used = (size_t)(offset - last->start);
            link = &last->next;
        }
        struct chunk *rest = *link;
        *link = NULL;
        free_chunks(spool, txn, rest);
        txn->tail = last;
        txn->len = offset;
        return SL_OK;
    }

    spool->spilled_bytes -= txn->len - offset;
    txn->len = offset;
    if (spool->write_owner == txn) {
        if (offset >= txn->disk_len) {
            spool->write_len = (size_t)(offset - txn->disk_len);
            return SL_OK;
        }
        spool->write_owner = NULL; /* all of the buffer lies past offset */
        spool->write_len = 0;
    }
    /* writes go to disk_len with pwrite, so the cut is consistent even if
     * ftruncate fails; ftruncate gives the disk space back */
    txn->disk_len = offset;
    if (ftruncate(txn->fd, (off_t)offset) != 0)
        return io_error(err, txn, "truncate", errno);
    return SL_OK;
}

/* ---------------------------------------------------------------- replay */

static int replay_memory(const struct txn *txn, sl_txn_spool_replay_fn fn, void *ctx,
                         struct sl_error *err)
{
    for (const struct chunk *chunk = txn->head; chunk != NULL; chunk = chunk->next) {
        size_t pos = 0;
        while (pos < chunk->used) {
            sl_lsn lsn;
            uint32_t len;
            get_header(chunk->data + pos, &lsn, &len);
            int rc = fn(ctx, lsn, chunk->data + pos + RECORD_HEADER, len, err);
            if (rc != 0)
                return rc;
            pos += RECORD_HEADER + (size_t)len;
        }
    }
    return SL_OK;
}

/*
 * Reads the file front to back through read_buf. A record that does not fit
 * in read_buf is assembled in a buffer of its own, grown as needed.
 */
static int replay_file(struct sl_txn_spool *spool, struct txn *txn, sl_txn_spool_replay_fn fn,
                       void *ctx, struct sl_error *err)
{
    unsigned char *buf = spool->read_buf;
    unsigned char *big = NULL;
    size_t big_cap = 0;
    size_t pos = 0, have = 0; /* unread bytes are buf[pos, pos + have) */
    uint64_t file_pos = 0;
    uint64_t end;
    int rc = SL_OK;
    int errnum;

    if (spool->write_owner == txn) {
        rc = flush_write_buffer(spool, err);
        if (rc != SL_OK)
            return rc;
    }
    end = txn->disk_len;
    for (;;) {
        sl_lsn lsn = 0;
        uint32_t len = 0;
        size_t record = 0;

        if (have >= RECORD_HEADER) {
            get_header(buf + pos, &lsn, &len);
            record = RECORD_HEADER + (size_t)len;
            if (len > have - RECORD_HEADER + (end - file_pos)) {
                rc = sl_error_set(err, SL_EIO,
                                  "transaction spool: spill file %s (xid %u) ends inside a "
                                  "record",
                                  txn->path, txn->xid);
                goto done;
            }
            if (record <= have) {
                rc = fn(ctx, lsn, buf + pos + RECORD_HEADER, len, err);
                if (rc != 0)
                    goto done;
                pos += record;
                have -= record;
                continue;
            }
        } else if (file_pos == end) {
            if (have != 0)
                rc = sl_error_set(err, SL_EIO,
                                  "transaction spool: spill file %s (xid %u) ends inside a "
                                  "record header",
                                  txn->path, txn->xid);
            goto done;
        }

        if (record > IO_BUFFER_SIZE) {
            size_t part = have - RECORD_HEADER;
            if (len > big_cap) {
                unsigned char *grown = sl_realloc(big, len);
                if (grown == NULL) {
                    rc = sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
                    goto done;
                }
                big = grown;
                big_cap = len;
            }
            memcpy(big, buf + pos + RECORD_HEADER, part);
            errnum = read_at(txn->fd, big + part, len - part, file_pos);
            if (errnum != 0) {
                rc = io_error(err, txn, "read", errnum);
                goto done;
            }
            file_pos += len - part;
            pos = have = 0;
            rc = fn(ctx, lsn, big, len, err);
            if (rc != 0)
                goto done;
            continue;
        }

        /* need more bytes for the header or a record that fits the buffer */
        memmove(buf, buf + pos, have);
        pos = 0;
        size_t want = (size_t)SL_MIN((uint64_t)(IO_BUFFER_SIZE - have), end - file_pos);
        ssize_t n;
        do {
            n = pread(txn->fd, buf + have, want, (off_t)file_pos);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            rc = io_error(err, txn, "read", n < 0 ? errno : EIO);
            goto done;
        }
        have += (size_t)n;
        file_pos += (uint64_t)n;
    }

done:
    sl_free(big);
    return rc;
}

/* ---------------------------------------------------------------- public API */

int sl_txn_spool_new(size_t memory_limit, const char *spill_dir, struct sl_txn_spool **out,
                     struct sl_error *err)
{
    struct sl_txn_spool *spool = NULL;
    struct stat st;

    if (out == NULL)
        return sl_error_set(err, SL_EINVAL, "transaction spool: no output pointer");
    *out = NULL;
    if (spill_dir == NULL) {
        spill_dir = getenv("TMPDIR");
        if (spill_dir == NULL || spill_dir[0] == '\0')
            spill_dir = "/tmp";
    }
    /* find a bad spill_dir at startup, not when the first big transaction comes */
    if (stat(spill_dir, &st) != 0)
        return sl_error_set(err, SL_ECONFIG, "transaction spool: spill directory %s: %s",
                            spill_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sl_error_set(err, SL_ECONFIG,
                            "transaction spool: spill directory %s is not a directory", spill_dir);
    if (access(spill_dir, W_OK | X_OK) != 0)
        return sl_error_set(err, SL_ECONFIG,
                            "transaction spool: spill directory %s is not writable: %s", spill_dir,
                            strerror(errno));

    spool = sl_calloc(1, sizeof(*spool));
    if (spool == NULL)
        goto fail;
    sl_u64map_init(&spool->txns);
    spool->memory_limit = memory_limit;
    spool->spill_dir = sl_strdup(spill_dir);
    spool->write_buf = sl_malloc(IO_BUFFER_SIZE);
    spool->read_buf = sl_malloc(IO_BUFFER_SIZE);
    if (spool->spill_dir == NULL || spool->write_buf == NULL || spool->read_buf == NULL)
        goto fail;
    *out = spool;
    return SL_OK;

fail:
    sl_txn_spool_free(spool);
    return sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
}

void sl_txn_spool_free(struct sl_txn_spool *spool)
{
    size_t pos = 0;
    void *value;

    if (spool == NULL)
        return;
    while (sl_u64map_next(&spool->txns, &pos, NULL, &value))
        txn_free(spool, value);
    sl_u64map_free(&spool->txns);
    sl_free(spool->write_buf);
    sl_free(spool->read_buf);
    sl_free(spool->spill_dir);
    sl_free(spool);
}

int sl_txn_spool_append(struct sl_txn_spool *spool, uint32_t top_xid, uint32_t sub_xid,
                        sl_lsn lsn, const uint8_t *msg, size_t len, struct sl_error *err)
{
    struct txn *txn;
    bool created = false, added_sub = false;
    int rc;

    if (spool == NULL || (msg == NULL && len > 0))
        return sl_error_set(err, SL_EINVAL, "transaction spool: bad append arguments");
    if (len > UINT32_MAX)
        return sl_error_set(err, SL_ELIMIT,
                            "transaction spool: message of %zu bytes in xid %u is too large", len,
                            top_xid);
    txn = sl_u64map_get(&spool->txns, top_xid);
    if (txn == NULL) {
        txn = txn_new(top_xid);
        if (txn == NULL)
            return sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
        if (sl_u64map_put(&spool->txns, top_xid, txn) != SL_OK) {
            txn_free(spool, txn);
            return sl_error_set(err, SL_ENOMEM, "transaction spool: out of memory");
        }
        created = true;
    }
    if (txn->broken)
        return broken_error(err, txn);
    if (sub_xid != top_xid && sl_u64map_get(&txn->sub_index, sub_xid) == NULL) {
        rc = add_subxact(txn, sub_xid, err);
        if (rc != SL_OK)
            goto fail;
        added_sub = true;
    }
    rc = txn->fd >= 0 ? append_spilled(spool, txn, lsn, msg, len, err)
                      : append_memory(spool, txn, lsn, msg, len, err);
    if (rc != SL_OK)
        goto fail;
    return SL_OK;

fail:
    /* leave the transaction as it was, unless its file lost bytes (broken) */
    if (!txn->broken) {
        if (created) {
            discard(spool, txn);
        } else if (added_sub) {
            txn->nsubs--;
            sl_u64map_remove(&txn->sub_index, sub_xid);
        }
    }
    return rc;
}

int sl_txn_spool_abort(struct sl_txn_spool *spool, uint32_t top_xid, uint32_t sub_xid,
                       struct sl_error *err)
{
    struct txn *txn;
    size_t index;

    if (spool == NULL)
        return sl_error_set(err, SL_EINVAL, "transaction spool: bad abort arguments");
    txn = sl_u64map_get(&spool->txns, top_xid);
    if (txn == NULL)
        return SL_OK;
    if (sub_xid == top_xid) {
        discard(spool, txn);
        return SL_OK;
    }
    index = (size_t)(uintptr_t)sl_u64map_get(&txn->sub_index, sub_xid);
    if (index == 0)
        return SL_OK; /* no message of that subtransaction was spooled */
    if (txn->broken)
        return broken_error(err, txn);
    /* subtransactions nest: the ones that started later are inside the aborted one */
    for (size_t i = index - 1; i < txn->nsubs; i++)
        sl_u64map_remove(&txn->sub_index, txn->subs[i].xid);
    txn->nsubs = index - 1;
    return truncate_txn(spool, txn, txn->subs[index - 1].offset, err);
}

int sl_txn_spool_replay(struct sl_txn_spool *spool, uint32_t top_xid, sl_txn_spool_replay_fn fn,
                        void *ctx, struct sl_error *err)
{
    struct txn *txn;
    int rc;

    if (spool == NULL || fn == NULL)
        return sl_error_set(err, SL_EINVAL, "transaction spool: bad replay arguments");
    txn = sl_u64map_get(&spool->txns, top_xid);
    if (txn == NULL)
        return SL_OK;
    if (txn->broken)
        rc = broken_error(err, txn);
    else if (txn->fd < 0)
        rc = replay_memory(txn, fn, ctx, err);
    else
        rc = replay_file(spool, txn, fn, ctx, err);
    discard(spool, txn);
    return rc;
}

size_t sl_txn_spool_memory_bytes(const struct sl_txn_spool *spool)
{
    return spool == NULL ? 0 : spool->memory_bytes;
}

uint64_t sl_txn_spool_spilled_bytes(const struct sl_txn_spool *spool)
{
    return spool == NULL ? 0 : spool->spilled_bytes;
}
