/*
 * libFuzzer harness: the stored values of supply.lines (lib/supply/views.c),
 * which supply-match, supply-status and supply-events read back from the
 * store: supply_line_parse, and supply_open_parse with the index's key.
 *
 * The input is a key, a NUL byte and a value (no NUL: the whole input is the
 * value, under a well-formed index key).  What the open index parses must
 * hold what its record says: a need or an offer, a whole leaf hash, codes
 * and unit within their bounds, something open (a need may have 0: its
 * pledges wait), a quantity of at least 1 and what requests took.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supply/supply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fallback[] =
		"open/need/water-2l/本/0000000000000000000000000000000000000000000000000000000000000000";
	const uint8_t *nul = memchr(data, '\0', size);
	size_t klen = nul ? (size_t)(nul - data) : 0;
	char *key = malloc((nul ? klen : sizeof fallback) + 1);
	if (nul)
		memcpy(key, data, klen);
	else
		memcpy(key, fallback, klen = sizeof fallback - 1);
	key[klen] = '\0';
	const char *value = (const char *)(nul ? nul + 1 : data);
	size_t vlen = nul ? size - klen - 1 : size;

	struct supply_line ln;
	struct json_doc doc = {0};
	int64_t open;
	(void)supply_line_parse(value, vlen, &ln);
	if (supply_open_parse(key, value, vlen, &doc, &ln, &open)) {
		if (open < (ln.kind == SUPPLY_NEED ? 0 : 1) || ln.quantity < 1 || ln.requested < 0 ||
		    (ln.kind != SUPPLY_NEED && ln.kind != SUPPLY_OFFER) || strlen(ln.leaf_hash) != 64 ||
		    strlen(ln.item) > SUPPLY_CODE_MAX || strlen(ln.unit) > SUPPLY_UNIT_MAX || strchr(ln.item, '/') ||
		    strchr(ln.unit, '/'))
			abort();
		uint32_t mask;
		char prefix[SUPPLY_OPEN_KEY_MAX];
		supply_open_prefix(prefix, SUPPLY_OFFER, ln.item, ln.unit);
		if (ln.kind == SUPPLY_OFFER && strncmp(key, prefix, strlen(prefix)) == 0 &&
		    !supply_open_offer_mask(key, strlen(prefix), &mask))
			abort();
	}
	json_doc_free(&doc);
	free(key);
	return 0;
}
