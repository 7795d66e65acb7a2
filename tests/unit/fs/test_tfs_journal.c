/* The journal: a committed transaction is replayed at mount, an incomplete
 * or corrupt one is ignored, a forged one writing outside the metadata is
 * refused, a read-only mount replays in memory only, and operations never
 * straddle a commit when the journal fills up. */
#include "tests/unit/fs/tfs_test.h"

#define BLOCKS 512

static struct tfs_super sb_of(struct ram_bdev *r)
{
	struct tfs_super sb;
	memcpy(&sb, r->mem, sizeof(sb));
	return sb;
}

/* Image right after the commit record of the first fsync: the transaction
 * is in the journal, none of its blocks are home yet. */
static void image_at_commit(struct ram_bdev *r, uint8_t *data, size_t len)
{
	t_mkfs(r, BLOCKS);
	struct tfs *fs = t_mount(r);
	uint8_t *before = malloc((size_t)BLOCKS * TFS_BLOCK_SIZE);
	memcpy(before, r->mem, (size_t)BLOCKS * TFS_BLOCK_SIZE);
	r->record = true;
	t_put(fs, "/j", data, len);
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/j", TFS_O_RDWR, &f), 0);
	assert_int_equal(tfs_fsync(f), 0);
	tfs_close(f);
	uint32_t commit = UINT32_MAX;
	for (uint32_t i = 0; i < r->nlog && commit == UINT32_MAX; i++)
		if (r->log[i].flags & TFS_BIO_FUA)
			commit = i;
	assert_int_not_equal(commit, UINT32_MAX);
	for (uint32_t i = 0; i <= commit; i++)
		if (r->log[i].op == TFS_BIO_WRITE)
			ram_bdev_apply(before, &r->log[i], r->log[i].nblocks, 0);
	tfs_unmount(fs);
	memcpy(r->mem, before, (size_t)BLOCKS * TFS_BLOCK_SIZE);
	free(before);
	r->record = false;
	ram_bdev_log_clear(r);
}

static void test_replay_committed(void **state)
{
	(void)state;
	struct ram_bdev r;
	uint8_t data[9000];
	t_fill(data, sizeof(data), 21);
	image_at_commit(&r, data, sizeof(data));
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN); /* replayed in memory */
	struct tfs *fs = t_mount(&r);
	t_check(fs, "/j", data, sizeof(data));
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_corrupt_commit_ignored(void **state)
{
	(void)state;
	struct ram_bdev r;
	uint8_t data[100] = "x";
	image_at_commit(&r, data, sizeof(data));
	struct tfs_super sb = sb_of(&r);
	struct tfs_jdesc *d = (struct tfs_jdesc *)(r.mem + sb.journal_start * TFS_BLOCK_SIZE);
	/* flip a bit in the first image: images_crc no longer matches */
	r.mem[(sb.journal_start + 1) * TFS_BLOCK_SIZE + 100] ^= 1;
	assert_true(d->count > 0);
	struct tfs *fs = t_mount(&r);
	struct tfs_stat st;
	assert_int_equal(tfs_stat(fs, "/j", &st), -ENOENT);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_forged_target_refused(void **state)
{
	(void)state;
	struct ram_bdev r;
	uint8_t data[100] = "x";
	image_at_commit(&r, data, sizeof(data));
	struct tfs_super sb = sb_of(&r);
	uint8_t *jd = r.mem + sb.journal_start * TFS_BLOCK_SIZE;
	struct tfs_jdesc *d = (struct tfs_jdesc *)jd;
	d->target[0] = 0; /* the superblock: never a journal target */
	tfs_blkhdr_seal(jd);
	struct tfs_jcommit *c =
		(struct tfs_jcommit *)(jd + (size_t)(d->count + 1) * TFS_BLOCK_SIZE);
	c->images_crc = crc32c(0, jd, (size_t)(d->count + 1) * TFS_BLOCK_SIZE);
	c->crc = tfs_crc_skip(c, sizeof(*c), offsetof(struct tfs_jcommit, crc));
	char msg[160] = "";
	struct tfs *fs;
	assert_int_equal(tfs_mount(&r.bdev, NULL, &fs, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "journal"));
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_ERRORS);
	assert_int_equal(t_fsck(&r, TFS_FSCK_REPAIR), TFS_FSCK_FIXED);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_read_only_replays_in_memory(void **state)
{
	(void)state;
	struct ram_bdev r;
	uint8_t data[5000];
	t_fill(data, sizeof(data), 8);
	image_at_commit(&r, data, sizeof(data));
	size_t bytes = (size_t)BLOCKS * TFS_BLOCK_SIZE;
	uint8_t *copy = malloc(bytes);
	memcpy(copy, r.mem, bytes);
	char msg[160];
	struct tfs *fs;
	struct tfs_mount_opts o = { .read_only = true };
	assert_int_equal(tfs_mount(&r.bdev, &o, &fs, msg, sizeof(msg)), 0);
	t_check(fs, "/j", data, sizeof(data));
	assert_int_equal(tfs_mkdir(fs, "/no"), -EROFS);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_memory_equal(copy, r.mem, bytes);
	free(copy);
	ram_bdev_free(&r);
}

static void test_full_journal_commits_between_ops(void **state)
{
	(void)state;
	struct ram_bdev r;
	char msg[160];
	ram_bdev_init(&r, 256);
	struct tfs_mkfs_opts o = { .journal_blocks = 8 }; /* 6 blocks per transaction */
	assert_int_equal(tfs_mkfs(&r.bdev, &o, msg, sizeof(msg)), 0);
	struct tfs *fs = t_mount(&r);
	uint64_t fua0 = r.fuas;
	char name[32];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "/n%d", i);
		t_put(fs, name, name, strlen(name));
	}
	assert_true(r.fuas - fua0 >= 5); /* several commits happened on their own */
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	fs = t_mount(&r);
	t_check(fs, "/n39", "/n39", 4);
	assert_int_equal(tfs_unmount(fs), 0);
	ram_bdev_free(&r);
}

