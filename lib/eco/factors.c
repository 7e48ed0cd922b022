/* The emission factor table and the J-Credit reduction formulas (domain.md §A3, §A4). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "codec.h"
#include "eco.h"

#define MAX_FACTOR_FILE (1 << 20)

/* A decimal "0.692" (kg per kWh or L) as micrograms per Wh or mL: at most 6 decimals, below 1000. */
static bool decimal_ug(const char *s, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	int digits = 0, fdigits = 0;
	for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
		whole = whole * 10 + (*s - '0');
	if (digits == 0)
		return false;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && fdigits < 6; s++, fdigits++)
			frac = frac * 10 + (*s - '0');
	if (*s)
		return false;
	for (; fdigits < 6; fdigits++)
		frac *= 10;
	*out = whole * 1000000 + frac;
	return true;
}

/* One factor {"value":"0.692","source":"...","confirmed":bool}; false with err. */
static bool factor_read(json_t *v, const char *what, int64_t *ug, bool *confirmed, char *err, size_t errlen)
{
	const char *value = json_string_value(json_object_get(v, "value"));
	if (!json_is_object(v) || !value || !decimal_ug(value, ug) ||
	    !json_is_string(json_object_get(v, "source")) || !json_is_boolean(json_object_get(v, "confirmed"))) {
		snprintf(err, errlen, "%s: expected {\"value\":\"0.000\",\"source\":\"...\",\"confirmed\":BOOL}", what);
		return false;
	}
	*confirmed = json_is_true(json_object_get(v, "confirmed"));
	return true;
}

int eco_factors_load(const char *path, struct eco_factors *f, struct chobo_error *err)
{
	size_t len;
	char why[200];
	uint8_t hash[32];
	memset(f, 0, sizeof *f);
	char *text = read_file(path, MAX_FACTOR_FILE, &len);
	if (!text)
		return chobo_fail_errno(err, EX_NOINPUT, "the emission factor table %s (give another with --factors "
					"FILE or eco.factors in chobo.conf)", path);
	int rc = file_sha256(path, hash, err);
	if (rc != 0) {
		free(text);
		return rc;
	}
	hex32(f->sha256, hash);
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	json_t *grid = json_object_get(o, "grid");
	const char *version = json_string_value(json_object_get(o, "version"));
	bool ok = json_is_object(grid) && version;
	if (!o)
		snprintf(why, sizeof why, "line %d: %s", je.line, je.text);
	else if (!ok)
		snprintf(why, sizeof why, "expected an object with version, grid and fuel");
	if (ok) {
		snprintf(f->version, sizeof f->version, "%s", version);
		const char *key;
		json_t *v;
		json_object_foreach(grid, key, v) {
			char *end;
			long fy = strtol(key, &end, 10);
			char what[64];
			snprintf(what, sizeof what, "grid.%.20s", key);
			if (*end || fy < 2000 || fy > 2100 || f->ngrid == ECO_MAX_FY) {
				snprintf(why, sizeof why, "%s: expected a fiscal year 2000-2100", what);
				ok = false;
				break;
			}
			f->grid[f->ngrid].fy = (int32_t)fy;
			if (!(ok = factor_read(v, what, &f->grid[f->ngrid].ug, &f->grid[f->ngrid].confirmed, why,
					       sizeof why)))
				break;
			f->ngrid++;
		}
	}
	bool conf;
	if (ok)
		ok = factor_read(json_object_get(json_object_get(o, "fuel"), "gasoline"), "fuel.gasoline",
				 &f->gasoline_ug, &conf, why, sizeof why) &&
		     factor_read(json_object_get(json_object_get(o, "fuel"), "diesel"), "fuel.diesel", &f->diesel_ug,
				 &conf, why, sizeof why);
	json_decref(o);
	return ok ? 0 : chobo_fail(err, EX_DATAERR, "%s: %s", path, why);
}

bool eco_grid_factor(const struct eco_factors *f, int32_t fy, int64_t *ug)
{
	for (size_t i = 0; i < f->ngrid; i++)
		if (f->grid[i].fy == fy) {
			*ug = f->grid[i].ug;
			return true;
		}
	return false;
}

