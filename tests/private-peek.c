/*
 * A test helper, not a test: print what the private store holds for one ID
 * in forms a test can look for in raw files after an erasure:
 *
 *   {"secret":HEX,"stored":HEX}
 *
 * the person's secret and the whole stored value of the record (the sealed
 * record under the key 'P' || ID of private_store.h), in lowercase hex.
 * Usage: private-peek LEDGER p-ID
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "cli.h"
#include "ledger.h"
#include "private_store.h"
#include "store.h"
#include "util.h"

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

int main(int argc, char **argv)
{
	struct ledger l;
	struct private_store *ps;
	struct person_record r;
	struct chobo_error err;
	uint8_t id[PERSON_ID_BYTES], key[1 + PERSON_ID_BYTES], val[KVFILE_MAX_VALUE];
	size_t vlen;
	bool found;
	cli_init(argc, argv);
	if (argc != 3 || !person_id_parse(argv[2], id))
		chobo_die(EX_USAGE, "usage: private-peek LEDGER p-ID");
	int rc = cli_report(ledger_open(&l, argv[1], STORE_NORMAL, &err), &err);
	if (rc != 0)
		return rc;
	if ((rc = private_open(&l, false, &ps, &err)) != 0)
		chobo_die(rc, "%s", err.msg);
	if ((rc = private_get(ps, id, &r, &found, &err)) != 0)
		chobo_die(rc, "%s", err.msg);
	if (!found)
		chobo_die(EX_NOINPUT, "%s: no such person", argv[2]);
	char *path = path_join(l.dir, "private/people.db");
	struct kvfile *f;
	key[0] = 'P';
	memcpy(key + 1, id, PERSON_ID_BYTES);
	if ((rc = kvfile_open(path, &f, &err)) != 0 || !f ||
	    (rc = kvfile_get(f, key, sizeof key, val, &vlen, &found, &err)) != 0 || !found)
		chobo_die(rc ? rc : EX_SOFTWARE, "%s: %s", path, rc ? err.msg : "no stored record");
	printf("{\"secret\":\"");
	print_hex(r.secret, sizeof r.secret);
	printf("\",\"stored\":\"");
	print_hex(val, vlen);
	printf("\"}\n");
	person_record_clear(&r);
	kvfile_close(f);
	free(path);
	private_close(ps);
	cli_exit(cli_report(ledger_close(&l, &err), &err));
}
