/*
 * The text is rebuilt from what was parsed and must equal what was signed,
 * byte for byte: there is exactly one encoding of each payload's text.  The
 * compressed form is not unique (another zlib level gives other bytes of
 * the same content), so a payload string is never used as an identity: the
 * issuer and index are.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "codec.h"
#include "jp_date.h"
#include "payload.h"

#define TEXT_HEAD "chobo-payload/1 "
#define SIG_BYTES (4 + 64)
#define MAX_TEXT (PAYLOAD_MAX_CONTENT - SIG_BYTES)

static bool kind_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= PAYLOAD_MAX_KIND && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool field_name_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= PAYLOAD_MAX_FIELD_NAME && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* UTF-8 without control characters (so without newlines), not empty. */
static bool field_value_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PAYLOAD_MAX_FIELD_VALUE || !utf8_valid((const uint8_t *)s, n))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool payload_add_field(struct payload *p, const char *name, const char *value)
{
	if (p->nfields == PAYLOAD_MAX_FIELDS || !field_name_valid(name) || !field_value_valid(value) ||
	    payload_field(p, name))
		return false;
	snprintf(p->fields[p->nfields].name, sizeof p->fields[0].name, "%s", name);
	snprintf(p->fields[p->nfields].value, sizeof p->fields[0].value, "%s", value);
	p->nfields++;
	return true;
}

const char *payload_field(const struct payload *p, const char *name)
{
	for (size_t i = 0; i < p->nfields; i++)
		if (strcmp(p->fields[i].name, name) == 0)
			return p->fields[i].value;
	return NULL;
}

/* A validity bound as its day in Japan, or "-". */
static void put_day(char out[21], int64_t t)
{
	if (t == PAYLOAD_NO_TIME) {
		snprintf(out, 21, "-");
		return;
	}
	jp_date_format(out, jp_day_of(t));
}

/* The signed text of p into buf[MAX_TEXT + 1]; its length, or 0 with a reason when p is not well-formed. */
static size_t payload_text(const struct payload *p, char *buf, char *why, size_t whylen)
{
	char nb[21], na[21];
	if (!note_name_valid(p->issuer) || strchr(p->issuer, ' ')) {
		snprintf(why, whylen, "the issuer is not a log's origin");
		return 0;
	}
	if (!kind_valid(p->kind)) {
		snprintf(why, whylen, "the kind is not an entry type's name");
		return 0;
	}
	if (p->not_before != PAYLOAD_NO_TIME && p->not_after != PAYLOAD_NO_TIME && p->not_after < p->not_before) {
		snprintf(why, whylen, "not-after is earlier than not-before");
		return 0;
	}
	put_day(nb, p->not_before);
	put_day(na, p->not_after);
	int n = snprintf(buf, MAX_TEXT + 1, TEXT_HEAD "%s\n%s %llu %s %s\n", p->issuer, p->kind,
			 (unsigned long long)p->index, nb, na);
	for (size_t i = 0; i < p->nfields && n > 0 && n <= MAX_TEXT; i++) {
		const struct payload_field *f = &p->fields[i];
		if (!field_name_valid(f->name) || !field_value_valid(f->value)) {
			snprintf(why, whylen, "field %zu is not name=value", i + 1);
			return 0;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->fields[k].name, f->name) == 0) {
				snprintf(why, whylen, "field %s is given twice", f->name);
				return 0;
			}
		n += snprintf(buf + n, MAX_TEXT + 1 - (size_t)n, "%s=%s\n", f->name, f->value);
	}
	if (n <= 0 || n > MAX_TEXT) {
		snprintf(why, whylen, "the payload's text is longer than %d bytes", MAX_TEXT);
		return 0;
	}
	return (size_t)n;
}

