/*
 * Views, materialised:
 *   view records:  view name '\0' key  -> value
 *   view marks:    view name           -> the merge key of the last entry applied
 *                                         and, per log, how many entries were considered
 * Marks: version (4) || applied (1) || time (8) || index (8) || origin length (2) ||
 *        origin || count (4) || count × (log id (4) || size (8)); integers big-endian.
 * A view whose spec has another version than its marks is rebuilt.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "csv.h"
#include "entry_index.h"
#include "ledger.h"
#include "merkle.h"
#include "service.h"
#include "store.h"
#include "util.h"
#include "view.h"

/* ------------------------------------------------------------ memory maps */

/* An open-addressing hash map from strings to byte strings, for rebuilding a view in memory. */
struct mem_map {
	struct mem_slot {
		char *key;
		char *value;
		size_t len;
	} *slot;
	size_t n, cap;
};

static struct mem_slot *mem_find(struct mem_map *m, const char *key)
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = string_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (!m->slot[i].key || strcmp(m->slot[i].key, key) == 0)
			return &m->slot[i];
}

static void mem_grow(struct mem_map *m)
{
	struct mem_map bigger = {.cap = m->cap ? 2 * m->cap : 64};
	bigger.slot = xcalloc(bigger.cap, sizeof *bigger.slot);
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].key && m->slot[i].value) {
			*mem_find(&bigger, m->slot[i].key) = m->slot[i];
			bigger.n++;
		} else {
			free(m->slot[i].key);
		}
	free(m->slot);
	*m = bigger;
}

static void mem_put(struct mem_map *m, const char *key, const char *value, size_t len)
{
	if (2 * (m->n + 1) > m->cap)
		mem_grow(m);
	struct mem_slot *s = mem_find(m, key);
	if (!s->key) {
		s->key = xstrdup(key);
		m->n++;
	}
	/* value may be the slot's own (a reducer putting back what it got): copy before freeing. */
	char *copy = xmalloc(len + 1);
	memcpy(copy, value, len);
	copy[len] = '\0';
	free(s->value);
	s->value = copy;
	s->len = len;
}

/* Deleted keys stay as tombstones (key without value) until the map grows. */
static void mem_delete(struct mem_map *m, const char *key)
{
	struct mem_slot *s = mem_find(m, key);
	if (s && s->key && s->value) {
		free(s->value);
		s->value = NULL;
		s->len = 0;
	}
}

static void mem_free(struct mem_map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slot[i].key);
		free(m->slot[i].value);
	}
	free(m->slot);
	memset(m, 0, sizeof *m);
}

static int slot_order(const void *a, const void *b)
{
	const struct mem_slot *x = *(const struct mem_slot *const *)a, *y = *(const struct mem_slot *const *)b;
	return strcmp(x->key, y->key);
}

/* ------------------------------------------------------------ values */

