/* The J-Credit monitoring report: built from eco.registry, written as JSON Lines or CSV, read back (report.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "checkpoint.h"
#include "codec.h"
#include "eco/eco.h"
#include "eco/report.h"
#include "ledger.h"
#include "records.h"
#include "store.h"
#include "stored_entry.h"
#include "view.h"

const char *const jcredit_columns[] = {
	"record", "row", "member", "member_kind", "equipment", "methodology", "from", "to",
	"certification_start", "certification_end", "generated_wh", "sold_wh", "distance_m", "charged_wh",
	"fuel_ml", "baseline_g", "project_g", "reduction_g", "eligible", "finding", "fy", "log", "readings",
	"checkpoint", "root", "factors", "rows", "carried_in_g", "carried_from", "available_g",
	"credits_t", "carried_g", "price_yen_per_t", "revenue_yen", NULL,
};

static const char *const kinds[] = {"report", "log", "row", "finding", "total", "credits", NULL};
static const char *const methodologies[] = {"EN-R-002", "EV", "PHV", NULL};
enum { NACT = 5 };
static const char *const activity[NACT] = {"generated_wh", "sold_wh", "distance_m", "charged_wh", "fuel_ml"};

/* ---------------------------------------------------------------- rows */

struct fy_sum {
	int32_t fy;
	int64_t g;
};

struct row {
	char code[ECO_CODE_MAX + 1], member[40], methodology[16], log[NOTE_MAX_NAME + 1];
	int64_t act[NACT], baseline_g, project_g, reduction_g;
	uint64_t *readings;
	size_t nreadings;
	char factors[4][65];
	size_t nfactors;
	struct fy_sum fy[12];
	size_t nfy;
};

struct build {
	struct jcredit_report *rep;
	const struct jcredit_request *req;
	struct row *rows;
	size_t n, cap;
	size_t *slot;      /* open addressing on the code: index + 1, 0 empty */
	size_t nslots;
	char last_key[16]; /* "part/YYYY-MM-DD" of the period's last day */
	struct jcredit_cut cuts[JCREDIT_MAX_LOGS];
	size_t ncuts;
	struct ledger *l;
	struct chobo_error *err;
	int rc;
	struct json_doc doc;   /* scratch for the parts */
};

static void slots_grow(struct build *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 1024;
	size_t *s = xcalloc(n, sizeof *s);
	for (size_t i = 0; i < b->n; i++) {
		size_t k = string_hash(b->rows[i].code) & (n - 1);
		while (s[k])
			k = (k + 1) & (n - 1);
		s[k] = i + 1;
	}
	free(b->slot);
	b->slot = s;
	b->nslots = n;
}

static struct row *row_for(struct build *b, const char *code)
{
	if (b->n * 2 >= b->nslots)
		slots_grow(b);
	size_t k = string_hash(code) & (b->nslots - 1);
	for (; b->slot[k]; k = (k + 1) & (b->nslots - 1))
		if (strcmp(b->rows[b->slot[k] - 1].code, code) == 0)
			return &b->rows[b->slot[k] - 1];
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->rows = xrealloc(b->rows, b->cap * sizeof *b->rows);
	}
	struct row *r = &b->rows[b->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->code, sizeof r->code, "%s", code);
	b->slot[k] = b->n;
	return r;
}

static void push_index(uint64_t **v, size_t *n, uint64_t x)
{
	if ((*n & (*n - 1)) == 0 || *n == 0)
		*v = xrealloc(*v, (*n ? *n * 2 : 4) * sizeof **v);
	(*v)[(*n)++] = x;
}

/*
 * The checkpoint a log's entries are cut at: the one asked for, else the
 * latest held.  When checkpoints are asked for (a report checked), a log
 * the report does not cite counts nothing: it held no reading of the
 * period when the report was made, and what came by sync since (another
 * node's readings) is not the report's.
 */
