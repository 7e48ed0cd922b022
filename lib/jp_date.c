/* JST days and Japanese fiscal years. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "jp_date.h"
#include "util.h"

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

bool jp_date_parse(const char *s, int64_t *day)
{
	if (strlen(s) != JP_DATE_LEN || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < JP_DATE_LEN; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int64_t m = (s[5] - '0') * 10 + (s[6] - '0');
	int64_t d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	int64_t z = days_from_civil(y, m, d), cy, cm, cd;
	civil_from_days(z, &cy, &cm, &cd);
	if (cm != m)   /* February 30 and the like */
		return false;
	*day = z;
	return true;
}

const char *jp_date_problem(const char *s)
{
	int64_t day;
	if (jp_date_parse(s, &day))
		return NULL;
	bool shaped = strlen(s) == JP_DATE_LEN && s[4] == '-' && s[7] == '-';
	for (int i = 0; shaped && i < JP_DATE_LEN; i++)
		shaped = i == 4 || i == 7 || (s[i] >= '0' && s[i] <= '9');
	return shaped ? "no such day" : "not a date YYYY-MM-DD";
}

void jp_date_format(char out[JP_DATE_LEN + 1], int64_t day)
{
	int64_t y, m, d;
	char buf[40];
	civil_from_days(day, &y, &m, &d);
	if (y < 0) {
		snprintf(buf, sizeof buf, "%04d-%02d-%02d", (int)(y % 10000), (int)m, (int)d);
		memcpy(out, buf, JP_DATE_LEN);
		out[JP_DATE_LEN] = '\0';
		return;
	}
	/* The usual years by hand, as snprintf would print them (it was 1 % of an ingest). */
	int yy = (int)(y % 10000), mm = (int)m, dd = (int)d;
	out[0] = (char)('0' + yy / 1000);
	out[1] = (char)('0' + yy / 100 % 10);
	out[2] = (char)('0' + yy / 10 % 10);
	out[3] = (char)('0' + yy % 10);
	out[4] = '-';
	out[5] = (char)('0' + mm / 10);
	out[6] = (char)('0' + mm % 10);
	out[7] = '-';
	out[8] = (char)('0' + dd / 10);
	out[9] = (char)('0' + dd % 10);
	out[JP_DATE_LEN] = '\0';
}

int64_t jp_day_of(int64_t t)
{
	int64_t s = t + 9 * 3600;
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

int64_t jp_day_start(int64_t day)
{
	return day * 86400 - 9 * 3600;
}

int32_t jp_fiscal_year(int64_t day)
{
	int64_t y, m, d;
	civil_from_days(day, &y, &m, &d);
	return (int32_t)(m >= 4 ? y : y - 1);
}

int64_t jp_fiscal_year_start(int32_t fy)
{
	return days_from_civil(fy, 4, 1);
}

bool jp_date_valid(const char *s)
{
	int64_t day;
	return jp_date_parse(s, &day);
}
