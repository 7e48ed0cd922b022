/*
 * The points module (DESIGN §5.2): accounts of points per scheme ("eco",
 * "volunteer", ...) and holder (a member's pseudonymous ID or a shop's
 * code), shared by every service that grants points.
 *
 * Entry types (chobo-ledger(5) lists the fields):
 *   points.scheme  a scheme's terms: expiry, caps, carry-over, yen per point (the latest counts)
 *   points.open    an account; the log that holds it is the holder's home node
 *   points.credit  points granted to a holder, with an expiry date
 *   points.debit   points taken from a member, to a shop when body.shop is given
 *   points.settle  a shop's points paid out in yen and removed
 *
 * Credits of other types: an entry of another service that grants points
 * (an eco.reading) credits them itself, as a points.credit would, so that a
 * reading is one entry; points_sources lists those types, which field names
 * the holder and which the points, the scheme, and the fields its reference
 * is made of ("TYPE:" and their values joined by ':').  Such an entry with
 * no points credits nothing.  lib/points stays the one place that keeps
 * balances.
 *
 * Every credit, debit and settlement names a reference (body.ref), unique in
 * its scheme: the first movement with a reference in the merge order counts,
 * a later one with the same reference moves nothing and is refused by the
 * append, so re-running the same input moves nothing twice.
 *
 * The rules, the same on every node because they follow the merge order of
 * DESIGN §5.1 only (points.accounts is built by them; the append of a
 * movement that they refuse fails with the reason, EX_DATAERR):
 *  - a movement needs an open account; a debit's shop needs one too;
 *  - a debit and a settlement count only in the log of the account's home
 *    node: points are never spent from two nodes at once;
 *  - days are JST dates and a fiscal year runs April 1 - March 31;
 *  - expiry lots: a credit adds a lot that expires at the end of its
 *    body.expires date, or of the day of the credit plus the scheme's
 *    expiry_days, or never (no expiry_days); lots are kept in order of
 *    expiry date, lots of one date merged; before any movement of an
 *    account, the lots whose date is before the movement's day expire,
 *    except that a scheme's carry_max points of the lots dated the last
 *    day of the previous fiscal year (March 31) carry over, into a lot
 *    dated the last day of the movement's fiscal year;
 *  - a debit takes the points that expire first; it is refused when it is
 *    more than the points left, more than the scheme's cap_purchase, or
 *    would take the holder past cap_day in that JST day or cap_fy in that
 *    fiscal year (0 or no value: no cap);
 *  - a shop's points (received by debits naming it) never expire; a
 *    settlement removes them at yen_per_point and must state that many yen;
 *  - a refused movement is recorded under its reference and changes nothing.
 *
 * points.accounts keys:
 *   scheme/S        the scheme's terms
 *   acct/S/H        holder H's account: kind, home, balance, lots, spent today and this fiscal year
 *   ref/S/R         the movement with reference R, and the reason it was refused, if it was
 */
#ifndef CHOBO_POINTS_H
#define CHOBO_POINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "append.h"
#include "jp_date.h"
#include "note.h"
#include "repeat.h"
#include "service.h"
#include "view.h"

#define POINTS_SCHEME_MAX 32   /* [a-z0-9_-] */
#define POINTS_HOLDER_MAX 64   /* [A-Za-z0-9._:-] */
#define POINTS_REF_MAX 200     /* printable ASCII without spaces */
#define POINTS_MAX_LOTS 400    /* past that, a new lot joins the one before it (expiring sooner) */
#define POINTS_MAX 1000000000000LL   /* bound on one movement and on a balance */

struct ledger;
struct batch_written;

extern const struct service points_service;
extern const struct view_spec points_accounts_view;

/*
 * The rules of batch w: its points movements, and the credits carried by
 * other services' entries (points_sources; the append runs this for them
 * because the view reads their types).  0, or EX_DATAERR with the reason.
 */
