/* Shell commands for block devices: lsblk, queues, read, write, iotest. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "kernel/irq.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/vm.h"

#define MAX_RW_BYTES (1u << 20)
#define HEX_PER_LINE 16

static const char *const type_names[HCTX_MAX_TYPES] = { "default", "read", "poll" };

static void human_size(char *buf, size_t n, uint64_t bytes)
{
	static const char units[] = "BKMGTP";
	unsigned u = 0;
	uint64_t whole = bytes, tenths = 0;
	while (whole >= 1024 && u < sizeof(units) - 2) {
		tenths = (whole % 1024) * 10 / 1024;
		whole /= 1024;
		u++;
	}
	if (u && whole < 10 && tenths)
		snprintf(buf, n, "%llu.%llu%c", (unsigned long long)whole, (unsigned long long)tenths, units[u]);
	else
		snprintf(buf, n, "%llu%c", (unsigned long long)whole, units[u]);
}

static struct block_device *find_dev(const char *cmd, const char *name)
{
	struct block_device *b = blkdev_get(name);
	if (!b)
		printf("%s: %s: no such block device (lsblk lists them)\n", cmd, name);
	return b;
}

/* ---- lsblk ---- */

static void print_features(unsigned f)
{
	static const char *const names[] = { "write-cache", "fua", "discard", "write-zeroes", "poll" };
	bool any = false;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & (1u << i)) {
			printf("%s%s", any ? "," : "", names[i]);
			any = true;
		}
	printf("%s\n", any ? "" : "-");
}

static int cmd_lsblk(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return shell_usage("lsblk");
	printf("%-14s %8s %7s %7s %-4s %-7s %s\n", "NAME", "SIZE", "LOG-SEC", "PHY-SEC", "TYPE", "QUEUES", "FEATURES");
	for (unsigned i = 0; i < blkdev_count(); i++) {
		struct block_device *b = blkdev_at(i);
		const struct queue_limits *l = &b->q->limits;
		const struct blk_mq_tag_set *s = b->q->tag_set;
		char size[16], name[24], queues[16];
		human_size(size, sizeof(size), b->nr_sectors << SECTOR_SHIFT);
		snprintf(name, sizeof(name), "%s%s", b->partno ? "`-" : "", b->name);
		snprintf(queues, sizeof(queues), "%u/%u/%u", s->map[0].nr_queues,
			 s->nr_maps > HCTX_TYPE_READ ? s->map[HCTX_TYPE_READ].nr_queues : 0,
			 s->nr_maps > HCTX_TYPE_POLL ? s->map[HCTX_TYPE_POLL].nr_queues : 0);
		printf("%-14s %8s %7u %7u %-4s %-7s ", name, size, l->logical_block_size, l->physical_block_size,
		       b->partno ? "part" : "disk", queues);
		print_features(b->features);
	}
	return 0;
}
SHELL_COMMAND(lsblk, "lsblk", "", "block devices: size, block sizes, default/read/poll queues, features", cmd_lsblk);

/* ---- queues ---- */

static void print_hctx(const struct blk_mq_hw_ctx *h)
{
	char mask[64];
	printf("hctx %-2u %-7s cpus %-10s ctxs %-2u depth %-4u in use %-4u", h->queue_num, type_names[h->type],
	       cpumask_empty(h->cpumask) ? "-" : cpumask_format(mask, sizeof(mask), h->cpumask), h->nr_ctx,
	       h->tags->nr_tags, blk_mq_tags_in_use(h->tags));
	const struct irq_desc *d = irq_get(h->irq);
	if (d)
		printf(" irq %d (vector 0x%02x on CPU %u)", h->irq, d->vector, d->cpu);
	else
		printf(" %s", h->type == HCTX_TYPE_POLL ? "polled" : "no irq");
	struct blk_stats s = { 0 };
	blk_mq_hctx_stats(h, &s);
	printf(" dispatched %llu completed %llu (%llu KiB read, %llu KiB written) merges %llu errors %llu\n",
	       (unsigned long long)blk_mq_hctx_dispatched(h), (unsigned long long)blk_mq_hctx_completed(h),
	       (unsigned long long)(s.bytes[REQ_OP_READ] >> 10), (unsigned long long)(s.bytes[REQ_OP_WRITE] >> 10),
	       (unsigned long long)s.merges, (unsigned long long)s.errors);
}

