/*
 * Checksums of every checksummed structure, the superblock's sanity check,
 * the layout rules that place the regions on a device, and mkfs.
 *
 * Every checksum is CRC32C over the structure with its crc field taken as
 * zero; tfs_crc_skip() computes that without copying.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs_int.h"
#include "lib/crc.h"

uint32_t tfs_crc_skip(const void *buf, size_t len, size_t crc_off)
{
	static const uint8_t zero[4];
	const uint8_t *p = buf;
	uint32_t c = crc32c(0, p, crc_off);
	c = crc32c(c, zero, sizeof(zero));
	return crc32c(c, p + crc_off + 4, len - crc_off - 4);
}

void tfs_blkhdr_seal(void *block)
{
	struct tfs_blkhdr *h = block;
	h->crc = tfs_crc_skip(block, TFS_BLOCK_SIZE, offsetof(struct tfs_blkhdr, crc));
}

bool tfs_blkhdr_ok(const void *block, uint32_t magic, uint64_t blkno)
{
	const struct tfs_blkhdr *h = block;
	return h->magic == magic && h->blkno == blkno &&
	       h->crc == tfs_crc_skip(block, TFS_BLOCK_SIZE, offsetof(struct tfs_blkhdr, crc));
}

void tfs_inode_seal(struct tfs_inode *di)
{
	di->crc = tfs_crc_skip(di, sizeof(*di), offsetof(struct tfs_inode, crc));
}

bool tfs_inode_crc_ok(const struct tfs_inode *di)
{
	return di->crc == tfs_crc_skip(di, sizeof(*di), offsetof(struct tfs_inode, crc));
}

void tfs_super_seal(struct tfs_super *sb)
{
	sb->crc = tfs_crc_skip(sb, sizeof(*sb), offsetof(struct tfs_super, crc));
}

void tfs_msg(char *msg, size_t len, const char *fmt, ...)
{
	if (!msg || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Regions must follow each other in the order of tfs_format.h with no gap. */
static int super_check_regions(const struct tfs_super *sb, char *msg, size_t len)
{
	if (sb->ibm_start != 1 || sb->bbm_start != sb->ibm_start + sb->ibm_blocks ||
	    sb->itable_start != sb->bbm_start + sb->bbm_blocks ||
	    sb->journal_start != sb->itable_start + sb->itable_blocks ||
	    sb->data_start != sb->journal_start + sb->journal_blocks) {
		tfs_msg(msg, len, "superblock: regions out of order");
		return -EINVAL;
	}
	if (sb->data_start + 2 > sb->nr_blocks) {
		tfs_msg(msg, len, "superblock: no room for data (data_start %llu of %llu blocks)",
			(unsigned long long)sb->data_start, (unsigned long long)sb->nr_blocks);
		return -EINVAL;
	}
	return 0;
}

static int super_check_sizes(const struct tfs_super *sb, char *msg, size_t len)
{
	if (sb->nr_inodes == 0 || sb->nr_inodes != sb->itable_blocks * TFS_INODES_PER_BLOCK ||
	    sb->ibm_blocks != div_up(sb->nr_inodes, TFS_BITS_PER_BITMAP)) {
		tfs_msg(msg, len, "superblock: %u inodes do not match the inode table and bitmap",
			sb->nr_inodes);
		return -EINVAL;
	}
	if (sb->bbm_blocks != div_up(sb->nr_blocks, TFS_BITS_PER_BITMAP)) {
		tfs_msg(msg, len, "superblock: block bitmap of %u blocks for %llu blocks",
			sb->bbm_blocks, (unsigned long long)sb->nr_blocks);
		return -EINVAL;
	}
	if (sb->journal_blocks < 8 || sb->journal_blocks > TFS_JDESC_MAX + 2) {
		tfs_msg(msg, len, "superblock: journal of %u blocks (8..%u)", sb->journal_blocks,
			(unsigned)(TFS_JDESC_MAX + 2));
		return -EINVAL;
	}
	return 0;
}

