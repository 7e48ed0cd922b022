/*
 * Auditing a log as a stream: entries in index order, each signed checkpoint
 * checked against the tree recomputed so far.  chain-verify drives it over a
 * ledger's store or a bundle; chain-import over a bundle before storing it.
 * Memory stays O(log n).
 */
#ifndef CHOBO_AUDIT_H
#define CHOBO_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "checkpoint.h"
#include "entry.h"
#include "json_scan.h"
#include "keys.h"
#include "merkle.h"
#include "progress.h"

/* The first problem found: where ("entry", "checkpoint", "hashes", "log", "ledger", "bundle"), and why. */
struct audit_problem {
	bool found;
	char log[NOTE_MAX_NAME + 1];
	const char *where;
	uint64_t at;
	char reason[300];
	bool tables;    /* the tables disagree on what a log holds (audit_tables_disagree) */
};

struct audit {
	const struct trust *trust;
	const struct checkpoint *against;   /* a checkpoint the auditor kept, or NULL */
	bool against_seen;
	struct progress progress;           /* entries audited, on a terminal (progress_start) */
	unsigned quorum;                    /* cosigners the newest checkpoints need (0: none) */
	bool check_index;                   /* also check the leaf-hash index, entry by entry */
	uint64_t entries, checkpoints, logs;
	bool hash_differs;                  /* a stored interior hash differs from the recomputed one */
	uint64_t hash_differs_at;
	/* The entry audit_entry checked last: the next of that log must not be earlier. */
	char time_log[NOTE_MAX_NAME + 1];
	uint64_t time_next;
	int64_t time_last;
	struct json_doc doc;
	struct audit_problem p;
};

/*
 * How much later than a trusted witness's cosignature of a checkpoint the
 * entries it includes may claim to be (clocks differ a little), in seconds;
 * documented in chain-verify(1).
 */
#define AUDIT_COSIGNED_TIME_TOLERANCE 300

/* Record the first problem; returns 1. */
int audit_problem(struct audit *a, const char *log, const char *where, uint64_t at,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Record the first problem when it is that the store's tables disagree on
 * what a log holds (a record missing from one of them, sizes that differ),
 * as in files copied at different moments, rather than bad content; returns 1.
 */
int audit_tables_disagree(struct audit *a, const char *log, const char *where, uint64_t at,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Check a signed checkpoint of origin at size == stack->size, and that the
 * entry before it (whose time audit_entry or audit_entry_time noted) claims
 * no time later than a trusted witness's cosignature of it (within
 * AUDIT_COSIGNED_TIME_TOLERANCE); 0, or 1 after audit_problem.
 */
int audit_checkpoint(struct audit *a, const char *origin, uint64_t size, const char *note,
		     size_t len, const struct merkle_stack *stack);
/* Check that a log's newest checkpoint carries a->quorum trusted witnesses' cosignatures; 0 or 1. */
int audit_quorum(struct audit *a, const char *origin, uint64_t size, const char *note, size_t len);
/* If the auditor's --against checkpoint is at this size, check it; 0 or 1. */
int audit_against(struct audit *a, const char *origin, const struct merkle_stack *stack);
/*
 * Check the entry at index stack->size (envelope, schema, a time no earlier
 * than the previous entry's when that one was checked just before) and push its leaf;
 * the interior hashes it completes go to formed.  Returns how many, or -1
 * after audit_problem.
 */
int audit_entry(struct audit *a, const char *origin, const void *data, size_t len,
		struct merkle_stack *stack, uint8_t formed[64][32]);
/* Note the time of entry index of origin (its bytes) for the next checkpoint's check; a malformed one gives none. */
void audit_entry_time(struct audit *a, const char *origin, uint64_t index, const void *data, size_t len);
/* Push an entry's leaf without checking it (see audit_checker); returns how many hashes it completes. */
unsigned audit_entry_push(struct audit *a, const void *data, size_t len, struct merkle_stack *stack,
			  uint8_t formed[64][32]);

/*
 * Entry checks (envelope and schema) on a second thread, in batches, while
 * the caller hashes the same entries: an audit then runs at the speed of the
 * slower half instead of the sum.
 */
struct audit_checker;
/* Start checking entries of origin for a. */
struct audit_checker *audit_checker_start(struct audit *a, const char *origin);
/*
 * What an accepted entry is, handed back on the caller's thread: its index,
 * bytes, type and time.  Returns 0, or 1 after audit_problem to stop.
 */
typedef int audit_accepted_fn(void *ctx, uint64_t index, const void *data, size_t len,
			      const struct entry_type *type, int64_t time);
/*
 * audit_checker_start, and every entry a batch accepts is handed to fn, in
 * index order, from audit_checker_add (a batch or two behind) and
 * audit_checker_finish; a batch with a problem hands back none.  The time
 * order starts from the last entry a noted for origin (audit_entry_time),
 * when that is the entry before the first one added.
 */
struct audit_checker *audit_checker_start_kept(struct audit *a, const char *origin, audit_accepted_fn *fn,
					       void *ctx);
/* Queue a copy of the entry at index (indexes must be consecutive). */
void audit_checker_add(struct audit_checker *c, uint64_t index, const void *data, size_t len);
/* True once a checked batch has shown a problem, or fn stopped (the caller may stop early). */
bool audit_checker_failed(const struct audit_checker *c);
/* Check what is queued, wait, and record the earliest problem in a (the earlier of its and a's). Frees c. */
void audit_checker_finish(struct audit_checker *c);

/*
 * A walk over a bundle's records with the checks every reader of bundles
 * makes: a section is a valid log record, then its tree state, then entries
 * and checkpoints; every checkpoint is signed over the tree so far
 * (audit_checkpoint) and every section ends on one.  What a reader does
 * besides goes into the callbacks, any of which may be NULL; each returns
 * 0, or 1 after audit_problem, which ends the walk.
 */
struct bundle_walk {
	struct audit *a;
	void *ctx;                                        /* the caller's */
	int (*on_log)(struct bundle_walk *w);              /* a section starts: origin is set */
	int (*on_stack)(struct bundle_walk *w);            /* stack holds the section's first tree */
	/* The entry at index stack.size; a callback checks and pushes it (audit_entry), NULL: audit_entry. */
	int (*on_entry)(struct bundle_walk *w, const uint8_t *data, size_t len);
	int (*on_checkpoint)(struct bundle_walk *w, const char *note, size_t len);  /* verified, at stack.size */
	int (*on_section_end)(struct bundle_walk *w);      /* the section ended on a signed checkpoint */
	/*
	 * on_entry checks entries elsewhere (an audit_checker) and only pushes
	 * them: the walk then notes the time of the entry before each
	 * checkpoint (audit_entry_time) for audit_checkpoint.
	 */
	bool entries_elsewhere;
	/* Where the walk is, for the callbacks. */
	char origin[NOTE_MAX_NAME + 1];
	struct merkle_stack stack;
	bool have_stack, signed_at_end;
	uint8_t *last;                                    /* entries_elsewhere: the section's last entry read */
	size_t last_len, last_cap;
	uint64_t last_index;
	bool have_last;
};
/* Walk the rest of the bundle r; 0, or 1 after audit_problem (in w->a). */
int audit_bundle_walk(struct bundle_walk *w, struct bundle_reader *r);

/*
 * Audit a whole bundle.  *complete is set when every log starts at its first
 * entry (a full export); incremental sections are checked from the tree state
 * they carry.  0, 1 after audit_problem.
 */
int audit_bundle(struct audit *a, struct bundle_reader *r, bool *complete);
/* Free the audit's scratch space. */
void audit_free(struct audit *a);

#endif
