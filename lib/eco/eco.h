/*
 * The eco-points service (DESIGN §5.2, domain.md §A): members, their
 * equipment (EV, PHV, solar), readings of activity data, the CO2 reductions
 * computed from them with the J-Credit methodologies' formulas, and the
 * points granted for them (through the points module, scheme "eco").
 *
 *   eco.c       entry types, the eco.registry view, the rules of appends
 *   factors.c   the emission factor table and the reduction formulas
 *   reading.c   readings and registrations as ecopt-grant reads them
 *
 * Quantities are integers in small units so that every node computes the
 * same numbers: Wh, metres, mL, watts, metres per litre, grams of CO2.
 *
 * The rules (eco.registry records them in the merge order; an append whose
 * entry they refuse fails with the reason):
 *  - a member is registered on its home node (body.home is the log's
 *    origin), once;
 *  - equipment belongs to a registered member, has a code registered once,
 *    and an identifier hash (a keyed hash of the serial number under the
 *    registering node's secret) that no other code has: the same vehicle or
 *    panel registered twice is refused;
 *  - a reading is posted on its member's home node, for known equipment,
 *    within the member's membership and the equipment's monitoring time,
 *    not after 2031-03-31 (the end of every certification period); from <=
 *    to; its activity data fit the kind (solar: generated and sold, sold <=
 *    generated <= capacity x 24 h x days; EV: distance and charged; PHV:
 *    distance, charged and fuel); readings of one device come in period
 *    order: a reading must start after the end of the device's last one.
 *    The same period again with the same values is a duplicate (skipped by
 *    ecopt-grant, refused by the append); with other values it is refused;
 *  - a reading carries what was computed from it (ecopt-grant): the member,
 *    the methodology, its parts (one per fiscal year it touches, with that
 *    part's activity data, baseline_g, project_g and reduction_g), the factor
 *    table's hash and version, the total reduction_g and the points granted
 *    (eco_points of the total at points_per_kg).  Its schema checks that the
 *    parts cover the period day by day and add up; the registry checks that
 *    member and methodology are the equipment's.  The points module credits
 *    the points to the member (points.h, the credits of other types), so a
 *    reading is one entry;
 *  - a certification (the credits the J-Credit committee certified for a
 *    monitoring report) adds up (certified_t x 10^6 + carried_g =
 *    reduction_g + carried_in_g), starts after the last certified period's
 *    end, and takes over the remainder that one carried (carried_in_g).
 *
 * eco.registry keys: member/P, equip/CODE (the equipment and the end of its
 * last accepted reading: a device's state is one record), idhash/HASH,
 * part/TO/CODE/FROM (an accepted reading's part, by its last day: what the
 * monitoring report reads as a range; the reading's last part also names
 * the reading's first day and totals, which is what finding a duplicate
 * needs), refused/CODE/FROM/TO (a refused reading and why), cert/FROM and
 * certlast.
 */
#ifndef CHOBO_ECO_H
#define CHOBO_ECO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "jp_date.h"
#include "note.h"
#include "service.h"
#include "view.h"

#define ECO_CODE_MAX 32               /* equipment codes: [A-Za-z0-9._-] */
#define ECO_QUANTITY_MAX 1000000000LL /* bound on each activity value (1 GWh, 1,000,000 km, 1,000,000 L) */
#define ECO_LAST_DAY "2031-03-31"     /* no certification period goes beyond it (domain.md §A2) */
#define ECO_SCHEME "eco"
#define ECO_REPORT_MAX 64             /* a certification's report name */
#define ECO_GRAMS_MAX 1000000000000000LL   /* bound on a certification's grams (a billion t-CO2) */

struct ledger;
struct batch_written;
struct record;
struct records_csv;

extern const struct service eco_service;
extern const struct view_spec eco_registry_view;

int eco_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err);

enum eco_kind { ECO_SOLAR, ECO_EV, ECO_PHV };

struct eco_member {
	char id[40], home[NOTE_MAX_NAME + 1], kind[16], joined[JP_DATE_LEN + 1], left[JP_DATE_LEN + 1];
	char leaf[65];   /* the entry that recorded this: the registration, or the departure */
};

/*
 * The most separate stretches of recorded days a device may have: readings
 * are recorded in any order, so a period skipped can be filed later, and
 * each gap left open makes one stretch more.  Monthly readings over the
 * longest certification period (8 years) leave at most 48.
 */
