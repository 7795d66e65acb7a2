/* The I/O path (blk/core.c, with blk/genhd.c and the tag set under it) driven
 * through a fake blk-mq driver: a RAM disk whose queue_rq records every call
 * (hctx, request, last, and the segments blk_rq_seg_next walks) and either
 * completes inline or keeps the request for the test to complete later, in
 * any order and with any status. Covers checks that stop a bio before the
 * driver, splitting to each limit, plug merging and batching, waiting for a
 * tag, end_io exactly once, the first error, statistics and the segment
 * iterator. */
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
#include "tests/unit/blk/stub_env.h"

/* ---- the fake driver ---- */

#define DISK_BYTES (1u << 20)
#define DISK_SECTORS (DISK_BYTES >> SECTOR_SHIFT)
#define MAX_CALLS 512
#define MAX_SEGS 64
#define FAKE_CMD_SIZE 24

struct seg {
	void *virt;
	uint64_t phys;
	uint32_t len;
};

/* One queue_rq call as the driver saw it. */
struct call {
	struct blk_mq_hw_ctx *hctx;
	struct request *rq;
	bool last;
	enum req_op op;
	unsigned flags;
	uint64_t sector;
	uint32_t bytes;
	unsigned nr_phys_segments, nr_slices, nr_segs;
	struct seg segs[MAX_SEGS];
};

static struct {
	uint8_t *disk;               /* the medium */
	bool defer;                  /* keep requests for fake_complete*() */
	blk_status_t queue_status;   /* what queue_rq returns */
	unsigned fail_call;          /* 1-based: that call alone returns BLK_STS_IOERR */
	unsigned busy_call;          /* 1-based: that call alone returns BLK_STS_RESOURCE, */
	bool busy_quiesces;          /* having quiesced the queue first (a reset that began) */
	unsigned doorbells;          /* queue_rq with last, plus commit_rqs */
	struct call calls[MAX_CALLS];
	unsigned nr_calls;
	struct request *pending[MAX_CALLS]; /* deferred, oldest first */
	unsigned nr_pending;
	unsigned commits;
} fake;

static void fake_reset(void)
{
	uint8_t *disk = fake.disk;
	memset(&fake, 0, sizeof(fake));
	fake.disk = disk ? disk : aligned_alloc(4096, DISK_BYTES);
	memset(fake.disk, 0, DISK_BYTES);
}

static void fake_transfer(struct request *rq, struct call *c)
{
	uint64_t pos = blk_rq_pos(rq) << SECTOR_SHIFT;
	assert_true(pos + blk_rq_bytes(rq) <= DISK_BYTES);
	if (rq->op == REQ_OP_DISCARD || rq->op == REQ_OP_WRITE_ZEROES) {
		memset(fake.disk + pos, 0, blk_rq_bytes(rq));
		return;
	}
	struct blk_seg_iter it;
	struct seg s;
	uint32_t total = 0;
	blk_rq_seg_iter_init(&it, rq);
	while (blk_rq_seg_next(&it, &s.virt, &s.phys, &s.len)) {
		assert_true(c->nr_segs < MAX_SEGS);
		assert_int_equal(s.phys, (uintptr_t)s.virt); /* the stub maps phys == virt */
		c->segs[c->nr_segs++] = s;
		if (rq->op == REQ_OP_READ)
			memcpy(s.virt, fake.disk + pos + total, s.len);
		else if (rq->op == REQ_OP_WRITE)
			memcpy(fake.disk + pos + total, s.virt, s.len);
		total += s.len;
	}
	assert_int_equal(total, blk_rq_bytes(rq)); /* the segments add up to the request */
	if (rq->nr_phys_segments == 1) { /* a driver may take the one segment from seg_phys */
		assert_int_equal(c->nr_segs, 1);
		assert_int_equal(rq->seg_phys, c->segs[0].phys);
	}
}

static blk_status_t fake_queue_rq(struct blk_mq_hw_ctx *hctx, struct request *rq, bool last)
{
	assert_true(fake.nr_calls < MAX_CALLS);
	assert_ptr_equal(rq->mq_hctx, hctx);
	assert_ptr_equal(hctx->rqs[rq->tag], rq);
	assert_true(blk_mq_tag_busy(hctx->tags, (unsigned)rq->tag));
	assert_int_equal((uintptr_t)blk_mq_rq_to_pdu(rq) % 64, 0);
	struct call *c = &fake.calls[fake.nr_calls++];
	*c = (struct call){ .hctx = hctx, .rq = rq, .last = last, .op = rq->op, .flags = rq->cmd_flags,
			    .sector = blk_rq_pos(rq), .bytes = blk_rq_bytes(rq),
			    .nr_phys_segments = rq->nr_phys_segments, .nr_slices = rq->nr_slices };
	if (fake.busy_call == fake.nr_calls) { /* not taken: nothing transferred */
		if (fake.busy_quiesces)
			blk_mq_quiesce_queue(rq->q);
		return BLK_STS_RESOURCE;
	}
	fake_transfer(rq, c);
	if (fake.fail_call == fake.nr_calls)
		return BLK_STS_IOERR; /* refused: the doorbell is not rung for it */
	if (fake.queue_status)
		return fake.queue_status;
	if (last)
		fake.doorbells++;
	if (fake.defer)
		fake.pending[fake.nr_pending++] = rq;
	else
		blk_mq_complete_request(rq, BLK_STS_OK);
	return BLK_STS_OK;
}

static void fake_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	(void)hctx;
	fake.commits++;
	fake.doorbells++;
}

/* Completes pending request i (0 = oldest). */
static void fake_complete(unsigned i, blk_status_t status)
{
	assert_true(i < fake.nr_pending);
	struct request *rq = fake.pending[i];
	memmove(&fake.pending[i], &fake.pending[i + 1], (fake.nr_pending - i - 1) * sizeof(rq));
	fake.nr_pending--;
	blk_mq_complete_request(rq, status);
}

/* Completes everything, including what completions resubmit; how many. */
static unsigned fake_complete_all(void)
{
	unsigned n = 0;
	while (fake.nr_pending) {
		fake_complete(0, BLK_STS_OK);
		n++;
	}
	return n;
}

/* blk_wait's way forward: complete the oldest pending request. */
static bool fake_progress(void *arg)
{
	(void)arg;
	if (!fake.nr_pending)
		return false;
	fake_complete(0, BLK_STS_OK);
	return true;
}

static const struct blk_mq_ops fake_ops = { .queue_rq = fake_queue_rq, .commit_rqs = fake_commit_rqs };

/* Queue 0 for DEFAULT, queue 1 for READ. */
static int fake_map_read_queue(struct blk_mq_tag_set *set)
{
	struct blk_mq_cpus cpus;
	blk_cpus(&cpus);
	for (unsigned t = 0; t < 2; t++) {
		set->map[t].nr_queues = 1;
		set->map[t].queue_offset = t;
		blk_mq_map_queues(&set->map[t], &cpus);
	}
	return 0;
}

static const struct blk_mq_ops fake_ops_read_queue = {
	.queue_rq = fake_queue_rq, .commit_rqs = fake_commit_rqs, .map_queues = fake_map_read_queue
};

/* Queue 0 for DEFAULT, queue 1 for POLL; poll completes what is pending. */
static int fake_map_poll_queue(struct blk_mq_tag_set *set)
{
	struct blk_mq_cpus cpus;
	blk_cpus(&cpus);
	static const unsigned nr[HCTX_MAX_TYPES] = { 1, 0, 1 };
	for (unsigned t = 0; t < HCTX_MAX_TYPES; t++) {
		set->map[t].nr_queues = nr[t];
		set->map[t].queue_offset = t == HCTX_TYPE_POLL;
		if (nr[t])
			blk_mq_map_queues(&set->map[t], &cpus);
	}
	return 0;
}

