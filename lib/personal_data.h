/*
 * The guard that keeps personal data off the ledger (DESIGN §6): a pure
 * check, run on every body that chain-append takes and chain-verify reads,
 * for text that looks like a mail address, a phone number, a postal code with
 * an address or a resident number (My Number), and for field names that say
 * they hold such data.  The patterns, and the false positives and negatives
 * accepted, are documented in chobo(7), PERSONAL DATA.  Reasons name where
 * the data is, never the data itself.
 */
#ifndef CHOBO_PERSONAL_DATA_H
#define CHOBO_PERSONAL_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include "entry.h"
#include "json_scan.h"

/*
 * Look through every key and string value under the object at token body
 * (nested objects and arrays included).  True when something looks like
 * personal data, with the reason in why: where, as a path such as
 * body.items[2].note, and what it looks like ("body.text: looks like a
 * phone number").  The top-level fields that t->public_names lists (t may
 * be NULL) are exempt from the field-name rule only.
 */
bool personal_data_find(const struct json_doc *doc, size_t body, const struct entry_type *t,
			char *why, size_t whylen);

/* What the UTF-8 text s (len bytes) looks like ("a mail address", ...), or NULL. */
const char *personal_data_in_text(const char *s, size_t len);

/* The personal-data word that the field name key (len bytes) is made of, or NULL. */
const char *personal_data_field_word(const char *key, size_t len);

#endif
