/* The per-hardware-queue tag allocator: depths around word boundaries,
 * exhaustion and refill, reserved vs normal tags, per-CPU hint spreading,
 * the I/O path's kept tags, bad input, and real threads racing get/put
 * (both APIs) with an ownership array that catches any tag handed out
 * twice. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blk/tag.h"

/* Static, as the kernel keeps them; every test starts with blk_mq_tags_init. */
static struct blk_mq_tags tags;
static uint8_t seen[BLK_MQ_MAX_DEPTH];

/* Takes every tag of one kind on one CPU, checking each is new and in its
 * range; returns how many it got. */
static unsigned drain(struct blk_mq_tags *t, unsigned cpu, bool reserved)
{
	unsigned lo = reserved ? 0 : t->nr_reserved_tags;
	unsigned hi = reserved ? t->nr_reserved_tags : t->nr_tags;
	unsigned n = 0;
	int tag;
	while ((tag = blk_mq_get_tag(t, cpu, reserved)) != BLK_MQ_NO_TAG) {
		assert_true(tag >= (int)lo && tag < (int)hi);
		assert_int_equal(seen[tag], 0);
		assert_true(blk_mq_tag_busy(t, (unsigned)tag));
		seen[tag] = 1;
		n++;
		assert_true(n <= hi - lo);
	}
	return n;
}

static void check_depth(unsigned depth)
{
	memset(seen, 0, sizeof(seen));
	assert_int_equal(blk_mq_tags_init(&tags, depth, 0), 0);
	assert_int_equal(blk_mq_tags_in_use(&tags), 0);
	for (unsigned i = 0; i < depth; i++)
		assert_false(blk_mq_tag_busy(&tags, i));

	/* spread the takers over CPUs so every hint gets used */
	unsigned n = 0;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu += 7)
		n += drain(&tags, cpu, false);
	assert_int_equal(n, depth);
	assert_int_equal(blk_mq_tags_in_use(&tags), depth);
	assert_int_equal(blk_mq_get_tag(&tags, 3, false), BLK_MQ_NO_TAG);
	assert_int_equal(blk_mq_get_tag(&tags, 3, true), BLK_MQ_NO_TAG);

	/* free k scattered tags: exactly those k come back, then none */
	unsigned k = depth < 5 ? depth : 5;
	uint8_t freed[BLK_MQ_MAX_DEPTH] = { 0 };
	for (unsigned i = 0; i < k; i++) {
		unsigned tag = (i * 7919u) % depth;
		if (freed[tag])
			continue;
		freed[tag] = 1;
		blk_mq_put_tag(&tags, i, tag);
		seen[tag] = 0;
	}
	unsigned nfreed = 0;
	for (unsigned i = 0; i < depth; i++)
		nfreed += freed[i];
	assert_int_equal(blk_mq_tags_in_use(&tags), depth - nfreed);
	for (unsigned i = 0; i < nfreed; i++) {
		int tag = blk_mq_get_tag(&tags, 11 * i, false);
		assert_true(tag >= 0 && (unsigned)tag < depth);
		assert_int_equal(freed[tag], 1);
		freed[tag] = 0;
	}
	assert_int_equal(blk_mq_get_tag(&tags, 0, false), BLK_MQ_NO_TAG);

	for (unsigned i = 0; i < depth; i++)
		blk_mq_put_tag(&tags, i % MAX_CPUS, i);
	assert_int_equal(blk_mq_tags_in_use(&tags), 0);
	assert_false(blk_mq_tag_busy(&tags, depth));  /* out of range */
}