static unsigned polls;
static int fake_poll(struct blk_mq_hw_ctx *hctx)
{
	assert_int_equal(hctx->type, HCTX_TYPE_POLL);
	polls++;
	return (int)fake_complete_all();
}

static const struct blk_mq_ops fake_ops_poll_queue = {
	.queue_rq = fake_queue_rq, .commit_rqs = fake_commit_rqs, .map_queues = fake_map_poll_queue,
	.poll = fake_poll,
};

static const struct queue_limits default_limits = {
	.logical_block_size = 512, .physical_block_size = 512, .max_sectors = 256, .max_segments = 32,
	.max_segment_size = 1u << 16, .seg_boundary_mask = 0xffffffffull, .dma_alignment = 3,
	.max_discard_sectors = 0,
};

struct dev_opts {
	unsigned nr_hw_queues, depth, features, nr_maps;
	const struct queue_limits *limits;
	const struct blk_mq_ops *ops;
};

/* A new disk on a new tag set; the driver's record starts empty. */
static struct block_device *make_disk(struct dev_opts o)
{
	static unsigned n;
	struct blk_mq_tag_set *set = calloc(1, sizeof(*set));
	assert_non_null(set);
	set->ops = o.ops ? o.ops : &fake_ops;
	set->nr_hw_queues = o.nr_hw_queues ? o.nr_hw_queues : 1;
	set->nr_maps = o.nr_maps ? o.nr_maps : 1;
	set->queue_depth = o.depth ? o.depth : 64;
	set->cmd_size = FAKE_CMD_SIZE;
	assert_int_equal(blk_mq_alloc_tag_set(set), 0);
	struct request_queue *q = blk_mq_init_queue(set, o.limits ? o.limits : &default_limits);
	assert_non_null(q);
	char name[BDEV_NAME_LEN];
	snprintf(name, sizeof(name), "fake%u", n++);
	bool defer = fake.defer;
	fake.defer = false; /* the GPT probe completes inline */
	struct block_device *b = blk_add_disk(q, name, DISK_SECTORS, o.features, NULL);
	assert_non_null(b);
	assert_ptr_equal(blkdev_get(name), b);
	/* forget the GPT probe's read */
	memset(b->stats, 0, sizeof(b->stats));
	for (unsigned i = 0; i < q->nr_hw_queues; i++)
		memset(q->queue_hw_ctx[i]->stat, 0, sizeof(q->queue_hw_ctx[i]->stat));
	fake_reset();
	fake.defer = defer;
	return b;
}

/* ---- bios with a completion counter ---- */

struct tio {
	struct bio bio;
	struct bio_vec vecs[8];
	unsigned ends;              /* end_io calls */
	blk_status_t status;        /* bio->status seen by end_io */
};

static void tio_end_io(struct bio *bio)
{
	struct tio *t = container_of(bio, struct tio, bio);
	t->ends++;
	t->status = bio->status;
}

/* vecs given as (buffer, length) pairs, phys == virt. */
static void tio_init(struct tio *t, struct block_device *b, enum req_op op, unsigned flags, uint64_t sector,
		     unsigned nr_vecs, ...)
{
	va_list ap;
	va_start(ap, nr_vecs);
	assert_true(nr_vecs <= 8);
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < nr_vecs; i++) {
		uint8_t *p = va_arg(ap, uint8_t *);
		uint32_t len = va_arg(ap, uint32_t);
		t->vecs[i] = (struct bio_vec){ p, (uintptr_t)p, len };
	}
	va_end(ap);
	bio_init(&t->bio, b, op, flags, sector, t->vecs, nr_vecs);
	t->bio.end_io = tio_end_io;
}

static uint8_t *buf_alloc(size_t bytes, uint8_t seed)
{
	uint8_t *p = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	assert_non_null(p);
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
	return p;
}

static struct blk_stats sum_stats(const struct block_device *b)
{
	struct blk_stats s;
	blk_disk_stats(b, &s);
	return s;
}

static int setup(void **state)
{
	(void)state;
	stub_env_reset();
	/* A test that failed inside a plug left it registered for its CPU,
	 * pointing into a dead stack frame: replace it with an empty one and
	 * finish that. */
	static struct blk_plug scratch;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		stub_set_cpu(cpu);
		blk_start_plug(&scratch);
		blk_finish_plug(&scratch);
	}
	stub_set_cpu(0);
	fake_reset();
	return 0;
}

/* ---- tests ---- */

static void test_write_then_read(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	uint8_t *out = buf_alloc(8192, 1), *in = buf_alloc(8192, 99);
	struct tio w, r;
	tio_init(&w, b, REQ_OP_WRITE, 0, 16, 1, out, 8192u);
	submit_bio(&w.bio);
	assert_int_equal(w.ends, 1);
	assert_int_equal(w.status, BLK_STS_OK);
	assert_memory_equal(fake.disk + 16 * SECTOR_SIZE, out, 8192);
	assert_int_equal(fake.nr_calls, 1);
	struct call *c = &fake.calls[0];
	assert_int_equal(c->op, REQ_OP_WRITE);
	assert_int_equal(c->sector, 16);
	assert_int_equal(c->bytes, 8192);
	assert_true(c->last);
	assert_int_equal(c->nr_segs, 1);
	assert_ptr_equal(c->segs[0].virt, out);
	assert_ptr_equal(c->hctx, b->q->queue_hw_ctx[0]);

	tio_init(&r, b, REQ_OP_READ, 0, 16, 1, in, 8192u);
	submit_bio(&r.bio);
	assert_int_equal(r.ends, 1);
	assert_int_equal(r.status, BLK_STS_OK);
	assert_memory_equal(in, out, 8192);
	assert_int_equal(blk_mq_tags_in_use(b->q->queue_hw_ctx[0]->tags), 0);

	/* the synchronous forms */
	memset(in, 0, 8192);
	assert_int_equal(blkdev_rw(b, REQ_OP_READ, 0, 16, in, 8192), BLK_STS_OK);
	assert_memory_equal(in, out, 8192);
	free(out);
	free(in);
}

/* submit_bio_wait on a driver that completes later: blk_wait runs the fake
 * device until the bio is done. */
static void test_submit_bio_wait_deferred(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	fake.defer = true;
	stub_set_wait(fake_progress, NULL);
	uint8_t *buf = buf_alloc(4096, 5);
	assert_int_equal(blkdev_rw(b, REQ_OP_WRITE, 0, 8, buf, 4096), BLK_STS_OK);
	assert_memory_equal(fake.disk + 8 * SECTOR_SIZE, buf, 4096);
	assert_int_equal(fake.nr_pending, 0);
	free(buf);
}

/* A synchronous bio under an active plug: the plug must be sent before the
 * submitter sleeps, or the bio sits in it while its owner waits forever
 * (Linux flushes the plug when a task blocks). The stub's blk_wait fails the
 * test rather than hang when nothing is in flight. */
