/*
 * The import is one pass over the bundle inside the transaction: each entry
 * is hashed into the tree and written as it is read, and every signed
 * checkpoint is checked against that tree when the walk reaches it; the
 * entries' envelopes and schemas are checked on a second core meanwhile
 * (audit_checker), which hands each accepted entry back for the entry
 * indexes.  The first problem aborts the transaction, so a refused bundle
 * leaves nothing behind.  The leaf-hash index is written in hash order, a
 * chunk at a time, as the append path writes it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "bundle.h"
#include "cosign.h"
#include "entry_index.h"
#include "fork_evidence.h"
#include "hash_sort.h"
#include "hash_reader.h"
#include "import.h"
#include "log_tip.h"
#include "view.h"
#include "util.h"

/*
 * What a bundle's byte expands to in the store, with the hashes and indexes
 * of its entries (sizes the cache): zlib makes entries of one log 4 to 50
 * times smaller; the store caps the cache, so a generous guess costs little.
 */
#define IMPORT_STORE_BYTES_PER_BUNDLE_BYTE 16

/*
 * What an entry costs the store beyond its bytes when the count is known
 * (a sync): its leaf-hash record lands on a random page of the index, often
 * a full one that splits, and the split is logged.  An incremental sync of
 * 1000 entries into 1,000,000 bundles only ~7 KB (alike entries compress
 * well), which the bundle-byte guess took for a short job: a 4 MiB cache
 * that wrote ~1500 index pages back mid-transaction, and 128 KiB log files,
 * ~20 of them made for its ~2.5 MB of log, each switch a sync (34
 * fdatasync calls in all).  Counted at a page an entry it is sized as a
 * batch: 2 MiB log files, 14 fdatasync calls.
 */
#define IMPORT_STORE_BYTES_PER_ENTRY 4096

/*
 * An import expected to add more than this to the store (import_expect) runs
 * as a bulk transaction (store_begin_bulk): its new pages are written at
 * commit instead of logged, which took a first import of 1,000,000 entries
 * from 11.0 s to 6.3 s.  A small one would sync four more files at commit.
 * CHOBO_LIMIT_IMPORT_BULK_BYTES lowers it (tests take that path so).
 */
#define IMPORT_BULK_BYTES (UINT64_C(64) << 20)
static uint64_t expected_bytes;

/* Leaf-hash index records held for sorting before they are written: 48 MiB. */
#define IMPORT_LEAF_CHUNK (UINT64_C(1) << 20)

struct import_leaf {
	uint8_t hash[32];   /* first, for hash_records_sort */
	uint64_t index;
	uint32_t log;
};

/*
 * A signed note reduced to its text and the signature lines of keys that
 * verified (one per key); newly allocated, or NULL if it does not verify.
 */
static char *note_keep_verified(const char *note, size_t len, const struct trust *trust, size_t *out_len)
{
	struct note_parts parts;
	const char *why;
	bool *verified = xcalloc(trust->n ? trust->n : 1, sizeof *verified);
	char *out = NULL;
	if (note_split(note, len, &parts, &why) &&
	    note_verify(note, len, trust->keys, trust->n, verified, NULL, &why)) {
		out = xmalloc(len + 1);
		memcpy(out, parts.text, parts.text_len);
		size_t used = parts.text_len;
		out[used++] = '\n';
		for (size_t k = 0; k < trust->n; k++) {
			size_t llen;
			const char *line = verified[k] ? note_find_signature(note, len, &trust->keys[k], &llen) : NULL;
			if (line) {
				memcpy(out + used, line, llen);
				used += llen;
			}
		}
		out[used] = '\0';
		*out_len = used;
	}
	free(verified);
	return out;
}

/* What import keeps of the section being walked (the walk holds its origin and tree). */
struct section {
	const char *origin;     /* the walk's */
	uint32_t id;
	uint64_t held;          /* entries held before this import */
	bool diverged;          /* the bundle's tree differs from ours where they meet */
	/* Once diverged: the bundle's tree there and its leaves after, for the fork's proof. */
	struct merkle_stack fork_base;
	uint8_t (*leaves)[32];
	uint64_t nleaves, cap;
	bool own;               /* this node's own log */
	uint64_t added_entries, added_checkpoints;
};

