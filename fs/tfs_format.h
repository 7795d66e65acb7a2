/*
 * tfs on-disk format: the one definition shared by the kernel and the host
 * tools (mkfs.tfs, fsck.tfs, tfs). docs/tfs-format.md explains every field
 * and the invariants fsck checks; this header is the contract.
 *
 * All integers are little-endian and the structures are used in place, so
 * the code only builds on little-endian machines (checked below). Every
 * structure size is checked with _Static_assert: changing one is a format
 * change and needs TFS_VERSION bumped.
 *
 * Layout of a device of nr_blocks 4 KiB blocks:
 *   0                       primary superblock
 *   [ibm_start, +ibm_blocks)    inode bitmap
 *   [bbm_start, +bbm_blocks)    block bitmap (covers every block of the device)
 *   [itable_start, +itable_blocks) inode table, TFS_INODES_PER_BLOCK per block
 *   [journal_start, +journal_blocks) metadata journal
 *   [data_start, nr_blocks - 1) file data, directory blocks, extent blocks
 *   nr_blocks - 1           backup superblock
 */
#ifndef FS_TFS_FORMAT_H
#define FS_TFS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tfs structures are little-endian and used in place"
#endif

#define TFS_BLOCK_SIZE   4096u
#define TFS_BLOCK_SHIFT  12
#define TFS_VERSION      1u
#define TFS_NAME_MAX     255u
#define TFS_ROOT_INO     1u /* inode 0 is never used: it means "no inode" */
#define TFS_MIN_BLOCKS   64u

/* Magic numbers: one per block kind, so a pointer to the wrong kind of block
 * is caught even when its checksum is right. */
#define TFS_SB_MAGIC      0x31534654u /* "TFS1" */
#define TFS_BITMAP_MAGIC  0x504d4254u /* "TBMP" */
#define TFS_DIR_MAGIC     0x52494454u /* "TDIR" */
#define TFS_EXTENT_MAGIC  0x54584554u /* "TEXT" */
#define TFS_JDESC_MAGIC   0x4353444au /* "JDSC" */
#define TFS_JCOMMIT_MAGIC 0x4d4d434au /* "JCMM" */
#define TFS_INODE_MAGIC   0x444f4e49u /* "INOD" */

/* Superblock state (tfs_super.state). */
#define TFS_STATE_CLEAN 1u /* unmounted cleanly: journal empty, bitmaps exact */
#define TFS_STATE_DIRTY 2u /* mounted, or crashed while mounted */

/*
 * The superblock: block 0 and, as a backup, block nr_blocks - 1. Only the
 * first sizeof(struct tfs_super) bytes are used; the rest of the block is
 * zero. crc is CRC32C of the structure with crc itself taken as zero.
 */
struct tfs_super {
	uint32_t magic;          /* TFS_SB_MAGIC */
	uint32_t crc;
	uint32_t version;        /* TFS_VERSION */
	uint32_t block_size;     /* TFS_BLOCK_SIZE */
	uint64_t nr_blocks;      /* device size in blocks, backup included */
	uint64_t ibm_start;      /* inode bitmap */
	uint32_t ibm_blocks;
	uint32_t nr_inodes;      /* itable_blocks * TFS_INODES_PER_BLOCK; numbers 1..nr_inodes-1 */
	uint64_t bbm_start;      /* block bitmap */
	uint32_t bbm_blocks;
	uint32_t itable_blocks;
	uint64_t itable_start;
	uint64_t journal_start;
	uint32_t journal_blocks;
	uint32_t state;          /* TFS_STATE_CLEAN or TFS_STATE_DIRTY */
	uint64_t data_start;     /* first block the allocator may hand out */
	uint64_t mount_count;    /* incremented at every read-write mount */
	uint64_t mkfs_time;      /* seconds since 1970, 0 if unknown */
	uint8_t uuid[16];
	char label[32];
	uint8_t reserved[104];   /* zero */
};
_Static_assert(sizeof(struct tfs_super) == 256, "tfs_super size");

/*
 * Header of every bitmap, directory and extent block. crc is CRC32C of the
 * whole 4 KiB block with crc taken as zero; blkno is the block's own number,
 * so a block written to the wrong place is caught.
 */
struct tfs_blkhdr {
	uint32_t magic;  /* TFS_BITMAP_MAGIC, TFS_DIR_MAGIC or TFS_EXTENT_MAGIC */
	uint32_t crc;
	uint64_t blkno;
	uint32_t owner;  /* inode owning a directory or extent block; 0 for bitmaps */
	uint32_t count;  /* extent block: extents used; otherwise 0 */
	uint64_t next;   /* extent block: next block of the chain, 0 at the end */
};
_Static_assert(sizeof(struct tfs_blkhdr) == 32, "tfs_blkhdr size");

