/*
 * GPT parsing over disk images built in memory here (a protective MBR,
 * primary and backup headers and arrays, CRCs from lib/crc.c), for 512- and
 * 4096-byte blocks, then broken one rule at a time: header and array CRCs,
 * header size, entry size, entry count, entries outside the usable range or
 * reversed, a bogus AlternateLBA, no or hybrid MBR, a disk shorter than its
 * GPT. Last, an image written by sgdisk(8) when the host has it. Messages are
 * checked by capturing stdout, where the stub kprintf writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <cmocka.h>

#include "blk/gpt.h"
#include "lib/crc.h"
#include "tests/unit/capture.h"

/* ---- an in-memory disk ---- */

struct disk {
	uint8_t *data;
	uint32_t bs;
	uint64_t nr_blocks; /* what the image holds; gpt_parse may be told fewer */
	int fd;             /* >= 0: read from this file instead (the sgdisk image) */
	unsigned reads;
};

static int disk_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	struct disk *d = ctx;
	d->reads++;
	if (lba >= d->nr_blocks || count > d->nr_blocks - lba)
		fail_msg("read of %u blocks at LBA %llu past the %llu-block image", count,
			 (unsigned long long)lba, (unsigned long long)d->nr_blocks);
	size_t n = (size_t)count * d->bs;
	if (d->fd >= 0)
		return pread(d->fd, buf, n, (off_t)(lba * d->bs)) == (ssize_t)n ? 0 : -1;
	memcpy(buf, d->data + lba * d->bs, n);
	return 0;
}

static uint8_t *blk(struct disk *d, uint64_t lba)
{
	return d->data + lba * d->bs;
}

static struct gpt_header *hdr(struct disk *d, uint64_t lba)
{
	return (struct gpt_header *)blk(d, lba);
}

static uint64_t last_lba(struct disk *d)
{
	return d->nr_blocks - 1;
}

static struct gpt_entry *entry(struct disk *d, uint64_t hdr_lba, unsigned i)
{
	struct gpt_header *h = hdr(d, hdr_lba);
	return (struct gpt_entry *)(blk(d, h->partition_entry_lba) + i * h->size_of_partition_entry);
}

/* ---- the image builder ---- */

struct tpart {
	unsigned slot; /* 0-based entry index */
	uint64_t first, last;
	const char *name; /* ASCII */
	uint8_t type_byte, guid_byte; /* GUIDs are this byte repeated, with a twist below */
	uint64_t attrs;
};

static void make_guid(uint8_t g[16], uint8_t b)
{
	for (int i = 0; i < 16; i++)
		g[i] = (uint8_t)(b + i); /* distinct bytes show byte-order mistakes */
}

/* Recomputes the array CRC and then the header CRC of the header at lba. */
static void seal(struct disk *d, uint64_t lba)
{
	struct gpt_header *h = hdr(d, lba);
	uint64_t bytes = (uint64_t)h->number_of_partition_entries * h->size_of_partition_entry;
	if (h->partition_entry_lba < d->nr_blocks &&
	    bytes <= (d->nr_blocks - h->partition_entry_lba) * d->bs)
		h->partition_entry_array_crc32 = crc32(0, blk(d, h->partition_entry_lba), bytes);
	h->header_crc32 = 0;
	uint32_t size = h->header_size <= d->bs ? h->header_size : d->bs;
	h->header_crc32 = crc32(0, h, size);
}

static void seal_both(struct disk *d)
{
	seal(d, GPT_HEADER_LBA);
	seal(d, last_lba(d));
}

static void put_header(struct disk *d, uint64_t my, uint64_t alt, uint64_t array_lba,
		       uint32_t nr_entries, uint64_t array_blocks)
{
	struct gpt_header *h = hdr(d, my);
	memcpy(h->signature, GPT_SIGNATURE, 8);
	h->revision = GPT_REVISION_1_0;
	h->header_size = GPT_HEADER_SIZE_MIN;
	h->my_lba = my;
	h->alternate_lba = alt;
	h->first_usable_lba = GPT_HEADER_LBA + 1 + array_blocks;
	h->last_usable_lba = last_lba(d) - 1 - array_blocks;
	make_guid(h->disk_guid, 0xd0);
	h->partition_entry_lba = array_lba;
	h->number_of_partition_entries = nr_entries;
	h->size_of_partition_entry = sizeof(struct gpt_entry);
}