void view_text_add(struct view_text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		while (t->len + n + 1 > t->cap)
			t->cap = t->cap ? 2 * t->cap : 256;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

void view_text_str(struct view_text *t, const char *s)
{
	view_text_add(t, s, strlen(s));
}

void view_text_int(struct view_text *t, int64_t v)
{
	/* By hand: snprintf was 4 % of an ingest's instructions. */
	char buf[24], *p = buf;
	if (v < 0)
		*p++ = '-';
	p = put_decimal(p, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	view_text_add(t, buf, (size_t)(p - buf));
}

void view_text_object_str(struct view_text *t, const char *name, const char *v)
{
	view_text_str(t, "{\"");
	view_text_str(t, name);
	view_text_str(t, "\":");
	view_text_json_string(t, v);
}

void view_text_member_str(struct view_text *t, const char *name, const char *v)
{
	if (!v[0])
		return;
	view_text_str(t, ",\"");
	view_text_str(t, name);
	view_text_str(t, "\":");
	view_text_json_string(t, v);
}

void view_text_member_int(struct view_text *t, const char *name, int64_t v)
{
	view_text_str(t, ",\"");
	view_text_str(t, name);
	view_text_str(t, "\":");
	view_text_int(t, v);
}

void view_text_json_string(struct view_text *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	view_text_add(t, "\"", 1);
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		view_text_add(t, run, (size_t)(s - run));
		run = s + 1;
		if (c == '\0')
			break;
		char esc[7] = {'\\', (char)c, 0};
		size_t n = 2;
		switch (c) {
		case '"': case '\\': break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		view_text_add(t, esc, n);
	}
	view_text_add(t, "\"", 1);
}

void view_text_csv_bom(struct view_text *t)
{
	/* Excel on Japanese Windows reads a CSV file without one as Shift_JIS. */
	view_text_add(t, UTF8_BOM, 3);
}

void view_text_csv_field(struct view_text *t, const char *s, size_t n)
{
	/*
	 * A site's or an item's name posted on another node is not to run as a
	 * formula in the clerk's Excel: after an apostrophe it is shown as text.
	 */
	bool guarded = csv_formula_guarded(s, n);
	size_t plain = 0;
	while (plain < n && !strchr(",\"\r\n", s[plain]))
		plain++;
	if (plain == n) {
		if (guarded)
			view_text_add(t, "'", 1);
		view_text_add(t, s, n);
		return;
	}
	view_text_add(t, "\"", 1);
	if (guarded)
		view_text_add(t, "'", 1);
	for (const char *q; (q = memchr(s, '"', n)) != NULL; n -= (size_t)(q + 1 - s), s = q + 1) {
		view_text_add(t, s, (size_t)(q + 1 - s));
		view_text_add(t, "\"", 1);
	}
	view_text_add(t, s, n);
	view_text_add(t, "\"", 1);
}

void view_text_free(struct view_text *t)
{
	free(t->p);
	memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------ view states */

struct view_state {
	const struct view_spec *v;
	struct store *st;         /* the stored map, or NULL for mem */
	struct mem_map mem;
	struct ledger *l;         /* the ledger of a stored map (its memos), or NULL */
	/* Fed from a batch: its marks (NULL when none), this view's bit, and the batch's log and entries. */
	uint64_t *counted, bit;
	uint32_t log;
	uint64_t first, n;
	char key[VIEW_MAX_NAME + 1 + VIEW_MAX_KEY + 1];   /* name '\0' key, for the store */
};

/* The stored record key name '\0' key in s->key; its length, or 0 when key is empty or too long. */
static size_t record_key(struct view_state *s, const char *key)
{
	size_t nl = strlen(s->v->name), kl = strlen(key);
	if (kl == 0 || kl > VIEW_MAX_KEY)
		return 0;
	memcpy(s->key, s->v->name, nl + 1);
	memcpy(s->key + nl + 1, key, kl);
	return nl + 1 + kl;
}

static int bad_key(struct view_state *s, const char *key, struct chobo_error *err)
{
	return chobo_fail(err, EX_SOFTWARE, "view %s: key \"%.40s\" is empty or longer than %d bytes",
			  s->v->name, key, VIEW_MAX_KEY);
}

int view_get(struct view_state *s, const char *key, const char **value, size_t *len,
	     struct chobo_error *err)
{
	if (!s->st) {
		struct mem_slot *m = mem_find(&s->mem, key);
		if (!m || !m->key || !m->value)
			return EX_UNAVAILABLE;
		*value = m->value;
		*len = m->len;
		return 0;
	}
	size_t klen = record_key(s, key);
	if (klen == 0)
		return bad_key(s, key, err);
	const void *v;
	int rc = store_kv_get(s->st, STORE_VIEW_RECORDS, s->key, klen, &v, len);
	if (rc == STORE_NOTFOUND)
		return EX_UNAVAILABLE;
	if (rc != STORE_OK)
		return chobo_fail(err, EX_IOERR, "view %s: %s", s->v->name, store_error(s->st));
	*value = v;
	return 0;
}

int view_put(struct view_state *s, const char *key, const char *value, size_t len,
	     struct chobo_error *err)
{
	if (len > VIEW_MAX_VALUE)
		return chobo_fail(err, EX_SOFTWARE, "view %s: a value of %zu bytes", s->v->name, len);
	if (!s->st) {
		if (!*key || strlen(key) > VIEW_MAX_KEY)
			return bad_key(s, key, err);
		mem_put(&s->mem, key, value, len);
		return 0;
	}
	size_t klen = record_key(s, key);
	if (klen == 0)
		return bad_key(s, key, err);
	if (store_kv_put(s->st, STORE_VIEW_RECORDS, s->key, klen, value, len) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "view %s: %s", s->v->name, store_error(s->st));
	return 0;
}

int view_delete(struct view_state *s, const char *key, struct chobo_error *err)
{
	if (!s->st) {
		mem_delete(&s->mem, key);
		return 0;
	}
	size_t klen = record_key(s, key);
	if (klen == 0)
		return bad_key(s, key, err);
	if (store_kv_delete(s->st, STORE_VIEW_RECORDS, s->key, klen) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "view %s: %s", s->v->name, store_error(s->st));
	return 0;
}

void view_entry_counts(struct view_state *s, const struct view_entry *e)
{
	if (s->counted && e->log == s->log && e->index >= s->first && e->index - s->first < s->n)
		s->counted[e->index - s->first] |= s->bit;
}

struct view_state *view_stored(struct ledger *l, const struct view_spec *v)
{
	struct view_state *s = xcalloc(1, sizeof *s);
	s->v = v;
	s->st = l->store;
	s->l = l;
	return s;
}

/* ------------------------------------------------------------ memos */

struct view_memo {
	struct view_memo *next;   /* the ledger's next memo */
	const struct view_spec *v;
	uint64_t aborts;          /* the store's aborted transactions when the memo was started */
	struct memo_slot {
		char *key;
		void *rec;
		size_t size;      /* of rec */
		uint64_t hash;    /* of key: a probe past another key reads no key */
		bool dirty;
	} *slot;
	size_t n, cap;
	size_t bytes;             /* the keys', records' and slots' bytes, about */
};

/*
 * Past this many bytes a memo is flushed and forgotten between two entries
 * (CHOBO_LIMIT_VIEW_MEMO_BYTES lowers it): a rebuild of a view from a large
 * ledger would otherwise keep every device's and account's record.
 */
#define VIEW_MEMO_BYTES (256u << 20)

static struct memo_slot *memo_find(struct view_memo *m, const char *key, uint64_t hash)
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = hash & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (!m->slot[i].key || (m->slot[i].hash == hash && strcmp(m->slot[i].key, key) == 0))
			return &m->slot[i];
}

static void memo_clear(struct view_memo *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slot[i].key);
		free(m->slot[i].rec);
	}
	free(m->slot);
	m->slot = NULL;
	m->n = m->cap = 0;
	m->bytes = 0;
}

