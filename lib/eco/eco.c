/* The eco service: entry types, the eco.registry view and the rules of eco.h. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "eco.h"
#include "entry_index.h"
#include "ledger.h"
#include "points/points.h"
#include "private_store.h"
#include "stored_entry.h"

static const char *const kind_names[] = {"solar", "ev", "phv"};

const char *eco_kind_name(enum eco_kind k)
{
	return kind_names[k];
}

const char *eco_methodology(enum eco_kind k)
{
	return k == ECO_SOLAR ? "EN-R-002" : k == ECO_EV ? "EV" : "PHV";
}

bool eco_kind_parse(const char *s, enum eco_kind *k)
{
	for (size_t i = 0; i < 3; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum eco_kind)i;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------- types */

#define END {NULL, 0, false, 0, false}

static const struct field_spec member_fields[] = {
	{"member", FIELD_STRING, true, PERSON_ID_TEXT, true},
	{"kind", FIELD_STRING, true, 16, false},
	{"home", FIELD_STRING, true, NOTE_MAX_NAME, false},
	{"joined", FIELD_STRING, true, JP_DATE_LEN, false},
	{"left", FIELD_STRING, false, JP_DATE_LEN, false},
	END,
};

static const struct field_spec equipment_fields[] = {
	{"code", FIELD_STRING, true, ECO_CODE_MAX, true},
	{"member", FIELD_STRING, true, PERSON_ID_TEXT, true},
	{"kind", FIELD_STRING, true, 8, false},
	{"capacity_w", FIELD_UINT, false, 0, false},
	{"baseline_m_per_l", FIELD_UINT, false, 0, false},
	{"baseline_fuel", FIELD_STRING, false, 16, false},
	{"id_hash", FIELD_SHA256, true, 0, true},
	{"monitoring_from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"other_scheme", FIELD_BOOL, true, 0, false},
	{"evidence", FIELD_SHA256, false, 0, false},
	END,
};

#define ACTIVITY_FIELDS \
	{"generated_wh", FIELD_UINT, false, 0, false}, \
	{"sold_wh", FIELD_UINT, false, 0, false}, \
	{"distance_m", FIELD_UINT, false, 0, false}, \
	{"charged_wh", FIELD_UINT, false, 0, false}, \
	{"fuel_ml", FIELD_UINT, false, 0, false}

/*
 * Readings are found by member (a points history: the points module credits
 * body.points to body.member), not by equipment: an index record per
 * reading is a write at a random place of the index, so only one is kept.
 */
static const struct field_spec reading_fields[] = {
	{"equipment", FIELD_STRING, true, ECO_CODE_MAX, false},
	{"from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"to", FIELD_STRING, true, JP_DATE_LEN, false},
	{"source", FIELD_STRING, true, 8, false},
	ACTIVITY_FIELDS,
	{"member", FIELD_STRING, true, PERSON_ID_TEXT, true},
	{"methodology", FIELD_STRING, true, 16, false},
	{"parts", FIELD_ARRAY, true, 0, false},
	{"reduction_g", FIELD_INT, true, 0, false},
	{"factors", FIELD_SHA256, true, 0, false},
	{"factors_version", FIELD_STRING, true, 63, false},
	{"points", FIELD_UINT, true, 0, false},
	{"points_per_kg", FIELD_UINT, true, 0, false},
	END,
};

static const struct field_spec certification_fields[] = {
	{"report", FIELD_STRING, true, ECO_REPORT_MAX, false},
	{"from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"to", FIELD_STRING, true, JP_DATE_LEN, false},
	{"report_sha256", FIELD_SHA256, true, 0, false},
	{"reduction_g", FIELD_UINT, true, 0, false},
	{"carried_in_g", FIELD_UINT, true, 0, false},
	{"certified_t", FIELD_UINT, true, 0, false},
	{"carried_g", FIELD_UINT, true, 0, false},
	END,
};

static bool code_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > ECO_CODE_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._-", *s)))
			return false;
	return true;
}

static bool member_kind_valid(const char *s)
{
	return strcmp(s, "household") == 0 || strcmp(s, "business") == 0;
}

static bool equipment_kind_valid(const char *s)
{
	enum eco_kind k;
	return eco_kind_parse(s, &k);
}

static bool fuel_valid(const char *s)
{
	return strcmp(s, "gasoline") == 0 || strcmp(s, "diesel") == 0;
}

static bool source_valid(const char *s)
{
	return strcmp(s, "device") == 0 || strcmp(s, "manual") == 0;
}

static bool methodology_valid(const char *s)
{
	return strcmp(s, "EN-R-002") == 0 || strcmp(s, "EV") == 0 || strcmp(s, "PHV") == 0;
}

static const char *const activity[] = {"generated_wh", "sold_wh", "distance_m", "charged_wh", "fuel_ml", NULL};

/* The rules one body can be judged on alone. */
static bool eco_body_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const dates[] = {"joined", "left", "monitoring_from", "from", "to", "reading_from",
					    "reading_to", NULL};
	for (size_t i = 0; dates[i]; i++)
		if (!stored_body_rule(doc, body, dates[i], jp_date_valid, "a date YYYY-MM-DD", err, errlen))
			return false;
	for (size_t i = 0; activity[i]; i++)
		if (stored_body_int(doc, body, activity[i], 0) > ECO_QUANTITY_MAX) {
			snprintf(err, errlen, "body.%s is above %lld", activity[i], (long long)ECO_QUANTITY_MAX);
			return false;
		}
	return stored_body_rule(doc, body, "member", person_id_valid, "a pseudonymous ID (p- and 32 hex digits)", err,
			  errlen) &&
	       stored_body_rule(doc, body, "equipment", code_valid, "a code of 1 to 32 of A-Z a-z 0-9 . _ -", err, errlen) &&
	       stored_body_rule(doc, body, "code", code_valid, "a code of 1 to 32 of A-Z a-z 0-9 . _ -", err, errlen) &&
	       stored_body_rule(doc, body, "baseline_fuel", fuel_valid, "gasoline or diesel", err, errlen) &&
	       stored_body_rule(doc, body, "source", source_valid, "device or manual", err, errlen) &&
	       stored_body_rule(doc, body, "methodology", methodology_valid, "EN-R-002, EV or PHV", err, errlen);
}

static bool member_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	if (!eco_body_check(doc, body, err, errlen) ||
	    !stored_body_rule(doc, body, "kind", member_kind_valid, "household or business", err, errlen))
		return false;
	/* Valid dates (eco_body_check) compare as text. */
	char joined[JP_DATE_LEN + 1], left[JP_DATE_LEN + 1];
	stored_body_str(doc, body, "joined", joined, sizeof joined);
	stored_body_str(doc, body, "left", left, sizeof left);
	if (joined[0] && left[0] && strcmp(left, joined) < 0) {
		snprintf(err, errlen, "body.left (%s) is before body.joined (%s)", left, joined);
		return false;
	}
	return true;
}

static bool equipment_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	char kind[8];
	if (!eco_body_check(doc, body, err, errlen) ||
	    !stored_body_rule(doc, body, "kind", equipment_kind_valid, "solar, ev or phv", err, errlen))
		return false;
	stored_body_str(doc, body, "kind", kind, sizeof kind);
	if (strcmp(kind, "solar") == 0 && stored_body_int(doc, body, "capacity_w", 0) < 1) {
		snprintf(err, errlen, "eco.equipment: solar needs body.capacity_w (watts, at least 1)");
		return false;
	}
	if (strcmp(kind, "solar") != 0 && (stored_body_int(doc, body, "baseline_m_per_l", 0) < 1 ||
					   jscan_find(doc, body, "baseline_fuel") < 0)) {
		snprintf(err, errlen, "eco.equipment: a vehicle needs body.baseline_m_per_l (at least 1) and "
			 "body.baseline_fuel");
		return false;
	}
	return true;
}

