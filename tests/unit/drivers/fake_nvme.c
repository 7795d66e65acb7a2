/*
 * The fake NVMe controller (see fake_nvme.h for what it models).
 *
 * All device state is under f->lock; a pass (fake_pass) takes it once, reads
 * CC and the doorbells, fetches and executes SQ entries, posts completions,
 * and collects the vectors to signal, which are delivered after the lock is
 * dropped so an interrupt handler may call back into the fake.
 *
 * Memory ordering with the host: a doorbell is taken with an atomic exchange
 * (acquire), so the SQ entries written before it are visible; a CQ entry's
 * last dword (cid, status and phase) is stored with release after the rest,
 * so a host that sees the new phase sees the whole entry.
 */
#include "tests/unit/drivers/fake_nvme.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_VID            0xfa4e
#define FAKE_MAX_HELD       64
#define FAKE_MAX_EVENTS     16
#define FAKE_ERROR_ENTRIES  16
#define FAKE_PAGE_SHIFT_MIN 12
#define FAKE_SQE_BYTES      64
#define FAKE_CQE_BYTES      16
#define FAKE_NSID_ALL       0xffffffffu
#define FAKE_ABORT_NOT_DONE 1u  /* Abort dword 0 bit 0: command not aborted */
#define FAKE_DLFEAT_ZEROES  0x01 /* deallocated blocks read as zeroes */
#define FAKE_FEAT_NUM_QUEUES_MAX 0xffff /* NSQR/NCQR 65535 is invalid */

struct fake_sq {
	bool live;
	uint64_t base;
	uint16_t size;
	uint16_t head;      /* next entry the device fetches */
	uint16_t tail;      /* last tail the host gave (MMIO or shadow) */
	uint16_t cqid;
	uint16_t last_cid;  /* cid of the last completion posted for this SQ */
	bool miss_shadow;   /* fake_nvme_miss_shadow_sq: leave EventIdx behind once */
};

struct fake_cq {
	bool live;
	uint64_t base;
	uint16_t size;
	uint16_t tail;      /* next slot the device writes */
	uint16_t head;      /* last head the host gave */
	bool phase;         /* P bit of the entries being written this lap */
	bool ien;
	uint16_t iv;
};

/* A fetched command that has not been completed: an AER waiting for an
 * event, or one whose completion a fault withheld. */
struct fake_held {
	bool used, aer;
	uint16_t sqid, cid;
	uint32_t result;
};

struct fake_event {
	uint32_t result;
};

struct fake_nvme {
	struct fake_nvme_config cfg;
	uint8_t *bar;
	size_t bar_size;
	uint8_t *disk[FAKE_NVME_MAX_NS];

	pthread_mutex_t lock;
	pthread_t thread;
	bool thread_running;
	bool stop;                    /* atomic: device thread should exit */

	/* controller state */
	bool enabled, ready, shut_down;
	bool refused;                 /* CC at enable was unusable: never ready */
	bool never_ready, fatal, dead;
	struct timespec enabled_at;
	uint32_t page_size;           /* CC.MPS at enable */
	unsigned granted_sq, granted_cq; /* I/O queues Set Features allowed */
	uint32_t aec;                 /* Async Event Configuration */
	struct fake_sq sq[FAKE_NVME_MAX_QUEUES];
	struct fake_cq cq[FAKE_NVME_MAX_QUEUES];
	bool sq_rang[FAKE_NVME_MAX_QUEUES]; /* MMIO doorbell seen this pass */
	uint64_t dbbuf_dbs, dbbuf_eis;     /* shadow doorbells / EventIdx; 0 = off */
	struct fake_held held[FAKE_MAX_HELD];
	struct fake_event events[FAKE_MAX_EVENTS];
	unsigned nr_events;
	struct fake_nvme_fault faults[FAKE_NVME_MAX_FAULTS];
	unsigned nr_faults;
	uint64_t irq_pending;         /* vectors to signal after this pass */

	/* logs */
	struct nvme_smart_log smart;
	uint64_t units_read, units_written, host_reads, host_writes; /* SMART counters */
	struct fake_nvme_error_entry errors[FAKE_ERROR_ENTRIES]; /* newest first */
	uint64_t error_count;

	struct fake_nvme_stats stats;
};

/* ------------------------------------------------------------------ */
/* registers                                                           */

static volatile struct nvme_regs *fake_regs(struct fake_nvme *f)
{
	return (volatile struct nvme_regs *)f->bar;
}

static uint32_t *fake_doorbell(struct fake_nvme *f, unsigned qid, bool cq)
{
	size_t stride = (size_t)4 << f->cfg.dstrd;
	return (uint32_t *)(f->bar + NVME_REG_DBS + (2 * qid + cq) * stride);
}

static void fake_set_csts(struct fake_nvme *f, uint32_t set, uint32_t clear)
{
	uint32_t *csts = (uint32_t *)&fake_regs(f)->csts;
	uint32_t v = __atomic_load_n(csts, __ATOMIC_RELAXED);
	__atomic_store_n(csts, (v & ~clear) | set, __ATOMIC_RELEASE);
}

static void fake_init_regs(struct fake_nvme *f)
{
	const struct fake_nvme_config *c = &f->cfg;
	memset(f->bar, 0, NVME_REG_DBS);
	fake_regs(f)->cap = (uint64_t)c->mqes | 1ull << 16 /* CQR */ | (uint64_t)c->to << 24 |
			    (uint64_t)c->dstrd << 32 | (uint64_t)NVME_CAP_CSS_NVM << 37 |
			    (uint64_t)c->mpsmin << 48 | (uint64_t)c->mpsmax << 52;
	fake_regs(f)->vs = c->vs;
	memset(f->bar + NVME_REG_DBS, 0xff, f->bar_size - NVME_REG_DBS);
}

static void fake_fill_dead(struct fake_nvme *f)
{
	memset(f->bar, 0xff, f->bar_size);
}

/* ------------------------------------------------------------------ */
/* host memory                                                         */

static void *fake_dma(struct fake_nvme *f, uint64_t phys, size_t len)
{
	if (f->cfg.dma)
		return f->cfg.dma(f->cfg.dma_arg, phys, len);
	return (void *)(uintptr_t)phys;
}

static void fake_copy(struct fake_nvme *f, uint64_t phys, uint8_t *buf, size_t len, bool to_host, bool *ok)
{
	void *p = fake_dma(f, phys, len);
	if (!p) {
		*ok = false;
		return;
	}
	if (to_host)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
}

