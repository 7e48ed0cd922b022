/*
 * Ledgers made before the entry indexes and views existed have entries but
 * empty index tables.  The first normal open builds them, in one
 * transaction, from the entries.
 */
#ifndef CHOBO_INDEX_UPGRADE_H
#define CHOBO_INDEX_UPGRADE_H

#include "ledger.h"
#include "util.h"

/* Index every entry and build every view when the type index is empty but a log is not; 0 or an exit code with err. */
int index_upgrade(struct ledger *l, struct chobo_error *err);
/* 1 when index_upgrade has work to do, 0 when not, -1 with err when the store could not say. */
int index_upgrade_needed(struct ledger *l, struct chobo_error *err);

#endif