int64_t eco_points(int64_t total_g, int64_t points_per_kg)
{
	/* In two steps, so that no product overflows for any total and rate the schemas allow. */
	if (total_g <= 0)
		return 0;
	return total_g / 1000 * points_per_kg + total_g % 1000 * points_per_kg / 1000;
}

/* One part of a reading's body.parts, read in one pass: its own members, in range; *p with its days and values. */
static bool part_check(const struct json_doc *doc, size_t t, struct eco_part *p, int64_t *from, int64_t *to,
		       char *err, size_t errlen)
{
	enum { FY, FROM, TO, ACT0, BASE = ACT0 + 5, PROJ, RED, N };
	static const char *const names[N] = {"fy", "from", "to", "generated_wh", "sold_wh", "distance_m",
					     "charged_wh", "fuel_ml", "baseline_g", "project_g", "reduction_g"};
	int64_t v[N] = {0};
	bool seen[N] = {false};
	if (doc->tok[t].kind != JSON_K_OBJECT) {
		snprintf(err, errlen, "eco.reading: body.parts holds objects");
		return false;
	}
	memset(p, 0, sizeof *p);
	size_t k = t + 1;
	for (uint32_t i = 0; i < doc->tok[t].size; i++) {
		size_t x = doc->tok[k].next, n;
		for (n = 0; n < N && !jscan_string_equals(doc, k, names[n]); n++)
			;
		bool ok = n < N && !seen[n];
		if (ok && (n == FROM || n == TO))
			ok = doc->tok[x].kind == JSON_K_STRING &&
			     jscan_string_copy(doc, x, n == FROM ? p->from : p->to, sizeof p->from);
		else if (ok)
			ok = jscan_integer(doc, x, &v[n]);
		if (!ok) {
			snprintf(err, errlen, "eco.reading: a part has fy, from, to, the activity data, baseline_g, "
				 "project_g and reduction_g, once each (integers; from and to dates)");
			return false;
		}
		seen[n] = true;
		k = doc->tok[x].next;
	}
	if (!seen[FY] || !seen[BASE] || !seen[PROJ] || !seen[RED] || !jp_date_parse(p->from, from) ||
	    !jp_date_parse(p->to, to) || *from > *to) {
		snprintf(err, errlen, "eco.reading: a part needs fy, from <= to (dates), baseline_g, project_g and "
			 "reduction_g");
		return false;
	}
	int64_t *act[] = {&p->generated_wh, &p->sold_wh, &p->distance_m, &p->charged_wh, &p->fuel_ml};
	for (size_t i = 0; i < 5; i++) {
		*act[i] = v[ACT0 + i];
		if (*act[i] < 0 || *act[i] > ECO_QUANTITY_MAX) {
			snprintf(err, errlen, "eco.reading: a part's %s must be 0 to %lld", activity[i],
				 (long long)ECO_QUANTITY_MAX);
			return false;
		}
	}
	p->fy = v[FY] >= 0 && v[FY] <= 9999 ? (int32_t)v[FY] : -1;
	p->baseline_g = v[BASE];
	p->project_g = v[PROJ];
	p->reduction_g = v[RED];
	if (jp_fiscal_year(*from) != p->fy || jp_fiscal_year(*to) != p->fy) {
		snprintf(err, errlen, "eco.reading: the part %s to %s lies in fiscal year %" PRId64 " alone", p->from,
			 p->to, v[FY]);
		return false;
	}
	if (p->baseline_g < -ECO_GRAMS_MAX || p->baseline_g > ECO_GRAMS_MAX || p->project_g < -ECO_GRAMS_MAX ||
	    p->project_g > ECO_GRAMS_MAX || p->reduction_g != p->baseline_g - p->project_g) {
		snprintf(err, errlen, "eco.reading: a part's reduction_g is baseline_g - project_g (each within %lld)",
			 (long long)ECO_GRAMS_MAX);
		return false;
	}
	return true;
}

/*
 * A reading and what was computed from it add up: its parts follow one
 * another from its first day to its last, each in one fiscal year; their
 * activity data add up to the reading's and their reductions to its
 * reduction_g; the points are eco_points of that at points_per_kg.
 */
static bool reading_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	int64_t from, to, pfrom, pto, next, total = 0, sum[5] = {0};
	char f[JP_DATE_LEN + 1], t[JP_DATE_LEN + 1];
	struct eco_part p;
	if (!eco_body_check(doc, body, err, errlen))
		return false;
	stored_body_str(doc, body, "from", f, sizeof f);
	stored_body_str(doc, body, "to", t, sizeof t);
	long parts = jscan_find(doc, body, "parts");
	if (!jp_date_parse(f, &from) || !jp_date_parse(t, &to) || parts < 0)
		return snprintf(err, errlen, "eco.reading: body.from, body.to and body.parts are needed"), false;
	if (doc->tok[parts].size < 1 || doc->tok[parts].size > 3)
		return snprintf(err, errlen, "eco.reading: body.parts holds 1 to 3 parts (a reading is at most two "
				"years long)"), false;
	next = from;
	size_t k = (size_t)parts + 1;
	for (uint32_t i = 0; i < doc->tok[parts].size; i++, k = doc->tok[k].next) {
		if (!part_check(doc, k, &p, &pfrom, &pto, err, errlen))
			return false;
		if (pfrom != next || (i + 1 == doc->tok[parts].size && pto != to))
			return snprintf(err, errlen, "eco.reading: the parts cover the period %s to %s day by day, in "
					"order", f, t), false;
		next = pto + 1;
		const int64_t v[] = {p.generated_wh, p.sold_wh, p.distance_m, p.charged_wh, p.fuel_ml};
		for (size_t j = 0; j < 5; j++)
			sum[j] += v[j];
		total += p.reduction_g;
	}
	for (size_t j = 0; activity[j]; j++)
		if (sum[j] != stored_body_int(doc, body, activity[j], 0))
			return snprintf(err, errlen, "eco.reading: the parts' %s add up to %" PRId64 ", not to the "
					"reading's", activity[j], sum[j]), false;
	if (total != stored_body_int(doc, body, "reduction_g", 0))
		return snprintf(err, errlen, "eco.reading: body.reduction_g must be the parts' sum, %" PRId64, total),
		       false;
	int64_t ppk = stored_body_int(doc, body, "points_per_kg", 0);
	if (ppk > 1000000)
		return snprintf(err, errlen, "eco.reading: body.points_per_kg is at most 1000000"), false;
	if (stored_body_int(doc, body, "points", 0) != eco_points(total, ppk))
		return snprintf(err, errlen, "eco.reading: body.points must be %" PRId64 " (reduction_g x points_per_kg "
				"/ 1000, rounded down; 0 for no reduction)", eco_points(total, ppk)), false;
	return true;
}

/* The credits add up: certified whole tonnes and the remainder carried are what the report had. */
static bool certification_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const grams[] = {"reduction_g", "carried_in_g", "carried_g", NULL};
	int64_t from, to;
	char f[JP_DATE_LEN + 1], t[JP_DATE_LEN + 1];
	if (!eco_body_check(doc, body, err, errlen))
		return false;
	for (size_t i = 0; grams[i]; i++)
		if (stored_body_int(doc, body, grams[i], 0) > ECO_GRAMS_MAX) {
			snprintf(err, errlen, "body.%s is above %lld", grams[i], (long long)ECO_GRAMS_MAX);
			return false;
		}
	int64_t certified = stored_body_int(doc, body, "certified_t", 0);
	stored_body_str(doc, body, "from", f, sizeof f);
	stored_body_str(doc, body, "to", t, sizeof t);
	if (!jp_date_parse(f, &from) || !jp_date_parse(t, &to) || from > to) {
		snprintf(err, errlen, "eco.certification: body.to is before body.from");
		return false;
	}
	if (certified > ECO_GRAMS_MAX / 1000000 ||
	    certified * 1000000 + stored_body_int(doc, body, "carried_g", 0) !=
		    stored_body_int(doc, body, "reduction_g", 0) + stored_body_int(doc, body, "carried_in_g", 0)) {
		snprintf(err, errlen, "eco.certification: certified_t x 1,000,000 + carried_g must equal reduction_g "
			 "+ carried_in_g");
		return false;
	}
	return true;
}

