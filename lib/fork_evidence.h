/*
 * Fork evidence that proves itself to anyone holding the log's verifier key
 * alone: two checkpoints of one log, both signed by its key, that no one
 * history can hold together.  At one size, their roots differ.  At two
 * sizes, the evidence also keeps a consistency proof from the tree that
 * signed the larger one: that tree's root at the smaller size (old_root),
 * which the proof joins to the larger checkpoint's root (RFC 9162 2.1.4.2),
 * differs from the smaller checkpoint's root.  Without the proof, two signed
 * checkpoints of different sizes could be an honest older and newer pair.
 *
 *   proof     {"old_size":M,"new_size":N,"old_root":HEX,"hashes":[HEX,...]}
 *   evidence  {"log":ORIGIN,"ours":NOTE,"theirs":NOTE[,"proof":PROOF]}
 *             (one JSON object: what chain-proof fork writes and
 *             chain-verify FILE checks; "ours" is the holder's checkpoint)
 */
#ifndef CHOBO_FORK_EVIDENCE_H
#define CHOBO_FORK_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "merkle.h"
#include "note.h"

/*
 * A tree known by its right edge at base->size and the leaf hashes after
 * it: how an import holds the diverging tree of a bundle, whose interior
 * hashes are not stored.  The reader answers for the subtrees a consistency
 * proof from base->size needs, and fails (-1) for others.
 */
struct edge_tree {
	const struct merkle_stack *base;
	const uint8_t (*leaves)[32];   /* leaves base->size, base->size + 1, ... */
	uint64_t n;
};
void edge_tree_reader(const struct edge_tree *t, struct merkle_reader *out);

/*
 * The proof from the tree r (which signed the checkpoint of size new_size)
 * that its root at old_size (0 < old_size < new_size) is what it is: the
 * proof's text, newly allocated, or NULL when r cannot give the hashes.
 */
char *fork_proof_make(const struct merkle_reader *r, uint64_t old_size, uint64_t new_size);

/*
 * Check evidence: ours and theirs verify with keys as checkpoints of one
 * origin (copied to origin), and the proof (text, NULL when none) shows they
 * cannot both be its history.  True, or false with why in err.
 */
bool fork_evidence_check(const char *ours, size_t olen, const char *theirs, size_t tlen, const char *proof,
			 size_t plen, const struct note_verifier *keys, size_t nkeys,
			 char origin[NOTE_MAX_NAME + 1], char *err, size_t errlen);

/* The evidence as one JSON object (see above); proof may be NULL. */
json_t *fork_evidence_json(const char *origin, const char *ours, size_t olen, const char *theirs,
			   size_t tlen, const char *proof, size_t plen);

/*
 * Check an evidence file's text (one JSON object, see above) as
 * fork_evidence_check does.  True, or false with why in err.
 */
bool fork_evidence_file_check(const char *text, size_t len, const struct note_verifier *keys, size_t nkeys,
			      char origin[NOTE_MAX_NAME + 1], char *err, size_t errlen);

#endif
