/* The eco service: entry types, the eco.registry view and the rules of eco.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "codec.h"
#include "eco.h"
#include "private_store.h"
#include "stored_entry.h"

static const char *const kind_names[] = {"solar", "ev", "phv"};

const char *eco_kind_name(enum eco_kind k)
{
	return kind_names[k];
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

static const struct field_spec reading_fields[] = {
	{"equipment", FIELD_STRING, true, ECO_CODE_MAX, true},
	{"from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"to", FIELD_STRING, true, JP_DATE_LEN, false},
	{"source", FIELD_STRING, true, 8, false},
	ACTIVITY_FIELDS,
	END,
};

static const struct field_spec reduction_fields[] = {
	{"equipment", FIELD_STRING, true, ECO_CODE_MAX, true},
	{"member", FIELD_STRING, true, PERSON_ID_TEXT, true},
	{"reading_from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"reading_to", FIELD_STRING, true, JP_DATE_LEN, false},
	{"from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"to", FIELD_STRING, true, JP_DATE_LEN, false},
	{"fy", FIELD_UINT, true, 0, false},
	{"methodology", FIELD_STRING, true, 16, false},
	ACTIVITY_FIELDS,
	{"baseline_g", FIELD_INT, true, 0, false},
	{"project_g", FIELD_INT, true, 0, false},
	{"reduction_g", FIELD_INT, true, 0, false},
	{"factors", FIELD_SHA256, true, 0, false},
	{"factors_version", FIELD_STRING, true, 63, false},
	END,
};

static const struct field_spec grant_fields[] = {
	{"equipment", FIELD_STRING, true, ECO_CODE_MAX, true},
	{"member", FIELD_STRING, true, PERSON_ID_TEXT, true},
	{"reading_from", FIELD_STRING, true, JP_DATE_LEN, false},
	{"reading_to", FIELD_STRING, true, JP_DATE_LEN, false},
	{"reduction_g", FIELD_INT, true, 0, false},
	{"points", FIELD_UINT, true, 0, false},
	{"points_per_kg", FIELD_UINT, true, 0, false},
	{"ref", FIELD_STRING, true, 200, false},
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

/* The rules one body can be judged on alone. */
static bool eco_body_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const activity[] = {"generated_wh", "sold_wh", "distance_m", "charged_wh", "fuel_ml", NULL};
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
	return eco_body_check(doc, body, err, errlen) &&
	       stored_body_rule(doc, body, "kind", member_kind_valid, "household or business", err, errlen);
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
	{"eco.reading", "activity data of one device for a period: distance, charged kWh, fuel, generated and sold "
	 "kWh; from a device or by hand", reading_fields, eco_body_check, NULL},
	{"eco.reduction", "the CO2 reduction of one fiscal year's part of a reading, in grams, with the factor "
	 "table's hash", reduction_fields, eco_body_check, NULL},
	{"eco.grant", "points granted for a reading's reduction", grant_fields, eco_body_check, NULL},
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

/* The stored value at key parsed as JSON: 0, EX_UNAVAILABLE, or an error. */
static int get_json(struct view_state *s, const char *key, json_t **out, struct chobo_error *err)
{
	const char *value;
	size_t len;
	int rc = view_get(s, key, &value, &len, err);
	if (rc != 0)
		return rc;
	*out = json_loadb(value, len, 0, NULL);
	if (!json_is_object(*out)) {
		json_decref(*out);
		return chobo_fail(err, EX_DATAERR, "eco.registry: %s is malformed; run chain-verify --views", key);
	}
	return 0;
}

int eco_member_get(struct view_state *s, const char *id, struct eco_member *out, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY];
	json_t *o;
	snprintf(key, sizeof key, "member/%s", id);
	int rc = get_json(s, key, &o, err);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", id);
	view_json_str(o, "home", out->home, sizeof out->home);
	view_json_str(o, "kind", out->kind, sizeof out->kind);
	view_json_str(o, "joined", out->joined, sizeof out->joined);
	view_json_str(o, "left", out->left, sizeof out->left);
	json_decref(o);
	return 0;
}

