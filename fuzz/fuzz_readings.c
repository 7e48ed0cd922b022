/*
 * libFuzzer harness: ecopt-grant's readings and registrations (lib/records.c,
 * lib/eco/reading.c).
 *
 * The input is a readings file, JSON Lines or CSV (told apart as
 * ecopt-grant tells them).  Every record is parsed as a reading; what
 * parses must hold quantities from 0 to ECO_QUANTITY_MAX thousandths, an
 * equipment code of at most ECO_CODE_MAX bytes, dates that parse back to
 * the same days, and a source that is device or manual.  A quantity of a
 * JSON line is a JSON number (never a string) whose value is the one
 * written, not rounded: it differs from the double jansson read by no more
 * than that double's own error.  Every record of a CSV file has a non-empty
 * cell (a row of empty cells is a blank line), and CSV is read as ecopt-grant
 * reads it (eco_reading_csv: a header naming no field of a reading is
 * refused).  eco_reading_complete holds for a kind exactly when the record
 * has each of the kind's figures; jp_date_problem is NULL exactly for the
 * dates jp_date_parse takes; the spelling eco_serial_problem suggests for a
 * record's serial is one it takes.
 *
 * The same input is read as ecopt-grant --register reads it too
 * (eco_registration_csv): every CSV record names only fields of a
 * registration (eco_registration_names_known holds), its capacity_w and
 * baseline_m_per_l are non-negative JSON integers and its other_scheme a
 * boolean (a cell that is not one is refused), and every check that
 * refuses a record says why.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eco/eco.h"
#include "jp_date.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Text read as registrations: see the top of this file. */
static void registrations(const char *text, size_t size)
{
	struct records l = {0};
	char err[1024], why[1024];
	(void)records_parse(&l, text, size, "fuzz", RECORDS_DETECT, &eco_registration_csv, err, sizeof err);
	for (size_t i = 0; i < l.n; i++) {
		const json_t *o = l.rec[i].o;
		if (!json_is_object(o) || (!l.rec[i].json && json_object_size(o) == 0))
			abort();
		why[0] = '\0';
		bool known = eco_registration_names_known(o, why, sizeof why);
		if ((!known && !why[0]) || (!l.rec[i].json && !known))
			abort();
		static const char *const integers[] = {"capacity_w", "baseline_m_per_l"};
		for (size_t k = 0; !l.rec[i].json && k < 2; k++) {
			const json_t *v = json_object_get(o, integers[k]);
			if (v && !(json_is_integer(v) && json_integer_value(v) >= 0))
				abort();
		}
		const json_t *flag = json_object_get(o, "other_scheme");
		if (!l.rec[i].json && flag && !json_is_boolean(flag))
			abort();
		enum eco_registration kind;
		why[0] = '\0';
		if (!eco_registration_kind(o, &kind, why, sizeof why)) {
			if (!why[0])
				abort();
			continue;
		}
		why[0] = '\0';
		if (!eco_registration_check(kind, o, why, sizeof why) && !why[0])
			abort();
	}
	records_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct records l = {0};
	char err[1024], *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);   /* exact size: a read past the end is caught */
	/* The records before a bad one stay in l and are parsed as readings too. */
	(void)records_parse(&l, text, size, "fuzz", RECORDS_DETECT, &eco_reading_csv, err, sizeof err);
	for (size_t i = 0; i < l.n; i++) {
		struct eco_reading r;
		char why[1024];
		int64_t day;
		if (!json_is_object(l.rec[i].o))
			abort();
		if (!l.rec[i].json && json_object_size(l.rec[i].o) == 0)
			abort();
		static const char *const need[3][4] = {
			{"generated_kwh", "sold_kwh", NULL}, {"distance_km", "charged_kwh", NULL},
			{"distance_km", "charged_kwh", "fuel_l", NULL}};
		static const enum eco_kind kinds[3] = {ECO_SOLAR, ECO_EV, ECO_PHV};
		for (size_t k = 0; k < 3; k++) {
			bool all = true;
			for (size_t f = 0; need[k][f]; f++)
				all = all && json_object_get(l.rec[i].o, need[k][f]) != NULL;
			if (eco_reading_complete(&l.rec[i], kinds[k], why, sizeof why) != all)
				abort();
		}
		/* A serial's suggested spelling is itself one that passes. */
		const char *serial = json_string_value(json_object_get(l.rec[i].o, "serial"));
		char fix[ECO_SERIAL_MAX + 1], again[ECO_SERIAL_MAX + 1];
		if (serial && eco_serial_problem(serial, fix) && fix[0] && eco_serial_problem(fix, again))
			abort();
		if (serial && !eco_serial_problem(serial, fix) && fix[0])
			abort();
		static const char *const dates[] = {"from", "to"};
		for (size_t k = 0; k < 2; k++) {
			const char *t = json_string_value(json_object_get(l.rec[i].o, dates[k]));
			if (t && (jp_date_problem(t) == NULL) != jp_date_parse(t, &day))
				abort();
		}
		/* The unit checks of a registration say why whenever they refuse. */
		why[0] = '\0';
		if (!eco_equipment_plausible(l.rec[i].o, why, sizeof why) && !why[0])
			abort();
		if (!eco_reading_parse(&l.rec[i], &r, why, sizeof why))
			continue;
		/* Those of a reading take any parsed one (no overflow), pass every solar one, and say why. */
		for (size_t k = 0; k < 3; k++) {
			struct eco_equipment q = {.kind = kinds[k]};
			why[0] = '\0';
			bool plausible = eco_reading_plausible(&q, &r, why, sizeof why);
			if ((!plausible && !why[0]) || (kinds[k] == ECO_SOLAR && !plausible))
				abort();
		}
		const int64_t v[] = {r.generated_wh, r.sold_wh, r.distance_m, r.charged_wh, r.fuel_ml};
		for (size_t k = 0; k < 5; k++)
			if (v[k] < 0 || v[k] > ECO_QUANTITY_MAX)
				abort();
		static const char *const names[] = {"generated_kwh", "sold_kwh", "distance_km", "charged_kwh", "fuel_l"};
		for (size_t k = 0; l.rec[i].json && k < 5; k++) {
			json_t *n = json_object_get(l.rec[i].o, names[k]);
			if (!n) {
				if (v[k] != 0)
					abort();
				continue;
			}
			if (!json_is_number(n))
				abort();
			double d = json_number_value(n), want = (double)v[k] / 1000;
			if (fabs(d - want) > 1e-9 * (want > 1 ? want : 1))
				abort();
		}
		if (strlen(r.equipment) > ECO_CODE_MAX)
			abort();
		if (!jp_date_parse(r.from, &day) || day != r.from_day || !jp_date_parse(r.to, &day) || day != r.to_day)
			abort();
		if (strcmp(r.source, "device") != 0 && strcmp(r.source, "manual") != 0)
			abort();
	}
	records_free(&l);
	registrations(text, size);
	free(text);
	return 0;
}
