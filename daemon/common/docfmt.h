/* The one writer of the printable documents (the post-incident report,
 * report-html.c, and the plan, plan-report.c): the same calls make
 * Markdown or self-contained HTML. Each document keeps its own structure,
 * style sheet and closing note. */
#ifndef KZ_DOCFMT_H
#define KZ_DOCFMT_H

#include <stddef.h>

#include "common/xmalloc.h"

enum doc_fmt { DOC_MD, DOC_HTML };

struct doc {
	enum doc_fmt	 fmt;
	struct buf	 b;		/* the text so far */
	const char	*lang;		/* html lang: "ja" or "en" */
	const char	*style;		/* html: the style sheet */
	const char	*footer;	/* the closing note */
	int		 br;		/* html: line breaks in the title,
					   headings and footer as <br> */
	int		 ja;		/* the document's labels are Japanese */
};

void	doc_begin(struct doc *, const char *title);
void	doc_end(struct doc *);
void	doc_heading(struct doc *, int level, const char *);
void	doc_para(struct doc *, const char *);
/* A paragraph that stands out (a warning). */
void	doc_banner(struct doc *, const char *);
void	doc_list(struct doc *, int start);
void	doc_item(struct doc *, const char *);
void	doc_table(struct doc *, int start);
/* A table row; the header row (head) first. */
void	doc_row(struct doc *, char *const *cells, size_t n, int head);
/* Preformatted text, kept as it is. */
void	doc_code(struct doc *, const char *);

/* A table row being built: its cells are owned until emitted. */
#define DOC_ROW_MAX	12
struct doc_row {
	char	*c[DOC_ROW_MAX];
	size_t	 n;
};

void	doc_cell(struct doc_row *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Takes s (allocated) as the next cell. */
void	doc_cell_own(struct doc_row *, char *s);
/* Writes the row (the header row when head) and empties it. */
void	doc_row_emit(struct doc *, struct doc_row *, int head);

/* The primitives under the writer, for what writes its own markup (the
 * situation report, the web pages). Markdown text: "<" could open raw
 * HTML in a renderer, "[" a link; a table cell (cell != 0) cannot hold a
 * pipe or a line break. Control characters (terminal escapes) become
 * visible pictures. */
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
