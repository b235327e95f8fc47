/* The command table (proto/commands.h): every command has a spec, a
 * daemon handler and a client printer, all indexed by the same id; names
 * and REST routes are unique; the lookups find what the client types. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/cmd.h"
#include "keizoku.h"
#include "proto/proto.h"

static void
test_cmdtab_complete(void **state)
{
	size_t i;

	for (i = 0; i < KZ_CMD_COUNT; i++) {
		const struct kz_cmdspec *c = &kz_cmdspecs[i];

		assert_int_equal(c->id, i);
		assert_non_null(c->name);
		assert_non_null(c->help);
		assert_non_null(c->flags);
		assert_non_null(c->method);
		assert_non_null(c->path);
		if (kz_cmd_handler(c->id) == NULL)
			fail_msg("%s has no handler", c->name);
		if (cli_printer_of(c->id) == NULL)
			fail_msg("%s has no printer", c->name);
	}
	assert_null(kz_cmdspecs[KZ_CMD_COUNT].name);
	assert_null(kz_cmd_handler(KZ_CMD_COUNT));
	assert_null(cli_printer_of(KZ_CMD_COUNT));
}

static void
test_cmdtab_unique(void **state)
{
	size_t i, j;

	for (i = 0; i < KZ_CMD_COUNT; i++) {
		const struct kz_cmdspec *a = &kz_cmdspecs[i];

		for (j = i + 1; j < KZ_CMD_COUNT; j++) {
			const struct kz_cmdspec *b = &kz_cmdspecs[j];

			if (strcmp(a->name, b->name) == 0)
				fail_msg("%s is declared twice", a->name);
			if (strcmp(a->method, b->method) == 0 &&
			    strcmp(a->path, b->path) == 0)
				fail_msg("%s and %s share %s %s", a->name,
				    b->name, a->method, a->path);
		}
	}
}

/* A command that changes state is a POST; the positional params are
 * what its route captures (or what the body carries). */
static void
test_cmdtab_shape(void **state)
{
	size_t i;
	int n;

	for (i = 0; i < KZ_CMD_COUNT; i++) {
		const struct kz_cmdspec *c = &kz_cmdspecs[i];

		if (c->write && strcmp(c->method, "POST") != 0)
			fail_msg("%s writes but is a %s", c->name, c->method);
		for (n = 0; n < 3 && c->args[n] != NULL; n++)
			;
		if (c->min_args > n)
			fail_msg("%s requires %d of %d params", c->name,
			    c->min_args, n);
		assert_ptr_equal(kz_cmdspec_byname(c->name), c);
	}
}

static void
test_cmdtab_find(void **state)
{
	char	 ack[] = "ack", seven[] = "7", decide[] = "decide";
	char	 exc[] = "exception", approve[] = "approve", three[] = "3";
	char	 plan[] = "plan", nonesuch[] = "nonesuch";
	char	*one[] = { ack, seven, decide };
	char	*two[] = { exc, approve, three };
	char	*grp[] = { plan };
	char	*unk[] = { nonesuch };
	int	 used = 0;

	assert_int_equal(kz_cmdspec_find(3, one, &used)->id, KZ_CMD_ACK);
	assert_int_equal(used, 1);
	assert_int_equal(kz_cmdspec_find(3, two, &used)->id,
	    KZ_CMD_EXCEPTION_APPROVE);
	assert_int_equal(used, 2);
	assert_null(kz_cmdspec_find(1, grp, &used));
	assert_null(kz_cmdspec_find(1, unk, &used));
	assert_null(kz_cmdspec_byname("exception"));
	assert_ptr_equal(kz_cmd_handler(KZ_CMD_DISMISS),
	    kz_cmd_handler(KZ_CMD_CONFIRM));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdtab_complete),
		cmocka_unit_test(test_cmdtab_unique),
		cmocka_unit_test(test_cmdtab_shape),
		cmocka_unit_test(test_cmdtab_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