int payload_encode(const struct payload *p, const struct note_signer *key, char **out,
		   struct chobo_error *err)
{
	char text[MAX_TEXT + 1], why[128];
	uint8_t content[PAYLOAD_MAX_CONTENT], packed[PAYLOAD_MAX_CONTENT + 64];
	*out = NULL;
	size_t tlen = payload_text(p, text, why, sizeof why);
	if (tlen == 0)
		return chobo_fail(err, EX_DATAERR, "payload: %s", why);
	if (key->pub.type != NOTE_TYPE_ED25519 || strcmp(key->pub.name, p->issuer) != 0)
		return chobo_fail(err, EX_SOFTWARE, "payload: the key is not the log key of %s", p->issuer);
	/* The signature as a signed note's line has it: key ID, then the Ed25519 signature. */
	char *line = note_signature_line(key, text, tlen);
	const char *b64 = strrchr(line, ' ') + 1;
	long n = b64_decode(b64, strlen(b64) - 1, content, SIG_BYTES);
	free(line);
	if (n != SIG_BYTES)
		return chobo_fail(err, EX_SOFTWARE, "payload: cannot read back the signature");
	/* The issuer's line is not carried: the key ID names the issuer. */
	size_t head = strchr(text, '\n') + 1 - text;
	memcpy(content + SIG_BYTES, text + head, tlen - head);
	uLongf plen = sizeof packed;
	if (compress2(packed, &plen, content, SIG_BYTES + tlen - head, 9) != Z_OK)
		return chobo_fail(err, EX_SOFTWARE, "payload: compression failed");
	size_t chars = strlen(PAYLOAD_PREFIX) + b45_encoded_len(plen);
	if (chars > PAYLOAD_MAX_CHARS)
		return chobo_fail(err, EX_DATAERR,
				  "payload: %zu characters, more than the %d a QR code of version 12 holds at "
				  "level Q; carry fewer or shorter fields", chars, PAYLOAD_MAX_CHARS);
	char *b45 = b45_encode(packed, plen);
	*out = xmalloc(chars + 1);
	snprintf(*out, chars + 1, "%s%s", PAYLOAD_PREFIX, b45);
	free(b45);
	return 0;
}

/* Inflate exactly one zlib stream that uses all of in, into at most cap bytes; the length, or -1. */
static long inflate_bounded(const uint8_t *in, size_t len, uint8_t *out, size_t cap, const char **why)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK) {
		*why = "cannot start decompression";
		return -1;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int zr = inflate(&z, Z_FINISH);
	long got = (long)(cap - z.avail_out);
	bool rest = z.avail_in > 0;
	inflateEnd(&z);
	if (zr == Z_STREAM_END && !rest)
		return got;
	*why = zr == Z_STREAM_END ? "bytes after the compressed content"
	     : zr == Z_BUF_ERROR && z.avail_out == 0 ? "the content inflates beyond its bound"
	     : "the compressed content is damaged or cut short";
	return -1;
}

/* The next line of text (without its '\n') into line[cap]; false at the end or when too long. */
static bool next_line(const char **p, const char *end, char *line, size_t cap)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl || (size_t)(nl - *p) >= cap)
		return false;
	memcpy(line, *p, (size_t)(nl - *p));
	line[nl - *p] = '\0';
	*p = nl + 1;
	return true;
}

/* A day in Japan "YYYY-MM-DD" as its first second (or its last, with end), or "-". */
static bool parse_day(const char *s, bool end, int64_t *out)
{
	int64_t day;
	if (strcmp(s, "-") == 0) {
		*out = PAYLOAD_NO_TIME;
		return true;
	}
	if (!jp_date_parse(s, &day))
		return false;
	*out = payload_day_start(day) + (end ? 86399 : 0);
	return true;
}

