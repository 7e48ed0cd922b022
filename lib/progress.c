/* Progress lines on a terminal; see progress.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

/* Redraws at most this often (4 a second). */
#define INTERVAL_NS 250000000L

static void now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void later(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

void progress_start(struct progress *p, const char *what, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->on = !chobo_quiet && isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	if (!p->on)
		return;
	now(&p->start);
	p->next = p->start;
	/* Short work stays silent: it shows progress once it has lasted a second. */
	if (total < PROGRESS_MIN)
		later(&p->next, 1000000000L);
}

static void draw(struct progress *p, uint64_t done)
{
	if (p->total)
		fprintf(stderr, "\r%s: %llu of %llu %s\033[K", chobo_progname, (unsigned long long)done,
			(unsigned long long)p->total, p->what);
	else
		fprintf(stderr, "\r%s: %llu %s\033[K", chobo_progname, (unsigned long long)done, p->what);
	fflush(stderr);
	p->shown = true;
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p->on)
		return;
	/*
	 * Reading the clock is cheap, but not free: it is read every 256 items,
	 * except for the first line of work known to be long.
	 */
	if ((done & 0xff) != 0 && (p->shown || p->total < PROGRESS_MIN))
		return;
	struct timespec t;
	now(&t);
	/* Long by its count, or by its duration so far; then at most 4 redraws a second. */
	bool long_work = p->shown || done >= PROGRESS_MIN || p->total >= PROGRESS_MIN;
	if (before(&t, &p->next) && !(long_work && !p->shown))
		return;
	draw(p, done);
	p->next = t;
	later(&p->next, INTERVAL_NS);
}

void progress_wait(struct progress *p, const char *what)
{
	if (!p->on)
		return;
	fprintf(stderr, "\r%s: %s\033[K", chobo_progname, what);
	fflush(stderr);
	p->what = NULL;
	p->shown = true;
}

void progress_end(struct progress *p, uint64_t done)
{
	if (!p->on || !p->shown)
		return;
	if (p->what) {
		draw(p, done);
		fputc('\n', stderr);
	} else {
		fputs("\r\033[K", stderr);
	}
	fflush(stderr);
	p->shown = false;
}
