/*
 * nvmebench: blk-mq and the NVMe driver on the host, for counting
 * instructions per I/O with callgrind (tools/microbench/run, `make
 * microbench`). The real driver (drivers/nvme/nvme.c) is attached to the fake
 * controller (tests/unit/drivers/fake_nvme.c) through the host tests' kernel
 * stand-ins, with one CPU, one interrupt-driven I/O queue and shadow
 * doorbells, and sends N 4 KiB reads one at a time, unplugged:
 *
 *   submit_bio → nvme_queue_rq (SQE, PRP, doorbell) → [device pass] →
 *   interrupt → nvme_irq → CQE reap, CQ doorbell → blk_mq_complete_request →
 *   end_io
 *
 * The device pass (fake_nvme_process with all it calls: the fake's own
 * functions and the memcpy of its DMA), the kernel stand-ins and this loop
 * are the harness, which run leaves out: the interrupt the pass raises is
 * delivered after it returns, so the pass's inclusive cost is the device's
 * alone. What remains is the block layer plus the driver. run subtracts two
 * runs with different N, so bring-up cancels out.
 *
 * Usage: nvmebench N [BATCH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "drivers/nvme/nvme.h"
#include "tests/unit/blk/stub_env.h"
#include "tests/unit/drivers/fake_nvme.h"
#include "tests/unit/drivers/stub_nvme_env.h"

#define BENCH_BLOCKS 8192u /* 4 MiB of 512-byte blocks: the reads walk it */
#define IO_BYTES 4096u
#define MAX_BATCH 32

static unsigned long completed, failed;
static uint64_t pending_vectors; /* raised by the device during its pass */
static bool holding;              /* in the measured loop */

/* The device's interrupt: in the loop, held until its pass is over, so that
 * the pass's cost (fake_nvme_process, inclusive) is the device's work alone;
 * during bring-up, delivered at once (the driver may be waiting for it). */
static void hold_irq(void *arg, unsigned vector)
{
	if (!holding) {
		stub_nvme_fake_irq(arg, vector);
		return;
	}
	pending_vectors |= 1ull << vector;
}

static void deliver_irqs(void)
{
	while (pending_vectors) {
		unsigned v = (unsigned)__builtin_ctzll(pending_vectors);
		pending_vectors &= pending_vectors - 1;
		stub_nvme_fake_irq(NULL, v); /* the driver's handler for that vector */
	}
}

static void bench_end_io(struct bio *bio)
{
	completed++;
	failed += bio->status != BLK_STS_OK;
}

/* Kept out of line so a profile shows the loop apart from the set-up. With
 * batch > 1, each batch is plugged (one SQ doorbell), at sectors far enough
 * apart not to merge, and the device completes it in one pass (one
 * interrupt, one CQ doorbell). */
__attribute__((noinline)) static void run_ios(struct fake_nvme *f, struct block_device *b, uint8_t *buf,
					      unsigned long n, unsigned batch)
{
	struct bio_vec vec[MAX_BATCH];
	struct bio bio[MAX_BATCH];
	for (unsigned k = 0; k < batch; k++)
		vec[k] = (struct bio_vec){ buf + k * IO_BYTES, blk_virt_to_phys(buf + k * IO_BYTES), IO_BYTES };
	for (unsigned long i = 0; i < n; i += batch) {
		struct blk_plug plug;
		if (batch > 1)
			blk_start_plug(&plug);
		for (unsigned k = 0; k < batch; k++) {
			uint64_t sector = ((i + k) * 2 * (IO_BYTES >> SECTOR_SHIFT)) % BENCH_BLOCKS;
			bio_init(&bio[k], b, REQ_OP_READ, 0, sector, &vec[k], 1);
			bio[k].end_io = bench_end_io;
			submit_bio(&bio[k]);
		}
		if (batch > 1)
			blk_finish_plug(&plug);
		fake_nvme_process(f); /* the device: takes the commands, completes them, raises its vector */
		deliver_irqs();
	}
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	unsigned batch = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 1;
	if (batch < 1 || batch > MAX_BATCH || n % batch) {
		fprintf(stderr, "nvmebench: usage: nvmebench N [BATCH]: BATCH 1-%u dividing N\n", MAX_BATCH);
		return 2;
	}
	stub_nvme_reset(1, 100);
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.irq = hold_irq;
	cfg.ns[0].blocks = BENCH_BLOCKS;
	struct fake_nvme *f = fake_nvme_create(&cfg);
	static struct pci_dev pdev = { .msix_size = 8 };
	stub_nvme_use(f, &pdev);
	static struct nvme_ctrl c;
	snprintf(c.name, sizeof(c.name), "nvme0");
	c.pdev = &pdev;
	c.bar = fake_nvme_bar(f);
	struct block_device *b = nvme_attach(&c) == 0 ? blkdev_get("nvme0n1") : NULL;
	void *buf = blk_alloc_pages(5); /* a 4 KiB buffer for each read of a batch */
	if (!b || !buf) {
		fprintf(stderr, "nvmebench: set-up failed:\n%s", stub_log());
		return 1;
	}
	if (!c.dbbuf) {
		fprintf(stderr, "nvmebench: no shadow doorbells: the figure would not be the one measured\n");
		return 1;
	}
	completed = failed = 0; /* the partition probe's reads are not ours */
	holding = true;
	run_ios(f, b, buf, n, batch);
	holding = false;
	if (completed != n || failed) {
		fprintf(stderr, "nvmebench: %lu of %lu I/Os completed, %lu failed\n%s", completed, n, failed, stub_log());
		return 1;
	}
	printf("nvmebench: %lu reads of %u bytes completed, in batches of %u\n", n, IO_BYTES, batch);
	return 0;
}