static const struct jcredit_cut *cut_for(struct build *b, const char *origin)
{
	static const struct jcredit_cut not_cited = {.size = 0};
	for (size_t i = 0; i < b->ncuts; i++)
		if (strcmp(b->cuts[i].origin, origin) == 0)
			return &b->cuts[i];
	bool asked = false;
	uint64_t asked_size = 0;
	for (size_t i = 0; b->req->cuts && i < b->req->ncuts; i++)
		if (strcmp(b->req->cuts[i].origin, origin) == 0) {
			asked_size = b->req->cuts[i].size;
			asked = true;
		}
	if (b->req->cuts && !asked)
		return &not_cited;
	if (b->ncuts == JCREDIT_MAX_LOGS) {
		b->rc = chobo_fail(b->err, EX_SOFTWARE, "a report cites at most %d logs", JCREDIT_MAX_LOGS);
		return NULL;
	}
	struct jcredit_cut *c = &b->cuts[b->ncuts];
	memset(c, 0, sizeof *c);
	snprintf(c->origin, sizeof c->origin, "%s", origin);
	c->size = asked_size;
	uint32_t id;
	uint64_t held;
	const char *note;
	size_t len;
	int src = store_log_find(b->l->store, origin, &id, &held);
	if (src == STORE_OK)
		src = asked ? store_checkpoint_get(b->l->store, id, c->size, &note, &len) :
			      store_checkpoint_latest(b->l->store, id, &c->size, &note, &len);
	if (src == STORE_NOTFOUND && asked) {
		/* Not held: nothing of that log counts, and the log record says so. */
		snprintf(c->root, sizeof c->root, "not held");
		b->ncuts++;
		return c;
	}
	if (src != STORE_OK) {
		b->rc = chobo_fail(b->err, EX_IOERR, "the checkpoint of %s: %s", origin, store_error(b->l->store));
		return NULL;
	}
	const char *end = NULL;   /* the blank line between the checkpoint's text and its signatures */
	for (size_t i = 0; !end && i + 1 < len; i++)
		if (note[i] == '\n' && note[i + 1] == '\n')
			end = note + i;
	struct checkpoint cp;
	const char *why = "no blank line";
	if (!end || !checkpoint_parse_text(note, (size_t)(end - note) + 1, &cp, &why)) {
		b->rc = chobo_fail(b->err, EX_DATAERR, "the checkpoint of %s is malformed: %s", origin, why);
		return NULL;
	}
	hex32(c->root, cp.root);
	b->ncuts++;
	return c;
}

static int part_each(void *ctx, const char *key, const char *value, size_t len)
{
	struct build *b = ctx;
	if (strncmp(key, "part/", 5) != 0 || strncmp(key, b->last_key, 15) > 0)
		return 1;   /* past the period */
	/* 120,000 parts in a fiscal year of 10,000 members: read with the allocation-free scanner. */
	char code[ECO_CODE_MAX + 1], log[NOTE_MAX_NAME + 1], factors[65], why[64];
	const char *slash = strlen(key) > 16 ? strchr(key + 16, '/') : NULL;
	if (!json_scan(&b->doc, value, len, why, sizeof why) || b->doc.tok[0].kind != JSON_K_OBJECT || !slash ||
	    (size_t)(slash - (key + 16)) > ECO_CODE_MAX) {
		b->rc = chobo_fail(b->err, EX_DATAERR, "eco.registry: %s is malformed; run chain-verify --views", key);
		return 1;
	}
	const struct json_doc *d = &b->doc;
	memcpy(code, key + 16, (size_t)(slash - (key + 16)));
	code[slash - (key + 16)] = '\0';
	stored_body_str(d, 0, "log", log, sizeof log);
	const struct jcredit_cut *cut = cut_for(b, log);
	if (cut && cut->origin[0] == '\0' && !b->rep->uncited[0])
		snprintf(b->rep->uncited, sizeof b->rep->uncited, "%s", log);   /* a log the report does not cite */
	uint64_t reading = (uint64_t)stored_body_int(d, 0, "index", 0);   /* the reading's leaf index */
	if (!cut || reading >= cut->size)
		return cut ? 0 : 1;   /* after the checkpoint the report is built on */
	struct row *r = row_for(b, code);
	if (!r->member[0]) {
		stored_body_str(d, 0, "member", r->member, sizeof r->member);
		stored_body_str(d, 0, "methodology", r->methodology, sizeof r->methodology);
		snprintf(r->log, sizeof r->log, "%s", log);
	}
	for (size_t i = 0; i < NACT; i++)
		r->act[i] += stored_body_int(d, 0, activity[i], 0);
	int64_t red = stored_body_int(d, 0, "reduction_g", 0);
	r->baseline_g += stored_body_int(d, 0, "baseline_g", 0);
	r->project_g += stored_body_int(d, 0, "project_g", 0);
	r->reduction_g += red;
	/* A reading's parts in the period come one after the other for its device: list the reading once. */
	if (r->nreadings == 0 || r->readings[r->nreadings - 1] != reading)
		push_index(&r->readings, &r->nreadings, reading);
	stored_body_str(d, 0, "factors", factors, sizeof factors);
	size_t f;
	for (f = 0; f < r->nfactors && strcmp(r->factors[f], factors) != 0; f++)
		;
	if (f == r->nfactors && f < 4)
		memcpy(r->factors[r->nfactors++], factors, sizeof factors);
	int32_t fy = (int32_t)stored_body_int(d, 0, "fy", 0);
	for (f = 0; f < r->nfy && r->fy[f].fy != fy; f++)
		;
	if (f == r->nfy && f < 12)
		r->fy[r->nfy++].fy = fy;
	if (f < 12)
		r->fy[f].g += red;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->member, y->member);
	return c ? c : strcmp(x->code, y->code);
}

