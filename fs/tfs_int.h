/*
 * tfs internals, shared by the files of fs/ and by the unit tests. Nothing
 * outside fs/ and tests/ should include this.
 *
 * Pieces: tfs_io.c (bios and waiting), tfs_cache.c (metadata block cache),
 * tfs_journal.c (transactions, commit, replay), tfs_alloc.c (bitmaps),
 * tfs_inode.c (inodes and extents), tfs_dir.c (directories and paths),
 * tfs_file.c (file data), tfs_super.c (checksums, superblock, mkfs),
 * tfs_api.c (mount and the public calls), tfs_fsck.c (the checker).
 */
#ifndef FS_TFS_INT_H
#define FS_TFS_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/tfs.h"
#include "fs/tfs_bdev.h"
#include "fs/tfs_format.h"

#define TFS_BIO_POOL      64      /* bios in flight per file system */
#ifndef TFS_STAGE_BLOCKS
#define TFS_STAGE_BLOCKS  1024    /* data staging buffer: 4 MiB (the fuzzer builds smaller) */
#endif
#define TFS_CACHE_BUCKETS 256
#define TFS_CACHE_TARGET  512     /* clean blocks kept between operations */
#define TFS_MSG_LEN       160

/* ---- checksums and the superblock (tfs_super.c) ---- */
uint32_t tfs_crc_skip(const void *buf, size_t len, size_t crc_off);
void tfs_blkhdr_seal(void *block);
bool tfs_blkhdr_ok(const void *block, uint32_t magic, uint64_t blkno);
void tfs_inode_seal(struct tfs_inode *di);
bool tfs_inode_crc_ok(const struct tfs_inode *di);
void tfs_super_seal(struct tfs_super *sb);
/* 0 when sb is sound for a device of dev_blocks; else -EINVAL and why in msg */
int tfs_super_check(const struct tfs_super *sb, uint64_t dev_blocks, char *msg, size_t len);
void tfs_super_layout(struct tfs_super *sb, uint64_t nr_blocks, uint32_t inodes,
		      uint32_t journal_blocks);

/* ---- I/O (tfs_io.c) ---- */
struct tfs_iowait {
	unsigned inflight;
	int status;            /* first error */
};

struct tfs_bio_slot {
	struct tfs_bio bio;
	struct tfs *fs;
	struct tfs_iowait *w;
	bool busy;
};

int tfs_io_submit(struct tfs *fs, struct tfs_iowait *w, enum tfs_bio_op op, uint32_t flags,
		  uint64_t blkno, uint32_t nblocks, void *buf);
int tfs_io_wait(struct tfs *fs, struct tfs_iowait *w);
int tfs_io_sync(struct tfs *fs, enum tfs_bio_op op, uint32_t flags, uint64_t blkno,
		uint32_t nblocks, void *buf);
int tfs_io_flush(struct tfs *fs);
void *tfs_buf_alloc(struct tfs *fs, size_t nblocks);
void tfs_buf_free(struct tfs *fs, void *buf, size_t nblocks);

/* ---- metadata cache (tfs_cache.c) ---- */
struct tfs_buf {
	uint64_t blkno;
	uint8_t *data;
	struct tfs_buf *hnext;
	bool dirty;            /* part of the running transaction */
	bool pinned;           /* read-only mount: a replayed image, never evicted */
	bool verified;         /* header and checksum checked (or written by us) */
};

struct tfs_buf *tfs_cache_read(struct tfs *fs, uint64_t blkno, int *err);
struct tfs_buf *tfs_cache_meta(struct tfs *fs, uint64_t blkno, uint32_t magic, uint32_t owner,
			       int *err);
struct tfs_buf *tfs_cache_zero(struct tfs *fs, uint64_t blkno, int *err);
int tfs_cache_modify(struct tfs *fs, struct tfs_buf *b);  /* before changing b->data */
void tfs_cache_forget(struct tfs *fs, uint64_t blkno);    /* block freed */
void tfs_cache_trim(struct tfs *fs);
void tfs_cache_destroy(struct tfs *fs);

/* ---- journal (tfs_journal.c) ---- */
struct tfs_extent_list {
	struct tfs_extent *v;
	uint32_t n, cap;
};

int tfs_txn_reserve(struct tfs *fs, uint32_t blocks);
int tfs_txn_add(struct tfs *fs, struct tfs_buf *b);
int tfs_txn_commit(struct tfs *fs);
int tfs_journal_replay(struct tfs *fs);
int tfs_journal_load(struct tfs *fs, uint64_t **targets, uint8_t **images, uint32_t *count,
		     uint64_t *seq);
int tfs_journal_clear(struct tfs *fs);
int tfs_defer_free(struct tfs *fs, uint64_t pblk, uint64_t len);
bool tfs_defer_busy(struct tfs *fs, uint64_t pblk, uint64_t *next_free);

/* ---- allocation (tfs_alloc.c) ---- */
int tfs_alloc_count(struct tfs *fs);
int tfs_alloc_blocks(struct tfs *fs, uint64_t goal, uint64_t want, uint64_t *pblk,
		     uint64_t *got);
