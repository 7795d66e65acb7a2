/*
 * The `nvme` shell command, after nvme-cli: list, id-ctrl, id-ns, smart-log,
 * error-log, stats, reset. Everything it shows comes fresh from an admin
 * command (Identify, Get Log Page) sent through nvme_admin_sync, except
 * `stats`, which reads the driver's per-queue counters, and `reset`, which
 * calls nvme_reset_ctrl. DEV is a controller (nvme0) or a namespace (nvme0n1);
 * the controller commands take either. Status: 0 ok, 1 no such device or the
 * command failed, 2 bad usage.
 *
 * The output keeps nvme-cli's field names and number formats (`key : value`),
 * so what a reader knows from Linux applies; values are printed with integer
 * arithmetic only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/nvme/nvme.h"
#include "drivers/nvme/nvme_log.h"
#include "kernel/irq.h"
#include "kernel/mm.h"
#include "kernel/shell.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#define ERROR_LOG_MAX   16   /* entries read at most: 16 x 64 bytes fit the one DMA page */
#define KELVIN_0C       273  /* SMART temperature is in Kelvin */
#define DATA_UNIT_BYTES 512000ull /* SMART data units: thousands of 512-byte units (§5.16.1.3) */
#define NS_PER_MS       1000000ull

/* ---- helpers ---- */

/* One zeroed, DMA-able page for a command's data (Identify and these logs fit one). */
static void *dma_page(uint64_t *phys)
{
	*phys = page_alloc(1, 1);
	return *phys ? phys_to_virt(*phys) : NULL;
}

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid, uint64_t phys)
{
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = phys, .cdw10 = cns };
	return nvme_admin_sync(c, &sqe, NULL);
}

static int get_log(struct nvme_ctrl *c, uint8_t lid, uint32_t nsid, uint64_t phys, uint32_t bytes)
{
	struct nvme_sqe sqe = { .opcode = NVME_ADMIN_GET_LOG_PAGE, .nsid = nsid, .prp1 = phys,
				.cdw10 = NVME_LOG_CDW10(lid, bytes) };
	return nvme_admin_sync(c, &sqe, NULL);
}

static int failed(const char *sub, const struct nvme_ctrl *c, const char *what, int err)
{
	printf("nvme %s: %s: %s failed (error %d)\n", sub, c->name, what, err);
	return 1;
}

/* An Identify string field (ASCII, blank padded, not terminated), trimmed. */
static const char *id_string(char *out, size_t n, const char *field, size_t len)
{
	size_t k = len < n - 1 ? len : n - 1;
	memcpy(out, field, k);
	while (k && (out[k - 1] == ' ' || out[k - 1] == 0))
		k--;
	out[k] = 0;
	return out;
}

/* bytes in SI units with two decimals ("1.07" and "G" for 1 GiB), the way
 * nvme-cli's Usage column shows them; returns the unit prefix. */
static const char *si_size(char *num, size_t n, uint64_t bytes)
{
	static const char *const units[] = { "", "k", "M", "G", "T", "P", "E" };
	unsigned u = 0;
	uint64_t div = 1;
	while (bytes / div >= 1000 && u < sizeof(units) / sizeof(units[0]) - 1) {
		div *= 1000;
		u++;
	}
	uint64_t hundredths = u ? (bytes + div / 200) / (div / 100) : bytes * 100;
	snprintf(num, n, "%llu.%02llu", (unsigned long long)(hundredths / 100), (unsigned long long)(hundredths % 100));
	return units[u];
}

/* "512   B +  0 B", "  4 KiB +  8 B": block size in binary units + metadata. */
static void lba_format(char *buf, size_t n, const struct nvme_lbaf *f)
{
	uint32_t bs = f->lbads < 32 ? 1u << f->lbads : 0;
	bool kib = bs >= 1024;
	snprintf(buf, n, "%3u %2sB + %2u B", kib ? bs >> 10 : bs, kib ? "Ki" : "", f->ms);
}

