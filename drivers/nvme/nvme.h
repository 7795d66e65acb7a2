/*
 * The NVMe driver's internals (drivers/nvme/): controller, queues, namespaces.
 * One admin queue pair (qid 0) on the pre-vector; one I/O queue pair per
 * default queue, each with its own MSI-X vector spread over the CPUs, plus
 * poll queue pairs without a vector. blk-mq hardware queue i is I/O queue
 * pair qid i + 1.
 */
#ifndef DRIVERS_NVME_NVME_H
#define DRIVERS_NVME_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include "blk/blk_mq.h"
#include "drivers/nvme/nvme_spec.h"
#include "drivers/nvme/prp.h"
#include "drivers/pci.h"
#include "kernel/affinity.h"
#include "kernel/spinlock.h"

#define NVME_MAX_CTRLS   8
#define NVME_MAX_NS      16
#define NVME_MAX_QUEUES  (BLK_MQ_MAX_HW_QUEUES + 1)
#define NVME_ADMIN_DEPTH 32
#define NVME_CID_TAG_BITS 12      /* cid = generation << 12 | tag */
#define NVME_CID_TAG_MASK ((1u << NVME_CID_TAG_BITS) - 1)
#define NVME_CID_GEN_STEP (1u << NVME_CID_TAG_BITS)

struct nvme_ctrl;

struct nvme_queue {
	struct nvme_ctrl *ctrl;
	unsigned qid;
	uint16_t depth;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	uint64_t sq_phys, cq_phys;
	volatile uint32_t *sq_db, *cq_db;
	/* Shadow doorbells (Doorbell Buffer Config): the tail/head go to memory;
	 * MMIO only when the controller's EventIdx says it is not looking. */
	volatile uint32_t *shadow_sq, *shadow_cq, *eventidx_sq, *eventidx_cq;
	uint32_t page_size;              /* the controller's (CC.MPS), for the PRPs */
	uint32_t sq_base;                /* qid << 16: a CQE's SQ id << 16 | SQ head minus this is < depth */
	uint16_t sq_tail;                /* the next entry's slot */
	uint16_t cq_head;
	uint8_t cq_phase;
	int irq;                         /* -1: polled */
	unsigned vector;                 /* MSI-X entry */
	spinlock_t sq_lock;              /* CPUs sharing this queue; uncontended when 1:1 */
	spinlock_t cq_lock;              /* the interrupt, a poller and the timeout scan */
	/* >= 0: the CQ is reaped on this CPU alone, with interrupts off: by its
	 * interrupt (whose message names this CPU only), by the timeout check
	 * and a poller when they run here (process_cq refuses elsewhere), and
	 * by a reset's drain, sent here. The interrupt then takes no cq_lock.
	 * -1: a poll queue, or a vector whose mask spans several CPUs (the
	 * timeout check may run on another one): everyone takes cq_lock. */
	int cq_cpu;
	/* NVME_SQ_ON; NVME_SQ_STOPPED while a reset runs (a request comes back
	 * to blk-mq with BLK_STS_RESOURCE, to go again after it); NVME_SQ_DEAD
	 * once the controller is dead (it fails). Read under sq_lock: the
	 * reset sets it, then waits for every CPU (sync_cpu), so nothing
	 * writes the SQ or its doorbell after that. */
	uint8_t sq_off;
	struct blk_mq_tags *tags;        /* I/O queues: the hctx's tags */
	/* the reap pass's tags, freed at its end; empty between passes */
	struct blk_mq_comp_batch batch;
	struct request **rqs;            /* indexed by tag, nr_tags of them */
	unsigned nr_tags;                /* tags->nr_tags */
	/* indexed by a CQE's tag bits, so by any: rqs, then a request whose cid
	 * nothing matches (no tag check in the reap loop) */
	struct request **cid_rqs;
	/* submitted and completed are counted by the rings' positions (see
	 * nvme_queue_submitted): laps of each ring, and the counts before the
	 * last reset set them back to 0 */
	uint64_t sq_laps, cq_laps, sq_base_count, cq_base_count;
	uint64_t doorbells, bogus, timeouts, aborts; /* its interrupts: irq_count(irq) */
	uint64_t shadow_writes;          /* doorbell updates that went to the shadow buffer */
	/* the stall watchdog (nvme_watchdog), on the tick of its CQ's CPU */
	uint64_t reclaimed;              /* commands a reset took back (requeued or failed) */
	uint64_t wd_completed;           /* `completed` when progress was last seen */
	uint64_t wd_stuck_since;         /* when it was seen stuck; 0: not stuck */
	uint64_t kicks;                  /* doorbells rung by MMIO because it was stuck */
	bool wd_kicked;                  /* kicked in this stall already (it was logged) */
};

/* Driver data of each request (cmd_size): its PRP list pages and a DSM range. */
struct nvme_cmd {
	struct nvme_dsm_range range;     /* DMA-able: the pool is page_alloc'd */
	uint16_t cid;                    /* of its latest submission: its generation in the top bits, the
					  * request's (fixed) tag below; a CQE must carry exactly this */
	uint8_t retries;                 /* requeued by a reset this many times */
	bool aborted;                    /* an Abort was sent for it */
	struct nvme_prp_lists prps;
};

