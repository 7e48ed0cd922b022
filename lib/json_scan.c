#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "json_scan.h"
#include "util.h"

struct scanner {
	struct json_doc *doc;
	const unsigned char *p, *end;
	const char *why;
};

static void skip_ws(struct scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static size_t new_token(struct scanner *s, enum json_kind kind)
{
	struct json_doc *d = s->doc;
	if (d->ntok == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->tok = xrealloc(d->tok, d->cap * sizeof *d->tok);
	}
	struct json_token *t = &d->tok[d->ntok];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->start = (uint32_t)(s->p - (const unsigned char *)d->text);
	return d->ntok++;
}

static bool hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_digit(p[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

/* Bytes that need no attention inside a string: not '"', not '\\', not a control character. */
static const bool plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x80 ... 0xff] = 1,
};

/* A string's body; s->p is just past the opening quote.  UTF-8 was checked by the caller. */
static bool scan_string(struct scanner *s, size_t t)
{
	struct json_token *tok = &s->doc->tok[t];
	tok->start = (uint32_t)(s->p - (const unsigned char *)s->doc->text);
	while (s->p < s->end) {
		/* Plain bytes are most of every string: skip them without a branch each. */
		while (s->end - s->p >= 4 && plain[s->p[0]] && plain[s->p[1]] && plain[s->p[2]] &&
		       plain[s->p[3]])
			s->p += 4;
		if (s->p >= s->end)
			break;
		unsigned char c = *s->p;
		if (c == '"') {
			s->doc->tok[t].end = (uint32_t)(s->p - (const unsigned char *)s->doc->text);
			s->p++;
			return true;
		}
		if (c < 0x20) {
			s->why = "control character in a string";
			return false;
		}
		if (c != '\\') {
			s->p++;
			continue;
		}
		s->doc->tok[t].escaped = true;
		if (s->end - s->p < 2) {
			break;
		}
		c = s->p[1];
		if (c == 'u') {
			unsigned cp, lo;
			if (s->end - s->p < 6 || !hex4(s->p + 2, &cp)) {
				s->why = "malformed \\u escape";
				return false;
			}
			s->p += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				s->why = "unpaired surrogate in a \\u escape";
				return false;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
				    !hex4(s->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff) {
					s->why = "unpaired surrogate in a \\u escape";
					return false;
				}
				s->p += 6;
			}
			continue;
		}
		if (!strchr("\"\\/bfnrt", c) || c == '\0') {
			s->why = "invalid escape in a string";
			return false;
		}
		s->p += 2;
	}
	s->why = "unterminated string";
	return false;
}

static bool scan_number(struct scanner *s, size_t t)
{
	const unsigned char *p = s->p;
	bool integer = true;
	if (p < s->end && *p == '-')
		p++;
	if (p >= s->end || *p < '0' || *p > '9')
		goto bad;
	if (*p == '0')
		p++;
	else
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	if (p < s->end && *p == '.') {
		integer = false;
		p++;
		if (p >= s->end || *p < '0' || *p > '9')
			goto bad;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		integer = false;
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || *p < '0' || *p > '9')
			goto bad;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	s->doc->tok[t].integer = integer;
	s->doc->tok[t].end = (uint32_t)(p - (const unsigned char *)s->doc->text);
	return true;
bad:
	s->why = "malformed number";
	return false;
}

static bool raw_equal(const struct json_doc *d, size_t a, size_t b)
{
	const struct json_token *x = &d->tok[a], *y = &d->tok[b];
	return x->end - x->start == y->end - y->start &&
	       memcmp(d->text + x->start, d->text + y->start, x->end - x->start) == 0;
}

static bool keys_equal(const struct json_doc *d, size_t a, size_t b)
{
	if (!d->tok[a].escaped && !d->tok[b].escaped)
		return raw_equal(d, a, b);
	size_t la = jscan_string_bytes(d, a, NULL), lb = jscan_string_bytes(d, b, NULL);
	if (la != lb)
		return false;
	char *x = xmalloc(la + 1), *y = xmalloc(lb + 1);
	jscan_string_copy(d, a, x, la + 1);
	jscan_string_copy(d, b, y, lb + 1);
	bool same = memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

static bool scan_value(struct scanner *s, int depth);

/* After a member: 1 when ',' says another follows, 0 at the closing bracket, -1 on anything else. */
static int next_member(struct scanner *s, char close)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == ',') {
		s->p++;
		return 1;
	}
	if (s->p < s->end && *s->p == (unsigned char)close) {
		s->p++;
		return 0;
	}
	s->why = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
	return -1;
}