static int cmd_queues(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage("queues");
	struct block_device *b = find_dev("queues", argv[1]);
	if (!b)
		return 1;
	const struct request_queue *q = b->q;
	const struct blk_mq_tag_set *s = q->tag_set;
	for (unsigned t = 0; t < s->nr_maps; t++) {
		if (!s->map[t].nr_queues)
			continue;
		printf("map %-7s (%u queues from %u):", type_names[t], s->map[t].nr_queues, s->map[t].queue_offset);
		for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
			printf(" cpu%u->hctx%u", cpu, s->map[t].mq_map[cpu]);
		printf("\n");
	}
	for (unsigned i = 0; i < q->nr_hw_queues; i++)
		print_hctx(q->queue_hw_ctx[i]);
	return 0;
}
SHELL_COMMAND(queues, "queues", "DEV", "each map's CPU -> hctx; each hctx's CPUs, depth, tags in use, vector, counts", cmd_queues);

/* ---- read / write ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	*v = strtoull(s, &end, 0);
	return *end == 0;
}

/* Checks DEV LBA COUNT; the byte count is at most MAX_RW_BYTES. */
static struct block_device *rw_args(const char *cmd, char **argv, uint64_t *sector, uint32_t *bytes)
{
	struct block_device *b = find_dev(cmd, argv[1]);
	uint64_t lba, count;
	if (!b)
		return NULL;
	uint32_t lbs = b->q->limits.logical_block_size;
	uint64_t nr_blocks = (b->nr_sectors << SECTOR_SHIFT) / lbs;
	if (!parse_u64(argv[2], &lba) || !parse_u64(argv[3], &count) || count == 0) {
		printf("%s: LBA and COUNT must be numbers, COUNT at least 1\n", cmd);
		return NULL;
	}
	if (lba >= nr_blocks || count > nr_blocks - lba) {
		printf("%s: %s: LBA %llu + %llu blocks is beyond the end (%llu blocks of %u bytes)\n", cmd, b->name,
		       (unsigned long long)lba, (unsigned long long)count, (unsigned long long)nr_blocks, lbs);
		return NULL;
	}
	if (count * lbs > MAX_RW_BYTES) {
		printf("%s: at most %u bytes at a time\n", cmd, MAX_RW_BYTES);
		return NULL;
	}
	*sector = lba * (lbs >> SECTOR_SHIFT);
	*bytes = (uint32_t)(count * lbs);
	return b;
}

/* hexdump -C layout; runs of identical lines collapse into "*". */
static void hexdump(const uint8_t *p, uint32_t n)
{
	bool starred = false;
	for (uint32_t off = 0; off < n; off += HEX_PER_LINE) {
		if (off && off + HEX_PER_LINE <= n && memcmp(p + off, p + off - HEX_PER_LINE, HEX_PER_LINE) == 0) {
			if (!starred)
				printf("*\n");
			starred = true;
			continue;
		}
		starred = false;
		printf("%08x ", off);
		for (unsigned i = 0; i < HEX_PER_LINE; i++)
			printf("%s%02x", i == 8 ? "  " : " ", p[off + i]);
		printf("  |");
		for (unsigned i = 0; i < HEX_PER_LINE; i++)
			printf("%c", isprint(p[off + i]) ? p[off + i] : '.');
		printf("|\n");
	}
	printf("%08x\n", n);
}

static int report(const char *cmd, const struct block_device *b, blk_status_t st)
{
	if (st == BLK_STS_OK)
		return 0;
	printf("%s: %s: I/O error %d\n", cmd, b->name, st);
	return 1;
}

static int cmd_read(int argc, char **argv)
{
	uint64_t sector;
	uint32_t bytes;
	if (argc != 4)
		return shell_usage("read");
	struct block_device *b = rw_args("read", argv, &sector, &bytes);
	if (!b)
		return 1;
	uint8_t *buf = dma_buf_alloc(bytes);
	if (!buf)
		return 1;
	blk_status_t st = blkdev_rw(b, REQ_OP_READ, 0, sector, buf, bytes);
	if (st == BLK_STS_OK)
		hexdump(buf, bytes);
	dma_buf_free(buf, bytes);
	return report("read", b, st);
}
SHELL_COMMAND(read, "read", "DEV LBA COUNT", "read COUNT logical blocks at LBA and hex-dump them", cmd_read);

/* The raw form of the shell's write (kernel/tfs_cmds.c registers the
 * command and hands a first argument that names a device here). */
