/*
 * The NVMe driver (drivers/nvme/nvme.c) on the host, against the fake
 * controller (fake_nvme.h), under the real block layer: bring-up with both
 * block sizes, reads and writes checked against the fake's disk, PRP lists,
 * queue wrap-around, and every misbehaviour the fake can be told to show.
 * Each test ends checking the invariant of the fault handling: every bio
 * submitted ended exactly once, OK or with an error, and nothing is left in
 * flight on any I/O queue. Deterministic: no device thread (stub_nvme_env.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "drivers/nvme/nvme.h"
#include "tests/unit/blk/stub_env.h"
#include "tests/unit/drivers/fake_nvme.h"
#include "tests/unit/drivers/stub_nvme_env.h"

#define CPUS 2
#define CLOCK_STEP_NS 1000       /* each clock read: 1 us */
#define TIMEOUT_MS 100           /* nvme.io_timeout_ms, nvme.admin_timeout_ms: the smallest allowed */
#define MSEC 1000000ull
#define MAX_TICKS 16             /* timeout ticks one test may need */

static struct {
	struct fake_nvme_config cfg;
	struct fake_nvme *f;
	struct pci_dev pdev;
	struct nvme_ctrl *c;
	unsigned submitted, ok, err; /* bios, counted from end_io */
	unsigned ticks;
} T;

/* ---- set-up ---- */

static int setup(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	stub_nvme_reset(CPUS, CLOCK_STEP_NS);
	stub_cmdline_set("nvme.io_timeout_ms", TIMEOUT_MS);
	stub_cmdline_set("nvme.admin_timeout_ms", TIMEOUT_MS);
	stub_cmdline_set("nvme.io_queue_depth", 32); /* keeps each controller's PRP pages few */
	fake_nvme_default_config(&T.cfg);
	T.cfg.to = 1; /* CAP.TO = 500 ms */
	T.cfg.irq = stub_nvme_fake_irq;
	T.cfg.ns[0].blocks = 8192; /* 4 MiB */
	return 0;
}

/* The controllers (and their block devices, which cannot be removed) stay
 * allocated: the block layer's timeout scan keeps pointers to their queues. */
static int teardown(void **state)
{
	(void)state;
	stub_nvme_use(NULL, NULL);
	if (T.f)
		fake_nvme_destroy(T.f);
	T.f = NULL;
	return 0;
}

/* The fake from T.cfg, unless the test made it already (to misbehave from
 * the start), then nvme_attach on its registers. */
static int attach(void)
{
	if (!T.f)
		T.f = fake_nvme_create(&T.cfg);
	T.pdev.msix_size = 8;
	stub_nvme_use(T.f, &T.pdev);
	T.c = calloc(1, sizeof(*T.c));
	assert_non_null(T.c);
	snprintf(T.c->name, sizeof(T.c->name), "nvme0");
	T.c->pdev = &T.pdev;
	T.c->bar = fake_nvme_bar(T.f);
	return nvme_attach(T.c);
}

static void attach_ok(void)
{
	assert_int_equal(attach(), 0);
	assert_true(T.c->nr_ns >= 1);
}

/* ---- I/O ---- */

struct tio {
	struct bio bio;
	struct bio_vec vec;
	bool done;
	unsigned ends;
};

static void tio_end(struct bio *bio)
{
	struct tio *t = bio->private;
	t->done = true;
	t->ends++;
	if (bio->status == BLK_STS_OK)
		T.ok++;
	else
		T.err++;
}

static void *dma_buf(uint32_t bytes, unsigned *order)
{
	*order = 0;
	while ((STUB_PAGE_SIZE << *order) < bytes)
		(*order)++;
	void *p = blk_alloc_pages(*order);
	assert_non_null(p);
	return p;
}

/* t's bio, counted as submitted, ending in tio_end (the caller may change that). */
static void tio_prepare(struct tio *t, struct block_device *bdev, enum req_op op, uint64_t sector, void *buf,
			uint32_t bytes)
{
	memset(t, 0, sizeof(*t));
	t->vec = (struct bio_vec){ buf, blk_virt_to_phys(buf), bytes };
	bio_init(&t->bio, bdev, op, 0, sector, &t->vec, buf ? 1 : 0);
	t->bio.size = bytes; /* discard and write zeroes: a size without memory */
	t->bio.end_io = tio_end;
	t->bio.private = t;
	T.submitted++;
}

static void submit(struct tio *t, struct block_device *bdev, enum req_op op, uint64_t sector, void *buf,
		   uint32_t bytes)
{
	tio_prepare(t, bdev, op, sector, buf, bytes);
	submit_bio(&t->bio);
}

/* What the kernel's tick does once the deadline has passed: every CPU
 * scans the hardware queues it is home to. */
static void timeout_tick(void)
{
	assert_true(++T.ticks <= MAX_TICKS);
	stub_advance(TIMEOUT_MS * MSEC + 1);
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		stub_set_cpu(cpu);
		blk_mq_timeout_tick();
	}
	stub_set_cpu(0);
}

/* Runs the device and the deferred work until t ended; when nothing moves,
 * lets time pass to the next timeout if allowed, else fails. */
static void run_until(struct tio *t, unsigned nr, bool timeouts)
{
	for (;;) {
		bool all = true;
		for (unsigned i = 0; i < nr; i++)
			all = all && t[i].done;
		if (all)
			break;
		if (stub_nvme_idle())
			continue;
		if (!timeouts)
			fail_msg("nothing moves and %u bio(s) are still in flight", nr);
		timeout_tick();
	}
	for (unsigned i = 0; i < nr; i++)
		assert_int_equal(t[i].ends, 1);
}

