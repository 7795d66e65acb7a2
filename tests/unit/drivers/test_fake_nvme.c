/*
 * The fake NVMe controller (fake_nvme.c) driven directly by hand-built
 * queues, so the driver's tests can trust it: enable and ready, Identify,
 * queue creation and its errors, write then read back through PRP lists built
 * by drivers/nvme/prp.c, phase flips on a small queue, CQ back-pressure, the
 * optional commands, logs, AERs, shadow doorbells with EventIdx, every
 * misbehaviour, and the device thread.
 *
 * Bus addresses are pointers (the fake's identity DMA). Most tests run the
 * device synchronously with fake_nvme_process(); the last ones on its thread.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "drivers/nvme/nvme_spec.h"
#include "drivers/nvme/prp.h"
#include "tests/unit/drivers/fake_nvme.h"

#define PAGE 4096u
#define ADMIN_DEPTH 16
#define MAX_QID 5

/* ---- a minimal host: the parts of a driver the fake needs ---- */

struct hq {
	struct nvme_sqe *sq;
	struct nvme_cqe *cq;
	uint16_t sq_size, cq_size;
	uint16_t sq_tail, cq_head;
	bool phase;
	uint16_t cid;
};

struct host {
	struct fake_nvme *f;
	volatile struct nvme_regs *regs;
	unsigned dstrd;
	struct hq q[MAX_QID];
	uint32_t *dbs, *eis; /* doorbell buffer, when configured */
	unsigned irqs[8];
};

static struct host H;

static void on_irq(void *arg, unsigned vector)
{
	struct host *h = arg;
	if (vector < 8)
		__atomic_fetch_add(&h->irqs[vector], 1, __ATOMIC_RELAXED);
}

static void *page_alloc(size_t bytes)
{
	bytes = (bytes + PAGE - 1) & ~(size_t)(PAGE - 1);
	void *p = aligned_alloc(PAGE, bytes);
	assert_non_null(p);
	memset(p, 0, bytes);
	return p;
}

/* Bus address of host memory: the pointer, or the pointer ^ dma_key when a
 * test gives the fake a translating DMA map. */
static uint64_t dma_key;

static uint64_t bus(const void *p)
{
	return (uint64_t)(uintptr_t)p ^ dma_key;
}

static volatile uint32_t *db(struct host *h, unsigned qid, bool cq)
{
	uint8_t *bar = fake_nvme_bar(h->f);
	return (volatile uint32_t *)(bar + NVME_REG_DBS + (2 * qid + cq) * (4u << h->dstrd));
}

static void host_init(struct host *h, struct fake_nvme_config *cfg)
{
	memset(h, 0, sizeof(*h));
	cfg->irq = on_irq;
	cfg->irq_arg = h;
	h->f = fake_nvme_create(cfg);
	h->regs = fake_nvme_bar(h->f);
	h->dstrd = NVME_CAP_DSTRD(h->regs->cap);
}

static int teardown(void **state)
{
	(void)state;
	fake_nvme_destroy(H.f);
	for (unsigned i = 0; i < MAX_QID; i++) {
		free(H.q[i].sq);
		free(H.q[i].cq);
	}
	free(H.dbs);
	free(H.eis);
	memset(&H, 0, sizeof(H));
	dma_key = 0;
	return 0;
}

static void hq_alloc(struct hq *q, uint16_t sq_size, uint16_t cq_size)
{
	q->sq = page_alloc(sq_size * sizeof(struct nvme_sqe));
	q->cq = page_alloc(cq_size * sizeof(struct nvme_cqe));
	q->sq_size = sq_size;
	q->cq_size = cq_size;
	q->phase = true;
}

/* Runs device passes until CSTS matches or the budget runs out. */
static bool wait_csts(struct host *h, uint32_t mask, uint32_t want, unsigned passes)
{
	for (unsigned i = 0; i < passes; i++) {
		if ((h->regs->csts & mask) == want)
			return true;
		fake_nvme_process(h->f);
	}
	return (h->regs->csts & mask) == want;
}

static void host_enable_noWait(struct host *h)
{
	hq_alloc(&h->q[0], ADMIN_DEPTH, ADMIN_DEPTH);
	h->regs->aqa = NVME_AQA(ADMIN_DEPTH, ADMIN_DEPTH);
	h->regs->asq = bus(h->q[0].sq);
	h->regs->acq = bus(h->q[0].cq);
	h->regs->cc = NVME_CC_EN | NVME_CC_CSS_NVM | NVME_CC_AMS_RR | NVME_CC_IOSQES | NVME_CC_IOCQES;
}

static void host_enable(struct host *h)
{
	host_enable_noWait(h);
	assert_true(wait_csts(h, NVME_CSTS_RDY, NVME_CSTS_RDY, 10));
}

/* Puts an SQE in the queue and returns its cid; ring says whether to write
 * the tail doorbell now. */
static uint16_t submit(struct host *h, unsigned qid, struct nvme_sqe *sqe, bool ring)
{
	struct hq *q = &h->q[qid];
	sqe->cid = q->cid++;
	q->sq[q->sq_tail] = *sqe;
	q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->sq_size);
	if (ring)
		*db(h, qid, false) = q->sq_tail;
	return sqe->cid;
}

/* Takes the next CQE if its phase says it is new; writes the head doorbell. */
static bool reap(struct host *h, unsigned qid, struct nvme_cqe *out)
{
	struct hq *q = &h->q[qid];
	volatile struct nvme_cqe *e = &q->cq[q->cq_head];
	if (NVME_CQE_PHASE(__atomic_load_n(&e->status, __ATOMIC_ACQUIRE)) != q->phase)
		return false;
	memcpy(out, (const void *)e, sizeof(*out));
	if (++q->cq_head == q->cq_size) {
		q->cq_head = 0;
		q->phase = !q->phase;
	}
	*db(h, qid, true) = q->cq_head;
	return true;
}

static uint16_t status_of(const struct nvme_cqe *c)
{
	return c->status & 0xfffe;
}

/* Submits, runs a pass, reaps one completion; returns its status field. */
static uint16_t cmd(struct host *h, unsigned qid, struct nvme_sqe *sqe, struct nvme_cqe *out)
{
	struct nvme_cqe local;
	if (!out)
		out = &local;
	uint16_t cid = submit(h, qid, sqe, true);
	fake_nvme_process(h->f);
	assert_true(reap(h, qid, out));
	assert_int_equal(out->cid, cid);
	assert_int_equal(out->sq_id, qid);
	return status_of(out);
}

static struct nvme_sqe sqe_of(uint8_t opcode, uint32_t nsid, uint32_t cdw10, uint32_t cdw11)
{
	struct nvme_sqe s;
	memset(&s, 0, sizeof(s));
	s.opcode = opcode;
	s.nsid = nsid;
	s.cdw10 = cdw10;
	s.cdw11 = cdw11;
	return s;
}

