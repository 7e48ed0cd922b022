/* supply-match: propose which open offers fill which open needs; --commit records them as requests. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "cli.h"
#include "codec.h"
#include "ledger.h"
#include "supply/match.h"
#include "supply/supply.h"
#include "util.h"
#include "view.h"

static const char usage[] =
	"usage: supply-match [-q] [-L DIR] [--min-shelf-days N] [--csv [--bom]] [--commit]\n"
	"Print one proposal per line (JSON Lines, or CSV with a header) of a quantity of an open\n"
	"offer for an open need: same item and unit, size, allergens, shelf life; priority, deadline\n"
	"and merge order first, then the offer that expires first.  --commit appends the proposals\n"
	"as supply.request entries, one batch, and adds each request's leaf hash.\n"
	"Environment: CHOBO_NOW, CHOBO_LEDGER, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 3 requests stored but output not written, 64 usage, 65 bad data;\n"
	"other codes as in chobo(7).\n"
	"See supply-match(1).\n";

/* What is read of the views: the open index of the items concerned, the closed sites, the catalogue. */
struct reader {
	struct match_set *m;
	struct json_doc doc;
	struct group {
		char item[SUPPLY_CODE_MAX + 1], unit[SUPPLY_UNIT_MAX + 1];
		size_t first, end;   /* its needs in m->need */
	} *group;                /* the items and units of the open needs, in key order */
	size_t ngroups;
	char first_key[SUPPLY_OPEN_KEY_MAX];   /* what first_record found, "" for nothing */
	bool bad;                /* a record that could not be read: its key follows */
	char bad_key[SUPPLY_OPEN_KEY_MAX];
};

static int fail_record(struct reader *r, const char *key)
{
	snprintf(r->bad_key, sizeof r->bad_key, "%s", key);
	r->bad = true;
	return 1;
}

/* view_each_prefix: an open need or offer. */
static int each_open(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *r = ctx;
	struct supply_line ln;
	int64_t open;
	size_t before = r->m->nneeds;
	if (!supply_open_parse(key, value, len, &r->doc, &ln, &open) || !match_add_open(r->m, &ln, open))
		return fail_record(r, key);
	/* The needs come by item and unit: a new group starts where the last one differs. */
	if (r->m->nneeds > before && (r->ngroups == 0 || strcmp(r->group[r->ngroups - 1].item, ln.item) != 0 ||
				      strcmp(r->group[r->ngroups - 1].unit, ln.unit) != 0)) {
		r->group = xrealloc(r->group, (r->ngroups + 1) * sizeof *r->group);
		snprintf(r->group[r->ngroups].item, sizeof r->group->item, "%s", ln.item);
		snprintf(r->group[r->ngroups].unit, sizeof r->group->unit, "%s", ln.unit);
		r->group[r->ngroups].first = before;
		r->ngroups++;
	}
	if (r->m->nneeds > before)
		r->group[r->ngroups - 1].end = r->m->nneeds;
	return 0;
}

/*
 * view_each_prefix: an open offer of an allergen mask that no need of its
 * group takes, kept when it is pledged: its pledge may have lapsed, which
 * frees what it holds of its need (match_run).
 */
static int each_pledged_open(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *r = ctx;
	struct supply_line ln;
	int64_t open;
	if (!supply_open_parse(key, value, len, &r->doc, &ln, &open))
		return fail_record(r, key);
	return ln.need[0] && !match_add_open(r->m, &ln, open) ? fail_record(r, key) : 0;
}

/* view_each_prefix: the first key at or after a start, and stop. */
static int first_record(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *r = ctx;
	(void)value;
	(void)len;
	snprintf(r->first_key, sizeof r->first_key, "%s", key);
	return 1;
}

/* The catalogue's allergen bits of item (read before the needs), 0 when it has none. */
static uint32_t item_free_of(const struct match_set *m, const char *item)
{
	for (size_t i = 0; i < m->nitems; i++)
		if (strcmp(m->item[i].code, item) == 0)
			return m->item[i].free_of;
	return 0;
}