static void test_submit_bio_wait_under_plug(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	fake.defer = true;
	stub_set_wait(fake_progress, NULL);
	uint8_t *buf = buf_alloc(8192, 5);
	struct tio t;
	struct blk_plug plug;
	blk_start_plug(&plug);
	tio_init(&t, b, REQ_OP_WRITE, 0, 0, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(blkdev_rw(b, REQ_OP_WRITE, 0, 64, buf + 4096, 4096), BLK_STS_OK);
	assert_memory_equal(fake.disk + 64 * SECTOR_SIZE, buf + 4096, 4096);
	blk_finish_plug(&plug);
	fake_complete_all();
	assert_int_equal(t.ends, 1);
	free(buf);
}

/* REQ_HIPRI goes to the poll queue and submit_bio_wait polls it instead of
 * sleeping (the stub's blk_wait has no callback: sleeping fails the test);
 * each poll lets the CPU's queued work run, since it never goes idle. */
static void test_hipri_polls(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ .nr_hw_queues = 2, .nr_maps = HCTX_MAX_TYPES,
							      .ops = &fake_ops_poll_queue, .features = BLK_FEAT_POLL });
	fake.defer = true;
	polls = 0;
	unsigned resched0 = stub_resched();
	uint8_t *buf = buf_alloc(4096, 5);
	assert_int_equal(blkdev_rw(b, REQ_OP_WRITE, REQ_HIPRI, 8, buf, 4096), BLK_STS_OK);
	assert_int_equal(fake.nr_calls, 1);
	assert_ptr_equal(fake.calls[0].hctx, b->q->queue_hw_ctx[1]);
	assert_true(polls >= 1);
	assert_int_equal(stub_resched() - resched0, polls);
	assert_memory_equal(fake.disk + 8 * SECTOR_SIZE, buf, 4096);
	free(buf);
}

/* A large discard limit (4 GiB = 2^23 sectors, as a device may report) must
 * not make discards impossible: the limit in bytes does not fit 32 bits. */
static void test_discard_large_limit(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_discard_sectors = 1u << 23;
	struct block_device *b = make_disk((struct dev_opts){ .limits = &lim, .features = BLK_FEAT_DISCARD });
	struct tio t;
	tio_init(&t, b, REQ_OP_DISCARD, 0, 0, 0);
	t.bio.size = 65536;
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.nr_calls, 1);
	assert_int_equal(fake.calls[0].bytes, 65536);
}

/* Bad bios end with BLK_STS_INVAL, once, and never reach the driver. */
static void test_invalid_bios(void **state)
{
	(void)state;
	static const struct queue_limits lim4k = {
		.logical_block_size = 4096, .physical_block_size = 4096, .max_sectors = 256, .max_segments = 32,
		.max_segment_size = 1u << 16, .seg_boundary_mask = 0xffffffffull, .dma_alignment = 3,
	};
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	struct block_device *b4 = make_disk((struct dev_opts){ .limits = &lim4k });
	uint8_t *buf = buf_alloc(16384, 0);
	struct {
		struct block_device *bdev;
		uint64_t sector;
		uint8_t *p;
		uint32_t len;
		enum req_op op;
	} bad[] = {
		{ b, DISK_SECTORS - 1, buf, 1024, REQ_OP_READ },     /* runs past the end */
		{ b, DISK_SECTORS, buf, 512, REQ_OP_WRITE },         /* starts at the end */
		{ b, DISK_SECTORS + 8, buf, 512, REQ_OP_READ },      /* starts beyond it */
		{ b, ~0ull - 1, buf, 1024, REQ_OP_READ },            /* wraps around */
		{ b, 0, buf, 1000, REQ_OP_READ },                    /* not whole blocks */
		{ b, 0, buf + 1, 512, REQ_OP_WRITE },                /* misaligned for DMA */
		{ b, 0, buf, 0, REQ_OP_READ },                       /* no data */
		{ b4, 1, buf, 4096, REQ_OP_READ },                   /* not on a 4 KiB block */
		{ b4, 0, buf, 2048, REQ_OP_WRITE },                  /* half a block */
		{ b4, 0, buf, 512, REQ_OP_READ },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tio t;
		tio_init(&t, bad[i].bdev, bad[i].op, 0, bad[i].sector, 1, bad[i].p, bad[i].len);
		submit_bio(&t.bio);
		if (t.ends != 1 || t.status != BLK_STS_INVAL)
			fail_msg("case %u: %u end_io calls, status %d", i, t.ends, t.status);
	}
	/* a second vec that is misaligned */
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 0, 2, buf, 512u, buf + 1024 + 2, 512u);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_INVAL);
	assert_int_equal(fake.nr_calls, 0);
	assert_int_equal(sum_stats(b).errors, 8);
	free(buf);
}

static void test_unsupported_ops(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	static const enum req_op ops[] = { REQ_OP_DISCARD, REQ_OP_WRITE_ZEROES };
	for (unsigned i = 0; i < 2; i++) {
		struct tio t;
		tio_init(&t, b, ops[i], 0, 0, 0);
		t.bio.size = 4096;
		submit_bio(&t.bio);
		assert_int_equal(t.ends, 1);
		assert_int_equal(t.status, BLK_STS_NOTSUPP);
	}
	uint8_t *buf = buf_alloc(4096, 0);
	struct tio t;
	tio_init(&t, b, REQ_OP_READ, REQ_HIPRI, 0, 1, buf, 4096u); /* no poll queues */
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_NOTSUPP);
	assert_int_equal(fake.nr_calls, 0);
	free(buf);
}

/* With the features: discard and write-zeroes reach the driver, without
 * data, and are cut to max_discard_sectors. */
static void test_discard_write_zeroes(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_discard_sectors = 64;
	struct block_device *b =
		make_disk((struct dev_opts){ .limits = &lim, .features = BLK_FEAT_DISCARD | BLK_FEAT_WRITE_ZEROES });
	memset(fake.disk, 0xee, DISK_BYTES);
	struct tio t;
	tio_init(&t, b, REQ_OP_DISCARD, 0, 32, 0);
	t.bio.size = 40 * 1024; /* 80 sectors: 64 + 16 */
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake.calls[0].op, REQ_OP_DISCARD);
	assert_int_equal(fake.calls[0].sector, 32);
	assert_int_equal(fake.calls[0].bytes, 64 * SECTOR_SIZE);
	assert_int_equal(fake.calls[1].sector, 96);
	assert_int_equal(fake.calls[1].bytes, 16 * SECTOR_SIZE);
	assert_int_equal(fake.calls[0].nr_segs, 0);
	assert_int_equal(fake.disk[32 * SECTOR_SIZE], 0);
	assert_int_equal(fake.disk[112 * SECTOR_SIZE - 1], 0);
	assert_int_equal(fake.disk[112 * SECTOR_SIZE], 0xee);

	tio_init(&t, b, REQ_OP_WRITE_ZEROES, 0, 200, 0);
	t.bio.size = 4096;
	submit_bio(&t.bio);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.calls[2].op, REQ_OP_WRITE_ZEROES);
	assert_int_equal(fake.calls[2].bytes, 4096);
}

/* FLUSH without a volatile cache completes at once; with one it reaches
 * the driver. FUA is dropped on a device without a write cache. */
static void test_flush_and_fua(void **state)
{
	(void)state;
	struct block_device *plain = make_disk((struct dev_opts){ 0 });
	struct block_device *cached = make_disk((struct dev_opts){ .features = BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA });
	uint8_t *buf = buf_alloc(4096, 3);
	struct tio t;
	tio_init(&t, plain, REQ_OP_FLUSH, 0, 0, 0);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.nr_calls, 0);

	tio_init(&t, cached, REQ_OP_FLUSH, 0, 0, 0);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(fake.nr_calls, 1);
	assert_int_equal(fake.calls[0].op, REQ_OP_FLUSH);
	assert_int_equal(fake.calls[0].bytes, 0);

	tio_init(&t, plain, REQ_OP_WRITE, REQ_FUA, 0, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(fake.calls[1].flags & REQ_FUA, 0);
	tio_init(&t, cached, REQ_OP_WRITE, REQ_FUA, 0, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(fake.calls[2].flags & REQ_FUA, REQ_FUA);

	/* a flush with no vecs at all (blkdev_rw's): the checks look at none */
	struct bio bio;
	bio_init(&bio, cached, REQ_OP_FLUSH, 0, 0, NULL, 0);
	submit_bio(&bio);
	assert_int_equal(fake.nr_calls, 4);
	assert_int_equal(fake.calls[3].op, REQ_OP_FLUSH);
	assert_int_equal(bio.status, BLK_STS_OK);
	free(buf);
}

/* Requests in order cover the bio exactly: consecutive sectors, each within
 * max_bytes, and their segments walk the bio's memory in order. */
static void check_pieces(const struct call *c, unsigned n, uint64_t sector, const uint8_t *mem, uint32_t size,
			 uint32_t max_bytes)
{
	uint32_t done = 0;
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(c[i].sector, sector + done / SECTOR_SIZE);
		assert_true(c[i].bytes <= max_bytes);
		uint32_t segsum = 0;
		for (unsigned s = 0; s < c[i].nr_segs; s++) {
			if (mem)
				assert_ptr_equal(c[i].segs[s].virt, mem + done + segsum);
			segsum += c[i].segs[s].len;
		}
		assert_int_equal(segsum, c[i].bytes);
		done += c[i].bytes;
	}
	assert_int_equal(done, size);
}

