/* Ledger entries: the envelope chain-append adds, and the registry of entry types. */
#ifndef CHOBO_ENTRY_H
#define CHOBO_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum field_kind {
	FIELD_STRING,   /* UTF-8 string, 1..max_len bytes */
	FIELD_UINT,     /* integer >= 0 */
	FIELD_INT,      /* any integer */
	FIELD_BOOL,
	FIELD_TIME,     /* RFC 3339 time */
	FIELD_SHA256,   /* 64 lowercase hex digits */
	FIELD_REF,      /* a leaf hash of another entry: 64 lowercase hex digits */
};

struct field_spec {
	const char *name;
	enum field_kind kind;
	bool required;
	size_t max_len;   /* FIELD_STRING only */
};

/* An entry type: its name, its body's fields, and an optional extra rule. */
struct entry_type {
	const char *name;
	const char *summary;
	const struct field_spec *fields;  /* terminated by a NULL name */
	/* Cross-field rule; writes a reason into err and returns false when violated. */
	bool (*check)(const json_t *body, char *err, size_t errlen);
};

/* The registered type called name, or NULL. */
const struct entry_type *entry_type_find(const char *name);
/* All registered types, terminated by a NULL name. */
const struct entry_type *entry_types(void);

/* Check a body against its type's schema; false with a reason in err. */
bool entry_body_check(const struct entry_type *t, const json_t *body, char *err, size_t errlen);

/* A parsed chain-append input line: {"type":..., "body":{...}}. */
struct entry_input {
	const struct entry_type *type;
	char *body;        /* canonical compact JSON of the body, newly allocated */
	size_t body_len;
};

/* Validate one input object; false with a reason in err.  On success in->body is allocated. */
bool entry_input_parse(const json_t *obj, struct entry_input *in, char *err, size_t errlen);

/*
 * The stored entry: {"log":origin,"index":n,"time":t,"type":type,"body":body}.
 * Written into a newly allocated buffer; *len receives its length.
 */
char *entry_envelope(const char *origin, uint64_t index, const char *time,
		     const char *type, const char *body, size_t body_len, size_t *len);

/* The fields of a stored entry after entry_parse(). */
struct entry_view {
	json_t *root;            /* owns everything below; json_decref when done */
	const char *log;
	uint64_t index;
	const char *time;
	int64_t time_sec;
	const char *type;
	json_t *body;
};

/*
 * Parse and check stored entry bytes: envelope shape, that log and index are
 * the expected ones (expect_log may be NULL to skip), a registered type, and
 * its body schema.  false with a reason in err.
 */
bool entry_parse(const char *bytes, size_t len, const char *expect_log, uint64_t expect_index,
		 struct entry_view *out, char *err, size_t errlen);

#endif
