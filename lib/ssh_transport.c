#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sha256.h"
#include "ssh_transport.h"
#include "subprocess.h"

#define DEFAULT_SYNC_TIMEOUT 600

/* The control directories are /tmp/chobo-sync.PID.XXXXXX, PID the run's own. */
#define CONTROL_DIR_PREFIX "chobo-sync."

/* The directory name in the directory at, not followed if a symbolic link; NULL with errno. */
static DIR *open_dir_at(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

/*
 * Remove the files of directory name in the directory at at, then the
 * directory itself, without following a symbolic link; 0 or -1 (errno).
 * A master told to exit removes its socket by itself, but may not have done
 * so yet: the sockets go first.
 */
static int remove_control_dir(int at, const char *name)
{
	DIR *d = open_dir_at(at, name);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return unlinkat(at, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -1;
}

/*
 * Whether a socket in the directory name (in /tmp, at) accepts a
 * connection: an ssh master still serves it.  The master of a killed run
 * outlives it for ControlPersist's seconds, and a run in another PID
 * namespace that shares /tmp looks gone to kill(2) while its master works.
 */
static bool control_dir_in_use(int at, const char *name)
{
	DIR *d = open_dir_at(at, name);
	if (!d)
		return false;
	bool in_use = false;
	struct dirent *de;
	while (!in_use && (de = readdir(d)) != NULL) {
		struct stat st;
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(st.st_mode) ||
		    (size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "/tmp/%s/%s", name, de->d_name) >=
			    sizeof sa.sun_path)
			continue;
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			continue;
		in_use = connect(s, (const struct sockaddr *)&sa, sizeof sa) == 0;
		close(s);
	}
	closedir(d);
	return in_use;
}

/*
 * A run that was killed (kill -9, or cut off by cron's or systemd's timeout)
 * could not remove its control directory: remove those of ours whose run
 * is gone.  Only directories named as ours make, owned by this user, whose
 * PID no process has and where no ssh master answers; a directory of a
 * live process, of a PID taken again since, or with a master still
 * running, stays (for a later run to find).
 */
static void remove_stale_control_dirs(void)
{
	DIR *tmp = opendir("/tmp");
	if (!tmp)
		return;
	struct dirent *de;
	while ((de = readdir(tmp)) != NULL) {
		const char *p = de->d_name;
		if (strncmp(p, CONTROL_DIR_PREFIX, strlen(CONTROL_DIR_PREFIX)) != 0)
			continue;
		p += strlen(CONTROL_DIR_PREFIX);
		char *end;
		errno = 0;
		long pid = strtol(p, &end, 10);
		struct stat st;
		if (errno != 0 || end == p || *end != '.' || strlen(end + 1) != 6 || pid <= 0 || pid == (long)getpid() ||
		    pid > INT_MAX)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;   /* the run (or a process that took its PID) is alive, or not ours to ask */
		if (fstatat(dirfd(tmp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid() || control_dir_in_use(dirfd(tmp), de->d_name))
			continue;
		remove_control_dir(dirfd(tmp), de->d_name);
	}
	closedir(tmp);
}

void ssh_transport_open(struct ssh_transport *t)
{
	const char *v = getenv("CHOBO_SYNC_TIMEOUT");
	uint64_t n;
	t->timeout = v && parse_u64(v, &n) && n > 0 && n < 86400 ? (unsigned)n : DEFAULT_SYNC_TIMEOUT;
	remove_stale_control_dirs();
	/* In /tmp, not $TMPDIR: a socket's path must stay short. */
	char template[64];
	snprintf(template, sizeof template, "/tmp/" CONTROL_DIR_PREFIX "%ld.XXXXXX", (long)getpid());
	char *made = mkdtemp(template);
	t->control_dir = made ? xstrdup(made) : NULL;
}

void ssh_transport_close(struct ssh_transport *t)
{
	/* The directory is ours (mkdtemp, 0700). */
	if (t->control_dir && remove_control_dir(AT_FDCWD, t->control_dir) != 0)
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

/*
 * The control socket of destination in t's directory, named by a hash of the
 * destination (as ssh's own %C names it by a hash, to keep the path short),
 * so that the hang-up knows which socket is whose.
 */
static void control_path(const struct ssh_transport *t, const char *destination, char *out, size_t len)
{
	uint8_t h[32];
	char hex[33];
	struct sha256 c;
	sha256_init(&c);
	sha256_update(&c, destination, strlen(destination));
	sha256_final(&c, h);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(out, len, "%s/%s", t->control_dir, hex);
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
	char control[PATH_MAX + 64];
	if (t->control_dir && !strstr(ssh ? ssh : "", "ControlPath")) {
		memcpy(control, "ControlPath=", 12);
		control_path(t, destination, control + 12, sizeof control - 12);
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

void ssh_cancel(struct ssh_call *call)
{
	subprocess_kill(&call->sp);
}

FILE *ssh_follow(struct ssh_call *call, struct subprocess_follow *follow, double max_wait)
{
	return subprocess_follow_open(follow, &call->sp, call->out, &call->lim, max_wait);
}

/*
 * OpenSSH's multiplexing protocol (its PROTOCOL.mux), as `ssh -O exit`
 * speaks it: both ends say hello (MUX_MSG_HELLO, version 4), then
 * MUX_C_TERMINATE; each message is preceded by its length (uint32,
 * big-endian).  The master answers MUX_S_OK, or exits before the answer
 * is written.
 */
static const unsigned char mux_request[] = {0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4,
					    0, 0, 0, 8, 0x10, 0, 0, 5, 0, 0, 0, 1};
static const unsigned char mux_hello_ok[] = {0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4,
					     0, 0, 0, 8, 0x80, 0, 0, 1, 0, 0, 0, 1};

bool ssh_mux_terminate(int fd)
{
	/* MSG_NOSIGNAL: a master gone meanwhile is an error here, not a SIGPIPE that ends the run. */
	if (send(fd, mux_request, sizeof mux_request, MSG_NOSIGNAL) != (ssize_t)sizeof mux_request)
		return false;
	/* The master closes the connection once it has answered or exited; more than expected is a no. */
	unsigned char got[sizeof mux_hello_ok + 1];
	size_t n = 0;
	bool eof = false;
	while (!eof && n < sizeof got) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 5000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t k = read(fd, got + n, sizeof got - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return false;
		if (k == 0)
			eof = true;
		else
			n += (size_t)k;
	}
	/* Its hello alone (it exited before answering), or its hello and OK; a read error or more is a no. */
	return eof && (n == 12 || n == sizeof mux_hello_ok) && memcmp(got, mux_hello_ok, n) == 0;
}

/* Tell the master at control socket path to exit (ssh_mux_terminate); false when it was not so told. */
static bool mux_terminate(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool told = connect(fd, (const struct sockaddr *)&sa, sizeof sa) == 0 && ssh_mux_terminate(fd);
	close(fd);
	return told;
}

void ssh_hang_up(const struct ssh_transport *t, const char *destination)
{
	static const char *const options[] = {"-q", "-O", "exit", NULL};
	static const char *const none[] = {NULL};
	if (!t->control_dir)
		return;
	char path[PATH_MAX + 64];
	control_path(t, destination, path, sizeof path);
	/* Else (no master at that socket, CHOBO_SSH's own ControlPath, a refusal) as ssh itself does it. */
	if (mux_terminate(path))
		return;
	/* Best effort: a master that is not told to exit ends by itself (ControlPersist). */
	FILE *out = fopen("/dev/null", "we");
	struct chobo_error ignored;
	if (out) {
		run_with(t, destination, options, none, NULL, out, 10, 1u << 20, &ignored);
		fclose(out);
	}
}
