/*
 * Writing bundles from a ledger: each selected log from a checkpoint on (its
 * tree state there, that checkpoint, then the entries with every later
 * checkpoint right after the entry that completes it).  chain-export writes
 * them for auditors and other nodes, chain-sync --serve for its peers.
 */
#ifndef CHOBO_EXPORT_H
#define CHOBO_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "checkpoint.h"
#include "ledger.h"
#include "util.h"

/* Which logs to export, and from where. */
struct selection {
	const char *log;                /* one log, or NULL for all */
	bool has_since;
	uint64_t since;                 /* start at the checkpoint of the largest size <= since */
	const struct checkpoint *held;  /* the requester's checkpoint: must match ours at its size */
};

/* Write a bundle of the selected logs of an open ledger to out; 0 or an exit code with err. */
int export_bundle(struct ledger *l, FILE *out, const struct selection *sel, struct chobo_error *err);

/*
 * Export from the ledger in dir to out: written to a scratch file while the
 * ledger is locked, and copied from there to out as it grows (spool.h), so
 * that the reader gets the bundle as it is made and a slow reader never
 * holds up writers.  0 or an exit code with err; when it fails, out may
 * already hold part of the bundle (without its end record, unless only the
 * ledger's close failed).
 */
int export_bundle_spooled(const char *dir, const struct selection *sel, FILE *out,
			  struct chobo_error *err);

#endif
