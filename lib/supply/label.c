/*
 * A box's label payload: what supply-label signs and supply-post receive
 * checks, from one field list.  A shipment entry's payload is kind
 * supply.shipment, the entry's leaf index in its log, no validity dates
 * (the goods' expiry is a field, not the label's), and the fields
 * box, qty and (when the box has one) expiry, copied from the entry's body.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "ledger.h"
#include "merkle.h"
#include "payload.h"
#include "store.h"
#include "supply.h"

int supply_box_payload(const struct supply_line *b, struct payload *p, struct chobo_error *err)
{
	char box[24], qty[24];
	memset(p, 0, sizeof *p);
	p->index = b->index;
	p->not_before = p->not_after = PAYLOAD_NO_TIME;
	snprintf(p->issuer, sizeof p->issuer, "%s", b->log);
	snprintf(p->kind, sizeof p->kind, "%s", SUPPLY_LABEL_KIND);
	snprintf(box, sizeof box, "%" PRIu64, b->box);
	snprintf(qty, sizeof qty, "%" PRId64, b->quantity);
	if (!payload_add_field(p, "box", box) || !payload_add_field(p, "qty", qty) ||
	    (b->expiry[0] && !payload_add_field(p, "expiry", b->expiry)))
		return chobo_fail(err, EX_SOFTWARE, "box %" PRIu64 ": fields that a payload does not take", b->box);
	return 0;
}

/* True when a and b carry the same kind, index and fields in the same order. */
static bool same_payload(const struct payload *a, const struct payload *b)
{
	if (strcmp(a->kind, b->kind) != 0 || a->index != b->index || a->nfields != b->nfields ||
	    a->not_before != b->not_before || a->not_after != b->not_after)
		return false;
	for (size_t i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
		    strcmp(a->fields[i].value, b->fields[i].value) != 0)
			return false;
	return true;
}

int supply_box_of_payload(struct ledger *l, const struct payload *p, struct supply_line *b,
			  struct chobo_error *err)
{
	if (strcmp(p->kind, SUPPLY_LABEL_KIND) != 0)
		return chobo_fail(err, EX_DATAERR, "a %s payload, not a box label (%s)", p->kind, SUPPLY_LABEL_KIND);
	uint32_t log;
	uint64_t size;
	int rc = store_log_find(l->store, p->issuer, &log, &size);
	if (rc == STORE_NOTFOUND || (rc == STORE_OK && p->index >= size))
		return chobo_fail(err, EX_DATAERR,
				  "the label names entry %" PRIu64 " of %s, which this ledger does not hold "
				  "(an unknown shipment, or not yet synced)", p->index, p->issuer);
	if (rc != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	char hex[65];
	if ((rc = ledger_leaf_hex(l, log, p->index, hex, err)) != 0)
		return rc;

	/* The entry's box line: up to date with every entry the ledger holds. */
	if ((rc = views_refresh(l, err)) != 0)
		return rc;
	struct view_state *lines = view_stored(l, &supply_lines_view);
	rc = supply_line_get(lines, SUPPLY_BOX, hex, b, err);
	view_state_free(lines);
	if (rc == EX_UNAVAILABLE)
		return chobo_fail(err, EX_DATAERR, "entry %" PRIu64 " of %s is not a shipment (an unknown shipment)",
				  p->index, p->issuer);
	if (rc != 0)
		return rc;

	struct payload want;
	if ((rc = supply_box_payload(b, &want, err)) != 0)
		return rc;
	if (!same_payload(p, &want))
		return chobo_fail(err, EX_DATAERR,
				  "the label's fields differ from shipment %.16s (box %" PRIu64 " of %" PRId64 ")", hex,
				  b->box, b->quantity);
	return 0;
}