#define TFS_BITMAP_BYTES (TFS_BLOCK_SIZE - sizeof(struct tfs_blkhdr))
#define TFS_BITS_PER_BITMAP (TFS_BITMAP_BYTES * 8u) /* 32512 */

/* A run of blocks of a file: logical blocks [lblk, lblk + len) live at
 * [pblk, pblk + len). Extents of an inode are sorted by lblk and do not
 * overlap; logical blocks in no extent are holes and read as zeros. */
struct tfs_extent {
	uint64_t lblk;
	uint64_t pblk;
	uint32_t len;    /* > 0 */
	uint32_t flags;  /* 0 */
};
_Static_assert(sizeof(struct tfs_extent) == 24, "tfs_extent size");

#define TFS_EXTENTS_PER_BLOCK \
	((TFS_BLOCK_SIZE - sizeof(struct tfs_blkhdr)) / sizeof(struct tfs_extent)) /* 169 */
#define TFS_INLINE_EXTENTS 7

/* Inode types (tfs_inode.type). */
#define TFS_TYPE_FREE 0u
#define TFS_TYPE_FILE 1u
#define TFS_TYPE_DIR  2u

/*
 * An inode: 256 bytes, 16 per inode-table block. Each inode carries its own
 * checksum so damage stays with one file: crc is CRC32C of the 256 bytes with
 * crc taken as zero. A free inode is all zeros.
 */
struct tfs_inode {
	uint32_t magic;        /* TFS_INODE_MAGIC; 0 when free */
	uint32_t crc;
	uint32_t ino;          /* its own number */
	uint16_t type;         /* TFS_TYPE_* */
	uint16_t nlink;        /* directory entries naming it: 1 (root: 0) */
	uint64_t size;         /* bytes; directories: a multiple of TFS_BLOCK_SIZE */
	uint64_t mtime;        /* seconds since 1970 */
	uint32_t parent;       /* directories: the directory holding it (root: itself) */
	uint32_t nr_extents;   /* extents in total, inline and in the chain */
	uint64_t ext_chain;    /* first extent block, 0 when all fit inline */
	uint64_t generation;   /* bumped each time the inode number is reused */
	uint8_t reserved[32];  /* zero */
	struct tfs_extent ext[TFS_INLINE_EXTENTS];
};
_Static_assert(sizeof(struct tfs_inode) == 256, "tfs_inode size");
_Static_assert(offsetof(struct tfs_inode, ext) == 88, "tfs_inode extents offset");

#define TFS_INODES_PER_BLOCK (TFS_BLOCK_SIZE / sizeof(struct tfs_inode)) /* 16 */

/* A directory entry; ino 0 marks a free slot. Names are not NUL-terminated
 * on disk: name_len bytes, the rest of name is zero. */
struct tfs_dirent {
	uint32_t ino;
	uint8_t type;       /* TFS_TYPE_FILE or TFS_TYPE_DIR, as in the inode */
	uint8_t name_len;   /* 1..255 */
	uint16_t reserved;  /* zero */
	char name[256];
};
_Static_assert(sizeof(struct tfs_dirent) == 264, "tfs_dirent size");

#define TFS_DIRENTS_PER_BLOCK \
	((TFS_BLOCK_SIZE - sizeof(struct tfs_blkhdr)) / sizeof(struct tfs_dirent)) /* 15 */

/*
 * Journal: one transaction at a time, always starting at journal_start.
 *   journal_start            descriptor: the home block of every image
 *   journal_start + 1 + i    image of block target[i], i < count
 *   journal_start + 1 + count commit record
 * A transaction is replayed when the descriptor and the commit record have
 * valid checksums, the same seq and count, and images_crc matches the images.
 */
struct tfs_jdesc {
	uint32_t magic;      /* TFS_JDESC_MAGIC */
	uint32_t crc;        /* CRC32C of the whole 4 KiB block with crc as zero */
	uint64_t seq;        /* transaction number, increasing */
	uint32_t count;      /* images that follow, 1..TFS_JDESC_MAX */
	uint32_t reserved;
	uint64_t target[];   /* home block of each image */
};
_Static_assert(sizeof(struct tfs_jdesc) == 24, "tfs_jdesc size");

#define TFS_JDESC_MAX ((TFS_BLOCK_SIZE - sizeof(struct tfs_jdesc)) / sizeof(uint64_t)) /* 509 */

struct tfs_jcommit {
	uint32_t magic;      /* TFS_JCOMMIT_MAGIC */
	uint32_t crc;        /* CRC32C of this structure with crc as zero */
	uint64_t seq;        /* as in the descriptor */
	uint32_t count;      /* as in the descriptor */
	uint32_t images_crc; /* CRC32C over the descriptor block then every image, in order */
	uint8_t reserved[40];
};
_Static_assert(sizeof(struct tfs_jcommit) == 64, "tfs_jcommit size");

#endif