static void put_entry(struct disk *d, uint64_t hdr_lba, const struct tpart *p)
{
	struct gpt_entry *e = entry(d, hdr_lba, p->slot);
	make_guid(e->partition_type_guid, p->type_byte);
	make_guid(e->unique_partition_guid, p->guid_byte);
	e->starting_lba = p->first;
	e->ending_lba = p->last;
	e->attributes = p->attrs;
	for (unsigned i = 0; p->name[i] && i < GPT_NAME_UNITS; i++)
		e->partition_name[i] = (uint8_t)p->name[i];
}

/* A GPT disk: protective MBR, 128 entries of 128 bytes, these partitions in both arrays. */
static void build(struct disk *d, uint32_t bs, uint64_t nr_blocks, const struct tpart *parts,
		  unsigned nr_parts)
{
	const uint32_t nr_entries = 128;
	d->bs = bs;
	d->nr_blocks = nr_blocks;
	d->fd = -1;
	d->data = calloc(nr_blocks, bs);
	assert_non_null(d->data);

	struct legacy_mbr *m = (struct legacy_mbr *)blk(d, 0);
	m->partition_record[0].os_type = MBR_TYPE_GPT_PROTECTIVE;
	m->partition_record[0].starting_lba = GPT_HEADER_LBA;
	m->partition_record[0].size_in_lba = nr_blocks - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(nr_blocks - 1);
	m->signature = MBR_SIGNATURE;

	uint64_t ablocks = (nr_entries * sizeof(struct gpt_entry) + bs - 1) / bs;
	put_header(d, GPT_HEADER_LBA, last_lba(d), GPT_HEADER_LBA + 1, nr_entries, ablocks);
	put_header(d, last_lba(d), GPT_HEADER_LBA, last_lba(d) - ablocks, nr_entries, ablocks);
	for (unsigned i = 0; i < nr_parts; i++) {
		put_entry(d, GPT_HEADER_LBA, &parts[i]);
		put_entry(d, last_lba(d), &parts[i]);
	}
	seal_both(d);
}

/* ---- running gpt_parse with its messages captured ---- */

#define MAX_PARTS 16

static struct gpt_part parts[MAX_PARTS];
static struct gpt_result res;

static int parse_n(struct disk *d, uint64_t nr_blocks, unsigned max_parts)
{
	struct capture c;
	capture_begin(&c);
	memset(parts, 0xa5, sizeof(parts)); /* garbage, to catch fields left unset */
	int r = gpt_parse(disk_read, d, d->bs, nr_blocks, parts, max_parts, &res);
	capture_end(&c);
	return r;
}

static int parse(struct disk *d)
{
	return parse_n(d, d->nr_blocks, MAX_PARTS);
}

#define expect_why(got, s)                                                               \
	do {                                                                             \
		if (!(got) || !strstr((got), (s)))                                       \
			fail_msg("reason \"%s\", expected \"%s\"; messages:\n%s",        \
				 (got) ? (got) : "(none)", (s), out);                    \
	} while (0)

/* ---- a standard disk per block size ---- */

static uint32_t bs512 = 512, bs4096 = 4096;

static uint32_t bs_of(void **state)
{
	return *(uint32_t *)*state;
}

/* 4 MiB of 512-byte blocks, 16 MiB of 4096-byte ones; three partitions, slot 2 empty */
static void std_disk(struct disk *d, uint32_t bs)
{
	uint64_t nr = bs == 512 ? 8192 : 4096;
	uint64_t fu = bs == 512 ? 34 : 6; /* MBR, header, 128 x 128 bytes of entries */
	const struct tpart p[] = {
		{ 0, fu, fu + 99, "EFI System", 0x10, 0x20, 1 },
		{ 1, fu + 100, fu + 199, "root", 0x30, 0x40, 0 },
		{ 3, fu + 200, nr - fu, "data", 0x50, 0x60, 1ull << 63 },
	};
	build(d, bs, nr, p, 3);
	assert_int_equal(hdr(d, 1)->first_usable_lba, fu);
	assert_int_equal(hdr(d, 1)->last_usable_lba, nr - fu);
}

