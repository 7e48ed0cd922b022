/*
 * lib/json_scan against jansson 2.14, the decoder it stands in for:
 * json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL).
 * For valid UTF-8 both must accept and refuse the same documents, and what
 * json_scan's accessors report must match what jansson decodes.
 *
 * Known, intended differences, tested on their own and skipped by the fuzz:
 *  - integers outside int64: jansson refuses them ("too big integer");
 *    json_scan accepts them as numbers and jscan_integer() fails on them;
 *  - reals that overflow a double (1e400): jansson refuses them ("real number
 *    overflow"); json_scan accepts them as numbers;
 *  - nesting: json_scan allows JSON_SCAN_MAX_DEPTH (32) levels of arrays and
 *    objects and refuses deeper documents; jansson allows 2048;
 *  - a raw NUL byte right after a number or a literal: jansson 2.14 drops it
 *    (its stream takes a NUL in its one-character push-back buffer for an
 *    empty buffer, so "1\0" and "[true\0]" parse), json_scan refuses it as
 *    it refuses a NUL byte anywhere else outside a string.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "json_scan.h"
#include "util.h"
#include "tap.h"

#define JFLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

struct jcase {
	const char *text;
	size_t len;
	bool valid;  /* what jansson does with it; checked too, to keep the table honest */
};

/* sizeof, not strlen: some cases hold NUL bytes. */
#define V(s) { s, sizeof(s) - 1, true }
#define X(s) { s, sizeof(s) - 1, false }

