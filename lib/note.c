#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "codec.h"
#include "note.h"
#include "util.h"

static const char em_dash[] = "\xe2\x80\x94 ";

static bool unicode_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static bool name_valid_n(const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;
	if (len == 0 || len > NOTE_MAX_NAME)
		return false;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = utf8_decode(p + i, len - i, &c);
		if (n == 0 || c < 0x20 || c == 0x7f || c == '+' || unicode_space(c))
			return false;
		i += n;
	}
	return true;
}

bool note_name_valid(const char *name)
{
	return name_valid_n(name, strlen(name));
}

uint32_t note_key_id(const char *name, uint8_t type, const uint8_t pub[32])
{
	crypto_hash_sha256_state st;
	uint8_t h[32], sep = '\n';
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, &sep, 1);
	crypto_hash_sha256_update(&st, &type, 1);
	crypto_hash_sha256_update(&st, pub, 32);
	crypto_hash_sha256_final(&st, h);
	return get_be32(h);
}

static bool parse_hex8(const char *s, size_t len, uint32_t *out)
{
	uint8_t b[4];
	char tmp[9];
	if (len != 8)
		return false;
	memcpy(tmp, s, 8);
	tmp[8] = '\0';
	if (!hex_decode(b, 4, tmp))
		return false;
	*out = get_be32(b);
	return true;
}

bool note_vkey_parse(const char *s, struct note_verifier *out, const char **why)
{
	const char *p1 = strchr(s, '+');
	const char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
	uint8_t raw[64];
	memset(out, 0, sizeof *out);
	if (!p2) {
		*why = "verifier key is not name+id+key";
		return false;
	}
	size_t nlen = (size_t)(p1 - s);
	if (!name_valid_n(s, nlen)) {
		*why = "verifier key has an invalid name";
		return false;
	}
	memcpy(out->name, s, nlen);
	out->name[nlen] = '\0';
	if (!parse_hex8(p1 + 1, (size_t)(p2 - p1 - 1), &out->id)) {
		*why = "verifier key has a malformed key ID";
		return false;
	}
	long n = b64_decode(p2 + 1, strlen(p2 + 1), raw, sizeof raw);
	if (n != 33 || (raw[0] != NOTE_TYPE_ED25519 && raw[0] != NOTE_TYPE_COSIGNATURE)) {
		*why = "verifier key is not an Ed25519 key (type 0x01 or 0x04)";
		return false;
	}
	out->type = raw[0];
	memcpy(out->pub, raw + 1, 32);
	if (note_key_id(out->name, out->type, out->pub) != out->id) {
		*why = "verifier key ID does not match its name and key";
		return false;
	}
	return true;
}

char *note_vkey_format(const struct note_verifier *v)
{
	uint8_t raw[33];
	raw[0] = v->type;
	memcpy(raw + 1, v->pub, 32);
	char *b64 = b64_encode(raw, sizeof raw);
	size_t n = strlen(v->name) + strlen(b64) + 12;
	char *out = xmalloc(n);
	snprintf(out, n, "%s+%08x+%s", v->name, (unsigned)v->id, b64);
	free(b64);
	return out;
}

static void signer_from_seed(struct note_signer *s, const char *name, uint8_t type)
{
	crypto_sign_seed_keypair(s->pub.pub, s->sk, s->seed);
	snprintf(s->pub.name, sizeof s->pub.name, "%s", name);
	s->pub.type = type;
	s->pub.id = note_key_id(name, type, s->pub.pub);
}

bool note_signer_generate(const char *name, uint8_t type, struct note_signer *out)
{
	memset(out, 0, sizeof *out);
	if (!note_name_valid(name))
		return false;
	randombytes_buf(out->seed, sizeof out->seed);
	signer_from_seed(out, name, type);
	return true;
}

