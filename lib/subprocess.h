/*
 * Running another program, bounded: no shell (argv is the program's
 * argument vector), stdin from a file or /dev/null, stdout into a file or a
 * buffer, stderr passed through, and the child cut off after a time limit
 * or once it has written more than a number of bytes.  chain-sync runs ssh
 * this way, cert-check runs chain-proof and chain-view.
 */
#ifndef CHOBO_SUBPROCESS_H
#define CHOBO_SUBPROCESS_H

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