struct nvme_ns {
	struct nvme_ctrl *ctrl;
	uint32_t nsid;
	unsigned lba_shift;
	uint64_t nsid_high;              /* nsid << 32: its place in an SQE's cdw0_nsid */
	uint64_t nsze;
	struct request_queue *q;
	struct block_device *disk;
};

struct nvme_ctrl {
	char name[8];                    /* nvme0 */
	struct pci_dev *pdev;
	volatile struct nvme_regs *regs;
	volatile uint8_t *bar;
	uint64_t cap;
	uint32_t db_stride, page_size;
	struct nvme_id_ctrl *id;
	struct nvme_queue admin;
	spinlock_t admin_lock;
	struct nvme_queue queues[NVME_MAX_QUEUES]; /* [0] unused: the admin queue is `admin` */
	unsigned nr_default, nr_read, nr_poll, nr_io;
	struct irq_affinity_desc masks[NVME_MAX_QUEUES];
	struct blk_mq_tag_set set;
	struct nvme_ns ns[NVME_MAX_NS];
	unsigned nr_ns;
	uint32_t max_transfer;           /* bytes: MDTS and the PRP lists */
	uint64_t admin_timeout_ns, io_timeout_ns;
	uint64_t resets;
	int resetting;                   /* a reset is running or scheduled */
	bool dead;                       /* a reset failed: every I/O ends with an error */
	bool stopping;                   /* being disabled (its CQ doorbells are off): no watchdog */
	int abort_pending;               /* an Abort is scheduled for (abort_sqid, abort_cid) */
	uint16_t abort_sqid, abort_cid;
	uint64_t reset_at_ns;            /* nvme_reset_after: when; 0 = none */
	unsigned aers_outstanding;       /* Asynchronous Event Requests the controller holds */
	int aer_busy;                    /* an event is being logged; its AER re-armed after */
	uint32_t aer_result;
	uint64_t aers_lost;              /* events that came while one was being logged */
	uint32_t *dbbuf, *eventidx;      /* shadow doorbell and EventIdx pages, NULL without DBBUF */
	uint64_t dbbuf_phys, eventidx_phys;
};

#define NVME_MAX_RETRIES 3

enum { NVME_SQ_ON, NVME_SQ_STOPPED, NVME_SQ_DEAD };

/* Commands the queue has sent since it was set up, and those that came back
 * (every CQE reaped but the bogus ones): from the positions the I/O path
 * moves anyway, so it counts nothing per command. From another CPU, a
 * snapshot that may be a lap off while that CPU wraps a ring. */
static inline uint64_t nvme_queue_submitted(const struct nvme_queue *q)
{
	return q->sq_base_count + q->sq_laps * q->depth + q->sq_tail;
}
static inline uint64_t nvme_queue_completed(const struct nvme_queue *q)
{
	return q->cq_base_count + q->cq_laps * q->depth + q->cq_head - q->bogus;
}

/* Brings up a controller whose name, pdev (for MSI-X) and bar are set, the
 * rest zeroed: the work of the PCI probe after the BAR is mapped, and what a
 * host test calls with a fake controller's registers. Registers each
 * namespace as a block device. 0, or a negative errno with the controller
 * left disabled (not in the list below: the probe adds it). */
int nvme_attach(struct nvme_ctrl *c);

/* The controllers found, in probe order. */
unsigned nvme_nr_ctrls(void);
struct nvme_ctrl *nvme_ctrl_at(unsigned i);
/* "nvme0" or a namespace "nvme0n1" (then *ns is set, else NULL); NULL if none. */
struct nvme_ctrl *nvme_ctrl_find(const char *dev, struct nvme_ns **ns);
/* One admin command, synchronously (polled, bounded by the admin timeout):
 * 0, -EIO with the status printed, -ETIMEDOUT or -ENODEV. sqe->cid is set here. */
int nvme_admin_sync(struct nvme_ctrl *c, struct nvme_sqe *sqe, uint32_t *result);
/* Resets the controller: quiesce, disable, re-enable, recreate the queues,
 * requeue what was in flight. 0 or a negative errno (then the controller is dead). */
int nvme_reset_ctrl(struct nvme_ctrl *c);
/* The stall watchdog, run on every CPU's tick (a host test calls it), each
 * CPU for the queues whose CQ is its own (cq_cpu), the boot CPU for the
 * others: with shadow doorbells, an I/O queue that has had commands outstanding and
 * completed none for NVME_STALL_MS gets its SQ tail and CQ head doorbells
 * written by MMIO, the same values again, and the kick is counted. */
#define NVME_STALL_MS 1000
void nvme_watchdog(struct nvme_ctrl *c);
/* Schedules a reset ms from now, run from the boot CPU's idle loop (so it can
 * hit I/O in flight, e.g. during verify). */
void nvme_reset_after(struct nvme_ctrl *c, uint64_t ms);

#endif
