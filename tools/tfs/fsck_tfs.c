/*
 * fsck.tfs [-n] [-v] IMAGE[@pN]: check and repair a tfs. Exit status as
 * e2fsck: 0 clean, 1 errors fixed, 4 errors left, 8 could not check.
 */
#include <stdio.h>
#include <string.h>

#include "fs/tfs.h"
#include "tools/tfs/host_bdev.h"

static void report(void *arg, const char *line)
{
	printf("%s: %s\n", (const char *)arg, line);
}

int main(int argc, char **argv)
{
	bool check_only = false;
	const char *image = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n"))
			check_only = true;
		else if (argv[i][0] == '-' || image) {
			fprintf(stderr, "usage: fsck.tfs [-n] IMAGE[@pN]\n");
			return 8;
		} else
			image = argv[i];
	}
	if (!image) {
		fprintf(stderr, "usage: fsck.tfs [-n] IMAGE[@pN]\n");
		return 8;
	}
	struct tfs_bdev bdev;
	char msg[200];
	if (host_bdev_open(&bdev, image, !check_only, 0, msg, sizeof(msg))) {
		fprintf(stderr, "fsck.tfs: %s\n", msg);
		return 8;
	}
	int r = tfs_fsck(&bdev, check_only ? 0 : TFS_FSCK_REPAIR, report, (void *)image);
	static const char *const what[] = { [0] = "clean", [1] = "errors fixed",
					    [4] = "errors left", [8] = "check failed" };
	printf("%s: %s\n", image, what[r]);
	host_bdev_close(&bdev);
	return r;
}
