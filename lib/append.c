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
#include "hash_reader.h"
#include "merkle.h"
#include "progress.h"
#include "restore.h"
#include "service.h"
#include "view.h"

bool batch_add(struct batch *b, const struct entry_input *in)
{
	if (!b->max_entries) {
		b->max_entries = chobo_limit("BATCH_ENTRIES", CHOBO_MAX_BATCH);
		b->max_bytes = chobo_limit("BATCH_BYTES", CHOBO_MAX_BATCH_BYTES);
	}
	if (b->n >= b->max_entries || b->used + in->body_len > b->max_bytes)
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

bool batch_add_line(struct batch *b, const char *line, size_t len, struct json_doc *doc,
		    char *err, size_t errlen)
{
	struct entry_input in;
	if (!entry_input_parse(line, len, doc, &in, err, errlen))
		return false;
	/* Room for the envelope chain-append puts around the body. */
	if (in.body_len + 512 > CHOBO_MAX_ENTRY) {
		snprintf(err, errlen, "entry larger than %d bytes", CHOBO_MAX_ENTRY);
		return false;
	}
	if (!batch_add(b, &in)) {
		snprintf(err, errlen, "batch larger than %llu entries or %llu bytes",
			 (unsigned long long)b->max_entries, (unsigned long long)b->max_bytes);
		return false;
	}
	return true;
}

void batch_free(struct batch *b)
{
	free(b->items);
	free(b->buf);
	memset(b, 0, sizeof *b);
}

bool receipt_print(FILE *out, const struct receipt *r, const char *type, const char *time,
		   uint64_t tree_size)
{
	char hex[65];
	hex32(hex, r->leaf_hash);
	return fprintf(out, "{\"leaf_index\":%llu,\"leaf_hash\":\"%s\",\"type\":\"%s\",\"time\":\"%s\","
		       "\"tree_size\":%llu}\n", (unsigned long long)r->index, hex, type, time,
		       (unsigned long long)tree_size) >= 0;
}

static int receipt_hash_order(const void *a, const void *b)
{
	const struct receipt *x = *(const struct receipt *const *)a, *y = *(const struct receipt *const *)b;
	return memcmp(x->leaf_hash, y->leaf_hash, 32);
}

/* Batches smaller than this are hashed on the calling thread. */
#define HASHER_MIN_BATCH 4096

struct leaf_hasher {
	const struct batch *b;
	const char *origin, *time;
	bool test_clock;
	uint64_t size;
	struct receipt *receipts;
	atomic_size_t done;      /* receipts[0..done) hold their leaf hashes */
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
		merkle_leaf_hash(h->receipts[i].leaf_hash, entry, len);
		h->receipts[i].index = h->size + i;
		atomic_store_explicit(&h->done, i + 1, memory_order_release);
	}
	free(entry);
	return NULL;
}

static int store_failed(struct ledger *l, struct chobo_error *err)
{
	return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
}

/* The time of the log's last entry, or INT64_MIN for an empty log. */
static int last_entry_time(struct ledger *l, uint32_t id, uint64_t size, int64_t *out,
			   struct chobo_error *err)
{
	*out = INT64_MIN;
	if (size == 0)
		return 0;
	const void *data;
	size_t len;
	if (store_entry_get(l->store, id, size - 1, &data, &len) != STORE_OK)
		return store_failed(l, err);
	struct json_doc doc = {0};
	struct entry_view v;
	char why[256];
	bool ok = entry_parse(data, len, l->conf.origin, size - 1, &doc, &v, why, sizeof why);
	json_doc_free(&doc);
	if (!ok)
		return chobo_fail(err, EX_DATAERR, "%s: entry %llu: %s; run chain-verify", l->dir,
				  (unsigned long long)(size - 1), why);
	*out = v.time_sec;
	return 0;
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
			rc = chobo_fail(err, EX_SOFTWARE, "batch entry %zu: %s", i, why);
		else
			rc = entry_index_put_keys(l->store, it->type, &doc, 0, id, size + i, err);
	}
	json_doc_free(&doc);
	return rc;
}

