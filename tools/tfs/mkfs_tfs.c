/*
 * mkfs.tfs IMAGE [--size SIZE] [--inodes N] [--journal BLOCKS] [--label L]
 * Makes a tfs on IMAGE (a file, created or resized when --size is given, or
 * FILE@pN, a GPT partition). SIZE takes K, M, G suffixes (bytes otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/tfs.h"
#include "tools/tfs/host_bdev.h"

static void usage(void)
{
	fprintf(stderr, "usage: mkfs.tfs IMAGE[@pN] [--size SIZE[K|M|G]] [--inodes N] "
			"[--journal BLOCKS] [--label LABEL]\n");
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (*end || v == 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *image = NULL;
	uint64_t size = 0;
	struct tfs_mkfs_opts o = { .time = (uint64_t)time(NULL) };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = parse_size(argv[++i]);
		else if (!strcmp(argv[i], "--inodes") && i + 1 < argc)
			o.inodes = (uint32_t)parse_size(argv[++i]);
		else if (!strcmp(argv[i], "--journal") && i + 1 < argc)
			o.journal_blocks = (uint32_t)parse_size(argv[++i]);
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			o.label = argv[++i];
		else if (argv[i][0] == '-' || image)
			usage();
		else
			image = argv[i];
	}
	if (!image)
		usage();
	struct tfs_bdev bdev;
	char msg[200];
	if (host_bdev_open(&bdev, image, true, size / 4096, msg, sizeof(msg))) {
		fprintf(stderr, "mkfs.tfs: %s\n", msg);
		return 1;
	}
	int err = tfs_mkfs(&bdev, &o, msg, sizeof(msg));
	if (err)
		fprintf(stderr, "mkfs.tfs: %s\n", msg);
	else
		printf("mkfs.tfs: %s: %llu blocks of 4 KiB\n", image,
		       (unsigned long long)bdev.nr_blocks);
	host_bdev_close(&bdev);
	return err ? 1 : 0;
}