static void expect_std_parts(struct disk *d)
{
	uint64_t fu = hdr(d, 1)->first_usable_lba;
	assert_true(res.valid);
	assert_int_equal(res.nr_parts, 3);
	assert_int_equal(parts[0].index, 1);
	assert_int_equal(parts[0].first_lba, fu);
	assert_int_equal(parts[0].last_lba, fu + 99);
	assert_string_equal(parts[0].name, "EFI System");
	assert_int_equal(parts[0].attrs, 1);
	assert_int_equal(parts[1].index, 2);
	assert_string_equal(parts[1].name, "root");
	assert_int_equal(parts[2].index, 4); /* slot 3 is empty: Linux's p4 */
	assert_int_equal(parts[2].last_lba, d->nr_blocks - fu);
	assert_int_equal(parts[2].attrs, 1ull << 63);
	/* make_guid(0x10): bytes 10 11 12 ..., the first three fields little-endian */
	assert_string_equal(parts[0].type_guid, "13121110-1514-1716-1819-1a1b1c1d1e1f");
	assert_string_equal(parts[0].part_guid, "23222120-2524-2726-2829-2a2b2c2d2e2f");
	assert_string_equal(res.disk_guid, "d3d2d1d0-d5d4-d7d6-d8d9-dadbdcdddedf");
}

/* ---- the cases ---- */

static void test_valid(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	assert_int_equal(parse(&d), 3);
	expect_std_parts(&d);
	assert_false(res.used_backup);
	assert_false(res.primary_bad);
	assert_false(res.backup_bad);
	assert_null(res.primary_why);
	assert_null(res.backup_why);
	assert_int_equal(res.mbr, GPT_MBR_PROTECTIVE);
	assert_int_equal(res.nr_bad, 0);
	expect_msg("gpt: 3 partitions from the primary header");
	expect_no_msg("differ");
	free(d.data);
}

static void test_primary_header_crc_bad(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	hdr(&d, 1)->header_crc32 ^= 1;
	assert_int_equal(parse(&d), 3);
	expect_std_parts(&d);
	assert_true(res.used_backup);
	assert_true(res.primary_bad);
	assert_false(res.backup_bad);
	expect_why(res.primary_why, "header CRC32");
	expect_msg("HeaderCRC32");
	expect_msg("using the backup");
	free(d.data);
}

static void test_primary_array_crc_bad(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	entry(&d, 1, 0)->starting_lba++; /* changed behind the CRC's back */
	assert_int_equal(parse(&d), 3);
	expect_std_parts(&d); /* the backup's copy, unchanged */
	assert_true(res.used_backup);
	expect_why(res.primary_why, "entry array CRC32");
	expect_msg("PartitionEntryArrayCRC32");
	free(d.data);
}

static void test_backup_bad_primary_used(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	entry(&d, last_lba(&d), 1)->ending_lba++;
	assert_int_equal(parse(&d), 3);
	expect_std_parts(&d);
	assert_false(res.used_backup);
	assert_false(res.primary_bad);
	assert_true(res.backup_bad);
	expect_why(res.backup_why, "entry array CRC32");
	expect_msg("backup GPT is bad");
	free(d.data);
}

static void test_both_bad(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	hdr(&d, 1)->header_crc32 ^= 1;
	entry(&d, last_lba(&d), 0)->attributes ^= 4;
	assert_int_equal(parse(&d), -1);
	assert_false(res.valid);
	assert_true(res.primary_bad);
	assert_true(res.backup_bad);
	assert_int_equal(res.nr_parts, 0);
	expect_msg("gpt: no valid GPT (primary: bad header CRC32; backup: bad partition entry array CRC32)");
	free(d.data);
}

