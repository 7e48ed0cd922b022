/* A Merkle hash reader over one log's stored entries and interior hashes. */
#ifndef CHOBO_HASH_READER_H
#define CHOBO_HASH_READER_H

#include <stdint.h>

#include "merkle.h"

struct ledger;

/* The reader; the ledger must stay open while it is used. */
struct ledger_reader {
	struct merkle_reader r;
	struct ledger *l;
	uint32_t log;
};

/* Set lr up to read log's hashes from the open ledger l. */
void ledger_reader_init(struct ledger_reader *lr, struct ledger *l, uint32_t log);

#endif