static blk_status_t rw(struct block_device *bdev, enum req_op op, uint64_t sector, void *buf, uint32_t bytes,
		       bool timeouts)
{
	struct tio t;
	submit(&t, bdev, op, sector, buf, bytes);
	run_until(&t, 1, timeouts);
	return t.bio.status;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static struct nvme_queue *ioq(unsigned qid) { return &T.c->queues[qid]; }

/* The invariant, after the device and the deferred work went quiet. */
static void check_invariant(void)
{
	while (stub_nvme_idle())
		;
	assert_int_equal(T.submitted, T.ok + T.err);
	for (unsigned qid = 1; qid <= T.c->nr_io; qid++) {
		struct nvme_queue *q = ioq(qid);
		assert_int_equal(blk_mq_tags_in_use(q->tags), 0);
		assert_true(nvme_queue_completed(q) <= nvme_queue_submitted(q));
		/* without a reset every command the queue sent came back, OK or
		 * not (a reset drops what the controller held: requeued or failed) */
		if (T.c->resets == 0)
			assert_int_equal(nvme_queue_submitted(q), nvme_queue_completed(q));
		/* the fields the fast path does not store (sqe_rw_simple) stayed
		 * zero in every slot, whatever commands went through it */
		for (unsigned i = 0; i < q->depth; i++) {
			const struct nvme_sqe *e = &q->sq[i];
			if (e->flags | e->cdw2 | e->cdw3 | e->mptr | e->cdw13 | e->cdw14 | e->cdw15)
				fail_msg("q%u slot %u (opcode %#x): a field the fast path leaves alone is not zero", qid,
					 i, e->opcode);
		}
	}
	for (unsigned i = 0; i < T.c->nr_ns; i++)
		assert_int_equal(blk_mq_in_flight(T.c->ns[i].q), 0);
	struct fake_nvme_stats st; /* no doorbell of a queue that did not exist, or beyond its ring */
	fake_nvme_get_stats(T.f, &st);
	assert_int_equal(st.bad_doorbells, 0);
	if (!T.c->dead) /* what the device holds: only its Asynchronous Event Requests */
		assert_int_equal(fake_nvme_outstanding(T.f), T.c->aers_outstanding);
}

static struct block_device *disk(unsigned i) { return T.c->ns[i].disk; }

/* ---- bring-up ---- */

static void test_bring_up(void **state)
{
	(void)state;
	T.cfg.nn = 2;
	T.cfg.nr_ns = 2;
	T.cfg.ns[1] = (struct fake_nvme_ns){ .nsid = 2, .blocks = 1024, .block_size = 4096 };
	attach_ok();
	assert_int_equal(T.c->nr_ns, 2);
	assert_int_equal(disk(0)->q->limits.logical_block_size, 512);
	assert_int_equal(disk(0)->nr_sectors, 8192);
	assert_string_equal(disk(0)->name, "nvme0n1");
	assert_int_equal(disk(1)->q->limits.logical_block_size, 4096);
	assert_int_equal(disk(1)->nr_sectors, 1024 * 8);
	assert_string_equal(disk(1)->name, "nvme0n2");
	/* one interrupt-driven queue per CPU, each CQ on its own vector */
	assert_int_equal(T.c->nr_default, CPUS);
	assert_int_equal(T.c->nr_io, CPUS);
	for (unsigned qid = 1; qid <= T.c->nr_io; qid++) {
		assert_true(ioq(qid)->irq >= 0);
		assert_int_equal(ioq(qid)->vector, qid);
		assert_int_equal(ioq(qid)->depth, 32);
	}
	assert_true(stub_log_has("nvme0: fake nvme, serial FAKE0001"));
	assert_true(stub_log_has("nvme0: 2/0/0 default/read/poll queues"));
	assert_true(T.c->aers_outstanding > 0);
	check_invariant();
}

static void test_read_write_both_block_sizes(void **state)
{
	(void)state;
	T.cfg.nn = 2;
	T.cfg.nr_ns = 2;
	T.cfg.ns[1] = (struct fake_nvme_ns){ .nsid = 2, .blocks = 1024, .block_size = 4096 };
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(64 * 1024, &order), *back = dma_buf(64 * 1024, &order);
	uint64_t sub0[CPUS + 1], done0[CPUS + 1];
	for (unsigned qid = 1; qid <= CPUS; qid++) { /* the GPT scan of blk_add_disk read some already */
		sub0[qid] = nvme_queue_submitted(ioq(qid));
		done0[qid] = nvme_queue_completed(ioq(qid));
	}
	for (unsigned cpu = 0; cpu < CPUS; cpu++) { /* each CPU's own queue */
		stub_set_cpu(cpu);
		fill(buf, 64 * 1024, cpu + 1);
		assert_int_equal(rw(disk(0), REQ_OP_WRITE, 100 + cpu * 200, buf, 64 * 1024, false), BLK_STS_OK);
		assert_memory_equal(fake_nvme_disk(T.f, 1) + (100 + cpu * 200) * 512, buf, 64 * 1024);
		assert_int_equal(rw(disk(1), REQ_OP_WRITE, 8 * (3 + cpu * 20), buf, 64 * 1024, false), BLK_STS_OK);
		assert_memory_equal(fake_nvme_disk(T.f, 2) + (3 + cpu * 20) * 4096, buf, 64 * 1024);
		memset(back, 0, 64 * 1024);
		assert_int_equal(rw(disk(1), REQ_OP_READ, 8 * (3 + cpu * 20), back, 64 * 1024, false), BLK_STS_OK);
		assert_memory_equal(back, buf, 64 * 1024);
		/* the device writes it behind our back; the read sees that */
		fill(fake_nvme_disk(T.f, 1) + 7 * 512, 3 * 512, 99 + cpu);
		assert_int_equal(rw(disk(0), REQ_OP_READ, 7, back, 3 * 512, false), BLK_STS_OK);
		assert_memory_equal(back, fake_nvme_disk(T.f, 1) + 7 * 512, 3 * 512);
	}
	stub_set_cpu(0);
	for (unsigned qid = 1; qid <= CPUS; qid++) {
		assert_int_equal(nvme_queue_submitted(ioq(qid)) - sub0[qid], 4);
		assert_int_equal(nvme_queue_completed(ioq(qid)) - done0[qid], 4);
		assert_true(stub_irqs(qid) > 0); /* completions came by interrupt on the queue's vector */
	}
	/* a misaligned length on the 4096-byte namespace never reaches the device */
	assert_int_not_equal(rw(disk(1), REQ_OP_READ, 0, back, 512, false), BLK_STS_OK);
	check_invariant();
}

static void test_large_transfer_prp_list(void **state)
{
	(void)state;
	T.cfg.mdts = 0; /* no MDTS: the PRP list page is the limit */
	attach_ok();
	const uint32_t bytes = 1024 * 1024;
	assert_true(T.c->max_transfer >= bytes);
	unsigned order;
	uint8_t *buf = dma_buf(bytes + STUB_PAGE_SIZE, &order), *back = dma_buf(bytes + STUB_PAGE_SIZE, &order);
	uint8_t *in = buf + 512; /* PRP1 with an offset: 257 pages, so PRP2 is a list */
	fill(in, bytes, 5);
	struct fake_nvme_stats before, after;
	fake_nvme_get_stats(T.f, &before);
	assert_int_equal(rw(disk(0), REQ_OP_WRITE, 16, in, bytes, false), BLK_STS_OK);
	fake_nvme_get_stats(T.f, &after);
	assert_int_equal(after.writes - before.writes, 1); /* one command, not split */
	assert_memory_equal(fake_nvme_disk(T.f, 1) + 16 * 512, in, bytes);
	uint8_t *out = back + 1024;
	assert_int_equal(rw(disk(0), REQ_OP_READ, 16, out, bytes, false), BLK_STS_OK);
	assert_memory_equal(out, in, bytes);
	check_invariant();
}

static void test_queue_wrap_and_phase(void **state)
{
	(void)state;
	stub_cmdline_set("nvme.io_queue_depth", 4); /* 3 requests at a time on a 4-entry ring */
	attach_ok();
	struct nvme_queue *q = ioq(1);
	assert_int_equal(q->depth, 4);
	uint64_t sub0 = nvme_queue_submitted(q), done0 = nvme_queue_completed(q); /* the GPT scan's reads */
	unsigned order;
	uint8_t *buf = dma_buf(3 * 4096, &order);
	unsigned phase_flips = 0;
	uint8_t phase = q->cq_phase;
	for (unsigned round = 0; round < 20; round++) { /* a tag is reused past the 16 cid generations */
		struct tio t[3];
		for (unsigned i = 0; i < 3; i++) {
			fill(buf + i * 4096, 4096, round * 3 + i);
			submit(&t[i], disk(0), REQ_OP_WRITE, (round * 3 + i) * 8, buf + i * 4096, 4096);
		}
		run_until(t, 3, false);
		for (unsigned i = 0; i < 3; i++) {
			assert_int_equal(t[i].bio.status, BLK_STS_OK);
			assert_memory_equal(fake_nvme_disk(T.f, 1) + (round * 3 + i) * 4096, buf + i * 4096, 4096);
		}
		if (q->cq_phase != phase) {
			phase_flips++;
			phase = q->cq_phase;
		}
	}
	assert_int_equal(nvme_queue_submitted(q) - sub0, 60);
	assert_int_equal(nvme_queue_completed(q) - done0, 60);
	assert_int_equal(q->bogus, 0);
	/* each command's cid still names its own tag, whatever its generation */
	for (unsigned tag = 0; tag < q->nr_tags; tag++) {
		const struct nvme_cmd *cmd = blk_mq_rq_to_pdu(q->rqs[tag]);
		assert_int_equal(cmd->cid & NVME_CID_TAG_MASK, cmd->cid ? tag : 0);
	}
	assert_int_equal(q->cq_head, nvme_queue_completed(q) % 4);
	assert_int_equal(q->cq_phase, (1 + nvme_queue_completed(q) / 4) & 1); /* flipped at each wrap */
	assert_true(phase_flips >= 5);
	check_invariant();
}

/* ---- bring-up faults ---- */

static void test_never_ready(void **state)
{
	(void)state;
	T.f = fake_nvme_create(&T.cfg);
	fake_nvme_set_never_ready(T.f, true);
	uint64_t t0 = stub_now();
	assert_int_equal(attach(), -ETIMEDOUT);
	uint64_t took = stub_now() - t0;
	assert_true(took >= 500 * MSEC);      /* CAP.TO = 1: 500 ms */
	assert_true(took < 600 * MSEC);
	assert_true(stub_log_has("CSTS.RDY did not become 1 within CAP.TO (500 ms)"));
	assert_int_equal(T.c->nr_ns, 0);
	assert_int_equal(((volatile struct nvme_regs *)fake_nvme_bar(T.f))->cc & NVME_CC_EN, 0); /* left disabled */
}

static void test_fatal_during_bring_up(void **state)
{
	(void)state;
	T.f = fake_nvme_create(&T.cfg);
	fake_nvme_set_fatal(T.f, true);
	assert_int_equal(attach(), -EIO);
	assert_true(stub_log_has("controller fatal status"));
	assert_int_equal(T.c->nr_ns, 0);
}

/* ---- I/O faults ---- */

static void inject(enum fake_nvme_fault_kind kind, uint16_t value, bool unabortable)
{
	struct fake_nvme_fault ft = { .kind = kind, .nth = 1, .any_sq = true, .value = value,
				      .unabortable = unabortable };
	fake_nvme_inject(T.f, &ft);
}

static void test_error_status(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	uint64_t done0 = nvme_queue_completed(ioq(1));
	inject(FAKE_FAULT_STATUS, FAKE_NVME_STATUS(FAKE_SCT_MEDIA, FAKE_SC_UNRECOVERED_READ, 1), false);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, false), BLK_STS_IOERR);
	assert_true(stub_log_has("failed: status type 2 code 0x81 (do not retry)"));
	assert_int_equal(T.err, 1);
	/* the next one is fine */
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, false), BLK_STS_OK);
	assert_int_equal(nvme_queue_completed(ioq(1)) - done0, 2);
	assert_int_equal(disk(0)->stats[0].errors, 1);
	check_invariant();
}

