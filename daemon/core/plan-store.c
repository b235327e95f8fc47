/* Plan revisions and the plan in force: `plan import`, and the config's
 * plan: file at start and on reload. The plan in force changes only to a
 * revision that is stored, so a restart comes back to the same plan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "core/daemon.h"
#include "common/diag.h"
#include "common/log.h"
#include "model/plan.h"
#include "core/plan-store.h"
#include "common/sig.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "core/batch.h"

/* Inserts a revision; its id in *id. -1 with *why (caller frees). */
static int
rev_insert(struct kz_daemon *d, const char *file, const char *text,
    size_t len, const char *hash, const char *actor, int64_t at,
    int64_t *id, char **why)
{
	if (store_plan_add(d->store, at, actor, file, hash, text, len,
	    id) == 0)
		return 0;
	if (store_failed(d->store))
		*why = xprintf("cannot store the plan: %s",
		    store_errmsg(d->store));
	else
		*why = xprintf("%s: %s", file, store_errmsg(d->store));
	return -1;
}

static void
plan_in_force(struct kz_daemon *d, struct plan *p)
{
	plan_free(d->plan);
	d->plan = p;
}

static void
swap_after_commit(struct kz_daemon *d, void *arg)
{
	plan_in_force(d, arg);
}

static void
drop_uncommitted(void *arg)
{
	plan_free(arg);
}

/* Every diagnostic, one a line; the first names the file and place. */
static char *
diags_text(const struct diags *dg)
{
	struct buf	b = { 0 };
	size_t		i;

	for (i = 0; i < dg->n; i++)
		buf_printf(&b, "%s%s", i ? "\n" : "", dg->msgs[i]);
	return buf_steal(&b);
}

/* The answer to `plan import`: the revision and what plan check says. */
static json_t *
import_answer(const struct plan *p, const struct plan_rev *rev,
    const struct diags *dg, int unchanged)
{
	json_t	*check = plan_check(p, clock_now()), *warnings, *out;
	size_t	 i;

	warnings = json_incref(json_object_get(check, "warnings"));
	/* Loader warnings (none today) would otherwise go unseen. */
	for (i = 0; dg != NULL && i < dg->n; i++)
		json_array_append_new(warnings, json_pack("{s:s,s:s,s:s}",
		    "code", "load", "subject", "plan", "message",
		    dg->msgs[i]));
	out = json_pack("{s:I,s:s,s:s?,s:s?,s:o,s:I,s:I,s:O,s:o,s:b}",
	    "revision", (json_int_t)rev->id, "hash", rev->hash, "file",
	    rev->file, "imported_by", rev->imported_by, "imported_at",
	    jtime(rev->imported_at), "tasks",
	    (json_int_t)p->ntasks, "systems", (json_int_t)p->nsystems,
	    "errors", json_object_get(check, "errors"), "warnings", warnings,
	    "unchanged", unchanged);
	json_decref(check);
	return out;
}

int
plan_store_import(struct kz_daemon *d, const char *file, const char *text,
    size_t len, const char *actor, json_t **result, char **why)
{
	struct diags	 dg = { 0 };
	struct plan	*p;
	struct plan_rev	 cur, rev;
	char		 hash[65];
	int64_t		 id, now = clock_now();
	size_t		 i;
	int		 found;

	*result = NULL;
	*why = NULL;
	sha256_hex(text, len, hash);
	if ((found = store_plan_latest(d->store, NULL, NULL, &cur)) == -1) {
		*why = kz_storage_why(d);
		return 503;
	}
	if (found && d->plan != NULL && strcmp(cur.hash, hash) == 0) {
		*result = import_answer(d->plan, &cur, NULL, 1);
		store_plan_rev_clear(&cur);
		return 200;
	}
	store_plan_rev_clear(&cur);
	if ((p = plan_parse(file, text, len, &dg)) == NULL) {
		if (dg.nerrors == 0)
			diag_error(&dg, file, 1, 1, "not a plan");
		*why = diags_text(&dg);
		*result = json_array();
		for (i = 0; i < dg.n; i++)
			json_array_append_new(*result, json_string(dg.msgs[i]));
		diag_free(&dg);
		return 400;
	}
	if (rev_insert(d, file, text, len, hash, actor, now, &id, why) == -1) {
		plan_free(p);
		diag_free(&dg);
		return store_failed(d->store) ? 503 : 400;
	}
	memset(&rev, 0, sizeof rev);
	rev.id = id;
	rev.imported_at = now;
	rev.imported_by = (char *)actor;	/* borrowed: not cleared */
	rev.file = (char *)file;
	rev.hash = hash;
	*result = import_answer(p, &rev, &dg, 0);
	diag_free(&dg);
	log_info("plan revision %lld imported from %s by %s", (long long)id,
	    file, actor != NULL ? actor : "?");
	/* A rolled-back import must not leave its plan in force. */
	kz_after_commit(d, swap_after_commit, p, drop_uncommitted);
	return 200;
}

