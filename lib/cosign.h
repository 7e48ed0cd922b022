/*
 * Witness cosignatures on held checkpoints: this node's own (cosign_latest)
 * and other witnesses' brought by a peer or a bundle (cosignature_add,
 * cosignatures_merge).  A cosignature is kept only when it verifies as a
 * trusted witness key's over the held checkpoint's text, once per witness.
 * Every function works inside the caller's store transaction.
 */
#ifndef CHOBO_COSIGN_H
#define CHOBO_COSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "ledger.h"
#include "note.h"
#include "util.h"

/*
 * Add one cosignature line (ending in '\n') to the held checkpoint of log at
 * size.  0 with *added (false: that witness's line is already there);
 * EX_DATAERR when refused (not one line, no such checkpoint, not a trusted
 * witness's cosignature of it, no room in the note), EX_IOERR when the store
 * failed; with err.
 */
int cosignature_add(struct ledger *l, const struct trust *trust, uint32_t log, uint64_t size,
		    const char *line, size_t len, bool *added, struct chobo_error *err);

/*
 * Add the trusted cosignatures that note (a copy of the checkpoint of log at
 * size) carries; lines that do not verify over the held text, or that are not
 * a trusted witness's, are dropped.  0 with how many were new in *added (may
 * be NULL), or EX_IOERR with err.
 */
int cosignatures_merge(struct ledger *l, const struct trust *trust, uint32_t log, uint64_t size,
		       const char *note, size_t len, size_t *added, struct chobo_error *err);

/*
 * Cosign the newest held checkpoint of log with this node's witness key at
 * time now (once: an existing line by that key is reused).  0 with the line
 * (newly allocated) in *line and the checkpoint's size in *size, or an exit
 * code with err.
 */
int cosign_latest(struct ledger *l, uint32_t log, const struct note_signer *witness, uint64_t now,
		  char **line, uint64_t *size, struct chobo_error *err);

#endif
