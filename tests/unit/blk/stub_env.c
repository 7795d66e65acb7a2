/*
 * The host side of blk/blk_env.h for the block-layer unit tests; see
 * stub_env.h for the knobs. Pages are identity-mapped (phys == virt), so a
 * test can reason about physical contiguity and segment boundaries with
 * ordinary pointers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blk/blk_env.h"
#include "blk/blk_mq.h"
#include "tests/unit/blk/stub_env.h"

#define MAX_LIVE 4096   /* more pages than any test keeps at once */

struct live_alloc {
	void *p;
	unsigned order;
	unsigned generation; /* stub_env_reset() calls before it: frees of older ones are not counted */
};

static struct {
	int max_order, fail_after;
	struct stub_page_stats stats;
	struct live_alloc live[MAX_LIVE];
	unsigned cpu;
	struct blk_mq_cpus cpus;
	bool in_irq;
	unsigned wakes;
	unsigned resched;
	uint64_t now, step;
	bool (*wait_fn)(void *);
	void *wait_arg;
	bool ready;   /* reset has run: a test that forgets it still gets the defaults */
	unsigned generation;
} env;

static void ensure_ready(void)
{
	if (!env.ready)
		stub_env_reset();
}

void stub_env_reset(void)
{
	/* Allocations still live (an earlier test that failed before freeing)
	 * stay in the table so their frees are recognised, but the counters
	 * start again from zero for this test. */
	struct live_alloc live[MAX_LIVE];
	memcpy(live, env.live, sizeof(live));
	unsigned generation = env.generation + 1;
	memset(&env, 0, sizeof(env));
	memcpy(env.live, live, sizeof(live));
	env.generation = generation;
	env.max_order = STUB_ALL_ORDERS;
	env.fail_after = -1;
	env.cpus.present = env.cpus.possible = cpumask_first_n(8);
	env.ready = true;
}

void stub_pages_max_order(int max)
{
	ensure_ready();
	env.max_order = max;
}
void stub_pages_fail_after(int ok)
{
	ensure_ready();
	env.fail_after = ok;
}
struct stub_page_stats stub_page_stats(void) { return env.stats; }

bool stub_pages_contain(const void *p, uint64_t len, unsigned *order)
{
	const char *c = p;
	for (unsigned i = 0; i < MAX_LIVE; i++) {
		const char *base = env.live[i].p;
		if (base && c >= base && c + len <= base + ((uint64_t)STUB_PAGE_SIZE << env.live[i].order)) {
			if (order)
				*order = env.live[i].order;
			return true;
		}
	}
	return false;
}

void *blk_alloc_pages(unsigned order)
{
	ensure_ready();
	if ((env.max_order != STUB_ALL_ORDERS && order > (unsigned)env.max_order) || env.fail_after == 0 ||
	    order >= 16) {
		env.stats.failures++;
		return NULL;
	}
	size_t bytes = (size_t)STUB_PAGE_SIZE << order;
	void *p = aligned_alloc(bytes, bytes); /* naturally aligned, as a buddy allocator's blocks are */
	assert_non_null(p);
	memset(p, 0, bytes);
	unsigned i = 0;
	while (i < MAX_LIVE && env.live[i].p)
		i++;
	assert_true(i < MAX_LIVE);
	env.live[i] = (struct live_alloc){ p, order, env.generation };
	if (env.fail_after > 0)
		env.fail_after--;
	env.stats.allocs++;
	env.stats.live++;
	env.stats.order_count[order]++;
	return p;
}

void blk_free_pages(void *p, unsigned order)
{
	for (unsigned i = 0; i < MAX_LIVE; i++) {
		if (env.live[i].p == p) {
			assert_int_equal(env.live[i].order, order); /* freed with the order it was allocated with */
			env.live[i].p = NULL;
			if (env.live[i].generation == env.generation) {
				env.stats.frees++;
				env.stats.live--;
			}
			free(p);
			return;
		}
	}
	fail_msg("blk_free_pages(%p, %u): not a live allocation", p, order);
}

uint64_t blk_virt_to_phys(const void *p) { return (uint64_t)(uintptr_t)p; }

#ifdef BLK_MICROBENCH
/* The microbenchmark's blk_cpu and blk_now_ns are inline, as the kernel's
 * (tools/microbench/env_inline.h), and read these. */
unsigned microbench_cpu;
uint64_t microbench_clock_ns, microbench_clock_step;
void stub_set_cpu(unsigned cpu) { microbench_cpu = cpu; }
#else
void stub_set_cpu(unsigned cpu) { env.cpu = cpu; }
unsigned blk_cpu(void) { return env.cpu; }
#endif

void stub_set_cpus(cpumask_t present, cpumask_t possible, const cpumask_t *siblings)
{
	ensure_ready();
	env.cpus.present = present;
	env.cpus.possible = possible;
	env.cpus.siblings = siblings;
}

void blk_cpus(struct blk_mq_cpus *cpus)
{
	ensure_ready();
	*cpus = env.cpus;
}

#ifdef BLK_MICROBENCH
bool microbench_in_irq;
void stub_set_in_irq(bool in_irq) { microbench_in_irq = in_irq; }
#else
void stub_set_in_irq(bool in_irq) { env.in_irq = in_irq; }
bool blk_in_irq(void) { return env.in_irq; }
#endif

#ifdef BLK_MICROBENCH
void stub_set_time(uint64_t ns, uint64_t step)
{
	microbench_clock_ns = ns;
	microbench_clock_step = step;
}
#else
void stub_set_time(uint64_t ns, uint64_t step)
{
	env.now = ns;
	env.step = step;
}

uint64_t blk_now_ns(void)
{
	uint64_t t = env.now;
	env.now += env.step;
	return t;
}
#endif

void stub_set_wait(bool (*fn)(void *arg), void *arg)
{
	env.wait_fn = fn;
	env.wait_arg = arg;
}

void blk_wait(void)
{
	if (!env.wait_fn)
		fail_msg("blk_wait: the test gave no way to make progress; this would sleep forever");
	if (!env.wait_fn(env.wait_arg))
		fail_msg("blk_wait: nothing left that could complete; this would sleep forever");
}

void blk_wake(unsigned cpu)
{
	(void)cpu;
	env.wakes++;
}

unsigned stub_wakes(void) { return env.wakes; }

void blk_cond_resched(void) { env.resched++; }
unsigned stub_resched(void) { return env.resched; }
