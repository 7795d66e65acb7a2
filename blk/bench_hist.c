/* Log-linear latency histogram; see bench_hist.h. */
#include <string.h>

#include "blk/bench_hist.h"

void bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Values below BENCH_HIST_SUB get a bucket each; above, the top bit picks
 * the power of two and the next BENCH_HIST_SUB_BITS bits the sub-bucket. */
unsigned bench_hist_bucket(uint64_t ns)
{
	if (ns < BENCH_HIST_SUB)
		return (unsigned)ns;
	unsigned top = 63 - (unsigned)__builtin_clzll(ns);
	unsigned sub = (unsigned)(ns >> (top - BENCH_HIST_SUB_BITS)) & (BENCH_HIST_SUB - 1);
	return (top - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB + sub;
}

uint64_t bench_hist_bucket_low(unsigned bucket)
{
	if (bucket < BENCH_HIST_SUB)
		return bucket;
	unsigned top = bucket / BENCH_HIST_SUB + BENCH_HIST_SUB_BITS - 1, sub = bucket % BENCH_HIST_SUB;
	return (1ull << top) | ((uint64_t)sub << (top - BENCH_HIST_SUB_BITS));
}

void bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	h->count[bench_hist_bucket(ns)]++;
	h->n++;
	h->min = ns < h->min ? ns : h->min;
	h->max = ns > h->max ? ns : h->max;
	h->sum += (double)ns;
	h->sumsq += (double)ns * (double)ns;
}

void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from)
{
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		into->count[i] += from->count[i];
	into->n += from->n;
	into->min = from->min < into->min ? from->min : into->min;
	into->max = from->max > into->max ? from->max : into->max;
	into->sum += from->sum;
	into->sumsq += from->sumsq;
}

uint64_t bench_hist_percentile(const struct bench_hist *h, double pct)
{
	if (!h->n)
		return 0;
	double exact = (double)h->n * pct / 100.0; /* rounded up: the kernel has no libm */
	uint64_t want = (uint64_t)exact, seen = 0;
	if ((double)want < exact)
		want++;
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want) {
			uint64_t lo = bench_hist_bucket_low(i);
			uint64_t hi = i + 1 < BENCH_HIST_BUCKETS ? bench_hist_bucket_low(i + 1) : lo;
			uint64_t mid = lo + (hi - lo) / 2;
			return mid < h->min ? h->min : mid > h->max ? h->max : mid;
		}
	}
	return h->max;
}

double bench_hist_mean(const struct bench_hist *h) { return h->n ? h->sum / (double)h->n : 0; }

double bench_hist_stdev(const struct bench_hist *h)
{
	if (h->n < 2)
		return 0;
	double mean = bench_hist_mean(h), var = h->sumsq / (double)h->n - mean * mean;
	if (var <= 0)
		return 0;
	double r = var > 1 ? var / 2 : 1; /* Newton's method: the kernel links no libm */
	for (int i = 0; i < 64; i++)
		r = (r + var / r) / 2;
	return r;
}
