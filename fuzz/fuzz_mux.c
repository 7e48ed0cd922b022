/*
 * libFuzzer harness: an ssh master's answer to the hang-up
 * (ssh_mux_terminate, lib/ssh_transport.c).
 *
 * The input is what the master writes before it closes the connection; the
 * harness plays the master over a socketpair, checks that the request is
 * the one ssh -O exit sends, and that the hang-up counts as told exactly
 * the two answers a master that exits gives: its hello, or its hello and OK.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssh_transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char request[] = {0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4,
					0, 0, 0, 8, 0x10, 0, 0, 5, 0, 0, 0, 1};
static const unsigned char hello_ok[] = {0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4,
					 0, 0, 0, 8, 0x80, 0, 0, 1, 0, 0, 0, 1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A socket buffer holds far more than this without blocking the writer. */
	if (size > 4096)
		return 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		abort();
	if (shutdown(sv[1], SHUT_WR) != 0)
		abort();
	bool told = ssh_mux_terminate(sv[0]);
	unsigned char got[sizeof request + 1];
	ssize_t n = read(sv[1], got, sizeof got);
	if (n != (ssize_t)sizeof request || memcmp(got, request, sizeof request) != 0)
		abort();
	bool expected = (size == 12 || size == sizeof hello_ok) && memcmp(data, hello_ok, size) == 0;
	if (told != expected)
		abort();
	close(sv[0]);
	close(sv[1]);
	return 0;
}
