/*
 * NVMe, as much of the NVM Express Base Specification (2.0) as this driver
 * uses: controller registers, submission and completion queue entries, the
 * admin and NVM command set opcodes, Identify and log page layouts. Field
 * names follow the specification. Every layout the device reads or writes by
 * DMA has a _Static_assert on its size and key offsets.
 */
#ifndef DRIVERS_NVME_SPEC_H
#define DRIVERS_NVME_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* ---- controller registers (§3.1) ---- */

struct nvme_regs {
	uint64_t cap;     /* 0x00 Controller Capabilities */
	uint32_t vs;      /* 0x08 Version */
	uint32_t intms;   /* 0x0c Interrupt Mask Set (pin/MSI only) */
	uint32_t intmc;   /* 0x10 Interrupt Mask Clear */
	uint32_t cc;      /* 0x14 Controller Configuration */
	uint32_t rsvd1;
	uint32_t csts;    /* 0x1c Controller Status */
	uint32_t nssr;    /* 0x20 NVM Subsystem Reset */
	uint32_t aqa;     /* 0x24 Admin Queue Attributes */
	uint64_t asq;     /* 0x28 Admin SQ Base Address */
	uint64_t acq;     /* 0x30 Admin CQ Base Address */
};
_Static_assert(offsetof(struct nvme_regs, vs) == 0x08, "VS offset");
_Static_assert(offsetof(struct nvme_regs, cc) == 0x14, "CC offset");
_Static_assert(offsetof(struct nvme_regs, csts) == 0x1c, "CSTS offset");
_Static_assert(offsetof(struct nvme_regs, aqa) == 0x24, "AQA offset");
_Static_assert(offsetof(struct nvme_regs, asq) == 0x28, "ASQ offset");
_Static_assert(offsetof(struct nvme_regs, acq) == 0x30, "ACQ offset");

#define NVME_REG_DBS 0x1000 /* doorbells: SQ y tail at 0x1000 + (2y) * (4 << DSTRD), CQ y head at (2y + 1) */

#define NVME_CAP_MQES(cap)   ((uint32_t)((cap) & 0xffff))          /* max queue entries, 0's based */
#define NVME_CAP_CQR(cap)    ((uint32_t)(((cap) >> 16) & 1))       /* contiguous queues required */
#define NVME_CAP_TO(cap)     ((uint32_t)(((cap) >> 24) & 0xff))    /* ready timeout, 500 ms units */
#define NVME_CAP_DSTRD(cap)  ((uint32_t)(((cap) >> 32) & 0xf))     /* doorbell stride: 4 << DSTRD bytes */
#define NVME_CAP_CSS(cap)    ((uint32_t)(((cap) >> 37) & 0xff))    /* command sets supported */
#define NVME_CAP_MPSMIN(cap) ((uint32_t)(((cap) >> 48) & 0xf))     /* memory page size 2^(12+MPSMIN) */
#define NVME_CAP_MPSMAX(cap) ((uint32_t)(((cap) >> 52) & 0xf))
#define NVME_CAP_CSS_NVM     (1u << 0)
#define NVME_TO_UNIT_MS      500

#define NVME_CC_EN           (1u << 0)
#define NVME_CC_CSS_NVM      (0u << 4)
#define NVME_CC_MPS_SHIFT    7                   /* page size 2^(12+MPS) */
#define NVME_CC_AMS_RR       (0u << 11)          /* round robin arbitration */
#define NVME_CC_SHN_NORMAL   (1u << 14)
#define NVME_CC_SHN_MASK     (3u << 14)
#define NVME_CC_IOSQES       (6u << 16)          /* 2^6 = 64-byte SQ entries */
#define NVME_CC_IOCQES       (4u << 20)          /* 2^4 = 16-byte CQ entries */

#define NVME_CSTS_RDY        (1u << 0)
#define NVME_CSTS_CFS        (1u << 1)           /* controller fatal status */
#define NVME_CSTS_SHST_MASK  (3u << 2)
#define NVME_CSTS_SHST_CMPLT (2u << 2)           /* shutdown processing complete */

#define NVME_AQA(sq_entries, cq_entries) ((((uint32_t)(cq_entries) - 1) << 16) | ((uint32_t)(sq_entries) - 1))

/* ---- queue entries (§4.2, §4.6) ---- */

struct nvme_sqe {
	union {
		struct {
			uint8_t opcode;
			uint8_t flags;    /* FUSE 1:0, PSDT 7:6 (0 = PRPs) */
			uint16_t cid;     /* command identifier: ours, echoed in the CQE */
			uint32_t nsid;
		};
		uint64_t cdw0_nsid;       /* the four in one store: nsid << 32 | cid << 16 | flags << 8 | opcode */
	};
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "SQ entry is 64 bytes");
_Static_assert(offsetof(struct nvme_sqe, cid) == 2 && offsetof(struct nvme_sqe, nsid) == 4, "CID in dword 0 high half, NSID dword 1");
_Static_assert(offsetof(struct nvme_sqe, prp1) == 24, "DPTR at dword 6");
_Static_assert(offsetof(struct nvme_sqe, cdw10) == 40, "CDW10 at byte 40");

