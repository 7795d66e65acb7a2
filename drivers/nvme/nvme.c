/*
 * NVMe over PCIe (NVMe base spec 2.0 §3.5 controller initialisation, §4
 * queues): bring-up, Identify, one interrupt-driven I/O queue pair per
 * default queue with its own MSI-X vector (spread over the CPUs like Linux's
 * nvme-pci), optional read and poll queues, and the blk-mq ops that turn a
 * request into one SQ entry. Admin commands are synchronous and polled.
 *
 * Command line: nvme.poll_queues, nvme.write_queues (when set, reads get
 * queues of their own through the READ map), nvme.io_queue_depth,
 * nvme.io_timeout_ms, nvme.admin_timeout_ms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/io.h"
#include "blk/blk_env.h"
#include "drivers/nvme/nvme.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/percpu.h"
#include "kernel/power.h"
#include "kernel/smp.h"
#include "kernel/time.h"

#define PAGE_BYTES 4096u
#define READY_POLL_US 100
#define DEFAULT_IO_DEPTH 256
#define MSEC 1000000ull

static struct nvme_ctrl *ctrls[NVME_MAX_CTRLS];
static unsigned nr_ctrls;

/* ---- registers ---- */

static uint64_t read_cap(volatile struct nvme_regs *r)
{
	/* two 32-bit reads: not every platform splits a 64-bit MMIO read correctly */
	volatile uint32_t *p = (volatile uint32_t *)&r->cap;
	return mmio_read32(&p[0]) | (uint64_t)mmio_read32(&p[1]) << 32;
}

static void write64(volatile uint64_t *reg, uint64_t v)
{
	volatile uint32_t *p = (volatile uint32_t *)reg;
	mmio_write32(&p[0], (uint32_t)v);
	mmio_write32(&p[1], (uint32_t)(v >> 32));
}

static volatile uint32_t *doorbell(struct nvme_ctrl *c, unsigned qid, bool cq)
{
	return (volatile uint32_t *)(c->bar + NVME_REG_DBS + (2 * qid + (cq ? 1 : 0)) * c->db_stride);
}

/* Waits for CSTS.RDY == want, bounded by CAP.TO; watches all-ones, and CFS
 * while enabling. Not while disabling: a controller with CFS set is the one
 * a reset must disable (§9.5), and clearing CC.EN still clears RDY. */
static int wait_ready(struct nvme_ctrl *c, bool want)
{
	uint64_t limit_ms = (uint64_t)(NVME_CAP_TO(c->cap) ? NVME_CAP_TO(c->cap) : 1) * NVME_TO_UNIT_MS;
	uint64_t end = uptime_ns() + limit_ms * MSEC;
	for (;;) {
		uint32_t csts = mmio_read32(&c->regs->csts);
		if (csts == 0xffffffffu) {
			kprintf("%s: registers read all ones: the device is gone\n", c->name);
			return -ENODEV;
		}
		if (want && (csts & NVME_CSTS_CFS)) {
			kprintf("%s: controller fatal status (CSTS %#x)\n", c->name, csts);
			return -EIO;
		}
		if (!!(csts & NVME_CSTS_RDY) == want)
			return 0;
		if (uptime_ns() > end) {
			kprintf("%s: CSTS.RDY did not become %d within CAP.TO (%llu ms)\n", c->name, want,
				(unsigned long long)limit_ms);
			return -ETIMEDOUT;
		}
		udelay(READY_POLL_US);
	}
}

/* ---- queues ---- */

/* DMA memory through blk/blk_env.h, which the host tests supply too:
 * 2^order zeroed, physically contiguous pages covering bytes. */
static unsigned dma_order(size_t bytes)
{
	unsigned order = 0;
	while (((size_t)PAGE_BYTES << order) < bytes)
		order++;
	return order;
}

static void *dma_alloc(size_t bytes, uint64_t *phys)
{
	void *p = blk_alloc_pages(dma_order(bytes));
	*phys = p ? blk_virt_to_phys(p) : 0;
	return p;
}

static void dma_free(void *p, size_t bytes) { blk_free_pages(p, dma_order(bytes)); }

/* Empty rings, as after creation: the controller's view restarts at 0. */
static void queue_reset_state(struct nvme_queue *q)
{
	q->sq_base_count = nvme_queue_submitted(q); /* the counts go on from the positions reached */
	q->cq_base_count += (uint64_t)q->cq_laps * q->depth + q->cq_head;
	q->sq_laps = q->cq_laps = 0;
	memset(q->sq, 0, (size_t)q->depth * sizeof(struct nvme_sqe));
	memset((void *)q->cq, 0, (size_t)q->depth * sizeof(struct nvme_cqe));
	q->sq_tail = q->cq_head = 0;
	q->cq_phase = 1;
}

/* Keeps the queue's interrupt (set up before the queue exists). */
static int queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q, unsigned qid, uint16_t depth)
{
	int irq = q->irq, cq_cpu = q->cq_cpu;
	unsigned vector = q->vector;
	memset(q, 0, sizeof(*q));
	q->ctrl = c;
	q->qid = qid;
	q->sq_base = qid << 16;
	q->page_size = c->page_size;
	q->depth = depth;
	q->irq = irq;
	q->vector = vector;
	q->cq_cpu = irq >= 0 ? cq_cpu : -1; /* setup_irqs chose it */
	q->cq_phase = 1;
	q->sq = dma_alloc((size_t)depth * sizeof(struct nvme_sqe), &q->sq_phys);
	q->cq = dma_alloc((size_t)depth * sizeof(struct nvme_cqe), &q->cq_phys);
	q->sq_db = doorbell(c, qid, false);
	q->cq_db = doorbell(c, qid, true);
	return q->sq && q->cq ? 0 : -ENOMEM;
}

/* Whether the controller, which has seen up to event_idx, needs an MMIO
 * doorbell now that the value moves from old to new (the EventIdx rule of
 * Doorbell Buffer Config, §5.8: ring when new passes event_idx), i.e.
 * whether event_idx is one of old .. new - 1, counted modulo 2^16 from old. */
static bool need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(event_idx - old) < (uint16_t)(new_idx - old);
}

/* Writes a doorbell value, the SQ's tail or (cq) the CQ's head: to the
 * shadow buffer when there is one, and by MMIO only when the EventIdx asks
 * for it. A CQ's doorbells may be off (cq_doorbells_off: both pointers NULL,
 * read here, each once): then nothing is written. */
static inline __attribute__((always_inline)) void write_doorbell(struct nvme_queue *q, bool cq, uint16_t value)
{
	volatile uint32_t *shadow = cq ? __atomic_load_n(&q->shadow_cq, __ATOMIC_RELAXED) : q->shadow_sq;
	if (shadow) {
		uint16_t old = (uint16_t)*shadow;
		*shadow = value;
		q->shadow_writes++;
		mb(); /* the shadow value must be visible before we read EventIdx */
		if (!need_event((uint16_t)*(cq ? q->eventidx_cq : q->eventidx_sq), value, old))
			return;
	}
	volatile uint32_t *mmio = cq ? __atomic_load_n(&q->cq_db, __ATOMIC_RELAXED) : q->sq_db;
	if (cq && !mmio)
		return;
	mmio_write32(mmio, value);
	q->doorbells++;
}

/* Tells the controller about the SQ entries before tail, which the caller
 * (holding sq_lock) knows to be new. Inline: in the I/O path a call would
 * cost more than the doorbell itself. */
static inline __attribute__((always_inline)) void ring_sq_at(struct nvme_queue *q, uint16_t tail)
{
	dma_wmb(); /* the SQ entries must be visible before the doorbell (or its shadow) */
	write_doorbell(q, false, tail);
}

/* The SQ doorbell for every entry written so far (sq_lock held). Callers
 * ring when they have added entries or may have (commit_rqs, not while the
 * SQ is off): the same tail again costs nothing with shadow doorbells
 * (EventIdx asks for no MMIO), one redundant MMIO write without. */
static void ring_sq(struct nvme_queue *q) { ring_sq_at(q, q->sq_tail); }

static inline uint16_t sq_next(struct nvme_queue *q, uint16_t tail);

static void sq_push(struct nvme_queue *q, const struct nvme_sqe *sqe)
{
	q->sq[q->sq_tail] = *sqe;
	q->sq_tail = sq_next(q, q->sq_tail);
}

/* Whether a CQE's status word (at cq_head) is new: its phase bit is the
 * one the controller writes in this pass over the ring. */
static inline bool cqe_is_new(const struct nvme_queue *q, uint16_t status)
{
	return !((status ^ q->cq_phase) & 1);
}

static bool cqe_pending(const struct nvme_queue *q) { return cqe_is_new(q, q->cq[q->cq_head].status); }

static void cq_advance(struct nvme_queue *q)
{
	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->cq_phase ^= 1;
		q->cq_laps++;
	}
}

static blk_status_t status_to_blk(uint16_t status)
{
	if (NVME_CQE_SCT(status) == NVME_SCT_GENERIC && NVME_CQE_SC(status) == NVME_SC_SUCCESS)
		return BLK_STS_OK;
	if (NVME_CQE_SCT(status) == NVME_SCT_GENERIC && NVME_CQE_SC(status) == NVME_SC_LBA_RANGE)
		return BLK_STS_INVAL;
	return BLK_STS_IOERR;
}