static bool scan_object(struct scanner *s, size_t t, int depth)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"') {
			s->why = "expected a string key";
			return false;
		}
		s->p++;
		size_t key = new_token(s, JSON_K_STRING);
		if (!scan_string(s, key))
			return false;
		s->doc->tok[key].next = (uint32_t)s->doc->ntok;
		if (s->doc->tok[t].size >= JSON_SCAN_MAX_MEMBERS) {
			s->why = "object with too many members";
			return false;
		}
		/* jansson refuses U+0000 in keys even with JSON_ALLOW_NUL. */
		bool nul = false;
		if (s->doc->tok[key].escaped)
			jscan_string_bytes(s->doc, key, &nul);
		if (nul) {
			s->why = "NUL byte in an object key";
			return false;
		}
		/* Duplicate keys make a document mean different things to different readers. */
		const struct json_token *kt = &s->doc->tok[key];
		for (size_t k = t + 1; k < key; k = s->doc->tok[s->doc->tok[k].next].next) {
			/* Keys of another length without escapes differ: the usual case, decided here. */
			const struct json_token *ot = &s->doc->tok[k];
			if (!kt->escaped && !ot->escaped && ot->end - ot->start != kt->end - kt->start)
				continue;
			if (keys_equal(s->doc, k, key)) {
				s->why = "duplicate object key";
				return false;
			}
		}
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':') {
			s->why = "expected ':'";
			return false;
		}
		s->p++;
		if (!scan_value(s, depth + 1))
			return false;
		s->doc->tok[t].size++;
		int more = next_member(s, '}');
		if (more <= 0)
			return more == 0;
	}
}

static bool scan_array(struct scanner *s, size_t t, int depth)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		if (!scan_value(s, depth + 1))
			return false;
		s->doc->tok[t].size++;
		int more = next_member(s, ']');
		if (more <= 0)
			return more == 0;
	}
}

static bool literal(struct scanner *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) {
		s->why = "invalid literal";
		return false;
	}
	s->p += n;
	return true;
}

static bool scan_value(struct scanner *s, int depth)
{
	skip_ws(s);
	if (s->p >= s->end) {
		s->why = "unexpected end of input";
		return false;
	}
	/* depth is the number of arrays and objects around this value. */
	if ((*s->p == '{' || *s->p == '[') && depth >= JSON_SCAN_MAX_DEPTH) {
		s->why = "nested too deeply";
		return false;
	}
	size_t t;
	bool ok;
	switch (*s->p) {
	case '{':
		t = new_token(s, JSON_K_OBJECT);
		s->p++;
		ok = scan_object(s, t, depth);
		break;
	case '[':
		t = new_token(s, JSON_K_ARRAY);
		s->p++;
		ok = scan_array(s, t, depth);
		break;
	case '"':
		s->p++;
		t = new_token(s, JSON_K_STRING);
		ok = scan_string(s, t);
		break;
	case 't':
		t = new_token(s, JSON_K_TRUE);
		ok = literal(s, "true");
		break;
	case 'f':
		t = new_token(s, JSON_K_FALSE);
		ok = literal(s, "false");
		break;
	case 'n':
		t = new_token(s, JSON_K_NULL);
		ok = literal(s, "null");
		break;
	default:
		t = new_token(s, JSON_K_NUMBER);
		ok = scan_number(s, t);
		break;
	}
	if (!ok)
		return false;
	struct json_token *tok = &s->doc->tok[t];
	if (tok->kind != JSON_K_STRING && tok->kind != JSON_K_NUMBER)
		tok->end = (uint32_t)(s->p - (const unsigned char *)s->doc->text);
	tok->next = (uint32_t)s->doc->ntok;
	return true;
}

bool json_scan(struct json_doc *doc, const char *text, size_t len, char *err, size_t errlen)
{
	struct scanner s = {doc, (const unsigned char *)text, (const unsigned char *)text + len, NULL};
	doc->text = text;
	doc->len = len;
	doc->ntok = 0;
	if (len > UINT32_MAX / 2) {
		snprintf(err, errlen, "document too large");
		return false;
	}
	if (!utf8_valid((const uint8_t *)text, len)) {
		snprintf(err, errlen, "not valid UTF-8");
		return false;
	}
	bool ok = scan_value(&s, 0);
	if (ok) {
		skip_ws(&s);
		if (s.p != s.end) {
			s.why = "text after the JSON value";
			ok = false;
		}
	}
	if (!ok)
		snprintf(err, errlen, "invalid JSON at byte %zu: %s",
			 (size_t)(s.p - (const unsigned char *)text) + 1, s.why);
	return ok;
}