static void test_split_max_sectors(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_sectors = 8;
	struct block_device *b = make_disk((struct dev_opts){ .limits = &lim });
	uint8_t *buf = buf_alloc(20480, 11), *back = buf_alloc(20480, 0);
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 40, 1, buf, 20480u);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.nr_calls, 5);
	check_pieces(fake.calls, 5, 40, buf, 20480, 4096);
	assert_memory_equal(fake.disk + 40 * SECTOR_SIZE, buf, 20480);

	/* 10 KiB: ceil(10 / 4) = 3 pieces, the last one short */
	fake.nr_calls = 0;
	tio_init(&t, b, REQ_OP_READ, 0, 40, 1, back, 10240u);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(fake.nr_calls, 3);
	check_pieces(fake.calls, 3, 40, back, 10240, 4096);
	assert_int_equal(fake.calls[2].bytes, 2048);
	assert_memory_equal(back, buf, 10240);
	free(buf);
	free(back);
}

/* Five separate 4 KiB vecs, two segments per request: 2 + 2 + 1. */
static void test_split_max_segments(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_segments = 2;
	struct block_device *b = make_disk((struct dev_opts){ .limits = &lim });
	uint8_t *p[5];
	for (unsigned i = 0; i < 5; i++)
		p[i] = buf_alloc(4096, (uint8_t)(i * 40));
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 0, 5, p[0], 4096u, p[1], 4096u, p[2], 4096u, p[3], 4096u, p[4], 4096u);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(fake.nr_calls, 3);
	static const unsigned segs[3] = { 2, 2, 1 };
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(fake.calls[i].nr_segs, segs[i]);
		assert_int_equal(fake.calls[i].nr_phys_segments, segs[i]);
		assert_int_equal(fake.calls[i].sector, i * 16);
	}
	check_pieces(fake.calls, 3, 0, NULL, 20480, 8192);
	for (unsigned i = 0; i < 5; i++) {
		assert_memory_equal(fake.disk + i * 4096, p[i], 4096);
		free(p[i]);
	}
}

/* An 8 KiB vec starting 2 KiB into a 4 KiB page, with a 4 KiB segment
 * boundary: segments 2 + 4 + 2 KiB, so two segments per request gives a
 * 6 KiB request and a 2 KiB one. Then max_segment_size 2 KiB: 4 KiB requests. */
static void test_split_seg_boundary(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_segments = 2;
	lim.seg_boundary_mask = 0xfff;
	struct block_device *b = make_disk((struct dev_opts){ .limits = &lim });
	uint8_t *page = buf_alloc(16384, 21), *p = page + 2048;
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 8, 1, p, 8192u);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake.calls[0].bytes, 6144);
	assert_int_equal(fake.calls[0].nr_phys_segments, 2);
	assert_int_equal(fake.calls[1].bytes, 2048);
	assert_int_equal(fake.calls[1].nr_phys_segments, 1);
	check_pieces(fake.calls, 2, 8, p, 8192, 6144);
	assert_memory_equal(fake.disk + 8 * SECTOR_SIZE, p, 8192);

	lim.seg_boundary_mask = 0xffffffffull;
	lim.max_segment_size = 2048;
	b = make_disk((struct dev_opts){ .limits = &lim });
	tio_init(&t, b, REQ_OP_WRITE, 0, 8, 1, page, 8192u);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake.calls[0].bytes, 4096);
	assert_int_equal(fake.calls[1].bytes, 4096);
	check_pieces(fake.calls, 2, 8, page, 8192, 4096);
	free(page);
}

/* Under a plug nothing reaches the driver until blk_finish_plug; adjacent
 * bios merge, at most BLK_RQ_MAX_SLICES to a request; the batch has
 * last = true only on its final request. */
static void test_plug_merges_adjacent(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	enum { N = BLK_RQ_MAX_SLICES + 2 };
	uint8_t *buf = buf_alloc(N * 4096, 17);
	struct tio t[N];
	struct blk_plug plug;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < N; i++) {
		tio_init(&t[i], b, REQ_OP_WRITE, 0, 64 + i * 8, 1, buf + i * 4096, 4096u);
		submit_bio(&t[i].bio);
	}
	assert_int_equal(fake.nr_calls, 0);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(t[i].ends, 0);
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake.calls[0].nr_slices, BLK_RQ_MAX_SLICES);
	assert_int_equal(fake.calls[0].bytes, BLK_RQ_MAX_SLICES * 4096);
	assert_false(fake.calls[0].last);
	assert_int_equal(fake.calls[1].nr_slices, 2);
	assert_int_equal(fake.calls[1].sector, 64 + BLK_RQ_MAX_SLICES * 8);
	assert_true(fake.calls[1].last);
	check_pieces(fake.calls, 2, 64, buf, N * 4096, 1u << 20);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(t[i].ends, 1);
		assert_int_equal(t[i].status, BLK_STS_OK);
	}
	assert_memory_equal(fake.disk + 64 * SECTOR_SIZE, buf, N * 4096);
	assert_int_equal(sum_stats(b).merges, N - 2);
	free(buf);
}

static void test_plug_no_merge(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_sectors = 16;
	/* a write cache, so that FUA is kept and tells requests apart */
	struct block_device *b =
		make_disk((struct dev_opts){ .limits = &lim, .features = BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA });
	uint8_t *buf = buf_alloc(4 * 4096, 1);
	struct tio t[6];
	struct blk_plug plug;
	blk_start_plug(&plug);
	tio_init(&t[0], b, REQ_OP_WRITE, 0, 0, 1, buf, 4096u);
	tio_init(&t[1], b, REQ_OP_WRITE, 0, 100, 1, buf + 4096, 4096u);   /* a gap */
	tio_init(&t[2], b, REQ_OP_READ, 0, 108, 1, buf + 8192, 4096u);    /* adjacent, other op */
	tio_init(&t[3], b, REQ_OP_READ, REQ_FUA, 116, 1, buf + 12288, 4096u); /* other flags */
	tio_init(&t[4], b, REQ_OP_WRITE, 0, 92, 1, buf, 4096u);           /* just before, not after */
	tio_init(&t[5], b, REQ_OP_WRITE, 0, 100, 1, buf, 4096u);          /* right after 92: merges */
	for (unsigned i = 0; i < 6; i++)
		submit_bio(&t[i].bio);
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 5); /* only the last bio merges, onto the one before */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(fake.calls[i].last, i == 4);
	assert_int_equal(fake.calls[4].nr_slices, 2);
	assert_int_equal(fake.calls[4].sector, 92);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(t[i].ends, 1);

	/* max_sectors caps a merge: 4 KiB bios, 8 KiB requests */
	fake.nr_calls = 0;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 4; i++) {
		tio_init(&t[i], b, REQ_OP_WRITE, 0, 200 + i * 8, 1, buf + i * 4096, 4096u);
		submit_bio(&t[i].bio);
	}
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake.calls[0].bytes, 8192);
	assert_int_equal(fake.calls[1].bytes, 8192);
	free(buf);
}

