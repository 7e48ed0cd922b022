/* Writing and reading bundles against a ledger: what chain-export, chain-import and chain-sync share. */
#ifndef CHOBO_REPLICATE_H
#define CHOBO_REPLICATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "checkpoint.h"
#include "keys.h"
#include "ledger.h"

/* Which logs to export, and from where. */
struct selection {
	const char *log;                /* one log, or NULL for all */
	bool has_since;
	uint64_t since;                 /* start at the checkpoint of the largest size <= since */
	const struct checkpoint *held;  /* the requester's checkpoint: must match ours at its size */
};

/* Write a bundle of the selected logs of an open ledger to out; 0 or an exit code after printing why. */
int export_bundle(struct ledger *l, FILE *out, const struct selection *sel);

/* What a peer may ask the serving side (chain-sync --serve) for. */
enum sync_verb { SYNC_REFUSED, SYNC_HEADS, SYNC_EXPORT, SYNC_COSIGN };
/*
 * Parse SSH_ORIGINAL_COMMAND: the client's words joined by blanks, split
 * here and never given to a shell.  For SYNC_EXPORT, origin and since are
 * filled (a valid origin, a decimal size).  Anything else is SYNC_REFUSED.
 */
enum sync_verb sync_parse_command(const char *cmd, char origin[NOTE_MAX_NAME + 1], uint64_t *since);

/*
 * Export from the ledger in dir to out: written to a scratch file while the
 * ledger is locked, then copied out unlocked, so that a slow reader never
 * holds up writers.  0 or an exit code after printing why.
 */
int export_bundle_spooled(const char *dir, const struct selection *sel, FILE *out);

/* What an import found. */
struct import_result {
	json_t *summary;                /* one object per log: log, from, to, entries, checkpoints */
	bool fork;                      /* a signed checkpoint contradicts what we hold */
	char fork_log[NOTE_MAX_NAME + 1];
	uint64_t fork_size;
	char *fork_ours, *fork_theirs;  /* the two signed checkpoints */
	char problem[700];              /* why the bundle was refused */
};

/*
 * Check a bundle on its own (signatures, schemas, every entry covered by a
 * signed checkpoint) before the ledger is locked, then rewind it: what
 * import_bundle then writes has already been shown to be signed.  0, or
 * EX_DATAERR with res->problem set.
 */
int import_precheck(const struct trust *trust, FILE *in, struct import_result *res);

/*
 * Verify a bundle completely and store the logs it extends in one
 * transaction, all or nothing (never this node's own log).  On a fork the
 * data is refused and the evidence stored.  Returns 0, EX_DATAERR (refused:
 * res->problem), EXIT_FORK, or another exit code.  Free res with import_result_free.
 */
int import_bundle(struct ledger *l, const struct trust *trust, FILE *in, struct import_result *res);
void import_result_free(struct import_result *res);

/*
 * Add a cosignature line (ending in '\n') to the held checkpoint of log at
 * size, inside the caller's transaction, if it is a valid cosignature by a
 * trusted witness key that has not cosigned that checkpoint yet.  Returns 1
 * when added, 0 when that witness's line is already there, -1 (with *why)
 * when refused.
 */
int cosignature_add(struct ledger *l, const struct trust *trust, uint32_t log, uint64_t size,
		    const char *line, size_t len, const char **why);

/*
 * Cosign the newest held checkpoint of log with this node's witness key at
 * time now (once: an existing line by that key is reused), inside the
 * caller's transaction.  Returns the line (newly allocated) and its size in
 * *size, or NULL after printing why.
 */
char *cosign_latest(struct ledger *l, uint32_t log, const struct note_signer *witness, uint64_t now,
		    uint64_t *size);

#endif
