#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "cli.h"
#include "util.h"

void cli_init(int argc, char **argv)
{
	(void)argc;
	const char *slash = argv[0] ? strrchr(argv[0], '/') : NULL;
	chobo_progname = slash ? slash + 1 : argv[0] ? argv[0] : "chobo";
	if (sodium_init() < 0)
		chobo_die(EX_SOFTWARE, "cannot initialise libsodium");
}

void cli_usage_error(const char *usage)
{
	fprintf(stderr, "%s", usage);
	exit(EX_USAGE);
}

void cli_misuse(const char *usage, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	chobo_warn("%s", what);
	cli_usage_error(usage);
}

int cli_common_option(int opt, const char *usage)
{
	switch (opt) {
	case 'h':
		fputs(usage, stdout);
		cli_exit(0);
	case 'V':
		printf("%s (%s) %s\n", chobo_progname, PACKAGE_NAME, PACKAGE_VERSION);
		cli_exit(0);
	case 'q':
		chobo_quiet = true;
		return 1;
	case '?':
	case ':':
		cli_usage_error(usage);
	default:
		return 0;
	}
}

void cli_exit(int code)
{
	/* A program that failed has said why (a write error of its own included): one message, not two. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && code == 0) {
		chobo_warn_errno("write error on standard output");
		code = EX_IOERR;
	}
	exit(code);
}

unsigned long long cli_u64(const char *opt, const char *value)
{
	uint64_t v;
	if (!parse_u64(value, &v))
		chobo_die(EX_USAGE, "%s: expected a non-negative integer in decimal digits, without a sign or leading "
			  "zeros, got \"%s\"", opt, value);
	return v;
}

const char *cli_text(const char *opt, const char *value)
{
	/* Else a JSON string of it fails, which its callers could only report as a lack of memory. */
	if (!utf8_valid((const uint8_t *)value, strlen(value)))
		chobo_die(EX_USAGE, "%s: not UTF-8 text", opt);
	return value;
}

int cli_report(int rc, const struct chobo_error *err)
{
	if (rc != 0)
		chobo_warn("%s", err->msg[0] ? err->msg : "failed without a reason (a bug)");
	return rc;
}

int cli_output_lost(size_t n, uint64_t first, uint64_t last, const char *origin, const char *retry)
{
	const char *why = strerror(errno);
	if (n == 0) {
		chobo_warn("standard output could not be written: %s; nothing was appended", why);
		return EX_IOERR;
	}
	/* Said after the commit: a script that retries must know what stands. */
	if (n == 1)
		chobo_warn("standard output could not be written: %s; 1 entry is recorded, entry %" PRIu64 " of %s: %s",
			   why, first, origin, retry);
	else
		chobo_warn("standard output could not be written: %s; %zu entries are recorded, entries %" PRIu64 " to %"
			   PRIu64 " of %s: %s", why, n, first, last, origin, retry);
	return EXIT_STORED_UNREPORTED;
}

void cli_dry_run_passed(size_t n)
{
	/* None: every record was recorded before (a duplicate), and no rule had anything to judge. */
	if (n == 0)
		chobo_info("no entry would be appended; nothing was appended (--dry-run)");
	else
		chobo_info("%zu entr%s would be appended: every rule passed; nothing was appended (--dry-run)", n,
			   n == 1 ? "y" : "ies");
}
