/* Records into volunteer entry bodies (volunteer-issue(1), INPUT), and the points rules of chobo.conf. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "records.h"
#include "util.h"
#include "volunteer.h"

static const char *const verb_names[VOL_NVERBS] = {
	"register", "certify", "revoke", "post", "apply", "assign", "start", "end", "decline", "report", "approve",
};

bool volunteer_verb_parse(const char *s, enum volunteer_verb *v)
{
	for (int i = 0; i < VOL_NVERBS; i++)
		if (strcmp(s, verb_names[i]) == 0) {
			*v = (enum volunteer_verb)i;
			return true;
		}
	return false;
}

const char *volunteer_verb_name(enum volunteer_verb v)
{
	return verb_names[v];
}

void volunteer_work_name(enum volunteer_verb v, const json_t *body, char *out, size_t cap)
{
	const char *volunteer = json_string_value(json_object_get(body, "volunteer"));
	const char *posting = json_string_value(json_object_get(body, "posting"));
	const char *activity = json_string_value(json_object_get(body, "activity"));
	volunteer = volunteer ? volunteer : "";
	posting = posting ? posting : "";
	activity = activity ? activity : "";
	switch (v) {
	case VOL_REGISTER:
		snprintf(out, cap, "volunteer %s's registration for FY%" JSON_INTEGER_FORMAT, volunteer,
			 json_integer_value(json_object_get(body, "fy")));
		break;
	case VOL_POST:
		snprintf(out, cap, "posting %s", posting);
		break;
	case VOL_APPLY:
	case VOL_ASSIGN:
		snprintf(out, cap, "volunteer %s's %s to posting %s", volunteer, v == VOL_APPLY ? "application" :
			 "assignment", posting);
		break;
	case VOL_START:
	case VOL_END:
	case VOL_DECLINE:
		snprintf(out, cap, "the %s of activity %s", verb_names[v], activity);
		break;
	case VOL_REPORT:
	case VOL_APPROVE:
		snprintf(out, cap, "the %s of activity %s", v == VOL_REPORT ? "report" : "approval", activity);
		break;
	default:
		snprintf(out, cap, "a %s", verb_names[v]);
	}
}

/* What a verb's record holds: its members, required or not, and kind (s string, x free text, n number, t time). */
struct member {
	const char *name;
	char kind;
	bool required;
};

#define M_END {NULL, 0, false}
static const struct member m_register[] = {{"volunteer", 's', true}, {"fy", 'n', false}, {"skills", 's', false},
					   {"languages", 's', false}, M_END};
static const struct member m_certify[] = {{"volunteer", 's', true}, {"fy", 'n', false}, M_END};
static const struct member m_revoke[] = {{"certificate", 's', true}, {"reason", 's', false}, M_END};
static const struct member m_post[] = {{"posting", 's', true}, {"host", 's', true}, {"kind", 's', true},
				       {"task", 'x', true}, {"district", 's', true}, {"from", 't', true},
				       {"to", 't', true}, {"skills", 's', false}, {"people", 'n', false}, M_END};
static const struct member m_pair[] = {{"posting", 's', true}, {"volunteer", 's', true}, M_END};
static const struct member m_start[] = {{"activity", 's', true}, {"posting", 's', true}, {"volunteer", 's', true},
					{"certificate", 's', true}, {"at", 't', false}, M_END};
static const struct member m_end[] = {{"activity", 's', true}, {"at", 't', false}, M_END};
static const struct member m_report[] = {{"activity", 's', true}, {"note", 'x', false}, M_END};
static const struct member m_approve[] = {{"activity", 's', true}, M_END};

static const struct member *const verb_members[VOL_NVERBS] = {
	m_register, m_certify, m_revoke, m_post, m_pair, m_pair, m_start, m_end, m_end, m_report, m_approve,
};

static const char *const verb_types[VOL_NVERBS] = {
	"volunteer.volunteer", VOLUNTEER_CERT_KIND, "revoke", "volunteer.posting", "volunteer.application",
	"volunteer.assignment", "volunteer.activity", "volunteer.activity", "volunteer.activity",
	"volunteer.report", "volunteer.approval",
};

/* A number member as given (an integer, or digits in a string from CSV); false when it is neither. */
static bool number_of(json_t *v, int64_t *out)
{
	uint64_t u;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_string(v) && parse_u64(json_string_value(v), &u) && u <= INT64_MAX) {
		*out = (int64_t)u;
		return true;
	}
	return false;
}