/* Parse the signed text into p; false with a reason. */
static bool parse_text(const char *text, size_t len, struct payload *p, char *why, size_t whylen)
{
	const char *cur = text, *end = text + len;
	char line[NOTE_MAX_NAME + PAYLOAD_MAX_FIELD_VALUE + 64];
	char kind[PAYLOAD_MAX_KIND + 2], index[24], nb[24], na[24];
	if (!utf8_valid((const uint8_t *)text, len) || !next_line(&cur, end, line, sizeof line) ||
	    strncmp(line, TEXT_HEAD, strlen(TEXT_HEAD)) != 0 || strlen(line + strlen(TEXT_HEAD)) > NOTE_MAX_NAME) {
		snprintf(why, whylen, "not a chobo-payload/1 text");
		return false;
	}
	memcpy(p->issuer, line + strlen(TEXT_HEAD), strlen(line + strlen(TEXT_HEAD)) + 1);
	if (!next_line(&cur, end, line, sizeof line) ||
	    sscanf(line, "%65s %23s %23s %23s", kind, index, nb, na) != 4 ||
	    strlen(kind) > PAYLOAD_MAX_KIND || !parse_u64(index, &p->index) || !parse_day(nb, false, &p->not_before) ||
	    !parse_day(na, true, &p->not_after)) {
		snprintf(why, whylen, "malformed kind, index or validity line");
		return false;
	}
	memcpy(p->kind, kind, strlen(kind) + 1);   /* no longer than PAYLOAD_MAX_KIND: checked above */
	while (cur < end) {
		char *eq;
		if (!next_line(&cur, end, line, sizeof line) || !(eq = strchr(line, '='))) {
			snprintf(why, whylen, "malformed field line");
			return false;
		}
		*eq = '\0';
		if (!payload_add_field(p, line, eq + 1)) {
			snprintf(why, whylen, "field %.32s is malformed, repeated or one too many", line);
			return false;
		}
	}
	/* One encoding only: what was signed must be what these values print. */
	char again[MAX_TEXT + 1];
	size_t alen = payload_text(p, again, why, whylen);
	if (alen == 0)
		return false;
	if (alen != len || memcmp(again, text, len) != 0) {
		snprintf(why, whylen, "the text is not in its one canonical form");
		return false;
	}
	return true;
}

/* Base45 text to the signed content; its length, or -1 with a reason. */
static long unpack(const char *s, size_t len, uint8_t content[PAYLOAD_MAX_CONTENT], char *why, size_t whylen)
{
	size_t plen = strlen(PAYLOAD_PREFIX);
	uint8_t packed[PAYLOAD_MAX_CHARS];
	size_t got;
	const char *zwhy = "";
	if (len > PAYLOAD_MAX_CHARS) {
		snprintf(why, whylen, "longer than %d characters", PAYLOAD_MAX_CHARS);
		return -1;
	}
	if (len < plen || memcmp(s, PAYLOAD_PREFIX, plen) != 0) {
		snprintf(why, whylen, "does not start with %s", PAYLOAD_PREFIX);
		return -1;
	}
	char b45why[128];
	if (!b45_decode(s + plen, len - plen, packed, sizeof packed, &got, b45why, sizeof b45why)) {
		snprintf(why, whylen, "bad base45: %s", b45why);
		return -1;
	}
	long n = inflate_bounded(packed, got, content, PAYLOAD_MAX_CONTENT, &zwhy);
	if (n < 0) {
		snprintf(why, whylen, "%s", zwhy);
		return -1;
	}
	if (n <= SIG_BYTES) {
		snprintf(why, whylen, "too short to hold a signature");
		return -1;
	}
	return n;
}

/*
 * The signed text for issuer (head line and body) into text[MAX_TEXT + 1],
 * parsed into p; its length, or 0 with a reason when the body is malformed.
 */
static size_t issuer_text(const char *issuer, const uint8_t *body, size_t blen, char *text,
			  struct payload *p, char *why, size_t whylen)
{
	int h = snprintf(text, MAX_TEXT + 1, TEXT_HEAD "%s\n", issuer);
	if (h <= 0 || (size_t)h + blen > MAX_TEXT) {
		snprintf(why, whylen, "the payload's text is too long");
		return 0;
	}
	memcpy(text + h, body, blen);
	text[h + blen] = '\0';
	memset(p, 0, sizeof *p);
	return parse_text(text, (size_t)h + blen, p, why, whylen) ? (size_t)h + blen : 0;
}

/* The note of text signed with sig (key ID || signature) by issuer; newly allocated. */
static char *make_note(const char *text, size_t tlen, const char *issuer, const uint8_t *sig)
{
	char *b64 = b64_encode(sig, SIG_BYTES);
	size_t size = tlen + strlen(issuer) + strlen(b64) + 16;
	char *note = xmalloc(size);
	snprintf(note, size, "%.*s\n\u2014 %s %s\n", (int)tlen, text, issuer, b64);
	free(b64);
	return note;
}

/*
 * A volunteer certificate is valid for the fiscal year its fy field names:
 * one printed before payload days were JST days has a not-after a day short
 * of the year's last day (then the last UTC day ending by March 31, 24:00
 * JST); widen it.  Any other payload is left as it is.
 */
