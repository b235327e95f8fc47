/* Replays fuzz inputs without libFuzzer: every file named on the command
 * line, and every regular file of each directory named (in name order),
 * goes once through LLVMFuzzerTestOneInput. Built with gcc against a
 * fuzz_NAME.c, it makes each seed and crash reproducer a regression
 * test. Prints each input's name, then the number of inputs; a crash
 * is the failure. */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "common/ytree.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	char	*text, *copy;
	size_t	 len;

	/* Names the input first, so a crash points at its reproducer. */
	printf("# %s\n", path);
	fflush(stdout);
	if ((text = read_file(path, &len)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	/* An exact-size copy, as libFuzzer gives: no NUL to lean on. */
	copy = xmalloc(len > 0 ? len : 1);
	memcpy(copy, text, len);
	free(text);
	LLVMFuzzerTestOneInput((const uint8_t *)copy, len);
	free(copy);
	return 0;
}

static int
replay_skip(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* Returns the number of inputs replayed, or -1. */
static long
replay_dir(const char *dir)
{
	struct dirent	**names;
	struct stat	  st;
	char		 *path;
	long		  done = 0;
	int		  n, i;

	if ((n = scandir(dir, &names, replay_skip, alphasort)) == -1) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		path = xprintf("%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) == -1)
				done = -1;
			else if (done != -1)
				done++;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return done;
}

/* libFuzzer stops at -rss_limit_mb=2048; do the same here, so an input
 * that once ran away with memory fails (or is refused by the library)
 * instead of taking the machine down with it. ASan maps terabytes of
 * shadow, so under ASan the limit is its hard_rss_limit_mb instead. */
static void
replay_limit(void)
{
#ifndef __SANITIZE_ADDRESS__
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = (rlim_t)2048 << 20;
	if (setrlimit(RLIMIT_AS, &rl) == -1)
		perror("setrlimit");
#endif
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	long		 total = 0, n;
	int		 i, bad = 0;

	replay_limit();
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			n = replay_dir(argv[i]);
		else
			n = replay_file(argv[i]) == -1 ? -1 : 1;
		if (n == -1)
			bad = 1;
		else
			total += n;
	}
	printf("%ld inputs\n", total);
	return bad;
}
