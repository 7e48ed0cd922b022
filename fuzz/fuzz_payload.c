/*
 * libFuzzer harness: the QR payload decoder (lib/payload.c).
 *
 * The first byte chooses how the rest is used.  Even: as payload text, fed
 * to payload_decode as a scanner would type it.  Odd: as the body of a
 * payload, signed with the harness's key and packed, so that the parser
 * behind a valid signature is reached too.  Whatever decodes as valid must
 * encode again and decode to the same payload.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zlib.h>

#include "codec.h"
#include "payload.h"

#define ISSUER "fuzz.example/node-1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct note_signer key;
static struct trust trust;

static void setup(void)
{
	static bool ready;
	if (ready)
		return;
	uint8_t seed[32] = {1};
	if (sodium_init() < 0)
		abort();
	memset(&key, 0, sizeof key);
	snprintf(key.pub.name, sizeof key.pub.name, ISSUER);
	key.pub.type = NOTE_TYPE_ED25519;
	memcpy(key.seed, seed, 32);
	crypto_sign_seed_keypair(key.pub.pub, key.sk, seed);
	key.pub.id = note_key_id(ISSUER, NOTE_TYPE_ED25519, key.pub.pub);
	trust.keys = &key.pub;
	trust.n = 1;
	ready = true;
}

/* Sign "chobo-payload/1 ISSUER\n" || body and pack it as a payload; NULL when it cannot be. */
static char *pack_signed(const uint8_t *body, size_t blen)
{
	static const char head[] = "chobo-payload/1 " ISSUER "\n";
	size_t hlen = sizeof head - 1;
	if (blen > 4096)
		return NULL;
	char *text = malloc(hlen + blen);
	uint8_t *content = malloc(68 + blen), packed[8192];
	memcpy(text, head, hlen);
	memcpy(text + hlen, body, blen);
	char *line = note_signature_line(&key, text, hlen + blen);
	const char *b64 = strrchr(line, ' ') + 1;
	long n = b64_decode(b64, strlen(b64) - 1, content, 68);
	memcpy(content + 68, body, blen);
	uLongf plen = sizeof packed;
	char *out = NULL;
	if (n == 68 && compress2(packed, &plen, content, 68 + blen, 9) == Z_OK) {
		char *b45 = b45_encode(packed, plen);
		out = malloc(strlen(b45) + 6);
		memcpy(out, PAYLOAD_PREFIX, 5);
		memcpy(out + 5, b45, strlen(b45) + 1);
		free(b45);
	}
	free(line);
	free(text);
	free(content);
	return out;
}

static bool same(const struct payload *a, const struct payload *b)
{
	if (strcmp(a->issuer, b->issuer) || strcmp(a->kind, b->kind) || a->index != b->index ||
	    a->not_before != b->not_before || a->not_after != b->not_after || a->nfields != b->nfields)
		return false;
	for (size_t i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) || strcmp(a->fields[i].value, b->fields[i].value))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	if (size == 0)
		return 0;
	char *text = (data[0] & 1) ? pack_signed(data + 1, size - 1) : NULL;
	if (!(data[0] & 1)) {
		text = malloc(size);
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
	}
	if (!text)
		return 0;
	struct payload p, q;
	uint32_t id;
	char why[256];
	size_t len = (data[0] & 1) ? strlen(text) : size - 1;
	if (payload_decode(text, len, &trust, &p, &id, why, sizeof why) == PAYLOAD_VALID) {
		char *again;
		struct chobo_error e;
		/* A body that fits only when carried without limits may be too long to encode: that is fine. */
		if (payload_encode(&p, &key, &again, &e) == 0) {
			if (payload_decode(again, strlen(again), &trust, &q, &id, why, sizeof why) != PAYLOAD_VALID ||
			    !same(&p, &q))
				abort();
			free(again);
		}
		char *note = payload_note(text, len, &trust);
		if (!note)
			abort();
		free(note);
	}
	free(text);
	return 0;
}
