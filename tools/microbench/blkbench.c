/*
 * blkbench: the blk-mq submit + complete path on the host, for counting
 * instructions per I/O with callgrind (tools/microbench/run, `make
 * microbench`). One CPU, one hardware queue, and a null driver whose
 * queue_rq completes inline; the program sends N 4 KiB reads through
 * submit_bio one at a time, unplugged: submit_bio → split check → tag →
 * queue_rq → blk_mq_complete_request → end_io. run subtracts two runs with
 * different N, so set-up cost cancels and what remains is the path itself.
 *
 * The kernel services of blk/blk_env.h are the smallest that work here
 * (phys == virt, a counter for a clock), so they add next to nothing.
 *
 * Usage: blkbench N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"

#define BENCH_DEPTH 64
#define BENCH_SECTORS (1u << 21) /* 1 GiB: the reads walk it, so sectors vary */
#define IO_BYTES 4096u

/* ---- blk_env.h for one host CPU ---- */

/* env_inline.h's CPU and clock: CPU 0, 100 ns per read */
unsigned microbench_cpu;
uint64_t microbench_clock_ns, microbench_clock_step = 100;

void *blk_alloc_pages(unsigned order)
{
	size_t bytes = (size_t)4096 << order;
	void *p = aligned_alloc(bytes, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

void blk_free_pages(void *p, unsigned order)
{
	(void)order;
	free(p);
}

uint64_t blk_virt_to_phys(const void *p) { return (uint64_t)(uintptr_t)p; }
bool microbench_in_irq;
void blk_wake(unsigned cpu) { (void)cpu; }
void blk_cond_resched(void) {}

void blk_wait(void)
{
	fprintf(stderr, "blkbench: blk_wait: the null driver completes inline, nothing should wait\n");
	exit(1);
}

void blk_cpus(struct blk_mq_cpus *cpus)
{
	cpus->present = cpus->possible = cpumask_first_n(1);
	cpus->siblings = NULL;
}

/* genhd.c's messages */
int kprintf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

/* ---- the null driver ---- */

static blk_status_t null_queue_rq(struct blk_mq_hw_ctx *hctx, struct request *rq, bool last)
{
	(void)hctx;
	(void)last;
	blk_mq_complete_request(rq, BLK_STS_OK);
	return BLK_STS_OK;
}

static const struct blk_mq_ops null_ops = { .queue_rq = null_queue_rq };

static unsigned long completed, failed;

static void bench_end_io(struct bio *bio)
{
	completed++;
	failed += bio->status != BLK_STS_OK;
}

/* Kept out of line so a profile shows the loop apart from main's set-up. */
__attribute__((noinline)) static void run_ios(struct block_device *b, void *buf, unsigned long n)
{
	struct bio_vec vec = { buf, blk_virt_to_phys(buf), IO_BYTES };
	struct bio bio;
	for (unsigned long i = 0; i < n; i++) {
		bio_init(&bio, b, REQ_OP_READ, 0, (i * (IO_BYTES >> SECTOR_SHIFT)) % BENCH_SECTORS, &vec, 1);
		bio.end_io = bench_end_io;
		submit_bio(&bio);
	}
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	static struct blk_mq_tag_set set = {
		.ops = &null_ops, .nr_hw_queues = 1, .nr_maps = 1, .queue_depth = BENCH_DEPTH, .cmd_size = 64,
	};
	static const struct queue_limits lim = {
		.logical_block_size = 512, .physical_block_size = 512, .max_sectors = 1024, .max_segments = 128,
		.max_segment_size = 1u << 20, .seg_boundary_mask = 0xffffffffull, .dma_alignment = 3,
	};
	if (blk_mq_alloc_tag_set(&set) != 0) {
		fprintf(stderr, "blkbench: blk_mq_alloc_tag_set failed\n");
		return 1;
	}
	struct request_queue *q = blk_mq_init_queue(&set, &lim);
	struct block_device *b = q ? blk_add_disk(q, "nullb0", BENCH_SECTORS, 0, NULL) : NULL;
	void *buf = blk_alloc_pages(0);
	if (!b || !buf) {
		fprintf(stderr, "blkbench: set-up failed\n");
		return 1;
	}
	completed = failed = 0; /* the partition probe's reads are not ours */
	run_ios(b, buf, n);
	if (completed != n || failed) {
		fprintf(stderr, "blkbench: %lu of %lu I/Os completed, %lu failed\n", completed, n, failed);
		return 1;
	}
	printf("blkbench: %lu reads of %u bytes completed\n", n, IO_BYTES);
	return 0;
}
