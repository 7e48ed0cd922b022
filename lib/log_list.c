#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log_list.h"

struct collect {
	struct log_list *out;
	const char *only;
};

static int collect(void *ctx, uint32_t id, const char *origin, uint64_t size)
{
	struct collect *c = ctx;
	struct log_list *ls = c->out;
	if (c->only && strcmp(c->only, origin) != 0)
		return 0;
	ls->v = xrealloc(ls->v, (ls->n + 1) * sizeof *ls->v);
	ls->v[ls->n++] = (struct log_info){id, xstrdup(origin), size};
	return 0;
}

int log_list_read(struct ledger *l, const char *only, struct log_list *out, struct chobo_error *err)
{
	struct collect c = {out, only};
	memset(out, 0, sizeof *out);
	if (store_log_each(l->store, collect, &c) != STORE_OK)
		return chobo_fail(err, EX_IOERR, "%s: %s", l->dir, store_error(l->store));
	if (only && out->n == 0)
		return chobo_fail(err, EX_NOINPUT, "%s: no log named %s", l->dir, only);
	return 0;
}

const char *log_list_origin(const struct log_list *ls, uint32_t id)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].id == id)
			return ls->v[i].origin;
	return NULL;
}

void log_list_free(struct log_list *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->v[i].origin);
	free(ls->v);
	memset(ls, 0, sizeof *ls);
}