#define ECO_MAX_STRETCHES 64

/* Days from..to (day numbers, jp_date.h), both included. */
struct eco_stretch {
	int64_t from, to;
};

struct eco_equipment {
	char code[ECO_CODE_MAX + 1], member[40], id_hash[65], duplicate_of[ECO_CODE_MAX + 1];
	char monitoring_from[JP_DATE_LEN + 1], fuel[16], leaf[65], evidence[65];
	enum eco_kind kind;
	int64_t capacity_w, baseline_m_per_l;
	bool other_scheme;
	/* The days its accepted readings cover, as stretches in day order, none touching the next; kept last. */
	size_t nrecorded;
	struct eco_stretch recorded[ECO_MAX_STRETCHES];
};

struct eco_reading {
	char equipment[ECO_CODE_MAX + 1], from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1], source[8];
	int64_t from_day, to_day;
	int64_t generated_wh, sold_wh, distance_m, charged_wh, fuel_ml;
};

/*
 * A reading from its input record rec (members equipment, from, to, source,
 * generated_kwh, sold_kwh, distance_km, charged_kwh, fuel_l; the quantities
 * decimals from 0 to ECO_QUANTITY_MAX / 1000 with at most 3 places, kept in
 * thousandths, judged on their text: a CSV cell's, or a JSON number's as
 * written in the line, never a JSON string) into r; false with the reason in
 * why (an unknown member, a missing or malformed value).  The rules of
 * eco_reading_judge are not applied.
 */
bool eco_reading_parse(const struct record *rec, struct eco_reading *r, char *why, size_t whylen);
/* How readings' CSV is read (records_parse): a header cell naming no field of a reading is refused, by its column. */
extern const struct records_csv eco_reading_csv;
/*
 * True when rec gives every activity figure of its equipment's kind (solar:
 * generated_kwh and sold_kwh; EV: distance_km and charged_kwh; PHV: those
 * and fuel_l); false naming the first missing one in why.  A figure left out
 * is not taken as 0: a blank sold, charged or fuel cell would overstate the
 * reduction, and the reading, once recorded, could not be given again.
 */
bool eco_reading_complete(const struct record *rec, enum eco_kind kind, char *why, size_t whylen);
/*
 * True unless vehicle reading r of q gives figures no car makes: more than
 * ECO_MAX_KM_PER_DAY a day of its period, or (EV) more than
 * ECO_MAX_KM_PER_KWH for each kWh charged and for a full battery
 * (ECO_MAX_BATTERY_KWH) it may have started with, or (PHV) more than that
 * and ECO_MAX_KM_PER_L for each litre burned and for a full tank
 * (ECO_MAX_TANK_L), together; false with the figures in why.  Typed data are checked so before they are granted, since a
 * reading recorded is never recorded again; the ledger's rules do not
 * judge by it.
 */
#define ECO_MAX_KM_PER_DAY 1500
#define ECO_MAX_KM_PER_KWH 20
#define ECO_MAX_KM_PER_L 50
#define ECO_MAX_BATTERY_KWH 100
#define ECO_MAX_TANK_L 60
bool eco_reading_plausible(const struct eco_equipment *q, const struct eco_reading *r, char *why, size_t whylen);
/*
 * True unless registration body o of equipment (kind, capacity_w,
 * baseline_m_per_l) holds a figure in the wrong unit: a solar capacity under
 * ECO_MIN_CAPACITY_W watts (kW typed in W), or a baseline fuel efficiency
 * outside ECO_MIN_M_PER_L to ECO_MAX_M_PER_L metres per litre (km/L typed
 * in m/L); false with the figure to write in why.
 */
#define ECO_MIN_CAPACITY_W 100
#define ECO_MIN_M_PER_L 3000
#define ECO_MAX_M_PER_L 60000
bool eco_equipment_plausible(const json_t *o, char *why, size_t whylen);

/*
 * NULL when s is a serial number written as a device's label prints it:
 * 1 to ECO_SERIAL_MAX of ASCII A-Z, 0-9 and signs, no blank, no lower-case
 * letter.  The serial is kept only as a keyed hash of what was written, so
 * the same panel typed two ways (a blank an Excel cell kept, full-width
 * letters, lower case) would pass as two.  Else the reason, and in fix
 * (ECO_SERIAL_MAX + 1 bytes) the spelling to write where one follows
 * (blanks dropped, the no-break and ideographic spaces too, full-width
 * made ASCII, dashes and ー made '-', letters made capitals), else "".
 */
