/*
 * NVMe log page pieces that only the shell's `nvme` command reads (NVMe Base
 * Specification 2.0 §5.16): the Error Information log entry and the Get Log
 * Page dword layout. Field names follow the specification (as Linux and
 * nvme-cli spell them). Candidates to move into nvme_spec.h once the driver
 * itself reads these pages (e.g. on an Asynchronous Event).
 */
#ifndef DRIVERS_NVME_LOG_H
#define DRIVERS_NVME_LOG_H

#include <stddef.h>
#include <stdint.h>

#define NVME_NSID_ALL           0xffffffffu /* "every namespace": the controller-wide log */

/* Get Log Page (§5.16) CDW10: NUMDL (number of dwords, 0's based, low 16
 * bits) << 16 | LID; CDW11 holds NUMDU, zero for transfers under 256 KiB. */
#define NVME_LOG_CDW10(lid, bytes) ((((uint32_t)(bytes) / 4 - 1) << 16) | (uint32_t)(lid))

/* Error Information log entry (§5.16.1.2), 64 bytes each; the log holds
 * Identify Controller ELPE + 1 of them, newest first. An entry with a zero
 * error_count is empty. */
struct nvme_error_log_entry {
	uint64_t error_count;         /* unique, incrementing; 0 = empty entry */
	uint16_t sqid;                /* 0xffff: not tied to a submission queue */
	uint16_t cmdid;
	uint16_t status_field;        /* laid out as a CQE's status: P 0, SC 8:1, SCT 11:9, ... DNR 15 */
	uint16_t parm_error_location; /* 7:0 byte, 10:8 bit within the command; 0xffff = none */
	uint64_t lba;                 /* first LBA that had the error */
	uint32_t nsid;
	uint8_t vs;                   /* vendor specific log page with more, if non-zero */
	uint8_t trtype;               /* transport type (0: not transport related) */
	uint8_t rsvd30[2];
	uint64_t cs;                  /* command specific information */
	uint16_t trtype_spec_info;
	uint8_t rsvd42[22];
};
_Static_assert(sizeof(struct nvme_error_log_entry) == 64, "Error Information log entry is 64 bytes");
_Static_assert(offsetof(struct nvme_error_log_entry, status_field) == 12, "Status Field offset");
_Static_assert(offsetof(struct nvme_error_log_entry, lba) == 16, "LBA offset");
_Static_assert(offsetof(struct nvme_error_log_entry, nsid) == 24, "NSID offset");
_Static_assert(offsetof(struct nvme_error_log_entry, cs) == 32, "Command Specific Information offset");

#define NVME_ERR_STATUS(sf)     ((uint16_t)((sf) >> 1)) /* without the phase tag, as nvme-cli prints it */

#endif
