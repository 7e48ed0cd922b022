#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "codec.h"
#include "receipt.h"

static bool fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

static bool is_string(const struct json_doc *d, long t)
{
	return t >= 0 && d->tok[t].kind == JSON_K_STRING;
}

/* A non-negative integer below CHOBO_MAX_TREE_SIZE. */
static bool get_count(const struct json_doc *d, long t, uint64_t *out)
{
	int64_t v;
	if (t < 0 || !jscan_integer(d, (size_t)t, &v) || v < 0 || (uint64_t)v >= CHOBO_MAX_TREE_SIZE)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* 64 lowercase hex digits, written without escapes. */
static bool get_hash(const struct json_doc *d, long t, uint8_t out[32])
{
	if (!is_string(d, t) || d->tok[t].escaped || d->tok[t].end - d->tok[t].start != 64)
		return false;
	char s[65];
	memcpy(s, d->text + d->tok[t].start, 64);
	s[64] = '\0';
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return hex_decode(out, 32, s);
}

/* A string of at most max decoded bytes without NUL, newly allocated into *out. */
static bool get_text(const struct json_doc *d, long t, size_t max, char **out, size_t *len)
{
	bool has_nul;
	if (!is_string(d, t))
		return false;
	size_t n = jscan_string_bytes(d, (size_t)t, &has_nul);
	if (has_nul || n == 0 || n > max)
		return false;
	*out = xmalloc(n + 1);
	if (!jscan_string_copy(d, (size_t)t, *out, n + 1)) {
		free(*out);
		*out = NULL;
		return false;
	}
	*len = n;
	return true;
}

/* A string that fits in out[cap] without NUL. */
static bool get_name(const struct json_doc *d, long t, char *out, size_t cap)
{
	bool has_nul;
	return is_string(d, t) && jscan_string_bytes(d, (size_t)t, &has_nul) < cap && !has_nul &&
	       jscan_string_copy(d, (size_t)t, out, cap);
}

/* Read the entry's envelope {"log","index","time","type","body"} from r->entry. */
static bool parse_entry(struct receipt *r, char *err, size_t errlen)
{
	char why[160], time[64];
	struct json_doc *d = &r->doc;
	if (!json_scan(d, r->entry, r->entry_len, why, sizeof why))
		return fail(err, errlen, "the entry is not JSON: %s", why);
	/* A time set by CHOBO_NOW on a ledger for testing says so: "clock":"test" (entry.h). */
	long clock = jscan_find(d, 0, "clock");
	if (clock >= 0 && (!is_string(d, clock) || !jscan_string_equals(d, (size_t)clock, "test")))
		return fail(err, errlen, "the entry's clock is not \"test\"");
	if (d->tok[0].kind != JSON_K_OBJECT || d->tok[0].size != (clock >= 0 ? 6 : 5))
		return fail(err, errlen, "the entry is not an object of five members (six with a test clock)");
	long body = jscan_find(d, 0, "body");
	if (!get_name(d, jscan_find(d, 0, "log"), r->entry_log, sizeof r->entry_log) ||
	    !checkpoint_origin_valid(r->entry_log))
		return fail(err, errlen, "the entry's log is not an origin");
	if (!get_count(d, jscan_find(d, 0, "index"), &r->entry_index))
		return fail(err, errlen, "the entry's index is not a leaf index");
	if (!get_name(d, jscan_find(d, 0, "time"), time, sizeof time) || !time_parse(time, &r->entry_time))
		return fail(err, errlen, "the entry's time is not an RFC 3339 time");
	if (!get_name(d, jscan_find(d, 0, "type"), r->entry_type, sizeof r->entry_type) || !r->entry_type[0])
		return fail(err, errlen, "the entry's type is not a type name");
	if (body < 0 || d->tok[body].kind != JSON_K_OBJECT)
		return fail(err, errlen, "the entry's body is not an object");
	r->body = (size_t)body;
	return true;
}

bool receipt_parse(const char *text, size_t len, struct receipt *out, char *err, size_t errlen)
{
	static const char *const members[] = {"log", "leaf_index", "tree_size", "leaf_hash", "root_hash",
					      "hashes", "checkpoint", "entry"};
	const size_t nmembers = sizeof members / sizeof members[0];
	struct json_doc d = {0};
	char why[160];
	bool ok = false;
	memset(out, 0, sizeof *out);
	if (len > RECEIPT_MAX_BYTES)
		return fail(err, errlen, "a receipt is at most %u bytes", RECEIPT_MAX_BYTES);
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (!json_scan(&d, text, len, why, sizeof why)) {
		fail(err, errlen, "not JSON: %s", why);
		goto out;
	}
	if (d.tok[0].kind != JSON_K_OBJECT || d.tok[0].size != nmembers) {
		fail(err, errlen, "not an object of the %zu receipt members", nmembers);
		goto out;
	}
	long t[8];
	for (size_t i = 0; i < nmembers; i++)
		if ((t[i] = jscan_find(&d, 0, members[i])) < 0) {
			fail(err, errlen, "no \"%s\"", members[i]);
			goto out;
		}
	if (!get_name(&d, t[0], out->log, sizeof out->log) || !checkpoint_origin_valid(out->log)) {
		fail(err, errlen, "\"log\" is not an origin");
		goto out;
	}
	if (!get_count(&d, t[1], &out->leaf_index) || !get_count(&d, t[2], &out->tree_size)) {
		fail(err, errlen, "\"leaf_index\" and \"tree_size\" must be integers from 0 to 2^48");
		goto out;
	}
	if (!get_hash(&d, t[3], out->leaf_hash) || !get_hash(&d, t[4], out->root_hash)) {
		fail(err, errlen, "\"leaf_hash\" and \"root_hash\" must be 64 lowercase hex digits");
		goto out;
	}
	if (d.tok[t[5]].kind != JSON_K_ARRAY || d.tok[t[5]].size > MERKLE_MAX_PROOF) {
		fail(err, errlen, "\"hashes\" must be an array of at most %d hashes", MERKLE_MAX_PROOF);
		goto out;
	}
	for (size_t i = 0, h = (size_t)t[5] + 1; i < d.tok[t[5]].size; i++, h = d.tok[h].next)
		if (!get_hash(&d, (long)h, out->hashes[i])) {
			fail(err, errlen, "\"hashes\"[%zu] is not 64 lowercase hex digits", i);
			goto out;
		}
	out->nhashes = d.tok[t[5]].size;
	if (!get_text(&d, t[6], CHOBO_MAX_NOTE, &out->checkpoint, &out->checkpoint_len)) {
		fail(err, errlen, "\"checkpoint\" must be a note of 1 to %d bytes without NUL", CHOBO_MAX_NOTE);
		goto out;
	}
	if (!get_text(&d, t[7], CHOBO_MAX_ENTRY, &out->entry, &out->entry_len)) {
		fail(err, errlen, "\"entry\" must be an entry of 1 to %d bytes without NUL", CHOBO_MAX_ENTRY);
		goto out;
	}
	ok = parse_entry(out, err, errlen);
out:
	json_doc_free(&d);
	return ok;
}

void receipt_free(struct receipt *r)
{
	free(r->checkpoint);
	free(r->entry);
	json_doc_free(&r->doc);
	r->checkpoint = r->entry = NULL;
}

enum receipt_problem receipt_verify(const struct receipt *r, const struct trust *trust,
				    size_t *cosigned, char *why, size_t whylen)
{
	uint8_t leaf[32];
	if (cosigned)
		*cosigned = 0;
	bool log_key = false;
	for (size_t i = 0; i < trust->n; i++)
		if (trust->keys[i].type == NOTE_TYPE_ED25519 && strcmp(trust->keys[i].name, r->log) == 0)
			log_key = true;
	if (!log_key) {
		fail(why, whylen, "no trusted key of the log %s", r->log);
		return RECEIPT_UNKNOWN_LOG;
	}
	merkle_leaf_hash(leaf, r->entry, r->entry_len);
	if (memcmp(leaf, r->leaf_hash, 32) != 0) {
		fail(why, whylen, "the leaf hash is not the entry's");
		return RECEIPT_BAD;
	}
	if (strcmp(r->entry_log, r->log) != 0 || r->entry_index != r->leaf_index) {
		fail(why, whylen, "the entry is %s %llu, the receipt is for %s %llu", r->entry_log,
		     (unsigned long long)r->entry_index, r->log, (unsigned long long)r->leaf_index);
		return RECEIPT_BAD;
	}
	if (!merkle_verify_inclusion(r->leaf_index, r->tree_size, r->leaf_hash,
				     (const uint8_t (*)[32])r->hashes, r->nhashes, r->root_hash)) {
		fail(why, whylen, "the inclusion proof does not lead to the root hash");
		return RECEIPT_BAD;
	}
	struct checkpoint cp;
	const char *reason;
	bool *verified = xcalloc(trust->n ? trust->n : 1, sizeof *verified);
	enum receipt_problem rc = RECEIPT_VALID;
	if (!checkpoint_verify(r->checkpoint, r->checkpoint_len, trust->keys, trust->n, &cp, verified, &reason)) {
		fail(why, whylen, "the checkpoint does not verify: %s", reason);
		rc = RECEIPT_BAD;
	} else if (strcmp(cp.origin, r->log) != 0 || cp.size != r->tree_size ||
		   memcmp(cp.root, r->root_hash, 32) != 0) {
		fail(why, whylen, "the checkpoint is not of %s at size %llu with that root", r->log,
		     (unsigned long long)r->tree_size);
		rc = RECEIPT_BAD;
	} else if (cosigned) {
		for (size_t i = 0; i < trust->n; i++)
			if (verified[i] && trust->keys[i].type == NOTE_TYPE_COSIGNATURE)
				(*cosigned)++;
	}
	free(verified);
	return rc;
}

bool receipt_body_field(const struct receipt *r, const char *name, char *out, size_t cap)
{
	long v = jscan_find(&r->doc, r->body, name);
	if (v < 0)
		return false;
	const struct json_token *t = &r->doc.tok[v];
	if (t->kind == JSON_K_STRING)
		return get_name(&r->doc, v, out, cap);
	if (t->kind != JSON_K_NUMBER || t->end - t->start >= cap)
		return false;
	memcpy(out, r->doc.text + t->start, t->end - t->start);
	out[t->end - t->start] = '\0';
	return true;
}

bool receipt_matches_payload(const struct receipt *r, const struct payload *p, char *why, size_t whylen)
{
	char value[PAYLOAD_MAX_FIELD_VALUE + 1];
	if (strcmp(r->entry_log, p->issuer) != 0 || r->entry_index != p->index)
		return fail(why, whylen, "the entry is %s %llu, the payload names %s %llu", r->entry_log,
			    (unsigned long long)r->entry_index, p->issuer, (unsigned long long)p->index);
	if (strcmp(r->entry_type, p->kind) != 0)
		return fail(why, whylen, "the entry is a %s, the payload a %s", r->entry_type, p->kind);
	for (size_t i = 0; i < p->nfields; i++) {
		const struct payload_field *f = &p->fields[i];
		if (!receipt_body_field(r, f->name, value, sizeof value))
			return fail(why, whylen, "the entry has no field %s that the payload could carry", f->name);
		if (strcmp(value, f->value) != 0)
			return fail(why, whylen, "the entry's %s is not the payload's", f->name);
	}
	return true;
}