struct nvme_cqe {
	uint32_t result;  /* dword 0: command specific */
	uint32_t rsvd;
	union {
		struct {
			uint16_t sq_head; /* how far the controller has consumed the SQ */
			uint16_t sq_id;
		};
		uint32_t sq;      /* dword 2 in one load: sq_id << 16 | sq_head */
	};
	uint16_t cid;
	uint16_t status;  /* P 0, SC 8:1, SCT 11:9, CRD 13:12, M 14, DNR 15 */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQ entry is 16 bytes");
_Static_assert(offsetof(struct nvme_cqe, status) == 14, "status in dword 3 high half");
_Static_assert(offsetof(struct nvme_cqe, sq_id) == 10 && offsetof(struct nvme_cqe, sq) == 8, "SQ id and head in dword 2");

#define NVME_CQE_PHASE(status)  ((status) & 1u)
#define NVME_CQE_SC(status)     (((status) >> 1) & 0xffu)
#define NVME_CQE_SCT(status)    (((status) >> 9) & 0x7u)
#define NVME_CQE_STATUS_MASK    0x0ffeu /* SCT and SC: zero is success */
#define NVME_CQE_DNR(status)    (((status) >> 15) & 1u)
#define NVME_SCT_GENERIC        0
#define NVME_SC_SUCCESS         0x00
#define NVME_SC_INVALID_OPCODE  0x01
#define NVME_SC_INVALID_FIELD   0x02
#define NVME_SC_ABORT_REQ       0x07 /* command abort requested */
#define NVME_SC_LBA_RANGE       0x80 /* LBA out of range */

/* ---- opcodes (§5, NVM Command Set §3) ---- */

enum nvme_admin_opcode {
	NVME_ADMIN_DELETE_SQ = 0x00,
	NVME_ADMIN_CREATE_SQ = 0x01,
	NVME_ADMIN_GET_LOG_PAGE = 0x02,
	NVME_ADMIN_DELETE_CQ = 0x04,
	NVME_ADMIN_CREATE_CQ = 0x05,
	NVME_ADMIN_IDENTIFY = 0x06,
	NVME_ADMIN_ABORT = 0x08,
	NVME_ADMIN_SET_FEATURES = 0x09,
	NVME_ADMIN_GET_FEATURES = 0x0a,
	NVME_ADMIN_ASYNC_EVENT = 0x0c,
	NVME_ADMIN_DBBUF_CONFIG = 0x7c,
};

enum nvme_io_opcode {
	NVME_CMD_FLUSH = 0x00,
	NVME_CMD_WRITE = 0x01,
	NVME_CMD_READ = 0x02,
	NVME_CMD_WRITE_ZEROES = 0x08,
	NVME_CMD_DSM = 0x09,
};

/* Create I/O CQ / SQ (§5.4, §5.5): CDW10 = QSIZE (0's based) << 16 | QID. */
#define NVME_QUEUE_PHYS_CONTIG  (1u << 0)
#define NVME_CQ_IRQ_ENABLED     (1u << 1)
#define NVME_CQ_IV(v)           ((uint32_t)(v) << 16)
#define NVME_SQ_CQID(id)        ((uint32_t)(id) << 16)

/* Identify (§5.17): CDW10.CNS */
#define NVME_ID_CNS_NS          0x00
#define NVME_ID_CNS_CTRL        0x01
#define NVME_ID_CNS_NS_ACTIVE   0x02
#define NVME_IDENTIFY_BYTES     4096

/* Features (§5.27) */
#define NVME_FEAT_NUM_QUEUES    0x07 /* CDW11: NCQR << 16 | NSQR, both 0's based */
#define NVME_FEAT_ASYNC_EVENT   0x0b

/* Log pages (§5.16): CDW10 = NUMDL << 16 | LID */
#define NVME_LOG_ERROR          0x01
#define NVME_LOG_SMART          0x02

/* Read/Write CDW12 (NVM §3.2.4, §3.2.6) */
#define NVME_RW_FUA             (1u << 30)
#define NVME_WZ_DEAC            (1u << 25) /* write zeroes may deallocate */
/* Dataset Management CDW11 */
#define NVME_DSMGMT_AD          (1u << 2)  /* attribute: deallocate */

struct nvme_dsm_range {
	uint32_t cattr;
	uint32_t nlb;
	uint64_t slba;
};
_Static_assert(sizeof(struct nvme_dsm_range) == 16, "DSM range is 16 bytes");

/* ---- Identify Controller (§5.17.2.1), the fields we read ---- */

struct nvme_id_ctrl {
	uint16_t vid;
	uint16_t ssvid;
	char sn[20];
	char mn[40];
	char fr[8];
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts;      /* max data transfer: 2^mdts minimum pages; 0 = no limit */
	uint16_t cntlid;
	uint32_t ver;
	uint8_t rsvd84[172];
	uint16_t oacs;     /* 256: optional admin commands */
	uint8_t acl;
	uint8_t aerl;
	uint8_t frmw;
	uint8_t lpa;
	uint8_t elpe;
	uint8_t npss;
	uint8_t rsvd264[248];
	uint8_t sqes;      /* 512 */
	uint8_t cqes;
	uint16_t maxcmd;
	uint32_t nn;       /* 516: number of namespaces */
	uint16_t oncs;     /* 520: optional NVM commands */
	uint16_t fuses;
	uint8_t fna;
	uint8_t vwc;       /* 525: volatile write cache present (bit 0) */
	uint16_t awun;
	uint16_t awupf;
	uint8_t nvscc;
	uint8_t nwpc;
	uint16_t acwu;
	uint16_t rsvd534;
	uint32_t sgls;     /* 536 */
	uint8_t rsvd540[3556];
};
_Static_assert(sizeof(struct nvme_id_ctrl) == NVME_IDENTIFY_BYTES, "Identify Controller is 4 KiB");
_Static_assert(offsetof(struct nvme_id_ctrl, mdts) == 77, "MDTS offset");
_Static_assert(offsetof(struct nvme_id_ctrl, oacs) == 256, "OACS offset");
_Static_assert(offsetof(struct nvme_id_ctrl, nn) == 516, "NN offset");
_Static_assert(offsetof(struct nvme_id_ctrl, oncs) == 520, "ONCS offset");
_Static_assert(offsetof(struct nvme_id_ctrl, vwc) == 525, "VWC offset");
_Static_assert(offsetof(struct nvme_id_ctrl, sgls) == 536, "SGLS offset");

#define NVME_OACS_DBBUF_CONFIG  (1u << 8)
#define NVME_ONCS_DSM           (1u << 2)
#define NVME_ONCS_WRITE_ZEROES  (1u << 3)
#define NVME_VWC_PRESENT        (1u << 0)

/* ---- Identify Namespace (NVM §4.1.5.1), the fields we read ---- */

struct nvme_lbaf {
	uint16_t ms;       /* metadata bytes per block */
	uint8_t lbads;     /* block size 2^lbads */
	uint8_t rp;        /* relative performance */
};
_Static_assert(sizeof(struct nvme_lbaf) == 4, "LBA format is 4 bytes");

struct nvme_id_ns {
	uint64_t nsze;     /* size in blocks */
	uint64_t ncap;
	uint64_t nuse;
	uint8_t nsfeat;
	uint8_t nlbaf;     /* 0's based number of LBA formats */
	uint8_t flbas;     /* 3:0 the format in use (with 6:5 for formats above 16) */
	uint8_t mc;
	uint8_t dpc;
	uint8_t dps;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint8_t dlfeat;
	uint8_t rsvd34[94];
	struct nvme_lbaf lbaf[64];
	uint8_t rsvd384[3712];
};
_Static_assert(sizeof(struct nvme_id_ns) == NVME_IDENTIFY_BYTES, "Identify Namespace is 4 KiB");
_Static_assert(offsetof(struct nvme_id_ns, flbas) == 26, "FLBAS offset");
_Static_assert(offsetof(struct nvme_id_ns, lbaf) == 128, "LBAF offset");

/* ---- SMART / Health log (§5.16.1.3), the fields we print ---- */

struct nvme_smart_log {
	uint8_t critical_warning;
	uint8_t temperature[2];   /* Kelvin, little-endian */
	uint8_t avail_spare;
	uint8_t spare_thresh;
	uint8_t percent_used;
	uint8_t rsvd6[26];
	uint8_t data_units_read[16];
	uint8_t data_units_written[16];
	uint8_t host_reads[16];
	uint8_t host_writes[16];
	uint8_t ctrl_busy_time[16];
	uint8_t power_cycles[16];
	uint8_t power_on_hours[16];
	uint8_t unsafe_shutdowns[16];
	uint8_t media_errors[16];
	uint8_t num_err_log_entries[16];
	uint8_t rsvd192[320];
};
_Static_assert(sizeof(struct nvme_smart_log) == 512, "SMART log is 512 bytes");
_Static_assert(offsetof(struct nvme_smart_log, data_units_read) == 32, "data units read offset");

#endif