void json_doc_free(struct json_doc *doc)
{
	free(doc->tok);
	memset(doc, 0, sizeof *doc);
}

long jscan_find(const struct json_doc *doc, size_t obj, const char *key)
{
	if (doc->tok[obj].kind != JSON_K_OBJECT)
		return -1;
	/*
	 * The key's length once, and the usual unescaped member name compared
	 * in place: ingest looks up about a thousand members a reading, and
	 * strlen and the call per member were 10 % of its instructions.
	 */
	size_t n = strlen(key), k = obj + 1;
	for (uint32_t i = 0; i < doc->tok[obj].size; i++) {
		const struct json_token *tok = &doc->tok[k];
		size_t v = tok->next;
		if (tok->kind == JSON_K_STRING && !tok->escaped) {
			if (tok->end - tok->start == n && memcmp(doc->text + tok->start, key, n) == 0)
				return (long)v;
		} else if (jscan_string_equals(doc, k, key)) {
			return (long)v;
		}
		k = doc->tok[v].next;
	}
	return -1;
}

/* Decode the string at t, calling out for each byte; returns the decoded length. */
static size_t decode(const struct json_doc *doc, size_t t, char *out, size_t cap, bool *has_nul)
{
	const unsigned char *p = (const unsigned char *)doc->text + doc->tok[t].start;
	const unsigned char *end = (const unsigned char *)doc->text + doc->tok[t].end;
	size_t n = 0;
	if (has_nul)
		*has_nul = false;
#define EMIT(c) do { char c_ = (char)(c); if (out && n + 1 < cap) out[n] = c_; n++; } while (0)
	while (p < end) {
		if (*p != '\\') {
			EMIT(*p++);
			continue;
		}
		unsigned char c = p[1];
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			EMIT(to[strchr(from, c) - from]);
			p += 2;
			continue;
		}
		/* scan_string checked every escape: hex4 cannot fail here. */
		unsigned cp = 0, lo = 0;
		hex4(p + 2, &cp);
		p += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			hex4(p + 2, &lo);
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp == 0 && has_nul)
			*has_nul = true;
		if (cp < 0x80) {
			EMIT(cp);
		} else if (cp < 0x800) {
			EMIT(0xc0 | cp >> 6);
			EMIT(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			EMIT(0xe0 | cp >> 12);
			EMIT(0x80 | ((cp >> 6) & 0x3f));
			EMIT(0x80 | (cp & 0x3f));
		} else {
			EMIT(0xf0 | cp >> 18);
			EMIT(0x80 | ((cp >> 12) & 0x3f));
			EMIT(0x80 | ((cp >> 6) & 0x3f));
			EMIT(0x80 | (cp & 0x3f));
		}
	}
#undef EMIT
	if (out && cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

bool jscan_string_copy(const struct json_doc *doc, size_t t, char *out, size_t cap)
{
	const struct json_token *tok = &doc->tok[t];
	/* A string without escapes is its bytes: copied whole, as decode would byte by byte. */
	if (!tok->escaped && cap > 0) {
		size_t n = tok->end - tok->start, m = n < cap ? n : cap - 1;
		memcpy(out, doc->text + tok->start, m);
		out[m] = '\0';
		return n < cap;
	}
	return decode(doc, t, out, cap, NULL) < cap;
}

size_t jscan_string_bytes(const struct json_doc *doc, size_t t, bool *has_nul)
{
	if (!doc->tok[t].escaped) {
		if (has_nul)
			*has_nul = false;
		return doc->tok[t].end - doc->tok[t].start;
	}
	return decode(doc, t, NULL, 0, has_nul);
}

bool jscan_string_equals(const struct json_doc *doc, size_t t, const char *s)
{
	const struct json_token *tok = &doc->tok[t];
	size_t n = strlen(s);
	if (tok->kind != JSON_K_STRING)
		return false;
	if (!tok->escaped)
		return tok->end - tok->start == n && memcmp(doc->text + tok->start, s, n) == 0;
	char buf[256], *out = n < sizeof buf ? buf : xmalloc(n + 1);
	bool same = decode(doc, t, out, n + 1, NULL) == n && memcmp(out, s, n) == 0;
	if (out != buf)
		free(out);
	return same;
}

bool jscan_integer(const struct json_doc *doc, size_t t, int64_t *out)
{
	const struct json_token *tok = &doc->tok[t];
	if (tok->kind != JSON_K_NUMBER || !tok->integer)
		return false;
	const char *p = doc->text + tok->start, *end = doc->text + tok->end;
	bool neg = *p == '-';
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (p += neg; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}
