/* Aligned text tables. Japanese titles and names take two terminal
 * columns per character, so widths are measured with wcwidth(3) rather
 * than counted in bytes; that needs a UTF-8 LC_CTYPE, which
 * cli_locale_init() arranges even when the environment says "C". */
#include <sys/ioctl.h>

#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "common/xmalloc.h"
#include "keizoku.h"

#define TABLE_GAP	2	/* spaces between columns */
#define TABLE_MINFLEX	8	/* narrowest a flexible column gets */

struct cli_table {
	int		  ncols;
	char		**headers;
	int		 *align;
	int		  flex;		/* -1: none */
	char		***rows;
	int		  nrows;
	int		  cap;		/* rows allocated */
	int		  cur;		/* cells filled in the last row */
};

void
cli_locale_init(void)
{
	const char *cs;

	if (setlocale(LC_ALL, "") == NULL)
		setlocale(LC_ALL, "C");
	/* Numbers in JSON and in our output always use a dot. */
	setlocale(LC_NUMERIC, "C");
	cs = nl_langinfo(CODESET);
	if (cs == NULL || strcmp(cs, "UTF-8") != 0) {
		/* The daemon speaks UTF-8 whatever the locale says; we need
		 * a UTF-8 ctype only to measure it. */
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
			setlocale(LC_CTYPE, "C.utf8");
	}
	tzset();
}

/* Width of the character at s (n bytes available); *len gets its size. */
static int
char_width(const char *s, size_t n, size_t *len)
{
	mbstate_t	st;
	wchar_t		wc;
	size_t		r;
	int		w;

	memset(&st, 0, sizeof st);
	r = mbrtowc(&wc, s, n, &st);
	if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
		*len = 1;
		return 1;
	}
	*len = r;
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

size_t
cli_width(const char *s)
{
	size_t	n = strlen(s), len, w = 0;

	while (n > 0) {
		w += (size_t)char_width(s, n, &len);
		s += len;
		n -= len;
	}
	return w;
}

char *
cli_oneline(const char *s)
{
	struct buf		 b = { 0 };
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			buf_addc(&b, ' ');
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls (U+0080..U+009F) can start escape
			 * sequences in some terminals. */
			buf_addc(&b, ' ');
			p++;
		} else
			buf_addc(&b, (char)*p);
	}
	return buf_steal(&b);
}

char *
cli_truncate(const char *s, size_t width)
{
	struct buf	b = { 0 };
	size_t		n = strlen(s), len, used = 0;
	int		w;

	if (cli_width(s) <= width)
		return xstrdup(s);
	if (width == 0)
		return xstrdup("");
	while (n > 0) {
		w = char_width(s, n, &len);
		if (used + (size_t)w > width - 1)	/* room for "…" */
			break;
		buf_add(&b, s, len);
		used += (size_t)w;
		s += len;
		n -= len;
	}
	buf_adds(&b, "…");
	return buf_steal(&b);
}

struct cli_table *
cli_table_new(int ncols, const char *const *headers)
{
	struct cli_table	*t;
	int			 i;

	t = xcalloc(1, sizeof *t);
	t->ncols = ncols;
	t->headers = xcalloc((size_t)ncols, sizeof *t->headers);
	t->align = xcalloc((size_t)ncols, sizeof *t->align);
	for (i = 0; i < ncols; i++)
		t->headers[i] = xstrdup(headers[i]);
	t->flex = -1;
	return t;
}

void
cli_table_align(struct cli_table *t, int col, int align)
{
	if (col >= 0 && col < t->ncols)
		t->align[col] = align;
}

void
cli_table_flex(struct cli_table *t, int col)
{
	if (col >= 0 && col < t->ncols)
		t->flex = col;
}

void
cli_table_row(struct cli_table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap == 0 ? 16 : t->cap * 2;
		t->rows = xreallocarray(t->rows, (size_t)t->cap,
		    sizeof *t->rows);
	}
	t->rows[t->nrows++] = xcalloc((size_t)t->ncols, sizeof **t->rows);
	t->cur = 0;
}

void
cli_table_cell(struct cli_table *t, const char *s)
{
	if (t->nrows == 0 || t->cur >= t->ncols)
		return;
	t->rows[t->nrows - 1][t->cur++] = cli_oneline(s == NULL ? "-" : s);
}

void
cli_table_cellf(struct cli_table *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvprintf(fmt, ap);
	va_end(ap);
	cli_table_cell(t, s);
	free(s);
}

int
cli_table_rows(const struct cli_table *t)
{
	return t->nrows;
}

/* Columns of the terminal behind f, or 0 when it is not one (pipes and
 * files get whole lines: scripts should not lose text). */
static size_t
term_columns(FILE *f)
{
	struct winsize	 ws;
	const char	*env;
	long long	 n;

	if (!isatty(fileno(f)))
		return 0;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	env = getenv("COLUMNS");
	if (env != NULL && parse_i64(env, &n) == 0 && n > 0 && n < INT_MAX)
		return (size_t)n;
	return 80;
}

/* Narrows the flexible column so the table fits the terminal. */
static void
fit_widths(struct cli_table *t, size_t *w, size_t indent, size_t cols)
{
	size_t	total = indent;
	int	i;

	if (t->flex < 0 || cols == 0)
		return;
	for (i = 0; i < t->ncols; i++)
		total += w[i] + (i > 0 ? TABLE_GAP : 0);
	if (total <= cols)
		return;
	/* When the other columns alone overflow, lines wrap anyway: then
	 * cutting the title would only lose it. */
	if (total - cols + TABLE_MINFLEX <= w[t->flex])
		w[t->flex] -= total - cols;
}

static void
print_cell(FILE *f, const char *s, size_t width, int align, int last)
{
	char	*cut = cli_truncate(s, width);
	size_t	 pad = width - cli_width(cut);

	if (align == CLI_RIGHT)
		fprintf(f, "%*s%s", (int)pad, "", cut);
	else if (last)
		fputs(cut, f);
	else
		fprintf(f, "%s%*s", cut, (int)pad, "");
	free(cut);
}

static void
print_line(struct cli_table *t, FILE *f, char **cells, const size_t *w,
    const char *indent)
{
	int i;

	fputs(indent, f);
	for (i = 0; i < t->ncols; i++) {
		if (i > 0)
			fprintf(f, "%*s", TABLE_GAP, "");
		print_cell(f, cells[i] == NULL ? "" : cells[i], w[i],
		    t->align[i], i == t->ncols - 1);
	}
	fputc('\n', f);
}

void
cli_table_print(struct cli_table *t, FILE *f, const char *indent)
{
	size_t	*w, cw;
	int	 i, r;

	if (indent == NULL)
		indent = "";
	w = xcalloc((size_t)t->ncols, sizeof *w);
	for (i = 0; i < t->ncols; i++)
		w[i] = cli_width(t->headers[i]);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			if (t->rows[r][i] == NULL)
				continue;
			cw = cli_width(t->rows[r][i]);
			if (cw > w[i])
				w[i] = cw;
		}
	}
	fit_widths(t, w, cli_width(indent), term_columns(f));
	print_line(t, f, t->headers, w, indent);
	for (r = 0; r < t->nrows; r++)
		print_line(t, f, t->rows[r], w, indent);
	free(w);
}

void
cli_table_free(struct cli_table *t)
{
	int i, r;

	if (t == NULL)
		return;
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	for (i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	free(t->rows);
	free(t->headers);
	free(t->align);
	free(t);
}
