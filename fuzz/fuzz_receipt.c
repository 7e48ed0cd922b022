/*
 * libFuzzer harness: receipts (lib/receipt.c).
 *
 * The first byte chooses how the rest is used.  Even: as a receipt line,
 * parsed, verified with the harness's keys, its body read and compared
 * with a payload.  Odd: as the bytes of an entry, wrapped in a receipt
 * that verifies (a tree of one leaf, a checkpoint signed and cosigned by
 * the harness's keys), so that the entry parser and the success path are
 * reached too: a receipt that parses must then verify, once cosigned.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "checkpoint.h"
#include "codec.h"
#include "merkle.h"
#include "receipt.h"

#define LOG "fuzz.example/node-1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct note_signer log_key, witness_key;
static struct note_verifier keys[2];
static struct trust trust;

static void make_key(struct note_signer *k, const char *name, uint8_t type, uint8_t seed_byte)
{
	uint8_t seed[32] = {seed_byte};
	memset(k, 0, sizeof *k);
	snprintf(k->pub.name, sizeof k->pub.name, "%s", name);
	k->pub.type = type;
	memcpy(k->seed, seed, 32);
	crypto_sign_seed_keypair(k->pub.pub, k->sk, seed);
	k->pub.id = note_key_id(name, type, k->pub.pub);
}

static void setup(void)
{
	static bool ready;
	if (ready)
		return;
	if (sodium_init() < 0)
		abort();
	make_key(&log_key, LOG, NOTE_TYPE_ED25519, 1);
	make_key(&witness_key, "fuzz.example/witness", NOTE_TYPE_COSIGNATURE, 2);
	keys[0] = log_key.pub;
	keys[1] = witness_key.pub;
	trust.keys = keys;
	trust.n = 2;
	ready = true;
}

/* A receipt line for entry (len bytes) as leaf 0 of a tree of one, signed and cosigned; NULL if it cannot be. */
static char *wrap(const uint8_t *entry, size_t len)
{
	struct checkpoint cp = {.size = 1};
	char leaf[65];
	snprintf(cp.origin, sizeof cp.origin, LOG);
	merkle_leaf_hash(cp.root, entry, len);
	hex32(leaf, cp.root);
	char *text = checkpoint_text(&cp);
	char *note = checkpoint_sign(&cp, &log_key);
	char *cosig = note_cosignature_line(&witness_key, text, strlen(text), 1700000000);
	size_t nlen = strlen(note), clen = strlen(cosig);
	note = realloc(note, nlen + clen + 1);
	memcpy(note + nlen, cosig, clen + 1);
	json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:s, s:[], s:s, s:s%}", "log", LOG, "leaf_index", 0,
			      "tree_size", 1, "leaf_hash", leaf, "root_hash", leaf, "hashes",
			      "checkpoint", note, "entry", (const char *)entry, len);
	char *out = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	free(text);
	free(note);
	free(cosig);
	return out;
}

static void exercise(const struct receipt *r)
{
	static const char *const names[] = {"sha256", "issuer", "kind", "issued", "qty", "text"};
	char value[PAYLOAD_MAX_FIELD_VALUE + 1], why[300];
	struct payload p = {0};
	snprintf(p.issuer, sizeof p.issuer, "%s", r->entry_log);
	snprintf(p.kind, sizeof p.kind, "%s", r->entry_type);
	p.index = r->entry_index;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (receipt_body_field(r, names[i], value, sizeof value) && !payload_add_field(&p, names[i], value))
			break;
	/* A payload made of the entry's own log, index, type and fields matches it. */
	if (!receipt_matches_payload(r, &p, why, sizeof why))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	if (size == 0)
		return 0;
	bool wrapped = data[0] & 1;
	char *text;
	size_t len;
	if (wrapped) {
		/* No NUL in an entry: json_pack's %s% would carry it, but receipts refuse it. */
		if (memchr(data + 1, 0, size - 1) || !utf8_valid(data + 1, size - 1))
			return 0;
		if (!(text = wrap(data + 1, size - 1)))
			return 0;
		len = strlen(text);
	} else {
		len = size - 1;
		text = malloc(len ? len : 1);
		memcpy(text, data + 1, len);
	}
	struct receipt r;
	char why[300];
	size_t cosigned;
	if (receipt_parse(text, len, &r, why, sizeof why)) {
		enum receipt_problem rp = receipt_verify(&r, &trust, &cosigned, why, sizeof why);
		/* A wrapped entry naming leaf 0 of the log verifies, cosigned once. */
		if (wrapped && strcmp(r.entry_log, LOG) == 0 && r.entry_index == 0 &&
		    (rp != RECEIPT_VALID || cosigned != 1))
			abort();
		exercise(&r);
	}
	receipt_free(&r);
	free(text);
	return 0;
}
