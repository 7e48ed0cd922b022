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
	"usage: ecopt-redeem [-q] [-L DIR] shop --shop CODE\n"
	"       ecopt-redeem [-q] [-L DIR] spend --member ID --shop CODE --points N --ref REF\n"
	"       ecopt-redeem [-q] [-L DIR] settle --shop CODE --points N --ref REF\n"
	"       ecopt-redeem [-L DIR] balance [--holder H] [--csv]\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 64 usage, 65 bad data; other codes as in chobo(7).\n"
	"See ecopt-redeem(1).\n";

struct balance_ctx {
	const char *holder;
	bool csv;
	int64_t today;
};

static int balance_row(void *ctx, const char *key, const char *value, size_t len)
{
	struct balance_ctx *c = ctx;
	static struct points_account a;
	if (strncmp(key, "acct/" ECO_SCHEME "/", strlen("acct/" ECO_SCHEME "/")) != 0 ||
	    !points_account_parse(value, len, &a) || (c->holder && strcmp(c->holder, a.holder) != 0))
		return 0;
	int64_t avail = points_available(&a, c->today);
	if (c->csv) {
		printf("%s,%s,%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\r\n",
		       a.scheme, a.holder, a.kind, a.home, avail, a.credited, a.debited, a.received, a.settled, a.yen);
		return 0;
	}
	json_t *lots = json_array();
	for (size_t i = 0; i < a.nlots; i++)
		json_array_append_new(lots, json_pack("{s:s?, s:I}", "expires", a.lots[i].expires[0] ? a.lots[i].expires :
						      NULL, "points", (json_int_t)a.lots[i].points));
	jsonl_print(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "scheme", a.scheme,
			      "holder", a.holder, "kind", a.kind, "home", a.home, "balance", (json_int_t)avail, "credited",
			      (json_int_t)a.credited, "debited", (json_int_t)a.debited, "received",
			      (json_int_t)a.received, "settled", (json_int_t)a.settled, "yen", (json_int_t)a.yen,
			      "expired", (json_int_t)(a.expired + points_balance(&a) - avail), "lots", lots));
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
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *member = NULL, *shop = NULL, *ref = NULL, *holder = NULL;
	unsigned long long points = 0;
	bool csv = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'm': member = optarg; break;
		case 'H': holder = optarg; break;
		case 's': shop = optarg; break;
		case 'r': ref = optarg; break;
		case 'p': points = cli_u64("--points", optarg); break;
		case 'c': csv = true; break;
		}
	}
	if (optind + 1 != argc)
		cli_usage_error(usage);
	const char *what = argv[optind];
	bool is_shop = strcmp(what, "shop") == 0, spend = strcmp(what, "spend") == 0, settle = strcmp(what, "settle") == 0;
	if (!is_shop && !spend && !settle && strcmp(what, "balance") != 0)
		cli_usage_error(usage);
	if ((is_shop && !shop) || (spend && (!member || !shop || !ref || !points)) || (settle && (!shop || !ref || !points)))
		cli_usage_error(usage);
	struct ledger l;
	struct note_signer key;
	struct chobo_error e = {0};
	int rc;
	if (!is_shop && !spend && !settle) {
		int64_t now;
		if (!chobo_now(&now))
			chobo_die(EX_OSERR, "cannot read the clock");
		struct balance_ctx c = {.holder = holder, .csv = csv, .today = jp_day_of(now)};
		if ((rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) != 0)
			cli_exit(rc);
		if (csv)
			printf("scheme,holder,kind,home,balance,credited,debited,received,settled,yen\r\n");
		rc = view_each(&l, &points_accounts_view, balance_row, &c, &e);
		cli_exit(cli_report(ledger_close_after(&l, rc, &e), &e));
	}
	if ((rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e)) != 0)
		cli_exit(rc);
	json_t *body;
	const char *type;
	if (is_shop) {
		type = "points.open";
		body = json_pack("{s:s, s:s, s:s}", "scheme", ECO_SCHEME, "holder", shop, "kind", "shop");
	} else if (spend) {
		type = "points.debit";
		body = json_pack("{s:s, s:s, s:I, s:s, s:s}", "scheme", ECO_SCHEME, "holder", member, "points",
				 (json_int_t)points, "ref", ref, "shop", shop);
	} else {
		struct points_scheme sc = {0};
		struct view_state *s = view_stored(&l, &points_accounts_view);
		rc = points_scheme_get(s, ECO_SCHEME, &sc, &e);
		view_state_free(s);
		if (rc == EX_UNAVAILABLE)
			rc = chobo_fail(&e, EX_DATAERR, "no points.scheme %s: its yen per point is not known", ECO_SCHEME);
		type = "points.settle";
		body = json_pack("{s:s, s:s, s:I, s:I, s:s}", "scheme", ECO_SCHEME, "holder", shop, "points",
				 (json_int_t)points, "yen", (json_int_t)(points * (unsigned long long)sc.yen_per_point), "ref", ref);
	}
	/* The same reference again moves nothing: report the first movement, append nothing. */
	char leaf[65], why[1024];
	bool duplicate = false;
	if (rc == 0 && ref) {
		struct view_state *s = view_stored(&l, &points_accounts_view);
		int r = points_ref_get(s, ECO_SCHEME, ref, leaf, why, sizeof why, &e);
		view_state_free(s);
		duplicate = r == 0;
		rc = r == EX_UNAVAILABLE || r == 0 ? 0 : r;
	}
	struct receipt receipt;
	uint64_t size = 0;
	char time[21] = "";
	if (rc == 0 && !duplicate) {
		struct batch b = {0};
		struct json_doc doc = {0};
		json_t *entry = json_pack("{s:s, s:O}", "type", type, "body", body);
		char *line = json_dumps(entry, JSON_COMPACT);
		if (!line)
			xalloc_failed();
		if (!batch_add_line(&b, line, strlen(line), &doc, why, sizeof why))
			rc = chobo_fail(&e, EX_DATAERR, "%s", why);
		if (rc == 0)
			rc = ledger_append(&l, &b, &key, NULL, &receipt, &size, time, &e);
		if (rc != 0)
			snprintf(e.msg + strlen(e.msg), sizeof e.msg - strlen(e.msg), "; nothing was appended");
		free(line);
		json_decref(entry);
		json_doc_free(&doc);
		batch_free(&b);
	}
	rc = cli_report(ledger_close_after(&l, rc, &e), &e);
	note_signer_clear(&key);
	if (rc == 0 && duplicate)
		jsonl_print(json_pack("{s:s, s:s, s:s}", "result", "duplicate", "ref", ref, "entry", leaf));
	else if (rc == 0)
		receipt_print(stdout, &receipt, type, time, size);
	json_decref(body);
	cli_exit(rc);
}
