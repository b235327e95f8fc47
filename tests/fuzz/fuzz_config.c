/* Fuzzes the config loader. config_load reads a path, so each input is
 * written to keizokud.yaml in a private directory made on the first run;
 * a "secret" file there lets "file:secret" resolve, and KZ_FUZZ_SECRET
 * lets "env:KZ_FUZZ_SECRET" resolve. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/config.h"
#include "common/diag.h"
#include "common/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*fuzz_config_dir, *fuzz_config_path, *fuzz_config_secret;

static void
fuzz_config_write(const char *path, const void *data, size_t size)
{
	const char	*p = data;
	ssize_t		 w;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		abort();
	while (size > 0) {
		if ((w = write(fd, p, size)) <= 0)
			abort();
		p += w;
		size -= (size_t)w;
	}
	close(fd);
}

/* Replays run in `make test`: leave nothing behind in /tmp. */
static void
fuzz_config_cleanup(void)
{
	unlink(fuzz_config_path);
	unlink(fuzz_config_secret);
	rmdir(fuzz_config_dir);
}

static void
fuzz_config_init(void)
{
	char	 tmpl[] = "/tmp/kz-fuzz-config.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		abort();
	fuzz_config_dir = xstrdup(tmpl);
	fuzz_config_secret = xprintf("%s/secret", tmpl);
	fuzz_config_write(fuzz_config_secret, "whsec_c2VjcmV0\n", 15);
	fuzz_config_path = xprintf("%s/keizokud.yaml", tmpl);
	setenv("KZ_FUZZ_SECRET", "s3cret", 1);
	atexit(fuzz_config_cleanup);
}

/* A "file:" secret reads whatever path it names: keep them inside the
 * private directory, so no input can make the target read a device or
 * another file of the machine. A relative path cannot leave it without
 * "..", and YAML escapes need a backslash. */
static int
fuzz_config_unsafe(const uint8_t *data, size_t size)
{
	if (memmem(data, size, "file:", 5) == NULL)
		return 0;
	return memmem(data, size, "file:/", 6) != NULL ||
	    memmem(data, size, "..", 2) != NULL ||
	    memchr(data, '\\', size) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags	 d = { 0 };
	struct config	*c;
	size_t		 i;

	if (fuzz_config_path == NULL)
		fuzz_config_init();
	if (fuzz_config_unsafe(data, size))
		return 0;
	fuzz_config_write(fuzz_config_path, data, size);
	c = config_load(fuzz_config_path, &d);
	if (c != NULL) {
		for (i = 0; i < c->nsources; i++)
			if (config_source(c, c->sources[i].name) == NULL)
				abort();
		for (i = 0; i < c->nchannels; i++)
			if (config_channel(c, c->channels[i].name) == NULL)
				abort();
		config_free(c);
	} else if (d.nerrors == 0)
		abort();
	diag_free(&d);
	return 0;
}
