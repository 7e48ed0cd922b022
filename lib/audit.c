#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "entry.h"
#include "util.h"

/* Entry times never decrease within a log: false with the finding in err when this one is earlier. */
static bool entry_time_follows(int64_t previous, int64_t time, char *err, size_t errlen)
{
	char was[21], is[21];
	if (time >= previous)
		return true;
	time_format(was, previous);
	time_format(is, time);
	snprintf(err, errlen, "entry time earlier than the previous entry's (%s < %s)", is, was);
	return false;
}

static void problem_v(struct audit *a, bool tables, const char *log, const char *where, uint64_t at,
		      const char *fmt, va_list ap)
{
	if (a->p.found)
		return;
	a->p.found = true;
	a->p.tables = tables;
	snprintf(a->p.log, sizeof a->p.log, "%s", log);
	a->p.where = where;
	a->p.at = at;
	vsnprintf(a->p.reason, sizeof a->p.reason, fmt, ap);
}

int audit_problem(struct audit *a, const char *log, const char *where, uint64_t at,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	problem_v(a, false, log, where, at, fmt, ap);
	va_end(ap);
	return 1;
}

int audit_tables_disagree(struct audit *a, const char *log, const char *where, uint64_t at,
			  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	problem_v(a, true, log, where, at, fmt, ap);
	va_end(ap);
	return 1;
}

void audit_entry_time(struct audit *a, const char *origin, uint64_t index, const void *data, size_t len)
{
	char why[128], buf[32];
	long t;
	int64_t time;
	/* A malformed entry is the entry checks' finding; it just gives no time here. */
	if (!json_scan(&a->doc, data, len, why, sizeof why) || a->doc.tok[0].kind != JSON_K_OBJECT ||
	    (t = jscan_find(&a->doc, 0, "time")) < 0 || a->doc.tok[t].kind != JSON_K_STRING ||
	    !jscan_string_copy(&a->doc, (size_t)t, buf, sizeof buf) || !time_parse(buf, &time))
		return;
	snprintf(a->time_log, sizeof a->time_log, "%s", origin);
	a->time_next = index + 1;
	a->time_last = time;
}

/*
 * The witnesses saw the log at size by the time they cosigned it: its last
 * entry (the latest, since times never decrease) may not claim a later time
 * than a trusted cosignature's, beyond AUDIT_COSIGNED_TIME_TOLERANCE.  0, or
 * 1 after audit_problem.  Needs the last entry's time (audit_entry,
 * audit_entry_time); without it there is nothing to compare.
 */
static int cosigned_time(struct audit *a, const char *origin, uint64_t size, const char *note, size_t len)
{
	if (size == 0 || a->time_next != size || strcmp(a->time_log, origin) != 0 || a->time_last < 0)
		return 0;
	/* Most checkpoints carry the log's signature alone: nothing to verify twice. */
	bool witnesses = false;
	for (size_t k = 0; k < a->trust->n && !witnesses; k++)
		witnesses = a->trust->keys[k].type == NOTE_TYPE_COSIGNATURE;
	struct note_parts parts;
	const char *why;
	if (!witnesses || !note_split(note, len, &parts, &why) || parts.nsigs < 2)
		return 0;
	size_t n = a->trust->n ? a->trust->n : 1;
	bool *verified = xcalloc(n, sizeof *verified);
	uint64_t *stamp = xcalloc(n, sizeof *stamp);
	int rc = 0;
	if (note_verify(note, len, a->trust->keys, a->trust->n, verified, stamp, &why)) {
		for (size_t k = 0; rc == 0 && k < a->trust->n; k++) {
			if (!verified[k] || a->trust->keys[k].type != NOTE_TYPE_COSIGNATURE ||
			    (uint64_t)a->time_last <= stamp[k] + AUDIT_COSIGNED_TIME_TOLERANCE)
				continue;
			char claimed[21], cosigned[21];
			time_format(claimed, a->time_last);
			time_format(cosigned, stamp[k] > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)stamp[k]);
			rc = audit_problem(a, origin, "time", size - 1,
					   "the entry claims %s, later than %s cosigned the checkpoint of size "
					   "%llu that includes it (%s), beyond the %d s tolerance", claimed,
					   a->trust->keys[k].name, (unsigned long long)size, cosigned,
					   AUDIT_COSIGNED_TIME_TOLERANCE);
		}
	}
	free(verified);
	free(stamp);
	return rc;
}

