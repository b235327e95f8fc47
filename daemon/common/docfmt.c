#include "common/docfmt.h"
#include "common/xmalloc.h"

void
doc_md_text(struct buf *b, const char *s, int cell)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			buf_adds(b, "\\<");
		else if (cell && *s == '|')
			buf_adds(b, "\\|");
		else if (cell && (*s == '\n' || *s == '\r'))
			buf_addc(b, ' ');
		else
			buf_addc(b, *s);
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