static void volunteer_fy(struct payload *p)
{
	const char *fy = payload_field(p, "fy");
	uint64_t y;
	if (strcmp(p->kind, "volunteer.certificate") != 0 || !fy || !parse_u64(fy, &y) || y < 1970 || y > 9998 ||
	    p->not_before != payload_day_start(jp_fiscal_year_start((int32_t)y)))
		return;
	int64_t last = payload_day_start(jp_fiscal_year_start((int32_t)y + 1) - 1);
	/* Certificates issued before the days were read in Japan end a day early. */
	if (p->not_after == last - 1)
		p->not_after = last + 86399;
}

/*
 * Decode and verify; on PAYLOAD_VALID the note in *note (newly allocated)
 * when note is not NULL.
 */
static enum payload_problem decode(const char *s, size_t len, const struct trust *trust, struct payload *out,
				   uint32_t *key_id, char **note, char *why, size_t whylen)
{
	uint8_t content[PAYLOAD_MAX_CONTENT];
	char text[MAX_TEXT + 1];
	memset(out, 0, sizeof *out);
	*key_id = 0;
	long n = unpack(s, len, content, why, whylen);
	if (n < 0)
		return PAYLOAD_BAD_FORMAT;
	const uint8_t *body = content + SIG_BYTES;
	size_t blen = (size_t)n - SIG_BYTES;
	*key_id = get_be32(content);
	const struct note_verifier *issuer = NULL;
	for (size_t k = 0; k < trust->n; k++) {
		const struct note_verifier *v = &trust->keys[k];
		if (v->type != NOTE_TYPE_ED25519 || v->id != *key_id || strchr(v->name, ' '))
			continue;
		size_t tlen = issuer_text(v->name, body, blen, text, out, why, whylen);
		if (tlen == 0)
			return PAYLOAD_BAD_FORMAT;
		issuer = v;
		char *signed_note = make_note(text, tlen, v->name, content);
		bool verified = false;
		const char *vwhy;
		if (note_verify(signed_note, strlen(signed_note), v, 1, &verified, NULL, &vwhy) && verified) {
			if (note)
				*note = signed_note;
			else
				free(signed_note);
			volunteer_fy(out);
			return PAYLOAD_VALID;
		}
		free(signed_note);
	}
	if (issuer) {
		snprintf(why, whylen, "the signature of %s does not verify", issuer->name);
		return PAYLOAD_BAD_SIGNATURE;
	}
	/* Read the body all the same, so that a verdict can say what the payload claims. */
	struct payload shown;
	if (issuer_text("unknown", body, blen, text, &shown, why, whylen) == 0)
		return PAYLOAD_BAD_FORMAT;
	*out = shown;
	out->issuer[0] = '\0';
	snprintf(why, whylen, "no trusted log key has the key ID %08x", (unsigned)*key_id);
	return PAYLOAD_UNKNOWN_ISSUER;
}

enum payload_problem payload_decode(const char *s, size_t len, const struct trust *trust,
				    struct payload *out, uint32_t *key_id, char *why, size_t whylen)
{
	return decode(s, len, trust, out, key_id, NULL, why, whylen);
}

char *payload_note(const char *s, size_t len, const struct trust *trust)
{
	struct payload p;
	uint32_t id;
	char why[128], *note = NULL;
	return decode(s, len, trust, &p, &id, &note, why, sizeof why) == PAYLOAD_VALID ? note : NULL;
}

int payload_validity(const struct payload *p, int64_t t)
{
	if (p->not_before != PAYLOAD_NO_TIME && t < p->not_before)
		return -1;
	if (p->not_after != PAYLOAD_NO_TIME && t > p->not_after)
		return 1;
	return 0;
}

/* The kinds chobo issues (chobo-ledger(5)): the entry types that payloads name. */
static const struct {
	const char *kind, *summary;
} kinds[] = {
	{"doc.attest", "an attested document (cert-attest)"},
	{"supply.shipment", "a relief supply box label (supply-label)"},
	{"volunteer.certificate", "a volunteer registration certificate (volunteer-issue certify)"},
};

const char *payload_kind_summary(const char *kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].summary;
	return NULL;
}

int64_t payload_day_start(int64_t day)
{
	return jp_day_start(day);
}

int64_t payload_last_day(int64_t t)
{
	/* The day that t + 1 falls in has not ended by t; the one before it has. */
	return payload_day_start(jp_day_of(t + 1) - 1);
}

