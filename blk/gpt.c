/*
 * GPT parsing (UEFI 2.10 §5.3). Contract in gpt.h.
 *
 * The order of work: the MBR at LBA 0 is only looked at and reported (a
 * missing or hybrid protective MBR does not stop us using a valid GPT). The
 * primary header at LBA 1 and its entry array are checked (§5.3.2: signature,
 * header CRC, MyLBA, usable range, array location, array CRC); if they pass,
 * its partitions are taken. The backup header is then checked too, to report
 * it, and used if the primary failed. The backup is looked for at the
 * primary's AlternateLBA when the primary header itself is intact (signature
 * and CRC good, so the field means something) and the LBA is on the disk,
 * then at the last LBA. A header's MyLBA must be the LBA it was read from.
 *
 * Every check that fails prints one "gpt: ..." line saying what and the values
 * involved, and returns a short static reason kept in struct gpt_result.
 */
#include <stdlib.h>
#include <string.h>

#include "blk/gpt.h"
#include "kernel/console.h"
#include "lib/crc.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "on-disk fields are read in place");

#define MIN_BLOCK_SIZE 512   /* the MBR must fit in LBA 0 */
#define MAX_BLOCK_SIZE 65536 /* beyond any logical block size NVMe namespaces report */
#define MIN_DISK_BLOCKS 3    /* MBR, primary header, backup header at the very least */

typedef unsigned long long ull; /* for kprintf's %llu */

struct gpt_disk {
	gpt_read_fn *read;
	void *ctx;
	uint32_t bs;
	uint64_t nr_blocks;
	uint8_t *blk; /* one block: LBA 0 or a header */
};

static int gpt_read_blocks(struct gpt_disk *d, uint64_t lba, uint32_t count, void *buf)
{
	if (lba >= d->nr_blocks || count > d->nr_blocks - lba)
		return -1;
	return d->read(d->ctx, lba, count, buf);
}

/* ---- formatting ---- */

static char *put_hex(char *o, uint64_t v, unsigned digits)
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = digits; i-- > 0; v >>= 4)
		o[i] = hex[v & 0xf];
	return o + digits;
}

void gpt_guid_str(const uint8_t g[16], char out[GPT_GUID_STR_LEN])
{
	/* UEFI Appendix A: Data1..Data3 little-endian, Data4 (bytes 8..15) in byte order */
	uint32_t d1 = (uint32_t)g[0] | (uint32_t)g[1] << 8 | (uint32_t)g[2] << 16 | (uint32_t)g[3] << 24;
	char *o = put_hex(out, d1, 8);
	*o++ = '-';
	o = put_hex(o, (uint32_t)g[4] | (uint32_t)g[5] << 8, 4);
	*o++ = '-';
	o = put_hex(o, (uint32_t)g[6] | (uint32_t)g[7] << 8, 4);
	*o++ = '-';
	for (int i = 8; i < 16; i++) {
		if (i == 10)
			*o++ = '-';
		o = put_hex(o, g[i], 2);
	}
	*o = 0;
}

static char *put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* UTF-16 (Unicode §3.9): a high surrogate then a low one carry 20 bits above U+FFFF */
#define UTF16_HIGH_SURR 0xd800u
#define UTF16_LOW_SURR  0xdc00u
#define UTF16_SURR_MASK 0xfc00u /* the 6 bits that tell high, low or neither */
#define UNICODE_REPLACEMENT 0xfffdu

