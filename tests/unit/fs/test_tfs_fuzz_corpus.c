/* The fuzz target without libFuzzer: every input of the committed corpus
 * (tests/fs/corpus/, crashes found by `make fuzz` go there too), then a
 * bounded set of deterministic random patches, through tfs_fuzz_one(). Any
 * crash, sanitizer report or abort() there fails this test. */
#include <dirent.h>
#include <time.h>

#include "tests/fs/fuzz_one.h"
#include "tests/unit/fs/tfs_test.h"

#define CORPUS "tests/fs/corpus"

static void test_corpus(void **state)
{
	(void)state;
	DIR *d = opendir(CORPUS);
	assert_non_null(d);
	struct dirent *e;
	unsigned n = 0;
	static uint8_t buf[1 << 16];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof(path), CORPUS "/%s", e->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		size_t len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		tfs_fuzz_one(buf, len);
		n++;
	}
	closedir(d);
	printf("# fuzz corpus: %u inputs\n", n);
	assert_true(n >= 10);
}

/* Random patches: a few small ones, resealed half of the time. */
static void test_random_patches(void **state)
{
	(void)state;
	uint32_t seed = 12345, runs = getenv("TFS_FUZZ_RUNS") ? (uint32_t)atoi(getenv("TFS_FUZZ_RUNS")) : 400;
	uint8_t in[256];
	clock_t t0 = clock();
	for (uint32_t i = 0; i < runs; i++) {
		size_t len = 1;
		in[0] = (uint8_t)(i & 3);
		unsigned patches = 1 + i % 4;
		for (unsigned p = 0; p < patches; p++) {
			seed = seed * 1664525u + 1013904223u;
			uint8_t plen = (uint8_t)(1 + (seed >> 28));
			in[len++] = (uint8_t)(seed >> 8) % 40; /* block: the metadata and first data */
			in[len++] = 0;
			in[len++] = (uint8_t)(seed >> 16);
			in[len++] = (uint8_t)((seed >> 24) & 0x0f);
			in[len++] = plen;
			for (unsigned k = 0; k < plen; k++) {
				seed = seed * 1664525u + 1013904223u;
				in[len++] = (uint8_t)(seed >> 20);
			}
		}
		tfs_fuzz_one(in, len);
	}
	printf("# fuzz: %u random inputs (%.1f s)\n", runs, (double)(clock() - t0) / CLOCKS_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_random_patches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