static const struct entry_type types[] = {
	{"eco.member", "a member of the eco-points programme: pseudonymous ID, household or business, home node, "
	 "joined, left", member_fields, member_check, NULL},
	{"eco.equipment", "an EV, PHV or solar installation: code, member, capacity, baseline vehicle, keyed hash "
	 "of its identifier, start of monitoring, other-scheme flag, evidence", equipment_fields, equipment_check,
	 NULL},
	{"eco.reading", "activity data of one device for a period (distance, charged kWh, fuel, generated and sold "
	 "kWh; from a device or by hand), its CO2 reduction by fiscal-year part with the factor table's hash, and "
	 "the points it grants", reading_fields, reading_check, NULL},
	{"eco.certification", "the credits the J-Credit committee certified for a monitoring report: its period, "
	 "the report's hash, whole t-CO2 certified and the grams carried to the next report", certification_fields,
	 certification_check, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------- view values */

static int put_text(struct view_state *s, const char *key, struct view_text *t, struct chobo_error *err)
{
	view_text_str(t, "}");
	int rc = view_put(s, key, t->p, t->len, err);
	view_text_free(t);
	return rc;
}

/*
 * Stored values are read with the allocation-free scanner into one scratch
 * document: every reader below copies out what it needs before the next
 * view call (which invalidates the value the tokens point into).
 */
static struct json_doc scratch;

/* The stored value at key scanned into scratch (token 0 its object): 0, EX_UNAVAILABLE, or an error. */
static int get_value(struct view_state *s, const char *key, struct chobo_error *err)
{
	const char *value;
	size_t len;
	char why[128];
	int rc = view_get(s, key, &value, &len, err);
	if (rc != 0)
		return rc;
	if (!json_scan(&scratch, value, len, why, sizeof why) || scratch.tok[0].kind != JSON_K_OBJECT)
		return chobo_fail(err, EX_DATAERR, "eco.registry: %s is malformed; run chain-verify --views", key);
	return 0;
}

/* A string member of the scanned value ("" when absent). */
static void value_str(const char *name, char *out, size_t cap)
{
	stored_body_str(&scratch, 0, name, out, cap);
}

static int64_t value_int(const char *name, int64_t dflt)
{
	return stored_body_int(&scratch, 0, name, dflt);
}

/*
 * The registry's memo (view.h view_memo) keeps members (member/ID, struct
 * eco_member) and equipment (equip/CODE, struct eco_equipment) parsed: a
 * run reads ecopt-grant's judgment's records again in the reducer, and a
 * device's record is read and written for each of its readings.  Equipment
 * records are written at the flush; members when they change.
 */
int eco_member_get(struct view_state *s, const char *id, struct eco_member *out, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	snprintf(key, sizeof key, "member/%s", id);
	if (view_memo_copy(s, key, out, sizeof *out))
		return 0;
	int rc = get_value(s, key, err);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", id);
	value_str("home", out->home, sizeof out->home);
	value_str("kind", out->kind, sizeof out->kind);
	value_str("joined", out->joined, sizeof out->joined);
	value_str("left", out->left, sizeof out->left);
	value_str("leaf", out->leaf, sizeof out->leaf);
	view_memo_keep(s, key, out, sizeof *out);
	return 0;
}

int eco_certification_get(struct view_state *s, const char *from, char leaf[65], struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], refused[8];
	snprintf(key, sizeof key, "cert/%s", from);
	int rc = get_value(s, key, err);
	if (rc != 0)
		return rc;
	value_str("refused", refused, sizeof refused);
	value_str("leaf", leaf, 65);
	return refused[0] ? EX_UNAVAILABLE : 0;
}

/* What a memo keeps of equipment q: the struct cut after its last recorded stretch. */
#define EQUIPMENT_KEPT_SIZE(q) (offsetof(struct eco_equipment, recorded) + (q)->nrecorded * sizeof (q)->recorded[0])

/*
 * The recorded stretches of the scanned value ("recorded": [[FROM, TO], ...],
 * in day order, none touching the next) into q; false when malformed.
 */
static bool recorded_read(struct eco_equipment *q)
{
	long v = jscan_find(&scratch, 0, "recorded");
	q->nrecorded = 0;
	if (v < 0)
		return jscan_find(&scratch, 0, "last") < 0;   /* a last day without its stretches: another version's */
	if (scratch.tok[v].kind != JSON_K_ARRAY || scratch.tok[v].size > ECO_MAX_STRETCHES)
		return false;
	size_t k = (size_t)v + 1;
	for (size_t i = 0; i < scratch.tok[v].size; i++, k = scratch.tok[k].next) {
		char from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1];
		struct eco_stretch *st = &q->recorded[i];
		if (scratch.tok[k].kind != JSON_K_ARRAY || scratch.tok[k].size != 2 ||
		    scratch.tok[k + 1].kind != JSON_K_STRING || scratch.tok[scratch.tok[k + 1].next].kind != JSON_K_STRING)
			return false;
		jscan_string_copy(&scratch, k + 1, from, sizeof from);
		jscan_string_copy(&scratch, scratch.tok[k + 1].next, to, sizeof to);
		if (!jp_date_parse(from, &st->from) || !jp_date_parse(to, &st->to) || st->from > st->to ||
		    (i > 0 && st->from <= q->recorded[i - 1].to + 1))
			return false;
		q->nrecorded = i + 1;
	}
	return true;
}

int eco_equipment_get(struct view_state *s, const char *code, struct eco_equipment *out,
		      struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], kind[8];
	snprintf(key, sizeof key, "equip/%s", code);
	if (view_memo_copy(s, key, out, sizeof *out))
		return 0;
	int rc = get_value(s, key, err);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->code, sizeof out->code, "%s", code);
	value_str("leaf", out->leaf, sizeof out->leaf);
	value_str("member", out->member, sizeof out->member);
	value_str("id_hash", out->id_hash, sizeof out->id_hash);
	value_str("duplicate_of", out->duplicate_of, sizeof out->duplicate_of);
	value_str("monitoring_from", out->monitoring_from, sizeof out->monitoring_from);
	value_str("baseline_fuel", out->fuel, sizeof out->fuel);
	value_str("evidence", out->evidence, sizeof out->evidence);
	value_str("kind", kind, sizeof kind);
	eco_kind_parse(kind, &out->kind);
	out->capacity_w = value_int("capacity_w", 0);
	out->baseline_m_per_l = value_int("baseline_m_per_l", 0);
	out->other_scheme = stored_body_bool(&scratch, 0, "other_scheme");
	if (!recorded_read(out))
		return chobo_fail(err, EX_DATAERR, "eco.registry: %s is malformed; run chain-verify --views", key);
	view_memo_keep(s, key, out, EQUIPMENT_KEPT_SIZE(out));
	return 0;
}

/*
 * The equipment record: what was registered, the first code of its
 * identifier, the end of its last reading (last) and the stretches of days
 * its readings cover (recorded).
 */
