/*
 * The supply service's entry types: schemas, the cross-field check of each
 * (what one body can be judged on alone, here and in chain-verify), and the
 * service table.  Rules that need the ledger (a known item, what an offer
 * has left, the home node, "now") are in rules.c: they hold when an entry
 * is appended, not forever after.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jp_date.h"
#include "private_store.h"
#include "supply.h"

#define END {NULL, 0, false, 0, false}

static const struct field_spec site_fields[] = {
	{"code", FIELD_STRING, true, SUPPLY_CODE_MAX, true},
	{"name", FIELD_STRING, true, SUPPLY_NAME_MAX, false},
	{"municipality", FIELD_STRING, true, SUPPLY_NAME_MAX, false},
	{"role", FIELD_STRING, true, 16, false},
	{"open", FIELD_BOOL, true, 0, false},
	{"disaster", FIELD_STRING, false, SUPPLY_CODE_MAX, false},
	{"evacuees", FIELD_UINT, false, 0, false},
	{"evacuees_infant", FIELD_UINT, false, 0, false},
	{"evacuees_elderly", FIELD_UINT, false, 0, false},
	{"evacuees_women", FIELD_UINT, false, 0, false},
	END,
};

static const struct field_spec item_fields[] = {
	{"code", FIELD_STRING, true, SUPPLY_CODE_MAX, true},
	{"name", FIELD_STRING, true, SUPPLY_NAME_MAX, false},
	{"category", FIELD_STRING, true, 16, false},
	{"unit", FIELD_STRING, true, SUPPLY_UNIT_MAX, false},
	{"size", FIELD_STRING, false, SUPPLY_SIZE_MAX, false},
	{"allergen_free", FIELD_STRING, false, SUPPLY_ALLERGENS_MAX, false},
	{"expiry_kind", FIELD_STRING, false, 8, false},
	{"target", FIELD_STRING, false, 16, false},
	END,
};

static const struct field_spec need_fields[] = {
	{"site", FIELD_STRING, true, SUPPLY_CODE_MAX, true},
	{"item", FIELD_STRING, true, SUPPLY_CODE_MAX, true},
	{"quantity", FIELD_INT, true, 0, false},
	{"unit", FIELD_STRING, true, SUPPLY_UNIT_MAX, false},
	{"size", FIELD_STRING, false, SUPPLY_SIZE_MAX, false},
	{"allergen_free", FIELD_STRING, false, SUPPLY_ALLERGENS_MAX, false},
	{"deadline", FIELD_TIME, false, 0, false},
	{"priority", FIELD_UINT, false, 0, false},
	{"disaster", FIELD_STRING, false, SUPPLY_CODE_MAX, false},
	{"ref", FIELD_STRING, false, SUPPLY_REF_MAX, false},
	END,
};

static const struct field_spec offer_fields[] = {
	{"item", FIELD_STRING, true, SUPPLY_CODE_MAX, true},
	{"quantity", FIELD_INT, true, 0, false},
	{"unit", FIELD_STRING, true, SUPPLY_UNIT_MAX, false},
	{"supporter", FIELD_STRING, false, PERSON_ID_TEXT, true},
	{"firm", FIELD_STRING, false, SUPPLY_NAME_MAX, false},
	{"need", FIELD_REF, false, 0, true},
	{"size", FIELD_STRING, false, SUPPLY_SIZE_MAX, false},
	{"allergen_free", FIELD_STRING, false, SUPPLY_ALLERGENS_MAX, false},
	{"expiry", FIELD_STRING, false, SUPPLY_DATE_LEN, false},
	{"disaster", FIELD_STRING, false, SUPPLY_CODE_MAX, false},
	{"ref", FIELD_STRING, false, SUPPLY_REF_MAX, false},
	END,
};

static const struct field_spec request_fields[] = {
	{"offer", FIELD_REF, true, 0, true},
	{"quantity", FIELD_INT, true, 0, false},
	{"site", FIELD_STRING, true, SUPPLY_CODE_MAX, true},
	{"need", FIELD_REF, false, 0, true},
	{"ref", FIELD_STRING, false, SUPPLY_REF_MAX, false},
	END,
};

/* A shipment's fields are those a box's label carries: keep them short. */
static const struct field_spec shipment_fields[] = {
	{"request", FIELD_REF, true, 0, true},
	{"box", FIELD_UINT, true, 0, false},
	{"quantity", FIELD_INT, true, 0, false},
	{"expiry", FIELD_STRING, false, SUPPLY_DATE_LEN, false},
	END,
};

static const struct field_spec receipt_fields[] = {
	{"shipment", FIELD_REF, true, 0, true},
	{"quantity", FIELD_UINT, true, 0, false},
	{"discrepancy", FIELD_STRING, false, 16, false},
	END,
};