static const struct jcase cases[] = {
	/* Literals. */
	V("true"), V("false"), V("null"), V(" true "), V("[true,false,null]"),
	X("tru"), X("True"), X("NULL"), X("nul"), X("nulll"), X("t"), X("truefalse"),
	X("true false"), X("true1"), X("falsetrue"),
	/* Numbers. */
	V("0"), V("-0"), V("1"), V("-1"), V("123"), V("0.5"), V("-0.0"), V("0e0"),
	V("1e5"), V("1E5"), V("1e+5"), V("1e-5"), V("1.5e10"), V("-1.25E-3"),
	V("1e-400"), V("-1e-99999999999999999999"), V("1e308"), V("1e0000000000000000000001"),
	V("9223372036854775807"), V("-9223372036854775808"), V("[1,-2,3.5e-3]"),
	X("01"), X("-01"), X("00"), X("-"), X("--1"), X("+1"), X("1."), X(".5"), X("-.5"),
	X("1e"), X("1e+"), X("1e-"), X("1.e5"), X("1e5.0"), X("1e5e5"), X("1.5.5"),
	X("0x10"), X("Infinity"), X("-Infinity"), X("NaN"), X("1 2"), X("- 1"), X("[-]"),
	X("[1.]"), X("{\"a\":01}"),
	/* Strings. */
	V("\"\""), V("\"abc\""), V("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), V("\"\\/\""),
	V("\"\\u0041\""), V("\"\\u00e9\""), V("\"\\u20AC\""), V("\"\\uFFFF\""), V("\"\\uD83D\\uDE00\""),
	V("\"\\ud83d\\ude00\""), V("\"x\\udbff\\udfffy\""), V("\"\\u0000\""), V("\"a\\u0000b\""),
	V("\"\x7f\""), V("\"\xe9\x81\xbf\xe9\x9b\xa3\xe6\x89\x80\""), V("\"\xf0\x9f\x98\x80\""),
	V("\"\\u0022\\u005c\""),
	X("\"\\ud83d\""), X("\"\\ud83dx\""), X("\"\\ud83d\\u0041\""), X("\"\\ud83d\\ud83d\""),
	X("\"\\ude00\""), X("\"\\ude00\\ud83d\""), X("\"\\ud83d\\n\""), X("\"\\ud83d\\"),
	X("\"\\u00\""), X("\"\\u123\""), X("\"\\u00g0\""), X("\"\\u"), X("\"\\U0041\""),
	X("\"\\x41\""), X("\"\\'\""), X("\"\\a\""), X("\"\\0\""), X("\"\\ \""), X("\"\\\""),
	X("\"abc"), X("\""), X("\"\\"), X("\"a\x01\""), X("\"a\nb\""), X("\"a\tb\""),
	X("\"a\rb\""), X("\"\x1f\""), X("\"\x00\""), X("\"a\\\x00\""), X("'a'"), X("\"a\"\""),
	/* Arrays. */
	V("[]"), V("[ ]"), V("[1,2]"), V("[[],[[]],{}]"), V("[\"a\",[\"b\",[\"c\"]],3]"),
	X("[1,2,]"), X("[,]"), X("[,1]"), X("[1 2]"), X("[1,,2]"), X("["), X("]"), X("[1"),
	X("[[]"), X("[]]"), X("[1:2]"), X("[\"a\":1]"),
	/* Objects. */
	V("{}"), V("{ }"), V("{\"a\":1}"), V("{\"a\":1,\"A\":2}"), V("{\"a\":{\"a\":1}}"),
	V("{\"\":1}"), V("{\"a\":[1,{\"b\":null}],\"c\":\"d\"}"),
	V("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80x\":2}"), V("{\"a\":1,\"ab\":2,\"b\":3}"),
	X("{\"a\":1,}"), X("{\"a\" 1}"), X("{\"a\"}"), X("{a:1}"), X("{1:1}"), X("{\"a\":}"),
	X("{,}"), X("{\"a\":1 \"b\":2}"), X("{\"a\"::1}"), X("{\"a\":1,,\"b\":2}"),
	X("{\"a\":1:2}"), X("{\"a\":1}}"), X("{\"a\":1"), X("{\"a\""), X("{"), X("}"),
	X("{\"a\",1}"), X("{null:1}"), X("{[]:1}"),
	/* Duplicate keys, also ones that differ only by escaping; NUL in keys. */
	X("{\"a\":1,\"a\":2}"), X("{\"a\":1,\"b\":2,\"a\":3}"), X("{\"\":1,\"\":2}"),
	X("{\"a\":1,\"\\u0061\":2}"), X("{\"\\u0061\":1,\"a\":2}"), X("{\"\\/\":1,\"/\":2}"),
	X("{\"\\n\":1,\"\\u000a\":2}"), X("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}"),
	X("{\"\\u00e9\":1,\"\xc3\xa9\":2}"), X("{\"x\":{\"a\":1,\"a\":1}}"),
	X("[{\"k\":1,\"k\":1}]"), X("{\"\\u0000\":1}"), X("{\"a\\u0000\":1}"),
	X("{\"a\\u0000\":1,\"a\":2}"), X("[{\"\\u0000b\":1}]"),
	/* Whitespace: only space, tab, newline and carriage return. */
	V(" \t\n\r[ \t\n\r1 \t\n\r, \t\n\r{ \"a\" : \r\n 2 } ] \n"), V("\t{\t\"a\"\t:\t[\t]\t}\t"),
	X("\f1"), X("1\f"), X("\v1"), X("[1,\v2]"), X("{\"a\"\f:1}"), X("\xc2\xa0" "1"),
	X("\xef\xbb\xbf" "1"), X("[1,\x00" "2]"), X("{\"a\":\x00" "1}"), X("[]\x00"), X("\"a\"\x00"),
	/* Empty input and text after the value. */
	X(""), X(" "), X("\n"), X("\x00"), X("[1]x"), X("{} {}"), X("\"a\" \"b\""),
	X("1 ,"), X("null null"), X("[] ]"), X("0 0"),
};

/* buf as a C string literal body, at most max input bytes; '#' escaped for TAP. */
static const char *esc(const char *buf, size_t len, size_t max)
{
	static char out[4 * 600 + 16];
	size_t o = 0;
	if (max > 600)
		max = 600;
	for (size_t i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '"' || c == '\\')
			o += (size_t)sprintf(out + o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f || c == '#')
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (len > max)
		o += (size_t)sprintf(out + o, "...");
	out[o] = '\0';
	return out;
}

static char why[1024];

