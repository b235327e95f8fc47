/* Allocation helpers that abort on failure: a daemon that cannot allocate
 * a few bytes cannot do anything useful, and checking every call site
 * would only hide the real logic. */
#ifndef KZ_XMALLOC_H
#define KZ_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Returns a newly allocated formatted string. */
char	*xprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

/* A growable string buffer. */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};
void	 buf_add(struct buf *, const char *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Returns the string (never NULL) and resets the buffer. */
char	*buf_steal(struct buf *);
void	 buf_free(struct buf *);

/* Strict integer parsing: the whole string must be a number in range. */
int	 parse_i64(const char *, long long *);

/* Copy with truncation; always NUL-terminates when size > 0. */
size_t	 kz_strlcpy(char *, const char *, size_t);

#endif
