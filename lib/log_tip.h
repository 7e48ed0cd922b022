/*
 * A log's tip: its size, the right edge of its tree and its last entry's
 * time, kept in one record (store_tip_put) written in the transaction that
 * grows the log.  An append starts from it instead of reading the edge's
 * hashes (one per set bit of the size, spread over hashes.db) and parsing
 * the last entry.  A log without the record, or with one for another size
 * (written before a program that predates it appended), has its tip
 * computed from the hashes and the entry as before, and the next write
 * puts the record right: no upgrade step.  chain-verify checks the record
 * against the tree it recomputes.
 */
#ifndef CHOBO_LOG_TIP_H
#define CHOBO_LOG_TIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "merkle.h"
#include "util.h"

struct ledger;

struct log_tip {
	struct merkle_stack stack;   /* stack.size is the log's size */
	int64_t last_time;           /* the last entry's time in seconds; INT64_MIN for an empty log */
};

/* The record's largest size: a version byte, 64 hashes, the size and the time. */
#define LOG_TIP_MAX (1 + 8 + 8 + 64 * 32)

/* Encode t into buf; returns the length. */
size_t log_tip_encode(const struct log_tip *t, uint8_t buf[LOG_TIP_MAX]);
/* Decode a record; false when it is not one (bad version, length, size or hash count). */
bool log_tip_decode(const void *buf, size_t len, struct log_tip *t);

/*
 * The tip of log id (entries of origin) at size: from its record when that
 * is for size (*from_record true; may be NULL), else computed from the
 * stored hashes and the last entry.  0, or an exit code with err (a
 * storage error: EX_IOERR; a last entry that does not parse: EX_DATAERR).
 */
int log_tip_load(struct ledger *l, uint32_t id, const char *origin, uint64_t size, struct log_tip *t,
		 bool *from_record, struct chobo_error *err);
/* The time of entry size - 1 of log id (INT64_MIN when size is 0); 0 or an exit code with err. */
int log_tip_entry_time(struct ledger *l, uint32_t id, const char *origin, uint64_t size, int64_t *out,
		       struct chobo_error *err);
/* Write t as log id's record, in the open transaction; 0 or EX_IOERR with err. */
int log_tip_save(struct ledger *l, uint32_t id, const struct log_tip *t, struct chobo_error *err);

#endif
