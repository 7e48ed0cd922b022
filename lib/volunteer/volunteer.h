/*
 * The volunteer service (domain.md §C, §F): registered volunteers and their
 * signed registration certificates, postings of facilities (or of the
 * municipality on a resident's behalf), applications, assignments,
 * activities whose start and end the host confirms, reports, the
 * municipality's approvals, and the contribution points granted for them
 * through the points module (scheme "volunteer").
 *
 *   volunteer.c   entry types, the volunteer.registry view, the rules of appends
 *   records.c     records (options, JSON Lines, CSV) into entry bodies; the points rules of chobo.conf
 *   events.c      events for mail, derived from the view
 *
 * A volunteer is named only by a pseudonymous ID (chain-private); skills and
 * languages are free tags ("light-bulb,carrying"); a posting's place is a
 * district only.  No name, address or mail ever reaches the ledger.
 *
 * The rules (volunteer.registry applies them in the merge order and records
 * a refused entry under refused/LEAF; an append whose entry they refuse
 * fails with the reason, EX_DATAERR):
 *  - a volunteer registers on its home node (body.home is the log's origin),
 *    once per fiscal year (annual re-registration), later years on the same node;
 *  - a certificate is issued by the home node for a fiscal year the
 *    volunteer is registered for; it is revoked by a core revoke entry of
 *    the issuing log (cert-revoke, or volunteer-issue revoke);
 *  - a posting's code is new, its end not before its start, for 1 or more people;
 *  - an application names a posting and a registered volunteer, once; an
 *    assignment names an application, once, and at most the posting's
 *    number of people are assigned;
 *  - an activity starts (step start) for an assignment, with the leaf hash
 *    of a certificate of that volunteer, not revoked, whose validity holds
 *    the start; it ends (step end) once, not before its start; a host may
 *    decline it (step decline) before it ends: it stays on the ledger,
 *    marked declined; a step's time (body.at) is not after its entry's;
 *  - a report names an ended activity, once; an approval names a reported
 *    activity, once, on the volunteer's home node (so points are granted
 *    there only), with units no more than the activity's (whole hours, or 1
 *    per activity), the day's units within max_units_day and the fiscal
 *    year's points within cap_fy, as the approval states them (from the
 *    home node's chobo.conf).
 *  - An activity counts on the JST day, and in the fiscal year, in which it
 *    ended, when the host confirmed the hours done: one that crosses
 *    midnight on March 31 counts on April 1, in the new fiscal year.
 *  - volunteer-issue asks more of what it appends than these rules, which
 *    entries recorded before it did are judged by: a start within its
 *    posting's time (volunteer_start_check), and an approval of the hours
 *    within it (volunteer_activity_counted).
 *
 * volunteer.registry keys:
 *   vol/P                 the volunteer: home, first and last fiscal year, skills, languages
 *   reg/P/FY              the registration for a fiscal year (its entry's leaf, log, index, time)
 *   cert/LEAF             a certificate: volunteer, fy, validity, revoked
 *   certat/ORIGIN/INDEX   the leaf of the certificate at that position (what a payload names)
 *   post/CODE             a posting (its entry's leaf), and how many are assigned
 *   app/CODE/P, asg/CODE/P   an application, an assignment (their entries' leaf, log, index, time)
 *   act/ID                an activity: posting, volunteer, host, state, times, units, points
 *   step/ID/STEP          the entry of activity ID's start, end or decline (leaf, log, index, time)
 *   report/ID             the report of activity ID (its entry)
 *   grant/ID              the approval of activity ID (its entry), the units and points granted
 *   day/P/DATE, fy/P/FY   units approved on a day, points approved in a fiscal year
 *   refused/LEAF          why an entry was refused
 */
#ifndef CHOBO_VOLUNTEER_H
#define CHOBO_VOLUNTEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "chobo_conf.h"
#include "jp_date.h"
#include "note.h"
#include "private_store.h"
#include "service.h"
#include "supply/events.h"
#include "view.h"

