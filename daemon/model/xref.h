/* Cross-references between the files keizokud loads: the config names
 * roles and members of the roster (exceptions.approver_role, tokens),
 * the roster names channels of the config (contacts). Runbooks check
 * theirs as they load (struct rb_context), scenarios theirs. `-t` runs
 * all of them; a reload refuses the file whose references fail. */
#ifndef KZ_XREF_H
#define KZ_XREF_H

struct config;
struct roster;
struct diags;

/* The config's references into the roster; returns how many errors. */
int	xref_config(const struct config *, const struct roster *,
	    struct diags *);
/* The roster's references into the config; returns how many errors. */
int	xref_roster(const struct roster *, const struct config *,
	    struct diags *);

#endif
