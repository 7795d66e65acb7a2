/*
 * GUID Partition Table (UEFI 2.10 §5.3): the on-disk layout and a parser.
 *
 * Interface: gpt_parse() reads the disk through a callback, checks the
 * protective MBR (LBA 0), the primary header (LBA 1) and its partition entry
 * array, and the backup header (the primary's AlternateLBA when that is
 * usable, else the last LBA) and its array. It uses the primary when it is
 * valid, else the backup, and returns the partitions of the one it used.
 * Everything found wrong is printed with kprintf ("gpt: ...") and summed up in
 * struct gpt_result. The parser is pure: no device, no global state, one
 * malloc'd buffer of at most one block plus GPT_MAX_ARRAY_BYTES, freed before
 * it returns.
 *
 * The on-disk structures below are shared with the tests that build images;
 * all fields are little-endian, as on the x86-64 this runs on.
 */
#ifndef BLK_GPT_H
#define BLK_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- on-disk layout (UEFI 2.10 §5.2.3 protective MBR, §5.3.2 header, §5.3.3 entry) ---- */

#define GPT_HEADER_LBA       1
#define GPT_SIGNATURE        "EFI PART" /* 8 bytes, no NUL on disk */
#define GPT_REVISION_1_0     0x00010000u
#define GPT_HEADER_SIZE_MIN  92 /* sizeof(struct gpt_header); the rest of the block is reserved */
#define GPT_ENTRY_SIZE_MIN   128 /* SizeOfPartitionEntry: 128 * 2^n per the spec */
#define GPT_MAX_ARRAY_BYTES  (1u << 20) /* our bound on entries * entry size (128 x 128 is usual) */
#define GPT_NAME_UNITS       36 /* PartitionName: UTF-16LE code units */

#define MBR_SIGNATURE        0xAA55 /* bytes 0x55 0xAA at offset 510 */
#define MBR_TYPE_GPT_PROTECTIVE 0xEE
#define MBR_NR_RECORDS       4

struct mbr_record {
	uint8_t boot_indicator;
	uint8_t starting_chs[3];
	uint8_t os_type;            /* 0 = unused, 0xEE = GPT protective */
	uint8_t ending_chs[3];
	uint32_t starting_lba;      /* protective: 1 */
	uint32_t size_in_lba;       /* protective: min(disk blocks - 1, 0xFFFFFFFF) */
} __attribute__((packed));

struct legacy_mbr {
	uint8_t boot_code[440];
	uint32_t unique_mbr_disk_signature;
	uint16_t unknown;
	struct mbr_record partition_record[MBR_NR_RECORDS];
	uint16_t signature;         /* MBR_SIGNATURE */
} __attribute__((packed));

struct gpt_header {
	char signature[8];          /* GPT_SIGNATURE */
	uint32_t revision;          /* GPT_REVISION_1_0; we accept any 1.x */
	uint32_t header_size;       /* 92 .. block size; the CRC covers this many bytes */
	uint32_t header_crc32;      /* CRC-32 of header_size bytes with this field zero */
	uint32_t reserved;
	uint64_t my_lba;            /* where this header is: 1, or the last LBA for the backup */
	uint64_t alternate_lba;     /* where the other header is */
	uint64_t first_usable_lba;  /* partitions lie in first_usable_lba..last_usable_lba */
	uint64_t last_usable_lba;
	uint8_t disk_guid[16];
	uint64_t partition_entry_lba;
	uint32_t number_of_partition_entries;
	uint32_t size_of_partition_entry; /* a multiple of 128 */
	uint32_t partition_entry_array_crc32; /* over entries * size bytes */
} __attribute__((packed));

struct gpt_entry {
	uint8_t partition_type_guid[16]; /* all zero: the entry is unused */
	uint8_t unique_partition_guid[16];
	uint64_t starting_lba;
	uint64_t ending_lba;             /* inclusive */
	uint64_t attributes;
	uint16_t partition_name[GPT_NAME_UNITS]; /* UTF-16LE, NUL-terminated if shorter */
};

