/*
 * Crash-state enumeration for tfs (used by tests/unit/fs/test_tfs_crash.c).
 *
 * A workload (generated from a seed: create, write, fsync, sync, rename,
 * unlink, truncate, mkdir, rmdir, directory rename) runs on a recording RAM
 * device, then unmounts.
 * Even seeds record on a device with FUA, odd ones on a device without (the
 * commit record is then written and flushed). For every crash point of the log (after each completed write), the disk a
 * crash could leave is rebuilt: the image at the last completed flush, plus
 *   - all the writes since that flush, in order (each prefix of the epoch is
 *     the in-order state of an earlier crash point),
 *   - the same with the last write torn (first half of its blocks, or half of
 *     its only block; FUA writes too: they are only durable once complete),
 *   - up to `reorder` states where one earlier non-FUA write of the epoch is
 *     lost while the later ones landed.
 * Each state must pass fsck -n (with the journal replayed in memory), mount,
 * and hold every file the model says is durable: fsync'd (or synced) and not
 * changed since, with exactly that content, at exactly one of the paths a
 * rename since then could have left it at. Then it is unmounted and, with
 * `fsck_after`, checked again.
 */
#ifndef TESTS_FS_CRASH_ENUM_H
#define TESTS_FS_CRASH_ENUM_H

#include <stdbool.h>
#include <stdint.h>

struct crash_opts {
	uint32_t seed;
	uint32_t ops;         /* workload operations */
	uint32_t reorder;     /* drop-one reorderings per crash point */
	bool fsck_after;      /* fsck again after the checked mount's unmount */
	bool verbose;
};

struct crash_result {
	uint64_t states;      /* crash states checked */
	uint64_t violations;
	uint64_t log_ops;     /* writes and flushes recorded */
	char first[256];      /* the first violation, in words */
};

void crash_run(const struct crash_opts *o, struct crash_result *res);

#endif
