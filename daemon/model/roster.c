#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "model/mail.h"
#include "model/roster.h"
#include "model/rota.h"
#include "model/safety.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

static const char *const member_keys[] = {
	"id", "name", "unix_user", "contacts", "site", "area", "email",
	"phone", NULL
};
static const char *const contact_keys[] = {
	"channel", "mention", "direct", NULL
};
static const char *const role_keys[] = {
	"id", "title", "members", "proxy", "rota", NULL
};
static const char *const top_keys[] = {
	"members", "roles", "timezone", "teams", "rotas", NULL
};

static void
load_member(struct roster *r, const char *file, const struct ynode *n,
    struct diags *d)
{
	struct member	*m;
	struct ynode	*cs;
	const char	*s;
	size_t		 i;

	if (n->type != Y_MAP) {
		diag_node(d, file, n, "a member must be a map");
		return;
	}
	ycheck_keys(d, file, n, member_keys, "member");
	if (yget_str(d, file, n, "id", 1, &s) != 1)
		return;
	if (!valid_id(s)) {
		diag_node(d, file, ymap_get(n, "id"),
		    "member id \"%s\" must match [a-z0-9][a-z0-9_-]*", s);
		return;
	}
	if (strmap_get(&r->byid, s, NULL)) {
		diag_node(d, file, ymap_get(n, "id"),
		    "duplicate member id \"%s\"", s);
		return;
	}
	r->members = xreallocarray(r->members, r->nmembers + 1,
	    sizeof *r->members);
	m = &r->members[r->nmembers++];
	memset(m, 0, sizeof *m);
	m->id = xstrdup(s);
	m->team = -1;
	strmap_put(&r->byid, m->id, r->nmembers - 1);
	if (yget_str(d, file, n, "name", 0, &s) == 1)
		m->name = xstrdup(s);
	if (yget_str(d, file, n, "unix_user", 0, &s) == 1)
		m->unix_user = xstrdup(s);
	if (yget_str(d, file, n, "site", 0, &s) == 1)
		m->site = xstrdup(s);
	if (yget_str(d, file, n, "area", 0, &s) == 1)
		m->area = xstrdup(s);
	if (yget_str(d, file, n, "email", 0, &s) == 1) {
		if (!mail_addr_ok(s))
			diag_node(d, file, ymap_get(n, "email"), "email must "
			    "be one plain address such as "
			    "tanaka@example.go.jp");
		else
			m->email = xstrdup(s);
	}
	if (yget_str(d, file, n, "phone", 0, &s) == 1)
		m->phone = xstrdup(s);
	if (yget_node(d, file, n, "contacts", Y_SEQ, 0, &cs) != 1)
		return;
	for (i = 0; i < cs->n; i++) {
		const struct ynode	*c = cs->items[i];
		const char		*ch = NULL, *me = NULL;
		int			 direct = 0;

		if (c->type != Y_MAP) {
			diag_node(d, file, c, "a contact must be a map");
			continue;
		}
		ycheck_keys(d, file, c, contact_keys, "contact");
		if (yget_str(d, file, c, "channel", 1, &ch) != 1)
			continue;
		yget_str(d, file, c, "mention", 0, &me);
		yget_bool(d, file, c, "direct", 0, &direct);
		if (direct && roster_direct(r, ch) != NULL)
			diag_node(d, file, ymap_get(c, "channel"), "channel "
			    "\"%s\" is already the direct contact of %s: a "
			    "direct channel reaches one member alone", ch,
			    roster_direct(r, ch)->id);
		m->contacts = xreallocarray(m->contacts, m->ncontacts + 1,
		    sizeof *m->contacts);
		m->contacts[m->ncontacts].direct = direct;
		m->contacts[m->ncontacts].channel = xstrdup(ch);
		m->contacts[m->ncontacts].line = ymap_get(c, "channel")->line;
		m->contacts[m->ncontacts].col = ymap_get(c, "channel")->col;
		if (direct && !strmap_get(&r->direct, ch, NULL))
			strmap_put(&r->direct, m->contacts[m->ncontacts].channel,
			    r->nmembers - 1);
		m->contacts[m->ncontacts++].mention = me ? xstrdup(me) : NULL;
	}
}

static void
load_role(struct roster *r, const char *file, const struct ynode *n,
    struct diags *d)
{
	struct role	*ro;
	struct ynode	*ms = NULL;
	const char	*s;
	size_t		 i, cap = 1;
	int		 b;

