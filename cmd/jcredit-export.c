/* jcredit-export: the J-Credit monitoring report for a period; checks a report against the ledger; records a certification. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "append.h"
#include "cli.h"
#include "codec.h"
#include "eco/eco.h"
#include "eco/report.h"
#include "jsonl.h"
#include "ledger.h"
#include "records.h"
#include "repeat.h"
#include "stored_entry.h"
#include "util.h"
#include "view.h"

static const char usage[] =
	"usage: jcredit-export [-q] [-L DIR] (--from DATE --to DATE | --fy YEAR) [--price YEN_PER_T]\n"
	"                      [--csv [--bom]] [-o FILE]\n"
	"       jcredit-export [-q] [-L DIR] --check REPORT\n"
	"       jcredit-export [-q] [-L DIR] --certify REPORT --credits T [--name NAME]\n"
	"The programme-type monitoring report: one row per member and device, findings, totals per\n"
	"methodology and credits in whole t-CO2 (JSON Lines, or CSV for Excel); --check recomputes a\n"
	"report from the ledger row by row; --certify records the credits the committee certified.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 1 a report that does not match the ledger, 64 usage, 65 bad data or a\n"
	"period outside the certification period or not over, 3 a certification recorded but its\n"
	"receipt not written, 74 output failed, 78 no\n"
	"eco.certification_start; other codes as in chobo(7).  See jcredit-export(1).\n";

#define CHECK_TEXT (256 * 1024)   /* a record's member as text: a row's list of leaf indexes */

static int64_t date_option(const char *opt, const char *value)
{
	int64_t d;
	if (!jp_date_parse(value, &d)) {
		chobo_warn("%s: \"%s\": %s", opt, value, jp_date_problem(value));
		cli_usage_error(usage);
	}
	return d;
}

/* Read and parse a report file: 0, or an exit code after a message. */
static int read_report(const char *path, struct jcredit_parsed *p, uint8_t sha[32])
{
	size_t len;
	char err[1024];
	char *text = read_file(path, CHOBO_MAX_BATCH_BYTES, &len);
	if (!text) {
		chobo_warn_errno("%s", path);
		return EX_NOINPUT;
	}
	crypto_hash_sha256(sha, (const unsigned char *)text, len);
	bool ok = jcredit_parse(text, len, path, p, err, sizeof err);
	free(text);
	if (!ok) {
		chobo_warn("%s", err);
		return EX_DATAERR;
	}
	return 0;
}

/* The report's records by label (row N, a total, credits), so that a record left out shifts nothing. */
struct read_labels {
	char (*label)[160];
	size_t *slot;         /* index + 1 into the records; 0: empty */
	bool *used;
	size_t mask;
};

static void read_labels_init(struct read_labels *t, const struct jcredit_parsed *p)
{
	size_t cap = 16;
	while (cap < 2 * p->n)
		cap *= 2;
	t->label = xcalloc(p->n + 1, sizeof *t->label);
	t->slot = xcalloc(cap, sizeof *t->slot);
	t->used = xcalloc(p->n + 1, sizeof *t->used);
	t->mask = cap - 1;
	for (size_t i = 0; i < p->n; i++) {
		jcredit_label(p->rec[i], t->label[i], sizeof t->label[i]);
		/* Every record gets a slot: records of one label (findings on one row) are found in their order. */
		size_t k = string_hash(t->label[i]) & t->mask;
		while (t->slot[k])
			k = (k + 1) & t->mask;
		t->slot[k] = i + 1;
	}
}

/* The index of the report's first unused record labelled label, or SIZE_MAX. */
static size_t read_labels_take(struct read_labels *t, const char *label)
{
	for (size_t k = string_hash(label) & t->mask; t->slot[k]; k = (k + 1) & t->mask) {
		size_t i = t->slot[k] - 1;
		if (!t->used[i] && strcmp(t->label[i], label) == 0) {
			t->used[i] = true;
			return i;
		}
	}
	return SIZE_MAX;
}

static void read_labels_free(struct read_labels *t)
{
	free(t->label);
	free(t->slot);
	free(t->used);
}

/*
 * Rebuild the report that p says it is (its period, price and checkpoints)
 * and compare it record by record, each built record with the report's
 * record of the same label (row N, a total, credits): 0 when every number
 * matches, EXIT_INVALID after naming each record that differs, is missing
 * from the report or is not on the ledger, else an error code.  Prints one
 * JSON line per record unless quiet: the ledger's in order, then the
 * report's extra ones.
 */
