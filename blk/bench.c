/*
 * bench: fio-like closed-loop benchmark in the shell. Each listed CPU runs
 * its own job with iodepth I/Os in flight on its own queue; completions are
 * marked by end_io and reaped by the job's own loop (so all of a job's
 * counters and histograms are written by one CPU, without locks); the shell's
 * CPU prints a status line every second and the report at the end.
 */
#include <ctype.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "blk/bench_hist.h"
#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "kernel/irq.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"
#include "lib/splitmix64.h"

#define MAX_DEPTH 256
#define NS_PER_SEC 1000000000ull
#define VERIFY_SEED 0x5eedull
#define DRAIN_NOTE_NS (100 * 1000000ull) /* a drain longer than this is worth a line */

enum { DIR_READ, DIR_WRITE, NR_DIRS };
enum bench_format { FMT_NORMAL, FMT_JSON, FMT_TERSE };

struct bench_opts {
	struct block_device *b;
	const char *rw;
	bool random, mixed;
	unsigned rwmixread;       /* percent reads */
	uint32_t bs;
	unsigned iodepth;
	cpumask_t cpus;
	uint64_t runtime_ns, size, offset, span;
	bool hipri, verify;
	enum bench_format fmt;
};

struct bench_slot {
	struct bio bio;
	struct bio_vec vec;
	void *buf;
	uint64_t lba;
	int dir;
	uint64_t issued_tsc;      /* the submission batch holding this I/O was handed over */
	int state;                /* 0 idle, 1 in flight, 2 completed */
};

struct bench_job {
	const struct bench_opts *o;
	unsigned cpu;
	uint64_t rng, seq_next, seq_first, seq_end, issued_bytes, byte_budget;
	struct bench_slot *slots;
	uint16_t fresh[MAX_DEPTH];   /* slots to submit in this pass */
	struct bench_hist hist[NR_DIRS];
	uint64_t ios[NR_DIRS], bytes[NR_DIRS], errors, mismatches;
	uint64_t idle0, irq0, t0;
	uint64_t busy_cycles, irqs;
	void (*status)(uint64_t now_tsc); /* the coordinator's own job prints the status line */
	int finished;
	struct smp_work work;
} __attribute__((aligned(64)));

static volatile int stop_all;

/* ---- options ---- */

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	uint64_t v = strtoull(s, &end, 10);
	int shift = 0;
	switch (tolower((unsigned char)*end)) {
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	case 't': shift = 40; end++; break;
	}
	if (*end == 'i' || *end == 'I') /* fio accepts "4ki" and "4KiB" alike */
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}

/* "0-3,6" */
static bool parse_cpus(const char *s, cpumask_t *m)
{
	*m = CPUMASK_NONE;
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			return false;
		if (*end == '-') {
			const char *t = end + 1;
			b = strtoul(t, &end, 10);
			if (end == t || b < a)
				return false;
		}
		if (b >= nr_cpus)
			return false;
		for (unsigned long c = a; c <= b; c++)
			cpumask_set(m, (unsigned)c);
		if (*end == ',')
			end++;
		else if (*end)
			return false;
		s = end;
	}
	return !cpumask_empty(*m);
}

static int bad(const char *what, const char *value)
{
	printf("bench: bad %s '%s' (see: help bench, or the README)\n", what, value);
	return -1;
}

