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
	"usage: supply-match [-q] [-L DIR] [--min-shelf-days N] [--csv] [--commit]\n"
	"Print one proposal per line (JSON Lines, or CSV with a header) of a quantity of an open\n"
	"offer for an open need: same item and unit, size, allergens, shelf life; priority, deadline\n"
	"and merge order first, then the offer that expires first.  --commit appends the proposals\n"
	"as supply.request entries, one batch, and adds each request's leaf hash.\n"
	"Environment: CHOBO_NOW, CHOBO_LEDGER, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data; other codes as in chobo(7).\n"
	"See supply-match(1).\n";

struct reader {
	struct match_set *m;
	const char *bad;   /* the key of a line that could not be read */
	char bad_key[80];
};

static int each_line(void *ctx, const char *key, const char *value, size_t len)
{
	struct reader *r = ctx;
	struct supply_line ln;
	if (strncmp(key, "need/", 5) != 0 && strncmp(key, "offer/", 6) != 0)
		return 0;
	if (!supply_line_parse(value, len, &ln) || !match_add_line(r->m, &ln)) {
		snprintf(r->bad_key, sizeof r->bad_key, "%s", key);
		r->bad = r->bad_key;
		return 1;
	}
	return 0;
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
	struct json_doc d = {0};
	char why[128], size[SUPPLY_SIZE_MAX + 1], allergen_free[SUPPLY_ALLERGENS_MAX + 1];
	bool ok = json_scan(&d, value, len, why, sizeof why);
	long body = ok ? jscan_find(&d, 0, "body") : -1;
	body_field(&d, body, "size", size, sizeof size);
	body_field(&d, body, "allergen_free", allergen_free, sizeof allergen_free);
	json_doc_free(&d);
	if (body < 0 || !match_add_item(r->m, key, size, allergen_free)) {
		snprintf(r->bad_key, sizeof r->bad_key, "%s", key);
		r->bad = r->bad_key;
		return 1;
	}
	return 0;
}

/* Bring the views up to date and read the open needs and offers and the catalogue; 0 or a code. */
static int read_views(struct ledger *l, struct match_set *m, uint64_t *min_shelf_days, bool shelf_given)
{
	struct chobo_error e;
	struct reader r = {.m = m};
	int rc = 0;
	if (!shelf_given)
		rc = cli_report(config_setting_u64(&l->conf, "supply.min_shelf_days", min_shelf_days, &e), &e);
	if (rc == 0)
		rc = cli_report(views_refresh(l, &e), &e);
	if (rc == 0)
		rc = cli_report(view_each(l, &supply_lines_view, each_line, &r, &e), &e);
	if (rc == 0 && !r.bad)
		rc = cli_report(view_each(l, &supply_catalogue_view, each_item, &r, &e), &e);
	if (rc == 0 && r.bad) {
		chobo_warn("%s: the stored value of %s cannot be read; run chain-verify --views", l->dir, r.bad);
		rc = EX_DATAERR;
	}
	return rc;
}

/* The supply.request entries of the proposals, appended as one batch; hashes[i] gets each leaf hash. */
static int commit(struct ledger *l, const char *dir, const struct match_set *m, const struct match_proposal *p,
		  size_t n, char (*hashes)[65])
{
	struct chobo_error e;
	struct note_signer key;
	struct batch batch = {0};
	struct json_doc doc = {0};
	struct view_text t = {0};
	int rc = cli_report(ledger_log_key(dir, &key, &e), &e);
	if (rc == 0 && strcmp(key.pub.name, l->conf.origin) != 0) {
		chobo_warn("%s/keys/node.key: a log key named %s, not %s", dir, key.pub.name, l->conf.origin);
		rc = EX_CONFIG;
	}
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
	uint64_t tree_size;
	char time[21];
	if (rc == 0 && (rc = ledger_append(l, &batch, &key, NULL, receipts, &tree_size, time, &e)) != 0) {
		cli_report(rc, &e);
		if (rc == EX_DATAERR)
			chobo_warn("nothing was appended; if the ledger changed since the match, run it again");
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		hex32(hashes[i], receipts[i].leaf_hash);
	note_signer_clear(&key);
	free(receipts);
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
		if (p[i].pledged)
			put(t, csv, 10, "true", NULL);
		else if (csv)
			put(t, csv, 10, "false", NULL);
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
		{"commit", no_argument, NULL, 'C'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	bool csv = false, do_commit = false, shelf_given = false;
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
		case 'C': do_commit = true; break;
		}
	}
	if (optind != argc)
		cli_usage_error(usage);
	if (min_shelf_days > 3650)
		chobo_die(EX_USAGE, "--min-shelf-days: at most 3650");
	if (!chobo_now(&now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");

	struct ledger l;
	struct chobo_error e;
	struct match_set m = {0};
	struct match_proposal *p = NULL;
	size_t n = 0;
	char (*hashes)[65] = NULL;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	if ((rc = read_views(&l, &m, &min_shelf_days, shelf_given)) == 0)
		match_run(&m, now, min_shelf_days, &p, &n);
	if (rc == 0 && do_commit && n > 0) {
		hashes = xcalloc(n, sizeof *hashes);
		rc = commit(&l, dir, &m, p, n, hashes);
	}
	int crc = cli_report(ledger_close(&l, &e), &e);
	if (rc == 0 && crc != 0 && hashes)
		chobo_warn("the requests were committed; the proposals follow");
	struct view_text t = {0};
	if (rc == 0 && (crc == 0 || hashes)) {
		print_proposals(&t, &m, p, n, do_commit ? hashes : NULL, csv);
		if (t.len > 0 && !write_all(1, t.p, t.len)) {
			chobo_warn_errno("write error on standard output");
			rc = EX_IOERR;
		}
	}
	if (rc == 0 && do_commit && n == 0)
		chobo_info("no proposals; nothing was appended");
	if (rc == 0)
		rc = crc;
	view_text_free(&t);
	free(hashes);
	free(p);
	match_set_free(&m);
	cli_exit(rc);
}
