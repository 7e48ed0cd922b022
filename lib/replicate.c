/*
 * Bundles against a ledger.  Export writes each log from a checkpoint on:
 * its tree state there, that checkpoint, then the entries with every later
 * checkpoint right after the entry that completes it.  Import verifies a
 * bundle completely before committing anything: signatures by trusted keys,
 * every entry's schema, the recomputed tree against every checkpoint, and
 * that the bundle's history is the ledger's where they overlap.  A validly
 * signed checkpoint that contradicts the held history is a fork: both
 * checkpoints are kept as evidence and nothing else is stored.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bundle.h"
#include "entry_index.h"
#include "hash_reader.h"
#include "view.h"
#include "replicate.h"
#include "util.h"

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

struct log_item {
	uint32_t id;
	char *origin;
};

struct log_list {
	struct log_item *v;
	size_t n;
	const char *only;
};

static int collect(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct log_list *ls = ctx;
	(void)size;
	if (ls->only && strcmp(ls->only, origin) != 0)
		return 0;
	ls->v = xrealloc(ls->v, (ls->n + 1) * sizeof *ls->v);
	ls->v[ls->n++] = (struct log_item){id, xstrdup(origin)};
	return 0;
}

/* Write one log's section from the checkpoint at or below since; 0 or an exit code. */
static int export_log(struct ledger *l, struct bundle_writer *w, const struct log_item *log,
		      const struct selection *sel)
{
	struct store *st = l->store;
	uint64_t start;
	const char *note;
	size_t len;
	if (store_checkpoint_floor(st, log->id, sel->has_since ? sel->since : 0, &start, &note, &len) != STORE_OK) {
		chobo_warn("%s: no checkpoint to start from: %s", log->origin, store_error(st));
		return EX_DATAERR;
	}
	/* The note lives in the store's buffer until the next read: keep a copy. */
	uint8_t *cp = xmalloc(8 + len);
	put_be64(cp, start);
	memcpy(cp + 8, note, len);
	struct ledger_reader lr;
	struct merkle_stack stack;
	uint8_t buf[8 + 64 * 32];
	ledger_reader_init(&lr, l, log->id);
	if (merkle_stack_load(&stack, &lr.r, start) != 0) {
		chobo_warn("%s: %s", log->origin, store_error(st));
		free(cp);
		return EX_IOERR;
	}
	if (sel->held) {
		uint8_t root[32];
		merkle_stack_root(&stack, root);
		if (start != sel->held->size || memcmp(root, sel->held->root, 32) != 0) {
			chobo_warn("%s: the checkpoint of size %llu given is not consistent with this ledger",
				   log->origin, (unsigned long long)sel->held->size);
			free(cp);
			return EX_DATAERR;
		}
	}
	bool ok = bundle_put(w, BUNDLE_LOG, log->origin, strlen(log->origin)) &&
		  bundle_put(w, BUNDLE_STACK, buf, bundle_stack_encode(&stack, buf)) &&
		  bundle_put(w, BUNDLE_CHECKPOINT, cp, 8 + len);
	free(cp);

	struct store_cursor *entries = store_cursor_open(st, STORE_ENTRIES, log->id);
	struct store_cursor *checkpoints = store_cursor_open(st, STORE_CHECKPOINTS, log->id);
	int rc = 0;
	if (!entries || !checkpoints) {
		rc = EX_IOERR;
		goto out;
	}
	store_cursor_seek(entries, start);
	store_cursor_seek(checkpoints, start + 1);
	uint64_t next_cp = 0, index;
	const void *cdata = NULL, *edata;
	size_t clen = 0, elen;
	int cs = store_cursor_next(checkpoints, &next_cp, &cdata, &clen);
	uint64_t expect = start;
	while (ok && cs == STORE_OK) {
		/* Entries up to the next checkpoint, then the checkpoint itself. */
		while (expect < next_cp) {
			int es = store_cursor_next(entries, &index, &edata, &elen);
			if (es != STORE_OK || index != expect) {
				chobo_warn("%s: entry %llu is missing; run chain-verify", log->origin,
					   (unsigned long long)expect);
				rc = EX_DATAERR;
				goto out;
			}
			if (!(ok = bundle_put(w, BUNDLE_ENTRY, edata, elen)))
				break;
			expect++;
		}
		uint8_t *rec = xmalloc(8 + clen);
		put_be64(rec, next_cp);
		memcpy(rec + 8, cdata, clen);
		ok = ok && bundle_put(w, BUNDLE_CHECKPOINT, rec, 8 + clen);
		free(rec);
		cs = store_cursor_next(checkpoints, &next_cp, &cdata, &clen);
	}
	if (cs == STORE_ERROR)
		rc = EX_IOERR;
	if (!ok)
		rc = EX_IOERR;
out:
	if (rc == EX_IOERR)
		chobo_warn("%s: export failed: %s", log->origin, store_error(st));
	store_cursor_close(entries);
	store_cursor_close(checkpoints);
	return rc;
}