static const struct field_spec cancel_fields[] = {
	{"ref", FIELD_REF, true, 0, true},
	{"reason", FIELD_STRING, false, SUPPLY_REASON_MAX, false},
	END,
};

static const struct field_spec lost_fields[] = {
	{"shipment", FIELD_REF, true, 0, true},
	{"reason", FIELD_STRING, false, SUPPLY_REASON_MAX, false},
	END,
};

/* ------------------------------------------------------------- checks */

/* The string field name into out; false when absent (out is then ""). */
static bool field_string(const struct json_doc *doc, size_t body, const char *name, char *out, size_t cap)
{
	long v = jscan_find(doc, body, name);
	out[0] = '\0';
	return v >= 0 && jscan_string_copy(doc, (size_t)v, out, cap);
}

/* Check the string field name, when present, with valid; false with "name: what" in err. */
static bool check_word(const struct json_doc *doc, size_t body, const char *name, bool (*valid)(const char *),
		       const char *what, char *err, size_t errlen)
{
	char v[SUPPLY_ALLERGENS_MAX + 1];
	if (!field_string(doc, body, name, v, sizeof v) || valid(v))
		return true;
	snprintf(err, errlen, "body.%s must be %s", name, what);
	return false;
}

#define CODE_RULE "a code of 1 to 32 letters, digits, '.', '_' or '-'"
#define REF_RULE "a reference of 1 to 64 letters, digits, '.', '_' or '-'"
#define UNIT_RULE "one of the units 食 本 枚 個 箱 kg L パック セット"

static bool check_codes(const struct json_doc *doc, size_t body, const char *const *names, char *err,
			size_t errlen)
{
	for (; *names; names++)
		if (!check_word(doc, body, *names, supply_code_valid, CODE_RULE, err, errlen))
			return false;
	return true;
}

/*
 * A quantity from least up to SUPPLY_QUANTITY_MAX (the schema only knows
 * integers).  The bound is part of the type, not a rule of the append, so
 * that an entry from another node's log that breaks it is refused on import
 * and by chain-verify instead of wrapping the sums of supply.lines.
 */
static bool check_quantity_from(const struct json_doc *doc, size_t body, int64_t least, char *err, size_t errlen)
{
	int64_t q;
	long v = jscan_find(doc, body, "quantity");
	if (v < 0)
		return true;
	if (!jscan_integer(doc, (size_t)v, &q) || q < least) {
		snprintf(err, errlen, "body.quantity must be at least %" PRId64, least);
		return false;
	}
	if (q > SUPPLY_QUANTITY_MAX) {
		snprintf(err, errlen, "body.quantity %" PRId64 " is above the largest allowed, %" PRId64, q,
			 SUPPLY_QUANTITY_MAX);
		return false;
	}
	return true;
}

static bool check_quantity(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	return check_quantity_from(doc, body, 1, err, errlen);
}

static bool check_allergens(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	char v[SUPPLY_ALLERGENS_MAX + 1], why[128];
	if (!field_string(doc, body, "allergen_free", v, sizeof v) || supply_allergens_check(v, why, sizeof why))
		return true;
	snprintf(err, errlen, "body.allergen_free: %s", why);
	return false;
}

static bool check_date(const struct json_doc *doc, size_t body, const char *name, char *err, size_t errlen)
{
	char v[SUPPLY_DATE_LEN + 1];
	int64_t day;
	if (!field_string(doc, body, name, v, sizeof v) || supply_date_parse(v, &day))
		return true;
	snprintf(err, errlen, "body.%s must be a date YYYY-MM-DD (\"%s\": %s)", name, v,
		 jp_date_problem(v) ? jp_date_problem(v) : "no such day");
	return false;
}

static bool site_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const codes[] = {"code", "disaster", NULL};
	return check_codes(doc, body, codes, err, errlen) &&
	       check_word(doc, body, "role", supply_role_valid, "shelter or office", err, errlen);
}

static bool item_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const codes[] = {"code", NULL};
	return check_codes(doc, body, codes, err, errlen) &&
	       check_word(doc, body, "category", supply_category_valid,
			  "a category: food blanket formula diaper_child diaper_adult toilet toilet_paper "
			  "sanitary water hygiene bedding other", err, errlen) &&
	       check_word(doc, body, "unit", supply_unit_valid, UNIT_RULE, err, errlen) &&
	       check_word(doc, body, "expiry_kind", supply_expiry_kind_valid, "賞味 or 消費", err, errlen) &&
	       check_word(doc, body, "target", supply_target_valid, "infant, elderly, women or all", err,
			  errlen) &&
	       check_allergens(doc, body, err, errlen);
}

static bool need_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const codes[] = {"site", "item", "disaster", NULL};
	return check_codes(doc, body, codes, err, errlen) && check_quantity(doc, body, err, errlen) &&
	       check_word(doc, body, "unit", supply_unit_valid, UNIT_RULE, err, errlen) &&
	       check_word(doc, body, "ref", supply_ref_valid, REF_RULE, err, errlen) &&
	       check_allergens(doc, body, err, errlen);
}

