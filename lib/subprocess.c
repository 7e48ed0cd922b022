#define _GNU_SOURCE   /* fopencookie */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "subprocess.h"

extern char **environ;

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define KILL_TREE_MAX 256

/* Add the children of every thread of pid (Linux's /proc/PID/task/TID/children) to tree, each stopped. */
static void stop_children(pid_t pid, pid_t *tree, size_t *n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && *n < KILL_TREE_MAX) {
		if (de->d_name[0] == '.')
			continue;
		char file[sizeof path + sizeof de->d_name + 16];
		snprintf(file, sizeof file, "%s/%s/children", path, de->d_name);
		FILE *f = fopen(file, "re");
		int child;
		while (f && *n < KILL_TREE_MAX && fscanf(f, "%d", &child) == 1) {
			bool seen = false;
			for (size_t i = 0; i < *n && !seen; i++)
				seen = tree[i] == child;
			if (!seen && child > 1 && kill(child, SIGSTOP) == 0)
				tree[(*n)++] = child;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
}

/*
 * Kill the child and what it started: a wrapper script given as the ssh
 * command runs ssh as its own child, which would live on, orphaned, with
 * the connection, after the wrapper alone is killed.  Each process is
 * stopped as it is found, so that it starts no more while the tree is
 * walked, and then all are killed; at most KILL_TREE_MAX.  Where /proc
 * does not list children, only the child is killed.
 */
static void kill_tree(pid_t pid)
{
	pid_t tree[KILL_TREE_MAX];
	size_t n = 0;
	if (kill(pid, SIGSTOP) == 0)
		tree[n++] = pid;
	for (size_t next = 0; next < n; next++)
		stop_children(tree[next], tree, &n);
	for (size_t i = n; i-- > 0;)
		kill(tree[i], SIGKILL);
	kill(pid, SIGKILL);
}

/* The failure of a child cut off for a limit: EX_UNAVAILABLE, and what it broke, in err. */
static int limit_broken(const struct subprocess *sp, const struct subprocess_limits *lim, bool bytes,
			struct chobo_error *err)
{
	if (bytes)
		return chobo_fail(err, EX_UNAVAILABLE, "%s wrote more than %llu bytes", sp->name,
				  (unsigned long long)lim->max_output);
	return chobo_fail(err, EX_UNAVAILABLE, "%s timed out after %u s", sp->name, lim->timeout);
}

/*
 * Wait for the child, cutting it off after the time limit (from its start)
 * or once out holds more than the byte limit.  The limits are looked at
 * every 2 ms; the child's end is seen at once through a pidfd (poll wakes
 * when it exits: callers wait for its answer), or at the next look where
 * the kernel has none.
 */
static int wait_bounded(const struct subprocess *sp, FILE *out, const struct subprocess_limits *lim,
			int *status, struct chobo_error *err)
{
	struct timespec tick = {0, 2 * 1000 * 1000};
	double deadline = sp->started + lim->timeout;
	int pidfd = pidfd_open(sp->pid, 0);
	int rc;
	for (;;) {
		pid_t got = waitpid(sp->pid, status, WNOHANG);
		if (got < 0 && errno != EINTR) {
			rc = chobo_fail_errno(err, EX_OSERR, "lost the %s process", sp->name);
			break;
		}
		struct stat sb;
		bool too_much = fstat(fileno(out), &sb) == 0 && (uint64_t)sb.st_size > lim->max_output;
		bool too_long = lim->timeout > 0 && monotonic() > deadline;
		if (got != sp->pid && (too_much || too_long)) {
			kill_tree(sp->pid);
			waitpid(sp->pid, status, 0);
		}
		if (too_much) {
			rc = limit_broken(sp, lim, true, err);
			break;
		}
		if (got == sp->pid) {
			rc = 0;
			break;
		}
		if (too_long) {
			rc = limit_broken(sp, lim, false, err);
			break;
		}
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		if (pidfd < 0 || poll(&p, 1, 2) < 0)
			nanosleep(&tick, NULL);
	}
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

/* Kill f's child for a broken limit; every later read fails. */
static ssize_t follow_cut(struct subprocess_follow *f, enum subprocess_cut why)
{
	kill_tree(f->sp->pid);
	f->cut = why;
	errno = EIO;
	return -1;
}

/* Has f's child ended?  Looked at without reaping it (subprocess_finish reaps it and reports). */
static bool follow_ended(struct subprocess_follow *f)
{
	if (!f->ended) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)f->sp->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == f->sp->pid) {
			f->ended = true;
			f->exited_ok = si.si_code == CLD_EXITED && si.si_status == 0;
		}
	}
	return f->ended;
}