int export_bundle_spooled(const char *dir, const struct selection *sel, FILE *out)
{
	FILE *tmp = tmpfile();
	if (!tmp) {
		chobo_warn_errno("cannot create a temporary file");
		return EX_CANTCREAT;
	}
	struct ledger l;
	struct chobo_error e;
	int rc = ledger_open(&l, dir, STORE_NORMAL, &e);
	if (rc != 0)
		chobo_warn("%s", e.msg);
	if (rc == 0) {
		rc = export_bundle(&l, tmp, sel);
		int crc = ledger_close(&l, &e);
		if (crc != 0)
			chobo_warn("%s", e.msg);
		if (rc == 0)
			rc = crc;
	}
	if (rc == 0) {
		rewind(tmp);
		if (copy_stream(tmp, out, UINT64_MAX) != 0) {
			chobo_warn_errno("writing the bundle");
			rc = EX_IOERR;
		}
	}
	fclose(tmp);
	return rc;
}

int export_bundle(struct ledger *l, FILE *out, const struct selection *sel)
{
	struct log_list logs = {.only = sel->log};
	int rc = 0;
	if (store_log_each(l->store, collect, &logs) != STORE_OK) {
		chobo_warn("%s", store_error(l->store));
		rc = EX_IOERR;
	} else if (sel->log && logs.n == 0) {
		chobo_warn("%s: no log named %s", l->dir, sel->log);
		rc = EX_NOINPUT;
	}
	struct bundle_writer *w = rc == 0 ? bundle_writer_open(out) : NULL;
	for (size_t i = 0; rc == 0 && i < logs.n; i++)
		rc = export_log(l, w, &logs.v[i], sel);
	if (w && !bundle_writer_close(w) && rc == 0) {
		chobo_warn_errno("writing the bundle");
		rc = EX_IOERR;
	}
	for (size_t i = 0; i < logs.n; i++)
		free(logs.v[i].origin);
	free(logs.v);
	return rc;
}

struct section {
	char origin[NOTE_MAX_NAME + 1];
	uint32_t id;
	uint64_t held;          /* entries held before this import */
	struct merkle_stack stack;
	bool have_stack, signed_at_end;
	bool diverged;          /* the bundle's tree differs from ours where they meet */
	uint64_t added_entries, added_checkpoints;
};

struct import {
	struct ledger *l;
	struct audit a;
	json_t *summary;        /* one object per log */
	bool fork;
	char *fork_ours, *fork_theirs;
	char fork_origin[NOTE_MAX_NAME + 1];
	uint64_t fork_size;
	struct json_doc doc;    /* scratch for indexing stored entries */
};

static int section_end(struct import *im, struct section *s)
{
	if (!s->origin[0])
		return 0;
	if (!s->signed_at_end)
		return audit_problem(&im->a, s->origin, "log", s->stack.size,
				     "entries after the last signed checkpoint");
	if (s->stack.size > s->held && store_log_set_size(im->l->store, s->id, s->stack.size) != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", 0, "storage error: %s",
				     store_error(im->l->store));
	json_array_append_new(im->summary,
			      json_pack("{s:s, s:I, s:I, s:I, s:I}", "log", s->origin,
					"from", (json_int_t)s->held, "to",
					(json_int_t)(s->stack.size > s->held ? s->stack.size : s->held),
					"entries", (json_int_t)s->added_entries,
					"checkpoints", (json_int_t)s->added_checkpoints));
	return 0;
}