int audit_checkpoint(struct audit *a, const char *origin, uint64_t size, const char *note,
		     size_t len, const struct merkle_stack *stack)
{
	struct checkpoint cp;
	const char *why;
	uint8_t root[32];
	if (!checkpoint_verify(note, len, a->trust->keys, a->trust->n, &cp, NULL, &why))
		return audit_problem(a, origin, "checkpoint", size, "%s", why);
	if (strcmp(cp.origin, origin) != 0)
		return audit_problem(a, origin, "checkpoint", size, "checkpoint is for origin %s", cp.origin);
	if (cp.size != size || size != stack->size)
		return audit_problem(a, origin, "checkpoint", size, "checkpoint says tree size %llu",
				     (unsigned long long)cp.size);
	merkle_stack_root(stack, root);
	if (memcmp(root, cp.root, 32) != 0) {
		if (a->hash_differs)
			return audit_problem(a, origin, "entry", a->hash_differs_at,
					     "entries do not match the signed checkpoint of size %llu: "
					     "changed at or before this index", (unsigned long long)size);
		return audit_problem(a, origin, "checkpoint", size,
				     "signed root hash differs from the root of the entries");
	}
	if (a->hash_differs)
		return audit_problem(a, origin, "hashes", a->hash_differs_at,
				     "stored interior hashes differ from the tree of the (signed) entries");
	if (cosigned_time(a, origin, size, note, len))
		return 1;
	a->checkpoints++;
	return 0;
}

int audit_quorum(struct audit *a, const char *origin, uint64_t size, const char *note, size_t len)
{
	const char *why;
	unsigned count = 0;
	if (a->quorum == 0)
		return 0;
	bool *verified = xcalloc(a->trust->n ? a->trust->n : 1, sizeof *verified);
	bool ok = note_verify(note, len, a->trust->keys, a->trust->n, verified, NULL, &why);
	for (size_t k = 0; ok && k < a->trust->n; k++)
		if (verified[k] && a->trust->keys[k].type == NOTE_TYPE_COSIGNATURE)
			count++;
	free(verified);
	if (!ok)
		return audit_problem(a, origin, "checkpoint", size, "%s", why);
	if (count < a->quorum)
		return audit_problem(a, origin, "quorum", size,
				     "the newest checkpoint carries cosignatures of %u trusted witness(es); "
				     "%u required", count, a->quorum);
	return 0;
}

int audit_against(struct audit *a, const char *origin, const struct merkle_stack *stack)
{
	uint8_t root[32];
	if (!a->against || strcmp(a->against->origin, origin) != 0 || stack->size != a->against->size)
		return 0;
	a->against_seen = true;
	merkle_stack_root(stack, root);
	if (memcmp(root, a->against->root, 32) != 0)
		return audit_problem(a, origin, "checkpoint", stack->size,
				     "the ledger is not consistent with the checkpoint given by --against");
	return 0;
}

int audit_entry(struct audit *a, const char *origin, const void *data, size_t len,
		struct merkle_stack *stack, uint8_t formed[64][32])
{
	struct entry_view view;
	char err[256];
	uint8_t leaf[32];
	if (!entry_parse(data, len, origin, stack->size, &a->doc, &view, err, sizeof err)) {
		audit_problem(a, origin, "entry", stack->size, "%s", err);
		return -1;
	}
	if (stack->size > 0 && stack->size == a->time_next && strcmp(origin, a->time_log) == 0 &&
	    !entry_time_follows(a->time_last, view.time_sec, err, sizeof err)) {
		audit_problem(a, origin, "entry", stack->size, "%s", err);
		return -1;
	}
	snprintf(a->time_log, sizeof a->time_log, "%s", origin);
	a->time_next = stack->size + 1;
	a->time_last = view.time_sec;
	merkle_leaf_hash(leaf, data, len);
	unsigned n = merkle_stack_push(stack, leaf, formed);
	a->entries++;
	progress_update(&a->progress, a->entries);
	return (int)n;
}

unsigned audit_entry_push(struct audit *a, const void *data, size_t len, struct merkle_stack *stack,
			  uint8_t formed[64][32])
{
	uint8_t leaf[32];
	merkle_leaf_hash(leaf, data, len);
	a->entries++;
	progress_update(&a->progress, a->entries);
	return merkle_stack_push(stack, leaf, formed);
}

#define CHECK_BATCH_ENTRIES 8192

struct check_batch {
	char *buf;
	size_t used, cap;
	size_t *off;
	uint64_t first;
	size_t n;
	struct checked {              /* with a fn: what each entry is */
		const struct entry_type *type;
		int64_t time;
	} *kept;
};

struct audit_checker {
	struct audit *a;
	char origin[NOTE_MAX_NAME + 1];
	struct check_batch batch[2];
	int filling;               /* the batch being filled; the other may be checked */
	bool running;
	pthread_t thread;
	struct json_doc doc;
	bool failed;               /* written by the thread, read after joining */
	uint64_t failed_at;
	char reason[256];
	bool has_last;             /* the previous entry's time, across batches */
	int64_t last_time;
	audit_accepted_fn *fn;     /* hands accepted entries back, or NULL */
	void *ctx;
	bool started;              /* an entry was added */
	bool stopped;              /* fn stopped the checking */
};