/* ---- admin commands: synchronous, polled; Asynchronous Event Requests ---- */

#define NVME_AER_CID_BASE 0xf000 /* admin cids from here on are AERs; admin_sync's stay below */
#define NVME_MAX_AERS     4
#define AER_TYPE(r)       ((r) & 0x7)
#define AER_INFO(r)       (((r) >> 8) & 0xff)
#define AER_LOG_PAGE(r)   (((r) >> 16) & 0xff)
#define AER_TYPE_SMART    1

static void schedule_aer_work(struct nvme_ctrl *c, uint32_t result);
static void arm_aers(struct nvme_ctrl *c);

/* With the admin lock held. */
static void submit_aer(struct nvme_ctrl *c, unsigned slot)
{
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_ASYNC_EVENT, .cid = (uint16_t)(NVME_AER_CID_BASE + slot) };
	sq_push(&c->admin, &sqe);
	ring_sq(&c->admin);
	c->aers_outstanding++;
}

/* An admin completion that is not the one admin_sync waits for: an event, or bogus. */
static void other_admin_cqe(struct nvme_ctrl *c, const struct nvme_cqe *cqe)
{
	if (cqe->cid >= NVME_AER_CID_BASE && cqe->cid < NVME_AER_CID_BASE + NVME_MAX_AERS) {
		c->aers_outstanding--;
		if (NVME_CQE_SCT(cqe->status) == NVME_SCT_GENERIC && NVME_CQE_SC(cqe->status) == NVME_SC_SUCCESS)
			schedule_aer_work(c, cqe->result); /* reads the log page, then re-arms */
		return;
	}
	c->admin.bogus++;
}

static void reap_admin_events(struct nvme_ctrl *c)
{
	struct nvme_queue *q = &c->admin;
	while (cqe_pending(q)) {
		dma_rmb(); /* read the entry only after its phase bit said it is new */
		struct nvme_cqe cqe = q->cq[q->cq_head];
		cq_advance(q);
		mmio_write32(q->cq_db, q->cq_head);
		other_admin_cqe(c, &cqe);
	}
}

int nvme_admin_sync(struct nvme_ctrl *c, struct nvme_sqe *sqe, uint32_t *result)
{
	struct nvme_queue *q = &c->admin;
	static uint16_t next_cid;
	spin_lock(&c->admin_lock); /* interrupts stay on: the admin interrupt only tries this lock */
	uint16_t cid = sqe->cid = next_cid++ % NVME_AER_CID_BASE;
	sq_push(q, sqe);
	ring_sq(q);
	uint64_t end = uptime_ns() + c->admin_timeout_ns;
	int err = -ETIMEDOUT;
	while (uptime_ns() < end) {
		if (!cqe_pending(q)) {
			if (mmio_read32(&c->regs->csts) == 0xffffffffu) {
				err = -ENODEV;
				break;
			}
			cpu_relax();
			continue;
		}
		dma_rmb(); /* read the entry only after its phase bit said it is new */
		struct nvme_cqe cqe = q->cq[q->cq_head];
		cq_advance(q);
		mmio_write32(q->cq_db, q->cq_head);
		if (cqe.cid != cid) {
			other_admin_cqe(c, &cqe);
			continue;
		}
		if (result)
			*result = cqe.result;
		err = status_to_blk(cqe.status) == BLK_STS_OK ? 0 : -EIO;
		if (err)
			kprintf("%s: admin opcode %#x failed: status type %u code %#x\n", c->name, sqe->opcode,
				NVME_CQE_SCT(cqe.status), NVME_CQE_SC(cqe.status));
		break;
	}
	spin_unlock(&c->admin_lock);
	if (cqe_pending(q) && spin_trylock(&c->admin_lock)) { /* an event whose interrupt found us busy */
		reap_admin_events(c);
		spin_unlock(&c->admin_lock);
	}
	if (err == -ETIMEDOUT)
		kprintf("%s: admin opcode %#x timed out\n", c->name, sqe->opcode);
	return err;
}

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid, uint64_t buf_phys)
{
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = buf_phys, .cdw10 = cns };
	return nvme_admin_sync(c, &sqe, NULL);
}

static int create_cq(struct nvme_ctrl *c, struct nvme_queue *q)
{
	struct nvme_sqe sqe = {
		.opcode = NVME_ADMIN_CREATE_CQ, .prp1 = q->cq_phys,
		.cdw10 = ((uint32_t)(q->depth - 1) << 16) | q->qid,
		.cdw11 = NVME_QUEUE_PHYS_CONTIG | (q->irq >= 0 ? NVME_CQ_IRQ_ENABLED | NVME_CQ_IV(q->vector) : 0),
	};
	int err = nvme_admin_sync(c, &sqe, NULL);
	if (!err) /* it exists: its head may be written (again, after a reset) */
		__atomic_store_n(&q->cq_db, doorbell(c, q->qid, true), __ATOMIC_RELEASE);
	return err;
}

/* While a reset disables the controller, no I/O CQ head doorbell may be
 * written: the queues are going, and a write to one that is gone is an error
 * the controller reports. The reapers (an interrupt, the reset's drain) find
 * them off: both pointers NULL, which write_doorbell takes as nothing to
 * write, at no cost on its shadow path. create_cq turns the MMIO one on
 * again, dbbuf_config the shadow one. */
static void cq_doorbells_off(struct nvme_ctrl *c)
{
	for (unsigned qid = 1; qid <= c->nr_io; qid++) {
		__atomic_store_n(&c->queues[qid].shadow_cq, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&c->queues[qid].cq_db, NULL, __ATOMIC_RELEASE);
	}
}

/* Each I/O SQ's sq_off, under its lock: a CPU in queue_rq has it before or
 * after, never half-way. */
static void set_sq_off(struct nvme_ctrl *c, uint8_t off)
{
	for (unsigned qid = 1; qid <= c->nr_io; qid++) {
		struct nvme_queue *q = &c->queues[qid];
		uint64_t f = spin_lock_irqsave(&q->sq_lock);
		q->sq_off = off;
		spin_unlock_irqrestore(&q->sq_lock, f);
	}
}

static int create_sq(struct nvme_ctrl *c, struct nvme_queue *q)
{
	struct nvme_sqe sqe = {
		.opcode = NVME_ADMIN_CREATE_SQ, .prp1 = q->sq_phys,
		.cdw10 = ((uint32_t)(q->depth - 1) << 16) | q->qid,
		.cdw11 = NVME_QUEUE_PHYS_CONTIG | NVME_SQ_CQID(q->qid),
	};
	return nvme_admin_sync(c, &sqe, NULL);
}

/* ---- I/O completion ---- */

/* What cid_rqs holds for the tag bits of no tag: a request whose cid
 * (tag bits 0, generation 0) no CQE naming those bits can carry. */
static struct {
	struct request rq;
	struct nvme_cmd cmd;
} no_request;
_Static_assert(offsetof(__typeof__(no_request), cmd) == sizeof(struct request), "the command is the request's pdu");

/* The request a CQE names, if its SQ id and SQ head are possible and it
 * was submitted with exactly the CQE's cid (so a stale generation is no
 * match, nor tag bits that name no tag: their entry is no_request); NULL:
 * the CQE is bogus. The caller then
 * takes it out of flight (blk_mq_mark_complete), which a duplicate fails.
 * sq is the CQE's dword 2 (SQ id << 16 | SQ head): with sq_base = qid << 16,
 * sq - sq_base is the SQ head when the SQ id is q's, and at least 65536
 * (unsigned) when it is not, so one compare checks both. */
static inline struct request *cqe_request(const struct nvme_queue *q, unsigned cid, uint32_t sq)
{
	if (sq - q->sq_base >= q->depth)
		return NULL;
	struct request *rq = q->cid_rqs[cid & NVME_CID_TAG_MASK]; /* an entry for every value */
	const struct nvme_cmd *cmd = blk_mq_rq_to_pdu(rq);
	return cmd->cid == cid ? rq : NULL;
}

/* A CQE cqe_request refused, or whose request was not in flight (a
 * duplicate): dropped, counted and logged, never trusted.
 * Out of line, like the other rare cases: the reap loop stays small. */
__attribute__((noinline, cold)) static void drop_cqe(struct nvme_queue *q, uint16_t cid, uint16_t sq_id,
						     uint16_t sq_head)
{
	unsigned tag = cid & NVME_CID_TAG_MASK;
	q->bogus++;
	if (sq_id == q->qid && sq_head < q->depth && tag < q->nr_tags && blk_mq_request_started(q->rqs[tag])) {
		const struct nvme_cmd *cmd = blk_mq_rq_to_pdu(q->rqs[tag]);
		kprintf("%s: q%u: stale completion cid %#x (generation %u, expected %u) dropped\n", q->ctrl->name,
			q->qid, cid, cid >> NVME_CID_TAG_BITS, cmd->cid >> NVME_CID_TAG_BITS);
		return;
	}
	kprintf("%s: q%u: bogus completion cid %#x sq %u head %u dropped\n", q->ctrl->name, q->qid, cid, sq_id,
		sq_head);
}

/* The block-layer status of a CQE whose status is not plain success; a
 * failure is logged. */