/* A completion with a cid the queue never issued: dropped and counted; the
 * command's own completion never comes, so the timeout aborts it. */
static void test_unknown_cid(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	inject(FAKE_FAULT_BAD_CID, 0x0ffe, false); /* tag 4094: beyond the queue depth */
	blk_status_t st = rw(disk(0), REQ_OP_READ, 8, buf, 4096, true);
	struct nvme_queue *q = ioq(1);
	assert_int_equal(q->bogus, 1);
	assert_true(stub_log_has("bogus completion cid 0xffe"));
	assert_int_equal(q->timeouts, 1);
	assert_int_equal(q->aborts, 1);
	assert_int_equal(st, BLK_STS_IOERR); /* completed by the Abort: "abort requested" */
	assert_int_equal(T.c->resets, 0);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, false), BLK_STS_OK);
	check_invariant();
}

/* A completion carrying the previous command's cid: the tag was reused with
 * a new generation, so the old cid is recognised as stale and dropped. */
static void test_stale_cid(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, false), BLK_STS_OK);
	uint64_t done0 = nvme_queue_completed(ioq(1));
	inject(FAKE_FAULT_STALE_CID, 0, false);
	blk_status_t st = rw(disk(0), REQ_OP_READ, 16, buf, 4096, true);
	struct nvme_queue *q = ioq(1);
	assert_int_equal(q->bogus, 1);
	assert_true(stub_log_has("stale completion"));
	assert_int_equal(q->aborts, 1);
	assert_int_equal(st, BLK_STS_IOERR);
	assert_int_equal(nvme_queue_completed(q) - done0, 1); /* the Abort's "abort requested" */
	check_invariant();
}