/* ------------------------------------------------------------- records */

static json_t *indexes(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

static void add(struct jcredit_report *rep, json_t *o)
{
	if (!o)
		xalloc_failed();
	if (rep->n == rep->cap) {
		rep->cap = rep->cap ? rep->cap * 2 : 64;
		rep->rec = xrealloc(rep->rec, rep->cap * sizeof *rep->rec);
	}
	rep->rec[rep->n++] = o;
}

static void set_int(json_t *o, const char *name, int64_t v)
{
	json_object_set_new(o, name, json_integer((json_int_t)v));
}

static void set_str(json_t *o, const char *name, const char *v)
{
	json_object_set_new(o, name, json_string(v));
}

struct period_list {
	struct jcredit_period *v;
	size_t cap, n;
	bool malformed;
	struct json_doc doc;
};

static int period_each(void *ctx, const char *key, const char *value, size_t len)
{
	struct period_list *p = ctx;
	char to[JP_DATE_LEN + 1], why[64];
	struct jcredit_period x;
	if (strncmp(key, "cert/", 5) != 0)
		return 1;
	if (!json_scan(&p->doc, value, len, why, sizeof why) || p->doc.tok[0].kind != JSON_K_OBJECT) {
		p->malformed = true;
		return 1;
	}
	stored_body_str(&p->doc, 0, "to", to, sizeof to);
	long refused = jscan_find(&p->doc, 0, "refused");
	if (refused >= 0 && p->doc.tok[refused].end != p->doc.tok[refused].start)
		return 0;   /* a refused certification counts for nothing */
	if (!jp_date_parse(key + 5, &x.from_day) || !jp_date_parse(to, &x.to_day)) {
		p->malformed = true;
		return 1;
	}
	snprintf(x.text, sizeof x.text, "%.10s to %.10s", key + 5, to);
	stored_body_str(&p->doc, 0, "leaf", x.leaf, sizeof x.leaf);
	x.carried_g = stored_body_int(&p->doc, 0, "carried_g", 0);
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->v = xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->v[p->n++] = x;
	return 0;
}

int jcredit_certified_periods(struct ledger *l, struct jcredit_period **periods, size_t *n,
			      struct chobo_error *err)
{
	struct period_list p = {0};
	int rc = view_each_prefix(l, &eco_registry_view, "cert/", NULL, period_each, &p, err);
	json_doc_free(&p.doc);
	*periods = p.v;
	*n = p.n;
	if (rc > 0)
		rc = 0;
	if (rc == 0 && p.malformed)
		rc = chobo_fail(err, EX_DATAERR, "eco.registry: a certification is malformed; run chain-verify --views");
	return rc;
}

/* Cite a log held (one with entries) in the report being built; non-zero to stop. */
static int cite_held(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct build *b = ctx;
	(void)id;
	return size > 0 && !cut_for(b, origin);
}

static void finding(struct jcredit_report *rep, int64_t row, const struct row *r, const char *what, int32_t fy)
{
	json_t *o = json_object();
	set_str(o, "record", "finding");
	set_int(o, "row", row);
	set_str(o, "member", r->member);
	set_str(o, "equipment", r->code);
	set_str(o, "finding", what);
	if (fy)
		set_int(o, "fy", fy);
	add(rep, o);
	rep->findings++;
}

int jcredit_build(struct ledger *l, const struct jcredit_request *req, struct jcredit_report *rep,
		  struct chobo_error *err)
{
	char from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1], cend[JP_DATE_LEN + 1], key[32];
	int64_t cstart, cendday;
	memset(rep, 0, sizeof *rep);
	if (!req->certification_start || !eco_certification_period(req->certification_start, &cstart, &cendday))
		return chobo_fail(err, EX_CONFIG, "eco.certification_start is not set in chobo.conf: the report needs "
				  "the start of the certification period");
	jp_date_format(from, req->from_day);
	jp_date_format(to, req->to_day);
	jp_date_format(cend, cendday);
	if (req->from_day > req->to_day)
		return chobo_fail(err, EX_DATAERR, "the period ends (%s) before it starts (%s)", to, from);
	if (req->from_day < cstart || req->to_day > cendday)
		return chobo_fail(err, EX_DATAERR, "the period %s to %s is not inside the certification period %s to %s "
				  "(8 years from eco.certification_start, never after %s)", from, to,
				  req->certification_start, cend, ECO_LAST_DAY);

	struct build b = {.rep = rep, .req = req, .l = l, .err = err};
	snprintf(b.last_key, sizeof b.last_key, "part/%s", to);
	snprintf(key, sizeof key, "part/%s", from);
	int rc = view_each_prefix(l, &eco_registry_view, "part/", key, part_each, &b, err);
	if (rc > 0)
		rc = 0;
	if (rc == 0)
		rc = b.rc;
	/*
	 * The certifications that count, in period order: the first within this
	 * period is an overlap to warn of; the last that ends before it carries
	 * its remainder in.
	 */
	struct jcredit_period *certs = NULL;
	const struct jcredit_period *carried_from = NULL;
	size_t ncerts = 0;
	if (rc == 0)
		rc = jcredit_certified_periods(l, &certs, &ncerts, err);
	for (size_t i = 0; rc == 0 && i < ncerts; i++) {
		if (certs[i].to_day >= req->from_day && certs[i].from_day <= req->to_day && !rep->overlap[0])
			snprintf(rep->overlap, sizeof rep->overlap, "%s", certs[i].text);
		if (certs[i].to_day < req->from_day)
			carried_from = &certs[i];
	}
	int64_t carried_in = carried_from ? carried_from->carried_g : 0;
	if (rc == 0 && b.n > 0)
		qsort(b.rows, b.n, sizeof *b.rows, row_cmp);

	json_t *o = json_object();
	set_str(o, "record", "report");
	set_str(o, "from", from);
	set_str(o, "to", to);
	set_str(o, "certification_start", req->certification_start);
	set_str(o, "certification_end", cend);
	add(rep, o);
	/* A log asked for that has no part in the period is still cited, so that a rebuild can be compared. */
	for (size_t i = 0; rc == 0 && req->cuts && i < req->ncuts; i++)
		if (!cut_for(&b, req->cuts[i].origin))
			rc = b.rc;
	/*
	 * A new report cites every log held, those without a part in the period
	 * too: a check then counts nothing of a log the report does not cite
	 * (one that came by sync later), and a report with a log's record and
	 * rows left out is found short of them, not matching.
	 */
	if (rc == 0 && !req->cuts) {
		int src = store_log_each(l->store, cite_held, &b);
		if (src < 0)
			rc = chobo_fail(err, EX_IOERR, "the logs of %s: %s", l->dir, store_error(l->store));
		else if (src > 0)
			rc = b.rc;
	}
	/* The logs in order of their names, whatever order the parts named them in. */
	for (size_t i = 0; rc == 0 && i < b.ncuts; i++)
		for (size_t k = i + 1; k < b.ncuts; k++)
			if (strcmp(b.cuts[k].origin, b.cuts[i].origin) < 0) {
				struct jcredit_cut t = b.cuts[i];
				b.cuts[i] = b.cuts[k];
				b.cuts[k] = t;
			}
	for (size_t i = 0; rc == 0 && i < b.ncuts; i++) {
		o = json_object();
		set_str(o, "record", "log");
		set_str(o, "log", b.cuts[i].origin);
		set_int(o, "checkpoint", (int64_t)b.cuts[i].size);
		set_str(o, "root", b.cuts[i].root);
		add(rep, o);
	}

	struct view_state *s = rc == 0 ? view_stored(l, &eco_registry_view) : NULL;
	bool *eligible = xcalloc(b.n + 1, sizeof *eligible);
	size_t first_finding = rep->n;
	json_t **rows = xcalloc(b.n + 1, sizeof *rows);
	for (size_t i = 0; rc == 0 && i < b.n; i++) {
		struct row *r = &b.rows[i];
		struct eco_member m = {0};
		struct eco_equipment q = {0};
		if ((rc = eco_member_get(s, r->member, &m, err)) == EX_UNAVAILABLE ||
		    (rc == 0 && (rc = eco_equipment_get(s, r->code, &q, err)) == EX_UNAVAILABLE))
			rc = chobo_fail(err, EX_DATAERR, "eco.registry: the member or equipment of %s's readings is "
					"missing; run chain-verify --views", r->code);
		if (rc != 0)
			break;
		eligible[i] = true;
		if (q.duplicate_of[0]) {
			char what[128];
			snprintf(what, sizeof what, "registered twice: the same identifier as equipment %s", q.duplicate_of);
			finding(rep, (int64_t)i + 1, r, what, 0);
			eligible[i] = false;
		}
		if (q.other_scheme) {
			finding(rep, (int64_t)i + 1, r, "registered in another scheme", 0);
			eligible[i] = false;
		}
		/* 500 t-CO2 a year per member: the sum over the member's rows in each fiscal year. */
		for (size_t f = 0; f < r->nfy; f++) {
			int64_t sum = 0;
			size_t lo = i, hi = i + 1;   /* the member's rows: next to each other, rows being sorted by member */
			while (lo > 0 && strcmp(b.rows[lo - 1].member, r->member) == 0)
				lo--;
			while (hi < b.n && strcmp(b.rows[hi].member, r->member) == 0)
				hi++;
			for (size_t k = lo; k < hi; k++)
				for (size_t g = 0; g < b.rows[k].nfy; g++)
					if (b.rows[k].fy[g].fy == r->fy[f].fy)
						sum += b.rows[k].fy[g].g;
			if (sum > JCREDIT_MEMBER_MAX_G) {
				char what[128];
				snprintf(what, sizeof what, "member above 500 t-CO2 in FY%d: %" PRId64 " g", (int)r->fy[f].fy,
					 sum);
				finding(rep, (int64_t)i + 1, r, what, r->fy[f].fy);
				eligible[i] = false;
			}
		}
		o = json_object();
		set_str(o, "record", "row");
		set_int(o, "row", (int64_t)i + 1);
		set_str(o, "member", r->member);
		set_str(o, "member_kind", m.kind);
		set_str(o, "equipment", r->code);
		set_str(o, "methodology", r->methodology);
		for (size_t k = 0; k < NACT; k++)
			set_int(o, activity[k], r->act[k]);
		set_int(o, "baseline_g", r->baseline_g);
		set_int(o, "project_g", r->project_g);
		set_int(o, "reduction_g", r->reduction_g);
		set_str(o, "eligible", eligible[i] ? "yes" : "no");
		set_str(o, "log", r->log);
		json_object_set_new(o, "readings", indexes(r->readings, r->nreadings));
		set_int(o, "checkpoint", (int64_t)cut_for(&b, r->log)->size);
		char fl[4 * 65] = "";
		for (size_t k = 0; k < r->nfactors; k++)
			snprintf(fl + strlen(fl), sizeof fl - strlen(fl), "%s%s", k ? " " : "", r->factors[k]);
		set_str(o, "factors", fl);
		rows[i] = o;
	}
	view_state_free(s);
	if (rc == 0) {
		/* Rows first, then the findings about them. */
		size_t nf = rep->n - first_finding;
		json_t **found = xcalloc(nf + 1, sizeof *found);
		memcpy(found, rep->rec + first_finding, nf * sizeof *found);
		rep->n = first_finding;
		for (size_t i = 0; i < b.n; i++)
			add(rep, rows[i]);
		for (size_t i = 0; i < nf; i++)
			add(rep, found[i]);
		free(found);
		int64_t eligible_g = 0;
		for (size_t m = 0; methodologies[m]; m++) {
			int64_t act[NACT] = {0}, bl = 0, pj = 0, red = 0, nrows = 0;
			for (size_t i = 0; i < b.n; i++) {
				struct row *r = &b.rows[i];
				if (!eligible[i] || strcmp(r->methodology, methodologies[m]) != 0)
					continue;
				nrows++;
				for (size_t k = 0; k < NACT; k++)
					act[k] += r->act[k];
				bl += r->baseline_g;
				pj += r->project_g;
				red += r->reduction_g;
			}
			if (nrows == 0)
				continue;
			o = json_object();
			set_str(o, "record", "total");
			set_str(o, "methodology", methodologies[m]);
			set_int(o, "rows", nrows);
			for (size_t k = 0; k < NACT; k++)
				set_int(o, activity[k], act[k]);
			set_int(o, "baseline_g", bl);
			set_int(o, "project_g", pj);
			set_int(o, "reduction_g", red);
			add(rep, o);
			eligible_g += red;
		}
		/* Whole t-CO2 rounded down; a negative total certifies nothing and carries nothing. */
		rep->available_g = eligible_g + carried_in;
		rep->credits_t = rep->available_g > 0 ? rep->available_g / 1000000 : 0;
		rep->carried_g = rep->available_g > 0 ? rep->available_g % 1000000 : 0;
		o = json_object();
		set_str(o, "record", "credits");
		set_int(o, "reduction_g", eligible_g);
		set_int(o, "carried_in_g", carried_in);
		set_str(o, "carried_from", carried_from ? carried_from->leaf : "");
		set_int(o, "available_g", rep->available_g);
		set_int(o, "credits_t", rep->credits_t);
		set_int(o, "carried_g", rep->carried_g);
		if (req->priced) {
			set_int(o, "price_yen_per_t", req->price);
			set_int(o, "revenue_yen", rep->credits_t * req->price);
		}
		add(rep, o);
	} else {
		for (size_t i = 0; i < b.n; i++)
			json_decref(rows[i]);
	}
	free(rows);
	free(eligible);
	free(certs);
	for (size_t i = 0; i < b.n; i++) {
		free(b.rows[i].readings);
	}
	free(b.rows);
	free(b.slot);
	json_doc_free(&b.doc);
	if (rc != 0)
		jcredit_report_free(rep);
	return rc;
}