bool volunteer_record_body(enum volunteer_verb v, json_t *o, int64_t now, const char *origin, const char **type,
			   json_t **body, char *why, size_t whylen)
{
	const struct member *ms = verb_members[v];
	const char *key;
	json_t *value;
	*body = NULL;
	*type = verb_types[v];
	if (!json_is_object(o))
		return snprintf(why, whylen, "a record must be an object"), false;
	json_object_foreach(o, key, value) {
		size_t i = 0;
		while (ms[i].name && strcmp(ms[i].name, key) != 0)
			i++;
		if (!ms[i].name)
			return snprintf(why, whylen, "%s takes no member %.64s", verb_names[v], key), false;
		/*
		 * A blank that a spreadsheet cell keeps around an ID, code, tag or time would be
		 * refused late, in the entry's words, or make another district; a text keeps its own.
		 */
		const char *s = json_string_value(value);
		if (s && ms[i].kind != 'x' && !records_value_unblank(key, s, why, whylen))
			return false;
	}
	json_t *b = json_object();
	if (!b)
		xalloc_failed();
	for (size_t i = 0; ms[i].name; i++) {
		json_t *m = json_object_get(o, ms[i].name);
		int64_t n, t;
		if (!m) {
			if (ms[i].required) {
				json_decref(b);
				return snprintf(why, whylen, "%s needs %s", verb_names[v], ms[i].name), false;
			}
			continue;
		}
		if (ms[i].kind == 'n') {
			if (!number_of(m, &n)) {
				json_decref(b);
				return snprintf(why, whylen, "%s must be a whole number", ms[i].name), false;
			}
			json_object_set_new(b, ms[i].name, json_integer(n));
			continue;
		}
		if (!json_is_string(m)) {
			json_decref(b);
			return snprintf(why, whylen, "%s must be a string", ms[i].name), false;
		}
		if (ms[i].kind == 't') {
			char s[21];
			if (!time_parse(json_string_value(m), &t)) {
				json_decref(b);
				return snprintf(why, whylen, "%s must be an RFC 3339 time", ms[i].name), false;
			}
			time_format(s, t);
			json_object_set_new(b, ms[i].name, json_string(s));
			continue;
		}
		/* Stored tags keep the entry rule (old entries must still verify); new ones take ASCII as ASCII. */
		if ((strcmp(ms[i].name, "skills") == 0 || strcmp(ms[i].name, "languages") == 0) &&
		    !volunteer_tags_ascii(ms[i].name, json_string_value(m), why, whylen)) {
			json_decref(b);
			return false;
		}
		json_object_set(b, ms[i].name, m);
	}
	/* What the verb adds: the defaults, and the fields derived from the record. */
	char s[21];
	int32_t fy = jp_fiscal_year(jp_day_of(now));
	if (v == VOL_REGISTER || v == VOL_CERTIFY) {
		int64_t n;
		if (number_of(json_object_get(b, "fy"), &n)) {
			if (n < 1970 || n > 9998) {
				json_decref(b);
				return snprintf(why, whylen, "fy must be a year from 1970 to 9998"), false;
			}
			fy = (int32_t)n;
		}
		json_object_set_new(b, "fy", json_integer(fy));
	}
	if (v == VOL_REGISTER)
		json_object_set_new(b, "home", json_string(origin));
	if (v == VOL_CERTIFY) {
		char from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1];
		int64_t t0, t1;
		jp_date_format(from, jp_fiscal_year_start(fy));
		jp_date_format(to, jp_fiscal_year_start(fy + 1) - 1);
		volunteer_fy_validity(fy, &t0, &t1);
		time_format(s, t1);
		json_object_set_new(b, "valid_from", json_string(from));
		json_object_set_new(b, "valid_to", json_string(to));
		json_object_set_new(b, "expires", json_string(s));
	}
	if (v == VOL_REVOKE) {
		json_t *rev = json_pack("{s:O, s:s}", "ref", json_object_get(b, "certificate"), "reason",
					json_object_get(b, "reason") ? json_string_value(json_object_get(b, "reason")) :
					"withdrawn");
		json_decref(b);
		b = rev;
	}
	if (v == VOL_POST && !json_object_get(b, "people"))
		json_object_set_new(b, "people", json_integer(1));
	if (v == VOL_START || v == VOL_END || v == VOL_DECLINE) {
		json_object_set_new(b, "step", json_string(v == VOL_START ? "start" : v == VOL_END ? "end" : "decline"));
		if (!json_object_get(b, "at")) {
			time_format(s, now);
			json_object_set_new(b, "at", json_string(s));
		}
	}
	*body = b;
	return true;
}

int volunteer_rules_read(const struct ledger_config *c, struct volunteer_rules *out, struct chobo_error *err)
{
	uint64_t ppu, max, cap, yen, days;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = config_setting_u64(c, "volunteer.points_per_unit", &ppu, err)) != 0 ||
	    (rc = config_setting_u64(c, "volunteer.max_units_day", &max, err)) != 0 ||
	    (rc = config_setting_u64(c, "volunteer.cap_fy", &cap, err)) != 0 ||
	    (rc = config_setting_u64(c, "volunteer.yen_per_point", &yen, err)) != 0 ||
	    (rc = config_setting_u64(c, "volunteer.expiry_days", &days, err)) != 0)
		return rc;
	const char *unit = config_setting(c, "volunteer.unit"), *carry = config_setting(c, "volunteer.carry_over");
	out->per_hour = !unit || strcmp(unit, "hour") == 0;
	out->carry_over = carry && strcmp(carry, "yes") == 0;
	uint64_t carry_max;
	if (carry && parse_u64(carry, &carry_max))
		out->carry_max = (int64_t)carry_max;
	out->points_per_unit = (int64_t)ppu;
	out->max_units_day = (int64_t)max;
	out->cap_fy = (int64_t)cap;
	out->yen_per_point = (int64_t)yen;
	out->expiry_days = (int64_t)days;
	return 0;
}

int64_t volunteer_units(const struct volunteer_rules *r, int64_t start, int64_t end)
{
	if (!r->per_hour)
		return 1;
	return end > start ? (end - start) / 3600 : 0;
}