static void check_batch(struct audit_checker *c, struct check_batch *b)
{
	struct entry_view view;
	for (size_t k = 0; k < b->n && !c->failed; k++) {
		size_t end = k + 1 < b->n ? b->off[k + 1] : b->used;
		if (!entry_parse(b->buf + b->off[k], end - b->off[k], c->origin, b->first + k, &c->doc,
				 &view, c->reason, sizeof c->reason) ||
		    (c->has_last && !entry_time_follows(c->last_time, view.time_sec, c->reason,
							sizeof c->reason))) {
			c->failed = true;
			c->failed_at = b->first + k;
			break;
		}
		c->has_last = true;
		c->last_time = view.time_sec;
		if (b->kept) {
			b->kept[k].type = view.type;
			b->kept[k].time = view.time_sec;
		}
	}
}

/* Hand a checked batch's entries to fn (unless a problem was found), and empty it. */
static void batch_done(struct audit_checker *c, struct check_batch *b)
{
	for (size_t k = 0; c->fn && !c->failed && !c->stopped && k < b->n; k++) {
		size_t end = k + 1 < b->n ? b->off[k + 1] : b->used;
		if (c->fn(c->ctx, b->first + k, b->buf + b->off[k], end - b->off[k], b->kept[k].type,
			  b->kept[k].time))
			c->stopped = true;
	}
	b->n = 0;
	b->used = 0;
}

static void *check_thread(void *arg)
{
	struct audit_checker *c = arg;
	check_batch(c, &c->batch[!c->filling]);
	return NULL;
}

static void checker_wait(struct audit_checker *c)
{
	if (c->running)
		pthread_join(c->thread, NULL);
	c->running = false;
}

/* Hand the filled batch to the thread (checking it here if no thread can start). */
static void checker_hand_over(struct audit_checker *c)
{
	checker_wait(c);
	batch_done(c, &c->batch[!c->filling]);
	c->filling = !c->filling;
	c->running = pthread_create(&c->thread, NULL, check_thread, c) == 0;
	if (!c->running)
		check_batch(c, &c->batch[!c->filling]);
}

struct audit_checker *audit_checker_start(struct audit *a, const char *origin)
{
	return audit_checker_start_kept(a, origin, NULL, NULL);
}

struct audit_checker *audit_checker_start_kept(struct audit *a, const char *origin, audit_accepted_fn *fn,
					       void *ctx)
{
	struct audit_checker *c = xcalloc(1, sizeof *c);
	c->a = a;
	c->fn = fn;
	c->ctx = ctx;
	snprintf(c->origin, sizeof c->origin, "%s", origin);
	for (int i = 0; i < 2; i++) {
		c->batch[i].off = xmalloc(CHECK_BATCH_ENTRIES * sizeof *c->batch[i].off);
		if (fn)
			c->batch[i].kept = xmalloc(CHECK_BATCH_ENTRIES * sizeof *c->batch[i].kept);
	}
	return c;
}

void audit_checker_add(struct audit_checker *c, uint64_t index, const void *data, size_t len)
{
	struct check_batch *b = &c->batch[c->filling];
	if (!c->started) {
		/* No thread runs yet: the time order goes on from the entry before, if a noted it. */
		c->started = true;
		if (index > 0 && c->a->time_next == index && strcmp(c->a->time_log, c->origin) == 0) {
			c->has_last = true;
			c->last_time = c->a->time_last;
		}
	}
	if (b->n == 0)
		b->first = index;
	if (b->used + len > b->cap) {
		b->cap = (b->used + len) * 2;
		b->buf = xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->used, data, len);
	b->off[b->n++] = b->used;
	b->used += len;
	if (b->n == CHECK_BATCH_ENTRIES)
		checker_hand_over(c);
}

bool audit_checker_failed(const struct audit_checker *c)
{
	return c->stopped || (!c->running && c->failed);
}

void audit_checker_finish(struct audit_checker *c)
{
	checker_wait(c);
	batch_done(c, &c->batch[!c->filling]);
	if (!c->failed && !c->stopped) {
		check_batch(c, &c->batch[c->filling]);
		batch_done(c, &c->batch[c->filling]);
	}
	struct audit_problem *p = &c->a->p;
	/* An entry's own defect comes before what the tree built from it shows later. */
	if (c->failed && (!p->found || c->failed_at < p->at ||
			  (c->failed_at == p->at && strcmp(p->where, "checkpoint") != 0))) {
		p->found = false;
		audit_problem(c->a, c->origin, "entry", c->failed_at, "%s", c->reason);
	}
	for (int i = 0; i < 2; i++) {
		free(c->batch[i].buf);
		free(c->batch[i].off);
		free(c->batch[i].kept);
	}
	json_doc_free(&c->doc);
	free(c);
}