#define ECO_SERIAL_MAX 64
const char *eco_serial_problem(const char *s, char fix[ECO_SERIAL_MAX + 1]);
/*
 * True when r's period is over by today (a day number, jp_day_of of now):
 * its last JST day has ended, so to is before today; false with the reason
 * and the day it can be recorded from in why.
 */
bool eco_reading_over(const struct eco_reading *r, int64_t today, char *why, size_t whylen);

enum eco_registration { ECO_REG_MEMBER, ECO_REG_EQUIPMENT };

/*
 * Which registration (ecopt-grant --register) input record o is: equipment
 * when it has a code, else a member when member is text; false with the
 * reason in why when it is neither.
 */
bool eco_registration_kind(const json_t *o, enum eco_registration *k, char *why, size_t whylen);
/*
 * True unless registration record o (of kind k) holds what a spreadsheet
 * makes of a value and the entry's schema would name in its own terms: a
 * blank around a text (a cell's trailing space), a member kind other than
 * household or business, an equipment kind other than solar, ev or phv, a
 * date not written YYYY-MM-DD, or a figure in the wrong unit
 * (eco_equipment_plausible); false naming the column and what to write.
 */
bool eco_registration_check(enum eco_registration k, const json_t *o, char *why, size_t whylen);
/*
 * True when every member name of registration record o is a field of
 * eco.member or eco.equipment, or serial; false with the name to write
 * ("Member": write "member") or the fields listed, in why.
 */
bool eco_registration_names_known(const json_t *o, char *why, size_t whylen);
/*
 * How registrations' CSV is read (records_parse): a header cell naming none
 * of those fields is refused, by its column; a cell of capacity_w or
 * baseline_m_per_l becomes a JSON integer, of other_scheme a boolean, or
 * is refused (records_text_value); any other cell is a string, for the
 * schema to judge.
 */
extern const struct records_csv eco_registration_csv;
/* True when the registry's member m is what the eco.member body (home set) would register. */
bool eco_member_same(const struct eco_member *m, const json_t *body);
/* True when the registry's equipment q is what the eco.equipment body (id_hash set) would register. */
bool eco_equipment_same(const struct eco_equipment *q, const json_t *body);

/* The kind's name (solar, ev, phv), and the kind of a name; false for an unknown one. */
const char *eco_kind_name(enum eco_kind k);
bool eco_kind_parse(const char *s, enum eco_kind *k);
/* The kind's methodology: EN-R-002 for solar, EV, PHV. */
const char *eco_methodology(enum eco_kind k);
/* Points for a reduction of total_g grams at points_per_kg: floor(total x ppk / 1000), 0 when total <= 0. */
int64_t eco_points(int64_t total_g, int64_t points_per_kg);

/* The member or equipment from the registry view: 0, EX_UNAVAILABLE when absent, else an error. */
int eco_member_get(struct view_state *s, const char *id, struct eco_member *out, struct chobo_error *err);
int eco_equipment_get(struct view_state *s, const char *code, struct eco_equipment *out,
		      struct chobo_error *err);

/*
 * The certification period that starts on start (YYYY-MM-DD): its first day
 * and its last, 8 years on and at most ECO_LAST_DAY; false when start is no
 * date.
 */
bool eco_certification_period(const char *start, int64_t *first, int64_t *last);
/* The programme's certification period, as a node's chobo.conf sets it. */
struct eco_window {
	const char *start;     /* eco.certification_start, or NULL: none set, every period lies inside */
	int64_t first, last;   /* its first and last JST day numbers (eco_certification_period) */
};
/* The window conf sets into *w: 0, or EX_CONFIG with err when its start is no date. */
int eco_window_read(const struct ledger_config *conf, struct eco_window *w, struct chobo_error *err);
/*
 * Whether the period from..to (its JST day numbers from_day..to_day) lies
 * inside window w (always when none is set): a reduction outside it can
 * never be credited.  False with the reason, and the part that lies
 * inside, in why.
 */
bool eco_period_certifiable(const struct eco_window *w, const char *from, const char *to, int64_t from_day,
			    int64_t to_day, char *why, size_t whylen);

