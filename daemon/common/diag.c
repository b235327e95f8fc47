#include <stdarg.h>
#include <stdlib.h>

#include "common/diag.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static void
vdiag(struct diags *d, int warn, const char *file, int line, int col,
    const char *fmt, va_list ap)
{
	char	*msg = xvprintf(fmt, ap);

	d->msgs = xreallocarray(d->msgs, d->n + 1, sizeof *d->msgs);
	d->msgs[d->n++] = xprintf("%s:%d:%d: %s%s", file ? file : "-", line,
	    col, warn ? "warning: " : "", msg);
	if (!warn)
		d->nerrors++;
	free(msg);
}

void
diag_error(struct diags *d, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, 0, file, line, col, fmt, ap);
	va_end(ap);
}

void
diag_warn(struct diags *d, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, 1, file, line, col, fmt, ap);
	va_end(ap);
}

void
diag_node(struct diags *d, const char *file, const struct ynode *n,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, 0, file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

void
diag_node_warn(struct diags *d, const char *file, const struct ynode *n,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, 1, file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

void
diag_merge(struct diags *d, struct diags *from)
{
	size_t i;

	for (i = 0; i < from->n; i++) {
		d->msgs = xreallocarray(d->msgs, d->n + 1, sizeof *d->msgs);
		d->msgs[d->n++] = from->msgs[i];
	}
	d->nerrors += from->nerrors;
	free(from->msgs);
	from->msgs = NULL;
	from->n = from->nerrors = 0;
}

void
diag_free(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = d->nerrors = 0;
}
