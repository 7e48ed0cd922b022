/*
 * Supply events, derived from supply.lines (views.c) after the views are
 * brought up to date, so that they follow the same merge-order rules as
 * supply-status: a request that lost the race for an offer is unfilled on
 * every node, and its requester is told so on the node that reads it.
 *
 * Who is told (the "to" list: pseudonymous IDs, site codes, or a firm's
 * public name; chobo-mail looks them up in private/):
 *   offer        an offer pledged against a need  -> the need's site
 *   request      a request that took from an offer -> the offer's supporter
 *   unfilled     a request beyond what was left    -> the requesting site
 *   shipped      a box that counts                 -> the receiving site
 *   received     the receipt that counts for a box -> the offer's supporter
 *   discrepancy  that receipt, found differing     -> the offer's supporter and the site
 *   lost         the lost report that counts        -> the offer's supporter and the site
 *                                                     (either side may report it: both hear)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "codec.h"
#include "events.h"
#include "supply.h"

static const char *const event_names[] = {SUPPLY_EVENT_NAMES};
#define NEVENT_NAMES (sizeof event_names / sizeof *event_names)

/* ---------------------------------------------------------- an event */

/* Where an event's entry is. */
struct position {
	const char *log, *time, *hash;
	uint64_t index;
};

/* An event being written: its line and how many recipients it has. */
struct builder {
	struct supply_events *ev;
	const struct supply_snapshot *s;
	struct supply_event e;
	struct view_text t;
	size_t nto;
};

/* Start event name caused by the entry at p, about site; recipients follow with to(). */
static void begin(struct builder *b, const char *name, const struct position *p, const char *site)
{
	memset(&b->e, 0, sizeof b->e);
	b->e.name = name;
	snprintf(b->e.time, sizeof b->e.time, "%s", p->time);
	snprintf(b->e.log, sizeof b->e.log, "%s", p->log);
	b->e.index = p->index;
	snprintf(b->e.leaf_hash, sizeof b->e.leaf_hash, "%s", p->hash);
	b->t = (struct view_text){0};
	b->nto = 0;
	view_text_str(&b->t, "{\"event\":\"");
	view_text_str(&b->t, name);
	view_text_str(&b->t, "\"");
	view_text_member_str(&b->t, "time", p->time);
	view_text_member_str(&b->t, "log", p->log);
	view_text_member_int(&b->t, "index", (int64_t)p->index);
	view_text_member_str(&b->t, "leaf_hash", p->hash);
	view_text_member_str(&b->t, "site", site);
	view_text_member_str(&b->t, "site_name", supply_snapshot_name(b->s->sites, b->s->nsites, site));
	view_text_str(&b->t, ",\"to\":[");
}

/* Add a recipient ("" is skipped: an offer whose need is not known yet has no site). */
static void to(struct builder *b, const char *who)
{
	if (!who[0])
		return;
	if (b->nto++)
		view_text_str(&b->t, ",");
	view_text_json_string(&b->t, who);
}

/* Close the recipients and write what the line is about: item, unit, quantity. */
static void about(struct builder *b, const struct supply_line *ln, int64_t quantity)
{
	view_text_str(&b->t, "]");
	view_text_member_str(&b->t, "item", ln->item);
	view_text_member_str(&b->t, "item_name", supply_snapshot_name(b->s->items, b->s->nitems, ln->item));
	view_text_member_str(&b->t, "unit", ln->unit);
	view_text_member_int(&b->t, "quantity", quantity);
	view_text_member_str(&b->t, "disaster", ln->disaster);
}

/* Finish the event; one with no recipient is dropped (it has no one to tell yet). */
static void end(struct builder *b)
{
	view_text_str(&b->t, "}");
	if (b->nto == 0) {
		view_text_free(&b->t);
		return;
	}
	view_text_add(&b->t, "", 1);   /* the NUL */
	b->e.line = b->t.p;
	b->ev->v = xrealloc(b->ev->v, (b->ev->n + 1) * sizeof *b->ev->v);
	b->ev->v[b->ev->n++] = b->e;
}

/* Who sent what an offer gives: its supporter's ID, or the firm's public name. */
static const char *sender(const struct supply_line *offer)
{
	return offer ? offer->supporter : "";
}

static void put_sender(struct view_text *t, const struct supply_line *offer)
{
	if (offer)
		view_text_member_str(t, offer->firm ? "firm" : "supporter", offer->supporter);
}

