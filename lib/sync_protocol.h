/*
 * The sync protocol between nodes (chain-sync), over a transport that runs
 * one verb at a peer with stdin and stdout:
 *
 *   chobo-heads               stdin (optional) one {"log","size","signers"} line
 *                             per log the client holds: its newest checkpoint's
 *                             size and the key IDs (8 hex digits) of its lines;
 *                             answered by one JSON line per log the peer holds:
 *                             {"log","size","root","checkpoint"}, or where the
 *                             client holds the same size, {"log","size","root",
 *                             "lacks"[,"checkpoint"]}: the note without the
 *                             client's signers' lines (absent when none is
 *                             left), and which of those signers it lacks
 *   chobo-export ORIGIN SIZE  a bundle of that log from the peer's
 *                             checkpoint at or below SIZE
 *   chobo-sync                stdin and answer as chobo-heads, where a request
 *                             line may say "held": the entries the client holds
 *                             of a log it takes (0: none); then the line
 *                             {"bundles":[{"log","bytes"}...]} and those bytes:
 *                             for each log asked for, a bundle from the held
 *                             size on, when the client lacks at most
 *                             SYNC_INLINE_ENTRIES of it (else chobo-export)
 *   chobo-cosign              stdin {"log","size","cosignature"} lines,
 *                             answered one for one by {"log","ok",...} lines
 *
 * A client asks chobo-sync first and falls back to chobo-heads and
 * chobo-export when the peer refuses the verb (a peer of the older protocol).
 *
 * The serving side runs only these verbs and can never append.
 */
#ifndef CHOBO_SYNC_PROTOCOL_H
#define CHOBO_SYNC_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "chobo_conf.h"
#include "keys.h"
#include "note.h"
#include "ssh_transport.h"
#include "util.h"

/* What a peer may ask the serving side (chain-sync --serve) for. */
enum sync_verb { SYNC_REFUSED, SYNC_HEADS, SYNC_SESSION, SYNC_EXPORT, SYNC_COSIGN, SYNC_MALFORMED };
/* The most entries of one log a chobo-sync answer carries; a larger lack is fetched with chobo-export. */
#define SYNC_INLINE_ENTRIES 100000
/*
 * Parse SSH_ORIGINAL_COMMAND: the client's words joined by blanks, split
 * here and never given to a shell.  For SYNC_EXPORT, origin and since are
 * filled (a valid origin, a decimal size); chobo-export with two words
 * that are not is SYNC_MALFORMED.  Anything else is SYNC_REFUSED.
 */
enum sync_verb sync_parse_command(const char *cmd, char origin[NOTE_MAX_NAME + 1], uint64_t *since);

/* ------------------------------------------------------------ serving */

/*
 * Serve the command cmd (SSH_ORIGINAL_COMMAND, or NULL) on the ledger in
 * dir: the answer goes to out, a chobo-cosign request comes from in.  0, or
 * an exit code with err (EX_NOPERM: not one of the verbs; EX_USAGE: a
 * malformed origin or size for chobo-export).
 */
int sync_serve(const char *dir, const char *cmd, FILE *in, FILE *out, struct chobo_error *err);

/* ------------------------------------------------------------ client */

/* This node, as the client side of a sync sees it. */
struct sync_node {
	const char *dir;                    /* the ledger */
	const char *origin;                 /* this node's own log, which only it writes */
	const struct trust *trust;
	const struct note_signer *witness;  /* cosigns the peers' logs */
};

/* What a sync with one peer did. */
struct sync_result {
	json_t *logs;       /* what each import stored (import_result.summary objects) */
	json_t *forks;      /* {"event":"fork","peer","log","size","ours","theirs"} objects */
	size_t cosigned;    /* cosignatures made and handed over */
	size_t accepted;    /* of those, how many the peer accepted */
};

