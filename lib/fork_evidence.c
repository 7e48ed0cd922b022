/* Fork evidence: two signed checkpoints and, across sizes, the consistency proof that shows the fork. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "codec.h"
#include "fork_evidence.h"
#include "util.h"

static int edge_read(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	const struct edge_tree *t = ctx;
	if (level >= 63 || index > (UINT64_MAX >> level) - 1)
		return -1;
	uint64_t a = index << level, b = a + (UINT64_C(1) << level), base = t->base->size;
	if (a >= base) {
		if (b - base > t->n)
			return -1;
		if (level == 0) {
			memcpy(out, t->leaves[a - base], 32);
			return 0;
		}
	} else {
		/* One of the edge's subtrees, largest first, from leaf 0 on. */
		uint64_t pos = 0;
		unsigned k = 0;
		for (int bit = 63; bit >= 0; bit--) {
			uint64_t w = UINT64_C(1) << bit;
			if (!(base & w))
				continue;
			if (pos == a && w == b - a) {
				memcpy(out, t->base->hash[k], 32);
				return 0;
			}
			pos += w;
			k++;
		}
		/* A subtree inside one of the edge's is not known; one across its end is made of both. */
		if (b <= base || level == 0)
			return -1;
	}
	uint8_t left[32], right[32];
	int rc = edge_read(ctx, level - 1, index * 2, left);
	if (rc == 0)
		rc = edge_read(ctx, level - 1, index * 2 + 1, right);
	if (rc == 0)
		merkle_node_hash(out, left, right);
	return rc;
}

void edge_tree_reader(const struct edge_tree *t, struct merkle_reader *out)
{
	out->read_hash = edge_read;
	out->ctx = (void *)t;
}

char *fork_proof_make(const struct merkle_reader *r, uint64_t old_size, uint64_t new_size)
{
	uint8_t proof[MERKLE_MAX_PROOF][32], root[32];
	size_t n;
	if (old_size == 0 || old_size >= new_size || merkle_root(r, old_size, root) != 0 ||
	    merkle_consistency_proof(r, old_size, new_size, proof, &n) != 0)
		return NULL;
	char hex[65];
	hex32(hex, root);
	json_t *hashes = json_array();
	for (size_t i = 0; i < n; i++) {
		char h[65];
		hex32(h, proof[i]);
		json_array_append_new(hashes, json_string(h));
	}
	json_t *v = json_pack("{s:I, s:I, s:s, s:o}", "old_size", (json_int_t)old_size, "new_size",
			      (json_int_t)new_size, "old_root", hex, "hashes", hashes);
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text)
		xalloc_failed();
	return text;
}

static bool fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return false;
}

static bool hex_hash(const json_t *v, uint8_t out[32])
{
	const char *s = json_string_value(v);
	return s && strlen(s) == 64 && hex_decode(out, 32, s);
}

/* The proof joins old_root at old_size to the larger checkpoint; false (with err) when it does not. */
static bool proof_holds(const json_t *p, const struct checkpoint *small, const struct checkpoint *large,
			uint8_t old_root[32], char *err, size_t errlen)
{
	json_t *hashes = json_object_get(p, "hashes");
	json_t *os = json_object_get(p, "old_size"), *ns = json_object_get(p, "new_size");
	uint8_t proof[MERKLE_MAX_PROOF][32];
	size_t n = json_array_size(hashes);
	if (!json_is_integer(os) || !json_is_integer(ns) || !json_is_array(hashes) || n > MERKLE_MAX_PROOF ||
	    !hex_hash(json_object_get(p, "old_root"), old_root))
		return fail(err, errlen, "the proof is not {\"old_size\",\"new_size\",\"old_root\",\"hashes\"}");
	if ((uint64_t)json_integer_value(os) != small->size || (uint64_t)json_integer_value(ns) != large->size ||
	    json_integer_value(os) < 0)
		return fail(err, errlen, "the proof is not between the two checkpoints' sizes");
	for (size_t i = 0; i < n; i++)
		if (!hex_hash(json_array_get(hashes, i), proof[i]))
			return fail(err, errlen, "a proof hash is not 64 hex digits");
	if (!merkle_verify_consistency(small->size, large->size, old_root, large->root,
				       (const uint8_t (*)[32])proof, n))
		return fail(err, errlen, "the proof does not lead to the larger checkpoint's root");
	return true;
}

