/*
 * The sync protocol between nodes (chain-sync), over a transport that runs
 * one verb at a peer with stdin and stdout:
 *
 *   chobo-heads               one JSON line per log the peer holds:
 *                             {"log","size","root","checkpoint"}
 *   chobo-export ORIGIN SIZE  a bundle of that log from the peer's
 *                             checkpoint at or below SIZE
 *   chobo-cosign              stdin {"log","size","cosignature"} lines,
 *                             answered one for one by {"log","ok",...} lines
 *
 * The serving side runs only these verbs and can never append.
 */
#ifndef CHOBO_SYNC_PROTOCOL_H
#define CHOBO_SYNC_PROTOCOL_H

#include <stdint.h>

#include "note.h"

/* What a peer may ask the serving side (chain-sync --serve) for. */
enum sync_verb { SYNC_REFUSED, SYNC_HEADS, SYNC_EXPORT, SYNC_COSIGN };
/*
 * Parse SSH_ORIGINAL_COMMAND: the client's words joined by blanks, split
 * here and never given to a shell.  For SYNC_EXPORT, origin and since are
 * filled (a valid origin, a decimal size).  Anything else is SYNC_REFUSED.
 */
enum sync_verb sync_parse_command(const char *cmd, char origin[NOTE_MAX_NAME + 1], uint64_t *since);

#endif
