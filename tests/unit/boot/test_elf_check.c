/* elf_check: a well-formed kernel image passes; each kind of damage is
 * rejected with its own message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/elf64.h"
#include "boot/elf_check.h"

#define BASE 0xffffffff80000000ull
#define MAX  (BASE + (64ull << 20))

static uint8_t img[3 * 4096];

struct image {
	struct elf64_ehdr eh;
	struct elf64_phdr ph[2];
};

/* text at BASE (file offset 0x1000, 0x1000 bytes), data+bss at BASE+0x2000 */
static struct image *make(void)
{
	memset(img, 0, sizeof(img));
	struct image *m = (struct image *)img;
	memcpy(m->eh.e_ident, "\x7f" "ELF", 4);
	m->eh.e_ident[4] = ELFCLASS64;
	m->eh.e_ident[5] = ELFDATA2LSB;
	m->eh.e_ident[6] = EV_CURRENT;
	m->eh.e_version = EV_CURRENT;
	m->eh.e_type = ET_EXEC;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_entry = BASE + 0x10;
	m->eh.e_phoff = offsetof(struct image, ph);
	m->eh.e_phentsize = sizeof(struct elf64_phdr);
	m->eh.e_phnum = 2;
	m->ph[0] = (struct elf64_phdr){ PT_LOAD, PF_R | PF_X, 0x1000, BASE, BASE, 0x1000, 0x1000, 0x1000 };
	m->ph[1] = (struct elf64_phdr){ PT_LOAD, PF_R | PF_W, 0x2000, BASE + 0x2000, BASE + 0x2000, 0x800, 0x3000, 0x1000 };
	return m;
}

static const char *check(uint64_t len, struct elf_plan *p)
{
	return elf_check(img, len, BASE, MAX, p);
}

static void test_valid(void **state)
{
	(void)state;
	make();
	struct elf_plan p;
	assert_null(check(sizeof(img), &p));
	assert_int_equal(p.nr_segments, 2);
	assert_int_equal(p.entry, BASE + 0x10);
	assert_int_equal(p.virt_lo, BASE);
	assert_int_equal(p.virt_hi, BASE + 0x5000);
	assert_int_equal(p.segments[1].memsz, 0x3000);
}

static void expect(const char *want, uint64_t len)
{
	struct elf_plan p;
	const char *got = check(len, &p);
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void test_bad_header(void **state)
{
	(void)state;
	make()->eh.e_ident[1] = 'X';
	expect("not an ELF file (bad magic)", sizeof(img));
	make()->eh.e_ident[4] = 1;
	expect("not a 64-bit ELF file", sizeof(img));
	make()->eh.e_machine = 3;
	expect("not an x86-64 executable", sizeof(img));
	make()->eh.e_type = 3;
	expect("not an executable (ET_EXEC)", sizeof(img));
	make();
	expect("file shorter than an ELF header", 10);
}

static void test_program_headers_outside_file(void **state)
{
	(void)state;
	make()->eh.e_phoff = sizeof(img) - 8;
	expect("program headers outside the file", sizeof(img));
	make()->eh.e_phoff = UINT64_MAX - 7; /* overflow bait */
	expect("program headers outside the file", sizeof(img));
	make()->eh.e_phnum = 0;
	expect("program header count out of range", sizeof(img));
}

static void test_segment_outside_file(void **state)
{
	(void)state;
	make()->ph[1].p_filesz = 0x2000;
	expect("segment data outside the file", sizeof(img));
	make()->ph[1].p_offset = UINT64_MAX - 0x100;
	expect("segment data outside the file", sizeof(img));
	make()->ph[0].p_filesz = 0x2000;
	expect("segment file size exceeds its memory size", sizeof(img));
}

static void test_segment_outside_memory(void **state)
{
	(void)state;
	struct image *m = make();
	m->ph[0].p_vaddr = 0x100000; /* low half: not for this kernel */
	expect("segment outside the allowed kernel address range", sizeof(img));
	m = make();
	m->ph[1].p_memsz = UINT64_MAX - 0x1000; /* wraps */
	expect("segment outside the allowed kernel address range", sizeof(img));
	m = make();
	m->ph[1].p_vaddr = MAX - 0x1000;
	m->ph[1].p_memsz = 0x2000;
	expect("segment outside the allowed kernel address range", sizeof(img));
}

static void test_overlap_and_entry(void **state)
{
	(void)state;
	make();
	struct image *m = (struct image *)img;
	m->ph[1].p_vaddr = BASE; /* congruent with offset 0x2000, overlaps text */
	expect("segments overlap", sizeof(img));
	make()->eh.e_entry = BASE + 0x2000; /* in data, not executable */
	expect("entry point not inside an executable segment", sizeof(img));
	make()->ph[0].p_vaddr = BASE + 0x10; /* offset 0x1000 vs address ...010 */
	expect("segment address and file offset not congruent modulo the page size", sizeof(img));
}

static void test_no_load_segments(void **state)
{
	(void)state;
	struct image *m = make();
	m->ph[0].p_type = 4;
	m->ph[1].p_type = 4;
	expect("no loadable segments", sizeof(img));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_program_headers_outside_file),
		cmocka_unit_test(test_segment_outside_file),
		cmocka_unit_test(test_segment_outside_memory),
		cmocka_unit_test(test_overlap_and_entry),
		cmocka_unit_test(test_no_load_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
