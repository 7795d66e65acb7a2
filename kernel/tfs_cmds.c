/*
 * Shell commands for tfs: mkfs, fsck, mount, umount, and file commands on the
 * mounted file system (ls, cat, write, truncate, cp, mv, rm, mkdir, rmdir,
 * stat, df, sync, cksum). Also the mount table behind kernel/tfs_kernel.h:
 * one file system mounted at a time, at "/" or at a directory-like prefix.
 *
 * cat and write go through stdio (fopen/fread/fprintf), truncate through the
 * POSIX calls, so they exercise the newlib file syscalls; they must not hold
 * the tfs lock, which each syscall takes. The other commands call the tfs
 * API directly under the lock.
 *
 * Status: 0 ok, 1 failed (with the reason), 2 bad usage; fsck returns the
 * e2fsck codes.
 */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "blk/blkdev.h"
#include "fs/tfs.h"
#include "fs/tfs_format.h"
#include "kernel/shell.h"
#include "kernel/spinlock.h"
#include "kernel/tfs_kernel.h"
#include "lib/crc.h"

#define MOUNT_PATH_MAX 64
#define COPY_BUF_BYTES (256u * 1024) /* large reads: the core turns them into large bios */

static spinlock_t tfs_lock = SPINLOCK_INIT;

static struct {
	struct tfs *fs;                /* NULL: nothing mounted */
	struct tfs_bdev *tb;
	struct block_device *bdev;
	char path[MOUNT_PATH_MAX];     /* "/" or "/mnt" (no trailing slash) */
} mnt;

unsigned tfs_kernel_open_files; /* newlib fds open on mnt.fs; umount waits for 0 */

void tfs_kernel_lock(void) { spin_lock(&tfs_lock); }
void tfs_kernel_unlock(void) { spin_unlock(&tfs_lock); }