static void set_queues(struct host *h, unsigned n)
{
	struct nvme_sqe s = sqe_of(NVME_ADMIN_SET_FEATURES, 0, NVME_FEAT_NUM_QUEUES, (n - 1) << 16 | (n - 1));
	assert_int_equal(cmd(h, 0, &s, NULL), 0);
}

static uint16_t create_cq(struct host *h, uint16_t qid, uint16_t size, bool ien, uint16_t iv)
{
	struct nvme_sqe s = sqe_of(NVME_ADMIN_CREATE_CQ, 0, (uint32_t)(size - 1) << 16 | qid,
				   NVME_QUEUE_PHYS_CONTIG | (ien ? NVME_CQ_IRQ_ENABLED | NVME_CQ_IV(iv) : 0));
	s.prp1 = bus(h->q[qid].cq);
	return cmd(h, 0, &s, NULL);
}

static uint16_t create_sq(struct host *h, uint16_t qid, uint16_t size, uint16_t cqid)
{
	struct nvme_sqe s = sqe_of(NVME_ADMIN_CREATE_SQ, 0, (uint32_t)(size - 1) << 16 | qid,
				   NVME_QUEUE_PHYS_CONTIG | NVME_SQ_CQID(cqid));
	s.prp1 = bus(h->q[qid].sq);
	return cmd(h, 0, &s, NULL);
}

/* I/O queue pair qid with its own CQ, interrupt vector = qid. */
static void queue_pair(struct host *h, uint16_t qid, uint16_t size)
{
	hq_alloc(&h->q[qid], size, size);
	assert_int_equal(create_cq(h, qid, size, true, qid), 0);
	assert_int_equal(create_sq(h, qid, size, qid), 0);
}

static void bring_up(struct host *h, struct fake_nvme_config *cfg, uint16_t io_depth)
{
	host_init(h, cfg);
	host_enable(h);
	set_queues(h, 2);
	queue_pair(h, 1, io_depth);
}

/* ---- PRPs for a virtually contiguous buffer, through prp.c ---- */

struct buf_iter {
	uint8_t *p;
	uint32_t left;
};

static bool buf_next(void *ctx, uint64_t *phys, uint32_t *len)
{
	struct buf_iter *it = ctx;
	if (!it->left)
		return false;
	/* one segment per page, like a scatter list of pages */
	uint32_t room = PAGE - (uint32_t)(bus(it->p) & (PAGE - 1));
	*phys = bus(it->p);
	*len = it->left < room ? it->left : room;
	it->p += *len;
	it->left -= *len;
	return true;
}

static struct nvme_prp_lists lists;

static void prps_for(struct nvme_sqe *s, void *buf, uint32_t len)
{
	if (!lists.nr) {
		for (unsigned i = 0; i < NVME_MAX_PRP_LIST_PAGES; i++) {
			lists.virt[i] = page_alloc(PAGE);
			lists.phys[i] = bus(lists.virt[i]);
		}
		lists.nr = NVME_MAX_PRP_LIST_PAGES;
	}
	struct buf_iter it = { buf, len };
	assert_int_equal(nvme_setup_prps(buf_next, &it, len, PAGE, &lists, &s->prp1, &s->prp2), 0);
}

static struct nvme_sqe rw(uint8_t opcode, uint32_t nsid, uint64_t slba, uint32_t nlb, void *buf, uint32_t bytes)
{
	struct nvme_sqe s = sqe_of(opcode, nsid, (uint32_t)slba, (uint32_t)(slba >> 32));
	s.cdw12 = nlb - 1;
	if (buf)
		prps_for(&s, buf, bytes);
	return s;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static struct fake_nvme_stats stats(struct host *h)
{
	struct fake_nvme_stats st;
	fake_nvme_get_stats(h->f, &st);
	return st;
}

/* ================================================================== */

static void test_registers_enable_disable(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.dstrd = 2;
	cfg.mqes = 63;
	host_init(&H, &cfg);
	uint64_t cap = H.regs->cap;
	assert_int_equal(NVME_CAP_MQES(cap), 63);
	assert_int_equal(NVME_CAP_DSTRD(cap), 2);
	assert_int_equal(NVME_CAP_CQR(cap), 1);
	assert_int_equal(NVME_CAP_TO(cap), cfg.to);
	assert_true(NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM);
	assert_int_equal(H.regs->vs, 0x00020000);
	assert_int_equal(H.regs->csts & NVME_CSTS_RDY, 0);
	assert_true(fake_nvme_bar_size(H.f) >= NVME_REG_DBS + 2 * FAKE_NVME_MAX_QUEUES * 16);

	host_enable(&H);
	H.regs->cc &= ~NVME_CC_EN;
	assert_true(wait_csts(&H, NVME_CSTS_RDY, 0, 3));
	H.regs->cc |= NVME_CC_EN;
	assert_true(wait_csts(&H, NVME_CSTS_RDY, NVME_CSTS_RDY, 3));
	assert_int_equal(stats(&H).enables, 2);
	assert_int_equal(stats(&H).resets, 1);

	/* a page size outside CAP.MPSMIN..MPSMAX is refused: never ready */
	H.regs->cc = 0;
	fake_nvme_process(H.f);
	H.regs->cc = NVME_CC_EN | 1u << NVME_CC_MPS_SHIFT;
	assert_false(wait_csts(&H, NVME_CSTS_RDY, NVME_CSTS_RDY, 10));
}

static void test_identify(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.mn = "Model M";
	cfg.sn = "SN42";
	cfg.mdts = 2;
	cfg.nn = 3;
	cfg.ns[0] = (struct fake_nvme_ns){ 1, 1000, 512 };
	cfg.ns[1] = (struct fake_nvme_ns){ 3, 300, 4096 };
	cfg.nr_ns = 2;
	cfg.oncs = NVME_ONCS_DSM;
	cfg.vwc = 0;
	host_init(&H, &cfg);
	host_enable(&H);
	uint8_t *buf = page_alloc(PAGE);

	struct nvme_sqe s = sqe_of(NVME_ADMIN_IDENTIFY, 0, NVME_ID_CNS_CTRL, 0);
	prps_for(&s, buf, PAGE);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	const struct nvme_id_ctrl *ic = (const void *)buf;
	assert_memory_equal(ic->mn, "Model M ", 8);
	assert_memory_equal(ic->sn, "SN42    ", 8);
	assert_int_equal(ic->mdts, 2);
	assert_int_equal(ic->nn, 3);
	assert_int_equal(ic->oncs, NVME_ONCS_DSM);
	assert_int_equal(ic->oacs, NVME_OACS_DBBUF_CONFIG);
	assert_int_equal(ic->vwc, 0);
	assert_int_equal(ic->sqes, 0x66);
	assert_int_equal(ic->cqes, 0x44);

	s = sqe_of(NVME_ADMIN_IDENTIFY, 0, NVME_ID_CNS_NS_ACTIVE, 0);
	prps_for(&s, buf, PAGE);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	const uint32_t *list = (const void *)buf;
	assert_int_equal(list[0], 1);
	assert_int_equal(list[1], 3);
	assert_int_equal(list[2], 0);
	s.nsid = 1; /* those above 1 */
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	assert_int_equal(list[0], 3);
	assert_int_equal(list[1], 0);

	s = sqe_of(NVME_ADMIN_IDENTIFY, 3, NVME_ID_CNS_NS, 0);
	prps_for(&s, buf, PAGE);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	const struct nvme_id_ns *ns = (const void *)buf;
	assert_int_equal(ns->nsze, 300);
	assert_int_equal(ns->lbaf[ns->flbas & 0xf].lbads, 12);
	s.nsid = 1;
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	assert_int_equal(ns->nsze, 1000);
	assert_int_equal(ns->lbaf[ns->flbas & 0xf].lbads, 9);
	s.nsid = 2; /* allocated but not active: zeroes */
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	assert_int_equal(ns->nsze, 0);
	s.nsid = 4;
	assert_int_equal(cmd(&H, 0, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_INVALID_NS, 1));
	s = sqe_of(NVME_ADMIN_IDENTIFY, 0, 0x55, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, 1));
	s = sqe_of(0x7f, 0, 0, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, 1));
	free(buf);
}

