/*
 * A fake NVMe controller for host tests of the NVMe driver (and for the
 * microbenchmark). Its registers are RAM: a struct nvme_regs followed, at
 * NVME_REG_DBS, by the doorbells with stride 4 << CAP.DSTRD, in one 4 KiB
 * aligned block the driver is handed as its BAR. DMA is plain memory: a bus
 * address is a pointer unless the config supplies a translation.
 *
 * The device works like hardware polling its registers:
 *   - CC.EN 0->1 reads AQA/ASQ/ACQ and sets CSTS.RDY after ready_delay_us;
 *     1->0 is a controller reset (queues, outstanding commands and the
 *     doorbell buffer are dropped, CSTS.RDY cleared); CC.SHN sets
 *     CSTS.SHST = complete and the device stops fetching commands.
 *   - A doorbell write moves an SQ tail or CQ head; the device fetches SQ
 *     entries from host memory, executes them and posts CQ entries (phase,
 *     sq_head, sq_id, cid), then signals the CQ's vector if IEN is set by
 *     calling cfg.irq(cfg.irq_arg, vector) outside its lock.
 *   - Admin: Identify (controller, active namespace list, namespace), Set/Get
 *     Features (Number of Queues, Async Event Configuration), Create/Delete
 *     I/O CQ/SQ, Get Log Page (SMART, error log), Abort, Asynchronous Event
 *     Request (held until fake_nvme_async_event), Doorbell Buffer Config.
 *   - NVM: Read, Write, Flush, Dataset Management (deallocate), Write Zeroes
 *     against an in-memory disk per namespace, data moved by PRP1/PRP2/lists.
 *   - Doorbell Buffer Config (shadow doorbells and EventIdx) applies to the
 *     I/O queues (qid >= 1); the admin queue always uses its MMIO doorbells.
 *
 * Doorbell registers read back as FAKE_NVME_DB_IDLE: the device takes each
 * written value with an atomic exchange, which is how it counts writes (two
 * writes between two device passes count as one; never in the synchronous
 * mode used by the microbenchmark when it runs a pass after each doorbell).
 *
 * Two ways to run it: fake_nvme_process() does one device pass in the
 * caller's thread (deterministic tests, the microbenchmark); or
 * fake_nvme_start() runs passes on a device thread until fake_nvme_stop().
 * Every function of the device's own work is named fake_*, so a profile can
 * leave it out (the inclusive cost of fake_nvme_process is all of it).
 */
#ifndef TESTS_FAKE_NVME_H
#define TESTS_FAKE_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/nvme/nvme_spec.h"

#define FAKE_NVME_MAX_QUEUES 17   /* admin + 16 I/O queue pairs */
#define FAKE_NVME_MAX_NS 4
#define FAKE_NVME_MAX_FAULTS 8
#define FAKE_NVME_DB_IDLE 0xffffffffu

/* The CQE status field (phase bit excluded) for sct/sc/dnr. */
#define FAKE_NVME_STATUS(sct, sc, dnr) ((uint16_t)((unsigned)(dnr) << 15 | (unsigned)(sct) << 9 | (unsigned)(sc) << 1))
/* Status codes the fake returns that nvme_spec.h does not name (§4.6.1.2). */
#define FAKE_SC_DATA_XFER_ERROR   0x04
#define FAKE_SC_SQ_DELETED        0x08 /* aborted: SQ deletion */
#define FAKE_SC_INVALID_NS        0x0b
#define FAKE_SC_PRP_OFFSET        0x13
#define FAKE_SCT_CMD_SPECIFIC     1
#define FAKE_SC_CQ_INVALID        0x00
#define FAKE_SC_INVALID_QID       0x01
#define FAKE_SC_INVALID_QSIZE     0x02
#define FAKE_SC_AER_LIMIT         0x05
#define FAKE_SC_INVALID_VECTOR    0x08
#define FAKE_SC_INVALID_LOG_PAGE  0x09
#define FAKE_SC_INVALID_QDELETE   0x0c
#define FAKE_SCT_MEDIA            2
#define FAKE_SC_UNRECOVERED_READ  0x81

/* Error Information log entry (§5.16.1.2), as the fake fills it. */
struct fake_nvme_error_entry {
	uint64_t error_count;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;   /* CQE status field, phase bit clear */
	uint16_t parm_error_location;
	uint64_t lba;
	uint32_t nsid;
	uint8_t vs;
	uint8_t trtype;
	uint8_t rsvd30[2];
	uint64_t cs;
	uint16_t trtype_spec;
	uint8_t rsvd42[22];
};
_Static_assert(sizeof(struct fake_nvme_error_entry) == 64, "error log entry is 64 bytes");

struct fake_nvme_ns {
	uint32_t nsid;       /* 1 .. cfg.nn */
	uint64_t blocks;
	uint32_t block_size; /* 512 or 4096 */
};

/* How the device sets EventIdx with shadow doorbells on. */
enum fake_nvme_eventidx {
	/* A device that looks at the shadow tail only when an MMIO doorbell
	 * arrives, and then until it stops moving; EventIdx is the last value
	 * it has seen, so the host rings again once it passes that. */
	FAKE_EVENTIDX_SEEN,
	/* A device that reads every shadow doorbell on every pass and keeps
	 * EventIdx just behind what it has seen, so the host never rings. */
	FAKE_EVENTIDX_POLLING,
};