static __attribute__((format(printf, 1, 2))) bool fail(const char *fmt, ...)
{
	if (!why[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* The string at token t against jansson's decoding of it. */
static bool same_string(const struct json_doc *d, size_t t, const char *want, size_t wantlen)
{
	const struct json_token *tok = &d->tok[t];
	if (tok->kind != JSON_K_STRING)
		return fail("token %zu: not a string", t);
	bool has_nul = true;
	size_t n = jscan_string_bytes(d, t, &has_nul);
	if (n != wantlen)
		return fail("token %zu: jscan_string_bytes %zu, jansson %zu", t, n, wantlen);
	if (has_nul != (memchr(want, 0, wantlen) != NULL))
		return fail("token %zu: has_nul %d", t, has_nul);
	if (jscan_string_bytes(d, t, NULL) != n)
		return fail("token %zu: jscan_string_bytes without has_nul", t);
	if (tok->escaped != (memchr(d->text + tok->start, '\\', tok->end - tok->start) != NULL))
		return fail("token %zu: escaped %d", t, tok->escaped);
	char *buf = xmalloc(wantlen + 2);
	bool good = false;
	memset(buf, 'Z', wantlen + 2);
	if (!jscan_string_copy(d, t, buf, wantlen + 1) || memcmp(buf, want, wantlen) != 0 ||
	    buf[wantlen] != '\0') {
		fail("token %zu: jscan_string_copy gave \"%s\"", t, esc(buf, wantlen, 80));
		goto out;
	}
	/* One byte short: refused, and what was written is a NUL-terminated prefix. */
	memset(buf, 'Z', wantlen + 2);
	if (jscan_string_copy(d, t, buf, wantlen)) {
		fail("token %zu: jscan_string_copy fit in %zu bytes", t, wantlen);
		goto out;
	}
	if (wantlen > 0 && (memcmp(buf, want, wantlen - 1) != 0 || buf[wantlen - 1] != '\0')) {
		fail("token %zu: truncated jscan_string_copy is not a prefix", t);
		goto out;
	}
	if (buf[wantlen] != 'Z') {
		fail("token %zu: jscan_string_copy wrote past cap", t);
		goto out;
	}
	if (!has_nul) {
		memcpy(buf, want, wantlen);
		buf[wantlen] = '\0';
		if (!jscan_string_equals(d, t, buf)) {
			fail("token %zu: jscan_string_equals false for its own value", t);
			goto out;
		}
		if (wantlen > 0) {
			buf[wantlen - 1] = '\0';
			if (jscan_string_equals(d, t, buf)) {
				fail("token %zu: jscan_string_equals true for a prefix", t);
				goto out;
			}
			buf[wantlen - 1] = want[wantlen - 1];
		}
		buf[wantlen] = 'x';
		buf[wantlen + 1] = '\0';
		if (jscan_string_equals(d, t, buf)) {
			fail("token %zu: jscan_string_equals true for a longer string", t);
			goto out;
		}
	} else if (jscan_string_equals(d, t, want)) {
		fail("token %zu: jscan_string_equals true for the part before U+0000", t);
		goto out;
	}
	good = true;
out:
	free(buf);
	return good;
}

static bool same_text(const struct json_doc *d, size_t t, const char *word)
{
	const struct json_token *tok = &d->tok[t];
	return tok->end - tok->start == strlen(word) && memcmp(d->text + tok->start, word, strlen(word)) == 0;
}

/* The subtree at token t against jansson's value j, recursively. */
static bool same_value(const struct json_doc *d, size_t t, json_t *j)
{
	if (t >= d->ntok)
		return fail("token %zu out of range (%zu tokens)", t, d->ntok);
	const struct json_token *tok = &d->tok[t];
	int64_t iv;
	if (!json_is_object(j) && !json_is_array(j) && tok->next != t + 1)
		return fail("token %zu: scalar with next %u", t, tok->next);
	if (tok->start > tok->end || tok->end > d->len)
		return fail("token %zu: bytes %u..%u", t, tok->start, tok->end);
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		if (tok->kind != JSON_K_OBJECT)
			return fail("token %zu: kind %d, jansson has an object", t, tok->kind);
		if (tok->size != json_object_size(j))
			return fail("token %zu: size %u, jansson %zu", t, tok->size, json_object_size(j));
		if (d->text[tok->start] != '{' || d->text[tok->end - 1] != '}')
			return fail("token %zu: bytes are not an object", t);
		size_t k = t + 1;
		for (uint32_t i = 0; i < tok->size; i++) {
			if (k >= d->ntok || d->tok[k].kind != JSON_K_STRING)
				return fail("token %zu: member %u has no string key", t, i);
			size_t v = d->tok[k].next;
			if (v != k + 1)
				return fail("token %zu: key's next is %zu", k, v);
			bool has_nul;
			size_t n = jscan_string_bytes(d, k, &has_nul);
			char *key = xmalloc(n + 1);
			jscan_string_copy(d, k, key, n + 1);
			/* jansson refuses keys with U+0000, so the key is a C string. */
			json_t *jv = has_nul ? NULL : json_object_get(j, key);
			long found = jscan_find(d, t, key);
			bool good = jv && same_string(d, k, key, n);
			if (!jv)
				fail("token %zu: key \"%s\" not in jansson's object", k, esc(key, n, 80));
			else if (good && found != (long)v)
				good = fail("token %zu: jscan_find(\"%s\") = %ld, want %zu", t, esc(key, n, 80), found, v);
			free(key);
			if (!good || !same_value(d, v, jv))
				return false;
			k = d->tok[v].next;
		}
		if (k != tok->next)
			return fail("token %zu: next %u, subtree ends at %zu", t, tok->next, k);
		if (jscan_find(d, t, "no such key\x01") != -1)
			return fail("token %zu: jscan_find found a missing key", t);
		if (jscan_integer(d, t, &iv))
			return fail("token %zu: jscan_integer on an object", t);
		return true;
	}
	case JSON_ARRAY: {
		if (tok->kind != JSON_K_ARRAY)
			return fail("token %zu: kind %d, jansson has an array", t, tok->kind);
		if (tok->size != json_array_size(j))
			return fail("token %zu: size %u, jansson %zu", t, tok->size, json_array_size(j));
		if (d->text[tok->start] != '[' || d->text[tok->end - 1] != ']')
			return fail("token %zu: bytes are not an array", t);
		size_t c = t + 1;
		for (uint32_t i = 0; i < tok->size; i++) {
			if (!same_value(d, c, json_array_get(j, i)))
				return false;
			c = d->tok[c].next;
		}
		if (c != tok->next)
			return fail("token %zu: next %u, subtree ends at %zu", t, tok->next, c);
		if (jscan_find(d, t, "") != -1)
			return fail("token %zu: jscan_find on an array", t);
		return true;
	}
	case JSON_STRING:
		if (tok->start == 0 || d->text[tok->start - 1] != '"' || d->text[tok->end] != '"')
			return fail("token %zu: string bytes are not inside quotes", t);
		if (jscan_integer(d, t, &iv))
			return fail("token %zu: jscan_integer on a string", t);
		return same_string(d, t, json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		if (tok->kind != JSON_K_NUMBER || !tok->integer)
			return fail("token %zu: kind %d integer %d, jansson has an integer", t, tok->kind, tok->integer);
		if (!jscan_integer(d, t, &iv) || iv != json_integer_value(j))
			return fail("token %zu: jscan_integer differs from %lld", t,
				    (long long)json_integer_value(j));
		return true;
	case JSON_REAL: {
		if (tok->kind != JSON_K_NUMBER || tok->integer)
			return fail("token %zu: kind %d integer %d, jansson has a real", t, tok->kind, tok->integer);
		if (jscan_integer(d, t, &iv))
			return fail("token %zu: jscan_integer on a real", t);
		char num[128];
		size_t n = tok->end - tok->start;
		if (n >= sizeof num)
			return true;
		memcpy(num, d->text + tok->start, n);
		num[n] = '\0';
		if (strtod(num, NULL) != json_real_value(j))
			return fail("token %zu: %s is not jansson's %.17g", t, num, json_real_value(j));
		return true;
	}
	case JSON_TRUE:
		if (tok->kind != JSON_K_TRUE || !same_text(d, t, "true"))
			return fail("token %zu: not true", t);
		return !jscan_integer(d, t, &iv) || fail("token %zu: jscan_integer on true", t);
	case JSON_FALSE:
		if (tok->kind != JSON_K_FALSE || !same_text(d, t, "false"))
			return fail("token %zu: not false", t);
		return true;
	case JSON_NULL:
		if (tok->kind != JSON_K_NULL || !same_text(d, t, "null"))
			return fail("token %zu: not null", t);
		return true;
	}
	return fail("token %zu: unknown jansson type", t);
}

static bool same_doc(const struct json_doc *d, json_t *j)
{
	why[0] = '\0';
	if (d->ntok == 0)
		return fail("no tokens");
	if (!same_value(d, 0, j))
		return false;
	if (d->tok[0].next != d->ntok)
		return fail("root's next %u, %zu tokens", d->tok[0].next, d->ntok);
	return true;
}

enum verdict { AGREE, DIFFER, KNOWN };

/* Which known difference compare() last hit. */
enum known { K_RANGE, K_DEPTH, K_NUL, K_COUNT };
static enum known known_kind;

/* True when text is one that jansson accepts only because it drops a NUL byte
 * after a number or literal: without those bytes json_scan accepts it. */
static bool nul_after_token(struct json_doc *d, const char *text, size_t len)
{
	char err[256];
	if (!memchr(text, 0, len))
		return false;
	char *clean = xmalloc(len);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char prev = i ? (unsigned char)text[i - 1] : 0;
		bool alnum = (prev >= '0' && prev <= '9') || (prev >= 'a' && prev <= 'z') ||
			     (prev >= 'A' && prev <= 'Z');
		if (text[i] != 0 || !alnum)
			clean[n++] = text[i];
	}
	bool known = n < len && json_scan(d, clean, n, err, sizeof err);
	free(clean);
	return known;
}

/* Compare json_scan and jansson on one document; KNOWN for an intended difference. */
static enum verdict compare(struct json_doc *d, const char *text, size_t len, bool *accepted)
{
	char err[256];
	json_error_t jerr;
	bool mine = json_scan(d, text, len, err, sizeof err);
	json_t *j = json_loadb(text, len, JFLAGS, &jerr);
	enum verdict v = AGREE;
	why[0] = '\0';
	*accepted = j != NULL;
	if (!j && (strstr(jerr.text, "too big") || strstr(jerr.text, "real number overflow")))
		v = KNOWN, known_kind = K_RANGE;
	else if (!mine && strstr(err, "nested too deeply"))
		v = KNOWN, known_kind = K_DEPTH;
	else if (!mine && j && nul_after_token(d, text, len))
		v = KNOWN, known_kind = K_NUL;
	else if (mine != (j != NULL)) {
		snprintf(why, sizeof why, "json_scan %s (%s), jansson %s (%s)",
			 mine ? "accepts" : "refuses", mine ? "-" : err,
			 j ? "accepts" : "refuses", j ? "-" : jerr.text);
		v = DIFFER;
	} else if (j && !same_doc(d, j))
		v = DIFFER;
	json_decref(j);
	return v;
}

static void test_cases(struct json_doc *d)
{
	size_t n = sizeof cases / sizeof cases[0];
	for (size_t i = 0; i < n; i++) {
		const struct jcase *c = &cases[i];
		bool accepted;
		enum verdict v = compare(d, c->text, c->len, &accepted);
		bool good = v == AGREE && accepted == c->valid;
		ok(good, "%s \"%s\"", c->valid ? "valid" : "invalid", esc(c->text, c->len, 60));
		if (v != AGREE)
			diag("%s", v == KNOWN ? "hit a known difference" : why);
		else if (accepted != c->valid)
			diag("jansson %s it", accepted ? "accepts" : "refuses");
	}
	diag("%zu hand-written cases", n);
}

/* Keys and strings long enough to need more than a small stack buffer. */
static void test_long_strings(struct json_doc *d)
{
	char text[2048];
	char key[600];
	memset(key, 'k', 299);
	key[299] = '\0';
	/* The same 300-byte key, once escaped and once plain. */
	int n = snprintf(text, sizeof text, "{\"a\":1,\"\\u0041%s\":2,\"B%s\":3}", key, key);
	bool accepted;
	enum verdict v = compare(d, text, (size_t)n, &accepted);
	ok(v == AGREE && accepted, "long escaped keys: structure and jscan_find agree");
	if (v != AGREE)
		diag("%s", why);
	n = snprintf(text, sizeof text, "{\"\\u0041%s\":1,\"A%s\":2}", key, key);
	v = compare(d, text, (size_t)n, &accepted);
	ok(v == AGREE && !accepted, "long duplicate keys that differ by escaping are refused");
	if (v != AGREE)
		diag("%s", why);
	n = snprintf(text, sizeof text, "[\"%s\\n%s\\u00e9\"]", key, key);
	v = compare(d, text, (size_t)n, &accepted);
	ok(v == AGREE && accepted, "long escaped string decodes as jansson's");
	if (v != AGREE)
		diag("%s", why);
}

/* depth levels of arrays or objects around inner ("" for empty). */
static size_t nest(char *out, int depth, bool objects, const char *inner)
{
	size_t o = 0;
	for (int i = 0; i < depth; i++)
		o += (size_t)sprintf(out + o, "%s", objects ? "{\"a\":" : "[");
	if (objects && !*inner) {
		/* The innermost object is empty: drop its member. */
		o -= 5;
		out[o++] = '{';
		for (int i = 0; i < depth; i++)
			out[o++] = '}';
		out[o] = '\0';
		return o;
	}
	o += (size_t)sprintf(out + o, "%s", inner);
	for (int i = 0; i < depth; i++)
		out[o++] = objects ? '}' : ']';
	out[o] = '\0';
	return o;
}

static void test_depth(struct json_doc *d)
{
	static char text[8 * 2100];
	const char *inner[] = {"", "1", "\"s\""};
	char err[256];
	for (int objects = 0; objects <= 1; objects++) {
		for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
			const char *what = objects ? "objects" : "arrays";
			size_t n = nest(text, JSON_SCAN_MAX_DEPTH, objects, inner[i]);
			bool accepted;
			enum verdict v = compare(d, text, n, &accepted);
			ok(v == AGREE && accepted, "%d nested %s around \"%s\" accepted by both",
			   JSON_SCAN_MAX_DEPTH, what, esc(inner[i], strlen(inner[i]), 10));
			if (v != AGREE)
				diag("%s", why);
			/* One level more: an intended difference, jansson allows 2048. */
			n = nest(text, JSON_SCAN_MAX_DEPTH + 1, objects, inner[i]);
			json_error_t jerr;
			json_t *j = json_loadb(text, n, JFLAGS, &jerr);
			bool mine = json_scan(d, text, n, err, sizeof err);
			ok(j && !mine && strstr(err, "nested too deeply"),
			   "%d nested %s around \"%s\": json_scan refuses, jansson accepts",
			   JSON_SCAN_MAX_DEPTH + 1, what, esc(inner[i], strlen(inner[i]), 10));
			if (mine || !strstr(err, "nested too deeply"))
				diag("json_scan: %s", mine ? "accepted" : err);
			json_decref(j);
		}
	}
	/* Far deeper, and unterminated: refused cleanly, no deep recursion. */
	size_t n = nest(text, 2000, false, "");
	ok(!json_scan(d, text, n, err, sizeof err) && strstr(err, "nested too deeply"),
	   "2000 nested arrays refused: %s", err);
	memset(text, '[', 8000);
	ok(!json_scan(d, text, 8000, err, sizeof err), "8000 unclosed '[' refused: %s", err);
	n = nest(text, JSON_SCAN_MAX_DEPTH - 2, false, "{\"a\":[]}");
	bool accepted;
	enum verdict v = compare(d, text, n, &accepted);
	ok(v == AGREE && accepted, "30 arrays around an object holding an array accepted");
	n = nest(text, JSON_SCAN_MAX_DEPTH - 2, false, "{\"a\":[[]]}");
	ok(!json_scan(d, text, n, err, sizeof err) && strstr(err, "nested too deeply"),
	   "30 arrays around an object holding two arrays refused");
}