/* Puts the latest stored revision in force (at start, or when the
 * config's plan could not be taken and none is in force). Returns its
 * id, or 0 when none was. */
static int64_t
load_latest(struct kz_daemon *d, struct diags *dg)
{
	struct diags	 pd = { 0 };
	struct plan	*p;
	struct plan_rev	 row;
	char		*name;
	int64_t		 id;

	switch (store_plan_latest(d->store, NULL, NULL, &row)) {
	case -1:
		diag_error(dg, "plan", 0, 0, "cannot read the stored plan: %s",
		    store_errmsg(d->store));
		return 0;
	case 0:
		return 0;
	}
	id = row.id;
	name = xprintf("%s (plan revision %lld)", row.file ? row.file :
	    "plan", (long long)id);
	p = plan_parse(name, row.source, row.len, &pd);
	if (p != NULL) {
		plan_in_force(d, p);
		log_info("plan revision %lld in force (%zu tasks, %zu systems)",
		    (long long)id, p->ntasks, p->nsystems);
	}
	diag_merge(dg, &pd);
	free(name);
	store_plan_rev_clear(&row);
	return p != NULL ? id : 0;
}

static void
keep_previous(struct kz_daemon *d, struct diags *dg, const char *path)
{
	if (d->plan != NULL)
		diag_warn(dg, path, 0, 0, "keeping the previous plan in force");
}

/* The config's plan file: -1 when it was not taken. */
static int
load_config_plan(struct kz_daemon *d, const char *path, struct diags *dg)
{
	struct diags	 pd = { 0 };
	struct plan	*p;
	struct plan_rev	 last;
	char		*text, *why = NULL, hash[65];
	size_t		 len;
	int64_t		 id;
	int		 same;

	if ((text = read_file(path, &len)) == NULL) {
		diag_error(dg, path, 0, 0, "cannot read the plan: %s",
		    strerror(errno));
		keep_previous(d, dg, path);
		return -1;
	}
	sha256_hex(text, len, hash);
	/* Unchanged since last taken from there: a `plan import` made
	 * since stays in force. */
	same = store_plan_latest(d->store, PLAN_STORE_CONFIG_ACTOR, path,
	    &last) == 1 && strcmp(last.hash, hash) == 0;
	store_plan_rev_clear(&last);
	if (same) {
		free(text);
		return 0;
	}
	/* A plan plan check finds errors in is not taken: the one in force
	 * stays (a typo must not change every RTO clock). */
	if ((p = plan_parse_checked(path, text, len, clock_now(), &pd,
	    NULL)) == NULL) {
		diag_merge(dg, &pd);
		keep_previous(d, dg, path);
		free(text);
		return -1;
	}
	diag_merge(dg, &pd);
	same = store_plan_latest(d->store, NULL, NULL, &last) == 1 &&
	    strcmp(last.hash, hash) == 0;
	store_plan_rev_clear(&last);
	if (same) {
		/* Imported by hand already: no second revision. */
		if (d->plan == NULL)
			plan_in_force(d, p);
		else
			plan_free(p);
		free(text);
		return 0;
	}
	if (rev_insert(d, path, text, len, hash, PLAN_STORE_CONFIG_ACTOR,
	    clock_now(), &id, &why) == -1) {
		diag_error(dg, path, 0, 0, "%s", why);
		keep_previous(d, dg, path);
		plan_free(p);
		free(why);
		free(text);
		return -1;
	}
	log_info("plan revision %lld imported from %s (%zu tasks, %zu "
	    "systems)", (long long)id, path, p->ntasks, p->nsystems);
	plan_in_force(d, p);
	free(text);
	return 0;
}

/* Another instance committed (leader.c): a plan revision it imported is
 * put in force here too. */
void
plan_store_refresh(struct kz_daemon *d)
{
	static int64_t	 seen;
	struct diags	 dg = { 0 };
	int64_t		 last;

	last = store_plan_newest(d->store);
	if (last > 0 && last != seen) {
		seen = last;
		load_latest(d, &dg);
		diag_free(&dg);
	}
}

int
plan_store_load(struct kz_daemon *d, struct diags *dg)
{
	int64_t	id;
	int	rc = 0;

	if (d->conf->plan != NULL)
		rc = load_config_plan(d, d->conf->plan, dg);
	if (d->plan == NULL && (id = load_latest(d, dg)) != 0 && rc == -1)
		diag_warn(dg, d->conf->plan, 0, 0, "keeping the stored plan "
		    "(revision %lld) in force", (long long)id);
	return rc;
}