static void test_depths(void **state)
{
	(void)state;
	static const unsigned depths[] = { 1, 2, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 1023,
					   1024, 1025, 2047, 4095, 4096 };
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++)
		check_depth(depths[i]);
}

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(blk_mq_tags_init(&tags, 31, 0), 0);
	assert_int_equal(tags.normal.shift, 3);
	assert_int_equal(tags.normal.nr_words, 4);
	assert_int_equal(blk_mq_tags_init(&tags, 1023, 0), 0);
	assert_int_equal(tags.normal.shift, 4);   /* 16 tags a word */
	assert_int_equal(tags.normal.nr_words, 64);
	assert_int_equal(blk_mq_tags_init(&tags, 4096, 0), 0);
	assert_int_equal(tags.normal.shift, 6);
	assert_int_equal(tags.normal.nr_words, 64);
	/* normal words one cache line apart */
	assert_int_equal((char *)&tags.normal.word[1 << tags.normal.stride_shift] -
			 (char *)&tags.normal.word[0], BLK_MQ_TAG_CACHELINE);
	assert_int_equal((uintptr_t)tags.normal.word % BLK_MQ_TAG_CACHELINE, 0);
	assert_int_equal((uintptr_t)&tags.hint[1] - (uintptr_t)&tags.hint[0], BLK_MQ_TAG_CACHELINE);
}

static void test_exhaust_and_refill(void **state)
{
	(void)state;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(blk_mq_tags_init(&tags, 64, 0), 0);
	int got[64];
	for (int i = 0; i < 64; i++) {
		got[i] = blk_mq_get_tag(&tags, 0, false);
		assert_true(got[i] >= 0 && got[i] < 64);
		assert_int_equal(seen[got[i]], 0);
		seen[got[i]] = 1;
	}
	assert_int_equal(blk_mq_get_tag(&tags, 0, false), BLK_MQ_NO_TAG);
	assert_int_equal(blk_mq_get_tag(&tags, 1, false), BLK_MQ_NO_TAG);
	for (int round = 1; round <= 3; round++) {
		for (int i = 0; i < round; i++)
			blk_mq_put_tag(&tags, 5, (unsigned)got[i * 17]);
		for (int i = 0; i < round; i++)
			assert_int_not_equal(blk_mq_get_tag(&tags, 9, false), BLK_MQ_NO_TAG);
		assert_int_equal(blk_mq_get_tag(&tags, 9, false), BLK_MQ_NO_TAG);
	}
	assert_int_equal(blk_mq_tags_in_use(&tags), 64);

	/* the only free tag sits below the hint, in the hint's own word */
	assert_int_equal(blk_mq_tags_init(&tags, 8, 0), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(blk_mq_get_tag(&tags, 0, false), i);  /* CPU 0's hint: 5 */
	for (int i = 5; i < 8; i++)
		assert_int_equal(blk_mq_get_tag(&tags, 1, false), i);
	blk_mq_put_tag(&tags, 1, 2);
	assert_int_equal(blk_mq_get_tag(&tags, 0, false), 2);
	assert_int_equal(blk_mq_get_tag(&tags, 0, false), BLK_MQ_NO_TAG);
}

static void test_reserved_separate(void **state)
{
	(void)state;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(blk_mq_tags_init(&tags, 70, 3), 0);

	/* reserved run out while normal ones are all free */
	assert_int_equal(drain(&tags, 0, true), 3);
	for (unsigned i = 0; i < 3; i++)
		assert_true(seen[i]);
	assert_int_equal(blk_mq_tags_in_use(&tags), 3);
	int tag = blk_mq_get_tag(&tags, 0, false);
	assert_true(tag >= 3 && tag < 70);
	blk_mq_put_tag(&tags, 0, (unsigned)tag);

	/* normal ones run out while a freed reserved one stays reserved */
	blk_mq_put_tag(&tags, 0, 1);
	seen[1] = 0;
	assert_int_equal(drain(&tags, 4, false), 67);
	assert_int_equal(blk_mq_get_tag(&tags, 4, false), BLK_MQ_NO_TAG);
	assert_int_equal(blk_mq_get_tag(&tags, 4, true), 1);
	assert_int_equal(blk_mq_get_tag(&tags, 4, true), BLK_MQ_NO_TAG);
	assert_int_equal(blk_mq_tags_in_use(&tags), 70);

	/* a freed normal tag is not given to a reserved request */
	blk_mq_put_tag(&tags, 2, 40);
	assert_int_equal(blk_mq_get_tag(&tags, 2, true), BLK_MQ_NO_TAG);
	assert_int_equal(blk_mq_get_tag(&tags, 2, false), 40);

	/* more reserved tags than a word holds */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(blk_mq_tags_init(&tags, 4096, 200), 0);
	assert_int_equal(drain(&tags, 0, true), 200);
	assert_int_equal(drain(&tags, 1, false), 3896);
	assert_int_equal(blk_mq_tags_in_use(&tags), 4096);
}

/* Two CPUs taking turns: while the depth allows, their tags come from
 * different words (different cache lines). */
static void test_hints_spread(void **state)
{
	(void)state;
	static const unsigned depths[] = { 64, 256, 1023, 4096 };
	for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
		assert_int_equal(blk_mq_tags_init(&tags, depths[d], 0), 0);
		unsigned shift = tags.normal.shift, per_word = 1u << shift;
		for (unsigned i = 0; i < per_word; i++) {
			int a = blk_mq_get_tag(&tags, 0, false);
			int b = blk_mq_get_tag(&tags, 1, false);
			assert_true(a >= 0 && b >= 0);
			assert_int_not_equal((unsigned)a >> shift, (unsigned)b >> shift);
		}
	}
	/* CPUs 4..7 on a queue of 8 words each start in a word of their own */
	assert_int_equal(blk_mq_tags_init(&tags, 64, 0), 0);
	unsigned words = 0;
	for (unsigned cpu = 4; cpu < 8; cpu++)
		words |= 1u << ((unsigned)blk_mq_get_tag(&tags, cpu, false) >> tags.normal.shift);
	assert_int_equal(__builtin_popcount(words), 4);

	/* a put moves the hint: the same CPU gets the tag it just freed back */
	assert_int_equal(blk_mq_tags_init(&tags, 1023, 0), 0);
	int t0 = blk_mq_get_tag(&tags, 2, false);
	int t1 = blk_mq_get_tag(&tags, 2, false);
	assert_int_equal(t1, t0 + 1);
	blk_mq_put_tag(&tags, 2, (unsigned)t0);
	assert_int_equal(blk_mq_get_tag(&tags, 2, false), t0);

	/* depth 1: every CPU shares the one tag */
	assert_int_equal(blk_mq_tags_init(&tags, 1, 0), 0);
	assert_int_equal(blk_mq_get_tag(&tags, 63, false), 0);
	assert_int_equal(blk_mq_get_tag(&tags, 0, false), BLK_MQ_NO_TAG);
	blk_mq_put_tag(&tags, 63, 0);
	assert_int_equal(blk_mq_get_tag(&tags, 17, false), 0);
}