static int parse_opt(struct bench_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *v = eq ? eq + 1 : "";
	uint64_t n;
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(arg, k, klen) == 0)
	if (KEY("--rw")) {
		static const char *const modes[] = { "read", "write", "randread", "randwrite", "randrw" };
		for (unsigned i = 0; i < 5; i++)
			if (strcmp(v, modes[i]) == 0)
				o->rw = modes[i];
		if (!o->rw || strcmp(o->rw, v) != 0)
			return bad("--rw", v);
		o->random = strncmp(v, "rand", 4) == 0;
		o->mixed = strcmp(v, "randrw") == 0;
	} else if (KEY("--bs")) {
		if (!parse_size(v, &n) || n == 0 || n > (1u << 20) || n % 512)
			return bad("--bs (512 bytes to 1 MiB, a multiple of 512)", v);
		o->bs = (uint32_t)n;
	} else if (KEY("--iodepth")) {
		if (!parse_size(v, &n) || n == 0 || n > MAX_DEPTH)
			return bad("--iodepth (1-256)", v);
		o->iodepth = (unsigned)n;
	} else if (KEY("--cpus")) {
		if (!parse_cpus(v, &o->cpus))
			return bad("--cpus (a list of online CPUs like 0-3,6)", v);
	} else if (KEY("--runtime")) {
		if (!parse_size(v, &n) || n == 0 || n > 3600)
			return bad("--runtime (1-3600 seconds)", v);
		o->runtime_ns = n * NS_PER_SEC;
	} else if (KEY("--size")) {
		if (!parse_size(v, &n) || n == 0)
			return bad("--size", v);
		o->size = n;
	} else if (KEY("--offset")) {
		if (!parse_size(v, &n))
			return bad("--offset", v);
		o->offset = n;
	} else if (KEY("--rwmixread")) {
		if (!parse_size(v, &n) || n > 100)
			return bad("--rwmixread (0-100)", v);
		o->rwmixread = (unsigned)n;
	} else if (KEY("--hipri") && !eq) {
		o->hipri = true;
	} else if (KEY("--verify") && !eq) {
		o->verify = true;
	} else if (KEY("--output-format")) {
		if (strcmp(v, "normal") == 0)
			o->fmt = FMT_NORMAL;
		else if (strcmp(v, "json") == 0)
			o->fmt = FMT_JSON;
		else if (strcmp(v, "terse") == 0)
			o->fmt = FMT_TERSE;
		else
			return bad("--output-format (normal, json, terse)", v);
	} else {
		return bad("option", arg);
	}
#undef KEY
	return 0;
}

static int check_opts(struct bench_opts *o)
{
	const struct queue_limits *l = &o->b->q->limits;
	uint64_t dev = o->b->nr_sectors << SECTOR_SHIFT;
	if (o->bs % l->logical_block_size || o->offset % l->logical_block_size)
		return bad("--bs/--offset: not a multiple of the logical block size of", o->b->name);
	if (o->offset >= dev)
		return bad("--offset: beyond the end of", o->b->name);
	o->span = dev - o->offset;
	if (o->runtime_ns && o->size) {
		printf("bench: give --runtime or --size, not both\n");
		return -1;
	}
	if (o->size && o->size < o->span)
		o->span = o->size;
	o->span -= o->span % o->bs;
	if (o->span < o->bs * cpumask_weight(o->cpus))
		return bad("--size/--offset: too small a range for --bs on every CPU of", o->b->name);
	if (o->hipri && !(o->b->features & BLK_FEAT_POLL))
		return bad("--hipri: no poll queues on", o->b->name);
	if (!o->runtime_ns && !o->size)
		o->runtime_ns = 10 * NS_PER_SEC;
	return 0;
}

/* ---- the job on each CPU ---- */

static void slot_end_io(struct bio *bio)
{
	struct bench_slot *s = bio->private;
	__atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
}

static uint64_t next_rand(struct bench_job *j) { return splitmix64(j->rng++); }

static void fill_pattern(const struct bench_job *j, struct bench_slot *s)
{
	uint64_t *w = s->buf, g = s->lba * j->o->b->q->limits.logical_block_size / 8;
	for (uint32_t i = 0; i < j->o->bs / 8; i++)
		w[i] = splitmix64(VERIFY_SEED + g + i);
}

static bool check_pattern(const struct bench_job *j, const struct bench_slot *s)
{
	const uint64_t *w = s->buf;
	uint64_t g = s->lba * j->o->b->q->limits.logical_block_size / 8;
	for (uint32_t i = 0; i < j->o->bs / 8; i++)
		if (w[i] != splitmix64(VERIFY_SEED + g + i))
			return false;
	return true;
}

