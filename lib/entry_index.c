/*
 * Keys, bytewise ordered:
 *   type index:  type '\0' log (4) index (8)                  -> time (8)
 *   key index:   type '\0' field '\0' value '\0' log (4) index (8) -> nothing
 * Integers are big-endian; a time is stored as its two's complement.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "entry_index.h"

#define MAX_NAME 64              /* an entry type's or field's name */
#define MAX_VALUE 512            /* an indexed string value */
#define MAX_KEY (2 * MAX_NAME + MAX_VALUE + 3 + 12)

static size_t type_key(uint8_t *k, const char *type, uint32_t log, uint64_t index)
{
	size_t n = strlen(type) + 1;
	memcpy(k, type, n);
	put_be32(k + n, log);
	put_be64(k + n + 4, index);
	return n + 12;
}

/* The key index's prefix type '\0' field '\0' value '\0'; 0 when it does not fit. */
static size_t key_prefix(uint8_t *k, const char *type, const char *field, const char *value, size_t vlen)
{
	size_t tl = strlen(type), fl = strlen(field);
	if (tl > MAX_NAME || fl > MAX_NAME || vlen > MAX_VALUE)
		return 0;
	memcpy(k, type, tl + 1);
	memcpy(k + tl + 1, field, fl + 1);
	memcpy(k + tl + fl + 2, value, vlen);
	k[tl + fl + 2 + vlen] = '\0';
	return tl + fl + 3 + vlen;
}

static int store_failed(struct store *st, struct chobo_error *err)
{
	return chobo_fail(err, EX_IOERR, "entry index: %s", store_error(st));
}

int entry_index_put_type(struct store *st, const struct entry_type *t, uint32_t log, uint64_t index,
			 int64_t time, struct chobo_error *err)
{
	uint8_t k[MAX_NAME + 1 + 12], v[8];
	if (strlen(t->name) > MAX_NAME)
		return chobo_fail(err, EX_SOFTWARE, "entry type name %s is too long", t->name);
	size_t klen = type_key(k, t->name, log, index);
	put_be64(v, (uint64_t)time);
	if (store_kv_put(st, STORE_TYPE_INDEX, k, klen, v, sizeof v) != STORE_OK)
		return store_failed(st, err);
	return 0;
}

int entry_index_put_keys(struct store *st, const struct entry_type *t, const struct json_doc *doc,
			 size_t body, uint32_t log, uint64_t index, struct chobo_error *err)
{
	for (const struct field_spec *f = t->fields; f->name; f++) {
		if (!f->indexed)
			continue;
		long v = jscan_find(doc, body, f->name);
		if (v < 0)
			continue;
		char value[MAX_VALUE + 1];
		uint8_t k[MAX_KEY];
		bool has_nul;
		/* Schemas allow only strings (hashes, codes) in indexed fields; they fit by construction. */
		if (doc->tok[v].kind != JSON_K_STRING || jscan_string_bytes(doc, (size_t)v, &has_nul) > MAX_VALUE ||
		    has_nul || !jscan_string_copy(doc, (size_t)v, value, sizeof value))
			return chobo_fail(err, EX_SOFTWARE, "%s.%s cannot be indexed", t->name, f->name);
		size_t klen = key_prefix(k, t->name, f->name, value, strlen(value));
		if (klen == 0)
			return chobo_fail(err, EX_SOFTWARE, "%s.%s cannot be indexed", t->name, f->name);
		put_be32(k + klen, log);
		put_be64(k + klen + 4, index);
		if (store_kv_put(st, STORE_KEY_INDEX, k, klen + 12, "", 0) != STORE_OK)
			return store_failed(st, err);
	}
	return 0;
}

int entry_index_add(struct store *st, const struct json_doc *doc, const struct entry_view *v,
		    uint32_t log, struct chobo_error *err)
{
	int rc = entry_index_put_type(st, v->type, log, v->index, v->time_sec, err);
	return rc ? rc : entry_index_put_keys(st, v->type, doc, v->body, log, v->index, err);
}

struct type_walk {
	int (*fn)(void *ctx, uint32_t log, uint64_t index, int64_t time);
	void *ctx;
	size_t plen;
	bool malformed;
};

