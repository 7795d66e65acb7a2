/*
 * Tag allocation: atomic test-and-set of one bit in a 64-bit word, searched
 * from a per-CPU hint. See blk/tag.h for the contract and the layout.
 *
 * Bounded work: a failed test-and-set means another CPU took that bit just
 * now; the search never retries a bit it has lost, so one get_tag makes at
 * most one attempt per bit plus one load per word, then gives up.
 */
#include "blk/tag.h"

#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct blk_mq_tag_hint) == BLK_MQ_TAG_CACHELINE, "one hint per line");
_Static_assert(offsetof(struct blk_mq_tags, normal_words) % BLK_MQ_TAG_CACHELINE == 0,
	       "the read-mostly header does not share a line with a word");
_Static_assert(offsetof(struct blk_mq_tags, hint) % BLK_MQ_TAG_CACHELINE == 0,
	       "hints start on a line of their own");

static inline uint64_t *tag_word(const struct blk_mq_tag_map *m, unsigned w)
{
	return &m->word[(size_t)w << m->stride_shift];
}

/*
 * Takes the lowest free bit of *word at or above `from`; the bit, or -1. A
 * lost race drops every bit up to the lost one from the candidates, so this
 * loops at most 64 times. The test-and-set only tests its own bit, which lets
 * the compiler use `lock bts`.
 */
static inline int tag_word_get(uint64_t *word, unsigned from)
{
	uint64_t candidates = ~0ull << from;
	uint64_t seen = __atomic_load_n(word, __ATOMIC_RELAXED);

	for (;;) {
		uint64_t free = ~seen & candidates;
		if (!free)
			return -1;
		unsigned bit = (unsigned)__builtin_ctzll(free);
		uint64_t mask = 1ull << bit;
		if (!(__atomic_fetch_or(word, mask, __ATOMIC_ACQUIRE) & mask))
			return (int)bit;
		candidates &= ~(mask | (mask - 1));
		seen = __atomic_load_n(word, __ATOMIC_RELAXED);
	}
}

/*
 * A free index of the map, searching from `hint`: the rest of the hint's
 * word, then its start (still a hot line), then the following words with
 * wrap-around. -1 when every word was seen full.
 */
static inline int tag_map_get(struct blk_mq_tag_map *m, unsigned hint)
{
	unsigned w = hint >> m->shift;
	unsigned from = hint & ((1u << m->shift) - 1);

	for (unsigned i = 0; i < m->nr_words; i++) {
		uint64_t *word = tag_word(m, w);
		int bit = tag_word_get(word, from);
		if (bit < 0 && from)
			bit = tag_word_get(word, 0);
		if (bit >= 0)
			return (int)((w << m->shift) + (unsigned)bit);
		from = 0;
		if (++w == m->nr_words)
			w = 0;
	}
	return -1;
}

static inline void tag_map_put(struct blk_mq_tag_map *m, unsigned index)
{
	uint64_t mask = 1ull << (index & ((1u << m->shift) - 1));
	__atomic_fetch_and(tag_word(m, index >> m->shift), ~mask, __ATOMIC_RELEASE);
}

static bool tag_map_busy(const struct blk_mq_tag_map *m, unsigned index)
{
	uint64_t mask = 1ull << (index & ((1u << m->shift) - 1));
	return __atomic_load_n(tag_word(m, index >> m->shift), __ATOMIC_ACQUIRE) & mask;
}

static unsigned tag_map_in_use(const struct blk_mq_tag_map *m)
{
	unsigned set = 0;
	for (unsigned w = 0; w < m->nr_words; w++)
		set += (unsigned)__builtin_popcountll(__atomic_load_n(tag_word(m, w), __ATOMIC_RELAXED));
	return set - m->pad_bits;
}

/* Smallest shift (>= BLK_MQ_TAG_MIN_SHIFT) that fits depth into the words. */
static unsigned tag_normal_shift(unsigned depth)
{
	unsigned shift = BLK_MQ_TAG_MIN_SHIFT;
	while (((depth + (1u << shift) - 1) >> shift) > BLK_MQ_TAG_MAX_WORDS)
		shift++;
	return shift;
}

/* Lays out a map over `words` and marks the bits that are not tags as taken. */
static void tag_map_init(struct blk_mq_tag_map *m, uint64_t *words, unsigned depth,
			 unsigned shift, unsigned stride_shift, unsigned first_tag)
{
	unsigned per_word = 1u << shift;

	m->word = words;
	m->depth = depth;
	m->shift = shift;
	m->stride_shift = stride_shift;
	m->nr_words = (depth + per_word - 1) >> shift;
	m->pad_bits = m->nr_words * BLK_MQ_TAG_WORD_BITS - depth;
	m->first_tag = first_tag;
	for (unsigned w = 0; w < m->nr_words; w++) {
		unsigned tags = depth - (w << shift);
		if (tags > per_word)
			tags = per_word;
		*tag_word(m, w) = tags == BLK_MQ_TAG_WORD_BITS ? 0 : ~0ull << tags;
	}
}

/* Bit-reversed 6-bit CPU number: CPUs 0,1 start half the map apart, 0..3 a
 * quarter apart, and so on: any aligned block of 2^k consecutive CPUs (how
 * the CPU→queue map groups them) starts in words spread evenly over the map.
 * A fixed pattern rather than Linux's random one, so tests can rely on it. */