static void submit(struct bench_job *j, struct bench_slot *s)
{
	const struct bench_opts *o = j->o;
	uint32_t lbs = o->b->q->limits.logical_block_size;
	uint64_t blocks_per_io = o->bs / lbs, pos;
	if (o->random) {
		pos = (next_rand(j) % (o->span / o->bs)) * o->bs;
	} else {
		pos = j->seq_next;
		j->seq_next = j->seq_next + o->bs >= j->seq_end ? j->seq_first : j->seq_next + o->bs;
	}
	s->lba = (o->offset + pos) / lbs;
	s->dir = o->mixed ? (next_rand(j) % 100 < o->rwmixread ? DIR_READ : DIR_WRITE)
		: strstr(o->rw, "read") ? DIR_READ : DIR_WRITE;
	if (s->dir == DIR_WRITE && o->verify)
		fill_pattern(j, s);
	s->vec = (struct bio_vec){ s->buf, virt_to_phys(s->buf), o->bs };
	bio_init(&s->bio, o->b, s->dir == DIR_READ ? REQ_OP_READ : REQ_OP_WRITE, o->hipri ? REQ_HIPRI : 0,
		 s->lba * (lbs >> SECTOR_SHIFT), &s->vec, 1);
	(void)blocks_per_io;
	s->bio.end_io = slot_end_io;
	s->bio.private = s;
	s->state = 1;
	j->issued_bytes += o->bs;
	submit_bio(&s->bio);
}

static void reap(struct bench_job *j, struct bench_slot *s, uint64_t now_tsc)
{
	/* clat, as fio measures it: from the end of the submission to the
	 * reaping of the completion, both stamped once per batch */
	uint64_t ns = now_tsc > s->issued_tsc ? tsc_to_ns(now_tsc - s->issued_tsc) : 0;
	if (s->bio.status) {
		j->errors++;
	} else {
		bench_hist_add(&j->hist[s->dir], ns);
		j->ios[s->dir]++;
		j->bytes[s->dir] += j->o->bs;
		if (s->dir == DIR_READ && j->o->verify && !check_pattern(j, s) && j->mismatches++ == 0)
			printf("bench: verify: mismatch in the block at LBA %llu (CPU %u)\n", (unsigned long long)s->lba,
			       j->cpu);
	}
	s->state = 0;
}

/* queued: I/Os picked for this pass's batch, not yet counted in issued_bytes */
static bool job_should_stop(const struct bench_job *j, uint64_t end_tsc, uint64_t now_tsc, unsigned queued)
{
	return __atomic_load_n(&stop_all, __ATOMIC_RELAXED) || (end_tsc && now_tsc >= end_tsc) ||
	       (j->byte_budget && j->issued_bytes + (uint64_t)queued * j->o->bs >= j->byte_budget);
}

/*
 * Submits the slots in fresh[], then stamps them all with one clock read.
 * Under QEMU's TCG every guest RDTSC takes a spinlock that all vCPUs share
 * (cpu_get_ticks), so a clock read per I/O made two CPUs slower than one;
 * the job reads the clock once per pass instead, as fio stamps a batch of
 * reaped events once (docs/bench-limits.md). plugged: the first iodepth
 * I/Os go out as one batch; refills are not plugged, since the plugged path
 * costs more per I/O than the doorbells it saves (docs/bench-limits.md).
 */
static void submit_batch(struct bench_job *j, const uint16_t *fresh, unsigned n, bool plugged)
{
	struct blk_plug plug;
	if (plugged)
		blk_start_plug(&plug);
	for (unsigned i = 0; i < n; i++)
		submit(j, &j->slots[fresh[i]]);
	if (plugged)
		blk_finish_plug(&plug);
	uint64_t t = rdtsc();
	for (unsigned i = 0; i < n; i++)
		j->slots[fresh[i]].issued_tsc = t;
}

static void job_run(void *arg)
{
	struct bench_job *j = arg;
	const struct bench_opts *o = j->o;
	struct blk_mq_hw_ctx *poll_hctx = o->b->q->ctxs[j->cpu].hctxs[HCTX_TYPE_POLL];
	uint16_t *fresh = j->fresh;
	unsigned busy = 0, n = 0;
	j->t0 = rdtsc();
	uint64_t end_tsc = o->runtime_ns ? j->t0 + o->runtime_ns / 1000 * (tsc_hz() / 1000000) : 0;
	j->idle0 = cpus[j->cpu].idle_tsc;
	j->irq0 = irq_count_cpu(j->cpu);
	for (; busy < o->iodepth && !job_should_stop(j, end_tsc, j->t0, n); busy++)
		fresh[n++] = (uint16_t)busy;
	submit_batch(j, fresh, n, true);
	while (busy) {
		uint64_t now = rdtsc(); /* the completion time of all I/Os reaped in this pass */
		bool time_up = job_should_stop(j, end_tsc, now, 0);
		unsigned reaped = 0;
		n = 0;
		for (unsigned i = 0; i < o->iodepth; i++) {
			struct bench_slot *s = &j->slots[i];
			if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != 2)
				continue;
			reap(j, s, now);
			reaped++;
			if (time_up || job_should_stop(j, 0, now, n)) /* per slot: --size must not be overshot */
				busy--;
			else
				fresh[n++] = (uint16_t)i;
		}
		if (n)
			submit_batch(j, fresh, n, false);
		if (j->status)
			j->status(now);
		if (!reaped)
			o->hipri ? (void)blk_mq_poll(poll_hctx) : blk_wait();
	}
	uint64_t elapsed = rdtsc() - j->t0, idle = cpus[j->cpu].idle_tsc - j->idle0;
	j->busy_cycles = elapsed > idle ? elapsed - idle : 0;
	j->irqs = irq_count_cpu(j->cpu) - j->irq0;
	__atomic_store_n(&j->finished, 1, __ATOMIC_RELEASE);
}

