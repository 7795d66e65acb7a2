/* Checksums and the superblock: the CRC rule, the backup superblock, and
 * corruption refused at mount or contained to one file. */
#include "tests/unit/fs/tfs_test.h"

static struct tfs_super sb_of(struct ram_bdev *r)
{
	struct tfs_super sb;
	memcpy(&sb, r->mem, sizeof(sb));
	return sb;
}

static uint8_t *blk(struct ram_bdev *r, uint64_t b)
{
	return r->mem + b * TFS_BLOCK_SIZE;
}

static struct tfs_inode *inode_at(struct ram_bdev *r, uint32_t ino)
{
	struct tfs_super sb = sb_of(r);
	return (struct tfs_inode *)blk(r, sb.itable_start + ino / TFS_INODES_PER_BLOCK) +
	       ino % TFS_INODES_PER_BLOCK;
}

static void test_crc_skips_its_field(void **state)
{
	(void)state;
	uint8_t b[64];
	t_fill(b, sizeof(b), 4);
	uint8_t z[64];
	memcpy(z, b, sizeof(z));
	memset(z + 8, 0, 4);
	assert_int_equal(tfs_crc_skip(b, sizeof(b), 8), crc32c(0, z, sizeof(z)));
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283);
}

static void test_super_check_rejects_bad_layouts(void **state)
{
	(void)state;
	struct tfs_super sb;
	char msg[160];
	tfs_super_layout(&sb, 1024, 256, 16);
	tfs_super_seal(&sb);
	assert_int_equal(tfs_super_check(&sb, 1024, msg, sizeof(msg)), 0);
	assert_int_equal(tfs_super_check(&sb, 1000, msg, sizeof(msg)), -EINVAL); /* device too small */
	sb.journal_start += 1;
	tfs_super_seal(&sb);
	assert_int_equal(tfs_super_check(&sb, 1024, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "regions"));
	tfs_super_layout(&sb, 1024, 256, 16);
	sb.nr_inodes = 5;
	tfs_super_seal(&sb);
	assert_int_equal(tfs_super_check(&sb, 1024, msg, sizeof(msg)), -EINVAL);
	tfs_super_layout(&sb, 1024, 256, 16);
	tfs_super_seal(&sb);
	sb.label[0] ^= 1; /* not resealed */
	assert_int_equal(tfs_super_check(&sb, 1024, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "checksum"));
}

static void test_backup_superblock(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 512);
	struct tfs *fs = t_mount(&r);
	t_put(fs, "/a", "abc", 3);
	assert_int_equal(tfs_unmount(fs), 0);
	blk(&r, 0)[40] ^= 0x10; /* primary fails its checksum */
	fs = t_mount(&r);
	t_check(fs, "/a", "abc", 3);
	assert_int_equal(tfs_unmount(fs), 0); /* rewrites the primary */
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	blk(&r, 0)[40] ^= 0x10;
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_ERRORS);
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_both_superblocks_bad(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 512);
	blk(&r, 0)[0] = 0;
	blk(&r, 511)[4] ^= 1;
	char msg[160] = "";
	struct tfs *fs;
	assert_int_equal(tfs_mount(&r.bdev, NULL, &fs, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "magic"));
	assert_non_null(strstr(msg, "checksum"));
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_ERRORS);
	ram_bdev_free(&r);
}

static void test_bad_inode_contained(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 512);
	struct tfs *fs = t_mount(&r);
	t_put(fs, "/good", "good", 4);
	t_put(fs, "/bad", "bad!", 4);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/bad", &st), 0);
	assert_int_equal(tfs_unmount(fs), 0);
	inode_at(&r, st.ino)->size ^= 1; /* checksum no longer matches */
	fs = t_mount(&r);
	char buf[8];
	assert_int_equal(t_get(fs, "/bad", buf, sizeof(buf)), -EIO);
	assert_non_null(strstr(tfs_errmsg(fs), "checksum"));
	t_check(fs, "/good", "good", 4);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_ERRORS);
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	fs = t_mount(&r);
	assert_int_equal(tfs_stat(fs, "/bad", &st), -ENOENT);
	t_check(fs, "/good", "good", 4);
	assert_int_equal(tfs_unmount(fs), 0);
	ram_bdev_free(&r);
}

static void test_extent_out_of_range_contained(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 512);
	struct tfs *fs = t_mount(&r);
	t_put(fs, "/f", "data", 4);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/f", &st), 0);
	assert_int_equal(tfs_unmount(fs), 0);
	struct tfs_inode *di = inode_at(&r, st.ino);
	di->ext[0].pblk = 0; /* the superblock: a wild pointer, checksum made right */
	tfs_inode_seal(di);
	fs = t_mount(&r);
	char buf[8];
	assert_int_equal(t_get(fs, "/f", buf, sizeof(buf)), -EIO);
	assert_non_null(strstr(tfs_errmsg(fs), "extents"));
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/f", TFS_O_RDWR, &f), -EIO);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(blk(&r, 0)[0], 0x54); /* superblock untouched ("TFS1") */
	ram_bdev_free(&r);
}

static void test_bad_bitmap_refused(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 512);
	struct tfs_super sb = sb_of(&r);
	blk(&r, sb.bbm_start)[2000] ^= 0x80;
	char msg[160] = "";
	struct tfs *fs;
	assert_int_equal(tfs_mount(&r.bdev, NULL, &fs, msg, sizeof(msg)), -EIO);
	assert_non_null(strstr(msg, "bitmap block"));
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	fs = t_mount(&r);
	assert_int_equal(tfs_unmount(fs), 0);
	ram_bdev_free(&r);
}

static void test_bad_directory_block_contained(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 512);
	struct tfs *fs = t_mount(&r);
	assert_int_equal(tfs_mkdir(fs, "/d"), 0);
	t_put(fs, "/d/x", "x", 1);
	t_put(fs, "/y", "y", 1);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/d", &st), 0);
	assert_int_equal(tfs_unmount(fs), 0);
	uint64_t dblk = inode_at(&r, st.ino)->ext[0].pblk;
	blk(&r, dblk)[100] ^= 1;
	fs = t_mount(&r);
	char buf[4];
	assert_int_equal(t_get(fs, "/d/x", buf, sizeof(buf)), -EIO);
	t_check(fs, "/y", "y", 1);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_skips_its_field),
		cmocka_unit_test(test_super_check_rejects_bad_layouts),
		cmocka_unit_test(test_backup_superblock),
		cmocka_unit_test(test_both_superblocks_bad),
		cmocka_unit_test(test_bad_inode_contained),
		cmocka_unit_test(test_extent_out_of_range_contained),
		cmocka_unit_test(test_bad_bitmap_refused),
		cmocka_unit_test(test_bad_directory_block_contained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
