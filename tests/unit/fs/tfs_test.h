/* Helpers shared by the tfs unit tests: a RAM device with a fresh file
 * system, and whole-file write/read/compare shortcuts. */
#ifndef TESTS_UNIT_FS_TFS_TEST_H
#define TESTS_UNIT_FS_TFS_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fs/tfs.h"
#include "fs/tfs_int.h"
#include "lib/crc.h"
#include "tests/unit/fs/ram_bdev.h"

static inline void t_mkfs(struct ram_bdev *r, uint64_t blocks)
{
	char msg[160];
	ram_bdev_init(r, blocks);
	assert_int_equal(tfs_mkfs(&r->bdev, NULL, msg, sizeof(msg)), 0);
}

static inline struct tfs *t_mount(struct ram_bdev *r)
{
	char msg[160] = "";
	struct tfs *fs = NULL;
	int err = tfs_mount(&r->bdev, NULL, &fs, msg, sizeof(msg));
	if (err)
		fail_msg("mount: %d %s", err, msg);
	return fs;
}

static inline void t_put(struct tfs *fs, const char *path, const void *data, size_t len)
{
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, path, TFS_O_RDWR | TFS_O_CREAT | TFS_O_TRUNC, &f), 0);
	assert_int_equal(tfs_write(f, data, len), (int64_t)len);
	assert_int_equal(tfs_close(f), 0);
}

/* Returns the length read, contents in buf (at most cap). -errno on failure. */
static inline int64_t t_get(struct tfs *fs, const char *path, void *buf, size_t cap)
{
	struct tfs_file *f;
	int err = tfs_open(fs, path, TFS_O_RDONLY, &f);
	if (err)
		return err;
	int64_t n = tfs_read(f, buf, cap);
	tfs_close(f);
	return n;
}

static inline void t_check(struct tfs *fs, const char *path, const void *data, size_t len)
{
	uint8_t *buf = malloc(len + 1);
	assert_int_equal(t_get(fs, path, buf, len + 1), (int64_t)len);
	assert_memory_equal(buf, data, len);
	free(buf);
}

static inline void t_fill(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static inline void t_report(void *arg, const char *line)
{
	(void)arg;
	if (getenv("TFS_TEST_VERBOSE"))
		printf("# fsck: %s\n", line);
}

static inline int t_fsck(struct ram_bdev *r, unsigned flags)
{
	return tfs_fsck(&r->bdev, flags, t_report, NULL);
}

#endif