/* ---- coordination and the status line ---- */

static struct bench_job *jobs[MAX_CPUS];
static const struct bench_opts *cur;
static uint64_t start_ns, next_status_ns, next_status_tsc, last_bytes[NR_DIRS], last_ios[NR_DIRS];

static void human_rate(char *buf, size_t n, uint64_t per_sec, const char *unit)
{
	if (per_sec >= 10000000)
		snprintf(buf, n, "%lluM%s", (unsigned long long)(per_sec / 1000000), unit);
	else if (per_sec >= 10000)
		snprintf(buf, n, "%lluk%s", (unsigned long long)(per_sec / 1000), unit);
	else
		snprintf(buf, n, "%llu%s", (unsigned long long)per_sec, unit);
}

/* now_tsc: the caller's clock reading, so that the job loop does not read
 * the clock again for this */
static void status_tick(uint64_t now_tsc)
{
	if (now_tsc < next_status_tsc || cur->fmt != FMT_NORMAL)
		return;
	uint64_t now = uptime_ns();
	next_status_ns += NS_PER_SEC;
	next_status_tsc = rdtsc() + (next_status_ns > now ? next_status_ns - now : 0) / 1000 * (tsc_hz() / 1000000);
	char line[128];
	size_t len = 0;
	for (int d = 0; d < NR_DIRS; d++) {
		uint64_t ios = 0, bytes = 0;
		for_each_cpu(c, cur->cpus) {
			ios += jobs[c]->ios[d];
			bytes += jobs[c]->bytes[d];
		}
		uint64_t dios = ios - last_ios[d], dbytes = bytes - last_bytes[d];
		last_ios[d] = ios;
		last_bytes[d] = bytes;
		if (!dios)
			continue;
		char iops[16];
		human_rate(iops, sizeof(iops), dios, "");
		len += (size_t)snprintf(line + len, sizeof(line) - len, "[%c=%s IOPS, %llu.%llu MiB/s]", d ? 'w' : 'r', iops,
					(unsigned long long)(dbytes >> 20), (unsigned long long)((dbytes & 0xfffff) * 10 >> 20));
	}
	uint64_t left = cur->runtime_ns && start_ns + cur->runtime_ns > now ? (start_ns + cur->runtime_ns - now) / NS_PER_SEC : 0;
	printf("%s[eta %02llum:%02llus]\n", len ? line : "[idle]", (unsigned long long)(left / 60),
	       (unsigned long long)(left % 60));
}