static void test_header_size_out_of_range(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	/* too big for the block: the CRC cannot even be checked */
	hdr(&d, 1)->header_size = d.bs + 1;
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	assert_true(res.used_backup);
	expect_why(res.primary_why, "header size");
	expect_msg("HeaderSize");
	/* too small, on both: nothing left */
	hdr(&d, 1)->header_size = GPT_HEADER_SIZE_MIN - 1;
	hdr(&d, last_lba(&d))->header_size = GPT_HEADER_SIZE_MIN - 1;
	seal_both(&d);
	assert_int_equal(parse(&d), -1);
	expect_why(res.backup_why, "header size");
	/* larger than 92 but inside the block is fine, the CRC covering it all */
	hdr(&d, 1)->header_size = 200;
	hdr(&d, last_lba(&d))->header_size = 200;
	blk(&d, 1)[150] = 0x5a; /* reserved bytes inside HeaderSize are covered by the CRC */
	seal_both(&d);
	assert_int_equal(parse(&d), 3);
	assert_false(res.primary_bad);
	blk(&d, 1)[150] = 0x5b;
	assert_int_equal(parse(&d), 3);
	assert_true(res.used_backup);
	free(d.data);
}

static void test_bad_signature_and_revision(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	hdr(&d, 1)->signature[0] = 'X';
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "signature");
	hdr(&d, 1)->signature[0] = 'E';
	hdr(&d, 1)->revision = 0x00020000;
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "revision");
	hdr(&d, 1)->revision = 0x00010001; /* a later 1.x stays readable */
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	assert_false(res.primary_bad);
	free(d.data);
}

static void test_entry_size_not_multiple_of_128(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	hdr(&d, 1)->size_of_partition_entry = 130;
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	assert_true(res.used_backup);
	expect_why(res.primary_why, "entry size");
	expect_msg("SizeOfPartitionEntry 130");
	hdr(&d, 1)->size_of_partition_entry = 64;
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "entry size");
	free(d.data);
}

/* 256-byte entries: the fields in the first 128 bytes, the rest skipped over */
static void test_entry_size_256(void **state)
{
	struct disk d;
	uint32_t bs = bs_of(state);
	build(&d, bs, 1024, NULL, 0);
	for (uint64_t lba = 1; lba != 0; lba = lba == 1 ? last_lba(&d) : 0) {
		struct gpt_header *h = hdr(&d, lba);
		h->number_of_partition_entries = 64; /* same 16 KiB array */
		h->size_of_partition_entry = 256;
		const struct tpart p = { 5, h->first_usable_lba, h->first_usable_lba + 7, "six", 1, 2, 0 };
		put_entry(&d, lba, &p);
	}
	seal_both(&d);
	assert_int_equal(parse(&d), 1);
	assert_int_equal(parts[0].index, 6);
	assert_string_equal(parts[0].name, "six");
	assert_false(res.primary_bad || res.backup_bad);
	free(d.data);
}

static void test_partition_count_huge(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	hdr(&d, 1)->number_of_partition_entries = 0x100000; /* 128 MiB of entries */
	seal(&d, 1);
	unsigned reads = d.reads;
	assert_int_equal(parse(&d), 3);
	assert_true(res.used_backup);
	expect_why(res.primary_why, "too large");
	hdr(&d, 1)->number_of_partition_entries = 0xffffffffu; /* and the product overflows 32 bits */
	hdr(&d, 1)->size_of_partition_entry = 0x80000000u;
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "too large");
	assert_true(d.reads - reads < 20);
	free(d.data);
}

static void test_partition_beyond_last_usable_skipped(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	uint64_t lu = hdr(&d, 1)->last_usable_lba;
	entry(&d, 1, 3)->ending_lba = lu + 1;
	entry(&d, last_lba(&d), 3)->ending_lba = lu + 1;
	entry(&d, 1, 0)->starting_lba = 1; /* over the primary header */
	entry(&d, last_lba(&d), 0)->starting_lba = 1;
	seal_both(&d);
	assert_int_equal(parse(&d), 1);
	assert_true(res.valid);
	assert_int_equal(res.nr_bad, 2);
	assert_int_equal(parts[0].index, 2);
	expect_msg("gpt: partition 4:");
	expect_msg("gpt: partition 1:");
	expect_msg("skipped");
	free(d.data);
}

static void test_first_after_last_skipped(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	struct gpt_entry *e = entry(&d, 1, 1), *b = entry(&d, last_lba(&d), 1);
	e->starting_lba = b->starting_lba = e->ending_lba + 1;
	seal_both(&d);
	assert_int_equal(parse(&d), 2);
	assert_int_equal(res.nr_bad, 1);
	assert_int_equal(parts[0].index, 1);
	assert_int_equal(parts[1].index, 4);
	expect_msg("gpt: partition 2:");
	expect_msg("reversed");
	/* first == last is one block, and fine */
	e->starting_lba = b->starting_lba = e->ending_lba;
	seal_both(&d);
	assert_int_equal(parse(&d), 3);
	assert_int_equal(parts[1].first_lba, parts[1].last_lba);
	free(d.data);
}