/* Moves len bytes between buf and the pages PRP1/PRP2 describe (§4.1.1).
 * Returns an NVMe status field (0 = success). */
static uint16_t fake_prp_xfer(struct fake_nvme *f, const struct nvme_sqe *sqe, uint8_t *buf, size_t len,
			      bool to_host)
{
	uint64_t ps = f->page_size, mask = ps - 1;
	uint16_t bad_offset = FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_PRP_OFFSET, 1);
	bool ok = true;
	if (sqe->prp1 & 3)
		return bad_offset;
	size_t n = ps - (sqe->prp1 & mask);
	if (n > len)
		n = len;
	fake_copy(f, sqe->prp1, buf, n, to_host, &ok);
	size_t done = n;
	if (done < len && len - done <= ps) {
		if (sqe->prp2 & mask)
			return bad_offset;
		fake_copy(f, sqe->prp2, buf + done, len - done, to_host, &ok);
		done = len;
	}
	/* a list: its entries run to the end of the page PRP2 points into;
	 * the last one chains when more entries remain than that */
	uint64_t list = sqe->prp2;
	size_t hops = 0, max_hops = len / ps + 1; /* a chain that loops must end */
	while (done < len && ok) {
		if ((list & 7) || hops++ > max_hops)
			return bad_offset;
		size_t avail = (ps - (list & mask)) / 8;
		const uint64_t *e = fake_dma(f, list, avail * 8);
		if (!e)
			break;
		size_t i;
		for (i = 0; i < avail && done < len; i++) {
			size_t left_entries = (len - done + ps - 1) / ps;
			if (i == avail - 1 && left_entries > 1)
				break;
			if (e[i] & mask)
				return bad_offset;
			n = len - done < ps ? len - done : ps;
			fake_copy(f, e[i], buf + done, n, to_host, &ok);
			done += n;
		}
		if (done < len)
			list = e[avail - 1];
	}
	return ok && done == len ? 0 : FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_DATA_XFER_ERROR, 0);
}

/* ------------------------------------------------------------------ */
/* completions                                                         */

static unsigned fake_cq_room(const struct fake_cq *cq)
{
	return (unsigned)(cq->head + cq->size - cq->tail - 1) % cq->size;
}

static void fake_post_cqe(struct fake_nvme *f, unsigned cqid, uint32_t result, uint16_t sq_head, uint16_t sq_id,
			  uint16_t cid, uint16_t status)
{
	struct fake_cq *cq = &f->cq[cqid];
	if (fake_cq_room(cq) == 0) {
		f->stats.cq_overflows++; /* the host would lose an entry: drop it instead */
		return;
	}
	uint32_t *e = fake_dma(f, cq->base + (uint64_t)cq->tail * FAKE_CQE_BYTES, FAKE_CQE_BYTES);
	if (!e)
		return;
	e[0] = result;
	e[1] = 0;
	e[2] = (uint32_t)sq_id << 16 | sq_head;
	uint32_t dw3 = (uint32_t)(status | cq->phase) << 16 | cid;
	__atomic_store_n(&e[3], dw3, __ATOMIC_RELEASE);
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase = !cq->phase;
	}
	f->stats.completions++;
	if (cq->ien)
		f->irq_pending |= 1ull << cq->iv;
}

static void fake_log_error(struct fake_nvme *f, uint16_t sqid, uint16_t cid, uint16_t status, uint32_t nsid)
{
	memmove(&f->errors[1], &f->errors[0], sizeof(f->errors) - sizeof(f->errors[0]));
	struct fake_nvme_error_entry *e = &f->errors[0];
	memset(e, 0, sizeof(*e));
	e->error_count = ++f->error_count;
	e->sqid = sqid;
	e->cid = cid;
	e->status = status;
	e->parm_error_location = 0xffff; /* not specific to a field */
	e->nsid = nsid;
}

/* Posts a command's completion to its SQ's CQ. */
static void fake_complete(struct fake_nvme *f, uint16_t sqid, uint16_t cid, uint32_t result, uint16_t status)
{
	struct fake_sq *sq = &f->sq[sqid];
	fake_post_cqe(f, sq->cqid, result, sq->head, sqid, cid, status);
	sq->last_cid = cid;
}

static struct fake_held *fake_hold(struct fake_nvme *f, uint16_t sqid, uint16_t cid, bool aer)
{
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++)
		if (!f->held[i].used) {
			f->held[i] = (struct fake_held){ .used = true, .aer = aer, .sqid = sqid, .cid = cid };
			return &f->held[i];
		}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* faults                                                              */

/* The fault that fires on this command, if any: every armed fault that
 * matches the SQ counts the command down. */
static bool fake_fault_take(struct fake_nvme *f, uint16_t sqid, struct fake_nvme_fault *out)
{
	bool fired = false;
	for (unsigned i = 0; i < f->nr_faults;) {
		struct fake_nvme_fault *ft = &f->faults[i];
		if ((ft->any_sq || ft->sqid == sqid) && --ft->nth == 0) {
			if (!fired)
				*out = *ft;
			fired = true;
			f->faults[i] = f->faults[--f->nr_faults];
			continue;
		}
		i++;
	}
	if (fired)
		f->stats.faults_fired++;
	return fired;
}

/* Completion of a command a fault hit: a bogus CQE (or none), and the true
 * one withheld. */
static void fake_complete_faulty(struct fake_nvme *f, const struct fake_nvme_fault *ft, uint16_t sqid,
				 uint16_t cid, uint32_t result)
{
	struct fake_sq *sq = &f->sq[sqid];
	switch (ft->kind) {
	case FAKE_FAULT_BAD_CID:
		fake_post_cqe(f, sq->cqid, result, sq->head, sqid, ft->value, 0);
		break;
	case FAKE_FAULT_STALE_CID:
		fake_post_cqe(f, sq->cqid, result, sq->head, sqid, sq->last_cid, 0);
		break;
	case FAKE_FAULT_BAD_SQID:
		fake_post_cqe(f, sq->cqid, result, sq->head, ft->value, cid, 0);
		break;
	case FAKE_FAULT_BAD_SQHEAD:
		fake_post_cqe(f, sq->cqid, result, ft->value, sqid, cid, 0);
		break;
	default:
		break;
	}
	if (!ft->unabortable) {
		struct fake_held *h = fake_hold(f, sqid, cid, false);
		if (h)
			h->result = result;
	}
}

