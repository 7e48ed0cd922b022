/* The points module: entry types, the points.accounts view and the rules of points.h. */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "codec.h"
#include "points.h"
#include "stored_entry.h"

/* ------------------------------------------------------------- names */

static bool chars_in(const char *s, size_t max, const char *extra, bool upper)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
		      strchr(extra, c)))
			return false;
	}
	return true;
}

bool points_scheme_valid(const char *s)
{
	return chars_in(s, POINTS_SCHEME_MAX, "_-", false);
}

bool points_holder_valid(const char *s)
{
	return chars_in(s, POINTS_HOLDER_MAX, "._:-", true);
}

bool points_ref_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > POINTS_REF_MAX)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/* ------------------------------------------------------------- types */

#define END {NULL, 0, false, 0, false}

static const struct field_spec scheme_fields[] = {
	{"scheme", FIELD_STRING, true, POINTS_SCHEME_MAX, true},
	{"yen_per_point", FIELD_UINT, true, 0, false},
	{"expiry_days", FIELD_UINT, false, 0, false},
	{"cap_purchase", FIELD_UINT, false, 0, false},
	{"cap_day", FIELD_UINT, false, 0, false},
	{"cap_fy", FIELD_UINT, false, 0, false},
	{"carry_max", FIELD_UINT, false, 0, false},
	END,
};

static const struct field_spec open_fields[] = {
	{"scheme", FIELD_STRING, true, POINTS_SCHEME_MAX, false},
	{"holder", FIELD_STRING, true, POINTS_HOLDER_MAX, true},
	{"kind", FIELD_STRING, true, 8, false},
	END,
};

static const struct field_spec credit_fields[] = {
	{"scheme", FIELD_STRING, true, POINTS_SCHEME_MAX, false},
	{"holder", FIELD_STRING, true, POINTS_HOLDER_MAX, true},
	{"points", FIELD_UINT, true, 0, false},
	{"ref", FIELD_STRING, true, POINTS_REF_MAX, true},
	{"expires", FIELD_STRING, false, JP_DATE_LEN, false},
	END,
};

static const struct field_spec debit_fields[] = {
	{"scheme", FIELD_STRING, true, POINTS_SCHEME_MAX, false},
	{"holder", FIELD_STRING, true, POINTS_HOLDER_MAX, true},
	{"points", FIELD_UINT, true, 0, false},
	{"ref", FIELD_STRING, true, POINTS_REF_MAX, true},
	{"shop", FIELD_STRING, false, POINTS_HOLDER_MAX, true},
	END,
};

static const struct field_spec settle_fields[] = {
	{"scheme", FIELD_STRING, true, POINTS_SCHEME_MAX, false},
	{"holder", FIELD_STRING, true, POINTS_HOLDER_MAX, true},
	{"points", FIELD_UINT, true, 0, false},
	{"yen", FIELD_UINT, true, 0, false},
	{"ref", FIELD_STRING, true, POINTS_REF_MAX, true},
	END,
};

static bool kind_valid(const char *s)
{
	return strcmp(s, "member") == 0 || strcmp(s, "shop") == 0;
}

static bool movement_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	int64_t p = stored_body_int(doc, body, "points", 0);
	if (!stored_body_rule(doc, body, "scheme", points_scheme_valid, "1 to 32 of a-z 0-9 _ -", err, errlen) ||
	    !stored_body_rule(doc, body, "holder", points_holder_valid, "1 to 64 of A-Z a-z 0-9 . _ : -", err, errlen) ||
	    !stored_body_rule(doc, body, "shop", points_holder_valid, "1 to 64 of A-Z a-z 0-9 . _ : -", err, errlen) ||
	    !stored_body_rule(doc, body, "ref", points_ref_valid, "printable ASCII without spaces", err, errlen) ||
	    !stored_body_rule(doc, body, "expires", jp_date_valid, "a date YYYY-MM-DD", err, errlen) ||
	    !stored_body_rule(doc, body, "kind", kind_valid, "member or shop", err, errlen))
		return false;
	if (jscan_find(doc, body, "points") >= 0 && (p < 1 || p > POINTS_MAX)) {
		snprintf(err, errlen, "body.points must be 1 to %lld", (long long)POINTS_MAX);
		return false;
	}
	return true;
}

