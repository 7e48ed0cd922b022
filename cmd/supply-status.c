/* supply-status: needed, offered, requested, shipped, received and open relief supplies, per site and item. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"
#include "supply/supply.h"
#include "util.h"
#include "view.h"

static const char usage[] =
	"usage: supply-status [-q] [-L DIR] [--by LIST] [--site CODE] [--item CODE] [--disaster CODE]\n"
	"                     [--overdue] [--days N] [--csv [--bom]]\n"
	"Print one row per group (LIST of disaster, site, item; default site,item) with the quantities\n"
	"needed, offered, requested, shipped, received and still open, the overdue boxes and what\n"
	"expired offers hold; --overdue prints the overdue boxes themselves.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 66 --site or --item unknown; other codes as in chobo(7).\n"
	"See supply-status(1).\n";

/* Read the overdue setting (unless given) and the snapshot; 0 or a code. */
static int read_snapshot(const char *dir, struct supply_snapshot *s, uint64_t *overdue_days)
{
	struct ledger l;
	struct chobo_error e;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		return rc;
	if (*overdue_days == 0)
		rc = config_setting_u64(&l.conf, "supply.overdue_days", overdue_days, &e);
	if (rc == 0)
		rc = supply_snapshot_read(&l, s, &e);
	return cli_report(ledger_close_after(&l, rc, &e), &e);
}

/* ------------------------------------------------------------ rows */

enum { BY_DISASTER = 1, BY_SITE = 2, BY_ITEM = 4 };

struct row {
	char disaster[SUPPLY_CODE_MAX + 1], site[SUPPLY_CODE_MAX + 1], item[SUPPLY_CODE_MAX + 1];
	char unit[SUPPLY_UNIT_MAX + 1];
	int64_t needed, offered, requested, shipped, received, open, available, lost;
	int64_t in_transit, overdue, unfilled, expired;
};

static int row_order(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->disaster, y->disaster);
	if (!c)
		c = strcmp(x->site, y->site);
	if (!c)
		c = strcmp(x->item, y->item);
	return c ? c : strcmp(x->unit, y->unit);
}

struct filter {
	unsigned by;
	const char *site, *item, *disaster;
	int64_t now, overdue_secs;
};

static bool box_overdue(const struct supply_line *b, const struct filter *f)
{
	int64_t shipped;
	return b->kind == SUPPLY_BOX && !b->unfilled && !b->receipt[0] && !b->lost_by[0] &&
	       time_parse(b->time, &shipped) && f->now - shipped > f->overdue_secs;
}

/*
 * The row one line adds to, with its contribution; false when the filter
 * leaves it out.  lapsed: for a need, what its pledged offers no longer
 * hold for it now (supply_pledge_lapsed).
 */
static bool line_row(const struct supply_line *ln, const struct filter *f, int64_t lapsed, struct row *r)
{
	memset(r, 0, sizeof *r);
	if ((f->site && strcmp(ln->site, f->site) != 0) || (f->item && strcmp(ln->item, f->item) != 0) ||
	    (f->disaster && strcmp(ln->disaster, f->disaster) != 0))
		return false;
	if (f->by & BY_DISASTER)
		snprintf(r->disaster, sizeof r->disaster, "%s", ln->disaster);
	if (f->by & BY_SITE)
		snprintf(r->site, sizeof r->site, "%s", ln->site);
	if (f->by & BY_ITEM)
		snprintf(r->item, sizeof r->item, "%s", ln->item);
	/* Quantities never add across units. */
	snprintf(r->unit, sizeof r->unit, "%s", ln->unit);
	bool cancelled = ln->cancelled_by[0] != '\0';
	switch (ln->kind) {
	case SUPPLY_NEED:
		r->needed = cancelled ? 0 : ln->quantity;
		r->open = supply_need_open_at(ln, lapsed);
		break;
	case SUPPLY_OFFER:
		/*
		 * Expired goods are refused to a request: none of them is available,
		 * and, as a cancelled offer's, the offer commits only what requests
		 * took of it (a need it is pledged to is open for the rest).
		 */
		if (supply_offer_expired(ln, f->now)) {
			r->offered = ln->requested;
			r->expired = supply_line_open(ln);
		} else {
			r->offered = cancelled ? ln->requested : ln->quantity;
			r->available = supply_line_open(ln);
		}
		break;
	case SUPPLY_REQUEST:
		r->requested = ln->unfilled ? 0 : cancelled ? ln->shipped : ln->quantity;
		r->unfilled = ln->unfilled;
		break;
	case SUPPLY_BOX:
		if (ln->unfilled)
			break;
		r->shipped = ln->quantity;
		r->received = ln->receipt[0] ? ln->found : 0;
		r->lost = !ln->receipt[0] && ln->lost_by[0] ? ln->quantity : 0;
		r->in_transit = !ln->receipt[0] && !ln->lost_by[0];
		r->overdue = box_overdue(ln, f);
		break;
	}
	return true;
}

