/* Directories: names up to 255 bytes, slots reused, growth by blocks,
 * readdir, paths, and malformed entries refused. */
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
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
	return 0;
}

static void test_name_lengths(void **state)
{
	(void)state;
	char name[300];
	name[0] = '/';
	memset(name + 1, 'n', 255);
	name[256] = 0;
	t_put(fs, name, "ok", 2);
	t_check(fs, name, "ok", 2);
	struct tfs_dir *d;
	struct tfs_dirent_info e;
	assert_int_equal(tfs_opendir(fs, "/", &d), 0);
	assert_int_equal(tfs_readdir(d, &e), 1);
	assert_int_equal(strlen(e.name), 255);
	assert_int_equal(tfs_readdir(d, &e), 0);
	tfs_closedir(d);
	name[256] = 'n';
	name[257] = 0;
	assert_int_equal(tfs_mkdir(fs, name), -ENAMETOOLONG);
}

static void test_slots_reused_and_growth(void **state)
{
	(void)state;
	char p[32];
	for (unsigned i = 0; i < TFS_DIRENTS_PER_BLOCK; i++) {
		snprintf(p, sizeof(p), "/e%u", i);
		assert_int_equal(tfs_mkdir(fs, p), 0);
	}
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/", &st), 0);
	assert_int_equal(st.size, TFS_BLOCK_SIZE); /* exactly one block full */
	assert_int_equal(tfs_rmdir(fs, "/e3"), 0);
	assert_int_equal(tfs_mkdir(fs, "/again"), 0); /* takes the free slot */
	assert_int_equal(tfs_stat(fs, "/", &st), 0);
	assert_int_equal(st.size, TFS_BLOCK_SIZE);
	assert_int_equal(tfs_mkdir(fs, "/more"), 0);
	assert_int_equal(tfs_stat(fs, "/", &st), 0);
	assert_int_equal(st.size, 2 * TFS_BLOCK_SIZE);
	assert_int_equal(tfs_stat(fs, "/more", &st), 0);
	assert_int_equal(tfs_stat(fs, "more/", &st), 0);
	assert_int_equal(tfs_stat(fs, "//more", &st), 0);
	assert_int_equal(tfs_stat(fs, "/e3", &st), -ENOENT);
}

static void test_deep_paths(void **state)
{
	(void)state;
	char p[256] = "";
	for (int i = 0; i < 20; i++) {
		strcat(p, "/d");
		assert_int_equal(tfs_mkdir(fs, p), 0);
	}
	strcat(p, "/leaf");
	t_put(fs, p, "deep", 4);
	t_check(fs, p, "deep", 4);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/d/d/nope/leaf", &st), -ENOENT);
	assert_int_equal(tfs_rename(fs, "/d/d", "/top"), 0);
	assert_int_equal(tfs_stat(fs, "/top/d/d", &st), 0);
}

static void test_malformed_entry_refused(void **state)
{
	(void)state;
	t_put(fs, "/x", "x", 1);
	uint32_t ino;
	assert_int_equal(tfs_path_lookup(fs, "/", &ino), 0);
	struct tfs_inode_mem root;
	assert_int_equal(tfs_inode_load(fs, TFS_ROOT_INO, &root), 0);
	uint64_t run, pblk = tfs_bmap(&root, 0, &run);
	tfs_inode_release(&root);
	assert_int_equal(tfs_unmount(fs), 0);
	uint8_t *b = r.mem + pblk * TFS_BLOCK_SIZE;
	struct tfs_dirent *de = (struct tfs_dirent *)(b + sizeof(struct tfs_blkhdr));
	de->name[0] = '/'; /* a slash in a name, checksum made right */
	tfs_blkhdr_seal(b);
	fs = t_mount(&r);
	char buf[2];
	assert_int_equal(t_get(fs, "/x", buf, sizeof(buf)), -EIO);
	assert_non_null(strstr(tfs_errmsg(fs), "malformed"));
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	fs = t_mount(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_name_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_reused_and_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_entry_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