static void test_set_features_and_queue_errors(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.max_io_queues = 4;
	cfg.nr_vectors = 4;
	host_init(&H, &cfg);
	host_enable(&H);
	struct nvme_cqe c;
	struct nvme_sqe s = sqe_of(NVME_ADMIN_SET_FEATURES, 0, NVME_FEAT_NUM_QUEUES, 7u << 16 | 1);
	assert_int_equal(cmd(&H, 0, &s, &c), 0);
	assert_int_equal(c.result, 3u << 16 | 1); /* 4 CQs (capped), 2 SQs; 0's based */
	s = sqe_of(NVME_ADMIN_GET_FEATURES, 0, NVME_FEAT_NUM_QUEUES, 0);
	assert_int_equal(cmd(&H, 0, &s, &c), 0);
	assert_int_equal(c.result, 3u << 16 | 1);

	const uint16_t bad_qid = FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QID, 1);
	hq_alloc(&H.q[1], 8, 8);
	hq_alloc(&H.q[2], 8, 8);
	hq_alloc(&H.q[3], 8, 8);
	assert_int_equal(create_cq(&H, 0, 8, true, 1), bad_qid);
	assert_int_equal(create_cq(&H, 1, 1, true, 1),
			 FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QSIZE, 1));
	assert_int_equal(create_cq(&H, 1, 300, true, 1),
			 FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QSIZE, 1));
	assert_int_equal(create_cq(&H, 1, 8, true, 4),
			 FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_VECTOR, 1));
	assert_int_equal(create_cq(&H, 1, 8, true, 3), 0);
	assert_int_equal(create_cq(&H, 1, 8, true, 3), bad_qid); /* exists */
	assert_int_equal(create_sq(&H, 2, 8, 2), FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_CQ_INVALID, 1));
	assert_int_equal(create_sq(&H, 3, 8, 1), bad_qid); /* only 2 SQs granted */
	assert_int_equal(create_sq(&H, 1, 8, 1), 0);
	assert_int_equal(create_sq(&H, 2, 8, 1), 0); /* two SQs may share a CQ */

	s = sqe_of(NVME_ADMIN_DELETE_CQ, 0, 1, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QDELETE, 1));
	s = sqe_of(NVME_ADMIN_DELETE_SQ, 0, 1, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), bad_qid);
	s = sqe_of(NVME_ADMIN_DELETE_SQ, 0, 2, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	s = sqe_of(NVME_ADMIN_DELETE_CQ, 0, 1, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	s = sqe_of(NVME_ADMIN_DELETE_CQ, 0, 0, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), bad_qid);
}

static void test_write_then_read_back(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 32);
	enum { BYTES = 5 * PAGE };
	uint8_t *out = page_alloc(BYTES + PAGE), *in = page_alloc(BYTES + PAGE);
	fill(out, BYTES + PAGE, 1);

	/* 40 blocks from an offset inside the first page: a PRP list */
	struct nvme_sqe s = rw(NVME_CMD_WRITE, 1, 100, 40, out + 512, 40 * 512);
	assert_int_not_equal(s.prp2, 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_memory_equal(fake_nvme_disk(H.f, 1) + 100 * 512, out + 512, 40 * 512);
	s = rw(NVME_CMD_READ, 1, 100, 40, in + 1024, 40 * 512);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_memory_equal(in + 1024, out + 512, 40 * 512);
	assert_int_equal(in[1023], 0); /* nothing outside the buffer */
	assert_int_equal(in[1024 + 40 * 512], 0);

	/* one block, PRP2 unused; two pages, PRP2 a page */
	s = rw(NVME_CMD_WRITE, 1, 0, 1, out, 512);
	assert_int_equal(s.prp2, 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	s = rw(NVME_CMD_READ, 1, 7, 16, in, 2 * PAGE);
	assert_int_equal(s.prp2, bus(in + PAGE));
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_memory_equal(fake_nvme_disk(H.f, 1) + 7 * 512, in, 2 * PAGE);

	struct fake_nvme_stats st = stats(&H);
	assert_int_equal(st.writes, 2);
	assert_int_equal(st.reads, 2);
	assert_int_equal(H.irqs[1], 4); /* the I/O CQ's vector, once per pass */
	assert_true(H.irqs[0] >= 3);   /* admin CQ: vector 0 */
	free(out);
	free(in);
}

/* A transfer past one PRP list page: the fake follows the chain pointer. */
static void test_chained_prp_list(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.mdts = 0; /* no limit */
	cfg.ns[0].blocks = 8192;
	bring_up(&H, &cfg, 8);
	/* 600 pages from offset 1024: 601 entries after PRP1, two list pages */
	const uint32_t bytes = 600 * PAGE;
	uint8_t *out = page_alloc(bytes + PAGE), *in = page_alloc(bytes + PAGE);
	fill(out, bytes + PAGE, 8);
	struct nvme_sqe s = rw(NVME_CMD_WRITE, 1, 17, bytes / 512, out + 1024, bytes);
	assert_int_equal(lists.virt[0][PAGE / 8 - 1], lists.phys[1]);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_memory_equal(fake_nvme_disk(H.f, 1) + 17 * 512, out + 1024, bytes);
	s = rw(NVME_CMD_READ, 1, 17, bytes / 512, in + 512, bytes);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_memory_equal(in + 512, out + 1024, bytes);
	assert_int_equal(in[511], 0);
	assert_int_equal(in[512 + bytes], 0);
	free(out);
	free(in);
}

/* The fake's DMA map undoes the host's: bus address = pointer ^ key; an
 * address outside host memory (key bit clear) does not map. */
static void *xor_dma(void *arg, uint64_t phys, size_t len)
{
	(void)len;
	uint64_t key = *(uint64_t *)arg;
	return (phys & key) ? (void *)(uintptr_t)(phys ^ key) : NULL;
}

static void test_dma_translation(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	dma_key = 1ull << 62;
	cfg.dma = xor_dma;
	cfg.dma_arg = &dma_key;
	bring_up(&H, &cfg, 8);
	uint8_t *out = page_alloc(PAGE), *in = page_alloc(PAGE);
	fill(out, PAGE, 5);
	struct nvme_sqe s = sqe_of(NVME_CMD_WRITE, 1, 3, 0);
	s.cdw12 = 7;
	s.prp1 = bus(out);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	s.opcode = NVME_CMD_READ;
	s.prp1 = bus(in);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_memory_equal(in, out, PAGE);
	/* an untranslatable address: data transfer error */
	s.prp1 = (uint64_t)(uintptr_t)in;
	assert_int_equal(cmd(&H, 1, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_DATA_XFER_ERROR, 0));
	free(out);
	free(in);
}

static void test_phase_flip_on_wraparound(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 4);
	for (unsigned i = 0; i < 11; i++) {
		struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
		bool phase_before = H.q[1].phase;
		uint16_t slot = H.q[1].cq_head;
		struct nvme_cqe c;
		assert_int_equal(cmd(&H, 1, &s, &c), 0);
		/* laps 0, 1, 2: P = 1, 0, 1 */
		assert_int_equal(NVME_CQE_PHASE(c.status), phase_before);
		assert_int_equal(NVME_CQE_PHASE(c.status), ((i / 4) & 1) == 0);
		assert_int_equal(slot, i % 4);
		assert_int_equal(c.sq_head, (i + 1) % 4);
		assert_int_equal(c.cid, i);
	}
	assert_int_equal(stats(&H).flushes, 11);
}

