/*
 * Repeats: a record given again that this node's log holds already (a
 * sheet run a second time, a revocation re-run) appends nothing, and its
 * output line says "duplicate" and names the entry it repeats, with the
 * fields a receipt names that entry by, so that a script reads either line
 * the same way.
 */
#ifndef CHOBO_REPEAT_H
#define CHOBO_REPEAT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "ledger.h"
#include "stored_entry.h"
#include "util.h"

/* The entry a record repeats; is false when the record repeats nothing. */
struct repeat {
	bool is;
	uint64_t index;   /* in this node's log */
	char leaf[65];
	char time[21];
};

/* rep names se, the entry repeated (rep->is set). */
void repeat_of_entry(struct repeat *rep, const struct stored_entry *se);
/* rep names the entry whose leaf hash is leaf; 0, or EX_NOINPUT when the log holds none, with err. */
int repeat_find(struct ledger *l, const char *leaf, struct repeat *rep, struct chobo_error *err);
/* A new object {"result":"duplicate","leaf_index":…,"leaf_hash":…,"time":…} for rep's line, the caller's members to follow. */
json_t *repeat_line(const struct repeat *rep);

#endif