int blk_write_command(int argc, char **argv)
{
	uint64_t sector, byte;
	uint32_t bytes;
	if (argc != 5)
		return shell_usage("write");
	struct block_device *b = rw_args("write", argv, &sector, &bytes);
	if (!b)
		return 1;
	uint8_t *buf = dma_buf_alloc(bytes);
	if (!buf)
		return 1;
	size_t plen = strlen(argv[4]);
	bool fill = parse_u64(argv[4], &byte) && byte <= 255;
	for (uint32_t i = 0; i < bytes; i++)
		buf[i] = fill ? (uint8_t)byte : (uint8_t)argv[4][i % plen];
	blk_status_t st = blkdev_rw(b, REQ_OP_WRITE, 0, sector, buf, bytes);
	dma_buf_free(buf, bytes);
	if (st == BLK_STS_OK)
		printf("wrote %u bytes at sector %llu of %s\n", bytes, (unsigned long long)sector, b->name);
	return report("write", b, st);
}

/* ---- iotest: I/O from every core, checked ---- */

#define IOTEST_MAX_PER_CPU 64

struct iotest {
	struct block_device *b;
	unsigned per_cpu;
	uint32_t bytes;              /* per I/O */
	bool verify;
	unsigned good[MAX_CPUS];     /* I/Os that completed OK (and verified) per CPU */
};

struct iotest_cpu {
	unsigned cpu, done;
};

static void iotest_end_io(struct bio *bio)
{
	struct iotest_cpu *c = bio->private;
	unsigned cpu = c->cpu;
	__atomic_add_fetch(&c->done, 1, __ATOMIC_RELEASE);
	if (cpu != blk_cpu())
		blk_wake(cpu);
}

static uint8_t pattern_byte(unsigned cpu, unsigned io, uint32_t off) { return (uint8_t)(cpu * 31 + io * 7 + off); }

/* On one CPU: a plugged batch of writes (adjacent, so they merge), then a
 * read of each block, compared when the device keeps data. */
static void iotest_on_cpu(void *arg)
{
	struct iotest *t = arg;
	struct iotest_cpu c = { blk_cpu(), 0 };
	uint32_t total = t->per_cpu * t->bytes;
	uint8_t *buf = dma_buf_alloc(total), *rbuf = dma_buf_alloc(t->bytes);
	struct bio *bios = calloc(t->per_cpu, sizeof(*bios));
	struct bio_vec *vecs = calloc(t->per_cpu, sizeof(*vecs));
	if (!buf || !rbuf || !bios || !vecs)
		goto out;
	uint64_t base = (uint64_t)c.cpu * total >> SECTOR_SHIFT;
	struct blk_plug plug;
	blk_start_plug(&plug);
	for (unsigned i = 0; i < t->per_cpu; i++) {
		uint8_t *p = buf + i * t->bytes;
		for (uint32_t k = 0; k < t->bytes; k++)
			p[k] = pattern_byte(c.cpu, i, k);
		vecs[i] = (struct bio_vec){ p, blk_virt_to_phys(p), t->bytes };
		bio_init(&bios[i], t->b, REQ_OP_WRITE, 0, base + i * (t->bytes >> SECTOR_SHIFT), &vecs[i], 1);
		bios[i].end_io = iotest_end_io;
		bios[i].private = &c;
		submit_bio(&bios[i]);
	}
	blk_finish_plug(&plug);
	while (__atomic_load_n(&c.done, __ATOMIC_ACQUIRE) < t->per_cpu)
		blk_wait();
	for (unsigned i = 0; i < t->per_cpu; i++) {
		if (bios[i].status)
			continue;
		memset(rbuf, 0, t->bytes);
		if (blkdev_rw(t->b, REQ_OP_READ, 0, base + i * (t->bytes >> SECTOR_SHIFT), rbuf, t->bytes))
			continue;
		bool same = true;
		for (uint32_t k = 0; t->verify && k < t->bytes; k++)
			same &= rbuf[k] == pattern_byte(c.cpu, i, k);
		t->good[c.cpu] += same;
	}
out:
	free(bios);
	free(vecs);
	dma_buf_free(buf, total);
	dma_buf_free(rbuf, t->bytes);
}

/* Every hctx must have seen exactly the I/O the maps send to it: each CPU's
 * writes on its DEFAULT hctx, its reads on its READ hctx (the same one when
 * there is no READ map). */
