/*
 * libFuzzer harness: a log's tip record (lib/log_tip.c), as chain-append
 * and chain-verify read it from hashes.db.
 *
 * The input is the record's bytes.  What decodes must encode back to the
 * same bytes, and hold one hash per set bit of its size.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_tip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_tip t;
	uint8_t buf[LOG_TIP_MAX];
	if (!log_tip_decode(data, size, &t))
		return 0;
	if ((unsigned)__builtin_popcountll(t.stack.size) != t.stack.depth)
		abort();
	size_t n = log_tip_encode(&t, buf);
	if (n != size || memcmp(buf, data, size) != 0)
		abort();
	return 0;
}