/* Forget l's memo of view v, if any. */
static void memo_forget(struct ledger *l, const struct view_spec *v)
{
	for (struct view_memo **p = &l->memos; *p; p = &(*p)->next)
		if ((*p)->v == v) {
			struct view_memo *m = *p;
			*p = m->next;
			memo_clear(m);
			free(m);
			return;
		}
}

void view_memos_free(struct ledger *l)
{
	while (l->memos) {
		struct view_memo *m = l->memos;
		l->memos = m->next;
		memo_clear(m);
		free(m);
	}
}

struct view_memo *view_memo(struct view_state *s)
{
	if (!s->l || !s->st)
		return NULL;
	struct view_memo *m = s->l->memos;
	while (m && m->v != s->v)
		m = m->next;
	/* An aborted transaction took back what the memo may have seen written. */
	if (m && m->aborts != store_aborts(s->st)) {
		memo_forget(s->l, s->v);
		m = NULL;
	}
	if (!m) {
		m = xcalloc(1, sizeof *m);
		m->v = s->v;
		m->aborts = store_aborts(s->st);
		m->next = s->l->memos;
		s->l->memos = m;
	}
	return m;
}

void *view_memo_get(struct view_memo *m, const char *key)
{
	struct memo_slot *slot = memo_find(m, key, string_hash(key));
	return slot && slot->key ? slot->rec : NULL;
}

bool view_memo_copy(struct view_state *s, const char *key, void *out, size_t cap)
{
	struct view_memo *m = view_memo(s);
	struct memo_slot *slot = m ? memo_find(m, key, string_hash(key)) : NULL;
	if (!slot || !slot->key)
		return false;
	/* A kept record larger than its reader's struct is a caller's mistake; a miss would lose its update. */
	if (slot->size > cap)
		chobo_die(EX_SOFTWARE, "view memo %s: a record of %zu bytes kept, read into %zu", key, slot->size, cap);
	memcpy(out, slot->rec, slot->size);
	return true;
}

void view_memo_keep(struct view_state *s, const char *key, const void *rec, size_t size)
{
	struct view_memo *m = view_memo(s);
	if (m)
		view_memo_put(m, key, rec, size, false);
}

void view_memo_put(struct view_memo *m, const char *key, const void *rec, size_t size, bool dirty)
{
	if (2 * (m->n + 1) > m->cap) {
		struct view_memo bigger = {.cap = m->cap ? 2 * m->cap : 1024};
		bigger.slot = xcalloc(bigger.cap, sizeof *bigger.slot);
		for (size_t i = 0; i < m->cap; i++)
			if (m->slot[i].key)
				*memo_find(&bigger, m->slot[i].key, m->slot[i].hash) = m->slot[i];
		m->bytes += (bigger.cap - m->cap) * sizeof *m->slot;
		free(m->slot);
		m->slot = bigger.slot;
		m->cap = bigger.cap;
	}
	uint64_t hash = string_hash(key);
	struct memo_slot *slot = memo_find(m, key, hash);
	if (!slot->key) {
		slot->key = xstrdup(key);
		slot->hash = hash;
		m->n++;
		m->bytes += strlen(key) + 1;
	}
	/* rec may be the slot's own (a reducer putting back what it got): copy before freeing. */
	void *copy = xmalloc(size ? size : 1);
	memcpy(copy, rec, size);
	free(slot->rec);
	m->bytes += size - slot->size;
	slot->rec = copy;
	slot->size = size;
	slot->dirty = slot->dirty || dirty;
}

static int memo_slot_order(const void *a, const void *b)
{
	const struct memo_slot *x = *(const struct memo_slot *const *)a, *y = *(const struct memo_slot *const *)b;
	return strcmp(x->key, y->key);
}

/* Write every dirty record of s's memo with the spec's write_kept, in key order, each marked clean; 0 or the first error. */
static int memo_write_dirty(struct view_state *s, struct chobo_error *err)
{
	struct view_memo *m = s->l && s->v->write_kept ? view_memo(s) : NULL;
	if (!m)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < m->cap; i++)
		n += m->slot[i].key && m->slot[i].dirty;
	if (n == 0)
		return 0;
	struct memo_slot **order = xmalloc(n * sizeof *order);
	n = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].key && m->slot[i].dirty)
			order[n++] = &m->slot[i];
	/* In key order: the puts pass over the table's pages once, in order. */
	qsort(order, n, sizeof *order, memo_slot_order);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		order[i]->dirty = false;
		rc = s->v->write_kept(s, order[i]->key, order[i]->rec, err);
	}
	free(order);
	return rc;
}