/* PartitionName (UTF-16LE, up to 36 units, NUL-terminated if shorter) to UTF-8. */
static void gpt_name_str(const uint16_t *u, char out[GPT_NAME_STR_LEN])
{
	char *o = out;
	for (unsigned i = 0; i < GPT_NAME_UNITS && u[i]; i++) {
		uint32_t cp = u[i];
		bool high = (cp & UTF16_SURR_MASK) == UTF16_HIGH_SURR;
		if (high && i + 1 < GPT_NAME_UNITS && (u[i + 1] & UTF16_SURR_MASK) == UTF16_LOW_SURR)
			cp = 0x10000 + ((cp - UTF16_HIGH_SURR) << 10) + (u[++i] - UTF16_LOW_SURR);
		else if ((cp & 0xf800) == UTF16_HIGH_SURR) /* 0xd800..0xdfff: unpaired */
			cp = UNICODE_REPLACEMENT;
		o = put_utf8(o, cp);
	}
	*o = 0;
}

/* ---- the protective MBR (§5.2.3) ---- */

static enum gpt_mbr gpt_check_mbr(struct gpt_disk *d)
{
	struct legacy_mbr m;
	if (gpt_read_blocks(d, 0, 1, d->blk)) {
		kprintf("gpt: cannot read LBA 0 (MBR)\n");
		return GPT_MBR_NONE;
	}
	memcpy(&m, d->blk, sizeof(m));
	if (m.signature != MBR_SIGNATURE) {
		kprintf("gpt: no MBR signature at LBA 0 (%#06x); looking for a GPT anyway\n", m.signature);
		return GPT_MBR_NONE;
	}
	int pmbr = -1, others = 0;
	for (int i = 0; i < MBR_NR_RECORDS; i++) {
		if (m.partition_record[i].os_type == MBR_TYPE_GPT_PROTECTIVE && pmbr < 0)
			pmbr = i;
		else if (m.partition_record[i].os_type != 0)
			others++;
	}
	if (pmbr < 0) {
		kprintf("gpt: MBR has no protective (0xee) record; looking for a GPT anyway\n");
		return GPT_MBR_NONE;
	}
	if (m.partition_record[pmbr].starting_lba != GPT_HEADER_LBA)
		kprintf("gpt: protective MBR record starts at LBA %u, not 1\n",
			(unsigned)m.partition_record[pmbr].starting_lba);
	if (others) {
		kprintf("gpt: hybrid MBR (%d other record%s beside the 0xee one); the GPT rules\n", others,
			others > 1 ? "s" : "");
		return GPT_MBR_HYBRID;
	}
	return GPT_MBR_PROTECTIVE;
}

/* ---- headers (§5.3.2) ---- */

static uint64_t gpt_array_bytes(const struct gpt_header *h)
{
	return (uint64_t)h->number_of_partition_entries * h->size_of_partition_entry;
}

static uint64_t gpt_array_blocks(const struct gpt_disk *d, const struct gpt_header *h)
{
	return (gpt_array_bytes(h) + d->bs - 1) / d->bs;
}

/* Signature, revision, size and CRC: whether the block is a header at all. */
static const char *gpt_check_intact(struct gpt_disk *d, const char *which, uint64_t lba,
				    struct gpt_header *h)
{
	memcpy(h, d->blk, sizeof(*h));
	if (memcmp(h->signature, GPT_SIGNATURE, sizeof(h->signature))) {
		kprintf("gpt: %s header (LBA %llu): no \"EFI PART\" signature\n", which, (ull)lba);
		return "no signature";
	}
	if (h->revision >> 16 != GPT_REVISION_1_0 >> 16) {
		kprintf("gpt: %s header (LBA %llu): revision %#x is not 1.x\n", which, (ull)lba,
			h->revision);
		return "unsupported revision";
	}
	if (h->header_size < GPT_HEADER_SIZE_MIN || h->header_size > d->bs) {
		kprintf("gpt: %s header (LBA %llu): HeaderSize %u not in %u..%u\n", which, (ull)lba,
			h->header_size, GPT_HEADER_SIZE_MIN, d->bs);
		return "header size out of range";
	}
	/* the CRC is computed with its own field zero (§5.3.2) */
	memset(d->blk + offsetof(struct gpt_header, header_crc32), 0, sizeof(h->header_crc32));
	uint32_t crc = crc32(0, d->blk, h->header_size);
	if (crc != h->header_crc32) {
		kprintf("gpt: %s header (LBA %llu): HeaderCRC32 %#010x, computed %#010x\n", which,
			(ull)lba, h->header_crc32, crc);
		return "bad header CRC32";
	}
	return NULL;
}