static int equipment_write(struct view_state *s, const struct eco_equipment *q, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	struct view_text t = {0};
	view_text_object_str(&t, "leaf", q->leaf);
	view_text_member_str(&t, "member", q->member);
	view_text_member_str(&t, "kind", eco_kind_name(q->kind));
	view_text_member_str(&t, "id_hash", q->id_hash);
	view_text_member_str(&t, "monitoring_from", q->monitoring_from);
	view_text_member_str(&t, "baseline_fuel", q->fuel);
	view_text_member_str(&t, "evidence", q->evidence);
	view_text_member_int(&t, "capacity_w", q->capacity_w);
	view_text_member_int(&t, "baseline_m_per_l", q->baseline_m_per_l);
	view_text_str(&t, q->other_scheme ? ",\"other_scheme\":true" : ",\"other_scheme\":false");
	view_text_member_str(&t, "duplicate_of", q->duplicate_of);
	if (q->nrecorded) {
		char from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1];
		jp_date_format(to, q->recorded[q->nrecorded - 1].to);
		view_text_member_str(&t, "last", to);
		view_text_str(&t, ",\"recorded\":[");
		for (size_t i = 0; i < q->nrecorded; i++) {
			jp_date_format(from, q->recorded[i].from);
			jp_date_format(to, q->recorded[i].to);
			view_text_str(&t, i ? ",[" : "[");
			view_text_json_string(&t, from);
			view_text_str(&t, ",");
			view_text_json_string(&t, to);
			view_text_str(&t, "]");
		}
		view_text_str(&t, "]");
	}
	snprintf(key, sizeof key, "equip/%s", q->code);
	return put_text(s, key, &t, err);
}

/* The equipment record changed: into the memo, written at the flush (or now, with no memo). */
static int equipment_put(struct view_state *s, const struct eco_equipment *q, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	struct view_memo *memo = view_memo(s);
	if (!memo)
		return equipment_write(s, q, err);
	snprintf(key, sizeof key, "equip/%s", q->code);
	view_memo_put(memo, key, q, EQUIPMENT_KEPT_SIZE(q), true);
	return 0;
}

/* The memo's dirty record under key, written (only equipment is kept dirty). */
static int registry_write_kept(struct view_state *s, const char *key, const void *rec, struct chobo_error *err)
{
	static struct eco_equipment q;   /* the kept record is cut after its stretches */
	if (strncmp(key, "equip/", 6) != 0)
		return 0;
	memcpy(&q, rec, EQUIPMENT_KEPT_SIZE((const struct eco_equipment *)rec));
	return equipment_write(s, &q, err);
}

/* The stretch of q's recorded days that days from..to meet, or -1 when none does. */
static long stretch_met(const struct eco_equipment *q, int64_t from, int64_t to)
{
	for (size_t i = 0; i < q->nrecorded; i++)
		if (q->recorded[i].from <= to && from <= q->recorded[i].to)
			return (long)i;
	return -1;
}

int eco_reading_stretches(const struct eco_equipment *q, const struct eco_earlier *earlier,
			  const struct eco_reading *r)
{
	/* The earlier readings of the input lie before r: only a recorded stretch can follow it. */
	bool joins_before = earlier && earlier->to + 1 == r->from_day, joins_after = false;
	for (size_t i = 0; i < q->nrecorded; i++) {
		joins_before = joins_before || q->recorded[i].to + 1 == r->from_day;
		joins_after = joins_after || q->recorded[i].from == r->to_day + 1;
	}
	return joins_before && joins_after ? -1 : joins_before || joins_after ? 0 : 1;
}

/*
 * Record days from..to, which meet none of q's stretches, joining the
 * stretches they touch; false (q unchanged) when they would make one stretch
 * more than ECO_MAX_STRETCHES.
 */
static bool stretch_add(struct eco_equipment *q, int64_t from, int64_t to)
{
	size_t i = 0;
	while (i < q->nrecorded && q->recorded[i].to < from)
		i++;   /* recorded[i]: the first stretch after the days, if any */
	bool joins_before = i > 0 && q->recorded[i - 1].to + 1 == from;
	bool joins_after = i < q->nrecorded && q->recorded[i].from == to + 1;
	if (joins_before && joins_after) {
		q->recorded[i - 1].to = q->recorded[i].to;
		memmove(&q->recorded[i], &q->recorded[i + 1], (q->nrecorded - i - 1) * sizeof q->recorded[0]);
		q->nrecorded--;
	} else if (joins_before) {
		q->recorded[i - 1].to = to;
	} else if (joins_after) {
		q->recorded[i].from = from;
	} else {
		if (q->nrecorded == ECO_MAX_STRETCHES)
			return false;
		memmove(&q->recorded[i + 1], &q->recorded[i], (q->nrecorded - i) * sizeof q->recorded[0]);
		q->recorded[i].from = from;
		q->recorded[i].to = to;
		q->nrecorded++;
	}
	return true;
}

/*
 * The key of a reading's last part, part/TO/CODE/FROM: the period's last
 * day, and its first day or the April 1 before the last day, whichever is
 * later.  Found from the reading's period alone, so a duplicate is one get.
 */
static void last_part_key(char out[VIEW_MAX_KEY], const char *code, int64_t from_day, const char *to,
			  int64_t to_day)
{
	char from[JP_DATE_LEN + 1];
	int64_t start = jp_fiscal_year_start(jp_fiscal_year(to_day));
	jp_date_format(from, from_day > start ? from_day : start);
	snprintf(out, VIEW_MAX_KEY, "part/%s/%s/%s", to, code, from);
}

int eco_reading_recorded(struct view_state *s, const struct eco_reading *r, char log[NOTE_MAX_NAME + 1],
			 uint64_t *index, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	last_part_key(key, r->equipment, r->from_day, r->to, r->to_day);
	int rc = get_value(s, key, err);
	if (rc != 0)
		return rc;
	value_str("log", log, NOTE_MAX_NAME + 1);
	int64_t i = value_int("index", -1);
	if (!log[0] || i < 0)
		return chobo_fail(err, EX_DATAERR, "eco.registry: %s names no entry; run chain-verify --views", key);
	*index = (uint64_t)i;
	return 0;
}

static void refused_key(char out[VIEW_MAX_KEY], const char *code, const char *from, const char *to)
{
	snprintf(out, VIEW_MAX_KEY, "refused/%s/%s/%s", code, from, to);
}

static const int64_t *activity_of(const struct eco_reading *r, size_t i)
{
	const int64_t *v[] = {&r->generated_wh, &r->sold_wh, &r->distance_m, &r->charged_wh, &r->fuel_ml};
	return v[i];
}

/* The total of activity i recorded for a reading in its last part's value (scanned): reading_X, else X. */
static int64_t recorded_total(size_t i)
{
	char name[32];
	snprintf(name, sizeof name, "reading_%s", activity[i]);
	return value_int(name, value_int(activity[i], 0));
}