static unsigned tag_cpu_spread(unsigned cpu)
{
	unsigned r = 0;
	for (unsigned i = 0; i < 6; i++)
		r |= ((cpu >> i) & 1) << (5 - i);
	return r;
}
_Static_assert(MAX_CPUS == 64, "tag_cpu_spread reverses 6 bits");

int blk_mq_tags_init(struct blk_mq_tags *t, unsigned nr_tags, unsigned nr_reserved_tags)
{
	if (!t || nr_tags == 0 || nr_tags > BLK_MQ_MAX_DEPTH || nr_reserved_tags >= nr_tags)
		return -1;
	memset(t, 0, sizeof(*t));
	t->nr_tags = nr_tags;
	t->nr_reserved_tags = nr_reserved_tags;

	unsigned depth = nr_tags - nr_reserved_tags;
	tag_map_init(&t->normal, t->normal_words, depth, tag_normal_shift(depth),
		     BLK_MQ_TAG_STRIDE_SHIFT, nr_reserved_tags);
	/* 64 to a word: 6 is log2(BLK_MQ_TAG_WORD_BITS) */
	tag_map_init(&t->reserved, t->reserved_words, nr_reserved_tags, 6, 0, 0);

	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		unsigned w = (tag_cpu_spread(cpu) * t->normal.nr_words) / MAX_CPUS;
		struct blk_mq_tag_hint *h = &t->hint[cpu];
		h->next = w << t->normal.shift;
		h->cached = BLK_MQ_NO_TAG;
		h->kept = 0;
		h->kept_word = tag_word(&t->normal, w);
		h->kept_base = (w << t->normal.shift) + t->normal.first_tag;
	}
	return 0;
}

/* One of h's kept tags (kept, then cached), or BLK_MQ_NO_TAG. */
static int tag_take_kept_of(struct blk_mq_tag_hint *h)
{
	uint64_t more;
	while ((more = __atomic_load_n(&h->kept, __ATOMIC_RELAXED)) != 0) {
		unsigned b = (unsigned)__builtin_ctzll(more);
		uint64_t m = 1ull << b;
		if (__atomic_fetch_and(&h->kept, ~m, __ATOMIC_ACQUIRE) & m)
			return (int)(h->kept_base + b);
	}
	if (__atomic_load_n(&h->cached, __ATOMIC_RELAXED) == BLK_MQ_NO_TAG)
		return BLK_MQ_NO_TAG;
	return __atomic_exchange_n(&h->cached, BLK_MQ_NO_TAG, __ATOMIC_ACQUIRE);
}

/* The map is full: a tag some CPU keeps (blk_mq_put_tag_at), ours first.
 * Plain loads skip the lines that keep none. */
static int tag_take_kept(struct blk_mq_tags *t, unsigned cpu)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		int tag = tag_take_kept_of(&t->hint[(cpu + i) & (MAX_CPUS - 1)]);
		if (tag != BLK_MQ_NO_TAG)
			return tag;
	}
	return BLK_MQ_NO_TAG;
}

int blk_mq_get_tag(struct blk_mq_tags *t, unsigned cpu, bool reserved)
{
	if (reserved)
		return tag_map_get(&t->reserved, 0);  /* first_tag 0: index == tag */

	struct blk_mq_tag_map *m = &t->normal;
	unsigned *hint = &t->hint[cpu & (MAX_CPUS - 1)].next;
	int index = tag_map_get(m, __atomic_load_n(hint, __ATOMIC_RELAXED));
	if (index < 0)
		return tag_take_kept(t, cpu);
	unsigned next = (unsigned)index + 1;
	__atomic_store_n(hint, next == m->depth ? 0 : next, __ATOMIC_RELAXED);
	return index + (int)m->first_tag;
}

void blk_mq_tag_locate(struct blk_mq_tags *t, unsigned tag, struct blk_mq_tag_loc *loc)
{
	bool reserved = tag < t->nr_reserved_tags;
	struct blk_mq_tag_map *m = reserved ? &t->reserved : &t->normal;
	unsigned index = tag - m->first_tag;
	loc->word = tag_word(m, index >> m->shift);
	loc->mask = 1ull << (index & ((1u << m->shift) - 1));
	loc->hint = reserved ? BLK_MQ_NO_HINT : index;
}

void blk_mq_put_reserved_tag(struct blk_mq_tags *t, unsigned tag)
{
	if (tag < t->nr_reserved_tags)
		tag_map_put(&t->reserved, tag);
}

unsigned blk_mq_tags_in_use(const struct blk_mq_tags *t)
{
	unsigned kept = 0;
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		kept += (__atomic_load_n(&t->hint[cpu].cached, __ATOMIC_RELAXED) != BLK_MQ_NO_TAG) +
			(unsigned)__builtin_popcountll(__atomic_load_n(&t->hint[cpu].kept, __ATOMIC_RELAXED));
	unsigned set = tag_map_in_use(&t->reserved) + tag_map_in_use(&t->normal);
	return set > kept ? set - kept : 0; /* a snapshot taken while tags move may be off */
}

bool blk_mq_tag_busy(const struct blk_mq_tags *t, unsigned tag)
{
	if (tag < t->nr_reserved_tags)
		return tag_map_busy(&t->reserved, tag);
	if (tag < t->nr_tags)
		return tag_map_busy(&t->normal, tag - t->normal.first_tag);
	return false;
}