/* After a run of applies on s: the reducer writes what it kept dirty; on a failure its memo is forgotten. */
static int run_flush(struct view_state *s, int rc, struct chobo_error *err)
{
	if (rc == 0)
		rc = memo_write_dirty(s, err);
	if (rc != 0 && s->l)
		memo_forget(s->l, s->v);
	return rc;
}

/* Between two applies on s: a memo grown past its bound is written and forgotten. */
static int memo_bound(struct view_state *s, struct chobo_error *err)
{
	static uint64_t bound;
	if (!bound)
		bound = chobo_limit("VIEW_MEMO_BYTES", VIEW_MEMO_BYTES);
	struct view_memo *m = s->l ? s->l->memos : NULL;
	while (m && m->v != s->v)
		m = m->next;
	if (!m || m->bytes <= bound)
		return 0;
	int rc = memo_write_dirty(s, err);
	memo_forget(s->l, s->v);
	return rc;
}

void view_state_free(struct view_state *s)
{
	if (!s)
		return;
	mem_free(&s->mem);
	free(s);
}

/* ------------------------------------------------------------ merge order */

/* Where an entry stands in the merge order of DESIGN §5.1. */
struct merge_key {
	int64_t time;
	const char *origin;   /* points into the log table below */
	uint32_t log;
	uint64_t index;
};

static int merge_order(const struct merge_key *a, const struct merge_key *b)
{
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	int c = strcmp(a->origin, b->origin);
	if (c)
		return c;
	return (a->index > b->index) - (a->index < b->index);
}

static int merge_order_cmp(const void *a, const void *b)
{
	return merge_order(a, b);
}

/* The logs as they stand, and what a view has considered of each. */
struct log_state {
	uint32_t id;
	char *origin;
	uint64_t size;
	uint64_t considered;
};

struct marks {
	uint32_t version;
	bool stale;          /* stored by another version of the view */
	bool applied;
	int64_t time;
	uint64_t index;
	char origin[NOTE_MAX_NAME + 1];
};

struct update {
	struct ledger *l;
	const struct view_spec *v;
	struct log_state *logs;
	size_t nlogs;
	struct merge_key *todo;
	size_t ntodo, captodo;
	struct log_state *cur;
	struct chobo_error *err;
};

static int add_log(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct update *u = ctx;
	u->logs = xrealloc(u->logs, (u->nlogs + 1) * sizeof *u->logs);
	u->logs[u->nlogs++] = (struct log_state){.id = id, .origin = xstrdup(origin), .size = size};
	return 0;
}

static void free_logs(struct update *u)
{
	for (size_t i = 0; i < u->nlogs; i++)
		free(u->logs[i].origin);
	free(u->logs);
	free(u->todo);
}

static int read_marks(struct update *u, struct marks *m)
{
	const void *v;
	size_t len;
	memset(m, 0, sizeof *m);
	int rc = store_kv_get(u->l->store, STORE_VIEW_MARKS, u->v->name, strlen(u->v->name), &v, &len);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_OK)
		return chobo_fail(u->err, EX_IOERR, "view %s: %s", u->v->name, store_error(u->l->store));
	const uint8_t *p = v, *end = p + len;
	size_t olen;
	if (len < 27)
		goto bad;
	m->version = get_be32(p);
	m->stale = m->version != u->v->version;
	p += 4;
	if ((olen = ((size_t)p[17] << 8) | p[18]) > NOTE_MAX_NAME || len < 27 + olen)
		goto bad;
	m->applied = p[0] != 0;
	m->time = (int64_t)get_be64(p + 1);
	m->index = get_be64(p + 9);
	memcpy(m->origin, p + 19, olen);
	m->origin[olen] = '\0';
	p += 19 + olen;
	uint32_t n = get_be32(p);
	p += 4;
	if ((size_t)(end - p) != (size_t)n * 12)
		goto bad;
	for (uint32_t i = 0; i < n; i++, p += 12)
		for (size_t k = 0; k < u->nlogs; k++)
			if (u->logs[k].id == get_be32(p))
				u->logs[k].considered = get_be64(p + 4);
	return 0;
bad:
	return chobo_fail(u->err, EX_DATAERR, "view %s: malformed marks; run chain-verify --views",
			  u->v->name);
}

static int write_marks(struct update *u, const struct marks *m)
{
	size_t olen = strlen(m->origin), len = 27 + olen + 12 * u->nlogs;
	uint8_t *b = xmalloc(len), *p = b;
	put_be32(p, u->v->version);
	p += 4;
	p[0] = m->applied;
	put_be64(p + 1, (uint64_t)m->time);
	put_be64(p + 9, m->index);
	p[17] = (uint8_t)(olen >> 8);
	p[18] = (uint8_t)olen;
	memcpy(p + 19, m->origin, olen);
	p += 19 + olen;
	put_be32(p, (uint32_t)u->nlogs);
	p += 4;
	for (size_t k = 0; k < u->nlogs; k++, p += 12) {
		put_be32(p, u->logs[k].id);
		put_be64(p + 4, u->logs[k].size);
	}
	int rc = store_kv_put(u->l->store, STORE_VIEW_MARKS, u->v->name, strlen(u->v->name), b, len);
	free(b);
	if (rc != STORE_OK)
		return chobo_fail(u->err, EX_IOERR, "view %s: %s", u->v->name, store_error(u->l->store));
	return 0;
}

