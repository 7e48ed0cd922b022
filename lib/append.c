/*
 * The append engine.  Leaf hashes are computed on a second core while the
 * first writes the entries; the store queues small records and writes them
 * in bulk, so a large batch costs little more than its bytes.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "checkpoint.h"
#include "codec.h"
#include "entry_index.h"
#include "hash_sort.h"
#include "log_tip.h"
#include "merkle.h"
#include "progress.h"
#include "restore.h"
#include "service.h"
#include "view.h"

/*
 * A streamed append writes a chunk when it holds this many entries or body
 * bytes: large enough that the fixed cost of a chunk (a thread, the views
 * and rules, a pass over the leaf-hash index) is small beside its entries,
 * small enough that a chunk is a few MiB of memory.
 */
#define CHUNK_ENTRIES 65536
#define CHUNK_BYTES (16u << 20)

/*
 * A batch of at least this many entries (CHOBO_LIMIT_APPEND_BULK_ENTRIES
 * lowers it), and a streamed one, is a bulk transaction (store_begin_bulk):
 * the pages it fills are written and synced at commit instead of going
 * through the log, which a large batch writes faster.  A smaller batch is
 * not: its commit would write whole pages for a few records, where the
 * log holds them with one sync.
 */
#define APPEND_BULK_ENTRIES 4096

bool batch_add(struct batch *b, const struct entry_input *in)
{
	if (!b->max_entries) {
		b->max_entries = chobo_limit("BATCH_ENTRIES", CHOBO_MAX_BATCH);
		b->max_bytes = chobo_limit("BATCH_BYTES", CHOBO_MAX_BATCH_BYTES);
	}
	if (b->base + b->n >= b->max_entries || b->base_bytes + b->used + in->body_len > b->max_bytes)
		return false;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->items = xrealloc(b->items, b->cap * sizeof *b->items);
	}
	if (b->used + in->body_len > b->size) {
		while (b->used + in->body_len > b->size)
			b->size = b->size ? b->size * 2 : 1 << 16;
		b->buf = xrealloc(b->buf, b->size);
	}
	memcpy(b->buf + b->used, in->body, in->body_len);
	b->items[b->n].type = in->type;
	b->items[b->n].off = b->used;
	b->items[b->n].len = in->body_len;
	b->used += in->body_len;
	b->n++;
	return true;
}

bool batch_chunk_full(const struct batch *b)
{
	return b->n >= CHUNK_ENTRIES || b->used >= CHUNK_BYTES;
}

void batch_next_chunk(struct batch *b)
{
	b->base += b->n;
	b->base_bytes += b->used;
	b->n = 0;
	b->used = 0;
}

/* entry_input_parse, and the entry's bound: room for the envelope chain-append puts around the body. */
static bool entry_line_valid(const char *line, size_t len, struct json_doc *doc, struct entry_input *in,
			     char *err, size_t errlen)
{
	if (!entry_input_parse(line, len, doc, in, err, errlen))
		return false;
	if (in->body_len + 512 > CHOBO_MAX_ENTRY) {
		snprintf(err, errlen, "entry larger than %d bytes", CHOBO_MAX_ENTRY);
		return false;
	}
	return true;
}

bool batch_add_line(struct batch *b, const char *line, size_t len, struct json_doc *doc,
		    char *err, size_t errlen)
{
	struct entry_input in;
	if (!entry_line_valid(line, len, doc, &in, err, errlen))
		return false;
	if (!batch_add(b, &in)) {
		snprintf(err, errlen, "batch larger than %llu entries or %llu bytes",
			 (unsigned long long)b->max_entries, (unsigned long long)b->max_bytes);
		return false;
	}
	return true;
}

/* The input line {"type":type,"body":body} (body taken), newly allocated. */
static char *entry_line(const char *type, json_t *body)
{
	json_t *e = json_pack("{s:s, s:o}", "type", type, "body", body);
	char *line = e ? json_dumps(e, JSON_COMPACT) : NULL;
	if (!line)
		xalloc_failed();
	json_decref(e);
	return line;
}

bool batch_add_body(struct batch *b, const char *type, json_t *body, char *err, size_t errlen)
{
	struct json_doc doc = {0};
	char *line = entry_line(type, body);
	bool ok = batch_add_line(b, line, strlen(line), &doc, err, errlen);
	free(line);
	json_doc_free(&doc);
	return ok;
}

