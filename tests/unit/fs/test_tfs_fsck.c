/* fsck on damaged images: each kind of damage is reported with -n (4),
 * repaired (1), and the repaired image is clean (0) and mounts. */
#include "tests/unit/fs/tfs_test.h"

static struct ram_bdev r;
static struct tfs_super sb;
static uint32_t ino_a, ino_b;

static int setup(void **state)
{
	(void)state;
	t_mkfs(&r, 1024);
	struct tfs *fs = t_mount(&r);
	uint8_t data[20000];
	t_fill(data, sizeof(data), 1);
	assert_int_equal(tfs_mkdir(fs, "/d"), 0);
	t_put(fs, "/d/a", data, sizeof(data));
	t_put(fs, "/b", data, 5000);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/d/a", &st), 0);
	ino_a = st.ino;
	assert_int_equal(tfs_stat(fs, "/b", &st), 0);
	ino_b = st.ino;
	assert_int_equal(tfs_unmount(fs), 0);
	memcpy(&sb, r.mem, sizeof(sb));
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ram_bdev_free(&r);
	return 0;
}

static struct tfs_inode *inode_at(uint32_t ino)
{
	return (struct tfs_inode *)(r.mem + (sb.itable_start + ino / TFS_INODES_PER_BLOCK) *
						    TFS_BLOCK_SIZE) + ino % TFS_INODES_PER_BLOCK;
}

static void set_bit(uint64_t start, uint64_t bit, bool on)
{
	uint8_t *b = r.mem + (start + bit / TFS_BITS_PER_BITMAP) * TFS_BLOCK_SIZE;
	uint64_t i = bit % TFS_BITS_PER_BITMAP;
	if (on)
		b[32 + i / 8] |= (uint8_t)(1u << (i % 8));
	else
		b[32 + i / 8] &= (uint8_t)~(1u << (i % 8));
	tfs_blkhdr_seal(b);
}

static void expect_fixed(void)
{
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_ERRORS);
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	struct tfs *fs = t_mount(&r);
	assert_int_equal(tfs_unmount(fs), 0);
}

static void test_leaked_block(void **state)
{
	(void)state;
	set_bit(sb.bbm_start, sb.nr_blocks - 10, true);
	expect_fixed();
}

static void test_used_block_marked_free(void **state)
{
	(void)state;
	set_bit(sb.bbm_start, inode_at(ino_a)->ext[0].pblk, false);
	expect_fixed();
}

static void test_unnamed_inode(void **state)
{
	(void)state;
	struct tfs_inode *di = inode_at(40);
	*di = *inode_at(ino_b);
	di->ino = 40;
	di->nr_extents = 0;
	di->size = 0;
	memset(di->ext, 0, sizeof(di->ext));
	tfs_inode_seal(di);
	set_bit(sb.ibm_start, 40, true);
	expect_fixed();
	assert_int_equal(inode_at(40)->magic, 0); /* freed */
}

static void test_shared_blocks(void **state)
{
	(void)state;
	struct tfs_inode *b = inode_at(ino_b);
	b->ext[0].pblk = inode_at(ino_a)->ext[0].pblk;
	tfs_inode_seal(b);
	expect_fixed();
	struct tfs *fs = t_mount(&r);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/d/a", &st), 0);
	assert_int_equal(st.size, 20000);
	assert_int_equal(tfs_unmount(fs), 0);
}

static void test_entry_to_free_inode(void **state)
{
	(void)state;
	memset(inode_at(ino_b), 0, sizeof(struct tfs_inode));
	set_bit(sb.ibm_start, ino_b, false);
	expect_fixed(); /* the entry goes, the blocks are freed */
}

static void test_wrong_parent_and_nlink(void **state)
{
	(void)state;
	struct tfs *fs = t_mount(&r);
	uint32_t d;
	assert_int_equal(tfs_path_lookup(fs, "/d", &d), 0);
	assert_int_equal(tfs_unmount(fs), 0);
	struct tfs_inode *di = inode_at(d);
	di->parent = ino_b;
	tfs_inode_seal(di);
	di = inode_at(ino_a);
	di->nlink = 3;
	tfs_inode_seal(di);
	expect_fixed();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leaked_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_block_marked_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_to_free_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_parent_and_nlink, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