static int type_record(void *ctx, const void *key, size_t klen, const void *value, size_t vlen)
{
	struct type_walk *w = ctx;
	if (klen != w->plen + 12 || vlen != 8) {
		w->malformed = true;
		return -1;
	}
	const uint8_t *k = key;
	return w->fn(w->ctx, get_be32(k + w->plen), get_be64(k + w->plen + 4), (int64_t)get_be64(value));
}

int entry_index_each_type(struct store *st, const char *type, uint32_t log, uint64_t from,
			  int (*fn)(void *ctx, uint32_t log, uint64_t index, int64_t time), void *ctx,
			  struct chobo_error *err)
{
	uint8_t k[MAX_NAME + 1 + 12];
	if (strlen(type) > MAX_NAME)
		return chobo_fail(err, EX_SOFTWARE, "entry type name %s is too long", type);
	size_t klen = type_key(k, type, log, from);
	struct type_walk w = {.fn = fn, .ctx = ctx, .plen = strlen(type) + 1};
	/* The prefix is the type and the log: the walk ends at the log's last entry of that type. */
	int rc = store_kv_each(st, STORE_TYPE_INDEX, k, w.plen + 4, k, klen, type_record, &w);
	if (w.malformed)
		return chobo_fail(err, EX_DATAERR, "entry index: malformed record of type %s", type);
	if (rc == STORE_ERROR)
		return store_failed(st, err);
	return rc;
}

struct key_walk {
	int (*fn)(void *ctx, uint32_t log, uint64_t index);
	void *ctx;
	size_t plen;
	bool malformed;
};

static int key_record(void *ctx, const void *key, size_t klen, const void *value, size_t vlen)
{
	struct key_walk *w = ctx;
	(void)value;
	if (klen != w->plen + 12 || vlen != 0) {
		w->malformed = true;
		return -1;
	}
	const uint8_t *k = key;
	return w->fn(w->ctx, get_be32(k + w->plen), get_be64(k + w->plen + 4));
}

int entry_index_each_key(struct store *st, const char *type, const char *field, const char *value,
			 int (*fn)(void *ctx, uint32_t log, uint64_t index), void *ctx,
			 struct chobo_error *err)
{
	uint8_t k[MAX_KEY];
	size_t plen = key_prefix(k, type, field, value, strlen(value));
	if (plen == 0)
		return 0;   /* a value too long to be indexed is in no entry */
	struct key_walk w = {.fn = fn, .ctx = ctx, .plen = plen};
	int rc = store_kv_each(st, STORE_KEY_INDEX, k, plen, k, plen, key_record, &w);
	if (w.malformed)
		return chobo_fail(err, EX_DATAERR, "entry index: malformed record for %s.%s", type, field);
	if (rc == STORE_ERROR)
		return store_failed(st, err);
	return rc;
}

/* ----------------------------------------------------------------- check */

/* Records as one allocation each: length-prefixed key then value. */
struct record_list {
	uint8_t **rec;
	size_t n, cap;
};

static void record_add(struct record_list *l, const void *key, size_t klen, const void *value, size_t vlen)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->rec = xrealloc(l->rec, l->cap * sizeof *l->rec);
	}
	uint8_t *r = xmalloc(8 + klen + vlen);
	put_be32(r, (uint32_t)klen);
	put_be32(r + 4, (uint32_t)vlen);
	memcpy(r + 8, key, klen);
	memcpy(r + 8 + klen, value, vlen);
	l->rec[l->n++] = r;
}

static int record_order(const void *a, const void *b)
{
	const uint8_t *x = *(const uint8_t *const *)a, *y = *(const uint8_t *const *)b;
	uint32_t xl = get_be32(x), yl = get_be32(y);
	int c = memcmp(x + 8, y + 8, xl < yl ? xl : yl);
	return c ? c : (xl > yl) - (xl < yl);
}

static void record_list_free(struct record_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rec[i]);
	free(l->rec);
}

/* A store that records what entry_index_put_* would write instead of writing it. */
struct expected {
	struct store *st;
	struct record_list types, keys;
	struct json_doc doc;
	struct chobo_error *err;
	int rc;
};

struct compare {
	struct record_list *want;
	size_t at;
	const char *table;
	struct chobo_error *err;
	bool differs;
};