int points_append_check(struct ledger *l, const struct batch_written *w, struct chobo_error *err);

/* An entry type of another service that credits a holder (points.c's table). */
struct points_source {
	const char *type, *scheme, *holder, *points;
	const char *const ref[4];   /* the fields the reference is made of, NULL-terminated */
};
extern const struct points_source points_sources[];   /* terminated by a NULL type */

/* The source named type, or NULL. */
const struct points_source *points_source_find(const char *type);
/* The reference of entry body (doc, body) of source src into out[POINTS_REF_MAX + 1]. */
void points_source_ref(const struct points_source *src, const struct json_doc *doc, size_t body, char *out);

struct points_lot {
	char expires[JP_DATE_LEN + 1];   /* "" never */
	int64_t points;
};

struct points_account {
	char scheme[POINTS_SCHEME_MAX + 1];
	char holder[POINTS_HOLDER_MAX + 1];
	char kind[8];                    /* member or shop */
	char home[NOTE_MAX_NAME + 1];    /* the origin of the log that opened it */
	char opened[65];
	int64_t credited, debited, received, settled, yen, expired;
	char day[JP_DATE_LEN + 1];
	int64_t day_spent;
	int32_t fy;
	int64_t fy_spent;
	size_t nlots;
	struct points_lot lots[POINTS_MAX_LOTS];
};

struct points_scheme {
	int64_t expiry_days, cap_purchase, cap_day, cap_fy, yen_per_point;
	int64_t carry_max;   /* points carried past a fiscal year's end (0: none) */
};

/* True when s is a scheme name, a holder, a reference. */
bool points_scheme_valid(const char *s);
bool points_holder_valid(const char *s);
bool points_ref_valid(const char *s);

/* The account's balance: the sum of its lots. */
int64_t points_balance(const struct points_account *a);
/* What the account can spend on day: the lots not expired before it, with sc's carry-over (sc may be NULL). */
int64_t points_available(const struct points_account *a, const struct points_scheme *sc, int64_t day);
/*
 * The account as it stands on day: its lots expired (and carried over) as
 * points_available counts them, and expired counting them.  The result is
 * overwritten by the next call (one copy, too large for the stack).
 */
const struct points_account *points_aged(const struct points_account *a, const struct points_scheme *sc,
					 int64_t day);

/* The account (scheme, holder) from the view state: 0, EX_UNAVAILABLE when absent, else an error. */
int points_account_get(struct view_state *s, const char *scheme, const char *holder,
		       struct points_account *out, struct chobo_error *err);
/*
 * True when origin is account a's home node, the only node that takes its
 * debits and settlements; else false with why naming the home node, to
 * verb ("spend", "settle") there.
 */
bool points_at_home(const struct points_account *a, const char *origin, const char *verb, char *why, size_t whylen);
/* Parse a stored account value; false when it is not one. */
bool points_account_parse(const char *value, size_t len, struct points_account *a);
/* The scheme's terms: 0, EX_UNAVAILABLE when no points.scheme names it, else an error. */
int points_scheme_get(struct view_state *s, const char *scheme, struct points_scheme *out,
		      struct chobo_error *err);
/*
 * The movement recorded under (scheme, ref): 0 with its leaf hash in leaf
 * and the reason it was refused in why ("" when it counted), EX_UNAVAILABLE
 * when the reference is unused, else an error.
 */
int points_ref_get(struct view_state *s, const char *scheme, const char *ref, char leaf[65], char *why,
		   size_t whylen, struct chobo_error *err);

/* ------------------------------------------------------------ redeem.c */

/*
 * What a shop's terminal asks, the same for every scheme (ecopt-redeem,
 * volunteer-issue): open a shop's account, take a member's points at a
 * shop, settle a shop's points in yen at the scheme's yen_per_point.
 */
