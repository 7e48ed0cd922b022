/*
 * libFuzzer harness: the CSV reader (lib/csv.c).
 *
 * The input is the text of a CSV file.  Every record it yields must be
 * within the bounds, and every field UTF-8 without NUL; a reader must end
 * with CSV_END or CSV_BAD, never loop.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	char err[256];
	enum csv_status s;
	size_t records = 0;
	csv_init(&r, (const char *)data, size);
	while ((s = csv_next(&r, err, sizeof err)) == CSV_RECORD) {
		if (r.nfields == 0 || r.nfields > CSV_MAX_FIELDS)
			abort();
		size_t bytes = 0;
		for (size_t i = 0; i < r.nfields; i++) {
			size_t n = strlen(r.field[i]);
			if (!utf8_valid((const uint8_t *)r.field[i], n))
				abort();
			bytes += n;
		}
		if (bytes > CSV_MAX_RECORD)
			abort();
		/* Each record consumes at least one byte: the input bounds the records. */
		if (++records > size)
			abort();
	}
	if (s == CSV_BAD && err[0] == '\0')
		abort();
	csv_free(&r);
	return 0;
}
