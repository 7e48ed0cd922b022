/* The volunteer service: entry types, the volunteer.registry view and the rules of volunteer.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "codec.h"
#include "stored_entry.h"
#include "volunteer.h"

/* ------------------------------------------------------------- names */

bool volunteer_code_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > VOLUNTEER_CODE_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._-", *s)))
			return false;
	return true;
}

bool volunteer_tags_have(const char *list, const char *tag)
{
	size_t n = strlen(tag);
	if (n == 0)
		return false;
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, tag, n) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/* Every tag of list is one of other's. */
static bool tags_within(const char *list, const char *other)
{
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char tag[VOLUNTEER_TAGS_MAX + 1];
		if (len > VOLUNTEER_TAGS_MAX)
			return false;
		memcpy(tag, p, len);
		tag[len] = '\0';
		if (!volunteer_tags_have(other, tag))
			return false;
		if (!end)
			break;
		p = end + 1;
	}
	return true;
}

bool volunteer_tags_same(const char *a, const char *b)
{
	return tags_within(a, b) && tags_within(b, a);
}

/* Put code point c (below U+10000) into out as UTF-8; the bytes written. */
static size_t put_utf8(char *out, unsigned c)
{
	if (c < 0x80)
		return out[0] = (char)c, 1;
	if (c < 0x800)
		return out[0] = (char)(0xC0 | c >> 6), out[1] = (char)(0x80 | (c & 0x3F)), 2;
	out[0] = (char)(0xE0 | c >> 12);
	out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[2] = (char)(0x80 | (c & 0x3F));
	return 3;
}

/*
 * Half-width katakana and signs U+FF61..U+FF9F as their full-width forms
 * (the voiced and semi-voiced marks alone as U+309B, U+309C).
 */
static const unsigned short halfwidth_kana[63] = {
	0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5,
	0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3,
	0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC,
	0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4,
	0x30E6, 0x30E8, 0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x309B, 0x309C,
};

/* Full-width kana k with the voiced (mark 0xFF9E) or semi-voiced (0xFF9F) mark, or 0 when it takes none. */
static unsigned kana_marked(unsigned k, unsigned mark)
{
	bool ha_row = k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0;   /* ハ ヒ フ ヘ ホ */
	if (mark == 0xFF9F)
		return ha_row ? k + 2 : 0;
	if (k == 0x30A6)
		return 0x30F4;                                              /* ウ゛: ヴ */
	if (ha_row || (k >= 0x30AB && k <= 0x30C1 && (k - 0x30AB) % 2 == 0) ||   /* カ..チ */
	    k == 0x30C4 || k == 0x30C6 || k == 0x30C8)                      /* ツ テ ト */
		return k + 1;
	return 0;
}

/* The code point of the half-width form at p (EF BD A1..BF, EF BE 80..9F), or 0. */
static unsigned halfwidth_at(const unsigned char *p)
{
	if (p[0] != 0xEF || !p[1] || !p[2])
		return 0;
	unsigned c = 0xF000 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
	return (p[1] == 0xBD || p[1] == 0xBE) && c >= 0xFF61 && c <= 0xFF9F ? c : 0;
}

/*
 * The separator that an IME types for ',' at p, or for the blank between
 * words: U+3001 (、), U+FF0C (，), U+3000 (the ideographic space); its
 * bytes in *len, or NULL.
 */
static const char *separator_at(const unsigned char *p, size_t *len)
{
	*len = 3;
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x81)
		return "\"、\" (U+3001, the ideographic comma)";
	if (p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x8C)
		return "\"，\" (U+FF0C, the full-width comma)";
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
		return "U+3000 (the ideographic space)";
	return NULL;
}

/*
 * fixed with each tag's ASCII blanks around it and the empty tags dropped,
 * in place: what "a、 b、、c　" becomes once its separators are commas.
 */
static void tags_tidy(char *fixed)
{
	size_t k = 0;
	for (char *p = fixed; *p;) {
		size_t len = strcspn(p, ","), skip = strspn(p, " \t");
		char *q = p + skip;
		size_t n = len > skip ? len - skip : 0;
		while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
			n--;
		if (n > 0) {
			if (k > 0)
				fixed[k++] = ',';
			memmove(fixed + k, q, n);
			k += n;
		}
		p += len;
		if (*p)
			p++;
	}
	fixed[k] = '\0';
}

/*
 * s as the tags a registration would be asked to write (into fixed, of cap
 * bytes, at least 4): full-width Latin letters, digits and signs as ASCII
 * (letters in lower case), half-width katakana as full-width, separators
 * as commas and the tags tidied; what it found in *wide, *half and *sep
 * (the first separator's description, or NULL).
 */
static void tags_fold(const char *s, char *fixed, size_t cap, bool *wide, bool *half, const char **sep)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, seplen;
	const char *this_sep;
	*wide = *half = false;
	*sep = NULL;
	while (*p && n + 3 < cap) {
		/* Before the full-width forms: U+FF0C is one of them, but what it means is a comma between tags. */
		if ((this_sep = separator_at(p, &seplen))) {
			*sep = *sep ? *sep : this_sep;
			fixed[n++] = ',';
			p += seplen;
			continue;
		}
		char c = utf8_fullwidth_ascii((const char *)p);
		if (c) {
			fixed[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
			*wide = true;
			p += 3;
			continue;
		}
		unsigned h = halfwidth_at(p);
		if (h) {
			unsigned k = halfwidth_kana[h - 0xFF61], mark = halfwidth_at(p + 3), marked = 0;
			if (mark == 0xFF9E || mark == 0xFF9F)
				marked = kana_marked(k, mark);
			n += put_utf8(fixed + n, marked ? marked : k);
			p += marked ? 6 : 3;
			*half = true;
			continue;
		}
		fixed[n++] = (char)*p++;
	}
	fixed[n] = '\0';
	if (*sep)
		tags_tidy(fixed);
}

bool volunteer_tags_found(const char *list, const char *tag)
{
	/* An ASCII list is as a registration writes it now: nothing to fold. */
	for (const unsigned char *p = (const unsigned char *)list; *p; p++)
		if (*p >= 0x80) {
			char fixed[3 * VOLUNTEER_TAGS_MAX + 1];
			bool wide, half;
			const char *sep;
			tags_fold(list, fixed, sizeof fixed, &wide, &half, &sep);
			return volunteer_tags_have(fixed, tag);
		}
	return volunteer_tags_have(list, tag);
}