static bool iotest_check_hctxs(const struct iotest *t, const uint64_t *before)
{
	const struct request_queue *q = t->b->q;
	bool ok = true;
	for (unsigned i = 0; i < q->nr_hw_queues; i++) {
		const struct blk_mq_hw_ctx *h = q->queue_hw_ctx[i];
		uint64_t reads = 0, writes = 0, got = blk_mq_hctx_dispatched(h) - before[i];
		for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
			writes += q->ctxs[cpu].hctxs[HCTX_TYPE_DEFAULT] == h ? t->per_cpu : 0;
			reads += q->ctxs[cpu].hctxs[blk_mq_hctx_type(q->tag_set, REQ_OP_READ, 0)] == h ? t->per_cpu : 0;
		}
		/* each read is a request; the plugged writes merge, BLK_RQ_MAX_SLICES at most per request */
		uint64_t low = reads + (writes + BLK_RQ_MAX_SLICES - 1) / BLK_RQ_MAX_SLICES, high = reads + writes;
		bool match = got >= low && got <= high;
		printf("  hctx %u: %llu requests for the %llu reads and %llu writes of its CPUs%s\n", i,
		       (unsigned long long)got, (unsigned long long)reads, (unsigned long long)writes,
		       match ? "" : "  MISMATCH");
		ok &= match;
	}
	return ok;
}

static int cmd_iotest(int argc, char **argv)
{
	struct iotest t = { .per_cpu = 16 };
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--verify") != 0))
		return shell_usage("iotest");
	if (!(t.b = find_dev("iotest", argv[1])))
		return 1;
	t.verify = argc == 3;
	t.bytes = t.b->q->limits.logical_block_size > 4096 ? t.b->q->limits.logical_block_size : 4096;
	if ((uint64_t)nr_cpus * t.per_cpu * t.bytes > t.b->nr_sectors << SECTOR_SHIFT) {
		printf("iotest: %s is too small for %u CPUs x %u x %u bytes\n", t.b->name, nr_cpus, t.per_cpu, t.bytes);
		return 1;
	}
	uint64_t before[BLK_MQ_MAX_HW_QUEUES];
	for (unsigned i = 0; i < t.b->q->nr_hw_queues; i++)
		before[i] = blk_mq_hctx_dispatched(t.b->q->queue_hw_ctx[i]);
	smp_call_all(iotest_on_cpu, &t);
	unsigned good = 0;
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		good += t.good[cpu];
	bool hctx_ok = iotest_check_hctxs(&t, before);
	printf("iotest: %s: %u of %u I/O pairs ok (%u CPUs x %u writes+reads of %u bytes%s)\n", t.b->name, good,
	       nr_cpus * t.per_cpu, nr_cpus, t.per_cpu, t.bytes, t.verify ? ", data verified" : "");
	return !(good == nr_cpus * t.per_cpu && hctx_ok);
}
SHELL_COMMAND(iotest, "iotest", "DEV [--verify]",
	      "on every CPU at once: 16 plugged 4 KiB writes then reads, each CPU its own range; checks the queue map", cmd_iotest);

/* ---- blkstat ---- */

static void print_latency(const struct blk_stats *sum)
{
	uint64_t total = 0;
	for (unsigned b = 0; b < BLK_LAT_BUCKETS; b++)
		total += sum->lat_hist[b];
	if (!total)
		return;
	printf("latency (submit to completion, log2 buckets):\n");
	for (unsigned b = 0; b < BLK_LAT_BUCKETS; b++) {
		if (!sum->lat_hist[b])
			continue;
		uint64_t lo = 1ull << b;
		printf("  %9llu - %-9llu ns %10llu  %3llu%%\n", (unsigned long long)lo, (unsigned long long)(lo * 2 - 1),
		       (unsigned long long)sum->lat_hist[b], (unsigned long long)(sum->lat_hist[b] * 100 / total));
	}
}

static int cmd_blkstat(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage("blkstat");
	struct block_device *b = find_dev("blkstat", argv[1]);
	if (!b)
		return 1;
	struct block_device *w = b->whole;
	struct blk_stats sum;
	blk_disk_stats(w, &sum);
	if (b != w)
		printf("%s: counted for the whole disk:\n", b->name);
	printf("%s:\n", w->name);
	for (unsigned op = 0; op < REQ_OP_COUNT; op++)
		printf("  %-13s %10llu requests %12llu sectors\n", blk_op_name(op), (unsigned long long)sum.ios[op],
		       (unsigned long long)(sum.bytes[op] >> SECTOR_SHIFT));
	printf("  merges %llu, errors %llu, timeouts %llu, requeues %llu, in flight %u\n", (unsigned long long)sum.merges,
	       (unsigned long long)sum.errors, (unsigned long long)w->q->timeouts, (unsigned long long)w->q->requeues,
	       blk_mq_in_flight(w->q));
	for (unsigned i = 0; i < w->q->nr_hw_queues; i++)
		print_hctx(w->q->queue_hw_ctx[i]);
	print_latency(&sum);
	return 0;
}
SHELL_COMMAND(blkstat, "blkstat", "DEV", "I/O statistics: requests and sectors per op, merges, errors, timeouts, per hctx, latency histogram", cmd_blkstat);