/* "0.50": num / den with two decimals, or "-" when den is 0. */
static const char *ratio(char *buf, size_t n, uint64_t num, uint64_t den)
{
	if (!den)
		return "-";
	uint64_t h = num * 100 / den;
	snprintf(buf, n, "%llu.%02llu", (unsigned long long)(h / 100), (unsigned long long)(h % 100));
	return buf;
}

/* The LBA format in use: FLBAS 3:0, and 6:5 as its high bits when there are more than 16. */
static unsigned lbaf_in_use(const struct nvme_id_ns *id)
{
	unsigned i = id->flbas & 0xf;
	if (id->nlbaf >= 16)
		i |= ((id->flbas >> 5) & 3u) << 4;
	return i;
}

static struct nvme_ctrl *find_dev(const char *sub, const char *dev, struct nvme_ns **ns)
{
	struct nvme_ctrl *c = nvme_ctrl_find(dev, ns);
	if (!c)
		printf("nvme %s: %s: no such NVMe controller or namespace (nvme list shows them)\n", sub, dev);
	return c;
}

/* ---- list ---- */

static void list_ns(struct nvme_ctrl *c, const struct nvme_ns *ns, struct nvme_id_ns *id, uint64_t id_phys)
{
	char sn[21], mn[41], fr[9], usage[40], used[24], total[24], format[24];
	memset(id, 0, sizeof(*id));
	int err = identify(c, NVME_ID_CNS_NS, ns->nsid, id_phys);
	const struct nvme_lbaf *f = &id->lbaf[lbaf_in_use(id)];
	uint64_t bs = 1ull << ns->lba_shift;
	const char *uu = si_size(used, sizeof(used), err ? 0 : id->nuse * bs);
	const char *tu = si_size(total, sizeof(total), (err ? ns->nsze : id->nsze) * bs);
	snprintf(usage, sizeof(usage), "%6s %2sB / %6s %2sB", used, uu, total, tu);
	if (err)
		snprintf(format, sizeof(format), "%3llu   B", (unsigned long long)bs); /* what the driver knows */
	else
		lba_format(format, sizeof(format), f);
	printf("%-12s %-20s %-40s %-9u %-26s %-16s %s\n", ns->disk->name, id_string(sn, sizeof(sn), c->id->sn, 20),
	       id_string(mn, sizeof(mn), c->id->mn, 40), ns->nsid, usage, format, id_string(fr, sizeof(fr), c->id->fr, 8));
}

static int nvme_list(void)
{
	uint64_t id_phys;
	struct nvme_id_ns *id = dma_page(&id_phys);
	if (!id)
		return 1;
	printf("%-12s %-20s %-40s %-9s %-26s %-16s %s\n", "Node", "SN", "Model", "Namespace", "Usage", "Format",
	       "FW Rev");
	printf("------------ -------------------- ---------------------------------------- --------- "
	       "-------------------------- ---------------- --------\n");
	for (unsigned i = 0; i < nvme_nr_ctrls(); i++) {
		struct nvme_ctrl *c = nvme_ctrl_at(i);
		for (unsigned k = 0; k < c->nr_ns; k++)
			list_ns(c, &c->ns[k], id, id_phys);
	}
	if (!nvme_nr_ctrls())
		printf("no NVMe controllers\n");
	page_free(id_phys, 1);
	return 0;
}

/* ---- id-ctrl, id-ns ---- */