int tfs_super_check(const struct tfs_super *sb, uint64_t dev_blocks, char *msg, size_t len)
{
	if (sb->magic != TFS_SB_MAGIC) {
		tfs_msg(msg, len, "superblock: bad magic %#x (not a tfs file system)", sb->magic);
		return -EINVAL;
	}
	if (sb->crc != tfs_crc_skip(sb, sizeof(*sb), offsetof(struct tfs_super, crc))) {
		tfs_msg(msg, len, "superblock: bad checksum");
		return -EINVAL;
	}
	if (sb->version != TFS_VERSION || sb->block_size != TFS_BLOCK_SIZE) {
		tfs_msg(msg, len, "superblock: version %u block size %u not supported", sb->version,
			sb->block_size);
		return -EINVAL;
	}
	if (sb->nr_blocks < TFS_MIN_BLOCKS || sb->nr_blocks > dev_blocks) {
		tfs_msg(msg, len, "superblock: %llu blocks but the device has %llu",
			(unsigned long long)sb->nr_blocks, (unsigned long long)dev_blocks);
		return -EINVAL;
	}
	if (sb->state != TFS_STATE_CLEAN && sb->state != TFS_STATE_DIRTY) {
		tfs_msg(msg, len, "superblock: unknown state %u", sb->state);
		return -EINVAL;
	}
	int err = super_check_sizes(sb, msg, len);
	return err ? err : super_check_regions(sb, msg, len);
}

void tfs_super_layout(struct tfs_super *sb, uint64_t nr_blocks, uint32_t inodes,
		      uint32_t journal_blocks)
{
	memset(sb, 0, sizeof(*sb));
	sb->magic = TFS_SB_MAGIC;
	sb->version = TFS_VERSION;
	sb->block_size = TFS_BLOCK_SIZE;
	sb->nr_blocks = nr_blocks;
	sb->itable_blocks = (uint32_t)div_up(inodes, TFS_INODES_PER_BLOCK);
	sb->nr_inodes = sb->itable_blocks * (uint32_t)TFS_INODES_PER_BLOCK;
	sb->ibm_start = 1;
	/* inode 0 (slot 0, bit 0) is never used */
	sb->ibm_blocks = (uint32_t)div_up(sb->nr_inodes, TFS_BITS_PER_BITMAP);
	sb->bbm_start = sb->ibm_start + sb->ibm_blocks;
	sb->bbm_blocks = (uint32_t)div_up(nr_blocks, TFS_BITS_PER_BITMAP);
	sb->itable_start = sb->bbm_start + sb->bbm_blocks;
	sb->journal_start = sb->itable_start + sb->itable_blocks;
	sb->journal_blocks = journal_blocks;
	sb->data_start = sb->journal_start + journal_blocks;
	sb->state = TFS_STATE_CLEAN;
}

/* ---- mkfs ---- */

static uint32_t mkfs_default_journal(uint64_t nr_blocks)
{
	uint64_t j = nr_blocks / 16;
	if (j < 16)
		j = 16;
	if (j > TFS_JDESC_MAX + 2)
		j = TFS_JDESC_MAX + 2;
	return (uint32_t)j;
}

static uint32_t mkfs_default_inodes(uint64_t nr_blocks)
{
	uint64_t n = nr_blocks / 4; /* one inode per 16 KiB */
	if (n < 64)
		n = 64;
	if (n > 1u << 24)
		n = 1u << 24;
	return (uint32_t)n;
}

/* Write one bitmap block with bits [0, used) set (and every bit past the end
 * of the map set, so they are never allocated). */