static int add_todo(void *ctx, uint32_t log, uint64_t index, int64_t time)
{
	struct update *u = ctx;
	if (index >= u->cur->size)
		return 0;   /* written in this transaction beyond the size it will have: not yet */
	if (u->ntodo == u->captodo) {
		u->captodo = u->captodo ? 2 * u->captodo : 64;
		u->todo = xrealloc(u->todo, u->captodo * sizeof *u->todo);
	}
	u->todo[u->ntodo++] = (struct merge_key){.time = time, .origin = u->cur->origin, .log = log,
						 .index = index};
	return 0;
}

/* The view's entries that it has not considered yet (all of them with from_start), in merge order. */
static int collect(struct update *u, bool from_start)
{
	u->ntodo = 0;
	for (size_t k = 0; k < u->nlogs; k++) {
		u->cur = &u->logs[k];
		uint64_t from = from_start ? 0 : u->logs[k].considered;
		if (from >= u->logs[k].size)
			continue;
		for (const char *const *t = u->v->types; *t; t++) {
			int rc = entry_index_each_type(u->l->store, *t, u->logs[k].id, from, add_todo, u, u->err);
			if (rc != 0)
				return rc;
		}
	}
	if (u->ntodo > 1)
		qsort(u->todo, u->ntodo, sizeof *u->todo, merge_order_cmp);
	return 0;
}

/* Scratch space for feeding entries to a reducer: the entry's bytes and their tokens. */
struct entry_scratch {
	struct json_doc doc;
	struct view_text bytes;
};

static void entry_scratch_free(struct entry_scratch *x)
{
	json_doc_free(&x->doc);
	view_text_free(&x->bytes);
}

/* Parse one entry and hand it to the reducer. */
static int apply_entry(struct view_state *s, struct store *st, struct entry_scratch *x,
		       const struct merge_key *k, struct chobo_error *err)
{
	const void *stored;
	size_t len;
	if (store_entry_get(st, k->log, k->index, &stored, &len) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "view %s: %s entry %llu: %s", s->v->name, k->origin,
				  (unsigned long long)k->index, store_error(st));
	/* The store's buffer is reused by the reducer's own reads: the tokens need a copy. */
	x->bytes.len = 0;
	view_text_add(&x->bytes, stored, len);
	const char *data = x->bytes.p;
	struct json_doc *doc = &x->doc;
	struct entry_view ev;
	char why[256];
	if (!entry_parse(data, len, k->origin, k->index, doc, &ev, why, sizeof why))
		return chobo_fail(err, EX_DATAERR, "view %s: %s entry %llu: %s", s->v->name, k->origin,
				  (unsigned long long)k->index, why);
	uint8_t leaf[32];
	merkle_leaf_hash(leaf, data, len);
	struct view_entry e = {.origin = k->origin, .log = k->log, .index = k->index, .time = ev.time_sec,
			       .type = ev.type, .leaf_hash = leaf, .doc = doc, .body = ev.body};
	return s->v->apply(s, &e, err);
}

/* The logs as they stand and the view's marks, into u and m. */
static int update_start(struct update *u, struct marks *m)
{
	int rc = store_log_each(u->l->store, add_log, u) == STORE_OK ? 0
		 : chobo_fail(u->err, EX_IOERR, "view %s: %s", u->v->name, store_error(u->l->store));
	return rc == 0 ? read_marks(u, m) : rc;
}

static int clear_records(struct update *u)
{
	memo_forget(u->l, u->v);
	if (store_kv_clear(u->l->store, STORE_VIEW_RECORDS, u->v->name, strlen(u->v->name) + 1) != STORE_OK)
		return chobo_fail(u->err, EX_IOERR, "view %s: %s", u->v->name, store_error(u->l->store));
	return 0;
}