/* In-range integers only; the out-of-range ones are a known difference. */
static void test_known_differences(struct json_doc *d)
{
	static const char *big[] = {
		"9223372036854775808", "-9223372036854775809", "18446744073709551616",
		"[1,99999999999999999999999]", "{\"index\":100000000000000000000}",
	};
	static const char *overflow[] = {"1e400", "-1e400", "1.5e99999", "[0.1E+1000]"};
	static const struct jcase nulls[] = {
		X("1\x00"), X("[1\x00]"), X("true\x00"), X("[null\x00,false\x00]"),
		X("{\"a\":1.5e3\x00}"), X("-0\x00 "),
	};
	char err[256];
	json_error_t jerr;
	int64_t iv;
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		json_t *j = json_loadb(big[i], strlen(big[i]), JFLAGS, &jerr);
		bool mine = json_scan(d, big[i], strlen(big[i]), err, sizeof err);
		size_t t = d->ntok - 1;
		ok(!j && strstr(jerr.text, "too big") && mine && d->tok[t].kind == JSON_K_NUMBER &&
		   d->tok[t].integer && !jscan_integer(d, t, &iv),
		   "known difference: %s is a number to json_scan, without an int64 value", big[i]);
		json_decref(j);
	}
	for (size_t i = 0; i < sizeof overflow / sizeof overflow[0]; i++) {
		json_t *j = json_loadb(overflow[i], strlen(overflow[i]), JFLAGS, &jerr);
		bool mine = json_scan(d, overflow[i], strlen(overflow[i]), err, sizeof err);
		size_t t = d->ntok - 1;
		ok(!j && strstr(jerr.text, "real number overflow") && mine &&
		   d->tok[t].kind == JSON_K_NUMBER && !d->tok[t].integer && !jscan_integer(d, t, &iv),
		   "known difference: %s is a real to json_scan", overflow[i]);
		json_decref(j);
	}
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
		json_t *j = json_loadb(nulls[i].text, nulls[i].len, JFLAGS, &jerr);
		bool mine = json_scan(d, nulls[i].text, nulls[i].len, err, sizeof err);
		ok(j && !mine, "known difference: json_scan refuses \"%s\", jansson drops the NUL",
		   esc(nulls[i].text, nulls[i].len, 40));
		json_decref(j);
	}
	static const struct { const char *text; int64_t v; } ints[] = {
		{"0", 0}, {"-0", 0}, {"9223372036854775807", INT64_MAX},
		{"-9223372036854775808", INT64_MIN}, {"-9223372036854775807", -INT64_MAX},
		{"922337203685477580", 922337203685477580}, {"1000000000000000000", 1000000000000000000},
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		bool good = json_scan(d, ints[i].text, strlen(ints[i].text), err, sizeof err) &&
			    jscan_integer(d, 0, &iv) && iv == ints[i].v;
		ok(good, "jscan_integer(%s)", ints[i].text);
	}
	ok(json_scan(d, "[\"1\",1.0,1e0,true]", 18, err, sizeof err) && !jscan_integer(d, 1, &iv) &&
	   !jscan_integer(d, 2, &iv) && !jscan_integer(d, 3, &iv) && !jscan_integer(d, 4, &iv) &&
	   !jscan_integer(d, 0, &iv), "jscan_integer fails on strings, reals and literals");
}

