/*
 * A minimal TAP producer for the C unit tests.  Header-only so that each test
 * program stays a single source file; functions are static inline so that a
 * test using only some of them still compiles with -Werror.
 */
#ifndef CHOBO_TAP_H
#define CHOBO_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tap_planned = -1;
static int tap_count;
static int tap_failures;

/* Announce the number of test points up front; without it done() prints the plan last. */
static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* Diagnostics go to stdout as "# " lines so they stay next to the failing point. */
static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline __attribute__((format(printf, 2, 3))) bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	if (!cond)
		tap_failures++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return cond;
}

static inline void tap_hex(char *out, const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * len] = '\0';
}

/* A 32-byte hash against 64 lowercase hex digits. */
static inline bool is_hex(const uint8_t got[32], const char *want, const char *name)
{
	char h[65];
	tap_hex(h, got, 32);
	bool good = strcmp(h, want) == 0;
	ok(good, "%s", name);
	if (!good) {
		diag("     got: %s", h);
		diag("expected: %s", want);
	}
	return good;
}

/* Two strings (NULL allowed, never equal to a string). */
static inline bool is_str(const char *got, const char *want, const char *name)
{
	bool good = got && want && strcmp(got, want) == 0;
	ok(good, "%s", name);
	if (!good) {
		diag("     got: %s", got ? got : "(null)");
		diag("expected: %s", want ? want : "(null)");
	}
	return good;
}

static inline bool is_u64(uint64_t got, uint64_t want, const char *name)
{
	bool good = got == want;
	ok(good, "%s", name);
	if (!good)
		diag("got %llu, expected %llu", (unsigned long long)got, (unsigned long long)want);
	return good;
}

/* Print the plan if none was given and return the process exit status. */
static inline int done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_count);
	else if (tap_count != tap_planned)
		diag("planned %d tests but ran %d", tap_planned, tap_count);
	if (tap_failures)
		diag("%d of %d tests failed", tap_failures, tap_count);
	fflush(stdout);
	return tap_failures == 0 && (tap_planned < 0 || tap_count == tap_planned) ? 0 : 1;
}

#endif