struct import {
	struct ledger *l;
	struct audit a;
	struct section s;
	json_t *summary;        /* one object per log */
	bool fork;
	char *fork_ours, *fork_theirs, *fork_proof;
	char fork_origin[NOTE_MAX_NAME + 1];
	uint64_t fork_size;
	struct json_doc doc;    /* scratch for indexing stored entries */
	enum import_own own;
	uint64_t own_size;      /* this node's log: the newest checkpoint in the bundle */
	char *own_note;
	uint64_t own_held;      /* what we hold of it */
	bool own_ahead;         /* it goes beyond what we hold, and is not ours to take */
	struct import_leaf *leaves;     /* stored entries' leaf-index records not yet written */
	uint64_t nleaves, leaves_cap;
	struct audit_checker *checker;  /* checks the section's entries */
};

/* Not stored: this node's log beyond what it holds, unless it is restoring it. */
static bool own_kept_out(const struct import *im)
{
	return im->s.own && im->own == IMPORT_OWN_CHECK;
}

/* Whether the entry at index of the section is stored (not held already, and ours to take). */
static bool stored(const struct import *im, uint64_t index)
{
	return index >= im->s.held && !im->s.diverged && !own_kept_out(im);
}

static bool type_keyed(const struct entry_type *t)
{
	for (const struct field_spec *f = t->fields; f->name; f++)
		if (f->indexed)
			return true;
	return false;
}

/* An entry the checker accepted: a stored one goes into the entry indexes. */
static int on_accepted(void *ctx, uint64_t index, const void *data, size_t len, const struct entry_type *type,
		       int64_t time)
{
	struct import *im = ctx;
	struct section *s = &im->s;
	struct chobo_error e;
	if (!stored(im, index))
		return 0;
	if (!type_keyed(type)) {
		if (entry_index_put_type(im->l->store, type, s->id, index, time, &e) != 0)
			return audit_problem(&im->a, s->origin, "log", index, "%s", e.msg);
		return 0;
	}
	/* Its indexed fields are read from the entry parsed again, as few types have them. */
	struct entry_view v;
	char why[256];
	if (!entry_parse(data, len, s->origin, index, &im->doc, &v, why, sizeof why))
		return audit_problem(&im->a, s->origin, "entry", index, "%s", why);
	if (entry_index_add(im->l->store, &im->doc, &v, s->id, &e) != 0)
		return audit_problem(&im->a, s->origin, "log", index, "%s", e.msg);
	return 0;
}

/* Wait for the checks of the section's entries; 0, or 1 when they found a problem. */
static int checker_end(struct import *im)
{
	if (im->checker) {
		audit_checker_finish(im->checker);
		im->checker = NULL;
	}
	return im->a.p.found;
}

/*
 * Write the leaf-index records held: in hash order, so that each page of
 * the index is visited once rather than once per entry.
 */
static int leaves_flush(struct import *im, const char *origin)
{
	struct store *st = im->l->store;
	if (im->nleaves == 0)
		return 0;   /* a section of no new entries */
	hash_records_sort(im->leaves, im->nleaves, sizeof *im->leaves);
	for (uint64_t i = 0; i < im->nleaves; i++)
		if (store_leaf_put(st, im->leaves[i].hash, im->leaves[i].log, im->leaves[i].index) != STORE_OK)
			return audit_problem(&im->a, origin, "log", im->leaves[i].index, "storage error: %s",
					     store_error(st));
	im->nleaves = 0;
	return 0;
}

static int on_section_end(struct bundle_walk *w)
{
	struct import *im = w->ctx;
	struct section *s = &im->s;
	if (checker_end(im) || leaves_flush(im, w->origin))
		return 1;
	if (w->stack.size > s->held && !own_kept_out(im)) {
		if (store_log_set_size(im->l->store, s->id, w->stack.size) != STORE_OK)
			return audit_problem(&im->a, w->origin, "log", 0, "storage error: %s",
					     store_error(im->l->store));
		/* The log's tip record (log_tip.h), for the appends of a log restored here. */
		struct log_tip tip = {.stack = w->stack};
		struct chobo_error e;
		if (log_tip_entry_time(im->l, s->id, w->origin, w->stack.size, &tip.last_time, &e) != 0 ||
		    log_tip_save(im->l, s->id, &tip, &e) != 0)
			return audit_problem(&im->a, w->origin, "log", w->stack.size - 1, "%s", e.msg);
	}
	json_t *line = json_pack("{s:s, s:I, s:I, s:I, s:I}", "log", w->origin,
				 "from", (json_int_t)s->held, "to",
				 (json_int_t)(w->stack.size > s->held ? w->stack.size : s->held),
				 "entries", (json_int_t)s->added_entries,
				 "checkpoints", (json_int_t)s->added_checkpoints);
	/* A summary that silently lacks a log would misreport the import. */
	if (!line || json_array_append_new(im->summary, line) != 0)
		xalloc_failed();
	return 0;
}

