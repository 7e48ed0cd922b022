/*
 * A strict, allocation-free JSON (RFC 8259) validator and tokenizer for the
 * hot paths: checking every entry on append and on audit.  It accepts exactly
 * the documents jansson's strict decoder accepts, and refuses duplicate keys.
 */
#ifndef CHOBO_JSON_SCAN_H
#define CHOBO_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_kind { JSON_K_OBJECT, JSON_K_ARRAY, JSON_K_STRING, JSON_K_NUMBER,
		 JSON_K_TRUE, JSON_K_FALSE, JSON_K_NULL };

struct json_token {
	enum json_kind kind;
	uint32_t start, end;  /* bytes of the value; a string's exclude its quotes */
	uint32_t size;        /* members of an object (key + value pairs) or array elements */
	uint32_t next;        /* index of the first token after this value's subtree */
	bool escaped;         /* a string with backslash escapes */
	bool integer;         /* a number without fraction or exponent */
};

/* Documents are small (entries are at most 64 KiB); objects nest at most this deep. */
#define JSON_SCAN_MAX_DEPTH 32
/* Members of one object: duplicate keys are looked for pairwise. */
#define JSON_SCAN_MAX_MEMBERS 256

struct json_doc {
	const char *text;
	size_t len;
	struct json_token *tok;
	size_t ntok, cap;
};

/* Validate text and tokenize it into doc (whose token array is reused across calls).
 * false with a reason (and byte offset) in err. */
bool json_scan(struct json_doc *doc, const char *text, size_t len, char *err, size_t errlen);
/* Free the token array. */
void json_doc_free(struct json_doc *doc);

/* The value of key in the object at token obj, or -1. */
long jscan_find(const struct json_doc *doc, size_t obj, const char *key);
/* Decode the string at token t into out (cap bytes, NUL-terminated); false if it does not fit. */
bool jscan_string_copy(const struct json_doc *doc, size_t t, char *out, size_t cap);
/* Decoded length in bytes of the string at token t; *has_nul set when it contains U+0000. */
size_t jscan_string_bytes(const struct json_doc *doc, size_t t, bool *has_nul);
/* True when the string at token t decodes to exactly s. */
bool jscan_string_equals(const struct json_doc *doc, size_t t, const char *s);
/* The integer at token t; false when it is not an integer or does not fit in int64. */
bool jscan_integer(const struct json_doc *doc, size_t t, int64_t *out);

#endif