void jcredit_report_free(struct jcredit_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		json_decref(rep->rec[i]);
	free(rep->rec);
	memset(rep, 0, sizeof *rep);
}

/* ------------------------------------------------------------- writing */

bool jcredit_text(const json_t *rec, const char *name, char *out, size_t cap)
{
	json_t *v = json_object_get(rec, name);
	out[0] = '\0';
	if (!v)
		return true;
	if (json_is_string(v)) {
		snprintf(out, cap, "%s", json_string_value(v));
		return true;
	}
	if (json_is_integer(v)) {
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return true;
	}
	if (!json_is_array(v))
		return false;
	size_t i, used = 0;
	json_t *x;
	json_array_foreach(v, i, x) {
		if (!json_is_integer(x))
			return false;
		int n = snprintf(out + used, cap - used, "%s%" JSON_INTEGER_FORMAT, i ? " " : "", json_integer_value(x));
		if (n < 0 || (size_t)n >= cap - used)
			return false;
		used += (size_t)n;
	}
	return true;
}

bool jcredit_write_jsonl(FILE *out, const struct jcredit_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		char *line = json_dumps(rep->rec[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!line)
			xalloc_failed();
		bool ok = fputs(line, out) >= 0 && putc('\n', out) != EOF;
		free(line);
		if (!ok)
			return false;
	}
	return fflush(out) == 0 && !ferror(out);
}

