/*
 * The J-Credit programme-type monitoring report (domain.md §A, §F): for a
 * period, one row per member and device with the methodology, the activity
 * data, baseline, project emissions and reduction summed over the parts of
 * readings (eco.registry part/ keys) whose last day lies in the period; the
 * findings (a member above 500 t-CO2 in a fiscal year, equipment registered
 * twice or in another scheme: their rows are not eligible); totals per
 * methodology of the eligible rows; and the credits, whole t-CO2 rounded
 * down from the eligible reduction plus the remainder carried by the last
 * certification before the period, the rest carried on.
 *
 * A report is a list of records (JSON objects with a "record" member:
 * report, log, row, finding, total, credits), written as JSON Lines or as
 * one CSV table of every record's columns (jcredit_columns), and read back
 * from either for --check.  Built from the views and the checkpoints held
 * only, so that two nodes holding the same entries build the same bytes.
 * Every row names its log, the leaf indexes of its readings (an eco.reading
 * carries its parts and their reductions) and the tree size of the log's checkpoint it is built on (the log
 * records give each checkpoint's root hash).
 */
#ifndef CHOBO_ECO_REPORT_H
#define CHOBO_ECO_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "jp_date.h"
#include "note.h"
#include "util.h"

struct ledger;

#define JCREDIT_MEMBER_MAX_G 500000000LL      /* 500 t-CO2 a year, in grams (domain.md §A2) */
#define JCREDIT_MAX_PRICE 100000000LL          /* yen per t-CO2 */
#define JCREDIT_MAX_LOGS 256                   /* logs a report may cite */

/* A log's checkpoint that the report is built on. */
struct jcredit_cut {
	char origin[NOTE_MAX_NAME + 1];
	uint64_t size;
	char root[65];   /* hex */
};

struct jcredit_request {
	int64_t from_day, to_day;
	const char *certification_start;   /* eco.certification_start */
	bool priced;
	int64_t price;                     /* yen per t-CO2 */
	/* Build on these checkpoints, and on no other log, instead of the latest of every log held (for --check); NULL: the latest. */
	const struct jcredit_cut *cuts;
	size_t ncuts;
};

struct jcredit_report {
	json_t **rec;
	size_t n, cap;
	size_t findings;
	int64_t credits_t, carried_g, available_g;
	char overlap[48];   /* a certified report's period within this one ("FROM to TO"), or "" */
	/* Built on asked checkpoints: a log held with readings of the period that was not asked for, or "". */
	char uncited[NOTE_MAX_NAME + 1];
};

/*
 * Build the report for r from the ledger l (its views current): 0, or
 * EX_DATAERR with err when the period is not inside the certification
 * period (at most 8 years from its start, never after 2031-03-31), EX_CONFIG
 * when that start is not set, or another code.
 */
int jcredit_build(struct ledger *l, const struct jcredit_request *r, struct jcredit_report *out,
		  struct chobo_error *err);
void jcredit_report_free(struct jcredit_report *rep);

/* The CSV columns, in order, NULL-terminated: every member any record has. */
extern const char *const jcredit_columns[];

/* Write the report as JSON Lines, or as CSV (CRLF, a UTF-8 BOM first when bom); false on a write error. */
/*
 * The certifications that count, in period order: each period as "FROM to
 * TO" with its first and last days, the certification's leaf hash and the
 * remainder it carried, into *periods (newly allocated, *n of them; free
 * it), from the registry (its views current); 0 or an error.
 */
struct jcredit_period {
	int64_t from_day, to_day;
	char text[2 * JP_DATE_LEN + 5];
	char leaf[65];
	int64_t carried_g;
};
int jcredit_certified_periods(struct ledger *l, struct jcredit_period **periods, size_t *n,
			      struct chobo_error *err);
bool jcredit_write_jsonl(FILE *out, const struct jcredit_report *rep);
bool jcredit_write_csv(FILE *out, const struct jcredit_report *rep, bool bom);

/*
 * A report read back (JSON Lines or CSV, as written above): its records,
 * each member as text (integers in decimal, arrays of integers joined by
 * spaces), and what a rebuild needs: the period, the price and the
 * checkpoints of its log records.
 */
struct jcredit_parsed {
	json_t **rec;   /* objects of strings */
	size_t n;
	int64_t from_day, to_day;
	bool priced;
	int64_t price;
	struct jcredit_cut cuts[JCREDIT_MAX_LOGS];
	size_t ncuts;
};

/*
 * Parse a report text (len bytes, from name): false with "name:line:
 * reason" in err when it is not one (a record of an unknown kind or with a
 * value that is neither text, an integer nor a list of integers; no report
 * record, or one without a valid period; a log record without its
 * checkpoint; more than JCREDIT_MAX_LOGS logs).
 */
bool jcredit_parse(const char *text, size_t len, const char *name, struct jcredit_parsed *out, char *err,
		   size_t errlen);
void jcredit_parsed_free(struct jcredit_parsed *p);

/* A record's label for messages: "row 3 (member p-..., equipment PV-1)", "total EV", "credits". */
void jcredit_label(const json_t *rec, char *out, size_t cap);

/*
 * Compare a built record with the record read back at its place: true when
 * every member has the same text in both; else false with the first member
 * that differs in field, its text in the report (got) and on the ledger (want).
 */
bool jcredit_record_equal(const json_t *built, const json_t *read, char *field, size_t fcap, char *want,
			  char *got, size_t cap);

/* The text of member name of a record as parse and compare see it ("" when absent; false if not text). */
bool jcredit_text(const json_t *rec, const char *name, char *out, size_t cap);

#endif