__attribute__((noinline, cold)) static blk_status_t cqe_error(struct nvme_queue *q, const struct request *rq,
							      uint16_t status)
{
	blk_status_t st = status_to_blk(status);
	if (st)
		kprintf("%s: q%u: %s of %u bytes at sector %llu failed: status type %u code %#x%s\n", q->ctrl->name,
			q->qid, blk_op_name(rq->op), blk_rq_bytes(rq), (unsigned long long)blk_rq_pos(rq),
			NVME_CQE_SCT(status), NVME_CQE_SC(status), NVME_CQE_DNR(status) ? " (do not retry)" : "");
	return st;
}

/* A request leaves the driver (completed, failed, or handed back to blk-mq
 * by a reset), taken out of flight by the caller: its cid moves to the next
 * generation, the one its tag's next submission carries, so from here a
 * copy of its last CQE matches nothing; no Abort is pending for that next
 * one. Before the completion: its end_io may submit the next one at once. */
static inline void cmd_retire(struct nvme_cmd *cmd)
{
	cmd->cid += NVME_CID_GEN_STEP;
	cmd->aborted = false;
}

/* rq, out of flight now, is done with (nvme_queue_completed counts it):
 * its cid moves on. */
static inline void cqe_done(struct request *rq)
{
	struct nvme_cmd *cmd = blk_mq_rq_to_pdu(rq);
	cmd->retries = 0;
	cmd_retire(cmd);
}

/* The rest of the reap loop's cases, out of line: a CQE cqe_request
 * refused, one whose request is not simply in flight (timed out: completed
 * still; a duplicate: dropped), one with an error status. */
__attribute__((noinline, cold)) static void cqe_slow(struct nvme_queue *q, struct request *rq, unsigned cid,
						     uint32_t sq, uint16_t status, uint64_t now)
{
	if (!rq || !blk_mq_mark_complete(rq)) {
		drop_cqe(q, (uint16_t)cid, (uint16_t)(sq >> 16), (uint16_t)sq);
		return;
	}
	cqe_done(rq);
	blk_mq_end_request_at(rq, status & NVME_CQE_STATUS_MASK ? cqe_error(q, rq, status) : BLK_STS_OK, now);
}

/* One new entry (status: its status word, whose phase said it is new): its
 * request completed, with the pass's batch b (see blk_mq_comp_batch), or
 * alone when b is NULL (the pass's first). */
static inline __attribute__((always_inline)) void reap_cqe(struct nvme_queue *q, const volatile struct nvme_cqe *e,
							     uint16_t status, uint64_t now,
							     struct blk_mq_comp_batch *b)
{
	dma_rmb(); /* read the entry only after its phase bit said it is new */
	unsigned cid = e->cid;
	uint32_t sq = e->sq; /* sq_id << 16 | sq_head */
	cq_advance(q);
	struct request *rq = cqe_request(q, cid, sq);
	int in_flight = RQ_IN_FLIGHT; /* blk_mq_mark_complete's usual case; the rest in cqe_slow */
	if (__builtin_expect(rq != NULL, 1) && !(status & NVME_CQE_STATUS_MASK) &&
	    __builtin_expect(__atomic_compare_exchange_n(&rq->state, &in_flight, RQ_COMPLETE, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED), 1)) {
		cqe_done(rq);
		if (b)
			blk_mq_end_request_batch(rq, now, b);
		else
			blk_mq_end_request_at(rq, BLK_STS_OK, now);
	} else {
		cqe_slow(q, rq, cid, sq, status, now);
	}
}

/* Reaps every new entry, then writes the CQ head doorbell once (unless the
 * controller is being disabled: its queues are going, so there is nothing
 * to tell, and cq_doorbells_off has turned them off). Returns the number of
 * entries reaped, bogus ones included. The caller holds cq_lock with
 * interrupts off; a completion's end_io may submit (sq_lock) but never
 * reaps this CQ, so cq_head, cq_phase and the batch are ours. The pass's
 * first request is ended alone; those after it in one batch (q->batch),
 * whose tags are freed together at the end of the pass: a pass of one pays
 * nothing for the batch.
 * Inline, with the usual completion: the interrupt handler is its main
 * caller. */
static inline __attribute__((always_inline)) int reap_cq_locked(struct nvme_queue *q)
{
	const volatile struct nvme_cqe *e = &q->cq[q->cq_head];
	uint16_t status = e->status;
	if (!cqe_is_new(q, status))
		return 0;
	/* One completion time for the pass (the latency statistics' end): a
	 * clock read per interrupt, not per request. */
	uint64_t now = blk_now_ns();
	int n = 1;
	reap_cqe(q, e, status, now, NULL);
	e = &q->cq[q->cq_head];
	status = e->status;
	if (cqe_is_new(q, status)) {
		do {
			reap_cqe(q, e, status, now, &q->batch);
			n++;
			e = &q->cq[q->cq_head];
			status = e->status;
		} while (cqe_is_new(q, status));
		blk_mq_comp_batch_flush(&q->batch);
	}
	write_doorbell(q, true, q->cq_head);
	return n;
}

/* Reaps under cq_lock, interrupts off. */
static int reap_cq(struct nvme_queue *q)
{
	uint64_t f = spin_lock_irqsave(&q->cq_lock);
	int n = reap_cq_locked(q);
	spin_unlock_irqrestore(&q->cq_lock, f);
	return n;
}

/* Any reaper but the interrupt: a poller, the timeout check, a reset's
 * drain. A CQ with a cq_cpu is reaped there only (0 elsewhere: its
 * interrupt does it); interrupts off keep its handler out meanwhile. */
static int process_cq(struct nvme_queue *q)
{
	if (q->cq_cpu >= 0 && blk_cpu() != (unsigned)q->cq_cpu)
		return 0;
	return reap_cq(q);
}

/* An interrupt handler runs with interrupts off: the lock alone will do. */
static void nvme_irq(void *arg)
{
	struct nvme_queue *q = arg;
	spin_lock(&q->cq_lock);
	reap_cq_locked(q);
	spin_unlock(&q->cq_lock);
}

/* The interrupt of a queue with a cq_cpu: it runs on that CPU, where every
 * other reaper runs with interrupts off, so nothing else reaps meanwhile. */
static void nvme_irq_local(void *arg)
{
	struct nvme_queue *q = arg;
	reap_cq_locked(q);
}

/* Admin completions: admin_sync polls for its own; events arriving while
 * nobody polls are reaped here (if admin_sync holds the lock, it sees them). */
static void nvme_admin_irq(void *arg)
{
	struct nvme_queue *q = arg;
	if (spin_trylock(&q->ctrl->admin_lock)) {
		reap_admin_events(q->ctrl);
		spin_unlock(&q->ctrl->admin_lock);
	}
}

/* ---- blk-mq ops ---- */

struct seg_ctx {
	struct blk_seg_iter it;
};

static bool next_seg(void *arg, uint64_t *phys, uint32_t *len)
{
	struct seg_ctx *s = arg;
	void *virt;
	return blk_rq_seg_next(&s->it, &virt, phys, len);
}

static blk_status_t build_rw(struct nvme_ctrl *c, struct nvme_ns *ns, struct request *rq, struct nvme_sqe *sqe)
{
	struct nvme_cmd *cmd = blk_mq_rq_to_pdu(rq);
	uint64_t slba = blk_rq_pos(rq) >> (ns->lba_shift - SECTOR_SHIFT);
	uint32_t nlb = blk_rq_bytes(rq) >> ns->lba_shift;
	sqe->cdw10 = (uint32_t)slba;
	sqe->cdw11 = (uint32_t)(slba >> 32);
	sqe->cdw12 = (nlb - 1) | ((rq->cmd_flags & REQ_FUA) ? NVME_RW_FUA : 0);
	if (rq->op == REQ_OP_WRITE_ZEROES)
		return BLK_STS_OK;
	/* one segment: contiguous memory, often within two pages */
	if (rq->nr_phys_segments == 1 &&
	    nvme_prp_simple(rq->seg_phys, blk_rq_bytes(rq), c->page_size, &sqe->prp1, &sqe->prp2))
		return BLK_STS_OK;
	struct seg_ctx s;
	blk_rq_seg_iter_init(&s.it, rq);
	if (nvme_setup_prps(next_seg, &s, blk_rq_bytes(rq), c->page_size, &cmd->prps, &sqe->prp1, &sqe->prp2) != 0)
		return BLK_STS_INVAL;
	return BLK_STS_OK;
}

/* Builds the command for rq in *sqe (every field). */
static blk_status_t build_cmd(struct nvme_queue *q, struct nvme_ns *ns, struct request *rq, struct nvme_sqe *sqe)
{
	struct nvme_cmd *cmd = blk_mq_rq_to_pdu(rq);
	*sqe = (struct nvme_sqe){ .nsid = ns->nsid };
	switch (rq->op) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
	case REQ_OP_WRITE_ZEROES:
		sqe->opcode = rq->op == REQ_OP_READ ? NVME_CMD_READ : rq->op == REQ_OP_WRITE ? NVME_CMD_WRITE
											: NVME_CMD_WRITE_ZEROES;
		return build_rw(q->ctrl, ns, rq, sqe);
	case REQ_OP_FLUSH:
		sqe->opcode = NVME_CMD_FLUSH;
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
		cmd->range = (struct nvme_dsm_range){ 0, blk_rq_bytes(rq) >> ns->lba_shift,
						      blk_rq_pos(rq) >> (ns->lba_shift - SECTOR_SHIFT) };
		sqe->opcode = NVME_CMD_DSM;
		sqe->prp1 = blk_virt_to_phys(&cmd->range);
		sqe->cdw11 = NVME_DSMGMT_AD; /* cdw10 = 0: one range */
		return BLK_STS_OK;
	default:
		return BLK_STS_NOTSUPP;
	}
}