static void offer_events(struct builder *b, const struct supply_line *o)
{
	struct position p = {o->log, o->time, o->leaf_hash, o->index};
	if (!o->need[0])
		return;
	begin(b, "offer", &p, o->site);
	to(b, o->site);
	about(b, o, o->quantity);
	view_text_member_str(&b->t, "need", o->need);
	put_sender(&b->t, o);
	view_text_member_str(&b->t, "expiry", o->expiry);
	end(b);
}

static void request_events(struct builder *b, const struct supply_line *r)
{
	struct position p = {r->log, r->time, r->leaf_hash, r->index};
	const struct supply_line *o = supply_snapshot_line(b->s, SUPPLY_OFFER, r->offer);
	if (!r->unfilled) {
		begin(b, "request", &p, r->site);
		to(b, sender(o));
	} else {
		begin(b, "unfilled", &p, r->site);
		to(b, r->site);
	}
	about(b, r, r->quantity);
	view_text_member_str(&b->t, "offer", r->offer);
	view_text_member_str(&b->t, "need", r->need);
	put_sender(&b->t, o);
	if (r->unfilled && o)
		view_text_member_int(&b->t, "available", supply_line_open(o));
	end(b);
}

/* The receipt's code: the one it gave, else short or over by the count. */
static const char *discrepancy_of(const struct supply_line *box)
{
	if (box->discrepancy[0])
		return box->discrepancy;
	return box->found < box->quantity ? "short" : box->found > box->quantity ? "over" : "";
}

/* Where the entry with leaf hash hex (box x's receipt or lost report, made at time) is in the ledger. */
static int find_entry(struct builder *b, struct ledger *l, const struct supply_line *x, const char *what,
		      const char *hex, const char *time, struct position *p, struct chobo_error *err)
{
	uint8_t hash[32];
	uint32_t log;
	uint64_t index;
	const char *origin;
	if (!hex_decode(hash, sizeof hash, hex))
		return chobo_fail(err, EX_DATAERR, "supply.lines: box %s has a malformed %s; "
				  "run chain-verify --views", x->leaf_hash, what);
	int rc = ledger_find_leaf(l, hash, &log, &index, err);
	if (rc != 0)
		return rc == EX_NOINPUT ? chobo_fail(err, EX_DATAERR, "the %s %s of box %s is not in the "
						     "ledger; run chain-verify --views", what, hex,
						     x->leaf_hash) : rc;
	if (!(origin = log_list_origin(&b->ev->logs, log)))
		return chobo_fail(err, EX_DATAERR, "the %s %s is in an unknown log", what, hex);
	*p = (struct position){origin, time, hex, index};
	return 0;
}

static int box_events(struct builder *b, struct ledger *l, const struct supply_line *x,
		      struct chobo_error *err)
{
	struct position p = {x->log, x->time, x->leaf_hash, x->index};
	const struct supply_line *o = supply_snapshot_line(b->s, SUPPLY_OFFER, x->offer);
	if (x->unfilled)
		return 0;
	begin(b, "shipped", &p, x->site);
	to(b, x->site);
	about(b, x, x->quantity);
	view_text_member_str(&b->t, "request", x->request);
	view_text_member_str(&b->t, "offer", x->offer);
	view_text_member_int(&b->t, "box", (int64_t)x->box);
	view_text_member_str(&b->t, "expiry", x->expiry);
	put_sender(&b->t, o);
	end(b);
	struct position rp;
	int rc;
	if (x->lost_by[0]) {
		if ((rc = find_entry(b, l, x, "lost report", x->lost_by, x->lost_at, &rp, err)) != 0)
			return rc;
		begin(b, "lost", &rp, x->site);
		to(b, sender(o));
		if (strcmp(sender(o), x->site) != 0)
			to(b, x->site);
		about(b, x, x->quantity);
		view_text_member_str(&b->t, "shipment", x->leaf_hash);
		view_text_member_str(&b->t, "request", x->request);
		view_text_member_int(&b->t, "box", (int64_t)x->box);
		put_sender(&b->t, o);
		end(b);
	}
	if (!x->receipt[0])
		return 0;
	if ((rc = find_entry(b, l, x, "receipt", x->receipt, x->received_at, &rp, err)) != 0)
		return rc;
	const char *code = discrepancy_of(x);
	for (int k = 0; k < 2; k++) {
		if (k == 1 && !code[0])
			break;
		begin(b, k ? "discrepancy" : "received", &rp, x->site);
		to(b, sender(o));
		if (k == 1 && strcmp(sender(o), x->site) != 0)
			to(b, x->site);
		about(b, x, x->quantity);
		view_text_member_int(&b->t, "found", x->found);
		if (k == 1)
			view_text_member_str(&b->t, "discrepancy", code);
		view_text_member_str(&b->t, "shipment", x->leaf_hash);
		view_text_member_str(&b->t, "request", x->request);
		view_text_member_int(&b->t, "box", (int64_t)x->box);
		put_sender(&b->t, o);
		end(b);
	}
	return 0;
}

