/*
 * Hand-written matchers, one per pattern, over a string decoded into code
 * points and folded (full-width ASCII to ASCII, dashes to '-') so that
 * "０３ー１２３４ー５６７８" is read as 03-1234-5678.  Every matcher starts
 * at one position and reads a bounded stretch after it, so a string costs
 * time linear in its length.  chobo(7), PERSONAL DATA, is the rule book:
 * change it with the code.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "personal_data.h"
#include "util.h"

/* ---------------------------------------------------------------- text */

/* The character the matchers see for c: full-width forms as ASCII, every dash as '-'. */
static uint32_t fold(uint32_t c)
{
	if (c >= 0xFF01 && c <= 0xFF5E)  /* full-width ASCII: ０-９ ＠ ＋ Ａ-Ｚ ... */
		return c - 0xFF01 + 0x21;
	if (c == 0x3000)                 /* ideographic space */
		return ' ';
	if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0x30FC || c == 0xFF70 || c == 0xFE63)
		return '-';              /* dashes, minus sign, ー, half-width ｰ, small hyphen-minus */
	return c;
}

/* Decode UTF-8 s into folded code points in out (room for len); bad bytes become U+FFFD. */
static size_t to_points(const char *s, size_t len, uint32_t *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;
	while (p < end) {
		uint32_t c;
		size_t k = utf8_decode(p, (size_t)(end - p), &c);
		if (k == 0) {
			out[n++] = 0xFFFD;   /* a byte that starts no character */
			p++;
			continue;
		}
		out[n++] = c < 0x80 ? c : fold(c);
		p += k;
	}
	return n;
}

struct text {
	const uint32_t *c;
	size_t n;
};

/* The character at i, or 0 outside the text (i - 1 at 0 wraps around and is outside too). */
static uint32_t at(const struct text *t, size_t i)
{
	return i < t->n ? t->c[i] : 0;
}

