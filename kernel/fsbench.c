/*
 * File system workloads for figures and crash tests:
 *
 * fsbench DEV: what tfs costs over the bare device. Each test runs twice on
 * the same device with the same bytes and the same I/O size: first with the
 * block API directly (blkdev_rw, a flush where tfs would make data durable),
 * then through tfs and the POSIX calls a program would use (open, pwrite,
 * pread, fsync, close on a file system that fsbench makes on DEV and mounts
 * at /fsbench). It destroys what DEV held. The three tests:
 *   seq-write     SIZE bytes in BS pieces, then one flush / fsync
 *   seq-read      the same bytes back (tfs keeps no data cache: they come
 *                 from the device), each 4 KiB block's stamp checked
 *   create-fsync  FILES files of FILE_SIZE bytes, each written and made
 *                 durable before the next (raw: a write and a flush)
 * One line per test, "fsbench: dev=... test=... raw_*=... tfs_*=...
 * ratio=R", R = tfs rate / raw rate (1.000: no overhead).
 *
 * fsfill write|check DIR COUNT SEED: COUNT files DIR/f00000... of sizes
 * and contents derived from (SEED, index). write prints a line per file once
 * its fsync returned, so a test that kills the machine knows which files
 * must survive; check verifies files 0..COUNT-1 byte for byte.
 */
#define _POSIX_C_SOURCE 200809L /* pread, pwrite */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk/blkdev.h"
#include "fs/tfs.h"
#include "fs/tfs_format.h"
#include "kernel/mm.h"
#include "kernel/shell.h"
#include "kernel/tfs_kernel.h"
#include "kernel/time.h"
#include "lib/crc.h"
#include "lib/splitmix64.h"

#define FSB_MOUNT "/fsbench"
#define FSB_MAX_BS (4u << 20)        /* one buffer of page_alloc'd memory */
#define FSB_STAMP_EVERY 4096u        /* a stamp at the start of each 4 KiB block */
#define NS_PER_S 1000000000ull

struct fsb_opts {
	uint64_t size, bs, files, file_size;
	uint64_t nonce;  /* this run's, in the stamps: an earlier run's data does not pass */
};

struct fsb_result {
	uint64_t ns;     /* elapsed */
	uint64_t units;  /* bytes for the sequential tests, files for create-fsync */
};

/* Each 4 KiB block of the data starts with its byte offset and a tag (the
 * run's nonce plus the test), so a read that returns the wrong block, an old
 * one, or none, is caught. */
static void stamp(uint8_t *buf, uint64_t len, uint64_t off, uint64_t tag)
{
	for (uint64_t i = 0; i < len; i += FSB_STAMP_EVERY) {
		uint64_t v[2] = { off + i, tag };
		memcpy(buf + i, v, sizeof(v));
	}
}

static bool stamp_ok(const uint8_t *buf, uint64_t len, uint64_t off, uint64_t tag)
{
	for (uint64_t i = 0; i < len; i += FSB_STAMP_EVERY) {
		uint64_t v[2];
		memcpy(v, buf + i, sizeof(v));
		if (v[0] != off + i || v[1] != tag)
			return false;
	}
	return true;
}

/* ---- raw: the block API ---- */

static int raw_seq(struct block_device *b, const struct fsb_opts *o, uint8_t *buf, bool write,
		   struct fsb_result *r)
{
	uint64_t t0 = uptime_ns();
	for (uint64_t off = 0; off < o->size; off += o->bs) {
		if (write)
			stamp(buf, o->bs, off, o->nonce + 1);
		if (blkdev_rw(b, write ? REQ_OP_WRITE : REQ_OP_READ, 0, off >> SECTOR_SHIFT, buf, (uint32_t)o->bs))
			return -EIO;
		if (!write && !stamp_ok(buf, o->bs, off, o->nonce + 1))
			return -EILSEQ;
	}
	if (write && (b->features & BLK_FEAT_WRITE_CACHE) && blkdev_rw(b, REQ_OP_FLUSH, 0, 0, NULL, 0))
		return -EIO;
	*r = (struct fsb_result){ uptime_ns() - t0, o->size };
	return 0;
}

