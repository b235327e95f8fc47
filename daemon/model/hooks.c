/* Decoders of inbound monitoring webhooks. Each format turns one request
 * body into zero or more triggers: the JSON document activation matchers
 * and {{trigger.*}} templates see, plus the default dedup fingerprint and
 * the resolved / drill / correction flags. Shape checks happen before any
 * trigger is built, so a rejected body allocates nothing that outlives
 * the call. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "model/hooks.h"
#include "common/log.h"
#include "common/sig.h"
#include "common/xmalloc.h"

/* One request fans out into at most this many incidents' worth of
 * matching; Alertmanager's own max_alerts defaults far lower. */
#define HOOKS_MAX_ALERTS	1000

struct hooks_format;
typedef int (*hooks_decode_fn)(const struct hooks_format *, json_t *,
    struct trigger **, size_t *, char **);

/* A group-level field copied beside each alert: from the notification's
 * key to the key it takes in the per-alert document. */
struct hooks_field {
	const char	*from;
	const char	*to;
};

struct hooks_format {
	const char			*name;
	hooks_decode_fn			 decode;
	const struct hooks_field	*group;	/* alert formats only */
};

static int	hooks_decode_alerts(const struct hooks_format *, json_t *,
		    struct trigger **, size_t *, char **);
static int	hooks_decode_p2pquake(const struct hooks_format *, json_t *,
		    struct trigger **, size_t *, char **);
static int	hooks_decode_json(const struct hooks_format *, json_t *,
		    struct trigger **, size_t *, char **);

/* The group's own "status" becomes "groupStatus" so that the alert's
 * status (firing/resolved for this alert alone) keeps its name. */
static const struct hooks_field hooks_am_group[] = {
	{ "groupKey", "groupKey" },
	{ "groupLabels", "groupLabels" },
	{ "commonLabels", "commonLabels" },
	{ "commonAnnotations", "commonAnnotations" },
	{ "externalURL", "externalURL" },
	{ "receiver", "receiver" },
	{ "truncatedAlerts", "truncatedAlerts" },
	{ "status", "groupStatus" },
	{ "version", "version" },
	{ NULL, NULL }
};

static const struct hooks_field hooks_grafana_group[] = {
	{ "groupKey", "groupKey" },
	{ "groupLabels", "groupLabels" },
	{ "commonLabels", "commonLabels" },
	{ "commonAnnotations", "commonAnnotations" },
	{ "externalURL", "externalURL" },
	{ "receiver", "receiver" },
	{ "truncatedAlerts", "truncatedAlerts" },
	{ "status", "groupStatus" },
	{ "version", "version" },
	{ "title", "title" },
	{ "state", "state" },
	{ "message", "message" },
	{ "orgId", "orgId" },
	{ NULL, NULL }
};

static const struct hooks_format hooks_formats[] = {
	{ "alertmanager", hooks_decode_alerts, hooks_am_group },
	{ "grafana", hooks_decode_alerts, hooks_grafana_group },
	{ "p2pquake", hooks_decode_p2pquake, NULL },
	{ "json", hooks_decode_json, NULL },
	{ NULL, NULL, NULL }
};

