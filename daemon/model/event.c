/* Event type names (event.h). */
#include <stddef.h>
#include <string.h>

#include "model/event.h"

static const char *const names[EV_COUNT] = {
#define KZ_EVENT_NAME(id, name)	[EV_##id] = name,
	KZ_EVENT_TYPES(KZ_EVENT_NAME)
#undef KZ_EVENT_NAME
};

const char *
event_name(enum kz_event ev)
{
	return (unsigned)ev < EV_COUNT ? names[ev] : "?";
}

int
event_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < EV_COUNT; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}