struct fake_nvme_config {
	/* CAP, VS */
	uint16_t mqes;              /* 0's based */
	uint8_t dstrd;              /* doorbell stride 4 << dstrd */
	uint8_t to;                 /* 500 ms units */
	uint8_t mpsmin, mpsmax;
	uint32_t vs;
	unsigned ready_delay_us;    /* CC.EN 0->1 to CSTS.RDY */
	/* Identify Controller */
	const char *mn, *sn, *fr;
	uint8_t mdts, aerl, acl, elpe;
	uint16_t oacs, oncs;
	uint8_t vwc;
	uint32_t nn;
	struct fake_nvme_ns ns[FAKE_NVME_MAX_NS];
	unsigned nr_ns;
	unsigned max_io_queues;     /* pairs Set Features grants, < FAKE_NVME_MAX_QUEUES */
	unsigned nr_vectors;        /* interrupt vectors, <= 64 */
	enum fake_nvme_eventidx eventidx;
	/* Interrupt: called with the vector after a pass posted to a CQ with
	 * IEN, from the thread that ran the pass, outside the fake's lock. */
	void (*irq)(void *arg, unsigned vector);
	void *irq_arg;
	/* Bus address to pointer; NULL means identity. Returning NULL fails
	 * the command with a data transfer error. */
	void *(*dma)(void *arg, uint64_t phys, size_t len);
	void *dma_arg;
};

/* Misbehaviours for one command: the nth command fetched from now on
 * (1 = the next) from SQ sqid (or any SQ when any_sq), AERs not counted. */
enum fake_nvme_fault_kind {
	FAKE_FAULT_LOSE,       /* no completion posted */
	FAKE_FAULT_BAD_CID,    /* completion carries cid = value instead */
	FAKE_FAULT_STALE_CID,  /* completion carries the cid of the previous completion on that SQ */
	FAKE_FAULT_BAD_SQID,   /* completion carries sq_id = value */
	FAKE_FAULT_BAD_SQHEAD, /* completion carries sq_head = value */
	FAKE_FAULT_STATUS,     /* not executed; completes with status = value (FAKE_NVME_STATUS) */
};

struct fake_nvme_fault {
	enum fake_nvme_fault_kind kind;
	unsigned nth;
	bool any_sq;
	uint16_t sqid;
	uint16_t value;
	/* LOSE and the BAD_* kinds execute the command (data moves) but its
	 * true completion is not posted: it stays outstanding, and an Abort
	 * naming it completes it with "abort requested". With unabortable the
	 * device forgets it instead (Abort answers "not aborted"). */
	bool unabortable;
};

struct fake_nvme_stats {
	unsigned long sq_doorbells, cq_doorbells;   /* MMIO doorbell writes seen */
	unsigned long sq_db[FAKE_NVME_MAX_QUEUES], cq_db[FAKE_NVME_MAX_QUEUES];
	unsigned long bad_doorbells;                /* out of range, or to a queue that does not exist */
	unsigned long shadow_reads;                 /* shadow doorbell values taken */
	unsigned long commands;                     /* SQ entries fetched */
	unsigned long completions;                  /* CQ entries posted */
	unsigned long cq_overflows;                 /* entries dropped: the CQ was full */
	unsigned long interrupts;
	unsigned long reads, writes, flushes, dsms, write_zeroes;
	unsigned long aborts;                       /* commands an Abort completed */
	unsigned long enables, resets, shutdowns;
	unsigned long faults_fired;
};

struct fake_nvme;

/* A small, well-behaved controller: 1 namespace of 2048 512-byte blocks,
 * MQES 255, DSTRD 0, 4 I/O queue pairs, 8 vectors, every optional command. */
void fake_nvme_default_config(struct fake_nvme_config *cfg);
struct fake_nvme *fake_nvme_create(const struct fake_nvme_config *cfg);
void fake_nvme_destroy(struct fake_nvme *f); /* stops the thread first */

void *fake_nvme_bar(struct fake_nvme *f);
size_t fake_nvme_bar_size(const struct fake_nvme *f);

/* One device pass in this thread; returns how much work it did (0 = idle). */
unsigned fake_nvme_process(struct fake_nvme *f);
void fake_nvme_start(struct fake_nvme *f);
void fake_nvme_stop(struct fake_nvme *f);

/* Test controls; each takes effect at the next pass. */
void fake_nvme_inject(struct fake_nvme *f, const struct fake_nvme_fault *fault);
void fake_nvme_clear_faults(struct fake_nvme *f);
void fake_nvme_set_never_ready(struct fake_nvme *f, bool on);
void fake_nvme_set_fatal(struct fake_nvme *f, bool on); /* CSTS.CFS, stops executing */
/* The next time the device takes SQ sqid's shadow tail (an MMIO doorbell
 * woke it), it leaves EventIdx one behind the tail it read: the host then
 * sees the device as still reading and rings no more, while it stopped. A
 * lost shadow doorbell, as an EventIdx race gives; an MMIO write ends it. */
void fake_nvme_miss_shadow_sq(struct fake_nvme *f, uint16_t sqid);
void fake_nvme_set_dead(struct fake_nvme *f);           /* every register reads all ones, for good */
/* Completes an outstanding Asynchronous Event Request with dword 0 =
 * lid << 16 | info << 8 | type, or queues the event until one arrives. */
void fake_nvme_async_event(struct fake_nvme *f, uint8_t type, uint8_t info, uint8_t lid);
void fake_nvme_set_smart(struct fake_nvme *f, uint8_t critical_warning, uint16_t temperature_kelvin);

/* The namespace's data (blocks * block_size bytes), for tests to look at. */
uint8_t *fake_nvme_disk(struct fake_nvme *f, uint32_t nsid);
void fake_nvme_get_stats(struct fake_nvme *f, struct fake_nvme_stats *out);
/* Commands currently held (lost completions, AERs). */
unsigned fake_nvme_outstanding(struct fake_nvme *f);

#endif