/* A queue_rqs that takes the first request of each call (started by it,
 * as a driver does) and leaves the rest: it records what it saw. */
static struct {
	unsigned calls;
	struct blk_mq_hw_ctx *hctx[MAX_CALLS];
	uint64_t now[MAX_CALLS];
} rqs_seen;
static struct request *fake_queue_rqs(struct blk_mq_hw_ctx *hctx, struct request *list, uint64_t now)
{
	assert_true(rqs_seen.calls < MAX_CALLS);
	assert_ptr_equal(list->mq_hctx, hctx);      /* the run's first request is hctx's */
	assert_false(blk_mq_request_started(list)); /* the driver starts what it takes */
	struct request *next = list->next;
	rqs_seen.hctx[rqs_seen.calls] = hctx;
	rqs_seen.now[rqs_seen.calls++] = now;
	blk_mq_start_request(list, now);
	assert_true(blk_mq_request_started(list));
	assert_int_equal(list->io_start_time_ns, now);
	fake.doorbells++;
	blk_mq_complete_request(list, BLK_STS_OK);
	return next;
}
static const struct blk_mq_ops fake_ops_read_queue_rqs = {
	.queue_rq = fake_queue_rq, .queue_rqs = fake_queue_rqs, .commit_rqs = fake_commit_rqs,
	.map_queues = fake_map_read_queue
};

/* queue_rqs gets a list that runs on into another hctx's requests: it
 * takes (and starts) a prefix of its own hctx's; blk-mq sends the rest of
 * that hctx's through queue_rq (last on the run's final one), then calls
 * queue_rqs again for the next hctx's run. */
static void plug_queue_rqs_starts(struct block_device *b)
{
	b->q->mq_ops = b->q->tag_set->ops = &fake_ops_read_queue_rqs; /* the same maps, with queue_rqs */
	fake_reset();
	memset(&rqs_seen, 0, sizeof(rqs_seen));
	uint8_t *buf = buf_alloc(5 * 4096, 1);
	struct tio t[5];
	struct blk_plug plug;
	blk_start_plug(&plug);
	static const enum req_op ops[5] = { REQ_OP_WRITE, REQ_OP_WRITE, REQ_OP_WRITE, REQ_OP_READ, REQ_OP_READ };
	for (unsigned i = 0; i < 5; i++) {
		tio_init(&t[i], b, ops[i], 0, i * 100, 1, buf + i * 4096, 4096u);
		submit_bio(&t[i].bio);
	}
	blk_finish_plug(&plug);
	assert_int_equal(rqs_seen.calls, 2);
	assert_ptr_equal(rqs_seen.hctx[0], b->q->queue_hw_ctx[0]);
	assert_ptr_equal(rqs_seen.hctx[1], b->q->queue_hw_ctx[1]);
	assert_int_equal(rqs_seen.now[0], rqs_seen.now[1]); /* one dispatch time for the list */
	assert_int_equal(fake.nr_calls, 3);                 /* writes 2 and 3, read 5 */
	static const bool last[3] = { false, true, true };
	static const unsigned hq[3] = { 0, 0, 1 };
	for (unsigned i = 0; i < 3; i++) {
		assert_ptr_equal(fake.calls[i].hctx, b->q->queue_hw_ctx[hq[i]]);
		assert_int_equal(fake.calls[i].last, last[i]);
	}
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(t[i].ends, 1);
		assert_int_equal(t[i].status, BLK_STS_OK);
	}
	free(buf);
}

/* Writes go to hctx 0 and reads to hctx 1 (a READ map): a plugged batch
 * write, write, read, read ends a run at each hctx change; then the same
 * through a driver with queue_rqs. */
static void test_plug_last_per_hctx(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ .nr_hw_queues = 2, .nr_maps = 2,
							      .ops = &fake_ops_read_queue });
	uint8_t *buf = buf_alloc(4 * 4096, 1);
	struct tio t[4];
	struct blk_plug plug;
	blk_start_plug(&plug);
	tio_init(&t[0], b, REQ_OP_WRITE, 0, 0, 1, buf, 4096u);
	tio_init(&t[1], b, REQ_OP_WRITE, 0, 100, 1, buf + 4096, 4096u);
	tio_init(&t[2], b, REQ_OP_READ, 0, 200, 1, buf + 8192, 4096u);
	tio_init(&t[3], b, REQ_OP_READ, 0, 300, 1, buf + 12288, 4096u);
	for (unsigned i = 0; i < 4; i++)
		submit_bio(&t[i].bio);
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 4);
	static const bool last[4] = { false, true, false, true };
	for (unsigned i = 0; i < 4; i++) {
		assert_ptr_equal(fake.calls[i].hctx, b->q->queue_hw_ctx[i < 2 ? 0 : 1]);
		assert_int_equal(fake.calls[i].last, last[i]);
		assert_int_equal(t[i].ends, 1);
	}
	assert_int_equal(b->q->queue_hw_ctx[1]->type, HCTX_TYPE_READ);
	free(buf);
	plug_queue_rqs_starts(b); /* a disk of its own would be one too many */
}

/* A batch whose final request the driver refuses ends early: the requests
 * it accepted with last = false still need their doorbell, so commit_rqs
 * must be called once. */
static void test_plug_batch_ends_early(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	fake.defer = true;
	fake.fail_call = 3;
	uint8_t *buf = buf_alloc(3 * 4096, 1);
	struct tio t[3];
	struct blk_plug plug;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 3; i++) {
		tio_init(&t[i], b, REQ_OP_WRITE, 0, i * 100, 1, buf + i * 4096, 4096u);
		submit_bio(&t[i].bio);
	}
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 3);
	assert_true(fake.calls[2].last);
	assert_int_equal(t[2].ends, 1);
	assert_int_equal(t[2].status, BLK_STS_IOERR);
	assert_int_equal(fake.nr_pending, 2);
	assert_int_equal(fake.commits, 1);
	assert_int_equal(fake.doorbells, 1);
	fake_complete_all();
	assert_int_equal(t[0].ends + t[1].ends, 2);
	free(buf);
}

/* A plugged batch reads the clock twice, not once per bio: its requests
 * share the submission time their first one took, and the dispatch time of
 * blk_finish_plug; one doorbell. Completions reaped together may share one
 * time too (blk_mq_complete_request_at), which the latency counts up to. */