/* The follower's read: what the child has written since the last read, waiting for more (see subprocess.h). */
static ssize_t follow_read(void *cookie, char *buf, size_t size)
{
	struct subprocess_follow *f = cookie;
	for (;;) {
		if (f->cut || f->stalled) {
			errno = f->cut ? EIO : EAGAIN;
			return -1;
		}
		/*
		 * The limits as subprocess_finish applies them: what the file
		 * holds, and time while the child runs (one that ended in time
		 * is read to its end, however long the reader takes).
		 */
		struct stat sb;
		if (fstat(f->fd, &sb) == 0 && (uint64_t)sb.st_size > f->lim.max_output)
			return follow_cut(f, SUBPROCESS_CUT_BYTES);
		double now = monotonic();
		if (f->lim.timeout > 0 && now > f->sp->started + f->lim.timeout && !follow_ended(f))
			return follow_cut(f, SUBPROCESS_CUT_TIME);
		ssize_t n = pread(f->fd, buf, size, f->off);
		if (n > 0) {
			f->off += n;
			return n;
		}
		if (n < 0 && errno != EINTR)
			return -1;
		if (n < 0)
			continue;
		if (f->ended) {
			if (f->exited_ok)
				return 0;
			errno = EIO;
			return -1;
		}
		if (follow_ended(f))
			continue;   /* what it wrote before it exited */
		if (f->waited >= f->max_wait) {
			f->stalled = true;
			continue;
		}
		/* A millisecond at most: the child's next write is not signalled, its exit is. */
		struct pollfd p = {.fd = f->pidfd, .events = POLLIN};
		struct timespec tick = {0, 1000 * 1000};
		if (f->pidfd < 0 || poll(&p, 1, 1) < 0)
			nanosleep(&tick, NULL);
		f->waited += monotonic() - now;
	}
}

int subprocess_follow_cut(const struct subprocess_follow *f, struct chobo_error *err)
{
	return limit_broken(f->sp, &f->lim, f->cut == SUBPROCESS_CUT_BYTES, err);
}

static int follow_close(void *cookie)
{
	struct subprocess_follow *f = cookie;
	int rc = close(f->fd);
	if (f->pidfd >= 0)
		close(f->pidfd);
	return rc;
}

FILE *subprocess_follow_open(struct subprocess_follow *f, const struct subprocess *sp, FILE *out,
			     const struct subprocess_limits *lim, double max_wait)
{
	memset(f, 0, sizeof *f);
	f->sp = sp;
	f->lim = *lim;
	f->max_wait = max_wait;
	if ((f->fd = fcntl(fileno(out), F_DUPFD_CLOEXEC, 0)) < 0)
		return NULL;
	f->pidfd = pidfd_open(sp->pid, 0);
	cookie_io_functions_t io = {.read = follow_read, .close = follow_close};
	FILE *in = fopencookie(f, "r", io);
	if (!in) {
		int e = errno;
		follow_close(f);
		errno = e;
	}
	return in;
}

