/* The logs an open ledger holds, read once into a list (the store is not walked twice). */
#ifndef CHOBO_LOG_LIST_H
#define CHOBO_LOG_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "util.h"

struct log_info {
	uint32_t id;       /* the log in the store */
	char *origin;
	uint64_t size;     /* entries held */
};

struct log_list {
	struct log_info *v;
	size_t n;
};

/*
 * Read the logs of l in the store's order into out, or only the one named
 * only (if not NULL); 0, EX_NOINPUT when no log is named only, or EX_IOERR,
 * with err.  Free out with log_list_free (also after a failure).
 */
int log_list_read(struct ledger *l, const char *only, struct log_list *out, struct chobo_error *err);
/* The origin of the log with store id, or NULL. */
const char *log_list_origin(const struct log_list *ls, uint32_t id);
void log_list_free(struct log_list *ls);

#endif
