/*
 * Stored entries as another node's log brings them (entry_parse, which
 * import and chain-verify apply): the bounds of each type's body that keep
 * the views' sums from wrapping hold there too, not only when an entry is
 * appended here.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "json_scan.h"
#include "tap.h"

#define REF "\"0000000000000000000000000000000000000000000000000000000000000001\""

/* Whether the stored entry with this type and body parses; its reason in why. */
static bool stored(const char *type, const char *body, char *why, size_t whylen)
{
	char bytes[1024];
	struct json_doc doc = {0};
	struct entry_view v;
	int n = snprintf(bytes, sizeof bytes,
			 "{\"log\":\"tama.example/a\",\"index\":7,\"time\":\"2026-06-01T00:00:00Z\","
			 "\"type\":\"%s\",\"body\":%s}", type, body);
	why[0] = '\0';
	bool parsed = entry_parse(bytes, (size_t)n, "tama.example/a", 7, &doc, &v, why, whylen);
	json_doc_free(&doc);
	return parsed;
}

static void quantity_bound(const char *type, const char *fields, const char *least)
{
	char body[512], why[256];
	snprintf(body, sizeof body, "{%s,\"quantity\":1000000000}", fields);
	ok(stored(type, body, why, sizeof why), "%s with quantity 1,000,000,000 is accepted (%s)", type, why);
	snprintf(body, sizeof body, "{%s,\"quantity\":1000000001}", fields);
	ok(!stored(type, body, why, sizeof why) && strstr(why, "above the largest allowed, 1000000000"),
	   "%s with quantity 1,000,000,001 is refused as stored (%s)", type, why);
	snprintf(body, sizeof body, "{%s,\"quantity\":9223372036854775807}", fields);
	ok(!stored(type, body, why, sizeof why), "%s with quantity INT64_MAX is refused as stored (%s)", type, why);
	snprintf(body, sizeof body, "{%s,\"quantity\":%s}", fields, least);
	ok(stored(type, body, why, sizeof why), "%s with quantity %s is accepted (%s)", type, least, why);
}

int main(void)
{
	char why[256];
	quantity_bound("supply.need",
		       "\"site\":\"S-001\",\"item\":\"water-2l\",\"unit\":\"本\"", "1");
	quantity_bound("supply.offer",
		       "\"firm\":\"多摩物産\",\"item\":\"water-2l\",\"unit\":\"本\"", "1");
	quantity_bound("supply.request", "\"offer\":" REF ",\"site\":\"S-001\"", "1");
	quantity_bound("supply.shipment", "\"request\":" REF ",\"box\":1", "1");
	quantity_bound("supply.receipt", "\"shipment\":" REF, "0");
	ok(!stored("supply.need", "{\"site\":\"S-001\",\"item\":\"water-2l\",\"unit\":\"本\",\"quantity\":0}", why,
		   sizeof why) && strstr(why, "at least 1"),
	   "a need for nothing is refused as stored (%s)", why);
	return done();
}