/* The leaves a diverging section keeps for its fork's proof: at most this many (32 bytes each). */
#define FORK_MAX_LEAVES (UINT64_C(1) << 22)

/*
 * The consistency proof that shows the fork when the two checkpoints'
 * sizes differ, from the tree that signed the larger one: ours (in the
 * store), or the bundle's (its edge where it left ours, and the leaves
 * since).  NULL when the sizes are equal or the bundle's leaves were too many.
 */
static char *fork_proof(struct import *im, uint64_t osize, uint64_t tsize)
{
	struct merkle_reader r;
	struct ledger_reader lr;
	struct edge_tree et = {&im->s.fork_base, (const uint8_t (*)[32])im->s.leaves, im->s.nleaves};
	if (osize == tsize)
		return NULL;
	if (osize > tsize) {
		ledger_reader_init(&lr, im->l, im->s.id);
		return fork_proof_make(&lr.r, tsize, osize);
	}
	if (!im->s.diverged || im->s.fork_base.size != osize)
		return NULL;
	edge_tree_reader(&et, &r);
	return fork_proof_make(&r, osize, tsize);
}

/* Keep the evidence of a fork: our checkpoint (at size, or our latest), theirs (at tsize), and the proof. */
static int fork_found(struct import *im, const char *origin, uint64_t size, const char *theirs, size_t tlen,
		      uint64_t tsize)
{
	struct store *st = im->l->store;
	const char *ours;
	size_t olen;
	uint64_t osize = size;
	/* A defect of an entry before it is what the bundle shows first. */
	if (checker_end(im))
		return 1;
	if (store_checkpoint_get(st, im->s.id, size, &ours, &olen) != STORE_OK &&
	    store_checkpoint_latest(st, im->s.id, &osize, &ours, &olen) != STORE_OK)
		return audit_problem(&im->a, origin, "log", size, "storage error: %s", store_error(st));
	im->fork = true;
	im->fork_ours = xmalloc(olen + 1);
	memcpy(im->fork_ours, ours, olen);
	im->fork_ours[olen] = '\0';
	im->fork_theirs = xmalloc(tlen + 1);
	memcpy(im->fork_theirs, theirs, tlen);
	im->fork_theirs[tlen] = '\0';
	im->fork_proof = fork_proof(im, osize, tsize);
	snprintf(im->fork_origin, sizeof im->fork_origin, "%s", origin);
	im->fork_size = size;
	return audit_problem(&im->a, origin, "fork", size,
			     "a validly signed checkpoint contradicts the history this ledger holds");
}

static int on_log(struct bundle_walk *w)
{
	struct import *im = w->ctx;
	struct section *s = &im->s;
	struct store *st = im->l->store;
	free(s->leaves);
	memset(s, 0, sizeof *s);
	s->origin = w->origin;
	s->own = strcmp(w->origin, im->l->conf.origin) == 0;
	im->checker = audit_checker_start_kept(&im->a, w->origin, on_accepted, im);
	int rc = store_log_find(st, w->origin, &s->id, &s->held);
	if (rc == STORE_NOTFOUND) {
		rc = store_log_create(st, w->origin, &s->id);
		s->held = 0;
	}
	if (rc != STORE_OK)
		return audit_problem(&im->a, w->origin, "log", 0, "storage error: %s", store_error(st));
	if (s->own)
		im->own_held = s->held;
	return 0;
}

static int on_stack(struct bundle_walk *w)
{
	struct import *im = w->ctx;
	if (w->stack.size > im->s.held)
		return audit_problem(&im->a, w->origin, "log", im->s.held,
				     "the bundle starts at entry %llu but this ledger holds only %llu: "
				     "export with --since a checkpoint this ledger holds",
				     (unsigned long long)w->stack.size, (unsigned long long)im->s.held);
	/* A different tree state is caught against its signed checkpoint, which comes next. */
	return 0;
}

