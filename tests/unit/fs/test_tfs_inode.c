/* Extents: insertion and merging, bmap over holes, the validity check,
 * chains of extent blocks for fragmented files, and a looping chain. */
#include "tests/unit/fs/tfs_test.h"

static void test_insert_merge_bmap(void **state)
{
	(void)state;
	struct tfs_inode_mem im = { 0 };
	uint64_t run;
	assert_int_equal(tfs_extent_insert(&im.ext, 10, 500, 5), 0);
	assert_int_equal(tfs_extent_insert(&im.ext, 15, 505, 3), 0); /* merges */
	assert_int_equal(im.ext.n, 1);
	assert_int_equal(im.ext.v[0].len, 8);
	assert_int_equal(tfs_extent_insert(&im.ext, 0, 900, 2), 0);   /* before, apart */
	assert_int_equal(tfs_extent_insert(&im.ext, 18, 700, 1), 0);  /* after, not contiguous */
	assert_int_equal(im.ext.n, 3);
	assert_int_equal(tfs_bmap(&im, 1, &run), 901);
	assert_int_equal(run, 1);
	assert_int_equal(tfs_bmap(&im, 5, &run), 0); /* hole up to 10 */
	assert_int_equal(run, 5);
	assert_int_equal(tfs_bmap(&im, 12, &run), 502);
	assert_int_equal(run, 6);
	assert_int_equal(tfs_bmap(&im, 18, &run), 700);
	assert_int_equal(tfs_bmap(&im, 19, &run), 0);
	assert_true(run > 1000000);
	assert_int_equal(tfs_extent_insert(&im.ext, 2, 902, 8), 0); /* joins left and right? */
	assert_int_equal(im.ext.v[0].len, 10);
	assert_int_equal(tfs_extents_check(&im.ext, 100, 1000, 19), 0);
	tfs_inode_release(&im);
}

static void test_check_rejects(void **state)
{
	(void)state;
	struct tfs_extent v[2] = { { 0, 100, 4, 0 }, { 2, 200, 4, 0 } };
	struct tfs_extent_list l = { v, 2, 2 };
	assert_int_equal(tfs_extents_check(&l, 50, 1000, 100), -EIO); /* overlap */
	v[1].lblk = 4;
	assert_int_equal(tfs_extents_check(&l, 50, 1000, 100), 0);
	assert_int_equal(tfs_extents_check(&l, 150, 1000, 100), -EIO); /* below the data area */
	assert_int_equal(tfs_extents_check(&l, 50, 203, 100), -EIO);   /* past the end */
	assert_int_equal(tfs_extents_check(&l, 50, 1000, 7), -EIO);    /* past the size */
	v[1].len = 0;
	assert_int_equal(tfs_extents_check(&l, 50, 1000, 100), -EIO);
	v[1].len = 4;
	v[1].pblk = UINT64_MAX - 1; /* wraps */
	assert_int_equal(tfs_extents_check(&l, 50, UINT64_MAX, 100), -EIO);
	assert_int_equal(tfs_chain_needed(7), 0);
	assert_int_equal(tfs_chain_needed(8), 1);
	assert_int_equal(tfs_chain_needed(7 + 169), 1);
	assert_int_equal(tfs_chain_needed(7 + 170), 2);
}

/* Two files written block by block, alternately: each gets one extent per
 * block, hundreds of them, so its extents need a chain of extent blocks. */
static void make_fragmented(struct tfs *fs, int blocks)
{
	struct tfs_file *a, *b;
	uint8_t blk[TFS_BLOCK_SIZE];
	assert_int_equal(tfs_open(fs, "/a", TFS_O_RDWR | TFS_O_CREAT, &a), 0);
	assert_int_equal(tfs_open(fs, "/b", TFS_O_RDWR | TFS_O_CREAT, &b), 0);
	for (int i = 0; i < blocks; i++) {
		t_fill(blk, sizeof(blk), (uint32_t)i);
		assert_int_equal(tfs_write(a, blk, sizeof(blk)), sizeof(blk));
		assert_int_equal(tfs_write(b, blk, sizeof(blk)), sizeof(blk));
	}
	tfs_close(a);
	tfs_close(b);
}

static void test_chain(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 2048);
	struct tfs *fs = t_mount(&r);
	make_fragmented(fs, 400);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	fs = t_mount(&r);
	uint32_t ino;
	assert_int_equal(tfs_path_lookup(fs, "/a", &ino), 0);
	struct tfs_inode_mem im;
	assert_int_equal(tfs_inode_load(fs, ino, &im), 0);
	assert_int_equal(im.ext.n, 400);
	assert_int_equal(im.nchain, 3);
	tfs_inode_release(&im);
	uint8_t blk[TFS_BLOCK_SIZE], back[TFS_BLOCK_SIZE];
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/a", TFS_O_RDWR, &f), 0);
	t_fill(blk, sizeof(blk), 399);
	assert_int_equal(tfs_pread(f, back, sizeof(back), 399 * TFS_BLOCK_SIZE), sizeof(back));
	assert_memory_equal(blk, back, sizeof(blk));
	assert_int_equal(tfs_ftruncate(f, 10 * TFS_BLOCK_SIZE), 0); /* chain shrinks */
	tfs_close(f);
	assert_int_equal(tfs_inode_load(fs, ino, &im), 0);
	assert_int_equal(im.ext.n, 10);
	assert_int_equal(im.nchain, 1);
	tfs_inode_release(&im);
	assert_int_equal(tfs_unlink(fs, "/b"), 0);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_chain_loop_is_an_error(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 2048);
	struct tfs *fs = t_mount(&r);
	make_fragmented(fs, 400);
	uint32_t ino;
	assert_int_equal(tfs_path_lookup(fs, "/a", &ino), 0);
	struct tfs_inode_mem im;
	assert_int_equal(tfs_inode_load(fs, ino, &im), 0);
	uint64_t second = im.chain[1];
	tfs_inode_release(&im);
	assert_int_equal(tfs_unmount(fs), 0);
	/* the second chain block points back to itself, checksum made right */
	uint8_t *b = r.mem + second * TFS_BLOCK_SIZE;
	((struct tfs_blkhdr *)b)->next = second;
	tfs_blkhdr_seal(b);
	fs = t_mount(&r);
	char buf[4];
	assert_int_equal(t_get(fs, "/a", buf, sizeof(buf)), -EIO);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_merge_bmap),
		cmocka_unit_test(test_check_rejects),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_chain_loop_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