	if (n->type != Y_MAP) {
		diag_node(d, file, n, "a role must be a map");
		return;
	}
	ycheck_keys(d, file, n, role_keys, "role");
	if (yget_str(d, file, n, "id", 1, &s) != 1)
		return;
	if (!valid_id(s)) {
		diag_node(d, file, ymap_get(n, "id"),
		    "role id \"%s\" must match [a-z0-9][a-z0-9_-]*", s);
		return;
	}
	for (i = 0; i < r->nroles; i++) {
		if (strcmp(r->roles[i].id, s) == 0) {
			diag_node(d, file, ymap_get(n, "id"),
			    "duplicate role id \"%s\"", s);
			return;
		}
	}
	r->roles = xreallocarray(r->roles, r->nroles + 1, sizeof *r->roles);
	ro = &r->roles[r->nroles++];
	memset(ro, 0, sizeof *ro);
	ro->id = xstrdup(s);
	ro->members = xcalloc(1, sizeof *ro->members);
	if (yget_str(d, file, n, "title", 0, &s) == 1)
		ro->title = xstrdup(s);
	if (yget_bool(d, file, n, "proxy", 0, &b) == 1)
		ro->proxy = b;
	if (yget_str(d, file, n, "rota", 0, &s) == 1)
		ro->rota = xstrdup(s);	/* checked by rota_parse */
	if (yget_node(d, file, n, "members", Y_SEQ, 0, &ms) != 1 ||
	    ms->n == 0) {
		diag_node(d, file, ms ? ms : n, "role \"%s\" has no members",
		    ro->id);
		return;
	}
	for (i = 0; i < ms->n; i++) {
		const char *mid = yscalar(ms->items[i]);

		if (mid == NULL) {
			diag_node(d, file, ms->items[i],
			    "role members must be member ids");
			continue;
		}
		if (!strmap_get(&r->byid, mid, NULL)) {
			diag_node(d, file, ms->items[i],
			    "role \"%s\": unknown member \"%s\"", ro->id, mid);
			continue;
		}
		if (strmap_get(&ro->idx, mid, NULL)) {
			diag_node(d, file, ms->items[i],
			    "role \"%s\" lists \"%s\" twice", ro->id, mid);
			continue;
		}
		if (ro->nmembers + 2 > cap) {
			cap = cap * 2 + 8;
			ro->members = xreallocarray(ro->members, cap,
			    sizeof *ro->members);
		}
		ro->members[ro->nmembers++] = xstrdup(mid);
		ro->members[ro->nmembers] = NULL;
		strmap_put(&ro->idx, ro->members[ro->nmembers - 1],
		    ro->nmembers - 1);
	}
}

struct roster *
roster_parse(const char *file, const char *text, size_t len,
    struct diags *d)
{
	struct ydoc	*doc;
	struct roster	*r;
	struct ynode	*ms, *rs;
	size_t		 i, before = d->nerrors;

	if ((doc = ydoc_parse(file, text, len, d)) == NULL)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->file = xstrdup(file);
	if (doc->root == NULL || doc->root->type != Y_MAP) {
		diag_node(d, file, doc->root,
		    "a roster is a map with \"members\" and \"roles\"");
		goto out;
	}
	ycheck_keys(d, file, doc->root, top_keys, "roster");
	if (yget_node(d, file, doc->root, "members", Y_SEQ, 1, &ms) == 1)
		for (i = 0; i < ms->n; i++)
			load_member(r, file, ms->items[i], d);
	if (yget_node(d, file, doc->root, "roles", Y_SEQ, 0, &rs) == 1)
		for (i = 0; i < rs->n; i++)
			load_role(r, file, rs->items[i], d);
	rota_parse(r, file, doc->root, d);
	for (i = 0; i < r->nroles; i++) {
		if (roster_member(r, r->roles[i].id) != NULL)
			diag_error(d, file, 0, 0, "role \"%s\" has the same id "
			    "as a member; ids must be distinct",
			    r->roles[i].id);
	}
out:
	ydoc_free(doc);
	if (d->nerrors > before) {
		roster_free(r);
		return NULL;
	}
	return r;
}

struct roster *
roster_load(const char *path, struct diags *d)
{
	char		*text;
	size_t		 len;
	struct roster	*r;

	if ((text = read_file(path, &len)) == NULL) {
		diag_error(d, path, 0, 0, "cannot read roster: %m");
		return NULL;
	}
	r = roster_parse(path, text, len, d);
	free(text);
	return r;
}

void
roster_free(struct roster *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->nmembers; i++) {
		struct member *m = &r->members[i];

		free(m->id);
		free(m->name);
		free(m->unix_user);
		free(m->site);
		free(m->area);
		free(m->email);
		free(m->phone);
		for (j = 0; j < m->ncontacts; j++) {
			free(m->contacts[j].channel);
			free(m->contacts[j].mention);
		}
		free(m->contacts);
	}
	for (i = 0; i < r->nroles; i++) {
		free(r->roles[i].id);
		free(r->roles[i].title);
		strv_free(r->roles[i].members);
		free(r->roles[i].rota);
		strmap_clear(&r->roles[i].idx);
	}
	rota_free_roster(r);
	safety_memo_free(r->smemo);
	strmap_clear(&r->byid);
	strmap_clear(&r->direct);
	free(r->members);
	free(r->roles);
	free(r->file);
	free(r);
}

