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

struct nvme_ctrl;

struct nvme_queue {
	struct nvme_ctrl *ctrl;
	unsigned qid;
	uint16_t depth;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	uint64_t sq_phys, cq_phys;
	volatile uint32_t *sq_db, *cq_db;
	uint16_t sq_tail, sq_tail_rung;  /* tail written to the doorbell last */
	uint16_t cq_head;
	uint8_t cq_phase;
	int irq;                         /* -1: polled */
	unsigned vector;                 /* MSI-X entry */
	spinlock_t sq_lock;              /* CPUs sharing this queue; uncontended when 1:1 */
	struct blk_mq_tags *tags;        /* I/O queues: the hctx's tags */
	struct request **rqs;
	uint64_t submitted, completed, doorbells, interrupts, bogus;
};

/* Driver data of each request (cmd_size): its PRP list pages and a DSM range. */
struct nvme_cmd {
	struct nvme_dsm_range range;     /* DMA-able: the pool is page_alloc'd */
	uint16_t gen;
	struct nvme_prp_lists prps;
};

struct nvme_ns {
	struct nvme_ctrl *ctrl;
	uint32_t nsid;
	unsigned lba_shift;
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
};

#endif