static int on_entry(struct bundle_walk *w, const uint8_t *p, size_t len)
{
	struct import *im = w->ctx;
	struct section *s = &im->s;
	struct store *st = im->l->store;
	uint8_t formed[64][32];
	uint64_t index = w->stack.size;
	if (index >= CHOBO_MAX_TREE_SIZE)
		return audit_problem(&im->a, w->origin, "log", index, "log too large");
	if (index == s->held && !s->diverged) {
		/* New entries go on top of our tree: the bundle's tree must be ours up to here. */
		struct ledger_reader lr;
		uint8_t ours[32], theirs[32];
		ledger_reader_init(&lr, im->l, s->id);
		if (merkle_root(&lr.r, index, ours) != 0)
			return audit_problem(&im->a, w->origin, "log", index, "storage error: %s",
					     store_error(st));
		merkle_stack_root(&w->stack, theirs);
		s->diverged = memcmp(ours, theirs, 32) != 0;
		if (s->diverged)
			s->fork_base = w->stack;
		/*
		 * Times never decrease within a log: the first new entry is compared
		 * with the last one held, not only with those in the bundle.
		 */
		if (index > 0 && !(im->a.time_next == index && strcmp(im->a.time_log, w->origin) == 0)) {
			const void *held;
			size_t hlen;
			struct entry_view v;
			char why[256];
			if (store_entry_get(st, s->id, index - 1, &held, &hlen) != STORE_OK)
				return audit_problem(&im->a, w->origin, "log", index, "storage error: %s",
						     store_error(st));
			if (!entry_parse(held, hlen, w->origin, index - 1, &im->doc, &v, why, sizeof why))
				return audit_problem(&im->a, w->origin, "entry", index - 1, "held entry: %s", why);
			snprintf(im->a.time_log, sizeof im->a.time_log, "%s", w->origin);
			im->a.time_next = index;
			im->a.time_last = v.time_sec;
		}
	}
	if (im->nleaves == im->leaves_cap) {
		im->leaves_cap = im->leaves_cap ? im->leaves_cap * 2 : 1024;
		im->leaves = xrealloc(im->leaves, im->leaves_cap * sizeof *im->leaves);
	}
	/* Hashed and pushed here, checked on the checker's thread (on_accepted takes it back). */
	struct import_leaf *lf = &im->leaves[im->nleaves];
	merkle_leaf_hash(lf->hash, p, len);
	unsigned n = merkle_stack_push(&w->stack, lf->hash, formed);
	im->a.entries++;
	progress_update(&im->a.progress, im->a.entries);
	audit_checker_add(im->checker, index, p, len);
	if (audit_checker_failed(im->checker))
		return 1;
	if (s->diverged && s->nleaves < FORK_MAX_LEAVES) {
		if (s->nleaves == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 1024;
			s->leaves = xrealloc(s->leaves, s->cap * sizeof *s->leaves);
		}
		memcpy(s->leaves[s->nleaves++], lf->hash, 32);
	}
	if (index < s->held || s->diverged)
		return 0;    /* already held, or not ours to store: the next signed checkpoint decides */
	if (own_kept_out(im)) {
		im->own_ahead = true;    /* checked, not stored: refused once the walk ends */
		return 0;
	}
	if (store_entry_put(st, s->id, index, p, len) != STORE_OK ||
	    (n > 0 && store_hashes_put(st, s->id, index, &formed[0][0], n) != STORE_OK))
		return audit_problem(&im->a, w->origin, "log", index, "storage error: %s", store_error(st));
	lf->index = index;
	lf->log = s->id;
	im->nleaves++;
	if (im->nleaves == IMPORT_LEAF_CHUNK && leaves_flush(im, w->origin))
		return 1;
	s->added_entries++;
	return 0;
}

