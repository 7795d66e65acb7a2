/*
 * Log-linear latency histogram (like fio's): values in nanoseconds; each
 * power of two is split into BENCH_HIST_SUB linear sub-buckets, so the
 * relative error of a percentile is under 1/BENCH_HIST_SUB. One per CPU and
 * direction, written only by its CPU, merged at the end. Pure: host-tested.
 */
#ifndef BLK_BENCH_HIST_H
#define BLK_BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 4
#define BENCH_HIST_SUB (1u << BENCH_HIST_SUB_BITS)
#define BENCH_HIST_BUCKETS (64 * BENCH_HIST_SUB)

struct bench_hist {
	uint64_t count[BENCH_HIST_BUCKETS];
	uint64_t n, min, max;
	double sum, sumsq;
};

void bench_hist_init(struct bench_hist *h);
void bench_hist_add(struct bench_hist *h, uint64_t ns);
void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from);
/* The value below which pct percent of the samples lie (bucket midpoint,
 * clamped to [min, max]); 0 when empty. */
uint64_t bench_hist_percentile(const struct bench_hist *h, double pct);
double bench_hist_mean(const struct bench_hist *h);
double bench_hist_stdev(const struct bench_hist *h);
/* Bucket index and its lower bound, exposed for the tests. */
unsigned bench_hist_bucket(uint64_t ns);
uint64_t bench_hist_bucket_low(unsigned bucket);

#endif
