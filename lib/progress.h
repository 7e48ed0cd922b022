/*
 * Progress of long work (append, import, export, sync, audit, waiting for
 * the lock), as chobo(7) promises: one line on standard error, rewritten in
 * place at most a few times a second, only while standard error is a
 * terminal and -q was not given; nothing at all otherwise.  Work is long
 * when it counts at least PROGRESS_MIN items or lasts more than a second.
 *
 * This module prints for the program (an exception to util.h's rule that
 * lib/ prints nothing): it is the one place that knows how.
 */
#ifndef CHOBO_PROGRESS_H
#define CHOBO_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Work of at least this many items shows progress from its start. */
#define PROGRESS_MIN 10000

struct progress {
	bool on;               /* standard error is a terminal and -q was not given */
	bool shown;            /* a line is on the terminal */
	const char *what;      /* what is counted: "entries appended" */
	uint64_t total;        /* 0 when not known */
	struct timespec start, next;
};

/* Begin counting what (a static string), out of total items (0: unknown). */
void progress_start(struct progress *p, const char *what, uint64_t total);
/* done items so far: redraws the line when the work is long and the last redraw is old enough. */
void progress_update(struct progress *p, uint64_t done);
/* A one-off line for a wait that cannot be counted ("waiting for the lock ..."), when on a terminal. */
void progress_wait(struct progress *p, const char *what);
/* End: the last count stays on its line (done items), or the wait's line is cleared. */
void progress_end(struct progress *p, uint64_t done);

#endif