/* A checkpoint the walk verified over the bundle's tree at its size. */
static int on_checkpoint(struct bundle_walk *w, const char *note, size_t nlen)
{
	struct import *im = w->ctx;
	struct section *s = &im->s;
	struct store *st = im->l->store;
	uint64_t size = w->stack.size;
	if (s->diverged)
		return fork_found(im, w->origin, s->held, note, nlen, size);
	if (s->own && size >= im->own_size) {
		free(im->own_note);
		im->own_note = xmalloc(nlen + 1);
		memcpy(im->own_note, note, nlen);
		im->own_note[nlen] = '\0';
		im->own_size = size;
	}
	if (size > s->held && own_kept_out(im))
		return 0;
	if (size <= s->held) {
		/* Within what we hold: the signed root must be ours at that size. */
		struct ledger_reader lr;
		uint8_t root[32], theirs[32];
		ledger_reader_init(&lr, im->l, s->id);
		merkle_stack_root(&w->stack, theirs);
		if (merkle_root(&lr.r, size, root) != 0)
			return audit_problem(&im->a, w->origin, "log", size, "storage error: %s",
					     store_error(st));
		if (memcmp(root, theirs, 32) != 0)
			return fork_found(im, w->origin, size, note, nlen, size);
		const char *have;
		size_t hlen;
		if (store_checkpoint_get(st, s->id, size, &have, &hlen) == STORE_OK) {
			/* The same checkpoint: keep the witnesses' cosignatures it brings. */
			struct chobo_error e;
			if (cosignatures_merge(im->l, im->a.trust, s->id, size, note, nlen, NULL, &e) != 0)
				return audit_problem(&im->a, w->origin, "log", size, "storage error: %s", e.msg);
			return 0;
		}
	}
	/* Kept: the text and the lines that verified; a relay cannot pad what we store. */
	size_t klen;
	char *kept = note_keep_verified(note, nlen, im->a.trust, &klen);
	int put = kept ? store_checkpoint_put(st, s->id, size, kept, klen) : STORE_ERROR;
	free(kept);
	if (put != STORE_OK)
		return audit_problem(&im->a, w->origin, "log", size, "storage error: %s", store_error(st));
	s->added_checkpoints++;
	return 0;
}

static int import_records(struct import *im, struct bundle_reader *r)
{
	struct bundle_walk w = {.a = &im->a, .ctx = im, .on_log = on_log, .on_stack = on_stack,
				.on_entry = on_entry, .on_checkpoint = on_checkpoint,
				.on_section_end = on_section_end, .entries_elsewhere = true};
	int rc = audit_bundle_walk(&w, r);
	/* Stopped inside a section: its checks still say what they found (the earliest problem). */
	return checker_end(im) || rc;
}

/* The first problem an audit found, as one line. */
static int audit_refusal(const struct audit *a, struct chobo_error *err)
{
	return chobo_fail(err, EX_DATAERR, "%s%s%s %llu: %s", a->p.log, a->p.log[0] ? ": " : "",
			  a->p.where, (unsigned long long)a->p.at, a->p.reason);
}

/* The data is refused, the evidence kept (in a transaction of its own). */
static int keep_fork_evidence(struct ledger *l, const struct import *im, struct chobo_error *err)
{
	uint32_t id;
	uint64_t size;
	if (store_begin(l->store) != STORE_OK ||
	    store_log_find(l->store, im->fork_origin, &id, &size) != STORE_OK ||
	    store_fork_put(l->store, id, im->fork_ours, strlen(im->fork_ours), im->fork_theirs,
			   strlen(im->fork_theirs), im->fork_proof,
			   im->fork_proof ? strlen(im->fork_proof) : 0) != STORE_OK ||
	    store_commit(l->store) != STORE_OK) {
		store_abort(l->store);
		return chobo_fail(err, EXIT_FORK, "%s: fork at size %llu; the evidence could not be stored: %s",
				  im->fork_origin, (unsigned long long)im->fork_size, store_error(l->store));
	}
	return chobo_fail(err, EXIT_FORK, "%s: fork at size %llu; the evidence is kept", im->fork_origin,
			  (unsigned long long)im->fork_size);
}

/* This node's log goes beyond what it holds: the whole bundle is refused, and why. */
static int own_ahead_refusal(const struct ledger *l, const struct import *im, struct chobo_error *err)
{
	return chobo_fail(err, EX_DATAERR,
			  "%s: the bundle holds this node's own log up to %llu entries, beyond the %llu held "
			  "here: this ledger lacks entries it signed (restored from an old copy?); take them "
			  "with chain-import --restore or chain-sync --restore", l->conf.origin,
			  (unsigned long long)im->own_size, (unsigned long long)im->own_held);
}

