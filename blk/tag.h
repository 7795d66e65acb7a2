/*
 * Per-hardware-queue tag allocator (the blk_mq_tags of Linux blk-mq, built
 * like its sbitmap). A tag is a small integer naming one in-flight request of
 * one hardware queue: it indexes static_rqs[] and becomes the NVMe command
 * identifier, so a completion finds its request without a search.
 *
 * Tags 0..nr_reserved_tags-1 are reserved (for commands that must not wait
 * behind normal I/O); nr_reserved_tags..nr_tags-1 are normal. Each kind is
 * handed out only to requests of that kind.
 *
 * Interface: blk_mq_tags_init() once, then any CPU calls blk_mq_get_tag() and
 * blk_mq_put_tag() concurrently, without locks and with interrupts enabled.
 * get_tag never blocks: it returns BLK_MQ_NO_TAG when every tag of the kind
 * asked for is taken, after at most one attempt per bit of the map.
 *
 * Spreading: the normal tags are split over several 64-bit words, each on a
 * cache line of its own, and every CPU starts its search at a per-CPU hint
 * (just past the tag it last took, or the tag it last freed), so CPUs that
 * share a queue mostly take and free bits in different cache lines.
 *
 * Memory ordering: get_tag is an acquire and put_tag a release on the word
 * holding the tag's bit. Everything the previous owner wrote into the request
 * that the tag indexes before put_tag is visible to the next owner after its
 * get_tag returns that tag, and the new owner's stores cannot move before the
 * tag is really its own. The allocator publishes nothing else: when the owner
 * hands the request to another CPU or to the device (a dispatch list, an SQ
 * doorbell) that hand-off needs its own release/acquire pair or barrier.
 *
 * Pure: no allocation, no locks, no kernel headers beyond cpumask.h, so the
 * host tests run it on real threads.
 */
#ifndef BLK_TAG_H
#define BLK_TAG_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cpumask.h"

#define BLK_MQ_NO_TAG (-1)
/* Most tags of one hardware queue, reserved ones included. NVMe allows
 * 65536 entries per I/O queue (CAP.MQES), but 4096 in flight per queue is
 * far beyond what one queue needs, and it bounds the embedded bitmaps. */
#define BLK_MQ_MAX_DEPTH 4096

#define BLK_MQ_TAG_CACHELINE 64
#define BLK_MQ_TAG_WORD_BITS 64
/* Normal tags: at least 8 per word (fewer would lengthen the scan of a full
 * map for no gain) and at most 64 words. With MAX_CPUS = 64 every CPU can
 * already start in a word of its own, so more words would only add scanning;
 * depths up to 1024 get 8-16 tags per word, 4096 gets 64. */
#define BLK_MQ_TAG_MIN_SHIFT 3
#define BLK_MQ_TAG_MAX_WORDS 64
/* u64 slots between two normal words: one word per cache line. */
#define BLK_MQ_TAG_STRIDE_SHIFT 3
_Static_assert((8u << BLK_MQ_TAG_STRIDE_SHIFT) == BLK_MQ_TAG_CACHELINE,
	       "one normal word per cache line");
_Static_assert(BLK_MQ_TAG_MAX_WORDS * BLK_MQ_TAG_WORD_BITS >= BLK_MQ_MAX_DEPTH,
	       "the normal words hold the deepest queue");

/*
 * One bitmap. Bit b of word i stands for tag first_tag + (i << shift) + b;
 * set = taken. Bits of a word beyond its share of the depth (all bits at or
 * above 1 << shift, and the tail of the last word) are set at init and never
 * cleared, so a word is full exactly when it reads all ones.
 */
struct blk_mq_tag_map {
	uint64_t *word;         /* word i is word[i << stride_shift]; points into the tags */
	unsigned depth;         /* tags in this map */
	unsigned nr_words;      /* (depth + (1 << shift) - 1) >> shift */
	unsigned shift;         /* each word stands for 1 << shift tags */
	unsigned stride_shift;  /* BLK_MQ_TAG_STRIDE_SHIFT, or 0 for packed words */
	unsigned pad_bits;      /* set bits that are not tags: nr_words * 64 - depth */
	unsigned first_tag;     /* the tag of bit 0 of word 0 */
};

/* Per CPU, alone on its cache line because its CPU writes it on every get
 * and put: where the search of the normal map starts, and the normal tags
 * this CPU keeps (see blk_mq_put_tag_at): one in `cached`, more (a plugged
 * batch's) in `kept`, a copy of part of its home word (the word its first
 * hint is in). Kept tags are taken in the map but free. */
