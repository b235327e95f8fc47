/* Fuzzes the matcher: compiling from YAML (matcher_compile), compiling
 * from the stored JSON form (matcher_compile_json) and evaluating. The
 * input is the matcher's YAML, then optionally a line "%%" and the JSON
 * document to match; without one a fixed trigger is used. A matcher
 * read back from storage must decide as the one loaded from the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/diag.h"
#include "model/matcher.h"
#include "common/ytree.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_SEP	"\n%%\n"

static const char fuzz_matcher_doc[] =
	"{\"labels\": {\"alertname\": \"DiskFull\", \"severity\": "
	"\"critical\", \"instance\": \"db1:9100\", \"拠点\": \"本庁舎\"}, "
	"\"status\": \"firing\", \"points\": [{\"scale\": 45, \"pref\": "
	"\"東京都\"}, {\"scale\": 60, \"pref\": \"千葉県\"}], \"count\": 3, "
	"\"ratio\": 0.5, \"ok\": true, \"none\": null, \"empty\": {}}";

static json_t *
fuzz_matcher_ctx(const uint8_t *data, size_t size, size_t *ylen)
{
	const uint8_t	*sep;
	json_error_t	 err;
	size_t		 slen = strlen(FUZZ_SEP);

	sep = memmem(data, size, FUZZ_SEP, slen);
	if (sep == NULL) {
		*ylen = size;
		return json_loads(fuzz_matcher_doc, 0, &err);
	}
	*ylen = (size_t)(sep - data);
	return json_loadb((const char *)sep + slen,
	    size - *ylen - slen, 0, &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags	 d = { 0 };
	struct ydoc	*doc;
	struct matcher	*m, *mj;
	json_t		*ctx, *j;
	size_t		 ylen;
	char		*why = NULL;
	int		 r;

	if ((ctx = fuzz_matcher_ctx(data, size, &ylen)) == NULL)
		return 0;
	doc = ydoc_parse("match.yaml", (const char *)data, ylen, &d);
	if (doc != NULL && doc->root != NULL) {
		m = matcher_compile(doc->root, "match.yaml", &d, NULL, NULL);
		if (m != NULL) {
			r = matcher_eval(m, ctx);
			j = ynode_json(doc->root);
			if ((mj = matcher_compile_json(j, &why)) == NULL)
				abort();
			if (matcher_eval(mj, ctx) != r)
				abort();
			matcher_free(mj);
			json_decref(j);
			matcher_free(m);
		}
	}
	ydoc_free(doc);
	diag_free(&d);
	json_decref(ctx);
	return 0;
}