static int check_report(struct ledger *l, const char *path, const struct jcredit_parsed *p, bool print,
			struct jcredit_report *rep, struct chobo_error *e)
{
	struct jcredit_request req = {
		.from_day = p->from_day, .to_day = p->to_day,
		.certification_start = config_setting(&l->conf, "eco.certification_start"),
		.priced = p->priced, .price = p->price, .cuts = p->cuts, .ncuts = p->ncuts,
	};
	int rc = jcredit_build(l, &req, rep, e);
	if (rc != 0)
		return rc;
	/* Nothing of a log the report does not cite is checked: say so, since a log left out looks the same. */
	if (rep->uncited[0])
		chobo_warn("%s: log %s, held here, has readings of the period but is not cited by the report: "
			   "nothing of it is checked (it came after the report, or was left out of it; a report "
			   "cites every log its node held)", path, rep->uncited);
	char *want = xmalloc(CHECK_TEXT), *got = xmalloc(CHECK_TEXT), field[64], label[160];
	struct read_labels labels;
	read_labels_init(&labels, p);
	size_t differ = 0, n = rep->n, extra = 0;
	for (size_t i = 0; i < rep->n + p->n; i++) {
		const json_t *built = NULL, *read = NULL;
		if (i < rep->n) {
			built = rep->rec[i];
			jcredit_label(built, label, sizeof label);
			size_t r = read_labels_take(&labels, label);
			read = r != SIZE_MAX ? p->rec[r] : NULL;
		} else if (!labels.used[i - rep->n]) {
			read = p->rec[i - rep->n];
			snprintf(label, sizeof label, "%s", labels.label[i - rep->n]);
			extra++;
		} else {
			continue;
		}
		json_t *out;
		if (!built || !read) {
			differ++;
			chobo_warn("%s: %s: %s", path, label, built ? "missing from the report" : "not on the ledger");
			out = json_pack("{s:s, s:s}", "record", label, "result", built ? "missing" : "extra");
		} else if (jcredit_record_equal(built, read, field, sizeof field, want, got, CHECK_TEXT)) {
			out = json_pack("{s:s, s:s}", "record", label, "result", "matches");
		} else {
			differ++;
			chobo_warn("%s: %s: %s is \"%.200s\" in the report, \"%.200s\" on the ledger", path, label, field,
				   got, want);
			out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "record", label, "result", "differs", "field", field,
					"report", got, "ledger", want);
		}
		if (print)
			jsonl_print(out);
		else
			json_decref(out);
	}
	free(want);
	free(got);
	read_labels_free(&labels);
	n += extra;
	if (differ)
		return chobo_fail(e, EXIT_INVALID, "%s: %zu of %zu records do not match the ledger", path, differ, n);
	return 0;
}

/*
 * Whether the period's certification that counts is of this report (its
 * hash hex) with these credits, as a retried --certify would find it: 0
 * with rep set when it is (rep->is), 0 with rep->is false when no
 * certification counts for the period or it is another's (which the
 * ledger's rule then refuses, naming it), else an error.
 */
static int certified_before(struct ledger *l, const struct jcredit_parsed *p, const char *hex, uint64_t credits,
			    struct repeat *rep, struct chobo_error *e)
{
	char from[JP_DATE_LEN + 1], leaf[65], sha[65];
	struct stored_entry se = {0};
	memset(rep, 0, sizeof *rep);
	jp_date_format(from, p->from_day);
	struct view_state *s = view_stored(l, &eco_registry_view);
	int rc = eco_certification_get(s, from, leaf, e);
	view_state_free(s);
	if (rc != 0)
		return rc == EX_UNAVAILABLE ? 0 : rc;
	if ((rc = stored_entry_find(l, leaf, &se, e)) != 0)
		return rc;
	stored_body_str(&se.doc, se.body, "report_sha256", sha, sizeof sha);
	if (strcmp(sha, hex) == 0 && stored_body_int(&se.doc, se.body, "certified_t", -1) == (int64_t)credits)
		repeat_of_entry(rep, &se);
	stored_entry_free(&se);
	return 0;
}

/*
 * The committee's decision on a report that still matches the ledger,
 * appended as eco.certification; the same decision again is a duplicate.
 */
