/*
 * A tfs_bdev over an image file on the host, or over partition N of a GPT
 * disk image ("disk.img@p2"). I/O is pread/pwrite, completed inside
 * submit(); FLUSH is fdatasync; DISCARD punches a hole in the file.
 */
#ifndef TOOLS_TFS_HOST_BDEV_H
#define TOOLS_TFS_HOST_BDEV_H

#include <stdbool.h>

#include "fs/tfs_bdev.h"

/* Opens spec ("FILE" or "FILE@pN"). create_blocks > 0 creates or resizes a
 * plain FILE to that many blocks. Returns 0 or -errno with why in msg. */
int host_bdev_open(struct tfs_bdev *bdev, const char *spec, bool writable, uint64_t create_blocks,
		   char *msg, size_t msglen);
void host_bdev_close(struct tfs_bdev *bdev);

#endif
