/*
 * supply-match's proposals over lines built in memory: units, sizes,
 * allergens (the offer's and its catalogue item's), shelf life, FEFO,
 * partial fills, pledges, priority and deadline order, and no offer giving
 * more than it has.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "supply/match.h"
#include "tap.h"

static uint64_t seq;

static struct supply_line line(enum supply_kind kind, const char *hash, const char *item, const char *unit,
			       int64_t q)
{
	struct supply_line ln;
	memset(&ln, 0, sizeof ln);
	ln.kind = kind;
	snprintf(ln.leaf_hash, sizeof ln.leaf_hash, "%s", hash);
	snprintf(ln.log, sizeof ln.log, "tama.example/a");
	ln.index = ++seq;
	snprintf(ln.time, sizeof ln.time, "2025-06-01T09:00:00Z");
	snprintf(ln.site, sizeof ln.site, "S-001");
	snprintf(ln.item, sizeof ln.item, "%s", item);
	snprintf(ln.unit, sizeof ln.unit, "%s", unit);
	ln.quantity = q;
	return ln;
}

/* Lines of one item ("tp" in 個) given by a table: kind, hash, site, allergen_free, quantity. */
struct few {
	enum supply_kind kind;
	const char *hash, *site, *allergen_free;
	int64_t quantity;
};

static void add_few(struct match_set *m, const struct few *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct supply_line ln = line(v[i].kind, v[i].hash, "tp", "個", v[i].quantity);
		snprintf(ln.site, sizeof ln.site, "%s", v[i].site);
		snprintf(ln.allergen_free, sizeof ln.allergen_free, "%s", v[i].allergen_free);
		match_add_line(m, &ln);
	}
}

/* The proposals as "need>offer:q" words, in order. */
static char *run(struct match_set *m, int64_t now, uint64_t shelf)
{
	struct match_proposal *p;
	size_t n;
	static char out[1024];
	out[0] = '\0';
	match_run(m, now, shelf, &p, &n);
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s>%s:%lld", i ? " " : "",
			 m->need[p[i].need].hash, m->offer[p[i].offer].hash, (long long)p[i].quantity);
	free(p);
	match_set_free(m);
	return out;
}