struct blk_mq_tag_hint {
	unsigned next;          /* index into the normal map, always < its depth */
	int cached;             /* a normal tag, or BLK_MQ_NO_TAG */
	uint64_t kept;          /* bit b: tag kept_base + b, whose bit is b of *kept_word */
	uint64_t *kept_word;    /* this CPU's home word, fixed at init */
	unsigned kept_base;     /* the tag of bit 0 of *kept_word */
} __attribute__((aligned(BLK_MQ_TAG_CACHELINE)));

/*
 * Caller-provided storage (static, or from the frame/kmalloc allocator); the
 * maps point into it, so it must not be copied or moved once initialised.
 * 8832 bytes whatever the depth: a 128-byte header, 4 KiB of normal words,
 * 512 bytes of reserved words, 4 KiB of hints.
 */
struct blk_mq_tags {
	/* read-mostly after init */
	unsigned nr_tags;           /* reserved + normal, 1..BLK_MQ_MAX_DEPTH */
	unsigned nr_reserved_tags;  /* < nr_tags */
	struct blk_mq_tag_map normal;
	struct blk_mq_tag_map reserved;

	/* normal tags: one word per cache line, only the first u64 of each used */
	uint64_t normal_words[BLK_MQ_TAG_MAX_WORDS << BLK_MQ_TAG_STRIDE_SHIFT]
		__attribute__((aligned(BLK_MQ_TAG_CACHELINE)));
	/* reserved tags: rare, so packed 64 per word, on lines of their own */
	uint64_t reserved_words[BLK_MQ_MAX_DEPTH / BLK_MQ_TAG_WORD_BITS]
		__attribute__((aligned(BLK_MQ_TAG_CACHELINE)));
	struct blk_mq_tag_hint hint[MAX_CPUS];
};

/* 0, or -1 (t untouched) when nr_tags is 0 or above BLK_MQ_MAX_DEPTH, or
 * nr_reserved_tags leaves no normal tag (a queue must carry normal I/O).
 * Every tag starts free. Not concurrent with anything on t. */
int blk_mq_tags_init(struct blk_mq_tags *t, unsigned nr_tags, unsigned nr_reserved_tags);

/* A free tag of the kind asked for, now owned by the caller, or
 * BLK_MQ_NO_TAG. cpu is the caller's CPU (any value works: it only picks the
 * hint, and is taken modulo MAX_CPUS). Acquire. */
int blk_mq_get_tag(struct blk_mq_tags *t, unsigned cpu, bool reserved);

/*
 * The I/O path's get: the tag this CPU kept at its last completion (one
 * exchange on its own cache line), else the lowest of its other kept tags
 * (one locked bit reset there), else one try at the lowest free bit of the
 * word holding its hint. False when all fail: the caller goes on to
 * blk_mq_get_tag, which searches every word and takes other CPUs' kept tags.
 */
static inline bool blk_mq_get_tag_fast(struct blk_mq_tags *t, unsigned cpu, unsigned *tag)
{
	struct blk_mq_tag_hint *h = &t->hint[cpu]; /* cpu < MAX_CPUS here */
	int kept = __atomic_exchange_n(&h->cached, BLK_MQ_NO_TAG, __ATOMIC_ACQUIRE);
	if (__builtin_expect(kept != BLK_MQ_NO_TAG, 1)) {
		*tag = (unsigned)kept;
		return true;
	}
	uint64_t more = __atomic_load_n(&h->kept, __ATOMIC_RELAXED);
	if (more) {
		unsigned b = (unsigned)__builtin_ctzll(more);
		uint64_t m = 1ull << b;
		if (__builtin_expect(__atomic_fetch_and(&h->kept, ~m, __ATOMIC_ACQUIRE) & m, 1)) { /* lock btr */
			*tag = h->kept_base + b;
			return true;
		}
	}
	unsigned w = __atomic_load_n(&h->next, __ATOMIC_RELAXED) >> t->normal.shift;
	uint64_t *word = &t->normal_words[w << BLK_MQ_TAG_STRIDE_SHIFT];
	uint64_t free = ~__atomic_load_n(word, __ATOMIC_RELAXED);
	if (__builtin_expect(free == 0, 0))
		return false;
	unsigned bit = (unsigned)__builtin_ctzll(free);
	uint64_t mask = 1ull << bit;
	if (__builtin_expect(__atomic_fetch_or(word, mask, __ATOMIC_ACQUIRE) & mask, 0)) /* lock bts */
		return false;
	*tag = (w << t->normal.shift) + bit + t->normal.first_tag;
	return true;
}