/* Room for the longest text of any member (a string, or a list of indexes), so that none is cut. */
static size_t text_cap(const json_t *rec)
{
	size_t cap = 64;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)rec, k, v) {
		size_t need = 64 + (json_is_string(v) ? json_string_length(v) : 0) +
			      (json_is_array(v) ? json_array_size(v) * 21 : 0);
		if (need > cap)
			cap = need;
	}
	return cap;
}

bool jcredit_write_csv(FILE *out, const struct jcredit_report *rep, bool bom)
{
	struct view_text t = {0};
	if (bom)
		view_text_csv_bom(&t);
	for (size_t c = 0; jcredit_columns[c]; c++) {
		if (c)
			view_text_str(&t, ",");
		view_text_str(&t, jcredit_columns[c]);
	}
	view_text_str(&t, "\r\n");
	bool ok = true;
	for (size_t i = 0; ok && i < rep->n; i++) {
		size_t cap = text_cap(rep->rec[i]);
		char *v = xmalloc(cap);
		for (size_t c = 0; jcredit_columns[c]; c++) {
			if (c)
				view_text_str(&t, ",");
			if (jcredit_text(rep->rec[i], jcredit_columns[c], v, cap))
				view_text_csv_field(&t, v, strlen(v));
			else if (json_object_get(rep->rec[i], jcredit_columns[c]))
				ok = false;   /* a value that is not text: the report is not written short */
		}
		free(v);
		view_text_str(&t, "\r\n");
		if (ok && t.len > (1 << 20)) {
			ok = fwrite(t.p, 1, t.len, out) == t.len;
			t.len = 0;
		}
	}
	ok = ok && fwrite(t.p, 1, t.len, out) == t.len && fflush(out) == 0 && !ferror(out);
	view_text_free(&t);
	return ok;
}