int eco_equipment_get(struct view_state *s, const char *code, struct eco_equipment *out,
		      struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], kind[8];
	json_t *o;
	snprintf(key, sizeof key, "equip/%s", code);
	int rc = get_json(s, key, &o, err);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->code, sizeof out->code, "%s", code);
	view_json_str(o, "member", out->member, sizeof out->member);
	view_json_str(o, "id_hash", out->id_hash, sizeof out->id_hash);
	view_json_str(o, "duplicate_of", out->duplicate_of, sizeof out->duplicate_of);
	view_json_str(o, "monitoring_from", out->monitoring_from, sizeof out->monitoring_from);
	view_json_str(o, "baseline_fuel", out->fuel, sizeof out->fuel);
	view_json_str(o, "kind", kind, sizeof kind);
	eco_kind_parse(kind, &out->kind);
	out->capacity_w = json_integer_value(json_object_get(o, "capacity_w"));
	out->baseline_m_per_l = json_integer_value(json_object_get(o, "baseline_m_per_l"));
	out->other_scheme = json_is_true(json_object_get(o, "other_scheme"));
	json_decref(o);
	return 0;
}

int eco_last_reading(struct view_state *s, const char *code, int64_t *day, struct chobo_error *err)
{
	char key[VIEW_MAX_KEY], to[JP_DATE_LEN + 1];
	json_t *o;
	snprintf(key, sizeof key, "last/%s", code);
	*day = INT64_MIN;
	int rc = get_json(s, key, &o, err);
	if (rc == EX_UNAVAILABLE)
		return 0;
	if (rc != 0)
		return rc;
	view_json_str(o, "to", to, sizeof to);
	json_decref(o);
	if (!jp_date_parse(to, day))
		return chobo_fail(err, EX_DATAERR, "eco.registry: %s is malformed; run chain-verify --views", key);
	return 0;
}

static void reading_key(char out[VIEW_MAX_KEY], const char *what, const char *code, const char *from,
			const char *to)
{
	snprintf(out, VIEW_MAX_KEY, "%s/%s/%s/%s", what, code, from, to);
}

static const char *const activity[] = {"generated_wh", "sold_wh", "distance_m", "charged_wh", "fuel_ml", NULL};

static const int64_t *activity_of(const struct eco_reading *r, size_t i)
{
	const int64_t *v[] = {&r->generated_wh, &r->sold_wh, &r->distance_m, &r->charged_wh, &r->fuel_ml};
	return v[i];
}