const struct member *
roster_member(const struct roster *r, const char *id)
{
	size_t i;

	if (r != NULL && strmap_get(&r->byid, id, &i))
		return &r->members[i];
	return NULL;
}

const struct role *
roster_role(const struct roster *r, const char *id)
{
	size_t i;

	for (i = 0; r != NULL && i < r->nroles; i++)
		if (strcmp(r->roles[i].id, id) == 0)
			return &r->roles[i];
	return NULL;
}

int
roster_in_role(const struct roster *r, const char *role, const char *member)
{
	const struct role *ro = roster_role(r, role);

	return ro != NULL && member != NULL && strmap_get(&ro->idx, member,
	    NULL);
}

int
roster_is_proxy(const struct roster *r, const char *member)
{
	size_t i;

	for (i = 0; r != NULL && member != NULL && i < r->nroles; i++)
		if (r->roles[i].proxy && strmap_get(&r->roles[i].idx, member,
		    NULL))
			return 1;
	return 0;
}

const struct member *
roster_by_unix(const struct roster *r, const char *user, uid_t uid)
{
	char	num[32];
	size_t	i;

	snprintf(num, sizeof num, "%lu", (unsigned long)uid);
	for (i = 0; r != NULL && i < r->nmembers; i++) {
		const char *u = r->members[i].unix_user;

		if (u == NULL)
			continue;
		if ((user != NULL && strcmp(u, user) == 0) ||
		    strcmp(u, num) == 0)
			return &r->members[i];
	}
	return NULL;
}

int
roster_check_ref(const struct roster *r, const char *ref, char **why)
{
	if (strncmp(ref, "role:", 5) == 0) {
		if (roster_role(r, ref + 5) == NULL) {
			*why = xprintf("unknown role \"%s\"", ref + 5);
			return -1;
		}
		return 0;
	}
	if (roster_member(r, ref) == NULL) {
		*why = xprintf("unknown member \"%s\" (write role:NAME for a "
		    "role)", ref);
		return -1;
	}
	return 0;
}

int
roster_matches(const struct roster *r, const char *ref, const char *member)
{
	if (ref == NULL || member == NULL)
		return 0;
	if (strncmp(ref, "role:", 5) == 0)
		return roster_in_role(r, ref + 5, member);
	return strcmp(ref, member) == 0;
}

char *const *
roster_candidates(const struct roster *r, const char *ref, size_t *n)
{
	size_t i;

	*n = 0;
	if (ref == NULL)
		return NULL;
	if (strncmp(ref, "role:", 5) == 0) {
		const struct role *ro = roster_role(r, ref + 5);

		if (ro == NULL)
			return NULL;
		*n = ro->nmembers;
		return ro->members;
	}
	if (r != NULL && strmap_get(&r->byid, ref, &i)) {
		*n = 1;
		return &r->members[i].id;
	}
	return NULL;
}

json_t *
roster_json(const struct roster *r)
{
	json_t	*ms = json_array(), *rs = json_array(), *o;
	size_t	 i, j;

	for (i = 0; r != NULL && i < r->nmembers; i++) {
		const struct member	*m = &r->members[i];
		json_t			*cs = json_array();

		for (j = 0; j < m->ncontacts; j++)
			json_array_append_new(cs, json_pack("{s:s,s:s?,s:b}",
			    "channel", m->contacts[j].channel, "mention",
			    m->contacts[j].mention, "direct",
			    m->contacts[j].direct));
		json_array_append_new(ms, json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,"
		    "s:s?,s:s?,s:o}", "id", m->id, "name", m->name, "unix_user",
		    m->unix_user, "site", m->site, "area", m->area, "email",
		    m->email, "phone", m->phone, "contacts", cs));
	}
	for (i = 0; r != NULL && i < r->nroles; i++) {
		const struct role	*ro = &r->roles[i];
		json_t			*mem = json_array();

		for (j = 0; j < ro->nmembers; j++)
			json_array_append_new(mem, json_string(ro->members[j]));
		json_array_append_new(rs, json_pack("{s:s,s:s?,s:o,s:b,s:s?}",
		    "id", ro->id, "title", ro->title, "members", mem, "proxy",
		    ro->proxy, "rota", ro->rota));
	}
	o = json_pack("{s:o,s:o}", "members", ms, "roles", rs);
	rota_roster_json(r, o);
	return o;
}

const struct member *
roster_direct(const struct roster *r, const char *channel)
{
	size_t i;

	if (r != NULL && strmap_get(&r->direct, channel, &i))
		return &r->members[i];
	return NULL;
}