static void test_cq_full_holds_back(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	host_init(&H, &cfg);
	host_enable(&H);
	set_queues(&H, 2);
	hq_alloc(&H.q[1], 8, 4); /* the CQ holds 3 */
	assert_int_equal(create_cq(&H, 1, 4, false, 0), 0);
	assert_int_equal(create_sq(&H, 1, 8, 1), 0);
	unsigned long admin = stats(&H).commands;
	for (unsigned i = 0; i < 6; i++) {
		struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
		submit(&H, 1, &s, i == 5); /* one doorbell for the batch */
	}
	fake_nvme_process(H.f);
	assert_int_equal(stats(&H).commands - admin, 3);
	struct nvme_cqe c;
	unsigned got = 0;
	while (reap(&H, 1, &c))
		got++;
	assert_int_equal(got, 3);
	fake_nvme_process(H.f);
	while (reap(&H, 1, &c))
		got++;
	assert_int_equal(got, 6);
	assert_int_equal(c.sq_head, 6);
	assert_int_equal(stats(&H).cq_overflows, 0);
	assert_int_equal(stats(&H).sq_db[1], 1);
	assert_int_equal(H.irqs[0] > 0, 1);
	assert_int_equal(H.irqs[1], 0); /* IEN clear: no interrupt */
}

static void test_optional_nvm_commands(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 16);
	uint8_t *disk = fake_nvme_disk(H.f, 1);
	fill(disk, 64 * 512, 3);

	struct nvme_sqe s = rw(NVME_CMD_WRITE_ZEROES, 1, 4, 4, NULL, 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	uint8_t zero[4 * 512] = { 0 };
	assert_memory_equal(disk + 4 * 512, zero, sizeof(zero));
	assert_int_not_equal(disk[3 * 512], 0);

	struct nvme_dsm_range *r = page_alloc(PAGE);
	r[0] = (struct nvme_dsm_range){ 0, 2, 10 };
	r[1] = (struct nvme_dsm_range){ 0, 3, 20 };
	s = sqe_of(NVME_CMD_DSM, 1, 1 /* 2 ranges */, NVME_DSMGMT_AD);
	prps_for(&s, r, 2 * sizeof(*r));
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_memory_equal(disk + 10 * 512, zero, 2 * 512);
	assert_memory_equal(disk + 20 * 512, zero, 3 * 512);
	assert_int_not_equal(disk[12 * 512 + 1], 0);

	s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	s = sqe_of(NVME_CMD_FLUSH, 0xffffffffu, 0, 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	struct fake_nvme_stats st = stats(&H);
	assert_int_equal(st.write_zeroes, 1);
	assert_int_equal(st.dsms, 1);
	assert_int_equal(st.flushes, 2);
	free(r);
}

static void test_optional_commands_refused_when_absent(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.oncs = 0;
	cfg.oacs = 0;
	bring_up(&H, &cfg, 16);
	const uint16_t inv = FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, 1);
	struct nvme_sqe s = rw(NVME_CMD_WRITE_ZEROES, 1, 0, 1, NULL, 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), inv);
	s = sqe_of(NVME_CMD_DSM, 1, 0, NVME_DSMGMT_AD);
	assert_int_equal(cmd(&H, 1, &s, NULL), inv);
	s = sqe_of(NVME_ADMIN_DBBUF_CONFIG, 0, 0, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), inv);
}

static void test_range_and_mdts(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.mdts = 1; /* 2 pages of 4 KiB */
	bring_up(&H, &cfg, 16);
	uint8_t *buf = page_alloc(3 * PAGE);
	struct nvme_sqe s = rw(NVME_CMD_READ, 1, 2047, 2, buf, 1024);
	assert_int_equal(cmd(&H, 1, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE, 1));
	s = rw(NVME_CMD_READ, 1, 2047, 1, buf, 512);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	s = rw(NVME_CMD_READ, 2, 0, 1, buf, 512);
	assert_int_equal(cmd(&H, 1, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_INVALID_NS, 1));
	s = rw(NVME_CMD_READ, 1, 0, 16, buf, 2 * PAGE);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	s = rw(NVME_CMD_READ, 1, 0, 17, buf, 2 * PAGE + 512);
	assert_int_equal(cmd(&H, 1, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, 1));
	/* a list entry with an offset */
	s = rw(NVME_CMD_READ, 1, 0, 16, buf, 2 * PAGE);
	s.prp2 += 512;
	assert_int_equal(cmd(&H, 1, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_PRP_OFFSET, 1));
	free(buf);
}

