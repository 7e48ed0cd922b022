/*
 * A test service, "test", driven by tests/t-debit.sh: accounts credited and
 * debited (test.credit, test.debit: {account, amount}), their balances as a
 * view (test.balances), and a rule checked under the ledger lock by the one
 * write path: no batch may leave a balance below the setting test.floor.
 *
 *   t-debit [-L DIR] credit ACCOUNT AMOUNT
 *   t-debit [-L DIR] debit ACCOUNT AMOUNT...   (one batch: refused whole, exit 65)
 *   t-debit [-L DIR] balance ACCOUNT           (the stored view's value, 0 if none)
 *   t-debit [-L DIR] verify-views              (view_check of every registered view)
 *   t-debit [-L DIR] verify-index              (entry_index_check)
 *
 * T_DEBIT_VIEW_VERSION=N gives test.balances version N (default 1), as a
 * new release of the service would.
 *
 * Each command opens, uses and closes the ledger once, as a program would.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "cli.h"
#include "entry_index.h"
#include "ledger.h"
#include "service.h"
#include "view.h"
#include "util.h"

static const char usage[] =
	"usage: t-debit [-L DIR] credit ACCOUNT AMOUNT | debit ACCOUNT AMOUNT... | balance ACCOUNT |\n"
	"               verify-views | verify-index\n";

/* ---------------------------------------------------------------- the service */

static const struct field_spec money_fields[] = {
	{"account", FIELD_STRING, true, 64, false},
	{"amount", FIELD_UINT, true, 0, false},
	{NULL, 0, false, 0, false},
};

static const struct entry_type test_types[] = {
	{"test.credit", "money into an account", money_fields, NULL, NULL},
	{"test.debit", "money out of an account", money_fields, NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static bool floor_valid(const char *value, char *why, size_t whylen)
{
	uint64_t v;
	if (parse_u64(value, &v) && v <= INT64_MAX)
		return true;
	snprintf(why, whylen, "expected a whole number of units");
	return false;
}

static const struct setting_spec test_settings[] = {
	{"test.floor", "the lowest balance a batch may leave", "0", floor_valid},
	{NULL, NULL, NULL, NULL},
};

/* A balance as the view stores it: a JSON integer. */
static int balance_of(struct view_state *s, const char *account, int64_t *out, struct chobo_error *err)
{
	const char *value;
	size_t len;
	char buf[24];
	*out = 0;
	int rc = view_get(s, account, &value, &len, err);
	if (rc == EX_UNAVAILABLE)
		return 0;
	if (rc != 0)
		return rc;
	char *end;
	if (len == 0 || len >= sizeof buf)
		return chobo_fail(err, EX_DATAERR, "test.balances: a malformed balance of %s", account);
	memcpy(buf, value, len);
	buf[len] = '\0';
	*out = strtoll(buf, &end, 10);
	if (*end)
		return chobo_fail(err, EX_DATAERR, "test.balances: a malformed balance of %s", account);
	return 0;
}

static int balances_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char account[65];
	int64_t amount, balance;
	long a = jscan_find(e->doc, e->body, "account"), n = jscan_find(e->doc, e->body, "amount");
	if (a < 0 || n < 0 || !jscan_string_copy(e->doc, (size_t)a, account, sizeof account) ||
	    !jscan_integer(e->doc, (size_t)n, &amount))
		return chobo_fail(err, EX_DATAERR, "test.balances: %s entry %" PRIu64 " is malformed", e->origin,
				  e->index);
	int rc = balance_of(s, account, &balance, err);
	if (rc != 0)
		return rc;
	bool over = strcmp(e->type->name, "test.credit") == 0 ? __builtin_add_overflow(balance, amount, &balance)
							     : __builtin_sub_overflow(balance, amount, &balance);
	if (over)
		return chobo_fail(err, EX_DATAERR, "test.balances: the balance of %s overflows", account);
	struct view_text t = {0};
	view_text_int(&t, balance);
	rc = view_put(s, account, t.p, t.len, err);
	view_text_free(&t);
	return rc;
}

static const char *const balance_types[] = {"test.credit", "test.debit", NULL};

/* Not const: T_DEBIT_VIEW_VERSION stands for a new release of the reducer. */
static struct view_spec balances = {
	.name = "test.balances",
	.summary = "each account's balance",
	.types = balance_types,
	.version = 1,
	.apply = balances_apply,
};

static const struct view_spec *const test_views[] = {&balances, NULL};

static const struct service test_service = {
	.name = "test",
	.summary = "accounts for testing the write path's rule",
	.types = test_types,
	.settings = test_settings,
	.views = test_views,
};

/*
 * The rule: after the batch (already in the views), no account it touches
 * is below test.floor.  Runs inside the append's transaction.
 */
static int floor_rule(void *ctx, struct ledger *l, const struct batch *b, struct chobo_error *err)
{
	(void)ctx;
	uint64_t floor;
	int rc = config_setting_u64(&l->conf, "test.floor", &floor, err);
	if (rc != 0)
		return rc;
	struct view_state *s = view_stored(l, &balances);
	struct json_doc doc = {0};
	char why[256];
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		char account[65];
		int64_t balance;
		long a;
		if (!json_scan(&doc, b->buf + b->items[i].off, b->items[i].len, why, sizeof why) ||
		    (a = jscan_find(&doc, 0, "account")) < 0 ||
		    !jscan_string_copy(&doc, (size_t)a, account, sizeof account))
			rc = chobo_fail(err, EX_SOFTWARE, "batch entry %zu cannot be read", i);
		else if ((rc = balance_of(s, account, &balance, err)) == 0 && balance < (int64_t)floor)
			rc = chobo_fail(err, EX_DATAERR,
					"account %s: the batch would leave a balance of %" PRId64
					", below the floor of %" PRIu64, account, balance, floor);
	}
	json_doc_free(&doc);
	view_state_free(s);
	return rc;
}

