/*
 * A test helper, not a test: sign a payload with a ledger's log key, saying
 * whatever the arguments say (so that a test can make payloads that do or
 * do not match the entries they name), and print it.
 * Usage: payload-sign LEDGER KIND INDEX NOT-BEFORE NOT-AFTER [NAME=VALUE]...
 * with the days as YYYY-MM-DD or "-".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jp_date.h"
#include "ledger.h"
#include "payload.h"
#include "util.h"

static const char usage[] = "usage: payload-sign LEDGER KIND INDEX NOT-BEFORE NOT-AFTER [NAME=VALUE]...\n";

/* A day YYYY-MM-DD in Japan (from its first second, or its last when end) or "-". */
static int64_t day(const char *s, bool end)
{
	int64_t d;
	if (strcmp(s, "-") == 0)
		return PAYLOAD_NO_TIME;
	if (!jp_date_parse(s, &d))
		chobo_die(EX_USAGE, "%s: expected YYYY-MM-DD or -", s);
	return payload_day_start(d) + (end ? 86399 : 0);
}

int main(int argc, char **argv)
{
	struct note_signer key;
	struct chobo_error err;
	struct payload p = {0};
	char *out;
	cli_init(argc, argv);
	if (argc < 6)
		cli_usage_error(usage);
	int rc = ledger_log_key(argv[1], &key, &err);
	if (rc != 0)
		chobo_die(rc, "%s", err.msg);
	snprintf(p.issuer, sizeof p.issuer, "%s", key.pub.name);
	snprintf(p.kind, sizeof p.kind, "%s", argv[2]);
	p.index = cli_u64("INDEX", argv[3]);
	p.not_before = day(argv[4], false);
	p.not_after = day(argv[5], true);
	for (int i = 6; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			cli_usage_error(usage);
		*eq = '\0';
		if (!payload_add_field(&p, argv[i], eq + 1))
			chobo_die(EX_USAGE, "%s: not a field this payload can take", argv[i]);
	}
	rc = payload_encode(&p, &key, &out, &err);
	note_signer_clear(&key);
	if (rc != 0)
		chobo_die(rc, "%s", err.msg);
	printf("%s\n", out);
	free(out);
	cli_exit(0);
}
