/* Crash-state enumeration (tests/fs/crash_enum.c) over generated workloads.
 * The bounded pass here runs in `make test` (120 workloads of 24 operations,
 * 3 reorderings per crash point); TFS_CRASH_FULL=1 (make crashtest) runs 400
 * workloads of 40 operations with 8 reorderings and a second fsck after
 * each checked mount. TFS_CRASH_SEED=N runs workload N alone. */
#include <time.h>

#include "tests/fs/crash_enum.h"
#include "tests/unit/fs/tfs_test.h"

static void run_seeds(uint32_t seeds, uint32_t ops, uint32_t reorder, bool fsck_after)
{
	struct crash_result res = { 0 };
	bool verbose = getenv("TFS_TEST_VERBOSE") != NULL;
	clock_t t0 = clock();
	uint32_t first = 1;
	if (getenv("TFS_CRASH_SEED"))
		first = seeds = (uint32_t)atoi(getenv("TFS_CRASH_SEED"));
	for (uint32_t s = first; s <= seeds; s++) {
		struct crash_opts o = { .seed = s, .ops = ops, .reorder = reorder,
					.fsck_after = fsck_after, .verbose = verbose };
		crash_run(&o, &res);
	}
	printf("# crash: %u workloads of %u operations, %llu writes/flushes logged, "
	       "%llu crash states checked, %llu violations (%.1f s)\n",
	       seeds - first + 1, ops, (unsigned long long)res.log_ops, (unsigned long long)res.states,
	       (unsigned long long)res.violations, (double)(clock() - t0) / CLOCKS_PER_SEC);
	if (res.violations)
		fail_msg("%s", res.first);
	assert_true(res.states > 0);
}

static uint32_t env_or(const char *name, uint32_t dflt)
{
	const char *v = getenv(name);
	return v ? (uint32_t)atoi(v) : dflt;
}

/* TFS_CRASH_SEEDS / _OPS / _REORDER override the sizes of either mode. */
static void test_crash_states(void **state)
{
	(void)state;
	bool full = getenv("TFS_CRASH_FULL") != NULL;
	run_seeds(env_or("TFS_CRASH_SEEDS", full ? 400 : 120), env_or("TFS_CRASH_OPS", full ? 40 : 24),
		  env_or("TFS_CRASH_REORDER", full ? 8 : 3), full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