bool volunteer_tags_ascii(const char *name, const char *s, char *why, size_t whylen)
{
	/* What to write instead: a full-width form (3 bytes) for each 3-byte half-width one, ASCII for the rest. */
	char fixed[3 * VOLUNTEER_TAGS_MAX + 1];
	bool wide, half;
	const char *sep;
	tags_fold(s, fixed, sizeof fixed, &wide, &half, &sep);
	if (!wide && !half && !sep)
		return true;
	if (sep)
		snprintf(why, whylen, "%s: \"%.*s\" has %s%s; tags are separated by commas (,), without blanks: "
			 "write \"%.*s\"", name, (int)utf8_cut(s, 128), s, sep,
			 half ? " and half-width katakana" : wide ? " and full-width letters, digits or signs" : "",
			 (int)utf8_cut(fixed, 160), fixed);
	else if (half)
		snprintf(why, whylen, "%s: \"%.*s\" has half-width katakana; tags are a-z 0-9 - _ or Japanese "
			 "in full-width forms: write \"%.*s\"", name, (int)utf8_cut(s, 128), s,
			 (int)utf8_cut(fixed, 160), fixed);
	else
		snprintf(why, whylen, "%s: \"%.*s\" has full-width letters, digits or signs; tags are a-z 0-9 - _ "
			 "(or Japanese): write \"%.*s\"", name, (int)utf8_cut(s, 128), s, (int)utf8_cut(fixed, 128),
			 fixed);
	return false;
}

/* Tags: 1 or more of [a-z0-9-] (and Japanese: any non-ASCII UTF-8), separated by single commas. */
static bool tags_valid(const char *s)
{
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x80 && !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
						  strchr(",-_", *s)))
			return false;
	return true;
}

void volunteer_fy_validity(int32_t fy, int64_t *from, int64_t *to)
{
	*from = jp_day_start(jp_fiscal_year_start(fy));
	*to = jp_day_start(jp_fiscal_year_start(fy + 1)) - 1;
}

/* ------------------------------------------------------------- types */

#define END {NULL, 0, false, 0, false}
#define VOLUNTEER_FIELD {"volunteer", FIELD_STRING, true, PERSON_ID_TEXT, true}

static const struct field_spec volunteer_fields[] = {
	VOLUNTEER_FIELD,
	{"home", FIELD_STRING, true, NOTE_MAX_NAME, false},
	{"fy", FIELD_UINT, true, 0, false},
	{"skills", FIELD_STRING, false, VOLUNTEER_TAGS_MAX, false},
	{"languages", FIELD_STRING, false, VOLUNTEER_TAGS_MAX, false},
	END,
};

static const struct field_spec certificate_fields[] = {
	VOLUNTEER_FIELD,
	{"fy", FIELD_UINT, true, 0, false},
	{"valid_from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"valid_to", FIELD_STRING, true, JP_DATE_LEN, false},
	{"expires", FIELD_TIME, true, 0, false},
	END,
};

static const struct field_spec posting_fields[] = {
	{"posting", FIELD_STRING, true, VOLUNTEER_CODE_MAX, true},
	{"host", FIELD_STRING, true, VOLUNTEER_CODE_MAX, false},
	{"kind", FIELD_STRING, true, VOLUNTEER_CODE_MAX, false},
	{"task", FIELD_STRING, true, VOLUNTEER_TEXT_MAX, false},
	{"district", FIELD_STRING, true, 64, false},
	{"from", FIELD_TIME, true, 0, false},
	{"to", FIELD_TIME, true, 0, false},
	{"skills", FIELD_STRING, false, VOLUNTEER_TAGS_MAX, false},
	{"people", FIELD_UINT, true, 0, false},
	END,
};

static const struct field_spec pair_fields[] = {
	{"posting", FIELD_STRING, true, VOLUNTEER_CODE_MAX, true},
	VOLUNTEER_FIELD,
	END,
};

static const struct field_spec activity_fields[] = {
	{"activity", FIELD_STRING, true, VOLUNTEER_CODE_MAX, true},
	{"step", FIELD_STRING, true, 8, false},
	{"at", FIELD_TIME, true, 0, false},
	{"posting", FIELD_STRING, false, VOLUNTEER_CODE_MAX, false},
	{"volunteer", FIELD_STRING, false, PERSON_ID_TEXT, true},
	{"certificate", FIELD_REF, false, 0, false},
	END,
};

static const struct field_spec report_fields[] = {
	{"activity", FIELD_STRING, true, VOLUNTEER_CODE_MAX, true},
	{"note", FIELD_STRING, false, VOLUNTEER_TEXT_MAX, false},
	END,
};

static const struct field_spec approval_fields[] = {
	{"activity", FIELD_STRING, true, VOLUNTEER_CODE_MAX, true},
	VOLUNTEER_FIELD,
	{"unit", FIELD_STRING, true, 8, false},
	{"units", FIELD_UINT, true, 0, false},
	{"points", FIELD_UINT, true, 0, false},
	{"points_per_unit", FIELD_UINT, true, 0, false},
	{"max_units_day", FIELD_UINT, true, 0, false},
	{"cap_fy", FIELD_UINT, true, 0, false},
	{"ref", FIELD_STRING, true, 200, false},
	END,
};

static bool step_valid(const char *s)
{
	return strcmp(s, "start") == 0 || strcmp(s, "end") == 0 || strcmp(s, "decline") == 0;
}

static bool unit_valid(const char *s)
{
	return strcmp(s, "hour") == 0 || strcmp(s, "activity") == 0;
}

/* The rules one body can be judged on alone. */
static bool body_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const codes[] = {"posting", "host", "kind", "activity", NULL};
	static const char *const dates[] = {"valid_from", "valid_to", NULL};
	static const char *const tags[] = {"skills", "languages", NULL};
	for (size_t i = 0; codes[i]; i++)
		if (!stored_body_rule(doc, body, codes[i], volunteer_code_valid, "a code of 1 to 32 of A-Z a-z 0-9 . _ -",
				err, errlen))
			return false;
	for (size_t i = 0; dates[i]; i++)
		if (!stored_body_rule(doc, body, dates[i], jp_date_valid, "a date YYYY-MM-DD", err, errlen))
			return false;
	for (size_t i = 0; tags[i]; i++)
		if (!stored_body_rule(doc, body, tags[i], tags_valid, "tags of a-z 0-9 - _ (or Japanese), comma-separated",
				err, errlen))
			return false;
	return stored_body_rule(doc, body, "volunteer", person_id_valid, "a pseudonymous ID (p- and 32 hex digits)", err,
			  errlen) &&
	       stored_body_rule(doc, body, "step", step_valid, "start, end or decline", err, errlen) &&
	       stored_body_rule(doc, body, "unit", unit_valid, "hour or activity", err, errlen);
}

