/* Revocations of this node's log, by the entry they name. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "entry_index.h"
#include "revocation.h"
#include "stored_entry.h"

struct first_own {
	uint32_t log;
	bool found;
	uint64_t index;
};

static int first_own(void *ctx, uint32_t log, uint64_t index)
{
	struct first_own *f = ctx;
	if (!f->found && log == f->log) {
		f->found = true;
		f->index = index;
	}
	return 0;
}

int revocation_own(struct ledger *l, const char *ref, struct revocation *out, struct chobo_error *err)
{
	struct first_own f = {.log = l->log_id};
	struct stored_entry se = {0};
	memset(out, 0, sizeof *out);
	int rc = entry_index_each_key(l->store, "revoke", "ref", ref, first_own, &f, err);
	if (rc != 0 || !f.found)
		return rc;
	if ((rc = stored_entry_read(l, l->log_id, f.index, &se, err)) == 0) {
		repeat_of_entry(&out->entry, &se);
		stored_body_str(&se.doc, se.body, "reason", out->reason, sizeof out->reason);
	}
	stored_entry_free(&se);
	return rc;
}
