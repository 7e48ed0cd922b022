#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ssh_transport.h"

extern char **environ;

#define DEFAULT_SYNC_TIMEOUT 600

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ssh_transport_open(struct ssh_transport *t)
{
	const char *v = getenv("CHOBO_SYNC_TIMEOUT");
	uint64_t n;
	t->timeout = v && parse_u64(v, &n) && n > 0 && n < 86400 ? (unsigned)n : DEFAULT_SYNC_TIMEOUT;
	/* In /tmp, not $TMPDIR: a socket's path must stay short. */
	char template[] = "/tmp/chobo-sync.XXXXXX";
	char *made = mkdtemp(template);
	t->control_dir = made ? xstrdup(made) : NULL;
}

void ssh_transport_close(struct ssh_transport *t)
{
	if (t->control_dir)
		rmdir(t->control_dir);
	free(t->control_dir);
	t->control_dir = NULL;
}

/* Wait for pid, cutting it off after timeout seconds or once out holds more than max_output bytes. */
static int wait_bounded(pid_t pid, FILE *out, unsigned timeout, uint64_t max_output, int *status,
			struct chobo_error *err)
{
	struct timespec tick = {0, 2 * 1000 * 1000};   /* short: every call waits for its answer */
	double deadline = monotonic() + timeout;
	for (;;) {
		pid_t got = waitpid(pid, status, WNOHANG);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return chobo_fail_errno(err, EX_OSERR, "lost the ssh process");
		/* A peer that talks too long or too much is cut off. */
		struct stat sb;
		bool too_much = fstat(fileno(out), &sb) == 0 && (uint64_t)sb.st_size > max_output;
		if (too_much || monotonic() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return chobo_fail(err, EX_UNAVAILABLE, "%s",
					  too_much ? "the peer sent more than the limit" : "timed out");
		}
		nanosleep(&tick, NULL);
	}
}

static int run_with(const struct ssh_transport *t, const char *destination, const char *const *options,
		    const char *const *verb, FILE *in, FILE *out, unsigned timeout, uint64_t max_output,
		    struct chobo_error *err)
{
	const char *ssh = getenv("CHOBO_SSH");
	char *cmd = xstrdup(ssh && *ssh ? ssh : "ssh");
	char *argv[64];
	int argc = 0;
	for (char *w = strtok(cmd, " \t"); w && argc < 48; w = strtok(NULL, " \t"))
		argv[argc++] = w;
	argv[argc++] = "-o";
	argv[argc++] = "BatchMode=yes";
	/* One connection per peer and run: later calls ride on the first (see ssh_hang_up). */
	char control[PATH_MAX + 32];
	if (t->control_dir && !strstr(ssh ? ssh : "", "ControlPath")) {
		snprintf(control, sizeof control, "ControlPath=%s/%%C", t->control_dir);
		argv[argc++] = "-o";
		argv[argc++] = "ControlMaster=auto";
		argv[argc++] = "-o";
		argv[argc++] = "ControlPersist=60";
		argv[argc++] = "-o";
		argv[argc++] = control;
	}
	argv[argc++] = "-o";
	argv[argc++] = "ServerAliveInterval=15";
	for (int i = 0; options && options[i] && argc < 58; i++)
		argv[argc++] = (char *)options[i];
	argv[argc++] = "--";
	argv[argc++] = (char *)destination;
	for (int i = 0; verb[i] && argc < 63; i++)
		argv[argc++] = (char *)verb[i];
	argv[argc] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	int devnull = in ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
	posix_spawn_file_actions_adddup2(&fa, in ? fileno(in) : devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
	pid_t pid;
	int spawn_err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (devnull >= 0)
		close(devnull);
	if (spawn_err != 0) {
		int rc = chobo_fail(err, EX_OSERR, "cannot run %s: %s", argv[0], strerror(spawn_err));
		free(cmd);
		return rc;
	}
	free(cmd);
	int status = 0;
	int rc = wait_bounded(pid, out, timeout, max_output, &status, err);
	if (rc != 0)
		return rc;
	if (!WIFEXITED(status))
		return chobo_fail(err, EX_UNAVAILABLE, "ssh was killed");
	switch (WEXITSTATUS(status)) {
	case 0: return 0;
	case 255: return chobo_fail(err, EX_UNAVAILABLE, "ssh failed (unreachable, or the key was refused)");
	case EX_NOPERM: return chobo_fail(err, EX_NOPERM, "the peer refused the request");
	default: return chobo_fail(err, EX_UNAVAILABLE, "the peer's chain-sync failed");
	}
}

int ssh_run(const struct ssh_transport *t, const char *destination, const char *const *verb,
	    FILE *in, FILE *out, uint64_t max_output, struct chobo_error *err)
{
	return run_with(t, destination, NULL, verb, in, out, t->timeout, max_output, err);
}

void ssh_hang_up(const struct ssh_transport *t, const char *destination)
{
	static const char *const options[] = {"-q", "-O", "exit", NULL};
	static const char *const none[] = {NULL};
	if (!t->control_dir)
		return;
	/* Best effort: a master that is not told to exit ends by itself (ControlPersist). */
	FILE *out = fopen("/dev/null", "we");
	struct chobo_error ignored;
	if (out) {
		run_with(t, destination, options, none, NULL, out, 10, 1u << 20, &ignored);
		fclose(out);
	}
}