/*
 * The open offers of group g: of each allergen mask the group's offers have
 * (found by seeking from one mask to the next), those that at least one of
 * its needs can take; the others could never be proposed, but when a need
 * of the group has pledges waiting, the pledged ones among them are read
 * for what an expired pledge frees.  supply-post refuses a pledge its need
 * cannot take, but such pledges still come: stored before that rule, by
 * sync from a node without it, or left so by a change of the catalogue.
 */
static int read_offers(struct ledger *l, struct reader *r, const struct group *g, struct chobo_error *e)
{
	char prefix[SUPPLY_OPEN_KEY_MAX], from[SUPPLY_OPEN_KEY_MAX], masked[SUPPLY_OPEN_KEY_MAX];
	uint32_t item_free = item_free_of(r->m, g->item), mask;
	supply_open_prefix(prefix, SUPPLY_OFFER, g->item, g->unit);
	size_t plen = strlen(prefix);
	snprintf(from, sizeof from, "%s", prefix);
	bool pledges = false;   /* a need of the group with pledges waiting to be requested */
	for (size_t k = g->first; !pledges && k < g->end; k++)
		pledges = r->m->need[k].uncovered < r->m->need[k].wanted;
	for (;;) {
		r->first_key[0] = '\0';
		int rc = view_each_prefix(l, &supply_lines_view, prefix, from, first_record, r, e);
		if (rc < 0 || rc > 1)
			return rc;
		if (!r->first_key[0])
			return 0;
		if (!supply_open_offer_mask(r->first_key, plen, &mask)) {
			fail_record(r, r->first_key);
			return 0;
		}
		bool wanted = false;
		for (size_t k = g->first; !wanted && k < g->end; k++)
			wanted = (r->m->need[k].avoid & ~(mask | item_free)) == 0;
		supply_open_offer_prefix(masked, g->item, g->unit, mask);
		if ((wanted || pledges) &&
		    (rc = view_each_prefix(l, &supply_lines_view, masked, NULL, wanted ? each_open : each_pledged_open,
					   r, e)) != 0)
			return rc == 1 ? 0 : rc;
		if (mask == UINT32_MAX)
			return 0;
		supply_open_offer_prefix(from, g->item, g->unit, mask + 1);
	}
}

static void body_field(const struct json_doc *d, long body, const char *name, char *out, size_t cap)
{
	long v = body >= 0 ? jscan_find(d, (size_t)body, name) : -1;
	if (v < 0 || !jscan_string_copy(d, (size_t)v, out, cap))
		out[0] = '\0';
}

static int each_item(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *r = ctx;
	char why[128], size[SUPPLY_SIZE_MAX + 1], allergen_free[SUPPLY_ALLERGENS_MAX + 1];
	bool ok = json_scan(&r->doc, value, len, why, sizeof why);
	long body = ok ? jscan_find(&r->doc, 0, "body") : -1;
	body_field(&r->doc, body, "size", size, sizeof size);
	body_field(&r->doc, body, "allergen_free", allergen_free, sizeof allergen_free);
	if (body < 0 || !match_add_item(r->m, key, size, allergen_free))
		return fail_record(r, key);
	return 0;
}

/*
 * Bring the views up to date and read what matching needs: the catalogue,
 * the closed sites, the open needs, and the open offers of their items and
 * units only; 0 or a code.
 */
