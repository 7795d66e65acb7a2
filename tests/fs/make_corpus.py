#!/usr/bin/env python3
"""Writes the seed corpus for the tfs fuzzer (tests/fs/corpus/), in the
input format of fuzz_one.h. The layout below is mkfs's for the 128-block
image: superblock 0, inode bitmap 1, block bitmap 2, inode table 3-6,
journal 7-22, data from 23, backup superblock 127."""
import os, struct

RESEAL, RO = 1, 2
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus")

def patch(block, off, data):
    return struct.pack("<HHB", block, off, len(data)) + data

def inode_off(ino, field):
    return (ino % 16) * 256 + field

seeds = {
    "plain": bytes([0]),
    "read_only": bytes([RO]),
    "sb_magic": bytes([0]) + patch(0, 0, b"XXXX"),
    "sb_nr_blocks_resealed": bytes([RESEAL]) + patch(0, 16, struct.pack("<Q", 1 << 40)),
    "sb_journal_resealed": bytes([RESEAL]) + patch(0, 72, struct.pack("<I", 600)),
    "both_sb": bytes([0]) + patch(0, 4, b"\1") + patch(127, 4, b"\1"),
    "root_type_resealed": bytes([RESEAL]) + patch(3, inode_off(1, 12), struct.pack("<H", 1)),
    "inode_size_resealed": bytes([RESEAL]) + patch(3, inode_off(3, 16), struct.pack("<Q", 1 << 62)),
    "extent_wild_resealed": bytes([RESEAL]) + patch(3, inode_off(4, 88 + 8), struct.pack("<Q", 0)),
    "extent_count_resealed": bytes([RESEAL]) + patch(3, inode_off(5, 36), struct.pack("<I", 100000)),
    "chain_self_resealed": bytes([RESEAL]) + patch(3, inode_off(6, 40), struct.pack("<Q", 3)),
    "bitmap_zero_resealed": bytes([RESEAL]) + patch(2, 32, bytes(64)),
    "inode_bitmap_full_resealed": bytes([RESEAL]) + patch(1, 32, b"\xff" * 16),
    "journal_target_resealed": bytes([RESEAL]) + patch(7, 24, struct.pack("<Q", 0)),
    "journal_count_resealed": bytes([RESEAL]) + patch(7, 16, struct.pack("<I", 400)),
    "journal_torn": bytes([0]) + patch(8, 0, bytes(200)),
    "dirent_slash_resealed": bytes([RESEAL]) + patch(23, 32 + 8, b"/"),
    "dirent_ino_resealed": bytes([RESEAL]) + patch(23, 32, struct.pack("<I", 1)),
    "dirent_namelen_resealed": bytes([RESEAL]) + patch(23, 32 + 5, b"\0"),
    "random_junk": bytes([RESEAL]) + patch(24, 0, bytes(range(255))) + patch(3, 300, bytes(range(100, 200))),
}
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {out}")