/*
 * The leaf hash of the certification that counts for the period starting
 * on from (YYYY-MM-DD), from the registry view: 0, EX_UNAVAILABLE when
 * none counts (none recorded, or the first one recorded was refused), else
 * an error.
 */
int eco_certification_get(struct view_state *s, const char *from, char leaf[65], struct chobo_error *err);

enum eco_verdict { ECO_ACCEPT, ECO_DUPLICATE, ECO_REFUSE };

/* A device's readings earlier in one input, which the registry does not hold yet (ecopt-grant's). */
struct eco_earlier {
	int64_t to;       /* the end day of the last of them */
	int stretches;    /* the stretches they add to the recorded ones (fewer when they fill gaps) */
};

/*
 * The stretches that recording r (which overlaps nothing recorded, and
 * starts after the readings earlier, NULL when none) adds to q's: 1, 0 when
 * it touches one, -1 when it joins two.
 */
int eco_reading_stretches(const struct eco_equipment *q, const struct eco_earlier *earlier,
			  const struct eco_reading *r);

/*
 * Judge reading r, to be posted in log origin, against the registry s by the
 * rules above, with the equipment read into *q (when it is known), after the
 * device's readings earlier in the same input (NULL when none: a reading
 * must start after them, and an overlap with them is said so).  ECO_REFUSE
 * with the reason in why; 0 and a verdict in *out, or an exit code with
 * err.  It reads the equipment and member records, and the recorded reading
 * of the period only when the period meets the device's recorded days.
 */
int eco_reading_judge(struct view_state *s, const struct eco_reading *r, const char *origin,
		      const struct eco_earlier *earlier, struct eco_equipment *q, enum eco_verdict *out, char *why,
		      size_t whylen, 		      struct chobo_error *err);
/*
 * The entry that recorded reading r's period (what an ECO_DUPLICATE
 * repeats): its log's name into log and its index; 0, EX_UNAVAILABLE when
 * the registry holds no reading of that period, or an error with err.
 */
int eco_reading_recorded(struct view_state *s, const struct eco_reading *r, char log[NOTE_MAX_NAME + 1],
			 uint64_t *index, struct chobo_error *err);

/* ------------------------------------------------------------ factors.c */

/* Emission factors in micrograms of CO2 per Wh (grid) or per mL (fuel): kg per kWh or L x 10^6. */
#define ECO_MAX_FY 64
struct eco_factors {
	char sha256[65];          /* of the file as read */
	char version[64];
	struct { int32_t fy; int64_t ug; bool confirmed; } grid[ECO_MAX_FY];
	size_t ngrid;
	int64_t gasoline_ug, diesel_ug;
};

/* Load the factor table at path; 0, or EX_NOINPUT / EX_DATAERR with err. */
int eco_factors_load(const char *path, struct eco_factors *f, struct chobo_error *err);
/* The grid factor of fiscal year fy; false when the table has none. */
bool eco_grid_factor(const struct eco_factors *f, int32_t fy, int64_t *ug);
/* The fuel factor (gasoline, diesel); false for another fuel. */
bool eco_fuel_factor(const struct eco_factors *f, const char *fuel, int64_t *ug);

/* One fiscal year's part of a reading and its reduction. */
struct eco_part {
	int32_t fy;
	char from[JP_DATE_LEN + 1], to[JP_DATE_LEN + 1];
	int64_t generated_wh, sold_wh, distance_m, charged_wh, fuel_ml;
	int64_t baseline_g, project_g, reduction_g;
};

/*
 * Split reading r of equipment q at every April 1 inside it and compute
 * each part's reduction: activity data prorated by days (each part but the
 * last floor(value x days / total days), the last the rest, so the parts add
 * up to the reading); solar (EN-R-002) baseline = floor((generated - sold) x
 * grid factor), project 0; EV and PHV baseline = floor(distance / baseline
 * efficiency x fuel factor), project = ceil(charged x grid factor + fuel x
 * fuel factor); reduction = baseline - project.  Floors and ceilings are to
 * whole grams, against the reduction (conservative).  parts holds at least
 * 3 (a reading is at most two years long).  0 with *nparts, or EX_DATAERR
 * with err (no factor for a fiscal year, a reading longer than two years).
 */
int eco_reduction(const struct eco_factors *f, const struct eco_equipment *q, const struct eco_reading *r,
		  struct eco_part *parts, size_t *nparts, struct chobo_error *err);

#endif