static void test_alternate_lba_bogus(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	/* primary intact but failing later (array CRC), its AlternateLBA off the disk */
	hdr(&d, 1)->alternate_lba = d.nr_blocks + 100;
	seal(&d, 1);
	entry(&d, 1, 0)->attributes ^= 2;
	assert_int_equal(parse(&d), 3);
	assert_true(res.used_backup);
	expect_msg("not on the disk; trying the last LBA");
	/* on the disk but pointing at nothing: that fails, then the last LBA is tried */
	hdr(&d, 1)->alternate_lba = 100;
	seal(&d, 1);
	entry(&d, 1, 0)->attributes ^= 2;
	assert_int_equal(parse(&d), 3);
	assert_true(res.used_backup);
	expect_msg("backup header (LBA 100): no \"EFI PART\" signature");
	expect_std_parts(&d);
	free(d.data);
}

/* A disk that grew: the backup is still at the old end, where AlternateLBA says. */
static void test_backup_at_alternate_lba(void **state)
{
	struct disk d, big;
	std_disk(&d, bs_of(state));
	big = d;
	big.nr_blocks = d.nr_blocks * 2;
	big.data = calloc(big.nr_blocks, big.bs);
	assert_non_null(big.data);
	memcpy(big.data, d.data, d.nr_blocks * d.bs);
	assert_int_equal(parse(&big), 3);
	assert_false(res.primary_bad || res.backup_bad);
	expect_msg("disk grown?");
	entry(&big, 1, 1)->attributes = 7; /* the primary's array goes bad, its header stays intact */
	assert_int_equal(parse(&big), 3);
	assert_true(res.used_backup);
	assert_int_equal(parts[1].attrs, 0);
	free(big.data);
	free(d.data);
}

static void test_no_protective_mbr(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	memset(blk(&d, 0), 0, d.bs);
	assert_int_equal(parse(&d), 3);
	assert_int_equal(res.mbr, GPT_MBR_NONE);
	expect_msg("no MBR signature");
	expect_std_parts(&d);
	/* a signature but no 0xee record */
	struct legacy_mbr *m = (struct legacy_mbr *)blk(&d, 0);
	m->signature = MBR_SIGNATURE;
	m->partition_record[0].os_type = 0x83;
	assert_int_equal(parse(&d), 3);
	assert_int_equal(res.mbr, GPT_MBR_NONE);
	expect_msg("no protective (0xee) record");
	/* hybrid: 0xee beside others */
	m->partition_record[2].os_type = MBR_TYPE_GPT_PROTECTIVE;
	m->partition_record[2].starting_lba = 1;
	assert_int_equal(parse(&d), 3);
	assert_int_equal(res.mbr, GPT_MBR_HYBRID);
	expect_msg("hybrid MBR");
	free(d.data);
}

static void test_disk_smaller_than_gpt(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	/* the device reports half the blocks: the primary's usable range leaves the
	 * disk and the last LBA holds no header; nothing is read past the end */
	assert_int_equal(parse_n(&d, d.nr_blocks / 2, MAX_PARTS), -1);
	expect_why(res.primary_why, "usable LBA range");
	expect_msg("do not fit a disk of");
	expect_why(res.backup_why, "no signature");
	/* fewer blocks than an MBR and two headers */
	assert_int_equal(parse_n(&d, 2, MAX_PARTS), -1);
	expect_why(res.primary_why, "too small");
	expect_msg("too few for a GPT");
	free(d.data);
	/* a disk just big enough for an MBR, two headers and two one-block arrays of 4 entries */
	uint32_t bs = bs_of(state);
	build(&d, bs, 6, NULL, 0);
	for (uint64_t lba = 1; lba != 0; lba = lba == 1 ? 5 : 0) {
		struct gpt_header *h = hdr(&d, lba);
		h->number_of_partition_entries = 4;
		h->partition_entry_lba = lba == 1 ? 2 : 4;
		h->first_usable_lba = h->last_usable_lba = 3;
	}
	const struct tpart p = { 0, 3, 3, "one", 1, 2, 0 };
	put_entry(&d, 1, &p);
	put_entry(&d, 5, &p);
	seal_both(&d);
	assert_int_equal(parse(&d), 1);
	assert_false(res.primary_bad || res.backup_bad);
	free(d.data);
}