int main(void)
{
	struct match_set m = {0};
	struct supply_line ln;
	int64_t now;
	time_parse("2025-06-01T12:00:00Z", &now);

	/* Units never cross; sizes must be equal where the need has one. */
	ln = line(SUPPLY_NEED, "n1", "diaper", "パック", 10);
	snprintf(ln.size, sizeof ln.size, "M");
	ok(match_add_line(&m, &ln), "a need with a size");
	ln = line(SUPPLY_OFFER, "o1", "diaper", "個", 10);
	snprintf(ln.size, sizeof ln.size, "M");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o2", "diaper", "パック", 10);
	snprintf(ln.size, sizeof ln.size, "L");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o3", "diaper", "パック", 4);
	snprintf(ln.size, sizeof ln.size, "M");
	match_add_line(&m, &ln);
	is_str(run(&m, now, 0), "n1>o3:4", "only the offer in the same unit and size, partly");

	/* Allergens: the offer's own flags and its catalogue item's both count. */
	ln = line(SUPPLY_NEED, "n1", "rice", "食", 100);
	snprintf(ln.allergen_free, sizeof ln.allergen_free, "egg,milk");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o1", "rice", "食", 50);
	snprintf(ln.allergen_free, sizeof ln.allergen_free, "egg");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o2", "rice", "食", 50);
	snprintf(ln.allergen_free, sizeof ln.allergen_free, "milk,egg,wheat");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o3", "rice-af", "食", 50);
	match_add_line(&m, &ln);
	ok(!match_add_item(&m, "x", "", "egg,caviar"), "an unknown allergen in the catalogue is refused");
	is_str(run(&m, now, 0), "n1>o2:50", "the offer that lacks milk is left out");

	ln = line(SUPPLY_NEED, "n1", "rice-af", "食", 10);
	snprintf(ln.allergen_free, sizeof ln.allergen_free, "milk");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o3", "rice-af", "食", 50);
	match_add_line(&m, &ln);
	match_add_item(&m, "rice-af", "", "egg,milk,wheat");
	is_str(run(&m, now, 0), "n1>o3:10", "an item free of milk in the catalogue fits");

	/* Shelf life and FEFO. */
	ln = line(SUPPLY_NEED, "n1", "water", "本", 30);
	snprintf(ln.deadline, sizeof ln.deadline, "2025-06-10T00:00:00Z");
	match_add_line(&m, &ln);
	const char *exp[] = {"2025-06-09", "2025-12-31", "2025-06-10", "", "2025-07-01"};
	for (int i = 0; i < 5; i++) {
		char h[8];
		snprintf(h, sizeof h, "o%d", i + 1);
		ln = line(SUPPLY_OFFER, h, "water", "本", 10);
		snprintf(ln.expiry, sizeof ln.expiry, "%s", exp[i]);
		match_add_line(&m, &ln);
	}
	is_str(run(&m, now, 0), "n1>o3:10 n1>o5:10 n1>o2:10",
	       "expired at the deadline left out; the one that expires first first; no expiry last");
	ln = line(SUPPLY_NEED, "n1", "water", "本", 30);
	snprintf(ln.deadline, sizeof ln.deadline, "2025-06-10T00:00:00Z");
	match_add_line(&m, &ln);
	for (int i = 0; i < 5; i++) {
		char h[8];
		snprintf(h, sizeof h, "o%d", i + 1);
		ln = line(SUPPLY_OFFER, h, "water", "本", 10);
		snprintf(ln.expiry, sizeof ln.expiry, "%s", exp[i]);
		match_add_line(&m, &ln);
	}
	is_str(run(&m, now, 30), "n1>o2:10 n1>o4:10", "min_shelf_days 30 wants a month left at the deadline");

	/* Priority, then deadline, then merge order; the offer never gives more than it has. */
	ln = line(SUPPLY_NEED, "late", "blanket", "枚", 5);
	match_add_line(&m, &ln);
	ln = line(SUPPLY_NEED, "dated", "blanket", "枚", 5);
	snprintf(ln.deadline, sizeof ln.deadline, "2025-06-03T00:00:00Z");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_NEED, "urgent", "blanket", "枚", 5);
	ln.priority = 1;
	match_add_line(&m, &ln);
	ln = line(SUPPLY_NEED, "second", "blanket", "枚", 5);
	ln.priority = 2;
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o1", "blanket", "枚", 8);
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "o2", "blanket", "枚", 8);
	match_add_line(&m, &ln);
	is_str(run(&m, now, 0), "urgent>o1:5 second>o1:3 second>o2:2 dated>o2:5 late>o2:1",
	       "priority 1, 2, then a deadline, then none; partial fills across offers");

	/* A pledged offer goes to its need alone, and first. */
	ln = line(SUPPLY_NEED, "n1", "milk", "個", 10);
	ln.committed = 6;
	match_add_line(&m, &ln);
	ln = line(SUPPLY_NEED, "n0", "milk", "個", 10);
	ln.priority = 1;
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "f1", "milk", "個", 12);
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "f2", "milk", "個", 1);
	snprintf(ln.expiry, sizeof ln.expiry, "2025-08-01");
	match_add_line(&m, &ln);
	ln = line(SUPPLY_OFFER, "p1", "milk", "個", 6);
	snprintf(ln.need, sizeof ln.need, "n1");
	match_add_line(&m, &ln);
	is_str(run(&m, now, 0), "n0>f2:1 n0>f1:9 n1>p1:6 n1>f1:3", "the pledge to n1 is not given to n0, and comes first");

	/* Cancelled and covered lines are not matched; a bad line is refused. */
	ln = line(SUPPLY_NEED, "n1", "tp", "個", 10);
	snprintf(ln.cancelled_by, sizeof ln.cancelled_by, "c");
	ok(match_add_line(&m, &ln), "a cancelled need is skipped");
	ln = line(SUPPLY_OFFER, "o1", "tp", "個", 10);
	ln.requested = 10;
	match_add_line(&m, &ln);
	ok(m.nneeds == 0 && m.noffers == 0, "... and so is an offer with nothing left");
	ln = line(SUPPLY_OFFER, "o1", "tp", "個", 10);
	snprintf(ln.expiry, sizeof ln.expiry, "soon");
	ok(!match_add_line(&m, &ln), "an offer with a malformed expiry is refused");
	match_set_free(&m);

	/* A closed site's needs are left out (sites closed out of code order); the offer goes to the next need. */
	match_close_site(&m, "S-003");
	match_close_site(&m, "S-001");
	static const struct few lines_closed[] = {
		{SUPPLY_NEED, "n0", "S-001", "", 5}, {SUPPLY_NEED, "n1", "S-002", "", 5},
		{SUPPLY_OFFER, "o1", "", "", 8},
	};
	add_few(&m, lines_closed, sizeof lines_closed / sizeof *lines_closed);
	is_str(run(&m, now, 0), "n1>o1:5", "the need of closed S-001 is not matched");

	/* Needs that avoid allergens and needs that do not share the offers: each class sees only what fits it. */
	static const struct few lines_classes[] = {
		{SUPPLY_OFFER, "o0", "", "", 4}, {SUPPLY_OFFER, "o1", "", "", 4}, {SUPPLY_OFFER, "o2", "", "egg", 4},
		{SUPPLY_NEED, "n0", "S-001", "", 4}, {SUPPLY_NEED, "n1", "S-001", "egg", 4},
		{SUPPLY_NEED, "n2", "S-001", "", 8},
	};
	add_few(&m, lines_classes, sizeof lines_classes / sizeof *lines_classes);
	is_str(run(&m, now, 0), "n0>o0:4 n1>o2:4 n2>o1:4",
	       "the egg-free offer goes to the need that avoids egg, the others in order, none twice");
	return done();
}