static void print_id_ctrl(const struct nvme_id_ctrl *id)
{
	char s[41];
	printf("NVME Identify Controller:\n");
	printf("vid       : %#x\n", id->vid);
	printf("ssvid     : %#x\n", id->ssvid);
	printf("sn        : %s\n", id_string(s, sizeof(s), id->sn, sizeof(id->sn)));
	printf("mn        : %s\n", id_string(s, sizeof(s), id->mn, sizeof(id->mn)));
	printf("fr        : %s\n", id_string(s, sizeof(s), id->fr, sizeof(id->fr)));
	printf("rab       : %u\n", id->rab);
	printf("ieee      : %02x%02x%02x\n", id->ieee[2], id->ieee[1], id->ieee[0]); /* OUI, little-endian */
	printf("cmic      : %#x\n", id->cmic);
	printf("mdts      : %u\n", id->mdts);
	printf("cntlid    : %#x\n", id->cntlid);
	printf("ver       : %#x\n", (unsigned)id->ver);
	printf("oacs      : %#x\n", id->oacs);
	printf("acl       : %u\n", id->acl);
	printf("aerl      : %u\n", id->aerl);
	printf("frmw      : %#x\n", id->frmw);
	printf("lpa       : %#x\n", id->lpa);
	printf("elpe      : %u\n", id->elpe);
	printf("npss      : %u\n", id->npss);
	printf("sqes      : %#x\n", id->sqes);
	printf("cqes      : %#x\n", id->cqes);
	printf("maxcmd    : %u\n", id->maxcmd);
	printf("nn        : %u\n", (unsigned)id->nn);
	printf("oncs      : %#x\n", id->oncs);
	printf("fuses     : %#x\n", id->fuses);
	printf("fna       : %#x\n", id->fna);
	printf("vwc       : %#x\n", id->vwc);
	printf("awun      : %u\n", id->awun);
	printf("awupf     : %u\n", id->awupf);
	printf("sgls      : %#x\n", (unsigned)id->sgls);
}

static int nvme_id_ctrl(struct nvme_ctrl *c, struct nvme_ns *ns)
{
	(void)ns;
	uint64_t phys;
	struct nvme_id_ctrl *id = dma_page(&phys);
	if (!id)
		return 1;
	int err = identify(c, NVME_ID_CNS_CTRL, 0, phys);
	if (!err)
		print_id_ctrl(id);
	page_free(phys, 1);
	return err ? failed("id-ctrl", c, "Identify Controller", err) : 0;
}

static void print_id_ns(uint32_t nsid, const struct nvme_id_ns *id)
{
	printf("NVME Identify Namespace %u:\n", (unsigned)nsid);
	printf("nsze    : %#llx\n", (unsigned long long)id->nsze);
	printf("ncap    : %#llx\n", (unsigned long long)id->ncap);
	printf("nuse    : %#llx\n", (unsigned long long)id->nuse);
	printf("nsfeat  : %#x\n", id->nsfeat);
	printf("nlbaf   : %u\n", id->nlbaf);
	printf("flbas   : %#x\n", id->flbas);
	printf("mc      : %#x\n", id->mc);
	printf("dpc     : %#x\n", id->dpc);
	printf("dps     : %#x\n", id->dps);
	printf("nmic    : %#x\n", id->nmic);
	printf("rescap  : %#x\n", id->rescap);
	printf("fpi     : %#x\n", id->fpi);
	printf("dlfeat  : %u\n", id->dlfeat);
	unsigned n = id->nlbaf < 64 ? id->nlbaf + 1u : 64, in_use = lbaf_in_use(id);
	for (unsigned i = 0; i < n; i++)
		printf("lbaf %2u : ms:%-3u lbads:%-2u rp:%#x%s\n", i, id->lbaf[i].ms, id->lbaf[i].lbads, id->lbaf[i].rp,
		       i == in_use ? " (in use)" : "");
}

static int nvme_id_ns(struct nvme_ctrl *c, struct nvme_ns *ns)
{
	if (!ns) {
		printf("nvme id-ns: %s is a controller: name one of its namespaces (%sn1, ...)\n", c->name, c->name);
		return 1;
	}
	uint64_t phys;
	struct nvme_id_ns *id = dma_page(&phys);
	if (!id)
		return 1;
	int err = identify(c, NVME_ID_CNS_NS, ns->nsid, phys);
	if (!err)
		print_id_ns(ns->nsid, id);
	page_free(phys, 1);
	return err ? failed("id-ns", c, "Identify Namespace", err) : 0;
}

