/* Ledger entries: the envelope chain-append adds, and the registry of entry types. */
#ifndef CHOBO_ENTRY_H
#define CHOBO_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_scan.h"

enum field_kind {
	FIELD_STRING,   /* UTF-8 string, 1..max_len bytes */
	FIELD_UINT,     /* integer >= 0 */
	FIELD_INT,      /* any integer */
	FIELD_BOOL,
	FIELD_TIME,     /* RFC 3339 time */
	FIELD_SHA256,   /* 64 lowercase hex digits */
	FIELD_REF,      /* a leaf hash of another entry: 64 lowercase hex digits */
	FIELD_ARRAY,    /* a JSON array; the type's check judges its elements */
};

struct field_spec {
	const char *name;
	enum field_kind kind;
	bool required;
	size_t max_len;   /* FIELD_STRING only */
	bool indexed;     /* entries are found by this field's value (entry_index.h) */
};

/* An entry type: its name, its body's fields, and an optional extra rule. */
struct entry_type {
	const char *name;
	const char *summary;
	const struct field_spec *fields;  /* terminated by a NULL name */
	/* Cross-field rule over the body object at token body; a reason in err when violated. */
	bool (*check)(const struct json_doc *doc, size_t body, char *err, size_t errlen);
	/*
	 * Body fields that may hold a site's public name although their names
	 * look like personal data (the guard of chobo(7), PERSONAL DATA);
	 * terminated by NULL, or NULL for none.  Their values are still checked.
	 */
	const char *const *public_names;
};

/* The registered type called name (see service.h), or NULL. */
const struct entry_type *entry_type_find(const char *name);

/* Check the body at token body of doc against its type's schema; false with a reason in err. */
bool entry_body_check(const struct entry_type *t, const struct json_doc *doc, size_t body,
		      char *err, size_t errlen);

/* A checked chain-append input line: {"type":..., "body":{...}}. */
struct entry_input {
	const struct entry_type *type;
	const char *body;  /* the body's bytes exactly as given, inside the input line */
	size_t body_len;
};

/* Validate one input line (doc is scratch space reused across calls); false with a reason in err. */
bool entry_input_parse(const char *line, size_t len, struct json_doc *doc,
		       struct entry_input *in, char *err, size_t errlen);

/*
 * The stored entry: {"log":origin,"index":n,"time":t,"type":type,"body":body},
 * written into *buf (grown with xrealloc as needed); returns its length.
 * With test_clock (t came from CHOBO_NOW on a ledger made for testing),
 * "clock":"test" follows the time, so that the entry says its time is not
 * the clock's.
 */
size_t entry_envelope_into(char **buf, size_t *cap, const char *origin, uint64_t index,
			   const char *time, bool test_clock, const char *type, const char *body,
			   size_t body_len);

/* The fields of a stored entry after entry_parse(); tokens index into the doc given. */
struct entry_view {
	uint64_t index;
	int64_t time_sec;
	bool test_clock;         /* "clock":"test": the time was set by CHOBO_NOW */
	const struct entry_type *type;
	size_t body;             /* token of the body object */
};

/*
 * Parse and check stored entry bytes: envelope shape, that log and index are
 * the expected ones (expect_log may be NULL to skip), a registered type, and
 * its body schema.  doc is scratch space reused across calls.  false with a
 * reason in err.
 */
bool entry_parse(const char *bytes, size_t len, const char *expect_log, uint64_t expect_index,
		 struct json_doc *doc, struct entry_view *out, char *err, size_t errlen);

#endif
