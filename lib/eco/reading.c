/* Readings and registrations as ecopt-grant takes them (JSON objects, from JSON Lines or CSV); see eco.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "eco/eco.h"
#include "json_scan.h"
#include "service.h"
#include "records.h"

/* A text field as text: a JSON string or number. */
static const char *text_of(json_t *o, const char *name, char *buf, size_t cap)
{
	json_t *v = json_object_get(o, name);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, cap, "%.3f", json_real_value(v));
		return buf;
	}
	return NULL;
}

/*
 * A quantity's text, s (n bytes, not NUL-terminated): a decimal with at most
 * 3 places ("1500", "12.5", "12.5000") in thousandths: kWh as Wh, km as m, L
 * as mL.  The digits as written are judged, never a rounded double.
 */
static bool milli_text(const char *name, const char *s, size_t n, int64_t *out, char *why, size_t whylen)
{
	const char *p = s, *end = s + n;
	int64_t whole = 0, frac = 0;
	int places = 0, shown = n > 40 ? 40 : (int)n;
	if (p < end && *p == '-') {
		snprintf(why, whylen, "%s: a negative value (%.*s)", name, shown, s);
		return false;
	}
	for (; p < end && *p >= '0' && *p <= '9' && whole <= ECO_QUANTITY_MAX; p++)
		whole = whole * 10 + (*p - '0');
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9' && places < 3; p++, places++)
			frac = frac * 10 + (*p - '0');
	while (p < end && *p == '0')
		p++;
	for (; places < 3; places++)
		frac *= 10;
	if (p != end || p == s || whole * 1000 + frac > ECO_QUANTITY_MAX) {
		snprintf(why, whylen, "%s: expected a number from 0 to %lld with at most 3 decimals, not \"%.*s\"", name,
			 (long long)ECO_QUANTITY_MAX / 1000, shown, s);
		return false;
	}
	*out = whole * 1000 + frac;
	return true;
}

/* What a JSON value is, for a message. */
static const char *json_kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	default: return "a number";
	}
}

/*
 * Quantity name of rec into *out (0 when absent).  A CSV cell is its text; a
 * member of a JSON line must be a number, read from the line's own text
 * (doc, scanned on the first call) so that it is judged digit by digit as a
 * cell is.
 */
static bool milli(const struct record *rec, struct json_doc *doc, const char *name, int64_t *out, char *why,
		  size_t whylen)
{
	json_t *v = json_object_get(rec->o, name);
	*out = 0;
	if (!v)
		return true;
	if (!rec->json) {
		const char *s = json_string_value(v);
		if (!s)
			return snprintf(why, whylen, "%s: expected a number, not %s", name, json_kind_name(v)), false;
		return milli_text(name, s, strlen(s), out, why, whylen);
	}
	if (json_is_string(v))
		return snprintf(why, whylen, "%s: expected a number, not the string \"%.40s\"", name,
				json_string_value(v)), false;
	if (!json_is_number(v))
		return snprintf(why, whylen, "%s: expected a number, not %s", name, json_kind_name(v)), false;
	char err[256];
	if (!doc->text && !json_scan(doc, rec->json, rec->json_len, err, sizeof err))
		return snprintf(why, whylen, "%s: %s", name, err), false;
	long t = doc->ntok && doc->tok[0].kind == JSON_K_OBJECT ? jscan_find(doc, 0, name) : -1;
	if (t < 0 || doc->tok[t].kind != JSON_K_NUMBER)
		return snprintf(why, whylen, "%s: not found in the line as a number", name), false;
	return milli_text(name, rec->json + doc->tok[t].start, doc->tok[t].end - doc->tok[t].start, out, why,
			  whylen);
}

/* The members a reading's input record may have. */
static const char *const reading_fields[] = {"equipment", "from", "to", "source", "generated_kwh", "sold_kwh",
					     "distance_km", "charged_kwh", "fuel_l", NULL};

/* A CSV header cell of readings: a reading's field, or empty (columns a spreadsheet leaves). */
static const char *reading_column(void *ctx, size_t i, const char *name, char *why, size_t whylen)
{
	(void)ctx;
	for (size_t k = 0; reading_fields[k]; k++)
		if (strcmp(reading_fields[k], name) == 0)
			return name;
	if (!name[0])
		return name;
	return records_column_unknown("a reading", reading_fields, i, name, why, whylen);
}

