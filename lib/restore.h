/*
 * A node restoring its own log (chain-init --restore, chain-sync --restore,
 * chain-import --restore).  A node that lost its ledger may have signed
 * checkpoints that only its peers (or a bundle) still hold; a checkpoint it
 * signed before getting them back would fork its own history.  So while
 * the ledger directory holds the file "restoring", this node appends
 * nothing.  The file keeps the floor: the newest checkpoint of this node's
 * log known anywhere, as one JSON object {"size":N,"checkpoint":NOTE}
 * (size 0 without a checkpoint while none is known).  The floor only rises;
 * the file goes once the log holds at least the floor and the restore is
 * complete (every peer heard, or a ledger without peers).
 */
#ifndef CHOBO_RESTORE_H
#define CHOBO_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "util.h"

#define RESTORE_FILE "restoring"

/* A restore under way, as the file says. */
struct restore_floor {
	bool restoring;
	uint64_t size;   /* the floor: entries this node's log must hold before it appends */
	char *note;      /* the signed checkpoint at size, or NULL */
};

/* Read the floor of the ledger in dir (restoring false when none is under way); 0 or an exit code with err. */
int restore_floor_read(const char *dir, struct restore_floor *out, struct chobo_error *err);
void restore_floor_free(struct restore_floor *f);
/* Start a restore with the floor unknown (0), unless one is under way; 0 or an exit code with err. */
int restore_start(const char *dir, struct chobo_error *err);
/*
 * Raise the floor to the signed checkpoint note (of size, already verified
 * with this node's key) when it is higher than the floor held, starting a
 * restore if none is under way; 0 or an exit code with err.
 */
int restore_raise(const char *dir, const char *note, size_t len, uint64_t size, struct chobo_error *err);
/*
 * In the open ledger l: when complete is true and this node's log holds at
 * least the floor (its tree there the one the floor's checkpoint signs:
 * EX_DATAERR when not), end the restore.  *done says whether no restore is under
 * way afterwards; *size and *floor (may be NULL) what the log holds and
 * needs.  0 or an exit code with err.
 */
int restore_finish(struct ledger *l, bool complete, bool *done, uint64_t *size, uint64_t *floor,
		   struct chobo_error *err);
/*
 * For the write path, in the open ledger l: 0 when this node may sign a new
 * checkpoint of its log; EX_TEMPFAIL with why not while a restore is under way.
 */
int restore_append_allowed(struct ledger *l, struct chobo_error *err);

#endif