static bool evidence_check(const char *ours, size_t olen, const char *theirs, size_t tlen, const json_t *proof,
			   const struct note_verifier *keys, size_t nkeys, char origin[NOTE_MAX_NAME + 1],
			   char *err, size_t errlen)
{
	struct checkpoint a, b;
	const char *why;
	origin[0] = '\0';
	if (!checkpoint_verify(ours, olen, keys, nkeys, &a, NULL, &why) ||
	    !checkpoint_verify(theirs, tlen, keys, nkeys, &b, NULL, &why)) {
		snprintf(err, errlen, "a checkpoint does not verify with the keys given: %s", why);
		return false;
	}
	if (strcmp(a.origin, b.origin) != 0)
		return fail(err, errlen, "the two checkpoints are of different logs");
	snprintf(origin, NOTE_MAX_NAME + 1, "%s", a.origin);
	if (a.size == b.size) {
		if (memcmp(a.root, b.root, 32) == 0)
			return fail(err, errlen, "the two checkpoints sign the same tree: no fork");
		return true;
	}
	const struct checkpoint *small = a.size < b.size ? &a : &b, *large = a.size < b.size ? &b : &a;
	if (small->size == 0)
		return fail(err, errlen, "the empty tree is a prefix of every tree: no fork");
	if (!proof)
		return fail(err, errlen, "checkpoints of two sizes, without the consistency proof that would "
			    "show them inconsistent (they may be an older and a newer one)");
	uint8_t old_root[32];
	if (!proof_holds(proof, small, large, old_root, err, errlen))
		return false;
	if (memcmp(old_root, small->root, 32) == 0)
		return fail(err, errlen, "the smaller checkpoint is a prefix of the larger one: no fork");
	return true;
}

bool fork_evidence_check(const char *ours, size_t olen, const char *theirs, size_t tlen, const char *proof,
			 size_t plen, const struct note_verifier *keys, size_t nkeys,
			 char origin[NOTE_MAX_NAME + 1], char *err, size_t errlen)
{
	json_error_t je;
	json_t *p = proof ? json_loadb(proof, plen, 0, &je) : NULL;
	if (proof && !json_is_object(p)) {
		json_decref(p);
		origin[0] = '\0';
		return fail(err, errlen, "the proof is not a JSON object");
	}
	bool ok = evidence_check(ours, olen, theirs, tlen, p, keys, nkeys, origin, err, errlen);
	json_decref(p);
	return ok;
}

json_t *fork_evidence_json(const char *origin, const char *ours, size_t olen, const char *theirs,
			   size_t tlen, const char *proof, size_t plen)
{
	json_t *v = json_pack("{s:s, s:s%, s:s%}", "log", origin, "ours", ours, olen, "theirs", theirs, tlen);
	json_error_t je;
	json_t *p = proof ? json_loadb(proof, plen, 0, &je) : NULL;
	if (!v)
		xalloc_failed();
	if (p)
		json_object_set_new(v, "proof", p);
	return v;
}

bool fork_evidence_file_check(const char *text, size_t len, const struct note_verifier *keys, size_t nkeys,
			      char origin[NOTE_MAX_NAME + 1], char *err, size_t errlen)
{
	json_error_t je;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	json_t *ours = json_object_get(v, "ours"), *theirs = json_object_get(v, "theirs");
	json_t *proof = json_object_get(v, "proof");
	bool ok;
	origin[0] = '\0';
	if (!json_is_object(v) || !json_is_string(ours) || !json_is_string(theirs) ||
	    (proof && !json_is_object(proof)))
		ok = fail(err, errlen, "not fork evidence: {\"log\",\"ours\",\"theirs\"[,\"proof\"]}");
	else
		ok = evidence_check(json_string_value(ours), json_string_length(ours), json_string_value(theirs),
				    json_string_length(theirs), proof, keys, nkeys, origin, err, errlen);
	json_decref(v);
	return ok;
}