/* ------------------------------------------------------------------ */
/* admin commands                                                      */

static uint16_t fake_status(uint8_t sct, uint8_t sc)
{
	return FAKE_NVME_STATUS(sct, sc, 1);
}

static void fake_pad(char *dst, const char *src, size_t n)
{
	memset(dst, ' ', n);
	if (src)
		memcpy(dst, src, strnlen(src, n));
}

static const struct fake_nvme_ns *fake_ns(struct fake_nvme *f, uint32_t nsid, unsigned *index)
{
	for (unsigned i = 0; i < f->cfg.nr_ns; i++)
		if (f->cfg.ns[i].nsid == nsid) {
			if (index)
				*index = i;
			return &f->cfg.ns[i];
		}
	return NULL;
}

static void fake_identify_ctrl(struct fake_nvme *f, struct nvme_id_ctrl *id)
{
	const struct fake_nvme_config *c = &f->cfg;
	id->vid = FAKE_VID;
	id->ssvid = FAKE_VID;
	fake_pad(id->sn, c->sn, sizeof(id->sn));
	fake_pad(id->mn, c->mn, sizeof(id->mn));
	fake_pad(id->fr, c->fr, sizeof(id->fr));
	id->mdts = c->mdts;
	id->cntlid = 1;
	id->ver = c->vs;
	id->oacs = c->oacs;
	id->acl = c->acl;
	id->aerl = c->aerl;
	id->elpe = c->elpe;
	id->sqes = 6 << 4 | 6; /* 64-byte SQ entries, required and maximum */
	id->cqes = 4 << 4 | 4; /* 16-byte CQ entries */
	id->nn = c->nn;
	id->oncs = c->oncs;
	id->vwc = c->vwc;
	id->sgls = 0;          /* PRPs only */
}

static void fake_identify_ns(const struct fake_nvme_ns *ns, struct nvme_id_ns *id)
{
	id->nsze = id->ncap = id->nuse = ns->blocks;
	id->nlbaf = 1;         /* two formats: 512 and 4096 bytes, no metadata */
	id->lbaf[0].lbads = 9;
	id->lbaf[1].lbads = 12;
	id->flbas = ns->block_size == 4096 ? 1 : 0;
	id->dlfeat = FAKE_DLFEAT_ZEROES;
}

static uint16_t fake_identify(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	_Alignas(8) uint8_t buf[NVME_IDENTIFY_BYTES] = { 0 };
	switch (sqe->cdw10 & 0xff) {
	case NVME_ID_CNS_CTRL:
		fake_identify_ctrl(f, (struct nvme_id_ctrl *)buf);
		break;
	case NVME_ID_CNS_NS: {
		if (sqe->nsid == 0 || sqe->nsid > f->cfg.nn)
			return fake_status(NVME_SCT_GENERIC, FAKE_SC_INVALID_NS);
		const struct fake_nvme_ns *ns = fake_ns(f, sqe->nsid, NULL);
		if (ns) /* an inactive namespace reads as zeroes */
			fake_identify_ns(ns, (struct nvme_id_ns *)buf);
		break;
	}
	case NVME_ID_CNS_NS_ACTIVE: {
		/* active NSIDs above the given one, ascending */
		uint32_t *list = (uint32_t *)buf, n = 0, above = sqe->nsid;
		for (;;) {
			uint32_t next = 0;
			for (unsigned i = 0; i < f->cfg.nr_ns; i++)
				if (f->cfg.ns[i].nsid > above && (!next || f->cfg.ns[i].nsid < next))
					next = f->cfg.ns[i].nsid;
			if (!next)
				break;
			list[n++] = above = next;
		}
		break;
	}
	default:
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	return fake_prp_xfer(f, sqe, buf, sizeof(buf), true);
}

static uint16_t fake_set_features(struct fake_nvme *f, const struct nvme_sqe *sqe, uint32_t *result)
{
	switch (sqe->cdw10 & 0xff) {
	case NVME_FEAT_NUM_QUEUES: {
		uint32_t nsqr = sqe->cdw11 & 0xffff, ncqr = sqe->cdw11 >> 16;
		if (nsqr == FAKE_FEAT_NUM_QUEUES_MAX || ncqr == FAKE_FEAT_NUM_QUEUES_MAX)
			return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
		unsigned max = f->cfg.max_io_queues;
		f->granted_sq = nsqr + 1 < max ? nsqr + 1 : max;
		f->granted_cq = ncqr + 1 < max ? ncqr + 1 : max;
		*result = (uint32_t)(f->granted_cq - 1) << 16 | (f->granted_sq - 1);
		return 0;
	}
	case NVME_FEAT_ASYNC_EVENT:
		f->aec = sqe->cdw11;
		return 0;
	default:
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
}

static uint16_t fake_get_features(struct fake_nvme *f, const struct nvme_sqe *sqe, uint32_t *result)
{
	switch (sqe->cdw10 & 0xff) {
	case NVME_FEAT_NUM_QUEUES:
		*result = (uint32_t)(f->granted_cq - 1) << 16 | (f->granted_sq - 1);
		return 0;
	case NVME_FEAT_ASYNC_EVENT:
		*result = f->aec;
		return 0;
	default:
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
}

/* Checks common to Create I/O CQ and SQ; returns a status or 0. */
static uint16_t fake_check_new_queue(struct fake_nvme *f, uint16_t qid, uint32_t size, unsigned granted,
				     bool live, uint32_t cdw11, uint64_t base)
{
	if (qid == 0 || qid >= FAKE_NVME_MAX_QUEUES || qid > granted || live)
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QID);
	if (size < 2 || size > (uint32_t)f->cfg.mqes + 1)
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QSIZE);
	if (!(cdw11 & NVME_QUEUE_PHYS_CONTIG) || (base & (f->page_size - 1)) || !base)
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD); /* CAP.CQR is set */
	return 0;
}