/* MyLBA, the usable range and the entry array's place and size. */
static const char *gpt_check_layout(struct gpt_disk *d, const char *which, uint64_t lba,
				    const struct gpt_header *h)
{
	uint64_t fu = h->first_usable_lba, lu = h->last_usable_lba;
	if (h->my_lba != lba) {
		kprintf("gpt: %s header (LBA %llu): MyLBA is %llu\n", which, (ull)lba, (ull)h->my_lba);
		return "MyLBA is not where the header is";
	}
	/* both header positions and LBA 0 stay outside the usable range */
	if (fu > lu || fu <= GPT_HEADER_LBA || lu >= d->nr_blocks - 1 || (lba >= fu && lba <= lu)) {
		kprintf("gpt: %s header (LBA %llu): usable LBAs %llu..%llu do not fit a disk of %llu blocks\n",
			which, (ull)lba, (ull)fu, (ull)lu, (ull)d->nr_blocks);
		return "usable LBA range bad";
	}
	uint32_t esz = h->size_of_partition_entry;
	if (esz < GPT_ENTRY_SIZE_MIN || esz % GPT_ENTRY_SIZE_MIN) {
		kprintf("gpt: %s header (LBA %llu): SizeOfPartitionEntry %u is not a multiple of %u\n",
			which, (ull)lba, esz, GPT_ENTRY_SIZE_MIN);
		return "bad partition entry size";
	}
	if (gpt_array_bytes(h) > GPT_MAX_ARRAY_BYTES) {
		kprintf("gpt: %s header (LBA %llu): %u entries of %u bytes exceed %u bytes\n", which,
			(ull)lba, h->number_of_partition_entries, esz, GPT_MAX_ARRAY_BYTES);
		return "partition entry array too large";
	}
	uint64_t a = h->partition_entry_lba, n = gpt_array_blocks(d, h);
	if (n && (a <= GPT_HEADER_LBA || a >= d->nr_blocks || n > d->nr_blocks - a ||
		  (lba >= a && lba < a + n) || (a + n > fu && a <= lu))) {
		kprintf("gpt: %s header (LBA %llu): entry array at LBA %llu, %llu blocks, overlaps the "
			"headers or the usable LBAs %llu..%llu or leaves the disk\n",
			which, (ull)lba, (ull)a, (ull)n, (ull)fu, (ull)lu);
		return "partition entry array misplaced";
	}
	return NULL;
}

/*
 * Reads and checks the header at lba and its entry array. On success *h is
 * the header and *array a malloc'd copy of the entries (the caller frees it).
 * *intact says whether signature and CRC were good, even if later checks failed.
 */
static const char *gpt_check_header(struct gpt_disk *d, const char *which, uint64_t lba,
				    struct gpt_header *h, uint8_t **array, bool *intact)
{
	*array = NULL;
	*intact = false;
	if (gpt_read_blocks(d, lba, 1, d->blk)) {
		kprintf("gpt: %s header: cannot read LBA %llu\n", which, (ull)lba);
		return "read error";
	}
	const char *why = gpt_check_intact(d, which, lba, h);
	if (why)
		return why;
	*intact = true;
	why = gpt_check_layout(d, which, lba, h);
	if (why)
		return why;