int eco_reading_judge(struct view_state *s, const struct eco_reading *r, const char *origin, int64_t last_to,
		      enum eco_verdict *out, char *why, size_t whylen, struct chobo_error *err)
{
	struct eco_equipment q;
	struct eco_member m;
	char key[VIEW_MAX_KEY];
	json_t *o;
	int64_t d;
	*out = ECO_REFUSE;
#define REFUSE(...) return snprintf(why, whylen, __VA_ARGS__), 0
	int rc = eco_equipment_get(s, r->equipment, &q, err);
	if (rc == EX_UNAVAILABLE)
		REFUSE("unknown equipment %s", r->equipment);
	if (rc != 0)
		return rc;
	if ((rc = eco_member_get(s, q.member, &m, err)) == EX_UNAVAILABLE)
		REFUSE("equipment %s: unknown member %s", r->equipment, q.member);
	if (rc != 0)
		return rc;
	if (strcmp(m.home, origin) != 0)
		REFUSE("member %s's home node is %s: post the readings there, not on %s", m.id, m.home, origin);
	if (r->from_day > r->to_day)
		REFUSE("the period ends (%s) before it starts (%s)", r->to, r->from);
	reading_key(key, "reading", r->equipment, r->from, r->to);
	if ((rc = get_json(s, key, &o, err)) == 0) {
		bool same = true;
		for (size_t i = 0; activity[i]; i++)
			same = same && json_integer_value(json_object_get(o, activity[i])) == *activity_of(r, i);
		json_decref(o);
		if (same) {
			*out = ECO_DUPLICATE;
			return 0;
		}
		REFUSE("a reading of %s for %s to %s is already recorded with other values", r->equipment, r->from,
		       r->to);
	}
	if (rc != EX_UNAVAILABLE)
		return rc;
	if (last_to == INT64_MIN && (rc = eco_last_reading(s, r->equipment, &last_to, err)) != 0)
		return rc;
	if (last_to != INT64_MIN && r->from_day <= last_to) {
		char last[JP_DATE_LEN + 1];
		jp_date_format(last, last_to);
		REFUSE("the period %s to %s overlaps the readings of %s, which run to %s", r->from, r->to,
		       r->equipment, last);
	}
	if (jp_date_parse(q.monitoring_from, &d) && r->from_day < d)
		REFUSE("the period starts before the monitoring of %s (%s)", r->equipment, q.monitoring_from);
	if (jp_date_parse(m.joined, &d) && r->from_day < d)
		REFUSE("the period starts before member %s joined (%s)", m.id, m.joined);
	if (m.left[0] && jp_date_parse(m.left, &d) && r->to_day > d)
		REFUSE("the period ends after member %s left (%s)", m.id, m.left);
	if (jp_date_parse(ECO_LAST_DAY, &d) && r->to_day > d)
		REFUSE("the period ends after %s, the end of every certification period", ECO_LAST_DAY);
	int64_t days = r->to_day - r->from_day + 1;
	if (days > 2 * 366)
		REFUSE("a period of %" PRId64 " days: at most two years", days);
	if (q.kind == ECO_SOLAR) {
		if (r->distance_m || r->charged_wh || r->fuel_ml)
			REFUSE("a solar reading has no distance, charged kWh or fuel");
		if (r->sold_wh > r->generated_wh)
			REFUSE("sold (%" PRId64 " Wh) is more than generated (%" PRId64 " Wh)", r->sold_wh,
			       r->generated_wh);
		if (r->generated_wh > q.capacity_w * 24 * days)
			REFUSE("generated %" PRId64 " Wh is more than %" PRId64 " W can make in %" PRId64 " days (%" PRId64
			       " Wh)", r->generated_wh, q.capacity_w, days, q.capacity_w * 24 * days);
	} else {
		if (r->generated_wh || r->sold_wh)
			REFUSE("a vehicle reading has no generated or sold kWh");
		if (q.kind == ECO_EV && r->fuel_ml)
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
	return put_text(s, key, &t, err);
}

static int equipment_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	static const char *const strs[] = {"member", "kind", "id_hash", "monitoring_from", "baseline_fuel",
					   "evidence", NULL};
	char code[ECO_CODE_MAX + 1], key[VIEW_MAX_KEY], hash[65], hex[65], v[80];
	struct eco_equipment q;
	json_t *o;
	stored_body_str(e->doc, e->body, "code", code, sizeof code);
	stored_body_str(e->doc, e->body, "id_hash", hash, sizeof hash);
	hex32(hex, e->leaf_hash);
	int rc = eco_equipment_get(s, code, &q, err);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first registration of a code counts */
	struct view_text t = {0};
	view_text_object_str(&t, "leaf", hex);
	for (size_t i = 0; strs[i]; i++) {
		stored_body_str(e->doc, e->body, strs[i], v, sizeof v);
		if (v[0])
			view_text_member_str(&t, strs[i], v);
	}
	view_text_member_int(&t, "capacity_w", stored_body_int(e->doc, e->body, "capacity_w", 0));
	view_text_member_int(&t, "baseline_m_per_l", stored_body_int(e->doc, e->body, "baseline_m_per_l", 0));
	view_text_str(&t, stored_body_bool(e->doc, e->body, "other_scheme") ? ",\"other_scheme\":true" :
		      ",\"other_scheme\":false");
	snprintf(key, sizeof key, "idhash/%s", hash);
	if ((rc = get_json(s, key, &o, err)) == 0) {
		char first[ECO_CODE_MAX + 1];
		view_json_str(o, "code", first, sizeof first);
		json_decref(o);
		view_text_member_str(&t, "duplicate_of", first);
	} else if (rc == EX_UNAVAILABLE) {
		struct view_text h = {0};
		view_text_object_str(&h, "code", code);
		rc = put_text(s, key, &h, err);
	}
	if (rc != 0) {
		view_text_free(&t);
		return rc;
	}
	snprintf(key, sizeof key, "equip/%s", code);
	return put_text(s, key, &t, err);
}