/* ------------------------------------------------------------- reading */

void jcredit_parsed_free(struct jcredit_parsed *p)
{
	for (size_t i = 0; i < p->n; i++)
		json_decref(p->rec[i]);
	free(p->rec);
	memset(p, 0, sizeof *p);
}

static bool known(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool jcredit_parse(const char *text, size_t len, const char *name, struct jcredit_parsed *out, char *err,
		   size_t errlen)
{
	struct records l = {0};
	bool ok = records_parse(&l, text, len, name, RECORDS_DETECT, NULL, err, errlen), seen_report = false;
	memset(out, 0, sizeof *out);
	out->rec = xcalloc(l.n + 1, sizeof *out->rec);
	for (size_t i = 0; ok && i < l.n; i++) {
		json_t *o = json_object(), *v;
		const char *k;
		char kind[16];
		out->rec[out->n++] = o;
		json_object_foreach(l.rec[i].o, k, v) {
			size_t cap = 64 + (json_is_array(v) ? json_array_size(v) * 21 : 0) +
				     (json_is_string(v) ? strlen(json_string_value(v)) : 0);
			char *t = xmalloc(cap);
			if (!known(jcredit_columns, k) || !jcredit_text(l.rec[i].o, k, t, cap)) {
				snprintf(err, errlen, "%s: \"%.40s\" is not a member of a report record, or its value is "
					 "not text, an integer or a list of integers", l.rec[i].where, k);
				ok = false;
			} else {
				json_object_set_new(o, k, json_string(t));
			}
			free(t);
			if (!ok)
				break;
		}
		if (!ok)
			break;
		if (!jcredit_text(o, "record", kind, sizeof kind) || !known(kinds, kind)) {
			snprintf(err, errlen, "%s: \"record\" must be one of report, log, row, finding, total, credits",
				 l.rec[i].where);
			ok = false;
			break;
		}
		char a[JP_DATE_LEN + 2], b[JP_DATE_LEN + 2], n[32];
		if (strcmp(kind, "report") == 0) {
			jcredit_text(o, "from", a, sizeof a);
			jcredit_text(o, "to", b, sizeof b);
			if (seen_report) {
				snprintf(err, errlen, "%s: a second report record: a report has one", l.rec[i].where);
				ok = false;
			} else if (!jp_date_parse(a, &out->from_day) || !jp_date_parse(b, &out->to_day)) {
				/* Excel rewrites 2023-05-01 as 2023/5/1 when it saves a CSV it opened. */
				snprintf(err, errlen, "%s: the report record's from and to must be dates as YYYY-MM-DD, got "
					 "\"%s\" and \"%s\" (a spreadsheet that saved the CSV may have rewritten them: "
					 "check the report as it was written)", l.rec[i].where, a, b);
				ok = false;
			}
			seen_report = true;
		} else if (strcmp(kind, "log") == 0) {
			struct jcredit_cut *c = &out->cuts[out->ncuts];
			char origin[NOTE_MAX_NAME + 2];
			jcredit_text(o, "log", origin, sizeof origin);
			jcredit_text(o, "checkpoint", n, sizeof n);
			if (out->ncuts == JCREDIT_MAX_LOGS || !origin[0] || strlen(origin) > NOTE_MAX_NAME ||
			    !parse_u64(n, &c->size)) {
				snprintf(err, errlen, "%s: a log record names a log and its checkpoint (at most %d logs)",
					 l.rec[i].where, JCREDIT_MAX_LOGS);
				ok = false;
			} else {
				memcpy(c->origin, origin, strlen(origin) + 1);   /* at most NOTE_MAX_NAME: checked above */
				out->ncuts++;
			}
		} else if (strcmp(kind, "credits") == 0 && json_object_get(o, "price_yen_per_t")) {
			uint64_t p;
			jcredit_text(o, "price_yen_per_t", n, sizeof n);
			if (!parse_u64(n, &p) || p > JCREDIT_MAX_PRICE) {
				snprintf(err, errlen, "%s: price_yen_per_t must be from 0 to %lld", l.rec[i].where,
					 (long long)JCREDIT_MAX_PRICE);
				ok = false;
			}
			out->priced = true;
			out->price = (int64_t)p;
		}
	}
	if (ok && !seen_report) {
		snprintf(err, errlen, "%s: no report record (record,from,to)", name);
		ok = false;
	}
	records_free(&l);
	if (!ok)
		jcredit_parsed_free(out);
	return ok;
}

bool jcredit_record_equal(const json_t *built, const json_t *read, char *field, size_t fcap, char *want,
			  char *got, size_t cap)
{
	for (size_t c = 0; jcredit_columns[c]; c++) {
		jcredit_text(built, jcredit_columns[c], want, cap);
		jcredit_text(read, jcredit_columns[c], got, cap);
		if (strcmp(want, got) != 0) {
			snprintf(field, fcap, "%s", jcredit_columns[c]);
			return false;
		}
	}
	return true;
}

void jcredit_label(const json_t *rec, char *out, size_t cap)
{
	char kind[16], a[80], b[80];
	jcredit_text(rec, "record", kind, sizeof kind);
	if (strcmp(kind, "row") == 0 || strcmp(kind, "finding") == 0) {
		jcredit_text(rec, "row", a, sizeof a);
		jcredit_text(rec, "equipment", b, sizeof b);
		snprintf(out, cap, "%s %s (equipment %s)", strcmp(kind, "row") == 0 ? "row" : "finding on row", a, b);
	} else if (strcmp(kind, "total") == 0) {
		jcredit_text(rec, "methodology", a, sizeof a);
		snprintf(out, cap, "total %s", a);
	} else if (strcmp(kind, "log") == 0) {
		jcredit_text(rec, "log", a, sizeof a);
		snprintf(out, cap, "log %s", a);
	} else {
		snprintf(out, cap, "%s", kind);
	}
}