/* The small writes go past the big file's bytes, as tfs puts them elsewhere. */
static int raw_small(struct block_device *b, const struct fsb_opts *o, uint8_t *buf, struct fsb_result *r)
{
	uint64_t t0 = uptime_ns();
	for (uint64_t i = 0; i < o->files; i++) {
		uint64_t off = o->size + i * o->file_size;
		stamp(buf, o->file_size, off, o->nonce + 2);
		if (blkdev_rw(b, REQ_OP_WRITE, 0, off >> SECTOR_SHIFT, buf, (uint32_t)o->file_size))
			return -EIO;
		if ((b->features & BLK_FEAT_WRITE_CACHE) && blkdev_rw(b, REQ_OP_FLUSH, 0, 0, NULL, 0))
			return -EIO;
	}
	*r = (struct fsb_result){ uptime_ns() - t0, o->files };
	return 0;
}

/* ---- tfs: the POSIX calls on the mounted file system ---- */

static int fs_seq_write(const struct fsb_opts *o, uint8_t *buf, struct fsb_result *r)
{
	uint64_t t0 = uptime_ns();
	int fd = open(FSB_MOUNT "/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	int err = 0;
	for (uint64_t off = 0; off < o->size && !err; off += o->bs) {
		stamp(buf, o->bs, off, o->nonce + 3);
		ssize_t n = pwrite(fd, buf, o->bs, (off_t)off);
		err = n == (ssize_t)o->bs ? 0 : n < 0 ? -errno : -ENOSPC;
	}
	if (!err && fsync(fd))
		err = -errno;
	uint64_t t1 = uptime_ns();
	if (!err && lseek(fd, 0, SEEK_END) != (off_t)o->size) /* the size as the file system has it */
		err = -EIO;
	close(fd);
	*r = (struct fsb_result){ t1 - t0, o->size };
	return err;
}

static int fs_seq_read(const struct fsb_opts *o, uint8_t *buf, struct fsb_result *r)
{
	uint64_t t0 = uptime_ns();
	int fd = open(FSB_MOUNT "/big", O_RDONLY);
	if (fd < 0)
		return -errno;
	int err = 0;
	for (uint64_t off = 0; off < o->size && !err; off += o->bs) {
		ssize_t n = pread(fd, buf, o->bs, (off_t)off);
		err = n < 0 ? -errno : n != (ssize_t)o->bs || !stamp_ok(buf, o->bs, off, o->nonce + 3) ? -EILSEQ : 0;
	}
	close(fd);
	*r = (struct fsb_result){ uptime_ns() - t0, o->size };
	return err;
}

static int fs_small(const struct fsb_opts *o, uint8_t *buf, struct fsb_result *r)
{
	if (mkdir(FSB_MOUNT "/s", 0755))
		return -errno;
	uint64_t t0 = uptime_ns();
	for (uint64_t i = 0; i < o->files; i++) {
		char path[48];
		snprintf(path, sizeof(path), FSB_MOUNT "/s/%06llu", (unsigned long long)i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return -errno;
		stamp(buf, o->file_size, i * o->file_size, o->nonce + 4);
		ssize_t n = write(fd, buf, o->file_size);
		int err = n == (ssize_t)o->file_size ? 0 : n < 0 ? -errno : -ENOSPC;
		if (!err && fsync(fd))
			err = -errno;
		close(fd);
		if (err)
			return err;
	}
	*r = (struct fsb_result){ uptime_ns() - t0, o->files };
	return 0;
}

/* ---- fsbench ---- */

static int fsb_mkfs_mount(struct block_device *b)
{
	struct tfs_bdev *tb = tfs_blk_open(b);
	if (!tb)
		return -ENOMEM;
	char msg[160] = "";
	struct tfs_mkfs_opts mo = { 0 };
	tfs_kernel_lock();
	int err = tfs_mkfs(tb, &mo, msg, sizeof(msg));
	tfs_kernel_unlock();
	tfs_blk_close(tb);
	if (!err)
		err = tfs_kernel_mount(b, FSB_MOUNT, msg, sizeof(msg));
	if (err)
		printf("fsbench: %s: cannot make or mount a tfs: %s\n", b->name, msg[0] ? msg : strerror(-err));
	return err;
}

/* (units / div) per second, given the ns they took, with `decimals` digits
 * (integer arithmetic: the kernel keeps the FPU off). */
static void per_s(uint64_t units, uint64_t div, uint64_t ns, unsigned decimals, char *out, size_t len)
{
	uint64_t pow = decimals == 3 ? 1000 : 100;
	unsigned __int128 x = (unsigned __int128)units * NS_PER_S * pow / div / (ns ? ns : 1);
	snprintf(out, len, "%llu.%0*llu", (unsigned long long)(x / pow), (int)decimals, (unsigned long long)(x % pow));
}

static void report(const char *dev, const char *test, const char *what, const char *unit, uint64_t scale,
		   const struct fsb_result *raw, const struct fsb_result *fs)
{
	char r[32], f[32], q[32];
	per_s(raw->units, scale, raw->ns, 2, r, sizeof(r));
	per_s(fs->units, scale, fs->ns, 2, f, sizeof(f));
	/* tfs rate / raw rate = raw ns / tfs ns, as the work is the same */
	per_s(raw->ns, NS_PER_S, fs->ns, 3, q, sizeof(q));
	printf("fsbench: dev=%s test=%s %s raw_%s=%s tfs_%s=%s ratio=%s\n", dev, test, what, unit, r, unit, f, q);
}

static int fsb_usage(const char *why, const char *arg)
{
	printf("fsbench: %s '%s'\n", why, arg);
	return shell_usage("fsbench");
}

static int fsb_parse(int argc, char **argv, struct fsb_opts *o)
{
	*o = (struct fsb_opts){ 64u << 20, 1u << 20, 1000, 4096, uptime_ns() << 8 };
	for (int i = 2; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		uint64_t v;
		if (!eq || !tfs_parse_size(eq + 1, &v))
			return fsb_usage("bad option", argv[i]);
		size_t k = (size_t)(eq - argv[i]);
		if (k == 6 && !strncmp(argv[i], "--size", k))
			o->size = v;
		else if (k == 4 && !strncmp(argv[i], "--bs", k))
			o->bs = v;
		else if (k == 7 && !strncmp(argv[i], "--files", k))
			o->files = v;
		else if (k == 11 && !strncmp(argv[i], "--file-size", k))
			o->file_size = v;
		else
			return fsb_usage("unknown option", argv[i]);
	}
	const char *bad = !o->bs || o->bs % TFS_BLOCK_SIZE || o->bs > FSB_MAX_BS ? "--bs (a multiple of 4k, up to 4m)"
			  : !o->size || o->size % o->bs                        ? "--size (a multiple of --bs)"
			  : !o->files                                          ? "--files (at least 1)"
			  : !o->file_size || o->file_size % TFS_BLOCK_SIZE || o->file_size > o->bs
				  ? "--file-size (a multiple of 4k, up to --bs)"
				  : NULL;
	if (bad) {
		printf("fsbench: bad %s\n", bad);
		return shell_usage("fsbench");
	}
	return 0;
}

static int fsb_run(struct block_device *b, const struct fsb_opts *o, uint8_t *buf)
{
	struct fsb_result rw, rr, rs, fw, fr, fsm;
	int err = raw_seq(b, o, buf, true, &rw);
	if (!err)
		err = raw_seq(b, o, buf, false, &rr);
	if (!err)
		err = raw_small(b, o, buf, &rs);
	if (err) {
		printf("fsbench: %s: raw I/O failed: %s\n", b->name, strerror(-err));
		return 1;
	}
	if (fsb_mkfs_mount(b))
		return 1;
	err = fs_seq_write(o, buf, &fw);
	if (!err)
		err = fs_seq_read(o, buf, &fr);
	if (!err)
		err = fs_small(o, buf, &fsm);
	int uerr = tfs_kernel_umount();
	if (err || uerr) {
		printf("fsbench: %s: tfs %s failed: %s\n", b->name, err ? "I/O" : "umount", strerror(-(err ? err : uerr)));
		return 1;
	}
	char what[64];
	snprintf(what, sizeof(what), "bytes=%llu bs=%llu", (unsigned long long)o->size, (unsigned long long)o->bs);
	report(b->name, "seq-write", what, "mib_s", 1u << 20, &rw, &fw);
	report(b->name, "seq-read", what, "mib_s", 1u << 20, &rr, &fr);
	snprintf(what, sizeof(what), "files=%llu file_size=%llu", (unsigned long long)o->files,
		 (unsigned long long)o->file_size);
	report(b->name, "create-fsync", what, "ops_s", 1, &rs, &fsm);
	return 0;
}

static int cmd_fsbench(int argc, char **argv)
{
	struct fsb_opts o;
	if (argc < 2)
		return shell_usage("fsbench");
	if (fsb_parse(argc, argv, &o))
		return SHELL_USAGE;
	struct block_device *b = blkdev_get(argv[1]);
	if (!b) {
		printf("fsbench: %s: no such block device (lsblk lists them)\n", argv[1]);
		return 1;
	}
	if (tfs_kernel_in_use(NULL)) {
		printf("fsbench: %s: a file system is mounted (fsbench mounts its own: umount first)\n", argv[1]);
		return 1;
	}
	/* the big file, the small files and room for tfs's metadata and journal */
	uint64_t need = o.size + o.files * o.file_size;
	if (need + need / 4 + (16u << 20) > b->nr_sectors << SECTOR_SHIFT) {
		printf("fsbench: %s: too small for --size and --files (%llu MiB of data)\n", argv[1],
		       (unsigned long long)(need >> 20));
		return 1;
	}
	uint8_t *buf = dma_buf_alloc(o.bs); /* DMA-able, for the raw I/O */
	if (!buf) {
		printf("fsbench: %s\n", strerror(ENOMEM));
		return 1;
	}
	printf("fsbench: %s: raw, then tfs (mkfs, mount on " FSB_MOUNT "); its contents are lost\n", argv[1]);
	int rc = fsb_run(b, &o, buf);
	dma_buf_free(buf, o.bs);
	return rc;
}
SHELL_COMMAND(fsbench, "fsbench",
	      "DEV [--size=64m] [--bs=1m] [--files=1000] [--file-size=4k]",
	      "raw device vs tfs: sequential write/read, create+fsync of small files (destroys DEV's data)",
	      cmd_fsbench);

/* ---- fsfill ---- */

#define FILL_MAX_BYTES (96u * 1024) /* sizes 1..96 KiB: one block to several extents' bios */

static uint64_t fill_size(uint64_t seed, uint64_t i)
{
	return 1 + splitmix64(seed << 32 ^ i) % FILL_MAX_BYTES;
}

static void fill_data(uint8_t *buf, uint64_t len, uint64_t seed, uint64_t i)
{
	uint64_t x = splitmix64(seed << 32 ^ i ^ 0x5eedull << 48);
	for (uint64_t k = 0; k < len; k += 8) {
		x = splitmix64(x);
		memcpy(buf + k, &x, len - k < 8 ? len - k : 8);
	}
}

/* One file, written in two pieces (the second by pwrite at its offset). */
static int fill_one(const char *path, uint8_t *buf, uint64_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	uint64_t half = len / 2;
	int err = 0;
	errno = 0;
	if (write(fd, buf, half) != (ssize_t)half ||
	    pwrite(fd, buf + half, len - half, (off_t)half) != (ssize_t)(len - half) || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int check_one(const char *path, uint8_t *want, uint8_t *got, uint64_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	struct stat st;
	int err = fstat(fd, &st) ? -errno : (uint64_t)st.st_size != len ? -EFBIG : 0;
	if (!err && (pread(fd, got, len, 0) != (ssize_t)len || memcmp(want, got, len)))
		err = -EILSEQ;
	close(fd);
	return err;
}

static int cmd_fsfill(int argc, char **argv)
{
	uint64_t count, seed;
	bool check = argc == 5 && !strcmp(argv[1], "check");
	if (argc != 5 || (!check && strcmp(argv[1], "write")) || !tfs_parse_size(argv[3], &count) ||
	    !tfs_parse_size(argv[4], &seed))
		return shell_usage("fsfill");
	uint8_t *want = malloc(FILL_MAX_BYTES), *got = malloc(FILL_MAX_BYTES);
	uint64_t bad = 0;
	int rc = 0;
	for (uint64_t i = 0; i < count && want && got && !rc; i++) {
		char path[160];
		snprintf(path, sizeof(path), "%s/f%05llu", argv[2], (unsigned long long)i);
		uint64_t len = fill_size(seed, i);
		fill_data(want, len, seed, i);
		int err = check ? check_one(path, want, got, len) : fill_one(path, want, len);
		if (err && check) {
			printf("fsfill: %s: %s\n", path, err == -EILSEQ ? "contents differ" : err == -EFBIG ? "wrong size" : strerror(-err));
			bad++;
		} else if (err) {
			printf("fsfill: %s: %s\n", path, strerror(-err));
			rc = 1;
		} else if (!check) {
			printf("fsfill: synced %s size=%llu crc=%08x\n", path, (unsigned long long)len,
			       (unsigned)crc32(0, want, len));
			fflush(stdout); /* the line is the promise: out before the next file starts */
		}
	}
	if (!want || !got) {
		printf("fsfill: %s\n", strerror(ENOMEM));
		rc = 1;
	} else if (check) {
		printf("fsfill: check: %llu of %llu files intact\n", (unsigned long long)(count - bad),
		       (unsigned long long)count);
		rc = bad != 0;
	}
	free(want);
	free(got);
	return rc;
}
SHELL_COMMAND(fsfill, "fsfill", "write|check DIR COUNT SEED",
	      "write COUNT files DIR/fNNNNN (fsync'd, a line each), or check them byte for byte", cmd_fsfill);