/* The I/O path's API: a put keeps the tag for its CPU's next get, off the
 * map's books but set in it; a full map hands out kept tags; reserved tags
 * are never kept. */
static void test_kept_tags(void **state)
{
	(void)state;
	struct blk_mq_tag_loc loc;
	unsigned t = 0, u = 0;
	assert_int_equal(blk_mq_tags_init(&tags, 8, 0), 0);
	assert_true(blk_mq_get_tag_fast(&tags, 0, &t));
	assert_true(t < 8 && blk_mq_tag_busy(&tags, t));
	blk_mq_tag_locate(&tags, t, &loc);
	blk_mq_put_tag_at(&tags, 0, t, &loc);
	assert_int_equal(blk_mq_tags_in_use(&tags), 0);
	assert_true(blk_mq_tag_busy(&tags, t));        /* kept: still set in the map */
	assert_true(blk_mq_get_tag_fast(&tags, 0, &u));
	assert_int_equal(u, t);                        /* the same CPU gets it back */
	blk_mq_put_tag_at(&tags, 0, t, &loc);

	/* another CPU drains the map, then takes the kept tag, then nothing */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(drain(&tags, 1, false), 8);
	assert_true(seen[t]);
	assert_int_equal(blk_mq_tags_in_use(&tags), 8);
	assert_false(blk_mq_get_tag_fast(&tags, 0, &u));

	/* CPU 1 keeps two tags of its home word (the only one here): one
	 * cached, one in its kept mask; both come back to it, cached first */
	unsigned a = (t + 1) % 8, b = (t + 2) % 8;
	blk_mq_tag_locate(&tags, a, &loc);
	blk_mq_put_tag_at(&tags, 1, a, &loc);
	blk_mq_tag_locate(&tags, b, &loc);
	blk_mq_put_tag_at(&tags, 1, b, &loc);
	assert_true(blk_mq_tag_busy(&tags, a));
	assert_true(blk_mq_tag_busy(&tags, b));
	assert_int_equal(blk_mq_tags_in_use(&tags), 6);
	assert_true(blk_mq_get_tag_fast(&tags, 1, &u));
	assert_int_equal(u, a);
	assert_true(blk_mq_get_tag_fast(&tags, 1, &u));
	assert_int_equal(u, b);
	assert_int_equal(blk_mq_tags_in_use(&tags), 8);
	assert_false(blk_mq_get_tag_fast(&tags, 1, &u));

	/* reserved tags are never kept */
	assert_int_equal(blk_mq_tags_init(&tags, 8, 2), 0);
	int r = blk_mq_get_tag(&tags, 0, true);
	assert_true(r >= 0 && r < 2);
	blk_mq_tag_locate(&tags, (unsigned)r, &loc);
	assert_int_equal(loc.hint, BLK_MQ_NO_HINT);
	blk_mq_put_tag_at(&tags, 0, (unsigned)r, &loc);
	assert_false(blk_mq_tag_busy(&tags, (unsigned)r));
	assert_int_equal(tags.hint[0].cached, BLK_MQ_NO_TAG);
	assert_int_equal(tags.hint[0].kept, 0);
}