static uint16_t fake_create_cq(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	uint16_t qid = sqe->cdw10 & 0xffff;
	uint32_t size = (sqe->cdw10 >> 16) + 1;
	uint16_t iv = sqe->cdw11 >> 16;
	bool ien = sqe->cdw11 & NVME_CQ_IRQ_ENABLED;
	bool live = qid < FAKE_NVME_MAX_QUEUES && f->cq[qid].live;
	uint16_t st = fake_check_new_queue(f, qid, size, f->granted_cq, live, sqe->cdw11, sqe->prp1);
	if (st)
		return st;
	if (ien && iv >= f->cfg.nr_vectors)
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_VECTOR);
	f->cq[qid] = (struct fake_cq){ .live = true, .base = sqe->prp1, .size = (uint16_t)size, .phase = true,
				       .ien = ien, .iv = iv };
	return 0;
}

static uint16_t fake_create_sq(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	uint16_t qid = sqe->cdw10 & 0xffff;
	uint32_t size = (sqe->cdw10 >> 16) + 1;
	uint16_t cqid = sqe->cdw11 >> 16;
	bool live = qid < FAKE_NVME_MAX_QUEUES && f->sq[qid].live;
	uint16_t st = fake_check_new_queue(f, qid, size, f->granted_sq, live, sqe->cdw11, sqe->prp1);
	if (st)
		return st;
	if (cqid == 0 || cqid >= FAKE_NVME_MAX_QUEUES || !f->cq[cqid].live)
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_CQ_INVALID);
	f->sq[qid] = (struct fake_sq){ .live = true, .base = sqe->prp1, .size = (uint16_t)size, .cqid = cqid };
	return 0;
}

static uint16_t fake_delete_sq(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	uint16_t qid = sqe->cdw10 & 0xffff;
	if (qid == 0 || qid >= FAKE_NVME_MAX_QUEUES || !f->sq[qid].live)
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QID);
	/* outstanding commands complete as aborted before the SQ goes */
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++)
		if (f->held[i].used && f->held[i].sqid == qid) {
			fake_complete(f, qid, f->held[i].cid, 0,
				      FAKE_NVME_STATUS(NVME_SCT_GENERIC, FAKE_SC_SQ_DELETED, 0));
			f->held[i].used = false;
		}
	f->sq[qid].live = false;
	return 0;
}

static uint16_t fake_delete_cq(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	uint16_t qid = sqe->cdw10 & 0xffff;
	if (qid == 0 || qid >= FAKE_NVME_MAX_QUEUES || !f->cq[qid].live)
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QID);
	for (unsigned i = 1; i < FAKE_NVME_MAX_QUEUES; i++)
		if (f->sq[i].live && f->sq[i].cqid == qid)
			return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_QDELETE);
	f->cq[qid].live = false;
	return 0;
}

static void fake_put_u128(uint8_t dst[16], uint64_t v)
{
	memset(dst, 0, 16);
	memcpy(dst, &v, sizeof(v)); /* little-endian host */
}

static uint16_t fake_get_log_page(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	uint8_t log[sizeof(f->errors)] = { 0 };
	size_t log_len;
	uint8_t lid = sqe->cdw10 & 0xff;
	uint64_t numd = ((uint64_t)(sqe->cdw11 & 0xffff) << 16 | sqe->cdw10 >> 16) + 1;
	uint64_t offset = (uint64_t)sqe->cdw13 << 32 | sqe->cdw12;
	if (lid == NVME_LOG_SMART) {
		struct nvme_smart_log *s = (struct nvme_smart_log *)log;
		*s = f->smart;
		fake_put_u128(s->data_units_read, f->units_read);
		fake_put_u128(s->data_units_written, f->units_written);
		fake_put_u128(s->host_reads, f->host_reads);
		fake_put_u128(s->host_writes, f->host_writes);
		fake_put_u128(s->num_err_log_entries, f->error_count);
		log_len = sizeof(*s);
	} else if (lid == NVME_LOG_ERROR) {
		log_len = (size_t)(f->cfg.elpe + 1) * sizeof(f->errors[0]);
		if (log_len > sizeof(f->errors))
			log_len = sizeof(f->errors);
		memcpy(log, f->errors, log_len);
	} else {
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_INVALID_LOG_PAGE);
	}
	if (numd * 4 > NVME_IDENTIFY_BYTES || offset > log_len || (offset & 3))
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	uint8_t out[NVME_IDENTIFY_BYTES] = { 0 };
	memcpy(out, log + offset, log_len - offset);
	return fake_prp_xfer(f, sqe, out, numd * 4, true);
}

static uint16_t fake_abort(struct fake_nvme *f, const struct nvme_sqe *sqe, uint32_t *result)
{
	uint16_t sqid = sqe->cdw10 & 0xffff, cid = sqe->cdw10 >> 16;
	*result = FAKE_ABORT_NOT_DONE;
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++) {
		struct fake_held *h = &f->held[i];
		if (!h->used || h->aer || h->sqid != sqid || h->cid != cid)
			continue;
		/* the aborted command's CQE and the Abort's own may share the admin CQ */
		unsigned need = f->sq[sqid].cqid == 0 ? 2 : 1;
		if (fake_cq_room(&f->cq[f->sq[sqid].cqid]) < need)
			return 0;
		fake_complete(f, sqid, cid, 0, FAKE_NVME_STATUS(NVME_SCT_GENERIC, NVME_SC_ABORT_REQ, 0));
		h->used = false;
		f->stats.aborts++;
		*result = 0;
		return 0;
	}
	return 0;
}

static unsigned fake_outstanding_aers(struct fake_nvme *f)
{
	unsigned n = 0;
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++)
		n += f->held[i].used && f->held[i].aer;
	return n;
}

static uint16_t fake_async_event_request(struct fake_nvme *f, const struct nvme_sqe *sqe, bool *held)
{
	if (fake_outstanding_aers(f) > f->cfg.aerl)
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_AER_LIMIT);
	if (!fake_hold(f, 0, sqe->cid, true))
		return fake_status(FAKE_SCT_CMD_SPECIFIC, FAKE_SC_AER_LIMIT);
	*held = true;
	return 0;
}

static uint32_t *fake_shadow(struct fake_nvme *f, uint64_t buf, unsigned qid, bool cq)
{
	size_t stride = (size_t)4 << f->cfg.dstrd;
	return fake_dma(f, buf + (2 * qid + cq) * stride, sizeof(uint32_t));
}

/* EventIdx to write after seeing value `seen` (see enum fake_nvme_eventidx). */
static uint32_t fake_eventidx_for(struct fake_nvme *f, uint16_t seen)
{
	return f->cfg.eventidx == FAKE_EVENTIDX_POLLING ? (uint16_t)(seen - 1) : seen;
}