#define VOLUNTEER_SCHEME "volunteer"
#define VOLUNTEER_CODE_MAX 32     /* posting codes, activity IDs, hosts: [A-Za-z0-9._-] */
#define VOLUNTEER_TAGS_MAX 200    /* skills, languages: comma-separated tags */
#define VOLUNTEER_TEXT_MAX 200    /* a posting's task, a report's note */
#define VOLUNTEER_CERT_KIND "volunteer.certificate"

struct ledger;
struct batch_written;

extern const struct service volunteer_service;
extern const struct view_spec volunteer_registry_view;

int volunteer_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err);

/* True when s is a code (posting, activity, host): 1 to 32 of A-Z a-z 0-9 . _ - */
bool volunteer_code_valid(const char *s);
/* True when tag is one of the comma-separated tags in list. */
bool volunteer_tags_have(const char *list, const char *tag);
/*
 * volunteer_tags_have of list as volunteer_tags_ascii would have it written:
 * a search's match, which finds the tags of a registration stored before
 * that rule (full-width letters, half-width katakana, 、 between tags).
 */
bool volunteer_tags_found(const char *list, const char *tag);
/* True when the comma-separated tags a and b are the same set, in any order. */
bool volunteer_tags_same(const char *a, const char *b);
/*
 * True unless the tags s of member name hold full-width Latin letters,
 * digits or signs (U+FF01 to U+FF5E), which look like a-z 0-9 but are not
 * them, half-width katakana (U+FF61 to U+FF9F), which are other code
 * points than the full-width kana a search types, or a separator an IME
 * types between words (U+3001 、, U+FF0C ，, U+3000 the ideographic space),
 * which joins two tags into one: a search would never find them.  False
 * with a reason naming the member and what to write instead (the tags
 * separated by single commas).
 */
bool volunteer_tags_ascii(const char *name, const char *s, char *why, size_t whylen);

struct volunteer_activity {
	char id[VOLUNTEER_CODE_MAX + 1], posting[VOLUNTEER_CODE_MAX + 1], volunteer[PERSON_ID_TEXT + 1];
	char host[VOLUNTEER_CODE_MAX + 1], kind[VOLUNTEER_CODE_MAX + 1], state[16];
	char start[21], end[21], certificate[65];
	bool reported;
	int64_t units, points;
};

struct volunteer_cert {
	char leaf[65], volunteer[PERSON_ID_TEXT + 1], origin[NOTE_MAX_NAME + 1];
	int64_t fy, from_t, to_t;   /* validity: first and last second (UTC) */
	bool revoked;
};

/* Stored values of the registry: 0, EX_UNAVAILABLE when absent, else an error. */
int volunteer_activity_get(struct view_state *s, const char *id, struct volunteer_activity *out,
			   struct chobo_error *err);
/* Parse the stored value of activity id; false when it is not one. */
bool volunteer_activity_parse(const char *id, const char *value, size_t len, struct volunteer_activity *out);
int volunteer_cert_get(struct view_state *s, const char *leaf, struct volunteer_cert *out, struct chobo_error *err);
/*
 * The leaf hashes of volunteer's certificates for fiscal year fy that are
 * not revoked, in leaves (at most max; *n of them), from the registry
 * brought up to date; 0 or an error.
 */
int volunteer_certs_standing(struct ledger *l, const char *volunteer, int64_t fy, char (*leaves)[65], size_t max,
			     size_t *n, struct chobo_error *err);
/* The leaf hash of the certificate recorded at (origin, index) into leaf: 0, EX_UNAVAILABLE, or an error. */
int volunteer_cert_at(struct view_state *s, const char *origin, uint64_t index, char leaf[65],
		      struct chobo_error *err);
/*
 * Whether the start record body (posting, at) comes within its posting's
 * time: not before the JST day of its from (a volunteer may come early;
 * that time counts for nothing) and not after its to.  0, or EX_DATAERR
 * with err naming both times.  volunteer-issue checks it before a start is
 * appended; the registry's rules do not, so that entries recorded before
 * the check existed derive as they did.
 */
int volunteer_start_check(struct view_state *s, const json_t *body, struct chobo_error *err);
/*
 * The part of activity a (started and ended) that counts: its start and end
 * within its posting's from and to, into *from and *to (*to == *from when
 * nothing of it lies inside).  Hours before or after the posting's time
 * earn nothing, however long the host let a volunteer stay.  0 or an error.
 */
