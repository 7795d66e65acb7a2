/*
 * The tfs fuzzing entry point, shared by the libFuzzer target
 * (tests/fs/fuzz_target.c, `make fuzz`) and the corpus replay in `make test`
 * (tests/unit/fs/test_tfs_fuzz_corpus.c).
 *
 * An input is a patch to a small built-in image (a few files and
 * directories, a fragmented file with an extent chain, and a committed
 * journal transaction not yet checkpointed):
 *   byte 0: flags: bit 0 reseal every checksum after patching (so the
 *           patch reaches the parsers behind the checksums), bit 1 mount
 *           read-only
 *   then patches: u16 block, u16 offset, u8 len, len bytes (little-endian;
 *           block and offset are taken modulo the image)
 * The image then goes through fsck -n, mount, a walk reading every file,
 * a few writes, unmount, fsck with repair, and fsck -n again.
 * Returns 0; calls abort() when an invariant breaks: repair said it fixed
 * everything (or found nothing) but the next check is not clean.
 */
#ifndef TESTS_FS_FUZZ_ONE_H
#define TESTS_FS_FUZZ_ONE_H

#include <stddef.h>
#include <stdint.h>

int tfs_fuzz_one(const uint8_t *data, size_t size);

#endif