/* Keep the evidence of a fork: our checkpoint (at size, or our latest) and theirs. */
static int fork_found(struct import *im, struct section *s, uint64_t size, const char *theirs, size_t tlen)
{
	struct store *st = im->l->store;
	const char *ours;
	size_t olen;
	uint64_t have;
	if (store_checkpoint_get(st, s->id, size, &ours, &olen) != STORE_OK &&
	    store_checkpoint_latest(st, s->id, &have, &ours, &olen) != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", size, "storage error: %s", store_error(st));
	im->fork = true;
	im->fork_ours = xmalloc(olen + 1);
	memcpy(im->fork_ours, ours, olen);
	im->fork_ours[olen] = '\0';
	im->fork_theirs = xmalloc(tlen + 1);
	memcpy(im->fork_theirs, theirs, tlen);
	im->fork_theirs[tlen] = '\0';
	snprintf(im->fork_origin, sizeof im->fork_origin, "%s", s->origin);
	im->fork_size = size;
	return audit_problem(&im->a, s->origin, "fork", size,
			     "a validly signed checkpoint contradicts the history this ledger holds");
}

static int on_log(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	struct store *st = im->l->store;
	if (section_end(im, s))
		return 1;
	memset(s, 0, sizeof *s);
	if (len == 0 || len > NOTE_MAX_NAME)
		return audit_problem(&im->a, "", "bundle", 0, "malformed log record");
	memcpy(s->origin, p, len);
	if (!checkpoint_origin_valid(s->origin))
		return audit_problem(&im->a, "", "bundle", 0, "log record names an invalid origin");
	if (strcmp(s->origin, im->l->conf.origin) == 0)
		return audit_problem(&im->a, s->origin, "log", 0,
				     "the bundle carries this node's own log, which only this node writes");
	int rc = store_log_find(st, s->origin, &s->id, &s->held);
	if (rc == STORE_NOTFOUND) {
		rc = store_log_create(st, s->origin, &s->id);
		s->held = 0;
	}
	if (rc != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", 0, "storage error: %s", store_error(st));
	im->a.logs++;
	return 0;
}

static int on_stack(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	if (!s->origin[0] || s->have_stack || !bundle_stack_decode(p, len, &s->stack))
		return audit_problem(&im->a, s->origin, "bundle", 0, "malformed tree state record");
	s->have_stack = true;
	if (s->stack.size > s->held)
		return audit_problem(&im->a, s->origin, "log", s->held,
				     "the bundle starts at entry %llu but this ledger holds only %llu: "
				     "export with --since a checkpoint this ledger holds",
				     (unsigned long long)s->stack.size, (unsigned long long)s->held);
	/* A different tree state is caught against its signed checkpoint, which comes next. */
	return 0;
}

static int on_entry(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	struct store *st = im->l->store;
	uint8_t formed[64][32], leaf[32];
	uint64_t index = s->stack.size;
	if (!s->have_stack)
		return audit_problem(&im->a, s->origin, "bundle", 0, "entry outside a log section");
	if (index >= CHOBO_MAX_TREE_SIZE)
		return audit_problem(&im->a, s->origin, "log", index, "log too large");
	if (index == s->held && !s->diverged) {
		/* New entries go on top of our tree: the bundle's tree must be ours up to here. */
		struct ledger_reader lr;
		uint8_t ours[32], theirs[32];
		ledger_reader_init(&lr, im->l, s->id);
		if (merkle_root(&lr.r, index, ours) != 0)
			return audit_problem(&im->a, s->origin, "log", index, "storage error: %s",
					     store_error(st));
		merkle_stack_root(&s->stack, theirs);
		s->diverged = memcmp(ours, theirs, 32) != 0;
	}
	int n = audit_entry(&im->a, s->origin, p, len, &s->stack, formed);
	if (n < 0)
		return 1;
	s->signed_at_end = false;
	if (index < s->held || s->diverged)
		return 0;    /* already held, or not ours to store: the next signed checkpoint decides */
	merkle_leaf_hash(leaf, p, len);
	if (store_entry_put(st, s->id, index, p, len) != STORE_OK ||
	    store_leaf_put(st, leaf, s->id, index) != STORE_OK ||
	    (n > 0 && store_hashes_put(st, s->id, index, &formed[0][0], (size_t)n) != STORE_OK))
		return audit_problem(&im->a, s->origin, "log", index, "storage error: %s", store_error(st));
	/* audit_entry accepted it: it parses, and the indexes take its type, time and keys. */
	struct entry_view v;
	struct chobo_error e;
	char why[256];
	if (!entry_parse((const char *)p, len, s->origin, index, &im->doc, &v, why, sizeof why))
		return audit_problem(&im->a, s->origin, "entry", index, "%s", why);
	if (entry_index_add(st, &im->doc, &v, s->id, &e) != 0)
		return audit_problem(&im->a, s->origin, "log", index, "%s", e.msg);
	s->added_entries++;
	return 0;
}

static int on_checkpoint(struct import *im, struct section *s, const uint8_t *p, size_t len)
{
	struct store *st = im->l->store;
	if (!s->have_stack || len < 8 || get_be64(p) != s->stack.size)
		return audit_problem(&im->a, s->origin, "checkpoint", len >= 8 ? get_be64(p) : 0,
				     "checkpoint out of place in the bundle");
	uint64_t size = s->stack.size;
	const char *note = (const char *)p + 8;
	size_t nlen = len - 8;
	if (audit_checkpoint(&im->a, s->origin, size, note, nlen, &s->stack))
		return 1;
	s->signed_at_end = true;
	if (s->diverged)
		return fork_found(im, s, s->held, note, nlen);
	if (size <= s->held) {
		/* Within what we hold: the signed root must be ours at that size. */
		struct ledger_reader lr;
		uint8_t root[32], theirs[32];
		ledger_reader_init(&lr, im->l, s->id);
		merkle_stack_root(&s->stack, theirs);
		if (merkle_root(&lr.r, size, root) != 0)
			return audit_problem(&im->a, s->origin, "log", size, "storage error: %s",
					     store_error(st));
		if (memcmp(root, theirs, 32) != 0)
			return fork_found(im, s, size, note, nlen);
		const char *have;
		size_t hlen;
		if (store_checkpoint_get(st, s->id, size, &have, &hlen) == STORE_OK) {
			/* The same checkpoint: keep the witnesses' cosignatures it brings. */
			struct note_parts parts;
			const char *why;
			if (note_split(note, nlen, &parts, &why))
				for (const char *q = parts.sigs, *end = note + nlen; q < end;) {
					const char *nl = memchr(q, '\n', (size_t)(end - q));
					cosignature_add(im->l, im->a.trust, s->id, size, q, (size_t)(nl - q) + 1, &why);
					q = nl + 1;
				}
			return 0;
		}
	}
	/* Kept: the text and the lines that verified; a relay cannot pad what we store. */
	size_t klen;
	char *kept = note_keep_verified(note, nlen, im->a.trust, &klen);
	int put = kept ? store_checkpoint_put(st, s->id, size, kept, klen) : STORE_ERROR;
	free(kept);
	if (put != STORE_OK)
		return audit_problem(&im->a, s->origin, "log", size, "storage error: %s", store_error(st));
	s->added_checkpoints++;
	return 0;
}

static int import_records(struct import *im, struct bundle_reader *r)
{
	struct section s;
	enum bundle_tag tag;
	const uint8_t *p;
	size_t len;
	const char *why;
	int rc;
	memset(&s, 0, sizeof s);
	while ((rc = bundle_next(r, &tag, &p, &len, &why)) == 1) {
		int bad;
		switch (tag) {
		case BUNDLE_LOG: bad = on_log(im, &s, p, len); break;
		case BUNDLE_STACK: bad = on_stack(im, &s, p, len); break;
		case BUNDLE_ENTRY: bad = on_entry(im, &s, p, len); break;
		case BUNDLE_CHECKPOINT: bad = on_checkpoint(im, &s, p, len); break;
		default: bad = audit_problem(&im->a, s.origin, "bundle", 0, "unknown record type");
		}
		if (bad)
			return 1;
	}
	if (rc < 0)
		return audit_problem(&im->a, s.origin, "bundle", 0, "%s", why);
	return section_end(im, &s);
}


int import_bundle(struct ledger *l, const struct trust *trust, FILE *in, struct import_result *res)
{
	struct import im = {.l = l, .summary = json_array()};
	const char *why;
	int rc = 0;
	memset(res, 0, sizeof *res);
	im.a.trust = trust;
	struct bundle_reader *r = bundle_reader_open(in, &why);
	if (!r) {
		snprintf(res->problem, sizeof res->problem, "%s", why);
		json_decref(im.summary);
		return EX_DATAERR;
	}
	if (store_begin(l->store) != STORE_OK) {
		chobo_warn("%s", store_error(l->store));
		rc = EX_IOERR;
	} else if (import_records(&im, r)) {
		store_abort(l->store);
		rc = EX_DATAERR;
		if (im.fork) {
			uint32_t id;
			uint64_t size;
			/* The data is refused, the evidence kept. */
			if (store_begin(l->store) != STORE_OK ||
			    store_log_find(l->store, im.fork_origin, &id, &size) != STORE_OK ||
			    store_fork_put(l->store, id, im.fork_ours, strlen(im.fork_ours), im.fork_theirs,
					   strlen(im.fork_theirs)) != STORE_OK ||
			    store_commit(l->store) != STORE_OK) {
				store_abort(l->store);
				chobo_warn("cannot store the fork evidence: %s", store_error(l->store));
			}
			rc = EXIT_FORK;
		}
	} else {
		/* The views take the new entries in the same transaction. */
		struct chobo_error e;
		if (views_update(l, &e) != 0) {
			store_abort(l->store);
			chobo_warn("%s: nothing was imported", e.msg);
			rc = EX_IOERR;
		} else if (store_commit(l->store) != STORE_OK) {
			chobo_warn("%s: nothing was imported", store_error(l->store));
			rc = EX_IOERR;
		}
	}
	bundle_reader_close(r);
	if (im.a.p.found)
		snprintf(res->problem, sizeof res->problem, "%s%s%s %llu: %s", im.a.p.log,
			 im.a.p.log[0] ? ": " : "", im.a.p.where, (unsigned long long)im.a.p.at,
			 im.a.p.reason);
	audit_free(&im.a);
	json_doc_free(&im.doc);
	res->summary = im.summary;
	res->fork = im.fork;
	snprintf(res->fork_log, sizeof res->fork_log, "%s", im.fork_origin);
	res->fork_size = im.fork_size;
	res->fork_ours = im.fork_ours;
	res->fork_theirs = im.fork_theirs;
	return rc;
}

int import_precheck(const struct trust *trust, FILE *in, struct import_result *res)
{
	struct audit a = {.trust = trust};
	const char *why;
	bool complete;
	int rc = 0;
	memset(res, 0, sizeof *res);
	struct bundle_reader *r = bundle_reader_open(in, &why);
	if (!r) {
		snprintf(res->problem, sizeof res->problem, "%s", why);
		rc = EX_DATAERR;
	} else if (audit_bundle(&a, r, &complete)) {
		snprintf(res->problem, sizeof res->problem, "%s%s%s %llu: %s", a.p.log,
			 a.p.log[0] ? ": " : "", a.p.where, (unsigned long long)a.p.at, a.p.reason);
		rc = EX_DATAERR;
	}
	bundle_reader_close(r);
	audit_free(&a);
	rewind(in);
	return rc;
}

void import_result_free(struct import_result *res)
{
	json_decref(res->summary);
	free(res->fork_ours);
	free(res->fork_theirs);
	memset(res, 0, sizeof *res);
}

int cosignature_add(struct ledger *l, const struct trust *trust, uint32_t log, uint64_t size,
		    const char *line, size_t len, const char **why)
{
	struct store *st = l->store;
	const char *held;
	size_t hlen;
	struct note_parts parts;
	if (len < 6 || line[len - 1] != '\n' || memchr(line, '\n', len - 1)) {
		*why = "not one signature line";
		return -1;
	}
	if (store_checkpoint_get(st, log, size, &held, &hlen) != STORE_OK) {
		*why = "no such checkpoint held";
		return -1;
	}
	char *note = xmalloc(hlen + len + 1);
	memcpy(note, held, hlen);
	if (!note_split(note, hlen, &parts, why)) {
		free(note);
		return -1;
	}
	/* The line alone under the checkpoint's text: it must verify as a trusted witness's. */
	size_t tlen = parts.text_len;
	char *single = xmalloc(tlen + 1 + len);
	memcpy(single, note, tlen);
	single[tlen] = '\n';
	memcpy(single + tlen + 1, line, len);
	bool *verified = xcalloc(trust->n ? trust->n : 1, sizeof *verified);
	const struct note_verifier *witness = NULL;
	int rc = -1;
	if (note_verify(single, tlen + 1 + len, trust->keys, trust->n, verified, NULL, why)) {
		for (size_t k = 0; k < trust->n; k++)
			if (verified[k] && trust->keys[k].type == NOTE_TYPE_COSIGNATURE)
				witness = &trust->keys[k];
		if (!witness)
			*why = "not a cosignature by a trusted witness key";
	}
	size_t existing;
	if (witness && note_find_signature(note, hlen, witness, &existing)) {
		rc = 0;
	} else if (witness && (parts.nsigs >= NOTE_MAX_SIGNATURES || hlen + len > CHOBO_MAX_NOTE)) {
		*why = "the checkpoint has as many signatures as a note may carry";
	} else if (witness) {
		memcpy(note + hlen, line, len);
		rc = store_checkpoint_replace(st, log, size, note, hlen + len) == STORE_OK ? 1 : -1;
		if (rc < 0)
			*why = store_error(st);
	}
	free(verified);
	free(single);
	free(note);
	return rc;
}

char *cosign_latest(struct ledger *l, uint32_t log, const struct note_signer *witness, uint64_t now,
		    uint64_t *size)
{
	struct store *st = l->store;
	const char *held;
	size_t hlen, existing;
	struct note_parts parts;
	const char *why;
	if (store_checkpoint_latest(st, log, size, &held, &hlen) != STORE_OK) {
		chobo_warn("%s", store_error(st));
		return NULL;
	}
	char *note = xmalloc(hlen + 1);
	memcpy(note, held, hlen);
	note[hlen] = '\0';
	char *line = NULL;
	const char *found = note_find_signature(note, hlen, &witness->pub, &existing);
	if (found) {
		line = xmalloc(existing + 1);
		memcpy(line, found, existing);
		line[existing] = '\0';
	} else if (!note_split(note, hlen, &parts, &why)) {
		chobo_warn("held checkpoint %llu: %s", (unsigned long long)*size, why);
	} else if (parts.nsigs < NOTE_MAX_SIGNATURES && hlen + 200 + strlen(witness->pub.name) <= CHOBO_MAX_NOTE) {
		line = note_cosignature_line(witness, parts.text, parts.text_len, now);
		size_t llen = strlen(line);
		note = xrealloc(note, hlen + llen + 1);
		memcpy(note + hlen, line, llen + 1);
		if (store_checkpoint_replace(st, log, *size, note, hlen + llen) != STORE_OK) {
			chobo_warn("%s", store_error(st));
			free(line);
			line = NULL;
		}
	}
	free(note);
	return line;
}

enum sync_verb sync_parse_command(const char *cmd, char origin[NOTE_MAX_NAME + 1], uint64_t *since)
{
	char *words[4] = {0};
	int n = 0;
	if (!cmd || strlen(cmd) > 1024)
		return SYNC_REFUSED;
	char *copy = xstrdup(cmd);
	for (char *w = strtok(copy, " \t"); w && n <= 3; w = strtok(NULL, " \t"))
		words[n++] = w;
	enum sync_verb verb = SYNC_REFUSED;
	if (n == 1 && strcmp(words[0], "chobo-heads") == 0)
		verb = SYNC_HEADS;
	else if (n == 1 && strcmp(words[0], "chobo-cosign") == 0)
		verb = SYNC_COSIGN;
	else if (n == 3 && strcmp(words[0], "chobo-export") == 0 && strlen(words[1]) <= NOTE_MAX_NAME &&
		 checkpoint_origin_valid(words[1]) && parse_u64(words[2], since)) {
		snprintf(origin, NOTE_MAX_NAME + 1, "%s", words[1]);
		verb = SYNC_EXPORT;
	}
	free(copy);
	return verb;
}
