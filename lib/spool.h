/*
 * A spool: what a writer writes goes to a scratch file, and a thread copies
 * it from there to an output as it grows.  The writer never waits for the
 * output's reader (a slow ssh client, a full pipe), so work that holds the
 * ledger's lock while it writes (an export) releases it as soon as it is
 * done, while the reader still gets the first bytes as soon as they exist.
 */
#ifndef CHOBO_SPOOL_H
#define CHOBO_SPOOL_H

#include <stdio.h>

#include "util.h"

struct spool;

/*
 * Start a spool relaying to out: *in is the stream to write (buffered;
 * a write fails with EPIPE once the relay could not write to out).  0, or
 * an exit code with err (nothing to finish then).
 */
int spool_start(struct spool **sp, FILE *out, FILE **in, struct chobo_error *err);

/*
 * End the writing into in that returned rc (0 or an exit code with err):
 * close in, and, when rc is 0, wait until everything written has reached
 * out and out is flushed; else stop relaying (out then holds a prefix of
 * it only).  Frees sp.  Returns rc, or EX_IOERR with err (naming what, as
 * "writing the bundle") when the spool or out could not be written.
 */
int spool_finish(struct spool *sp, FILE *in, int rc, const char *what, struct chobo_error *err);

#endif