static int mkfs_bitmap(struct tfs *fs, uint8_t *blk, uint64_t blkno, uint64_t first_bit,
		       uint64_t used, uint64_t total)
{
	memset(blk, 0, TFS_BLOCK_SIZE);
	struct tfs_blkhdr *h = (struct tfs_blkhdr *)blk;
	uint8_t *bits = blk + sizeof(*h);
	h->magic = TFS_BITMAP_MAGIC;
	h->blkno = blkno;
	for (uint64_t i = 0; i < TFS_BITS_PER_BITMAP; i++) {
		uint64_t bit = first_bit + i;
		if (bit < used || bit >= total)
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	tfs_blkhdr_seal(blk);
	return tfs_io_sync(fs, TFS_BIO_WRITE, 0, blkno, 1, blk);
}

static int mkfs_bitmaps(struct tfs *fs, const struct tfs_super *sb, uint8_t *blk)
{
	int err = 0;
	for (uint32_t i = 0; i < sb->ibm_blocks && !err; i++)
		err = mkfs_bitmap(fs, blk, sb->ibm_start + i, (uint64_t)i * TFS_BITS_PER_BITMAP,
				  TFS_ROOT_INO + 1, sb->nr_inodes);
	for (uint32_t i = 0; i < sb->bbm_blocks && !err; i++) {
		uint64_t first = (uint64_t)i * TFS_BITS_PER_BITMAP;
		err = mkfs_bitmap(fs, blk, sb->bbm_start + i, first, sb->data_start,
				  sb->nr_blocks - 1);
	}
	return err;
}

/* Zero the inode table and the journal, the root inode in the first block. */
static int mkfs_tables(struct tfs *fs, const struct tfs_super *sb, uint8_t *blk)
{
	int err = 0;
	for (uint64_t b = sb->itable_start; b < sb->data_start && !err; b++) {
		memset(blk, 0, TFS_BLOCK_SIZE);
		if (b == sb->itable_start) {
			struct tfs_inode *root = (struct tfs_inode *)blk + TFS_ROOT_INO;
			root->magic = TFS_INODE_MAGIC;
			root->ino = TFS_ROOT_INO;
			root->type = TFS_TYPE_DIR;
			root->parent = TFS_ROOT_INO;
			root->mtime = sb->mkfs_time;
			root->generation = 1;
			tfs_inode_seal(root);
		}
		err = tfs_io_sync(fs, TFS_BIO_WRITE, 0, b, 1, blk);
	}
	return err;
}

static int mkfs_supers(struct tfs *fs, struct tfs_super *sb, uint8_t *blk)
{
	tfs_super_seal(sb);
	memset(blk, 0, TFS_BLOCK_SIZE);
	memcpy(blk, sb, sizeof(*sb));
	int err = tfs_io_sync(fs, TFS_BIO_WRITE, 0, sb->nr_blocks - 1, 1, blk);
	if (!err)
		err = tfs_io_flush(fs);
	/* the primary last: a device with it is a complete file system */
	if (!err)
		err = tfs_io_sync(fs, TFS_BIO_WRITE, TFS_BIO_FUA, 0, 1, blk);
	if (!err)
		err = tfs_io_flush(fs);
	return err;
}

static void mkfs_identity(struct tfs_super *sb, const struct tfs_mkfs_opts *o)
{
	sb->mkfs_time = o->time;
	uint64_t seed = o->time * 6364136223846793005ull + sb->nr_blocks;
	for (int i = 0; i < 16; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		sb->uuid[i] = (uint8_t)(seed >> 56);
	}
	if (o->label)
		strncpy(sb->label, o->label, sizeof(sb->label) - 1);
}

int tfs_mkfs(struct tfs_bdev *bdev, const struct tfs_mkfs_opts *opts, char *msg, size_t msglen)
{
	struct tfs_mkfs_opts o = opts ? *opts : (struct tfs_mkfs_opts){ 0 };
	uint64_t n = o.nr_blocks ? o.nr_blocks : bdev->nr_blocks;
	if (n > bdev->nr_blocks || n < TFS_MIN_BLOCKS) {
		tfs_msg(msg, msglen, "mkfs: %llu blocks: need %u..%llu",
			(unsigned long long)n, TFS_MIN_BLOCKS, (unsigned long long)bdev->nr_blocks);
		return -EINVAL;
	}
	struct tfs_super sb;
	tfs_super_layout(&sb, n, o.inodes ? o.inodes : mkfs_default_inodes(n),
			 o.journal_blocks ? o.journal_blocks : mkfs_default_journal(n));
	mkfs_identity(&sb, &o);
	tfs_super_seal(&sb);
	if (tfs_super_check(&sb, bdev->nr_blocks, msg, msglen))
		return -EINVAL;
	struct tfs *fs = calloc(1, sizeof(*fs));
	uint8_t *blk;
	int err = -ENOMEM;
	if (fs)
		fs->bdev = bdev;
	if (fs && (blk = tfs_buf_alloc(fs, 1))) {
		err = mkfs_bitmaps(fs, &sb, blk);
		if (!err)
			err = mkfs_tables(fs, &sb, blk);
		if (!err)
			err = mkfs_supers(fs, &sb, blk);
		tfs_buf_free(fs, blk, 1);
	}
	if (err)
		tfs_msg(msg, msglen, "mkfs: write failed (%d)", err);
	free(fs);
	return err;
}
