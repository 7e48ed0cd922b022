/*
 * lib/subprocess: following a child's output as it writes it
 * (subprocess_follow_open).  A child that ended well is read whole, even by
 * a reader that comes after the child's time limit has passed; one that
 * failed, or wrote past the byte limit, is not.  The child's end is waited
 * for explicitly, never assumed from a delay.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "subprocess.h"
#include "util.h"
#include "tap.h"

enum { BYTES = 100000 };

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Start sh -c script with stdout into a new scratch file; waits until it has ended (not reaped). */
static void start_ended(const char *script, FILE **out, struct subprocess *sp)
{
	struct chobo_error e;
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	if (scratch_file(out, &e) != 0 || subprocess_start(argv, NULL, *out, NULL, sp, &e) != 0)
		abort();
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)sp->pid, &si, WEXITED | WNOWAIT) != 0)
		abort();
}

/* Read the follow stream to its end: the bytes read, *failed when it ended in an error. */
static size_t read_all(FILE *in, bool *failed)
{
	char buf[4096];
	size_t total = 0, n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		total += n;
	*failed = ferror(in) != 0;
	return total;
}

static void test_late_reader(void)
{
	FILE *out;
	struct subprocess sp;
	start_ended("head -c 100000 /dev/zero", &out, &sp);
	struct subprocess_limits lim = {1, 1 << 20};
	/* The reader comes after the child's time limit (an import slower than the peer's call). */
	while (now_s() <= sp.started + lim.timeout + 0.2)
		usleep(50 * 1000);
	struct subprocess_follow f;
	FILE *in = subprocess_follow_open(&f, &sp, out, &lim, 5.0);
	ok(in != NULL, "a follow opens");
	bool failed;
	size_t n = read_all(in, &failed);
	ok(n == BYTES && !failed, "a child that ended well in time is read whole after its time limit (%zu bytes)", n);
	ok(f.cut == SUBPROCESS_CUT_NONE, "... and is not cut");
	fclose(in);
	struct chobo_error e;
	int status = -1;
	ok(subprocess_finish(&sp, out, &lim, &status, &e) == 0 && status == 0, "... and finishes with status 0");
	fclose(out);
}

static void test_failed_child(void)
{
	FILE *out;
	struct subprocess sp;
	start_ended("head -c 100000 /dev/zero; exit 3", &out, &sp);
	struct subprocess_limits lim = {60, 1 << 20};
	struct subprocess_follow f;
	FILE *in = subprocess_follow_open(&f, &sp, out, &lim, 5.0);
	bool failed;
	size_t n = read_all(in, &failed);
	ok(n == BYTES && failed, "a child that failed: what it wrote, then a read error, not the end");
	fclose(in);
	struct chobo_error e;
	int status = -1;
	subprocess_finish(&sp, out, &lim, &status, &e);
	ok(status == 3, "... its status is 3");
	fclose(out);
}

static void test_too_much(void)
{
	FILE *out;
	struct subprocess sp;
	start_ended("head -c 100000 /dev/zero", &out, &sp);
	struct subprocess_limits lim = {60, 1000};
	struct subprocess_follow f;
	FILE *in = subprocess_follow_open(&f, &sp, out, &lim, 5.0);
	bool failed;
	size_t n = read_all(in, &failed);
	ok(n == 0 && failed && f.cut == SUBPROCESS_CUT_BYTES, "a child past the byte limit: cut, nothing read");
	struct chobo_error e;
	ok(subprocess_follow_cut(&f, &e) != 0 && strstr(e.msg, "wrote more than 1000 bytes"), "... saying so (%s)", e.msg);
	fclose(in);
	int status;
	subprocess_finish(&sp, out, &lim, &status, &e);
	fclose(out);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(300);
	test_late_reader();
	test_failed_child();
	test_too_much();
	return done();
}
