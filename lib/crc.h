/*
 * CRC-32 checksums over byte buffers.
 *
 * crc32():  IEEE 802.3 polynomial, reflected (0xEDB88320): the checksum of
 *           GPT headers and partition arrays, Ethernet, zlib and PNG.
 *           crc32(0, "123456789", 9) == 0xCBF43926.
 * crc32c(): Castagnoli polynomial, reflected (0x82F63B78): iSCSI, ext4 and
 *           btrfs metadata, NVMe end-to-end protection (CRC-32C guard).
 *           crc32c(0, "123456789", 9) == 0xE3069283.
 *
 * Both take the previous result as `crc` so a checksum can be computed
 * piecewise: crc32(crc32(0, a, n), b, m) == crc32 of a followed by b. Start
 * with 0. The inversion before and after is done inside.
 *
 * Both are safe to call from any CPU at any time, including before the
 * lookup tables exist: the first caller builds them (see crc.c).
 */
#ifndef LIB_CRC_H
#define LIB_CRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t crc32(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/*
 * The two ways crc32c() can compute its result, for tests and benchmarks;
 * crc32c() picks the instruction when the CPU has it. crc32c_hw() must only
 * be called when crc32c_hw_available() is true (it is #UD otherwise).
 */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len); /* slicing-by-8 tables */
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len); /* SSE4.2 crc32 instruction */
bool crc32c_hw_available(void); /* CPUID.01H:ECX.SSE4_2 */

#endif
