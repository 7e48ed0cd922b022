/*
 * Signed QR payloads: round trips, the size of each kind, and every way a
 * payload is refused (format, base45, zlib, trailing bytes, bombs,
 * canonical form, unknown issuer, bad signature, validity).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zlib.h>

#include "codec.h"
#include "keys.h"
#include "payload.h"
#include "tap.h"

#define ISSUER "chobo.tama.example/hachioji-1"

static struct note_signer issuer_key, other_key;
static struct trust trust;

/* A payload of a document attestation, as the core service prints one. */
static void attestation(struct payload *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->issuer, sizeof p->issuer, ISSUER);
	snprintf(p->kind, sizeof p->kind, "doc.attest");
	p->index = 123456;
	/* The first and last seconds of its days in Japan. */
	time_parse("2026-12-01T00:00:00+09:00", &p->not_before);
	time_parse("2031-11-30T23:59:59+09:00", &p->not_after);
	payload_add_field(p, "sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

/* Re-pack content (text || signature) as a payload, as a forger would. */
static char *repack(const uint8_t *content, size_t len, int level)
{
	uint8_t packed[4096];
	uLongf plen = sizeof packed;
	compress2(packed, &plen, content, len, level);
	char *b45 = b45_encode(packed, plen);
	char *out = xmalloc(strlen(b45) + 8);
	sprintf(out, "%s%s", PAYLOAD_PREFIX, b45);
	free(b45);
	return out;
}

/* The content of a payload that encodes well (text || signature). */
static size_t content_of(const char *s, uint8_t *out, size_t cap)
{
	uint8_t packed[1024];
	size_t got;
	char why[128];
	if (!b45_decode(s + 5, strlen(s) - 5, packed, sizeof packed, &got, why, sizeof why))
		return 0;
	uLongf n = cap;
	return uncompress(out, &n, packed, got) == Z_OK ? n : 0;
}

/* A payload over text, signed by key (whatever the text says). */
static char *signed_text(const char *text, const struct note_signer *key)
{
	uint8_t content[2048];
	size_t len = strlen(text), head = strchr(text, '\n') + 1 - text;
	char *line = note_signature_line(key, text, len);
	const char *b64 = strrchr(line, ' ') + 1;
	long n = b64_decode(b64, strlen(b64) - 1, content, 68);
	memcpy(content + 68, text + head, len - head);
	free(line);
	return n == 68 ? repack(content, 68 + len - head, 9) : NULL;
}

static enum payload_problem decode(const char *s, char *why, size_t n)
{
	struct payload p;
	uint32_t id;
	return payload_decode(s, strlen(s), &trust, &p, &id, why, n);
}

static void expect(const char *s, enum payload_problem want, const char *what)
{
	char why[256] = "";
	enum payload_problem got = s ? decode(s, why, sizeof why) : PAYLOAD_VALID;
	if (!ok(s && got == want, "%s: %s", what, want == PAYLOAD_VALID ? "valid" : why))
		diag("got problem %d, wanted %d", (int)got, (int)want);
}

int main(void)
{
	struct chobo_error e;
	char why[256];
	if (sodium_init() < 0 || !note_signer_generate(ISSUER, NOTE_TYPE_ED25519, &issuer_key) ||
	    !note_signer_generate(ISSUER, NOTE_TYPE_ED25519, &other_key))
		return 99;
	trust.keys = &issuer_key.pub;
	trust.n = 1;

	/* Round trip. */
	struct payload p, q;
	uint32_t id;
	char *s;
	attestation(&p);
	if (!ok(payload_encode(&p, &issuer_key, &s, &e) == 0, "an attestation payload encodes")) {
		diag("%s", e.msg);
		return done();
	}
	ok(strncmp(s, "CHB1:", 5) == 0, "it starts with CHB1:");
	ok(strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") == strlen(s),
	   "it is in the QR alphanumeric alphabet");
	ok(strlen(s) <= PAYLOAD_MAX_CHARS, "it fits version 12 at level Q (%zu characters)", strlen(s));
	diag("attestation payload: %zu characters", strlen(s));
	ok(payload_decode(s, strlen(s), &trust, &q, &id, why, sizeof why) == PAYLOAD_VALID, "it decodes and verifies");
	ok(strcmp(q.issuer, ISSUER) == 0 && strcmp(q.kind, "doc.attest") == 0 && q.index == 123456,
	   "issuer, kind and index come back");
	ok(q.not_before == p.not_before && q.not_after == p.not_after, "the validity comes back");
	ok(q.nfields == 1 && strcmp(payload_field(&q, "sha256"), p.fields[0].value) == 0,
	   "the fields come back");
	ok(payload_validity(&q, p.not_before - 1) == -1 && payload_validity(&q, p.not_before) == 0 &&
	   payload_validity(&q, p.not_after) == 0 && payload_validity(&q, p.not_after + 1) == 1,
	   "validity: not yet, from, until, expired");

	/* The largest attestation: the largest index, an expiry, no start. */
	struct payload largest = p;
	largest.index = (UINT64_C(1) << 48) - 1;
	largest.not_before = PAYLOAD_NO_TIME;
	char *sl = NULL;
	int lrc = payload_encode(&largest, &issuer_key, &sl, &e);
	ok(lrc == 0 && strlen(sl) <= PAYLOAD_MAX_CHARS,
	   "the largest attestation payload (index 2^48-1, an expiry) fits: %zu characters", sl ? strlen(sl) : 0);
	free(sl);

	/* The payload is a signed note that the note verifier accepts. */
	char *note = payload_note(s, strlen(s), &trust);
	bool verified = false;
	const char *vwhy;
	ok(note && note_verify(note, strlen(note), &issuer_key.pub, 1, &verified, NULL, &vwhy) && verified,
	   "the payload's note verifies as a C2SP signed note");
	ok(note && strncmp(note, "chobo-payload/1 " ISSUER "\n", strlen(ISSUER) + 17) == 0,
	   "its first line names the format and the issuer (with a space no checkpoint has)");
	free(note);

	/* Open validity. */
	struct payload open = p;
	open.not_before = open.not_after = PAYLOAD_NO_TIME;
	char *so;
	ok(payload_encode(&open, &issuer_key, &so, &e) == 0 &&
	   payload_decode(so, strlen(so), &trust, &q, &id, why, sizeof why) == PAYLOAD_VALID &&
	   q.not_before == PAYLOAD_NO_TIME && q.not_after == PAYLOAD_NO_TIME &&
	   payload_validity(&q, 0) == 0, "a payload without validity dates is valid at any time");
	free(so);

	/* The largest payloads fit, one more field does not. */
	struct payload big = p;
	big.nfields = 0;
	char value[PAYLOAD_MAX_FIELD_VALUE + 1];
	memset(value, 'x', 60);
	value[60] = '\0';
	char name[8];
	int rc = 0;
	for (int i = 0; rc == 0 && i < PAYLOAD_MAX_FIELDS; i++) {
		snprintf(name, sizeof name, "f%d", i);
		randombytes_buf(value, 30);
		for (int k = 0; k < 30; k++)
			value[k] = "0123456789abcdef"[value[k] & 15];
		payload_add_field(&big, name, value);
		char *t = NULL;
		rc = payload_encode(&big, &issuer_key, &t, &e);
		free(t);
	}
	ok(rc == EX_DATAERR && strstr(e.msg, "version 12"), "a payload over 296 characters is refused: %s", e.msg);

	/* Bad input to the encoder. */
	struct payload bad = p;
	snprintf(bad.issuer, sizeof bad.issuer, "has space");
	ok(payload_encode(&bad, &issuer_key, &so, &e) == EX_DATAERR, "an issuer with a space is refused");
	bad = p;
	ok(payload_encode(&bad, &other_key, &so, &e) == 0, "(another key of the same name signs)");
	expect(so, PAYLOAD_UNKNOWN_ISSUER, "a payload signed by a key not trusted");
	ok(payload_decode(so, strlen(so), &trust, &q, &id, why, sizeof why) == PAYLOAD_UNKNOWN_ISSUER &&
	   id == other_key.pub.id && strcmp(q.kind, "doc.attest") == 0 && q.nfields == 1,
	   "... which still says its key ID and what it claims");
	free(so);
	bad = p;
	bad.not_after = bad.not_before - 1;
	ok(payload_encode(&bad, &issuer_key, &so, &e) == EX_DATAERR, "not-after before not-before is refused");
	ok(!payload_add_field(&bad, "Name", "x") && !payload_add_field(&bad, "x", "a\nb") &&
	   !payload_add_field(&bad, "sha256", "again") && !payload_add_field(&bad, "x", ""),
	   "field names, control characters, repeats and empty values are refused");

	/* Every way a payload is refused. */
	char *t = xstrdup(s);
	t[20] = t[20] == 'A' ? 'B' : 'A';
	expect(t, strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", t[20]) ? PAYLOAD_BAD_FORMAT : PAYLOAD_BAD_FORMAT,
	       "one base45 character changed");
	free(t);
	t = xstrdup(s);
	t[0] = 'X';
	expect(t, PAYLOAD_BAD_FORMAT, "a bad prefix");
	free(t);
	expect("CHB1:", PAYLOAD_BAD_FORMAT, "an empty payload");
	expect("CHB1:aa", PAYLOAD_BAD_FORMAT, "lower case is not base45");
	expect("CHB1:GGW", PAYLOAD_BAD_FORMAT, "a base45 triplet over 65535");
	expect("CHB1:A", PAYLOAD_BAD_FORMAT, "a single trailing base45 character");
	char *longer = xmalloc(PAYLOAD_MAX_CHARS + 8);
	memset(longer, 'A', PAYLOAD_MAX_CHARS + 3);
	memcpy(longer, "CHB1:", 5);
	longer[PAYLOAD_MAX_CHARS + 3] = '\0';
	expect(longer, PAYLOAD_BAD_FORMAT, "a payload longer than 296 characters");
	free(longer);

	uint8_t content[2048];
	size_t clen = content_of(s, content, sizeof content);
	ok(clen > 68, "(the content of a good payload reads back: %zu bytes)", clen);
	content[clen - 2] ^= 0x01;
	t = repack(content, clen, 9);
	expect(t, PAYLOAD_BAD_SIGNATURE, "a flipped bit inside the compressed content, re-encoded");
	free(t);
	content[clen - 2] ^= 0x01;
	content[30] ^= 0x80;
	t = repack(content, clen, 9);
	expect(t, PAYLOAD_BAD_SIGNATURE, "a flipped bit in the signature, re-encoded");
	free(t);
	content[30] ^= 0x80;
	content[0] ^= 0x01;
	t = repack(content, clen, 9);
	expect(t, PAYLOAD_UNKNOWN_ISSUER, "a flipped bit in the key ID, re-encoded");
	free(t);
	content[0] ^= 0x01;
	t = repack(content, clen, 1);
	expect(t, PAYLOAD_VALID, "the same content compressed otherwise is the same payload");
	free(t);

	/* zlib: trailing bytes, a cut stream, a bomb. */
	uint8_t packed[1024];
	size_t got;
	b45_decode(s + 5, strlen(s) - 5, packed, sizeof packed, &got, why, sizeof why);
	packed[got++] = 0;
	char *b45 = b45_encode(packed, got);
	t = xmalloc(strlen(b45) + 8);
	sprintf(t, "CHB1:%s", b45);
	expect(t, PAYLOAD_BAD_FORMAT, "a byte after the zlib stream");
	free(t);
	free(b45);
	b45 = b45_encode(packed, got - 10);
	t = xmalloc(strlen(b45) + 8);
	sprintf(t, "CHB1:%s", b45);
	expect(t, PAYLOAD_BAD_FORMAT, "a zlib stream cut short");
	free(t);
	free(b45);
	uint8_t *zeros = xcalloc(100000, 1);
	t = repack(zeros, 100000, 9);
	diag("100,000 zeros compress into a payload of %zu characters", strlen(t));
	expect(strlen(t) <= PAYLOAD_MAX_CHARS ? t : NULL, PAYLOAD_BAD_FORMAT, "a zlib bomb (100,000 bytes of zeros)");
	free(t);
	free(zeros);

	/* Signed, but not in the one canonical form. */
	static const char *const texts[] = {
		"chobo-payload/1 " ISSUER "\ndoc.attest 01 - -\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1  - -\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 - - extra\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 2026-12-01T00:00:00Z -\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 2026-12-1 -\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 2026-02-30 -\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 - -\nsha256=a\nsha256=b\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 - -\nno equals sign\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 - -\nx=1",

		"chobo-payload/1 " ISSUER "\nDoc.Attest 1 - -\n",
		"chobo-payload/1 " ISSUER "\ndoc.attest 1 2027-01-01 2026-01-01\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		t = signed_text(texts[i], &issuer_key);
		expect(t, PAYLOAD_BAD_FORMAT, "a signed text not in canonical form");
		free(t);
	}
	t = signed_text("chobo-payload/1 " ISSUER "\ndoc.attest 1 - -\nx=1\n", &issuer_key);
	expect(t, PAYLOAD_VALID, "(the canonical form of the same signed the same way is valid)");
	free(t);

	free(s);
	note_signer_clear(&issuer_key);
	note_signer_clear(&other_key);
	return done();
}
