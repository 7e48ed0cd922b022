/*
 * supply-match's proposals (match.h).  The offers are sorted once by item,
 * unit, expiry and merge order, so that the offers of one item and unit are
 * a run, already in FEFO order, and those that keep long enough for a need
 * are a tail of it (found by bisection).  Offers with nothing left are
 * skipped by a "next offer still open" table with path compression, so that
 * the many needs that drain the same early-expiring offers do not walk over
 * them again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "util.h"

#define DAY 86400

bool match_allergen_mask(const char *list, uint32_t *mask)
{
	*mask = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;
		for (i = 0; supply_allergens[i]; i++)
			if (strlen(supply_allergens[i]) == n && memcmp(supply_allergens[i], p, n) == 0)
				break;
		if (!supply_allergens[i] || i >= 32)
			return false;
		*mask |= UINT32_C(1) << i;
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

/* The set's copy of a log name: one per distinct name, compared with strcmp. */
static const char *intern_log(struct match_set *m, const char *log)
{
	for (size_t i = 0; i < m->nlogs; i++)
		if (strcmp(m->log[i], log) == 0)
			return m->log[i];
	if (m->nlogs == m->log_cap) {
		m->log_cap = m->log_cap ? 2 * m->log_cap : 8;
		m->log = xrealloc(m->log, m->log_cap * sizeof *m->log);
	}
	return m->log[m->nlogs++] = xstrdup(log);
}

static bool place(struct match_set *m, const struct supply_line *ln, struct match_order *o)
{
	o->log = intern_log(m, ln->log);
	o->index = ln->index;
	return time_parse(ln->time, &o->time);
}