/*
 * The common case, built in place in the SQ: a read or write of one
 * contiguous piece within two memory pages (PRP1, PRP2, no list). False
 * (nothing done) for anything else. Everything is computed under the lock,
 * so that little lives across taking it.
 *
 * Only the fields a read or write sets are stored. The rest (FUSE/PSDT,
 * dwords 2-3, MPTR, dwords 13-15) is zero in every slot of an I/O SQ: the
 * ring is zeroed when allocated and at a reset (queue_reset_state), and
 * every command the driver puts there has them zero (build_cmd starts from
 * a zeroed entry; test_nvme checks each kind of command).
 */
_Static_assert(NVME_CMD_READ - REQ_OP_READ == NVME_CMD_READ && NVME_CMD_READ - REQ_OP_WRITE == NVME_CMD_WRITE,
	       "the opcode of a read or write is NVME_CMD_READ - op");
static inline bool rw_simple_shape(const struct request *rq)
{
	return rq->op <= REQ_OP_WRITE && rq->nr_phys_segments == 1;
}

/* Under sq_lock, for a request of rw_simple_shape: its SQ entry at tail,
 * if its memory fits PRP1 and PRP2 (the caller then moves the tail). ns and
 * page_size come from the caller, who may send several requests of one
 * namespace. */
static inline __attribute__((always_inline)) bool sqe_rw_simple(struct nvme_queue *q, const struct nvme_ns *ns,
								  uint32_t page_size, struct request *rq,
								  uint16_t tail)
{
	struct nvme_sqe *s = &q->sq[tail];
	/* the PRPs first, straight into the slot: when they do not fit, the
	 * slot is not the SQ's yet (the tail has not moved) */
	if (!nvme_prp_simple(rq->seg_phys, blk_rq_bytes(rq), page_size, &s->prp1, &s->prp2))
		return false;
	/* then the other fields it sets, in order, each stored as soon as it is known */
	uint64_t slba = blk_rq_pos(rq) >> (ns->lba_shift - SECTOR_SHIFT);
	const struct nvme_cmd *cmd = blk_mq_rq_to_pdu(rq);
	s->cdw0_nsid = ns->nsid_high | (uint32_t)cmd->cid << 16 |
		       (NVME_CMD_READ - rq->op); /* a read or a write (1 or 2: see above) */
	s->cdw10 = (uint32_t)slba;
	s->cdw11 = (uint32_t)(slba >> 32);
	s->cdw12 = ((blk_rq_bytes(rq) >> ns->lba_shift) - 1) | (rq->cmd_flags & REQ_FUA ? NVME_RW_FUA : 0);
	return true;
}

/* The SQ slot after tail (the caller holds sq_lock and moves sq_tail there
 * after filling tail): a lap of the ring is counted at the wrap. */
static inline uint16_t sq_next(struct nvme_queue *q, uint16_t tail)
{
	tail++;
	if (__builtin_expect(tail == q->depth, 0)) { /* a branch: a select costs more when it rarely goes the other way */
		tail = 0;
		q->sq_laps++;
	}
	return tail;
}

static inline bool queue_rw_simple(struct nvme_queue *q, struct nvme_ns *ns, struct request *rq, bool last)
{
	if (!rw_simple_shape(rq))
		return false;
	uint64_t f = spin_lock_irqsave(&q->sq_lock);
	if (__builtin_expect(q->sq_off, 0)) { /* queue_rq_general says what becomes of it */
		spin_unlock_irqrestore(&q->sq_lock, f);
		return false;
	}
	bool ok = sqe_rw_simple(q, ns, q->page_size, rq, q->sq_tail);
	if (ok) {
		uint16_t tail = sq_next(q, q->sq_tail);
		q->sq_tail = tail;
		if (last)
			ring_sq_at(q, tail); /* new: the entry just written */
	}
	spin_unlock_irqrestore(&q->sq_lock, f);
	return ok;
}

/* A request the SQ does not take now (sq_off, read under sq_lock): back to
 * blk-mq during a reset, failed on a dead controller. */
static blk_status_t sq_off_status(const struct nvme_queue *q)
{
	return q->sq_off == NVME_SQ_DEAD ? BLK_STS_IOERR : BLK_STS_RESOURCE;
}

/* Everything else: flush, discard, write zeroes, PRP lists, a stopped or
 * dead SQ. */
__attribute__((noinline)) static blk_status_t queue_rq_general(struct nvme_queue *q, struct nvme_ns *ns,
							       struct request *rq, bool last)
{
	struct nvme_sqe sqe;
	blk_status_t st = build_cmd(q, ns, rq, &sqe);
	if (st)
		return st;
	sqe.cid = ((struct nvme_cmd *)blk_mq_rq_to_pdu(rq))->cid;
	uint64_t f = spin_lock_irqsave(&q->sq_lock);
	if (q->sq_off) {
		st = sq_off_status(q);
		spin_unlock_irqrestore(&q->sq_lock, f);
		return st;
	}
	sq_push(q, &sqe);
	if (last)
		ring_sq(q);
	spin_unlock_irqrestore(&q->sq_lock, f);
	return BLK_STS_OK;
}

static blk_status_t nvme_queue_rq(struct blk_mq_hw_ctx *hctx, struct request *rq, bool last)
{
	struct nvme_queue *q = hctx->driver_data;
	struct nvme_ns *ns = rq->q->queuedata;
	if (queue_rw_simple(q, ns, rq, last))
		return BLK_STS_OK;
	return queue_rq_general(q, ns, rq, last);
}

/* A plugged batch: every simple read and write of this hctx from its start,
 * each started here, under one sq_lock, one doorbell for them all; the
 * first other request ends it (blk-mq sends the rest of this hctx's through
 * queue_rq). */
static struct request *nvme_queue_rqs(struct blk_mq_hw_ctx *hctx, struct request *rq, uint64_t now)
{
	struct nvme_queue *q = hctx->driver_data;
	const struct nvme_ns *ns = hctx->q->queuedata; /* an hctx serves one request_queue */
	uint32_t page_size = q->page_size;
	uint64_t f = spin_lock_irqsave(&q->sq_lock);
	if (__builtin_expect(q->sq_off, 0)) { /* queue_rq tells blk-mq what to do with each */
		spin_unlock_irqrestore(&q->sq_lock, f);
		return rq;
	}
	uint16_t tail = q->sq_tail;
	unsigned n = 0;
	/* ->next read before the doorbell: the request is not ours after it */
	for (; rq && rq->mq_hctx == hctx; rq = rq->next, n++) {
		if (!rw_simple_shape(rq) || !sqe_rw_simple(q, ns, page_size, rq, tail))
			break;
		blk_mq_start_request(rq, now);
		tail = sq_next(q, tail);
	}
	q->sq_tail = tail;
	if (n)
		ring_sq_at(q, tail);
	spin_unlock_irqrestore(&q->sq_lock, f);
	return rq;
}

/* The end of a batch whose last request did not go (refused, or parked by
 * a quiesce): what the SQ took of it is rung. Not while it is off: a reset
 * takes those entries back, and its doorbell must not be written then. */
static void nvme_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct nvme_queue *q = hctx->driver_data;
	uint64_t f = spin_lock_irqsave(&q->sq_lock);
	if (!q->sq_off)
		ring_sq(q);
	spin_unlock_irqrestore(&q->sq_lock, f);
}

static int nvme_poll(struct blk_mq_hw_ctx *hctx)
{
	return process_cq(hctx->driver_data);
}

#define CID_RQS_BYTES ((NVME_CID_TAG_MASK + 1) * sizeof(struct request *))

static int nvme_init_hctx(struct blk_mq_hw_ctx *hctx, void *data, unsigned index)
{
	struct nvme_ctrl *c = data;
	struct nvme_queue *q = &c->queues[index + 1];
	hctx->driver_data = q;
	hctx->irq = q->irq;
	q->tags = hctx->tags;
	q->rqs = hctx->rqs;
	q->nr_tags = hctx->tags->nr_tags;
	if (q->nr_tags > NVME_CID_TAG_MASK + 1) /* io_queue_depth is at most 1024 */
		return -EINVAL;
	if (!q->cid_rqs && !(q->cid_rqs = blk_alloc_pages(dma_order(CID_RQS_BYTES))))
		return -ENOMEM;
	for (unsigned i = 0; i <= NVME_CID_TAG_MASK; i++)
		q->cid_rqs[i] = i < q->nr_tags ? q->rqs[i] : &no_request.rq;
	for (unsigned tag = 0; tag < q->nr_tags; tag++) { /* each cid carries its tag from now on */
		struct nvme_cmd *cmd = blk_mq_rq_to_pdu(q->rqs[tag]);
		cmd->cid = (uint16_t)((cmd->cid & ~NVME_CID_TAG_MASK) | tag); /* a generation is kept */
	}
	return 0;
}

