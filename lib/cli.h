/* What every program does with its command line: name, --help, --version, -q. */
#ifndef CHOBO_CLI_H
#define CHOBO_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Long options every program accepts, to append to a program's own table. */
#define CLI_COMMON_OPTIONS \
	{"help", no_argument, NULL, 'h'}, \
	{"version", no_argument, NULL, 'V'}, \
	{"quiet", no_argument, NULL, 'q'}

/* Set the program name from argv[0] and initialise libsodium; exits on failure. */
void cli_init(int argc, char **argv);
/*
 * Handle an option common to all programs (h, V, q).  Returns 1 if handled,
 * 0 if the option is the program's own; exits after --help or --version, and
 * with EX_USAGE (after printing usage) for '?' and ':'.
 */
int cli_common_option(int opt, const char *usage);
/* Print usage on stderr and exit with EX_USAGE. */
void cli_usage_error(const char *usage) __attribute__((noreturn));
/* Say what is wrong with the command line (as chobo_warn), then print usage on stderr and exit with EX_USAGE. */
void cli_misuse(const char *usage, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* Flush stdout and exit with code; a code of 0 becomes EX_IOERR (with a message) if output failed. */
void cli_exit(int code) __attribute__((noreturn));
/* Print err's reason when rc is not 0 (a library call's result); returns rc. */
int cli_report(int rc, const struct chobo_error *err);
/* After -n, --dry-run: say (chobo_info) that n entries (none: no record was new) passed every rule, none appended. */
void cli_dry_run_passed(size_t n);
/*
 * Standard output failed (errno says why) after a commit: say on stderr
 * that entries first to last of origin are recorded (n of them) and what
 * retry does with the same input, and return EXIT_STORED_UNREPORTED; with
 * n 0, that nothing was appended, and return EX_IOERR.
 */
int cli_output_lost(size_t n, uint64_t first, uint64_t last, const char *origin, const char *retry);
/* Parse a non-negative integer option value or exit with a usage error. */
unsigned long long cli_u64(const char *opt, const char *value);
/* value, or exit with a usage error naming opt when it is not UTF-8 text (what goes into entries and JSON must be). */
const char *cli_text(const char *opt, const char *value);

#endif