/* A second completion for a command already completed: its tag is idle and
 * its cid unchanged, so only the request's state shows the CQE is a
 * duplicate. Dropped and counted; the first completion stands, nothing ends
 * twice; the command whose completion it replaced is aborted. */
static void test_duplicate_completion(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(2 * 4096, &order);
	struct fake_nvme_fault ft = { .kind = FAKE_FAULT_STALE_CID, .nth = 2, .any_sq = true };
	fake_nvme_inject(T.f, &ft);
	struct tio t[2];
	submit(&t[0], disk(0), REQ_OP_READ, 8, buf, 4096);
	submit(&t[1], disk(0), REQ_OP_READ, 16, buf + 4096, 4096); /* its CQE carries t[0]'s cid */
	run_until(t, 2, true);
	struct nvme_queue *q = ioq(1);
	assert_int_equal(t[0].bio.status, BLK_STS_OK);
	assert_int_equal(t[1].bio.status, BLK_STS_IOERR); /* "abort requested" */
	assert_int_equal(q->bogus, 1);
	assert_true(stub_log_has("bogus completion cid"));
	assert_int_equal(q->aborts, 1);
	check_invariant();
}

/* Wrong SQ id and impossible SQ head are dropped too. */
static void test_bad_sqid_and_sqhead(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	inject(FAKE_FAULT_BAD_SQID, 7, false);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, true), BLK_STS_IOERR);
	inject(FAKE_FAULT_BAD_SQHEAD, 1000, false);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, true), BLK_STS_IOERR);
	assert_int_equal(ioq(1)->bogus, 2);
	assert_int_equal(ioq(1)->aborts, 2);
	check_invariant();
}

/* A lost completion: the timeout finds nothing in the CQ and sends Abort,
 * which completes the command with "abort requested". */
static void test_lost_completion_abort(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	fill(buf, 4096, 3);
	struct tio t;
	inject(FAKE_FAULT_LOSE, 0, false);
	submit(&t, disk(0), REQ_OP_WRITE, 40, buf, 4096);
	while (stub_nvme_idle())
		;
	assert_false(t.done);
	assert_int_equal(fake_nvme_outstanding(T.f), T.c->aers_outstanding + 1);
	timeout_tick();
	assert_int_equal(stub_nvme_pending_work(), 1); /* the Abort, for the boot CPU */
	assert_true(stub_log_has("timed out: aborting it"));
	run_until(&t, 1, false);
	assert_int_equal(t.bio.status, BLK_STS_IOERR);
	assert_true(stub_log_has(": aborted"));
	assert_int_equal(ioq(1)->timeouts, 1);
	assert_int_equal(ioq(1)->aborts, 1);
	assert_int_equal(T.c->resets, 0);
	check_invariant();
}

/* A completion the device posted without an interrupt: the timeout reaps it. */
static void test_missed_interrupt(void **state)
{
	(void)state;
	attach_ok();
	stub_nvme_lose_irqs(true); /* the device raises them; they reach nobody */
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, true), BLK_STS_OK);
	assert_true(stub_log_has("completed without an interrupt"));
	assert_int_equal(ioq(1)->timeouts, 1);
	assert_int_equal(ioq(1)->aborts, 0);
	check_invariant();
}