static const struct entry_type types[] = {
	{"volunteer.volunteer", "a volunteer's registration for a fiscal year: pseudonymous ID, home node, skills "
	 "and languages as tags", volunteer_fields, body_check, NULL},
	{VOLUNTEER_CERT_KIND, "a volunteer registration certificate for a fiscal year (the entry its signed QR "
	 "payload names)", certificate_fields, body_check, NULL},
	{"volunteer.posting", "a request for volunteers: host, kind, task, district, time, skills wanted, people",
	 posting_fields, body_check, NULL},
	{"volunteer.application", "a volunteer's application to a posting", pair_fields, body_check, NULL},
	{"volunteer.assignment", "a volunteer assigned to a posting", pair_fields, body_check, NULL},
	{"volunteer.activity", "an activity's start (with the certificate checked), end or decline, confirmed by "
	 "the host", activity_fields, body_check, NULL},
	{"volunteer.report", "the report of an ended activity", report_fields, body_check, NULL},
	{"volunteer.approval", "the municipality's approval of a report: units and the points granted",
	 approval_fields, body_check, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------- view values */

static int put_text(struct view_state *s, const char *key, struct view_text *t, struct chobo_error *err)
{
	view_text_str(t, "}");
	int rc = view_put(s, key, t->p, t->len, err);
	view_text_free(t);
	return rc;
}

int volunteer_get_json(struct view_state *s, const char *key, json_t **out, struct chobo_error *err)
{
	const char *value;
	size_t len;
	int rc = view_get(s, key, &value, &len, err);
	if (rc != 0)
		return rc;
	*out = json_loadb(value, len, 0, NULL);
	if (!json_is_object(*out)) {
		json_decref(*out);
		return chobo_fail(err, EX_DATAERR, "volunteer.registry: %s is malformed; run chain-verify --views", key);
	}
	return 0;
}

/* True when key is present (0), false when absent; an error otherwise. */
static int exists(struct view_state *s, const char *key, bool *yes, struct chobo_error *err)
{
	const char *value;
	size_t len;
	int rc = view_get(s, key, &value, &len, err);
	*yes = rc == 0;
	return rc == EX_UNAVAILABLE ? 0 : rc;
}

bool volunteer_activity_parse(const char *id, const char *value, size_t len, struct volunteer_activity *out)
{
	json_t *o = json_loadb(value, len, 0, NULL);
	memset(out, 0, sizeof *out);
	if (!json_is_object(o)) {
		json_decref(o);
		return false;
	}
	snprintf(out->id, sizeof out->id, "%s", id);
	view_json_str(o, "posting", out->posting, sizeof out->posting);
	view_json_str(o, "volunteer", out->volunteer, sizeof out->volunteer);
	view_json_str(o, "host", out->host, sizeof out->host);
	view_json_str(o, "kind", out->kind, sizeof out->kind);
	view_json_str(o, "state", out->state, sizeof out->state);
	view_json_str(o, "start", out->start, sizeof out->start);
	view_json_str(o, "end", out->end, sizeof out->end);
	view_json_str(o, "certificate", out->certificate, sizeof out->certificate);
	out->reported = json_is_true(json_object_get(o, "reported"));
	out->units = view_json_int(o, "units");
	out->points = view_json_int(o, "points");
	json_decref(o);
	return true;
}

int volunteer_activity_get(struct view_state *s, const char *id, struct volunteer_activity *out,
			   struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	const char *value;
	size_t len;
	snprintf(key, sizeof key, "act/%s", id);
	int rc = view_get(s, key, &value, &len, err);
	if (rc == 0 && !volunteer_activity_parse(id, value, len, out))
		rc = chobo_fail(err, EX_DATAERR, "volunteer.registry: %s is malformed; run chain-verify --views", key);
	return rc;
}

/*
 * Posting code's time from the registry: its from and to as stored (text,
 * 21 bytes each) and in seconds.  0, EX_UNAVAILABLE when there is no such
 * posting, or an error (a malformed record).
 */
static int posting_time(struct view_state *s, const char *code, char pfrom[21], char pto[21], int64_t *from,
			int64_t *to, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	json_t *post;
	snprintf(key, sizeof key, "post/%s", code);
	int rc = volunteer_get_json(s, key, &post, err);
	if (rc != 0)
		return rc;
	view_json_str(post, "from", pfrom, 21);
	view_json_str(post, "to", pto, 21);
	json_decref(post);
	if (!time_parse(pfrom, from) || !time_parse(pto, to))
		return chobo_fail(err, EX_DATAERR, "volunteer.registry: posting %s is malformed; run chain-verify --views",
				  code);
	return 0;
}

int volunteer_start_check(struct view_state *s, const json_t *body, struct chobo_error *err)
{
	const char *code = json_string_value(json_object_get(body, "posting"));
	const char *at = json_string_value(json_object_get(body, "at"));
	char pfrom[21], pto[21];
	int64_t t, post_from, post_to;
	if (!code || !at || !time_parse(at, &t))
		return 0;   /* the schema speaks of it */
	int rc = posting_time(s, code, pfrom, pto, &post_from, &post_to, err);
	if (rc != 0)
		return rc == EX_UNAVAILABLE ? 0 : rc;   /* the rules name a posting that is not there */
	if (t < jp_day_start(jp_day_of(post_from)) || t > post_to)
		return chobo_fail(err, EX_DATAERR, "activity %s: a start at %s is outside posting %s, from %s to %s (a "
				  "start may come earlier on the JST day of its from)",
				  json_string_value(json_object_get(body, "activity")), at, code, pfrom, pto);
	return 0;
}

int volunteer_activity_counted(struct view_state *s, const struct volunteer_activity *a, int64_t *from, int64_t *to,
			       struct chobo_error *err)
{
	char pfrom[21], pto[21];
	int64_t start = 0, end = 0, post_from = 0, post_to = 0;
	int rc = posting_time(s, a->posting, pfrom, pto, &post_from, &post_to, err);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "volunteer.registry: activity %s names posting %s, which it lacks; "
				  "run chain-verify --views", a->id, a->posting);
	if (rc != 0)
		return rc;
	if (!time_parse(a->start, &start) || !time_parse(a->end, &end))
		return chobo_fail(err, EX_DATAERR, "volunteer.registry: activity %s is malformed; run chain-verify --views",
				  a->id);
	*from = start > post_from ? start : post_from;
	*to = end < post_to ? end : post_to;
	if (*to < *from)
		*to = *from;
	return 0;
}

static int activity_put(struct view_state *s, const struct volunteer_activity *a, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	struct view_text t = {0};
	snprintf(key, sizeof key, "act/%s", a->id);
	view_text_object_str(&t, "posting", a->posting);
	view_text_member_str(&t, "volunteer", a->volunteer);
	view_text_member_str(&t, "host", a->host);
	view_text_member_str(&t, "kind", a->kind);
	view_text_member_str(&t, "state", a->state);
	view_text_member_str(&t, "start", a->start);
	view_text_member_str(&t, "end", a->end);
	view_text_member_str(&t, "certificate", a->certificate);
	if (a->reported)
		view_text_str(&t, ",\"reported\":true");
	view_text_member_int(&t, "units", a->units);
	view_text_member_int(&t, "points", a->points);
	return put_text(s, key, &t, err);
}

int volunteer_cert_get(struct view_state *s, const char *leaf, struct volunteer_cert *out, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	json_t *o;
	snprintf(key, sizeof key, "cert/%s", leaf);
	int rc = volunteer_get_json(s, key, &o, err);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->leaf, sizeof out->leaf, "%s", leaf);
	view_json_str(o, "volunteer", out->volunteer, sizeof out->volunteer);
	view_json_str(o, "origin", out->origin, sizeof out->origin);
	out->fy = view_json_int(o, "fy");
	out->from_t = view_json_int(o, "from_t");
	out->to_t = view_json_int(o, "to_t");
	out->revoked = json_is_true(json_object_get(o, "revoked"));
	json_decref(o);
	return 0;
}

