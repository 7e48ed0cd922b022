/* Readings as ecopt-grant takes them (JSON objects, from JSON Lines or CSV) into struct eco_reading; see eco.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "eco/eco.h"

/* A field as text: a JSON string or number. */
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

/* A decimal with at most 3 places ("1500", "12.5") in thousandths: kWh as Wh, km as m, L as mL. */
static bool milli(json_t *o, const char *name, int64_t *out, char *why, size_t whylen)
{
	char buf[64];
	const char *s = text_of(o, name, buf, sizeof buf);
	int64_t whole = 0, frac = 0;
	int places = 0;
	*out = 0;
	if (!s)
		return true;
	const char *p = s;
	if (*p == '-') {
		snprintf(why, whylen, "%s: a negative value (%.40s)", name, s);
		return false;
	}
	for (; *p >= '0' && *p <= '9' && whole <= ECO_QUANTITY_MAX; p++)
		whole = whole * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && places < 3; p++, places++)
			frac = frac * 10 + (*p - '0');
	while (*p == '0')
		p++;
	for (; places < 3; places++)
		frac *= 10;
	if (*p || p == s || whole * 1000 + frac > ECO_QUANTITY_MAX) {
		snprintf(why, whylen, "%s: expected a number from 0 to %lld with at most 3 decimals, not \"%.40s\"", name,
			 (long long)ECO_QUANTITY_MAX / 1000, s);
		return false;
	}
	*out = whole * 1000 + frac;
	return true;
}

bool eco_reading_parse(json_t *o, struct eco_reading *r, char *why, size_t whylen)
{
	char buf[64];
	const char *v;
	memset(r, 0, sizeof *r);
	static const char *const known[] = {"equipment", "from", "to", "source", "generated_kwh", "sold_kwh",
					    "distance_km", "charged_kwh", "fuel_l", NULL};
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val) {
		size_t i;
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i])
			return snprintf(why, whylen, "unknown field \"%.40s\"", key), false;
	}
	if (!(v = text_of(o, "equipment", buf, sizeof buf)) || strlen(v) > ECO_CODE_MAX)
		return snprintf(why, whylen, "equipment: a code is required"), false;
	snprintf(r->equipment, sizeof r->equipment, "%s", v);
	if (!(v = text_of(o, "from", buf, sizeof buf)) || !jp_date_parse(v, &r->from_day))
		return snprintf(why, whylen, "from: a date YYYY-MM-DD is required"), false;
	memcpy(r->from, v, JP_DATE_LEN);
	if (!(v = text_of(o, "to", buf, sizeof buf)) || !jp_date_parse(v, &r->to_day))
		return snprintf(why, whylen, "to: a date YYYY-MM-DD is required"), false;
	memcpy(r->to, v, JP_DATE_LEN);
	v = text_of(o, "source", buf, sizeof buf);
	snprintf(r->source, sizeof r->source, "%s", v ? v : "device");
	if (strcmp(r->source, "device") != 0 && strcmp(r->source, "manual") != 0)
		return snprintf(why, whylen, "source: device or manual"), false;
	return milli(o, "generated_kwh", &r->generated_wh, why, whylen) &&
	       milli(o, "sold_kwh", &r->sold_wh, why, whylen) && milli(o, "distance_km", &r->distance_m, why, whylen) &&
	       milli(o, "charged_kwh", &r->charged_wh, why, whylen) && milli(o, "fuel_l", &r->fuel_ml, why, whylen);
}