/* ---- smart-log, error-log ---- */

/* A SMART 128-bit little-endian counter: the low 64 bits, and a mark when
 * the high half is not zero (no counter reaches that in practice). */
static uint64_t u128_low(const uint8_t v[16], uint64_t *high)
{
	uint64_t lo = 0, hi = 0;
	for (int i = 7; i >= 0; i--) {
		lo = lo << 8 | v[i];
		hi = hi << 8 | v[i + 8];
	}
	*high = hi;
	return lo;
}

/* A SMART 128-bit little-endian counter: its low 64 bits, and a mark when
 * the high half is not zero (no counter gets there in practice). */
static void print_u128(const char *key, const uint8_t v[16], const char *unit)
{
	uint64_t hi, lo = u128_low(v, &hi);
	printf("%-36s: %llu%s", key, (unsigned long long)lo, unit);
	if (hi)
		printf(" (low 64 bits; the high 64 bits are %#llx)", (unsigned long long)hi);
	printf("\n");
}

/* Data units are thousands of 512-byte units: shown with their size too. */
static void print_data_units(const char *key, const uint8_t v[16])
{
	uint64_t hi, lo = u128_low(v, &hi);
	char num[24], size[40] = "";
	if (lo && !hi && lo <= UINT64_MAX / DATA_UNIT_BYTES) {
		const char *unit = si_size(num, sizeof(num), lo * DATA_UNIT_BYTES);
		snprintf(size, sizeof(size), " (%s %sB)", num, unit);
	}
	print_u128(key, v, size);
}

static void print_smart(const struct nvme_ctrl *c, const struct nvme_smart_log *s)
{
	unsigned kelvin = s->temperature[0] | (unsigned)s->temperature[1] << 8;
	printf("Smart Log for NVME device:%s namespace-id:%x\n", c->name, NVME_NSID_ALL);
	printf("%-36s: %#x\n", "critical_warning", s->critical_warning);
	printf("%-36s: %d C (%u K)\n", "temperature", (int)kelvin - KELVIN_0C, kelvin);
	printf("%-36s: %u%%\n", "available_spare", s->avail_spare);
	printf("%-36s: %u%%\n", "available_spare_threshold", s->spare_thresh);
	printf("%-36s: %u%%\n", "percentage_used", s->percent_used);
	print_data_units("data_units_read", s->data_units_read);
	print_data_units("data_units_written", s->data_units_written);
	print_u128("host_read_commands", s->host_reads, "");
	print_u128("host_write_commands", s->host_writes, "");
	print_u128("controller_busy_time", s->ctrl_busy_time, " min");
	print_u128("power_cycles", s->power_cycles, "");
	print_u128("power_on_hours", s->power_on_hours, "");
	print_u128("unsafe_shutdowns", s->unsafe_shutdowns, "");
	print_u128("media_errors", s->media_errors, "");
	print_u128("num_err_log_entries", s->num_err_log_entries, "");
}

static int nvme_smart_log(struct nvme_ctrl *c, struct nvme_ns *ns)
{
	(void)ns;
	uint64_t phys;
	struct nvme_smart_log *s = dma_page(&phys);
	if (!s)
		return 1;
	/* the controller-wide log: every controller has it (per namespace needs LPA bit 0) */
	int err = get_log(c, NVME_LOG_SMART, NVME_NSID_ALL, phys, sizeof(*s));
	if (!err)
		print_smart(c, s);
	page_free(phys, 1);
	return err ? failed("smart-log", c, "Get Log Page (SMART / Health)", err) : 0;
}

