/* Fuzzes the template engine: compiling (tmpl_compile), rendering
 * (tmpl_render, tmpl_render_json) and checking. The input is the
 * template text, then optionally a line "%%" and the JSON context;
 * without one a fixed context is used. Text without "{{" must render as
 * itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/template.h"
#include "common/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_SEP	"\n%%\n"

static const char fuzz_template_ctx[] =
	"{\"trigger\": {\"labels\": {\"alertname\": \"DiskFull\", "
	"\"instance\": \"db1\"}, \"points\": [{\"pref\": \"東京都\", "
	"\"scale\": 45}], \"n\": 1.5, \"t\": true, \"z\": null}, "
	"\"vars\": {\"site\": \"本庁舎\", \"list\": [1, \"二\", {}]}, "
	"\"incident\": {\"id\": \"7\"}, \"runbook\": {\"id\": \"eq\"}, "
	"\"steps\": {}}";

static json_t *
fuzz_template_ctx_of(const uint8_t *data, size_t size, size_t *tlen)
{
	const uint8_t	*sep;
	json_error_t	 err;
	size_t		 slen = strlen(FUZZ_SEP);

	sep = memmem(data, size, FUZZ_SEP, slen);
	if (sep == NULL) {
		*tlen = size;
		return json_loads(fuzz_template_ctx, 0, &err);
	}
	*tlen = (size_t)(sep - data);
	return json_loadb((const char *)sep + slen, size - *tlen - slen, 0,
	    &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl	*t;
	json_t		*ctx, *s, *r;
	size_t		 tlen;
	char		*text, *out, *why = NULL;

	if ((ctx = fuzz_template_ctx_of(data, size, &tlen)) == NULL)
		return 0;
	/* Templates are C strings: stop at a NUL, as YAML would refuse. */
	text = xstrndup((const char *)data, tlen);
	if ((t = tmpl_compile(text, NULL, NULL, &why)) != NULL) {
		out = tmpl_render(t, ctx);
		if (out == NULL)
			abort();
		if (strstr(text, "{{") == NULL && strcmp(out, text) != 0)
			abort();
		free(out);
		tmpl_free(t);
	} else {
		if (why == NULL)
			abort();
		free(why);
	}
	free(tmpl_expand(text, ctx));
	if ((s = json_string(text)) != NULL) {
		why = NULL;
		if (tmpl_check_json(s, NULL, NULL, &why) == -1)
			free(why);
		r = tmpl_render_json(s, ctx);
		json_decref(r);
		json_decref(s);
	}
	free(text);
	json_decref(ctx);
	return 0;
}