/* A plugged batch's tags: all but one of a CPU's puts in a row are kept in
 * its mask when they are of its home word, and its gets take them back
 * without the map; a tag of another word goes back to the map. When the
 * map runs dry another CPU takes every kept tag, and tags_in_use counts a
 * kept tag as free throughout. */
static void test_kept_batch(void **state)
{
	(void)state;
	struct blk_mq_tag_loc loc;
	unsigned got[8], u;
	assert_int_equal(blk_mq_tags_init(&tags, 64, 0), 0); /* 8 words of 8 tags */
	uint64_t *home = tags.hint[0].kept_word;
	for (unsigned i = 0; i < 8; i++) {
		assert_true(blk_mq_get_tag_fast(&tags, 0, &got[i]));
		assert_int_equal(got[i] - tags.hint[0].kept_base, i); /* the home word, lowest first */
	}
	assert_int_equal(*home, ~0ull);
	for (unsigned i = 0; i < 8; i++) {
		blk_mq_tag_locate(&tags, got[i], &loc);
		blk_mq_put_tag_at(&tags, 0, got[i], &loc);
		assert_int_equal(blk_mq_tags_in_use(&tags), 7 - i);
	}
	assert_int_equal(tags.hint[0].cached, (int)got[0]);
	assert_int_equal(__builtin_popcountll(tags.hint[0].kept), 7);
	assert_int_equal(*home, ~0ull); /* kept tags stay set in the map */
	for (unsigned i = 0; i < 8; i++) { /* all eight back from the cache: the map's other words untouched */
		assert_true(blk_mq_get_tag_fast(&tags, 0, &u));
		assert_int_equal(u, got[i]);
	}
	assert_int_equal(tags.hint[0].kept, 0);
	assert_int_equal(blk_mq_tags_in_use(&tags), 8);
	unsigned other = blk_mq_get_tag(&tags, 0, false); /* from the map: another word */
	assert_true(other < 64 && other - tags.hint[0].kept_base >= 8);
	for (unsigned i = 0; i < 8; i++) {
		blk_mq_tag_locate(&tags, got[i], &loc);
		blk_mq_put_tag_at(&tags, 0, got[i], &loc);
	}
	blk_mq_tag_locate(&tags, other, &loc);
	blk_mq_put_tag_at(&tags, 0, other, &loc); /* not of the home word: to the map */
	assert_false(blk_mq_tag_busy(&tags, other));
	assert_int_equal(blk_mq_tags_in_use(&tags), 0);
	/* another CPU runs the map dry: it gets every tag, kept ones included */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(drain(&tags, 5, false), 64);
	for (unsigned i = 0; i < 8; i++)
		assert_true(seen[got[i]]);
	assert_int_equal(tags.hint[0].cached, BLK_MQ_NO_TAG);
	assert_int_equal(tags.hint[0].kept, 0);
	assert_int_equal(blk_mq_tags_in_use(&tags), 64);
	assert_false(blk_mq_get_tag_fast(&tags, 0, &u));
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(blk_mq_tags_init(&tags, 0, 0), -1);
	assert_int_equal(blk_mq_tags_init(&tags, 4, 5), -1);
	assert_int_equal(blk_mq_tags_init(&tags, 4, 4), -1);  /* no normal tag left */
	assert_int_equal(blk_mq_tags_init(&tags, BLK_MQ_MAX_DEPTH + 1, 0), -1);
	assert_int_equal(blk_mq_tags_init(&tags, ~0u, 1), -1);
	assert_int_equal(blk_mq_tags_init(NULL, 8, 0), -1);
	assert_int_equal(blk_mq_tags_init(&tags, BLK_MQ_MAX_DEPTH, BLK_MQ_MAX_DEPTH - 1), 0);
	assert_int_equal(tags.normal.depth, 1);

	/* freeing out of range is ignored; CPU numbers wrap */
	assert_int_equal(blk_mq_tags_init(&tags, 8, 1), 0);
	blk_mq_put_tag(&tags, 0, 8);
	blk_mq_put_tag(&tags, 0, ~0u);
	assert_int_equal(blk_mq_tags_in_use(&tags), 0);
	assert_false(blk_mq_tag_busy(&tags, ~0u));
	int tag = blk_mq_get_tag(&tags, 1000, false);
	assert_true(tag >= 1 && tag < 8);
	blk_mq_put_tag(&tags, 1000, (unsigned)tag);
	assert_int_equal(blk_mq_tags_in_use(&tags), 0);
}

