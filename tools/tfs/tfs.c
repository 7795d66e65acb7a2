/*
 * tfs IMAGE[@pN] COMMAND ARGS: move files in and out of a tfs image.
 *   ls [PATH...]          list directories (type, size, name)
 *   cat PATH...           file contents to stdout
 *   get PATH [LOCAL]      copy a file out (LOCAL defaults to its name)
 *   put LOCAL PATH        copy a local file in (replacing PATH)
 *   rm PATH...            remove files or empty directories
 *   mkdir PATH...         make directories
 *   df                    blocks and inodes, used and free
 * Read-only commands mount read-only: the image is not changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/tfs.h"
#include "fs/tfs_format.h"
#include "tools/tfs/host_bdev.h"

#define COPY_CHUNK (1u << 20)

static struct tfs *fs;

static int fail(const char *what, const char *path, int err)
{
	fprintf(stderr, "tfs: %s %s: %s%s%s\n", what, path, strerror(-err),
		tfs_errmsg(fs)[0] ? ": " : "", tfs_errmsg(fs));
	return 1;
}

static uint64_t now(void)
{
	return (uint64_t)time(NULL);
}

static int cmd_ls(const char *path)
{
	struct tfs_dir *d;
	int err = tfs_opendir(fs, path, &d);
	if (err)
		return fail("ls", path, err);
	struct tfs_dirent_info e;
	int r;
	while ((r = tfs_readdir(d, &e)) > 0) {
		char full[600];
		struct tfs_stat st = { 0 };
		snprintf(full, sizeof(full), "%s/%s", path, e.name);
		tfs_stat(fs, full, &st);
		printf("%c %12llu %s\n", e.type == TFS_TYPE_DIR ? 'd' : '-', (unsigned long long)st.size, e.name);
	}
	tfs_closedir(d);
	return r < 0 ? fail("ls", path, r) : 0;
}

static int copy_out(const char *path, FILE *out)
{
	struct tfs_file *f;
	int err = tfs_open(fs, path, TFS_O_RDONLY, &f);
	if (err)
		return fail("open", path, err);
	char *buf = malloc(COPY_CHUNK);
	int64_t n;
	while (buf && (n = tfs_read(f, buf, COPY_CHUNK)) > 0)
		fwrite(buf, 1, (size_t)n, out);
	free(buf);
	tfs_close(f);
	return !buf ? 1 : n < 0 ? fail("read", path, (int)n) : 0;
}

static int cmd_get(const char *path, const char *local)
{
	if (!local) {
		const char *slash = strrchr(path, '/');
		local = slash ? slash + 1 : path;
	}
	FILE *out = fopen(local, "wb");
	if (!out) {
		fprintf(stderr, "tfs: %s: %s\n", local, strerror(errno));
		return 1;
	}
	int r = copy_out(path, out);
	return fclose(out) ? 1 : r;
}

static int cmd_put(const char *local, const char *path)
{
	FILE *in = fopen(local, "rb");
	if (!in) {
		fprintf(stderr, "tfs: %s: %s\n", local, strerror(errno));
		return 1;
	}
	struct tfs_file *f;
	int err = tfs_open(fs, path, TFS_O_WRONLY | TFS_O_CREAT | TFS_O_TRUNC, &f);
	if (err) {
		fclose(in);
		return fail("create", path, err);
	}
	char *buf = malloc(COPY_CHUNK);
	size_t n;
	int64_t w = 0;
	while (buf && w >= 0 && (n = fread(buf, 1, COPY_CHUNK, in)) > 0)
		w = tfs_write(f, buf, n) == (int64_t)n ? 0 : -EIO;
	free(buf);
	fclose(in);
	err = w < 0 ? (int)w : tfs_fsync(f);
	tfs_close(f);
	return err ? fail("write", path, err) : 0;
}

static int cmd_rm(const char *path)
{
	struct tfs_stat st;
	int err = tfs_stat(fs, path, &st);
	if (!err)
		err = st.type == TFS_TYPE_DIR ? tfs_rmdir(fs, path) : tfs_unlink(fs, path);
	return err ? fail("rm", path, err) : 0;
}

static int cmd_mkdir(const char *path)
{
	int err = tfs_mkdir(fs, path);
	return err ? fail("mkdir", path, err) : 0;
}

static int cmd_df(void)
{
	struct tfs_statfs s;
	tfs_statfs(fs, &s);
	printf("blocks %llu used %llu free %llu (4 KiB); inodes %llu used %llu free %llu\n",
	       (unsigned long long)s.blocks, (unsigned long long)(s.blocks - s.free_blocks),
	       (unsigned long long)s.free_blocks, (unsigned long long)s.inodes,
	       (unsigned long long)(s.inodes - s.free_inodes), (unsigned long long)s.free_inodes);
	return 0;
}

static int run(const char *cmd, int n, char **args)
{
	int r = 0;
	if (!strcmp(cmd, "ls"))
		for (int i = 0; i < (n ? n : 1); i++)
			r |= cmd_ls(n ? args[i] : "/");
	else if (!strcmp(cmd, "cat"))
		for (int i = 0; i < n; i++)
			r |= copy_out(args[i], stdout);
	else if (!strcmp(cmd, "get") && (n == 1 || n == 2))
		r = cmd_get(args[0], n == 2 ? args[1] : NULL);
	else if (!strcmp(cmd, "put") && n == 2)
		r = cmd_put(args[0], args[1]);
	else if (!strcmp(cmd, "rm"))
		for (int i = 0; i < n; i++)
			r |= cmd_rm(args[i]);
	else if (!strcmp(cmd, "mkdir"))
		for (int i = 0; i < n; i++)
			r |= cmd_mkdir(args[i]);
	else if (!strcmp(cmd, "df"))
		r = cmd_df();
	else
		r = 2;
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tfs IMAGE[@pN] ls|cat|get|put|rm|mkdir|df PATH...\n");
		return 2;
	}
	const char *cmd = argv[2];
	bool writes = !strcmp(cmd, "put") || !strcmp(cmd, "rm") || !strcmp(cmd, "mkdir");
	struct tfs_bdev bdev;
	char msg[200];
	if (host_bdev_open(&bdev, argv[1], writes, 0, msg, sizeof(msg))) {
		fprintf(stderr, "tfs: %s\n", msg);
		return 1;
	}
	struct tfs_mount_opts o = { .read_only = !writes, .now = now };
	int err = tfs_mount(&bdev, &o, &fs, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "tfs: %s: cannot mount: %s\n", argv[1], msg);
		host_bdev_close(&bdev);
		return 1;
	}
	int r = run(cmd, argc - 3, argv + 3);
	if (r == 2)
		fprintf(stderr, "usage: tfs IMAGE[@pN] ls|cat|get|put|rm|mkdir|df PATH...\n");
	err = tfs_unmount(fs);
	if (err) {
		fprintf(stderr, "tfs: unmount: %s\n", strerror(-err));
		r = 1;
	}
	host_bdev_close(&bdev);
	return r;
}