_Static_assert(sizeof(struct mbr_record) == 16, "MBR partition record size");
_Static_assert(offsetof(struct legacy_mbr, partition_record) == 446, "MBR records offset");
_Static_assert(offsetof(struct legacy_mbr, signature) == 510, "MBR signature offset");
_Static_assert(sizeof(struct legacy_mbr) == 512, "legacy MBR size");
_Static_assert(offsetof(struct gpt_header, header_crc32) == 16, "HeaderCRC32 offset");
_Static_assert(offsetof(struct gpt_header, my_lba) == 24, "MyLBA offset");
_Static_assert(offsetof(struct gpt_header, first_usable_lba) == 40, "FirstUsableLBA offset");
_Static_assert(offsetof(struct gpt_header, disk_guid) == 56, "DiskGUID offset");
_Static_assert(offsetof(struct gpt_header, partition_entry_lba) == 72, "PartitionEntryLBA offset");
_Static_assert(offsetof(struct gpt_header, partition_entry_array_crc32) == 88, "array CRC offset");
_Static_assert(sizeof(struct gpt_header) == GPT_HEADER_SIZE_MIN, "GPT header size");
_Static_assert(offsetof(struct gpt_entry, starting_lba) == 32, "StartingLBA offset");
_Static_assert(offsetof(struct gpt_entry, partition_name) == 56, "PartitionName offset");
_Static_assert(sizeof(struct gpt_entry) == GPT_ENTRY_SIZE_MIN, "GPT entry size");

/* ---- the parser ---- */

#define GPT_GUID_STR_LEN 37 /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL, lower case as Linux */
/* UTF-8 of 36 UTF-16 units: at most 3 bytes per unit (a surrogate pair, 2 units, is 4 bytes) */
#define GPT_NAME_STR_LEN (GPT_NAME_UNITS * 3 + 1)

struct gpt_part {
	unsigned index;             /* 1-based slot in the entry array: Linux's p1, p2, ... */
	uint64_t first_lba, last_lba; /* inclusive, inside first/last usable */
	uint64_t attrs;
	char name[GPT_NAME_STR_LEN];  /* UTF-8; unpaired surrogates become U+FFFD */
	char type_guid[GPT_GUID_STR_LEN];
	char part_guid[GPT_GUID_STR_LEN];
};

enum gpt_mbr {
	GPT_MBR_NONE,        /* no 0x55AA signature, or no 0xEE record: reported, GPT still used */
	GPT_MBR_PROTECTIVE,  /* one 0xEE record and nothing else */
	GPT_MBR_HYBRID,      /* 0xEE plus other records */
};

struct gpt_result {
	bool valid;          /* a header and its array passed every check */
	bool used_backup;    /* the partitions come from the backup header */
	bool primary_bad, backup_bad;
	const char *primary_why, *backup_why; /* what was wrong (static text), NULL if nothing */
	enum gpt_mbr mbr;
	unsigned nr_parts;   /* entries stored in parts[] */
	unsigned nr_bad;     /* used entries skipped: LBAs out of range or reversed */
	unsigned nr_dropped; /* good entries that did not fit in max_parts */
	uint64_t first_usable_lba, last_usable_lba; /* of the header used */
	char disk_guid[GPT_GUID_STR_LEN];
};

typedef int gpt_read_fn(void *ctx, uint64_t lba, uint32_t count, void *buf); /* 0 = success */

/*
 * Parses the GPT of a disk of nr_blocks blocks of block_size bytes (a power
 * of two, 512..65536). read(ctx, lba, count, buf) reads count blocks at lba
 * into buf; it is never asked for a block at or past nr_blocks. Fills
 * parts[0..max_parts) in entry order and *res (always, even on failure).
 * Returns the number of partitions stored, or -1 if there is no valid GPT
 * (or the arguments are bad, or memory ran out; res says which).
 */
int gpt_parse(gpt_read_fn *read, void *ctx, uint32_t block_size, uint64_t nr_blocks,
	      struct gpt_part *parts, unsigned max_parts, struct gpt_result *res);

/* Formats a GUID as stored on disk (first three fields little-endian) into 37 bytes. */
void gpt_guid_str(const uint8_t guid[16], char out[GPT_GUID_STR_LEN]);

#endif
