#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssh_transport.h"
#include "subprocess.h"

#define DEFAULT_SYNC_TIMEOUT 600

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
	/*
	 * A master told to exit removes its socket by itself, but may not have
	 * done so yet: the sockets go first, or every run would leave its
	 * directory behind in /tmp.  The directory is ours (mkdtemp, 0700).
	 */
	DIR *d = t->control_dir ? opendir(t->control_dir) : NULL;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	if (t->control_dir && rmdir(t->control_dir) != 0 && errno != ENOENT)
		chobo_warn_errno("%s: cannot remove the ssh control directory", t->control_dir);
	free(t->control_dir);
	t->control_dir = NULL;
}

/* The status of ssh (the peer's chain-sync's, passed on) as an exit code with err. */
static int ssh_status(int status, struct chobo_error *err)
{
	switch (status) {
	case 0: return 0;
	case 255: return chobo_fail(err, EX_UNAVAILABLE, "ssh failed (unreachable, or the key was refused)");
	case EX_NOPERM: return chobo_fail(err, EX_NOPERM, "the peer refused the request");
	default: return chobo_fail(err, EX_UNAVAILABLE, "the peer's chain-sync failed");
	}
}

/* Start ssh at destination with options and the words of verb (see ssh_run); 0 or an exit code with err. */
static int start_with(const struct ssh_transport *t, const char *destination, const char *const *options,
		      const char *const *verb, FILE *in, FILE *out, struct subprocess *sp, struct chobo_error *err)
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
	int rc = subprocess_start(argv, in, out, NULL, sp, err);
	free(cmd);
	return rc;
}

static int run_with(const struct ssh_transport *t, const char *destination, const char *const *options,
		    const char *const *verb, FILE *in, FILE *out, unsigned timeout, uint64_t max_output,
		    struct chobo_error *err)
{
	struct subprocess sp;
	struct subprocess_limits lim = {timeout, max_output};
	int status = 0;
	int rc = start_with(t, destination, options, verb, in, out, &sp, err);
	if (rc == 0)
		rc = subprocess_finish(&sp, out, &lim, &status, err);
	return rc != 0 ? rc : ssh_status(status, err);
}

int ssh_run(const struct ssh_transport *t, const char *destination, const char *const *verb,
	    FILE *in, FILE *out, uint64_t max_output, struct chobo_error *err)
{
	return run_with(t, destination, NULL, verb, in, out, t->timeout, max_output, err);
}

int ssh_start(const struct ssh_transport *t, const char *destination, const char *const *verb, FILE *in,
	      FILE *out, uint64_t max_output, struct ssh_call *call, struct chobo_error *err)
{
	call->out = out;
	call->lim.timeout = t->timeout;
	call->lim.max_output = max_output;
	return start_with(t, destination, NULL, verb, in, out, &call->sp, err);
}

int ssh_finish(struct ssh_call *call, struct chobo_error *err)
{
	int status = 0;
	int rc = subprocess_finish(&call->sp, call->out, &call->lim, &status, err);
	return rc != 0 ? rc : ssh_status(status, err);
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