static int read_views(struct ledger *l, struct match_set *m, uint64_t *min_shelf_days, bool shelf_given)
{
	struct chobo_error e;
	struct reader r = {.m = m};
	struct supply_named *sites = NULL;
	size_t nsites = 0;
	char prefix[SUPPLY_OPEN_KEY_MAX];
	int rc = 0;
	if (!shelf_given)
		rc = cli_report(config_setting_u64(&l->conf, "supply.min_shelf_days", min_shelf_days, &e), &e);
	if (rc == 0)
		rc = cli_report(views_refresh(l, &e), &e);
	if (rc == 0) {
		rc = view_each(l, &supply_catalogue_view, each_item, &r, &e);
		rc = rc == 1 ? 0 : cli_report(rc, &e);   /* 1: as for the open index below */
	}
	if (rc == 0 && !r.bad)
		rc = cli_report(supply_named_read(l, &supply_sites_view, &sites, &nsites, &e), &e);
	for (size_t i = 0; rc == 0 && i < nsites; i++)
		if (sites[i].closed)
			match_close_site(m, sites[i].code);
	supply_open_prefix(prefix, SUPPLY_NEED, NULL, NULL);
	if (rc == 0 && !r.bad) {
		rc = view_each_prefix(l, &supply_lines_view, prefix, NULL, each_open, &r, &e);
		/* 1: stopped at a record that cannot be read, which r.bad names */
		rc = rc == 1 ? 0 : cli_report(rc, &e);
	}
	for (size_t g = 0; rc == 0 && !r.bad && g < r.ngroups; g++)
		rc = cli_report(read_offers(l, &r, &r.group[g], &e), &e);
	if (rc == 0 && r.bad) {
		chobo_warn("%s: the stored value of %s cannot be read; run chain-verify --views", l->dir, r.bad_key);
		rc = EX_DATAERR;
	}
	free(sites);
	free(r.group);
	json_doc_free(&r.doc);
	return rc;
}

/* An offer of the set pledged to a need whose goods expired: its pledge lapsed. */
struct lapsed_pledge {
	const char *need;
	size_t offer;
};

static int lapsed_cmp(const void *x, const void *y)
{
	const struct lapsed_pledge *a = x, *b = y;
	return strcmp(a->need, b->need);
}

/* What the commit's rule re-checks under the ledger's lock: the proposals as computed without it. */
struct recheck {
	const struct match_set *m;
	const struct match_proposal *p;
	size_t n;
	int64_t now;
	struct lapsed_pledge *lapsed;   /* sorted by need */
	size_t nlapsed;
};

/*
 * What the lapsed pledges of need no longer hold for it, read again from
 * lines (under the lock, an offer may have been cancelled since), into
 * *lapsed; 0 or an error.
 */
static int need_lapsed(const struct recheck *c, struct view_state *lines, const char *need, int64_t *lapsed,
		       struct chobo_error *err)
{
	struct lapsed_pledge key = {need, 0};
	const struct lapsed_pledge *p =
		c->nlapsed ? bsearch(&key, c->lapsed, c->nlapsed, sizeof *c->lapsed, lapsed_cmp) : NULL;
	*lapsed = 0;
	while (p && p > c->lapsed && strcmp(p[-1].need, need) == 0)
		p--;
	for (; p && p < c->lapsed + c->nlapsed && strcmp(p->need, need) == 0; p++) {
		struct supply_line ln;
		int rc = supply_line_get(lines, SUPPLY_OFFER, c->m->offer[p->offer].hash, &ln, err);
		if (rc != 0)
			return rc;
		*lapsed += supply_pledge_lapsed(&ln, c->now);
	}
	return 0;
}

/*
 * The ledger may have changed between reading the views and taking the
 * lock again.  The service's rules, which run before this one on the same
 * views, refuse a request beyond an offer's remaining quantity, one naming
 * a cancelled need (every proposal names its need) and one for a closed
 * site; this rule adds what they leave to matching: a need that the batch
 * would fill beyond what it asked.
 */
static int recheck(void *ctx, struct ledger *l, const struct batch *b, struct chobo_error *err)
{
	const struct recheck *c = ctx;
	struct view_state *lines = view_stored(l, &supply_lines_view);
	struct supply_line ln;
	int rc = 0;
	(void)b;
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		const struct match_need *need = &c->m->need[c->p[i].need];
		if (i > 0 && c->p[i - 1].need == c->p[i].need)
			continue;   /* the proposals are in need order */
		if ((rc = supply_line_get(lines, SUPPLY_NEED, need->hash, &ln, err)) != 0)
			break;
		/* The lines include the batch: more requested than asked, or free offers in what pledges hold. */
		bool free_offers = false;
		for (size_t k = i; k < c->n && c->p[k].need == c->p[i].need; k++)
			free_offers = free_offers || !c->p[k].pledged;
		int64_t lapsed = 0;
		if (free_offers && (rc = need_lapsed(c, lines, need->hash, &lapsed, err)) != 0)
			break;
		if (ln.requested > ln.quantity ||
		    (free_offers && supply_need_uncovered(&ln) + lapsed < 0))
			rc = chobo_fail(err, EX_DATAERR, "need %s changed since it was matched "
					"(filled by other requests)", need->hash);
	}
	view_state_free(lines);
	return rc;
}