/* ---------------------------------------------------------------- commands */

/* Append one batch of type's entries, one per amount, under the rule; 0 or an exit code. */
static int post(const char *dir, const char *type, const char *account, char **amounts, int n)
{
	struct batch b = {0};
	struct json_doc doc = {0};
	char line[256], why[256];
	int rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		struct entry_input in;
		snprintf(line, sizeof line, "{\"type\":\"%s\",\"body\":{\"account\":\"%s\",\"amount\":%s}}", type,
			 account, amounts[i]);
		if (!entry_input_parse(line, strlen(line), &doc, &in, why, sizeof why)) {
			chobo_warn("%s", why);
			rc = EX_USAGE;
		} else if (!batch_add(&b, &in)) {
			chobo_warn("batch too large");
			rc = EX_USAGE;
		}
	}
	json_doc_free(&doc);

	struct ledger l;
	struct note_signer key;
	struct chobo_error e;
	struct append_rule rule = {.check = floor_rule};
	struct receipt *receipts = xcalloc((size_t)n, sizeof *receipts);
	uint64_t size;
	char time[21];
	if (rc == 0 && (rc = cli_report(ledger_log_key(dir, &key, &e), &e)) == 0) {
		if ((rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) == 0) {
			rc = cli_report(ledger_append(&l, &b, &key, &rule, receipts, &size, time, &e), &e);
			int crc = cli_report(ledger_close(&l, &e), &e);
			if (rc == 0)
				rc = crc;
		}
		note_signer_clear(&key);
	}
	free(receipts);
	batch_free(&b);
	return rc;
}

static int balance(const char *dir, const char *account)
{
	struct ledger l;
	struct chobo_error e;
	int64_t v;
	int rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e);
	if (rc != 0)
		return rc;
	struct view_state *s = view_stored(&l, &balances);
	if ((rc = cli_report(balance_of(s, account, &v, &e), &e)) == 0)
		printf("%" PRId64 "\n", v);
	view_state_free(s);
	int crc = cli_report(ledger_close(&l, &e), &e);
	return rc ? rc : crc;
}

static int verify(const char *dir, bool views)
{
	struct ledger l;
	struct chobo_error e;
	int rc = cli_report(ledger_open(&l, dir, STORE_AUDIT, &e), &e);
	if (rc != 0)
		return rc;
	if (!views) {
		rc = cli_report(entry_index_check(l.store, &e), &e);
	} else {
		for (const struct service *const *s = service_list(); rc == 0 && *s; s++)
			for (const struct view_spec *const *v = (*s)->views; rc == 0 && v && *v; v++)
				rc = cli_report(view_check(&l, *v, &e), &e);
	}
	int crc = cli_report(ledger_close(&l, &e), &e);
	return rc ? rc : crc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir();
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "+L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		if (opt == 'L')
			dir = optarg;
	}
	const char *version = getenv("T_DEBIT_VIEW_VERSION");
	uint64_t v;
	if (version && parse_u64(version, &v) && v <= UINT32_MAX)
		balances.version = (uint32_t)v;
	struct chobo_error e;
	if (cli_report(service_register(&test_service, &e), &e) != 0)
		cli_exit(EX_SOFTWARE);
	int n = argc - optind;
	const char *cmd = n > 0 ? argv[optind] : "";
	int rc;
	if (strcmp(cmd, "credit") == 0 && n == 3)
		rc = post(dir, "test.credit", argv[optind + 1], argv + optind + 2, 1);
	else if (strcmp(cmd, "debit") == 0 && n >= 3)
		rc = post(dir, "test.debit", argv[optind + 1], argv + optind + 2, n - 2);
	else if (strcmp(cmd, "balance") == 0 && n == 2)
		rc = balance(dir, argv[optind + 1]);
	else if (strcmp(cmd, "verify-views") == 0 && n == 1)
		rc = verify(dir, true);
	else if (strcmp(cmd, "verify-index") == 0 && n == 1)
		rc = verify(dir, false);
	else
		cli_usage_error(usage);
	cli_exit(rc);
}
