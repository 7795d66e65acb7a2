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

/* Opens /big and writes more than the free blocks into it: a short write,
 * then -ENOSPC. *data (zeros, *s0.free_blocks + 10 blocks) is the caller's to free. */
static struct tfs_file *t_fill_device(struct tfs *fs, struct tfs_statfs *s0, uint8_t **data)
{
	tfs_statfs(fs, s0);
	size_t big = (size_t)(s0->free_blocks + 10) * TFS_BLOCK_SIZE;
	*data = calloc(1, big);
	assert_non_null(*data);
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/big", TFS_O_RDWR | TFS_O_CREAT, &f), 0);
	int64_t n = tfs_write(f, *data, big);
	assert_true(n > 0 && (size_t)n < big);
	assert_int_equal(tfs_write(f, *data, TFS_BLOCK_SIZE), -ENOSPC);
	return f;
}

static void test_statfs_and_enospc(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 256);
	struct tfs *fs = t_mount(&r);
	t_put(fs, "/small", "x", 1); /* the root's first directory block */
	struct tfs_statfs s0;
	uint8_t *data;
	struct tfs_file *f = t_fill_device(fs, &s0, &data);
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

/* tfs_errmsg() describes the latest call only: a failure's sentence is gone
 * after a later success, and a later failure that has no sentence of its own
 * (a plain ENOENT) does not show the old one. */
static void test_errmsg_per_call(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 256);
	struct tfs *fs = t_mount(&r);
	struct tfs_statfs s0;
	uint8_t *data;
	struct tfs_file *f = t_fill_device(fs, &s0, &data);
	assert_string_equal(tfs_errmsg(fs), "no free blocks");
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/big", &st), 0);
	assert_string_equal(tfs_errmsg(fs), "");
	assert_int_equal(tfs_write(f, data, TFS_BLOCK_SIZE), -ENOSPC);
	assert_int_equal(tfs_stat(fs, "/nope", &st), -ENOENT);
	assert_string_equal(tfs_errmsg(fs), "");
	assert_int_equal(tfs_write(f, data, TFS_BLOCK_SIZE), -ENOSPC);
	assert_int_equal(tfs_mkdir(fs, "/big"), -EEXIST);
	assert_string_equal(tfs_errmsg(fs), "");
	tfs_close(f);
	assert_int_equal(tfs_unmount(fs), 0);
	free(data);
	ram_bdev_free(&r);
}

/* Positioned I/O and sizes: pwrite/pread at offsets, a sparse grow past the
 * device's size (holes read as zeros), shrinking by path and by handle,
 * fsync, and seeking past 4 GiB. */
static void test_pread_pwrite_truncate(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, 1024);
	struct tfs *fs = t_mount(&r);
	struct tfs_file *f;
	uint8_t data[9000], back[9000];
	t_fill(data, sizeof(data), 7);
	assert_int_equal(tfs_open(fs, "/p", TFS_O_RDWR | TFS_O_CREAT, &f), 0);
	assert_int_equal(tfs_pwrite(f, data, sizeof(data), 5000), (int64_t)sizeof(data));
	assert_int_equal(tfs_pread(f, back, sizeof(back), 5000), (int64_t)sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
	assert_int_equal(tfs_pread(f, back, 100, 0), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(back[i], 0);
	assert_int_equal(tfs_seek(f, 0, TFS_SEEK_CUR), 0); /* pread/pwrite leave the position */
	const uint64_t huge = 5ull << 30;
	assert_int_equal(tfs_ftruncate(f, huge), 0);
	assert_int_equal(tfs_seek(f, 0, TFS_SEEK_END), (int64_t)huge);
	assert_int_equal(tfs_pread(f, back, 10, huge - 10), 10);
	assert_int_equal(back[0] | back[9], 0);
	assert_int_equal(tfs_fsync(f), 0);
	assert_int_equal(tfs_truncate(fs, "/p", 6000), 0);
	assert_int_equal(tfs_pread(f, back, sizeof(back), 5000), 1000);
	assert_memory_equal(back, data, 1000);
	assert_int_equal(tfs_ftruncate(f, 5500), 0);
	struct tfs_stat st;
	assert_int_equal(tfs_fstat(f, &st), 0);
	assert_int_equal(st.size, 5500);
	assert_int_equal(tfs_truncate(fs, "/", 0), -EISDIR);
	tfs_close(f);
	assert_int_equal(tfs_open(fs, "/p", TFS_O_RDONLY, &f), 0);
	assert_int_equal(tfs_pwrite(f, data, 1, 0), -EBADF);
	assert_int_equal(tfs_ftruncate(f, 0), -EBADF);
	tfs_close(f);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
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
		cmocka_unit_test(test_errmsg_per_call),
		cmocka_unit_test(test_pread_pwrite_truncate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