int eco_reading_judge(struct view_state *s, const struct eco_reading *r, const char *origin,
		      const struct eco_earlier *earlier, struct eco_equipment *q, enum eco_verdict *out, char *why,
		      size_t whylen, struct chobo_error *err)
{
	struct eco_member m;
	char key[VIEW_MAX_KEY], from[JP_DATE_LEN + 1];
	int64_t d;
	*out = ECO_REFUSE;
#define REFUSE(...) return snprintf(why, whylen, __VA_ARGS__), 0
	int rc = eco_equipment_get(s, r->equipment, q, err);
	if (rc == EX_UNAVAILABLE)
		REFUSE("unknown equipment %s", r->equipment);
	if (rc != 0)
		return rc;
	if ((rc = eco_member_get(s, q->member, &m, err)) == EX_UNAVAILABLE)
		REFUSE("equipment %s: unknown member %s", r->equipment, q->member);
	if (rc != 0)
		return rc;
	if (strcmp(m.home, origin) != 0)
		REFUSE("member %s's home node is %s: post the readings there, not on %s", m.id, m.home, origin);
	if (r->from_day > r->to_day)
		REFUSE("the period ends (%s) before it starts (%s)", r->to, r->from);
	long met = stretch_met(q, r->from_day, r->to_day);
	if (met >= 0) {
		/* Days recorded already: the same period again, or an overlap. */
		last_part_key(key, r->equipment, r->from_day, r->to, r->to_day);
		if ((rc = get_value(s, key, err)) == 0) {
			value_str("reading_from", from, sizeof from);
			if (!from[0])
				value_str("from", from, sizeof from);
			if (strcmp(from, r->from) == 0) {
				bool same = true;
				for (size_t i = 0; activity[i]; i++)
					same = same && recorded_total(i) == *activity_of(r, i);
				if (same) {
					*out = ECO_DUPLICATE;
					return 0;
				}
				REFUSE("a reading of %s for %s to %s is already recorded with other values", r->equipment,
				       r->from, r->to);
			}
		} else if (rc != EX_UNAVAILABLE) {
			return rc;
		}
		char a[JP_DATE_LEN + 1], b[JP_DATE_LEN + 1];
		jp_date_format(a, q->recorded[met].from);
		jp_date_format(b, q->recorded[met].to);
		REFUSE("the period %s to %s overlaps the recorded readings of %s, which cover %s to %s", r->from, r->to,
		       r->equipment, a, b);
	}
	if (earlier && r->from_day <= earlier->to) {
		char last[JP_DATE_LEN + 1];
		jp_date_format(last, earlier->to);
		if (r->to_day >= earlier->to)
			REFUSE("the period %s to %s overlaps a reading of %s earlier in this input, which runs to %s "
			       "(give each reading once, in period order)", r->from, r->to, r->equipment, last);
		REFUSE("the period %s to %s comes after a reading of %s earlier in this input, which runs to %s: "
		       "give a device's readings in period order", r->from, r->to, r->equipment, last);
	}
	if ((int)q->nrecorded + (earlier ? earlier->stretches : 0) >= ECO_MAX_STRETCHES &&
	    eco_reading_stretches(q, earlier, r) > 0)
		REFUSE("the readings of %s recorded so far%s cover %d separate stretches of days, the most a device may "
		       "have, and the period %s to %s would start another: record first the periods missing between "
		       "them", r->equipment, earlier && earlier->stretches > 0 ? " and those above it in this input" : "",
		       ECO_MAX_STRETCHES, r->from, r->to);
	if (jp_date_parse(q->monitoring_from, &d) && r->from_day < d)
		REFUSE("the period starts before the monitoring of %s (%s)", r->equipment, q->monitoring_from);
	if (jp_date_parse(m.joined, &d) && r->from_day < d)
		REFUSE("the period starts before member %s joined (%s)", m.id, m.joined);
	if (m.left[0] && jp_date_parse(m.left, &d) && r->to_day > d)
		REFUSE("the period ends after member %s left (%s)", m.id, m.left);
	if (jp_date_parse(ECO_LAST_DAY, &d) && r->to_day > d)
		REFUSE("the period ends after %s, the end of every certification period", ECO_LAST_DAY);
	int64_t days = r->to_day - r->from_day + 1;
	if (days > 2 * 366)
		REFUSE("a period of %" PRId64 " days: at most two years", days);
	if (q->kind == ECO_SOLAR) {
		if (r->distance_m || r->charged_wh || r->fuel_ml)
			REFUSE("a solar reading has no distance, charged kWh or fuel");
		if (r->sold_wh > r->generated_wh)
			REFUSE("sold (%" PRId64 " Wh) is more than generated (%" PRId64 " Wh)", r->sold_wh,
			       r->generated_wh);
		if (r->generated_wh > q->capacity_w * 24 * days)
			REFUSE("generated %" PRId64 " Wh is more than %" PRId64 " W can make in %" PRId64 " days (%" PRId64
			       " Wh)", r->generated_wh, q->capacity_w, days, q->capacity_w * 24 * days);
	} else {
		if (r->generated_wh || r->sold_wh)
			REFUSE("a vehicle reading has no generated or sold kWh");
		if (q->kind == ECO_EV && r->fuel_ml)
			REFUSE("an EV burns no fuel: that is a PHV");
	}
#undef REFUSE
	*out = ECO_ACCEPT;
	return 0;
}

/* ------------------------------------------------------------- the view */

static void reading_read(const struct view_entry *e, struct eco_reading *r)
{
	memset(r, 0, sizeof *r);
	stored_body_str(e->doc, e->body, "equipment", r->equipment, sizeof r->equipment);
	stored_body_str(e->doc, e->body, "from", r->from, sizeof r->from);
	stored_body_str(e->doc, e->body, "to", r->to, sizeof r->to);
	stored_body_str(e->doc, e->body, "source", r->source, sizeof r->source);
	jp_date_parse(r->from, &r->from_day);
	jp_date_parse(r->to, &r->to_day);
	r->generated_wh = stored_body_int(e->doc, e->body, "generated_wh", 0);
	r->sold_wh = stored_body_int(e->doc, e->body, "sold_wh", 0);
	r->distance_m = stored_body_int(e->doc, e->body, "distance_m", 0);
	r->charged_wh = stored_body_int(e->doc, e->body, "charged_wh", 0);
	r->fuel_ml = stored_body_int(e->doc, e->body, "fuel_ml", 0);
}

static int member_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char id[40], key[VIEW_MAX_KEY], hex[65];
	struct eco_member m;
	struct view_text t = {0};
	stored_body_str(e->doc, e->body, "member", id, sizeof id);
	snprintf(key, sizeof key, "member/%s", id);
	int rc = eco_member_get(s, id, &m, err);
	if (rc != EX_UNAVAILABLE) {
		/* Registered: a later entry of its home node may record that the member left. */
		char left[JP_DATE_LEN + 1];
		stored_body_str(e->doc, e->body, "left", left, sizeof left);
		if (rc != 0 || strcmp(m.home, e->origin) != 0 || !left[0])
			return rc;
		memcpy(m.left, left, sizeof left);
		hex32(hex, e->leaf_hash);
	} else {
		memset(&m, 0, sizeof m);
		stored_body_str(e->doc, e->body, "home", m.home, sizeof m.home);
		stored_body_str(e->doc, e->body, "kind", m.kind, sizeof m.kind);
		stored_body_str(e->doc, e->body, "joined", m.joined, sizeof m.joined);
		stored_body_str(e->doc, e->body, "left", m.left, sizeof m.left);
		hex32(hex, e->leaf_hash);
		if (strcmp(m.home, e->origin) != 0)
			return 0;   /* refused by the rules: a member is registered on its home node */
	}
	view_text_object_str(&t, "leaf", hex);
	view_text_member_str(&t, "home", m.home);
	view_text_member_str(&t, "kind", m.kind);
	view_text_member_str(&t, "joined", m.joined);
	if (m.left[0])
		view_text_member_str(&t, "left", m.left);
	if ((rc = put_text(s, key, &t, err)) == 0) {
		/* What eco_member_get reads back from the record just written. */
		snprintf(m.id, sizeof m.id, "%s", id);
		memcpy(m.leaf, hex, sizeof m.leaf);
		view_memo_keep(s, key, &m, sizeof m);
	}
	return rc;
}