bool entry_body_valid(const char *type, const json_t *body, char *err, size_t errlen)
{
	struct json_doc doc = {0};
	struct entry_input in;
	char *line = entry_line(type, json_incref((json_t *)body));
	bool ok = entry_line_valid(line, strlen(line), &doc, &in, err, errlen);
	free(line);
	json_doc_free(&doc);
	return ok;
}

void batch_free(struct batch *b)
{
	free(b->items);
	free(b->buf);
	memset(b, 0, sizeof *b);
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

bool receipt_print(FILE *out, const struct receipt *r, const char *type, const char *time,
		   uint64_t tree_size)
{
	/* Built by hand: a batch prints a million of these, and printf was a few per cent of its time. */
	char line[320], *p = line;
	if (strlen(type) > 64 || strlen(time) > 20) {
		char hex[65];
		hex32(hex, r->leaf_hash);
		return fprintf(out, "{\"leaf_index\":%llu,\"leaf_hash\":\"%s\",\"type\":\"%s\",\"time\":\"%s\","
			       "\"tree_size\":%llu}\n", (unsigned long long)r->index, hex, type, time,
			       (unsigned long long)tree_size) >= 0;
	}
	p = put_str(p, "{\"leaf_index\":");
	p = put_decimal(p, r->index);
	p = put_str(p, ",\"leaf_hash\":\"");
	hex32(p, r->leaf_hash);
	p += 64;
	p = put_str(p, "\",\"type\":\"");
	p = put_str(p, type);
	p = put_str(p, "\",\"time\":\"");
	p = put_str(p, time);
	p = put_str(p, "\",\"tree_size\":");
	p = put_decimal(p, tree_size);
	p = put_str(p, "}\n");
	return fwrite(line, 1, (size_t)(p - line), out) == (size_t)(p - line);
}

typedef uint8_t leaf_hash[32];

/* A leaf-hash index record to be written, sorted by hash. */
struct leaf_rec {
	uint8_t hash[32];   /* first, for hash_records_sort */
	uint32_t pos;   /* in the chunk */
};

/* Chunks smaller than this are hashed on the calling thread. */
#define HASHER_MIN_BATCH 4096

struct leaf_hasher {
	const struct batch *b;
	const char *origin, *time;
	bool test_clock;
	uint64_t size;           /* the index of the chunk's first entry */
	leaf_hash *out;          /* the chunk's leaf hashes */
	atomic_size_t done;      /* out[0..done) are computed */
	atomic_bool stop;
	pthread_t thread;
};

static void *hash_leaves(void *arg)
{
	struct leaf_hasher *h = arg;
	char *entry = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < h->b->n && !atomic_load_explicit(&h->stop, memory_order_relaxed); i++) {
		const struct batch_item *it = &h->b->items[i];
		size_t len = entry_envelope_into(&entry, &cap, h->origin, h->size + i, h->time, h->test_clock,
						 it->type->name, h->b->buf + it->off, it->len);
		merkle_leaf_hash(h->out[i], entry, len);
		atomic_store_explicit(&h->done, i + 1, memory_order_release);
	}
	free(entry);
	return NULL;
}

static int store_failed(struct ledger *l, struct chobo_error *err)
{
	return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
}

/* The entry indexes for the batch: its types, and the indexed fields of the types that have them. */
static int index_batch(struct ledger *l, const struct batch *b, uint32_t id, uint64_t size, int64_t now,
		       struct chobo_error *err)
{
	struct json_doc doc = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		const struct batch_item *it = &b->items[i];
		rc = entry_index_put_type(l->store, it->type, id, size + i, now, err);
		bool keyed = false;
		for (const struct field_spec *f = it->type->fields; f->name; f++)
			keyed = keyed || f->indexed;
		if (rc != 0 || !keyed)
			continue;
		char why[256];
		if (!json_scan(&doc, b->buf + it->off, it->len, why, sizeof why))
			rc = chobo_fail_entry(err, EX_SOFTWARE, b->base + i + 1, "%s", why);
		else
			rc = entry_index_put_keys(l->store, it->type, &doc, 0, id, size + i, err);
	}
	json_doc_free(&doc);
	return rc;
}

/* The rules of every service with entries in the batch. */
/* True when entries of type t concern service s: t is one of its types, or one of its views reads it. */
static bool service_reads(const struct service *s, const struct entry_type *t)
{
	for (const struct entry_type *own = s->types; own->name; own++)
		if (own == t)
			return true;
	for (const struct view_spec *const *v = s->views; v && *v; v++)
		for (const char *const *name = (*v)->types; *name; name++)
			if (strcmp(*name, t->name) == 0)
				return true;
	return false;
}