/*
 * The supply.request entries of the proposals, appended as one batch to the
 * ledger in dir, opened again for it, at now; hashes[i] gets each leaf hash.
 */
static int commit(const char *dir, const struct match_set *m, const struct match_proposal *p, size_t n,
		  int64_t now, char (*hashes)[65], uint64_t *first, char origin[NOTE_MAX_NAME + 1])
{
	struct chobo_error e;
	struct note_signer key;
	struct ledger l;
	struct batch batch = {0};
	struct json_doc doc = {0};
	struct view_text t = {0};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct match_need *need = &m->need[p[i].need];
		char why[512];
		t.len = 0;
		view_text_str(&t, "{\"type\":\"supply.request\",\"body\":{\"offer\":\"");
		view_text_str(&t, m->offer[p[i].offer].hash);
		view_text_str(&t, "\",\"quantity\":");
		view_text_int(&t, p[i].quantity);
		view_text_str(&t, ",\"site\":");
		view_text_json_string(&t, need->site);
		view_text_str(&t, ",\"need\":\"");
		view_text_str(&t, need->hash);
		view_text_str(&t, "\"}}");
		if (!batch_add_line(&batch, t.p, t.len, &doc, why, sizeof why)) {
			chobo_warn("proposal %zu: %s; nothing was appended", i + 1, why);
			rc = EX_DATAERR;
		}
	}
	struct receipt *receipts = xcalloc(n ? n : 1, sizeof *receipts);
	struct recheck c = {m, p, n, now, xcalloc(m->noffers + 1, sizeof *c.lapsed), 0};
	for (size_t k = 0; k < m->noffers; k++)
		if (m->offer[k].need[0] && m->offer[k].good_until <= now)
			c.lapsed[c.nlapsed++] = (struct lapsed_pledge){m->offer[k].need, k};
	if (c.nlapsed > 1)
		qsort(c.lapsed, c.nlapsed, sizeof *c.lapsed, lapsed_cmp);
	struct append_rule rule = {recheck, &c};
	uint64_t tree_size;
	char time[21];
	if (rc == 0 && (rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e)) == 0) {
		rc = cli_report(ledger_append(&l, &batch, &key, &rule, receipts, &tree_size, time, &e), &e);
		if (rc == EX_DATAERR)
			chobo_warn("nothing was appended; the ledger changed since the match: run it again");
		snprintf(origin, NOTE_MAX_NAME + 1, "%s", l.conf.origin);
		if (cli_report(ledger_close(&l, &e), &e) != 0 && rc == 0)
			chobo_warn("the requests were committed; the proposals follow");
		note_signer_clear(&key);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		hex32(hashes[i], receipts[i].leaf_hash);
	*first = receipts[0].index;   /* a batch's entries are consecutive */
	free(receipts);
	free(c.lapsed);
	batch_free(&batch);
	json_doc_free(&doc);
	view_text_free(&t);
	return rc;
}

static const char *const columns[] = {
	"need", "offer", "site", "item", "unit", "quantity", "size", "expiry", "priority", "deadline",
	"pledged", "request", NULL,
};

/* One value of a proposal: text, or a number when v is not NULL; "" leaves it out of JSON. */
static void put(struct view_text *t, bool csv, size_t col, const char *s, const int64_t *v)
{
	if (!csv && !v && !s[0])
		return;
	if (csv) {
		if (col > 0)
			view_text_str(t, ",");
	} else {
		view_text_str(t, col == 0 ? "{\"" : ",\"");
		view_text_str(t, columns[col]);
		view_text_str(t, "\":");
	}
	if (v)
		view_text_int(t, *v);
	else if (csv)
		view_text_csv_field(t, s, strlen(s));
	else
		view_text_json_string(t, s);
}

