/* boot_info_check accepts what the loader builds and refuses every
 * mismatch between loader and kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/boot_info.h"

static struct boot_info *good(void)
{
	static struct boot_info bi;
	memset(&bi, 0, sizeof(bi));
	bi.magic = BOOT_INFO_MAGIC;
	bi.version = BOOT_INFO_VERSION;
	bi.size = sizeof(bi);
	bi.nr_regions = 1;
	bi.regions[0] = (struct boot_mem_region){ 0x100000, 256, BOOT_MEM_USABLE, 0 };
	strcpy(bi.cmdline, "autorun=\"mem\"");
	return &bi;
}

static void test_accepts_loader_output(void **state)
{
	(void)state;
	assert_null(boot_info_check(good()));
}

static void test_rejections(void **state)
{
	(void)state;
	struct boot_info *bi = good();
	bi->magic ^= 1;
	assert_string_equal(boot_info_check(bi), "bad magic");
	bi = good();
	bi->version = BOOT_INFO_VERSION + 1;
	assert_string_equal(boot_info_check(bi), "unsupported version");
	bi = good();
	bi->size -= 8;
	assert_non_null(strstr(boot_info_check(bi), "size mismatch"));
	bi = good();
	bi->nr_regions = 0;
	assert_non_null(strstr(boot_info_check(bi), "region count"));
	bi = good();
	bi->nr_regions = BOOT_MAX_REGIONS + 1;
	assert_non_null(strstr(boot_info_check(bi), "region count"));
	bi = good();
	bi->nr_reserved = BOOT_MAX_RESERVED + 1;
	assert_non_null(strstr(boot_info_check(bi), "reserved"));
	bi = good();
	memset(bi->cmdline, 'x', sizeof(bi->cmdline));
	assert_string_equal(boot_info_check(bi), "command line not terminated");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_loader_output),
		cmocka_unit_test(test_rejections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