/* The same, when the completion the timeout reaps sends the next I/O at
 * once from its end_io, on the request just freed (the CPU's cached tag):
 * the timed-out command is done with (its cid moved on), so no Abort goes
 * to the new one, which completes too. */
static struct tio chained;
static uint8_t *chained_buf;

static void end_and_chain(struct bio *bio)
{
	tio_end(bio);
	submit(&chained, disk(0), REQ_OP_READ, 16, chained_buf, 4096);
}

static void test_missed_interrupt_then_resubmit(void **state)
{
	(void)state;
	attach_ok();
	stub_nvme_lose_irqs(true);
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	chained_buf = dma_buf(4096, &order);
	struct tio first;
	tio_prepare(&first, disk(0), REQ_OP_READ, 8, buf, 4096);
	first.bio.end_io = end_and_chain;
	submit_bio(&first.bio);
	run_until(&first, 1, true);
	assert_ptr_equal(chained.bio.bdev, disk(0)); /* submitted from the end_io */
	run_until(&chained, 1, true);
	assert_int_equal(first.bio.status, BLK_STS_OK);
	assert_int_equal(chained.bio.status, BLK_STS_OK);
	assert_int_equal(ioq(1)->aborts, 0);
	assert_int_equal(T.c->resets, 0);
	check_invariant();
}

/* A vector with one CPU in its mask: the CQ is that CPU's (cq_cpu), its
 * interrupt takes no lock, and every other reaper runs there: a poll from
 * another CPU leaves the CQ alone, one from cq_cpu reaps it; a reset started
 * on another CPU drains the CQ there, so a completion in it is reaped once,
 * not requeued. */
static void test_cq_cpu_reapers(void **state)
{
	(void)state;
	attach_ok();
	assert_int_equal(ioq(1)->cq_cpu, 0);
	assert_int_equal(ioq(2)->cq_cpu, 1);
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	struct blk_mq_hw_ctx *hctx = disk(0)->q->ctxs[1].hctxs[HCTX_TYPE_DEFAULT];
	assert_ptr_equal(hctx->driver_data, ioq(2));
	stub_nvme_lose_irqs(true); /* completions wait in the CQ */
	struct tio t;
	stub_set_cpu(1);
	submit(&t, disk(0), REQ_OP_READ, 8, buf, 4096);
	stub_set_cpu(0);
	while (stub_nvme_idle())
		;
	assert_false(t.done);
	assert_int_equal(blk_mq_poll(hctx), 0); /* CPU 0: not its CQ */
	assert_false(t.done);
	stub_set_cpu(1);
	assert_int_equal(blk_mq_poll(hctx), 1);
	stub_set_cpu(0);
	assert_true(t.done);
	assert_int_equal(t.ends, 1);
	/* again, and a reset from CPU 0 finds the completion in the CQ */
	stub_set_cpu(1);
	submit(&t, disk(0), REQ_OP_READ, 16, buf, 4096);
	stub_set_cpu(0);
	while (stub_nvme_idle())
		;
	assert_false(t.done);
	uint64_t done0 = nvme_queue_completed(ioq(2));
	assert_int_equal(nvme_reset_ctrl(T.c), 0);
	assert_true(t.done);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.bio.status, BLK_STS_OK);
	assert_int_equal(nvme_queue_completed(ioq(2)) - done0, 1);
	assert_int_equal(disk(0)->q->requeues, 0);
	assert_int_equal(ioq(2)->cq_cpu, 1); /* kept across the reset */
	stub_nvme_lose_irqs(false);
	stub_set_cpu(1);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 24, buf, 4096, false), BLK_STS_OK);
	stub_set_cpu(0);
	check_invariant();
}

/* Unabortable: Abort says "not aborted", the request times out again, the
 * controller is reset and the request requeued; it then completes. */
static void test_unabortable_reset_requeue(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(8192, &order);
	fill(buf, 8192, 9);
	inject(FAKE_FAULT_LOSE, 0, true);
	assert_int_equal(rw(disk(0), REQ_OP_WRITE, 64, buf, 8192, true), BLK_STS_OK);
	assert_true(stub_log_has("not aborted"));
	assert_true(stub_log_has("timed out again after Abort: resetting"));
	assert_true(stub_log_has("reset done, 2 queues restored"));
	assert_int_equal(T.c->resets, 1);
	assert_false(T.c->dead);
	assert_int_equal(ioq(1)->timeouts, 2);
	assert_int_equal(disk(0)->q->requeues, 1);
	assert_memory_equal(fake_nvme_disk(T.f, 1) + 64 * 512, buf, 8192);
	/* the queues work after the reset, both of them */
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		stub_set_cpu(cpu);
		assert_int_equal(rw(disk(0), REQ_OP_READ, 64, buf, 8192, false), BLK_STS_OK);
	}
	stub_set_cpu(0);
	check_invariant();
}

/* The device stops answering (every register reads all ones) with I/O in
 * flight: the timeout sees it and resets, the reset fails, the controller
 * is dead, the requeued request fails with an error and so does new I/O. */
static void test_dead_device(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	struct tio t;
	submit(&t, disk(0), REQ_OP_READ, 8, buf, 4096);
	fake_nvme_set_dead(T.f); /* before the device fetched it */
	run_until(&t, 1, true);
	assert_int_equal(t.bio.status, BLK_STS_IOERR);
	assert_true(stub_log_has("CSTS 0xffffffff: resetting"));
	assert_true(stub_log_has("reset failed"));
	assert_true(T.c->dead);
	/* from now on I/O fails at once, and no doorbell is written for it */
	uint64_t db[8];
	for (unsigned qid = 1; qid <= T.c->nr_io; qid++)
		db[qid] = ioq(qid)->doorbells;
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, false), BLK_STS_IOERR);
	struct tio b[3]; /* a plugged batch too: queue_rqs, then commit_rqs for the failed end */
	struct blk_plug plug;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 3; i++)
		submit(&b[i], disk(0), REQ_OP_READ, 64 * i, buf, 4096);
	blk_finish_plug(&plug);
	run_until(b, 3, false);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(b[i].bio.status, BLK_STS_IOERR);
	for (unsigned qid = 1; qid <= T.c->nr_io; qid++)
		assert_int_equal(ioq(qid)->doorbells, db[qid]);
	check_invariant();
}