static void copy(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static int code_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

void match_close_site(struct match_set *m, const char *code)
{
	if (m->nclosed == m->closed_cap) {
		m->closed_cap = m->closed_cap ? 2 * m->closed_cap : 16;
		m->closed = xrealloc(m->closed, m->closed_cap * sizeof *m->closed);
	}
	m->closed[m->nclosed++] = xstrdup(code);
	/* The sites view gives them in code order: sort only when one comes out of it. */
	if (m->nclosed > 1 && strcmp(m->closed[m->nclosed - 2], code) > 0)
		qsort(m->closed, m->nclosed, sizeof *m->closed, code_cmp);
}

static bool site_closed(const struct match_set *m, const char *site)
{
	return m->nclosed && bsearch(&site, m->closed, m->nclosed, sizeof *m->closed, code_cmp);
}

static bool add_need(struct match_set *m, const struct supply_line *ln, int64_t open)
{
	if (m->nneeds == m->need_cap) {
		m->need_cap = m->need_cap ? 2 * m->need_cap : 256;
		m->need = xrealloc(m->need, m->need_cap * sizeof *m->need);
	}
	struct match_need *n = &m->need[m->nneeds];
	memset(n, 0, sizeof *n);
	copy(n->hash, sizeof n->hash, ln->leaf_hash);
	copy(n->site, sizeof n->site, ln->site);
	copy(n->item, sizeof n->item, ln->item);
	copy(n->unit, sizeof n->unit, ln->unit);
	copy(n->size, sizeof n->size, ln->size);
	copy(n->disaster, sizeof n->disaster, ln->disaster);
	copy(n->deadline_text, sizeof n->deadline_text, ln->deadline);
	n->priority = ln->priority;
	n->wanted = ln->quantity > ln->requested ? ln->quantity - ln->requested : 0;
	n->uncovered = open;
	n->open = supply_need_open_bound(open, n->wanted);
	n->has_deadline = ln->deadline[0] != '\0';
	if ((n->has_deadline && !time_parse(ln->deadline, &n->deadline)) ||
	    !match_allergen_mask(ln->allergen_free, &n->avoid) || !place(m, ln, &n->order))
		return false;
	m->nneeds++;
	return true;
}

static bool add_offer(struct match_set *m, const struct supply_line *ln, int64_t open)
{
	if (m->noffers == m->offer_cap) {
		m->offer_cap = m->offer_cap ? 2 * m->offer_cap : 1024;
		m->offer = xrealloc(m->offer, m->offer_cap * sizeof *m->offer);
	}
	struct match_offer *o = &m->offer[m->noffers];
	memset(o, 0, sizeof *o);
	copy(o->hash, sizeof o->hash, ln->leaf_hash);
	copy(o->item, sizeof o->item, ln->item);
	copy(o->unit, sizeof o->unit, ln->unit);
	copy(o->size, sizeof o->size, ln->size);
	copy(o->disaster, sizeof o->disaster, ln->disaster);
	copy(o->expiry_text, sizeof o->expiry_text, ln->expiry);
	copy(o->need, sizeof o->need, ln->need);
	o->left = open;
	o->good_until = INT64_MAX;
	/* A date counts through its last second in Japan (as the append rules read it). */
	if (ln->expiry[0] && !supply_expiry_end(ln->expiry, &o->good_until))
		return false;
	if (!match_allergen_mask(ln->allergen_free, &o->free_of) || !place(m, ln, &o->order))
		return false;
	m->noffers++;
	return true;
}

bool match_add_open(struct match_set *m, const struct supply_line *ln, int64_t open)
{
	/* A need with nothing open is read for what was pledged to it (the open index keeps it for that). */
	if ((ln->kind != SUPPLY_NEED && ln->kind != SUPPLY_OFFER) || (ln->kind == SUPPLY_OFFER && open <= 0))
		return true;
	if (ln->kind == SUPPLY_NEED && site_closed(m, ln->site))
		return true;
	return ln->kind == SUPPLY_NEED ? add_need(m, ln, open) : add_offer(m, ln, open);
}

bool match_add_line(struct match_set *m, const struct supply_line *ln)
{
	int64_t open = supply_line_open(ln);
	if (open == 0 && supply_need_pledged_waiting(ln) == 0)
		return true;
	return match_add_open(m, ln, ln->kind == SUPPLY_NEED ? supply_need_uncovered(ln) : open);
}

bool match_add_item(struct match_set *m, const char *code, const char *size, const char *allergen_free)
{
	if (m->nitems == m->item_cap) {
		m->item_cap = m->item_cap ? 2 * m->item_cap : 64;
		m->item = xrealloc(m->item, m->item_cap * sizeof *m->item);
	}
	struct match_item *it = &m->item[m->nitems];
	memset(it, 0, sizeof *it);
	copy(it->code, sizeof it->code, code);
	copy(it->size, sizeof it->size, size);
	if (!match_allergen_mask(allergen_free, &it->free_of))
		return false;
	m->nitems++;
	return true;
}

/* ------------------------------------------------------------ orders */

static int order_cmp(const struct match_order *a, const struct match_order *b)
{
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	int c = a->log == b->log ? 0 : strcmp(a->log, b->log);
	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Priority 1 first and none last, then the deadline (none last), then merge order. */
static int need_cmp(const void *x, const void *y)
{
	const struct match_need *a = x, *b = y;
	uint64_t pa = a->priority ? a->priority : UINT64_MAX, pb = b->priority ? b->priority : UINT64_MAX;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (a->has_deadline != b->has_deadline)
		return a->has_deadline ? -1 : 1;
	if (a->has_deadline && a->deadline != b->deadline)
		return a->deadline < b->deadline ? -1 : 1;
	return order_cmp(&a->order, &b->order);
}

static int group_cmp(const char *item_a, const char *unit_a, const char *item_b, const char *unit_b)
{
	int c = strcmp(item_a, item_b);
	return c ? c : strcmp(unit_a, unit_b);
}

/* Item and unit (the runs), then FEFO, then merge order. */
static int offer_cmp(const void *x, const void *y)
{
	const struct match_offer *a = x, *b = y;
	int c = group_cmp(a->item, a->unit, b->item, b->unit);
	if (c)
		return c;
	if (a->good_until != b->good_until)
		return a->good_until < b->good_until ? -1 : 1;
	return order_cmp(&a->order, &b->order);
}

static int item_cmp(const void *x, const void *y)
{
	return strcmp(((const struct match_item *)x)->code, ((const struct match_item *)y)->code);
}

/* The pledged offers, by the need they are pledged to and then their place in the offer order. */
struct pledge {
	const char *need;
	size_t offer;
};

static int pledge_need_cmp(const void *x, const void *y)
{
	return strcmp(((const struct pledge *)x)->need, ((const struct pledge *)y)->need);
}

static int pledge_cmp(const void *x, const void *y)
{
	const struct pledge *a = x, *b = y;
	int c = pledge_need_cmp(a, b);
	return c ? c : a->offer < b->offer ? -1 : a->offer > b->offer;
}

/* ------------------------------------------------------------ matching */

/*
 * The needs that ask the same of an offer (allergens to avoid, size,
 * disaster) form a class, with a "next" table of its own in which the offers
 * that do not fit the class are skipped from the start: a need that avoids
 * egg then never walks over the offers with egg again.  Past MAX_CLASSES,
 * the needs of further classes share one table of the free offers and test
 * each offer they meet.
 */
#define MAX_CLASSES 16

struct need_class {
	uint32_t avoid;
	const char *size, *disaster;   /* the first need's of the class */
	size_t *next;                  /* next[i]: the first offer at or after i that may fit */
};

struct run {
	struct match_set *m;
	size_t *next;                /* next[i]: the first free offer with something left at or after i */
	uint32_t *free_of;           /* each offer's allergen-free bits with its item's */
	const char **size;           /* each offer's size, or its item's */
	struct need_class cls[MAX_CLASSES];
	size_t ncls;
	struct match_proposal *out;
	size_t n, cap;
};

static size_t next_open(size_t *next, size_t i)
{
	size_t root = i;
	while (next[root] != root)
		root = next[root];
	while (next[i] != root) {
		size_t up = next[i];
		next[i] = root;
		i = up;
	}
	return root;
}

static bool fits(const struct run *r, const struct match_need *n, size_t i)
{
	const struct match_offer *o = &r->m->offer[i];
	return (!n->size[0] || strcmp(n->size, r->size[i]) == 0) && (n->avoid & ~r->free_of[i]) == 0 &&
	       (!n->disaster[0] || !o->disaster[0] || strcmp(n->disaster, o->disaster) == 0);
}

/* The class of need, made on first use (its table skips the pledged offers and those that do not fit); NULL past MAX_CLASSES. */
static struct need_class *class_of(struct run *r, const struct match_need *n)
{
	for (size_t c = 0; c < r->ncls; c++) {
		struct need_class *k = &r->cls[c];
		if (k->avoid == n->avoid && strcmp(k->size, n->size) == 0 && strcmp(k->disaster, n->disaster) == 0)
			return k;
	}
	if (r->ncls == MAX_CLASSES)
		return NULL;
	struct need_class *k = &r->cls[r->ncls++];
	size_t noffers = r->m->noffers;
	k->avoid = n->avoid;
	k->size = n->size;
	k->disaster = n->disaster;
	k->next = xcalloc(noffers + 1, sizeof *k->next);
	for (size_t i = 0; i < noffers; i++)
		k->next[i] = r->next[i] == i && fits(r, n, i) ? i : i + 1;
	k->next[noffers] = noffers;
	return k;
}

static void propose(struct run *r, size_t need, size_t offer, int64_t q, bool pledged)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->out = xrealloc(r->out, r->cap * sizeof *r->out);
	}
	r->out[r->n++] = (struct match_proposal){need, offer, q, pledged};
	r->m->offer[offer].left -= q;
}