static void test_log_pages(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 16);
	uint8_t *buf = page_alloc(PAGE);
	for (unsigned i = 0; i < 3; i++) {
		struct nvme_sqe s = rw(NVME_CMD_WRITE, 1, i, 1, buf, 512);
		assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	}
	struct nvme_sqe bad = rw(NVME_CMD_READ, 1, 5000, 1, buf, 512);
	uint16_t bad_cid = H.q[1].cid;
	assert_int_not_equal(cmd(&H, 1, &bad, NULL), 0);
	fake_nvme_set_smart(H.f, 0x02, 350);

	struct nvme_sqe s = sqe_of(NVME_ADMIN_GET_LOG_PAGE, 0xffffffffu, (512 / 4 - 1) << 16 | NVME_LOG_SMART, 0);
	s.prp1 = bus(buf);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	const struct nvme_smart_log *sl = (const void *)buf;
	assert_int_equal(sl->critical_warning, 0x02);
	assert_int_equal(sl->temperature[0] | sl->temperature[1] << 8, 350);
	assert_int_equal(sl->host_writes[0], 3);
	assert_int_equal(sl->data_units_written[0], 3);
	assert_int_equal(sl->num_err_log_entries[0], 1);

	s = sqe_of(NVME_ADMIN_GET_LOG_PAGE, 0, (2 * 64 / 4 - 1) << 16 | NVME_LOG_ERROR, 0);
	s.prp1 = bus(buf);
	memset(buf, 0xee, PAGE);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	const struct fake_nvme_error_entry *e = (const void *)buf;
	assert_int_equal(e[0].error_count, 1);
	assert_int_equal(e[0].sqid, 1);
	assert_int_equal(e[0].cid, bad_cid);
	assert_int_equal(e[0].status, FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE, 1));
	assert_int_equal(e[1].error_count, 0);
	assert_int_equal(buf[128], 0xee); /* exactly NUMD dwords */

	s = sqe_of(NVME_ADMIN_GET_LOG_PAGE, 0, 0x7f << 16 | 0x42, 0);
	s.prp1 = bus(buf);
	assert_int_equal(cmd(&H, 0, &s, NULL),
			 FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_LOG_PAGE, 1));
	free(buf);
}

static void test_async_events(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.aerl = 1; /* two outstanding */
	host_init(&H, &cfg);
	host_enable(&H);
	struct nvme_cqe c;
	struct nvme_sqe s = sqe_of(NVME_ADMIN_ASYNC_EVENT, 0, 0, 0);
	uint16_t a = submit(&H, 0, &s, true);
	uint16_t b = submit(&H, 0, &s, true);
	fake_nvme_process(H.f);
	assert_false(reap(&H, 0, &c));
	assert_int_equal(fake_nvme_outstanding(H.f), 2);
	assert_int_equal(cmd(&H, 0, &s, NULL), FAKE_NVME_STATUS(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_AER_LIMIT, 1));

	fake_nvme_async_event(H.f, 1 /* SMART/health */, 0, NVME_LOG_SMART);
	fake_nvme_process(H.f);
	assert_true(reap(&H, 0, &c));
	assert_int_equal(c.cid, a);
	assert_int_equal(c.result, NVME_LOG_SMART << 16 | 1);
	assert_int_equal(status_of(&c), 0);
	assert_false(reap(&H, 0, &c));

	/* events queue while no AER is outstanding */
	fake_nvme_async_event(H.f, 2, 1, 3);
	fake_nvme_async_event(H.f, 2, 2, 3);
	fake_nvme_process(H.f);
	assert_true(reap(&H, 0, &c));
	assert_int_equal(c.cid, b);
	assert_int_equal(c.result, 3 << 16 | 1 << 8 | 2);
	uint16_t d = submit(&H, 0, &s, true);
	fake_nvme_process(H.f);
	assert_true(reap(&H, 0, &c));
	assert_int_equal(c.cid, d);
	assert_int_equal(c.result, 3 << 16 | 2 << 8 | 2);
	assert_int_equal(fake_nvme_outstanding(H.f), 0);
}

/* ---- misbehaviours ---- */

static void test_lost_completion_then_abort(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 16);
	uint8_t *buf = page_alloc(PAGE);
	fill(buf, 512, 9);
	struct fake_nvme_fault ft = { .kind = FAKE_FAULT_LOSE, .nth = 2, .sqid = 1 };
	fake_nvme_inject(H.f, &ft);
	struct nvme_sqe s = rw(NVME_CMD_WRITE, 1, 9, 1, buf, 512);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0); /* the 1st goes through */
	uint16_t lost = submit(&H, 1, &s, true);
	fake_nvme_process(H.f);
	struct nvme_cqe c;
	assert_false(reap(&H, 1, &c));
	assert_int_equal(fake_nvme_outstanding(H.f), 1);
	assert_int_equal(stats(&H).faults_fired, 1);
	assert_memory_equal(fake_nvme_disk(H.f, 1) + 9 * 512, buf, 512); /* it was executed */

	/* Abort finds it: the command completes "abort requested", Abort says done */
	s = sqe_of(NVME_ADMIN_ABORT, 0, (uint32_t)lost << 16 | 1, 0);
	assert_int_equal(cmd(&H, 0, &s, &c), 0);
	assert_int_equal(c.result & 1, 0);
	assert_true(reap(&H, 1, &c));
	assert_int_equal(c.cid, lost);
	assert_int_equal(status_of(&c), FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_ABORT_REQ, 0));
	/* nothing left to abort */
	s = sqe_of(NVME_ADMIN_ABORT, 0, (uint32_t)lost << 16 | 1, 0);
	assert_int_equal(cmd(&H, 0, &s, &c), 0);
	assert_int_equal(c.result & 1, 1);
	assert_int_equal(stats(&H).aborts, 1);

	/* unabortable: the device forgets it */
	ft = (struct fake_nvme_fault){ .kind = FAKE_FAULT_LOSE, .nth = 1, .any_sq = true, .unabortable = true };
	fake_nvme_inject(H.f, &ft);
	s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	lost = submit(&H, 1, &s, true);
	fake_nvme_process(H.f);
	assert_false(reap(&H, 1, &c));
	assert_int_equal(fake_nvme_outstanding(H.f), 0);
	s = sqe_of(NVME_ADMIN_ABORT, 0, (uint32_t)lost << 16 | 1, 0);
	assert_int_equal(cmd(&H, 0, &s, &c), 0);
	assert_int_equal(c.result & 1, 1);
	free(buf);
}