	uint64_t blocks = gpt_array_blocks(d, h);
	uint8_t *a = malloc(blocks ? blocks * d->bs : 1);
	if (!a) {
		kprintf("gpt: no memory for a %llu-block entry array\n", (ull)blocks);
		return "out of memory";
	}
	if (blocks && gpt_read_blocks(d, h->partition_entry_lba, (uint32_t)blocks, a)) {
		kprintf("gpt: %s header (LBA %llu): cannot read the entry array at LBA %llu\n", which,
			(ull)lba, (ull)h->partition_entry_lba);
		free(a);
		return "read error in the entry array";
	}
	uint32_t crc = crc32(0, a, gpt_array_bytes(h));
	if (crc != h->partition_entry_array_crc32) {
		kprintf("gpt: %s header (LBA %llu): PartitionEntryArrayCRC32 %#010x, computed %#010x\n",
			which, (ull)lba, h->partition_entry_array_crc32, crc);
		free(a);
		return "bad partition entry array CRC32";
	}
	*array = a;
	return NULL;
}

/* ---- entries (§5.3.3) ---- */

static bool guid_is_zero(const uint8_t g[16])
{
	for (int i = 0; i < 16; i++)
		if (g[i])
			return false;
	return true;
}

static void gpt_collect(const struct gpt_header *h, const uint8_t *array, struct gpt_part *parts,
			unsigned max_parts, struct gpt_result *res)
{
	uint64_t fu = h->first_usable_lba, lu = h->last_usable_lba;
	for (uint32_t i = 0; i < h->number_of_partition_entries; i++) {
		struct gpt_entry e;
		memcpy(&e, array + (size_t)i * h->size_of_partition_entry, sizeof(e));
		if (guid_is_zero(e.partition_type_guid))
			continue;
		if (e.starting_lba > e.ending_lba || e.starting_lba < fu || e.ending_lba > lu) {
			kprintf("gpt: partition %u: LBAs %llu..%llu %s usable %llu..%llu; skipped\n", i + 1,
				(ull)e.starting_lba, (ull)e.ending_lba,
				e.starting_lba > e.ending_lba ? "reversed, in" : "outside", (ull)fu, (ull)lu);
			res->nr_bad++;
			continue;
		}
		if (res->nr_parts == max_parts) {
			res->nr_dropped++;
			continue;
		}
		struct gpt_part *p = &parts[res->nr_parts++];
		p->index = i + 1;
		p->first_lba = e.starting_lba;
		p->last_lba = e.ending_lba;
		p->attrs = e.attributes;
		gpt_name_str(e.partition_name, p->name);
		gpt_guid_str(e.partition_type_guid, p->type_guid);
		gpt_guid_str(e.unique_partition_guid, p->part_guid);
	}
	if (res->nr_dropped)
		kprintf("gpt: %u more partitions than the %u asked for; left out\n", res->nr_dropped,
			max_parts);
}

/* Differences between two valid headers are reported, not fatal (Linux warns the same way). */
static void gpt_compare(const struct gpt_header *p, const struct gpt_header *b)
{
	const char *what = NULL;
	if (memcmp(p->disk_guid, b->disk_guid, sizeof(p->disk_guid)))
		what = "DiskGUID";
	else if (p->first_usable_lba != b->first_usable_lba || p->last_usable_lba != b->last_usable_lba)
		what = "usable LBAs";
	else if (p->number_of_partition_entries != b->number_of_partition_entries ||
		 p->size_of_partition_entry != b->size_of_partition_entry)
		what = "entry count or size";
	else if (p->partition_entry_array_crc32 != b->partition_entry_array_crc32)
		what = "entry array contents";
	else if (p->alternate_lba != b->my_lba || b->alternate_lba != p->my_lba)
		what = "AlternateLBA";
	if (what)
		kprintf("gpt: primary and backup headers differ in %s; using the primary\n", what);
}

/* ---- putting it together ---- */

static bool gpt_args_ok(uint32_t bs, uint64_t nr_blocks, struct gpt_result *res)
{
	if (bs < MIN_BLOCK_SIZE || bs > MAX_BLOCK_SIZE || (bs & (bs - 1))) {
		kprintf("gpt: block size %u not supported\n", bs);
		res->primary_why = res->backup_why = "bad block size";
		return false;
	}
	if (nr_blocks < MIN_DISK_BLOCKS) {
		kprintf("gpt: %llu blocks are too few for a GPT\n", (ull)nr_blocks);
		res->primary_why = res->backup_why = "disk too small";
		return false;
	}
	return true;
}

