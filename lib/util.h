/*
 * Shared helpers: the error convention, diagnostics, exit codes, big-endian
 * integers, time, files.
 *
 * The library's error convention, followed by every module in lib/:
 *
 *  - A function that can fail returns an int: 0 on success, otherwise the
 *    exit code a program should end with (sysexits.h, or EXIT_INVALID /
 *    EXIT_FORK below).  Store functions return enum store_rc instead, with
 *    the message in store_error(); the ledger layer turns them into codes.
 *  - The reason goes, as one line without the program's name, into a buffer
 *    the caller supplies: a `struct chobo_error *err` (filled with
 *    chobo_fail()), or in pure parsers and checks that return bool, a
 *    `char *err, size_t errlen` pair (pass e.msg, sizeof e.msg).
 *  - Library functions print nothing and never exit, with these exceptions
 *    that speak for the program itself: cli.c (options, cli_report),
 *    jsonl.c (input lines), progress.c (progress on a terminal), chobo_limit() (warns about a CHOBO_LIMIT_*
 *    variable it ignores) and the x*alloc family, which ends the process
 *    when memory runs out.  A program prints err->msg with cli_report(),
 *    chobo_warn() or chobo_die().
 *  - No reason is ever kept in a global or static buffer.
 */
#ifndef CHOBO_UTIL_H
#define CHOBO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <sysexits.h>

/* "Verified and found invalid": distinct from 0 and from every sysexits code. */
#define EXIT_INVALID 1
/* A peer's log forked: two signed, inconsistent checkpoints (both kept as evidence). */
#define EXIT_FORK 2
/* The batch was stored (durably), but its receipts could not all be written: never retry it. */
#define EXIT_STORED_UNREPORTED 3

/* Why a library call failed (see the convention above). */
struct chobo_error {
	char msg[1024];
	uint64_t batch_entry;   /* the entry (from 1) of a batch the failure is about; 0: none */
};