/* The start of the run of need's item and unit in the sorted offers, or its end. */
static size_t run_bound(const struct match_offer *o, size_t n, const struct match_need *need, bool end)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = group_cmp(o[mid].item, o[mid].unit, need->item, need->unit);
		if (c < 0 || (end && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first offer in [lo, hi) that keeps past when (the run is in expiry order). */
static size_t first_keeping(const struct match_offer *o, size_t lo, size_t hi, int64_t when)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o[mid].good_until > when)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void match_run(struct match_set *m, int64_t now, uint64_t min_shelf_days, struct match_proposal **out,
	       size_t *n)
{
	struct run r = {.m = m};
	/* qsort and bsearch want a pointer even for no elements. */
	if (m->nneeds)
		qsort(m->need, m->nneeds, sizeof *m->need, need_cmp);
	if (m->noffers)
		qsort(m->offer, m->noffers, sizeof *m->offer, offer_cmp);
	if (m->nitems)
		qsort(m->item, m->nitems, sizeof *m->item, item_cmp);

	r.next = xcalloc(m->noffers + 1, sizeof *r.next);
	r.free_of = xcalloc(m->noffers + 1, sizeof *r.free_of);
	r.size = xcalloc(m->noffers + 1, sizeof *r.size);
	struct pledge *pledges = xcalloc(m->noffers + 1, sizeof *pledges);
	size_t npledges = 0;
	for (size_t i = 0; i < m->noffers; i++) {
		struct match_offer *o = &m->offer[i];
		struct match_item key, *it;
		copy(key.code, sizeof key.code, o->item);
		it = m->nitems ? bsearch(&key, m->item, m->nitems, sizeof *m->item, item_cmp) : NULL;
		r.free_of[i] = o->free_of | (it ? it->free_of : 0);
		r.size[i] = o->size[0] || !it ? o->size : it->size;
		/* A pledged offer goes to its need alone. */
		r.next[i] = o->need[0] ? i + 1 : i;
		if (o->need[0])
			pledges[npledges++] = (struct pledge){o->need, i};
	}
	r.next[m->noffers] = m->noffers;
	if (npledges)
		qsort(pledges, npledges, sizeof *pledges, pledge_cmp);

	int64_t shelf = (int64_t)min_shelf_days * DAY;
	/*
	 * First each need takes what was pledged to it, up to what it still
	 * takes (pledges may add up to more than it asked).  A pledge holds
	 * while its need still wants something; it ends with a need that is
	 * cancelled, whose site closed, that is complete (none of those is in
	 * the set) or that takes no more: what is left of such an offer is
	 * free, for the needs' free offers after.  A pledged offer whose goods
	 * expired holds nothing: what it had left is open for free offers.
	 */
	bool *held = xcalloc(m->noffers + 1, sizeof *held);
	for (size_t k = 0; k < m->nneeds; k++) {
		struct match_need *need = &m->need[k];
		int64_t when = (need->has_deadline && need->deadline > now ? need->deadline : now) + shelf;
		struct pledge key = {need->hash, 0};
		struct pledge *p = npledges ? bsearch(&key, pledges, npledges, sizeof *pledges, pledge_need_cmp) : NULL;
		while (p && p > pledges && strcmp(p[-1].need, need->hash) == 0)
			p--;
		struct pledge *first = p;
		/* What its expired pledges had left is no longer committed: free offers may fill it. */
		int64_t lapsed = 0;
		for (; p && p < pledges + npledges && strcmp(p->need, need->hash) == 0; p++)
			if (m->offer[p->offer].good_until <= now)
				lapsed += m->offer[p->offer].left;
		if (lapsed > 0)
			need->open = supply_need_open_bound(need->uncovered + lapsed, need->wanted);
		for (p = first; p && p < pledges + npledges && strcmp(p->need, need->hash) == 0 && need->wanted > 0;
		     p++) {
			struct match_offer *o = &m->offer[p->offer];
			int64_t q = o->left < need->wanted ? o->left : need->wanted;
			if (o->left > 0 && o->good_until > when && fits(&r, need, p->offer)) {
				propose(&r, k, p->offer, q, true);
				need->wanted -= q;
				if (need->open > need->wanted)
					need->open = need->wanted;
			}
		}
		for (p = first; need->wanted > 0 && p && p < pledges + npledges && strcmp(p->need, need->hash) == 0; p++)
			held[p->offer] = true;
	}
	for (size_t i = 0; i < m->noffers; i++)
		if (m->offer[i].need[0] && !held[i] && m->offer[i].left > 0)
			r.next[i] = i;   /* its pledge has ended */
	free(held);

	for (size_t k = 0; k < m->nneeds; k++) {
		struct match_need *need = &m->need[k];
		int64_t when = (need->has_deadline && need->deadline > now ? need->deadline : now) + shelf;
		/* The run of the need's item and unit, from the first offer that keeps long enough. */
		size_t lo = run_bound(m->offer, m->noffers, need, false);
		size_t end = run_bound(m->offer, m->noffers, need, true);
		struct need_class *cls = need->open > 0 && lo < end ? class_of(&r, need) : NULL;
		size_t *next = cls ? cls->next : r.next;
		for (size_t i = next_open(next, first_keeping(m->offer, lo, end, when));
		     i < end && need->open > 0; i = next_open(next, i + 1)) {
			if (m->offer[i].left == 0) {
				next[i] = i + 1;   /* taken by a need of another class */
				continue;
			}
			if (!cls && !fits(&r, need, i))
				continue;
			int64_t q = m->offer[i].left < need->open ? m->offer[i].left : need->open;
			propose(&r, k, i, q, false);
			need->open -= q;
			if (m->offer[i].left == 0)
				next[i] = r.next[i] = i + 1;
		}
	}
	/* In need order, each need's pledged proposals first: a stable sort by need. */
	size_t *at = xcalloc(m->nneeds + 1, sizeof *at);
	struct match_proposal *sorted = xcalloc(r.n + 1, sizeof *sorted);
	for (size_t i = 0; i < r.n; i++)
		at[r.out[i].need + 1]++;
	for (size_t k = 0; k < m->nneeds; k++)
		at[k + 1] += at[k];
	for (size_t i = 0; i < r.n; i++)
		sorted[at[r.out[i].need]++] = r.out[i];
	free(at);
	free(r.out);
	r.out = sorted;
	for (size_t c = 0; c < r.ncls; c++)
		free(r.cls[c].next);
	free(pledges);
	free(r.next);
	free(r.free_of);
	free(r.size);
	*out = r.out;
	*n = r.n;
}

void match_set_free(struct match_set *m)
{
	for (size_t i = 0; i < m->nlogs; i++)
		free(m->log[i]);
	free(m->log);
	free(m->need);
	free(m->offer);
	free(m->item);
	for (size_t i = 0; i < m->nclosed; i++)
		free(m->closed[i]);
	free(m->closed);
	memset(m, 0, sizeof *m);
}
