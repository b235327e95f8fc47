/* The one writer of the printable documents (docfmt.h): Markdown or
 * self-contained HTML from the same calls. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/docfmt.h"
#include "common/xmalloc.h"

/* Control characters (C0 but line feed and tab, DEL, and C1, which a
 * terminal in UTF-8 takes for CSI and friends) as their visible
 * pictures, so that text from a trigger cannot drive the terminal that
 * shows the report. Returns the bytes of s it used (0: not a control). */
static size_t
doc_control(struct buf *b, const char *s, int keep_lf)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] < 0x20 && !(keep_lf && (p[0] == '\n' || p[0] == '\t'))) {
		/* U+2400 + c: ␀ … ␟ */
		buf_addc(b, (char)0xe2);
		buf_addc(b, (char)0x90);
		buf_addc(b, (char)(0x80 + p[0]));
		return 1;
	}
	if (p[0] == 0x7f) {
		buf_adds(b, "\xe2\x90\xa1");	/* ␡ */
		return 1;
	}
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD */
		return 2;
	}
	return 0;
}

void
doc_md_safe(struct buf *b, const char *s)
{
	size_t n;

	while (*s != '\0') {
		if ((n = doc_control(b, s, 1)) == 0) {
			buf_addc(b, *s);
			n = 1;
		}
		s += n;
	}
}

/* "<" could open raw HTML or an autolink, "](" or "]:" make a link (to
 * a javascript: URL, say): escaped, so trigger text stays text (a
 * bracket alone, as in "[訓練 DRILL]", stays as it is). */
void
doc_md_text(struct buf *b, const char *s, int cell)
{
	size_t n;

	for (; *s != '\0'; s += n) {
		n = 1;
		if (cell && (*s == '\n' || *s == '\r'))
			buf_addc(b, ' ');
		else if ((n = doc_control(b, s, !cell)) != 0)
			continue;
		else if (*s == '<' || (cell && *s == '|') || (*s == ']' &&
		    (s[1] == '(' || s[1] == ':'))) {
			if (*s == ']')
				buf_addc(b, *s++);
			buf_addc(b, '\\');
			buf_addc(b, *s);
		} else
			buf_addc(b, *s);
		n = 1;
	}
}

void
doc_md_item(struct buf *b, const char *s)
{
	buf_adds(b, "- ");
	doc_md_text(b, s, 1);
	buf_addc(b, '\n');
}

void
doc_md_row(struct buf *b, char *const *cells, size_t n, int head)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_adds(b, "| ");
		doc_md_text(b, cells[i], 1);
		buf_addc(b, ' ');
	}
	buf_adds(b, "|\n");
	if (!head)
		return;
	for (i = 0; i < n; i++)
		buf_adds(b, "|---");
	buf_adds(b, "|\n");
}

void
doc_html_esc(struct buf *b, const char *s, int br)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		case '\n':
			buf_adds(b, br ? "<br>" : "\n");
			break;
		default:
			buf_addc(b, *s);
		}
	}
}

void
doc_html_item(struct buf *b, const char *s)
{
	buf_adds(b, "<li>");
	doc_html_esc(b, s, 1);
	buf_adds(b, "</li>\n");
}

void
doc_html_row(struct buf *b, char *const *cells, size_t n, int head)
{
	size_t i;

	buf_adds(b, head ? "<thead><tr>" : "<tr>");
	for (i = 0; i < n; i++) {
		buf_adds(b, head ? "<th>" : "<td>");
		doc_html_esc(b, cells[i], 1);
		buf_adds(b, head ? "</th>" : "</td>");
	}
	buf_adds(b, head ? "</tr></thead>\n<tbody>\n" : "</tr>\n");
}

void
doc_html_begin(struct buf *b, const char *lang, const char *title, int br,
    const char *style)
{
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>", lang);
	doc_html_esc(b, title, br);
	buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>",
	    style);
	doc_html_esc(b, title, br);
	buf_adds(b, "</h1>\n");
}

void
doc_begin(struct doc *d, const char *title)
{
	if (d->fmt == DOC_HTML) {
		doc_html_begin(&d->b, d->lang, title, d->br, d->style);
		return;
	}
	buf_adds(&d->b, "# ");
	doc_md_text(&d->b, title, 1);
	buf_adds(&d->b, "\n\n");
}