static void print_error_entry(unsigned i, const struct nvme_error_log_entry *e)
{
	printf(" Entry[%2u]\n", i);
	printf("error_count  : %llu\n", (unsigned long long)e->error_count);
	printf("sqid         : %u\n", e->sqid);
	printf("cmdid        : %#x\n", e->cmdid);
	printf("status_field : %#x (type %u code %#x%s)\n", NVME_ERR_STATUS(e->status_field),
	       NVME_CQE_SCT(e->status_field), NVME_CQE_SC(e->status_field), NVME_CQE_DNR(e->status_field) ? ", DNR" : "");
	printf("parm_err_loc : %#x\n", e->parm_error_location);
	printf("lba          : %#llx\n", (unsigned long long)e->lba);
	printf("nsid         : %#x\n", (unsigned)e->nsid);
}

static int nvme_error_log(struct nvme_ctrl *c, struct nvme_ns *ns)
{
	(void)ns;
	unsigned n = c->id->elpe + 1u, shown = 0;
	if (n > ERROR_LOG_MAX)
		n = ERROR_LOG_MAX;
	uint64_t phys;
	struct nvme_error_log_entry *e = dma_page(&phys);
	if (!e)
		return 1;
	int err = get_log(c, NVME_LOG_ERROR, NVME_NSID_ALL, phys, n * sizeof(*e));
	if (!err) {
		printf("Error Log Entries for device:%s entries:%u\n", c->name, n);
		for (unsigned i = 0; i < n; i++)
			if (e[i].error_count) {
				print_error_entry(i, &e[i]);
				shown++;
			}
		printf("%u non-empty of %u entries read (ELPE %u)\n", shown, n, c->id->elpe);
	}
	page_free(phys, 1);
	return err ? failed("error-log", c, "Get Log Page (Error Information)", err) : 0;
}

/* ---- stats ---- */

static const char *queue_type(const struct nvme_ctrl *c, unsigned qid)
{
	if (qid == 0)
		return "admin";
	if (qid <= c->nr_default)
		return "default";
	return qid <= c->nr_default + c->nr_read ? "read" : "poll";
}

static void print_queue(const struct nvme_ctrl *c, const struct nvme_queue *q)
{
	char cpu[8], db[16], irq[16];
	const struct irq_desc *d = q->irq >= 0 ? irq_get(q->irq) : NULL;
	uint64_t irqs = d ? irq_count(q->irq) : 0;
	if (d)
		snprintf(cpu, sizeof(cpu), "%u", d->cpu);
	else
		snprintf(cpu, sizeof(cpu), "%s", q->qid ? "polled" : "-");
	printf("q%-4u %-7s %6s %10llu %10llu %10llu %10llu %6llu %8llu %6llu %6s %6s\n", q->qid,
	       queue_type(c, q->qid), cpu, (unsigned long long)nvme_queue_submitted(q),
	       (unsigned long long)nvme_queue_completed(q),
	       (unsigned long long)q->doorbells, (unsigned long long)irqs, (unsigned long long)q->bogus,
	       (unsigned long long)q->timeouts, (unsigned long long)q->aborts,
	       q->qid ? ratio(db, sizeof(db), q->doorbells, nvme_queue_completed(q)) : "-",
	       q->qid ? ratio(irq, sizeof(irq), irqs, nvme_queue_completed(q)) : "-");
}