static void test_delete_sq_completes_held(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 16);
	struct fake_nvme_fault ft = { .kind = FAKE_FAULT_LOSE, .nth = 1, .sqid = 1 };
	fake_nvme_inject(H.f, &ft);
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	uint16_t lost = submit(&H, 1, &s, true);
	fake_nvme_process(H.f);
	s = sqe_of(NVME_ADMIN_DELETE_SQ, 0, 1, 0);
	assert_int_equal(cmd(&H, 0, &s, NULL), 0);
	struct nvme_cqe c;
	assert_true(reap(&H, 1, &c));
	assert_int_equal(c.cid, lost);
	assert_int_equal(status_of(&c), FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_SQ_DELETED, 0));
}

/* One faulted flush on SQ 1; returns the bogus CQE (asserting there is one). */
static uint16_t faulted(enum fake_nvme_fault_kind kind, uint16_t value, struct nvme_cqe *c)
{
	struct fake_nvme_fault ft = { .kind = kind, .nth = 1, .sqid = 1, .value = value };
	fake_nvme_inject(H.f, &ft);
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	uint16_t cid = submit(&H, 1, &s, true);
	fake_nvme_process(H.f);
	assert_true(reap(&H, 1, c));
	return cid;
}

static void test_bad_completions(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 8);
	struct nvme_cqe c;
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	assert_int_equal(cmd(&H, 1, &s, &c), 0);
	uint16_t prev = c.cid;

	uint16_t cid = faulted(FAKE_FAULT_BAD_CID, 0xbeef, &c);
	assert_int_equal(c.cid, 0xbeef);
	assert_int_equal(c.sq_id, 1);
	assert_int_not_equal(cid, 0xbeef);

	/* stale: the cid of the previous completion on SQ 1 (prev, the last good one) */
	cid = faulted(FAKE_FAULT_STALE_CID, 0, &c);
	assert_int_equal(c.cid, prev);
	assert_int_not_equal(cid, prev);

	cid = faulted(FAKE_FAULT_BAD_SQID, 7, &c);
	assert_int_equal(c.cid, cid);
	assert_int_equal(c.sq_id, 7);

	cid = faulted(FAKE_FAULT_BAD_SQHEAD, 200, &c);
	assert_int_equal(c.cid, cid);
	assert_int_equal(c.sq_head, 200); /* beyond an 8-entry SQ */

	/* each true completion is still outstanding */
	assert_int_equal(fake_nvme_outstanding(H.f), 4);

	/* a given status, DNR set, nothing executed */
	uint8_t *buf = page_alloc(PAGE);
	struct fake_nvme_fault ft = { .kind = FAKE_FAULT_STATUS, .nth = 1, .sqid = 1,
				      .value = FAKE_NVME_STATUS(FAKE_SCT_MEDIA, FAKE_SC_UNRECOVERED_READ, 1) };
	fake_nvme_inject(H.f, &ft);
	s = rw(NVME_CMD_WRITE, 1, 0, 1, buf, 512);
	fill(buf, 512, 4);
	assert_int_equal(cmd(&H, 1, &s, &c), FAKE_NVME_STATUS(FAKE_SCT_MEDIA, FAKE_SC_UNRECOVERED_READ, 1));
	assert_int_equal(NVME_CQE_SCT(c.status), FAKE_SCT_MEDIA);
	assert_int_equal(NVME_CQE_SC(c.status), FAKE_SC_UNRECOVERED_READ);
	assert_int_equal(NVME_CQE_DNR(c.status), 1);
	assert_int_equal(fake_nvme_disk(H.f, 1)[0], 0);
	assert_int_equal(stats(&H).writes, 0);
	assert_int_equal(stats(&H).faults_fired, 5);
	free(buf);
}

static void test_fault_counts_only_its_sq(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 8);
	struct fake_nvme_fault ft = { .kind = FAKE_FAULT_STATUS, .nth = 3, .sqid = 1,
				      .value = FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, 0) };
	fake_nvme_inject(H.f, &ft);
	struct nvme_sqe s = sqe_of(NVME_ADMIN_GET_FEATURES, 0, NVME_FEAT_NUM_QUEUES, 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(cmd(&H, 0, &s, NULL), 0); /* admin commands do not count */
	s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	assert_int_equal(cmd(&H, 1, &s, NULL), FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, 0));
	assert_int_equal(cmd(&H, 1, &s, NULL), 0);
}

static void test_never_ready(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	host_init(&H, &cfg);
	fake_nvme_set_never_ready(H.f, true);
	host_enable_noWait(&H);
	assert_false(wait_csts(&H, NVME_CSTS_RDY, NVME_CSTS_RDY, 50));
	fake_nvme_set_never_ready(H.f, false);
	assert_true(wait_csts(&H, NVME_CSTS_RDY, NVME_CSTS_RDY, 2));
}

static void test_fatal_status(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 8);
	fake_nvme_set_fatal(H.f, true);
	assert_true(H.regs->csts & NVME_CSTS_CFS);
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	submit(&H, 1, &s, true);
	fake_nvme_process(H.f);
	struct nvme_cqe c;
	assert_false(reap(&H, 1, &c));
	/* a reset does not clear it while the fault lasts */
	H.regs->cc &= ~NVME_CC_EN;
	assert_true(wait_csts(&H, NVME_CSTS_RDY, 0, 2));
	assert_true(H.regs->csts & NVME_CSTS_CFS);
	fake_nvme_set_fatal(H.f, false);
	assert_false(H.regs->csts & NVME_CSTS_CFS);
}

static void test_dead_reads_all_ones(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 8);
	fake_nvme_set_dead(H.f);
	assert_int_equal(H.regs->csts, 0xffffffffu);
	assert_int_equal(H.regs->cap, UINT64_MAX);
	H.regs->cc = 0; /* writes go nowhere */
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	submit(&H, 1, &s, true);
	fake_nvme_process(H.f);
	assert_int_equal(H.regs->cc, 0xffffffffu);
	assert_int_equal(H.regs->csts, 0xffffffffu);
	struct nvme_cqe c;
	assert_false(reap(&H, 1, &c));
}

static void test_shutdown(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 8);
	H.regs->cc = (H.regs->cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL;
	assert_true(wait_csts(&H, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_CMPLT, 2));
	assert_int_equal(stats(&H).shutdowns, 1);
	/* a reset brings it back */
	H.regs->cc = 0;
	assert_true(wait_csts(&H, NVME_CSTS_RDY | NVME_CSTS_SHST_MASK, 0, 2));
}

static void test_reset_drops_queues(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 8);
	struct nvme_sqe s = sqe_of(NVME_ADMIN_ASYNC_EVENT, 0, 0, 0);
	submit(&H, 0, &s, true);
	fake_nvme_process(H.f);
	assert_int_equal(fake_nvme_outstanding(H.f), 1);
	H.regs->cc &= ~NVME_CC_EN;
	assert_true(wait_csts(&H, NVME_CSTS_RDY, 0, 2));
	assert_int_equal(fake_nvme_outstanding(H.f), 0);
	free(H.q[0].sq);
	free(H.q[0].cq);
	memset(&H.q[0], 0, sizeof(H.q[0]));
	host_enable(&H);
	/* SQ 1 is gone: its doorbell is refused */
	unsigned long bad = stats(&H).bad_doorbells;
	s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	submit(&H, 1, &s, true);
	fake_nvme_process(H.f);
	assert_int_equal(stats(&H).bad_doorbells, bad + 1);
}