static int reading_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	struct eco_reading r;
	enum eco_verdict verdict;
	char key[VIEW_MAX_KEY], why[1024] = "", hex[65];
	reading_read(e, &r);
	int rc = eco_reading_judge(s, &r, e->origin, INT64_MIN, &verdict, why, sizeof why, err);
	if (rc != 0 || verdict == ECO_DUPLICATE)
		return rc;   /* the first reading of a period counts */
	struct view_text t = {0};
	hex32(hex, e->leaf_hash);
	view_text_object_str(&t, "leaf", hex);
	view_text_member_str(&t, "log", e->origin);
	view_text_member_int(&t, "index", (int64_t)e->index);
	for (size_t i = 0; activity[i]; i++)
		view_text_member_int(&t, activity[i], *activity_of(&r, i));
	if (verdict == ECO_REFUSE)
		view_text_member_str(&t, "refused", why);
	reading_key(key, "reading", r.equipment, r.from, r.to);
	if ((rc = put_text(s, key, &t, err)) != 0 || verdict == ECO_REFUSE)
		return rc;
	struct view_text last = {0};
	snprintf(key, sizeof key, "last/%s", r.equipment);
	view_text_object_str(&last, "to", r.to);
	return put_text(s, key, &last, err);
}

static int grant_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	char code[ECO_CODE_MAX + 1], from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1], key[VIEW_MAX_KEY], hex[65];
	json_t *o;
	stored_body_str(e->doc, e->body, "equipment", code, sizeof code);
	stored_body_str(e->doc, e->body, "reading_from", from, sizeof from);
	stored_body_str(e->doc, e->body, "reading_to", to, sizeof to);
	reading_key(key, "grant", code, from, to);
	int rc = get_json(s, key, &o, err);
	if (rc == 0)
		json_decref(o);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first grant of a reading counts */
	struct view_text t = {0};
	hex32(hex, e->leaf_hash);
	view_text_object_str(&t, "leaf", hex);
	view_text_member_int(&t, "points", stored_body_int(e->doc, e->body, "points", 0));
	return put_text(s, key, &t, err);
}

/*
 * A reduction's part of an accepted reading, posted in the reading's log,
 * is recorded under part/TO/CODE/FROM (the part's days) for the monitoring
 * report; the first reduction of a part counts.
 */