/* Close a bundle's log section: its entries must end with a signed checkpoint. */
static int end_section(struct bundle_walk *w)
{
	if (!w->origin[0])
		return 0;
	if (!w->signed_at_end)
		return audit_problem(w->a, w->origin, "log", w->stack.size,
				     "entries after the last signed checkpoint");
	return w->on_section_end ? w->on_section_end(w) : 0;
}

static int walk_record(struct bundle_walk *w, enum bundle_tag tag, const uint8_t *p, size_t len)
{
	struct audit *a = w->a;
	switch (tag) {
	case BUNDLE_LOG:
		if (end_section(w))
			return 1;
		memset(w->origin, 0, sizeof w->origin);
		merkle_stack_init(&w->stack);
		w->have_stack = w->signed_at_end = w->have_last = false;
		if (len == 0 || len > NOTE_MAX_NAME)
			return audit_problem(a, "", "bundle", 0, "malformed log record");
		memcpy(w->origin, p, len);
		if (!checkpoint_origin_valid(w->origin))
			return audit_problem(a, "", "bundle", 0, "log record names an invalid origin");
		a->logs++;
		return w->on_log ? w->on_log(w) : 0;
	case BUNDLE_STACK:
		if (!w->origin[0] || w->have_stack || !bundle_stack_decode(p, len, &w->stack))
			return audit_problem(a, w->origin, "bundle", 0, "malformed tree state record");
		w->have_stack = true;
		w->signed_at_end = false;
		return w->on_stack ? w->on_stack(w) : 0;
	case BUNDLE_ENTRY: {
		uint8_t formed[64][32];
		if (!w->have_stack)
			return audit_problem(a, w->origin, "bundle", 0, "entry outside a log section");
		w->signed_at_end = false;
		if (w->entries_elsewhere) {
			if (len > w->last_cap) {
				w->last_cap = len;
				w->last = xrealloc(w->last, len);
			}
			memcpy(w->last, p, len);
			w->last_len = len;
			w->last_index = w->stack.size;
			w->have_last = true;
		}
		if (w->on_entry)
			return w->on_entry(w, p, len);
		return audit_entry(a, w->origin, p, len, &w->stack, formed) < 0;
	}
	case BUNDLE_CHECKPOINT:
		if (!w->have_stack || len < 8 || get_be64(p) != w->stack.size)
			return audit_problem(a, w->origin, "checkpoint", len >= 8 ? get_be64(p) : 0,
					     "checkpoint out of place in the bundle");
		if (w->have_last && w->last_index + 1 == w->stack.size)
			audit_entry_time(a, w->origin, w->last_index, w->last, w->last_len);
		if (audit_checkpoint(a, w->origin, w->stack.size, (const char *)p + 8, len - 8, &w->stack))
			return 1;
		w->signed_at_end = true;
		return w->on_checkpoint ? w->on_checkpoint(w, (const char *)p + 8, len - 8) : 0;
	default:
		return audit_problem(a, w->origin, "bundle", 0, "unknown record type 0x%02x", tag);
	}
}

int audit_bundle_walk(struct bundle_walk *w, struct bundle_reader *r)
{
	enum bundle_tag tag;
	const uint8_t *p;
	size_t len;
	const char *why;
	int rc;
	while ((rc = bundle_next(r, &tag, &p, &len, &why)) == 1 && walk_record(w, tag, p, len) == 0)
		;
	free(w->last);
	w->last = NULL;
	w->last_len = w->last_cap = 0;
	w->have_last = false;
	if (rc == 1)
		return 1;
	if (rc < 0)
		return audit_problem(w->a, w->origin, "bundle", 0, "%s", why);
	return end_section(w);
}

/* audit_bundle: a section with an earlier tree state makes the bundle incomplete. */
static int bundle_stack(struct bundle_walk *w)
{
	if (w->stack.size > 0)
		*(bool *)w->ctx = false;
	return 0;
}

static int bundle_checkpoint(struct bundle_walk *w, const char *note, size_t len)
{
	(void)note;
	(void)len;
	return audit_against(w->a, w->origin, &w->stack);
}

int audit_bundle(struct audit *a, struct bundle_reader *r, bool *complete)
{
	struct bundle_walk w = {.a = a, .ctx = complete, .on_stack = bundle_stack,
				.on_checkpoint = bundle_checkpoint};
	*complete = true;
	return audit_bundle_walk(&w, r);
}

void audit_free(struct audit *a)
{
	json_doc_free(&a->doc);
}