/* ---- threads ---- */

#define STRESS_OPS 1000000
#define STRESS_HOLD_MAX 64  /* tags one thread can hold at most */

struct stress {
	struct blk_mq_tags *t;
	unsigned cpu;
	unsigned id;           /* 1-based owner id */
	unsigned reserved_every;  /* every n-th get asks for a reserved tag; 0: never */
	unsigned hold;            /* tags this thread holds at most, <= STRESS_HOLD_MAX */
	bool fast;                /* every other get and put through the I/O path's API */
	unsigned long got, none;
};

/* owner[tag]: the thread holding it, 0 when free. payload[tag] stands for
 * the request: plain stores and loads, ordered between owners only by the
 * allocator's acquire/release. The holder stamps it after get, checks its
 * stamp and clears it before put; the next holder must find it cleared. */
static unsigned owner[BLK_MQ_MAX_DEPTH];
static unsigned long payload[BLK_MQ_MAX_DEPTH];
static unsigned long errors;
static unsigned started;  /* threads wait for all to be running, so they overlap */

static void stress_put(struct stress *s, unsigned tag, unsigned long stamp)
{
	if (payload[tag] != stamp)
		__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
	payload[tag] = 0;
	if (__atomic_exchange_n(&owner[tag], 0, __ATOMIC_RELAXED) != s->id)
		__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
	if (s->fast && (stamp & 2)) {
		struct blk_mq_tag_loc loc;
		blk_mq_tag_locate(s->t, tag, &loc);
		blk_mq_put_tag_at(s->t, s->cpu, tag, &loc);
	} else {
		blk_mq_put_tag(s->t, s->cpu, tag);
	}
}