static int compare_record(void *ctx, const void *key, size_t klen, const void *value, size_t vlen)
{
	struct compare *c = ctx;
	if (c->at == c->want->n) {
		c->differs = true;
		chobo_fail(c->err, EXIT_INVALID, "%s index: a record that no entry has (%.*s...)", c->table,
			   (int)strnlen(key, klen), (const char *)key);
		return 1;
	}
	const uint8_t *r = c->want->rec[c->at++];
	if (get_be32(r) != klen || get_be32(r + 4) != vlen || memcmp(r + 8, key, klen) != 0 ||
	    memcmp(r + 8 + klen, value, vlen) != 0) {
		c->differs = true;
		chobo_fail(c->err, EXIT_INVALID, "%s index differs from the entries at %.*s", c->table,
			   (int)strnlen((const char *)r + 8, get_be32(r)), (const char *)r + 8);
		return 1;
	}
	return 0;
}

static int compare_table(struct store *st, enum store_table_kv t, const char *name, struct record_list *want,
			 struct chobo_error *err)
{
	struct compare c = {.want = want, .table = name, .err = err};
	if (want->n > 1)
		qsort(want->rec, want->n, sizeof *want->rec, record_order);
	int rc = store_kv_each(st, t, "", 0, "", 0, compare_record, &c);
	if (c.differs)
		return EXIT_INVALID;
	if (rc == STORE_ERROR)
		return store_failed(st, err);
	if (c.at < want->n)
		return chobo_fail(err, EXIT_INVALID, "%s index lacks %.*s...", name,
				  (int)strnlen((const char *)want->rec[c.at] + 8, get_be32(want->rec[c.at])),
				  (const char *)want->rec[c.at] + 8);
	return 0;
}

/* The records one parsed entry gives both indexes. */
static void expect_entry(struct expected *x, const struct entry_view *v, uint32_t log)
{
	uint8_t k[MAX_KEY], t[8];
	size_t klen = type_key(k, v->type->name, log, v->index);
	put_be64(t, (uint64_t)v->time_sec);
	record_add(&x->types, k, klen, t, sizeof t);
	for (const struct field_spec *f = v->type->fields; f->name; f++) {
		long at = f->indexed ? jscan_find(&x->doc, v->body, f->name) : -1;
		char value[MAX_VALUE + 1];
		if (at < 0 || !jscan_string_copy(&x->doc, (size_t)at, value, sizeof value))
			continue;
		size_t plen = key_prefix(k, v->type->name, f->name, value, strlen(value));
		if (plen == 0)
			continue;
		put_be32(k + plen, log);
		put_be64(k + plen + 4, v->index);
		record_add(&x->keys, k, plen + 12, "", 0);
	}
}

static int expect_log(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct expected *x = ctx;
	struct store_cursor *c = store_cursor_open(x->st, STORE_ENTRIES, id);
	if (!c) {
		x->rc = store_failed(x->st, x->err);
		return 1;
	}
	uint64_t index;
	const void *data;
	size_t len;
	int rc;
	while ((rc = store_cursor_next(c, &index, &data, &len)) == STORE_OK && index < size) {
		struct entry_view v;
		char why[256];
		/* An entry that does not parse is the audit's to report; it indexes nothing. */
		if (entry_parse(data, len, origin, index, &x->doc, &v, why, sizeof why))
			expect_entry(x, &v, id);
	}
	store_cursor_close(c);
	if (rc == STORE_ERROR) {
		x->rc = store_failed(x->st, x->err);
		return 1;
	}
	return 0;
}

int entry_index_check(struct store *st, struct chobo_error *err)
{
	struct expected x = {.st = st, .err = err};
	int rc = store_log_each(st, expect_log, &x);
	if (x.rc == 0 && rc == STORE_ERROR)
		x.rc = store_failed(st, err);
	if (x.rc == 0)
		x.rc = compare_table(st, STORE_TYPE_INDEX, "type", &x.types, err);
	if (x.rc == 0)
		x.rc = compare_table(st, STORE_KEY_INDEX, "key", &x.keys, err);
	record_list_free(&x.types);
	record_list_free(&x.keys);
	json_doc_free(&x.doc);
	return x.rc;
}