static const struct entry_type types[] = {
	{"points.scheme", "a points scheme's terms: yen per point, expiry days, caps per purchase, day, fiscal year",
	 scheme_fields, movement_check, NULL},
	{"points.open", "a points account of a member or a shop; its log is the holder's home node", open_fields,
	 movement_check, NULL},
	{"points.credit", "points granted to a holder, by reference", credit_fields, movement_check, NULL},
	{"points.debit", "points taken from a member (to a shop), by reference", debit_fields, movement_check,
	 NULL},
	{"points.settle", "a shop's points paid out in yen, by reference", settle_fields, movement_check, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------- credits of other types */

/*
 * An eco.reading grants body.points to body.member (eco.h); its reference
 * sorts by the reading's last day, so that a month's credits are recorded
 * next to one another.
 */
const struct points_source points_sources[] = {
	{"eco.reading", "eco", "member", "points", {"to", "equipment", "from", NULL}},
	{NULL, NULL, NULL, NULL, {NULL}},
};

const struct points_source *points_source_find(const char *type)
{
	for (const struct points_source *p = points_sources; p->type; p++)
		if (strcmp(p->type, type) == 0)
			return p;
	return NULL;
}

void points_source_ref(const struct points_source *src, const struct json_doc *doc, size_t body, char *out)
{
	size_t n = (size_t)snprintf(out, POINTS_REF_MAX + 1, "%s", src->type);
	for (size_t i = 0; src->ref[i] && n < POINTS_REF_MAX; i++) {
		char v[POINTS_REF_MAX + 1];
		stored_body_str(doc, body, src->ref[i], v, sizeof v);
		n += (size_t)snprintf(out + n, POINTS_REF_MAX + 1 - n, ":%s", v);
	}
}

/* ------------------------------------------------------------- values */

int64_t points_balance(const struct points_account *a)
{
	int64_t n = 0;
	for (size_t i = 0; i < a->nlots; i++)
		n += a->lots[i].points;
	return n;
}

static void lots_expire(struct points_account *a, int64_t day, int64_t carry_max);

const struct points_account *points_aged(const struct points_account *a, const struct points_scheme *sc,
					 int64_t day)
{
	static struct points_account aged;   /* too large for the stack */
	aged = *a;
	lots_expire(&aged, day, sc ? sc->carry_max : 0);
	return &aged;
}

int64_t points_available(const struct points_account *a, const struct points_scheme *sc, int64_t day)
{
	return points_balance(points_aged(a, sc, day));
}

static void account_write(struct view_text *t, const struct points_account *a)
{
	view_text_object_str(t, "scheme", a->scheme);
	view_text_member_str(t, "holder", a->holder);
	view_text_member_str(t, "kind", a->kind);
	view_text_member_str(t, "home", a->home);
	view_text_member_str(t, "opened", a->opened);
	view_text_member_int(t, "balance", points_balance(a));
	view_text_member_int(t, "credited", a->credited);
	view_text_member_int(t, "debited", a->debited);
	view_text_member_int(t, "received", a->received);
	view_text_member_int(t, "settled", a->settled);
	view_text_member_int(t, "yen", a->yen);
	view_text_member_int(t, "expired", a->expired);
	view_text_member_str(t, "day", a->day);
	view_text_member_int(t, "day_spent", a->day_spent);
	view_text_member_int(t, "fy", a->fy);
	view_text_member_int(t, "fy_spent", a->fy_spent);
	view_text_str(t, ",\"lots\":[");
	for (size_t i = 0; i < a->nlots; i++) {
		view_text_object_str(t, "expires", a->lots[i].expires);
		view_text_member_int(t, "points", a->lots[i].points);
		view_text_str(t, i + 1 < a->nlots ? "}," : "}");
	}
	view_text_str(t, "]}");
}

/*
 * Stored values are read with the allocation-free scanner into one scratch
 * document; each reader copies out what it needs before the next view call.
 */
static struct json_doc scratch;

static bool scan_value(const char *value, size_t len)
{
	char why[128];
	return json_scan(&scratch, value, len, why, sizeof why) && scratch.tok[0].kind == JSON_K_OBJECT;
}

/* A string member of the scanned object obj into out, cut to cap - 1 bytes when longer (a reason may be); "" when absent. */
static void value_text(size_t obj, const char *name, char *out, size_t cap)
{
	long v = jscan_find(&scratch, obj, name);
	out[0] = '\0';
	if (v >= 0 && scratch.tok[v].kind == JSON_K_STRING)
		jscan_string_copy(&scratch, (size_t)v, out, cap);
}

bool points_account_parse(const char *value, size_t len, struct points_account *a)
{
	/* The lots are read up to nlots only: clearing all 400 was a fifth of the parse. */
	memset(a, 0, offsetof(struct points_account, lots));
	if (!scan_value(value, len))
		return false;
	const struct json_doc *d = &scratch;
	long lots = jscan_find(d, 0, "lots");
	if (lots < 0 || d->tok[lots].kind != JSON_K_ARRAY || d->tok[lots].size > POINTS_MAX_LOTS)
		return false;
	stored_body_str(d, 0, "scheme", a->scheme, sizeof a->scheme);
	stored_body_str(d, 0, "holder", a->holder, sizeof a->holder);
	stored_body_str(d, 0, "kind", a->kind, sizeof a->kind);
	stored_body_str(d, 0, "home", a->home, sizeof a->home);
	stored_body_str(d, 0, "opened", a->opened, sizeof a->opened);
	a->credited = stored_body_int(d, 0, "credited", 0);
	a->debited = stored_body_int(d, 0, "debited", 0);
	a->received = stored_body_int(d, 0, "received", 0);
	a->settled = stored_body_int(d, 0, "settled", 0);
	a->yen = stored_body_int(d, 0, "yen", 0);
	a->expired = stored_body_int(d, 0, "expired", 0);
	stored_body_str(d, 0, "day", a->day, sizeof a->day);
	a->day_spent = stored_body_int(d, 0, "day_spent", 0);
	a->fy = (int32_t)stored_body_int(d, 0, "fy", 0);
	a->fy_spent = stored_body_int(d, 0, "fy_spent", 0);
	a->nlots = d->tok[lots].size;
	size_t lot = (size_t)lots + 1;
	for (size_t i = 0; i < a->nlots; i++, lot = d->tok[lot].next) {
		if (d->tok[lot].kind != JSON_K_OBJECT)
			return false;
		stored_body_str(d, lot, "expires", a->lots[i].expires, sizeof a->lots[i].expires);
		a->lots[i].points = stored_body_int(d, lot, "points", 0);
	}
	return a->holder[0] != '\0';
}

static void key_of(char out[VIEW_MAX_KEY], const char *what, const char *scheme, const char *name)
{
	snprintf(out, VIEW_MAX_KEY, "%s/%s/%s", what, scheme, name);
}

/*
 * The view's memo (view.h view_memo) keeps schemes (scheme/S, struct
 * points_scheme) and accounts (acct/S/H, a struct points_account cut after
 * its last lot) parsed: every credit reads its scheme, and an account is
 * read and written for each of its movements.  Accounts are written at the
 * flush; schemes when they change.
 */
#define ACCOUNT_KEPT_SIZE(a) (offsetof(struct points_account, lots) + (a)->nlots * sizeof (a)->lots[0])

int points_account_get(struct view_state *s, const char *scheme, const char *holder,
		       struct points_account *out, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	const char *value;
	size_t len;
	key_of(key, "acct", scheme, holder);
	if (view_memo_copy(s, key, out, sizeof *out))
		return 0;
	int rc = view_get(s, key, &value, &len, err);
	if (rc == 0 && !points_account_parse(value, len, out))
		rc = chobo_fail(err, EX_DATAERR, "points.accounts: %s is malformed; run chain-verify --views", key);
	if (rc == 0)
		view_memo_keep(s, key, out, ACCOUNT_KEPT_SIZE(out));
	return rc;
}

/* A stored scheme value (scanned into scratch) into out. */
static void scheme_read(struct points_scheme *out)
{
	out->expiry_days = stored_body_int(&scratch, 0, "expiry_days", 0);
	out->cap_purchase = stored_body_int(&scratch, 0, "cap_purchase", 0);
	out->cap_day = stored_body_int(&scratch, 0, "cap_day", 0);
	out->cap_fy = stored_body_int(&scratch, 0, "cap_fy", 0);
	out->yen_per_point = stored_body_int(&scratch, 0, "yen_per_point", 0);
	out->carry_max = stored_body_int(&scratch, 0, "carry_max", 0);
}

int points_scheme_get(struct view_state *s, const char *scheme, struct points_scheme *out,
		      struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	const char *value;
	size_t len;
	snprintf(key, sizeof key, "scheme/%s", scheme);
	memset(out, 0, sizeof *out);
	if (view_memo_copy(s, key, out, sizeof *out))
		return 0;
	int rc = view_get(s, key, &value, &len, err);
	if (rc != 0)
		return rc;
	if (!scan_value(value, len))
		return chobo_fail(err, EX_DATAERR, "points.accounts: %s is malformed; run chain-verify --views", key);
	scheme_read(out);
	view_memo_keep(s, key, out, sizeof *out);
	return 0;
}

int points_ref_get(struct view_state *s, const char *scheme, const char *ref, char leaf[65], char *why,
		   size_t whylen, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	const char *value;
	size_t len;
	key_of(key, "ref", scheme, ref);
	int rc = view_get(s, key, &value, &len, err);
	if (rc != 0)
		return rc;
	if (!scan_value(value, len))
		return chobo_fail(err, EX_DATAERR, "points.accounts: %s is malformed; run chain-verify --views", key);
	stored_body_str(&scratch, 0, "leaf", leaf, 65);
	value_text(0, "refused", why, whylen);
	return 0;
}

/* ------------------------------------------------------------- the view */

static int account_store(struct view_state *s, const struct points_account *a, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	struct view_text t = {0};
	key_of(key, "acct", a->scheme, a->holder);
	account_write(&t, a);
	int rc = view_put(s, key, t.p, t.len, err);
	view_text_free(&t);
	return rc;
}

/* The account changed: into the memo, written at the flush (or now, with no memo). */
static int account_put(struct view_state *s, const struct points_account *a, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	struct view_memo *memo = view_memo(s);
	if (!memo)
		return account_store(s, a, err);
	key_of(key, "acct", a->scheme, a->holder);
	view_memo_put(memo, key, a, ACCOUNT_KEPT_SIZE(a), true);
	return 0;
}

/* The memo's dirty record under key, written (only accounts are kept dirty). */
static int accounts_write_kept(struct view_state *s, const char *key, const void *rec, struct chobo_error *err)
{
	static struct points_account a;   /* the kept record is cut after its lots */
	if (strncmp(key, "acct/", 5) != 0)
		return 0;
	memcpy(&a, rec, ACCOUNT_KEPT_SIZE((const struct points_account *)rec));
	return account_store(s, &a, err);
}

/* Record the movement under its reference, with the reason when it is refused (why "" when not). */
static int ref_put(struct view_state *s, const struct view_entry *e, const char *scheme, const char *ref,
		   const char *why, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], hex[65];
	struct view_text t = {0};
	hex32(hex, e->leaf_hash);
	key_of(key, "ref", scheme, ref);
	view_text_object_str(&t, "leaf", hex);
	view_text_member_str(&t, "type", e->type->name);
	if (why[0])
		view_text_member_str(&t, "refused", why);
	view_text_str(&t, "}");
	int rc = view_put(s, key, t.p, t.len, err);
	view_text_free(&t);
	return rc;
}

static void lot_add(struct points_account *a, const char *expires, int64_t points);

/*
 * Expire the lots dated before day; with carry_max, up to that many points
 * of the lots dated the last day of the fiscal year before day's (March 31)
 * are carried into a lot dated the last day of day's fiscal year instead.
 */
static void lots_expire(struct points_account *a, int64_t day, int64_t carry_max)
{
	int32_t fy = jp_fiscal_year(day);
	int64_t year_end = jp_fiscal_year_start(fy) - 1, carried = 0, d;
	size_t keep = 0;
	for (size_t i = 0; i < a->nlots; i++) {
		if (a->lots[i].expires[0] && jp_date_parse(a->lots[i].expires, &d) && d < day) {
			int64_t c = 0;
			if (d == year_end && carried < carry_max)
				c = a->lots[i].points < carry_max - carried ? a->lots[i].points : carry_max - carried;
			carried += c;
			a->expired += a->lots[i].points - c;
		} else {
			a->lots[keep++] = a->lots[i];
		}
	}
	a->nlots = keep;
	if (carried > 0) {
		char end[JP_DATE_LEN + 1];
		jp_date_format(end, jp_fiscal_year_start(fy + 1) - 1);
		lot_add(a, end, carried);
	}
}

/* Expire the lots (lots_expire) and start the day's and fiscal year's spending anew when they change. */
static void account_age(struct points_account *a, int64_t day, int64_t carry_max)
{
	lots_expire(a, day, carry_max);
	char today[JP_DATE_LEN + 1];
	jp_date_format(today, day);
	if (strcmp(today, a->day) != 0) {
		snprintf(a->day, sizeof a->day, "%s", today);
		a->day_spent = 0;
	}
	if (jp_fiscal_year(day) != a->fy) {
		a->fy = jp_fiscal_year(day);
		a->fy_spent = 0;
	}
}

/* "" (never) sorts after every date. */
static int expiry_cmp(const char *a, const char *b)
{
	if (!a[0] || !b[0])
		return !a[0] - !b[0];
	return strcmp(a, b);
}

/* Add points to the lot of expires, keeping lots in expiry order. */
static void lot_add(struct points_account *a, const char *expires, int64_t points)
{
	size_t i = 0;
	while (i < a->nlots && expiry_cmp(a->lots[i].expires, expires) < 0)
		i++;
	if (i < a->nlots && expiry_cmp(a->lots[i].expires, expires) == 0) {
		a->lots[i].points += points;
		return;
	}
	if (a->nlots == POINTS_MAX_LOTS) {
		/* No room: the points join the lot before, which expires sooner (never later than promised). */
		a->lots[i > 0 ? i - 1 : 0].points += points;
		return;
	}
	memmove(&a->lots[i + 1], &a->lots[i], (a->nlots - i) * sizeof a->lots[0]);
	snprintf(a->lots[i].expires, sizeof a->lots[i].expires, "%s", expires);
	a->lots[i].points = points;
	a->nlots++;
}

/* Take points from the lots that expire first (the caller checked that there are enough). */
static void lots_take(struct points_account *a, int64_t points)
{
	size_t i = 0;
	while (points > 0 && i < a->nlots) {
		int64_t take = a->lots[i].points < points ? a->lots[i].points : points;
		a->lots[i].points -= take;
		points -= take;
		i++;
	}
	size_t keep = 0;
	for (size_t j = 0; j < a->nlots; j++)
		if (a->lots[j].points > 0)
			a->lots[keep++] = a->lots[j];
	a->nlots = keep;
}

/* What one movement entry says. */
struct movement {
	char scheme[POINTS_SCHEME_MAX + 1], holder[POINTS_HOLDER_MAX + 1], shop[POINTS_HOLDER_MAX + 1];
	char ref[POINTS_REF_MAX + 1], expires[JP_DATE_LEN + 1], kind[8];
	int64_t points, yen, day;
};

static void movement_read(const struct view_entry *e, struct movement *m)
{
	stored_body_str(e->doc, e->body, "scheme", m->scheme, sizeof m->scheme);
	stored_body_str(e->doc, e->body, "holder", m->holder, sizeof m->holder);
	stored_body_str(e->doc, e->body, "shop", m->shop, sizeof m->shop);
	stored_body_str(e->doc, e->body, "ref", m->ref, sizeof m->ref);
	stored_body_str(e->doc, e->body, "expires", m->expires, sizeof m->expires);
	stored_body_str(e->doc, e->body, "kind", m->kind, sizeof m->kind);
	m->points = stored_body_int(e->doc, e->body, "points", 0);
	m->yen = stored_body_int(e->doc, e->body, "yen", 0);
	m->day = jp_day_of(e->time);
}

/* A credit of another type (src) as the movement it makes. */
static void source_read(const struct view_entry *e, const struct points_source *src, struct movement *m)
{
	snprintf(m->scheme, sizeof m->scheme, "%s", src->scheme);
	stored_body_str(e->doc, e->body, src->holder, m->holder, sizeof m->holder);
	points_source_ref(src, e->doc, e->body, m->ref);
	m->points = stored_body_int(e->doc, e->body, src->points, 0);
	m->day = jp_day_of(e->time);
}

static int scheme_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	static const char *const names[] = {"yen_per_point", "expiry_days", "cap_purchase", "cap_day", "cap_fy", NULL};
	char scheme[POINTS_SCHEME_MAX + 1], key[VIEW_MAX_KEY], hex[65];
	struct view_text t = {0};
	stored_body_str(e->doc, e->body, "scheme", scheme, sizeof scheme);
	snprintf(key, sizeof key, "scheme/%s", scheme);
	hex32(hex, e->leaf_hash);
	view_text_object_str(&t, "leaf", hex);
	for (size_t i = 0; names[i]; i++)
		view_text_member_int(&t, names[i], stored_body_int(e->doc, e->body, names[i], 0));
	/* Written only when given: the values of schemes without it stay as they were. */
	if (stored_body_int(e->doc, e->body, "carry_max", 0) > 0)
		view_text_member_int(&t, "carry_max", stored_body_int(e->doc, e->body, "carry_max", 0));
	view_text_str(&t, "}");
	int rc = view_put(s, key, t.p, t.len, err);
	struct view_memo *memo = view_memo(s);
	if (rc == 0 && memo) {
		/* What points_scheme_get reads back from the record just written. */
		struct points_scheme sc = {0};
		if (!scan_value(t.p, t.len))
			rc = chobo_fail(err, EX_SOFTWARE, "points.accounts: %s as written does not scan", key);
		else
			scheme_read(&sc);
		if (rc == 0)
			view_memo_put(memo, key, &sc, sizeof sc, false);
	}
	view_text_free(&t);
	return rc;
}