int subprocess_start(char *const *argv, FILE *in, FILE *out, FILE *errout, struct subprocess *sp,
		     struct chobo_error *err)
{
	int devnull = -1;
	snprintf(sp->name, sizeof sp->name, "%s", argv[0]);
	if (!in && (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return chobo_fail_errno(err, EX_OSERR, "/dev/null");
	if (fflush(out) != 0 || (errout && fflush(errout) != 0)) {
		if (devnull >= 0)
			close(devnull);
		return chobo_fail_errno(err, EX_IOERR, "cannot write the output of %s", argv[0]);
	}
	posix_spawn_file_actions_t fa;
	int spawn_err = posix_spawn_file_actions_init(&fa);
	if (spawn_err == 0) {
		spawn_err = posix_spawn_file_actions_adddup2(&fa, in ? fileno(in) : devnull, 0);
		if (spawn_err == 0)
			spawn_err = posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
		if (spawn_err == 0 && errout)
			spawn_err = posix_spawn_file_actions_adddup2(&fa, fileno(errout), 2);
		if (spawn_err == 0)
			spawn_err = posix_spawnp(&sp->pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (devnull >= 0)
		close(devnull);
	if (spawn_err != 0)
		return chobo_fail(err, EX_OSERR, "cannot run %s: %s", argv[0], strerror(spawn_err));
	sp->started = monotonic();
	return 0;
}

int subprocess_finish(const struct subprocess *sp, FILE *out, const struct subprocess_limits *lim, int *status,
		      struct chobo_error *err)
{
	int rc = wait_bounded(sp, out, lim, status, err);
	if (rc != 0)
		return rc;
	if (!WIFEXITED(*status))
		return chobo_fail(err, EX_UNAVAILABLE, "%s was killed by signal %d", sp->name,
				  WIFSIGNALED(*status) ? WTERMSIG(*status) : 0);
	*status = WEXITSTATUS(*status);
	return 0;
}

void subprocess_kill(const struct subprocess *sp)
{
	int status;
	kill_tree(sp->pid);
	while (waitpid(sp->pid, &status, 0) < 0 && errno == EINTR)
		;
}

int subprocess_run(char *const *argv, FILE *in, FILE *out, FILE *errout,
		   const struct subprocess_limits *lim, int *status, struct chobo_error *err)
{
	struct subprocess sp;
	int rc = subprocess_start(argv, in, out, errout, &sp, err);
	return rc != 0 ? rc : subprocess_finish(&sp, out, lim, status, err);
}

/* Read file f from its start, at most max bytes, into a new NUL-terminated buffer; false on error. */
static bool read_back(FILE *f, uint64_t max, char **text, size_t *len)
{
	/* The child wrote through its own descriptor: find the end, then read from the start. */
	long size;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return false;
	size_t n = (uint64_t)size < max ? (size_t)size : (size_t)max;
	*text = xmalloc(n + 1);
	if (fread(*text, 1, n, f) != n)
		return false;
	(*text)[n] = '\0';
	*len = n;
	return true;
}

int subprocess_capture(char *const *argv, const struct subprocess_limits *lim,
		       struct subprocess_output *o, struct chobo_error *err)
{
	FILE *out = NULL, *errout = NULL;
	memset(o, 0, sizeof *o);
	int rc = scratch_file(&out, err);
	if (rc == 0)
		rc = scratch_file(&errout, err);
	if (rc == 0)
		rc = subprocess_run(argv, NULL, out, errout, lim, &o->status, err);
	if (rc == 0 && (!read_back(out, lim->max_output, &o->out, &o->out_len) ||
			!read_back(errout, SUBPROCESS_MAX_STDERR, &o->err, &o->err_len)))
		rc = chobo_fail_errno(err, EX_IOERR, "cannot read the output of %s", argv[0]);
	if (out)
		fclose(out);
	if (errout)
		fclose(errout);
	if (rc != 0)
		subprocess_output_free(o);
	return rc;
}

void subprocess_output_free(struct subprocess_output *o)
{
	free(o->out);
	free(o->err);
	o->out = o->err = NULL;
}

char *subprocess_sibling(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char *path = path_join(self, name);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return xstrdup(name);
}