static int certify(struct ledger *l, const struct note_signer *key, const char *path, const struct jcredit_parsed *p,
		   const uint8_t sha[32], uint64_t credits, const char *name, struct chobo_error *e)
{
	struct jcredit_report rep;
	struct repeat again;
	char hex[65], to[JP_DATE_LEN + 1], today[JP_DATE_LEN + 1];
	int64_t now;
	bool test_clock;
	int rc = ledger_now(l, &now, &test_clock, e);
	if (rc != 0)
		return rc;
	jp_date_format(to, p->to_day);
	jp_date_format(today, jp_day_of(now));
	/* A period not over may have readings still to come; a year mistyped ahead would block every year before it. */
	if (p->to_day >= jp_day_of(now))
		return chobo_fail(e, EX_DATAERR, "%s: the period ends on %s, which is not over (today is %s in Japan): a "
				  "report is certified once its period has ended; nothing was recorded", path, to, today);
	hex32(hex, sha);
	rc = check_report(l, path, p, false, &rep, e);
	if (rc != 0)
		jcredit_report_free(&rep);
	if (rc == EXIT_INVALID)
		return chobo_fail(e, EX_DATAERR, "%s: the report does not match the ledger (see jcredit-export --check); "
				  "nothing was recorded", path);
	if (rc != 0)
		return rc;
	if ((rc = certified_before(l, p, hex, credits, &again, e)) != 0 || again.is) {
		jcredit_report_free(&rep);
		if (rc != 0)
			return rc;
		/* A retried script: the certification is recorded already, and nothing is appended. */
		json_t *line = repeat_line(&again);
		json_object_set_new(line, "type", json_string("eco.certification"));
		json_object_set_new(line, "certified_t", json_integer((json_int_t)credits));
		if (!jsonl_print(line))
			return chobo_fail_errno(e, EX_IOERR, "standard output");
		return 0;
	}
	if ((int64_t)credits > rep.credits_t) {
		rc = chobo_fail(e, EX_DATAERR, "%s: %" PRIu64 " t certified, but the report has %" PRId64 " t of credits",
				path, credits, rep.credits_t);
		jcredit_report_free(&rep);
		return rc;
	}
	const json_t *cr = rep.rec[rep.n - 1];
	char from[JP_DATE_LEN + 1], report[ECO_REPORT_MAX + 1];
	jp_date_format(from, p->from_day);
	snprintf(report, sizeof report, "%s", name ? name : "");
	if (!name)
		snprintf(report, sizeof report, "%s..%s", from, to);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "report", report, "from", from, "to", to,
				 "report_sha256", hex, "reduction_g", json_integer_value(json_object_get(cr, "reduction_g")),
				 "carried_in_g", json_integer_value(json_object_get(cr, "carried_in_g")), "certified_t",
				 (json_int_t)credits, "carried_g", (json_int_t)(rep.available_g - (int64_t)credits * 1000000));
	jcredit_report_free(&rep);
	if (!body)
		xalloc_failed();
	char why[512];
	struct batch b = {0};
	struct receipt receipt;
	uint64_t size;
	char time[21];
	if (!batch_add_body(&b, "eco.certification", body, why, sizeof why))
		rc = chobo_fail(e, EX_DATAERR, "eco.certification: %s", why);
	if (rc == 0 && (rc = ledger_append(l, &b, key, NULL, &receipt, &size, time, e)) == 0 &&
	    (!receipt_print(stdout, &receipt, "eco.certification", time, size) || fflush(stdout) != 0)) {
		char leaf[65];
		hex32(leaf, receipt.leaf_hash);
		rc = chobo_fail_errno(e, EXIT_STORED_UNREPORTED, "standard output: the certification is recorded, as entry %" PRIu64
				      " (%.16s), but its receipt was not written; the same --certify again is a "
				      "duplicate that prints it", receipt.index, leaf);
	}
	batch_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"fy", required_argument, NULL, 'y'},
		{"price", required_argument, NULL, 'p'},
		{"csv", no_argument, NULL, 'c'},
		{"bom", no_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"check", required_argument, NULL, 'k'},
		{"certify", required_argument, NULL, 'C'},
		{"credits", required_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *output = NULL, *check = NULL, *cert = NULL, *name = NULL;
	int64_t from = INT64_MIN, to = INT64_MIN;
	unsigned long long price = 0, credits = 0;
	bool priced = false, csv = false, bom = false, has_credits = false, by_fy = false, by_dates = false;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:o:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'f': from = date_option("--from", optarg); by_dates = true; break;
		case 't': to = date_option("--to", optarg); by_dates = true; break;
		case 'y': {
			unsigned long long fy = cli_u64("--fy", optarg);
			if (fy < 2000 || fy > 2100) {
				chobo_warn("--fy: expected a fiscal year from 2000 to 2100");
				cli_usage_error(usage);
			}
			from = jp_fiscal_year_start((int32_t)fy);
			to = jp_fiscal_year_start((int32_t)fy + 1) - 1;
			by_fy = true;
			break;
		}
		case 'p':
			price = cli_u64("--price", optarg);
			priced = true;
			if (price > JCREDIT_MAX_PRICE) {
				chobo_warn("--price: at most %lld yen per t-CO2", (long long)JCREDIT_MAX_PRICE);
				cli_usage_error(usage);
			}
			break;
		case 'c': csv = true; break;
		case 'b': bom = true; break;
		case 'o': output = optarg; break;
		case 'k': check = optarg; break;
		case 'C': cert = optarg; break;
		case 'n': credits = cli_u64("--credits", optarg); has_credits = true; break;
		case 'N': name = optarg; break;
		}
	}
	bool building = !check && !cert;
	if (optind != argc)
		cli_misuse(usage, "unexpected argument %s", argv[optind]);
	if (check && cert)
		cli_misuse(usage, "--check and --certify are two jobs: give one");
	if (by_fy && by_dates)
		cli_misuse(usage, "--fy is a period of its own: give --fy YEAR, or --from DATE and --to DATE");
	if (building && (from == INT64_MIN || to == INT64_MIN))
		cli_misuse(usage, "a report needs its period: --from DATE and --to DATE, or --fy YEAR");
	if (!building && (by_fy || by_dates || priced || csv || output))
		cli_misuse(usage, "%s reads its report: --from, --to, --fy, --price, --csv and -o are for writing one",
			   check ? "--check" : "--certify");
	if (bom && !csv)
		cli_misuse(usage, "--bom goes with --csv");
	if (cert && !has_credits)
		cli_misuse(usage, "--certify needs --credits T");
	if (!cert && (has_credits || name))
		cli_misuse(usage, "--credits and --name go with --certify");
	if (name && (!name[0] || strlen(name) > ECO_REPORT_MAX))
		cli_misuse(usage, "--name: 1 to %d bytes", ECO_REPORT_MAX);

	struct ledger l;
	struct note_signer key;
	struct chobo_error e = {0};
	struct jcredit_parsed parsed = {0};
	uint8_t sha[32];
	int rc = 0;
	if (!building && (rc = read_report(check ? check : cert, &parsed, sha)) != 0)
		cli_exit(rc);
	if (cert) {
		if ((rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e)) == 0) {
			rc = certify(&l, &key, cert, &parsed, sha, credits, name, &e);
			rc = cli_report(ledger_close_after(&l, rc, &e), &e);
			note_signer_clear(&key);
		}
		jcredit_parsed_free(&parsed);
		cli_exit(rc);
	}
	if ((rc = cli_report(ledger_open(&l, dir, STORE_NORMAL, &e), &e)) != 0)
		cli_exit(rc);
	rc = views_refresh(&l, &e);
	struct jcredit_report rep = {0};
	if (rc == 0 && check) {
		rc = check_report(&l, check, &parsed, !chobo_quiet, &rep, &e);
	} else if (rc == 0) {
		struct jcredit_request req = {
			.from_day = from, .to_day = to,
			.certification_start = config_setting(&l.conf, "eco.certification_start"),
			.priced = priced, .price = (int64_t)price,
		};
		rc = jcredit_build(&l, &req, &rep, &e);
	}
	rc = cli_report(ledger_close_after(&l, rc, &e), &e);
	if (rc == 0 && building) {
		struct replacement r = {.fp = stdout};
		if (output && (rc = cli_report(replace_open(&r, output, 0644, &e), &e)) != 0)
			cli_exit(rc);
		bool ok = csv ? jcredit_write_csv(r.fp, &rep, bom) : jcredit_write_jsonl(r.fp, &rep);
		if (output) {
			if (ok)
				rc = cli_report(replace_commit(&r, &e), &e);
			else
				replace_abort(&r);
		}
		if (!ok) {
			chobo_warn_errno("%s: write error", output ? output : "standard output");
			rc = EX_IOERR;
		}
		if (rc == 0 && rep.findings)
			chobo_warn("%zu findings: their rows are not eligible (the report lists them)", rep.findings);
		if (rc == 0 && rep.overlap[0])
			chobo_warn("the report certified for %s overlaps this period: its readings of the days both "
				   "share are counted again here, and --certify refuses this report", rep.overlap);
	}
	jcredit_report_free(&rep);
	jcredit_parsed_free(&parsed);
	cli_exit(rc);
}
