/*
 * Supply events (DESIGN §5.3): what to tell whom, derived from the ledger's
 * supply.lines view rather than printed by the program that posted an
 * entry, so that entries arriving by sync notify as well; and the cursor
 * that lets supply-events print each event once.
 *
 * An event is caused by one entry and named by (event, that entry's leaf
 * hash); events are listed in the merge order of their entries (time,
 * origin, index), then in the order of the names below.  supply-events(1)
 * documents the lines and the cursor's rule.
 */
#ifndef CHOBO_SUPPLY_EVENTS_H
#define CHOBO_SUPPLY_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger.h"
#include "log_list.h"
#include "note.h"
#include "util.h"
#include "view.h"

/* The event names, in their order among the events of one entry. */
#define SUPPLY_EVENT_NAMES "offer", "request", "unfilled", "shipped", "received", "discrepancy", "lost"
#define SUPPLY_EVENT_NAME_MAX 16

struct supply_event {
	const char *name;          /* one of SUPPLY_EVENT_NAMES (static) */
	char time[21];             /* the causing entry's */
	char log[NOTE_MAX_NAME + 1];
	uint64_t index;
	char leaf_hash[65];
	char *line;                /* the JSON object, without a newline */
};

/* The events of a ledger, in order, with the sizes of the logs they were read from. */
struct supply_events {
	struct supply_event *v;
	size_t n;
	struct log_list logs;
};

/* The merge order of two events' entries (time, origin, index): <0, 0 or >0; a tie is for the names to break. */
int supply_event_position_cmp(const struct supply_event *a, const struct supply_event *b);

/*
 * Bring the views of the open ledger l up to date and derive its events
 * into out (free with supply_events_free, also after a failure).  0 or an
 * exit code with err.
 */
int supply_events_read(struct ledger *l, struct supply_events *out, struct chobo_error *err);
void supply_events_free(struct supply_events *ev);

/*
 * The cursor: the size of every log at the last run (its watermark), and
 * the events printed whose entry is younger than the horizon.
 */
struct supply_cursor {
	struct supply_cursor_log {
		char origin[NOTE_MAX_NAME + 1];
		uint64_t size;
	} *logs;
	size_t nlogs;
	struct supply_cursor_seen {
		char name[SUPPLY_EVENT_NAME_MAX];
		char leaf_hash[65];
		int64_t time;
	} *seen;
	size_t nseen;
};

/* The most bytes a cursor file may hold (about 90 bytes per event remembered). */
#define SUPPLY_CURSOR_MAX (64UL << 20)

/*
 * Parse a cursor file's text (len bytes, not NUL-terminated) into c (free
 * with supply_cursor_free, also after a failure); false with the line and
 * reason in err.
 */
bool supply_cursor_parse(const char *text, size_t len, struct supply_cursor *c, char *err, size_t errlen);
/* Append the text of c to out, logs and events sorted, as supply_cursor_parse reads it. */
void supply_cursor_format(const struct supply_cursor *c, struct view_text *out);
void supply_cursor_free(struct supply_cursor *c);

/*
 * Mark in fresh[0..ev->n) the events c has not printed: those not
 * remembered, whose entry is beyond its log's watermark or younger than
 * now - horizon seconds.  With c NULL (no cursor, or --since-start), every
 * event.
 */
void supply_cursor_select(const struct supply_cursor *c, const struct supply_events *ev, int64_t now,
			  int64_t horizon, bool *fresh);
/*
 * Move c past ev: the watermarks become the logs' sizes, and the events
 * remembered those of c and fresh[] younger than now - horizon.
 */
void supply_cursor_advance(struct supply_cursor *c, const struct supply_events *ev, const bool *fresh,
			   int64_t now, int64_t horizon);

/*
 * One run of a program that prints events (supply-events, volunteer-issue
 * events): under the ledger directory, a lock so that one run at a time
 * reads the cursor, and the cursor itself; read derives the events (sorted
 * as above) from the open ledger.
 */
struct supply_feed {
	const char *cursor, *lock;   /* paths inside the ledger directory */
	const char *program;         /* named when another run holds the lock */
	bool since_start, dry_run;   /* print every event; leave the cursor as it is */
	int64_t now, horizon;
	int (*read)(struct ledger *l, struct supply_events *out, struct chobo_error *err);
};

/*
 * Write to out, one line each, the events of the ledger in dir that the
 * cursor has not printed (every event with since_start), then move the
 * cursor past what was written unless dry_run.  0, or an exit code with
 * err: EX_TEMPFAIL when another run holds the lock, EX_DATAERR for a
 * cursor file that is not one.
 */
int supply_feed_run(const char *dir, const struct supply_feed *f, FILE *out, struct chobo_error *err);

#endif