void
doc_end(struct doc *d)
{
	if (d->fmt == DOC_HTML) {
		buf_adds(&d->b, "<footer><p>");
		doc_html_esc(&d->b, d->footer, d->br);
		buf_adds(&d->b, "</p></footer>\n</body>\n</html>\n");
	} else
		buf_printf(&d->b, "---\n\n%s\n", d->footer);
}

void
doc_heading(struct doc *d, int level, const char *s)
{
	if (d->fmt == DOC_HTML) {
		buf_printf(&d->b, "<h%d>", level);
		doc_html_esc(&d->b, s, d->br);
		buf_printf(&d->b, "</h%d>\n", level);
		return;
	}
	buf_printf(&d->b, "%.*s ", level, "######");
	doc_md_text(&d->b, s, 1);
	buf_adds(&d->b, "\n\n");
}

void
doc_para(struct doc *d, const char *s)
{
	if (d->fmt == DOC_HTML) {
		buf_adds(&d->b, "<p>");
		doc_html_esc(&d->b, s, 1);
		buf_adds(&d->b, "</p>\n");
		return;
	}
	doc_md_text(&d->b, s, 0);
	buf_adds(&d->b, "\n\n");
}

void
doc_banner(struct doc *d, const char *s)
{
	if (d->fmt == DOC_HTML) {
		buf_adds(&d->b, "<p class=\"banner\">");
		doc_html_esc(&d->b, s, 1);
		buf_adds(&d->b, "</p>\n");
		return;
	}
	buf_adds(&d->b, "> **");
	doc_md_text(&d->b, s, 1);
	buf_adds(&d->b, "**\n\n");
}

void
doc_list(struct doc *d, int start)
{
	if (d->fmt == DOC_HTML)
		buf_adds(&d->b, start ? "<ul>\n" : "</ul>\n");
	else if (!start)
		buf_addc(&d->b, '\n');
}

void
doc_item(struct doc *d, const char *s)
{
	if (d->fmt == DOC_HTML)
		doc_html_item(&d->b, s);
	else
		doc_md_item(&d->b, s);
}

void
doc_table(struct doc *d, int start)
{
	if (d->fmt == DOC_HTML)
		buf_adds(&d->b, start ? "<table>\n" : "</tbody>\n</table>\n");
	else if (!start)
		buf_addc(&d->b, '\n');
}

void
doc_row(struct doc *d, char *const *cells, size_t n, int head)
{
	if (d->fmt == DOC_HTML)
		doc_html_row(&d->b, cells, n, head);
	else
		doc_md_row(&d->b, cells, n, head);
}

/* A fence longer than any run of backticks inside cannot be closed by
 * the text it holds. */
void
doc_code(struct doc *d, const char *s)
{
	size_t	run = 0, max = 0, i;
	char	fence[64];

	if (d->fmt == DOC_HTML) {
		buf_adds(&d->b, "<pre>");
		doc_html_esc(&d->b, s, 0);
		buf_adds(&d->b, "</pre>\n");
		return;
	}
	for (i = 0; s[i] != '\0'; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}
	max = max < 3 ? 3 : max + 1;
	if (max >= sizeof fence)
		max = sizeof fence - 1;
	memset(fence, '`', max);
	fence[max] = '\0';
	buf_printf(&d->b, "%s\n", fence);
	doc_md_safe(&d->b, s);
	buf_printf(&d->b, "\n%s\n\n", fence);
}

void
doc_cell(struct doc_row *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n >= DOC_ROW_MAX)
		return;
	va_start(ap, fmt);
	r->c[r->n++] = xvprintf(fmt, ap);
	va_end(ap);
}

void
doc_cell_own(struct doc_row *r, char *s)
{
	if (r->n >= DOC_ROW_MAX) {
		free(s);
		return;
	}
	r->c[r->n++] = s;
}

void
doc_row_emit(struct doc *d, struct doc_row *r, int head)
{
	size_t i;

	doc_row(d, r->c, r->n, head);
	for (i = 0; i < r->n; i++)
		free(r->c[i]);
	r->n = 0;
}