static bool supporter_valid(const char *s)
{
	uint8_t id[PERSON_ID_BYTES];
	return person_id_parse(s, id);
}

static bool offer_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const codes[] = {"item", "disaster", NULL};
	if (!check_codes(doc, body, codes, err, errlen) || !check_quantity(doc, body, err, errlen) ||
	    !check_word(doc, body, "unit", supply_unit_valid, UNIT_RULE, err, errlen) ||
	    !check_word(doc, body, "ref", supply_ref_valid, REF_RULE, err, errlen) ||
	    !check_word(doc, body, "supporter", supporter_valid, "a pseudonymous ID (p- and 32 hex digits)",
			err, errlen) ||
	    !check_allergens(doc, body, err, errlen) || !check_date(doc, body, "expiry", err, errlen))
		return false;
	/* A supporter appears by pseudonymous ID, or a firm by the public name it chose to show. */
	if ((jscan_find(doc, body, "supporter") >= 0) == (jscan_find(doc, body, "firm") >= 0)) {
		snprintf(err, errlen, "supply.offer: give exactly one of body.supporter (a p- ID) and body.firm");
		return false;
	}
	return true;
}

static bool request_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	static const char *const codes[] = {"site", NULL};
	return check_codes(doc, body, codes, err, errlen) && check_quantity(doc, body, err, errlen) &&
	       check_word(doc, body, "ref", supply_ref_valid, REF_RULE, err, errlen);
}

static bool shipment_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	int64_t box;
	long v = jscan_find(doc, body, "box");
	if (v >= 0 && (!jscan_integer(doc, (size_t)v, &box) || box < 1)) {
		snprintf(err, errlen, "body.box must be at least 1");
		return false;
	}
	return check_quantity(doc, body, err, errlen) && check_date(doc, body, "expiry", err, errlen);
}

static bool receipt_check(const struct json_doc *doc, size_t body, char *err, size_t errlen)
{
	return check_quantity_from(doc, body, 0, err, errlen) &&
	       check_word(doc, body, "discrepancy", supply_discrepancy_valid,
			  "short, over, damaged, wrong_item, expired or other", err, errlen);
}

/* A site's and an item's name are public names in Japanese, not a person's. */
static const char *const public_name[] = {"name", NULL};
/* A firm that opts in appears by its public name. */
static const char *const public_firm[] = {"firm", NULL};

static const struct entry_type types[] = {
	{"supply.site", "a shelter or office: code, public name, municipality, role, open, evacuees",
	 site_fields, site_check, public_name},
	{"supply.item", "a catalogue item: code, name, category, unit, size, allergen-free flags, expiry kind, "
	 "target group", item_fields, item_check, public_name},
	{"supply.need", "items a site needs: site, item, quantity, unit, size, allergens to avoid, deadline",
	 need_fields, need_check, NULL},
	{"supply.offer", "items a supporter offers, free or pledged against a need", offer_fields, offer_check,
	 public_firm},
	{"supply.request", "the receiving side's confirmed quantity from an offer", request_fields,
	 request_check, NULL},
	{"supply.shipment", "one shipped box of a request: box number, quantity, expiry", shipment_fields,
	 shipment_check, NULL},
	{"supply.receipt", "a box received: quantity found, discrepancy", receipt_fields, receipt_check, NULL},
	{"supply.cancel", "a need, offer or request withdrawn", cancel_fields, NULL, NULL},
	{"supply.lost", "a shipped box reported lost or not delivered", lost_fields, NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static bool overdue_days_valid(const char *value, char *why, size_t whylen)
{
	uint64_t v;
	if (parse_u64(value, &v) && v >= 1 && v <= 365)
		return true;
	snprintf(why, whylen, "expected a number of days from 1 to 365");
	return false;
}

static bool shelf_days_valid(const char *value, char *why, size_t whylen)
{
	uint64_t v;
	if (parse_u64(value, &v) && v <= 3650)
		return true;
	snprintf(why, whylen, "expected a number of days from 0 to 3650");
	return false;
}

static const struct setting_spec settings[] = {
	{"supply.overdue_days", "days after which a shipped box not yet received is overdue", "3",
	 overdue_days_valid},
	{"supply.min_shelf_days", "days of shelf life supply-match wants left at a need's deadline", "0",
	 shelf_days_valid},
	{NULL, NULL, NULL, NULL},
};

static const struct view_spec *const views[] = {
	&supply_catalogue_view, &supply_sites_view, &supply_lines_view, NULL,
};

const struct service supply_service = {
	.name = "supply",
	.summary = "disaster relief supplies: sites, catalogue, needs, offers, requests, boxes, receipts",
	.types = types,
	.settings = settings,
	.views = views,
	.append_check = supply_append_check,
};