static bool digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static bool letter(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool alnum(uint32_t c)
{
	return digit(c) || letter(c);
}

static size_t digits_at(const struct text *t, size_t i)
{
	size_t k = i;
	while (digit(at(t, k)))
		k++;
	return k - i;
}

/*
 * Nothing glues a number starting at i to what comes before it: a letter or
 * digit, a decimal point after a digit (0.0312345678), or a hyphen, slash or
 * underscore after a letter or digit (an item code such as W-0312345678).
 */
static bool starts_free(const struct text *t, size_t i)
{
	uint32_t p = at(t, i - 1), pp = at(t, i - 2);
	if (alnum(p))
		return false;
	if (p == '.' && digit(pp))
		return false;
	if ((p == '-' || p == '/' || p == '_') && alnum(pp))
		return false;
	return true;
}

/* Nothing glues a number ending before i to what follows: the mirror of starts_free. */
static bool ends_free(const struct text *t, size_t i)
{
	uint32_t x = at(t, i), y = at(t, i + 1);
	if (alnum(x))
		return false;
	if (x == '.' && digit(y))
		return false;
	if ((x == '-' || x == '/' || x == '_') && alnum(y))
		return false;
	return true;
}

/* Length of the run of 1 to 3 separators from set at i, or 0. */
static size_t separators_at(const struct text *t, size_t i, const char *set)
{
	size_t k = 0;
	while (k < 4 && at(t, i + k) && at(t, i + k) < 0x80 && strchr(set, (int)at(t, i + k)))
		k++;
	return k <= 3 ? k : 0;
}

/* user@example.jp: a local part, '@', and two or more domain labels ending in letters. */
static bool mail_at(const struct text *t, size_t i)
{
	static const char local_extra[] = ".!#$%&'*+/=?^_`{|}~-";
	if (at(t, i) != '@')
		return false;
	uint32_t before = at(t, i - 1);
	if (!alnum(before) && !(before < 0x80 && before && strchr(local_extra, (int)before)))
		return false;
	size_t p = i + 1, labels = 0;
	bool last_letters = false;
	size_t last_len = 0;
	for (;;) {
		size_t start = p;
		bool letters = true;
		while (alnum(at(t, p)) || at(t, p) == '-') {
			letters = letters && letter(at(t, p));
			p++;
		}
		if (p == start)
			break;
		labels++;
		last_letters = letters;
		last_len = p - start;
		if (at(t, p) != '.' || !alnum(at(t, p + 1)))
			break;
		p++;
	}
	return labels >= 2 && last_letters && last_len >= 2;
}

/*
 * A Japanese number: 0 then a digit other than 0 (00 is the international
 * prefix), 10 or 11 digits in all, either in one run or in two or three
 * groups (the first of 2 to 5 digits, the last of at least 3) joined by
 * hyphens, spaces or parentheses: 0312345678, 03-1234-5678, 090 1234 5678,
 * 0120-123-456, (03)1234-5678.
 */
static bool jp_phone_at(const struct text *t, size_t i)
{
	if (at(t, i) != '0' || !digit(at(t, i + 1)) || at(t, i + 1) == '0' || !starts_free(t, i))
		return false;
	size_t g = digits_at(t, i), p = i + g, total = g;
	if (total == 10 || total == 11)
		return ends_free(t, p);
	if (g < 2 || g > 5)
		return false;
	for (int group = 2; group <= 3; group++) {
		size_t s = separators_at(t, p, " -()");
		if (s == 0 || !digit(at(t, p + s)))
			return false;
		p += s;
		g = digits_at(t, p);
		p += g;
		total += g;
		if (total > 11)
			return false;
		if ((total == 10 || total == 11) && g >= 3)
			return ends_free(t, p);
	}
	return false;
}

/*
 * An international number: '+', a country code (not starting with 0), and
 * at least 8 digits in all (at most 15, E.164), in groups joined by spaces,
 * hyphens, dots or parentheses: +81 3 1234 5678, +1-202-555-0143.
 */
static bool intl_phone_at(const struct text *t, size_t i)
{
	if (at(t, i) != '+' || alnum(at(t, i - 1)) || !digit(at(t, i + 1)) || at(t, i + 1) == '0')
		return false;
	size_t p = i + 1, total = 0;
	for (;;) {
		size_t g = digits_at(t, p);
		p += g;
		total += g;
		if (total >= 8)
			return total <= 15;
		size_t s = separators_at(t, p, " -.()");
		if (s == 0 || !digit(at(t, p + s)))
			return false;
		p += s;
	}
}

/* 〒 and its variants 〶 〠. */
static bool postal_mark(uint32_t c)
{
	return c == 0x3012 || c == 0x3036 || c == 0x3020;
}

/* 都 道 府 県 郡 市 区 町 村: the characters that end the parts of a Japanese address. */
static bool address_char(uint32_t c)
{
	return c == 0x90FD || c == 0x9053 || c == 0x5E9C || c == 0x770C || c == 0x90E1 ||
	       c == 0x5E02 || c == 0x533A || c == 0x753A || c == 0x6751;
}

/* How far (in characters) from a bare 123-4567 an address character is looked for. */
#define POSTAL_WINDOW 12

/*
 * A postal code: after 〒 (spaces allowed), 123-4567 or 1234567; without
 * 〒, 123-4567 with an address character within POSTAL_WINDOW characters
 * before or after it.
 */
static bool postal_at(const struct text *t, size_t i)
{
	if (postal_mark(at(t, i))) {
		size_t p = i + 1;
		while (at(t, p) == ' ' && p < i + 3)
			p++;
		size_t g = digits_at(t, p);
		return g == 7 || (g == 3 && at(t, p + 3) == '-' && digits_at(t, p + 4) == 4);
	}
	if (!digit(at(t, i)) || !starts_free(t, i) || digits_at(t, i) != 3 || at(t, i + 3) != '-' ||
	    digits_at(t, i + 4) != 4 || !ends_free(t, i + 8))
		return false;
	size_t from = i > POSTAL_WINDOW ? i - POSTAL_WINDOW : 0;
	for (size_t k = from; k < i; k++)
		if (address_char(t->c[k]))
			return true;
	for (size_t k = i + 8; k < i + 8 + POSTAL_WINDOW && k < t->n; k++)
		if (address_char(t->c[k]))
			return true;
	return false;
}

/* The 12th of the digits d is the check digit of an individual number (chobo(7) has the rule). */
static bool my_number_check_digit_ok(const char d[12])
{
	unsigned sum = 0;
	for (unsigned n = 1; n <= 11; n++) {
		unsigned p = (unsigned)(d[11 - n] - '0');  /* the n-th digit from the right */
		sum += p * (n <= 6 ? n + 1 : n - 5);
	}
	unsigned r = sum % 11;
	return (unsigned)(d[11] - '0') == (r <= 1 ? 0 : 11 - r);
}

/* d reads as a compact local time YYYYMMDDhhmm of 1900 to 2099. */
static bool compact_time(const char d[12])
{
	int v[6];
	for (int k = 0; k < 6; k++)
		v[k] = (d[2 * k] - '0') * 10 + (d[2 * k + 1] - '0');
	return (v[0] == 19 || v[0] == 20) && v[2] >= 1 && v[2] <= 12 && v[3] >= 1 && v[3] <= 31 &&
	       v[4] <= 23 && v[5] <= 59;
}

/*
 * A resident number (My Number): 12 digits, alone or as 1234-5678-9012 or
 * 1234 5678 9012, whose last digit is the right check digit; twelve zeros
 * and compact times (202612011230) excepted.
 */
static bool my_number_at(const struct text *t, size_t i)
{
	if (!digit(at(t, i)) || !starts_free(t, i))
		return false;
	char d[12];
	size_t end;
	if (digits_at(t, i) == 12) {
		end = i + 12;
	} else {
		uint32_t sep = at(t, i + 4);
		if (digits_at(t, i) != 4 || (sep != '-' && sep != ' ') || digits_at(t, i + 5) != 4 ||
		    at(t, i + 9) != sep || digits_at(t, i + 10) != 4)
			return false;
		end = i + 14;
	}
	if (!ends_free(t, end))
		return false;
	for (size_t p = i, k = 0; p < end; p++)
		if (digit(t->c[p]))
			d[k++] = (char)t->c[p];
	return my_number_check_digit_ok(d) && memcmp(d, "000000000000", 12) != 0 && !compact_time(d);
}

/*
 * What the folded text looks like, or NULL.  Only '@', '+', a digit that
 * starts a number, or a postal mark can begin a match.
 */
static const char *text_find(const struct text *t)
{
	for (size_t i = 0; i < t->n; i++) {
		uint32_t c = t->c[i];
		if (c == '@') {
			if (mail_at(t, i))
				return "a mail address";
		} else if (c == '+') {
			if (intl_phone_at(t, i))
				return "a phone number";
		} else if (digit(c)) {
			if (!starts_free(t, i))
				continue;
			if (jp_phone_at(t, i))
				return "a phone number";
			if (postal_at(t, i))
				return "a postal code with an address";
			if (my_number_at(t, i))
				return "a resident number (My Number)";
		} else if (postal_mark(c) && postal_at(t, i)) {
			return "a postal code with an address";
		}
	}
	return NULL;
}

/*
 * A quick pass over the UTF-8 bytes that leaves most strings alone, and
 * never one the matchers would find something in.  Without an '@' or '+'
 * (ASCII or full-width) or a postal mark, only numbers are left: digits
 * (ASCII or full-width) in a cluster that an ASCII character other than a
 * separator (space - ( ) .) does not interrupt; non-ASCII characters may
 * be dashes or spaces once folded, so they do not interrupt it either.  A
 * phone number needs 10 digits in one cluster, a resident number 12, a
 * postal code without a mark 7 and an address character, which is not
 * ASCII.
 */
static bool may_match(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t digits = 0, most = 0;
	bool ascii = true;
	for (size_t k = 0; k < len; k++) {
		unsigned char b = p[k];
		if (b >= 'A' && b < 0x80) {  /* most bytes: letters and the punctuation after '@' */
			digits = 0;
		} else if (b >= '0' && b <= '9') {
			if (++digits > most)
				most = digits;
		} else if (b == '@' || b == '+') {
			return true;
		} else if (b < 0x80) {
			if (b != ' ' && b != '-' && b != '(' && b != ')' && b != '.')
				digits = 0;
		} else {
			ascii = false;
			if (b == 0xEF && k + 2 < len && p[k + 1] == 0xBC) {
				unsigned char c = p[k + 2];  /* U+FF00 to U+FF3F */
				if (c == 0x8B || c == 0xA0)  /* ＋ ＠ */
					return true;
				if (c >= 0x90 && c <= 0x99 && ++digits > most)  /* ０ to ９ */
					most = digits;
			} else if (b == 0xE3 && k + 2 < len && p[k + 1] == 0x80 &&
				   (p[k + 2] == 0x92 || p[k + 2] == 0xB6 || p[k + 2] == 0xA0)) {
				return true;  /* 〒 〶 〠 */
			}
		}
	}
	return most >= (ascii ? 10 : 7);
}

const char *personal_data_in_text(const char *s, size_t len)
{
	if (!may_match(s, len))
		return NULL;
	uint32_t *points = xmalloc((len ? len : 1) * sizeof *points);
	struct text t = {points, to_points(s, len, points)};
	const char *what = text_find(&t);
	free(points);
	return what;
}

/* ---------------------------------------------------------- field names */

/* A word and its length in bytes. */
struct word {
	const char *text;
	size_t len;
};
#define WORD(s) {s, sizeof(s) - 1}

/* Whole components of a field name (contact_name, shelterAddress, e-mail). */
static const struct word field_words[] = {
	WORD("name"), WORD("names"), WORD("fullname"), WORD("firstname"), WORD("lastname"),
	WORD("surname"), WORD("kana"), WORD("furigana"),
	WORD("address"), WORD("addr"), WORD("zip"), WORD("zipcode"), WORD("postcode"), WORD("postal"),
	WORD("phone"), WORD("telephone"), WORD("tel"), WORD("telno"), WORD("mobile"), WORD("fax"),
	WORD("email"), WORD("mail"),
	WORD("birth"), WORD("birthday"), WORD("birthdate"), WORD("dob"), WORD("mynumber"),
};

/* Japanese words, found anywhere in a field name. */
static const struct word field_words_ja[] = {
	WORD("氏名"), WORD("名前"), WORD("フリガナ"), WORD("ふりがな"), WORD("住所"), WORD("郵便番号"),
	WORD("電話"), WORD("携帯"), WORD("メール"), WORD("生年月日"), WORD("誕生日"),
	WORD("マイナンバー"), WORD("個人番号"),
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* The len bytes at a are word, ignoring the case of ASCII letters (word is lower case). */
static bool word_is(const char *a, size_t len, const struct word *word)
{
	if (len != word->len)
		return false;
	for (size_t k = 0; k < len; k++)
		if ((a[k] | 0x20) != word->text[k])
			return false;
	return true;
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

const char *personal_data_field_word(const char *key, size_t len)
{
	bool ascii = true;
	for (size_t k = 0; k < len && ascii; k++)
		ascii = (unsigned char)key[k] < 0x80;
	for (size_t w = 0; !ascii && w < COUNT(field_words_ja); w++)
		for (size_t k = 0; k + field_words_ja[w].len <= len; k++)
			if (memcmp(key + k, field_words_ja[w].text, field_words_ja[w].len) == 0)
				return field_words_ja[w].text;
	/* Components: runs of ASCII letters, also split where a lower-case letter meets an upper-case one. */
	static const struct word my = WORD("my"), number = WORD("number");
	const char *prev = NULL;
	size_t prev_len = 0;
	size_t i = 0;
	while (i < len) {
		if (!is_lower(key[i]) && !is_upper(key[i])) {
			if (key[i] >= '0' && key[i] <= '9')
				prev = NULL;  /* phone2: a digit ends a component and breaks a pair */
			i++;
			continue;
		}
		size_t start = i++;
		while (i < len && (is_lower(key[i]) || (is_upper(key[i]) && !is_lower(key[i - 1]))))
			i++;
		const char *comp = key + start;
		size_t clen = i - start;
		for (size_t w = 0; w < COUNT(field_words); w++)
			if (word_is(comp, clen, &field_words[w]))
				return field_words[w].text;
		if (prev && word_is(prev, prev_len, &my) && word_is(comp, clen, &number))
			return "my_number";  /* my_number, myNumber, MY-NUMBER */
		prev = comp;
		prev_len = clen;
	}
	return NULL;
}

/* ------------------------------------------------------------- the walk */

struct walk {
	const struct json_doc *doc;
	const struct entry_type *type;
	char *bytes;        /* one decoded string, room for the longest */
	size_t cap;
	uint32_t *points;   /* the same string as folded code points */
	char path[256];     /* body.a.b[3], cut short with "..." when deeper */
	size_t pathlen;
	char *why;
	size_t whylen;
};

/* The string at token s, decoded into w->bytes; its length. */
static size_t decode(struct walk *w, size_t s)
{
	size_t len = jscan_string_bytes(w->doc, s, NULL);
	if (!jscan_string_copy(w->doc, s, w->bytes, w->cap))
		abort();  /* cannot happen: w->cap has room for the longest string under the body */
	return len;
}

static const char *string_find(struct walk *w, size_t s)
{
	const struct json_token *tok = &w->doc->tok[s];
	const char *bytes = w->doc->text + tok->start;  /* without escapes, the text is the string */
	size_t len = tok->end - tok->start;
	if (tok->escaped) {
		len = decode(w, s);
		bytes = w->bytes;
	}
	if (!may_match(bytes, len))
		return NULL;
	struct text t = {w->points, to_points(bytes, len, w->points)};
	return text_find(&t);
}

/* Append what printf makes to the path; a path too long for it ends in "...". */
static __attribute__((format(printf, 2, 3))) void path_add(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof w->path - w->pathlen;
	va_start(ap, fmt);
	int n = vsnprintf(w->path + w->pathlen, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room) {
		w->pathlen += (size_t)n;
		return;
	}
	memcpy(w->path + sizeof w->path - 4, "...", 4);
	w->pathlen = sizeof w->path - 1;
}

/*
 * Append the n bytes at s to the path as path_add(w, "%s", s) would: the
 * per-field printf was most of the guard's cost on an ingest.
 */
static void path_add_bytes(struct walk *w, const char *s, size_t n)
{
	size_t room = sizeof w->path - w->pathlen;
	if (n < room) {
		memcpy(w->path + w->pathlen, s, n);
		w->pathlen += n;
		w->path[w->pathlen] = '\0';
		return;
	}
	memcpy(w->path + w->pathlen, s, room - 1);
	memcpy(w->path + sizeof w->path - 4, "...", 4);
	w->pathlen = sizeof w->path - 1;
}

/*
 * Append ".key" for the key decoded into w->bytes (len bytes): at most 48
 * bytes of it, cut at a character boundary, with control characters shown
 * as '?'.
 */
static void path_add_key(struct walk *w, size_t len)
{
	char shown[53] = ".";
	size_t n = len <= 48 ? len : 48;
	while (n < len && n > 0 && ((unsigned char)w->bytes[n] & 0xC0) == 0x80)
		n--;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)w->bytes[k];
		shown[1 + k] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(shown + 1 + n, "...", 3);
		n += 3;
	}
	path_add_bytes(w, shown, 1 + n);
}

static bool public_name(const struct walk *w, size_t key)
{
	for (const char *const *p = w->type ? w->type->public_names : NULL; p && *p; p++)
		if (jscan_string_equals(w->doc, key, *p))
			return true;
	return false;
}

static bool walk_value(struct walk *w, size_t v, bool top);

/* The member at key token k of an object: its name, then its value. */
static bool walk_member(struct walk *w, size_t k, bool top)
{
	size_t mark = w->pathlen;
	const char *what = string_find(w, k);
	if (what) {
		/* The path stops at the object: the name itself would repeat the data. */
		snprintf(w->why, w->whylen, "%s: a field name looks like %s", w->path, what);
		return true;
	}
	size_t len = decode(w, k);
	const char *word = top && public_name(w, k) ? NULL : personal_data_field_word(w->bytes, len);
	path_add_key(w, len);
	if (word) {
		snprintf(w->why, w->whylen, "%s: the field name looks like personal data (%s)", w->path, word);
		return true;
	}
	if (walk_value(w, w->doc->tok[k].next, false))
		return true;
	w->pathlen = mark;
	w->path[mark] = '\0';
	return false;
}

static bool walk_value(struct walk *w, size_t v, bool top)
{
	const struct json_token *tok = &w->doc->tok[v];
	const char *what;
	size_t e = v + 1;
	switch (tok->kind) {
	case JSON_K_STRING:
		if ((what = string_find(w, v))) {
			snprintf(w->why, w->whylen, "%s: looks like %s", w->path, what);
			return true;
		}
		return false;
	case JSON_K_OBJECT:
		for (uint32_t i = 0; i < tok->size; i++) {
			if (walk_member(w, e, top))
				return true;
			e = w->doc->tok[w->doc->tok[e].next].next;
		}
		return false;
	case JSON_K_ARRAY:
		for (uint32_t i = 0; i < tok->size; i++) {
			size_t mark = w->pathlen;
			path_add(w, "[%u]", (unsigned)i);
			if (walk_value(w, e, false))
				return true;
			w->pathlen = mark;
			w->path[mark] = '\0';
			e = w->doc->tok[e].next;
		}
		return false;
	default:
		return false;
	}
}

bool personal_data_find(const struct json_doc *doc, size_t body, const struct entry_type *t,
			char *why, size_t whylen)
{
	size_t longest = 0;
	for (size_t k = body; k < doc->tok[body].next; k++)
		if (doc->tok[k].kind == JSON_K_STRING && doc->tok[k].end - doc->tok[k].start > longest)
			longest = doc->tok[k].end - doc->tok[k].start;
	/* A decoded string is never longer than its JSON text, in bytes or in characters. */
	struct walk w = {
		.doc = doc, .type = t, .cap = longest + 1, .why = why, .whylen = whylen,
	};
	/* Most bodies hold only short strings: no allocation for them. */
	char small_bytes[512];
	uint32_t small_points[512];
	bool small = w.cap <= sizeof small_bytes;
	w.bytes = small ? small_bytes : xmalloc(w.cap);
	w.points = small ? small_points : xmalloc(w.cap * sizeof *w.points);
	path_add(&w, "body");
	bool found = walk_value(&w, body, true);
	if (!small) {
		free(w.bytes);
		free(w.points);
	}
	return found;
}
