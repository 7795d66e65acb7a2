/* The kernel's inline blk_cpu and blk_now_ns (see blk/blk_env.h). */
#ifndef BLK_ENV_KERNEL_H
#define BLK_ENV_KERNEL_H

#include "kernel/percpu.h"
#include "kernel/time.h"

static inline unsigned blk_cpu(void) { return this_cpu_id_fast(); }
static inline uint64_t blk_now_ns(void) { return uptime_ns(); }

#endif
