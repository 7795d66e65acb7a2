/* libFuzzer target: see fuzz_one.h. Built by `make fuzz` with clang. */
#include "tests/fs/fuzz_one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tfs_fuzz_one(data, size);
}