static void test_admin_command_on_dead_device(void **state)
{
	(void)state;
	attach_ok();
	fake_nvme_set_dead(T.f);
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_IDENTIFY, .cdw10 = 1 };
	assert_int_equal(nvme_admin_sync(T.c, &sqe, NULL), -ENODEV);
}

/* A command lost again after every reset: requeued NVME_MAX_RETRIES times,
 * then failed, and the controller stays alive. */
static void test_retries_bounded(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	for (unsigned n = 1; n <= NVME_MAX_RETRIES + 1; n++) {
		struct fake_nvme_fault ft = { .kind = FAKE_FAULT_LOSE, .nth = n, .sqid = 1, .unabortable = true };
		fake_nvme_inject(T.f, &ft);
	}
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, true), BLK_STS_IOERR);
	assert_int_equal(T.c->resets, NVME_MAX_RETRIES + 1);
	assert_int_equal(disk(0)->q->requeues, NVME_MAX_RETRIES);
	assert_false(T.c->dead);
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, false), BLK_STS_OK);
	check_invariant();
}

/* CSTS.CFS while a command is in flight: the timeout resets the controller.
 * The fake keeps CFS through the reset (a device broken for good), so the
 * disable succeeds, the enable sees CFS, the controller is dead and the
 * request fails. */
static void test_fatal_during_io(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	struct tio t;
	submit(&t, disk(0), REQ_OP_READ, 8, buf, 4096);
	fake_nvme_set_fatal(T.f, true);
	run_until(&t, 1, true);
	assert_true(stub_log_has("CSTS 0x3: resetting"));
	assert_true(stub_log_has("controller fatal status"));
	assert_int_equal(T.c->resets, 1);
	assert_true(T.c->dead);
	assert_int_equal(t.bio.status, BLK_STS_IOERR);
	check_invariant();
}

/* I/O arriving while a reset runs, after each point where the reset waits
 * for the other CPUs (stub_nvme_on_cross_call): the bio parks on blk-mq's
 * requeue list (its queue is quiesced) and no doorbell is written for it
 * (commit_rqs leaves a stopped SQ alone). A CPU that passed blk-mq's quiesce
 * test just before the reset set it reaches queue_rq anyway: played here by
 * handing the parked request to queue_rq, which must refuse it with
 * BLK_STS_RESOURCE, touching nothing. After the reset the bio completes. */
static struct {
	struct tio t;
	uint8_t *buf;
	unsigned when; /* the cross call after which the bio comes */
	blk_status_t direct;
} R;

static void io_during_reset(unsigned n)
{
	if (n != R.when)
		return;
	struct request_queue *q = disk(0)->q;
	uint16_t tail[8];
	for (unsigned qid = 1; qid <= T.c->nr_io; qid++)
		tail[qid] = ioq(qid)->sq_tail;
	submit(&R.t, disk(0), REQ_OP_READ, 24, R.buf, 4096);
	assert_false(R.t.done);
	struct llist_node *node = llist_take_all(&q->requeue_list);
	assert_non_null(node);
	assert_null(node->next);
	struct request *rq = container_of(node, struct request, llnode);
	__atomic_store_n(&rq->state, RQ_IN_FLIGHT, __ATOMIC_RELEASE); /* as blk-mq's dispatch does */
	R.direct = q->mq_ops->queue_rq(rq->mq_hctx, rq, true);
	blk_mq_requeue_request(rq); /* what blk-mq does with BLK_STS_RESOURCE while quiesced */
	for (unsigned qid = 1; qid <= T.c->nr_io; qid++)
		assert_int_equal(ioq(qid)->sq_tail, tail[qid]); /* no SQ took anything */
}

static void reset_with_io_at(unsigned when, bool shadow)
{
	if (!shadow)
		T.cfg.oacs &= ~NVME_OACS_DBBUF_CONFIG;
	attach_ok();
	assert_int_equal(T.c->dbbuf != NULL, shadow);
	unsigned order;
	R.buf = dma_buf(4096, &order);
	memset(&R.t, 0, sizeof(R.t));
	R.when = when;
	R.direct = BLK_STS_OK;
	fill(fake_nvme_disk(T.f, 1) + 24 * 512, 4096, when);
	stub_nvme_on_cross_call(io_during_reset);
	assert_int_equal(nvme_reset_ctrl(T.c), 0);
	stub_nvme_on_cross_call(NULL);
	assert_int_equal(R.direct, BLK_STS_RESOURCE);
	run_until(&R.t, 1, false);
	assert_int_equal(R.t.bio.status, BLK_STS_OK);
	assert_memory_equal(R.buf, fake_nvme_disk(T.f, 1) + 24 * 512, 4096);
	assert_int_equal(T.c->resets, 1);
	check_invariant();
}

static void test_io_during_reset(void **state)
{
	(void)state;
	/* cross calls of a reset on 2 CPUs: 1 and 2 are its syncs around the
	 * disable, 3 and 4 the drains on each queue's CPU */
	for (unsigned when = 1; when <= 4; when++)
		for (int shadow = 1; shadow >= 0; shadow--) {
			teardown(NULL);
			setup(NULL);
			reset_with_io_at(when, shadow);
		}
}