static int nvme_map_queues(struct blk_mq_tag_set *set)
{
	struct nvme_ctrl *c = set->driver_data;
	struct blk_mq_cpus cpus;
	unsigned nvec = 1 + c->nr_default + c->nr_read;
	blk_cpus(&cpus);
	set->map[HCTX_TYPE_DEFAULT] = (struct blk_mq_queue_map){ .nr_queues = c->nr_default, .queue_offset = 0 };
	blk_mq_map_hw_queues(&set->map[HCTX_TYPE_DEFAULT], c->masks, nvec, 1, &cpus);
	set->map[HCTX_TYPE_READ] = (struct blk_mq_queue_map){ .nr_queues = c->nr_read, .queue_offset = c->nr_default };
	if (c->nr_read)
		blk_mq_map_hw_queues(&set->map[HCTX_TYPE_READ], c->masks, nvec, 1 + c->nr_default, &cpus);
	set->map[HCTX_TYPE_POLL] =
		(struct blk_mq_queue_map){ .nr_queues = c->nr_poll, .queue_offset = c->nr_default + c->nr_read };
	if (c->nr_poll)
		blk_mq_map_queues(&set->map[HCTX_TYPE_POLL], &cpus);
	return 0;
}

static void schedule_reset(struct nvme_ctrl *c);
static void schedule_abort(struct nvme_ctrl *c, uint16_t sqid, uint16_t cid);

/* On the tick, in interrupt context: the cheap checks here; Abort and reset
 * (which wait on the controller) run later from the boot CPU's idle loop.
 * A dead or fatal controller → reset; a completion already in the CQ (a lost
 * interrupt) → reaped and counted; else Abort; timing out again → reset. */
static enum blk_eh_timer_return nvme_timeout(struct request *rq)
{
	struct nvme_queue *q = rq->mq_hctx->driver_data;
	struct nvme_ctrl *c = q->ctrl;
	struct nvme_cmd *cmd = blk_mq_rq_to_pdu(rq);
	uint32_t csts = mmio_read32(&c->regs->csts);
	q->timeouts++;
	if (c->dead) {
		if (blk_mq_mark_complete(rq)) {
			cmd_retire(cmd);
			blk_mq_end_request_at(rq, BLK_STS_IOERR, blk_now_ns());
		}
		return BLK_EH_DONE;
	}
	if (csts == 0xffffffffu || (csts & NVME_CSTS_CFS)) {
		kprintf("%s: q%u: tag %d timed out, CSTS %#x: resetting\n", c->name, q->qid, rq->tag, csts);
		schedule_reset(c);
		return BLK_EH_RESET_TIMER;
	}
	uint16_t cid = cmd->cid; /* moves on once this command is done with, even if rq goes out again at once */
	if (process_cq(q) && (__atomic_load_n(&rq->state, __ATOMIC_ACQUIRE) == RQ_COMPLETE || cmd->cid != cid)) {
		kprintf("%s: q%u: tag %d completed without an interrupt\n", c->name, q->qid, rq->tag);
		return BLK_EH_DONE;
	}
	if (!cmd->aborted) {
		kprintf("%s: q%u: tag %d timed out: aborting it\n", c->name, q->qid, rq->tag);
		cmd->aborted = true;
		schedule_abort(c, (uint16_t)q->qid, cmd->cid);
	} else {
		kprintf("%s: q%u: tag %d timed out again after Abort: resetting\n", c->name, q->qid, rq->tag);
		schedule_reset(c);
	}
	return BLK_EH_RESET_TIMER;
}

static const struct blk_mq_ops nvme_mq_ops = {
	.queue_rq = nvme_queue_rq,
	.queue_rqs = nvme_queue_rqs,
	.commit_rqs = nvme_commit_rqs,
	.map_queues = nvme_map_queues,
	.poll = nvme_poll,
	.timeout = nvme_timeout,
	.init_hctx = nvme_init_hctx,
};

/* ---- bring-up (§3.5.1) ---- */

static int enable_ctrl(struct nvme_ctrl *c)
{
	if (mmio_read32(&c->regs->cc) & NVME_CC_EN) {
		mmio_write32(&c->regs->cc, 0);
		int err = wait_ready(c, false);
		if (err)
			return err;
	}
	int err = c->admin.sq ? 0 : queue_alloc(c, &c->admin, 0, NVME_ADMIN_DEPTH);
	if (err)
		return err;
	queue_reset_state(&c->admin);
	mmio_write32(&c->regs->aqa, NVME_AQA(NVME_ADMIN_DEPTH, NVME_ADMIN_DEPTH));
	write64(&c->regs->asq, c->admin.sq_phys);
	write64(&c->regs->acq, c->admin.cq_phys);
	mmio_write32(&c->regs->cc, NVME_CC_EN | NVME_CC_CSS_NVM | (0u << NVME_CC_MPS_SHIFT) | NVME_CC_AMS_RR |
					   NVME_CC_IOSQES | NVME_CC_IOCQES);
	return wait_ready(c, true);
}

static int set_num_queues(struct nvme_ctrl *c, unsigned want, unsigned *granted)
{
	uint32_t r;
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES,
				.cdw11 = ((want - 1) << 16) | (want - 1) };
	if (nvme_admin_sync(c, &sqe, &r) != 0)
		return -EIO;
	unsigned nsq = (r & 0xffff) + 1, ncq = (r >> 16) + 1;
	*granted = nsq < ncq ? nsq : ncq;
	return 0;
}

/* Queue counts: Linux's meaning of poll_queues and write_queues, bounded by
 * the CPUs, what the controller grants and the MSI-X table. */
static int plan_queues(struct nvme_ctrl *c)
{
	unsigned want_poll = (unsigned)cmdline_get_range("nvme.poll_queues", 0, 0, 16);
	unsigned want_write = (unsigned)cmdline_get_range("nvme.write_queues", 0, 0, 64);
	unsigned want = nr_cpus + want_poll + (want_write ? want_write : 0);
	if (want > NVME_MAX_QUEUES - 1)
		want = NVME_MAX_QUEUES - 1;
	unsigned n;
	if (set_num_queues(c, want, &n) != 0)
		return -EIO;
	if (n > want)
		n = want;
	unsigned vectors = c->pdev->msix_size ? c->pdev->msix_size - 1u : 0; /* entry 0: admin */
	c->nr_poll = want_poll < n ? want_poll : n - 1;
	unsigned irq_queues = n - c->nr_poll;
	if (irq_queues > vectors)
		irq_queues = vectors;
	if (irq_queues == 0)
		return -ENODEV;
	/* write_queues set: that many default (write) queues, the rest serve reads */
	c->nr_default = want_write && irq_queues > 1 ? (want_write < irq_queues ? want_write : irq_queues - 1) : irq_queues;
	c->nr_read = irq_queues - c->nr_default;
	c->nr_io = c->nr_default + c->nr_read + c->nr_poll;
	return 0;
}

/* MSI-X on, every entry masked, and the admin vector (entry 0, all CPUs,
 * unmanaged) programmed: before the controller is enabled, as Linux does,
 * because a controller may bind the admin CQ's vector at enable time. */
static int setup_admin_irq(struct nvme_ctrl *c)
{
	unsigned table = c->pdev->msix_size < NVME_MAX_QUEUES ? c->pdev->msix_size : NVME_MAX_QUEUES;
	struct irq_affinity_desc all = { .mask = cpus_online_mask(), .is_managed = false };
	if (table == 0 || pci_msix_enable(c->pdev, table) != 0)
		return -EIO;
	char name[IRQ_NAME_LEN];
	snprintf(name, sizeof(name), "%sq0", c->name);
	c->admin.irq = irq_request_affinity(&all, nvme_admin_irq, &c->admin, name);
	c->admin.vector = 0;
	if (c->admin.irq < 0 ||
	    pci_msix_set_entry(c->pdev, 0, irq_dest_apic_id(c->admin.irq), irq_vector(c->admin.irq)) != 0)
		return -EIO;
	return 0;
}

/* The I/O vectors, spread over the CPUs (entry 0 stays the admin queue's). */
static int setup_irqs(struct nvme_ctrl *c)
{
	struct irq_affinity affd = { .pre_vectors = 1, .nr_sets = c->nr_read ? 2 : 1,
				     .set_size = { c->nr_default, c->nr_read } };
	unsigned nvec = 1 + c->nr_default + c->nr_read;
	if (irq_spread_vectors(nvec, &affd, c->masks) != 0)
		return -EIO;
	for (unsigned v = 1; v < nvec; v++) {
		char name[IRQ_NAME_LEN];
		struct nvme_queue *q = v ? &c->queues[v] : &c->admin;
		/* v < NVME_MAX_QUEUES; the cast bounds the width for -Wformat-truncation */
		snprintf(name, sizeof(name), "%sq%u", c->name, (unsigned)(uint16_t)v);
		/* one CPU in the mask: its hctx serves that CPU, whose tick runs
		 * the timeout check, so the CQ can be that CPU's alone (a mask of
		 * several keeps cq_lock: the check may run on another one) */
		bool local = cpumask_weight(c->masks[v].mask) == 1;
		q->irq = irq_request_affinity(&c->masks[v], local ? nvme_irq_local : nvme_irq, q, name);
		q->vector = v;
		q->cq_cpu = local && q->irq >= 0 ? irq_cpu(q->irq) : -1;
		if (q->irq < 0 || pci_msix_set_entry(c->pdev, v, irq_dest_apic_id(q->irq), irq_vector(q->irq)) != 0)
			return -EIO;
	}
	return 0;
}