static int cert_put(struct view_state *s, const struct volunteer_cert *c, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	struct view_text t = {0};
	snprintf(key, sizeof key, "cert/%s", c->leaf);
	view_text_object_str(&t, "volunteer", c->volunteer);
	view_text_member_str(&t, "origin", c->origin);
	view_text_member_int(&t, "fy", c->fy);
	view_text_member_int(&t, "from_t", c->from_t);
	view_text_member_int(&t, "to_t", c->to_t);
	if (c->revoked)
		view_text_str(&t, ",\"revoked\":true");
	return put_text(s, key, &t, err);
}

int volunteer_cert_at(struct view_state *s, const char *origin, uint64_t index, char leaf[65],
		      struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	json_t *o;
	snprintf(key, sizeof key, "certat/%s/%" PRIu64, origin, index);
	int rc = volunteer_get_json(s, key, &o, err);
	if (rc != 0)
		return rc;
	view_json_str(o, "leaf", leaf, 65);
	json_decref(o);
	return 0;
}

/* The integer member name of the object at key (0 when the key is absent): 0 or an error. */
static int counter_get(struct view_state *s, const char *key, const char *name, int64_t *v, struct chobo_error *err)
{
	json_t *o;
	*v = 0;
	int rc = volunteer_get_json(s, key, &o, err);
	if (rc == EX_UNAVAILABLE)
		return 0;
	if (rc == 0) {
		*v = view_json_int(o, name);
		json_decref(o);
	}
	return rc;
}

static int counter_put(struct view_state *s, const char *key, const char *name, int64_t v, struct chobo_error *err)
{
	struct view_text t = {0};
	view_text_str(&t, "{\"");
	view_text_str(&t, name);
	view_text_str(&t, "\":");
	view_text_int(&t, v);
	return put_text(s, key, &t, err);
}

/* Start a value with where entry e is: its leaf hash, log, index and time (what an event names). */
static void position_text(struct view_text *t, const struct view_entry *e)
{
	char hex[65], when[21];
	hex32(hex, e->leaf_hash);
	time_format(when, e->time);
	view_text_object_str(t, "leaf", hex);
	view_text_member_str(t, "origin", e->origin);
	view_text_member_int(t, "index", (int64_t)e->index);
	view_text_member_str(t, "time", when);
}

/* Record at key that entry e did the work it names (volunteer_work_key): e's position. */
static int work_put(struct view_state *s, const char *key, const struct view_entry *e, struct chobo_error *err)
{
	struct view_text t = {0};
	position_text(&t, e);
	return put_text(s, key, &t, err);
}

bool volunteer_work_key(enum volunteer_verb v, const json_t *body, char *key, size_t cap)
{
	const char *volunteer = json_string_value(json_object_get(body, "volunteer"));
	const char *posting = json_string_value(json_object_get(body, "posting"));
	const char *activity = json_string_value(json_object_get(body, "activity"));
	int n;
	switch (v) {
	case VOL_REGISTER:
		n = snprintf(key, cap, "reg/%s/%" JSON_INTEGER_FORMAT, volunteer ? volunteer : "",
			     json_integer_value(json_object_get(body, "fy")));
		break;
	case VOL_POST:
		n = snprintf(key, cap, "post/%s", posting ? posting : "");
		break;
	case VOL_APPLY:
	case VOL_ASSIGN:
		n = snprintf(key, cap, "%s/%s/%s", v == VOL_APPLY ? "app" : "asg", posting ? posting : "",
			     volunteer ? volunteer : "");
		break;
	case VOL_START:
	case VOL_END:
	case VOL_DECLINE:
		n = snprintf(key, cap, "step/%s/%s", activity ? activity : "", volunteer_verb_name(v));
		break;
	case VOL_REPORT:
	case VOL_APPROVE:
		n = snprintf(key, cap, "%s/%s", v == VOL_REPORT ? "report" : "grant", activity ? activity : "");
		break;
	default:
		return false;   /* a certificate is issued again on purpose; revokes are the core's */
	}
	return n > 0 && (size_t)n < cap;
}

/* ------------------------------------------------------------- the rules, in merge order */

#define REFUSE(...) return snprintf(why, whylen, __VA_ARGS__), 0

static void str_of(const struct view_entry *e, const char *name, char *out, size_t cap)
{
	stored_body_str(e->doc, e->body, name, out, cap);
}

static int64_t time_of(const struct view_entry *e, const char *name)
{
	char v[40];
	int64_t t = 0;
	str_of(e, name, v, sizeof v);
	return time_parse(v, &t) ? t : 0;
}