bool note_skey_parse(const char *s, struct note_signer *out, const char **why)
{
	static const char prefix[] = "PRIVATE+KEY+";
	uint8_t raw[64];
	memset(out, 0, sizeof *out);
	*why = "secret key is not PRIVATE+KEY+name+id+key";
	if (strncmp(s, prefix, sizeof prefix - 1) != 0)
		return false;
	s += sizeof prefix - 1;
	const char *p1 = strchr(s, '+');
	const char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
	if (!p2)
		return false;
	size_t nlen = (size_t)(p1 - s);
	char name[NOTE_MAX_NAME + 1];
	uint32_t id;
	if (!name_valid_n(s, nlen) || !parse_hex8(p1 + 1, (size_t)(p2 - p1 - 1), &id))
		return false;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	size_t blen = strcspn(p2 + 1, "\n");
	long n = b64_decode(p2 + 1, blen, raw, sizeof raw);
	if (n != 33 || (raw[0] != NOTE_TYPE_ED25519 && raw[0] != NOTE_TYPE_COSIGNATURE) ||
	    strspn(p2 + 1 + blen, "\n") != strlen(p2 + 1 + blen)) {
		sodium_memzero(raw, sizeof raw);
		return false;
	}
	memcpy(out->seed, raw + 1, 32);
	signer_from_seed(out, name, raw[0]);
	sodium_memzero(raw, sizeof raw);
	if (out->pub.id != id) {
		note_signer_clear(out);
		*why = "secret key ID does not match its key";
		return false;
	}
	return true;
}

char *note_skey_format(const struct note_signer *s)
{
	uint8_t raw[33];
	raw[0] = s->pub.type;
	memcpy(raw + 1, s->seed, 32);
	char *b64 = b64_encode(raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	size_t n = strlen(s->pub.name) + strlen(b64) + 24;
	char *out = xmalloc(n);
	snprintf(out, n, "PRIVATE+KEY+%s+%08x+%s", s->pub.name, (unsigned)s->pub.id, b64);
	sodium_memzero(b64, strlen(b64));
	free(b64);
	return out;
}

void note_signer_clear(struct note_signer *s)
{
	/* Zeroes, and unlocks what key_load locked (harmless for memory never locked). */
	sodium_munlock(s, sizeof *s);
}

static char *sig_line(const char *name, const uint8_t *raw, size_t rawlen)
{
	char *b64 = b64_encode(raw, rawlen);
	size_t n = strlen(name) + strlen(b64) + 8;
	char *line = xmalloc(n);
	snprintf(line, n, "%s%s %s\n", em_dash, name, b64);
	free(b64);
	return line;
}

char *note_signature_line(const struct note_signer *s, const char *text, size_t len)
{
	uint8_t raw[4 + 64];
	put_be32(raw, s->pub.id);
	crypto_sign_detached(raw + 4, NULL, (const uint8_t *)text, len, s->sk);
	return sig_line(s->pub.name, raw, sizeof raw);
}

/* "cosignature/v1\ntime T\n" || text, newly allocated. */
static uint8_t *cosignature_message(const char *text, size_t len, uint64_t ts, size_t *mlen)
{
	char head[64];
	int h = snprintf(head, sizeof head, "cosignature/v1\ntime %llu\n", (unsigned long long)ts);
	uint8_t *msg = xmalloc((size_t)h + len);
	memcpy(msg, head, (size_t)h);
	memcpy(msg + h, text, len);
	*mlen = (size_t)h + len;
	return msg;
}

char *note_cosignature_line(const struct note_signer *s, const char *text, size_t len,
			    uint64_t timestamp)
{
	uint8_t raw[4 + 8 + 64];
	size_t mlen;
	uint8_t *msg = cosignature_message(text, len, timestamp, &mlen);
	put_be32(raw, s->pub.id);
	put_be64(raw + 4, timestamp);
	crypto_sign_detached(raw + 12, NULL, msg, mlen, s->sk);
	free(msg);
	return sig_line(s->pub.name, raw, sizeof raw);
}

bool note_split(const char *msg, size_t len, struct note_parts *out, const char **why)
{
	const uint8_t *m = (const uint8_t *)msg;
	memset(out, 0, sizeof *out);
	if (len > CHOBO_MAX_NOTE) {
		*why = "note too large";
		return false;
	}
	if (!utf8_valid(m, len)) {
		*why = "note is not valid UTF-8";
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (m[i] < 0x20 && m[i] != '\n') {
			*why = "note contains a control character";
			return false;
		}
	}
	size_t split = len;
	for (size_t i = len; i >= 2; i--) {
		if (m[i - 1] == '\n' && m[i - 2] == '\n') {
			split = i - 2;
			break;
		}
	}
	if (split == len) {
		*why = "note has no signatures";
		return false;
	}
	out->text = msg;
	out->text_len = split + 1;
	out->sigs = msg + split + 2;
	out->sigs_len = len - split - 2;
	if (out->sigs_len == 0 || msg[len - 1] != '\n') {
		*why = out->sigs_len == 0 ? "note has no signatures" : "note does not end in a newline";
		return false;
	}
	for (const char *p = out->sigs, *end = msg + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)(nl - p);
		const char *sp;
		if (ll < sizeof em_dash || memcmp(p, em_dash, sizeof em_dash - 1) != 0 ||
		    !(sp = memchr(p + 4, ' ', ll - 4)) ||
		    !name_valid_n(p + 4, (size_t)(sp - p - 4)) || sp + 1 >= nl) {
			*why = "malformed signature line";
			return false;
		}
		if (++out->nsigs > NOTE_MAX_SIGNATURES) {
			*why = "too many signature lines";
			return false;
		}
		p = nl + 1;
	}
	return true;
}

