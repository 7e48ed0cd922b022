/* Level 0 hashes are computed from the stored entries; interior ones are stored per odd leaf. */
#include "config.h"

#include "hash_reader.h"
#include "ledger.h"
#include "store.h"

static int read_stored_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct ledger_reader *lr = ctx;
	struct store *st = lr->l->store;
	if (level == 0) {
		const void *data;
		size_t len;
		int rc = store_entry_get(st, lr->log, index, &data, &len);
		if (rc == STORE_OK)
			merkle_leaf_hash(out, data, len);
		return rc;
	}
	return store_hashes_get(st, lr->log, ((index + 1) << level) - 1, level, out);
}

void ledger_reader_init(struct ledger_reader *lr, struct ledger *l, uint32_t log)
{
	lr->r.read_hash = read_stored_hash;
	lr->r.ctx = lr;
	lr->l = l;
	lr->log = log;
}
