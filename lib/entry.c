#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "util.h"

const struct entry_type *entry_type_find(const char *name)
{
	for (const struct entry_type *t = entry_types(); t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static bool lower_hex64(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static bool field_check(const struct field_spec *f, const json_t *v, char *err, size_t errlen)
{
	const char *s;
	int64_t t;
	switch (f->kind) {
	case FIELD_STRING:
		if (!json_is_string(v))
			break;
		if (json_string_length(v) == 0 || json_string_length(v) > f->max_len) {
			snprintf(err, errlen, "body.%s must be 1 to %zu bytes", f->name, f->max_len);
			return false;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(err, errlen, "body.%s contains a NUL character", f->name);
			return false;
		}
		return true;
	case FIELD_UINT:
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			return true;
		break;
	case FIELD_INT:
		if (json_is_integer(v))
			return true;
		break;
	case FIELD_BOOL:
		if (json_is_boolean(v))
			return true;
		break;
	case FIELD_TIME:
		if (json_is_string(v) && time_parse(json_string_value(v), &t))
			return true;
		break;
	case FIELD_SHA256:
	case FIELD_REF:
		if (json_is_string(v) && (s = json_string_value(v)) && lower_hex64(s))
			return true;
		break;
	}
	static const char *const what[] = {
		[FIELD_STRING] = "a string", [FIELD_UINT] = "a non-negative integer",
		[FIELD_INT] = "an integer", [FIELD_BOOL] = "true or false",
		[FIELD_TIME] = "an RFC 3339 time", [FIELD_SHA256] = "64 lowercase hex digits",
		[FIELD_REF] = "a leaf hash (64 lowercase hex digits)",
	};
	snprintf(err, errlen, "body.%s must be %s", f->name, what[f->kind]);
	return false;
}

bool entry_body_check(const struct entry_type *t, const json_t *body, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	if (!json_is_object(body)) {
		snprintf(err, errlen, "body must be an object");
		return false;
	}
	json_object_foreach((json_t *)body, key, v) {
		const struct field_spec *f;
		for (f = t->fields; f->name; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (!f->name) {
			snprintf(err, errlen, "%s: unknown field body.%.64s", t->name, key);
			return false;
		}
		if (!field_check(f, v, err, errlen))
			return false;
	}
	for (const struct field_spec *f = t->fields; f->name; f++) {
		if (f->required && !json_object_get(body, f->name)) {
			snprintf(err, errlen, "%s: missing field body.%s", t->name, f->name);
			return false;
		}
	}
	return t->check ? t->check(body, err, errlen) : true;
}

bool entry_input_parse(const json_t *obj, struct entry_input *in, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	memset(in, 0, sizeof *in);
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "input must be a JSON object");
		return false;
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "type") != 0 && strcmp(key, "body") != 0) {
			snprintf(err, errlen, "unexpected field \"%.64s\" (input has only type and body)", key);
			return false;
		}
	}
	json_t *type = json_object_get(obj, "type");
	json_t *body = json_object_get(obj, "body");
	if (!json_is_string(type)) {
		snprintf(err, errlen, "missing or non-string \"type\"");
		return false;
	}
	if (!(in->type = entry_type_find(json_string_value(type)))) {
		snprintf(err, errlen, "unknown entry type \"%.64s\"", json_string_value(type));
		return false;
	}
	if (!body) {
		snprintf(err, errlen, "missing \"body\"");
		return false;
	}
	if (!entry_body_check(in->type, body, err, errlen))
		return false;
	in->body = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	if (!in->body)
		chobo_die(EX_OSERR, "out of memory");
	in->body_len = strlen(in->body);
	return true;
}

char *entry_envelope(const char *origin, uint64_t index, const char *time,
		     const char *type, const char *body, size_t body_len, size_t *len)
{
	/* origin, time and type are restricted to characters that need no JSON escaping. */
	size_t cap = strlen(origin) + strlen(time) + strlen(type) + body_len + 96;
	char *buf = xmalloc(cap);
	int n = snprintf(buf, cap, "{\"log\":\"%s\",\"index\":%llu,\"time\":\"%s\",\"type\":\"%s\",\"body\":",
			 origin, (unsigned long long)index, time, type);
	memcpy(buf + n, body, body_len);
	buf[n + body_len] = '}';
	buf[n + body_len + 1] = '\0';
	*len = (size_t)n + body_len + 1;
	return buf;
}

bool entry_parse(const char *bytes, size_t len, const char *expect_log, uint64_t expect_index,
		 struct entry_view *out, char *err, size_t errlen)
{
	json_error_t jerr;
	memset(out, 0, sizeof *out);
	if (len > CHOBO_MAX_ENTRY) {
		snprintf(err, errlen, "entry is larger than %d bytes", CHOBO_MAX_ENTRY);
		return false;
	}
	out->root = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!out->root) {
		snprintf(err, errlen, "entry is not valid JSON: %s", jerr.text);
		return false;
	}
	json_t *log = json_object_get(out->root, "log");
	json_t *index = json_object_get(out->root, "index");
	json_t *time = json_object_get(out->root, "time");
	json_t *type = json_object_get(out->root, "type");
	out->body = json_object_get(out->root, "body");
	const struct entry_type *t;
	if (!json_is_object(out->root) || json_object_size(out->root) != 5 ||
	    !json_is_string(log) || !json_is_integer(index) || !json_is_string(time) ||
	    !json_is_string(type) || !out->body) {
		snprintf(err, errlen, "entry envelope is not {log,index,time,type,body}");
		goto fail;
	}
	out->log = json_string_value(log);
	out->index = (uint64_t)json_integer_value(index);
	out->time = json_string_value(time);
	out->type = json_string_value(type);
	if (expect_log && strcmp(out->log, expect_log) != 0) {
		snprintf(err, errlen, "entry names log \"%.64s\", not this log", out->log);
		goto fail;
	}
	if (json_integer_value(index) < 0 || out->index != expect_index) {
		snprintf(err, errlen, "entry says index %lld at position %llu",
			 (long long)json_integer_value(index), (unsigned long long)expect_index);
		goto fail;
	}
	if (strlen(out->time) != 20 || out->time[19] != 'Z' || !time_parse(out->time, &out->time_sec)) {
		snprintf(err, errlen, "entry time is not an RFC 3339 UTC time");
		goto fail;
	}
	if (!(t = entry_type_find(out->type))) {
		snprintf(err, errlen, "unknown entry type \"%.64s\"", out->type);
		goto fail;
	}
	if (!entry_body_check(t, out->body, err, errlen))
		goto fail;
	return true;
fail:
	json_decref(out->root);
	out->root = NULL;
	return false;
}
