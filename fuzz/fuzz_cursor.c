/*
 * libFuzzer harness: the supply-events cursor file (lib/supply/events.c).
 *
 * The input is the text of a cursor file.  What parses must format to a
 * text that parses again to the same cursor, byte for byte when formatted
 * once more.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supply/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct supply_cursor c, again;
	char err[256];
	if (!supply_cursor_parse((const char *)data, size, &c, err, sizeof err)) {
		supply_cursor_free(&c);
		return 0;
	}
	struct view_text t = {0}, u = {0};
	supply_cursor_format(&c, &t);
	if (!supply_cursor_parse(t.p, t.len, &again, err, sizeof err))
		abort();
	supply_cursor_format(&again, &u);
	if (t.len != u.len || memcmp(t.p, u.p, t.len) != 0 || again.nlogs != c.nlogs || again.nseen != c.nseen)
		abort();
	view_text_free(&t);
	view_text_free(&u);
	supply_cursor_free(&c);
	supply_cursor_free(&again);
	return 0;
}