static int volunteer_apply(struct view_state *s, const struct view_entry *e, char *why, size_t whylen,
			   struct chobo_error *err)
{
	char id[PERSON_ID_TEXT + 1], home[NOTE_MAX_NAME + 1], key[VIEW_MAX_KEY], v[VOLUNTEER_TAGS_MAX + 1];
	int64_t fy = stored_body_int(e->doc, e->body, "fy", 0);
	json_t *o = NULL;
	bool have;
	str_of(e, "volunteer", id, sizeof id);
	str_of(e, "home", home, sizeof home);
	if (strcmp(home, e->origin) != 0)
		REFUSE("a volunteer registers on its home node: body.home is %s, this log is %s", home, e->origin);
	snprintf(key, sizeof key, "vol/%s", id);
	int rc = volunteer_get_json(s, key, &o, err);
	if (rc != 0 && rc != EX_UNAVAILABLE)
		return rc;
	int64_t first = fy;
	if (rc == 0) {
		view_json_str(o, "home", v, sizeof v);
		first = view_json_int(o, "first_fy");
		json_decref(o);
		if (strcmp(v, e->origin) != 0)
			REFUSE("volunteer %s's home node is %s: register there, not on %s", id, v, e->origin);
	}
	snprintf(key, sizeof key, "reg/%s/%" PRId64, id, fy);
	if ((rc = exists(s, key, &have, err)) != 0)
		return rc;
	if (have)
		REFUSE("volunteer %s is already registered for FY%" PRId64, id, fy);
	struct view_text t = {0};
	position_text(&t, e);
	if ((rc = put_text(s, key, &t, err)) != 0)
		return rc;
	snprintf(key, sizeof key, "vol/%s", id);
	view_text_object_str(&t, "home", home);
	view_text_member_int(&t, "first_fy", first < fy ? first : fy);
	view_text_member_int(&t, "fy", fy);
	str_of(e, "skills", v, sizeof v);
	view_text_member_str(&t, "skills", v);
	str_of(e, "languages", v, sizeof v);
	view_text_member_str(&t, "languages", v);
	return put_text(s, key, &t, err);
}

static int certificate_apply(struct view_state *s, const struct view_entry *e, char *why, size_t whylen,
			     struct chobo_error *err)
{
	struct volunteer_cert c = {0};
	char key[VIEW_MAX_KEY], home[NOTE_MAX_NAME + 1], from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1];
	json_t *o;
	bool have;
	hex32(c.leaf, e->leaf_hash);
	str_of(e, "volunteer", c.volunteer, sizeof c.volunteer);
	snprintf(c.origin, sizeof c.origin, "%s", e->origin);
	c.fy = stored_body_int(e->doc, e->body, "fy", 0);
	volunteer_fy_validity((int32_t)c.fy, &c.from_t, &c.to_t);
	snprintf(key, sizeof key, "vol/%s", c.volunteer);
	int rc = volunteer_get_json(s, key, &o, err);
	if (rc == EX_UNAVAILABLE)
		REFUSE("volunteer %s is not registered", c.volunteer);
	if (rc != 0)
		return rc;
	view_json_str(o, "home", home, sizeof home);
	json_decref(o);
	if (strcmp(home, e->origin) != 0)
		REFUSE("volunteer %s's home node is %s: its certificates are issued there", c.volunteer, home);
	snprintf(key, sizeof key, "reg/%s/%" PRId64, c.volunteer, c.fy);
	if ((rc = exists(s, key, &have, err)) != 0)
		return rc;
	if (!have)
		REFUSE("volunteer %s is not registered for FY%" PRId64, c.volunteer, c.fy);
	str_of(e, "valid_from", from, sizeof from);
	str_of(e, "valid_to", to, sizeof to);
	char want_from[JP_DATE_LEN + 1], want_to[JP_DATE_LEN + 1];
	jp_date_format(want_from, jp_fiscal_year_start((int32_t)c.fy));
	jp_date_format(want_to, jp_fiscal_year_start((int32_t)c.fy + 1) - 1);
	if (strcmp(from, want_from) != 0 || strcmp(to, want_to) != 0 || time_of(e, "expires") != c.to_t)
		REFUSE("a certificate for FY%" PRId64 " is valid from %s to %s (expires at the end of %s JST)", c.fy,
		       want_from, want_to, want_to);
	if ((rc = cert_put(s, &c, err)) != 0)
		return rc;
	struct view_text t = {0};
	snprintf(key, sizeof key, "certat/%s/%" PRIu64, e->origin, e->index);
	view_text_object_str(&t, "leaf", c.leaf);
	if ((rc = put_text(s, key, &t, err)) != 0)
		return rc;
	/* By volunteer and year too, so that a card issued again finds the one it replaces. */
	snprintf(key, sizeof key, "vcert/%s/%" PRId64 "/%s", c.volunteer, c.fy, c.leaf);
	view_text_object_str(&t, "leaf", c.leaf);
	return put_text(s, key, &t, err);
}

struct standing {
	char (*leaves)[65];
	size_t max, n;
};

static int each_vcert(void *ctx, const char *key, const char *value, size_t len)
{
	struct standing *st = ctx;
	const char *leaf = strrchr(key, '/');
	(void)value;
	(void)len;
	if (leaf && strlen(leaf + 1) == 64 && st->n < st->max)
		memcpy(st->leaves[st->n++], leaf + 1, 65);
	return 0;
}

int volunteer_certs_standing(struct ledger *l, const char *volunteer, int64_t fy, char (*leaves)[65], size_t max,
			     size_t *n, struct chobo_error *err)
{
	char prefix[VIEW_MAX_KEY];
	struct standing st = {leaves, max, 0};
	*n = 0;
	snprintf(prefix, sizeof prefix, "vcert/%s/%" PRId64 "/", volunteer, fy);
	int rc = view_each_prefix(l, &volunteer_registry_view, prefix, NULL, each_vcert, &st, err);
	struct view_state *s = rc == 0 ? view_stored(l, &volunteer_registry_view) : NULL;
	for (size_t i = 0; rc == 0 && i < st.n; i++) {
		struct volunteer_cert c;
		if ((rc = volunteer_cert_get(s, st.leaves[i], &c, err)) == 0 && !c.revoked)
			memmove(leaves[(*n)++], st.leaves[i], 65);
	}
	view_state_free(s);
	return rc;
}

