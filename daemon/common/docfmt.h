/* The Markdown and HTML primitives the printable documents share (the
 * post-incident report, report-html.c, and the plan, plan-report.c):
 * escaping, list items, table rows and the HTML head. Each document keeps
 * its own structure and style sheet. */
#ifndef KZ_DOCFMT_H
#define KZ_DOCFMT_H

#include <stddef.h>

struct buf;

/* Markdown text: "<" could open raw HTML in a renderer, "[" a link; a
 * table cell (cell != 0) cannot hold a pipe or a line break. Control
 * characters (terminal escapes) become visible pictures. */
void	doc_md_text(struct buf *, const char *, int cell);
/* Only the control characters, for text in a code block. */
void	doc_md_safe(struct buf *, const char *);
void	doc_md_item(struct buf *, const char *);
/* A table row; the header row (head) is followed by its rule. */
void	doc_md_row(struct buf *, char *const *cells, size_t n, int head);
/* HTML text, with line breaks as <br> when br. */
void	doc_html_esc(struct buf *, const char *, int br);
void	doc_html_item(struct buf *, const char *);
/* A table row; the header row opens <thead>, then <tbody>. */
void	doc_html_row(struct buf *, char *const *cells, size_t n, int head);
/* From <!DOCTYPE> to the <h1> title, with an inline style sheet (the
 * document must stand alone: no external assets). */
void	doc_html_begin(struct buf *, const char *lang, const char *title,
	    int br, const char *style);

#endif
