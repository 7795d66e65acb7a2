/*
 * verify write|read DEV LBA COUNT SEED: a deterministic pattern written or
 * checked from every core at once, with large I/Os at depth. The 8-byte
 * little-endian word number g of the device (counted from byte 0 of LBA 0)
 * holds splitmix64(SEED + g), so any block can be checked on its own, in any
 * later boot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "kernel/mm.h"
#include "lib/splitmix64.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#define VERIFY_DEPTH 8             /* I/Os in flight per CPU */
#define VERIFY_IO_BYTES (256u << 10)

struct verify_job {
	struct block_device *b;
	bool write;
	uint64_t lba, count, seed;
	uint32_t lbs;
	uint64_t bad[MAX_CPUS], first_bad[MAX_CPUS], errors[MAX_CPUS];
};

struct slot {
	struct bio bio;
	struct bio_vec vec;
	uint64_t *buf;
	uint64_t lba, blocks;
	int state;                     /* 0 idle, 1 in flight, 2 completed */
	unsigned cpu;
};

static void slot_end_io(struct bio *bio)
{
	struct slot *s = bio->private;
	unsigned cpu = s->cpu;
	__atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
	if (cpu != blk_cpu())
		blk_wake(cpu);
}

static void fill(const struct verify_job *j, struct slot *s)
{
	uint64_t g = s->lba * j->lbs / 8, words = s->blocks * j->lbs / 8;
	for (uint64_t w = 0; w < words; w++)
		s->buf[w] = splitmix64(j->seed + g + w);
}

/* Counts mismatching blocks of a completed read. */
static void check(struct verify_job *j, struct slot *s, unsigned cpu)
{
	uint64_t per_block = j->lbs / 8, g = s->lba * per_block;
	for (uint64_t blk = 0; blk < s->blocks; blk++) {
		bool same = true;
		for (uint64_t w = 0; w < per_block && same; w++)
			same = s->buf[blk * per_block + w] == splitmix64(j->seed + g + blk * per_block + w);
		if (!same && j->bad[cpu]++ == 0)
			j->first_bad[cpu] = s->lba + blk;
	}
}

static void submit_slot(struct verify_job *j, struct slot *s, uint64_t lba, uint64_t blocks)
{
	s->lba = lba;
	s->blocks = blocks;
	if (j->write)
		fill(j, s);
	uint32_t bytes = (uint32_t)(blocks * j->lbs);
	s->vec = (struct bio_vec){ s->buf, virt_to_phys(s->buf), bytes };
	bio_init(&s->bio, j->b, j->write ? REQ_OP_WRITE : REQ_OP_READ, 0, lba * (j->lbs >> SECTOR_SHIFT), &s->vec, 1);
	s->bio.end_io = slot_end_io;
	s->bio.private = s;
	s->state = 1;
	submit_bio(&s->bio);
}

/* This CPU's share of the range, VERIFY_DEPTH I/Os in flight. */
static void verify_on_cpu(void *arg)
{
	struct verify_job *j = arg;
	unsigned cpu = blk_cpu(), n = nr_cpus;
	uint64_t share = (j->count + n - 1) / n, next = j->lba + share * cpu;
	uint64_t end = next + share > j->lba + j->count ? j->lba + j->count : next + share;
	uint64_t io_blocks = VERIFY_IO_BYTES / j->lbs;
	struct slot slots[VERIFY_DEPTH] = { 0 };
	unsigned busy = 0;
	for (unsigned i = 0; i < VERIFY_DEPTH; i++) {
		slots[i].buf = dma_buf_alloc(VERIFY_IO_BYTES);
		slots[i].cpu = cpu;
		if (!slots[i].buf)
			j->errors[cpu]++;
	}
	for (;;) {
		bool progressed = false;
		for (unsigned i = 0; i < VERIFY_DEPTH; i++) {
			struct slot *s = &slots[i];
			if (!s->buf || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == 1)
				continue;
			if (s->state == 2) {
				busy--;
				if (s->bio.status)
					j->errors[cpu]++;
				else if (!j->write)
					check(j, s, cpu);
				s->state = 0;
				progressed = true;
			}
			if (next < end) {
				uint64_t blocks = end - next < io_blocks ? end - next : io_blocks;
				submit_slot(j, s, next, blocks);
				next += blocks;
				busy++;
				progressed = true;
			}
		}
		if (!busy && next >= end)
			break;
		if (!progressed)
			blk_wait();
	}
	for (unsigned i = 0; i < VERIFY_DEPTH; i++)
		dma_buf_free(slots[i].buf, VERIFY_IO_BYTES);
}

static int cmd_verify(int argc, char **argv)
{
	struct verify_job j = { 0 };
	char *e1, *e2, *e3;
	if (argc != 6 || (strcmp(argv[1], "write") && strcmp(argv[1], "read")))
		return shell_usage("verify");
	j.write = argv[1][0] == 'w';
	j.lba = strtoull(argv[3], &e1, 0);
	j.count = strtoull(argv[4], &e2, 0);
	j.seed = strtoull(argv[5], &e3, 0);
	if (*e1 || *e2 || *e3 || argv[3][0] == '-' || argv[4][0] == '-' || j.count == 0) {
		printf("verify: LBA, COUNT and SEED must be numbers, COUNT at least 1\n");
		return 1;
	}
	if (!(j.b = blkdev_get(argv[2]))) {
		printf("verify: %s: no such block device (lsblk lists them)\n", argv[2]);
		return 1;
	}
	j.lbs = j.b->q->limits.logical_block_size;
	uint64_t blocks = (j.b->nr_sectors << SECTOR_SHIFT) / j.lbs;
	if (j.lba >= blocks || j.count > blocks - j.lba) {
		printf("verify: %s: LBA %llu + %llu blocks is beyond the end (%llu blocks of %u bytes)\n", j.b->name,
		       (unsigned long long)j.lba, (unsigned long long)j.count, (unsigned long long)blocks, j.lbs);
		return 1;
	}
	uint64_t t0 = uptime_ns();
	smp_call_all(verify_on_cpu, &j);
	uint64_t ns = uptime_ns() - t0, bad = 0, errors = 0, first = UINT64_MAX;
	for (unsigned c = 0; c < nr_cpus; c++) {
		bad += j.bad[c];
		errors += j.errors[c];
		if (j.bad[c] && j.first_bad[c] < first)
			first = j.first_bad[c];
	}
	uint64_t bytes = j.count * j.lbs, kib_s = ns ? bytes * 1000000000ull / ns / 1024 : 0;
	printf("verify: %s %llu blocks of %s (%llu KiB) from %u CPUs in %llu ms, %llu KiB/s", j.write ? "wrote" : "read",
	       (unsigned long long)j.count, j.b->name, (unsigned long long)(bytes >> 10), nr_cpus,
	       (unsigned long long)(ns / 1000000), (unsigned long long)kib_s);
	if (!j.write)
		printf(", %llu mismatching", (unsigned long long)bad);
	if (bad)
		printf(", first at LBA %llu", (unsigned long long)first);
	printf("\n");
	if (errors)
		printf("verify: %llu I/O errors\n", (unsigned long long)errors);
	return bad || errors;
}
SHELL_COMMAND(verify, "verify", "write|read DEV LBA COUNT SEED",
	      "write or check the splitmix64(SEED + word) pattern from every CPU, large I/Os at depth", cmd_verify);
