/*
 * libFuzzer harness: bundles and their audit.
 *
 * Two forms of input:
 *  - a bundle file as chain-export writes it (it starts with the magic line
 *    "chobo-bundle/1\n"): read through bundle_reader_open/bundle_next over
 *    fmemopen, then audited with audit_bundle;
 *  - anything else is a list of records, each tag (1 byte), length (2 bytes,
 *    big-endian) and payload, that the harness writes as a bundle with
 *    bundle_writer and then audits.  This gets the fuzzer past the zlib
 *    stream and the end record's checksum to the record and audit checks.
 * The trust set holds the keys of the ledger that made the seed bundles in
 * tests/fuzz/bundle/.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bundle.h"
#include "keys.h"
#include "note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const vkeys[] = {
	"example.org/fuzzlog+8f95aab9+AWOW1SecWXxQ9dItbIzeJR2yGig1gNd3jXOctXjBTgyM",
	"example.org/fuzzlog/witness+b63a8f43+BEVYzi8k5ezUgGMbG0TikTTEMe2c0AHYgz1Q+l98dToS",
};
#define NKEYS (sizeof vkeys / sizeof vkeys[0])

static struct note_verifier keys[NKEYS];
static struct trust trust;

static void load_keys(void)
{
	const char *why;
	for (size_t k = 0; k < NKEYS; k++)
		if (!note_vkey_parse(vkeys[k], &keys[k], &why))
			abort();
	trust.keys = keys;
	trust.n = NKEYS;
}

static void audit_one(const uint8_t *bytes, size_t len)
{
	FILE *in = fmemopen((void *)bytes, len, "rb");
	const char *why;
	struct bundle_reader *r;
	struct audit a;
	bool complete;
	if (!in)
		return;
	if ((r = bundle_reader_open(in, &why))) {
		memset(&a, 0, sizeof a);
		a.trust = &trust;
		(void)audit_bundle(&a, r, &complete);
		if (a.p.found && (!a.p.where || !memchr(a.p.log, '\0', sizeof a.p.log)))
			abort();
		audit_free(&a);
		bundle_reader_close(r);
	}
	fclose(in);
}

static void read_all(const uint8_t *bytes, size_t len)
{
	FILE *in = fmemopen((void *)bytes, len, "rb");
	const char *why;
	struct bundle_reader *r;
	enum bundle_tag tag;
	const uint8_t *payload;
	size_t n;
	struct merkle_stack st;
	if (!in)
		return;
	if ((r = bundle_reader_open(in, &why))) {
		while (bundle_next(r, &tag, &payload, &n, &why) == 1) {
			if (n > BUNDLE_MAX_RECORD)
				abort();
			if (tag == BUNDLE_STACK)
				(void)bundle_stack_decode(payload, n, &st);
		}
		bundle_reader_close(r);
	}
	fclose(in);
}

/* Write the records described by data as a bundle; the caller frees *out. */
static bool build(const uint8_t *data, size_t size, char **out, size_t *outlen)
{
	FILE *mem = open_memstream(out, outlen);
	struct bundle_writer *w;
	if (!mem)
		return false;
	if (!(w = bundle_writer_open(mem))) {
		fclose(mem);
		free(*out);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i + 3 <= size;) {
		size_t n = (size_t)data[i + 1] << 8 | data[i + 2];
		if (n > size - i - 3)
			n = size - i - 3;
		ok = bundle_put(w, (enum bundle_tag)data[i], data + i + 3, n);
		i += 3 + n;
	}
	ok = bundle_writer_close(w) && ok;
	fclose(mem);
	if (!ok)
		free(*out);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!trust.keys)
		load_keys();
	if (size >= sizeof BUNDLE_MAGIC - 1 && memcmp(data, BUNDLE_MAGIC, sizeof BUNDLE_MAGIC - 1) == 0) {
		read_all(data, size);
		audit_one(data, size);
		return 0;
	}
	char *bundle = NULL;
	size_t len = 0;
	if (build(data, size, &bundle, &len)) {
		audit_one((const uint8_t *)bundle, len);
		free(bundle);
	}
	return 0;
}