/* Bring the view of u (its logs and marks m read) up to date from the store's entries. */
static int update_from_store(struct update *u, struct marks *m, struct view_state *s)
{
	struct entry_scratch x = {0};
	int rc = 0;
	if (m->stale) {
		/* Another version of the reducer built what is stored: build it again from the logs. */
		memset(m, 0, sizeof *m);
		for (size_t k = 0; k < u->nlogs; k++)
			u->logs[k].considered = 0;
		rc = clear_records(u);
	}
	bool changed = m->stale;
	for (size_t k = 0; rc == 0 && k < u->nlogs; k++)
		changed = changed || u->logs[k].considered != u->logs[k].size;
	if (rc == 0 && changed)
		rc = collect(u, false);
	if (rc == 0 && changed && u->ntodo > 0 && m->applied) {
		struct merge_key last = {.time = m->time, .origin = m->origin, .index = m->index};
		/* An entry that sorts before what was applied (a sync brought older ones): start again. */
		if (merge_order(&u->todo[0], &last) <= 0) {
			memset(m, 0, sizeof *m);
			if ((rc = clear_records(u)) == 0)
				rc = collect(u, true);
		}
	}
	for (size_t i = 0; rc == 0 && i < u->ntodo; i++)
		if ((rc = apply_entry(s, u->l->store, &x, &u->todo[i], u->err)) == 0)
			rc = memo_bound(s, u->err);
	if (u->ntodo > 0)
		rc = run_flush(s, rc, u->err);
	if (rc == 0 && u->ntodo > 0) {
		const struct merge_key *k = &u->todo[u->ntodo - 1];
		m->applied = true;
		m->time = k->time;
		m->index = k->index;
		snprintf(m->origin, sizeof m->origin, "%s", k->origin);
	}
	if (rc == 0 && changed)
		rc = write_marks(u, m);
	entry_scratch_free(&x);
	return rc;
}

/*
 * True when the batch w is exactly what the view has yet to consider: every
 * other log considered to its end, w's log up to the batch, and the batch
 * sorting after the last entry applied.  Then the view's entries of the
 * batch, in index order, are the ones collect() would find, in merge order.
 */
static bool batch_is_next(const struct update *u, const struct marks *m, const struct batch_written *w)
{
	bool found = false;
	if (m->stale)
		return false;
	for (size_t k = 0; k < u->nlogs; k++) {
		const struct log_state *lg = &u->logs[k];
		if (lg->id != w->log && lg->considered != lg->size)
			return false;
		if (lg->id == w->log && (lg->considered != w->first || lg->size != w->first + w->b->n))
			return false;
		found = found || lg->id == w->log;
	}
	if (!found || !m->applied)
		return found;
	struct merge_key first = {.time = w->time, .origin = w->origin, .index = w->first};
	struct merge_key last = {.time = m->time, .origin = m->origin, .index = m->index};
	return merge_order(&first, &last) > 0;
}

/* One view in a views_update run. */
struct view_run {
	struct update u;
	struct marks m;
	struct view_state s;
	bool from_batch;     /* fed the batch's entries from memory */
	bool applied;        /* ... and took at least one, the last at index last */
	uint64_t last;
};

/* Views fed from one batch are told apart by a bit: at most this many, the rest read the store. */
#define BATCH_FED_MAX 64

int view_place(const struct view_spec *v)
{
	int k = 0;
	for (const struct service *const *svc = service_list(); *svc; svc++)
		for (const struct view_spec *const *p = (*svc)->views; p && *p; p++, k++)
			if (*p == v)
				return k < BATCH_FED_MAX ? k : -1;
	return -1;
}

/* An entry type, and which of the runs fed from the batch read it (a bit per run). */
struct type_readers {
	const struct entry_type *type;
	uint64_t mask;
};

/* The runs fed from the batch that read type t, as a bit per run; remembered per type in seen. */
static uint64_t readers_of(const struct entry_type *t, const struct view_run *run, size_t nrun,
			   struct type_readers *seen, size_t *nseen)
{
	for (size_t i = 0; i < *nseen; i++)
		if (seen[i].type == t)
			return seen[i].mask;
	uint64_t mask = 0;
	for (size_t i = 0; i < nrun && i < BATCH_FED_MAX; i++)
		for (const char *const *n = run[i].u.v->types; run[i].from_batch && *n; n++)
			if (strcmp(*n, t->name) == 0)
				mask |= (uint64_t)1 << i;
	if (*nseen < BATCH_FED_MAX)
		seen[(*nseen)++] = (struct type_readers){t, mask};
	return mask;
}

/* Apply the entries of w to the runs fed from it, each body parsed once for all of them. */
static int apply_batch(struct view_run *run, size_t nrun, const struct batch_written *w, struct chobo_error *err)
{
	struct type_readers seen[BATCH_FED_MAX];
	size_t nseen = 0;
	struct json_doc doc = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < w->b->n; i++) {
		const struct batch_item *it = &w->b->items[i];
		uint64_t mask = readers_of(it->type, run, nrun, seen, &nseen);
		if (mask == 0)
			continue;
		char why[256];
		if (!json_scan(&doc, w->b->buf + it->off, it->len, why, sizeof why)) {
			rc = chobo_fail_entry(err, EX_SOFTWARE, i + 1, "%s", why);
			break;
		}
		struct view_entry e = {.origin = w->origin, .log = w->log, .index = w->first + i, .time = w->time,
				       .type = it->type, .leaf_hash = w->leaf_hashes[i], .doc = &doc, .body = 0};
		for (size_t k = 0; rc == 0 && k < nrun && k < BATCH_FED_MAX; k++) {
			if (!(mask & ((uint64_t)1 << k)))
				continue;
			rc = run[k].u.v->apply(&run[k].s, &e, err);
			if (rc == 0)
				rc = memo_bound(&run[k].s, err);
			run[k].applied = true;
			run[k].last = e.index;
		}
	}
	json_doc_free(&doc);
	return rc;
}

