/*
 * Calendar days as Japan counts them: a day is a date in JST (UTC+9, no
 * daylight saving), and the fiscal year (年度) FY N runs from April 1 of N
 * to March 31 of N+1.  Days are numbered from 1970-01-01 (day 0), so that
 * periods are plain integer ranges.
 */
#ifndef CHOBO_JP_DATE_H
#define CHOBO_JP_DATE_H

#include <stdbool.h>
#include <stdint.h>

#define JP_DATE_LEN 10   /* YYYY-MM-DD */

/* The day number of a date YYYY-MM-DD (a real calendar date); false otherwise. */
bool jp_date_parse(const char *s, int64_t *day);
/*
 * What is wrong with s as a date, for a message: NULL when it is one;
 * "no such day" when it has the form YYYY-MM-DD but names no calendar day
 * from 1970 on (2026-04-31, 2026-13-01); else "not a date YYYY-MM-DD".
 */
const char *jp_date_problem(const char *s);
/* True when s is a date YYYY-MM-DD (a real calendar date). */
bool jp_date_valid(const char *s);
/* Write day as YYYY-MM-DD into out[JP_DATE_LEN + 1]. */
void jp_date_format(char out[JP_DATE_LEN + 1], int64_t day);
/* The JST day of an instant (seconds since the epoch, UTC). */
int64_t jp_day_of(int64_t t);
/* The first second of JST day (seconds since the epoch, UTC). */
int64_t jp_day_start(int64_t day);
/* The fiscal year that day falls in. */
int32_t jp_fiscal_year(int64_t day);
/* The day number of April 1 of fiscal year fy. */
int64_t jp_fiscal_year_start(int32_t fy);

#endif