/* §5.8: PRP1 = shadow doorbell buffer, PRP2 = EventIdx buffer, each one
 * memory page laid out like the doorbell registers. Existing I/O queues
 * start from their current values. */
static uint16_t fake_dbbuf_config(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	if (!(f->cfg.oacs & NVME_OACS_DBBUF_CONFIG))
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	uint64_t mask = f->page_size - 1;
	if (!sqe->prp1 || !sqe->prp2 || (sqe->prp1 & mask) || (sqe->prp2 & mask))
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	f->dbbuf_dbs = sqe->prp1;
	f->dbbuf_eis = sqe->prp2;
	for (uint16_t qid = 1; qid < FAKE_NVME_MAX_QUEUES; qid++) {
		if (f->sq[qid].live) {
			*fake_shadow(f, f->dbbuf_dbs, qid, false) = f->sq[qid].tail;
			*fake_shadow(f, f->dbbuf_eis, qid, false) = fake_eventidx_for(f, f->sq[qid].tail);
		}
		if (f->cq[qid].live) {
			*fake_shadow(f, f->dbbuf_dbs, qid, true) = f->cq[qid].head;
			*fake_shadow(f, f->dbbuf_eis, qid, true) = fake_eventidx_for(f, f->cq[qid].head);
		}
	}
	return 0;
}

static uint16_t fake_admin(struct fake_nvme *f, const struct nvme_sqe *sqe, uint32_t *result, bool *held)
{
	switch (sqe->opcode) {
	case NVME_ADMIN_IDENTIFY:
		return fake_identify(f, sqe);
	case NVME_ADMIN_SET_FEATURES:
		return fake_set_features(f, sqe, result);
	case NVME_ADMIN_GET_FEATURES:
		return fake_get_features(f, sqe, result);
	case NVME_ADMIN_CREATE_CQ:
		return fake_create_cq(f, sqe);
	case NVME_ADMIN_CREATE_SQ:
		return fake_create_sq(f, sqe);
	case NVME_ADMIN_DELETE_SQ:
		return fake_delete_sq(f, sqe);
	case NVME_ADMIN_DELETE_CQ:
		return fake_delete_cq(f, sqe);
	case NVME_ADMIN_GET_LOG_PAGE:
		return fake_get_log_page(f, sqe);
	case NVME_ADMIN_ABORT:
		return fake_abort(f, sqe, result);
	case NVME_ADMIN_ASYNC_EVENT:
		return fake_async_event_request(f, sqe, held);
	case NVME_ADMIN_DBBUF_CONFIG:
		return fake_dbbuf_config(f, sqe);
	default:
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	}
}

/* ------------------------------------------------------------------ */
/* NVM commands                                                        */

