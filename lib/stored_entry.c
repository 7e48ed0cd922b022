/* Stored entries read back for the services' rules. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "merkle.h"
#include "stored_entry.h"
#include "store.h"
#include "view.h"

void stored_entry_free(struct stored_entry *s)
{
	free(s->bytes);
	json_doc_free(&s->doc);
	memset(s, 0, sizeof *s);
}

int stored_entry_read(struct ledger *l, uint32_t log, uint64_t index, struct stored_entry *out,
		      struct chobo_error *err)
{
	const char *data;
	size_t len;
	char why[256];
	struct entry_view v;
	uint8_t leaf[32];
	stored_entry_free(out);
	int rc = ledger_entry(l, log, index, &data, &len, err);
	if (rc != 0)
		return rc;
	out->bytes = xmalloc(len + 1);
	memcpy(out->bytes, data, len);
	out->bytes[len] = '\0';
	merkle_leaf_hash(leaf, out->bytes, len);
	hex32(out->leaf, leaf);
	if (!entry_parse(out->bytes, len, NULL, index, &out->doc, &v, why, sizeof why))
		return chobo_fail(err, EX_DATAERR, "log %" PRIu32 " entry %" PRIu64 ": %s; run chain-verify", log,
				  index, why);
	long o = jscan_find(&out->doc, 0, "log");
	if (o < 0 || !jscan_string_copy(&out->doc, (size_t)o, out->origin, sizeof out->origin))
		return chobo_fail(err, EX_DATAERR, "log %" PRIu32 " entry %" PRIu64 ": no origin", log, index);
	out->log = log;
	out->index = index;
	out->time = v.time_sec;
	out->type = v.type;
	out->body = v.body;
	return 0;
}

int stored_entry_find(struct ledger *l, const char *leaf, struct stored_entry *out, struct chobo_error *err)
{
	uint8_t hash[32];
	uint32_t log;
	uint64_t index;
	if (strlen(leaf) != 64 || !hex_decode(hash, sizeof hash, leaf))
		return chobo_fail(err, EX_DATAERR, "%s is not a leaf hash", leaf);
	int rc = ledger_find_leaf(l, hash, &log, &index, err);
	if (rc == EX_NOINPUT)
		return chobo_fail(err, EX_NOINPUT, "no entry has leaf hash %s", leaf);
	return rc ? rc : stored_entry_read(l, log, index, out, err);
}

bool stored_body_same(const struct stored_entry *se, const json_t *body, const char **differs)
{
	const char *name;
	const json_t *v;
	json_object_foreach((json_t *)body, name, v) {
		const struct field_spec *f = se->type->fields;
		while (f->name && strcmp(f->name, name) != 0)
			f++;
		*differs = name;
		if (!f->name)
			return false;   /* no such field: not a body of the type */
	}
	for (const struct field_spec *f = se->type->fields; f->name; f++) {
		long t = jscan_find(&se->doc, se->body, f->name);
		char text[64];
		int64_t n, when;
		bool same;
		v = json_object_get(body, f->name);
		*differs = f->name;
		if (t < 0 || !v)
			same = t < 0 && !v;
		else if (f->kind == FIELD_TIME && json_is_string(v))
			/* The same time however it is written (+09:00 or Z). */
			same = jscan_string_copy(&se->doc, (size_t)t, text, sizeof text) && time_parse(text, &n) &&
			       time_parse(json_string_value(v), &when) && n == when;
		else if (json_is_string(v))
			same = jscan_string_equals(&se->doc, (size_t)t, json_string_value(v));
		else if (json_is_integer(v))
			same = jscan_integer(&se->doc, (size_t)t, &n) && n == (int64_t)json_integer_value(v);
		else if (json_is_boolean(v))
			same = se->doc.tok[t].kind == (json_is_true(v) ? JSON_K_TRUE : JSON_K_FALSE);
		else
			same = false;   /* arrays and objects are not compared: never the same */
		if (!same)
			return false;
	}
	*differs = "";
	return true;
}

void stored_body_str(const struct json_doc *doc, size_t body, const char *name, char *out, size_t cap)
{
	long v = jscan_find(doc, body, name);
	if (v < 0 || !jscan_string_copy(doc, (size_t)v, out, cap))
		out[0] = '\0';
}

int64_t stored_body_int(const struct json_doc *doc, size_t body, const char *name, int64_t dflt)
{
	int64_t n;
	long v = jscan_find(doc, body, name);
	return v >= 0 && jscan_integer(doc, (size_t)v, &n) ? n : dflt;
}

bool stored_body_bool(const struct json_doc *doc, size_t body, const char *name)
{
	long v = jscan_find(doc, body, name);
	return v >= 0 && doc->tok[v].kind == JSON_K_TRUE;
}

bool stored_body_rule(const struct json_doc *doc, size_t body, const char *name, bool (*valid)(const char *),
		      const char *what, char *err, size_t errlen)
{
	char v[256];
	if (jscan_find(doc, body, name) < 0)
		return true;
	stored_body_str(doc, body, name, v, sizeof v);
	if (valid(v))
		return true;
	snprintf(err, errlen, "body.%s must be %s", name, what);
	return false;
}

int stored_batch_each(const struct batch_written *w, const char *prefix,
		      int (*fn)(void *ctx, const struct stored_entry *e, struct chobo_error *err), void *ctx,
		      struct chobo_error *err)
{
	return stored_batch_each_unmarked(w, prefix, NULL, fn, ctx, err);
}

int stored_batch_each_unmarked(const struct batch_written *w, const char *prefix, const struct view_spec *v,
			       int (*fn)(void *ctx, const struct stored_entry *e, struct chobo_error *err),
			       void *ctx, struct chobo_error *err)
{
	const struct batch *b = w->b;
	int place = v && w->counted ? view_place(v) : -1;
	uint64_t bit = place >= 0 ? (uint64_t)1 << place : 0;
	struct stored_entry self = {.log = w->log, .time = w->time};
	size_t n = strlen(prefix);
	int rc = 0;
	snprintf(self.origin, sizeof self.origin, "%s", w->origin);
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		const struct batch_item *it = &b->items[i];
		char why[256];
		if (strncmp(it->type->name, prefix, n) != 0 || (bit && (w->counted[i] & bit)))
			continue;
		if (!json_scan(&self.doc, b->buf + it->off, it->len, why, sizeof why)) {
			rc = chobo_fail_entry(err, EX_SOFTWARE, b->base + i + 1, "%s", why);
			break;
		}
		self.index = w->first + i;
		self.type = it->type;
		self.body = 0;
		hex32(self.leaf, w->leaf_hashes[i]);
		if ((rc = fn(ctx, &self, err)) != 0)
			chobo_fail_entry_context(err, rc, b->base + i + 1, self.type->name);
	}
	stored_entry_free(&self);
	return rc;
}
