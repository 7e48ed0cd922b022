#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "sync_protocol.h"
#include "util.h"

enum sync_verb sync_parse_command(const char *cmd, char origin[NOTE_MAX_NAME + 1], uint64_t *since)
{
	char *words[4] = {0};
	int n = 0;
	if (!cmd || strlen(cmd) > 1024)
		return SYNC_REFUSED;
	char *copy = xstrdup(cmd);
	for (char *w = strtok(copy, " \t"); w && n <= 3; w = strtok(NULL, " \t"))
		words[n++] = w;
	enum sync_verb verb = SYNC_REFUSED;
	if (n == 1 && strcmp(words[0], "chobo-heads") == 0)
		verb = SYNC_HEADS;
	else if (n == 1 && strcmp(words[0], "chobo-cosign") == 0)
		verb = SYNC_COSIGN;
	else if (n == 3 && strcmp(words[0], "chobo-export") == 0 && strlen(words[1]) <= NOTE_MAX_NAME &&
		 checkpoint_origin_valid(words[1]) && parse_u64(words[2], since)) {
		snprintf(origin, NOTE_MAX_NAME + 1, "%s", words[1]);
		verb = SYNC_EXPORT;
	}
	free(copy);
	return verb;
}
