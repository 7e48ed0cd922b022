/*
 * lib/spool: what is written reaches the output before the writer is done;
 * a reader that takes nothing never blocks the writer; everything arrives,
 * in order, once the writer is done; a reader that went away and a writer
 * that failed are both reported.  No timing is asserted: a wait that never
 * ends is cut by an alarm, which fails the test.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"
#include "tap.h"

enum { BIG = 1 << 20, WAIT_S = 120 };

/* The byte at offset i of what the tests write. */
static char pattern(size_t i)
{
	return (char)('a' + (i * 7 + i / 251) % 26);
}

/* Write bytes [from, to) of the pattern to in, in pieces of 1000; true when every write succeeded. */
static bool write_pattern(FILE *in, size_t from, size_t to)
{
	char piece[1000];
	while (from < to) {
		size_t n = to - from < sizeof piece ? to - from : sizeof piece;
		for (size_t i = 0; i < n; i++)
			piece[i] = pattern(from + i);
		if (fwrite(piece, 1, n, in) != n)
			return false;
		from += n;
	}
	return true;
}

/* Read exactly n bytes from fd, or fewer at its end; the count read. */
static size_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

struct reader {
	int fd;
	char *buf;
	size_t got;
};

static void *read_to_end(void *arg)
{
	struct reader *r = arg;
	r->got = read_full(r->fd, r->buf, BIG + 2);
	return NULL;
}

static bool is_pattern(const char *buf, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pattern(from + i))
			return false;
	return true;
}

static void test_streams(void)
{
	int p[2];
	if (pipe(p) != 0)
		abort();
	FILE *out = fdopen(p[1], "w");
	struct spool *sp;
	FILE *in;
	struct chobo_error e = {0};
	ok(spool_start(&sp, out, &in, &e) == 0, "a spool starts");
	/* 100 bytes written and flushed: they reach the reader while the writer goes on. */
	ok(write_pattern(in, 0, 100) && fflush(in) == 0, "100 bytes are written");
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	ok(poll(&pf, 1, WAIT_S * 1000) == 1, "... and reach the reader before the writer is done");
	char *buf = xmalloc(BIG + 2);
	ok(read_full(p[0], buf, 100) == 100 && is_pattern(buf, 0, 100), "... as written");
	/* A reader that takes nothing more: the writer still writes a MiB (a pipe holds 64 KiB). */
	ok(write_pattern(in, 100, 100 + BIG) && fflush(in) == 0,
	   "a MiB more is written while the reader takes nothing (the writer is not held up)");
	struct reader r = {.fd = p[0], .buf = buf};
	pthread_t t;
	if (pthread_create(&t, NULL, read_to_end, &r) != 0)
		abort();
	ok(spool_finish(sp, in, 0, "writing the test", &e) == 0, "the spool finishes once the reader reads");
	fclose(out);
	pthread_join(t, NULL);
	ok(r.got == BIG && is_pattern(buf, 100, BIG), "the reader gets the rest whole and in order, then the end");
	free(buf);
	close(p[0]);
}

static void test_reader_gone(void)
{
	int p[2];
	if (pipe(p) != 0)
		abort();
	close(p[0]);
	FILE *out = fdopen(p[1], "w");
	struct spool *sp;
	FILE *in;
	struct chobo_error e = {0};
	ok(spool_start(&sp, out, &in, &e) == 0, "a spool to a pipe nobody reads starts");
	bool all = write_pattern(in, 0, BIG) && fflush(in) == 0;
	int rc = spool_finish(sp, in, 0, "writing the test", &e);
	diag("every write succeeded: %s (the relay may fail before or after)", all ? "yes" : "no");
	ok(rc == EX_IOERR, "a reader gone: EX_IOERR (and no SIGPIPE ends the process)");
	ok(strstr(e.msg, "writing the test") && strstr(e.msg, strerror(EPIPE)), "... saying what and why (%s)", e.msg);
	fclose(out);
}

static void test_writer_fails(void)
{
	struct chobo_error e = {0};
	FILE *out;
	if (scratch_file(&out, &e) != 0)
		abort();
	struct spool *sp;
	FILE *in;
	ok(spool_start(&sp, out, &in, &e) == 0, "a spool to a file starts");
	write_pattern(in, 0, BIG);
	chobo_fail(&e, EX_DATAERR, "the writer's own failure");
	ok(spool_finish(sp, in, EX_DATAERR, "writing the test", &e) == EX_DATAERR, "a writer that failed: its code");
	ok(strcmp(e.msg, "the writer's own failure") == 0, "... and its message");
	fflush(out);
	long n = ftell(out);
	char *buf = xmalloc(BIG);
	rewind(out);
	size_t got = fread(buf, 1, BIG, out);
	ok(n >= 0 && (size_t)n == got && got <= BIG && is_pattern(buf, 0, got),
	   "... the output holds a prefix of what was written (%zu bytes)", got);
	free(buf);
	fclose(out);

	if (scratch_file(&out, &e) != 0)
		abort();
	ok(spool_start(&sp, out, &in, &e) == 0 && write_pattern(in, 0, BIG) &&
	   spool_finish(sp, in, 0, "writing the test", &e) == 0, "a MiB through a spool to a file");
	buf = xmalloc(BIG + 1);
	rewind(out);
	ok(fread(buf, 1, BIG + 1, out) == BIG && is_pattern(buf, 0, BIG), "... arrives whole");
	free(buf);
	fclose(out);
}

static void test_file_full(void)
{
	/* A full disk, as RLIMIT_FSIZE makes it: the scratch file cannot grow past 100,000 bytes. */
	struct rlimit old, lim;
	if (getrlimit(RLIMIT_FSIZE, &old) != 0)
		abort();
	lim = old;
	lim.rlim_cur = 100000;
	signal(SIGXFSZ, SIG_IGN);
	FILE *out = fopen("/dev/null", "w");
	struct spool *sp;
	FILE *in;
	struct chobo_error e = {0};
	if (!out || setrlimit(RLIMIT_FSIZE, &lim) != 0)
		abort();
	ok(spool_start(&sp, out, &in, &e) == 0, "a spool whose file cannot grow past 100,000 bytes starts");
	/* 256 KiB, as bundle.c writes them, with the page after them unmapped: a copy reading on past them crashes. */
	size_t n = 256 << 10, page = (size_t)sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, n + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map + n, page, PROT_NONE) != 0)
		abort();
	memset(map, 'x', n);
	size_t got = fwrite("chobo-bundle/1\n", 1, 15, in) == 15 ? fwrite(map, 1, n, in) : 0;
	ok(got < n && ferror(in), "a write past it fails, short (%zu of %zu bytes), reading nothing past its data", got, n);
	int rc = spool_finish(sp, in, 0, "writing the test", &e);
	ok(rc == EX_IOERR && strstr(e.msg, strerror(EFBIG)), "... and the spool says so (%s)", e.msg);
	if (setrlimit(RLIMIT_FSIZE, &old) != 0)
		abort();
	munmap(map, n + page);
	fclose(out);
}

int main(void)
{
	/* SIGPIPE left as it is: a reader gone must be the relay's EPIPE, not the end of the process. */
	alarm(3 * WAIT_S);
	test_streams();
	test_reader_gone();
	test_writer_fails();
	test_file_full();
	return done();
}