static const struct hooks_format *
hooks_find(const char *name)
{
	const struct hooks_format	*f;

	if (name == NULL)
		return NULL;
	for (f = hooks_formats; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

int
hook_format_known(const char *name)
{
	return hooks_find(name) != NULL;
}

static json_t *
hooks_copy(json_t *v)
{
	json_t	*c;

	if ((c = json_deep_copy(v)) == NULL)
		fatalx("json_deep_copy: out of memory");
	return c;
}

/* SHA-256 hex of the canonical form (sorted keys, compact): the same
 * content always hashes the same whatever order the sender used. */
static char *
hooks_canon_hash(const json_t *v)
{
	char	*s, hex[65];

	s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		fatalx("json_dumps: out of memory");
	sha256_hex(s, strlen(s), hex);
	free(s);
	return xstrdup(hex);
}

/* A string member that is present and not empty, else NULL. */
static const char *
hooks_str(const json_t *obj, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(obj, key));
	if (s == NULL || *s == '\0')
		return NULL;
	return s;
}

static int
hooks_str_is(const json_t *obj, const char *key, const char *want)
{
	const char	*s = json_string_value(json_object_get(obj, key));

	return s != NULL && strcmp(s, want) == 0;
}

void
triggers_free(struct trigger *tv, size_t n)
{
	size_t	 i;

	if (tv == NULL)
		return;
	for (i = 0; i < n; i++) {
		json_decref(tv[i].doc);
		free(tv[i].fingerprint);
	}
	free(tv);
}

/* alertmanager and grafana: checks one alert's shape. */
static int
hooks_check_alert(const struct hooks_format *fmt, const json_t *alert,
    size_t i, char **why)
{
	if (!json_is_object(alert)) {
		*why = xprintf("%s: alerts[%zu] is not an object", fmt->name,
		    i);
		return -1;
	}
	if (!json_is_object(json_object_get(alert, "labels"))) {
		*why = xprintf("%s: alerts[%zu] without \"labels\" object",
		    fmt->name, i);
		return -1;
	}
	if (!json_is_string(json_object_get(alert, "status"))) {
		*why = xprintf("%s: alerts[%zu] without \"status\" string",
		    fmt->name, i);
		return -1;
	}
	return 0;
}

/* A drill is announced by the alert rule itself: the label
 * keizoku_drill="true" (or "1") on an alert marks it as a drill or test
 * alert, so that a drill rule in Prometheus or Grafana can exercise a
 * runbook without starting a real activation. */
static int
hooks_alert_drill(const json_t *labels)
{
	return hooks_str_is(labels, "keizoku_drill", "true") ||
	    hooks_str_is(labels, "keizoku_drill", "1");
}

/* Builds the trigger of one (already checked) alert: the alert with the
 * group's fields beside it. The group's values win over an alert member
 * of the same name, so that a key such as {{trigger.groupKey}} always
 * means the group. */
static void
hooks_alert_trigger(const struct hooks_format *fmt, json_t *root,
    json_t *alert, struct trigger *t)
{
	const struct hooks_field	*f;
	json_t				*v, *labels;
	const char			*fp;

	t->doc = hooks_copy(alert);
	for (f = fmt->group; f->from != NULL; f++) {
		if ((v = json_object_get(root, f->from)) != NULL)
			json_object_set_new(t->doc, f->to, hooks_copy(v));
	}
	labels = json_object_get(alert, "labels");
	if ((fp = hooks_str(alert, "fingerprint")) != NULL)
		t->fingerprint = xstrdup(fp);
	else
		t->fingerprint = hooks_canon_hash(labels);
	t->resolved = hooks_str_is(alert, "status", "resolved");
	t->drill = hooks_alert_drill(labels);
	t->correction = 0;
}

/* alertmanager (webhook version 4) and grafana (version 1): one trigger
 * per alert. Unknown members, such as notification_reason, are carried
 * along unused. */
static int
hooks_decode_alerts(const struct hooks_format *fmt, json_t *root,
    struct trigger **out, size_t *n, char **why)
{
	json_t		*alerts;
	struct trigger	*tv;
	size_t		 i, count;

	alerts = json_object_get(root, "alerts");
	if (alerts == NULL || json_is_null(alerts)) {
		*why = xprintf("%s: missing \"alerts\" array", fmt->name);
		return -1;
	}
	if (!json_is_array(alerts)) {
		*why = xprintf("%s: \"alerts\" is not an array", fmt->name);
		return -1;
	}
	count = json_array_size(alerts);
	if (count > HOOKS_MAX_ALERTS) {
		*why = xprintf("%s: %zu alerts in one request, at most %d "
		    "allowed", fmt->name, count, HOOKS_MAX_ALERTS);
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (hooks_check_alert(fmt, json_array_get(alerts, i), i,
		    why) == -1)
			return -1;
	}
	if (count == 0)
		return 0;
	tv = xcalloc(count, sizeof *tv);
	for (i = 0; i < count; i++)
		hooks_alert_trigger(fmt, root, json_array_get(alerts, i),
		    &tv[i]);
	*out = tv;
	*n = count;
	return 0;
}

/* Where a report may carry JMA's control status (Control/Status in the
 * JMA XML: 通常 / 訓練 / 試験): a top-level "status", "control.status"
 * or "Control.Status". */
static const struct {
	const char	*obj;	/* NULL: top level */
	const char	*key;
} hooks_p2p_status[] = {
	{ NULL, "status" },
	{ "control", "status" },
	{ "Control", "Status" },
};

static int
hooks_p2p_drill_word(const char *s)
{
	if (s == NULL)
		return 0;
	return strcmp(s, "訓練") == 0 || strcmp(s, "試験") == 0 ||
	    strcasecmp(s, "drill") == 0 || strcasecmp(s, "test") == 0;
}

/* A report is a drill when its control status (above) is 訓練 or 試験
 * (or "drill"/"test", any ASCII case), or when it has a top-level
 * boolean "test": true (P2P地震情報 marks test EEW telegrams so). A drill
 * telegram must never start a real activation. */
static int
hooks_p2p_drill(const json_t *root)
{
	const json_t	*o;
	size_t		 i;

	if (json_is_true(json_object_get(root, "test")))
		return 1;
	for (i = 0; i < sizeof hooks_p2p_status /
	    sizeof hooks_p2p_status[0]; i++) {
		o = root;
		if (hooks_p2p_status[i].obj != NULL)
			o = json_object_get(root, hooks_p2p_status[i].obj);
		if (hooks_p2p_drill_word(json_string_value(
		    json_object_get(o, hooks_p2p_status[i].key))))
			return 1;
	}
	return 0;
}

/* The origin time identifies the earthquake, so the 震度速報, the later
 * detailed reports and any correction of one quake share a key; without
 * it, the report's own id. */
static char *
hooks_p2p_fingerprint(const json_t *root, const json_t *eq)
{
	const char	*s;
	char		*hash, *fp;

	if ((s = hooks_str(eq, "time")) != NULL ||
	    (s = hooks_str(root, "id")) != NULL ||
	    (s = hooks_str(root, "_id")) != NULL)
		return xprintf("p2pquake:%s", s);
	hash = hooks_canon_hash(root);
	fp = xprintf("p2pquake:%s", hash);
	free(hash);
	return fp;
}

/* issue.correct is "None" on an original report; anything else names
 * what the correction changes (ScaleOnly, DestinationOnly, ...). */
static int
hooks_p2p_correction(const json_t *issue)
{
	const json_t	*c = json_object_get(issue, "correct");

	if (c == NULL || json_is_null(c))
		return 0;
	if (json_is_string(c))
		return *json_string_value(c) != '\0' &&
		    strcmp(json_string_value(c), "None") != 0;
	return !json_is_false(c);
}

/* P2P地震情報 JSON API v2. Only code 551 (JMA earthquake information)
 * starts anything; tsunami (552), EEW detection (554), peer (555, 561)
 * and other codes are accepted and yield no trigger. */
static int
hooks_decode_p2pquake(const struct hooks_format *fmt, json_t *root,
    struct trigger **out, size_t *n, char **why)
{
	json_t		*code, *eq, *issue, *points;
	struct trigger	*t;

	code = json_object_get(root, "code");
	if (!json_is_integer(code)) {
		*why = xprintf("%s: missing \"code\" integer", fmt->name);
		return -1;
	}
	if (json_integer_value(code) != 551)
		return 0;
	eq = json_object_get(root, "earthquake");
	if (!json_is_object(eq)) {
		*why = xprintf("%s: code 551 report without \"earthquake\" "
		    "object", fmt->name);
		return -1;
	}
	issue = json_object_get(root, "issue");
	if (!json_is_object(issue)) {
		*why = xprintf("%s: code 551 report without \"issue\" object",
		    fmt->name);
		return -1;
	}
	points = json_object_get(root, "points");
	if (points != NULL && !json_is_null(points) &&
	    !json_is_array(points)) {
		*why = xprintf("%s: \"points\" is not an array", fmt->name);
		return -1;
	}

	/* Matchers such as points: {any: ...} expect an array even when the
	 * report lists no observation points. */
	if (!json_is_array(points))
		json_object_set_new(root, "points", json_array());

	t = xcalloc(1, sizeof *t);
	t->doc = json_incref(root);
	t->fingerprint = hooks_p2p_fingerprint(root, eq);
	t->resolved = 0;
	t->drill = hooks_p2p_drill(root);
	t->correction = hooks_p2p_correction(issue);
	*out = t;
	*n = 1;
	return 0;
}

/* Any JSON object: one trigger. Its sender may mark it with top-level
 * "status": "resolved" and "drill": true. */
static int
hooks_decode_json(const struct hooks_format *fmt, json_t *root,
    struct trigger **out, size_t *n, char **why)
{
	struct trigger	*t;

	t = xcalloc(1, sizeof *t);
	t->doc = json_incref(root);
	t->fingerprint = hooks_canon_hash(root);
	t->resolved = hooks_str_is(root, "status", "resolved");
	t->drill = json_is_true(json_object_get(root, "drill"));
	t->correction = 0;
	*out = t;
	*n = 1;
	return 0;
}

int
hook_decode(const char *format, const char *body, size_t len,
    struct trigger **out, size_t *n, char **why)
{
	const struct hooks_format	*fmt;
	json_t				*root;
	json_error_t			 err;
	int				 rc;

	*out = NULL;
	*n = 0;
	*why = NULL;
	if ((fmt = hooks_find(format)) == NULL) {
		*why = xprintf("unknown hook format \"%s\"",
		    format != NULL ? format : "(null)");
		return -1;
	}
	/* Duplicate keys are refused: two values for one key would let the
	 * matcher and a human reading the body see different alerts. */
	root = json_loadb(body != NULL ? body : "", body != NULL ? len : 0,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (root == NULL) {
		*why = xprintf("invalid JSON at line %d column %d: %s",
		    err.line, err.column, err.text);
		return -1;
	}
	if (!json_is_object(root)) {
		*why = xprintf("%s: the top-level JSON value is not an object",
		    fmt->name);
		json_decref(root);
		return -1;
	}
	rc = fmt->decode(fmt, root, out, n, why);
	json_decref(root);
	if (rc == -1) {
		*out = NULL;
		*n = 0;
	}
	return rc;
}
