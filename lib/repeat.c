/* The entry a repeated record repeats, and the start of its duplicate line. */
#include "config.h"

#include <stdio.h>

#include "repeat.h"

void repeat_of_entry(struct repeat *rep, const struct stored_entry *se)
{
	rep->is = true;
	rep->index = se->index;
	snprintf(rep->leaf, sizeof rep->leaf, "%s", se->leaf);
	time_format(rep->time, se->time);
}

int repeat_find(struct ledger *l, const char *leaf, struct repeat *rep, struct chobo_error *err)
{
	struct stored_entry se = {0};
	int rc = stored_entry_find(l, leaf, &se, err);
	if (rc == 0)
		repeat_of_entry(rep, &se);
	stored_entry_free(&se);
	return rc;
}

json_t *repeat_line(const struct repeat *rep)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "result", "duplicate", "leaf_index", (json_int_t)rep->index,
			      "leaf_hash", rep->leaf, "time", rep->time);
	if (!o)
		xalloc_failed();
	return o;
}
