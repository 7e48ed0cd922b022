/* ecopt-redeem: shops take eco-points from members, shops are settled in yen; balances as JSON or CSV. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "append.h"
#include "cli.h"
#include "eco/eco.h"
#include "jsonl.h"
#include "ledger.h"
#include "points/points.h"
#include "util.h"

static const char usage[] =
	"usage: ecopt-redeem [-qn] [-L DIR] shop --shop CODE\n"
	"       ecopt-redeem [-qn] [-L DIR] spend --member ID --shop CODE --points N --ref REF\n"
	"       ecopt-redeem [-qn] [-L DIR] settle --shop CODE --points N --ref REF\n"
	"       ecopt-redeem [-L DIR] balance [--holder H] [--csv [--bom]]\n"
	"       ecopt-redeem [-L DIR] history --holder H [--csv [--bom]]\n"
	"-n, --dry-run: judge the movement by every rule as a run would (\"valid\"), append nothing.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data, 66 no account of --holder,\n"
	"3 output not written (the movement recorded is named), 74 output not written (nothing\n"
	"appended); other codes as in chobo(7).\n"
	"See ecopt-redeem(1).\n";

struct balance_ctx {
	bool csv;
	int64_t today;
	size_t rows;
};

static int balance_row(void *ctx, const struct points_account *a, const struct points_scheme *sc)
{
	struct balance_ctx *c = ctx;
	c->rows++;
	if (c->csv) {
		struct view_text t = {0};
		points_account_csv(&t, a, sc, c->today);
		fwrite(t.p, 1, t.len, stdout);
		view_text_free(&t);
	} else {
		jsonl_print(points_account_json(a, sc, c->today));
	}
	return 0;
}

static int count_row(void *ctx, const struct points_account *a, const struct points_scheme *sc)
{
	(void)a;
	(void)sc;
	(*(size_t *)ctx)++;
	return 0;
}

/* 0 when holder has an account in the eco scheme, else EX_NOINPUT (a mistyped ID prints nothing otherwise). */
static int holder_known(struct ledger *l, const char *holder, struct chobo_error *e)
{
	size_t n = 0;
	int rc = points_each_account(l, ECO_SCHEME, holder, count_row, &n, e);
	if (rc == 0 && n == 0)
		rc = chobo_fail(e, EX_NOINPUT, "%s has no account in the %s scheme", holder, ECO_SCHEME);
	return rc;
}