int tfs_free_blocks(struct tfs *fs, uint64_t pblk, uint64_t len);
int tfs_alloc_inode(struct tfs *fs, uint32_t *ino);
int tfs_free_inode(struct tfs *fs, uint32_t ino);
int tfs_space_ok(struct tfs *fs, uint64_t blocks);
int tfs_bitmap_get(struct tfs *fs, uint64_t start, uint64_t bit, bool *set);

/* ---- inodes and extents (tfs_inode.c) ---- */
struct tfs_inode_mem {
	uint32_t ino;
	struct tfs_inode d;       /* inline extents unused: see ext */
	struct tfs_extent_list ext;
	uint64_t *chain;          /* extent blocks on disk, in order */
	uint32_t nchain;
};

int tfs_inode_load(struct tfs *fs, uint32_t ino, struct tfs_inode_mem *im);
int tfs_inode_store(struct tfs *fs, struct tfs_inode_mem *im);
void tfs_inode_release(struct tfs_inode_mem *im);
int tfs_inode_init(struct tfs *fs, struct tfs_inode_mem *im, uint32_t ino, uint16_t type,
		   uint32_t parent);
int tfs_inode_free(struct tfs *fs, struct tfs_inode_mem *im);
uint64_t tfs_bmap(const struct tfs_inode_mem *im, uint64_t lblk, uint64_t *run);
int tfs_extent_insert(struct tfs_extent_list *l, uint64_t lblk, uint64_t pblk, uint32_t len);
int tfs_extents_check(const struct tfs_extent_list *l, uint64_t lo, uint64_t hi,
		      uint64_t lblk_limit);
int tfs_inode_shrink(struct tfs *fs, struct tfs_inode_mem *im, uint64_t nblocks);
uint32_t tfs_chain_needed(uint32_t nr_extents);
uint64_t tfs_inode_blocks(const struct tfs_inode_mem *im);

/* ---- directories and paths (tfs_dir.c) ---- */
int tfs_dir_lookup(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len,
		   uint32_t *ino, uint8_t *type);
int tfs_dir_add(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len,
		uint32_t ino, uint8_t type);
int tfs_dir_remove(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len);
int tfs_dir_entry_at(struct tfs *fs, struct tfs_inode_mem *dir, uint64_t pos,
		     struct tfs_dirent_info *ent, uint64_t *next);
int tfs_dir_is_empty(struct tfs *fs, struct tfs_inode_mem *dir);
int tfs_path_walk(struct tfs *fs, const char *path, uint32_t *parent, const char **leaf,
		  size_t *leaf_len);
int tfs_path_lookup(struct tfs *fs, const char *path, uint32_t *ino);
bool tfs_dirent_ok(const struct tfs_dirent *de, uint32_t nr_inodes);

/* ---- file data (tfs_file.c) ---- */
int64_t tfs_data_read(struct tfs *fs, struct tfs_inode_mem *im, void *buf, size_t len,
		      uint64_t off);
int64_t tfs_data_write(struct tfs *fs, uint32_t ino, const void *buf, size_t len,
		       uint64_t off);
int tfs_data_truncate(struct tfs *fs, uint32_t ino, uint64_t size);

/* ---- the mounted file system ---- */
struct tfs {
	struct tfs_bdev *bdev;
	struct tfs_super sb;
	bool read_only;
	bool broken;              /* an operation failed half-way: refuse writes */
	uint64_t (*now)(void);
	char msg[TFS_MSG_LEN];

	struct tfs_bio_slot bios[TFS_BIO_POOL];
	bool unflushed;           /* completed writes not yet covered by a flush */
	struct tfs_iowait ckpt;   /* checkpoint writes in flight (their buffers are busy) */

	struct tfs_buf *cache[TFS_CACHE_BUCKETS];
	uint32_t cache_count;

	/* running transaction */
	struct tfs_buf **txn;     /* dirty blocks, in the order they were dirtied */
	uint32_t txn_count, txn_max;
	uint64_t seq;             /* next transaction number */
	uint8_t *jbuf;            /* journal staging: descriptor, images, commit */
	struct tfs_extent_list deferred; /* freed in the running transaction (lblk unused) */

	uint64_t free_blocks, free_inodes;  /* free_blocks includes deferred ones */
	uint64_t deferred_blocks;           /* freed, not allocatable before the commit */
	uint64_t alloc_hint;
	uint64_t gen;
	uint8_t *stage;           /* TFS_STAGE_BLOCKS of data staging */
};

/* ---- shared by tfs_api.c and tfs_handle.c ---- */
void tfs_api_begin(struct tfs *fs);
int tfs_api_end(struct tfs *fs, int err);
int tfs_op_failed(struct tfs *fs, int err);
int tfs_load_parent(struct tfs *fs, const char *path, struct tfs_inode_mem *dir,
		    const char **leaf, size_t *len);
int tfs_create_in(struct tfs *fs, struct tfs_inode_mem *dir, const char *name, size_t len,
		  uint16_t type, uint32_t *ino);

int tfs_fail(struct tfs *fs, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tfs_msg(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t tfs_now(struct tfs *fs);

#endif
