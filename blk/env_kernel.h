/* The kernel's inline blk_cpu, blk_now_ns and blk_in_irq (see blk/blk_env.h). */
#ifndef BLK_ENV_KERNEL_H
#define BLK_ENV_KERNEL_H

#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "kernel/percpu.h"
#include "kernel/time.h"

static inline unsigned blk_cpu(void) { return this_cpu_id_fast(); }
static inline uint64_t blk_now_ns(void) { return uptime_ns(); }
static inline bool blk_in_irq(void) { return !(read_rflags() & RFLAGS_IF); }

#endif