static size_t name_rank(const char *name)
{
	size_t k;
	for (k = 0; k < NEVENT_NAMES && strcmp(event_names[k], name) != 0; k++)
		;
	return k;
}

/* The merge order of the events' entries, then the names' order. */
int supply_event_position_cmp(const struct supply_event *a, const struct supply_event *b)
{
	int c = strcmp(a->time, b->time);
	if (!c)
		c = strcmp(a->log, b->log);
	if (!c && a->index != b->index)
		c = a->index < b->index ? -1 : 1;
	return c;
}

static int event_order(const void *pa, const void *pb)
{
	const struct supply_event *a = pa, *b = pb;
	int c = supply_event_position_cmp(a, b);
	return c ? c : (int)name_rank(a->name) - (int)name_rank(b->name);
}

int supply_events_read(struct ledger *l, struct supply_events *out, struct chobo_error *err)
{
	struct supply_snapshot s = {0};
	memset(out, 0, sizeof *out);
	int rc = supply_snapshot_read(l, &s, err);
	if (rc == 0)
		rc = log_list_read(l, NULL, &out->logs, err);
	struct builder b = {.ev = out, .s = &s};
	for (size_t i = 0; rc == 0 && i < s.n; i++) {
		const struct supply_line *ln = &s.line[i];
		if (ln->kind == SUPPLY_OFFER)
			offer_events(&b, ln);
		else if (ln->kind == SUPPLY_REQUEST)
			request_events(&b, ln);
		else if (ln->kind == SUPPLY_BOX)
			rc = box_events(&b, l, ln, err);
	}
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, event_order);
	supply_snapshot_free(&s);
	return rc;
}

void supply_events_free(struct supply_events *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		free(ev->v[i].line);
	free(ev->v);
	log_list_free(&ev->logs);
	memset(ev, 0, sizeof *ev);
}

/* ------------------------------------------------------------ the cursor */

#define CURSOR_MAGIC "chobo supply-events cursor 1"

static int seen_order(const void *pa, const void *pb)
{
	const struct supply_cursor_seen *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->leaf_hash, b->leaf_hash);
}

static int log_order(const void *pa, const void *pb)
{
	const struct supply_cursor_log *a = pa, *b = pb;
	return strcmp(a->origin, b->origin);
}

/* An event's name as a cursor line gives it: 1 to SUPPLY_EVENT_NAME_MAX - 1 lower-case letters. */
static bool event_word_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < SUPPLY_EVENT_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz") == n;
}

static bool hex64_valid(const char *s)
{
	size_t i;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

/* Split one line (NUL-terminated, no newline) into at most max words at single spaces. */
static size_t split_words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *save, *tok;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = tok;
	}
	return n;
}

static bool parse_line(char *line, size_t lineno, struct supply_cursor *c, char *err, size_t errlen)
{
	char *w[5];
	size_t n = split_words(line, w, 4);
	uint64_t v;
	int64_t t;
	if (n == 3 && strcmp(w[0], "log") == 0 && strlen(w[1]) <= NOTE_MAX_NAME && parse_u64(w[2], &v) &&
	    v <= CHOBO_MAX_TREE_SIZE) {
		c->logs = xrealloc(c->logs, (c->nlogs + 1) * sizeof *c->logs);
		struct supply_cursor_log *lg = &c->logs[c->nlogs++];
		snprintf(lg->origin, sizeof lg->origin, "%s", w[1]);
		lg->size = v;
		return true;
	}
	/* Any event's name: the cursor serves the volunteer events too, whose names are not supply's. */
	if (n == 4 && strcmp(w[0], "seen") == 0 && event_word_valid(w[1]) && hex64_valid(w[2]) &&
	    time_parse(w[3], &t)) {
		c->seen = xrealloc(c->seen, (c->nseen + 1) * sizeof *c->seen);
		struct supply_cursor_seen *sn = &c->seen[c->nseen++];
		snprintf(sn->name, sizeof sn->name, "%s", w[1]);
		snprintf(sn->leaf_hash, sizeof sn->leaf_hash, "%s", w[2]);
		sn->time = t;
		return true;
	}
	snprintf(err, errlen, "line %zu: expected \"log ORIGIN SIZE\" or \"seen EVENT LEAF_HASH TIME\"", lineno);
	return false;
}