static void print_proposals(struct view_text *t, const struct match_set *m, const struct match_proposal *p,
			    size_t n, char (*hashes)[65], bool csv)
{
	size_t ncols = hashes ? 12 : 11;
	if (csv) {
		for (size_t c = 0; c < ncols; c++) {
			view_text_str(t, c ? "," : "");
			view_text_str(t, columns[c]);
		}
		view_text_str(t, "\r\n");
	}
	for (size_t i = 0; i < n; i++) {
		const struct match_need *need = &m->need[p[i].need];
		const struct match_offer *o = &m->offer[p[i].offer];
		int64_t prio = (int64_t)need->priority;
		put(t, csv, 0, need->hash, NULL);
		put(t, csv, 1, o->hash, NULL);
		put(t, csv, 2, need->site, NULL);
		put(t, csv, 3, need->item, NULL);
		put(t, csv, 4, need->unit, NULL);
		put(t, csv, 5, "", &p[i].quantity);
		put(t, csv, 6, need->size, NULL);
		put(t, csv, 7, o->expiry_text, NULL);
		if (prio || csv)
			put(t, csv, 8, "", prio ? &prio : NULL);
		put(t, csv, 9, need->deadline_text, NULL);
		if (csv)
			put(t, csv, 10, p[i].pledged ? "true" : "false", NULL);
		else if (p[i].pledged)
			view_text_str(t, ",\"pledged\":true");   /* a JSON boolean, left out when false */
		if (hashes)
			put(t, csv, 11, hashes[i], NULL);
		view_text_str(t, csv ? "\r\n" : "}\n");
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"min-shelf-days", required_argument, NULL, 's'},
		{"csv", no_argument, NULL, 'c'},
		{"bom", no_argument, NULL, 'b'},
		{"commit", no_argument, NULL, 'C'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	bool csv = false, bom = false, do_commit = false, shelf_given = false;
	uint64_t min_shelf_days = 0;
	int64_t now;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 's': min_shelf_days = cli_u64("--min-shelf-days", optarg); shelf_given = true; break;
		case 'c': csv = true; break;
		case 'b': bom = true; break;
		case 'C': do_commit = true; break;
		}
	}
	if (optind != argc)
		cli_usage_error(usage);
	if (bom && !csv)
		chobo_die(EX_USAGE, "--bom goes with --csv");
	if (min_shelf_days > 3650)
		chobo_die(EX_USAGE, "--min-shelf-days: at most 3650");
	if (!chobo_now(&now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");

	struct ledger l;
	struct chobo_error e;
	struct match_set m = {0};
	struct match_proposal *p = NULL;
	size_t n = 0;
	char (*hashes)[65] = NULL, origin[NOTE_MAX_NAME + 1] = "";
	uint64_t first = 0;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	rc = read_views(&l, &m, &min_shelf_days, shelf_given);
	/* The lock is let go while the proposals are computed: only --commit takes it again. */
	int crc = cli_report(ledger_close(&l, &e), &e);
	if (rc == 0)
		rc = crc;
	if (rc == 0)
		match_run(&m, now, min_shelf_days, &p, &n);
	if (rc == 0 && do_commit && n > 0) {
		hashes = xcalloc(n, sizeof *hashes);
		rc = commit(dir, &m, p, n, now, hashes, &first, origin);
	}
	struct view_text t = {0};
	if (rc == 0) {
		/* The units are Japanese: Excel reads UTF-8 CSV as such only after a byte order mark. */
		if (bom)
			view_text_csv_bom(&t);
		print_proposals(&t, &m, p, n, do_commit ? hashes : NULL, csv);
		if (t.len > 0 && !write_all(1, t.p, t.len))
			rc = cli_output_lost(do_commit ? n : 0, first, first + n - 1, origin,
					     "supply-match again proposes only what is still unmatched; chain-log --type "
					     "supply.request lists the requests");
	}
	if (rc == 0 && do_commit && n == 0)
		chobo_info("no proposals; nothing was appended");
	view_text_free(&t);
	free(hashes);
	free(p);
	match_set_free(&m);
	cli_exit(rc);
}