/* Write the reason into err (which may be NULL) and return code. */
int chobo_fail(struct chobo_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like chobo_fail, with ": strerror(errno)" appended. */
int chobo_fail_errno(struct chobo_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put context before the reason already in err ("context: reason") and return code. */
int chobo_fail_context(struct chobo_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* chobo_fail about entry n (from 1) of a batch: "batch entry N: reason", and err->batch_entry = n. */
int chobo_fail_entry(struct chobo_error *err, int code, uint64_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* chobo_fail_context for entry n of a batch of type what: "batch entry N (what): ...", err->batch_entry = n. */
int chobo_fail_entry_context(struct chobo_error *err, int code, uint64_t n, const char *what);

/* Bounds on outside input, documented in chobo(7). */
#define CHOBO_MAX_LINE      (64 * 1024)     /* one JSON Lines input line, bytes */
#define CHOBO_MAX_ENTRY     (64 * 1024)     /* one stored entry, bytes */
#define CHOBO_MAX_BATCH     1000000         /* entries in one chain-append batch */
#define CHOBO_MAX_BATCH_BYTES (512UL << 20) /* bytes in one batch */
#define CHOBO_MAX_NOTE      (64 * 1024)     /* a signed note (checkpoint) */
#define CHOBO_MAX_TREE_SIZE (UINT64_C(1) << 48)

/*
 * A bound, lowered by the environment: CHOBO_LIMIT_<name> may set a smaller
 * value than the built-in one (a site's policy, or a test), never a larger.
 */
uint64_t chobo_limit(const char *name, uint64_t builtin);

/* Program name used as the prefix of every diagnostic. */
extern const char *chobo_progname;
/* Set by -q: suppresses chobo_info(). */
extern bool chobo_quiet;

/* Print "program: message" on stderr. */
void chobo_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "program: message: strerror(errno)" on stderr. */
void chobo_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a diagnostic unless -q was given. */
void chobo_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "program: message" and exit with code. */
void chobo_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* malloc/realloc/strdup that exit with EX_OSERR when memory runs out. */
void xalloc_failed(void) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Write v in decimal at p (at most 20 bytes, no NUL); returns the end. */
char *put_decimal(char *p, uint64_t v);

/* Big-endian integer encoding, as used in every stored key. */
void put_be32(uint8_t *p, uint32_t v);
void put_be64(uint8_t *p, uint64_t v);
uint32_t get_be32(const uint8_t *p);
uint64_t get_be64(const uint8_t *p);

/* FNV-1a of a NUL-terminated string: the hash of chobo's in-memory tables (not for anything an adversary picks to collide). */
uint64_t string_hash(const char *s);

/* Parse a decimal uint64 without sign or leading zeros; false on anything else. */
bool parse_u64(const char *s, uint64_t *out);

/* True when buf[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const uint8_t *buf, size_t len);
/* The UTF-8 byte order mark, which Excel and Notepad write before a file's first line. */
#define UTF8_BOM "\xEF\xBB\xBF"
/* The length of the byte order mark at the start of s[0..len): 3, or 0 when none is there. */
size_t utf8_bom_length(const char *s, size_t len);
/* The length of the longest prefix of s of at most max bytes that ends on a UTF-8 character's boundary. */
size_t utf8_cut(const char *s, size_t max);
/*
 * The ASCII character 0x21..0x7E whose full-width form (U+FF01..U+FF5E, as
 * an IME types Latin letters, digits and signs) starts the NUL-terminated
 * s, or 0 when none does; such a form is 3 bytes.
 */
char utf8_fullwidth_ascii(const char *s);
/* The length (1 to 4) of the one UTF-8 character at s[0..len) with its code point in *cp; 0 when none is there. */
size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

/*
 * Current time as seconds since the epoch, from CHOBO_NOW if set (RFC 3339).
 * Work on a ledger takes it from ledger_now(), and ledger_open() refuses
 * CHOBO_NOW for a ledger not made for testing.
 */
bool chobo_now(int64_t *out);
/* Format seconds as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void time_format(char out[21], int64_t t);
/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (H. Hinnant's algorithm). */
int64_t days_from_civil(int64_t y, int64_t m, int64_t d);
/* Parse RFC 3339 (UTC "Z" or numeric offset, optional fraction ignored); false if malformed. */
bool time_parse(const char *s, int64_t *out);

/* Write all of buf to fd, retrying on EINTR and short writes; false on error. */
bool write_all(int fd, const void *buf, size_t len);
/* Read a whole file of at most max bytes; NUL-terminated; NULL with errno on error. */
char *read_file(const char *path, size_t max, size_t *len);
/*
 * SHA-256 of the whole content of the file at path (any size, read in
 * chunks): 0, or EX_NOINPUT with "path: reason" in err when it cannot be
 * opened or read (a directory, say).
 */
int file_sha256(const char *path, uint8_t out[32], struct chobo_error *err);
/* Write a file atomically (temp file, fsync, rename) with the given mode. */
bool write_file_atomic(const char *path, const void *buf, size_t len, int mode);
/* fsync the file or directory at path (opened with flags added, O_DIRECTORY for one); false with errno. */
bool fsync_path(const char *path, int flags);
/* fsync the directory that holds path, so that a file just made there survives a power cut; false with errno. */
bool fsync_parent_dir(const char *path);
/*
 * A file written whole or not at all: replace_open() opens a temporary file
 * beside path; replace_commit() flushes, syncs and renames it over path (so
 * a reader or a crash sees the old file or the new one, never a part);
 * replace_abort() removes it and leaves path as it was.  The file gets
 * mode less the umask, as a file that open(2) creates.  SIGTERM, SIGHUP or
 * SIGINT (unless ignored) removes the temporary file before it ends the
 * process.
 */
struct replacement {
	FILE *fp;
	char *tmp;
	const char *path;
};
int replace_open(struct replacement *r, const char *path, int mode, struct chobo_error *err);
int replace_commit(struct replacement *r, struct chobo_error *err);
void replace_abort(struct replacement *r);
/* Copy from to to (at most max bytes): 0, or 1 read error, 2 write error, 3 more than max. */
int copy_stream(FILE *from, FILE *to, uint64_t max);
/* Join a directory and a name into a newly allocated path. */
char *path_join(const char *dir, const char *name);
/*
 * A scratch file in $TMPDIR (else /tmp), already unlinked and open for
 * reading and writing into *out; 0, or EX_CANTCREAT with err.
 */
int scratch_file(FILE **out, struct chobo_error *err);

#endif