/* A core revoke of a certificate by its issuing log marks it revoked; other revokes are not ours. */
static int revoke_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	struct volunteer_cert c;
	char ref[65];
	str_of(e, "ref", ref, sizeof ref);
	int rc = volunteer_cert_get(s, ref, &c, err);
	if (rc == EX_UNAVAILABLE || (rc == 0 && (c.revoked || strcmp(c.origin, e->origin) != 0)))
		return 0;
	if (rc != 0)
		return rc;
	c.revoked = true;
	return cert_put(s, &c, err);
}

static int posting_apply(struct view_state *s, const struct view_entry *e, char *why, size_t whylen,
			 struct chobo_error *err)
{
	static const char *const strs[] = {"host", "kind", "task", "district", "from", "to", "skills", NULL};
	char code[VOLUNTEER_CODE_MAX + 1], key[VIEW_MAX_KEY], v[VOLUNTEER_TAGS_MAX + 1];
	bool have;
	str_of(e, "posting", code, sizeof code);
	snprintf(key, sizeof key, "post/%s", code);
	int rc = exists(s, key, &have, err);
	if (rc != 0)
		return rc;
	if (have)
		REFUSE("posting %s already exists", code);
	if (time_of(e, "to") < time_of(e, "from"))
		REFUSE("posting %s ends before it starts", code);
	int64_t people = stored_body_int(e->doc, e->body, "people", 0);
	if (people < 1 || people > 10000)
		REFUSE("posting %s: people must be 1 to 10000", code);
	struct view_text t = {0};
	char leaf[65];
	hex32(leaf, e->leaf_hash);
	view_text_object_str(&t, "origin", e->origin);
	view_text_member_str(&t, "leaf", leaf);   /* the entry that posted it (volunteer_work_key) */
	for (size_t i = 0; strs[i]; i++) {
		str_of(e, strs[i], v, sizeof v);
		view_text_member_str(&t, strs[i], v);
	}
	view_text_member_int(&t, "people", people);
	view_text_member_int(&t, "assigned", 0);
	return put_text(s, key, &t, err);
}

static int pair_apply(struct view_state *s, const struct view_entry *e, bool assignment, char *why, size_t whylen,
		      struct chobo_error *err)
{
	char code[VOLUNTEER_CODE_MAX + 1], id[PERSON_ID_TEXT + 1], key[VIEW_MAX_KEY];
	json_t *post;
	bool have;
	str_of(e, "posting", code, sizeof code);
	str_of(e, "volunteer", id, sizeof id);
	snprintf(key, sizeof key, "post/%s", code);
	int rc = volunteer_get_json(s, key, &post, err);
	if (rc == EX_UNAVAILABLE)
		REFUSE("no posting %s", code);
	if (rc != 0)
		return rc;
	int64_t people = view_json_int(post, "people"), assigned = view_json_int(post, "assigned");
	snprintf(key, sizeof key, "vol/%s", id);
	if ((rc = exists(s, key, &have, err)) != 0 || !have) {
		json_decref(post);
		if (rc != 0)
			return rc;
		REFUSE("volunteer %s is not registered", id);
	}
	snprintf(key, sizeof key, "app/%s/%s", code, id);
	if ((rc = exists(s, key, &have, err)) != 0) {
		json_decref(post);
		return rc;
	}
	if (!assignment && have) {
		json_decref(post);
		REFUSE("volunteer %s has already applied to posting %s", id, code);
	}
	if (assignment && !have) {
		json_decref(post);
		REFUSE("volunteer %s has not applied to posting %s", id, code);
	}
	if (assignment) {
		snprintf(key, sizeof key, "asg/%s/%s", code, id);
		if ((rc = exists(s, key, &have, err)) != 0 || have || assigned >= people) {
			json_decref(post);
			if (rc != 0)
				return rc;
			if (have)
				REFUSE("volunteer %s is already assigned to posting %s", id, code);
			REFUSE("posting %s has its %" PRId64 " people assigned", code, people);
		}
		json_object_set_new(post, "assigned", json_integer(assigned + 1));
		/* Rewritten member by member, in the order posting_apply wrote it. */
		static const char *const strs[] = {"origin", "leaf", "host", "kind", "task", "district", "from", "to",
						   "skills", NULL};
		struct view_text t = {0};
		char v[VOLUNTEER_TAGS_MAX + 1], pkey[VIEW_MAX_KEY];
		for (size_t i = 0; strs[i]; i++) {
			view_json_str(post, strs[i], v, sizeof v);
			if (i == 0)
				view_text_object_str(&t, strs[i], v);
			else
				view_text_member_str(&t, strs[i], v);
		}
		view_text_member_int(&t, "people", people);
		view_text_member_int(&t, "assigned", assigned + 1);
		snprintf(pkey, sizeof pkey, "post/%s", code);
		if ((rc = put_text(s, pkey, &t, err)) != 0) {
			json_decref(post);
			return rc;
		}
	}
	json_decref(post);
	struct view_text t = {0};
	position_text(&t, e);
	return put_text(s, key, &t, err);
}

/* Activity a after entry e's step (start, end, decline): a, and the step done by e (step/ID/STEP). */
static int activity_step_put(struct view_state *s, const struct volunteer_activity *a, const struct view_entry *e,
			     const char *step, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	int rc = activity_put(s, a, err);
	snprintf(key, sizeof key, "step/%s/%s", a->id, step);
	return rc != 0 ? rc : work_put(s, key, e, err);
}

