/*
 * CRC-32 (IEEE) and CRC-32C (Castagnoli), reflected, table-driven with
 * slicing-by-8; CRC-32C uses the SSE4.2 crc32 instruction when CPUID has it.
 *
 * Tables: tab[0][b] is the CRC register after shifting byte b through the
 * 8 bit steps of the polynomial; tab[k][b] is the same byte followed by k
 * zero bytes. Eight input bytes then fold into the register with eight
 * lookups, byte j of the block through tab[7 - j]. The tables (2 x 8 KiB) are
 * built by the first caller, whoever that is: it claims the build with a
 * compare-and-swap and publishes the result with a release store. A caller
 * that finds the build in progress (another CPU, or an interrupt that landed
 * inside the build on this one) does not wait: it computes its CRC bit by
 * bit, which gives the same result.
 *
 * The kernel is compiled for generic x86-64, so the crc32 instruction is
 * written in inline asm and only used after CPUID says SSE4.2 is present.
 * It is a general-purpose-register instruction: it needs no FPU/SSE state.
 */
#include <string.h>

#include "lib/crc.h"

#if defined(__x86_64__)
#include "arch/x86_64/cpu.h"
#endif

#define CRC32_POLY  0xEDB88320u /* IEEE 802.3, bit-reversed */
#define CRC32C_POLY 0x82F63B78u /* Castagnoli, bit-reversed */
#define SLICES 8

#define CPUID1_ECX_SSE4_2 (1u << 20) /* Intel SDM Vol. 2A, CPUID leaf 01H */

enum { TABLES_NONE, TABLES_BUILDING, TABLES_READY };
enum { HW_UNKNOWN, HW_ABSENT, HW_PRESENT };

static uint32_t crc32_tab[SLICES][256];
static uint32_t crc32c_tab[SLICES][256];
static int tables_state; /* TABLES_*: READY is stored (release) after both tables are complete */

/* One reflected CRC step per bit: shift right, xor the polynomial if a 1 fell out. */
static uint32_t crc_bitwise(uint32_t c, const uint8_t *p, size_t n, uint32_t poly)
{
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (poly & (0u - (c & 1)));
	}
	return c;
}

static void crc_build_table(uint32_t tab[SLICES][256], uint32_t poly)
{
	for (unsigned b = 0; b < 256; b++) {
		uint8_t byte = (uint8_t)b;
		tab[0][b] = crc_bitwise(0, &byte, 1, poly);
	}
	for (unsigned k = 1; k < SLICES; k++)
		for (unsigned b = 0; b < 256; b++)
			tab[k][b] = (tab[k - 1][b] >> 8) ^ tab[0][tab[k - 1][b] & 0xff];
}

/* True when the tables can be used; builds them if nobody has started yet. */
static bool crc_tables_ready(void)
{
	int s = __atomic_load_n(&tables_state, __ATOMIC_ACQUIRE);
	if (s == TABLES_READY)
		return true;
	int expect = TABLES_NONE;
	if (s != TABLES_NONE || !__atomic_compare_exchange_n(&tables_state, &expect, TABLES_BUILDING,
							      false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	crc_build_table(crc32_tab, CRC32_POLY);
	crc_build_table(crc32c_tab, CRC32C_POLY);
	__atomic_store_n(&tables_state, TABLES_READY, __ATOMIC_RELEASE);
	return true;
}

/* Byte-wise little-endian load; the compiler turns it into one mov on x86. */
static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_slice8(const uint32_t t[SLICES][256], uint32_t c, const uint8_t *p, size_t n)
{
	for (; n >= SLICES; p += SLICES, n -= SLICES) {
		uint32_t lo = c ^ load_le32(p), hi = load_le32(p + 4);
		c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
		    t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
	}
	while (n--)
		c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

static uint32_t crc_sw(const uint32_t t[SLICES][256], uint32_t poly, uint32_t crc, const void *buf,
		       size_t len)
{
	uint32_t c = ~crc;
	if (crc_tables_ready())
		c = crc_slice8(t, c, buf, len);
	else
		c = crc_bitwise(c, buf, len, poly);
	return ~c;
}

uint32_t crc32(uint32_t crc, const void *buf, size_t len)
{
	return crc_sw(crc32_tab, CRC32_POLY, crc, buf, len);
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	return crc_sw(crc32c_tab, CRC32C_POLY, crc, buf, len);
}

bool crc32c_hw_available(void)
{
#if defined(__x86_64__)
	static int hw_state; /* HW_*: CPUs racing here store the same answer */
	int s = __atomic_load_n(&hw_state, __ATOMIC_RELAXED);
	if (s == HW_UNKNOWN) {
		uint32_t r[4];
		cpuid(1, 0, r);
		s = (r[2] & CPUID1_ECX_SSE4_2) ? HW_PRESENT : HW_ABSENT;
		__atomic_store_n(&hw_state, s, __ATOMIC_RELAXED);
	}
	return s == HW_PRESENT;
#else
	return false;
#endif
}

#if defined(__x86_64__)
static inline uint32_t crc32c_hw_byte(uint32_t c, uint8_t b)
{
	__asm__("crc32b %1, %0" : "+r"(c) : "rm"(b));
	return c;
}

uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	/* byte steps up to an 8-byte boundary so the quadword loads do not split cache lines */
	for (; len && ((uintptr_t)p & 7); len--)
		c = crc32c_hw_byte(c, *p++);
	uint64_t c64 = c; /* crc32q takes a 64-bit destination; the upper half stays zero */
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, p, sizeof(v));
		__asm__("crc32q %1, %0" : "+r"(c64) : "rm"(v));
	}
	c = (uint32_t)c64;
	while (len--)
		c = crc32c_hw_byte(c, *p++);
	return ~c;
}
#else
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_sw(crc, buf, len);
}
#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (crc32c_hw_available())
		return crc32c_hw(crc, buf, len);
	return crc32c_sw(crc, buf, len);
}
