/* The driver table and what the drivers share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/db.h"

static const struct db_ops *const db_drivers[] = {
	&db_sqlite_ops,
	&db_pg_ops,
};

struct db *
db_open(const char *name, const char *target, char **why)
{
	size_t i;

	for (i = 0; i < sizeof db_drivers / sizeof *db_drivers; i++)
		if (strcmp(db_drivers[i]->name, name) == 0)
			return db_drivers[i]->open(target, why);
	*why = xprintf("unknown store backend \"%s\" (sqlite or postgresql)",
	    name);
	return NULL;
}

void
db_close(struct db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

void
db_seterr(struct db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
	log_warnx("store: %s", db->errmsg);
}

int
db_param_index(const char *name)
{
	char	*end;
	long	 n;

	if (name == NULL || name[0] != '$')
		return -1;
	n = strtol(name + 1, &end, 10);
	if (*end != '\0' || n < 1 || n > 1000)
		return -1;
	return (int)n - 1;
}