const struct records_csv eco_reading_csv = {reading_column, NULL, NULL};

bool eco_reading_parse(const struct record *rec, struct eco_reading *r, char *why, size_t whylen)
{
	json_t *o = rec->o;
	struct json_doc doc = {0};
	char buf[64];
	const char *v;
	memset(r, 0, sizeof *r);
	const char *const *known = reading_fields;
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val) {
		size_t i;
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i])
			return records_field_unknown("a reading", known, key, why, whylen), false;
	}
	if (!(v = text_of(o, "equipment", buf, sizeof buf)) || strlen(v) > ECO_CODE_MAX)
		return snprintf(why, whylen, "equipment: a code is required"), false;
	snprintf(r->equipment, sizeof r->equipment, "%s", v);
	if (!(v = text_of(o, "from", buf, sizeof buf)))
		return snprintf(why, whylen, "from: a date YYYY-MM-DD is required"), false;
	if (!jp_date_parse(v, &r->from_day))
		return snprintf(why, whylen, "from: \"%.40s\": %s", v, jp_date_problem(v)), false;
	memcpy(r->from, v, JP_DATE_LEN);
	if (!(v = text_of(o, "to", buf, sizeof buf)))
		return snprintf(why, whylen, "to: a date YYYY-MM-DD is required"), false;
	if (!jp_date_parse(v, &r->to_day))
		return snprintf(why, whylen, "to: \"%.40s\": %s", v, jp_date_problem(v)), false;
	memcpy(r->to, v, JP_DATE_LEN);
	v = text_of(o, "source", buf, sizeof buf);
	if (!v)
		v = "device";
	if (strcmp(v, "device") != 0 && strcmp(v, "manual") != 0)
		return snprintf(why, whylen, "source: device or manual"), false;
	memcpy(r->source, v, strlen(v) + 1);
	bool ok = milli(rec, &doc, "generated_kwh", &r->generated_wh, why, whylen) &&
		  milli(rec, &doc, "sold_kwh", &r->sold_wh, why, whylen) &&
		  milli(rec, &doc, "distance_km", &r->distance_m, why, whylen) &&
		  milli(rec, &doc, "charged_kwh", &r->charged_wh, why, whylen) &&
		  milli(rec, &doc, "fuel_l", &r->fuel_ml, why, whylen);
	json_doc_free(&doc);
	return ok;
}

bool eco_reading_complete(const struct record *rec, enum eco_kind kind, char *why, size_t whylen)
{
	static const char *const solar[] = {"generated_kwh", "sold_kwh", NULL};
	static const char *const ev[] = {"distance_km", "charged_kwh", NULL};
	static const char *const phv[] = {"distance_km", "charged_kwh", "fuel_l", NULL};
	const char *const *need = kind == ECO_SOLAR ? solar : kind == ECO_EV ? ev : phv;
	char all[128];
	for (size_t i = 0; need[i]; i++)
		if (!json_object_get(rec->o, need[i])) {
			records_name_list(all, sizeof all, need);
			snprintf(why, whylen, "%s is missing: a %s reading gives %s (0 where none)", need[i],
				 kind == ECO_SOLAR ? "solar" : kind == ECO_EV ? "EV" : "PHV", all);
			return false;
		}
	return true;
}

bool eco_reading_over(const struct eco_reading *r, int64_t today, char *why, size_t whylen)
{
	char day[JP_DATE_LEN + 1], next[JP_DATE_LEN + 1];
	/* The last day's figures are not all in before it ends: a reading taken that day would be short. */
	if (r->to_day < today)
		return true;
	jp_date_format(day, today);
	jp_date_format(next, r->to_day + 1);
	if (r->to_day == today)
		snprintf(why, whylen, "the period is not over: it ends today (%s), and can be recorded from %s, once its "
			 "last day (JST) has ended", day, next);
	else
		snprintf(why, whylen, "the period is not over: it ends %s, after today (%s), and can be recorded from %s, "
			 "once its last day (JST) has ended", r->to, day, next);
	return false;
}


