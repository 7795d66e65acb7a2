/* File data: unaligned writes, holes, truncation, large writes as large
 * I/Os, and a random write/truncate sequence checked against a model. */
#include "tests/unit/fs/tfs_test.h"

static struct ram_bdev r;
static struct tfs *fs;

static int setup(void **state)
{
	(void)state;
	t_mkfs(&r, 4096);
	fs = t_mount(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(tfs_unmount(fs), 0);
	assert_int_equal(t_fsck(&r, 0), TFS_FSCK_CLEAN);
	ram_bdev_free(&r);
	return 0;
}

/* Apply pwrite/truncate to both the file and a model, compare at the end. */
struct model {
	uint8_t *data;
	size_t len;
};

static void m_write(struct tfs_file *f, struct model *m, const uint8_t *buf, size_t len, size_t off)
{
	assert_int_equal(tfs_pwrite(f, buf, len, off), (int64_t)len);
	if (off + len > m->len) {
		m->data = realloc(m->data, off + len);
		memset(m->data + m->len, 0, off + len - m->len);
		m->len = off + len;
	}
	memcpy(m->data + off, buf, len);
}

static void m_truncate(struct tfs_file *f, struct model *m, size_t size)
{
	assert_int_equal(tfs_ftruncate(f, size), 0);
	if (size > m->len) {
		m->data = realloc(m->data, size);
		memset(m->data + m->len, 0, size - m->len);
	}
	m->len = size;
}

static void m_compare(struct tfs_file *f, const struct model *m)
{
	uint8_t *buf = malloc(m->len + 100);
	assert_int_equal(tfs_pread(f, buf, m->len + 100, 0), (int64_t)m->len);
	assert_memory_equal(buf, m->data, m->len);
	free(buf);
}

static void test_unaligned_and_holes(void **state)
{
	(void)state;
	struct tfs_file *f;
	struct model m = { 0 };
	uint8_t buf[12000];
	assert_int_equal(tfs_open(fs, "/f", TFS_O_RDWR | TFS_O_CREAT, &f), 0);
	t_fill(buf, sizeof(buf), 7);
	m_write(f, &m, buf, 5872, 0);
	m_write(f, &m, buf + 100, 6419, 540);
	m_write(f, &m, buf + 200, 2639, 0);
	m_write(f, &m, buf + 300, 3418, 1657);
	m_write(f, &m, buf + 400, 1076, 8463);
	m_compare(f, &m);
	m_write(f, &m, buf, 10, 40000); /* a hole of several blocks */
	m_compare(f, &m);
	m_truncate(f, &m, 9000);
	m_truncate(f, &m, 30000); /* the bytes past 9000 must come back as zeros */
	m_compare(f, &m);
	tfs_close(f);
	free(m.data);
}

static void test_random_sequence(void **state)
{
	(void)state;
	struct tfs_file *f;
	struct model m = { 0 };
	uint8_t *buf = malloc(70000);
	assert_int_equal(tfs_open(fs, "/rand", TFS_O_RDWR | TFS_O_CREAT, &f), 0);
	uint32_t seed = 99;
	for (int i = 0; i < 300; i++) {
		seed = seed * 1664525u + 1013904223u;
		size_t off = (seed >> 8) % 100000, len = 1 + (seed >> 3) % 70000;
		t_fill(buf, len, seed);
		if (i % 7 == 6)
			m_truncate(f, &m, off);
		else
			m_write(f, &m, buf, len, off);
		if (i % 50 == 0)
			m_compare(f, &m);
	}
	m_compare(f, &m);
	tfs_close(f);
	free(buf);
	free(m.data);
}

static void test_large_write_is_large_io(void **state)
{
	(void)state;
	size_t len = 1 << 20;
	uint8_t *buf = malloc(len);
	t_fill(buf, len, 3);
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/big", TFS_O_RDWR | TFS_O_CREAT, &f), 0);
	uint64_t w0 = r.writes;
	r.max_write_blocks = 0;
	assert_int_equal(tfs_write(f, buf, len), (int64_t)len);
	/* one data write of 256 blocks (the device's limit), nothing block by block */
	assert_int_equal(r.max_write_blocks, 256);
	assert_true(r.writes - w0 <= 2);
	assert_int_equal(tfs_fsync(f), 0);
	uint64_t r0 = r.reads;
	uint8_t *back = malloc(len);
	assert_int_equal(tfs_pread(f, back, len, 0), (int64_t)len);
	assert_true(r.reads - r0 <= 2);
	assert_memory_equal(back, buf, len);
	tfs_close(f);
	free(buf);
	free(back);
}

static void test_async_device(void **state)
{
	(void)state;
	r.async = true; /* completions only from wait(): the core must wait for them */
	uint8_t buf[50000];
	t_fill(buf, sizeof(buf), 11);
	t_put(fs, "/async", buf, sizeof(buf));
	struct tfs_file *f;
	assert_int_equal(tfs_open(fs, "/async", TFS_O_RDWR, &f), 0);
	assert_int_equal(tfs_fsync(f), 0);
	tfs_close(f);
	t_check(fs, "/async", buf, sizeof(buf));
	r.async = false;
}

static void test_discard_after_commit(void **state)
{
	(void)state;
	uint8_t buf[40000];
	t_fill(buf, sizeof(buf), 5);
	t_put(fs, "/gone", buf, sizeof(buf));
	assert_int_equal(tfs_sync(fs), 0);
	uint64_t d0 = r.discards;
	assert_int_equal(tfs_unlink(fs, "/gone"), 0);
	assert_int_equal(r.discards, d0); /* not before the commit */
	assert_int_equal(tfs_sync(fs), 0);
	assert_true(r.discards > d0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unaligned_and_holes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_write_is_large_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_after_commit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