struct tfs *tfs_kernel_resolve(const char *path, const char **rel)
{
	if (!mnt.fs)
		return NULL;
	if (strcmp(mnt.path, "/") == 0) {
		*rel = path;
		return mnt.fs;
	}
	size_t n = strlen(mnt.path);
	if (strncmp(path, mnt.path, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return NULL;
	*rel = path[n] ? path + n : "/";
	return mnt.fs;
}

/* ---- helpers ---- */

/* Call with the lock held, right after the failed tfs call: tfs_errmsg()
 * describes that call only (empty when the errno says it all). */
static int fail(const char *cmd, const char *what, int err)
{
	const char *detail = mnt.fs ? tfs_errmsg(mnt.fs) : "";
	printf("%s: %s: %s%s%s\n", cmd, what, strerror(-err), detail[0] ? ": " : "", detail);
	return 1;
}

/* The mounted fs for a command's path argument, under the lock; NULL (lock
 * released, message printed) when the path is on no mounted file system. */
static struct tfs *lock_fs(const char *cmd, const char *path, const char **rel)
{
	tfs_kernel_lock();
	struct tfs *fs = tfs_kernel_resolve(path, rel);
	if (!fs) {
		tfs_kernel_unlock();
		if (!mnt.fs)
			printf("%s: %s: no file system mounted (mount DEV first)\n", cmd, path);
		else
			printf("%s: %s: not under %s, where %s is mounted\n", cmd, path, mnt.path, mnt.bdev->name);
	}
	return fs;
}

static struct block_device *find_dev(const char *cmd, const char *name)
{
	struct block_device *b = blkdev_get(name);
	if (!b)
		printf("%s: %s: no such block device (lsblk lists them)\n", cmd, name);
	return b;
}

static bool refuse_if_mounted(const char *cmd, struct block_device *b)
{
	if (!tfs_kernel_in_use(b))
		return false;
	printf("%s: %s: in use: %s is mounted on %s (umount first)\n", cmd, b->name, mnt.bdev->name, mnt.path);
	return true;
}

/* ---- mkfs, fsck, mount, umount ---- */

static int cmd_mkfs(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage("mkfs");
	struct block_device *b = find_dev("mkfs", argv[1]);
	if (!b || refuse_if_mounted("mkfs", b))
		return 1;
	struct tfs_bdev *tb = tfs_blk_open(b);
	if (!tb) {
		printf("mkfs: %s: %s\n", argv[1], strerror(ENOMEM));
		return 1;
	}
	char msg[160] = "";
	struct tfs_mkfs_opts o = { 0 };
	uint64_t blocks = tb->nr_blocks;
	tfs_kernel_lock();
	int err = tfs_mkfs(tb, &o, msg, sizeof(msg));
	tfs_kernel_unlock();
	tfs_blk_close(tb);
	if (err) {
		printf("mkfs: %s: %s%s%s\n", argv[1], strerror(-err), msg[0] ? ": " : "", msg);
		return 1;
	}
	printf("mkfs: %s: tfs, %llu blocks of %u bytes\n", argv[1], (unsigned long long)blocks, TFS_BLOCK_SIZE);
	return 0;
}
SHELL_COMMAND(mkfs, "mkfs", "DEV", "make an empty tfs file system on a block device or partition", cmd_mkfs);

static void fsck_report(void *arg, const char *line)
{
	printf("%s: %s\n", (const char *)arg, line);
}

static int cmd_fsck(int argc, char **argv)
{
	bool check_only = argc == 3 && strcmp(argv[1], "-n") == 0;
	if (argc != 2 + check_only)
		return shell_usage("fsck");
	const char *dev = argv[argc - 1];
	struct block_device *b = find_dev("fsck", dev);
	if (!b)
		return TFS_FSCK_FAILED;
	if (refuse_if_mounted("fsck", b))
		return TFS_FSCK_FAILED;
	struct tfs_bdev *tb = tfs_blk_open(b);
	if (!tb) {
		printf("fsck: %s: %s\n", dev, strerror(ENOMEM));
		return TFS_FSCK_FAILED;
	}
	char who[32];
	snprintf(who, sizeof(who), "fsck: %s", dev);
	tfs_kernel_lock();
	int rc = tfs_fsck(tb, check_only ? 0 : TFS_FSCK_REPAIR, fsck_report, who);
	tfs_kernel_unlock();
	tfs_blk_close(tb);
	static const char *const verdict[] = { [TFS_FSCK_CLEAN] = "clean", [TFS_FSCK_FIXED] = "errors fixed",
					       [TFS_FSCK_ERRORS] = "errors left", [TFS_FSCK_FAILED] = "could not check" };
	const char *v = rc >= 0 && rc <= TFS_FSCK_FAILED && verdict[rc] ? verdict[rc] : "?";
	printf("fsck: %s: %s (status %d)\n", dev, v, rc);
	return rc;
}
SHELL_COMMAND(fsck, "fsck", "[-n] DEV", "check and repair an unmounted tfs (-n: check only); e2fsck status", cmd_fsck);

static bool valid_mount_path(const char *p)
{
	size_t n = strlen(p);
	return p[0] == '/' && n < MOUNT_PATH_MAX && (n == 1 || p[n - 1] != '/');
}

int tfs_kernel_mount(struct block_device *b, const char *path, char *msg, size_t msglen)
{
	if (mnt.fs) {
		snprintf(msg, msglen, "%s is already mounted on %s (one at a time: umount first)", mnt.bdev->name,
			 mnt.path);
		return -EBUSY;
	}
	if (!valid_mount_path(path)) {
		snprintf(msg, msglen, "bad mount point '%s'", path);
		return -EINVAL;
	}
	struct tfs_bdev *tb = tfs_blk_open(b);
	if (!tb) {
		snprintf(msg, msglen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	struct tfs_mount_opts o = { 0 };
	struct tfs *fs;
	msg[0] = 0;
	tfs_kernel_lock();
	int err = tfs_mount(tb, &o, &fs, msg, msglen);
	if (!err) {
		mnt.fs = fs, mnt.tb = tb, mnt.bdev = b;
		snprintf(mnt.path, sizeof(mnt.path), "%s", path);
	}
	tfs_kernel_unlock();
	if (err) {
		tfs_blk_close(tb);
		if (!msg[0])
			snprintf(msg, msglen, "%s", strerror(-err));
	}
	return err;
}

int tfs_kernel_umount(void)
{
	if (!mnt.fs)
		return -EINVAL;
	if (tfs_kernel_open_files)
		return -EBUSY;
	tfs_kernel_lock();
	int err = tfs_unmount(mnt.fs); /* frees fs even on error */
	mnt.fs = NULL;
	tfs_kernel_unlock();
	tfs_blk_close(mnt.tb);
	return err;
}

bool tfs_kernel_in_use(struct block_device *b)
{
	return mnt.fs && (!b || mnt.bdev == b || mnt.bdev->whole == b || b->whole == mnt.bdev);
}

bool tfs_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	unsigned shift = 0;
	if (*p && p[1] == 0)
		shift = *p == 'k' || *p == 'K' ? 10 : *p == 'm' || *p == 'M' ? 20 : *p == 'g' || *p == 'G' ? 30 : 64;
	if (p == s || shift == 64 || (*p && !shift) || v > UINT64_MAX >> shift)
		return false;
	*out = v << shift;
	return true;
}

static int cmd_mount(int argc, char **argv)
{
	if (argc == 1) {
		if (mnt.fs)
			printf("%s on %s type tfs\n", mnt.bdev->name, mnt.path);
		return 0;
	}
	if (argc > 3 || (argc == 3 && !valid_mount_path(argv[2])))
		return shell_usage("mount");
	const char *path = argc == 3 ? argv[2] : "/";
	if (mnt.fs) {
		printf("mount: %s: %s is already mounted on %s (one at a time: umount first)\n", argv[1],
		       mnt.bdev->name, mnt.path);
		return 1;
	}
	struct block_device *b = find_dev("mount", argv[1]);
	if (!b)
		return 1;
	char msg[160];
	if (tfs_kernel_mount(b, path, msg, sizeof(msg))) {
		printf("mount: %s: cannot mount: %s\n", argv[1], msg);
		return 1;
	}
	printf("mount: %s on %s\n", b->name, mnt.path);
	return 0;
}
SHELL_COMMAND(mount, "mount", "[DEV [PATH]]", "mount the tfs on DEV at PATH (default /); no argument: show it",
	      cmd_mount);

static int cmd_umount(int argc, char **argv)
{
	(void)argv;
	if (argc > 2)
		return shell_usage("umount");
	if (!mnt.fs) {
		printf("umount: nothing is mounted\n");
		return 1;
	}
	if (tfs_kernel_open_files) {
		printf("umount: %s: busy: %u open files\n", mnt.path, tfs_kernel_open_files);
		return 1;
	}
	struct block_device *b = mnt.bdev;
	int err = tfs_kernel_umount();
	if (err) {
		printf("umount: %s: %s (the file system may not be clean)\n", b->name, strerror(-err));
		return 1;
	}
	printf("umount: %s unmounted\n", b->name);
	return 0;
}
SHELL_COMMAND(umount, "umount", "[PATH]", "sync and unmount the mounted tfs", cmd_umount);

/* ---- looking ---- */

static const char *type_name(uint32_t type) { return type == TFS_TYPE_DIR ? "dir" : "file"; }

static void ls_entry(struct tfs *fs, const char *dir, const char *name, bool lng)
{
	if (!lng) {
		printf("%s\n", name);
		return;
	}
	char path[512];
	struct tfs_stat st;
	snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", name);
	if (tfs_stat(fs, path, &st))
		printf("?          ? %s\n", name);
	else
		printf("%c %10llu %s%s\n", st.type == TFS_TYPE_DIR ? 'd' : '-', (unsigned long long)st.size, name,
		       st.type == TFS_TYPE_DIR ? "/" : "");
}

static int cmd_ls(int argc, char **argv)
{
	bool lng = argc > 1 && strcmp(argv[1], "-l") == 0;
	if (argc > 2 + lng)
		return shell_usage("ls");
	const char *path = argc == 2 + lng ? argv[1 + lng] : mnt.path, *rel;
	struct tfs *fs = lock_fs("ls", path, &rel);
	if (!fs)
		return 1;
	struct tfs_stat st;
	int err = tfs_stat(fs, rel, &st);
	if (!err && st.type != TFS_TYPE_DIR) {
		ls_entry(fs, "/", rel, lng);
		tfs_kernel_unlock();
		return 0;
	}
	struct tfs_dir *d;
	if (!err)
		err = tfs_opendir(fs, rel, &d);
	if (err) {
		int rc = fail("ls", path, err);
		tfs_kernel_unlock();
		return rc;
	}
	struct tfs_dirent_info e;
	int got;
	while ((got = tfs_readdir(d, &e)) == 1)
		ls_entry(fs, rel, e.name, lng);
	tfs_closedir(d);
	int rc = got < 0 ? fail("ls", path, got) : 0;
	tfs_kernel_unlock();
	return rc;
}
SHELL_COMMAND(ls, "ls", "[-l] [PATH]", "list a directory of the mounted tfs (-l: type and size)", cmd_ls);

static int cmd_stat(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage("stat");
	const char *rel;
	struct tfs *fs = lock_fs("stat", argv[1], &rel);
	if (!fs)
		return 1;
	struct tfs_stat st;
	int err = tfs_stat(fs, rel, &st);
	int rc = err ? fail("stat", argv[1], err) : 0;
	tfs_kernel_unlock();
	if (!err)
		printf("%s: %s, %llu bytes, %llu blocks, inode %u, %u links, mtime %llu\n", argv[1], type_name(st.type),
		       (unsigned long long)st.size, (unsigned long long)st.blocks, st.ino, st.nlink,
		       (unsigned long long)st.mtime);
	return rc;
}
SHELL_COMMAND(stat, "stat", "PATH", "type, size, blocks, inode and links of a file or directory", cmd_stat);

static int cmd_df(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage("df");
	const char *rel;
	struct tfs *fs = lock_fs("df", mnt.fs ? mnt.path : "/", &rel);
	if (!fs)
		return 1;
	struct tfs_statfs st;
	int err = tfs_statfs(fs, &st);
	int rc = err ? fail("df", mnt.path, err) : 0;
	tfs_kernel_unlock();
	if (err)
		return rc;
	printf("%-10s %12s %12s %12s %8s %8s %s\n", "DEV", "4K-BLOCKS", "USED", "FREE", "INODES", "IFREE", "ON");
	printf("%-10s %12llu %12llu %12llu %8llu %8llu %s\n", mnt.bdev->name, (unsigned long long)st.blocks,
	       (unsigned long long)(st.blocks - st.free_blocks), (unsigned long long)st.free_blocks,
	       (unsigned long long)st.inodes, (unsigned long long)st.free_inodes, mnt.path);
	return 0;
}
SHELL_COMMAND(df, "df", "", "blocks and inodes used and free on the mounted tfs", cmd_df);

/* Through stdio: the newlib syscalls in kernel/newlib_glue.c. */
static int cmd_cat(int argc, char **argv)
{
	if (argc < 2)
		return shell_usage("cat");
	char *buf = malloc(COPY_BUF_BYTES);
	if (!buf)
		return fail("cat", argv[1], -ENOMEM);
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			printf("cat: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		size_t n;
		while ((n = fread(buf, 1, COPY_BUF_BYTES, f)) > 0)
			fwrite(buf, 1, n, stdout);
		if (ferror(f)) {
			printf("cat: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		}
		fclose(f);
	}
	fflush(stdout);
	free(buf);
	return rc;
}
SHELL_COMMAND(cat, "cat", "FILE...", "print files of the mounted tfs (through stdio)", cmd_cat);

/* ---- changing ---- */

/* write has two forms under one name: "write FILE TEXT..." here, and the
 * raw "write DEV LBA COUNT PATTERN" of the block layer (blk_write_command).
 * The rule: a first argument that names a block device is the raw form; one
 * that starts with '/' is a file (no device name does); anything else is
 * refused, so a mistyped device name does not become a file. */
#define WRITE_USAGE_FILE "usage: write FILE TEXT...     (a file on the mounted tfs)"
#define WRITE_USAGE_DEV  "usage: write DEV LBA COUNT PATTERN     (raw blocks; DEV is in lsblk)"
static int write_file(int argc, char **argv)
{
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		printf("write: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int i = 2; i < argc; i++)
		fprintf(f, "%s%s", argv[i], i + 1 < argc ? " " : "\n");
	int err = fflush(f) || fsync(fileno(f)) ? errno : 0;
	if (fclose(f) && !err)
		err = errno;
	if (err) {
		printf("write: %s: %s\n", argv[1], strerror(err));
		return 1;
	}
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	if (argc >= 2 && blkdev_get(argv[1])) {
		if (argc != 5) {
			printf("%s\n", WRITE_USAGE_DEV);
			return SHELL_USAGE;
		}
		return blk_write_command(argc, argv);
	}
	if (argc < 3) {
		printf("%s\n%s\n", WRITE_USAGE_FILE, WRITE_USAGE_DEV);
		return SHELL_USAGE;
	}
	if (argv[1][0] != '/') {
		printf("write: %s: no such block device, and not a file path (paths start with /)\n", argv[1]);
		return 1;
	}
	return write_file(argc, argv);
}
SHELL_COMMAND(write_file, "write", "FILE TEXT... | DEV LBA COUNT PATTERN",
	      "write TEXT and a newline to FILE (created or truncated, fsync'd); or raw blocks to DEV", cmd_write);

/* Through the POSIX calls: truncate() on an existing file, else a new one
 * sized by ftruncate(); the size reported is where lseek(SEEK_END) lands
 * (64-bit: sizes past 4 GiB are fine, the new bytes are a hole). */
static int cmd_truncate(int argc, char **argv)
{
	uint64_t size;
	if (argc != 3 || !tfs_parse_size(argv[2], &size) || size > INT64_MAX)
		return shell_usage("truncate");
	int err = truncate(argv[1], (off_t)size) ? errno : 0;
	int fd = -1;
	if (err == ENOENT) {
		fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0644);
		err = fd < 0 || ftruncate(fd, (off_t)size) || fsync(fd) ? errno : 0;
		if (fd >= 0)
			close(fd);
	}
	off_t end = -1;
	if (!err && (fd = open(argv[1], O_RDONLY)) >= 0) {
		end = lseek(fd, 0, SEEK_END);
		close(fd);
	}
	if (!err && end < 0)
		err = errno;
	if (err) {
		printf("truncate: %s: %s\n", argv[1], strerror(err));
		return 1;
	}
	printf("truncate: %s: %lld bytes\n", argv[1], (long long)end);
	return 0;
}
SHELL_COMMAND(truncate, "truncate", "FILE SIZE", "set a file's size (created if missing; SIZE may end in k, m, g)",
	      cmd_truncate);

static int copy_data(struct tfs_file *in, struct tfs_file *out, char *buf)
{
	int64_t n;
	while ((n = tfs_read(in, buf, COPY_BUF_BYTES)) > 0) {
		int64_t w = tfs_write(out, buf, (size_t)n);
		if (w < 0)
			return (int)w;
		if (w != n)
			return -ENOSPC;
	}
	return n < 0 ? (int)n : tfs_fsync(out);
}

static int cmd_cp(int argc, char **argv)
{
	if (argc != 3)
		return shell_usage("cp");
	const char *src, *dst;
	struct tfs *fs = lock_fs("cp", argv[1], &src);
	if (!fs)
		return 1;
	if (tfs_kernel_resolve(argv[2], &dst) != fs) {
		tfs_kernel_unlock();
		printf("cp: %s: not on the mounted file system\n", argv[2]);
		return 1;
	}
	char *buf = malloc(COPY_BUF_BYTES);
	struct tfs_file *in = NULL, *out = NULL;
	int err = buf ? 0 : -ENOMEM;
	const char *bad = argv[1];
	if (!err)
		err = tfs_open(fs, src, TFS_O_RDONLY, &in);
	if (!err) {
		bad = argv[2];
		err = tfs_open(fs, dst, TFS_O_WRONLY | TFS_O_CREAT | TFS_O_TRUNC, &out);
	}
	if (!err)
		err = copy_data(in, out, buf);
	int rc = err ? fail("cp", bad, err) : 0;
	if (out && tfs_close(out) && !rc)
		rc = fail("cp", argv[2], -EIO);
	if (in)
		tfs_close(in);
	tfs_kernel_unlock();
	free(buf);
	return rc;
}
SHELL_COMMAND(cp, "cp", "SRC DST", "copy a file (DST created or truncated, fsync'd)", cmd_cp);

/* mv, rm, mkdir, rmdir: one tfs call on one or two paths. */
static int path_op(const char *cmd, int argc, char **argv, int want)
{
	if (argc != want)
		return shell_usage(cmd);
	const char *a, *b = NULL;
	struct tfs *fs = lock_fs(cmd, argv[1], &a);
	if (!fs)
		return 1;
	if (want == 3 && tfs_kernel_resolve(argv[2], &b) != fs) {
		tfs_kernel_unlock();
		printf("%s: %s: not on the mounted file system\n", cmd, argv[2]);
		return 1;
	}
	int err;
	if (strcmp(cmd, "mv") == 0)
		err = tfs_rename(fs, a, b);
	else if (strcmp(cmd, "rm") == 0)
		err = tfs_unlink(fs, a);
	else if (strcmp(cmd, "mkdir") == 0)
		err = tfs_mkdir(fs, a);
	else
		err = tfs_rmdir(fs, a);
	int rc = err ? fail(cmd, argv[1], err) : 0;
	tfs_kernel_unlock();
	return rc;
}

static int cmd_mv(int argc, char **argv) { return path_op("mv", argc, argv, 3); }
static int cmd_rm(int argc, char **argv) { return path_op("rm", argc, argv, 2); }
static int cmd_mkdir(int argc, char **argv) { return path_op("mkdir", argc, argv, 2); }
static int cmd_rmdir(int argc, char **argv) { return path_op("rmdir", argc, argv, 2); }
SHELL_COMMAND(mv, "mv", "SRC DST", "rename a file or directory (atomic; replaces a file at DST)", cmd_mv);
SHELL_COMMAND(rm, "rm", "FILE", "remove a file", cmd_rm);
SHELL_COMMAND(mkdir, "mkdir", "DIR", "make a directory", cmd_mkdir);
SHELL_COMMAND(rmdir, "rmdir", "DIR", "remove an empty directory", cmd_rmdir);

static int cmd_sync(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage("sync");
	const char *rel;
	struct tfs *fs = lock_fs("sync", mnt.fs ? mnt.path : "/", &rel);
	if (!fs)
		return 1;
	int err = tfs_sync(fs);
	int rc = err ? fail("sync", mnt.path, err) : 0;
	tfs_kernel_unlock();
	return rc;
}
SHELL_COMMAND(sync, "sync", "", "make everything written so far durable", cmd_sync);

/* CRC-32 (IEEE, as zlib's crc32 and Python's zlib.crc32) and size of a file. */
static int cmd_cksum(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage("cksum");
	const char *rel;
	struct tfs *fs = lock_fs("cksum", argv[1], &rel);
	if (!fs)
		return 1;
	char *buf = malloc(COPY_BUF_BYTES);
	struct tfs_file *f = NULL;
	int err = buf ? tfs_open(fs, rel, TFS_O_RDONLY, &f) : -ENOMEM;
	uint32_t crc = 0;
	uint64_t size = 0;
	int64_t n = 0;
	while (!err && (n = tfs_read(f, buf, COPY_BUF_BYTES)) > 0) {
		crc = crc32(crc, buf, (size_t)n);
		size += (uint64_t)n;
	}
	if (!err && n < 0)
		err = (int)n;
	int rc = err ? fail("cksum", argv[1], err) : 0;
	if (f)
		tfs_close(f);
	tfs_kernel_unlock();
	free(buf);
	if (!rc)
		printf("%08x %llu %s\n", (unsigned)crc, (unsigned long long)size, argv[1]);
	return rc;
}
SHELL_COMMAND(cksum, "cksum", "FILE", "CRC-32 (zlib's) and size of a file", cmd_cksum);