bool eco_registration_kind(const json_t *o, enum eco_registration *k, char *why, size_t whylen)
{
	json_t *member = json_object_get(o, "member");
	if (json_object_get(o, "code")) {
		*k = ECO_REG_EQUIPMENT;
		return true;
	}
	if (json_is_string(member)) {
		*k = ECO_REG_MEMBER;
		return true;
	}
	if (member)
		snprintf(why, whylen, "member: expected a member id (text), not %s", json_kind_name(member));
	else
		snprintf(why, whylen, "neither a member (member) nor equipment (code)");
	return false;
}

/* Member name of o as text, "" when absent or not text. */
static const char *text_or_empty(const json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));
	return v ? v : "";
}

/* Whole-number member name of o equals v (an absent member is 0, as the registry reads it). */
static bool number_is(const json_t *o, const char *name, int64_t v)
{
	const json_t *x = json_object_get(o, name);
	return x ? json_is_integer(x) && json_integer_value(x) == v : v == 0;
}

bool eco_reading_plausible(const struct eco_equipment *q, const struct eco_reading *r, char *why, size_t whylen)
{
	if (q->kind == ECO_SOLAR)
		return true;
	int64_t days = r->to_day - r->from_day + 1;
	int64_t km = r->distance_m / 1000, kwh = r->charged_wh / 1000, litres = r->fuel_ml / 1000;
	if (days > 0 && r->distance_m > days * ECO_MAX_KM_PER_DAY * 1000) {
		snprintf(why, whylen, "%" PRId64 " km in %" PRId64 " day%s is %" PRId64 " km a day, more than a car drives "
			 "(%d): check the distance (in km)", km, days, days == 1 ? "" : "s", km / days, ECO_MAX_KM_PER_DAY);
		return false;
	}
	/*
	 * In metres per Wh and per ml, the limits are the same numbers as per kWh
	 * and per litre; the period may start with a full battery and tank.
	 */
	int64_t reach = (r->charged_wh + ECO_MAX_BATTERY_KWH * 1000) * ECO_MAX_KM_PER_KWH +
			(q->kind == ECO_PHV ? (r->fuel_ml + ECO_MAX_TANK_L * 1000) * ECO_MAX_KM_PER_L : 0);
	if (r->distance_m > reach) {
		if (q->kind == ECO_EV)
			snprintf(why, whylen, "%" PRId64 " km on %" PRId64 " kWh charged is more than %d km a kWh, a full "
				 "battery (%d kWh) besides: check the distance (km) and the charged energy (kWh)", km, kwh,
				 ECO_MAX_KM_PER_KWH, ECO_MAX_BATTERY_KWH);
		else
			snprintf(why, whylen, "%" PRId64 " km on %" PRId64 " kWh charged and %" PRId64 " L burned is more than "
				 "%d km a kWh and %d km a litre, a full battery (%d kWh) and tank (%d L) besides: check the "
				 "distance, charged energy and fuel", km, kwh, litres, ECO_MAX_KM_PER_KWH, ECO_MAX_KM_PER_L,
				 ECO_MAX_BATTERY_KWH, ECO_MAX_TANK_L);
		return false;
	}
	return true;
}