static void test_plug_one_timestamp(void **state)
{
	(void)state;
	struct block_device *b = blkdev_get("fake0"); /* the registry is full: an earlier test's disk will do */
	if (!b)
		b = make_disk((struct dev_opts){ 0 });
	fake.nr_calls = fake.doorbells = 0;
	struct blk_stats s0 = sum_stats(b);
	enum { N = 4 };
	uint8_t *buf = buf_alloc(N * 4096, 23);
	struct tio t[N];
	struct blk_plug plug;
	fake.defer = true;
	stub_set_time(1000, 100); /* each clock read moves 100 ns on */
	blk_start_plug(&plug);
	for (unsigned i = 0; i < N; i++) {
		tio_init(&t[i], b, REQ_OP_READ, 0, i * 16, 1, buf + i * 4096, 4096u); /* apart: no merge */
		submit_bio(&t[i].bio);
	}
	assert_int_equal(fake.nr_calls, 0);
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, N);
	assert_int_equal(fake.doorbells, 1);
	assert_int_equal(fake.nr_pending, N);
	for (unsigned i = 0; i < N; i++) {
		const struct request *rq = fake.pending[i];
		assert_int_equal(rq->start_time_ns, 1000);    /* the first bio's clock read */
		assert_int_equal(rq->io_start_time_ns, 1100); /* blk_finish_plug's */
		assert_int_equal(blk_rq_dispatch_ns(rq), 1100);
	}
	/* completed together at 1000 + 4096 ns: all in bucket 12 */
	while (fake.nr_pending) {
		struct request *rq = fake.pending[0];
		memmove(&fake.pending[0], &fake.pending[1], (fake.nr_pending - 1) * sizeof(rq));
		fake.nr_pending--;
		blk_mq_complete_request_at(rq, BLK_STS_OK, 1000 + 4096);
	}
	struct blk_stats s = sum_stats(b);
	assert_int_equal(s.ios[REQ_OP_READ] - s0.ios[REQ_OP_READ], N);
	assert_int_equal(s.lat_hist[12] - s0.lat_hist[12], N);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(t[i].ends, 1);
	/* a new batch on the same plug takes a new time */
	blk_start_plug(&plug);
	tio_init(&t[0], b, REQ_OP_READ, 0, 0, 1, buf, 4096u);
	submit_bio(&t[0].bio);
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_pending, 1);
	assert_int_equal(fake.pending[0]->start_time_ns, 1200);
	fake_complete_all();
	free(buf);
}

/* In interrupt context the plug is not touched: the bio goes out at once. */
static void test_plug_ignored_in_irq(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	uint8_t *buf = buf_alloc(4096, 1);
	struct tio t;
	struct blk_plug plug;
	blk_start_plug(&plug);
	stub_set_in_irq(true);
	tio_init(&t, b, REQ_OP_WRITE, 0, 0, 1, buf, 4096u);
	submit_bio(&t.bio);
	stub_set_in_irq(false);
	assert_int_equal(fake.nr_calls, 1);
	assert_true(fake.calls[0].last);
	assert_int_equal(t.ends, 1);
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 1);
	free(buf);
}

/* An end_io that submits another bio (the one in `chain`), as a driver's
 * completion may. */
static struct tio *chain;
static void tio_end_io_chain(struct bio *bio)
{
	tio_end_io(bio);
	if (chain) {
		struct tio *next = chain;
		chain = NULL;
		submit_bio(&next->bio);
	}
}

/* A reap pass as a driver's: the first request ended alone, the others in
 * one blk_mq_comp_batch whose tags go back at the flush. Depth 2, both
 * taken, one bio waiting: the first completion's tag goes to the waiter at
 * once; the second one's end_io submits a new bio, which finds no tag (the
 * batch holds it) and waits; the waiter's request completes in the same
 * pass; the flush frees the batch's two tags and runs the new bio. Every
 * bio ends once, every request is counted once, no tag is lost. On the
 * depth-2 disk of test_tag_exhaustion_unplugged (the disk registry is full
 * by now). */
static struct block_device *depth2_disk;
static void test_comp_batch(void **state)
{
	(void)state;
	struct block_device *b = depth2_disk ? depth2_disk : make_disk((struct dev_opts){ .depth = 2 });
	struct blk_mq_hw_ctx *h = b->q->queue_hw_ctx[0];
	fake_reset();
	fake.defer = true;
	enum { N = 4 };
	uint8_t *buf = buf_alloc(N * 4096, 31);
	struct tio t[N];
	for (unsigned i = 0; i < N; i++)
		tio_init(&t[i], b, REQ_OP_WRITE, 0, i * 16, 1, buf + i * 4096, 4096u);
	t[1].bio.end_io = tio_end_io_chain;
	chain = &t[3];
	for (unsigned i = 0; i < 3; i++)
		submit_bio(&t[i].bio);
	assert_int_equal(fake.nr_pending, 2);
	assert_int_equal(blk_mq_tags_in_use(h->tags), 2);
	assert_false(llist_empty(&h->wait_list)); /* t[2] */
	struct blk_stats s0 = sum_stats(b);
	uint64_t done0 = blk_mq_hctx_completed(h);

	struct blk_mq_comp_batch batch = { NULL, 0, NULL };
	stub_set_in_irq(true);
	for (unsigned i = 0; i < 3; i++) {
		struct request *rq = fake.pending[0];
		memmove(&fake.pending[0], &fake.pending[1], (fake.nr_pending - 1) * sizeof(rq));
		fake.nr_pending--;
		assert_true(blk_mq_mark_complete(rq));
		if (i == 0) {
			blk_mq_end_request_at(rq, BLK_STS_OK, 5000);
			assert_int_equal(fake.nr_calls, 3); /* its tag went to t[2] at once */
			assert_true(llist_empty(&h->wait_list));
		} else {
			blk_mq_end_request_batch(rq, 5000, &batch);
		}
		assert_int_equal(t[i].ends, 1);
		if (i == 1) { /* t[3], submitted by t[1]'s end_io, waits for the tag the batch holds */
			assert_int_equal(fake.nr_calls, 3);
			assert_false(llist_empty(&h->wait_list));
		}
	}
	assert_non_null(batch.word);
	assert_int_equal(__builtin_popcountll(batch.mask), 2);
	assert_int_equal(blk_mq_tags_in_use(h->tags), 2); /* held by the batch */
	blk_mq_comp_batch_flush(&batch);
	stub_set_in_irq(false);
	assert_null(batch.word);
	assert_true(llist_empty(&h->wait_list));
	assert_int_equal(fake.nr_calls, 4); /* t[3] went out */
	assert_int_equal(fake.nr_pending, 1);
	assert_int_equal(blk_mq_tags_in_use(h->tags), 1);
	struct blk_stats s = sum_stats(b);
	assert_int_equal(s.ios[REQ_OP_WRITE] - s0.ios[REQ_OP_WRITE], 3);
	assert_int_equal(s.bytes[REQ_OP_WRITE] - s0.bytes[REQ_OP_WRITE], 3 * 4096);
	assert_int_equal(blk_mq_hctx_completed(h) - done0, 3);
	fake_complete_all();
	assert_int_equal(blk_mq_tags_in_use(h->tags), 0);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(t[i].ends, 1);
		assert_int_equal(t[i].status, BLK_STS_OK);
		assert_memory_equal(fake.disk + i * 16 * SECTOR_SIZE, buf + i * 4096, 4096);
	}
	/* a batch that saw no request changes nothing */
	blk_mq_comp_batch_flush(&batch);
	assert_int_equal(blk_mq_tags_in_use(h->tags), 0);
	free(buf);
}

/* Depth 2, five bios: two go out, three wait; each completion lets one more
 * through; all five complete exactly once, with their data. */
static void test_tag_exhaustion_unplugged(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ .depth = 2 });
	depth2_disk = b;
	struct blk_mq_hw_ctx *h = b->q->queue_hw_ctx[0];
	fake.defer = true;
	uint8_t *buf = buf_alloc(5 * 4096, 9);
	struct tio t[5];
	for (unsigned i = 0; i < 5; i++) {
		tio_init(&t[i], b, REQ_OP_WRITE, 0, i * 16, 1, buf + i * 4096, 4096u);
		submit_bio(&t[i].bio);
	}
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(blk_mq_tags_in_use(h->tags), 2);
	assert_false(llist_empty(&h->wait_list));
	for (unsigned k = 0; k < 5; k++) {
		assert_int_equal(fake.nr_pending, k < 4 ? 2 : 1);
		fake_complete(0, BLK_STS_OK);
		assert_int_equal(fake.nr_calls, k + 3 < 5 ? k + 3 : 5);
		for (unsigned i = 0; i < 5; i++)
			assert_int_equal(t[i].ends, i <= k);
	}
	assert_int_equal(fake.nr_pending, 0);
	assert_true(llist_empty(&h->wait_list));
	assert_int_equal(blk_mq_tags_in_use(h->tags), 0);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(t[i].status, BLK_STS_OK);
		assert_int_equal(fake.calls[i].sector, i * 16); /* submission order kept */
		assert_memory_equal(fake.disk + i * 16 * SECTOR_SIZE, buf + i * 4096, 4096);
	}
	assert_int_equal(blk_mq_hctx_dispatched(h), 5);
	assert_int_equal(blk_mq_hctx_completed(h), 5);
	free(buf);
}