static int activity_apply(struct view_state *s, const struct view_entry *e, char *why, size_t whylen,
			  struct chobo_error *err)
{
	static struct volunteer_activity a;
	char id[VOLUNTEER_CODE_MAX + 1], step[8], at[21], key[VIEW_MAX_KEY];
	int64_t t = time_of(e, "at");
	str_of(e, "activity", id, sizeof id);
	str_of(e, "step", step, sizeof step);
	time_format(at, t);
	int rc = volunteer_activity_get(s, id, &a, err);
	if (rc != 0 && rc != EX_UNAVAILABLE)
		return rc;
	if (t > e->time)
		REFUSE("activity %s: a host confirms a %s once it has happened, not for %s", id, step, at);
	if (strcmp(step, "start") == 0) {
		struct volunteer_cert c;
		json_t *post;
		bool have;
		if (rc == 0)
			REFUSE("activity %s has already started", id);
		memset(&a, 0, sizeof a);
		snprintf(a.id, sizeof a.id, "%s", id);
		str_of(e, "posting", a.posting, sizeof a.posting);
		str_of(e, "volunteer", a.volunteer, sizeof a.volunteer);
		str_of(e, "certificate", a.certificate, sizeof a.certificate);
		if (!a.posting[0] || !a.volunteer[0] || !a.certificate[0])
			REFUSE("a start names the posting, the volunteer and the certificate checked");
		snprintf(key, sizeof key, "asg/%s/%s", a.posting, a.volunteer);
		if ((rc = exists(s, key, &have, err)) != 0)
			return rc;
		if (!have)
			REFUSE("volunteer %s is not assigned to posting %s", a.volunteer, a.posting);
		if ((rc = volunteer_cert_get(s, a.certificate, &c, err)) == EX_UNAVAILABLE)
			REFUSE("certificate %s is not a recorded volunteer certificate", a.certificate);
		if (rc != 0)
			return rc;
		if (strcmp(c.volunteer, a.volunteer) != 0)
			REFUSE("certificate %s is volunteer %s's, not %s's", a.certificate, c.volunteer, a.volunteer);
		if (c.revoked)
			REFUSE("certificate %s is revoked", a.certificate);
		if (t < c.from_t || t > c.to_t)
			REFUSE("certificate %s is valid for FY%" PRId64 " only: expired or not yet valid at %s",
			       a.certificate, c.fy, at);
		snprintf(key, sizeof key, "post/%s", a.posting);
		if ((rc = volunteer_get_json(s, key, &post, err)) != 0)
			return rc;
		view_json_str(post, "host", a.host, sizeof a.host);
		view_json_str(post, "kind", a.kind, sizeof a.kind);
		json_decref(post);
		snprintf(a.state, sizeof a.state, "started");
		snprintf(a.start, sizeof a.start, "%s", at);
		return activity_step_put(s, &a, e, step, err);
	}
	if (rc == EX_UNAVAILABLE)
		REFUSE("activity %s has not started", id);
	if (strcmp(a.state, "started") != 0)
		REFUSE("activity %s is %s", id, a.state);
	int64_t start = 0;
	time_parse(a.start, &start);
	if (strcmp(step, "end") == 0) {
		if (t < start)
			REFUSE("activity %s cannot end (%s) before it started (%s)", id, at, a.start);
		snprintf(a.state, sizeof a.state, "ended");
		snprintf(a.end, sizeof a.end, "%s", at);
	} else {
		snprintf(a.state, sizeof a.state, "declined");
	}
	return activity_step_put(s, &a, e, step, err);
}

static int report_apply(struct view_state *s, const struct view_entry *e, char *why, size_t whylen,
			struct chobo_error *err)
{
	static struct volunteer_activity a;
	char id[VOLUNTEER_CODE_MAX + 1];
	str_of(e, "activity", id, sizeof id);
	int rc = volunteer_activity_get(s, id, &a, err);
	if (rc == EX_UNAVAILABLE)
		REFUSE("no activity %s", id);
	if (rc != 0)
		return rc;
	if (strcmp(a.state, "ended") != 0)
		REFUSE("activity %s is %s, not ended", id, a.state);
	if (a.reported)
		REFUSE("activity %s is already reported", id);
	a.reported = true;
	char key[VIEW_MAX_KEY];
	snprintf(key, sizeof key, "report/%s", id);
	int put = activity_put(s, &a, err);
	return put != 0 ? put : work_put(s, key, e, err);
}

static int approval_apply(struct view_state *s, const struct view_entry *e, char *why, size_t whylen,
			  struct chobo_error *err)
{
	static struct volunteer_activity a;
	char id[VOLUNTEER_CODE_MAX + 1], unit[8], key[VIEW_MAX_KEY], home[NOTE_MAX_NAME + 1], day[JP_DATE_LEN + 1];
	json_t *o;
	str_of(e, "activity", id, sizeof id);
	str_of(e, "unit", unit, sizeof unit);
	int64_t units = stored_body_int(e->doc, e->body, "units", 0), points = stored_body_int(e->doc, e->body, "points", 0);
	int64_t ppu = stored_body_int(e->doc, e->body, "points_per_unit", 0);
	int64_t max_day = stored_body_int(e->doc, e->body, "max_units_day", 0);
	int64_t cap = stored_body_int(e->doc, e->body, "cap_fy", 0);
	int rc = volunteer_activity_get(s, id, &a, err);
	if (rc == EX_UNAVAILABLE)
		REFUSE("no activity %s", id);
	if (rc != 0)
		return rc;
	if (!a.reported)
		REFUSE("activity %s has no report to approve", id);
	if (strcmp(a.state, "ended") != 0)
		REFUSE("activity %s is %s", id, a.state);
	snprintf(key, sizeof key, "vol/%s", a.volunteer);
	if ((rc = volunteer_get_json(s, key, &o, err)) != 0)
		return rc;
	view_json_str(o, "home", home, sizeof home);
	json_decref(o);
	if (strcmp(home, e->origin) != 0)
		REFUSE("volunteer %s's home node is %s: points are granted there, not on %s", a.volunteer, home,
		       e->origin);
	int64_t start = 0, end = 0;
	time_parse(a.start, &start);
	time_parse(a.end, &end);
	int64_t earned = strcmp(unit, "hour") == 0 ? (end - start) / 3600 : 1;
	if (units < 1 || units > earned)
		REFUSE("activity %s earns %" PRId64 " unit%s (%s), not %" PRId64, id, earned, earned == 1 ? "" : "s", unit,
		       units);
	if (points < 1 || points > units * ppu)
		REFUSE("%" PRId64 " units at %" PRId64 " points are at most %" PRId64 " points, not %" PRId64, units, ppu,
		       units * ppu, points);
	/* The day and fiscal year of the end (volunteer.h). */
	int64_t d = jp_day_of(end), used_day, used_fy;
	int32_t fy = jp_fiscal_year(d);
	jp_date_format(day, d);
	char dkey[VIEW_MAX_KEY], fkey[VIEW_MAX_KEY];
	snprintf(dkey, sizeof dkey, "day/%s/%s", a.volunteer, day);
	snprintf(fkey, sizeof fkey, "fy/%s/%d", a.volunteer, (int)fy);
	if ((rc = counter_get(s, dkey, "units", &used_day, err)) != 0 ||
	    (rc = counter_get(s, fkey, "points", &used_fy, err)) != 0)
		return rc;
	if (max_day > 0 && used_day + units > max_day)
		REFUSE("at most %" PRId64 " units a day: %" PRId64 " approved on %s, %" PRId64 " more asked", max_day,
		       used_day, day, units);
	if (cap > 0 && used_fy + points > cap)
		REFUSE("at most %" PRId64 " points in a fiscal year: %" PRId64 " granted in FY%d, %" PRId64 " more asked",
		       cap, used_fy, (int)fy, points);
	a.units = units;
	a.points = points;
	snprintf(a.state, sizeof a.state, "approved");
	if ((rc = counter_put(s, dkey, "units", used_day + units, err)) != 0 ||
	    (rc = counter_put(s, fkey, "points", used_fy + points, err)) != 0)
		return rc;
	struct view_text t = {0};
	snprintf(key, sizeof key, "grant/%s", id);
	position_text(&t, e);
	view_text_member_str(&t, "volunteer", a.volunteer);
	view_text_member_int(&t, "units", units);
	view_text_member_int(&t, "points", points);
	if ((rc = put_text(s, key, &t, err)) != 0)
		return rc;
	return activity_put(s, &a, err);
}

