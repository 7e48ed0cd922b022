/* cert-revoke: revoke entries of this node's log (attestations, payloads' entries) by their leaf hashes. */
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
#include "repeat.h"
#include "revocation.h"
#include "stored_entry.h"
#include "util.h"

static const char usage[] =
	"usage: cert-revoke [-q] [-L DIR] --reason REASON HASH...\n"
	"Append one revoke entry per leaf HASH of this node's log in one batch; print receipts.\n"
	"REASON: superseded, withdrawn, error or key-compromise.\n"
	"Environment: CHOBO_LEDGER, CHOBO_NOW, CHOBO_LOCK_WAIT.\n"
	"Exit status: 0 success, 3 stored but output not written, 64 usage, 65 bad data, 66 no input,\n"
	"71 system error, 74 I/O error, 75 busy, 77 no permission, 78 configuration.  See cert-revoke(1).\n";

/* The body of the revoke of ref for reason, new. */
static json_t *revoke_body(const char *ref, const char *reason)
{
	json_t *body = json_pack("{s:s, s:s}", "ref", ref, "reason", reason);
	if (!body)
		xalloc_failed();
	return body;
}

/* Validate every revocation as chain-append would, before the ledger is opened; 0 or EX_USAGE with err. */
static int check_revocations(char *const *refs, size_t n, const char *reason, struct chobo_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *body = revoke_body(refs[i], reason);
		char why[256];
		if (!entry_body_valid("revoke", body, why, sizeof why))
			rc = chobo_fail(err, EX_USAGE, "%s: %s; nothing was appended", refs[i], why);
		json_decref(body);
	}
	return rc;
}

/* The revocations but the repeats (rep[i].entry.is) into b; 0 or EX_DATAERR with err. */
static int build_batch(char *const *refs, size_t n, const char *reason, const struct revocation *rep,
		       struct batch *b, struct chobo_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char why[256];
		if (!rep[i].entry.is && !batch_add_body(b, "revoke", revoke_body(refs[i], reason), why, sizeof why))
			return chobo_fail(err, EX_DATAERR, "%s: %s; nothing was appended", refs[i], why);
	}
	return 0;
}

/*
 * Each HASH held by the ledger must name an entry that a payload names (an
 * attestation, a box label's shipment, a volunteer certificate), or a
 * revocation, which the rules refuse with their own reason: cert-check reads
 * revocations, but no service undoes a reading, a movement or a need for
 * one, so revoking such an entry would change nothing while saying it did.
 * A hash the ledger does not hold is left to the rules too; a repeat
 * (rep[i]) was revocable when it was revoked.  0 or a code.
 */
static int revocable(struct ledger *l, char *const *refs, size_t n, const struct revocation *rep,
		     struct chobo_error *err)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t hash[32];
		uint32_t log;
		uint64_t index;
		struct stored_entry se = {0};
		if (rep[i].entry.is || !hex_decode(hash, sizeof hash, refs[i]))
			continue;   /* revoked before, or refused by check_revocations already */
		int rc = ledger_find_leaf(l, hash, &log, &index, err);
		if (rc == EX_NOINPUT)
			continue;
		if (rc != 0 || (rc = stored_entry_read(l, log, index, &se, err)) != 0)
			return rc;
		const char *type = se.type ? se.type->name : "entry of an unknown type";
		if (strcmp(type, "revoke") != 0 && !payload_kind_summary(type))
			rc = chobo_fail(err, EX_DATAERR, "%s: entry %llu of %s is a %s, which no payload names: cert-revoke "
					"revokes attestations, box labels and volunteer certificates; nothing was appended",
					refs[i], (unsigned long long)index, se.origin, type);
		stored_entry_free(&se);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * The hashes this node's log revoked before for reason: a revocation run
 * again repeats them (the rules refuse a second revoke), so each is left
 * out and reported with the revoke that counts; one revoked for another
 * reason is refused, naming it.  rep[i] for refs[i]; 0 or a code with err.
 */