static const char *const row_columns[] = {
	"disaster", "site", "site_name", "site_state", "item", "unit", "needed", "offered", "requested", "shipped",
	"received", "open", "available", "lost", "in_transit", "overdue", "unfilled", "expired", NULL,
};

/* Column col's separator and, in JSON, its name. */
static void put_column(struct view_text *t, bool csv, size_t col)
{
	if (col > 0)
		view_text_str(t, ",");
	if (!csv) {
		view_text_str(t, col == 0 ? "{\"" : "\"");
		view_text_str(t, row_columns[col]);
		view_text_str(t, "\":");
	}
}

/* Column col holding text s (null in JSON when empty). */
static void put_text_field(struct view_text *t, bool csv, size_t col, const char *s)
{
	put_column(t, csv, col);
	if (csv)
		view_text_csv_field(t, s, strlen(s));
	else if (s[0])
		view_text_json_string(t, s);
	else
		view_text_str(t, "null");
}

/* Column col holding the number v. */
static void put_number_field(struct view_text *t, bool csv, size_t col, int64_t v)
{
	put_column(t, csv, col);
	view_text_int(t, v);
}

static void print_rows(struct view_text *t, const struct supply_snapshot *s, const struct filter *f,
		       bool csv)
{
	struct row *rows = xcalloc(s->n ? s->n : 1, sizeof *rows);
	int64_t *lapsed = xcalloc(s->n ? s->n : 1, sizeof *lapsed);
	/* A need is open again for what its pledged offers' expired goods no longer hold. */
	for (size_t i = 0; i < s->n; i++) {
		int64_t v = supply_pledge_lapsed(&s->line[i], f->now);
		const struct supply_line *need = v ? supply_snapshot_line(s, SUPPLY_NEED, s->line[i].need) : NULL;
		if (need)
			lapsed[need - s->line] += v;
	}
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (line_row(&s->line[i], f, lapsed[i], &rows[n]))
			n++;
	free(lapsed);
	if (n)
		qsort(rows, n, sizeof *rows, row_order);
	if (csv) {
		for (size_t c = 0; row_columns[c]; c++) {
			view_text_str(t, c ? "," : "");
			view_text_str(t, row_columns[c]);
		}
		view_text_str(t, "\r\n");
	}
	for (size_t i = 0; i < n;) {
		struct row sum = rows[i];
		size_t j;
		for (j = i + 1; j < n && row_order(&rows[j], &sum) == 0; j++) {
			const struct row *r = &rows[j];
			sum.needed += r->needed;
			sum.offered += r->offered;
			sum.requested += r->requested;
			sum.shipped += r->shipped;
			sum.received += r->received;
			sum.open += r->open;
			sum.available += r->available;
			sum.lost += r->lost;
			sum.in_transit += r->in_transit;
			sum.overdue += r->overdue;
			sum.unfilled += r->unfilled;
			sum.expired += r->expired;
		}
		i = j;
		const struct supply_named *site = sum.site[0] ? supply_snapshot_site(s, sum.site) : NULL;
		/* A closed site's needs are not matched: the row says so. */
		const char *text[] = {sum.disaster, sum.site, site ? site->name : "",
				      site ? (site->closed ? "closed" : "open") : "", sum.item, sum.unit};
		const int64_t *num[] = {&sum.needed, &sum.offered, &sum.requested, &sum.shipped, &sum.received,
					&sum.open, &sum.available, &sum.lost, &sum.in_transit, &sum.overdue,
					&sum.unfilled, &sum.expired};
		for (size_t c = 0; c < 6; c++)
			put_text_field(t, csv, c, text[c]);
		for (size_t c = 0; c < sizeof num / sizeof num[0]; c++)
			put_number_field(t, csv, 6 + c, *num[c]);
		view_text_str(t, csv ? "\r\n" : "}\n");
	}
	free(rows);
}

static const char *const box_columns[] = {
	"shipment", "log", "index", "shipped_at", "days", "request", "site", "item", "unit", "box", "quantity",
	NULL,
};