bool eco_equipment_plausible(const json_t *o, char *why, size_t whylen)
{
	enum eco_kind kind;
	const json_t *cap = json_object_get(o, "capacity_w"), *eff = json_object_get(o, "baseline_m_per_l");
	if (!eco_kind_parse(text_or_empty(o, "kind"), &kind))
		return true;   /* the schema names the kinds */
	if (kind == ECO_SOLAR && json_is_integer(cap) && json_integer_value(cap) > 0 &&
	    json_integer_value(cap) < ECO_MIN_CAPACITY_W) {
		snprintf(why, whylen, "capacity_w %" JSON_INTEGER_FORMAT " is in watts: %" JSON_INTEGER_FORMAT " W is "
			 "less than a panel (%d W at least); for %" JSON_INTEGER_FORMAT " kW write %" JSON_INTEGER_FORMAT,
			 json_integer_value(cap), json_integer_value(cap), ECO_MIN_CAPACITY_W, json_integer_value(cap),
			 json_integer_value(cap) * 1000);
		return false;
	}
	if (kind != ECO_SOLAR && json_is_integer(eff) && json_integer_value(eff) > 0 &&
	    (json_integer_value(eff) < ECO_MIN_M_PER_L || json_integer_value(eff) > ECO_MAX_M_PER_L)) {
		json_int_t v = json_integer_value(eff);
		if (v < ECO_MIN_M_PER_L)
			snprintf(why, whylen, "baseline_m_per_l %" JSON_INTEGER_FORMAT " is in metres per litre, %d to %d "
				 "for a car; for %" JSON_INTEGER_FORMAT " km/L write %" JSON_INTEGER_FORMAT, v,
				 ECO_MIN_M_PER_L, ECO_MAX_M_PER_L, v, v * 1000);
		else
			snprintf(why, whylen, "baseline_m_per_l %" JSON_INTEGER_FORMAT " is %" JSON_INTEGER_FORMAT
				 " km/L, more than a car's %d: check it (metres per litre)", v, v / 1000,
				 ECO_MAX_M_PER_L / 1000);
		return false;
	}
	return true;
}

bool eco_registration_check(enum eco_registration k, const json_t *o, char *why, size_t whylen)
{
	static const char *const dates[] = {"joined", "left", "monitoring_from", NULL};
	const char *name, *problem;
	const json_t *v;
	json_object_foreach((json_t *)o, name, v) {
		/* A serial has its own rule of spelling (eco_serial_problem), blanks included. */
		const char *s = strcmp(name, "serial") != 0 ? json_string_value(v) : NULL;
		if (s && !records_value_unblank(name, s, why, whylen))
			return false;
	}
	const char *kind = json_string_value(json_object_get(o, "kind"));
	enum eco_kind ek;
	if (kind && k == ECO_REG_MEMBER && strcmp(kind, "household") != 0 && strcmp(kind, "business") != 0) {
		snprintf(why, whylen, "kind: \"%.80s\" is not household or business", kind);
		return false;
	}
	if (kind && k == ECO_REG_EQUIPMENT && !eco_kind_parse(kind, &ek)) {
		snprintf(why, whylen, "kind: \"%.80s\" is not solar, ev or phv", kind);
		return false;
	}
	for (size_t i = 0; dates[i]; i++) {
		const char *d = json_string_value(json_object_get(o, dates[i]));
		if (d && (problem = jp_date_problem(d)) != NULL) {
			snprintf(why, whylen, "%s: \"%.80s\": %s", dates[i], d, problem);
			return false;
		}
	}
	return k == ECO_REG_MEMBER || eco_equipment_plausible(o, why, whylen);
}

bool eco_member_same(const struct eco_member *m, const json_t *body)
{
	return strcmp(m->home, text_or_empty(body, "home")) == 0 && strcmp(m->kind, text_or_empty(body, "kind")) == 0 &&
	       strcmp(m->joined, text_or_empty(body, "joined")) == 0 &&
	       strcmp(m->left, text_or_empty(body, "left")) == 0;
}

bool eco_equipment_same(const struct eco_equipment *q, const json_t *body)
{
	return strcmp(q->member, text_or_empty(body, "member")) == 0 &&
	       strcmp(eco_kind_name(q->kind), text_or_empty(body, "kind")) == 0 &&
	       number_is(body, "capacity_w", q->capacity_w) && number_is(body, "baseline_m_per_l", q->baseline_m_per_l) &&
	       strcmp(q->fuel, text_or_empty(body, "baseline_fuel")) == 0 &&
	       strcmp(q->id_hash, text_or_empty(body, "id_hash")) == 0 &&
	       strcmp(q->monitoring_from, text_or_empty(body, "monitoring_from")) == 0 &&
	       q->other_scheme == json_is_true(json_object_get(body, "other_scheme")) &&
	       strcmp(q->evidence, text_or_empty(body, "evidence")) == 0;
}