static struct points_account acct_a, acct_b;   /* too large for the stack of every caller */

static int open_apply(struct view_state *s, const struct view_entry *e, const struct movement *m,
		      struct chobo_error *err)
{
	struct points_account *a = &acct_a;
	int rc = points_account_get(s, m->scheme, m->holder, a, err);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first opening counts */
	memset(a, 0, sizeof *a);
	snprintf(a->scheme, sizeof a->scheme, "%s", m->scheme);
	snprintf(a->holder, sizeof a->holder, "%s", m->holder);
	snprintf(a->kind, sizeof a->kind, "%s", m->kind);
	snprintf(a->home, sizeof a->home, "%s", e->origin);
	hex32(a->opened, e->leaf_hash);
	account_age(a, m->day, 0);
	return account_put(s, a, err);
}

bool points_at_home(const struct points_account *a, const char *origin, const char *verb, char *why, size_t whylen)
{
	if (strcmp(a->home, origin) == 0)
		return true;
	snprintf(why, whylen, "%.64s's home node is %.255s: %s there, not on %.255s", a->holder, a->home, verb, origin);
	return false;
}

/* Apply a credit, debit or settlement; *why says why it is refused ("" when it counts). */
static int movement_apply(struct view_state *s, const struct view_entry *e, const struct movement *m, bool credit,
			  char *why, size_t whylen, struct chobo_error *err)
{
	struct points_account *a = &acct_a, *shop = &acct_b;
	struct points_scheme sc;
	const char *t = e->type->name;
	int rc = points_account_get(s, m->scheme, m->holder, a, err);
	if (rc == EX_UNAVAILABLE)
		return snprintf(why, whylen, "no %s account for %s (points.open)", m->scheme, m->holder), 0;
	if (rc != 0)
		return rc;
	if ((rc = points_scheme_get(s, m->scheme, &sc, err)) == EX_UNAVAILABLE)
		return snprintf(why, whylen, "no points.scheme %s", m->scheme), 0;
	if (rc != 0)
		return rc;
	account_age(a, m->day, sc.carry_max);
	if (credit) {
		char expires[JP_DATE_LEN + 1] = "";
		if (m->expires[0])
			snprintf(expires, sizeof expires, "%s", m->expires);
		else if (sc.expiry_days > 0)
			jp_date_format(expires, m->day + sc.expiry_days);
		if (points_balance(a) + m->points > POINTS_MAX)
			return snprintf(why, whylen, "the balance would exceed %lld", (long long)POINTS_MAX), 0;
		lot_add(a, expires, m->points);
		a->credited += m->points;
		return account_put(s, a, err);
	}
	if (!points_at_home(a, e->origin, strcmp(t, "points.settle") == 0 ? "settle" : "spend", why, whylen))
		return 0;
	int64_t have = points_balance(a);
	if (m->points > have)
		return snprintf(why, whylen, "balance short: %" PRId64 " points asked, %" PRId64 " left", m->points,
				have), 0;
	if (strcmp(t, "points.settle") == 0) {
		if (strcmp(a->kind, "shop") != 0)
			return snprintf(why, whylen, "%s is not a shop", m->holder), 0;
		if (m->yen != m->points * sc.yen_per_point)
			return snprintf(why, whylen, "%" PRId64 " points are %" PRId64 " yen at %" PRId64 " yen a point, "
					"not %" PRId64, m->points, m->points * sc.yen_per_point, sc.yen_per_point,
					m->yen), 0;
		lots_take(a, m->points);
		a->settled += m->points;
		a->yen += m->yen;
		return account_put(s, a, err);
	}
	if (sc.cap_purchase > 0 && m->points > sc.cap_purchase)
		return snprintf(why, whylen, "cap per purchase: %" PRId64 " points asked, at most %" PRId64, m->points,
				sc.cap_purchase), 0;
	if (sc.cap_day > 0 && a->day_spent + m->points > sc.cap_day)
		return snprintf(why, whylen, "cap per day: %" PRId64 " spent on %.10s, %" PRId64 " more asked, at most %"
				PRId64, a->day_spent, a->day, m->points, sc.cap_day), 0;
	if (sc.cap_fy > 0 && a->fy_spent + m->points > sc.cap_fy)
		return snprintf(why, whylen, "cap per fiscal year: %" PRId64 " spent in FY%d, %" PRId64
				" more asked, at most %" PRId64, a->fy_spent, (int)a->fy, m->points, sc.cap_fy), 0;
	if (m->shop[0]) {
		if ((rc = points_account_get(s, m->scheme, m->shop, shop, err)) == EX_UNAVAILABLE ||
		    (rc == 0 && strcmp(shop->kind, "shop") != 0))
			return snprintf(why, whylen, "no %s shop account %s", m->scheme, m->shop), 0;
		if (rc != 0)
			return rc;
		if (strcmp(shop->holder, a->holder) == 0)
			return snprintf(why, whylen, "a shop cannot take points from itself"), 0;
		account_age(shop, m->day, 0);
		lot_add(shop, "", m->points);
		shop->received += m->points;
	}
	lots_take(a, m->points);
	a->debited += m->points;
	a->day_spent += m->points;
	a->fy_spent += m->points;
	rc = account_put(s, a, err);
	return rc == 0 && m->shop[0] ? account_put(s, shop, err) : rc;
}