/* The same under a plug: the plug holding the tags is sent rather than
 * waiting on itself; no bio is lost or completed twice. */
static void test_tag_exhaustion_plugged(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ .depth = 2 });
	fake.defer = true;
	uint8_t *buf = buf_alloc(5 * 4096, 9);
	struct tio t[5];
	struct blk_plug plug;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < 5; i++) {
		tio_init(&t[i], b, REQ_OP_WRITE, 0, i * 16, 1, buf + i * 4096, 4096u);
		submit_bio(&t[i].bio);
		/* the third bio found no tag and sent the plug that held both */
		assert_int_equal(fake.nr_calls, i < 2 ? 0 : 2);
	}
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake_complete_all(), 5);
	assert_int_equal(fake.nr_calls, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(t[i].ends, 1);
		assert_int_equal(t[i].status, BLK_STS_OK);
		assert_memory_equal(fake.disk + i * 16 * SECTOR_SIZE, buf + i * 4096, 4096);
	}
	assert_int_equal(blk_mq_tags_in_use(b->q->queue_hw_ctx[0]->tags), 0);
	free(buf);
}

/* A split bio that runs out of tags half-way resumes where it stopped. */
static void test_tag_exhaustion_mid_split(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_sectors = 8;
	struct block_device *b = make_disk((struct dev_opts){ .depth = 2, .limits = &lim });
	fake.defer = true;
	uint8_t *buf = buf_alloc(24576, 4);
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 0, 1, buf, 24576u);
	submit_bio(&t.bio);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake_complete_all(), 6);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.nr_calls, 6);
	check_pieces(fake.calls, 6, 0, buf, 24576, 4096);
	free(buf);
}

/* Eight pieces completed last to first: end_io once, after the last. */
static void test_end_io_once_when_split(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_sectors = 8;
	struct block_device *b = make_disk((struct dev_opts){ .limits = &lim });
	fake.defer = true;
	uint8_t *buf = buf_alloc(32768, 4);
	struct tio t;
	tio_init(&t, b, REQ_OP_READ, 0, 0, 1, buf, 32768u);
	submit_bio(&t.bio);
	assert_int_equal(fake.nr_pending, 8);
	while (fake.nr_pending > 1) {
		fake_complete(fake.nr_pending - 1, BLK_STS_OK);
		assert_int_equal(t.ends, 0);
	}
	fake_complete(0, BLK_STS_OK);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	free(buf);
}

/* The first error among the pieces is the bio's status, whatever follows. */
static void test_first_error_wins(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	lim.max_sectors = 8;
	struct block_device *b = make_disk((struct dev_opts){ .limits = &lim });
	fake.defer = true;
	uint8_t *buf = buf_alloc(32768, 4);
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 0, 1, buf, 32768u);
	submit_bio(&t.bio);
	fake_complete(2, BLK_STS_OK);
	fake_complete(4, BLK_STS_IOERR);
	fake_complete(0, BLK_STS_OK);
	fake_complete(1, BLK_STS_TIMEOUT);
	assert_int_equal(t.ends, 0);
	fake_complete_all();
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_IOERR);
	struct blk_stats s = sum_stats(b);
	assert_int_equal(s.errors, 2);
	assert_int_equal(s.ios[REQ_OP_WRITE], 8);
	free(buf);
}

/* queue_rq refusing a request fails it (and frees its tag), once. */
static void test_queue_rq_error(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	fake.queue_status = BLK_STS_IOERR;
	uint8_t *buf = buf_alloc(4096, 4);
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 0, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_IOERR);
	assert_int_equal(blk_mq_tags_in_use(b->q->queue_hw_ctx[0]->tags), 0);
	free(buf);
}

/* queue_rq saying BLK_STS_RESOURCE: the request goes again, at once when
 * its queue is not quiesced, else when the quiesce ends; the bio ends once,
 * with its data, and the tag is not lost. */
static void test_queue_rq_busy(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	uint8_t *buf = buf_alloc(4096, 6);
	struct tio t;
	fake.busy_call = 1;
	tio_init(&t, b, REQ_OP_WRITE, 0, 8, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(fake.nr_calls, 2); /* refused, then taken */
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_memory_equal(fake.disk + 8 * SECTOR_SIZE, buf, 4096);

	fake.nr_calls = 0;
	fake.busy_call = 1;
	fake.busy_quiesces = true;
	memset(buf, 0x5a, 4096);
	tio_init(&t, b, REQ_OP_WRITE, 0, 16, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(fake.nr_calls, 1);
	assert_int_equal(t.ends, 0); /* waits for the quiesce to end */
	blk_mq_unquiesce_queue(b->q);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(t.ends, 1);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_memory_equal(fake.disk + 16 * SECTOR_SIZE, buf, 4096);
	assert_int_equal(b->q->requeues, 2);
	assert_int_equal(blk_mq_tags_in_use(b->q->queue_hw_ctx[0]->tags), 0);
	free(buf);
}

static void test_stats(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	stub_set_time(1000, 300); /* each clock read moves 300 ns on */
	uint8_t *buf = buf_alloc(8192, 4);
	struct tio t;
	for (unsigned i = 0; i < 3; i++) {
		stub_set_cpu(i);
		tio_init(&t, b, REQ_OP_READ, 0, i * 8, 1, buf, 4096u);
		submit_bio(&t.bio);
	}
	stub_set_cpu(5);
	for (unsigned i = 0; i < 2; i++) {
		tio_init(&t, b, REQ_OP_WRITE, 0, 64, 1, buf, 8192u);
		submit_bio(&t.bio);
	}
	struct blk_stats s = sum_stats(b);
	assert_int_equal(s.ios[REQ_OP_READ], 3);
	assert_int_equal(s.bytes[REQ_OP_READ], 24 * SECTOR_SIZE);
	assert_int_equal(s.ios[REQ_OP_WRITE], 2);
	assert_int_equal(s.bytes[REQ_OP_WRITE], 32 * SECTOR_SIZE);
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.merges, 0);
	uint64_t lat = 0;
	for (unsigned i = 0; i < BLK_LAT_BUCKETS; i++)
		lat += s.lat_hist[i];
	assert_int_equal(lat, 5);
	assert_int_equal(s.lat_hist[0] + s.lat_hist[1], 0); /* at least 300 ns passed each time */
	/* counted on the CPU that completed */
	struct blk_mq_hw_ctx *h = b->q->queue_hw_ctx[0];
	assert_int_equal(h->stat[5].ios[REQ_OP_WRITE], 2);
	assert_int_equal(h->stat[1].ios[REQ_OP_READ], 1);
	struct blk_stats hs = { 0 };
	blk_mq_hctx_stats(h, &hs);
	assert_int_equal(hs.bytes[REQ_OP_WRITE], 32 * SECTOR_SIZE);
	assert_int_equal(blk_mq_hctx_completed(h), 5);
	free(buf);
}

/* A bio's CPU picks the ctx and, through the map, the hctx. */
static void test_cpu_routing(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ .nr_hw_queues = 4 });
	uint8_t *buf = buf_alloc(4096, 4);
	for (unsigned cpu = 0; cpu < 8; cpu++) {
		stub_set_cpu(cpu);
		struct tio t;
		tio_init(&t, b, REQ_OP_READ, 0, 0, 1, buf, 4096u);
		submit_bio(&t.bio);
		struct call *c = &fake.calls[fake.nr_calls - 1];
		assert_ptr_equal(c->hctx, b->q->queue_hw_ctx[b->q->tag_set->map[0].mq_map[cpu]]);
		assert_int_equal(c->hctx->queue_num, cpu % 4);
	}
	free(buf);
}