static void test_usable_range_bad(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	struct gpt_header *h = hdr(&d, 1);
	uint64_t fu = h->first_usable_lba, lu = h->last_usable_lba;
	h->first_usable_lba = GPT_HEADER_LBA; /* would cover the primary header */
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "usable LBA range");
	h->first_usable_lba = fu;
	h->last_usable_lba = last_lba(&d); /* would cover the backup header */
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "usable LBA range");
	h->first_usable_lba = lu + 1; /* reversed */
	h->last_usable_lba = lu;
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "usable LBA range");
	assert_true(res.used_backup);
	free(d.data);
}

static void test_array_misplaced(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	hdr(&d, 1)->partition_entry_lba = hdr(&d, 1)->first_usable_lba; /* inside the usable range */
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "misplaced");
	hdr(&d, 1)->partition_entry_lba = d.nr_blocks - 2; /* runs off the end */
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "misplaced");
	hdr(&d, 1)->partition_entry_lba = 2;
	hdr(&d, 1)->my_lba = 2;
	seal(&d, 1);
	assert_int_equal(parse(&d), 3);
	expect_why(res.primary_why, "MyLBA");
	free(d.data);
}

static void test_names_and_max_parts(void **state)
{
	struct disk d;
	std_disk(&d, bs_of(state));
	for (uint64_t lba = 1; lba != 0; lba = lba == 1 ? last_lba(&d) : 0) {
		uint16_t *n = entry(&d, lba, 0)->partition_name;
		memset(n, 0, GPT_NAME_UNITS * 2);
		n[0] = 'a';
		n[1] = 0x00e9;  /* é: 2 bytes */
		n[2] = 0x20ac;  /* €: 3 bytes */
		n[3] = 0xd83d;  /* U+1F600 as a surrogate pair: 4 bytes */
		n[4] = 0xde00;
		n[5] = 0xdc00;  /* a low surrogate alone */
		n[6] = 'z';
		uint16_t *full = entry(&d, lba, 1)->partition_name;
		for (int i = 0; i < GPT_NAME_UNITS; i++)
			full[i] = 0x4e2d; /* 中, 36 times with no NUL: the longest UTF-8 */
	}
	seal_both(&d);
	assert_int_equal(parse(&d), 3);
	assert_string_equal(parts[0].name, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdz");
	assert_int_equal(strlen(parts[1].name), GPT_NAME_UNITS * 3);
	assert_memory_equal(parts[1].name, "\xe4\xb8\xad", 3);
	/* room for two: the third is counted, not stored */
	assert_int_equal(parse_n(&d, d.nr_blocks, 2), 2);
	assert_int_equal(res.nr_dropped, 1);
	assert_int_equal(parts[2].index, 0xa5a5a5a5); /* untouched */
	expect_msg("left out");
	free(d.data);
}

static void test_bad_block_size(void **state)
{
	(void)state;
	struct disk d = { .bs = 1000, .nr_blocks = 100, .fd = -1 };
	assert_int_equal(parse(&d), -1);
	expect_msg("block size 1000 not supported");
	assert_int_equal(d.reads, 0);
}

/* ---- an image written by sgdisk ---- */

static const char *find_sgdisk(void)
{
	static const char *const where[] = { "/usr/sbin/sgdisk", "/sbin/sgdisk", "/usr/bin/sgdisk",
					     "/usr/local/sbin/sgdisk" };
	for (unsigned i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

#define DISK_GUID "5F3C2B1A-0000-4000-8000-0123456789AB"
#define ESP_GUID  "11111111-2222-4333-8444-555555555555"
#define ROOT_GUID "66666666-7777-4888-9999-AAAAAAAAAAAA"
#define DATA_GUID "BBBBBBBB-CCCC-4DDD-8EEE-FFFFFFFFFFFF"

static void test_sgdisk_image(void **state)
{
	(void)state;
	const char *sgdisk = find_sgdisk();
	if (!sgdisk) {
		printf("# sgdisk not installed (Debian package gdisk): skipped\n");
		skip();
	}
	char path[] = "/tmp/test_gpt_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const uint64_t nr = 64 << 11; /* 64 MiB of 512-byte sectors, sparse */
	assert_int_equal(ftruncate(fd, (off_t)(nr * 512)), 0);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "%s -o -U " DISK_GUID " -n 1:2048:+1M -t 1:ef00 -c 1:'EFI system' -u 1:" ESP_GUID
		 " -A 1:set:0 -n 2:0:+8M -t 2:8300 -c 2:root -u 2:" ROOT_GUID
		 " -n 4:0:0 -t 4:8e00 -c 4:data -u 4:" DATA_GUID " %s >/dev/null 2>&1",
		 sgdisk, path);
	int st = system(cmd);
	if (st != 0) {
		close(fd);
		unlink(path);
		fail_msg("sgdisk failed (%d): %s", st, cmd);
	}
	struct disk d = { .bs = 512, .nr_blocks = nr, .fd = fd };
	int r = parse(&d);
	close(fd);
	unlink(path);

	assert_int_equal(r, 3);
	assert_int_equal(res.mbr, GPT_MBR_PROTECTIVE);
	assert_false(res.primary_bad || res.backup_bad || res.used_backup);
	assert_int_equal(strcasecmp(res.disk_guid, DISK_GUID), 0);
	assert_int_equal(res.first_usable_lba, 34);
	assert_int_equal(res.last_usable_lba, nr - 34);

	assert_int_equal(parts[0].index, 1);
	assert_int_equal(parts[0].first_lba, 2048);
	assert_int_equal(parts[0].last_lba, 2048 + 2048 - 1);
	assert_string_equal(parts[0].name, "EFI system");
	assert_int_equal(strcasecmp(parts[0].type_guid, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), 0);
	assert_int_equal(strcasecmp(parts[0].part_guid, ESP_GUID), 0);
	assert_int_equal(parts[0].attrs, 1);

	assert_int_equal(parts[1].index, 2);
	assert_int_equal(parts[1].first_lba, 4096);
	assert_int_equal(parts[1].last_lba, 4096 + 8 * 2048 - 1);
	assert_string_equal(parts[1].name, "root");
	assert_int_equal(strcasecmp(parts[1].type_guid, "0FC63DAF-8483-4772-8E79-3D69D8477DE4"), 0);
	assert_int_equal(strcasecmp(parts[1].part_guid, ROOT_GUID), 0);

	assert_int_equal(parts[2].index, 4);
	assert_int_equal(parts[2].first_lba, 4096 + 8 * 2048);
	assert_true(parts[2].last_lba <= nr - 34 && parts[2].last_lba > nr - 34 - 2048);
	assert_string_equal(parts[2].name, "data");
	assert_int_equal(strcasecmp(parts[2].type_guid, "E6D6D379-F507-44C2-A23C-238F2A3DF928"), 0);
	assert_int_equal(strcasecmp(parts[2].part_guid, DATA_GUID), 0);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &bs512), cmocka_unit_test_prestate(t, &bs4096)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_valid),
		BOTH(test_primary_header_crc_bad),
		BOTH(test_primary_array_crc_bad),
		BOTH(test_backup_bad_primary_used),
		BOTH(test_both_bad),
		BOTH(test_header_size_out_of_range),
		BOTH(test_bad_signature_and_revision),
		BOTH(test_entry_size_not_multiple_of_128),
		BOTH(test_entry_size_256),
		BOTH(test_partition_count_huge),
		BOTH(test_partition_beyond_last_usable_skipped),
		BOTH(test_first_after_last_skipped),
		BOTH(test_alternate_lba_bogus),
		BOTH(test_backup_at_alternate_lba),
		BOTH(test_no_protective_mbr),
		BOTH(test_disk_smaller_than_gpt),
		BOTH(test_usable_range_bad),
		BOTH(test_array_misplaced),
		BOTH(test_names_and_max_parts),
		cmocka_unit_test(test_bad_block_size),
		cmocka_unit_test(test_sgdisk_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