/* Poll queues: no vector, completions reaped by submit_bio_wait's polling. */
static void test_poll_queue(void **state)
{
	(void)state;
	stub_cmdline_set("nvme.poll_queues", 1);
	attach_ok();
	assert_int_equal(T.c->nr_poll, 1);
	struct nvme_queue *pq = ioq(T.c->nr_io);
	assert_int_equal(pq->irq, -1);
	assert_true(disk(0)->features & BLK_FEAT_POLL);
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	fill(buf, 4096, 11);
	uint64_t irqs_before = 0;
	for (unsigned e = 0; e < 8; e++)
		irqs_before += stub_irqs(e);
	struct tio t;
	memset(&t, 0, sizeof(t));
	t.vec = (struct bio_vec){ buf, blk_virt_to_phys(buf), 4096 };
	bio_init(&t.bio, disk(0), REQ_OP_WRITE, REQ_HIPRI, 24, &t.vec, 1);
	t.bio.end_io = tio_end;
	t.bio.private = &t;
	T.submitted++;
	submit_bio(&t.bio);
	while (!t.done) { /* submit_bio_wait's loop for REQ_HIPRI, with a device pass */
		assert_true(stub_nvme_idle());
		blk_mq_poll(disk(0)->q->ctxs[0].hctxs[HCTX_TYPE_POLL]);
	}
	assert_int_equal(t.bio.status, BLK_STS_OK);
	assert_int_equal(nvme_queue_completed(pq), 1);
	uint64_t irqs_after = 0;
	for (unsigned e = 0; e < 8; e++)
		irqs_after += stub_irqs(e);
	assert_int_equal(irqs_after, irqs_before);
	assert_memory_equal(fake_nvme_disk(T.f, 1) + 24 * 512, buf, 4096);
	check_invariant();
}

/* A shadow doorbell the controller misses (it left EventIdx behind and
 * stopped reading, as an EventIdx race does): the stall watchdog rings by
 * MMIO once the queue made no progress for NVME_STALL_MS, the command
 * completes, and a queue with nothing outstanding is never kicked. */
static void test_lost_shadow_doorbell_kicked(void **state)
{
	(void)state;
	attach_ok();
	struct nvme_queue *q = disk(0)->q->ctxs[0].hctxs[HCTX_TYPE_DEFAULT]->driver_data;
	assert_non_null(q->shadow_sq);
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	fake_nvme_miss_shadow_sq(T.f, (uint16_t)q->qid); /* when the next MMIO doorbell wakes it */
	assert_int_equal(rw(disk(0), REQ_OP_READ, 0, buf, 4096, false), BLK_STS_OK);
	nvme_watchdog(T.c); /* a tick while idle: notes the progress so far */
	struct fake_nvme_stats s0, s1;
	fake_nvme_get_stats(T.f, &s0);
	struct tio t;
	submit(&t, disk(0), REQ_OP_READ, 8, buf, 4096);
	for (unsigned i = 0; i < 4; i++)
		stub_nvme_idle();
	fake_nvme_get_stats(T.f, &s1);
	assert_int_equal(s1.sq_db[q->qid], s0.sq_db[q->qid]); /* EventIdx said "reading": no MMIO */
	assert_false(t.done);                                  /* and the device never saw it */
	nvme_watchdog(T.c);                                    /* stuck from now */
	stub_advance(NVME_STALL_MS * MSEC / 2);
	nvme_watchdog(T.c);
	assert_int_equal(q->kicks, 0);
	stub_advance(NVME_STALL_MS * MSEC / 2);
	nvme_watchdog(T.c);
	assert_int_equal(q->kicks, 1);
	run_until(&t, 1, false);
	assert_int_equal(t.bio.status, BLK_STS_OK);
	fake_nvme_get_stats(T.f, &s1); /* the device counts doorbells in its passes */
	assert_int_equal(s1.sq_db[q->qid], s0.sq_db[q->qid] + 1);
	assert_int_equal(s1.bad_doorbells, 0); /* the same tail again is no error */
	for (unsigned i = 0; i < 3; i++) { /* nothing outstanding: no kick however long */
		stub_advance(NVME_STALL_MS * MSEC);
		nvme_watchdog(T.c);
	}
	assert_int_equal(q->kicks, 1);
	check_invariant();
}

/* The Abort itself is lost: it times out (admin timeout), and the
 * controller is reset; the I/O is requeued and completes. */
static void test_abort_lost_then_reset(void **state)
{
	(void)state;
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4096, &order);
	struct fake_nvme_fault io = { .kind = FAKE_FAULT_LOSE, .nth = 1, .sqid = 1, .unabortable = true };
	struct fake_nvme_fault admin = { .kind = FAKE_FAULT_LOSE, .nth = 1, .sqid = 0, .unabortable = true };
	fake_nvme_inject(T.f, &io);
	fake_nvme_inject(T.f, &admin);
	uint64_t t0 = stub_now();
	assert_int_equal(rw(disk(0), REQ_OP_READ, 8, buf, 4096, true), BLK_STS_OK);
	assert_true(stub_now() - t0 >= 2 * TIMEOUT_MS * MSEC); /* the I/O timeout, then the admin one */
	assert_true(stub_log_has("admin opcode 0x8 timed out"));
	assert_true(stub_log_has("Abort of cid 0x") && stub_log_has(" on q1: failed"));
	assert_int_equal(T.c->resets, 1);
	assert_false(T.c->dead);
	assert_int_equal(ioq(1)->timeouts, 1);
	check_invariant();
}

/* Flush, Write Zeroes and Dataset Management (deallocate) reach the device
 * and do what they say on its disk. */
