/* The public API end to end on a RAM device: files, directories, rename,
 * unlink, handles, persistence across unmount and mount, statfs. */
#include "tests/unit/fs/tfs_test.h"

static void test_create_write_read_remount(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 1024);
	struct tfs *fs = t_mount(&r);
	uint8_t data[10000];
	t_fill(data, sizeof(data), 1);
	t_put(fs, "/a", data, sizeof(data));
	t_check(fs, "/a", data, sizeof(data));
	assert_int_equal(tfs_unmount(fs), 0);
	fs = t_mount(&r);
	t_check(fs, "a", data, sizeof(data));
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/a", &st), 0);
	assert_int_equal(st.size, sizeof(data));
	assert_int_equal(st.type, TFS_TYPE_FILE);
	assert_int_equal(st.blocks, 3);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_dirs_and_errors(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 1024);
	struct tfs *fs = t_mount(&r);
	assert_int_equal(tfs_mkdir(fs, "/d"), 0);
	assert_int_equal(tfs_mkdir(fs, "/d"), -EEXIST);
	assert_int_equal(tfs_mkdir(fs, "/d/e"), 0);
	t_put(fs, "/d/e/f", "hi", 2);
	assert_int_equal(tfs_mkdir(fs, "/nope/x"), -ENOENT);
	assert_int_equal(tfs_mkdir(fs, "/d/e/f/g"), -ENOTDIR);
	assert_int_equal(tfs_rmdir(fs, "/d"), -ENOTEMPTY);
	assert_int_equal(tfs_unlink(fs, "/d"), -EISDIR);
	assert_int_equal(tfs_rmdir(fs, "/d/e/f"), -ENOTDIR);
	assert_int_equal(tfs_mkdir(fs, "/d/.."), -EINVAL);
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/d", TFS_O_RDONLY, &f), -EISDIR);
	assert_int_equal(tfs_open(fs, "/d/e/f", TFS_O_CREAT | TFS_O_EXCL | TFS_O_RDWR, &f), -EEXIST);
	assert_int_equal(tfs_unlink(fs, "/d/e/f"), 0);
	assert_int_equal(tfs_rmdir(fs, "/d/e"), 0);
	assert_int_equal(tfs_rmdir(fs, "/d"), 0);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/d", &st), -ENOENT);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_rename(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 1024);
	struct tfs *fs = t_mount(&r);
	t_put(fs, "/a", "AAAA", 4);
	t_put(fs, "/b", "BB", 2);
	assert_int_equal(tfs_mkdir(fs, "/d"), 0);
	assert_int_equal(tfs_rename(fs, "/a", "/d/a2"), 0);
	t_check(fs, "/d/a2", "AAAA", 4);
	assert_int_equal(tfs_rename(fs, "/d/a2", "/b"), 0); /* replaces b */
	t_check(fs, "/b", "AAAA", 4);
	char buf[8];
	assert_int_equal(t_get(fs, "/d/a2", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(tfs_mkdir(fs, "/d/sub"), 0);
	assert_int_equal(tfs_rename(fs, "/d", "/d/sub/x"), -EINVAL); /* into itself */
	assert_int_equal(tfs_rename(fs, "/d", "/e"), 0);
	assert_int_equal(tfs_rename(fs, "/e/sub", "/sub"), 0);
	assert_int_equal(tfs_rename(fs, "/b", "/sub"), -EISDIR);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_readdir_and_stale_handle(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 1024);
	struct tfs *fs = t_mount(&r);
	char name[64];
	for (int i = 0; i < 40; i++) { /* three directory blocks */
		snprintf(name, sizeof(name), "/file-%02d", i);
		t_put(fs, name, name, strlen(name));
	}
	struct tfs_dir *d;
	assert_int_equal(tfs_opendir(fs, "/", &d), 0);
	struct tfs_dirent_info e;
	int n = 0;
	while (tfs_readdir(d, &e) == 1)
		n++;
	tfs_closedir(d);
	assert_int_equal(n, 40);
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/file-07", TFS_O_RDWR, &f), 0);
	assert_int_equal(tfs_unlink(fs, "/file-07"), 0);
	t_put(fs, "/new", "x", 1); /* may reuse the inode number */
	assert_int_equal(tfs_write(f, "y", 1), -ESTALE);
	tfs_close(f);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_statfs_and_enospc(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 256);
	struct tfs *fs = t_mount(&r);
	t_put(fs, "/small", "x", 1); /* the root's first directory block */
	struct tfs_statfs s0;
	tfs_statfs(fs, &s0);
	size_t big = (size_t)(s0.free_blocks + 10) * TFS_BLOCK_SIZE;
	uint8_t *data = calloc(1, big);
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/big", TFS_O_RDWR | TFS_O_CREAT, &f), 0);
	int64_t n = tfs_write(f, data, big);
	assert_true(n > 0 && (size_t)n < big);
	assert_int_equal(tfs_write(f, data, TFS_BLOCK_SIZE), -ENOSPC);
	tfs_close(f);
	assert_int_equal(tfs_unlink(fs, "/big"), 0);
	struct tfs_statfs s1;
	tfs_statfs(fs, &s1);
	assert_int_equal(s1.free_blocks, s0.free_blocks);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	free(data);
	ram_bdev_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_write_read_remount),
		cmocka_unit_test(test_dirs_and_errors),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_readdir_and_stale_handle),
		cmocka_unit_test(test_statfs_and_enospc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