static int equipment_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char code[ECO_CODE_MAX + 1], key[VIEW_MAX_KEY], kind[8];
	struct eco_equipment q;
	stored_body_str(e->doc, e->body, "code", code, sizeof code);
	int rc = eco_equipment_get(s, code, &q, err);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first registration of a code counts */
	memset(&q, 0, sizeof q);
	snprintf(q.code, sizeof q.code, "%s", code);
	hex32(q.leaf, e->leaf_hash);
	stored_body_str(e->doc, e->body, "member", q.member, sizeof q.member);
	stored_body_str(e->doc, e->body, "kind", kind, sizeof kind);
	eco_kind_parse(kind, &q.kind);
	stored_body_str(e->doc, e->body, "id_hash", q.id_hash, sizeof q.id_hash);
	stored_body_str(e->doc, e->body, "monitoring_from", q.monitoring_from, sizeof q.monitoring_from);
	stored_body_str(e->doc, e->body, "baseline_fuel", q.fuel, sizeof q.fuel);
	stored_body_str(e->doc, e->body, "evidence", q.evidence, sizeof q.evidence);
	q.capacity_w = stored_body_int(e->doc, e->body, "capacity_w", 0);
	q.baseline_m_per_l = stored_body_int(e->doc, e->body, "baseline_m_per_l", 0);
	q.other_scheme = stored_body_bool(e->doc, e->body, "other_scheme");
	snprintf(key, sizeof key, "idhash/%s", q.id_hash);
	if ((rc = get_value(s, key, err)) == 0) {
		value_str("code", q.duplicate_of, sizeof q.duplicate_of);
	} else if (rc == EX_UNAVAILABLE) {
		struct view_text h = {0};
		view_text_object_str(&h, "code", code);
		rc = put_text(s, key, &h, err);
	}
	return rc != 0 ? rc : equipment_put(s, &q, err);
}

/*
 * A reading is judged here, once, whichever way it came (appended or
 * imported): an accepted one records its parts under part/ and moves its
 * device's last day; a refused one is recorded under refused/ with the
 * reason, which the append's rule reads; a duplicate changes nothing.
 */
static int reading_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	static const char *const strs[] = {"member", "methodology", "factors", NULL};
	static const char *const ints[] = {"fy", "generated_wh", "sold_wh", "distance_m", "charged_wh", "fuel_ml",
					   "baseline_g", "project_g", "reduction_g", NULL};
	struct eco_reading r;
	struct eco_equipment q;
	enum eco_verdict verdict;
	char key[VIEW_MAX_KEY], why[1024] = "", v[80], from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1];
	reading_read(e, &r);
	int rc = eco_reading_judge(s, &r, e->origin, NULL, &q, &verdict, why, sizeof why, err);
	if (rc != 0 || verdict == ECO_DUPLICATE)
		return rc;   /* the first reading of a period counts */
	if (verdict == ECO_ACCEPT) {
		stored_body_str(e->doc, e->body, "member", v, sizeof v);
		if (strcmp(v, q.member) != 0) {
			verdict = ECO_REFUSE;
			snprintf(why, sizeof why, "body.member is %s, but equipment %s is member %s's", v, r.equipment,
				 q.member);
		}
		stored_body_str(e->doc, e->body, "methodology", v, sizeof v);
		if (verdict == ECO_ACCEPT && strcmp(v, eco_methodology(q.kind)) != 0) {
			verdict = ECO_REFUSE;
			snprintf(why, sizeof why, "equipment %s (%s) is reduced by %s, not %s", r.equipment,
				 eco_kind_name(q.kind), eco_methodology(q.kind), v);
		}
	}
	if (verdict == ECO_REFUSE) {
		struct view_text t = {0};
		view_text_object_str(&t, "log", e->origin);
		view_text_member_int(&t, "index", (int64_t)e->index);
		view_text_member_str(&t, "refused", why);
		refused_key(key, r.equipment, r.from, r.to);
		return put_text(s, key, &t, err);
	}
	/* No leaf hash in the parts: the report reads 120,000 of them a fiscal year, and log and index name it. */
	long parts = jscan_find(e->doc, e->body, "parts");
	size_t k = (size_t)parts + 1, n = parts >= 0 ? e->doc->tok[parts].size : 0;
	for (size_t i = 0; rc == 0 && i < n; i++, k = e->doc->tok[k].next) {
		struct view_text t = {0};
		view_text_object_str(&t, "log", e->origin);
		view_text_member_int(&t, "index", (int64_t)e->index);
		for (size_t j = 0; strs[j]; j++) {
			stored_body_str(e->doc, e->body, strs[j], v, sizeof v);
			view_text_member_str(&t, strs[j], v);
		}
		for (size_t j = 0; ints[j]; j++)
			view_text_member_int(&t, ints[j], stored_body_int(e->doc, k, ints[j], 0));
		if (i + 1 == n) {
			/* The last part names the reading, for finding a duplicate: its first day, and its totals
			 * when they are not the part's own. */
			view_text_member_str(&t, "reading_from", r.from);
			for (size_t j = 0; n > 1 && activity[j]; j++)
				if (*activity_of(&r, j)) {
					char name[32];
					snprintf(name, sizeof name, "reading_%s", activity[j]);
					view_text_member_int(&t, name, *activity_of(&r, j));
				}
		}
		stored_body_str(e->doc, k, "from", from, sizeof from);
		stored_body_str(e->doc, k, "to", to, sizeof to);
		snprintf(key, sizeof key, "part/%s/%s/%s", to, r.equipment, from);
		rc = put_text(s, key, &t, err);
	}
	if (rc != 0)
		return rc;
	if (!stretch_add(&q, r.from_day, r.to_day))
		return chobo_fail(err, EX_SOFTWARE, "eco.registry: equipment %s has no room for a reading judged "
				  "acceptable", r.equipment);
	/* A later entry of the batch for the same days is a duplicate or refused: none writes these parts again. */
	if ((rc = equipment_put(s, &q, err)) == 0)
		view_entry_counts(s, e);
	return rc;
}

/*
 * Certifications come in period order: each starts after the last one's
 * end and takes over its carried remainder.  cert/FROM records each, with
 * the reason when it breaks that rule; certlast the last one that counts.
 */
static int certification_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1], last_to[JP_DATE_LEN + 1] = "", key[VIEW_MAX_KEY], hex[65],
		why[256] = "";
	int64_t last_carried = 0;
	stored_body_str(e->doc, e->body, "from", from, sizeof from);
	stored_body_str(e->doc, e->body, "to", to, sizeof to);
	snprintf(key, sizeof key, "cert/%s", from);
	int rc = get_value(s, key, err);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first certification of a period counts */
	if ((rc = get_value(s, "certlast", err)) == 0) {
		value_str("to", last_to, sizeof last_to);
		last_carried = value_int("carried_g", 0);
	} else if (rc != EX_UNAVAILABLE) {
		return rc;
	}
	int64_t carried_in = stored_body_int(e->doc, e->body, "carried_in_g", 0);
	if (last_to[0] && strcmp(from, last_to) <= 0)
		snprintf(why, sizeof why, "the period %s to %s is not after the last certified one, which ends %s", from,
			 to, last_to);
	else if (carried_in != last_carried)
		snprintf(why, sizeof why, "carried_in_g is %" PRId64 ", but the last certification carried %" PRId64
			 " g", carried_in, last_carried);
	struct view_text t = {0};
	hex32(hex, e->leaf_hash);
	view_text_object_str(&t, "leaf", hex);
	view_text_member_str(&t, "to", to);
	view_text_member_int(&t, "carried_g", stored_body_int(e->doc, e->body, "carried_g", 0));
	view_text_member_str(&t, "refused", why);
	if ((rc = put_text(s, key, &t, err)) != 0 || why[0])
		return rc;
	struct view_text last = {0};
	view_text_object_str(&last, "to", to);
	view_text_member_str(&last, "from", from);
	view_text_member_str(&last, "leaf", hex);
	view_text_member_int(&last, "carried_g", stored_body_int(e->doc, e->body, "carried_g", 0));
	return put_text(s, "certlast", &last, err);
}

