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

#include "util.h"

/* What one run may take: seconds (0: no time limit) and bytes written on stdout. */
struct subprocess_limits {
	unsigned timeout;
	uint64_t max_output;
};

/*
 * Run argv[0] (looked up on PATH when it holds no '/') with stdin from in
 * (NULL: /dev/null) and stdout into the file out.  0 with the program's exit
 * status in *status; or with err: EX_OSERR when it cannot be run,
 * EX_UNAVAILABLE when it was cut off (the reason says "timed out" or "wrote
 * more than") or ended by a signal.
 */
int subprocess_run(char *const *argv, FILE *in, FILE *out, const struct subprocess_limits *lim,
		   int *status, struct chobo_error *err);

/*
 * subprocess_run with stdin from /dev/null and stdout read into *text (newly
 * allocated, NUL-terminated, *len bytes without the NUL); 0 with the exit
 * status in *status whatever it is, or an exit code with err (*text NULL).
 */
int subprocess_capture(char *const *argv, const struct subprocess_limits *lim, char **text,
		       size_t *len, int *status, struct chobo_error *err);

/*
 * The program name installed beside the running executable (the same
 * directory), if there is one there, else name itself (found on PATH when
 * run); newly allocated.
 */
char *subprocess_sibling(const char *name);

#endif
