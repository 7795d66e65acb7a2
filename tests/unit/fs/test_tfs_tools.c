/* The host tools end to end (build/tools/mkfs.tfs, fsck.tfs, tfs), on a
 * plain image and on a GPT partition (IMAGE@p2, made with sgdisk). */
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/fs/tfs_test.h"

#define TOOLS "build/tools/"

static char dir[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command in the scratch directory; returns its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[1024], full[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd %s && (%s) >>log 2>&1", dir, cmd);
	int st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/tfs-tools-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char cwd[512];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	char link[600];
	snprintf(link, sizeof(link), "ln -s %s/" TOOLS " %s/bin", cwd, dir);
	assert_int_equal(system(link), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_plain_image(void **state)
{
	(void)state;
	assert_int_equal(sh("bin/mkfs.tfs img --size 16M"), 0);
	assert_int_equal(sh("head -c 3000000 /dev/urandom > big && printf hello > small"), 0);
	assert_int_equal(sh("bin/tfs img mkdir /docs /docs/deep"), 0);
	assert_int_equal(sh("bin/tfs img put big /docs/deep/big"), 0);
	assert_int_equal(sh("bin/tfs img put small /small"), 0);
	assert_int_equal(sh("bin/tfs img get /docs/deep/big back && cmp big back"), 0);
	assert_int_equal(sh("test \"$(bin/tfs img cat /small)\" = hello"), 0);
	assert_int_equal(sh("bin/tfs img ls / | grep -q 'd .* docs'"), 0);
	assert_int_equal(sh("bin/tfs img cat /nope"), 1);
	assert_int_equal(sh("bin/fsck.tfs -n img"), 0);
	assert_int_equal(sh("bin/tfs img rm /docs/deep/big /docs/deep"), 0);
	assert_int_equal(sh("bin/tfs img ls /docs | grep -q deep"), 1);
	assert_int_equal(sh("bin/fsck.tfs img"), 0);
	/* a leaked block: bit 4000 of the block bitmap (byte 32 + 500 of block 2) */
	assert_int_equal(sh("printf '\\377' | dd of=img bs=1 seek=$((2*4096+32+500)) conv=notrunc status=none"), 0);
	assert_int_equal(sh("bin/fsck.tfs -n img"), 4);
	assert_int_equal(sh("bin/fsck.tfs img"), 1);
	assert_int_equal(sh("bin/fsck.tfs -n img"), 0);
	assert_int_equal(sh("test \"$(bin/tfs img cat /small)\" = hello"), 0);
}

static void test_gpt_partition(void **state)
{
	(void)state;
	if (sh("command -v sgdisk") != 0)
		skip();
	assert_int_equal(sh("truncate -s 40M disk && sgdisk -n 1:2048:+8M -n 2:0:+20M disk"), 0);
	assert_int_equal(sh("bin/mkfs.tfs disk@p2"), 0);
	assert_int_equal(sh("printf 'in a partition' > f && bin/tfs disk@p2 put f /f"), 0);
	assert_int_equal(sh("test \"$(bin/tfs disk@p2 cat /f)\" = 'in a partition'"), 0);
	assert_int_equal(sh("bin/fsck.tfs -n disk@p2"), 0);
	assert_int_equal(sh("bin/fsck.tfs -n disk@p1"), 4); /* not a tfs */
	assert_int_equal(sh("bin/tfs disk@p3 ls"), 1);     /* no such partition */
	assert_int_equal(sh("sgdisk -v disk | grep -q 'No problems found'"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpt_partition, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