bool note_verify(const char *msg, size_t len, const struct note_verifier *keys, size_t nkeys,
		 bool *verified, uint64_t *timestamps, const char **why)
{
	struct note_parts parts;
	for (size_t k = 0; k < nkeys; k++)
		verified[k] = false;
	if (!note_split(msg, len, &parts, why))
		return false;
	for (const char *p = parts.sigs, *end = msg + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *name = p + 4;
		const char *sp = memchr(name, ' ', (size_t)(nl - name));
		size_t nlen = (size_t)(sp - name);
		size_t blen = (size_t)(nl - sp - 1);
		uint8_t *raw = xmalloc(blen);
		long n = b64_decode(sp + 1, blen, raw, blen);
		p = nl + 1;
		if (n < 5) {
			free(raw);
			*why = "malformed signature";
			return false;
		}
		uint32_t id = get_be32(raw);
		for (size_t k = 0; k < nkeys; k++) {
			const struct note_verifier *v = &keys[k];
			if (v->id != id || strlen(v->name) != nlen || memcmp(v->name, name, nlen) != 0)
				continue;
			if (verified[k])
				break; /* repeated signature by the same key */
			bool ok;
			if (v->type == NOTE_TYPE_ED25519) {
				ok = n == 68 && crypto_sign_verify_detached(raw + 4,
						(const uint8_t *)parts.text, parts.text_len, v->pub) == 0;
			} else {
				uint64_t ts = n == 76 ? get_be64(raw + 4) : 0;
				size_t mlen;
				ok = n == 76 && ts <= (uint64_t)INT64_MAX;
				if (ok) {
					uint8_t *cm = cosignature_message(parts.text, parts.text_len, ts, &mlen);
					ok = crypto_sign_verify_detached(raw + 12, cm, mlen, v->pub) == 0;
					free(cm);
				}
				if (ok && timestamps)
					timestamps[k] = ts;
			}
			if (!ok) {
				free(raw);
				*why = "signature verification failed";
				return false;
			}
			verified[k] = true;
			break;
		}
		free(raw);
	}
	return true;
}

const char *note_find_signature(const char *msg, size_t len, const struct note_verifier *key,
				size_t *line_len)
{
	struct note_parts parts;
	const char *why;
	if (!note_split(msg, len, &parts, &why))
		return NULL;
	size_t nlen = strlen(key->name);
	for (const char *p = parts.sigs, *end = msg + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *name = p + 4, *sp = memchr(name, ' ', (size_t)(nl - name));
		uint8_t id[8];
		/* The key ID is the first four bytes: the first eight base64 characters give six. */
		if ((size_t)(sp - name) == nlen && memcmp(name, key->name, nlen) == 0 && nl - sp > 8 &&
		    b64_decode(sp + 1, 8, id, sizeof id) == 6 && get_be32(id) == key->id) {
			*line_len = (size_t)(nl - p) + 1;
			return p;
		}
		p = nl + 1;
	}
	return NULL;
}