static void test_doorbell_counters(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	bring_up(&H, &cfg, 32);
	struct fake_nvme_stats before = stats(&H);
	assert_int_equal(H.regs->cc & NVME_CC_EN, NVME_CC_EN);
	assert_int_equal(*db(&H, 1, false), FAKE_NVME_DB_IDLE);
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(cmd(&H, 1, &s, NULL), 0);
	for (unsigned i = 0; i < 8; i++)
		submit(&H, 1, &s, i == 7);
	fake_nvme_process(H.f);
	struct nvme_cqe c;
	for (unsigned i = 0; i < 8; i++)
		assert_true(reap(&H, 1, &c));
	fake_nvme_process(H.f);
	struct fake_nvme_stats st = stats(&H);
	assert_int_equal(st.sq_db[1], 6);
	/* 5 head writes one pass apart, then 8 between two passes: seen as one */
	assert_int_equal(st.cq_db[1], 6);
	assert_int_equal(st.commands - before.commands, 13);
	assert_int_equal(st.completions - before.completions, 13);
	assert_int_equal(st.sq_doorbells - before.sq_doorbells, 6);
}

/* ---- shadow doorbells ---- */

static bool need_event(uint16_t ei, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - ei - 1) < (uint16_t)(new_idx - old);
}

static unsigned stride_words(struct host *h)
{
	return 1u << h->dstrd;
}

/* Host side of §5.8: write the shadow, ring MMIO only if EventIdx asks. */
static bool shadow_submit(struct host *h, unsigned qid, struct nvme_sqe *sqe)
{
	struct hq *q = &h->q[qid];
	uint16_t old = q->sq_tail;
	submit(h, qid, sqe, false);
	uint32_t *shadow = &h->dbs[2 * qid * stride_words(h)];
	uint32_t *ei = &h->eis[2 * qid * stride_words(h)];
	__atomic_store_n(shadow, q->sq_tail, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (need_event((uint16_t)__atomic_load_n(ei, __ATOMIC_RELAXED), q->sq_tail, old)) {
		*db(h, qid, false) = q->sq_tail;
		return true;
	}
	return false;
}

static void shadow_reap_all(struct host *h, unsigned qid, unsigned *n)
{
	struct hq *q = &h->q[qid];
	struct nvme_cqe c;
	volatile struct nvme_cqe *e;
	for (;;) {
		e = &q->cq[q->cq_head];
		if (NVME_CQE_PHASE(__atomic_load_n(&e->status, __ATOMIC_ACQUIRE)) != q->phase)
			break;
		memcpy(&c, (const void *)e, sizeof(c));
		assert_int_equal(status_of(&c), 0);
		if (++q->cq_head == q->cq_size) {
			q->cq_head = 0;
			q->phase = !q->phase;
		}
		(*n)++;
	}
	h->dbs[(2 * qid + 1) * stride_words(h)] = q->cq_head; /* shadow only */
}

static void dbbuf_setup(struct host *h, enum fake_nvme_eventidx policy, uint16_t depth)
{
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.eventidx = policy;
	cfg.dstrd = 1;
	host_init(h, &cfg);
	host_enable(h);
	set_queues(h, 2);
	h->dbs = page_alloc(PAGE);
	h->eis = page_alloc(PAGE);
	struct nvme_sqe s = sqe_of(NVME_ADMIN_DBBUF_CONFIG, 0, 0, 0);
	s.prp1 = bus(h->dbs);
	s.prp2 = bus(h->eis);
	assert_int_equal(cmd(h, 0, &s, NULL), 0);
	queue_pair(h, 1, depth);
}

static void test_shadow_doorbells_eventidx(void **state)
{
	(void)state;
	dbbuf_setup(&H, FAKE_EVENTIDX_SEEN, 16);
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	unsigned done = 0;

	/* the first entry rings; while the device has not looked, the rest do not */
	assert_true(shadow_submit(&H, 1, &s));
	assert_false(shadow_submit(&H, 1, &s));
	assert_false(shadow_submit(&H, 1, &s));
	fake_nvme_process(H.f);
	shadow_reap_all(&H, 1, &done);
	assert_int_equal(done, 3);
	assert_int_equal(H.eis[2 * stride_words(&H)], 3); /* EventIdx: the tail it has seen */

	/* a host that skips a needed doorbell is not rescued: the device does
	 * not look, and EventIdx stays behind so later entries do not ring */
	submit(&H, 1, &s, false);
	H.dbs[2 * stride_words(&H)] = H.q[1].sq_tail;
	for (unsigned i = 0; i < 3; i++)
		fake_nvme_process(H.f);
	shadow_reap_all(&H, 1, &done);
	assert_int_equal(done, 3);
	assert_false(shadow_submit(&H, 1, &s));
	fake_nvme_process(H.f);
	shadow_reap_all(&H, 1, &done);
	assert_int_equal(done, 3);
	/* an MMIO write gets the device going and it takes both */
	*db(&H, 1, false) = H.q[1].sq_tail;
	fake_nvme_process(H.f);
	shadow_reap_all(&H, 1, &done);
	assert_int_equal(done, 5);

	/* many rounds through the 16-entry queue: one MMIO write per batch */
	for (unsigned round = 0; round < 20; round++) {
		unsigned rang = 0;
		for (unsigned i = 0; i < 5; i++)
			rang += shadow_submit(&H, 1, &s);
		assert_int_equal(rang, 1);
		fake_nvme_process(H.f);
		shadow_reap_all(&H, 1, &done);
	}
	assert_int_equal(done, 105);
	struct fake_nvme_stats st = stats(&H);
	assert_int_equal(st.sq_db[1], 22);
	assert_int_equal(st.cq_db[1], 0); /* the CQ never filled: its head doorbell is never needed */
	assert_int_equal(st.bad_doorbells, 0);
}

static void test_shadow_doorbells_polling_device(void **state)
{
	(void)state;
	dbbuf_setup(&H, FAKE_EVENTIDX_POLLING, 8);
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	unsigned done = 0, rang = 0;
	fake_nvme_process(H.f); /* the device publishes its EventIdx */
	for (unsigned i = 0; i < 100; i++) {
		rang += shadow_submit(&H, 1, &s);
		fake_nvme_process(H.f);
		shadow_reap_all(&H, 1, &done);
	}
	assert_int_equal(done, 100);
	assert_int_equal(rang, 0);
	assert_int_equal(stats(&H).sq_db[1], 0);
	assert_true(stats(&H).shadow_reads >= 100);
}

/* The CQ head through the shadow: a full CQ waits until the host's shadow
 * head frees room. */
static void test_shadow_cq_head(void **state)
{
	(void)state;
	dbbuf_setup(&H, FAKE_EVENTIDX_SEEN, 4);
	struct nvme_sqe s = sqe_of(NVME_CMD_FLUSH, 1, 0, 0);
	unsigned done = 0;
	for (unsigned i = 0; i < 3; i++)
		shadow_submit(&H, 1, &s);
	fake_nvme_process(H.f);
	shadow_reap_all(&H, 1, &done); /* CQ full on the device's side until it reads the shadow */
	assert_int_equal(done, 3);
	for (unsigned i = 0; i < 3; i++)
		shadow_submit(&H, 1, &s);
	fake_nvme_process(H.f);
	shadow_reap_all(&H, 1, &done);
	assert_int_equal(done, 6);
	assert_int_equal(stats(&H).cq_db[1], 0);
	assert_int_equal(stats(&H).cq_overflows, 0);
}

/* ---- the device thread ---- */

static bool wait_reg(volatile uint32_t *reg, uint32_t mask, uint32_t want, long ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((*reg & mask) == want)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return false;
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_thread_ready_delay(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	cfg.ready_delay_us = 30000;
	host_init(&H, &cfg);
	fake_nvme_start(H.f);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	host_enable_noWait(&H);
	assert_true(wait_reg(&H.regs->csts, NVME_CSTS_RDY, NVME_CSTS_RDY, 2000));
	assert_true(ms_since(&t0) >= 30);
	H.regs->cc &= ~NVME_CC_EN;
	assert_true(wait_reg(&H.regs->csts, NVME_CSTS_RDY, 0, 2000));
	fake_nvme_stop(H.f);
}

/* Waits for one completion on qid with the device thread running. */
static void wait_cqe(struct host *h, unsigned qid, struct nvme_cqe *c)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!reap(h, qid, c)) {
		assert_true(ms_since(&t0) < 5000);
		struct timespec ts = { 0, 10000 };
		nanosleep(&ts, NULL);
	}
}