bool supply_cursor_parse(const char *text, size_t len, struct supply_cursor *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	if (len > SUPPLY_CURSOR_MAX) {
		snprintf(err, errlen, "more than %lu bytes", SUPPLY_CURSOR_MAX);
		return false;
	}
	size_t at = 0, lineno = 0;
	bool ok = true;
	char *line = NULL;
	while (ok && at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		if (!nl) {
			snprintf(err, errlen, "line %zu: no newline at the end", lineno + 1);
			ok = false;
			break;
		}
		size_t n = (size_t)(nl - (text + at));
		lineno++;
		line = xrealloc(line, n + 1);
		memcpy(line, text + at, n);
		line[n] = '\0';
		at += n + 1;
		if (memchr(line, '\0', n)) {
			snprintf(err, errlen, "line %zu: a NUL byte", lineno);
			ok = false;
		} else if (lineno == 1) {
			if (strcmp(line, CURSOR_MAGIC) != 0) {
				snprintf(err, errlen, "line 1: not \"%s\"", CURSOR_MAGIC);
				ok = false;
			}
		} else {
			ok = parse_line(line, lineno, c, err, errlen);
		}
	}
	free(line);
	if (ok && lineno == 0) {
		snprintf(err, errlen, "empty");
		ok = false;
	}
	if (ok) {
		if (c->nlogs > 1)
			qsort(c->logs, c->nlogs, sizeof *c->logs, log_order);
		if (c->nseen > 1)
			qsort(c->seen, c->nseen, sizeof *c->seen, seen_order);
		for (size_t i = 1; ok && i < c->nlogs; i++)
			if (log_order(&c->logs[i - 1], &c->logs[i]) == 0) {
				snprintf(err, errlen, "log %s twice", c->logs[i].origin);
				ok = false;
			}
	}
	return ok;
}

void supply_cursor_format(const struct supply_cursor *c, struct view_text *out)
{
	char t[21];
	view_text_str(out, CURSOR_MAGIC "\n");
	for (size_t i = 0; i < c->nlogs; i++) {
		view_text_str(out, "log ");
		view_text_str(out, c->logs[i].origin);
		view_text_str(out, " ");
		view_text_int(out, (int64_t)c->logs[i].size);
		view_text_str(out, "\n");
	}
	for (size_t i = 0; i < c->nseen; i++) {
		time_format(t, c->seen[i].time);
		view_text_str(out, "seen ");
		view_text_str(out, c->seen[i].name);
		view_text_str(out, " ");
		view_text_str(out, c->seen[i].leaf_hash);
		view_text_str(out, " ");
		view_text_str(out, t);
		view_text_str(out, "\n");
	}
}

void supply_cursor_free(struct supply_cursor *c)
{
	free(c->logs);
	free(c->seen);
	memset(c, 0, sizeof *c);
}

static uint64_t watermark(const struct supply_cursor *c, const char *origin)
{
	struct supply_cursor_log key;
	snprintf(key.origin, sizeof key.origin, "%s", origin);
	const struct supply_cursor_log *lg = c->nlogs ? bsearch(&key, c->logs, c->nlogs, sizeof *c->logs,
								 log_order) : NULL;
	return lg ? lg->size : 0;
}

static bool remembered(const struct supply_cursor *c, const struct supply_event *e)
{
	struct supply_cursor_seen key;
	snprintf(key.name, sizeof key.name, "%s", e->name);
	snprintf(key.leaf_hash, sizeof key.leaf_hash, "%s", e->leaf_hash);
	return c->nseen && bsearch(&key, c->seen, c->nseen, sizeof *c->seen, seen_order);
}

/* True when the event's entry is younger than the horizon. */
static bool young(const struct supply_event *e, int64_t now, int64_t horizon)
{
	int64_t t;
	return time_parse(e->time, &t) && t >= now - horizon;
}

void supply_cursor_select(const struct supply_cursor *c, const struct supply_events *ev, int64_t now,
			  int64_t horizon, bool *fresh)
{
	for (size_t i = 0; i < ev->n; i++) {
		const struct supply_event *e = &ev->v[i];
		fresh[i] = !c || (!remembered(c, e) &&
				  (e->index >= watermark(c, e->log) || young(e, now, horizon)));
	}
}