static int create_io_queues(struct nvme_ctrl *c, uint16_t depth)
{
	for (unsigned qid = 1; qid <= c->nr_io; qid++) {
		struct nvme_queue *q = &c->queues[qid];
		if (qid > c->nr_default + c->nr_read)
			q->irq = -1; /* a poll queue */
		if (queue_alloc(c, q, qid, depth) != 0)
			return -ENOMEM;
		if (create_cq(c, q) != 0 || create_sq(c, q) != 0)
			return -EIO;
	}
	return 0;
}

/* Each request's PRP list page, allocated once: the I/O path never allocates. */
static int alloc_prp_lists(struct nvme_ctrl *c)
{
	for (unsigned h = 0; h < c->set.nr_hw_queues; h++)
		for (unsigned t = 0; t < c->set.queue_depth; t++) {
			struct nvme_cmd *cmd = blk_mq_rq_to_pdu(c->set.static_rqs[h][t]);
			uint64_t phys;
			void *page = dma_alloc(PAGE_BYTES, &phys);
			if (!page)
				return -ENOMEM;
			cmd->prps.virt[0] = page;
			cmd->prps.phys[0] = phys;
			cmd->prps.nr = 1;
		}
	return 0;
}

static int setup_tag_set(struct nvme_ctrl *c, uint16_t depth)
{
	c->set = (struct blk_mq_tag_set){
		.ops = &nvme_mq_ops, .nr_hw_queues = c->nr_io, .nr_maps = HCTX_MAX_TYPES,
		.queue_depth = depth - 1u, /* one SQ slot stays empty: full and empty must differ */
		.cmd_size = sizeof(struct nvme_cmd), .driver_data = c,
	};
	int err = blk_mq_alloc_tag_set(&c->set);
	return err ? err : alloc_prp_lists(c);
}

static void add_namespace(struct nvme_ctrl *c, uint32_t nsid, struct nvme_id_ns *id)
{
	struct nvme_lbaf *f = &id->lbaf[id->flbas & 0xf];
	if (f->lbads < 9 || f->lbads > 12 || f->ms) {
		kprintf("%s: namespace %u: %u-byte blocks with %u metadata bytes not supported; skipped\n", c->name,
			nsid, 1u << f->lbads, f->ms);
		return;
	}
	struct nvme_ns *ns = &c->ns[c->nr_ns];
	*ns = (struct nvme_ns){ .ctrl = c, .nsid = nsid, .nsid_high = (uint64_t)nsid << 32, .lba_shift = f->lbads,
				.nsze = id->nsze };
	uint32_t bs = 1u << f->lbads;
	struct queue_limits lim = {
		.logical_block_size = bs, .physical_block_size = bs,
		.max_sectors = c->max_transfer >> SECTOR_SHIFT, .max_segments = c->max_transfer / PAGE_BYTES,
		.max_segment_size = c->max_transfer, .seg_boundary_mask = 0xffffffffull, .dma_alignment = 3,
		.max_discard_sectors = 0xffffffffu >> SECTOR_SHIFT,
	};
	ns->q = blk_mq_init_queue(&c->set, &lim);
	if (!ns->q)
		return;
	ns->q->timeout_ns = c->io_timeout_ns;
	unsigned features = BLK_FEAT_FUA;
	features |= c->id->vwc & NVME_VWC_PRESENT ? BLK_FEAT_WRITE_CACHE : 0;
	features |= c->id->oncs & NVME_ONCS_DSM ? BLK_FEAT_DISCARD : 0;
	features |= c->id->oncs & NVME_ONCS_WRITE_ZEROES ? BLK_FEAT_WRITE_ZEROES : 0;
	features |= c->nr_poll ? BLK_FEAT_POLL : 0;
	char name[BDEV_NAME_LEN];
	snprintf(name, sizeof(name), "%sn%u", c->name, nsid);
	ns->q->queuedata = ns;
	ns->disk = blk_add_disk(ns->q, name, id->nsze << (f->lbads - SECTOR_SHIFT), features, ns);
	if (ns->disk)
		c->nr_ns++;
}

static int scan_namespaces(struct nvme_ctrl *c)
{
	uint64_t list_phys, id_phys;
	uint32_t *list = dma_alloc(NVME_IDENTIFY_BYTES, &list_phys);
	struct nvme_id_ns *id = dma_alloc(NVME_IDENTIFY_BYTES, &id_phys);
	int err = list && id ? identify(c, NVME_ID_CNS_NS_ACTIVE, 0, list_phys) : -ENOMEM;
	for (unsigned i = 0; !err && i < NVME_IDENTIFY_BYTES / 4 && list[i] && c->nr_ns < NVME_MAX_NS; i++)
		if (identify(c, NVME_ID_CNS_NS, list[i], id_phys) == 0 && id->nsze)
			add_namespace(c, list[i], id);
	if (list)
		dma_free(list, NVME_IDENTIFY_BYTES);
	if (id)
		dma_free(id, NVME_IDENTIFY_BYTES);
	return err;
}

/* Doorbell Buffer Config (§5.8) when OACS offers it: shadow doorbells and
 * EventIdx pages, laid out like the doorbell registers (stride included). */
static int dbbuf_config(struct nvme_ctrl *c)
{
	if (!c->dbbuf) {
		c->dbbuf = dma_alloc(PAGE_BYTES, &c->dbbuf_phys);
		c->eventidx = dma_alloc(PAGE_BYTES, &c->eventidx_phys);
		if (!c->dbbuf || !c->eventidx)
			return -ENOMEM;
	}
	memset(c->dbbuf, 0, PAGE_BYTES);
	memset(c->eventidx, 0, PAGE_BYTES);
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_DBBUF_CONFIG, .prp1 = c->dbbuf_phys, .prp2 = c->eventidx_phys };
	if (nvme_admin_sync(c, &sqe, NULL) != 0) {
		kprintf("%s: Doorbell Buffer Config failed; MMIO doorbells only\n", c->name);
		for (unsigned qid = 1; qid <= c->nr_io; qid++) { /* after a reset: the old buffers are not read */
			struct nvme_queue *q = &c->queues[qid];
			q->shadow_sq = q->shadow_cq = q->eventidx_sq = q->eventidx_cq = NULL;
		}
		return -EIO;
	}
	unsigned words = c->db_stride / 4;
	for (unsigned qid = 1; qid <= c->nr_io; qid++) {
		struct nvme_queue *q = &c->queues[qid];
		q->shadow_sq = c->dbbuf + 2 * qid * words;
		q->shadow_cq = c->dbbuf + (2 * qid + 1) * words;
		q->eventidx_sq = c->eventidx + 2 * qid * words;
		q->eventidx_cq = c->eventidx + (2 * qid + 1) * words;
	}
	return 0;
}

static void print_ctrl(const struct nvme_ctrl *c)
{
	char mn[41], sn[21];
	snprintf(mn, sizeof(mn), "%.40s", c->id->mn);
	snprintf(sn, sizeof(sn), "%.20s", c->id->sn);
	for (int i = (int)strlen(mn) - 1; i >= 0 && mn[i] == ' '; i--)
		mn[i] = 0;
	for (int i = (int)strlen(sn) - 1; i >= 0 && sn[i] == ' '; i--)
		sn[i] = 0;
	kprintf("%s: %s, serial %s, NVMe %u.%u, %u namespace%s, max transfer %u KiB\n", c->name, mn, sn,
		c->id->ver >> 16, (c->id->ver >> 8) & 0xff, c->nr_ns, c->nr_ns == 1 ? "" : "s", c->max_transfer >> 10);
	kprintf("%s: %u/%u/%u default/read/poll queues%s\n", c->name, c->nr_default, c->nr_read, c->nr_poll,
		c->queues[1].shadow_sq ? ", shadow doorbells" : "");
}

static int nvme_setup(struct nvme_ctrl *c)
{
	c->cap = read_cap(c->regs);
	if (c->cap == ~0ull)
		return -ENODEV;
	if (!(NVME_CAP_CSS(c->cap) & NVME_CAP_CSS_NVM) || NVME_CAP_MPSMIN(c->cap) > 0) {
		kprintf("%s: needs the NVM command set and 4 KiB pages (CAP %#llx)\n", c->name,
			(unsigned long long)c->cap);
		return -ENODEV;
	}
	c->db_stride = 4u << NVME_CAP_DSTRD(c->cap);
	c->page_size = PAGE_BYTES;
	c->admin_timeout_ns = (uint64_t)cmdline_get_range("nvme.admin_timeout_ms", 60000, 100, 3600000) * MSEC;
	c->io_timeout_ns = (uint64_t)cmdline_get_range("nvme.io_timeout_ms", 30000, 100, 3600000) * MSEC;
	int err = setup_admin_irq(c);
	if (err)
		return err;
	err = enable_ctrl(c);
	if (err)
		return err;
	uint64_t id_phys;
	if (!(c->id = dma_alloc(NVME_IDENTIFY_BYTES, &id_phys)) || identify(c, NVME_ID_CNS_CTRL, 0, id_phys) != 0)
		return -EIO;
	c->max_transfer = nvme_prp_max_transfer(c->page_size, 1);
	if (c->id->mdts && ((uint64_t)c->page_size << c->id->mdts) < c->max_transfer)
		c->max_transfer = c->page_size << c->id->mdts; /* MDTS: 2^mdts minimum pages */
	uint16_t depth = (uint16_t)cmdline_get_range("nvme.io_queue_depth", DEFAULT_IO_DEPTH, 2, 1024);
	if (depth > NVME_CAP_MQES(c->cap) + 1)
		depth = (uint16_t)(NVME_CAP_MQES(c->cap) + 1);
	if ((err = plan_queues(c)) || (err = setup_irqs(c)) || (err = create_io_queues(c, depth)) ||
	    (err = setup_tag_set(c, depth)))
		return err;
	if ((c->id->oacs & NVME_OACS_DBBUF_CONFIG) && cmdline_get_range("nvme.shadow_doorbells", 1, 0, 1))
		dbbuf_config(c);
	arm_aers(c);
	err = scan_namespaces(c);
	print_ctrl(c);
	return err;
}