/* A partition's sectors are offset onto the whole device; its range is its own. */
static void test_partition_offset(void **state)
{
	(void)state;
	struct block_device *disk = make_disk((struct dev_opts){ 0 });
	struct block_device part = *disk;
	part.start_sector = 1000;
	part.nr_sectors = 48;
	part.partno = 1;
	part.whole = disk;
	blk_bdev_init_fast(&part);
	uint8_t *buf = buf_alloc(65536, 8);
	struct tio t;
	tio_init(&t, &part, REQ_OP_WRITE, 0, 40, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.calls[0].sector, 1040);
	assert_memory_equal(fake.disk + 1040 * SECTOR_SIZE, buf, 4096);
	tio_init(&t, &part, REQ_OP_WRITE, 0, 44, 1, buf, 4096u);
	submit_bio(&t.bio);
	assert_int_equal(t.status, BLK_STS_INVAL);
	/* larger than the whole partition, though within the disk's limits */
	tio_init(&t, &part, REQ_OP_READ, 0, 0, 1, buf, 65536u);
	submit_bio(&t.bio);
	assert_int_equal(t.status, BLK_STS_INVAL);
	assert_int_equal(fake.nr_calls, 1);
	free(buf);
}

/* A bio whose size is less than its one vec carries size bytes, no more. */
static void test_size_below_vec(void **state)
{
	(void)state;
	struct block_device *b = make_disk((struct dev_opts){ 0 });
	uint8_t *buf = buf_alloc(8192, 3);
	struct tio t;
	tio_init(&t, b, REQ_OP_WRITE, 0, 16, 1, buf, 8192u);
	t.bio.size = 4096;
	submit_bio(&t.bio);
	assert_int_equal(t.status, BLK_STS_OK);
	assert_int_equal(fake.nr_calls, 1);
	assert_int_equal(fake.calls[0].sector, 16);
	assert_int_equal(fake.calls[0].bytes, 4096);
	free(buf);
}

/* The iterator over a merged request whose bios have several vecs, and over
 * a split piece that starts inside a vec. */
static void test_seg_iter(void **state)
{
	(void)state;
	struct queue_limits lim = default_limits;
	struct block_device *b = make_disk((struct dev_opts){ .limits = &lim });
	uint8_t *m = buf_alloc(8 * 4096, 2);
	struct tio t[3];
	struct blk_plug plug;
	blk_start_plug(&plug);
	tio_init(&t[0], b, REQ_OP_WRITE, 0, 0, 2, m, 1024u, m + 4096, 3072u);
	tio_init(&t[1], b, REQ_OP_WRITE, 0, 8, 2, m + 8192, 2048u, m + 12288, 2048u);
	tio_init(&t[2], b, REQ_OP_WRITE, 0, 16, 2, m + 16384, 512u, m + 20480, 3584u);
	for (unsigned i = 0; i < 3; i++)
		submit_bio(&t[i].bio);
	blk_finish_plug(&plug);
	assert_int_equal(fake.nr_calls, 1);
	const struct call *c = &fake.calls[0];
	assert_int_equal(c->nr_slices, 3);
	assert_int_equal(c->nr_phys_segments, 6);
	static const struct {
		unsigned off, len;
	} want[6] = { { 0, 1024 }, { 4096, 3072 }, { 8192, 2048 }, { 12288, 2048 }, { 16384, 512 }, { 20480, 3584 } };
	assert_int_equal(c->nr_segs, 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_ptr_equal(c->segs[i].virt, m + want[i].off);
		assert_int_equal(c->segs[i].phys, (uintptr_t)(m + want[i].off));
		assert_int_equal(c->segs[i].len, want[i].len);
	}

	/* split inside a vec: vecs of 6 and 2 KiB, 4 KiB per request */
	lim.max_sectors = 8;
	b = make_disk((struct dev_opts){ .limits = &lim });
	struct tio s;
	tio_init(&s, b, REQ_OP_WRITE, 0, 0, 2, m, 6144u, m + 16384, 2048u);
	submit_bio(&s.bio);
	assert_int_equal(fake.nr_calls, 2);
	assert_int_equal(fake.calls[0].nr_segs, 1);
	assert_int_equal(fake.calls[0].segs[0].len, 4096);
	assert_int_equal(fake.calls[1].nr_segs, 2);
	assert_ptr_equal(fake.calls[1].segs[0].virt, m + 4096);
	assert_int_equal(fake.calls[1].segs[0].len, 2048);
	assert_ptr_equal(fake.calls[1].segs[1].virt, m + 16384);
	assert_int_equal(fake.calls[1].segs[1].len, 2048);

	/* walking an empty request ends at once */
	struct request rq;
	memset(&rq, 0, sizeof(rq));
	struct blk_seg_iter it;
	void *v;
	uint64_t ph;
	uint32_t len;
	blk_rq_seg_iter_init(&it, &rq);
	assert_false(blk_rq_seg_next(&it, &v, &ph, &len));
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_write_then_read, setup),
		cmocka_unit_test_setup(test_submit_bio_wait_deferred, setup),
		cmocka_unit_test_setup(test_submit_bio_wait_under_plug, setup),
		cmocka_unit_test_setup(test_hipri_polls, setup),
		cmocka_unit_test_setup(test_discard_large_limit, setup),
		cmocka_unit_test_setup(test_invalid_bios, setup),
		cmocka_unit_test_setup(test_unsupported_ops, setup),
		cmocka_unit_test_setup(test_discard_write_zeroes, setup),
		cmocka_unit_test_setup(test_flush_and_fua, setup),
		cmocka_unit_test_setup(test_split_max_sectors, setup),
		cmocka_unit_test_setup(test_split_max_segments, setup),
		cmocka_unit_test_setup(test_split_seg_boundary, setup),
		cmocka_unit_test_setup(test_plug_merges_adjacent, setup),
		cmocka_unit_test_setup(test_plug_no_merge, setup),
		cmocka_unit_test_setup(test_plug_last_per_hctx, setup),
		cmocka_unit_test_setup(test_plug_batch_ends_early, setup),
		cmocka_unit_test_setup(test_plug_ignored_in_irq, setup),
		cmocka_unit_test_setup(test_plug_one_timestamp, setup),
		cmocka_unit_test_setup(test_tag_exhaustion_unplugged, setup),
		cmocka_unit_test_setup(test_comp_batch, setup),
		cmocka_unit_test_setup(test_tag_exhaustion_plugged, setup),
		cmocka_unit_test_setup(test_tag_exhaustion_mid_split, setup),
		cmocka_unit_test_setup(test_end_io_once_when_split, setup),
		cmocka_unit_test_setup(test_first_error_wins, setup),
		cmocka_unit_test_setup(test_queue_rq_error, setup),
		cmocka_unit_test_setup(test_queue_rq_busy, setup),
		cmocka_unit_test_setup(test_stats, setup),
		cmocka_unit_test_setup(test_cpu_routing, setup),
		cmocka_unit_test_setup(test_partition_offset, setup),
		cmocka_unit_test_setup(test_size_below_vec, setup),
		cmocka_unit_test_setup(test_seg_iter, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
