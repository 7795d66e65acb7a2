/* Block and inode allocation over the bitmaps: runs at the goal, the data
 * area only, blocks freed in the running transaction kept until it commits,
 * counts, exhaustion. */
#include "tests/unit/fs/tfs_test.h"

static struct ram_bdev r;
static struct tfs *fs;

static int setup(void **state)
{
	(void)state;
	t_mkfs(&r, 1024);
	fs = t_mount(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tfs_unmount(fs);
	ram_bdev_free(&r);
	return 0;
}

static bool used(uint64_t b)
{
	bool set = false;
	assert_int_equal(tfs_bitmap_get(fs, fs->sb.bbm_start, b, &set), 0);
	return set;
}

static void test_runs_and_goal(void **state)
{
	(void)state;
	uint64_t p, n, free0 = fs->free_blocks;
	assert_int_equal(tfs_alloc_blocks(fs, 0, 10, &p, &n), 0);
	assert_int_equal(n, 10);
	assert_true(p >= fs->sb.data_start);
	for (uint64_t b = p; b < p + 10; b++)
		assert_true(used(b));
	uint64_t p2, n2;
	assert_int_equal(tfs_alloc_blocks(fs, p + 10, 5, &p2, &n2), 0);
	assert_int_equal(p2, p + 10); /* grows in place */
	assert_int_equal(fs->free_blocks, free0 - 15);
	/* a goal inside the metadata area is ignored */
	assert_int_equal(tfs_alloc_blocks(fs, 1, 1, &p2, &n2), 0);
	assert_true(p2 >= fs->sb.data_start && p2 < fs->sb.nr_blocks - 1);
}

static void test_freed_blocks_wait_for_commit(void **state)
{
	(void)state;
	uint64_t p, n, q, m;
	assert_int_equal(tfs_alloc_blocks(fs, 0, 4, &p, &n), 0);
	assert_int_equal(tfs_txn_commit(fs), 0);
	assert_int_equal(tfs_free_blocks(fs, p, 4), 0);
	assert_false(used(p));
	assert_int_equal(tfs_alloc_blocks(fs, p, 4, &q, &m), 0);
	assert_true(q >= p + 4 || q + m <= p); /* not the blocks just freed */
	assert_int_equal(tfs_txn_commit(fs), 0);
	uint64_t s, k;
	assert_int_equal(tfs_alloc_blocks(fs, p, 4, &s, &k), 0);
	assert_int_equal(s, p); /* now they are allocatable again */
	assert_int_equal(tfs_free_blocks(fs, 0, 1), -EIO); /* never the metadata */
}

static void test_exhaustion(void **state)
{
	(void)state;
	uint64_t p, n, total = 0;
	while (tfs_alloc_blocks(fs, 0, 1000, &p, &n) == 0) {
		total += n;
		assert_true(p + n <= fs->sb.nr_blocks - 1);
	}
	assert_int_equal(fs->free_blocks, 0);
	assert_true(total > 0);
	assert_int_equal(tfs_alloc_blocks(fs, 0, 1, &p, &n), -ENOSPC);
	fs->broken = true; /* not committed: leave the image as it was */
}

static void test_inodes(void **state)
{
	(void)state;
	uint32_t a, b;
	uint64_t free0 = fs->free_inodes;
	assert_int_equal(tfs_alloc_inode(fs, &a), 0);
	assert_int_equal(a, 2); /* 0 is never used, 1 is the root */
	assert_int_equal(tfs_alloc_inode(fs, &b), 0);
	assert_int_equal(b, 3);
	assert_int_equal(tfs_free_inode(fs, a), 0);
	assert_int_equal(tfs_alloc_inode(fs, &b), 0);
	assert_int_equal(b, 2);
	assert_int_equal(fs->free_inodes, free0 - 2);
	uint32_t last = 0;
	while (tfs_alloc_inode(fs, &b) == 0)
		last = b;
	assert_int_equal(last, fs->sb.nr_inodes - 1);
	fs->broken = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_runs_and_goal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freed_blocks_wait_for_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inodes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