void supply_cursor_advance(struct supply_cursor *c, const struct supply_events *ev, const bool *fresh,
			   int64_t now, int64_t horizon)
{
	size_t keep = 0;
	for (size_t i = 0; i < c->nseen; i++)
		if (c->seen[i].time >= now - horizon)
			c->seen[keep++] = c->seen[i];
	c->nseen = keep;
	for (size_t i = 0; i < ev->n; i++) {
		const struct supply_event *e = &ev->v[i];
		int64_t t;
		if (!fresh[i] || !time_parse(e->time, &t) || t < now - horizon)
			continue;
		c->seen = xrealloc(c->seen, (c->nseen + 1) * sizeof *c->seen);
		struct supply_cursor_seen *sn = &c->seen[c->nseen++];
		snprintf(sn->name, sizeof sn->name, "%s", e->name);
		snprintf(sn->leaf_hash, sizeof sn->leaf_hash, "%s", e->leaf_hash);
		sn->time = t;
	}
	if (c->nseen > 1)
		qsort(c->seen, c->nseen, sizeof *c->seen, seen_order);
	c->logs = xrealloc(c->logs, (ev->logs.n ? ev->logs.n : 1) * sizeof *c->logs);
	c->nlogs = ev->logs.n;
	for (size_t i = 0; i < ev->logs.n; i++) {
		snprintf(c->logs[i].origin, sizeof c->logs[i].origin, "%s", ev->logs.v[i].origin);
		c->logs[i].size = ev->logs.v[i].size;
	}
	if (c->nlogs > 1)
		qsort(c->logs, c->nlogs, sizeof *c->logs, log_order);
}

/* ------------------------------------------------------------ a run */

/* One run at a time: two runs reading the same cursor would print the same events twice. */
static int feed_lock(const char *dir, const struct supply_feed *f, int *fd, struct chobo_error *err)
{
	char *path = path_join(dir, f->lock);
	int rc = 0;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		rc = chobo_fail_errno(err, errno == ENOENT ? EX_NOINPUT : EX_CANTCREAT, "%s", path);
	else if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
		rc = chobo_fail(err, EX_TEMPFAIL, "%s: busy: another %s is running", dir, f->program);
	free(path);
	return rc;
}

/* Read the cursor at path: 0 with *have set, or an exit code with err. */
static int feed_cursor(const char *path, struct supply_cursor *c, bool *have, struct chobo_error *err)
{
	size_t len;
	char why[256];
	*have = false;
	errno = 0;
	char *text = read_file(path, SUPPLY_CURSOR_MAX, &len);
	if (!text)
		return errno == ENOENT ? 0 : chobo_fail_errno(err, EX_IOERR, "%s", path);
	bool ok = supply_cursor_parse(text, len, c, why, sizeof why);
	free(text);
	if (!ok)
		return chobo_fail(err, EX_DATAERR, "%s: %s (remove it, or run with --since-start)", path, why);
	*have = true;
	return 0;
}

static int feed_events(const char *dir, const struct supply_feed *f, struct supply_events *ev,
		       struct chobo_error *err)
{
	struct ledger l;
	int rc = ledger_open(&l, dir, STORE_NORMAL, err);
	if (rc != 0)
		return rc;
	rc = f->read(&l, ev, err);
	return ledger_close_after(&l, rc, err);
}

int supply_feed_run(const char *dir, const struct supply_feed *f, FILE *out, struct chobo_error *err)
{
	int lockfd = -1;
	struct supply_cursor c = {0};
	struct supply_events ev = {0};
	bool have = false, *fresh = NULL;
	char *path = path_join(dir, f->cursor);
	int rc = feed_lock(dir, f, &lockfd, err);
	if (rc == 0 && !f->since_start)
		rc = feed_cursor(path, &c, &have, err);
	if (rc == 0)
		rc = feed_events(dir, f, &ev, err);
	if (rc == 0) {
		fresh = xcalloc(ev.n ? ev.n : 1, sizeof *fresh);
		supply_cursor_select(have ? &c : NULL, &ev, f->now, f->horizon, fresh);
		struct view_text t = {0};
		for (size_t i = 0; i < ev.n; i++)
			if (fresh[i]) {
				view_text_str(&t, ev.v[i].line);
				view_text_str(&t, "\n");
			}
		/* The cursor moves only past what was written. */
		if (t.len > 0 && (fwrite(t.p, 1, t.len, out) != t.len || fflush(out) != 0))
			rc = chobo_fail_errno(err, EX_IOERR, "write error on standard output");
		view_text_free(&t);
	}
	if (rc == 0 && !f->dry_run) {
		struct view_text t = {0};
		supply_cursor_advance(&c, &ev, fresh, f->now, f->horizon);
		supply_cursor_format(&c, &t);
		if (!write_file_atomic(path, t.p, t.len, 0600))
			rc = chobo_fail_errno(err, EX_CANTCREAT, "%s", path);
		view_text_free(&t);
	}
	free(fresh);
	free(path);
	supply_events_free(&ev);
	supply_cursor_free(&c);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