/* Deterministic xorshift64. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static const char *const ledger[] = {
	"{\"log\":\"a.example/x\",\"index\":3,\"time\":\"2026-11-22T09:00:00Z\",\"type\":\"note\","
	"\"body\":{\"text\":\"\xe9\x81\xbf\xe9\x9b\xa3\xe6\x89\x80 \xe9\x96\x8b\xe8\xa8\xad\"}}",
	"{\"log\":\"city.example/shelters\",\"index\":0,\"time\":\"2026-11-22T09:00:00Z\","
	"\"type\":\"status\",\"body\":{\"shelter\":\"\xe5\x8c\x97\xe5\xb0\x8f\xe5\xad\xa6\xe6\xa0\xa1\","
	"\"open\":true,\"capacity\":250,\"occupancy\":null,\"tags\":[\"water\",\"power\"],"
	"\"ratio\":0.75,\"geo\":[35.6812,139.7671]}}",
	"{\"log\":\"a.example/x\",\"index\":12,\"time\":\"2026-11-22T10:30:00+09:00\",\"type\":\"note\","
	"\"body\":{\"text\":\"line\\nbreak \\\"quoted\\\" \\u00e9 \\ud83d\\ude00 tab\\t\\/\",\"n\":-1e-3}}",
	"{\"log\":\"a.example/x\",\"index\":4,\"time\":\"2026-11-23T00:00:00Z\",\"type\":\"close\","
	"\"body\":{}}",
};

/* Small pieces that make interesting mutants more likely than single bytes do. */
static const char *const snippets[] = {
	"\\u0000", "\\u0061", "\\ud83d", "\\ude00", "\\ud83d\\ude00", "\\u", "\\", "\"\"", "\"a\":",
	"1e400", "99999999999999999999", "-0", "0.", "e+", "true", "null", "[]", "{}", ",", ":",
	"\xc3\xa9", "\xe9\x81\xbf", "\xf0\x9f\x98\x80", "\"log\":1,", "\"index\"", "\\/",
};

