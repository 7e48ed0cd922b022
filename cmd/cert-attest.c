/* cert-attest: record documents' SHA-256 as doc.attest entries and print each one's signed QR payload. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "append.h"
#include "cli.h"
#include "codec.h"
#include "jsonl.h"
#include "ledger.h"
#include "payload.h"
#include "util.h"

static const char usage[] =
	"usage: cert-attest [-q] [-L DIR] --kind KIND [--issuer NAME] [--expires TIME] FILE...\n"
	"Append one doc.attest entry per FILE (its SHA-256) in one batch; print each one's\n"
	"receipt and signed QR payload as JSON Lines.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 3 stored but output not written, 64 usage, 65 bad data, 66 no input,\n"
	"70 internal error, 71 system error, 74 I/O error, 75 busy, 77 no permission, 78 configuration.\n"
	"See cert-attest(1).\n";

struct request {
	const char *kind, *issuer, *expires;
	int64_t expires_sec;
	char issued[21];
	char *const *files;
	size_t nfiles;
};

/* The body of one attestation's doc.attest entry. */
static json_t *attest_body(const struct request *q, const char *sha, const char *issuer)
{
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "sha256", sha, "issuer", issuer, "issued", q->issued,
				 "kind", q->kind);
	if (!body || (q->expires && json_object_set_new(body, "expires", json_string(q->expires)) != 0))
		chobo_die(EX_OSERR, "out of memory");
	return body;
}

/* Validate every attestation as chain-append would and put it into b; 0 or EX_USAGE with err. */
static int build_batch(const struct request *q, char (*sha)[65], const char *origin, struct batch *b,
		       struct chobo_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < q->nfiles; i++) {
		char why[256];
		if (!batch_add_body(b, "doc.attest", attest_body(q, sha[i], q->issuer ? q->issuer : origin), why,
				    sizeof why))
			rc = chobo_fail(err, EX_USAGE, "%s: %s; nothing was appended", q->files[i], why);
	}
	return rc;
}

/*
 * The payload of attestation index: kind doc.attest, one field sha256, valid
 * through the last day (JST) that ends by the expiry (a payload's validity is
 * in whole days, and must never outlast the entry's).
 */
static int attest_payload(const struct request *q, const char *sha, uint64_t index,
			  const struct note_signer *key, char **out, struct chobo_error *err)
{
	struct payload p = {.index = index, .not_before = PAYLOAD_NO_TIME, .not_after = PAYLOAD_NO_TIME};
	snprintf(p.issuer, sizeof p.issuer, "%s", key->pub.name);
	snprintf(p.kind, sizeof p.kind, "doc.attest");
	if (q->expires) {
		p.not_after = payload_last_day(q->expires_sec);
		if (p.not_after < payload_day_start(0))
			return chobo_fail(err, EX_USAGE, "--expires is before the first day a payload can name");
	}
	if (!payload_add_field(&p, "sha256", sha))
		return chobo_fail(err, EX_SOFTWARE, "a SHA-256 that a payload does not take");
	return payload_encode(&p, key, out, err);
}

static int attest(const char *dir, const struct request *q, char (*sha)[65])
{
	struct ledger l;
	struct note_signer key;
	struct batch batch = {0};
	struct receipt *receipts = xcalloc(q->nfiles, sizeof *receipts);
	char **payloads = xcalloc(q->nfiles, sizeof *payloads);
	uint64_t tree_size = 0;
	char time[21], origin[NOTE_MAX_NAME + 1] = "";
	struct chobo_error e;
	int rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e);
	if (rc != 0)
		goto out;
	rc = cli_report(build_batch(q, sha, l.conf.origin, &batch, &e), &e);
	if (rc == 0)
		rc = cli_report(ledger_append(&l, &batch, &key, NULL, receipts, &tree_size, time, &e), &e);
	/* The entries are committed: a payload that cannot be made is reported, the rest printed. */
	int prc = 0;
	for (size_t i = 0; rc == 0 && i < q->nfiles; i++)
		if (prc == 0)
			prc = cli_report(attest_payload(q, sha[i], receipts[i].index, &key, &payloads[i], &e), &e);
	note_signer_clear(&key);
	snprintf(origin, sizeof origin, "%s", l.conf.origin);   /* for a message after the close */
	int crc = cli_report(ledger_close(&l, &e), &e);
	if (rc == 0 && (crc != 0 || prc != 0))
		chobo_warn("the attestations were committed; chain-proof receipt --leaf HASH proves each one");
	if (rc == 0)
		rc = prc;

	bool lost = false;
	for (size_t i = 0; rc == 0 && !lost && i < q->nfiles; i++) {
		char leaf[65];
		hex32(leaf, receipts[i].leaf_hash);
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "file", q->files[i], "sha256", sha[i],
				      "leaf_index", (json_int_t)receipts[i].index, "leaf_hash", leaf,
				      "payload", payloads[i]);
		if (!o)
			chobo_die(EX_OSERR, "out of memory");
		lost = !jsonl_print(o);
	}
	if (rc == 0 && (lost || fflush(stdout) != 0 || ferror(stdout)))
		rc = cli_output_lost(q->nfiles, receipts[0].index, receipts[q->nfiles - 1].index, origin,
				     "attesting the same files again records them a second time; chain-proof receipt "
				     "--index N proves each one");
out:
	for (size_t i = 0; i < q->nfiles; i++)
		free(payloads[i]);
	free(payloads);
	free(receipts);
	batch_free(&batch);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"kind", required_argument, NULL, 'k'},
		{"issuer", required_argument, NULL, 'i'},
		{"expires", required_argument, NULL, 'e'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct request q = {0};
	const char *dir = ledger_default_dir();
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'k': q.kind = optarg; break;
		case 'i': q.issuer = optarg; break;
		case 'e': q.expires = optarg; break;
		}
	}
	if (!q.kind || optind == argc)
		cli_usage_error(usage);
	if (!utf8_valid((const uint8_t *)q.kind, strlen(q.kind)) ||
	    (q.issuer && !utf8_valid((const uint8_t *)q.issuer, strlen(q.issuer))))
		chobo_die(EX_USAGE, "--kind and --issuer must be UTF-8");
	if (q.expires && !time_parse(q.expires, &q.expires_sec))
		chobo_die(EX_USAGE, "--expires: expected an RFC 3339 time, not %s", q.expires);
	int64_t now;
	if (!chobo_now(&now))
		chobo_die(EX_USAGE, "CHOBO_NOW is not an RFC 3339 time");
	time_format(q.issued, now);
	q.files = argv + optind;
	q.nfiles = (size_t)(argc - optind);

	/* Every file is read before the ledger is touched: one that cannot be read appends nothing. */
	char (*sha)[65] = xcalloc(q.nfiles, sizeof *sha);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < q.nfiles; i++) {
		uint8_t h[32];
		struct chobo_error e;
		if (!utf8_valid((const uint8_t *)q.files[i], strlen(q.files[i])))
			rc = chobo_fail(&e, EX_USAGE, "a file name that is not UTF-8");
		else
			rc = file_sha256(q.files[i], h, &e);
		if (rc != 0)
			chobo_warn("%s; nothing was appended", e.msg);
		else
			hex32(sha[i], h);
	}
	if (rc == 0)
		rc = attest(dir, &q, sha);
	free(sha);
	cli_exit(rc);
}