/* Marks after the batch: the last entry applied, every log considered to its end. */
static int finish_batch(struct view_run *r, const struct batch_written *w)
{
	if (r->applied) {
		r->m.applied = true;
		r->m.time = w->time;
		r->m.index = r->last;
		snprintf(r->m.origin, sizeof r->m.origin, "%s", w->origin);
	}
	return write_marks(&r->u, &r->m);
}

int views_update_batch(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	size_t nrun = 0;
	for (const struct service *const *svc = service_list(); *svc; svc++)
		for (const struct view_spec *const *v = (*svc)->views; v && *v; v++)
			nrun++;
	struct view_run *run = xcalloc(nrun ? nrun : 1, sizeof *run);
	size_t i = 0;
	bool any_from_batch = false;
	int rc = 0;
	for (const struct service *const *svc = service_list(); *svc; svc++)
		for (const struct view_spec *const *v = (*svc)->views; v && *v; v++, i++) {
			struct view_run *r = &run[i];
			r->u = (struct update){.l = l, .v = *v, .err = err};
			r->s = (struct view_state){.v = *v, .st = l->store, .l = l};
			if (rc == 0)
				rc = update_start(&r->u, &r->m);
			if (rc == 0 && w && i < BATCH_FED_MAX && batch_is_next(&r->u, &r->m, w)) {
				any_from_batch = r->from_batch = true;
				r->s.counted = w->counted;
				r->s.bit = (uint64_t)1 << i;
				r->s.log = w->log;
				r->s.first = w->first;
				r->s.n = w->b->n;
			}
			else if (rc == 0)
				rc = update_from_store(&r->u, &r->m, &r->s);
		}
	if (rc == 0 && any_from_batch)
		rc = apply_batch(run, nrun, w, err);
	for (i = 0; any_from_batch && i < nrun; i++)
		if (run[i].from_batch)
			rc = run_flush(&run[i].s, rc, err);
	for (i = 0; i < nrun; i++) {
		if (rc == 0 && run[i].from_batch)
			rc = finish_batch(&run[i], w);
		free_logs(&run[i].u);
	}
	free(run);
	return rc;
}

int views_update(struct ledger *l, struct chobo_error *err)
{
	return views_update_batch(l, NULL, err);
}

/* ------------------------------------------------------------ reading */

struct each {
	size_t nlen;
	int (*fn)(void *ctx, const char *key, const char *value, size_t len);
	void *ctx;
	char key[VIEW_MAX_KEY + 1];
	bool malformed;
};

static int each_record(void *ctx, const void *key, size_t klen, const void *value, size_t vlen)
{
	struct each *e = ctx;
	size_t kl = klen - e->nlen;
	if (kl == 0 || kl > VIEW_MAX_KEY || memchr((const char *)key + e->nlen, '\0', kl)) {
		e->malformed = true;
		return 1;
	}
	memcpy(e->key, (const char *)key + e->nlen, kl);
	e->key[kl] = '\0';
	return e->fn(e->ctx, e->key, value, vlen);
}

int view_each(struct ledger *l, const struct view_spec *v,
	      int (*fn)(void *ctx, const char *key, const char *value, size_t len), void *ctx,
	      struct chobo_error *err)
{
	return view_each_prefix(l, v, "", NULL, fn, ctx, err);
}

int view_each_prefix(struct ledger *l, const struct view_spec *v, const char *prefix, const char *from,
		     int (*fn)(void *ctx, const char *key, const char *value, size_t len), void *ctx,
		     struct chobo_error *err)
{
	size_t plen = strlen(prefix), flen = from ? strlen(from) : plen;
	if (!from)
		from = prefix;
	if (flen > VIEW_MAX_KEY || flen < plen || memcmp(from, prefix, plen) != 0)
		return chobo_fail(err, EX_SOFTWARE, "view %s: a prefix or start longer than %d bytes, or a start "
				  "without the prefix", v->name, VIEW_MAX_KEY);
	struct each *e = xmalloc(sizeof *e);
	e->nlen = strlen(v->name) + 1;
	e->fn = fn;
	e->ctx = ctx;
	e->malformed = false;
	/* The records' keys are name '\0' key: the prefix is the name's and the key's together. */
	char *full = xmalloc(e->nlen + flen);
	memcpy(full, v->name, e->nlen);
	memcpy(full + e->nlen, from, flen);
	int rc = store_kv_each(l->store, STORE_VIEW_RECORDS, full, e->nlen + plen, full, e->nlen + flen,
			       each_record, e);
	free(full);
	bool malformed = e->malformed;
	free(e);
	if (malformed)
		return chobo_fail(err, EX_DATAERR, "view %s: a malformed record", v->name);
	if (rc == STORE_ERROR)
		return chobo_fail(err, EX_IOERR, "view %s: %s", v->name, store_error(l->store));
	return rc;
}

/* ------------------------------------------------------------ checking */