static int nvme_stats(struct nvme_ctrl *c, struct nvme_ns *ns)
{
	(void)ns;
	struct nvme_queue sum = { 0 };
	uint64_t submitted = 0, completed = 0, interrupts = 0;
	char db[16], irq[16];
	printf("%s: %u/%u/%u default/read/poll I/O queues, resets %llu, async event requests outstanding %u\n",
	       c->name, c->nr_default, c->nr_read, c->nr_poll, (unsigned long long)c->resets, c->aers_outstanding);
	printf("%-5s %-7s %6s %10s %10s %10s %10s %6s %8s %6s %6s %6s\n", "QUEUE", "TYPE", "CPU", "SUBMITTED",
	       "COMPLETED", "DOORBELLS", "INTERRUPTS", "BOGUS", "TIMEOUTS", "ABORTS", "DB/IO", "IRQ/IO");
	print_queue(c, &c->admin);
	for (unsigned qid = 1; qid <= c->nr_io; qid++) {
		const struct nvme_queue *q = &c->queues[qid];
		print_queue(c, q);
		submitted += nvme_queue_submitted(q);
		completed += nvme_queue_completed(q);
		sum.doorbells += q->doorbells;
		sum.shadow_writes += q->shadow_writes;
		interrupts += q->irq >= 0 ? irq_count(q->irq) : 0;
		sum.timeouts += q->timeouts;
		sum.aborts += q->aborts;
		sum.kicks += q->kicks;
	}
	printf("%s: I/O queues: %llu submitted, %llu completed, %s doorbells/IO, %s interrupts/IO, %llu timeouts, "
	       "%llu aborts\n", c->name, (unsigned long long)submitted, (unsigned long long)completed,
	       ratio(db, sizeof(db), sum.doorbells, completed), ratio(irq, sizeof(irq), interrupts, completed),
	       (unsigned long long)sum.timeouts, (unsigned long long)sum.aborts);
	if (c->queues[1].shadow_sq)
		printf("%s: shadow doorbells: %llu updates in memory, %llu MMIO doorbell writes, %llu stall kicks\n",
		       c->name, (unsigned long long)sum.shadow_writes, (unsigned long long)sum.doorbells,
		       (unsigned long long)sum.kicks);
	return 0;
}

/* ---- reset ---- */

static int nvme_reset(struct nvme_ctrl *c, struct nvme_ns *ns)
{
	(void)ns;
	uint64_t t0 = uptime_ns();
	int err = nvme_reset_ctrl(c);
	if (err) {
		printf("nvme reset: %s: reset failed (error %d): the controller is dead\n", c->name, err);
		return 1;
	}
	printf("%s: reset done in %llu ms (resets since boot: %llu)\n", c->name,
	       (unsigned long long)((uptime_ns() - t0) / NS_PER_MS), (unsigned long long)c->resets);
	return 0;
}

/* ---- the command ---- */

/* The subcommands that take DEV; the controller ones ignore the namespace. */
static const struct {
	const char *name;
	int (*fn)(struct nvme_ctrl *c, struct nvme_ns *ns);
} subcmds[] = {
	{ "id-ctrl", nvme_id_ctrl }, { "id-ns", nvme_id_ns },   { "smart-log", nvme_smart_log },
	{ "error-log", nvme_error_log }, { "stats", nvme_stats }, { "reset", nvme_reset },
};

/* nvme reset DEV --after MS: the reset fires from the tick while other
 * commands (verify, iotest) have I/O in flight. */
static int reset_later(char **argv)
{
	char *end;
	unsigned long long ms = strtoull(argv[4], &end, 10);
	struct nvme_ns *ns;
	struct nvme_ctrl *c = find_dev(argv[1], argv[2], &ns);
	if (*end || end == argv[4] || ms > 3600000)
		return shell_usage("nvme");
	if (!c)
		return 1;
	nvme_reset_after(c, ms);
	printf("%s: reset scheduled in %llu ms\n", c->name, ms);
	return 0;
}

static int cmd_nvme(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return nvme_list();
	if (argc == 5 && strcmp(argv[1], "reset") == 0 && strcmp(argv[3], "--after") == 0)
		return reset_later(argv);
	for (unsigned i = 0; argc == 3 && i < sizeof(subcmds) / sizeof(subcmds[0]); i++) {
		if (strcmp(argv[1], subcmds[i].name) != 0)
			continue;
		struct nvme_ns *ns;
		struct nvme_ctrl *c = find_dev(argv[1], argv[2], &ns);
		return c ? subcmds[i].fn(c, ns) : 1;
	}
	return shell_usage("nvme");
}
SHELL_COMMAND(nvme, "nvme", "list | id-ctrl|id-ns|smart-log|error-log|stats DEV | reset DEV [--after MS]",
	      "NVMe like nvme-cli: controllers and namespaces, Identify, SMART and error logs, queue counters, reset",
	      cmd_nvme);