/* JSON's own bytes, plus whitespace it does not allow, DEL and (the final) NUL. */
static const char significant[] = "{}[]\":,\\/-+.eE0123456789tfnrualsbu \t\n\r\f\v\x7f";

static size_t mutate(char *buf, size_t len, size_t cap)
{
	int rounds = 1 + (int)(rnd() % 3);
	for (int r = 0; r < rounds; r++) {
		unsigned op = (unsigned)(rnd() % 10);
		size_t pos = len ? (size_t)(rnd() % (len + 1)) : 0;
		char c = (rnd() % 4 == 0) ? (char)(rnd() & 0xff)
					  : significant[rnd() % sizeof significant];
		if (op < 3 && pos < len) {                    /* replace a byte */
			buf[pos] = c;
		} else if (op < 6 && len + 1 < cap) {         /* insert a byte */
			memmove(buf + pos + 1, buf + pos, len - pos);
			buf[pos] = c;
			len++;
		} else if (op < 8 && pos < len) {             /* delete a byte */
			memmove(buf + pos, buf + pos + 1, len - pos - 1);
			len--;
		} else {                                      /* insert a snippet */
			const char *s = snippets[rnd() % (sizeof snippets / sizeof snippets[0])];
			size_t n = strlen(s);
			if (len + n < cap) {
				memmove(buf + pos + n, buf + pos, len - pos);
				memcpy(buf + pos, s, n);
				len += n;
			}
		}
	}
	return len;
}