/* Entries of the view's types found by reading every log, not through the type index. */
static int scan_log(struct update *u, struct log_state *lg, struct json_doc *doc)
{
	struct store_cursor *c = store_cursor_open(u->l->store, STORE_ENTRIES, lg->id);
	if (!c)
		return chobo_fail(u->err, EX_IOERR, "view %s: %s", u->v->name, store_error(u->l->store));
	uint64_t index;
	const void *data;
	size_t len;
	int rc = 0, src;
	u->cur = lg;
	while (rc == 0 && (src = store_cursor_next(c, &index, &data, &len)) == STORE_OK && index < lg->size) {
		struct entry_view ev;
		char why[256];
		if (!entry_parse(data, len, lg->origin, index, doc, &ev, why, sizeof why))
			continue;   /* the audit reports it */
		for (const char *const *t = u->v->types; *t; t++)
			if (strcmp(*t, ev.type->name) == 0)
				rc = add_todo(u, lg->id, index, ev.time_sec);
	}
	store_cursor_close(c);
	if (rc == 0 && src == STORE_ERROR)
		rc = chobo_fail(u->err, EX_IOERR, "view %s: %s", u->v->name, store_error(u->l->store));
	return rc;
}

struct compare {
	struct mem_slot **want;
	size_t n, at;
	const char *view;
	struct chobo_error *err;
	bool differs;
};

static int compare_record(void *ctx, const char *key, const char *value, size_t len)
{
	struct compare *c = ctx;
	int order = c->at < c->n ? strcmp(key, c->want[c->at]->key) : -1;
	if (order < 0) {
		chobo_fail(c->err, EXIT_INVALID, "view %s: stored key \"%s\" is not in the rebuilt view",
			   c->view, key);
	} else if (order > 0) {
		chobo_fail(c->err, EXIT_INVALID, "view %s: key \"%s\" is missing from the stored view",
			   c->view, c->want[c->at]->key);
	} else if (len != c->want[c->at]->len || memcmp(value, c->want[c->at]->value, len) != 0) {
		chobo_fail(c->err, EXIT_INVALID, "view %s: key \"%s\" differs from the rebuilt view",
			   c->view, key);
	} else {
		c->at++;
		return 0;
	}
	c->differs = true;
	return 1;
}

int view_check(struct ledger *l, const struct view_spec *v, struct chobo_error *err)
{
	struct update u = {.l = l, .v = v, .err = err};
	struct marks m;
	struct entry_scratch x = {0};
	struct view_state s = {.v = v};
	int rc = store_log_each(l->store, add_log, &u) == STORE_OK ? 0
		 : chobo_fail(err, EX_IOERR, "view %s: %s", v->name, store_error(l->store));
	if (rc == 0)
		rc = read_marks(&u, &m);
	if (rc == 0 && m.stale)
		rc = chobo_fail(err, EXIT_INVALID, "view %s: stored by version %u of the view, this is version %u; "
				"any chobo command that writes to the ledger rebuilds it", v->name,
				(unsigned)m.version, (unsigned)v->version);
	for (size_t k = 0; rc == 0 && k < u.nlogs; k++)
		if (u.logs[k].considered != u.logs[k].size)
			rc = chobo_fail(err, EXIT_INVALID, "view %s: has considered %llu of the %llu entries of %s",
					v->name, (unsigned long long)u.logs[k].considered,
					(unsigned long long)u.logs[k].size, u.logs[k].origin);
	for (size_t k = 0; rc == 0 && k < u.nlogs; k++)
		rc = scan_log(&u, &u.logs[k], &x.doc);
	if (rc == 0 && u.ntodo > 1)
		qsort(u.todo, u.ntodo, sizeof *u.todo, merge_order_cmp);
	for (size_t i = 0; rc == 0 && i < u.ntodo; i++)
		rc = apply_entry(&s, l->store, &x, &u.todo[i], err);
	if (rc == EX_DATAERR)
		rc = EXIT_INVALID;   /* an entry the reducer cannot read is a finding of the audit */
	if (rc == 0) {
		struct compare c = {.view = v->name, .err = err};
		c.want = xmalloc((s.mem.n ? s.mem.n : 1) * sizeof *c.want);
		for (size_t i = 0; i < s.mem.cap; i++)
			if (s.mem.slot[i].key && s.mem.slot[i].value)
				c.want[c.n++] = &s.mem.slot[i];
		qsort(c.want, c.n, sizeof *c.want, slot_order);
		rc = view_each(l, v, compare_record, &c, err);
		if (c.differs)
			rc = EXIT_INVALID;
		else if (rc == 0 && c.at < c.n)
			rc = chobo_fail(err, EXIT_INVALID, "view %s: key \"%s\" is missing from the stored view",
					v->name, c.want[c.at]->key);
		free(c.want);
	}
	mem_free(&s.mem);
	entry_scratch_free(&x);
	free_logs(&u);
	return rc;
}

void view_json_str(const json_t *o, const char *name, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, name));
	snprintf(out, cap, "%s", s ? s : "");
}

int64_t view_json_int(const json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

int views_refresh(struct ledger *l, struct chobo_error *err)
{
	if (store_begin(l->store) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	int rc = views_update(l, err);
	if (rc != 0) {
		store_abort(l->store);
		return rc;
	}
	if (store_commit(l->store) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	return 0;
}
