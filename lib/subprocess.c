#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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

/* Wait for pid, cutting it off after the time limit or once out holds more than the byte limit. */
static int wait_bounded(pid_t pid, const char *name, FILE *out, const struct subprocess_limits *lim,
			int *status, struct chobo_error *err)
{
	struct timespec tick = {0, 2 * 1000 * 1000};   /* short: callers wait for the answer */
	double deadline = monotonic() + lim->timeout;
	for (;;) {
		pid_t got = waitpid(pid, status, WNOHANG);
		if (got < 0 && errno != EINTR)
			return chobo_fail_errno(err, EX_OSERR, "lost the %s process", name);
		struct stat sb;
		bool too_much = fstat(fileno(out), &sb) == 0 && (uint64_t)sb.st_size > lim->max_output;
		bool too_long = lim->timeout > 0 && monotonic() > deadline;
		if (got != pid && (too_much || too_long)) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
		}
		if (too_much)
			return chobo_fail(err, EX_UNAVAILABLE, "%s wrote more than %llu bytes", name,
					  (unsigned long long)lim->max_output);
		if (got == pid)
			return 0;
		if (too_long)
			return chobo_fail(err, EX_UNAVAILABLE, "%s timed out after %u s", name, lim->timeout);
		nanosleep(&tick, NULL);
	}
}

int subprocess_run(char *const *argv, FILE *in, FILE *out, const struct subprocess_limits *lim,
		   int *status, struct chobo_error *err)
{
	int devnull = -1;
	if (!in && (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return chobo_fail_errno(err, EX_OSERR, "/dev/null");
	if (fflush(out) != 0) {
		if (devnull >= 0)
			close(devnull);
		return chobo_fail_errno(err, EX_IOERR, "cannot write the output of %s", argv[0]);
	}
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int spawn_err = posix_spawn_file_actions_init(&fa);
	if (spawn_err == 0) {
		spawn_err = posix_spawn_file_actions_adddup2(&fa, in ? fileno(in) : devnull, 0);
		if (spawn_err == 0)
			spawn_err = posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
		if (spawn_err == 0)
			spawn_err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (devnull >= 0)
		close(devnull);
	if (spawn_err != 0)
		return chobo_fail(err, EX_OSERR, "cannot run %s: %s", argv[0], strerror(spawn_err));
	int rc = wait_bounded(pid, argv[0], out, lim, status, err);
	if (rc != 0)
		return rc;
	if (!WIFEXITED(*status))
		return chobo_fail(err, EX_UNAVAILABLE, "%s was killed by signal %d", argv[0],
				  WIFSIGNALED(*status) ? WTERMSIG(*status) : 0);
	*status = WEXITSTATUS(*status);
	return 0;
}

int subprocess_capture(char *const *argv, const struct subprocess_limits *lim, char **text,
		       size_t *len, int *status, struct chobo_error *err)
{
	FILE *out;
	*text = NULL;
	int rc = scratch_file(&out, err);
	if (rc != 0)
		return rc;
	rc = subprocess_run(argv, NULL, out, lim, status, err);
	long size = -1;
	/* The child wrote through its own descriptor: find the end, then read from the start. */
	if (rc == 0 && (fseek(out, 0, SEEK_END) != 0 || (size = ftell(out)) < 0 || fseek(out, 0, SEEK_SET) != 0))
		rc = chobo_fail_errno(err, EX_IOERR, "cannot read the output of %s", argv[0]);
	if (rc == 0) {
		*text = xmalloc((size_t)size + 1);
		if (fread(*text, 1, (size_t)size, out) != (size_t)size) {
			rc = chobo_fail_errno(err, EX_IOERR, "cannot read the output of %s", argv[0]);
			free(*text);
			*text = NULL;
		} else {
			(*text)[size] = '\0';
			*len = (size_t)size;
		}
	}
	fclose(out);
	return rc;
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