static void test_fuzz(struct json_doc *d)
{
	enum { MUTANTS = 20000, BLOCK = 1000 };
	const char *seeds[sizeof cases / sizeof cases[0] + sizeof ledger / sizeof ledger[0]];
	size_t seedlen[sizeof seeds / sizeof seeds[0]], nseeds = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (cases[i].valid) {
			seeds[nseeds] = cases[i].text;
			seedlen[nseeds++] = cases[i].len;
		}
	for (size_t i = 0; i < sizeof ledger / sizeof ledger[0]; i++) {
		seeds[nseeds] = ledger[i];
		seedlen[nseeds++] = strlen(ledger[i]);
	}
	/* The seeds themselves first. */
	bool seeds_ok = true;
	for (size_t i = 0; i < nseeds; i++) {
		bool accepted;
		if (compare(d, seeds[i], seedlen[i], &accepted) != AGREE || !accepted) {
			if (seeds_ok)
				diag("seed \"%s\": %s", esc(seeds[i], seedlen[i], 200), why);
			seeds_ok = false;
		}
	}
	ok(seeds_ok, "%zu fuzz seeds (valid cases and ledger entries) accepted alike", nseeds);

	char buf[1024];
	long total_skip_utf8 = 0, total_known[K_COUNT] = {0}, total_accepted = 0;
	bool shown = false;
	for (int block = 0; block < MUTANTS / BLOCK; block++) {
		int differ = 0, compared = 0, skipped = 0;
		for (int m = 0; m < BLOCK; m++) {
			size_t s = (size_t)(rnd() % nseeds);
			memcpy(buf, seeds[s], seedlen[s]);
			size_t len = mutate(buf, seedlen[s], sizeof buf);
			if (!utf8_valid((const uint8_t *)buf, len)) {
				skipped++;
				total_skip_utf8++;
				continue;
			}
			bool accepted;
			enum verdict v = compare(d, buf, len, &accepted);
			if (v == KNOWN) {
				skipped++;
				total_known[known_kind]++;
				continue;
			}
			compared++;
			total_accepted += accepted;
			if (v == DIFFER) {
				if (!differ && !shown) {
					diag("mutant %d: \"%s\"", block * BLOCK + m, esc(buf, len, 600));
					diag("%s", why);
					shown = true;
				}
				differ++;
			}
		}
		ok(differ == 0, "mutants %d-%d: %d compared, %d skipped, %d differ",
		   block * BLOCK, block * BLOCK + BLOCK - 1, compared, skipped, differ);
	}
	diag("fuzz: %d mutants, %ld accepted by both, %ld skipped as not UTF-8; known differences "
	     "skipped: %ld out of range, %ld too deep, %ld NUL after a token", MUTANTS, total_accepted,
	     total_skip_utf8, total_known[K_RANGE], total_known[K_DEPTH], total_known[K_NUL]);
}

int main(void)
{
	struct json_doc d = {0};
	test_cases(&d);
	test_long_strings(&d);
	test_depth(&d);
	test_known_differences(&d);
	test_fuzz(&d);
	json_doc_free(&d);
	return done();
}
