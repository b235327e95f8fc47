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

int
hook_source_format_known(const char *name)
{
	return hook_format_known(name) || (name != NULL &&
	    (strcmp(name, "jma") == 0 || strcmp(name, "heartbeat") == 0));
}

/* The paths each format's trigger documents may have, so that a matcher
 * on a path the format never has (a maintenance window's, a heartbeat's)
 * is refused instead of silently matching nothing. "labels.*" is labels
 * and anything under it; other entries are exact. */
static const char *const hooks_alert_paths[] = {
	"status", "labels.*", "annotations.*", "startsAt", "endsAt",
	"generatorURL", "fingerprint", "groupKey", "groupLabels.*",
	"commonLabels.*", "commonAnnotations.*", "externalURL", "receiver",
	"truncatedAlerts", "groupStatus", "version", NULL
};
static const char *const hooks_grafana_paths[] = {
	"silenceURL", "dashboardURL", "panelURL", "imageURL", "values.*",
	"valueString", "title", "state", "message", "orgId", NULL
};
static const char *const hooks_quake_paths[] = {
	"code", "id", "_id", "time", "issue.*", "earthquake.*", "points.*",
	"areas.*", "cancelled", "test", "status", "control.*", "Control.*",
	"comments.*", "expire", "timestamp.*", "user_agent", "ver", NULL
};
static const char *const hooks_jma_paths[] = {
	"code", "issue.*", "earthquake.*", "points.*", "areas.*",
	"cancelled", "observations.*", "jma.*", "text", NULL
};
static const char *const hooks_none_paths[] = { NULL };

static const struct {
	const char		*format;
	const char *const	*paths[2];	/* NULL: any path */
} hooks_paths[] = {
	{ "alertmanager", { hooks_alert_paths, NULL } },
	{ "grafana", { hooks_alert_paths, hooks_grafana_paths } },
	{ "p2pquake", { hooks_quake_paths, NULL } },
	{ "jma", { hooks_jma_paths, NULL } },
	{ "heartbeat", { hooks_none_paths, NULL } },
};

static int
hooks_path_in(const char *const *list, const char *path)
{
	size_t	len;

	for (; *list != NULL; list++) {
		len = strlen(*list);
		if (len > 2 && strcmp(*list + len - 2, ".*") == 0) {
			len -= 2;
			if (strncmp(path, *list, len) == 0 &&
			    (path[len] == '\0' || path[len] == '.'))
				return 1;
		} else if (strcmp(path, *list) == 0)
			return 1;
	}
	return 0;
}

