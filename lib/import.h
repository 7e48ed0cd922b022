/*
 * Reading bundles into a ledger.  A bundle is verified completely before
 * anything is committed: signatures by trusted keys, every entry's schema,
 * the recomputed tree against every checkpoint, and that the bundle's
 * history is the ledger's where they overlap.  It is verified as it is
 * stored, in one pass inside the transaction: the first problem aborts it.  A validly signed checkpoint
 * that contradicts the held history is a fork: both checkpoints are kept as
 * evidence and nothing else is stored.
 *
 * This node's own log, which only it writes, comes in bundles too (a full
 * export from a peer, a backup): it is checked to be a prefix of the log
 * held here, and stored only when the node is restoring it (restore.h).
 */
#ifndef CHOBO_IMPORT_H
#define CHOBO_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "keys.h"
#include "ledger.h"
#include "note.h"
#include "util.h"

/* What an import does with this node's own log. */
enum import_own {
	IMPORT_OWN_CHECK,   /* a prefix of ours, never stored: beyond ours, the bundle is refused */
	IMPORT_OWN_TAKE,    /* restoring: stored like any other log (verified with our key) */
};

/* What an import stored, or the fork it found. */
struct import_result {
	json_t *summary;                /* one object per log: log, from, to, entries, checkpoints */
	char fork_log[NOTE_MAX_NAME + 1];
	uint64_t fork_size;
	char *fork_ours, *fork_theirs;  /* the two signed checkpoints */
	char *fork_proof;               /* at two sizes, the proof that shows it (fork_evidence.h), or NULL */
	/* This node's own log in the bundle: its newest checkpoint (NULL if none). */
	uint64_t own_size;
	char *own_note;
	bool own_ahead;                 /* IMPORT_OWN_CHECK refused it: it is longer than ours */
};

/*
 * Size the store's cache and log files for importing the n bundle files in
 * (from their sizes; NULL ones are skipped) that add about entries entries
 * in all (0: unknown); with streaming, a bundle is also still to come on a
 * stream (its size unknown, and a large one: chain-sync streams only a
 * large lack), which makes the import a bulk transaction.  Call before the
 * ledger is opened.
 */
void import_expect(FILE *const *in, size_t n, uint64_t entries, bool streaming);

/*
 * Verify a bundle completely and store the logs it extends in one
 * transaction, all or nothing (this node's own log as own says), with their
 * entry indexes and the views.  Returns 0, EX_DATAERR (refused; with
 * res->own_ahead when the bundle holds more of this node's log than the
 * ledger), EXIT_FORK (the data refused, the evidence kept: res->fork_*), or
 * another exit code, with err.  Free res with import_result_free whatever
 * the result.
 */
int import_bundle(struct ledger *l, const struct trust *trust, FILE *in, enum import_own own,
		  struct import_result *res, struct chobo_error *err);
void import_result_free(struct import_result *res);
/*
 * The fork an import found, as the event chain-import and chain-sync print:
 * {"event":"fork"[,"peer"],"log","size","ours","theirs"[,"proof"]}, where
 * size is the tree size at which the histories were compared.
 */
json_t *import_fork_event(const struct import_result *res, const char *peer);

#endif
