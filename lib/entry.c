#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "personal_data.h"
#include "service.h"
#include "util.h"

const struct entry_type *entry_type_find(const char *name)
{
	return service_entry_type(name);
}

static bool lower_hex64(const struct json_doc *doc, size_t t)
{
	const struct json_token *tok = &doc->tok[t];
	if (tok->kind != JSON_K_STRING || tok->escaped || tok->end - tok->start != 64)
		return false;
	for (const char *p = doc->text + tok->start; p < doc->text + tok->end; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static bool field_check(const struct field_spec *f, const struct json_doc *doc, size_t v,
			char *err, size_t errlen)
{
	const struct json_token *tok = &doc->tok[v];
	int64_t n;
	char buf[64];
	bool has_nul;
	switch (f->kind) {
	case FIELD_STRING:
		if (tok->kind != JSON_K_STRING)
			break;
		n = (int64_t)jscan_string_bytes(doc, v, &has_nul);
		if (n == 0 || (size_t)n > f->max_len) {
			snprintf(err, errlen, "body.%s must be 1 to %zu bytes", f->name, f->max_len);
			return false;
		}
		if (has_nul) {
			snprintf(err, errlen, "body.%s contains a NUL character", f->name);
			return false;
		}
		return true;
	case FIELD_UINT:
		if (jscan_integer(doc, v, &n) && n >= 0)
			return true;
		break;
	case FIELD_INT:
		if (jscan_integer(doc, v, &n))
			return true;
		break;
	case FIELD_BOOL:
		if (tok->kind == JSON_K_TRUE || tok->kind == JSON_K_FALSE)
			return true;
		break;
	case FIELD_TIME:
		if (tok->kind == JSON_K_STRING && jscan_string_copy(doc, v, buf, sizeof buf) &&
		    time_parse(buf, &n))
			return true;
		break;
	case FIELD_SHA256:
	case FIELD_REF:
		if (lower_hex64(doc, v))
			return true;
		break;
	case FIELD_ARRAY:
		if (tok->kind == JSON_K_ARRAY)
			return true;
		break;
	}
	static const char *const what[] = {
		[FIELD_STRING] = "a string", [FIELD_UINT] = "a non-negative integer",
		[FIELD_INT] = "an integer", [FIELD_BOOL] = "true or false",
		[FIELD_TIME] = "an RFC 3339 time", [FIELD_SHA256] = "64 lowercase hex digits",
		[FIELD_REF] = "a leaf hash (64 lowercase hex digits)", [FIELD_ARRAY] = "an array",
	};
	snprintf(err, errlen, "body.%s must be %s", f->name, what[f->kind]);
	return false;
}

bool entry_body_check(const struct entry_type *t, const struct json_doc *doc, size_t body,
		      char *err, size_t errlen)
{
	if (doc->tok[body].kind != JSON_K_OBJECT) {
		snprintf(err, errlen, "body must be an object");
		return false;
	}
	/* Before the schema: what looks like personal data is named as such, wherever it is. */
	if (personal_data_find(doc, body, t, err, errlen))
		return false;
	size_t k = body + 1;
	for (uint32_t i = 0; i < doc->tok[body].size; i++) {
		size_t v = doc->tok[k].next;
		const struct field_spec *f;
		for (f = t->fields; f->name; f++)
			if (jscan_string_equals(doc, k, f->name))
				break;
		if (!f->name) {
			char key[65];
			jscan_string_copy(doc, k, key, sizeof key);
			snprintf(err, errlen, "%s: unknown field body.%s", t->name, key);
			return false;
		}
		if (!field_check(f, doc, v, err, errlen))
			return false;
		k = doc->tok[v].next;
	}
	for (const struct field_spec *f = t->fields; f->name; f++) {
		if (f->required && jscan_find(doc, body, f->name) < 0) {
			snprintf(err, errlen, "%s: missing field body.%s", t->name, f->name);
			return false;
		}
	}
	return t->check ? t->check(doc, body, err, errlen) : true;
}

bool entry_input_parse(const char *line, size_t len, struct json_doc *doc,
		       struct entry_input *in, char *err, size_t errlen)
{
	memset(in, 0, sizeof *in);
	if (!json_scan(doc, line, len, err, errlen))
		return false;
	if (doc->tok[0].kind != JSON_K_OBJECT) {
		snprintf(err, errlen, "input must be a JSON object");
		return false;
	}
	long type = jscan_find(doc, 0, "type");
	long body = jscan_find(doc, 0, "body");
	if (doc->tok[0].size != (uint32_t)((type >= 0) + (body >= 0))) {
		snprintf(err, errlen, "unexpected field (input has only type and body)");
		return false;
	}
	char name[65];
	if (type < 0 || doc->tok[type].kind != JSON_K_STRING) {
		snprintf(err, errlen, "missing or non-string \"type\"");
		return false;
	}
	if (!jscan_string_copy(doc, (size_t)type, name, sizeof name) || !(in->type = entry_type_find(name))) {
		snprintf(err, errlen, "unknown entry type \"%s\"", name);
		return false;
	}
	if (body < 0) {
		snprintf(err, errlen, "missing \"body\"");
		return false;
	}
	if (!entry_body_check(in->type, doc, (size_t)body, err, errlen))
		return false;
	in->body = line + doc->tok[body].start;
	in->body_len = doc->tok[body].end - doc->tok[body].start;
	return true;
}

size_t entry_envelope_into(char **buf, size_t *cap, const char *origin, uint64_t index,
			   const char *time, bool test_clock, const char *type, const char *body,
			   size_t body_len)
{
	/* origin, time and type are restricted to characters that need no JSON escaping. */
	size_t need = strlen(origin) + strlen(time) + strlen(type) + body_len + 96;
	if (*cap < need) {
		*cap = need;
		*buf = xrealloc(*buf, need);
	}
	/* Written by hand: snprintf was 1 % of an ingest's instructions. */
	char *p = *buf;
#define PUT(s, len) do { memcpy(p, (s), (len)); p += (len); } while (0)
#define PUTS(s) PUT(s, strlen(s))
	PUTS("{\"log\":\"");
	PUTS(origin);
	PUTS("\",\"index\":");
	p = put_decimal(p, index);
	PUTS(",\"time\":\"");
	PUTS(time);
	PUTS(test_clock ? "\",\"clock\":\"test\",\"type\":\"" : "\",\"type\":\"");
	PUTS(type);
	PUTS("\",\"body\":");
#undef PUTS
#undef PUT
	size_t n = (size_t)(p - *buf);
	memcpy(*buf + n, body, body_len);
	(*buf)[n + body_len] = '}';
	(*buf)[n + body_len + 1] = '\0';
	return n + body_len + 1;
}

bool entry_parse(const char *bytes, size_t len, const char *expect_log, uint64_t expect_index,
		 struct json_doc *doc, struct entry_view *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (len > CHOBO_MAX_ENTRY) {
		snprintf(err, errlen, "entry is larger than %d bytes", CHOBO_MAX_ENTRY);
		return false;
	}
	if (!json_scan(doc, bytes, len, err, errlen))
		return false;
	long log = jscan_find(doc, 0, "log"), index = jscan_find(doc, 0, "index");
	long time = jscan_find(doc, 0, "time"), type = jscan_find(doc, 0, "type");
	long body = jscan_find(doc, 0, "body"), clock = jscan_find(doc, 0, "clock");
	int64_t ix;
	char buf[65];
	/* "clock" is there only as "clock":"test" (a time set by CHOBO_NOW on a ledger for testing). */
	if (clock >= 0 && (doc->tok[clock].kind != JSON_K_STRING || !jscan_string_equals(doc, (size_t)clock, "test"))) {
		snprintf(err, errlen, "entry clock is not \"test\"");
		return false;
	}
	out->test_clock = clock >= 0;
	if (doc->tok[0].kind != JSON_K_OBJECT || doc->tok[0].size != (clock >= 0 ? 6 : 5) || log < 0 || index < 0 ||
	    time < 0 || type < 0 || body < 0 || doc->tok[log].kind != JSON_K_STRING ||
	    doc->tok[time].kind != JSON_K_STRING || doc->tok[type].kind != JSON_K_STRING) {
		snprintf(err, errlen, "entry envelope is not {log,index,time,[clock,]type,body}");
		return false;
	}
	if (expect_log && !jscan_string_equals(doc, (size_t)log, expect_log)) {
		snprintf(err, errlen, "entry names another log");
		return false;
	}
	if (!jscan_integer(doc, (size_t)index, &ix) || ix < 0 || (uint64_t)ix != expect_index) {
		snprintf(err, errlen, "entry index differs from its position %llu",
			 (unsigned long long)expect_index);
		return false;
	}
	out->index = (uint64_t)ix;
	if (!jscan_string_copy(doc, (size_t)time, buf, sizeof buf) || strlen(buf) != 20 ||
	    buf[19] != 'Z' || !time_parse(buf, &out->time_sec)) {
		snprintf(err, errlen, "entry time is not an RFC 3339 UTC time");
		return false;
	}
	if (!jscan_string_copy(doc, (size_t)type, buf, sizeof buf) || !(out->type = entry_type_find(buf))) {
		snprintf(err, errlen, "unknown entry type");
		return false;
	}
	out->body = (size_t)body;
	return entry_body_check(out->type, doc, (size_t)body, err, errlen);
}