/* A holder's movements, oldest first, as JSON Lines or CSV (with bom, the mark first). */
static int history(struct ledger *l, const char *holder, bool csv, bool bom, struct chobo_error *e)
{
	struct points_movement *m;
	size_t n;
	int rc = points_history(l, ECO_SCHEME, holder, &m, &n, e);
	if (rc != 0)
		return rc;
	if (n == 0) {
		/* No movement: an account opened and never moved, or a holder mistyped. */
		free(m);
		return holder_known(l, holder, e);
	}
	if (csv)
		printf("%stime,log,index,movement,points,yen,ref,other,counted,refused\r\n", bom ? UTF8_BOM : "");
	for (size_t i = 0; i < n; i++) {
		char t[21];
		time_format(t, m[i].time);
		if (csv) {
			struct view_text v = {0};
			const char *f[] = {t, m[i].origin, NULL, m[i].movement, NULL, NULL, m[i].ref, m[i].other,
					   m[i].refused[0] ? "no" : "yes", m[i].refused};
			char idx[24], pts[24], yen[24];
			snprintf(idx, sizeof idx, "%" PRIu64, m[i].index);
			snprintf(pts, sizeof pts, "%" PRId64, m[i].points);
			snprintf(yen, sizeof yen, "%" PRId64, m[i].yen);
			f[2] = idx;
			f[4] = pts;
			f[5] = yen;
			for (size_t k = 0; k < 10; k++) {
				if (k)
					view_text_str(&v, ",");
				view_text_csv_field(&v, f[k], strlen(f[k]));
			}
			printf("%.*s\r\n", (int)v.len, v.p);
			view_text_free(&v);
			continue;
		}
		jsonl_print(json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:s?}", "time", t, "log",
				      m[i].origin, "index", (json_int_t)m[i].index, "entry", m[i].leaf, "movement", m[i].movement,
				      "points", (json_int_t)m[i].points, "yen", (json_int_t)m[i].yen, "ref", m[i].ref,
				      "other", m[i].other, "counted", !m[i].refused[0], "refused",
				      m[i].refused[0] ? m[i].refused : NULL));
	}
	free(m);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"member", required_argument, NULL, 'm'},
		{"holder", required_argument, NULL, 'H'},
		{"shop", required_argument, NULL, 's'},
		{"points", required_argument, NULL, 'p'},
		{"ref", required_argument, NULL, 'r'},
		{"csv", no_argument, NULL, 'c'},
		{"bom", no_argument, NULL, 'b'},
		{"dry-run", no_argument, NULL, 'n'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *member = NULL, *shop = NULL, *ref = NULL, *holder = NULL;
	unsigned long long points = 0;
	bool csv = false, bom = false, dry_run = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:nhVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'm': member = cli_text("--member", optarg); break;
		case 'H': holder = cli_text("--holder", optarg); break;
		case 's': shop = cli_text("--shop", optarg); break;
		case 'r': ref = cli_text("--ref", optarg); break;
		case 'p': points = cli_u64("--points", optarg); break;
		case 'c': csv = true; break;
		case 'b': bom = true; break;
		case 'n': dry_run = true; break;
		}
	}
	if (optind == argc)
		cli_misuse(usage, "what to do: shop, spend, settle, balance or history");
	if (optind + 1 != argc)
		cli_misuse(usage, "one thing to do at a time; unexpected %s", argv[optind + 1]);
	const char *what = argv[optind];
	bool is_shop = strcmp(what, "shop") == 0, spend = strcmp(what, "spend") == 0, settle = strcmp(what, "settle") == 0;
	bool is_history = strcmp(what, "history") == 0;
	if (!is_shop && !spend && !settle && !is_history && strcmp(what, "balance") != 0)
		cli_misuse(usage, "%s: not shop, spend, settle, balance or history", what);
	/* A BOM is for the CSV this program writes, so that Excel reads it as UTF-8. */
	if (bom && (!csv || is_shop || spend || settle))
		cli_misuse(usage, "--bom goes with --csv of balance or history");
	if (dry_run && !is_shop && !spend && !settle)
		cli_misuse(usage, "%s appends nothing: --dry-run is for shop, spend and settle", what);
	if (is_history && !holder)
		cli_misuse(usage, "history needs --holder ID");
	if ((is_shop || spend || settle) && !shop)
		cli_misuse(usage, "%s needs --shop SHOP", what);
	if (spend && !member)
		cli_misuse(usage, "spend needs --member ID");
	if ((spend || settle) && !ref)
		cli_misuse(usage, "%s needs --ref REF (unique in the scheme: the same movement again moves nothing)", what);
	if ((spend || settle) && !points)
		cli_misuse(usage, "%s needs --points N, at least 1", what);
	if (is_shop || spend || settle) {
		struct points_request q = {.op = is_shop ? POINTS_OP_SHOP : spend ? POINTS_OP_SPEND : POINTS_OP_SETTLE,
					   .scheme = ECO_SCHEME, .member = member, .shop = shop, .ref = ref,
					   .points = (int64_t)points, .dry_run = dry_run};
		cli_exit(points_redeem_run(dir, &q));
	}
	/* balance or history: a reader. */
	struct ledger l;
	struct chobo_error e = {0};
	int64_t now;
	if (!chobo_now(&now))
		chobo_die(EX_OSERR, "cannot read the clock");
	struct balance_ctx c = {.csv = csv, .today = jp_day_of(now)};
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	if (is_history)
		cli_exit(cli_report(ledger_close_after(&l, history(&l, holder, csv, bom, &e), &e), &e));
	if (csv)
		printf("%s" POINTS_ACCOUNT_CSV_HEADER, bom ? UTF8_BOM : "");
	rc = points_each_account(&l, ECO_SCHEME, holder, balance_row, &c, &e);
	if (rc == 0 && holder && c.rows == 0)
		rc = chobo_fail(&e, EX_NOINPUT, "%s has no account in the %s scheme", holder, ECO_SCHEME);
	cli_exit(cli_report(ledger_close_after(&l, rc, &e), &e));
}
