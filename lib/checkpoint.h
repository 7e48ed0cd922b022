/* C2SP tlog-checkpoint@v1.0.0: origin, tree size and root hash, signed as a note. */
#ifndef CHOBO_CHECKPOINT_H
#define CHOBO_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "note.h"
#include "util.h"

struct checkpoint {
	char origin[NOTE_MAX_NAME + 1];
	uint64_t size;
	uint8_t root[32];
};

/* True for an origin chobo accepts: a valid key name of printable ASCII. */
bool checkpoint_origin_valid(const char *origin);
/* The checkpoint text "origin\nsize\nbase64(root)\n"; newly allocated. */
char *checkpoint_text(const struct checkpoint *c);
/* Text plus the log's signature line: a complete signed checkpoint; newly allocated. */
char *checkpoint_sign(const struct checkpoint *c, const struct note_signer *log_key);
/* Parse a checkpoint's text (the signed part of the note); false (with *why) when malformed. */
bool checkpoint_parse_text(const char *text, size_t len, struct checkpoint *out, const char **why);
/*
 * Verify a signed checkpoint: note signatures by keys, at least one valid
 * type-0x01 signature by a key named after the origin, and well-formed text.
 * verified (nkeys long, may be NULL) reports which keys signed or cosigned.
 */
bool checkpoint_verify(const char *note, size_t len, const struct note_verifier *keys,
		       size_t nkeys, struct checkpoint *out, bool *verified, const char **why);
/*
 * Read a signed checkpoint from the file at path (one kept by an auditor or
 * a requester) and verify it with keys into out; 0, or EX_NOINPUT /
 * EX_DATAERR with err.
 */
int checkpoint_read_file(const char *path, const struct note_verifier *keys, size_t nkeys,
			 struct checkpoint *out, struct chobo_error *err);

#endif
