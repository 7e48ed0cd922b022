/*
 * The supply service's fixed code lists (domain.md §B): units, categories,
 * target groups, expiry kinds, site roles, discrepancies and allergens.
 * A list changes only with a release: entries keep their meaning forever.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "supply.h"
#include "util.h"

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Kumamoto 2016 mixed 食, 本 and t: each item has exactly one of these, and quantities never cross them. */
static const char *const units[] = {"食", "本", "枚", "個", "箱", "kg", "L", "パック", "セット", NULL};

/* The eight push-type basic items (プッシュ型支援の基本8品目), then the other groups. */
static const char *const categories[] = {
	"food",          /* 食料 (パックご飯, アルファ化米) */
	"blanket",       /* 毛布 */
	"formula",       /* 乳児用粉ミルク・液体ミルク */
	"diaper_child",  /* 乳児・小児用おむつ */
	"diaper_adult",  /* 大人用おむつ */
	"toilet",        /* 携帯・簡易トイレ */
	"toilet_paper",  /* トイレットペーパー */
	"sanitary",      /* 生理用品 */
	"water", "hygiene", "bedding", "other", NULL,
};

static const char *const targets[] = {"infant", "elderly", "women", "all", NULL};
static const char *const expiry_kinds[] = {"賞味", "消費", NULL};
static const char *const roles[] = {"shelter", "office", NULL};
static const char *const discrepancies[] = {"short", "over", "damaged", "wrong_item", "expired", "other",
					    NULL};

/*
 * Food labelling standard (食品表示基準): 8 allergens whose labelling is
 * mandatory (特定原材料, March 2024), then the 20 recommended ones
 * (特定原材料に準ずるもの).
 */
const char *const supply_allergens[] = {
	"shrimp",     /* えび */
	"crab",       /* かに */
	"walnut",     /* くるみ */
	"wheat",      /* 小麦 */
	"buckwheat",  /* そば */
	"egg",        /* 卵 */
	"milk",       /* 乳 */
	"peanut",     /* 落花生 */
	"almond",     /* アーモンド */
	"abalone",    /* あわび */
	"squid",      /* いか */
	"salmon_roe", /* いくら */
	"orange",     /* オレンジ */
	"cashew",     /* カシューナッツ */
	"kiwi",       /* キウイフルーツ */
	"beef",       /* 牛肉 */
	"sesame",     /* ごま */
	"salmon",     /* さけ */
	"mackerel",   /* さば */
	"soybean",    /* 大豆 */
	"chicken",    /* 鶏肉 */
	"banana",     /* バナナ */
	"pork",       /* 豚肉 */
	"macadamia",  /* マカダミアナッツ */
	"peach",      /* もも */
	"yam",        /* やまいも */
	"apple",      /* りんご */
	"gelatin",    /* ゼラチン */
	NULL,
};

bool supply_unit_valid(const char *s) { return in_list(units, s); }
bool supply_category_valid(const char *s) { return in_list(categories, s); }
bool supply_target_valid(const char *s) { return in_list(targets, s); }
bool supply_expiry_kind_valid(const char *s) { return in_list(expiry_kinds, s); }
bool supply_role_valid(const char *s) { return in_list(roles, s); }
bool supply_discrepancy_valid(const char *s) { return in_list(discrepancies, s); }

/* 1..max of [A-Za-z0-9._-]: the characters of codes and references. */
static bool code_chars_valid(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

bool supply_code_valid(const char *s)
{
	return code_chars_valid(s, SUPPLY_CODE_MAX);
}

bool supply_ref_valid(const char *s)
{
	return code_chars_valid(s, SUPPLY_REF_MAX);
}

bool supply_date_parse(const char *s, int64_t *day)
{
	char t[32];
	if (strlen(s) != SUPPLY_DATE_LEN || s[4] != '-' || s[7] != '-')
		return false;
	snprintf(t, sizeof t, "%sT00:00:00Z", s);
	return time_parse(t, day);
}

bool supply_expiry_end(const char *s, int64_t *end)
{
	/* A date printed on food in Japan is a date in JST (UTC+9). */
	if (!supply_date_parse(s, end))
		return false;
	*end += 86400 - 9 * 3600;
	return true;
}

bool supply_allergens_check(const char *list, char *err, size_t errlen)
{
	bool seen[sizeof supply_allergens / sizeof *supply_allergens] = {0};
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		size_t k;
		for (k = 0; supply_allergens[k]; k++)
			if (strlen(supply_allergens[k]) == n && strncmp(supply_allergens[k], p, n) == 0)
				break;
		if (!supply_allergens[k]) {
			snprintf(err, errlen, "unknown allergen \"%.*s\" (see supply-post(1), ALLERGENS)",
				 (int)(n > 32 ? 32 : n), p);
			return false;
		}
		if (seen[k]) {
			snprintf(err, errlen, "allergen %s is listed twice", supply_allergens[k]);
			return false;
		}
		seen[k] = true;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}