int import_bundle(struct ledger *l, const struct trust *trust, FILE *in, enum import_own own,
		  struct import_result *res, struct chobo_error *err)
{
	struct import im = {.l = l, .summary = json_array(), .own = own};
	const char *why;
	int rc = 0;
	memset(res, 0, sizeof *res);
	im.a.trust = trust;
	progress_start(&im.a.progress, "entries imported", 0);
	struct bundle_reader *r = bundle_reader_open(in, &why);
	if (!r) {
		json_decref(im.summary);
		return chobo_fail(err, EX_DATAERR, "%s", why);
	}
	bool bulk = expected_bytes > chobo_limit("IMPORT_BULK_BYTES", IMPORT_BULK_BYTES);
	if ((bulk ? store_begin_bulk(l->store) : store_begin(l->store)) != STORE_OK) {
		rc = chobo_fail(err, EX_IOERR, "%s", store_error(l->store));
	} else if (import_records(&im, r)) {
		store_abort(l->store);
		rc = im.fork ? keep_fork_evidence(l, &im, err) : audit_refusal(&im.a, err);
	} else if (im.own_ahead) {
		store_abort(l->store);
		rc = own_ahead_refusal(l, &im, err);
	} else {
		/* The views take the new entries in the same transaction. */
		struct chobo_error e;
		if (views_update(l, &e) != 0) {
			store_abort(l->store);
			rc = chobo_fail(err, EX_IOERR, "%s: nothing was imported", e.msg);
		} else if (store_commit(l->store) != STORE_OK) {
			rc = chobo_fail(err, EX_IOERR, "%s: nothing was imported", store_error(l->store));
		}
	}
	bundle_reader_close(r);
	progress_end(&im.a.progress, im.a.entries);
	audit_free(&im.a);
	json_doc_free(&im.doc);
	free(im.s.leaves);
	free(im.leaves);
	res->summary = im.summary;
	snprintf(res->fork_log, sizeof res->fork_log, "%s", im.fork_origin);
	res->fork_size = im.fork_size;
	res->fork_ours = im.fork_ours;
	res->fork_theirs = im.fork_theirs;
	res->fork_proof = im.fork_proof;
	res->own_size = im.own_size;
	res->own_note = im.own_note;
	res->own_ahead = im.own_ahead;
	return rc;
}

void import_expect(FILE *const *in, size_t n, uint64_t entries, bool streaming)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		/* A pipe has no size: the cache then stays as small as for any short job. */
		if (in[i] && fstat(fileno(in[i]), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
			bytes += (uint64_t)sb.st_size * IMPORT_STORE_BYTES_PER_BUNDLE_BYTE;
	}
	/* The bulk transaction is chosen by the bundles' bytes alone, as before the count was known. */
	expected_bytes = bytes;
	uint64_t bulk = chobo_limit("IMPORT_BULK_BYTES", IMPORT_BULK_BYTES);
	if (streaming && expected_bytes <= bulk)
		expected_bytes = bulk + 1;
	uint64_t by_count = entries < UINT64_MAX / IMPORT_STORE_BYTES_PER_ENTRY
			  ? entries * IMPORT_STORE_BYTES_PER_ENTRY : UINT64_MAX;
	store_expect_bytes(by_count > bytes ? by_count : bytes);
}

json_t *import_fork_event(const struct import_result *res, const char *peer)
{
	json_t *e = json_pack("{s:s}", "event", "fork");
	json_t *evidence = fork_evidence_json(res->fork_log, res->fork_ours, strlen(res->fork_ours),
					      res->fork_theirs, strlen(res->fork_theirs), res->fork_proof,
					      res->fork_proof ? strlen(res->fork_proof) : 0);
	/* In the order the event has always had: who, which log, where, then the evidence. */
	if (!e || (peer && json_object_set_new(e, "peer", json_string(peer)) != 0) ||
	    json_object_set_new(e, "log", json_string(res->fork_log)) != 0 ||
	    json_object_set_new(e, "size", json_integer((json_int_t)res->fork_size)) != 0 ||
	    json_object_update(e, evidence) != 0)
		xalloc_failed();
	json_decref(evidence);
	return e;
}

void import_result_free(struct import_result *res)
{
	json_decref(res->summary);
	free(res->fork_ours);
	free(res->fork_theirs);
	free(res->fork_proof);
	free(res->own_note);
	memset(res, 0, sizeof *res);
}