static int reduction_apply(struct view_state *s, const struct view_entry *e, struct chobo_error *err)
{
	static const char *const strs[] = {"member", "methodology", "factors", NULL};
	static const char *const ints[] = {"fy", "generated_wh", "sold_wh", "distance_m", "charged_wh", "fuel_ml",
					   "baseline_g", "project_g", "reduction_g", NULL};
	char code[ECO_CODE_MAX + 1], from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1], key[VIEW_MAX_KEY], v[80], why[8];
	json_t *o;
	stored_body_str(e->doc, e->body, "equipment", code, sizeof code);
	stored_body_str(e->doc, e->body, "reading_from", from, sizeof from);
	stored_body_str(e->doc, e->body, "reading_to", to, sizeof to);
	reading_key(key, "reading", code, from, to);
	int rc = get_json(s, key, &o, err);
	if (rc == EX_UNAVAILABLE)
		return 0;   /* refused by the rules: no accepted reading */
	if (rc != 0)
		return rc;
	int64_t reading = view_json_int(o, "index");
	view_json_str(o, "refused", why, sizeof why);
	char rlog[NOTE_MAX_NAME + 1];
	view_json_str(o, "log", rlog, sizeof rlog);
	json_decref(o);
	if (why[0] || strcmp(rlog, e->origin) != 0)
		return 0;   /* refused by the rules: a refused reading, or a reduction posted in another log */
	stored_body_str(e->doc, e->body, "from", from, sizeof from);
	stored_body_str(e->doc, e->body, "to", to, sizeof to);
	snprintf(key, sizeof key, "part/%s/%s/%s", to, code, from);
	if ((rc = get_json(s, key, &o, err)) == 0)
		json_decref(o);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first reduction of a part counts */
	/* No leaf hash: the report reads 120,000 of these a fiscal year, and log and index name the entry. */
	struct view_text t = {0};
	view_text_object_str(&t, "log", e->origin);
	view_text_member_int(&t, "index", (int64_t)e->index);
	view_text_member_int(&t, "reading", reading);
	for (size_t i = 0; strs[i]; i++) {
		stored_body_str(e->doc, e->body, strs[i], v, sizeof v);
		view_text_member_str(&t, strs[i], v);
	}
	for (size_t i = 0; ints[i]; i++)
		view_text_member_int(&t, ints[i], stored_body_int(e->doc, e->body, ints[i], 0));
	return put_text(s, key, &t, err);
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
	json_t *o;
	stored_body_str(e->doc, e->body, "from", from, sizeof from);
	stored_body_str(e->doc, e->body, "to", to, sizeof to);
	snprintf(key, sizeof key, "cert/%s", from);
	int rc = get_json(s, key, &o, err);
	if (rc == 0)
		json_decref(o);
	if (rc != EX_UNAVAILABLE)
		return rc;   /* the first certification of a period counts */
	if ((rc = get_json(s, "certlast", &o, err)) == 0) {
		view_json_str(o, "to", last_to, sizeof last_to);
		last_carried = view_json_int(o, "carried_g");
		json_decref(o);
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
	if (strcmp(t, "eco.member") == 0)
		return member_apply(s, e, err);
	if (strcmp(t, "eco.equipment") == 0)
		return equipment_apply(s, e, err);
	if (strcmp(t, "eco.reading") == 0)
		return reading_apply(s, e, err);
	if (strcmp(t, "eco.grant") == 0)
		return grant_apply(s, e, err);
	if (strcmp(t, "eco.reduction") == 0)
		return reduction_apply(s, e, err);
	if (strcmp(t, "eco.certification") == 0)
		return certification_apply(s, e, err);
	return 0;
}

static const char *const registry_types[] = {"eco.member", "eco.equipment", "eco.reading", "eco.grant",
					     "eco.reduction", "eco.certification", NULL};

const struct view_spec eco_registry_view = {
	.name = "eco.registry",
	.summary = "eco members, equipment, identifier hashes, readings by period, grants, reductions by part, "
		   "certifications",
	.types = registry_types,
	.version = 3,
	.apply = registry_apply,
};

/* ------------------------------------------------------------- the rules */

/* The leaf recorded at key and its refusal, if any: 0, EX_UNAVAILABLE, or an error. */
static int recorded(struct view_state *s, const char *key, char leaf[65], char *why, size_t whylen,
		    struct chobo_error *err)
{
	json_t *o;
	int rc = get_json(s, key, &o, err);
	if (rc != 0)
		return rc;
	view_json_str(o, "leaf", leaf, 65);
	view_json_str(o, "refused", why, whylen);
	json_decref(o);
	return 0;
}

