/*
 * The one write path (DESIGN §4): a batch of validated entries appended to
 * this node's log in one transaction with one new signed checkpoint, the
 * entry indexes and the views brought up to date in that transaction, and a
 * service's rule checked inside it, under the ledger lock.
 */
#ifndef CHOBO_APPEND_H
#define CHOBO_APPEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "entry.h"
#include "ledger.h"
#include "note.h"
#include "util.h"

/*
 * Open the ledger in dir for appending: load its log key into *key, open
 * the ledger, and check that the key is named after the ledger's origin.
 * 0, or an exit code with err and nothing left open or loaded.  The caller
 * closes the ledger and clears the key (note_signer_clear).
 */
int ledger_open_append(struct ledger *l, const char *dir, struct note_signer *key, struct chobo_error *err);

/* Entries validated and waiting to be appended in one transaction. */
struct batch {
	struct batch_item {
		const struct entry_type *type;
		size_t off, len;   /* the canonical body in buf */
	} *items;
	size_t n, cap;
	char *buf;
	size_t used, size;
	uint64_t max_entries, max_bytes;   /* the bounds, read on the first add */
	/*
	 * A chunk of a streamed append (append_stream_write): the entries and
	 * body bytes of the same append in the chunks before this one, counted
	 * against the bounds and in the numbers of messages.  0 for a whole batch.
	 */
	uint64_t base, base_bytes;
};

/* Add a validated body to a batch; false when the batch bounds would be exceeded. */
bool batch_add(struct batch *b, const struct entry_input *in);
/* True when b holds a chunk's worth of entries or bytes: time to write it (append_stream_write). */
bool batch_chunk_full(const struct batch *b);
/* Make b the next chunk of the same append: empty, with what it held counted in base (buffers kept). */
void batch_next_chunk(struct batch *b);
/*
 * Validate one input line {"type":...,"body":{...}} as chain-append does
 * (doc is scratch space reused across calls) and add it to b; false with a
 * reason in err when it is not a valid entry, or the entry or the batch
 * would exceed its bounds.
 */
bool batch_add_line(struct batch *b, const char *line, size_t len, struct json_doc *doc,
		    char *err, size_t errlen);
/*
 * Add the entry {"type":type,"body":body} that a program made (taking
 * body) to b, validated as batch_add_line does; false with a reason in err.
 */
bool batch_add_body(struct batch *b, const char *type, json_t *body, char *err, size_t errlen);
/* Whether batch_add_body would take {"type":type,"body":body} (body not taken) into a batch with room; false with the reason in err. */
bool entry_body_valid(const char *type, const json_t *body, char *err, size_t errlen);
void batch_free(struct batch *b);

/* What chain-append reports for each appended entry. */
struct receipt {
	uint64_t index;
	uint8_t leaf_hash[32];
};

/*
 * A batch as the append has just written it, inside its transaction: where
 * its entries are and their leaf hashes, so that the views and the
 * services' rules take the entries from memory (the bodies in b) instead of
 * reading them back from the store.  Every entry has the same time.
 */
struct batch_written {
	const struct batch *b;
	const char *origin;               /* this node's log */
	uint32_t log;
	uint64_t first;                   /* the index of b's first entry */
	int64_t time;
	const uint8_t (*leaf_hashes)[32]; /* b->n, in b's order */
	/*
	 * b->n marks, zero at first, set by views_update_batch: bit k of entry
	 * i when the view of place k (view_place) applied entry i from the
	 * batch and marked it with view_entry_counts, so that a rule may take
	 * the reducer's word for it (stored_batch_each_unmarked) instead of
	 * reading back what the reducer wrote.  NULL: no marks.
	 */
	uint64_t *counted;
};

/* Print a receipt as chain-append does: one JSON line on out; false on a write error. */
bool receipt_print(FILE *out, const struct receipt *r, const char *type, const char *time,
		   uint64_t tree_size);