static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	unsigned held[STRESS_HOLD_MAX];
	unsigned long stamps[STRESS_HOLD_MAX];
	unsigned nheld = 0;
	uint32_t rng = 0x9e3779b9u * s->id;

	__atomic_fetch_sub(&started, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&started, __ATOMIC_RELAXED))
		;

	for (unsigned long op = 0; op < STRESS_OPS; op++) {
		rng = rng * 1664525u + 1013904223u;  /* LCG: cheap, per thread */
		/* get 3 times in 4 below the cap: each thread hovers near it */
		bool get = nheld == 0 || (nheld < s->hold && (rng >> 16) % 4 != 0);
		if (!get) {
			unsigned i = (rng >> 8) % nheld;
			stress_put(s, held[i], stamps[i]);
			held[i] = held[--nheld];
			stamps[i] = stamps[nheld];
			continue;
		}
		bool reserved = s->reserved_every && op % s->reserved_every == 0;
		unsigned fast_tag;
		int tag = !reserved && s->fast && (op & 1) ? (blk_mq_get_tag_fast(s->t, s->cpu, &fast_tag) ? (int)fast_tag
										      : blk_mq_get_tag(s->t, s->cpu, false))
							   : blk_mq_get_tag(s->t, s->cpu, reserved);
		if (tag == BLK_MQ_NO_TAG) {
			s->none++;
			continue;
		}
		s->got++;
		unsigned u = (unsigned)tag;
		bool in_range = reserved ? u < s->t->nr_reserved_tags
					 : u >= s->t->nr_reserved_tags && u < s->t->nr_tags;
		if (!in_range || __atomic_exchange_n(&owner[u], s->id, __ATOMIC_RELAXED) != 0) {
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (payload[u] != 0)
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		payload[u] = ((unsigned long)s->id << 40) | op | 1;
		held[nheld] = u;
		stamps[nheld++] = payload[u];
	}
	while (nheld) {
		nheld--;
		stress_put(s, held[nheld], stamps[nheld]);
	}
	return NULL;
}

/* hold > the normal depth: every thread runs the queue dry by itself, so
 * the exhaustion path is taken however the threads get scheduled. */
static void stress(unsigned nthreads, unsigned depth, unsigned nr_reserved, unsigned hold,
		   bool same_cpu, bool fast)
{
	struct stress s[8];
	pthread_t th[8];
	assert_true(nthreads <= 8 && hold <= STRESS_HOLD_MAX);
	memset(owner, 0, sizeof(owner));
	memset(payload, 0, sizeof(payload));
	errors = 0;
	started = nthreads;
	assert_int_equal(blk_mq_tags_init(&tags, depth, nr_reserved), 0);
	for (unsigned i = 0; i < nthreads; i++) {
		s[i] = (struct stress){ .t = &tags, .cpu = same_cpu ? 0 : i, .id = i + 1,
					.reserved_every = nr_reserved ? 16 : 0, .hold = hold, .fast = fast };
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread, &s[i]), 0);
	}
	unsigned long got = 0, none = 0;
	for (unsigned i = 0; i < nthreads; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		got += s[i].got;
		none += s[i].none;
	}
	assert_int_equal(errors, 0);
	assert_int_equal(blk_mq_tags_in_use(&tags), 0);
	unsigned kept = 0, busy = 0;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		kept += (tags.hint[cpu].cached != BLK_MQ_NO_TAG) + (unsigned)__builtin_popcountll(tags.hint[cpu].kept);
	for (unsigned i = 0; i < depth; i++)
		busy += blk_mq_tag_busy(&tags, i);
	assert_int_equal(busy, kept); /* only kept tags stay set in the map */
	assert_true(fast || kept == 0);
	assert_true(got > 0);
	if (hold > depth - nr_reserved)
		assert_true(none > 0);
}

static void test_two_threads(void **state)
{
	(void)state;
	stress(2, 16, 0, 20, false, false);     /* run dry all the time */
	stress(2, 64, 2, 12, false, false);
	stress(2, 1023, 0, 12, false, false);
	stress(2, 16, 0, 20, false, true);
	stress(2, 64, 2, 12, false, true);
}

static void test_four_threads(void **state)
{
	(void)state;
	stress(4, 31, 3, 32, false, false);
	stress(4, 32, 0, 36, true, false);      /* one hint shared by everyone */
	stress(4, 4096, 64, 12, false, false);
	stress(4, 31, 3, 32, false, true);
	stress(4, 32, 0, 36, true, true);       /* one kept tag raced by everyone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depths),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_exhaust_and_refill),
		cmocka_unit_test(test_reserved_separate),
		cmocka_unit_test(test_hints_spread),
		cmocka_unit_test(test_kept_tags),
		cmocka_unit_test(test_kept_batch),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_four_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
