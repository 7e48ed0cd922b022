/*
 * Revocations: the revoke entry of this node's log that names an entry,
 * for the programs that revoke (cert-revoke, volunteer-issue revoke) to
 * tell a revocation run again from a new one.  The rule that a log
 * revokes an entry once is the core service's (core_service.c).
 */
#ifndef CHOBO_REVOCATION_H
#define CHOBO_REVOCATION_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"
#include "repeat.h"
#include "util.h"

struct revocation {
	struct repeat entry;   /* the revoke entry; entry.is false when there is none */
	char reason[32];
};

/* This log's revoke of the entry whose leaf hash is ref into out (out->entry.is false when none); 0 or a code with err. */
int revocation_own(struct ledger *l, const char *ref, struct revocation *out, struct chobo_error *err);

#endif