int
hook_path_known(const char *format, const char *path)
{
	size_t	i, k;

	for (i = 0; i < sizeof hooks_paths / sizeof hooks_paths[0]; i++) {
		if (strcmp(hooks_paths[i].format, format) != 0)
			continue;
		for (k = 0; k < 2 && hooks_paths[i].paths[k] != NULL; k++)
			if (hooks_path_in(hooks_paths[i].paths[k], path))
				return 1;
		return 0;
	}
	return 1;	/* json: whatever its sender posts */
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
		free(tv[i].text);
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

char *
hook_quake_key(const char *time)
{
	static const char	 shape[] = "dddd/dd/dd dd:dd";
	size_t			 i;

	if (time == NULL || strlen(time) < sizeof shape - 1)
		return NULL;
	for (i = 0; i < sizeof shape - 1; i++) {
		if (shape[i] == 'd' ? time[i] < '0' || time[i] > '9' :
		    time[i] != shape[i])
			return NULL;
	}
	return xprintf("quake:%.*s", (int)(sizeof shape - 1), time);
}

/* The origin time identifies the earthquake, so the 震度速報, the later
 * detailed reports, any correction of one quake and the same quake
 * relayed by JMA's own feed share a key (hook_quake_key); without it,
 * the report's own id. */
static char *
hooks_p2p_fingerprint(const json_t *root, const char *time)
{
	const char	*s;
	char		*hash, *fp;

	if ((fp = hook_quake_key(time)) != NULL)
		return fp;
	if ((s = time) != NULL || (s = hooks_str(root, "id")) != NULL ||
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

/* Matchers such as points: {any: ...} expect an array even when the
 * report lists nothing: an absent or null member becomes []. -1 when it
 * is something else. */
static int
hooks_p2p_array(const struct hooks_format *fmt, json_t *root,
    const char *key, char **why)
{
	json_t	*v = json_object_get(root, key);

	if (v != NULL && !json_is_null(v) && !json_is_array(v)) {
		*why = xprintf("%s: \"%s\" is not an array", fmt->name, key);
		return -1;
	}
	if (!json_is_array(v))
		json_object_set_new(root, key, json_array());
	return 0;
}

static int
hooks_p2p_object(const struct hooks_format *fmt, json_t *root,
    const char *key, char **why)
{
	if (!json_is_object(json_object_get(root, key))) {
		*why = xprintf("%s: code %lld report without \"%s\" object",
		    fmt->name, (long long)json_integer_value(json_object_get(
		    root, "code")), key);
		return -1;
	}
	return 0;
}

/* 551: JMA earthquake information (震度速報, 震源・震度に関する情報 ...). */
static int
hooks_p2p_551(const struct hooks_format *fmt, json_t *root,
    struct trigger *t, char **why)
{
	json_t	*eq = json_object_get(root, "earthquake");

	if (hooks_p2p_object(fmt, root, "earthquake", why) == -1 ||
	    hooks_p2p_object(fmt, root, "issue", why) == -1 ||
	    hooks_p2p_array(fmt, root, "points", why) == -1)
		return -1;
	t->fingerprint = hooks_p2p_fingerprint(root, hooks_str(eq, "time"));
	t->correction = hooks_p2p_correction(json_object_get(root, "issue"));
	return 0;
}

/* 552: tsunami forecasts (津波予報): "areas" with a grade each
 * (MajorWarning, Warning, Watch, Unknown); "cancelled": true when every
 * warning and advisory was lifted (解除), which resolves the incident's
 * trigger rather than withdrawing it. */
static int
hooks_p2p_552(const struct hooks_format *fmt, json_t *root,
    struct trigger *t, char **why)
{
	if (hooks_p2p_array(fmt, root, "areas", why) == -1)
		return -1;
	t->fingerprint = xstrdup(HOOK_TSUNAMI_KEY);
	t->resolved = json_is_true(json_object_get(root, "cancelled"));
	return 0;
}

/* 556: Earthquake Early Warning (緊急地震速報（警報）): "areas" with
 * forecast intensity ranges (scaleFrom, scaleTo as P2P scale codes; 99:
 * "or more"); "cancelled": true withdraws the warning (取消). The
 * origin time keys it like the reports that follow. */
static int
hooks_p2p_556(const struct hooks_format *fmt, json_t *root,
    struct trigger *t, char **why)
{
	json_t	*eq = json_object_get(root, "earthquake");

	if (hooks_p2p_array(fmt, root, "areas", why) == -1)
		return -1;
	t->cancelled = json_is_true(json_object_get(root, "cancelled"));
	/* A cancellation may come without the earthquake. */
	if (!t->cancelled && hooks_p2p_object(fmt, root, "earthquake",
	    why) == -1)
		return -1;
	if (eq != NULL && !json_is_null(eq) && !json_is_object(eq)) {
		*why = xprintf("%s: \"earthquake\" is not an object",
		    fmt->name);
		return -1;
	}
	t->fingerprint = hooks_p2p_fingerprint(root, hooks_str(eq,
	    "originTime"));
	return 0;
}

static const struct {
	json_int_t	 code;
	int		(*decode)(const struct hooks_format *, json_t *,
			    struct trigger *, char **);
} hooks_p2p_codes[] = {
	{ 551, hooks_p2p_551 },
	{ 552, hooks_p2p_552 },
	{ 556, hooks_p2p_556 },
};

/* P2P地震情報 JSON API v2. Codes 551 (earthquake information), 552
 * (tsunami forecasts) and 556 (EEW warnings) start things; EEW detection
 * (554), peer (555, 561) and other codes are accepted and yield no
 * trigger. */
static int
hooks_decode_p2pquake(const struct hooks_format *fmt, json_t *root,
    struct trigger **out, size_t *n, char **why)
{
	json_t		*code;
	struct trigger	*t;
	size_t		 i;

	code = json_object_get(root, "code");
	if (!json_is_integer(code)) {
		*why = xprintf("%s: missing \"code\" integer", fmt->name);
		return -1;
	}
	for (i = 0; i < sizeof hooks_p2p_codes / sizeof hooks_p2p_codes[0];
	    i++)
		if (hooks_p2p_codes[i].code == json_integer_value(code))
			break;
	if (i == sizeof hooks_p2p_codes / sizeof hooks_p2p_codes[0])
		return 0;
	t = xcalloc(1, sizeof *t);
	if (hooks_p2p_codes[i].decode(fmt, root, t, why) == -1) {
		free(t->fingerprint);
		free(t);
		return -1;
	}
	t->doc = json_incref(root);
	t->drill = hooks_p2p_drill(root);
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