static uint16_t thread_cmd(struct host *h, unsigned qid, struct nvme_sqe *s)
{
	struct nvme_cqe c;
	uint16_t cid = submit(h, qid, s, true);
	wait_cqe(h, qid, &c);
	assert_int_equal(c.cid, cid);
	return status_of(&c);
}

static void test_thread_io(void **state)
{
	(void)state;
	struct fake_nvme_config cfg;
	fake_nvme_default_config(&cfg);
	host_init(&H, &cfg);
	fake_nvme_start(H.f);
	host_enable_noWait(&H);
	assert_true(wait_reg(&H.regs->csts, NVME_CSTS_RDY, NVME_CSTS_RDY, 2000));
	struct nvme_sqe s = sqe_of(NVME_ADMIN_SET_FEATURES, 0, NVME_FEAT_NUM_QUEUES, 0);
	assert_int_equal(thread_cmd(&H, 0, &s), 0);
	hq_alloc(&H.q[1], 8, 8);
	s = sqe_of(NVME_ADMIN_CREATE_CQ, 0, 7u << 16 | 1, NVME_QUEUE_PHYS_CONTIG | NVME_CQ_IRQ_ENABLED | NVME_CQ_IV(1));
	s.prp1 = bus(H.q[1].cq);
	assert_int_equal(thread_cmd(&H, 0, &s), 0);
	s = sqe_of(NVME_ADMIN_CREATE_SQ, 0, 7u << 16 | 1, NVME_QUEUE_PHYS_CONTIG | NVME_SQ_CQID(1));
	s.prp1 = bus(H.q[1].sq);
	assert_int_equal(thread_cmd(&H, 0, &s), 0);

	uint8_t *out = page_alloc(4 * PAGE), *in = page_alloc(4 * PAGE);
	for (unsigned i = 0; i < 50; i++) {
		fill(out, 4 * PAGE, i);
		uint64_t lba = (i * 8) % 2000;
		s = rw(NVME_CMD_WRITE, 1, lba, 24, out + 512, 24 * 512);
		assert_int_equal(thread_cmd(&H, 1, &s), 0);
		s = rw(NVME_CMD_READ, 1, lba, 24, in, 24 * 512);
		assert_int_equal(thread_cmd(&H, 1, &s), 0);
		assert_memory_equal(in, out + 512, 24 * 512);
	}
	fake_nvme_stop(H.f);
	assert_int_equal(__atomic_load_n(&H.irqs[1], __ATOMIC_RELAXED) > 0, 1);
	assert_int_equal(stats(&H).reads, 50);
	free(out);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_registers_enable_disable, teardown),
		cmocka_unit_test_teardown(test_identify, teardown),
		cmocka_unit_test_teardown(test_set_features_and_queue_errors, teardown),
		cmocka_unit_test_teardown(test_write_then_read_back, teardown),
		cmocka_unit_test_teardown(test_chained_prp_list, teardown),
		cmocka_unit_test_teardown(test_dma_translation, teardown),
		cmocka_unit_test_teardown(test_phase_flip_on_wraparound, teardown),
		cmocka_unit_test_teardown(test_cq_full_holds_back, teardown),
		cmocka_unit_test_teardown(test_optional_nvm_commands, teardown),
		cmocka_unit_test_teardown(test_optional_commands_refused_when_absent, teardown),
		cmocka_unit_test_teardown(test_range_and_mdts, teardown),
		cmocka_unit_test_teardown(test_log_pages, teardown),
		cmocka_unit_test_teardown(test_async_events, teardown),
		cmocka_unit_test_teardown(test_lost_completion_then_abort, teardown),
		cmocka_unit_test_teardown(test_delete_sq_completes_held, teardown),
		cmocka_unit_test_teardown(test_bad_completions, teardown),
		cmocka_unit_test_teardown(test_fault_counts_only_its_sq, teardown),
		cmocka_unit_test_teardown(test_never_ready, teardown),
		cmocka_unit_test_teardown(test_fatal_status, teardown),
		cmocka_unit_test_teardown(test_dead_reads_all_ones, teardown),
		cmocka_unit_test_teardown(test_shutdown, teardown),
		cmocka_unit_test_teardown(test_reset_drops_queues, teardown),
		cmocka_unit_test_teardown(test_doorbell_counters, teardown),
		cmocka_unit_test_teardown(test_shadow_doorbells_eventidx, teardown),
		cmocka_unit_test_teardown(test_shadow_doorbells_polling_device, teardown),
		cmocka_unit_test_teardown(test_shadow_cq_head, teardown),
		cmocka_unit_test_teardown(test_thread_ready_delay, teardown),
		cmocka_unit_test_teardown(test_thread_io, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