/* The rules of every service with entries in the batch. */
static int service_rules(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	const struct batch *b = w->b;
	for (const struct service *const *s = service_list(); *s; s++) {
		bool involved = false;
		for (size_t i = 0; (*s)->append_check && !involved && i < b->n; i++)
			for (const struct entry_type *t = (*s)->types; t->name && !involved; t++)
				involved = b->items[i].type == t;
		int rc = involved ? (*s)->append_check(l, w, err) : 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int append_in_txn(struct ledger *l, const struct batch *b, const struct note_signer *key,
			 const struct append_rule *rule, struct receipt *receipts, uint64_t *tree_size,
			 int64_t now, const char *time, bool test_clock, struct chobo_error *err)
{
	struct store *st = l->store;
	struct ledger_reader lr;
	struct merkle_stack stack;
	uint8_t formed[64][32];
	uint32_t id;
	uint64_t size;
	int64_t last;
	/* A node restoring its log signs nothing that could fork the history its peers hold. */
	int rc = restore_append_allowed(l, err);
	if (rc != 0)
		return rc;
	if (store_log_find(st, l->conf.origin, &id, &size) != STORE_OK)
		return store_failed(l, err);
	if (size + b->n > CHOBO_MAX_TREE_SIZE)
		return chobo_fail(err, EX_DATAERR, "the log would exceed its maximum size");
	rc = last_entry_time(l, id, size, &last, err);
	if (rc != 0)
		return rc;
	if (now < last) {
		char was[21];
		time_format(was, last);
		return chobo_fail(err, EX_TEMPFAIL,
				  "the clock reads %s, earlier than the log's last entry (%s): entry times "
				  "never decrease within a log; check the clock (or CHOBO_NOW)", time, was);
	}
	ledger_reader_init(&lr, l, id);
	if (merkle_stack_load(&stack, &lr.r, size) != STORE_OK)
		return store_failed(l, err);

	/* Leaf hashes are computed on another core while this one writes the entries. */
	struct leaf_hasher h = {.b = b, .origin = l->conf.origin, .time = time, .test_clock = test_clock,
				.size = size, .receipts = receipts};
	atomic_init(&h.done, 0);
	atomic_init(&h.stop, false);
	bool threaded = b->n >= HASHER_MIN_BATCH && pthread_create(&h.thread, NULL, hash_leaves, &h) == 0;
	if (!threaded)
		hash_leaves(&h);
	char *entry = NULL;
	size_t cap = 0;
	int src = STORE_OK;
	struct progress p;
	size_t written = 0;
	progress_start(&p, "entries written", b->n);
	for (size_t i = 0; i < b->n && src == STORE_OK; i++) {
		progress_update(&p, written = i);
		const struct batch_item *it = &b->items[i];
		uint64_t index = size + i;
		size_t len = entry_envelope_into(&entry, &cap, l->conf.origin, index, time, test_clock,
						 it->type->name, b->buf + it->off, it->len);
		src = store_entry_put(st, id, index, entry, len);
		while (atomic_load_explicit(&h.done, memory_order_acquire) <= i)
			sched_yield();
		unsigned nformed = merkle_stack_push(&stack, receipts[i].leaf_hash, formed);
		if (src == STORE_OK && nformed > 0)
			src = store_hashes_put(st, id, index, &formed[0][0], nformed);
	}
	free(entry);
	progress_end(&p, src == STORE_OK ? b->n : written);
	if (threaded) {
		atomic_store(&h.stop, true);
		pthread_join(h.thread, NULL);
	}
	if (src != STORE_OK)
		return store_failed(l, err);

	/* The leaf-hash index is keyed by hash: inserting in key order keeps the btree's pages warm. */
	struct receipt **order = xmalloc(b->n * sizeof *order);
	for (size_t i = 0; i < b->n; i++)
		order[i] = &receipts[i];
	qsort(order, b->n, sizeof *order, receipt_hash_order);
	for (size_t i = 0; src == STORE_OK && i < b->n; i++)
		src = store_leaf_put(st, order[i]->leaf_hash, id, order[i]->index);
	free(order);
	if (src != STORE_OK)
		return store_failed(l, err);
	if ((rc = index_batch(l, b, id, size, now, err)) != 0)
		return rc;

	struct checkpoint cp;
	snprintf(cp.origin, sizeof cp.origin, "%s", l->conf.origin);
	cp.size = size + b->n;
	merkle_stack_root(&stack, cp.root);
	char *note = checkpoint_sign(&cp, key);
	src = store_checkpoint_put(st, id, cp.size, note, strlen(note));
	free(note);
	if (src == STORE_OK)
		src = store_log_set_size(st, id, cp.size);
	if (src != STORE_OK)
		return store_failed(l, err);
	*tree_size = cp.size;
	/* The rules see the state this batch makes, and can still refuse it. */
	struct batch_written w = {.b = b, .origin = l->conf.origin, .log = id, .first = size, .time = now,
				  .receipts = receipts};
	if ((rc = views_update_batch(l, &w, err)) != 0)
		return rc;
	if ((rc = service_rules(l, &w, err)) != 0)
		return rc;
	return rule ? rule->check(rule->ctx, l, b, err) : 0;
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
	int64_t now;
	bool test_clock;
	int rc = ledger_now(l, &now, &test_clock, err);
	if (rc != 0)
		return rc;
	time_format(time, now);
	if (store_begin(l->store) != STORE_OK)
		return store_failed(l, err);
	rc = append_in_txn(l, b, key, rule, receipts, tree_size, now, time, test_clock, err);
	if (rc == 0 && store_commit(l->store) != STORE_OK)
		rc = store_failed(l, err);
	else if (rc != 0)
		store_abort(l->store);
	if (rc != 0 && err) {
		size_t n = strlen(err->msg);
		if (n + 32 < sizeof err->msg)
			snprintf(err->msg + n, sizeof err->msg - n, "; nothing was appended");
		if (rc == EX_IOERR)
			ledger_space_hint(l->dir, err);
	}
	return rc;
}
