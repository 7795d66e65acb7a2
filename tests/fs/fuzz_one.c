/* The tfs fuzzing entry point: see fuzz_one.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs.h"
#include "fs/tfs_int.h"
#include "lib/crc.h"
#include "tests/fs/fuzz_one.h"
#include "tests/unit/fs/ram_bdev.h"

#define FUZZ_BLOCKS 128
#define FUZZ_BYTES ((size_t)FUZZ_BLOCKS * TFS_BLOCK_SIZE)
#define WALK_MAX_DEPTH 8
#define WALK_MAX_ENTRIES 200
#define READ_MAX (256u * 1024)

enum { FUZZ_RESEAL = 1, FUZZ_READ_ONLY = 2 };

static uint8_t *base;

static void base_put(struct tfs *fs, const char *path, size_t len, uint32_t seed)
{
	uint8_t *buf = malloc(len);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((seed += 0x9e3779b9u) >> 24);
	struct tfs_file *f;
	if (!tfs_open(fs, path, TFS_O_RDWR | TFS_O_CREAT, &f)) {
		tfs_write(f, buf, len);
		tfs_close(f);
	}
	free(buf);
}

/* Two files written alternately block by block: ten extents each, so one
 * has an extent block. */
static void base_fragmented(struct tfs *fs)
{
	struct tfs_file *a, *b;
	uint8_t blk[TFS_BLOCK_SIZE];
	memset(blk, 0xab, sizeof(blk));
	if (tfs_open(fs, "/frag", TFS_O_RDWR | TFS_O_CREAT, &a) ||
	    tfs_open(fs, "/d/frag2", TFS_O_RDWR | TFS_O_CREAT, &b))
		abort();
	for (int i = 0; i < 10; i++) {
		tfs_write(a, blk, sizeof(blk));
		tfs_write(b, blk, 100);
		tfs_pwrite(b, blk, sizeof(blk), (uint64_t)i * TFS_BLOCK_SIZE);
	}
	tfs_close(a);
	tfs_close(b);
}

/* The image every input patches. The device completes I/O only in wait(),
 * so right after the final fsync the checkpoint writes are still queued:
 * the copy holds a committed transaction that mount must replay. */
static void base_build(void)
{
	struct ram_bdev r;
	char msg[160];
	struct tfs *fs;
	ram_bdev_init(&r, FUZZ_BLOCKS);
	if (tfs_mkfs(&r.bdev, NULL, msg, sizeof(msg)) || tfs_mount(&r.bdev, NULL, &fs, msg, sizeof(msg)))
		abort();
	tfs_mkdir(fs, "/d");
	tfs_mkdir(fs, "/d/e");
	base_put(fs, "/small", 100, 1);
	base_put(fs, "/d/mid", 20000, 2);
	base_fragmented(fs);
	tfs_sync(fs);
	base_put(fs, "/d/e/late", 5000, 3);
	tfs_rename(fs, "/small", "/d/small");
	r.async = true;
	struct tfs_file *f;
	if (tfs_open(fs, "/d/e/late", TFS_O_RDWR, &f) || tfs_fsync(f))
		abort();
	tfs_close(f);
	base = malloc(FUZZ_BYTES);
	memcpy(base, r.mem, FUZZ_BYTES);
	r.fail_after = 0; /* the crash: the queued writes complete with errors */
	tfs_unmount(fs);
	ram_bdev_free(&r);
}

static void apply_patches(uint8_t *img, const uint8_t *p, size_t n)
{
	while (n >= 5) {
		uint32_t blk = (p[0] | p[1] << 8) % FUZZ_BLOCKS, off = (p[2] | p[3] << 8) % TFS_BLOCK_SIZE;
		size_t len = p[4];
		p += 5;
		n -= 5;
		if (len > n)
			len = n;
		if (len > TFS_BLOCK_SIZE - off)
			len = TFS_BLOCK_SIZE - off;
		memcpy(img + (size_t)blk * TFS_BLOCK_SIZE + off, p, len);
		p += len;
		n -= len;
	}
}

static void reseal_journal(uint8_t *img, const struct tfs_super *sb)
{
	if (sb->journal_start >= FUZZ_BLOCKS || sb->journal_blocks < 3 ||
	    sb->journal_blocks > FUZZ_BLOCKS - sb->journal_start)
		return; /* the superblock is as patched: trust nothing in it */
	uint8_t *jd = img + sb->journal_start * TFS_BLOCK_SIZE;
	struct tfs_jdesc *d = (struct tfs_jdesc *)jd;
	if (d->magic != TFS_JDESC_MAGIC || d->count == 0 || d->count > sb->journal_blocks - 2)
		return;
	tfs_blkhdr_seal(jd);
	struct tfs_jcommit *c = (struct tfs_jcommit *)(jd + (size_t)(d->count + 1) * TFS_BLOCK_SIZE);
	if (c->magic != TFS_JCOMMIT_MAGIC)
		return;
	c->images_crc = crc32c(0, jd, (size_t)(d->count + 1) * TFS_BLOCK_SIZE);
	c->crc = tfs_crc_skip(c, sizeof(*c), offsetof(struct tfs_jcommit, crc));
}