static void nvme_shutdown_all(void);
static void nvme_tick(void);

int nvme_attach(struct nvme_ctrl *c)
{
	c->regs = (volatile struct nvme_regs *)c->bar;
	c->admin.irq = -1;
	for (unsigned i = 0; i < NVME_MAX_QUEUES; i++)
		c->queues[i].irq = -1;
	int err = nvme_setup(c);
	if (err)
		mmio_write32(&c->regs->cc, 0); /* leave it disabled */
	return err;
}

static int nvme_probe(struct pci_dev *pdev)
{
	if (nr_ctrls == NVME_MAX_CTRLS)
		return -1;
	struct nvme_ctrl *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	snprintf(c->name, sizeof(c->name), "nvme%u", nr_ctrls);
	c->pdev = pdev;
	pci_enable_device(pdev);
	c->bar = pci_map_bar(pdev, 0);
	int err = c->bar ? nvme_attach(c) : -ENODEV;
	if (err) {
		kprintf("%s (" PCI_SLOT_FMT "): not started (error %d); the machine keeps going without it\n", c->name,
			pdev->seg, pdev->bus, pdev->dev, pdev->fn, err);
		return 0; /* claimed, so no other driver pokes it */
	}
	pdev->driver_data = c;
	ctrls[nr_ctrls++] = c;
	if (nr_ctrls == 1) {
		power_on_shutdown(nvme_shutdown_all);
		smp_tick_register(nvme_tick);
	}
	return 0;
}

static const struct pci_match nvme_ids[] = {
	PCI_MATCH_CLASS(0x01, 0x08, 0x02), /* mass storage, non-volatile memory, NVMe */
};
PCI_DRIVER(nvme, "nvme", nvme_ids, nvme_probe);

/* ---- lookup ---- */

unsigned nvme_nr_ctrls(void) { return nr_ctrls; }
struct nvme_ctrl *nvme_ctrl_at(unsigned i) { return i < nr_ctrls ? ctrls[i] : NULL; }

struct nvme_ctrl *nvme_ctrl_find(const char *dev, struct nvme_ns **ns)
{
	*ns = NULL;
	for (unsigned i = 0; i < nr_ctrls; i++) {
		struct nvme_ctrl *c = ctrls[i];
		size_t n = strlen(c->name);
		if (strncmp(dev, c->name, n) != 0)
			continue;
		if (dev[n] == 0)
			return c;
		for (unsigned k = 0; k < c->nr_ns; k++)
			if (strcmp(dev, c->ns[k].disk->name) == 0) {
				*ns = &c->ns[k];
				return c;
			}
	}
	return NULL;
}

/* ---- reset (§3.7.2), Abort, shutdown ---- */

static void sync_cpu(void *arg) { (void)arg; }

static void quiesce_all(struct nvme_ctrl *c, bool on)
{
	for (unsigned i = 0; i < c->nr_ns; i++)
		on ? blk_mq_quiesce_queue(c->ns[i].q) : blk_mq_unquiesce_queue(c->ns[i].q);
}

/* After the controller stopped: reap what it completed, then hand every
 * request still in flight back to blk-mq (or fail it after NVME_MAX_RETRIES).
 * On the queue's cq_cpu if it has one (drain_queue_on_cpu). */
static void drain_queue(struct nvme_queue *q)
{
	reap_cq(q); /* its CQ doorbells are off (cq_doorbells_off) */
	for (unsigned tag = 0; tag < q->tags->nr_tags; tag++) {
		struct request *rq = q->rqs[tag];
		if (!blk_mq_tag_busy(q->tags, tag) || rq->mq_hctx->driver_data != q || !blk_mq_request_started(rq))
			continue; /* free, another queue's, or not sent (a plug's, a requeued one) or done */
		struct nvme_cmd *cmd = blk_mq_rq_to_pdu(rq);
		q->reclaimed++;
		cmd_retire(cmd); /* the controller is stopped: no CQE of it can come */
		if (++cmd->retries > NVME_MAX_RETRIES) {
			cmd->retries = 0;
			blk_mq_complete_request(rq, BLK_STS_IOERR);
		} else {
			blk_mq_requeue_request(rq);
		}
	}
	queue_reset_state(q);
}

/* A CQ with a cq_cpu is drained there, interrupts off, like any of its
 * reapers: a late interrupt of its vector runs before or after, never
 * during (process_cq would refuse to reap anywhere else). */
static void drain_fn(void *arg)
{
	uint64_t f = irq_save();
	drain_queue(arg);
	irq_restore(f);
}

static void drain_queue_on_cpu(struct nvme_queue *q)
{
	/* smp_call fails only for a CPU that is not online: no interrupt runs there */
	if (q->cq_cpu < 0 || smp_call((unsigned)q->cq_cpu, drain_fn, q) != 0)
		drain_fn(q);
}

static int dbbuf_config(struct nvme_ctrl *c);

static int restart(struct nvme_ctrl *c)
{
	unsigned granted;
	int err = enable_ctrl(c);
	if (!err && (err = set_num_queues(c, c->nr_io, &granted)) == 0 && granted < c->nr_io)
		err = -EIO;
	for (unsigned qid = 1; !err && qid <= c->nr_io; qid++)
		if (create_cq(c, &c->queues[qid]) != 0 || create_sq(c, &c->queues[qid]) != 0)
			err = -EIO;
	if (!err && c->dbbuf)
		dbbuf_config(c);
	if (!err)
		arm_aers(c); /* the reset aborted the ones outstanding */
	return err;
}

int nvme_reset_ctrl(struct nvme_ctrl *c)
{
	kprintf("%s: resetting the controller\n", c->name);
	__atomic_store_n(&c->resetting, 1, __ATOMIC_RELEASE); /* also when called directly: the watchdog keeps off */
	c->resets++;
	quiesce_all(c, true);
	__atomic_store_n(&c->stopping, true, __ATOMIC_RELEASE);
	set_sq_off(c, NVME_SQ_STOPPED);
	cq_doorbells_off(c);
	/* every CPU is out of queue_rq (nothing new reaches the SQs: a CPU that
	 * passed blk-mq's quiesce test before it was set finds the SQ off) and
	 * out of our interrupt handlers (none rings a CQ doorbell of a queue
	 * about to go) */
	smp_call_all(sync_cpu, NULL);
	mmio_write32(&c->regs->cc, 0);
	int err = wait_ready(c, false);
	smp_call_all(sync_cpu, NULL); /* and out of our interrupt handlers */
	for (unsigned qid = 1; qid <= c->nr_io; qid++)
		drain_queue_on_cpu(&c->queues[qid]);
	if (!err) {
		__atomic_store_n(&c->stopping, false, __ATOMIC_RELEASE); /* the admin CQ rings again */
		err = restart(c);
	}
	if (err) {
		kprintf("%s: reset failed (error %d): the controller is dead, its I/O fails\n", c->name, err);
		c->dead = true;
	} else {
		kprintf("%s: reset done, %u queues restored\n", c->name, c->nr_io);
	}
	__atomic_store_n(&c->stopping, false, __ATOMIC_RELEASE);
	__atomic_store_n(&c->resetting, 0, __ATOMIC_RELEASE);
	set_sq_off(c, err ? NVME_SQ_DEAD : NVME_SQ_ON);
	quiesce_all(c, false); /* the requeued requests go out again (or fail, if dead) */
	return err;
}

static struct smp_work reset_work[NVME_MAX_CTRLS], abort_work[NVME_MAX_CTRLS];

static void reset_fn(void *arg) { nvme_reset_ctrl(arg); }

static unsigned ctrl_index(const struct nvme_ctrl *c)
{
	for (unsigned i = 0; i < nr_ctrls; i++)
		if (ctrls[i] == c)
			return i;
	return 0;
}

/* From interrupt context: the reset runs in the boot CPU's idle loop. */
static void schedule_reset(struct nvme_ctrl *c)
{
	if (__atomic_exchange_n(&c->resetting, 1, __ATOMIC_ACQ_REL))
		return;
	struct smp_work *w = &reset_work[ctrl_index(c)];
	*w = (struct smp_work){ .fn = reset_fn, .arg = c };
	smp_call_async(0, w);
}

static void abort_fn(void *arg)
{
	struct nvme_ctrl *c = arg;
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_ABORT, .cdw10 = ((uint32_t)c->abort_cid << 16) | c->abort_sqid };
	uint32_t result = 1;
	int err = nvme_admin_sync(c, &sqe, &result);
	kprintf("%s: Abort of cid %#x on q%u: %s\n", c->name, c->abort_cid, c->abort_sqid,
		err ? "failed" : (result & 1) ? "not aborted" : "aborted");
	c->queues[c->abort_sqid].aborts++;
	__atomic_store_n(&c->abort_pending, 0, __ATOMIC_RELEASE);
	if (err)
		schedule_reset(c);
}