static int registry_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	const char *t = e->type->name;
	if (strcmp(t, "eco.reading") == 0)
		return reading_apply(s, e, err);
	if (strcmp(t, "eco.member") == 0)
		return member_apply(s, e, err);
	if (strcmp(t, "eco.equipment") == 0)
		return equipment_apply(s, e, err);
	if (strcmp(t, "eco.certification") == 0)
		return certification_apply(s, e, err);
	return 0;
}

static const char *const registry_types[] = {"eco.member", "eco.equipment", "eco.reading", "eco.certification",
					     NULL};

const struct view_spec eco_registry_view = {
	.name = "eco.registry",
	.summary = "eco members, equipment with the days its readings cover, identifier hashes, readings' parts by "
		   "period, refused readings, certifications",
	.types = registry_types,
	.version = 6,   /* 6: readings in any order that overlaps none, the equipment's recorded stretches */
	.apply = registry_apply,
	.write_kept = registry_write_kept,
};

/* ------------------------------------------------------------- the rules */

/* The leaf recorded at key and its refusal, if any: 0, EX_UNAVAILABLE, or an error. */
static int recorded(struct view_state *s, const char *key, char leaf[65], char *why, size_t whylen,
		    struct chobo_error *err)
{
	int rc = get_value(s, key, err);
	if (rc != 0)
		return rc;
	value_str("leaf", leaf, 65);
	value_str("refused", why, whylen);
	return 0;
}

/* The scanned value names entry (origin, index). */
static bool value_names(const char *origin, uint64_t index)
{
	long log = jscan_find(&scratch, 0, "log");
	return log >= 0 && jscan_string_equals(&scratch, (size_t)log, origin) && value_int("index", -1) == (int64_t)index;
}

/*
 * A reading of the batch counts when the registry recorded its last part
 * as this entry's (one get of a record the views just wrote); otherwise the
 * registry recorded why not.
 */
static int reading_rule(struct view_state *s, const struct stored_entry *e, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], code[ECO_CODE_MAX + 1], from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1], first[JP_DATE_LEN + 1],
		log[NOTE_MAX_NAME + 1], why[1024];
	int64_t from_day, to_day;
	stored_body_str(&e->doc, e->body, "equipment", code, sizeof code);
	stored_body_str(&e->doc, e->body, "from", from, sizeof from);
	stored_body_str(&e->doc, e->body, "to", to, sizeof to);
	int rc = 0;
	if (jp_date_parse(from, &from_day) && jp_date_parse(to, &to_day) && from_day <= to_day) {
		last_part_key(key, code, from_day, to, to_day);
		if ((rc = get_value(s, key, err)) == 0) {
			if (value_names(e->origin, e->index))
				return 0;
			value_str("reading_from", first, sizeof first);
			if (strcmp(first, from) == 0) {
				value_str("log", log, sizeof log);
				return chobo_fail(err, EX_DATAERR, "a duplicate reading of %s for %s to %s (entry %" PRId64
						  " of %s)", code, from, to, value_int("index", 0), log);
			}
		} else if (rc != EX_UNAVAILABLE) {
			return rc;
		}
	}
	refused_key(key, code, from, to);
	if ((rc = get_value(s, key, err)) == 0 && value_names(e->origin, e->index)) {
		value_str("refused", why, sizeof why);
		return chobo_fail(err, EX_DATAERR, "%s", why);
	}
	return rc == 0 || rc == EX_UNAVAILABLE ?
		       chobo_fail(err, EX_SOFTWARE, "the reading of %s for %s to %s is not in eco.registry", code, from,
				  to) :
		       rc;
}

/* The registrations of a member's equipment (log, index), from the entry index. */
struct registrations {
	struct {
		uint32_t log;
		uint64_t index;
	} *v;
	size_t n, cap;
};

static int registration_add(void *ctx, uint32_t log, uint64_t index)
{
	struct registrations *r = ctx;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 8;
		r->v = xrealloc(r->v, r->cap * sizeof *r->v);
	}
	r->v[r->n].log = log;
	r->v[r->n++].index = index;
	return 0;
}

/*
 * The latest day that the recorded readings of member id's equipment cover
 * (INT64_MIN when none), with that device's code; 0 or an exit code with
 * err.  Equipment counts as the member's when its registration is the one
 * that counts (a code registered again is another's).
 */
static int member_last_day(struct ledger *l, struct view_state *s, const char *id, int64_t *last,
			   char code[ECO_CODE_MAX + 1], struct chobo_error *err)
{
	struct registrations r = {0};
	struct stored_entry se = {0};
	*last = INT64_MIN;
	int rc = entry_index_each_key(l->store, "eco.equipment", "member", id, registration_add, &r, err);
	for (size_t i = 0; rc == 0 && i < r.n; i++) {
		struct eco_equipment q;
		char c[ECO_CODE_MAX + 1];
		if ((rc = stored_entry_read(l, r.v[i].log, r.v[i].index, &se, err)) != 0)
			break;
		stored_body_str(&se.doc, se.body, "code", c, sizeof c);
		if ((rc = eco_equipment_get(s, c, &q, err)) == EX_UNAVAILABLE) {
			rc = 0;   /* refused by the rules: not registered */
			continue;
		}
		if (rc == 0 && strcmp(q.leaf, se.leaf) == 0 && q.nrecorded && q.recorded[q.nrecorded - 1].to > *last) {
			*last = q.recorded[q.nrecorded - 1].to;
			snprintf(code, ECO_CODE_MAX + 1, "%s", c);
		}
	}
	stored_entry_free(&se);
	free(r.v);
	return rc;
}

static int entry_rules(struct ledger *l, struct view_state *s, const struct stored_entry *e,
		       struct chobo_error *err)
{
	const char *t = e->type->name;
	char key[VIEW_MAX_KEY], leaf[65], why[1024], code[ECO_CODE_MAX + 1], from[JP_DATE_LEN + 1], id[40];
	int rc;
	if (strcmp(t, "eco.reading") == 0)
		return reading_rule(s, e, err);
	if (strcmp(t, "eco.member") == 0) {
		struct eco_member m;
		stored_body_str(&e->doc, e->body, "member", id, sizeof id);
		snprintf(key, sizeof key, "member/%s", id);
		if ((rc = recorded(s, key, leaf, why, sizeof why, err)) == EX_UNAVAILABLE ||
		    (rc == 0 && eco_member_get(s, id, &m, err) == 0 && strcmp(m.home, e->origin) != 0))
			return chobo_fail(err, EX_DATAERR, "a member is registered on its home node: body.home must be %s",
					  e->origin);
		if (rc == 0 && strcmp(leaf, e->leaf) != 0 &&
		    jscan_find(&e->doc, e->body, "left") < 0)
			return chobo_fail(err, EX_DATAERR, "member %s is already registered (entry %s)", id, leaf);
		if (rc == 0) {
			/* A departure (in the registration or recorded later) is not before the member joined. */
			char left[JP_DATE_LEN + 1];
			stored_body_str(&e->doc, e->body, "left", left, sizeof left);
			if ((rc = eco_member_get(s, id, &m, err)) != 0)
				return rc;
			if (left[0] && strcmp(left, m.joined) < 0)
				return chobo_fail(err, EX_DATAERR, "member %s joined on %s: body.left (%s) is before it", id,
						  m.joined, left);
			/* Nor before the end of a reading granted already: the report would leave it out. */
			int64_t last, day;
			if (left[0] && (rc = member_last_day(l, s, id, &last, code, err)) == 0 &&
			    jp_date_parse(left, &day) && last > day) {
				char end[JP_DATE_LEN + 1];
				jp_date_format(end, last);
				return chobo_fail(err, EX_DATAERR, "member %s's equipment %s has readings recorded to %s: "
						  "body.left (%s) is before that; a member leaves on the last day of their "
						  "last reading or later", id, code, end, left);
			}
		}
		return rc;
	}
	if (strcmp(t, "eco.equipment") == 0) {
		struct eco_equipment q;
		struct eco_member m;
		stored_body_str(&e->doc, e->body, "code", code, sizeof code);
		stored_body_str(&e->doc, e->body, "member", id, sizeof id);
		if ((rc = eco_equipment_get(s, code, &q, err)) != 0)
			return rc == EX_UNAVAILABLE ? chobo_fail(err, EX_SOFTWARE, "equip/%s is not in eco.registry", code) :
						      rc;
		if (strcmp(q.leaf, e->leaf) != 0)
			return chobo_fail(err, EX_DATAERR, "equipment %s is already registered (entry %s)", code, q.leaf);
		if (q.duplicate_of[0])
			return chobo_fail(err, EX_DATAERR, "double registration: this identifier is already registered "
					  "as equipment %s", q.duplicate_of);
		if ((rc = eco_member_get(s, id, &m, err)) == EX_UNAVAILABLE)
			return chobo_fail(err, EX_DATAERR, "unknown member %s", id);
		return rc;
	}
	if (strcmp(t, "eco.certification") == 0) {
		stored_body_str(&e->doc, e->body, "from", from, sizeof from);
		snprintf(key, sizeof key, "cert/%s", from);
		if ((rc = recorded(s, key, leaf, why, sizeof why, err)) == 0 && strcmp(leaf, e->leaf) != 0)
			return chobo_fail(err, EX_DATAERR, "a certification of the period from %s is already recorded "
					  "(entry %s)", from, leaf);
		if (rc == 0 && why[0])
			return chobo_fail(err, EX_DATAERR, "%s", why);
		return rc == EX_UNAVAILABLE ? chobo_fail(err, EX_SOFTWARE, "%s is not in eco.registry", key) : rc;
	}
	return 0;
}