int volunteer_activity_counted(struct view_state *s, const struct volunteer_activity *a, int64_t *from, int64_t *to,
			       struct chobo_error *err);
/* A stored value at key parsed as a JSON object: 0, EX_UNAVAILABLE, or an error. */
int volunteer_get_json(struct view_state *s, const char *key, json_t **out, struct chobo_error *err);

/* The certificate's validity for fiscal year fy: JST April 1 00:00 to March 31 23:59:59, in UTC seconds. */
void volunteer_fy_validity(int32_t fy, int64_t *from, int64_t *to);

/* ------------------------------------------------------------ records.c */

/* The points rules of a node's chobo.conf (volunteer.* settings; volunteer-issue(1)). */
struct volunteer_rules {
	bool per_hour;               /* volunteer.unit: hour, or activity */
	int64_t points_per_unit, max_units_day, cap_fy, yen_per_point, expiry_days;
	bool carry_over;             /* volunteer.carry_over yes: points outlive their fiscal year */
	int64_t carry_max;           /* volunteer.carry_over N: up to N points carry into the next one */
};

/* The rules from c: 0, or EX_CONFIG with err. */
int volunteer_rules_read(const struct ledger_config *c, struct volunteer_rules *out, struct chobo_error *err);

/* The verbs that append one entry per record, and the entry type each makes. */
enum volunteer_verb {
	VOL_REGISTER, VOL_CERTIFY, VOL_REVOKE, VOL_POST, VOL_APPLY, VOL_ASSIGN, VOL_START, VOL_END,
	VOL_DECLINE, VOL_REPORT, VOL_APPROVE, VOL_NVERBS
};
/* The verb named s into *v; false when none. */
bool volunteer_verb_parse(const char *s, enum volunteer_verb *v);
const char *volunteer_verb_name(enum volunteer_verb v);

/*
 * The body of verb's entry from record o (members as volunteer-issue(1)
 * names them, strings or numbers), into a new object *body with the entry
 * type in *type: only the members the verb takes, times as RFC 3339 UTC;
 * the fiscal year and times not given are those of now, a registration's
 * home is origin.  approve's body holds the activity alone (the caller adds
 * the units and points).  false with the reason in why (a missing, unknown or malformed member).
 * The rules of the registry are not applied here.
 */
bool volunteer_record_body(enum volunteer_verb v, json_t *o, int64_t now, const char *origin, const char **type,
			   json_t **body, char *why, size_t whylen);

/*
 * (volunteer.c) The registry key whose value names (by its member "leaf") the entry that
 * did the work of verb v's body already: a volunteer's registration for a
 * fiscal year, a posting, an application or assignment, an activity's
 * start, end or decline, its report, its approval.  So a record given
 * again can be found done.  false for the verbs whose work may be done
 * again (certify issues another card; revokes are the core's) or when key
 * (cap bytes) is too short.
 */
bool volunteer_work_key(enum volunteer_verb v, const json_t *body, char *key, size_t cap);
/* What verb v's body does, for a message ("the end of activity A-1", "posting Y-1"), into out. */
void volunteer_work_name(enum volunteer_verb v, const json_t *body, char *out, size_t cap);

/* The units an activity from start to end earns before the caps (whole hours, or 1). */
int64_t volunteer_units(const struct volunteer_rules *r, int64_t start, int64_t end);

/* ------------------------------------------------------------ events.c */

/* The event names, in their order among the events of one entry (volunteer-issue(1), EVENTS). */
#define VOLUNTEER_EVENT_NAMES "registered", "assigned", "reminder", "granted"

/*
 * Bring the views of the open ledger l up to date and derive its volunteer
 * events into out, sorted as supply events are (free with
 * supply_events_free, also after a failure): the read function of a
 * supply_feed.  Reminders are for postings that start the JST day after
 * now (CHOBO_NOW).  0 or an exit code with err.
 */
int volunteer_events_read(struct ledger *l, struct supply_events *out, struct chobo_error *err);

#endif