/* Make every checksum right again, wherever the patch left something that
 * looks like a checksummed structure. */
static void reseal(uint8_t *img)
{
	for (uint32_t b = 0; b < FUZZ_BLOCKS; b++) {
		uint8_t *blk = img + (size_t)b * TFS_BLOCK_SIZE;
		uint32_t magic = ((struct tfs_blkhdr *)blk)->magic;
		if (magic == TFS_BITMAP_MAGIC || magic == TFS_DIR_MAGIC || magic == TFS_EXTENT_MAGIC)
			tfs_blkhdr_seal(blk);
		if (magic == TFS_SB_MAGIC)
			tfs_super_seal((struct tfs_super *)blk);
		for (unsigned i = 0; i < TFS_INODES_PER_BLOCK; i++) {
			struct tfs_inode *di = (struct tfs_inode *)blk + i;
			if (di->magic == TFS_INODE_MAGIC)
				tfs_inode_seal(di);
		}
	}
	struct tfs_super sb;
	memcpy(&sb, img, sizeof(sb));
	reseal_journal(img, &sb);
}

static void walk(struct tfs *fs, const char *path, int depth, int *budget, uint8_t *buf)
{
	struct tfs_dir *d;
	if (depth > WALK_MAX_DEPTH || tfs_opendir(fs, path, &d))
		return;
	struct tfs_dirent_info e;
	while (--*budget > 0 && tfs_readdir(d, &e) == 1) {
		char sub[600];
		snprintf(sub, sizeof(sub), "%s/%s", path, e.name);
		if (e.type == TFS_TYPE_DIR) {
			walk(fs, sub, depth + 1, budget, buf);
			continue;
		}
		struct tfs_file *f;
		if (!tfs_open(fs, sub, TFS_O_RDONLY, &f)) {
			tfs_pread(f, buf, READ_MAX, 0);
			tfs_close(f);
		}
	}
	tfs_closedir(d);
}

static void exercise(struct tfs *fs)
{
	uint8_t *buf = calloc(1, READ_MAX);
	int budget = WALK_MAX_ENTRIES;
	walk(fs, "/", 0, &budget, buf);
	struct tfs_file *f;
	if (!tfs_open(fs, "/d/new", TFS_O_RDWR | TFS_O_CREAT, &f)) {
		tfs_pwrite(f, buf, 9000, 100);
		tfs_fsync(f);
		tfs_close(f);
	}
	tfs_truncate(fs, "/d/mid", 3000);
	tfs_rename(fs, "/frag", "/d/e/frag");
	tfs_unlink(fs, "/d/frag2");
	tfs_mkdir(fs, "/x");
	tfs_sync(fs);
	free(buf);
}

int tfs_fuzz_one(const uint8_t *data, size_t size)
{
	if (!base)
		base_build();
	struct ram_bdev r;
	ram_bdev_init(&r, FUZZ_BLOCKS);
	memcpy(r.mem, base, FUZZ_BYTES);
	uint8_t flags = size ? data[0] : 0;
	if (size)
		apply_patches(r.mem, data + 1, size - 1);
	if (flags & FUZZ_RESEAL)
		reseal(r.mem);
	tfs_fsck(&r.bdev, 0, NULL, NULL);
	struct tfs *fs;
	char msg[160];
	struct tfs_mount_opts o = { .read_only = (flags & FUZZ_READ_ONLY) != 0 };
	if (!tfs_mount(&r.bdev, &o, &fs, msg, sizeof(msg))) {
		exercise(fs);
		tfs_unmount(fs);
	}
	int fixed = tfs_fsck(&r.bdev, TFS_FSCK_REPAIR, NULL, NULL);
	if (fixed == TFS_FSCK_CLEAN || fixed == TFS_FSCK_FIXED) {
		int again = tfs_fsck(&r.bdev, 0, NULL, NULL);
		if (again != TFS_FSCK_CLEAN) {
			fprintf(stderr, "fuzz: repair returned %d but the next check %d\n", fixed, again);
			abort();
		}
		if (tfs_mount(&r.bdev, NULL, &fs, msg, sizeof(msg))) {
			fprintf(stderr, "fuzz: clean after repair but mount fails: %s\n", msg);
			abort();
		}
		tfs_unmount(fs);
	}
	ram_bdev_free(&r);
	return 0;
}