static int entry_rules(struct view_state *s, const struct stored_entry *e, struct chobo_error *err)
{
	const char *t = e->type->name;
	char key[VIEW_MAX_KEY], leaf[65], why[1024], code[ECO_CODE_MAX + 1], from[JP_DATE_LEN + 1],
		to[JP_DATE_LEN + 1], id[40];
	int rc;
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
		return rc;
	}
	if (strcmp(t, "eco.equipment") == 0) {
		struct eco_equipment q;
		struct eco_member m;
		stored_body_str(&e->doc, e->body, "code", code, sizeof code);
		stored_body_str(&e->doc, e->body, "member", id, sizeof id);
		snprintf(key, sizeof key, "equip/%s", code);
		if ((rc = recorded(s, key, leaf, why, sizeof why, err)) != 0)
			return rc;
		if (strcmp(leaf, e->leaf) != 0)
			return chobo_fail(err, EX_DATAERR, "equipment %s is already registered (entry %s)", code, leaf);
		if ((rc = eco_equipment_get(s, code, &q, err)) != 0)
			return rc;
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
	stored_body_str(&e->doc, e->body, "equipment", code, sizeof code);
	if (strcmp(t, "eco.reading") == 0) {
		stored_body_str(&e->doc, e->body, "from", from, sizeof from);
		stored_body_str(&e->doc, e->body, "to", to, sizeof to);
		reading_key(key, "reading", code, from, to);
		if ((rc = recorded(s, key, leaf, why, sizeof why, err)) == 0 && strcmp(leaf, e->leaf) != 0)
			return chobo_fail(err, EX_DATAERR, "a duplicate reading of %s for %s to %s (entry %s)", code, from,
					  to, leaf);
		if (rc == 0 && why[0])
			return chobo_fail(err, EX_DATAERR, "%s", why);
		return rc == EX_UNAVAILABLE ? chobo_fail(err, EX_SOFTWARE, "%s is not in eco.registry", key) : rc;
	}
	/* A reduction or a grant names an accepted reading; a reading has one grant. */
	stored_body_str(&e->doc, e->body, "reading_from", from, sizeof from);
	stored_body_str(&e->doc, e->body, "reading_to", to, sizeof to);
	reading_key(key, "reading", code, from, to);
	if ((rc = recorded(s, key, leaf, why, sizeof why, err)) == EX_UNAVAILABLE || (rc == 0 && why[0]))
		return chobo_fail(err, EX_DATAERR, "no accepted reading of %s for %s to %s", code, from, to);
	if (rc == 0 && strcmp(t, "eco.reduction") == 0) {
		char pfrom[JP_DATE_LEN + 1], pto[JP_DATE_LEN + 1];
		stored_body_str(&e->doc, e->body, "from", pfrom, sizeof pfrom);
		stored_body_str(&e->doc, e->body, "to", pto, sizeof pto);
		snprintf(key, sizeof key, "part/%s/%s/%s", pto, code, pfrom);
		json_t *o;
		if ((rc = get_json(s, key, &o, err)) == EX_UNAVAILABLE)
			return chobo_fail(err, EX_DATAERR, "a reduction is posted in its reading's log (%s to %s of %s)",
					  from, to, code);
		if (rc != 0)
			return rc;
		char log[NOTE_MAX_NAME + 1];
		view_json_str(o, "log", log, sizeof log);
		int64_t index = view_json_int(o, "index");
		json_decref(o);
		if (strcmp(log, e->origin) != 0 || index != (int64_t)e->index)
			return chobo_fail(err, EX_DATAERR, "the part %s to %s of %s's reading is already reduced (entry %"
					  PRId64 " of %s)", pfrom, pto, code, index, log);
	}
	if (rc == 0 && strcmp(t, "eco.grant") == 0) {
		reading_key(key, "grant", code, from, to);
		if ((rc = recorded(s, key, leaf, why, sizeof why, err)) == 0 && strcmp(leaf, e->leaf) != 0)
			return chobo_fail(err, EX_DATAERR, "the reading of %s for %s to %s is already granted (entry %s)",
					  code, from, to, leaf);
	}
	return rc;
}

static int entry_rules_of(void *ctx, const struct stored_entry *e, struct chobo_error *err)
{
	return entry_rules(ctx, e, err);
}

int eco_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err)
{
	struct view_state *s = view_stored(l, &eco_registry_view);
	int rc = stored_batch_each(w, "eco.", entry_rules_of, s, err);
	view_state_free(s);
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
