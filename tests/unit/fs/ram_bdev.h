/*
 * A RAM block device for the tfs tests, which can record every operation:
 * each write (with a copy of its data and its FUA flag) and each flush, in
 * completion order. The crash tests rebuild any disk state a crash could
 * leave from a base image and that log. Completion is synchronous, or
 * deferred to wait() with ram->async, to exercise the core's waiting.
 */
#ifndef TESTS_UNIT_FS_RAM_BDEV_H
#define TESTS_UNIT_FS_RAM_BDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/tfs_bdev.h"

struct ram_op {
	enum tfs_bio_op op;
	uint32_t flags;
	uint64_t blkno;
	uint32_t nblocks;
	uint8_t *data;      /* writes: a copy */
};

struct ram_bdev {
	struct tfs_bdev bdev;
	uint8_t *mem;
	bool record;
	bool async;         /* complete in wait(), not in submit() */
	struct ram_op *log;
	uint32_t nlog, caplog;
	struct tfs_bio *pending[256];
	uint32_t npending;
	uint64_t reads, writes, flushes, discards, fuas, max_write_blocks;
	int64_t fail_after; /* > 0: fail every write after this many more; -1 never */
};

void ram_bdev_init(struct ram_bdev *r, uint64_t nr_blocks);
void ram_bdev_free(struct ram_bdev *r);
void ram_bdev_log_clear(struct ram_bdev *r);
void ram_bdev_apply(uint8_t *image, const struct ram_op *op, uint32_t nblocks_prefix,
		    uint32_t torn_bytes);

#endif