static void schedule_abort(struct nvme_ctrl *c, uint16_t sqid, uint16_t cid)
{
	if (__atomic_exchange_n(&c->abort_pending, 1, __ATOMIC_ACQ_REL))
		return; /* one at a time; the others time out again and reset */
	c->abort_sqid = sqid;
	c->abort_cid = cid;
	struct smp_work *w = &abort_work[ctrl_index(c)];
	*w = (struct smp_work){ .fn = abort_fn, .arg = c };
	smp_call_async(0, w);
}

void nvme_reset_after(struct nvme_ctrl *c, uint64_t ms)
{
	__atomic_store_n(&c->reset_at_ns, uptime_ns() + ms * MSEC, __ATOMIC_RELEASE);
}

/*
 * With Doorbell Buffer Config the driver skips the MMIO doorbell while the
 * controller's EventIdx says it is still reading the shadow value. A
 * controller that stops reading without moving EventIdx past what it read
 * (QEMU 7.2 under MTTCG does, about once in 3-4 million I/Os:
 * docs/bench-limits.md) leaves the new commands unseen until the I/O
 * timeout, then Abort, then a reset: a minute. Here, on a CPU's tick, a
 * queue stuck for NVME_STALL_MS (commands outstanding, none completed) gets
 * both doorbells written by MMIO with the values already given, which tells
 * a working controller nothing new and wakes a stuck one. The counters are
 * read without the queue's locks: a stale value can only delay a kick by a
 * tick; the doorbell values are taken under them (a CQ of this CPU's own
 * needs none: no reaper runs during the tick).
 */
static void watchdog_queue(struct nvme_queue *q, uint64_t now)
{
	uint64_t done = nvme_queue_completed(q);
	uint64_t gone = nvme_queue_submitted(q) - __atomic_load_n(&q->reclaimed, __ATOMIC_RELAXED);
	if (done != q->wd_completed || done >= gone) { /* moving, or nothing outstanding */
		q->wd_completed = done;
		q->wd_stuck_since = 0;
		q->wd_kicked = false;
		return;
	}
	if (!q->wd_stuck_since) {
		q->wd_stuck_since = now;
		return;
	}
	if (now - q->wd_stuck_since < NVME_STALL_MS * MSEC)
		return;
	uint64_t f = spin_lock_irqsave(&q->sq_lock);
	volatile uint32_t *shadow = q->shadow_sq; /* the tail given last (NULL: none given in memory) */
	if (shadow)
		mmio_write32(q->sq_db, *shadow);
	spin_unlock_irqrestore(&q->sq_lock, f);
	/* on its CPU, in the tick, no reaper runs meanwhile; else under cq_lock.
	 * A reset starting meanwhile may have turned the doorbell off. */
	f = q->cq_cpu >= 0 ? 0 : spin_lock_irqsave(&q->cq_lock);
	volatile uint32_t *cq_db = __atomic_load_n(&q->cq_db, __ATOMIC_ACQUIRE);
	if (cq_db)
		mmio_write32(cq_db, q->cq_head);
	if (q->cq_cpu < 0)
		spin_unlock_irqrestore(&q->cq_lock, f);
	q->kicks++;
	if (!q->wd_kicked) /* once per stall */
		kprintf("%s: q%u: %llu commands outstanding, none completed for %llu ms: doorbells rung by MMIO\n",
			q->ctrl->name, q->qid, (unsigned long long)(gone - done),
			(unsigned long long)((now - q->wd_stuck_since) / MSEC));
	q->wd_kicked = true;
	q->wd_stuck_since = now; /* the next kick, if still stuck, NVME_STALL_MS later */
}

/* Each queue is watched by the tick of the CPU that owns its CQ (cq_cpu),
 * else by the boot CPU's. */
void nvme_watchdog(struct nvme_ctrl *c)
{
	if (!c->dbbuf || c->dead || __atomic_load_n(&c->resetting, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&c->stopping, __ATOMIC_ACQUIRE))
		return;
	unsigned me = blk_cpu();
	uint64_t now = uptime_ns();
	for (unsigned qid = 1; qid <= c->nr_io; qid++) {
		struct nvme_queue *q = &c->queues[qid];
		if ((q->cq_cpu >= 0 ? (unsigned)q->cq_cpu : 0) == me)
			watchdog_queue(q, now);
	}
}

/* Every CPU's tick: the stall watchdog; the boot CPU's also looks for
 * resets that are due. */
static void nvme_tick(void)
{
	bool boot_cpu = this_cpu_id() == 0;
	uint64_t now = uptime_ns();
	for (unsigned i = 0; i < nr_ctrls; i++) {
		uint64_t at = __atomic_load_n(&ctrls[i]->reset_at_ns, __ATOMIC_ACQUIRE);
		if (boot_cpu && at && now >= at) {
			ctrls[i]->reset_at_ns = 0;
			schedule_reset(ctrls[i]);
		}
		nvme_watchdog(ctrls[i]);
	}
}

/* Orderly shutdown (§3.6.2) on poweroff and reboot: CC.SHN, then SHST. */
#define SHUTDOWN_TIMEOUT_MS 5000

static void nvme_shutdown_all(void)
{
	for (unsigned i = 0; i < nr_ctrls; i++) {
		struct nvme_ctrl *c = ctrls[i];
		if (c->dead)
			continue;
		mmio_write32(&c->regs->cc, (mmio_read32(&c->regs->cc) & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL);
		uint64_t end = uptime_ns() + SHUTDOWN_TIMEOUT_MS * MSEC;
		uint32_t csts;
		while (((csts = mmio_read32(&c->regs->csts)) & NVME_CSTS_SHST_MASK) != NVME_CSTS_SHST_CMPLT &&
		       csts != 0xffffffffu && uptime_ns() < end)
			udelay(READY_POLL_US);
		kprintf("%s: %s\n", c->name,
			(csts & NVME_CSTS_SHST_MASK) == NVME_CSTS_SHST_CMPLT ? "shut down" : "shutdown not confirmed");
	}
}

/* ---- asynchronous events: logged from the boot CPU, then re-armed ---- */

static struct smp_work aer_work[NVME_MAX_CTRLS];

static void read_event_log(struct nvme_ctrl *c, uint32_t r)
{
	uint64_t phys;
	struct nvme_smart_log *log = dma_alloc(PAGE_BYTES, &phys);
	if (!log)
		return;
	uint32_t bytes = AER_LOG_PAGE(r) == NVME_LOG_SMART ? sizeof(*log) : 64;
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_GET_LOG_PAGE, .nsid = 0xffffffffu, .prp1 = phys,
				.cdw10 = ((bytes / 4 - 1) << 16) | AER_LOG_PAGE(r) }; /* RAE clear: the event is consumed */
	if (nvme_admin_sync(c, &sqe, NULL) == 0 && AER_LOG_PAGE(r) == NVME_LOG_SMART && log->critical_warning)
		kprintf("%s: SMART critical warning %#x%s%s%s%s%s\n", c->name, log->critical_warning,
			log->critical_warning & 0x01 ? " (spare below threshold)" : "",
			log->critical_warning & 0x02 ? " (temperature)" : "",
			log->critical_warning & 0x04 ? " (reliability degraded)" : "",
			log->critical_warning & 0x08 ? " (read-only)" : "",
			log->critical_warning & 0x10 ? " (volatile backup failed)" : "");
	dma_free(log, PAGE_BYTES);
}

static void aer_fn(void *arg)
{
	struct nvme_ctrl *c = arg;
	uint32_t r = c->aer_result;
	kprintf("%s: asynchronous event: type %u, info %#x, log page %#x\n", c->name, AER_TYPE(r), AER_INFO(r),
		AER_LOG_PAGE(r));
	read_event_log(c, r);
	__atomic_store_n(&c->aer_busy, 0, __ATOMIC_RELEASE);
	spin_lock(&c->admin_lock);
	submit_aer(c, 0);
	spin_unlock(&c->admin_lock);
}

static void schedule_aer_work(struct nvme_ctrl *c, uint32_t result)
{
	if (__atomic_exchange_n(&c->aer_busy, 1, __ATOMIC_ACQ_REL)) {
		c->aers_lost++;
		return;
	}
	c->aer_result = result;
	struct smp_work *w = &aer_work[ctrl_index(c)];
	*w = (struct smp_work){ .fn = aer_fn, .arg = c };
	smp_call_async(0, w);
}

#define AEC_SMART_WARNINGS 0xff /* Asynchronous Event Configuration bits 7:0: every critical warning */

static void arm_aers(struct nvme_ctrl *c)
{
	unsigned n = (unsigned)c->id->aerl + 1u < NVME_MAX_AERS ? (unsigned)c->id->aerl + 1u : NVME_MAX_AERS;
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_ASYNC_EVENT,
				.cdw11 = AEC_SMART_WARNINGS };
	nvme_admin_sync(c, &sqe, NULL); /* a controller that refuses still reports what it enables by default */
	c->aers_outstanding = 0;
	spin_lock(&c->admin_lock);
	for (unsigned i = 0; i < n; i++)
		submit_aer(c, i);
	spin_unlock(&c->admin_lock);
}
