/*
 * A test helper, not a test: cosign the newest checkpoint of a ledger's own
 * log with its own witness key at a time the arguments give (cosign.c, as
 * chain-sync does for a peer's log), so that a test can make cosignatures
 * earlier or later than the entries they cover.
 * Usage: cosign-at LEDGER TIME (RFC 3339).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cosign.h"
#include "ledger.h"
#include "util.h"

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	int64_t at;
	if (argc != 3 || !time_parse(argv[2], &at) || at < 0)
		chobo_die(EX_USAGE, "usage: cosign-at LEDGER TIME");
	struct note_signer witness;
	struct ledger l;
	struct chobo_error e;
	int rc = cli_report(ledger_witness_key(argv[1], &witness, &e), &e);
	if (rc != 0)
		return rc;
	if ((rc = cli_report(ledger_open(&l, argv[1], STORE_NORMAL, &e), &e)) == 0) {
		char *line = NULL;
		uint64_t size;
		if (store_begin(l.store) != STORE_OK) {
			chobo_warn("%s", store_error(l.store));
			rc = EX_IOERR;
		} else if ((rc = cli_report(cosign_latest(&l, l.log_id, &witness, (uint64_t)at, &line, &size, &e),
					    &e)) != 0) {
			store_abort(l.store);
		} else if (store_commit(l.store) != STORE_OK) {
			chobo_warn("%s", store_error(l.store));
			rc = EX_IOERR;
		}
		free(line);
		rc = cli_report(ledger_close_after(&l, rc, &e), &e);
	}
	note_signer_clear(&witness);
	return rc;
}