bool eco_fuel_factor(const struct eco_factors *f, const char *fuel, int64_t *ug)
{
	if (strcmp(fuel, "gasoline") == 0)
		*ug = f->gasoline_ug;
	else if (strcmp(fuel, "diesel") == 0)
		*ug = f->diesel_ug;
	else
		return false;
	return true;
}

/* floor(a x b / c) and what is left, for a, b, c >= 0 and a x b within int64 (the bounds see to it). */
static int64_t share(int64_t value, int64_t days, int64_t total)
{
	return value * days / total;
}

int eco_reduction(const struct eco_factors *f, const struct eco_equipment *q, const struct eco_reading *r,
		  struct eco_part *parts, size_t *nparts, struct chobo_error *err)
{
	int64_t total = r->to_day - r->from_day + 1;
	size_t n = 0;
	if (total < 1 || total > 2 * 366)
		return chobo_fail(err, EX_DATAERR, "a reading of %lld days: at most two years", (long long)total);
	struct eco_part sum = {0};
	for (int64_t start = r->from_day; start <= r->to_day; n++) {
		int32_t fy = jp_fiscal_year(start);
		int64_t end = jp_fiscal_year_start(fy + 1) - 1;
		if (end > r->to_day)
			end = r->to_day;
		struct eco_part *p = &parts[n];
		memset(p, 0, sizeof *p);
		p->fy = fy;
		jp_date_format(p->from, start);
		jp_date_format(p->to, end);
		bool last = end == r->to_day;
		int64_t days = end - start + 1;
		/* Each part but the last takes its days' share; the last the rest, so the parts add up. */
		p->generated_wh = last ? r->generated_wh - sum.generated_wh : share(r->generated_wh, days, total);
		p->sold_wh = last ? r->sold_wh - sum.sold_wh : share(r->sold_wh, days, total);
		p->distance_m = last ? r->distance_m - sum.distance_m : share(r->distance_m, days, total);
		p->charged_wh = last ? r->charged_wh - sum.charged_wh : share(r->charged_wh, days, total);
		p->fuel_ml = last ? r->fuel_ml - sum.fuel_ml : share(r->fuel_ml, days, total);
		sum.generated_wh += p->generated_wh;
		sum.sold_wh += p->sold_wh;
		sum.distance_m += p->distance_m;
		sum.charged_wh += p->charged_wh;
		sum.fuel_ml += p->fuel_ml;
		start = end + 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct eco_part *p = &parts[i];
		int64_t grid, fuel = 0;
		if (!eco_grid_factor(f, p->fy, &grid))
			return chobo_fail(err, EX_DATAERR, "the emission factor table %s has no grid factor for FY%d: "
					  "install a table that has (--factors FILE, or eco.factors in chobo.conf)",
					  f->version, (int)p->fy);
		if (q->kind == ECO_SOLAR) {
			/* EN-R-002: only the self-consumed power counts; sold <= generated was checked per part too. */
			int64_t self = p->generated_wh - p->sold_wh;
			if (self < 0)
				self = 0;
			p->baseline_g = self * grid / 1000000;
			p->project_g = 0;
		} else {
			if (!eco_fuel_factor(f, q->fuel, &fuel))
				return chobo_fail(err, EX_DATAERR, "no emission factor for fuel %s", q->fuel);
			/* mL the baseline vehicle would burn = distance_m x 1000 / (m per L). */
			int64_t baseline_ml_ug = p->distance_m * 1000 / q->baseline_m_per_l * fuel +
						 p->distance_m * 1000 % q->baseline_m_per_l * fuel / q->baseline_m_per_l;
			int64_t project_ug = p->charged_wh * grid + p->fuel_ml * fuel;
			p->baseline_g = baseline_ml_ug / 1000000;
			p->project_g = (project_ug + 999999) / 1000000;
		}
		p->reduction_g = p->baseline_g - p->project_g;
	}
	*nparts = n;
	return 0;
}