static int service_rules(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	const struct batch *b = w->b;
	for (const struct service *const *s = service_list(); *s; s++) {
		bool involved = false;
		for (size_t i = 0; (*s)->append_check && !involved && i < b->n; i++)
			involved = service_reads(*s, b->items[i].type);
		int rc = involved ? (*s)->append_check(l, w, err) : 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct append_stream {
	struct ledger *l;
	const struct note_signer *key;
	const struct append_rule *rule;
	int64_t now;
	bool test_clock;
	char time[21];
	uint32_t id;
	uint64_t first;                  /* the log's size before the batch */
	size_t n, cap;                   /* entries written; room in leaves and types */
	leaf_hash *leaves;               /* the receipts: leaf hashes and types by entry */
	const struct entry_type **types;
	struct merkle_stack stack;
	int64_t last;                    /* the time of the log's last entry before the batch */
	char *entry;                     /* the envelope being written */
	size_t entry_cap;
	bool in_txn, committed;
	uint64_t tree_size;
	struct progress progress;        /* of the entries written, over the whole batch */
	uint64_t total;                  /* entries expected, when known; else 0 */
	bool progress_on;
};

static void stream_progress_end(struct append_stream *s)
{
	if (s->progress_on)
		progress_end(&s->progress, s->n);
	s->progress_on = false;
}

/* Abort the stream's transaction after a failure: rc, with err saying nothing was appended. */
static int stream_failed(struct append_stream *s, int rc, struct chobo_error *err)
{
	if (s->in_txn)
		store_abort(s->l->store);
	s->in_txn = false;
	stream_progress_end(s);
	if (err) {
		size_t n = strlen(err->msg);
		if (n + 32 < sizeof err->msg)
			snprintf(err->msg + n, sizeof err->msg - n, "; nothing was appended");
		if (rc == EX_IOERR)
			ledger_space_hint(s->l->dir, err);
	}
	return rc;
}

/* The log, its size and its last entry's time; the clock may not read earlier. */
static int stream_start(struct append_stream *s, struct chobo_error *err)
{
	struct ledger *l = s->l;
	struct log_tip tip;
	/* A node restoring its log signs nothing that could fork the history its peers hold. */
	int rc = restore_append_allowed(l, err);
	if (rc != 0)
		return rc;
	if (store_log_find(l->store, l->conf.origin, &s->id, &s->first) != STORE_OK)
		return store_failed(l, err);
	rc = log_tip_load(l, s->id, l->conf.origin, s->first, &tip, NULL, err);
	if (rc != 0)
		return rc;
	s->stack = tip.stack;
	s->last = tip.last_time;
	if (s->now < s->last) {
		char was[21];
		time_format(was, s->last);
		return chobo_fail(err, EX_TEMPFAIL,
				  "the clock reads %s, earlier than the log's last entry (%s): entry times "
				  "never decrease within a log; check the clock (or CHOBO_NOW)", s->time, was);
	}
	return 0;
}

int append_stream_begin(struct ledger *l, const struct note_signer *key, const struct append_rule *rule,
			uint64_t expect, struct append_stream **out, struct chobo_error *err)
{
	struct append_stream *s = xcalloc(1, sizeof *s);
	s->l = l;
	s->key = key;
	s->rule = rule;
	s->total = expect;
	*out = NULL;
	int rc = ledger_now(l, &s->now, &s->test_clock, err);
	if (rc != 0) {
		free(s);
		return rc;
	}
	time_format(s->time, s->now);
	/* expect 0: streamed, a chunk already and more to come. */
	bool bulk = expect == 0 || expect >= chobo_limit("APPEND_BULK_ENTRIES", APPEND_BULK_ENTRIES);
	if ((bulk ? store_begin_bulk(l->store) : store_begin(l->store)) != STORE_OK)
		rc = store_failed(l, err);
	else
		s->in_txn = true;
	if (rc == 0)
		rc = stream_start(s, err);
	if (rc != 0) {
		stream_failed(s, rc, err);
		append_stream_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* The chunk's entries and the interior hashes they complete; the leaf hashes into leaves. */
static int write_entries(struct append_stream *s, const struct batch *b, leaf_hash *leaves,
			 struct chobo_error *err)
{
	struct ledger *l = s->l;
	uint64_t size = s->first + s->n;
	uint8_t formed[64][32];
	/* Leaf hashes are computed on another core while this one writes the entries. */
	struct leaf_hasher h = {.b = b, .origin = l->conf.origin, .time = s->time, .test_clock = s->test_clock,
				.size = size, .out = leaves};
	atomic_init(&h.done, 0);
	atomic_init(&h.stop, false);
	bool threaded = b->n >= HASHER_MIN_BATCH && pthread_create(&h.thread, NULL, hash_leaves, &h) == 0;
	if (!threaded)
		hash_leaves(&h);
	int src = STORE_OK;
	for (size_t i = 0; i < b->n && src == STORE_OK; i++) {
		progress_update(&s->progress, s->n + i);
		const struct batch_item *it = &b->items[i];
		uint64_t index = size + i;
		size_t len = entry_envelope_into(&s->entry, &s->entry_cap, l->conf.origin, index, s->time,
						 s->test_clock, it->type->name, b->buf + it->off, it->len);
		src = store_entry_put(l->store, s->id, index, s->entry, len);
		while (atomic_load_explicit(&h.done, memory_order_acquire) <= i)
			sched_yield();
		unsigned nformed = merkle_stack_push(&s->stack, leaves[i], formed);
		if (src == STORE_OK && nformed > 0)
			src = store_hashes_put(l->store, s->id, index, &formed[0][0], nformed);
	}
	if (threaded) {
		atomic_store(&h.stop, true);
		pthread_join(h.thread, NULL);
	}
	return src == STORE_OK ? 0 : store_failed(l, err);
}

/*
 * The chunk's leaf-hash index records.  The index is keyed by hash:
 * inserting a chunk in key order passes over the btree's pages once, in
 * order, instead of touching one at random per entry.
 */
static int write_leaves(struct append_stream *s, const struct batch *b, leaf_hash *leaves,
			struct chobo_error *err)
{
	struct leaf_rec *order = xmalloc(b->n * sizeof *order);
	for (size_t i = 0; i < b->n; i++) {
		memcpy(order[i].hash, leaves[i], 32);
		order[i].pos = (uint32_t)i;
	}
	hash_records_sort(order, b->n, sizeof *order);
	int src = STORE_OK;
	uint64_t size = s->first + s->n;
	for (size_t i = 0; src == STORE_OK && i < b->n; i++)
		src = store_leaf_put(s->l->store, order[i].hash, s->id, size + order[i].pos);
	free(order);
	return src == STORE_OK ? 0 : store_failed(s->l, err);
}

/* Write chunk b in the open transaction and judge the state it makes. */
static int append_chunk_in_txn(struct append_stream *s, const struct batch *b, struct chobo_error *err)
{
	struct ledger *l = s->l;
	uint64_t size = s->first + s->n;
	if (size + b->n > CHOBO_MAX_TREE_SIZE || b->n > UINT32_MAX)
		return chobo_fail(err, EX_DATAERR, "the log would exceed its maximum size");
	if (s->n + b->n > s->cap) {
		while (s->n + b->n > s->cap)
			s->cap = s->cap ? s->cap * 2 : b->n;
		s->leaves = xrealloc(s->leaves, s->cap * sizeof *s->leaves);
		s->types = xrealloc(s->types, s->cap * sizeof *s->types);
	}
	leaf_hash *leaves = s->leaves + s->n;
	for (size_t i = 0; i < b->n; i++)
		s->types[s->n + i] = b->items[i].type;
	int rc = write_entries(s, b, leaves, err);
	if (rc == 0)
		rc = write_leaves(s, b, leaves, err);
	if (rc == 0)
		rc = index_batch(l, b, s->id, size, s->now, err);
	if (rc != 0)
		return rc;
	s->n += b->n;
	/* The views and rules read the log up to its size: the chunk is in it now. */
	if (store_log_set_size(l->store, s->id, s->first + s->n) != STORE_OK)
		return store_failed(l, err);
	/* The rules see the state this batch makes, and can still refuse it. */
	struct batch_written w = {.b = b, .origin = l->conf.origin, .log = s->id, .first = size,
				  .time = s->now, .leaf_hashes = (const uint8_t (*)[32])leaves,
				  .counted = xcalloc(b->n ? b->n : 1, sizeof *w.counted)};
	rc = views_update_batch(l, &w, err);
	if (rc == 0)
		rc = service_rules(l, &w, err);
	free(w.counted);
	if (rc != 0)
		return rc;
	return s->rule ? s->rule->check(s->rule->ctx, l, b, err) : 0;
}

int append_stream_write(struct append_stream *s, const struct batch *b, struct chobo_error *err)
{
	if (!s->in_txn)
		return chobo_fail(err, EX_SOFTWARE, "append_stream_write: the append is over");
	if (!s->progress_on) {
		progress_start(&s->progress, "entries written", s->total);
		s->progress_on = true;
	}
	int rc = append_chunk_in_txn(s, b, err);
	return rc == 0 ? 0 : stream_failed(s, rc, err);
}

int append_stream_commit(struct append_stream *s, struct chobo_error *err)
{
	if (!s->in_txn)
		return chobo_fail(err, EX_SOFTWARE, "append_stream_commit: the append is over");
	stream_progress_end(s);
	struct checkpoint cp;
	snprintf(cp.origin, sizeof cp.origin, "%s", s->l->conf.origin);
	cp.size = s->first + s->n;
	merkle_stack_root(&s->stack, cp.root);
	char *note = checkpoint_sign(&cp, s->key);
	int src = store_checkpoint_put(s->l->store, s->id, cp.size, note, strlen(note));
	free(note);
	if (src == STORE_OK)
		src = store_log_set_size(s->l->store, s->id, cp.size);
	if (src != STORE_OK)
		return stream_failed(s, store_failed(s->l, err), err);
	/* The next append starts from this record (written also when the batch is empty and it was missing). */
	struct log_tip tip = {.stack = s->stack, .last_time = s->n > 0 ? s->now : s->last};
	int rc = log_tip_save(s->l, s->id, &tip, err);
	if (rc != 0)
		return stream_failed(s, rc, err);
	s->in_txn = false;
	if (store_commit(s->l->store) != STORE_OK)
		return stream_failed(s, store_failed(s->l, err), err);
	s->committed = true;
	s->tree_size = cp.size;
	return 0;
}

size_t append_stream_count(const struct append_stream *s)
{
	return s->n;
}

uint64_t append_stream_tree_size(const struct append_stream *s)
{
	return s->tree_size;
}

const char *append_stream_time(const struct append_stream *s)
{
	return s->time;
}

void append_stream_receipt(const struct append_stream *s, size_t i, struct receipt *r,
			   const struct entry_type **type)
{
	r->index = s->first + i;
	memcpy(r->leaf_hash, s->leaves[i], 32);
	if (type)
		*type = s->types[i];
}

void append_stream_free(struct append_stream *s)
{
	if (!s)
		return;
	if (s->in_txn)
		store_abort(s->l->store);
	free(s->leaves);
	free(s->types);
	free(s->entry);
	free(s);
}

int ledger_open_append(struct ledger *l, const char *dir, struct note_signer *key, struct chobo_error *err)
{
	int rc = ledger_log_key(dir, key, err);
	if (rc != 0)
		return rc;
	if ((rc = ledger_open(l, dir, STORE_NORMAL, err)) != 0) {
		note_signer_clear(key);
		return rc;
	}
	if (strcmp(key->pub.name, l->conf.origin) != 0) {
		rc = chobo_fail(err, EX_CONFIG, "%s/keys/node.key: a log key named %s, not %s", dir,
				key->pub.name, l->conf.origin);
		note_signer_clear(key);
		rc = ledger_close_after(l, rc, err);
	}
	return rc;
}

int ledger_append(struct ledger *l, const struct batch *b, const struct note_signer *key,
		  const struct append_rule *rule, struct receipt *receipts, uint64_t *tree_size,
		  char time[21], struct chobo_error *err)
{
	struct append_stream *s;
	int rc = append_stream_begin(l, key, rule, b->n, &s, err);
	if (rc != 0)
		return rc;
	time_format(time, s->now);
	if ((rc = append_stream_write(s, b, err)) == 0 && (rc = append_stream_commit(s, err)) == 0) {
		for (size_t i = 0; i < b->n; i++)
			append_stream_receipt(s, i, &receipts[i], NULL);
		*tree_size = s->tree_size;
	}
	append_stream_free(s);
	return rc;
}

int ledger_append_check(struct ledger *l, const struct batch *b, const struct note_signer *key,
			const struct append_rule *rule, struct chobo_error *err)
{
	struct append_stream *s;
	int rc = append_stream_begin(l, key, rule, b->n, &s, err);
	if (rc != 0)
		return rc;
	rc = append_stream_write(s, b, err);
	append_stream_free(s);   /* not committed: aborted */
	return rc;
}
