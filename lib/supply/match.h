/*
 * Proposals between open needs and open offers (supply-match(1)), computed
 * from the lines of supply.lines and the catalogue alone, so that the same
 * ledger gives the same proposals on every node, byte for byte.
 *
 * An offer fits a need when it is for the same item in the same unit (never
 * across units), has the need's size when the need names one, is free of
 * every allergen the need excludes (the offer's allergen_free together with
 * its catalogue item's), keeps until the need's deadline (or now) plus
 * supply.min_shelf_days, and is not for another disaster.  Needs are served
 * by priority (1 first, none last), then deadline (none last), then merge
 * order (the needs of a closed site are left out: match_close_site); each
 * takes first what was pledged to it, then free offers that
 * fit, the one that expires first (FEFO, no expiry last), then merge order,
 * filling partly from as many offers as it takes.  No offer gives more than
 * it has left, no need takes more than it has open.
 */
#ifndef CHOBO_SUPPLY_MATCH_H
#define CHOBO_SUPPLY_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "supply.h"

/* A place in the merge order (DESIGN §5.1): time, then log name, then index. */
struct match_order {
	int64_t time;
	const char *log;   /* interned by the match set */
	uint64_t index;
};

struct match_need {
	char hash[65];
	char site[SUPPLY_CODE_MAX + 1], item[SUPPLY_CODE_MAX + 1], unit[SUPPLY_UNIT_MAX + 1];
	char size[SUPPLY_SIZE_MAX + 1], disaster[SUPPLY_CODE_MAX + 1];
	char deadline_text[21];
	uint32_t avoid;        /* bit i: supply_allergens[i] must be absent */
	bool has_deadline;
	int64_t deadline;
	uint64_t priority;     /* 0 for none */
	int64_t open;          /* what free offers may fill */
	int64_t wanted;        /* what it still takes at all, pledges included: asked less requested */
	int64_t uncovered;     /* supply_need_uncovered: open before bounds, below 0 when pledged beyond it */
	struct match_order order;
};

struct match_offer {
	char hash[65];
	char item[SUPPLY_CODE_MAX + 1], unit[SUPPLY_UNIT_MAX + 1], size[SUPPLY_SIZE_MAX + 1];
	char disaster[SUPPLY_CODE_MAX + 1], expiry_text[SUPPLY_DATE_LEN + 1];
	char need[65];         /* pledged against this need, "" when free */
	uint32_t free_of;      /* bit i: supply_allergens[i] is absent (before the catalogue's) */
	int64_t good_until;    /* the first second it is expired; INT64_MAX for no expiry */
	int64_t left;
	struct match_order order;
};

/* What the catalogue says of an item that its offers do not repeat. */
struct match_item {
	char code[SUPPLY_CODE_MAX + 1];
	char size[SUPPLY_SIZE_MAX + 1];
	uint32_t free_of;
};

/* One proposal: quantity of offer for need (indexes into the set). */
struct match_proposal {
	size_t need, offer;
	int64_t quantity;
	bool pledged;          /* the offer was pledged against this need */
};

struct match_set {
	struct match_need *need;
	size_t nneeds, need_cap;
	struct match_offer *offer;
	size_t noffers, offer_cap;
	struct match_item *item;
	size_t nitems, item_cap;
	char **log;
	size_t nlogs, log_cap;
	char **closed;         /* the closed sites' codes, sorted */
	size_t nclosed, closed_cap;
};

/* The allergen codes of a comma-separated list as bits of supply_allergens; false for an unknown code. */
bool match_allergen_mask(const char *list, uint32_t *mask);

/*
 * Add a line of supply.lines: an open need (or one wholly pledged whose
 * pledges wait to be requested) or an offer with something left (other
 * lines, and needs and offers with nothing for matching, are skipped).
 * False when the line's fields are malformed (a time, a date, an allergen).
 */
bool match_add_line(struct match_set *m, const struct supply_line *ln);
/*
 * The same for a line of the open index (supply_open_parse): a need (open
 * is its supply_need_uncovered, which may be 0 or less: the index keeps a
 * wholly pledged need) or an offer with open left, the fields matching
 * reads set in ln.
 */
bool match_add_open(struct match_set *m, const struct supply_line *ln, int64_t open);
/* Leave the needs of site code out of the matching: the site is closed (call before adding lines). */
void match_close_site(struct match_set *m, const char *code);
/* Add a catalogue item's size and allergen-free list; false for an unknown allergen. */
bool match_add_item(struct match_set *m, const char *code, const char *size, const char *allergen_free);

/*
 * The proposals at time now with min_shelf_days of shelf life wanted, in
 * need order then offer order, into *out (*n of them; free with free()).
 * Sorts the set's needs, offers and items (the proposals index the sorted
 * arrays) and takes the proposals off the needs' open and the offers' left.
 */
void match_run(struct match_set *m, int64_t now, uint64_t min_shelf_days, struct match_proposal **out,
	       size_t *n);

/* Free what the set holds. */
void match_set_free(struct match_set *m);

#endif
