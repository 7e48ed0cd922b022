/*
 * Reading bundles into a ledger.  A bundle is verified completely before
 * anything is committed: signatures by trusted keys, every entry's schema,
 * the recomputed tree against every checkpoint, and that the bundle's
 * history is the ledger's where they overlap.  A validly signed checkpoint
 * that contradicts the held history is a fork: both checkpoints are kept as
 * evidence and nothing else is stored.
 */
#ifndef CHOBO_IMPORT_H
#define CHOBO_IMPORT_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "keys.h"
#include "ledger.h"
#include "note.h"
#include "util.h"

/* What an import stored, or the fork it found. */
struct import_result {
	json_t *summary;                /* one object per log: log, from, to, entries, checkpoints */
	char fork_log[NOTE_MAX_NAME + 1];
	uint64_t fork_size;
	char *fork_ours, *fork_theirs;  /* the two signed checkpoints */
};

/*
 * Check a bundle on its own (signatures, schemas, every entry covered by a
 * signed checkpoint) before the ledger is locked, then rewind it: what
 * import_bundle then writes has already been shown to be signed.  0, or
 * EX_DATAERR with why the bundle is refused in err.
 */
int import_precheck(const struct trust *trust, FILE *in, struct chobo_error *err);

/*
 * Verify a bundle completely and store the logs it extends in one
 * transaction, all or nothing (never this node's own log), with their entry
 * indexes and the views.  Returns 0, EX_DATAERR (refused), EXIT_FORK (the
 * data refused, the evidence kept: res->fork_*), or another exit code, with
 * err.  Free res with import_result_free whatever the result.
 */
int import_bundle(struct ledger *l, const struct trust *trust, FILE *in, struct import_result *res,
		  struct chobo_error *err);
void import_result_free(struct import_result *res);

#endif