#undef REFUSE

static int registry_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	const char *t = e->type->name;
	char why[1024] = "";
	int rc;
	if (strcmp(t, "revoke") == 0)
		return revoke_apply(s, e, err);
	if (strcmp(t, "volunteer.volunteer") == 0)
		rc = volunteer_apply(s, e, why, sizeof why, err);
	else if (strcmp(t, VOLUNTEER_CERT_KIND) == 0)
		rc = certificate_apply(s, e, why, sizeof why, err);
	else if (strcmp(t, "volunteer.posting") == 0)
		rc = posting_apply(s, e, why, sizeof why, err);
	else if (strcmp(t, "volunteer.application") == 0)
		rc = pair_apply(s, e, false, why, sizeof why, err);
	else if (strcmp(t, "volunteer.assignment") == 0)
		rc = pair_apply(s, e, true, why, sizeof why, err);
	else if (strcmp(t, "volunteer.activity") == 0)
		rc = activity_apply(s, e, why, sizeof why, err);
	else if (strcmp(t, "volunteer.report") == 0)
		rc = report_apply(s, e, why, sizeof why, err);
	else
		rc = approval_apply(s, e, why, sizeof why, err);
	if (rc != 0 || !why[0])
		return rc;
	char key[VIEW_MAX_KEY], hex[65];
	struct view_text v = {0};
	hex32(hex, e->leaf_hash);
	snprintf(key, sizeof key, "refused/%s", hex);
	view_text_object_str(&v, "refused", why);
	return put_text(s, key, &v, err);
}

static const char *const registry_types[] = {
	"volunteer.volunteer", VOLUNTEER_CERT_KIND, "volunteer.posting", "volunteer.application",
	"volunteer.assignment", "volunteer.activity", "volunteer.report", "volunteer.approval", "revoke", NULL,
};

const struct view_spec volunteer_registry_view = {
	.name = "volunteer.registry",
	.summary = "volunteers, certificates, postings, applications, assignments, activities, points approved",
	.types = registry_types,
	.version = 5,   /* 2: vcert/VOLUNTEER/FY/LEAF; 3: a posting's leaf, step/ID/STEP, report/ID; 5: as 3 (4 judged activity times) */
	.apply = registry_apply,
};

/* ------------------------------------------------------------- the append's check */

/* An entry of the batch that the registry refused (recorded under refused/LEAF) fails the append. */
static int entry_refused(void *ctx, const struct stored_entry *e, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], why[1024];
	json_t *o;
	snprintf(key, sizeof key, "refused/%s", e->leaf);
	int rc = volunteer_get_json(ctx, key, &o, err);
	if (rc == EX_UNAVAILABLE)
		return 0;
	if (rc != 0)
		return rc;
	view_json_str(o, "refused", why, sizeof why);
	json_decref(o);
	return chobo_fail(err, EX_DATAERR, "%s", why);
}

int volunteer_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	struct view_state *s = view_stored(l, &volunteer_registry_view);
	int rc = stored_batch_each(w, "volunteer.", entry_refused, s, err);
	view_state_free(s);
	return rc;
}

/* ------------------------------------------------------------- settings */

static bool uint_upto(const char *value, uint64_t max, char *why, size_t whylen)
{
	uint64_t v;
	if (parse_u64(value, &v) && v <= max)
		return true;
	snprintf(why, whylen, "expected a whole number from 0 to %llu", (unsigned long long)max);
	return false;
}

static bool points_valid(const char *value, char *why, size_t whylen)
{
	return uint_upto(value, 1000000, why, whylen);
}

static bool units_valid(const char *value, char *why, size_t whylen)
{
	return uint_upto(value, 24, why, whylen);
}

static bool days_valid(const char *value, char *why, size_t whylen)
{
	return uint_upto(value, 36600, why, whylen);
}

static bool unit_setting_valid(const char *value, char *why, size_t whylen)
{
	if (unit_valid(value))
		return true;
	snprintf(why, whylen, "expected hour or activity");
	return false;
}

static bool carry_valid(const char *value, char *why, size_t whylen)
{
	uint64_t v;
	if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0 || (parse_u64(value, &v) && v >= 1 && v <= 1000000))
		return true;
	snprintf(why, whylen, "expected yes, no, or the points carried over, from 1 to 1000000");
	return false;
}

static const struct setting_spec settings[] = {
	{"volunteer.unit", "what earns points: each whole hour of an activity (hour), or each activity (activity)",
	 "hour", unit_setting_valid},
	{"volunteer.points_per_unit", "points per unit", "100", points_valid},
	{"volunteer.max_units_day", "units a volunteer may earn in one JST day (0: no cap)", "2", units_valid},
	{"volunteer.cap_fy", "points a volunteer may earn in one fiscal year, April to March (0: no cap)", "5000",
	 points_valid},
	{"volunteer.carry_over", "whether points outlive the fiscal year they count in: no (they expire on March 31), "
	 "yes (expiry_days), or N (up to N points carry into the next fiscal year)", "no", carry_valid},
	{"volunteer.expiry_days", "with carry_over yes, the days a credit lasts (0: no expiry)", "0", days_valid},
	{"volunteer.yen_per_point", "what a point is worth to a shop at settlement, in yen", "1", points_valid},
	{NULL, NULL, NULL, NULL},
};

const struct service volunteer_service = {
	.name = "volunteer",
	.summary = "volunteers: registration certificates, postings, activities confirmed by hosts, points",
	.types = types,
	.settings = settings,
	.views = (const struct view_spec *const[]){&volunteer_registry_view, NULL},
	.append_check = volunteer_append_check,
};
