/*
 * libFuzzer harness: jcredit-export --check's reader of a report
 * (lib/eco/report.c jcredit_parse, over lib/records.c).
 *
 * The input is a report, JSON Lines or CSV.  What parses must hold only
 * known members as text, a period, at most JCREDIT_MAX_LOGS checkpoints and
 * a price in bounds; and written back as JSON Lines and as CSV it must read
 * back to the same records (the writers and the reader agree).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eco/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write p's records with the writer (csv or not) and read them back: they must be the same. */
static void round_trip(const struct jcredit_parsed *p, bool csv)
{
	struct jcredit_report rep = {.rec = p->rec, .n = p->n};
	char *buf = NULL, err[1024], field[64];
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		abort();
	if (!(csv ? jcredit_write_csv(fp, &rep, true) : jcredit_write_jsonl(fp, &rep)))
		abort();
	fclose(fp);
	struct jcredit_parsed q;
	if (!jcredit_parse(buf, len, "again", &q, err, sizeof err) || q.n != p->n)
		abort();
	size_t cap = len + 64;
	char *want = malloc(cap), *got = malloc(cap);
	if (!want || !got)
		abort();
	for (size_t i = 0; i < p->n; i++)
		if (!jcredit_record_equal(p->rec[i], q.rec[i], field, sizeof field, want, got, cap)) {
			fprintf(stderr, "%s round trip: record %zu, %s: %s, read back %s\n", csv ? "CSV" : "JSON", i,
				field, want, got);
			abort();
		}
	if (q.from_day != p->from_day || q.to_day != p->to_day || q.ncuts != p->ncuts || q.priced != p->priced ||
	    q.price != p->price)
		abort();
	free(want);
	free(got);
	jcredit_parsed_free(&q);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jcredit_parsed p;
	char err[1024], *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);   /* exact size: a read past the end is caught */
	if (jcredit_parse(text, size, "fuzz", &p, err, sizeof err)) {
		if (p.n == 0 || p.ncuts > JCREDIT_MAX_LOGS || p.price < 0 || p.price > JCREDIT_MAX_PRICE)
			abort();
		for (size_t i = 0; i < p.n; i++) {
			const char *k;
			json_t *v;
			json_object_foreach(p.rec[i], k, v) {
				size_t c;
				for (c = 0; jcredit_columns[c] && strcmp(jcredit_columns[c], k) != 0; c++)
					;
				if (!jcredit_columns[c] || !json_is_string(v))
					abort();
			}
		}
		for (size_t i = 0; i < p.ncuts; i++)
			if (!p.cuts[i].origin[0])
				abort();
		round_trip(&p, false);
		round_trip(&p, true);
		jcredit_parsed_free(&p);
	}
	free(text);
	return 0;
}