void blk_mq_put_reserved_tag(struct blk_mq_tags *t, unsigned tag);

/* Where a tag's bit lives, worked out once (a request keeps its tag's) so
 * that freeing it on the I/O path is one locked AND and a store. */
#define BLK_MQ_NO_HINT (~0u)
struct blk_mq_tag_loc {
	uint64_t *word;
	uint64_t mask;
	unsigned hint;          /* the hint a put leaves, or BLK_MQ_NO_HINT (reserved) */
};
void blk_mq_tag_locate(struct blk_mq_tags *t, unsigned tag, struct blk_mq_tag_loc *loc);

/*
 * The I/O path's put of `tag` (loc is where it lives): a normal tag is kept
 * for this CPU's next blk_mq_get_tag_fast, without touching the shared map:
 * in `cached` when it keeps none there yet, else in `kept` when the tag is
 * of this CPU's home word; otherwise it is freed in the map as by
 * blk_mq_put_tag. A kept tag stays set in the map, but counts as free:
 * blk_mq_tags_in_use leaves it out and blk_mq_get_tag takes it when the map
 * is full, so no CPU waits for a tag another one keeps. Release.
 */
static inline void blk_mq_put_tag_at(struct blk_mq_tags *t, unsigned cpu, unsigned tag,
				     const struct blk_mq_tag_loc *loc)
{
	struct blk_mq_tag_hint *h = &t->hint[cpu]; /* cpu < MAX_CPUS here */
	int none = BLK_MQ_NO_TAG;
	if (__builtin_expect(loc->hint != BLK_MQ_NO_HINT, 1)) {
		if (__atomic_compare_exchange_n(&h->cached, &none, (int)tag, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return;
		if (loc->word == h->kept_word) { /* loc->mask is its bit in kept too */
			__atomic_fetch_or(&h->kept, loc->mask, __ATOMIC_RELEASE);
			return;
		}
		__atomic_store_n(&h->next, loc->hint, __ATOMIC_RELAXED);
	}
	__atomic_fetch_and(loc->word, ~loc->mask, __ATOMIC_RELEASE);
}

/*
 * Frees the tags of `mask` in `word` (a word of t's maps, as in a
 * blk_mq_tag_loc) at once, as that many blk_mq_put_tag_at would once this
 * CPU's `cached` is taken: tags of this CPU's home word are kept in `kept`
 * (one locked OR), those of another word freed in the map (one locked AND).
 * Release.
 */
static inline void blk_mq_put_tags_word(struct blk_mq_tags *t, unsigned cpu, uint64_t *word, uint64_t mask)
{
	struct blk_mq_tag_hint *h = &t->hint[cpu]; /* cpu < MAX_CPUS here */
	if (__builtin_expect(word == h->kept_word, 1)) {
		__atomic_fetch_or(&h->kept, mask, __ATOMIC_RELEASE);
		return;
	}
	__atomic_fetch_and(word, ~mask, __ATOMIC_RELEASE);
}

/* Frees a tag the caller owns; cpu is the caller's CPU, whose hint moves to
 * the freed tag so its next get reuses a cache-hot request. A tag >= nr_tags
 * is ignored; freeing a tag nobody owns is a bug the allocator cannot see.
 * Release. Inline: it is on every completion. */
static inline void blk_mq_put_tag(struct blk_mq_tags *t, unsigned cpu, unsigned tag)
{
	unsigned index = tag - t->normal.first_tag; /* first_tag == nr_reserved_tags */
	if (__builtin_expect(index < t->normal.depth, 1)) {
		uint64_t *word = &t->normal_words[(index >> t->normal.shift) << BLK_MQ_TAG_STRIDE_SHIFT];
		__atomic_fetch_and(word, ~(1ull << (index & ((1u << t->normal.shift) - 1))), __ATOMIC_RELEASE);
		__atomic_store_n(&t->hint[cpu & (MAX_CPUS - 1)].next, index, __ATOMIC_RELAXED);
	} else if (tag < t->nr_reserved_tags) {
		blk_mq_put_reserved_tag(t, tag);
	}
}

/* Tags taken, reserved ones included: exact when nothing runs concurrently,
 * a snapshot word by word otherwise. */
unsigned blk_mq_tags_in_use(const struct blk_mq_tags *t);

/* Whether the tag is taken right now; false for tag >= nr_tags. */
bool blk_mq_tag_busy(const struct blk_mq_tags *t, unsigned tag);

#endif