const char *eco_serial_problem(const char *s, char fix[ECO_SERIAL_MAX + 1])
{
	static const char rule[] = "must be written as the device's label prints it: ASCII capitals, digits and "
				   "signs, no blank";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	bool changed = false;
	fix[0] = '\0';
	while (*p) {
		unsigned c;
		if (*p == ' ' || *p == '\t') {
			changed = true;   /* a blank: dropped */
			p++;
			continue;
		}
		if (*p == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
			changed = true;   /* U+3000, the ideographic space */
			p += 3;
			continue;
		}
		if (*p == 0xC2 && p[1] == 0xA0) {
			changed = true;   /* U+00A0, the no-break space */
			p += 2;
			continue;
		}
		if ((*p == 0xE2 && ((p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x95) || (p[1] == 0x88 && p[2] == 0x92))) ||
		    (*p == 0xE3 && p[1] == 0x83 && p[2] == 0xBC)) {
			/* U+2010 to U+2015 (hyphens, dashes), U+2212 (minus), U+30FC (ー): what an IME types for '-' */
			c = '-';
			p += 3;
			changed = true;
		} else if (utf8_fullwidth_ascii((const char *)p)) {
			/* U+FF01 to U+FF5E: full-width forms of '!' to '~' */
			c = (unsigned char)utf8_fullwidth_ascii((const char *)p);
			p += 3;
			changed = true;
		} else if (*p > ' ' && *p < 0x7f) {
			c = *p++;
		} else {
			fix[0] = '\0';
			return rule;   /* another character: nothing to suggest */
		}
		if (c >= 'a' && c <= 'z') {
			c -= 'a' - 'A';
			changed = true;
		}
		if (n == ECO_SERIAL_MAX) {
			fix[0] = '\0';
			return "is longer than 64 characters";
		}
		fix[n++] = (char)c;
	}
	fix[n] = '\0';
	if (n == 0)
		return "is empty";
	if (!changed) {
		fix[0] = '\0';
		return NULL;
	}
	return rule;
}

/* The field called name of eco.equipment, else of eco.member, or NULL. */
static const struct field_spec *registration_field(const char *name)
{
	static const char *const types[] = {"eco.equipment", "eco.member"};
	for (size_t i = 0; i < 2; i++) {
		const struct entry_type *t = service_entry_type(types[i]);
		for (const struct field_spec *f = t ? t->fields : NULL; f && f->name; f++)
			if (strcmp(f->name, name) == 0)
				return f;
	}
	return NULL;
}

/* What a registration record gives, as ecopt-grant(1) lists it: a member's fields, then equipment's. */
static const char *const registration_fields[] = {"member", "kind", "joined", "left", "code", "serial",
						   "monitoring_from", "capacity_w", "baseline_m_per_l",
						   "baseline_fuel", "other_scheme", NULL};

/*
 * A CSV header cell of --register: a field of either entry, or serial (made
 * id_hash), as a JSON line may give them, or empty (columns a spreadsheet
 * leaves).  Another is refused at the header, by its column: a "Member"
 * column would otherwise leave every row without a member.
 */
static const char *registration_column(void *ctx, size_t i, const char *name, char *err, size_t errlen)
{
	(void)ctx;
	if (!name[0] || strcmp(name, "serial") == 0 || registration_field(name))
		return name;
	return records_column_unknown("a registration", registration_fields, i, name, err, errlen);
}

/*
 * Every member name of a JSON registration record is one a CSV header may
 * give: a "Member" or "kind " is refused with the name to write, not as a
 * record of neither kind or with the schema's "body.Kind".
 */
bool eco_registration_names_known(const json_t *o, char *why, size_t whylen)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
		if (strcmp(key, "serial") != 0 && !registration_field(key)) {
			records_field_unknown("a registration", registration_fields, key, why, whylen);
			return false;
		}
	return true;
}

/*
 * --register from CSV: every cell is text, but capacity_w and
 * baseline_m_per_l are JSON integers and other_scheme a boolean in the
 * entries, so such a cell becomes one; any other cell stays a string, for
 * the schema to judge.
 */
static json_t *registration_cell(void *ctx, const char *member, const char *cell, char *err, size_t errlen)
{
	(void)ctx;
	return records_text_value(registration_field(member), member, cell, err, errlen);
}

const struct records_csv eco_registration_csv = {registration_column, registration_cell, NULL};