struct rules_ctx {
	struct ledger *l;
	struct view_state *s;
};

static int entry_rules_of(void *ctx, const struct stored_entry *e, struct chobo_error *err)
{
	struct rules_ctx *c = ctx;
	return entry_rules(c->l, c->s, e, err);
}

int eco_window_read(const struct ledger_config *conf, struct eco_window *w, struct chobo_error *err)
{
	w->start = config_setting(conf, "eco.certification_start");
	w->first = INT64_MIN;
	w->last = INT64_MAX;
	/* chobo.conf's reader checks the setting (certification_start_valid): this holds the contract alone. */
	if (w->start && !eco_certification_period(w->start, &w->first, &w->last))
		return chobo_fail(err, EX_CONFIG, "eco.certification_start = %s is not a date", w->start);
	return 0;
}

bool eco_period_certifiable(const struct eco_window *w, const char *from, const char *to, int64_t from_day,
			    int64_t to_day, char *why, size_t whylen)
{
	char end[JP_DATE_LEN + 1];
	const char *cstart = w->start;
	int64_t cfrom = w->first, cto = w->last;
	if (!cstart || (from_day >= cfrom && to_day <= cto))
		return true;
	jp_date_format(end, cto);
	if (to_day < cfrom || from_day > cto)
		snprintf(why, whylen, "the period %s to %s lies outside the programme's certification period, %s to %s "
			 "(eco.certification_start): its reduction can never be credited", from, to, cstart, end);
	else
		snprintf(why, whylen, "the period %s to %s reaches outside the programme's certification period, %s to "
			 "%s (eco.certification_start): give the part inside it, from %s to %s", from, to, cstart, end,
			 from_day < cfrom ? cstart : from, to_day > cto ? end : to);
	return false;
}

/*
 * A reading lies inside the certification period that this node's
 * chobo.conf sets: ecopt-grant refuses one outside it before it is judged,
 * and this rule holds the same for every other way into the ledger (a
 * reading given to chain-append).  Readings that came by sync were judged
 * on their home node, under its settings.
 */
static int reading_period_rule(void *ctx, const struct stored_entry *e, struct chobo_error *err)
{
	const struct eco_window *w = ctx;
	char from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1], why[1024];
	int64_t from_day, to_day;
	stored_body_str(&e->doc, e->body, "from", from, sizeof from);
	stored_body_str(&e->doc, e->body, "to", to, sizeof to);
	/* The schema and the registry refuse a reading without a period of days. */
	if (!jp_date_parse(from, &from_day) || !jp_date_parse(to, &to_day))
		return 0;
	if (!eco_period_certifiable(w, from, to, from_day, to_day, why, sizeof why))
		return chobo_fail(err, EX_DATAERR, "%s", why);
	return 0;
}

/* A reading's points are the points service's to check: its view reads eco.reading. */
int eco_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	struct rules_ctx c = {l, view_stored(l, &eco_registry_view)};
	/* The readings the registry accepted from the batch need no second look (view_entry_counts). */
	int rc = stored_batch_each_unmarked(w, "eco.", &eco_registry_view, entry_rules_of, &c, err);
	view_state_free(c.s);
	struct eco_window cw;
	if (rc == 0)
		rc = eco_window_read(&l->conf, &cw, err);
	if (rc == 0 && cw.start)
		rc = stored_batch_each(w, "eco.reading", reading_period_rule, &cw, err);
	return rc;
}

static bool points_per_kg_valid(const char *value, char *why, size_t whylen)
{
	uint64_t v;
	if (parse_u64(value, &v) && v <= 1000000)
		return true;
	snprintf(why, whylen, "expected points per kg-CO2 from 0 to 1000000");
	return false;
}

bool eco_certification_period(const char *start, int64_t *first, int64_t *last)
{
	int64_t bound;
	char later[32];
	if (!jp_date_parse(start, first) || !jp_date_parse(ECO_LAST_DAY, &bound))
		return false;
	int y = atoi(start) % 10000;
	snprintf(later, sizeof later, "%04d%.6s", y + 8, start + 4);
	if (!jp_date_parse(later, last)) {   /* February 29 eight years on that is no leap year: March 1 */
		snprintf(later, sizeof later, "%04d-03-01", y + 8);
		if (!jp_date_parse(later, last))
			return false;
	}
	*last -= 1;
	if (*last > bound)
		*last = bound;
	return true;
}

static bool certification_start_valid(const char *value, char *why, size_t whylen)
{
	int64_t d, last;
	if (jp_date_parse(value, &d) && jp_date_parse(ECO_LAST_DAY, &last) && d <= last)
		return true;
	snprintf(why, whylen, "expected a date YYYY-MM-DD not after %s", ECO_LAST_DAY);
	return false;
}

static const struct setting_spec settings[] = {
	{"eco.points_per_kg", "eco-points granted per kg of CO2 reduced (a reading's grams x this / 1000, "
	 "rounded down)", "1", points_per_kg_valid},
	{"eco.factors", "the emission factor table (JSON)", NULL, NULL},
	{"eco.equipment_secret", "a secret the programme's nodes share (chain-private new-secret), under which "
	 "equipment serials are hashed, so that one registered on two nodes is recognised; unset: this node's "
	 "secret, which recognises only what this node registered", NULL, NULL},
	{"eco.certification_start", "the first day of the programme's certification period (YYYY-MM-DD); it ends 8 "
	 "years later, and never after " ECO_LAST_DAY, NULL, certification_start_valid},
	{NULL, NULL, NULL, NULL},
};

const struct service eco_service = {
	.name = "eco",
	.summary = "eco-points: members, equipment, readings, CO2 reductions, grants, J-Credit certifications",
	.types = types,
	.settings = settings,
	.views = (const struct view_spec *const[]){&eco_registry_view, NULL},
	.append_check = eco_append_check,
};