static int accounts_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	static struct movement m;
	char why[1024] = "", leaf[65], used[1024];
	memset(&m, 0, sizeof m);
	const struct points_source *src = points_source_find(e->type->name);
	if (src) {
		source_read(e, src, &m);
		if (m.points <= 0) {
			view_entry_counts(s, e);   /* nothing granted: no movement, and nothing for the rule to check */
			return 0;
		}
	} else if (strcmp(e->type->name, "points.scheme") == 0) {
		return scheme_apply(s, e, err);
	} else {
		movement_read(e, &m);
	}
	if (strcmp(e->type->name, "points.open") == 0)
		return open_apply(s, e, &m, err);
	int rc = points_ref_get(s, m.scheme, m.ref, leaf, used, sizeof used, err);
	if (rc == 0)
		return 0;   /* the reference is taken: the first movement counts */
	if (rc != EX_UNAVAILABLE)
		return rc;
	if ((rc = movement_apply(s, e, &m, src || strcmp(e->type->name, "points.credit") == 0, why, sizeof why,
				 err)) != 0)
		return rc;
	/* A reference is recorded once (the first movement counts): no later entry rewrites it. */
	if ((rc = ref_put(s, e, m.scheme, m.ref, why, err)) == 0 && !why[0])
		view_entry_counts(s, e);
	return rc;
}