enum points_op { POINTS_OP_SHOP, POINTS_OP_SPEND, POINTS_OP_SETTLE };
struct points_request {
	enum points_op op;
	const char *scheme, *member, *shop, *ref;   /* member for a spend; ref for a spend and a settlement */
	int64_t points;
	bool dry_run;              /* judge the entry by every rule as the append would, and append nothing */
};
struct points_outcome {
	const char *type;          /* the entry type appended */
	struct repeat repeated;    /* is: the reference was used, or the shop is open, and nothing was appended;
				      the first movement's entry or the opening's */
	struct receipt receipt;
	uint64_t tree_size;
	char time[21];
	char origin[NOTE_MAX_NAME + 1];   /* the log appended to, for a message after the ledger is closed */
	bool judged;               /* a dry run's entry passed every rule: no receipt, nothing appended */
	char body[512];            /* a dry run's: the entry's body as compact JSON ("" when longer) */
};
/*
 * Append q's entry to the open ledger l (opened for appending, key its log
 * key) unless its reference is taken, or, for a shop's opening, the shop's
 * account is open on this node already; with q->dry_run only judge it
 * (ledger_append_check).  A spend or settlement of an account whose home
 * is another node is EX_DATAERR naming that node.  0 with *out, or an exit
 * code with err ("; nothing was appended" added).
 */
int points_redeem(struct ledger *l, const struct note_signer *key, const struct points_request *q,
		  struct points_outcome *out, struct chobo_error *err);
/*
 * Print what points_redeem did for a request with reference ref (NULL for a
 * shop's opening) and flush standard output: 0; else with err naming what
 * stands in out's log, EXIT_STORED_UNREPORTED (the entry recorded, which the
 * same request again prints as a duplicate) or EX_IOERR (nothing appended).
 * A dry run's line says "result":"valid", the entry's type and its body's
 * members, as a receipt's line would name the entry.
 */
int points_outcome_report(const struct points_outcome *out, const char *ref, struct chobo_error *err);
/*
 * The whole of a shop's request as a program makes it: open the ledger in
 * dir for appending, points_redeem q, close the ledger and report the
 * outcome (a dry run's also on standard error).  0 or an exit code, its
 * reason reported.
 */
int points_redeem_run(const char *dir, const struct points_request *q);

/*
 * Call fn on every account of scheme (of holder alone when holder is not
 * NULL), in key order, with the scheme's terms (zero when it has none); 0
 * or an error.
 */
int points_each_account(struct ledger *l, const char *scheme, const char *holder,
			int (*fn)(void *ctx, const struct points_account *a, const struct points_scheme *sc), void *ctx,
			struct chobo_error *err);
/* An account's balance line as JSON (what a shop or member sees on day today), newly allocated. */
json_t *points_account_json(const struct points_account *a, const struct points_scheme *sc, int64_t today);
/* The CSV header of points_account_csv's rows. */
#define POINTS_ACCOUNT_CSV_HEADER "scheme,holder,kind,home,balance,credited,debited,received,settled,yen\r\n"
/* An account's balance as one CSV row (RFC 4180, CRLF) appended to t. */
void points_account_csv(struct view_text *t, const struct points_account *a, const struct points_scheme *sc,
			int64_t today);

/* One movement of a holder's history (history.c). */
struct points_movement {
	char origin[NOTE_MAX_NAME + 1];
	uint64_t index;
	int64_t time;
	char leaf[65];
	char movement[16];                /* credit, debit, received (a shop's side of a debit), settle */
	int64_t points, yen;
	char ref[POINTS_REF_MAX + 1];
	char other[POINTS_HOLDER_MAX + 1];  /* a debit's shop, a received debit's member */
	char refused[256];                /* "" when it counted */
};

/*
 * The movements of scheme that name holder, in the merge order, into a new
 * array *out (*n long; free it): 0 or an exit code with err.
 */
int points_history(struct ledger *l, const char *scheme, const char *holder, struct points_movement **out,
		   size_t *n, struct chobo_error *err);

#endif
