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
};

/* Add a validated body to a batch; false when the batch bounds would be exceeded. */
bool batch_add(struct batch *b, const struct entry_input *in);
/*
 * Validate one input line {"type":...,"body":{...}} as chain-append does
 * (doc is scratch space reused across calls) and add it to b; false with a
 * reason in err when it is not a valid entry, or the entry or the batch
 * would exceed its bounds.
 */
bool batch_add_line(struct batch *b, const char *line, size_t len, struct json_doc *doc,
		    char *err, size_t errlen);
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
	const struct receipt *receipts;   /* b->n, each with its leaf hash */
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

#endif