/*
 * Sync with one peer over t: read its heads, fetch and import what this node
 * lacks of every log it trusts (never its own: when the peer holds more of
 * it than this node, that is EX_DATAERR and appending is refused until a
 * restore, restore.h), then, unless a fork was
 * found, merge the cosignatures the peer's checkpoints carry, cosign the
 * logs both hold at the same size and hand the cosignatures over (while
 * the ledger closes).  The ledger is locked only while it is read or
 * written, never while waiting for the peer, and opened for writing only
 * when there is something to import or cosign.  Fills res (free with sync_result_free); 0, EXIT_FORK (every log is
 * still fetched; the evidence is kept and in res->forks), or another exit
 * code, with err.
 */
int sync_peer(const struct sync_node *node, const struct ssh_transport *t, const struct peer *peer,
	      struct sync_result *res, struct chobo_error *err);
void sync_result_free(struct sync_result *res);

/* What a restore of this node's own log found and did (chain-sync --restore). */
struct sync_restore {
	json_t *peers;                  /* per peer {"peer","size"} (its copy of our log) or {"peer","error"} */
	size_t heard;                   /* peers that answered */
	uint64_t floor;                 /* the newest checkpoint of our log that any of them holds */
	const char *from;               /* the peer it was fetched from (in peers), or NULL */
	uint64_t from_size;
	json_t *logs, *forks;           /* what the import stored, or the fork it found (as in sync_result) */
	uint64_t size;                  /* after sync_restore_end: what our log holds */
	bool complete;                  /* after sync_restore_end: the restore is over, appending allowed */
};

/*
 * Restore this node's own log from its peers: read every peer's heads; the
 * newest checkpoint of our log that any of them holds (verified with our
 * key, cosigned or not) raises the floor (restore.h); fetch our log from the
 * peer holding the longest copy (of only, if not NULL), every checkpoint
 * verified with our key, and store it.  Refused (EX_DATAERR, nothing
 * fetched) when that copy is shorter than the floor; EX_UNAVAILABLE when no
 * peer answered.  The other logs are then synced with sync_peer.  Free res
 * with sync_restore_free whatever the result; 0 or an exit code with err.
 */
int sync_restore_own(const struct sync_node *node, const struct ssh_transport *t, const struct peer *peers,
		     size_t npeers, const char *only, struct sync_restore *res, struct chobo_error *err);
/*
 * End the restore if complete (every peer was heard and synced) and our log
 * holds the floor; fills res->size, floor and complete.  0 or an exit code with err.
 */
int sync_restore_end(const struct sync_node *node, bool complete, struct sync_restore *res,
		     struct chobo_error *err);
void sync_restore_free(struct sync_restore *res);

/*
 * The peer's side of the messages, read as sync_peer reads them (exported
 * for the fuzzing harness).  sync_heads_read appends to heads the valid
 * lines of a chobo-heads answer (at most SYNC_MAX_HEADS; others are
 * skipped); 0 or EX_PROTOCOL / EX_IOERR with err.
 * sync_cosign_answers_read checks a chobo-cosign answer against the logs of
 * the requests sent (strings, in order): exactly one {"log","ok"} line each.
 * 0 with the number accepted, EX_DATAERR when the peer refused one (its
 * error in err), or EX_PROTOCOL / EX_IOERR with err.
 */
#define SYNC_MAX_HEADS 10000
/* The most key IDs a heads request lists for one log. */
#define SYNC_MAX_SIGNERS 1000
/*
 * The client's side of chobo-heads, read as the serving side reads it: each
 * valid {"log","size","signers"} line goes into request under its log (at
 * most SYNC_MAX_HEADS; others are skipped); 0 or EX_PROTOCOL / EX_IOERR with err.
 */
int sync_heads_request_read(FILE *in, json_t *request, struct chobo_error *err);
int sync_heads_read(FILE *in, json_t *heads, struct chobo_error *err);
int sync_cosign_answers_read(FILE *in, const json_t *sent, size_t *accepted, struct chobo_error *err);
/*
 * A chobo-sync answer: the valid heads (as sync_heads_read) into heads, the
 * {"log","bytes"} objects of its "bundles" line into bundles, and in left
 * positioned where the bundles' bytes start.  0, or EX_PROTOCOL (no such line, or one
 * that is not a list of those objects) / EX_IOERR with err.
 */
int sync_session_read(FILE *in, json_t *heads, json_t *bundles, struct chobo_error *err);

#endif