static void print_overdue(struct view_text *t, const struct supply_snapshot *s, const struct filter *f,
			  bool csv)
{
	if (csv) {
		for (size_t c = 0; box_columns[c]; c++) {
			view_text_str(t, c ? "," : "");
			view_text_str(t, box_columns[c]);
		}
		view_text_str(t, "\r\n");
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct supply_line *b = &s->line[i];
		struct row r;
		int64_t shipped;
		if (!line_row(b, f, 0, &r) || !box_overdue(b, f) || !time_parse(b->time, &shipped))
			continue;
		int64_t days = (f->now - shipped) / 86400, index = (int64_t)b->index, box = (int64_t)b->box;
		const char *text[] = {b->leaf_hash, b->log, NULL, b->time, NULL, b->request, b->site, b->item,
				      b->unit, NULL, NULL};
		const int64_t *num[] = {NULL, NULL, &index, NULL, &days, NULL, NULL, NULL, NULL, &box, &b->quantity};
		for (size_t c = 0; box_columns[c]; c++) {
			if (c)
				view_text_str(t, ",");
			if (!csv) {
				view_text_str(t, c ? "\"" : "{\"");
				view_text_str(t, box_columns[c]);
				view_text_str(t, "\":");
			}
			if (num[c])
				view_text_int(t, *num[c]);
			else if (csv)
				view_text_csv_field(t, text[c], strlen(text[c]));
			else
				view_text_json_string(t, text[c]);
		}
		view_text_str(t, csv ? "\r\n" : "}\n");
	}
}

static unsigned parse_by(const char *list)
{
	unsigned by = 0;
	char *copy = xstrdup(list), *save, *w;
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "disaster") == 0)
			by |= BY_DISASTER;
		else if (strcmp(w, "site") == 0)
			by |= BY_SITE;
		else if (strcmp(w, "item") == 0)
			by |= BY_ITEM;
		else
			chobo_die(EX_USAGE, "--by: \"%s\" is not disaster, site or item", w);
	}
	free(copy);
	return by;
}

/* Whether a line of s names code as its site (or as its item). */
static bool on_a_line(const struct supply_snapshot *s, const char *code, bool site)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(site ? s->line[i].site : s->line[i].item, code) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"by", required_argument, NULL, 'B'},
		{"site", required_argument, NULL, 's'},
		{"item", required_argument, NULL, 'i'},
		{"disaster", required_argument, NULL, 'd'},
		{"overdue", no_argument, NULL, 'o'},
		{"days", required_argument, NULL, 'D'},
		{"csv", no_argument, NULL, 'c'},
		{"bom", no_argument, NULL, 'b'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	struct filter f = {.by = BY_SITE | BY_ITEM};
	bool csv = false, bom = false, overdue = false;
	uint64_t days = 0;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'B': f.by = parse_by(optarg); break;
		case 's': f.site = optarg; break;
		case 'i': f.item = optarg; break;
		case 'd': f.disaster = optarg; break;
		case 'o': overdue = true; break;
		case 'D': days = cli_u64("--days", optarg); break;
		case 'c': csv = true; break;
		case 'b': bom = true; break;
		}
	}
	if (optind != argc)
		cli_usage_error(usage);
	if (bom && !csv)
		chobo_die(EX_USAGE, "--bom goes with --csv");
	if (days > 3650)
		chobo_die(EX_USAGE, "--days: at most 3650");
	if (!chobo_now(&f.now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");

	struct supply_snapshot s = {0};
	int rc = read_snapshot(dir, &s, &days);
	f.overdue_secs = (int64_t)days * 86400;
	/* An unknown code would print no row, as a site with nothing open does: say which it is. */
	if (rc == 0 && f.site && !supply_snapshot_site(&s, f.site) && !on_a_line(&s, f.site, true)) {
		chobo_warn("--site %s: no such site on this ledger (supply-post site adds one; chain-sync brings "
			   "other nodes' sites)", f.site);
		rc = EX_NOINPUT;
	}
	if (rc == 0 && f.item && !supply_snapshot_name(s.items, s.nitems, f.item)[0] && !on_a_line(&s, f.item, false)) {
		chobo_warn("--item %s: no such item in this ledger's catalogue (supply-post item adds one)", f.item);
		rc = EX_NOINPUT;
	}
	struct view_text t = {0};
	if (rc == 0) {
		if (bom)
			view_text_csv_bom(&t);
		if (overdue)
			print_overdue(&t, &s, &f, csv);
		else
			print_rows(&t, &s, &f, csv);
		if (t.len > 0 && !write_all(1, t.p, t.len)) {
			chobo_warn_errno("write error on standard output");
			rc = EX_IOERR;
		}
	}
	view_text_free(&t);
	supply_snapshot_free(&s);
	cli_exit(rc);
}
