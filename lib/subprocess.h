/*
 * Running another program, bounded: no shell (argv is the program's
 * argument vector), stdin from a file or /dev/null, stdout into a file or a
 * buffer, stderr passed through, and the child cut off after a time limit
 * or once it has written more than a number of bytes.  chain-sync runs ssh
 * this way, cert-check runs chain-proof and chain-view.
 */
#ifndef CHOBO_SUBPROCESS_H
#define CHOBO_SUBPROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util.h"

/* What one run may take: seconds (0: no time limit) and bytes written on stdout. */
struct subprocess_limits {
	unsigned timeout;
	uint64_t max_output;
};

/* A child started by subprocess_start. */
struct subprocess {
	pid_t pid;
	double started;     /* monotonic seconds: the time limit counts from here */
	char name[64];      /* argv[0], for messages */
};

/* The most bytes of a child's stderr that subprocess_capture keeps. */
#define SUBPROCESS_MAX_STDERR (64 * 1024)

/*
 * Run argv[0] (looked up on PATH when it holds no '/') with stdin from in
 * (NULL: /dev/null), stdout into the file out and stderr into the file
 * errout (NULL: this process's stderr).  0 with the program's exit status
 * in *status; or with err: EX_OSERR when it cannot be run, EX_UNAVAILABLE
 * when it was cut off (the reason says "timed out" or "wrote more than") or
 * ended by a signal.
 */
int subprocess_run(char *const *argv, FILE *in, FILE *out, FILE *errout,
		   const struct subprocess_limits *lim, int *status, struct chobo_error *err);

/*
 * subprocess_run in two halves, so that the caller works while the child
 * runs: start it (0, or EX_OSERR / EX_IOERR with err), then, whatever the
 * caller did meanwhile, finish it (always, once started), with the
 * results of subprocess_run.
 */
int subprocess_start(char *const *argv, FILE *in, FILE *out, FILE *errout, struct subprocess *sp,
		     struct chobo_error *err);
int subprocess_finish(const struct subprocess *sp, FILE *out, const struct subprocess_limits *lim, int *status,
		      struct chobo_error *err);

/*
 * Following a started child's output while it writes it (chain-sync imports
 * a large bundle as the peer sends it).  The stream subprocess_follow_open
 * returns reads out's file from its start; a read at its end waits for the
 * child to write more.  It ends (EOF) only once the child has exited with
 * status 0 and everything it wrote was read; a read fails (EIO) when it
 * ended otherwise.  The limits are those of subprocess_finish, looked at on
 * every read: once the file holds more than lim's bytes or the child is
 * still running past lim's time, the child is killed, f->cut says which,
 * and every read fails (EIO); a child that ended in time is read to its end
 * however long the reader takes.  Once reads have waited max_wait seconds in all, f->
 * stalled is set and every read fails (EAGAIN), the child left running, so
 * that the caller may still wait for its output whole (subprocess_finish).
 * f must outlive the stream; close the stream before subprocess_finish (or
 * subprocess_kill), which is still needed to reap the child.  NULL (errno
 * set) when the stream cannot be made.
 */
enum subprocess_cut { SUBPROCESS_CUT_NONE, SUBPROCESS_CUT_BYTES, SUBPROCESS_CUT_TIME };
struct subprocess_follow {
	const struct subprocess *sp;
	struct subprocess_limits lim;
	int fd;                 /* out's file, read at off */
	int pidfd;              /* wakes a wait when the child exits; -1: ticks only */
	off_t off;
	double waited, max_wait;
	bool ended, exited_ok, stalled;
	enum subprocess_cut cut;
};
FILE *subprocess_follow_open(struct subprocess_follow *f, const struct subprocess *sp, FILE *out,
			     const struct subprocess_limits *lim, double max_wait);
/*
 * After a follow whose child was cut off (f->cut): the exit code and
 * message subprocess_finish gives for that limit (EX_UNAVAILABLE, "NAME
 * wrote more than N bytes" or "NAME timed out after N s"), in err.
 */
int subprocess_follow_cut(const struct subprocess_follow *f, struct chobo_error *err);

/* End a started child whose result is no longer wanted: killed and reaped (instead of subprocess_finish). */
void subprocess_kill(const struct subprocess *sp);

/* What a captured run wrote, and how it ended. */
struct subprocess_output {
	char *out, *err;        /* stdout (at most the limit) and the start of stderr, NUL-terminated */
	size_t out_len, err_len;
	int status;             /* the exit status */
};

/*
 * subprocess_run with stdin from /dev/null and stdout and stderr read into
 * *o (free it with subprocess_output_free), so that the caller decides,
 * from the exit status, whether the child's messages are worth showing.
 * 0 whatever the exit status, or an exit code with err.
 */
int subprocess_capture(char *const *argv, const struct subprocess_limits *lim,
		       struct subprocess_output *o, struct chobo_error *err);
/* Free what subprocess_capture read. */
void subprocess_output_free(struct subprocess_output *o);

/*
 * The program name installed beside the running executable (the same
 * directory), if there is one there, else name itself (found on PATH when
 * run); newly allocated.
 */
char *subprocess_sibling(const char *name);

#endif