static bool all_finished(void)
{
	for_each_cpu(c, cur->cpus)
		if (!__atomic_load_n(&jobs[c]->finished, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static void free_jobs(const struct bench_opts *o)
{
	for_each_cpu(c, o->cpus) {
		struct bench_job *j = jobs[c];
		if (!j)
			continue;
		for (unsigned i = 0; j->slots && i < o->iodepth; i++)
			dma_buf_free(j->slots[i].buf, o->bs);
		free(j->slots);
		free(j);
		jobs[c] = NULL;
	}
}

static int alloc_jobs(const struct bench_opts *o)
{
	unsigned n = cpumask_weight(o->cpus), k = 0;
	uint64_t region = o->span / n / o->bs * o->bs;
	for_each_cpu(c, o->cpus) {
		struct bench_job *j = jobs[c] = memalign(64, sizeof(*j));
		if (!j)
			return -1;
		memset(j, 0, sizeof(*j));
		j->o = o;
		j->cpu = c;
		j->rng = 0x9e3779b9ull * (c + 1);
		j->seq_first = j->seq_next = region * k;
		j->seq_end = region * ++k;
		j->byte_budget = o->size ? o->span / n : 0;
		for (int d = 0; d < NR_DIRS; d++)
			bench_hist_init(&j->hist[d]);
		/* on lines of their own: no line is written by two CPUs' jobs */
		j->slots = memalign(64, ((o->iodepth * sizeof(*j->slots) + 63) & ~(size_t)63));
		if (!j->slots)
			return -1;
		memset(j->slots, 0, o->iodepth * sizeof(*j->slots));
		for (unsigned i = 0; i < o->iodepth; i++)
			if (!(j->slots[i].buf = dma_buf_alloc(o->bs)))
				return -1;
	}
	return 0;
}

/* ---- the report ---- */

struct bench_result {
	struct bench_hist hist[NR_DIRS];
	uint64_t ios[NR_DIRS], bytes[NR_DIRS], errors, mismatches, busy_cycles, irqs, runtime_ns;
};

static const double percentiles[] = { 1, 5, 10, 50, 90, 99, 99.9, 99.99 };
#define NR_PCT (sizeof(percentiles) / sizeof(percentiles[0]))

static uint64_t iops_of(const struct bench_result *r, int d) { return r->runtime_ns ? r->ios[d] * NS_PER_SEC / r->runtime_ns : 0; }
static uint64_t kib_s_of(const struct bench_result *r, int d)
{
	return r->runtime_ns ? (r->bytes[d] >> 10) * NS_PER_SEC / r->runtime_ns : 0;
}

static void print_normal_dir(const struct bench_result *r, int d)
{
	const struct bench_hist *h = &r->hist[d];
	printf("  %s: IOPS=%llu, BW=%lluKiB/s (%lluMiB/%llumsec)\n", d ? "write" : "read", (unsigned long long)iops_of(r, d),
	       (unsigned long long)kib_s_of(r, d), (unsigned long long)(r->bytes[d] >> 20),
	       (unsigned long long)(r->runtime_ns / 1000000));
	printf("    clat (usec): min=%llu, max=%llu, avg=%.2f, stdev=%.2f\n", (unsigned long long)(h->min / 1000),
	       (unsigned long long)(h->max / 1000), bench_hist_mean(h) / 1000, bench_hist_stdev(h) / 1000);
	printf("     clat percentiles (usec):\n");
	for (unsigned i = 0; i < NR_PCT; i++)
		printf("%s%6.2fth=[%6llu]%s", i % 4 == 0 ? "     | " : " ", percentiles[i],
		       (unsigned long long)(bench_hist_percentile(h, percentiles[i]) / 1000), i % 4 == 3 ? ",\n" : ",");
	if (NR_PCT % 4)
		printf("\n");
}

static void print_json_dir(const struct bench_result *r, int d)
{
	const struct bench_hist *h = &r->hist[d];
	printf("      \"%s\" : {\n        \"io_bytes\" : %llu,\n        \"io_kbytes\" : %llu,\n        \"bw\" : %llu,\n"
	       "        \"iops\" : %llu,\n        \"runtime\" : %llu,\n        \"total_ios\" : %llu,\n"
	       "        \"clat_ns\" : {\n          \"min\" : %llu,\n          \"max\" : %llu,\n"
	       "          \"mean\" : %.3f,\n          \"stddev\" : %.3f,\n          \"percentile\" : {\n",
	       d ? "write" : "read", (unsigned long long)r->bytes[d], (unsigned long long)(r->bytes[d] >> 10),
	       (unsigned long long)kib_s_of(r, d), (unsigned long long)iops_of(r, d),
	       (unsigned long long)(r->runtime_ns / 1000000), (unsigned long long)r->ios[d],
	       (unsigned long long)(h->n ? h->min : 0), (unsigned long long)h->max, bench_hist_mean(h), bench_hist_stdev(h));
	for (unsigned i = 0; i < NR_PCT; i++)
		printf("            \"%f\" : %llu%s\n", percentiles[i], (unsigned long long)bench_hist_percentile(h, percentiles[i]),
		       i + 1 < NR_PCT ? "," : "");
	printf("          }\n        }\n      }");
}

static void report(const struct bench_opts *o, const struct bench_result *r)
{
	uint64_t ios = r->ios[DIR_READ] + r->ios[DIR_WRITE];
	char cpus_s[64];
	cpumask_format(cpus_s, sizeof(cpus_s), o->cpus);
	if (o->fmt == FMT_NORMAL) {
		printf("%s: (g=0): rw=%s, bs=%u, iodepth=%u, cpus=%s%s%s\n", o->b->name, o->rw, o->bs, o->iodepth, cpus_s,
		       o->hipri ? ", hipri" : "", o->verify ? ", verify" : "");
		for (int d = 0; d < NR_DIRS; d++)
			if (r->ios[d])
				print_normal_dir(r, d);
		for_each_cpu(c, o->cpus) {
			const struct bench_job *j = jobs[c];
			uint64_t elapsed = r->runtime_ns / 1000 * (tsc_hz() / 1000000);
			printf("  cpu %u: IOPS=%llu, busy %llu%%\n", c,
			       (unsigned long long)(r->runtime_ns ? (j->ios[0] + j->ios[1]) * NS_PER_SEC / r->runtime_ns : 0),
			       (unsigned long long)(elapsed ? j->busy_cycles * 100 / elapsed : 0));
		}
		printf("  interrupts/IO=%.2f, cycles/IO=%llu, errors=%llu%s\n", ios ? (double)r->irqs / (double)ios : 0,
		       (unsigned long long)(ios ? r->busy_cycles / ios : 0), (unsigned long long)r->errors,
		       o->verify ? (r->mismatches ? ", verify FAILED" : ", verify ok") : "");
	} else if (o->fmt == FMT_JSON) {
		printf("{\n  \"fio version\" : \"nvmekern-bench\",\n  \"jobs\" : [\n    {\n      \"jobname\" : \"bench\",\n"
		       "      \"job options\" : { \"filename\" : \"%s\", \"rw\" : \"%s\", \"bs\" : \"%u\", \"iodepth\" : \"%u\", "
		       "\"cpus\" : \"%s\" },\n      \"error\" : %llu,\n",
		       o->b->name, o->rw, o->bs, o->iodepth, cpus_s, (unsigned long long)r->errors);
		print_json_dir(r, DIR_READ);
		printf(",\n");
		print_json_dir(r, DIR_WRITE);
		printf("\n    }\n  ]\n}\n");
	} else {
		for (int d = 0; d < NR_DIRS; d++)
			printf("3;nvmekern-bench;%s;%s;%s;%u;%u;%llu;%llu;%llu;%llu;%llu;%llu\n", o->b->name, d ? "write" : "read",
			       o->rw, o->bs, o->iodepth, (unsigned long long)r->ios[d], (unsigned long long)iops_of(r, d),
			       (unsigned long long)kib_s_of(r, d), (unsigned long long)(bench_hist_percentile(&r->hist[d], 50) / 1000),
			       (unsigned long long)(bench_hist_percentile(&r->hist[d], 99) / 1000),
			       (unsigned long long)(r->hist[d].max / 1000));
	}
	struct bench_hist all;
	bench_hist_init(&all);
	bench_hist_merge(&all, &r->hist[DIR_READ]);
	bench_hist_merge(&all, &r->hist[DIR_WRITE]);
	uint64_t bytes = r->bytes[0] + r->bytes[1];
	printf("bench: dev=%s rw=%s bs=%u iodepth=%u cpus=%u runtime_ms=%llu ios=%llu iops=%llu mib_s=%llu lat_us_p50=%llu "
	       "lat_us_p99=%llu lat_us_p999=%llu lat_us_max=%llu cycles_per_io=%llu\n",
	       o->b->name, o->rw, o->bs, o->iodepth, cpumask_weight(o->cpus), (unsigned long long)(r->runtime_ns / 1000000),
	       (unsigned long long)ios, (unsigned long long)(r->runtime_ns ? ios * NS_PER_SEC / r->runtime_ns : 0),
	       (unsigned long long)(r->runtime_ns ? (bytes >> 20) * NS_PER_SEC / r->runtime_ns : 0),
	       (unsigned long long)(bench_hist_percentile(&all, 50) / 1000),
	       (unsigned long long)(bench_hist_percentile(&all, 99) / 1000),
	       (unsigned long long)(bench_hist_percentile(&all, 99.9) / 1000), (unsigned long long)(all.max / 1000),
	       (unsigned long long)(ios ? r->busy_cycles / ios : 0));
}

static void collect(const struct bench_opts *o, struct bench_result *r, uint64_t runtime_ns)
{
	memset(r, 0, sizeof(*r));
	r->runtime_ns = runtime_ns;
	for (int d = 0; d < NR_DIRS; d++)
		bench_hist_init(&r->hist[d]);
	for_each_cpu(c, o->cpus) {
		const struct bench_job *j = jobs[c];
		for (int d = 0; d < NR_DIRS; d++) {
			bench_hist_merge(&r->hist[d], &j->hist[d]);
			r->ios[d] += j->ios[d];
			r->bytes[d] += j->bytes[d];
		}
		r->errors += j->errors;
		r->mismatches += j->mismatches;
		r->busy_cycles += j->busy_cycles;
		r->irqs += j->irqs;
	}
}

static int cmd_bench(int argc, char **argv)
{
	static struct bench_opts o;
	static struct bench_result r;
	if (argc < 2 || argv[1][0] == '-')
		return shell_usage("bench");
	o = (struct bench_opts){ .rw = "randread", .random = true, .rwmixread = 50, .bs = 4096, .iodepth = 1,
				 .cpus = cpus_online_mask(), .fmt = FMT_NORMAL };
	if (!(o.b = blkdev_get(argv[1]))) {
		printf("bench: %s: no such block device (lsblk lists them)\n", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++)
		if (parse_opt(&o, argv[i]) != 0)
			return SHELL_USAGE;
	if (check_opts(&o) != 0)
		return SHELL_USAGE;
	int err = alloc_jobs(&o);
	if (err) {
		printf("bench: out of memory for %u CPUs x %u I/Os of %u bytes\n", cpumask_weight(o.cpus), o.iodepth, o.bs);
		free_jobs(&o);
		return 1;
	}
	cur = &o;
	stop_all = 0;
	start_ns = uptime_ns();
	next_status_ns = start_ns + NS_PER_SEC;
	next_status_tsc = rdtsc() + tsc_hz();
	memset(last_bytes, 0, sizeof(last_bytes));
	memset(last_ios, 0, sizeof(last_ios));
	unsigned me = this_cpu_id();
	for_each_cpu(c, o.cpus) {
		if (c == me)
			continue;
		jobs[c]->work = (struct smp_work){ .fn = job_run, .arg = jobs[c] };
		smp_call_async(c, &jobs[c]->work);
	}
	if (cpumask_test(o.cpus, me)) {
		jobs[me]->status = status_tick;
		job_run(jobs[me]);
	}
	while (!all_finished()) {
		status_tick(rdtsc());
		cpu_idle();
	}
	/* With --runtime the jobs stop submitting at its end and rates are over
	 * that window, as fio's time_based runs report them; the in-flight I/Os
	 * reaped after it are counted, and a long wait for them is reported
	 * (under QEMU 7.2 one can stall for a minute: docs/bench-limits.md). */
	uint64_t elapsed_ns = uptime_ns() - start_ns, runtime_ns = elapsed_ns;
	if (o.runtime_ns && elapsed_ns > o.runtime_ns) {
		runtime_ns = o.runtime_ns;
		if (elapsed_ns - o.runtime_ns > DRAIN_NOTE_NS)
			printf("bench: the last I/Os completed %llu ms after the end of the run\n",
			       (unsigned long long)((elapsed_ns - o.runtime_ns) / 1000000));
	}
	collect(&o, &r, runtime_ns);
	report(&o, &r);
	free_jobs(&o);
	return r.errors || r.mismatches ? 1 : 0;
}
SHELL_COMMAND(bench, "bench",
	      "DEV [--rw=read|write|randread|randwrite|randrw] [--bs=4k] [--iodepth=N] [--cpus=LIST] "
	      "[--runtime=SEC|--size=BYTES] [--offset=N] [--rwmixread=PCT] [--hipri] [--verify] "
	      "[--output-format=normal|json|terse]",
	      "fio-like benchmark: one closed-loop job per CPU on its own queue", cmd_bench);
