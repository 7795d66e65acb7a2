/*
 * Bitmap frame allocator. A search skips whole 64-frame words that are full,
 * then checks a candidate run bit by bit; next-fit from the hint keeps
 * repeated small allocations cheap. See frame.h for the contract.
 */
#include <string.h>

#include "kernel/frame.h"

static int test_bit(const uint64_t *bm, uint64_t i) { return (bm[i / 64] >> (i % 64)) & 1; }
static void set_bit(uint64_t *bm, uint64_t i) { bm[i / 64] |= 1ull << (i % 64); }
static void clear_bit(uint64_t *bm, uint64_t i) { bm[i / 64] &= ~(1ull << (i % 64)); }

static uint64_t usable_end(const struct boot_mem_region *r, unsigned n)
{
	uint64_t end = 0;
	for (unsigned i = 0; i < n; i++)
		if (r[i].type == BOOT_MEM_USABLE && r[i].base + r[i].pages * FRAME_SIZE > end)
			end = r[i].base + r[i].pages * FRAME_SIZE;
	return end;
}

size_t frame_bitmap_bytes(const struct boot_mem_region *r, unsigned n)
{
	uint64_t frames = usable_end(r, n) / FRAME_SIZE;
	return (size_t)((frames + 63) / 64 * 8);
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

uint64_t frame_bitmap_place(const struct boot_mem_region *r, unsigned n,
			    const struct boot_reserved *rsv, unsigned nrsv, size_t bytes)
{
	uint64_t need = align_up(bytes, FRAME_SIZE);
	for (unsigned i = 0; i < n; i++) {
		if (r[i].type != BOOT_MEM_USABLE)
			continue;
		uint64_t end = r[i].base + r[i].pages * FRAME_SIZE;
		uint64_t at = r[i].base < FRAME_LOW_LIMIT ? FRAME_LOW_LIMIT : r[i].base;
		for (unsigned k = 0; at + need <= end && k <= nrsv;) {
			/* restart the reserved scan each time 'at' moves past one */
			for (k = 0; k < nrsv; k++)
				if (overlaps(at, need, rsv[k].base, rsv[k].size)) {
					at = align_up(rsv[k].base + rsv[k].size, FRAME_SIZE);
					break;
				}
			if (k == nrsv && at + need <= end)
				return at;
		}
	}
	return 0;
}

void frame_reserve(struct frame_allocator *fa, uint64_t phys, uint64_t bytes)
{
	uint64_t first = phys / FRAME_SIZE, last = align_up(phys + bytes, FRAME_SIZE) / FRAME_SIZE;
	for (uint64_t f = first; f < last && f < fa->nr_frames; f++)
		if (!test_bit(fa->bitmap, f)) {
			set_bit(fa->bitmap, f);
			fa->free--;
		}
}

void frame_init(struct frame_allocator *fa, const struct boot_mem_region *r, unsigned n,
		const struct boot_reserved *rsv, unsigned nrsv, uint64_t *bitmap,
		uint64_t bitmap_phys)
{
	size_t bytes = frame_bitmap_bytes(r, n);
	fa->bitmap = bitmap;
	fa->nr_frames = bytes * 8;
	fa->total = fa->free = fa->hint = 0;
	memset(bitmap, 0xff, bytes);
	for (unsigned i = 0; i < n; i++) {
		if (r[i].type != BOOT_MEM_USABLE)
			continue;
		for (uint64_t f = r[i].base / FRAME_SIZE; f < r[i].base / FRAME_SIZE + r[i].pages; f++) {
			fa->total++;
			if (f * FRAME_SIZE >= FRAME_LOW_LIMIT && test_bit(bitmap, f)) {
				clear_bit(bitmap, f);
				fa->free++;
			}
		}
	}
	for (unsigned k = 0; k < nrsv; k++)
		frame_reserve(fa, rsv[k].base, rsv[k].size);
	frame_reserve(fa, bitmap_phys, bytes);
}

/* First free, aligned run of count frames in [from, to), or UINT64_MAX. */
static uint64_t search(const struct frame_allocator *fa, uint64_t from, uint64_t to,
		       uint64_t count, uint64_t align)
{
	uint64_t f = align_up(from, align);
	while (f + count <= to) {
		if (fa->bitmap[f / 64] == ~0ull) { /* a full word: skip it */
			f = align_up((f / 64 + 1) * 64, align);
			continue;
		}
		uint64_t i = 0;
		while (i < count && !test_bit(fa->bitmap, f + i))
			i++;
		if (i == count)
			return f;
		f = align_up(f + i + 1, align);
	}
	return UINT64_MAX;
}

uint64_t frame_alloc(struct frame_allocator *fa, uint64_t count, uint64_t align_frames)
{
	if (count == 0 || count > fa->free || !align_frames || (align_frames & (align_frames - 1)))
		return 0;
	uint64_t f = search(fa, fa->hint, fa->nr_frames, count, align_frames);
	if (f == UINT64_MAX)
		f = search(fa, 0, fa->hint + count < fa->nr_frames ? fa->hint + count : fa->nr_frames,
			   count, align_frames);
	if (f == UINT64_MAX)
		return 0;
	for (uint64_t i = 0; i < count; i++)
		set_bit(fa->bitmap, f + i);
	fa->free -= count;
	fa->hint = f + count;
	return f * FRAME_SIZE;
}

void frame_free(struct frame_allocator *fa, uint64_t phys, uint64_t count)
{
	for (uint64_t f = phys / FRAME_SIZE; f < phys / FRAME_SIZE + count && f < fa->nr_frames; f++)
		if (test_bit(fa->bitmap, f)) {
			clear_bit(fa->bitmap, f);
			fa->free++;
		}
}
