#define _GNU_SOURCE   /* fopencookie */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sysexits.h>
#include <unistd.h>

#include "spool.h"

enum { SPOOL_BUFFER = 1 << 16 };

struct spool {
	FILE *scratch;           /* the file; written at its end through fd, read with pread */
	int fd;
	FILE *out;
	pthread_mutex_t mu;
	pthread_cond_t grew;
	off_t written;           /* bytes in the file (the writer's, under mu) */
	bool closed;             /* the writer is done */
	bool stop;               /* the writer failed: relay no more */
	int write_errno;         /* the writer's write to the file failed */
	int relay_errno;         /* the relay failed: reading the file or writing out */
	bool threaded;
	pthread_t thread;
	char buf[SPOOL_BUFFER];     /* the relay's */
	char in_buf[SPOOL_BUFFER];  /* the writer's stream's (setvbuf without one keeps 8 KiB) */
};

/*
 * The writer's stream: into the file, then the relay woken (see spool.h).
 * A failure returns 0 with errno, never -1: fopencookie(3) forbids a
 * negative count, and glibc's fwrite, given -1 for a large write, copies on
 * from beyond the end of the caller's buffer.
 */
static ssize_t spool_write(void *cookie, const char *data, size_t size)
{
	struct spool *s = cookie;
	pthread_mutex_lock(&s->mu);
	int relay_errno = s->relay_errno;
	pthread_mutex_unlock(&s->mu);
	if (relay_errno) {
		/* Nobody takes the bytes any more: stop the writer's work early. */
		errno = EPIPE;
		return 0;
	}
	if (s->write_errno) {
		/* The file holds part of a failed write beyond s->written: nothing may follow it. */
		errno = s->write_errno;
		return 0;
	}
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(s->fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->write_errno = n < 0 ? errno : ENOSPC;
			errno = s->write_errno;
			return 0;
		}
		done += (size_t)n;
	}
	pthread_mutex_lock(&s->mu);
	s->written += (off_t)size;
	pthread_cond_signal(&s->grew);
	pthread_mutex_unlock(&s->mu);
	return (ssize_t)size;
}

/* Copy the file's bytes [from, to) to out and flush it; 0 or an errno. */
static int relay_range(struct spool *s, off_t from, off_t to)
{
	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof s->buf ? (size_t)(to - from) : sizeof s->buf;
		ssize_t n = pread(s->fd, s->buf, want, from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		errno = 0;
		if (fwrite(s->buf, 1, (size_t)n, s->out) != (size_t)n)
			return errno ? errno : EIO;
		from += n;
	}
	errno = 0;
	return fflush(s->out) != 0 ? (errno ? errno : EIO) : 0;
}

/* The relay: whatever the file holds beyond what was sent, until the writer is done or stops. */
static void *relay(void *arg)
{
	struct spool *s = arg;
	off_t sent = 0;
	if (s->threaded) {
		/*
		 * A reader gone is this thread's EPIPE, reported by spool_finish,
		 * not a SIGPIPE that would end the process with the ledger open.
		 */
		sigset_t sigpipe;
		sigemptyset(&sigpipe);
		sigaddset(&sigpipe, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &sigpipe, NULL);
	}
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (sent == s->written && !s->closed && !s->stop)
			pthread_cond_wait(&s->grew, &s->mu);
		if (s->stop || sent == s->written)
			break;
		off_t upto = s->written;
		pthread_mutex_unlock(&s->mu);
		int e = relay_range(s, sent, upto);
		pthread_mutex_lock(&s->mu);
		if (e) {
			s->relay_errno = e;
			break;
		}
		sent = upto;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int spool_start(struct spool **sp, FILE *out, FILE **in, struct chobo_error *err)
{
	struct spool *s = calloc(1, sizeof *s);
	if (!s)
		return chobo_fail_errno(err, EX_OSERR, "starting a spool");
	int rc = scratch_file(&s->scratch, err);
	if (rc != 0) {
		free(s);
		return rc;
	}
	s->fd = fileno(s->scratch);
	s->out = out;
	int e = pthread_mutex_init(&s->mu, NULL);
	if (e == 0 && (e = pthread_cond_init(&s->grew, NULL)) != 0)
		pthread_mutex_destroy(&s->mu);
	if (e != 0) {
		errno = e;
		rc = chobo_fail_errno(err, EX_OSERR, "starting a spool");
		fclose(s->scratch);
		free(s);
		return rc;
	}
	cookie_io_functions_t io = {.write = spool_write};
	*in = fopencookie(s, "w", io);
	if (!*in || setvbuf(*in, s->in_buf, _IOFBF, sizeof s->in_buf) != 0) {
		rc = chobo_fail_errno(err, EX_OSERR, "starting a spool");
		if (*in)
			fclose(*in);
		*in = NULL;
		fclose(s->scratch);
		pthread_cond_destroy(&s->grew);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return rc;
	}
	/* Without a thread the relay runs at the end (spool_finish), as a plain spool would. */
	s->threaded = true;
	if (pthread_create(&s->thread, NULL, relay, s) != 0)
		s->threaded = false;
	*sp = s;
	return 0;
}

int spool_finish(struct spool *s, FILE *in, int rc, const char *what, struct chobo_error *err)
{
	bool closed_ok = fclose(in) == 0;
	int close_errno = errno;
	pthread_mutex_lock(&s->mu);
	s->closed = true;
	s->stop = rc != 0 || !closed_ok;
	pthread_cond_signal(&s->grew);
	pthread_mutex_unlock(&s->mu);
	if (s->threaded)
		pthread_join(s->thread, NULL);
	else if (!s->stop)
		relay(s);
	/* The relay's failure first: the writer's then followed from it (EPIPE). */
	if (rc == 0 && s->relay_errno) {
		errno = s->relay_errno;
		rc = chobo_fail_errno(err, EX_IOERR, "%s", what);
	}
	if (rc == 0 && (!closed_ok || s->write_errno)) {
		errno = s->write_errno ? s->write_errno : close_errno;
		rc = chobo_fail_errno(err, EX_IOERR, "%s (spooling it)", what);
	}
	fclose(s->scratch);
	pthread_cond_destroy(&s->grew);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc;
}