static void test_flush_write_zeroes_discard(void **state)
{
	(void)state;
	attach_ok();
	unsigned f = disk(0)->features;
	assert_true((f & BLK_FEAT_WRITE_CACHE) && (f & BLK_FEAT_DISCARD) && (f & BLK_FEAT_WRITE_ZEROES) &&
		    (f & BLK_FEAT_FUA));
	uint8_t *d = fake_nvme_disk(T.f, 1);
	memset(d, 0xab, 64 * 512);
	struct fake_nvme_stats st;
	assert_int_equal(rw(disk(0), REQ_OP_WRITE_ZEROES, 8, NULL, 8 * 512, false), BLK_STS_OK);
	assert_int_equal(rw(disk(0), REQ_OP_DISCARD, 32, NULL, 16 * 512, false), BLK_STS_OK);
	assert_int_equal(rw(disk(0), REQ_OP_FLUSH, 0, NULL, 0, false), BLK_STS_OK);
	fake_nvme_get_stats(T.f, &st);
	assert_int_equal(st.write_zeroes, 1);
	assert_int_equal(st.dsms, 1);
	assert_int_equal(st.flushes, 1);
	for (unsigned i = 0; i < 64 * 512; i++) {
		bool zero = (i >= 8 * 512 && i < 16 * 512) || (i >= 32 * 512 && i < 48 * 512);
		if (d[i] != (zero ? 0 : 0xab))
			fail_msg("byte %u is %#x", i, d[i]);
	}
	check_invariant();
}

/* A plugged batch reaches the SQ as one doorbell write (no shadow doorbells
 * here: every update is MMIO), and its completions need one CQ doorbell each
 * time the interrupt reaps. */
static void test_batch_one_doorbell(void **state)
{
	(void)state;
	T.cfg.oacs = 0; /* no Doorbell Buffer Config */
	attach_ok();
	assert_null(ioq(1)->shadow_sq);
	unsigned order;
	uint8_t *buf = dma_buf(4 * 4096, &order);
	struct fake_nvme_stats before, after;
	fake_nvme_get_stats(T.f, &before);
	struct blk_plug plug;
	struct tio t[4];
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 4; i++) /* not contiguous: four requests, not one merged */
		submit(&t[i], disk(0), REQ_OP_READ, i * 64, buf + i * 4096, 4096);
	blk_finish_plug(&plug);
	run_until(t, 4, false);
	fake_nvme_get_stats(T.f, &after);
	assert_int_equal(after.sq_db[1] - before.sq_db[1], 1);
	assert_int_equal(after.reads - before.reads, 4);
	assert_int_equal(after.cq_db[1] - before.cq_db[1], 1); /* one pass posted all four, one interrupt */
	check_invariant();
}

/* A plugged batch goes to queue_rqs, which takes the simple reads from its
 * start under one doorbell and stops at the first other request (here two
 * bios merged into one request of two pieces); blk-mq sends that one and
 * the rest through queue_rq, ringing once more at the end. */
static void test_batch_queue_rqs_prefix(void **state)
{
	(void)state;
	T.cfg.oacs = 0; /* no Doorbell Buffer Config: every doorbell is an MMIO write the fake counts */
	attach_ok();
	unsigned order;
	uint8_t *buf = dma_buf(4 * 4096, &order);
	fill(fake_nvme_disk(T.f, 1), 256 * 512, 5);
	struct fake_nvme_stats before, after;
	fake_nvme_get_stats(T.f, &before);
	uint64_t rung0 = ioq(1)->doorbells;
	static const uint64_t sectors[4] = { 0, 64, 72, 200 }; /* 72 follows 64: merged */
	struct blk_plug plug;
	struct tio t[4];
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 4; i++)
		submit(&t[i], disk(0), REQ_OP_READ, sectors[i], buf + i * 4096, 4096);
	blk_finish_plug(&plug);
	run_until(t, 4, false);
	fake_nvme_get_stats(T.f, &after);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(t[i].bio.status, BLK_STS_OK);
		assert_memory_equal(buf + i * 4096, fake_nvme_disk(T.f, 1) + sectors[i] * 512, 4096);
	}
	assert_int_equal(after.reads - before.reads, 3);
	assert_int_equal(after.cq_db[1] - before.cq_db[1], 1); /* one pass completed all three */
	assert_int_equal(ioq(1)->doorbells - rung0, 2 + 1); /* two SQ doorbells, one CQ head */
	check_invariant();
}

/* A controller without DSM and Write Zeroes: the block device does not
 * advertise them and such bios fail with "not supported", never reaching it. */
static void test_missing_features_refused(void **state)
{
	(void)state;
	T.cfg.oncs = 0;
	T.cfg.vwc = 0;
	attach_ok();
	unsigned f = disk(0)->features;
	assert_false(f & (BLK_FEAT_WRITE_CACHE | BLK_FEAT_DISCARD | BLK_FEAT_WRITE_ZEROES));
	struct fake_nvme_stats before, after;
	fake_nvme_get_stats(T.f, &before);
	assert_int_equal(rw(disk(0), REQ_OP_DISCARD, 32, NULL, 16 * 512, false), BLK_STS_NOTSUPP);
	assert_int_equal(rw(disk(0), REQ_OP_WRITE_ZEROES, 32, NULL, 16 * 512, false), BLK_STS_NOTSUPP);
	fake_nvme_get_stats(T.f, &after);
	assert_int_equal(after.commands, before.commands);
	check_invariant();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bring_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write_both_block_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_transfer_prp_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_wrap_and_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_write_zeroes_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_features_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_one_doorbell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_queue_rqs_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_during_bring_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_cid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_cid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sqid_and_sqhead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_completion_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missed_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missed_interrupt_then_resubmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cq_cpu_reapers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unabortable_reset_requeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_lost_then_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_during_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_shadow_doorbell_kicked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_during_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_command_on_dead_device, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