static const char *const account_types[] = {
	"points.scheme", "points.open", "points.credit", "points.debit", "points.settle", "eco.reading", NULL,
};

const struct view_spec points_accounts_view = {
	.name = "points.accounts",
	.summary = "points schemes, accounts with balances and expiry lots, movements by reference",
	.types = account_types,   /* with the types of points_sources */
	.version = 2,
	.apply = accounts_apply,
	.write_kept = accounts_write_kept,
};

/* ------------------------------------------------------------- the rules */

/* A movement of the batch: its reference must be its own, and the view must not have refused it. */
static int movement_allowed(void *ctx, const struct stored_entry *e, struct chobo_error *err)
{
	struct view_state *s = ctx;
	const char *t = e->type->name;
	char scheme[POINTS_SCHEME_MAX + 1], holder[POINTS_HOLDER_MAX + 1], ref[POINTS_REF_MAX + 1];
	char leaf[65], why[1024];
	int rc;
	const struct points_source *src = points_source_find(t);
	if (strcmp(t, "points.scheme") == 0)
		return 0;
	if (src) {
		/* A credit of another type: none when it grants nothing. */
		if (stored_body_int(&e->doc, e->body, src->points, 0) <= 0)
			return 0;
		snprintf(scheme, sizeof scheme, "%s", src->scheme);
		stored_body_str(&e->doc, e->body, src->holder, holder, sizeof holder);
		points_source_ref(src, &e->doc, e->body, ref);
	} else {
		stored_body_str(&e->doc, e->body, "scheme", scheme, sizeof scheme);
		stored_body_str(&e->doc, e->body, "holder", holder, sizeof holder);
		stored_body_str(&e->doc, e->body, "ref", ref, sizeof ref);
	}
	if (strcmp(t, "points.open") == 0) {
		static struct points_account a;
		if ((rc = points_account_get(s, scheme, holder, &a, err)) == 0 && strcmp(a.opened, e->leaf) != 0)
			rc = chobo_fail(err, EX_DATAERR, "the %s account of %s is already open (home node %s)", scheme,
					holder, a.home);
	} else if ((rc = points_ref_get(s, scheme, ref, leaf, why, sizeof why, err)) == 0) {
		if (strcmp(leaf, e->leaf) != 0)
			rc = chobo_fail(err, EX_DATAERR, "reference %s is already used in scheme %s (entry %s)", ref, scheme,
					leaf);
		else if (why[0])
			rc = chobo_fail(err, EX_DATAERR, "%s", why);
	} else if (rc == EX_UNAVAILABLE) {
		rc = chobo_fail(err, EX_SOFTWARE, "reference %s is not in points.accounts", ref);
	}
	return rc;
}

/* The points' own movements and the credits carried by other types (points_sources). */
int points_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	struct view_state *s = view_stored(l, &points_accounts_view);
	/* The movements the view counted from the batch need no second look (view_entry_counts). */
	int rc = stored_batch_each_unmarked(w, "points.", &points_accounts_view, movement_allowed, s, err);
	for (const struct points_source *p = points_sources; rc == 0 && p->type; p++)
		rc = stored_batch_each_unmarked(w, p->type, &points_accounts_view, movement_allowed, s, err);
	view_state_free(s);
	return rc;
}

const struct service points_service = {
	.name = "points",
	.summary = "points accounts shared by the eco and volunteer schemes: credits, spends, settlements",
	.types = types,
	.settings = NULL,
	.views = (const struct view_spec *const[]){&points_accounts_view, NULL},
	.append_check = points_append_check,
};
