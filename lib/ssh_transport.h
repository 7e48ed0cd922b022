/*
 * Running one command at a peer node over OpenSSH, as chain-sync does: the
 * configured ssh ($CHOBO_SSH, else "ssh") in batch mode, one shared
 * connection per peer and run (control sockets in a private directory), and
 * bounds on every call: time ($CHOBO_SYNC_TIMEOUT seconds, default 600) and
 * the bytes the peer may send.
 */
#ifndef CHOBO_SSH_TRANSPORT_H
#define CHOBO_SSH_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "subprocess.h"
#include "util.h"

struct ssh_transport {
	char *control_dir;   /* this run's control sockets; NULL: every call connects anew */
	unsigned timeout;    /* seconds one call may take */
};

/*
 * Read the timeout and make the control directory (without one, connections
 * are not shared), first removing those that killed runs left behind.
 */
void ssh_transport_open(struct ssh_transport *t);
/*
 * Run the words of verb (NULL-terminated) at destination, stdin from in (or
 * /dev/null), stdout into the file out; the call is cut off after the
 * timeout or once out holds more than max_output bytes.  0, or with err:
 * EX_NOPERM when the peer refused the verb, EX_OSERR when ssh cannot be run,
 * EX_UNAVAILABLE otherwise (unreachable, refused key, timed out, too much
 * output, the peer's program failed).
 */
int ssh_run(const struct ssh_transport *t, const char *destination, const char *const *verb,
	    FILE *in, FILE *out, uint64_t max_output, struct chobo_error *err);
/* A call started with ssh_start. */
struct ssh_call {
	struct subprocess sp;
	FILE *out;
	struct subprocess_limits lim;
};
/*
 * ssh_run in two halves, so that the caller works while the peer answers:
 * start the call (0 or an exit code with err), then, once started, always
 * finish it: ssh_run's result.
 */
int ssh_start(const struct ssh_transport *t, const char *destination, const char *const *verb, FILE *in,
	      FILE *out, uint64_t max_output, struct ssh_call *call, struct chobo_error *err);
int ssh_finish(struct ssh_call *call, struct chobo_error *err);
/* End a started call whose answer is no longer wanted (instead of ssh_finish). */
void ssh_cancel(struct ssh_call *call);
/*
 * The output of a started call as the peer sends it (subprocess_follow_open
 * over the call's file and limits, reads waiting max_wait seconds in all);
 * close it before ssh_finish.  NULL with errno set.
 */
FILE *ssh_follow(struct ssh_call *call, struct subprocess_follow *follow, double max_wait);
/* End the shared connection to destination, if one was made: its master told over its socket, else by ssh -O exit. */
void ssh_hang_up(const struct ssh_transport *t, const char *destination);
/*
 * Over fd, a connection to an ssh master's control socket, ask the master
 * to exit (OpenSSH's multiplexing protocol, as ssh -O exit does); true only
 * when it answered exactly as such a master does before the connection
 * closed, within 5 s for each read.
 */
bool ssh_mux_terminate(int fd);
/* Remove the control directory. */
void ssh_transport_close(struct ssh_transport *t);

#endif