/*
 * A caller's rule, run inside the append's transaction once the batch is
 * written, the views include it and the services' own rules (service.h)
 * passed: 0 lets the batch commit; any other code
 * (EX_DATAERR for "the rule refuses it") aborts it, with the reason in err.
 * Because the ledger is locked, no other process can change the state
 * between this check and the commit.
 */
struct append_rule {
	int (*check)(void *ctx, struct ledger *l, const struct batch *b, struct chobo_error *err);
	void *ctx;
};

/*
 * Append a batch to this node's log, checked by rule (NULL for none).
 * Entry times never decrease within a log: when the clock reads earlier
 * than the log's last entry, nothing is appended (EX_TEMPFAIL).  receipts
 * (b->n long) are filled once the commit is durable; *tree_size and time
 * (21 bytes) describe the batch.  0 or an exit code with err.
 */
int ledger_append(struct ledger *l, const struct batch *b, const struct note_signer *key,
		  const struct append_rule *rule, struct receipt *receipts, uint64_t *tree_size,
		  char time[21], struct chobo_error *err);

/*
 * Judge batch b as ledger_append would (the clock, the views that include
 * it, the services' rules and rule), then abort the transaction: nothing is
 * appended (a dry run).  0 when the batch would be appended, else an exit
 * code with the reason in err.
 */
int ledger_append_check(struct ledger *l, const struct batch *b, const struct note_signer *key,
			const struct append_rule *rule, struct chobo_error *err);

/*
 * A streamed append: one batch written in chunks into one transaction, for
 * input too large to hold in memory (chain-append).  Each chunk's entries,
 * hashes and indexes are written, then the views are brought up to date and
 * the services' rules and the caller's rule judge the chunk on the state
 * that includes it and every chunk before it.  The commit signs one
 * checkpoint for the whole batch.  Only the receipts (40 bytes an entry)
 * stay in memory.  On any failure the transaction is aborted: nothing of
 * the batch is appended.  ledger_append is the one-chunk case.
 */
struct append_stream;

/*
 * The store cache of a streamed append (store_cache_limit): with its
 * receipts (40 MB for 1,000,000 entries), a chunk and the store's bulk
 * buffers, chain-append stays within 256 MiB at any batch size.
 */
#define APPEND_STREAM_CACHE (120u << 20)

/*
 * Begin a streamed append to this node's log on the open ledger l, signed
 * at the commit with key and checked by rule (NULL for none); both must
 * outlive the stream.  expect: the entries the batch will hold, when known
 * (for the progress line), else 0 (streamed).  A streamed batch and one
 * of 4,096 entries or more (CHOBO_LIMIT_APPEND_BULK_ENTRIES lowers that)
 * are a bulk transaction (store_begin_bulk).  The time is read here (as
 * ledger_append does).  0 with *out set, or an exit code with err and *out
 * NULL.
 */
int append_stream_begin(struct ledger *l, const struct note_signer *key, const struct append_rule *rule,
			uint64_t expect, struct append_stream **out, struct chobo_error *err);
/*
 * Write one chunk (b->base: entries of the batch before it) and judge it.
 * 0, or an exit code with err and the transaction aborted ("nothing was
 * appended"); the stream then accepts nothing but append_stream_free.
 */
int append_stream_write(struct append_stream *s, const struct batch *b, struct chobo_error *err);
/* Sign the checkpoint and commit durably; 0, or an exit code with err and nothing appended. */
int append_stream_commit(struct append_stream *s, struct chobo_error *err);
/* The entries written so far (after the commit: the batch). */
size_t append_stream_count(const struct append_stream *s);
/* After the commit: the log's size and the entries' time (21 bytes). */
uint64_t append_stream_tree_size(const struct append_stream *s);
const char *append_stream_time(const struct append_stream *s);
/* After the commit: the receipt of the batch's entry i, and its type. */
void append_stream_receipt(const struct append_stream *s, size_t i, struct receipt *r,
			   const struct entry_type **type);
/* Abort the transaction unless committed, and free s (NULL is fine). */
void append_stream_free(struct append_stream *s);

#endif
