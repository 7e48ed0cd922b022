/*
 * A test helper, not a test: decode one payload with payload_decode against
 * the keys of a trust file and print what it found as one JSON line
 *
 *   {"problem":N,"why":TEXT,"issuer":...,"kind":...,"index":N,
 *    "not_before":SECONDS|null,"not_after":SECONDS|null,"fields":{NAME:VALUE,...}}
 *
 * where problem is the enum payload_problem (0: valid).  Exits 0 when the
 * payload is valid, 1 when it is not.  Usage: payload-peek TRUST_FILE PAYLOAD
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli.h"
#include "jsonl.h"
#include "keys.h"
#include "payload.h"
#include "util.h"

static json_t *time_or_null(int64_t t)
{
	return t == PAYLOAD_NO_TIME ? json_null() : json_integer((json_int_t)t);
}

int main(int argc, char **argv)
{
	struct trust trust;
	struct chobo_error e;
	cli_init(argc, argv);
	if (argc != 3)
		chobo_die(EX_USAGE, "usage: payload-peek TRUST_FILE PAYLOAD");
	memset(&trust, 0, sizeof trust);
	int rc = trust_load_file(&trust, argv[1], &e);
	if (rc != 0)
		chobo_die(rc, "%s", e.msg);
	struct payload p;
	uint32_t key_id = 0;
	char why[256] = "";
	memset(&p, 0, sizeof p);
	enum payload_problem problem = payload_decode(argv[2], strlen(argv[2]), &trust, &p, &key_id, why,
						      sizeof why);
	json_t *fields = json_object();
	for (size_t i = 0; i < p.nfields; i++)
		json_object_set_new(fields, p.fields[i].name, json_string(p.fields[i].value));
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "problem", (int)problem, "why", why,
			      "issuer", p.issuer, "kind", p.kind, "index", (json_int_t)p.index,
			      "not_before", time_or_null(p.not_before), "not_after", time_or_null(p.not_after),
			      "fields", fields);
	if (!o)
		chobo_die(EX_SOFTWARE, "cannot print the payload");
	bool printed = jsonl_print(o);
	trust_free(&trust);
	cli_exit(!printed ? EX_IOERR : problem == PAYLOAD_VALID ? 0 : EXIT_INVALID);
}
