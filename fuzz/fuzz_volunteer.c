/*
 * libFuzzer harness: volunteer-issue's records (lib/records.c,
 * lib/volunteer/records.c).
 *
 * The input is a records file, JSON Lines or CSV (told apart as
 * volunteer-issue tells them), whose first byte picks the verb.  Every
 * record is made into the verb's entry body; what is made must be an object
 * holding only members the entry type knows, with RFC 3339 UTC times that
 * parse back to themselves and, for a certificate, validity dates of one
 * whole fiscal year; no value but a free text (task, note, reason) with a
 * blank at either end, and tags that volunteer_tags_ascii takes; any text
 * read as stored tags by a search (volunteer_tags_found) without a fault.  The
 * spelling records_end_blank gives for a value has no blank left at
 * either end.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "volunteer/volunteer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A time member, when present, is "YYYY-MM-DDTHH:MM:SSZ" and parses to the same text. */
static void check_time(json_t *body, const char *name)
{
	const char *s = json_string_value(json_object_get(body, name));
	int64_t t;
	char again[21];
	if (!json_object_get(body, name))
		return;
	if (!s || strlen(s) != 20 || !time_parse(s, &t))
		abort();
	time_format(again, t);
	if (strcmp(again, s) != 0)
		abort();
}

/* s without its end blanks (records_end_blank) has none; NULL s: nothing to check. */
static void check_end_blank(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *fix = s ? malloc(n + 1) : NULL, again[8];
	if (!fix)
		return;
	/* fix has room for all of s: what is cut to fit may end with a blank. */
	if (records_end_blank(s, fix, n + 1) && (strlen(fix) >= n || records_end_blank(fix, again, sizeof again)))
		abort();
	free(fix);
}

/* The made body's values: as given, but not a blank at the ends or tags no search would find. */
static void check_values(json_t *body)
{
	const char *key;
	json_t *value;
	char fix[8], why[1024];
	json_object_foreach(body, key, value) {
		const char *s = json_string_value(value);
		if (!s || strcmp(key, "task") == 0 || strcmp(key, "note") == 0 || strcmp(key, "reason") == 0)
			continue;
		if (records_end_blank(s, fix, sizeof fix))
			abort();
		if ((strcmp(key, "skills") == 0 || strcmp(key, "languages") == 0) &&
		    !volunteer_tags_ascii(key, s, why, sizeof why))
			abort();
	}
}

/*
 * Any text, as a registration stored before the tag rules may hold it, is
 * read by a search without a fault; one that volunteer_tags_ascii takes is
 * read as it is written.
 */
static void check_search(const char *s)
{
	char first[VOLUNTEER_TAGS_MAX + 1], why[1024];
	if (!s)
		return;
	size_t n = strcspn(s, ",");
	if (n > VOLUNTEER_TAGS_MAX)
		n = VOLUNTEER_TAGS_MAX;
	memcpy(first, s, n);
	first[n] = '\0';
	bool found = volunteer_tags_found(s, first);
	if (n > 0 && volunteer_tags_ascii("fuzz", s, why, sizeof why) && found != volunteer_tags_have(s, first))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum volunteer_verb v = (enum volunteer_verb)(data[0] % VOL_NVERBS);
	struct records l = {0};
	char err[1024], *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);   /* exact size: a read past the end is caught */
	(void)records_parse(&l, text, size - 1, "fuzz", RECORDS_DETECT, NULL, err, sizeof err);
	for (size_t i = 0; i < l.n; i++) {
		const char *type;
		json_t *body;
		char why[1024];
		const char *k;
		json_t *m;
		json_object_foreach(l.rec[i].o, k, m) {
			check_end_blank(json_string_value(m));
			check_search(json_string_value(m));
		}
		if (!volunteer_record_body(v, l.rec[i].o, 1780000000, "fuzz.example/node", &type, &body, why, sizeof why))
			continue;
		if (!json_is_object(body) || !type || !type[0])
			abort();
		check_time(body, "from");
		check_time(body, "to");
		check_time(body, "at");
		check_time(body, "expires");
		check_values(body);
		if (v == VOL_CERTIFY) {
			int64_t from, to, fy = json_integer_value(json_object_get(body, "fy"));
			if (!jp_date_parse(json_string_value(json_object_get(body, "valid_from")), &from) ||
			    !jp_date_parse(json_string_value(json_object_get(body, "valid_to")), &to) ||
			    from != jp_fiscal_year_start((int32_t)fy) || to + 1 != jp_fiscal_year_start((int32_t)fy + 1))
				abort();
		}
		json_decref(body);
	}
	records_free(&l);
	free(text);
	return 0;
}