/* The namespace and LBA range of a command; a status when they are bad. */
static uint16_t fake_lba_range(struct fake_nvme *f, uint32_t nsid, uint64_t slba, uint64_t nlb, uint8_t **data,
			       size_t *bytes)
{
	unsigned i;
	const struct fake_nvme_ns *ns = fake_ns(f, nsid, &i);
	if (!ns)
		return fake_status(NVME_SCT_GENERIC, FAKE_SC_INVALID_NS);
	if (slba + nlb > ns->blocks || slba + nlb < slba)
		return fake_status(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	*data = f->disk[i] + slba * ns->block_size;
	*bytes = nlb * ns->block_size;
	return 0;
}

static uint16_t fake_read_write(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	bool write = sqe->opcode == NVME_CMD_WRITE;
	uint64_t slba = (uint64_t)sqe->cdw11 << 32 | sqe->cdw10;
	uint8_t *data;
	size_t bytes;
	uint16_t st = fake_lba_range(f, sqe->nsid, slba, (sqe->cdw12 & 0xffff) + 1, &data, &bytes);
	if (st)
		return st;
	/* MDTS is in units of the minimum memory page size (CAP.MPSMIN) */
	if (f->cfg.mdts && bytes > ((size_t)1 << (FAKE_PAGE_SHIFT_MIN + f->cfg.mpsmin + f->cfg.mdts)))
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	st = fake_prp_xfer(f, sqe, data, bytes, !write);
	if (st)
		return st;
	/* SMART data units are thousands of 512-byte units, rounded up */
	if (write) {
		f->stats.writes++;
		f->host_writes++;
		f->units_written += (bytes / 512 + 999) / 1000;
	} else {
		f->stats.reads++;
		f->host_reads++;
		f->units_read += (bytes / 512 + 999) / 1000;
	}
	return 0;
}

static uint16_t fake_write_zeroes(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	if (!(f->cfg.oncs & NVME_ONCS_WRITE_ZEROES))
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	uint64_t slba = (uint64_t)sqe->cdw11 << 32 | sqe->cdw10;
	uint8_t *data;
	size_t bytes;
	uint16_t st = fake_lba_range(f, sqe->nsid, slba, (sqe->cdw12 & 0xffff) + 1, &data, &bytes);
	if (st)
		return st;
	memset(data, 0, bytes);
	f->stats.write_zeroes++;
	return 0;
}

static uint16_t fake_dsm(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	if (!(f->cfg.oncs & NVME_ONCS_DSM))
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	struct nvme_dsm_range r[256];
	unsigned nr = (sqe->cdw10 & 0xff) + 1;
	uint16_t st = fake_prp_xfer(f, sqe, (uint8_t *)r, nr * sizeof(r[0]), false);
	if (st)
		return st;
	f->stats.dsms++;
	if (!(sqe->cdw11 & NVME_DSMGMT_AD))
		return 0; /* attributes are hints */
	for (unsigned i = 0; i < nr; i++) {
		uint8_t *data;
		size_t bytes;
		if (r[i].nlb == 0)
			continue;
		st = fake_lba_range(f, sqe->nsid, r[i].slba, r[i].nlb, &data, &bytes);
		if (st)
			return st;
		memset(data, 0, bytes); /* deallocated blocks read as zeroes (DLFEAT) */
	}
	return 0;
}

static uint16_t fake_io(struct fake_nvme *f, const struct nvme_sqe *sqe)
{
	switch (sqe->opcode) {
	case NVME_CMD_READ:
	case NVME_CMD_WRITE:
		return fake_read_write(f, sqe);
	case NVME_CMD_FLUSH:
		if (sqe->nsid != FAKE_NSID_ALL && !fake_ns(f, sqe->nsid, NULL))
			return fake_status(NVME_SCT_GENERIC, FAKE_SC_INVALID_NS);
		f->stats.flushes++;
		return 0;
	case NVME_CMD_WRITE_ZEROES:
		return fake_write_zeroes(f, sqe);
	case NVME_CMD_DSM:
		return fake_dsm(f, sqe);
	default:
		return fake_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	}
}

/* ------------------------------------------------------------------ */
/* doorbells                                                           */

/* Takes the shadow tail of an I/O SQ: publish EventIdx for what the device
 * has seen, then read the shadow; repeat until it stops moving, so a host
 * that wrote past the old EventIdx without ringing is never missed. */
static void fake_sync_shadow_sq(struct fake_nvme *f, uint16_t qid)
{
	struct fake_sq *sq = &f->sq[qid];
	uint32_t *db = fake_shadow(f, f->dbbuf_dbs, qid, false);
	uint32_t *ei = fake_shadow(f, f->dbbuf_eis, qid, false);
	if (!db || !ei)
		return;
	for (;;) {
		__atomic_store_n(ei, fake_eventidx_for(f, sq->tail), __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		uint32_t v = __atomic_load_n(db, __ATOMIC_ACQUIRE);
		if (v >= sq->size) {
			f->stats.bad_doorbells++;
			return;
		}
		if (v == sq->tail)
			break;
		sq->tail = (uint16_t)v;
		f->stats.shadow_reads++;
	}
	if (sq->miss_shadow) { /* claims to be reading still, and is not */
		__atomic_store_n(ei, (uint16_t)(sq->tail - 1), __ATOMIC_RELAXED);
		sq->miss_shadow = false;
	}
}

static void fake_sync_shadow_cq(struct fake_nvme *f, uint16_t qid)
{
	struct fake_cq *cq = &f->cq[qid];
	uint32_t *db = fake_shadow(f, f->dbbuf_dbs, qid, true);
	uint32_t *ei = fake_shadow(f, f->dbbuf_eis, qid, true);
	if (!db || !ei)
		return;
	__atomic_store_n(ei, fake_eventidx_for(f, cq->head), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint32_t v = __atomic_load_n(db, __ATOMIC_ACQUIRE);
	if (v >= cq->size) {
		f->stats.bad_doorbells++;
		return;
	}
	if (v != cq->head)
		f->stats.shadow_reads++;
	cq->head = (uint16_t)v;
}

/* Takes every MMIO doorbell written since the last pass. */
static void fake_read_doorbells(struct fake_nvme *f)
{
	for (unsigned qid = 0; qid < FAKE_NVME_MAX_QUEUES; qid++) {
		uint32_t v = __atomic_exchange_n(fake_doorbell(f, qid, false), FAKE_NVME_DB_IDLE, __ATOMIC_ACQ_REL);
		f->sq_rang[qid] = v != FAKE_NVME_DB_IDLE;
		if (f->sq_rang[qid]) {
			f->stats.sq_doorbells++;
			f->stats.sq_db[qid]++;
			if (f->sq[qid].live && v < f->sq[qid].size)
				f->sq[qid].tail = (uint16_t)v;
			else
				f->stats.bad_doorbells++;
		}
		v = __atomic_exchange_n(fake_doorbell(f, qid, true), FAKE_NVME_DB_IDLE, __ATOMIC_ACQ_REL);
		if (v != FAKE_NVME_DB_IDLE) {
			f->stats.cq_doorbells++;
			f->stats.cq_db[qid]++;
			if (f->cq[qid].live && v < f->cq[qid].size)
				f->cq[qid].head = (uint16_t)v;
			else
				f->stats.bad_doorbells++;
		}
	}
}

/* With a doorbell buffer: which shadow values the device looks at this pass. */
static void fake_read_shadows(struct fake_nvme *f)
{
	if (!f->dbbuf_dbs)
		return;
	bool polling = f->cfg.eventidx == FAKE_EVENTIDX_POLLING;
	for (uint16_t qid = 1; qid < FAKE_NVME_MAX_QUEUES; qid++) {
		if (f->sq[qid].live && (polling || f->sq_rang[qid]))
			fake_sync_shadow_sq(f, qid);
		/* otherwise the CQ head is read when the CQ looks full
		 * (fake_cq_has_room). The host zeroes a queue's shadow entries
		 * before creating it (§5.8). */
		if (f->cq[qid].live && polling)
			fake_sync_shadow_cq(f, qid);
	}
}

/* ------------------------------------------------------------------ */
/* fetching and executing                                              */

static void fake_execute(struct fake_nvme *f, uint16_t sqid, const struct nvme_sqe *sqe)
{
	struct fake_nvme_fault ft;
	uint32_t result = 0;
	bool held = false, faulty = false;
	uint16_t status;

	if (!(sqid == 0 && sqe->opcode == NVME_ADMIN_ASYNC_EVENT))
		faulty = fake_fault_take(f, sqid, &ft);
	if (faulty && ft.kind == FAKE_FAULT_STATUS)
		status = ft.value;
	else if (sqid == 0)
		status = fake_admin(f, sqe, &result, &held);
	else
		status = fake_io(f, sqe);
	if (held)
		return;
	if (status)
		fake_log_error(f, sqid, sqe->cid, status, sqe->nsid);
	if (faulty && ft.kind != FAKE_FAULT_STATUS)
		fake_complete_faulty(f, &ft, sqid, sqe->cid, result);
	else
		fake_complete(f, sqid, sqe->cid, result, status);
}

/* Room for one more entry in the CQ; when it looks full and the host keeps
 * its head in the doorbell buffer, the device reads that first. */
static bool fake_cq_has_room(struct fake_nvme *f, uint16_t cqid)
{
	if (fake_cq_room(&f->cq[cqid]) == 0 && f->dbbuf_dbs && cqid != 0)
		fake_sync_shadow_cq(f, cqid);
	return fake_cq_room(&f->cq[cqid]) > 0;
}

/* Fetches and executes what the SQ holds while its CQ has room. */
static unsigned fake_run_sq(struct fake_nvme *f, uint16_t sqid)
{
	struct fake_sq *sq = &f->sq[sqid];
	unsigned n = 0;
	while (sq->live && sq->head != sq->tail && fake_cq_has_room(f, sq->cqid)) {
		struct nvme_sqe sqe;
		const void *src = fake_dma(f, sq->base + (uint64_t)sq->head * FAKE_SQE_BYTES, FAKE_SQE_BYTES);
		if (!src)
			break;
		memcpy(&sqe, src, sizeof(sqe));
		sq->head = (uint16_t)((sq->head + 1) % sq->size);
		f->stats.commands++;
		fake_execute(f, sqid, &sqe);
		n++;
	}
	return n;
}

/* Completes held AERs with queued events while the admin CQ has room. */
static unsigned fake_post_events(struct fake_nvme *f)
{
	unsigned n = 0;
	while (f->nr_events && fake_cq_room(&f->cq[0]) > 0) {
		struct fake_held *h = NULL;
		for (unsigned i = 0; i < FAKE_MAX_HELD && !h; i++)
			if (f->held[i].used && f->held[i].aer)
				h = &f->held[i];
		if (!h)
			break;
		fake_complete(f, 0, h->cid, f->events[0].result, 0);
		h->used = false;
		memmove(&f->events[0], &f->events[1], --f->nr_events * sizeof(f->events[0]));
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* controller enable, reset, shutdown                                  */

static long fake_us_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000000L + (now.tv_nsec - t->tv_nsec) / 1000;
}

/* CC.EN 0->1 (§3.5.1): the admin queues from AQA/ASQ/ACQ. Returns false
 * for a configuration the device refuses (it then never becomes ready). */
static bool fake_enable(struct fake_nvme *f, uint32_t cc)
{
	volatile struct nvme_regs *r = fake_regs(f);
	unsigned mps = (cc >> NVME_CC_MPS_SHIFT) & 0xf;
	uint32_t aqa = r->aqa;
	uint16_t sqs = (aqa & 0xfff) + 1, cqs = ((aqa >> 16) & 0xfff) + 1;
	f->stats.enables++;
	clock_gettime(CLOCK_MONOTONIC, &f->enabled_at);
	f->page_size = 1u << (FAKE_PAGE_SHIFT_MIN + mps);
	if (mps < f->cfg.mpsmin || mps > f->cfg.mpsmax || sqs < 2 || cqs < 2 || !r->asq || !r->acq ||
	    (r->asq & 0xfff) || (r->acq & 0xfff))
		return false;
	f->sq[0] = (struct fake_sq){ .live = true, .base = r->asq, .size = sqs, .cqid = 0 };
	f->cq[0] = (struct fake_cq){ .live = true, .base = r->acq, .size = cqs, .phase = true, .ien = true, .iv = 0 };
	f->granted_sq = f->granted_cq = f->cfg.max_io_queues;
	return true;
}

/* CC.EN 1->0: a controller reset drops every queue and outstanding command. */
static void fake_reset(struct fake_nvme *f)
{
	memset(f->sq, 0, sizeof(f->sq));
	memset(f->cq, 0, sizeof(f->cq));
	memset(f->held, 0, sizeof(f->held));
	f->dbbuf_dbs = f->dbbuf_eis = 0;
	f->nr_events = 0;
	f->aec = 0;
	f->enabled = f->ready = f->shut_down = false;
	memset(f->bar + NVME_REG_DBS, 0xff, f->bar_size - NVME_REG_DBS); /* doorbells back to idle */
	f->stats.resets++;
	fake_set_csts(f, 0, NVME_CSTS_RDY | NVME_CSTS_SHST_MASK);
}

static unsigned fake_handle_cc(struct fake_nvme *f)
{
	uint32_t cc = __atomic_load_n((uint32_t *)&fake_regs(f)->cc, __ATOMIC_ACQUIRE);
	bool en = cc & NVME_CC_EN;
	unsigned n = 0;
	if (en && !f->enabled) {
		f->enabled = true;
		f->refused = !fake_enable(f, cc);
		n++;
	} else if (!en && f->enabled) {
		fake_reset(f);
		n++;
	}
	if (f->enabled && !f->ready && !f->refused && !f->never_ready &&
	    fake_us_since(&f->enabled_at) >= (long)f->cfg.ready_delay_us) {
		f->ready = true;
		fake_set_csts(f, NVME_CSTS_RDY, 0);
		n++;
	}
	if (f->ready && (cc & NVME_CC_SHN_MASK) && !f->shut_down) {
		f->shut_down = true;
		f->stats.shutdowns++;
		fake_set_csts(f, NVME_CSTS_SHST_CMPLT, NVME_CSTS_SHST_MASK);
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* the device pass                                                     */

static unsigned fake_pass(struct fake_nvme *f)
{
	if (f->dead) {
		fake_fill_dead(f);
		return 0;
	}
	unsigned n = fake_handle_cc(f);
	if (!f->ready || f->fatal || f->shut_down)
		return n;
	fake_read_doorbells(f);
	fake_read_shadows(f);
	for (uint16_t qid = 0; qid < FAKE_NVME_MAX_QUEUES; qid++)
		n += fake_run_sq(f, qid);
	n += fake_post_events(f); /* after the SQs, so an AER fetched now can take a queued event */
	return n;
}

static void fake_deliver_irqs(struct fake_nvme *f, uint64_t vectors)
{
	while (vectors) {
		unsigned v = (unsigned)__builtin_ctzll(vectors);
		vectors &= vectors - 1;
		if (f->cfg.irq)
			f->cfg.irq(f->cfg.irq_arg, v);
	}
}

unsigned fake_nvme_process(struct fake_nvme *f)
{
	pthread_mutex_lock(&f->lock);
	unsigned n = fake_pass(f);
	uint64_t irqs = f->irq_pending;
	f->irq_pending = 0;
	f->stats.interrupts += (unsigned long)__builtin_popcountll(irqs);
	pthread_mutex_unlock(&f->lock);
	fake_deliver_irqs(f, irqs);
	return n;
}

/* The device thread: passes back to back while there is work, yielding,
 * then sleeping a little once idle for a while. */
static void *fake_thread_main(void *arg)
{
	struct fake_nvme *f = arg;
	unsigned idle = 0;
	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		if (fake_nvme_process(f)) {
			idle = 0;
		} else if (++idle < 100) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the test's side                                                     */

void fake_nvme_default_config(struct fake_nvme_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mqes = 255;
	c->to = 2;
	c->vs = 0x00020000; /* 2.0 */
	c->mn = "fake nvme";
	c->sn = "FAKE0001";
	c->fr = "1.0";
	c->mdts = 5;
	c->aerl = 3;
	c->acl = 3;
	c->elpe = FAKE_ERROR_ENTRIES - 1;
	c->oacs = NVME_OACS_DBBUF_CONFIG;
	c->oncs = NVME_ONCS_DSM | NVME_ONCS_WRITE_ZEROES;
	c->vwc = NVME_VWC_PRESENT;
	c->nn = 1;
	c->ns[0] = (struct fake_nvme_ns){ .nsid = 1, .blocks = 2048, .block_size = 512 };
	c->nr_ns = 1;
	c->max_io_queues = 4;
	c->nr_vectors = 8;
}

struct fake_nvme *fake_nvme_create(const struct fake_nvme_config *cfg)
{
	struct fake_nvme *f = calloc(1, sizeof(*f));
	if (!f)
		abort();
	f->cfg = *cfg;
	if (f->cfg.max_io_queues >= FAKE_NVME_MAX_QUEUES)
		f->cfg.max_io_queues = FAKE_NVME_MAX_QUEUES - 1;
	if (f->cfg.nr_vectors > 64)
		f->cfg.nr_vectors = 64;
	if (f->cfg.nr_ns > FAKE_NVME_MAX_NS)
		f->cfg.nr_ns = FAKE_NVME_MAX_NS;
	size_t dbs = (size_t)2 * FAKE_NVME_MAX_QUEUES * ((size_t)4 << cfg->dstrd);
	f->bar_size = (NVME_REG_DBS + dbs + 4095) & ~(size_t)4095;
	f->bar = aligned_alloc(4096, f->bar_size);
	if (!f->bar)
		abort();
	for (unsigned i = 0; i < f->cfg.nr_ns; i++) {
		f->disk[i] = calloc(f->cfg.ns[i].blocks, f->cfg.ns[i].block_size);
		if (!f->disk[i])
			abort();
	}
	f->smart.temperature[0] = (uint8_t)(300 & 0xff); /* 300 K, little-endian */
	f->smart.temperature[1] = (uint8_t)(300 >> 8);
	f->smart.avail_spare = 100;
	f->smart.spare_thresh = 10;
	pthread_mutex_init(&f->lock, NULL);
	fake_init_regs(f);
	return f;
}

void fake_nvme_destroy(struct fake_nvme *f)
{
	if (!f)
		return;
	fake_nvme_stop(f);
	pthread_mutex_destroy(&f->lock);
	for (unsigned i = 0; i < f->cfg.nr_ns; i++)
		free(f->disk[i]);
	free(f->bar);
	free(f);
}

void *fake_nvme_bar(struct fake_nvme *f)
{
	return f->bar;
}

size_t fake_nvme_bar_size(const struct fake_nvme *f)
{
	return f->bar_size;
}

void fake_nvme_start(struct fake_nvme *f)
{
	if (f->thread_running)
		return;
	__atomic_store_n(&f->stop, false, __ATOMIC_RELEASE);
	if (pthread_create(&f->thread, NULL, fake_thread_main, f))
		abort();
	f->thread_running = true;
}

void fake_nvme_stop(struct fake_nvme *f)
{
	if (!f->thread_running)
		return;
	__atomic_store_n(&f->stop, true, __ATOMIC_RELEASE);
	pthread_join(f->thread, NULL);
	f->thread_running = false;
}

void fake_nvme_inject(struct fake_nvme *f, const struct fake_nvme_fault *fault)
{
	pthread_mutex_lock(&f->lock);
	if (f->nr_faults < FAKE_NVME_MAX_FAULTS && fault->nth)
		f->faults[f->nr_faults++] = *fault;
	pthread_mutex_unlock(&f->lock);
}

void fake_nvme_clear_faults(struct fake_nvme *f)
{
	pthread_mutex_lock(&f->lock);
	f->nr_faults = 0;
	pthread_mutex_unlock(&f->lock);
}

void fake_nvme_set_never_ready(struct fake_nvme *f, bool on)
{
	pthread_mutex_lock(&f->lock);
	f->never_ready = on;
	pthread_mutex_unlock(&f->lock);
}

void fake_nvme_miss_shadow_sq(struct fake_nvme *f, uint16_t sqid)
{
	pthread_mutex_lock(&f->lock);
	f->sq[sqid].miss_shadow = true;
	pthread_mutex_unlock(&f->lock);
}

void fake_nvme_set_fatal(struct fake_nvme *f, bool on)
{
	pthread_mutex_lock(&f->lock);
	f->fatal = on;
	fake_set_csts(f, on ? NVME_CSTS_CFS : 0, on ? 0 : NVME_CSTS_CFS);
	pthread_mutex_unlock(&f->lock);
}

void fake_nvme_set_dead(struct fake_nvme *f)
{
	pthread_mutex_lock(&f->lock);
	f->dead = true;
	fake_fill_dead(f);
	pthread_mutex_unlock(&f->lock);
}

void fake_nvme_async_event(struct fake_nvme *f, uint8_t type, uint8_t info, uint8_t lid)
{
	pthread_mutex_lock(&f->lock);
	if (f->nr_events < FAKE_MAX_EVENTS)
		f->events[f->nr_events++].result = (uint32_t)lid << 16 | (uint32_t)info << 8 | type;
	pthread_mutex_unlock(&f->lock);
}

void fake_nvme_set_smart(struct fake_nvme *f, uint8_t critical_warning, uint16_t temperature_kelvin)
{
	pthread_mutex_lock(&f->lock);
	f->smart.critical_warning = critical_warning;
	f->smart.temperature[0] = (uint8_t)(temperature_kelvin & 0xff);
	f->smart.temperature[1] = (uint8_t)(temperature_kelvin >> 8);
	pthread_mutex_unlock(&f->lock);
}

uint8_t *fake_nvme_disk(struct fake_nvme *f, uint32_t nsid)
{
	unsigned i;
	return fake_ns(f, nsid, &i) ? f->disk[i] : NULL;
}

void fake_nvme_get_stats(struct fake_nvme *f, struct fake_nvme_stats *out)
{
	pthread_mutex_lock(&f->lock);
	*out = f->stats;
	pthread_mutex_unlock(&f->lock);
}

unsigned fake_nvme_outstanding(struct fake_nvme *f)
{
	unsigned n = 0;
	pthread_mutex_lock(&f->lock);
	for (unsigned i = 0; i < FAKE_MAX_HELD; i++)
		n += f->held[i].used;
	pthread_mutex_unlock(&f->lock);
	return n;
}