/* Random operations on a journal of 8 blocks per transaction and a device
 * that fills up (writes come back short): every operation's reservation must hold (an overflow would
 * stop the file system), failures are only "no space" or "too big". */
static void test_reservations_hold_under_pressure(void **state)
{
	(void)state;
	struct ram_bdev r;
	char msg[160], path[32], to[32];
	ram_bdev_init(&r, 256);
	struct tfs_mkfs_opts o = { .journal_blocks = 10 };
	assert_int_equal(tfs_mkfs(&r.bdev, &o, msg, sizeof(msg)), 0);
	struct tfs *fs = t_mount(&r);
	static uint8_t buf[60000];
	uint32_t seed = 7;
	assert_int_equal(tfs_mkdir(fs, "/d"), 0);
	for (int i = 0; i < 1500; i++) {
		seed = seed * 1664525u + 1013904223u;
		snprintf(path, sizeof(path), "%s/f%u", (seed >> 9) & 1 ? "/d" : "", (seed >> 10) % 12);
		snprintf(to, sizeof(to), "%s/f%u", (seed >> 20) & 1 ? "/d" : "", (seed >> 21) % 12);
		struct tfs_file *f;
		int err = 0;
		switch ((seed >> 26) % 6) {
		case 0: case 1:
			err = tfs_open(fs, path, TFS_O_RDWR | TFS_O_CREAT, &f);
			if (!err) {
				int64_t n = tfs_pwrite(f, buf, 1 + (seed >> 3) % sizeof(buf), (seed >> 5) % 40000);
				err = n < 0 ? (int)n : 0;
				tfs_close(f);
			}
			break;
		case 2: err = tfs_truncate(fs, path, (seed >> 4) % 30000); break;
		case 3: err = tfs_rename(fs, path, to); break;
		case 4: err = tfs_unlink(fs, path); break;
		case 5: err = tfs_sync(fs); break;
		}
		if (err && err != -ENOENT && err != -ENOSPC && err != -EFBIG)
			fail_msg("op %d: %d %s", i, err, tfs_errmsg(fs));
		assert_false(fs->broken);
	}
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

static void test_io_error_stops_writes(void **state)
{
	(void)state;
	struct ram_bdev r;
	t_mkfs(&r, BLOCKS);
	struct tfs *fs = t_mount(&r);
	t_put(fs, "/keep", "keep", 4);
	assert_int_equal(tfs_sync(fs), 0);
	r.fail_after = 0; /* every write fails from now on */
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/new", TFS_O_RDWR | TFS_O_CREAT, &f), 0);
	assert_true(tfs_write(f, "data", 4) < 0 || tfs_fsync(f) < 0);
	tfs_close(f);
	assert_int_equal(tfs_mkdir(fs, "/later"), -EROFS);
	assert_non_null(strstr(tfs_errmsg(fs), "read-only") ? tfs_errmsg(fs) : strstr(tfs_errmsg(fs), "stopped"));
	tfs_unmount(fs);
	r.fail_after = -1;
	fs = t_mount(&r);
	t_check(fs, "/keep", "keep", 4);
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_committed),
		cmocka_unit_test(test_corrupt_commit_ignored),
		cmocka_unit_test(test_forged_target_refused),
		cmocka_unit_test(test_read_only_replays_in_memory),
		cmocka_unit_test(test_full_journal_commits_between_ops),
		cmocka_unit_test(test_reservations_hold_under_pressure),
		cmocka_unit_test(test_io_error_stops_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