static int find_repeats(struct ledger *l, char *const *refs, size_t n, const char *reason,
			struct revocation *rep, size_t *repeats, struct chobo_error *err)
{
	int rc = 0;
	*repeats = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((rc = revocation_own(l, refs[i], &rep[i], err)) != 0 || !rep[i].entry.is)
			continue;
		(*repeats)++;
		if (strcmp(rep[i].reason, reason) != 0)
			rc = chobo_fail(err, EX_DATAERR, "%s: already revoked, as %s, by entry %llu (%.16s); nothing "
					"was appended", refs[i], rep[i].reason, (unsigned long long)rep[i].entry.index,
					rep[i].entry.leaf);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"ledger", required_argument, NULL, 'L'},
		{"reason", required_argument, NULL, 'r'},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = ledger_default_dir(), *reason = NULL;
	int opt;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "L:hVq", options, NULL)) != -1) {
		if (cli_common_option(opt, usage))
			continue;
		switch (opt) {
		case 'L': dir = optarg; break;
		case 'r': reason = optarg; break;
		}
	}
	if (!reason || optind == argc)
		cli_usage_error(usage);
	char *const *refs = argv + optind;
	size_t n = (size_t)(argc - optind);
	/* What is not UTF-8 cannot be a reason or a hash, nor go into JSON. */
	if (!utf8_valid((const uint8_t *)reason, strlen(reason)))
		chobo_die(EX_USAGE, "--reason must be superseded, withdrawn, error or key-compromise");
	for (size_t i = 0; i < n; i++)
		if (!utf8_valid((const uint8_t *)refs[i], strlen(refs[i])))
			chobo_die(EX_USAGE, "a HASH that is not UTF-8; nothing was appended");

	struct chobo_error e;
	int rc = cli_report(check_revocations(refs, n, reason, &e), &e);
	if (rc != 0)
		cli_exit(rc);
	struct ledger l;
	struct note_signer key;
	struct batch batch = {0};
	struct receipt *receipts = xcalloc(n, sizeof *receipts);
	struct revocation *rep = xcalloc(n, sizeof *rep);
	size_t repeats = 0;
	uint64_t tree_size = 0;
	char time[21] = "", origin[NOTE_MAX_NAME + 1] = "";
	if ((rc = cli_report(ledger_open_append(&l, dir, &key, &e), &e)) == 0) {
		rc = cli_report(find_repeats(&l, refs, n, reason, rep, &repeats, &e), &e);
		if (rc == 0)
			rc = cli_report(build_batch(refs, n, reason, rep, &batch, &e), &e);
		if (rc == 0)
			rc = cli_report(revocable(&l, refs, n, rep, &e), &e);
		if (rc == 0 && batch.n > 0)
			rc = cli_report(ledger_append(&l, &batch, &key, NULL, receipts, &tree_size, time, &e), &e);
		note_signer_clear(&key);
		snprintf(origin, sizeof origin, "%s", l.conf.origin);   /* for a message after the close */
		int crc = cli_report(ledger_close(&l, &e), &e);
		if (rc == 0 && crc != 0)
			chobo_warn("the revocations were committed; the receipts follow");
	}

	/* Receipts only after the commit returned: every one printed is durable. */
	bool lost = false;
	for (size_t i = 0, k = 0; rc == 0 && !lost && i < n; i++) {
		char leaf[65];
		json_t *o;
		if (rep[i].entry.is) {
			o = repeat_line(&rep[i].entry);
			json_object_set_new(o, "ref", json_string(refs[i]));
			json_object_set_new(o, "reason", json_string(rep[i].reason));
		} else {
			hex32(leaf, receipts[k].leaf_hash);
			o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "leaf_index", (json_int_t)receipts[k].index,
				      "leaf_hash", leaf, "ref", refs[i], "reason", reason, "time", time);
			k++;
		}
		if (!o)
			chobo_die(EX_OSERR, "out of memory");
		lost = !jsonl_print(o);
	}
	if (rc == 0 && (lost || fflush(stdout) != 0 || ferror(stdout)))
		rc = cli_output_lost(batch.n, batch.n ? receipts[0].index : 0, batch.n ? receipts[batch.n - 1].index : 0,
				     origin, "the same command again prints them as revoked before, appending nothing");
	if (rc == 0 && repeats > 0)
		chobo_info("%zu of %zu hashes were revoked before by this log: nothing was appended for them", repeats, n);
	free(receipts);
	free(rep);
	batch_free(&batch);
	cli_exit(rc);
}