/* Where to look for the backup: AlternateLBA if the primary is intact and it is on the disk. */
static unsigned gpt_backup_lbas(const struct gpt_disk *d, const struct gpt_header *ph,
				bool primary_intact, uint64_t lbas[2])
{
	uint64_t last = d->nr_blocks - 1, alt = ph->alternate_lba;
	unsigned n = 0;
	if (primary_intact && alt != last) {
		if (alt > GPT_HEADER_LBA && alt < d->nr_blocks) {
			kprintf("gpt: AlternateLBA %llu is not the last LBA %llu (disk grown?)\n", (ull)alt,
				(ull)last);
			lbas[n++] = alt;
		} else {
			kprintf("gpt: AlternateLBA %llu is not on the disk; trying the last LBA %llu\n",
				(ull)alt, (ull)last);
		}
	}
	lbas[n++] = last;
	return n;
}

static void gpt_take(const struct gpt_header *h, const uint8_t *array, struct gpt_part *parts,
		     unsigned max_parts, struct gpt_result *res)
{
	res->valid = true;
	res->first_usable_lba = h->first_usable_lba;
	res->last_usable_lba = h->last_usable_lba;
	gpt_guid_str(h->disk_guid, res->disk_guid);
	gpt_collect(h, array, parts, max_parts, res);
}

int gpt_parse(gpt_read_fn *read, void *ctx, uint32_t block_size, uint64_t nr_blocks,
	      struct gpt_part *parts, unsigned max_parts, struct gpt_result *res)
{
	memset(res, 0, sizeof(*res));
	res->primary_bad = res->backup_bad = true; /* until shown otherwise */
	if (!gpt_args_ok(block_size, nr_blocks, res))
		return -1;
	struct gpt_disk d = { read, ctx, block_size, nr_blocks, malloc(block_size) };
	if (!d.blk) {
		res->primary_why = res->backup_why = "out of memory";
		return -1;
	}
	res->mbr = gpt_check_mbr(&d);

	struct gpt_header ph = { 0 }, bh;
	uint8_t *array;
	bool intact, dummy;
	res->primary_why = gpt_check_header(&d, "primary", GPT_HEADER_LBA, &ph, &array, &intact);
	if (!res->primary_why) {
		res->primary_bad = false;
		gpt_take(&ph, array, parts, max_parts, res);
		free(array);
	}

	uint64_t lbas[2];
	unsigned n = gpt_backup_lbas(&d, &ph, intact, lbas);
	for (unsigned i = 0; i < n && res->backup_bad; i++) {
		res->backup_why = gpt_check_header(&d, "backup", lbas[i], &bh, &array, &dummy);
		if (res->backup_why)
			continue;
		res->backup_bad = false;
		if (res->valid) {
			gpt_compare(&ph, &bh);
		} else {
			kprintf("gpt: primary GPT is bad (%s); using the backup at LBA %llu\n",
				res->primary_why, (ull)lbas[i]);
			res->used_backup = true;
			gpt_take(&bh, array, parts, max_parts, res);
		}
		free(array);
	}
	free(d.blk);

	if (!res->valid) {
		kprintf("gpt: no valid GPT (primary: %s; backup: %s)\n", res->primary_why, res->backup_why);
		return -1;
	}
	if (res->backup_bad)
		kprintf("gpt: backup GPT is bad (%s); using the primary\n", res->backup_why);
	kprintf("gpt: %u partition%s from the %s header, disk %s\n", res->nr_parts,
		res->nr_parts == 1 ? "" : "s", res->used_backup ? "backup" : "primary", res->disk_guid);
	return (int)res->nr_parts;
}
