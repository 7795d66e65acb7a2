/*
 * panic: report and stop. Output goes straight to the consoles through
 * kprintf (a stack buffer, no malloc), since the heap may be what broke.
 * A second panic while one is being reported (on this or another CPU) just
 * halts, so the first report is not interleaved.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "kernel/console.h"
#include "kernel/ksym.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/power.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/vm.h"

#define BACKTRACE_MAX 24

static volatile int panicking;
static uint64_t halted; /* CPUs parked by panic_halt_here, one bit each: a CPU counts once */

unsigned panic_halted_cpus(void) { return (unsigned)__builtin_popcountll(__atomic_load_n(&halted, __ATOMIC_ACQUIRE)); }

bool panic_in_progress(void) { return panicking != 0; }

_Noreturn void panic_halt_here(void)
{
	cli();
	__atomic_fetch_or(&halted, 1ull << (this_cpu_id() % 64), __ATOMIC_RELEASE);
	for (;;) {
		cli();
		hlt();
	}
}

static void print_addr(const char *label, uint64_t a)
{
	uint64_t off;
	const char *sym = ksym_lookup(a, &off);
	if (sym)
		kprintf("%s%016llx <%s+0x%llx>\n", label, (unsigned long long)a, sym, (unsigned long long)off);
	else
		kprintf("%s%016llx\n", label, (unsigned long long)a);
}

/* Follows the %rbp chain (-fno-omit-frame-pointer); stops at a frame that is
 * unmapped, misaligned or not above the previous one. */
static void backtrace(uint64_t rbp)
{
	kprintf("backtrace:\n");
	for (int i = 0; i < BACKTRACE_MAX && rbp; i++) {
		if ((rbp & 7) || !vm_is_mapped(rbp) || !vm_is_mapped(rbp + 15))
			break;
		uint64_t next = ((uint64_t *)rbp)[0], ret = ((uint64_t *)rbp)[1];
		if (!ret)
			break;
		print_addr("  ", ret);
		if (next <= rbp)
			break;
		rbp = next;
	}
}

static _Noreturn void stop(void)
{
	smp_stop_others();
	unsigned others = nr_cpus - 1, halted = panic_halted_cpus();
	if (halted >= others)
		kprintf("all CPUs stopped\n");
	else
		kprintf("%u of %u other CPUs did not stop\n", others - halted, others);
	power_exit_qemu(PANIC_EXIT_CODE);
	panic_halt_here();
}

static bool enter(void)
{
	cli();
	return __atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST) == 0;
}

_Noreturn void panic(const char *fmt, ...)
{
	if (!enter())
		panic_halt_here();
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("\nPANIC on CPU %u: %s\n", this_cpu_id(), msg);
	uint64_t rbp;
	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	backtrace(rbp);
	stop();
}

_Noreturn void panic_trap(struct trap_frame *f)
{
	if (!enter())
		panic_halt_here();
	kprintf("\nPANIC on CPU %u: exception %llu (%s), error code 0x%llx\n", this_cpu_id(),
		(unsigned long long)f->vector, trap_name(f->vector), (unsigned long long)f->error);
	print_addr("RIP: ", f->rip);
	kprintf("CR2: %016llx  CR3: %016llx  RFLAGS: %016llx\n", (unsigned long long)read_cr2(),
		(unsigned long long)read_cr3(), (unsigned long long)f->rflags);
	kprintf("RAX: %016llx  RBX: %016llx  RCX: %016llx\n", (unsigned long long)f->rax,
		(unsigned long long)f->rbx, (unsigned long long)f->rcx);
	kprintf("RDX: %016llx  RSI: %016llx  RDI: %016llx\n", (unsigned long long)f->rdx,
		(unsigned long long)f->rsi, (unsigned long long)f->rdi);
	kprintf("RBP: %016llx  RSP: %016llx  R8:  %016llx\n", (unsigned long long)f->rbp,
		(unsigned long long)f->rsp, (unsigned long long)f->r8);
	kprintf("R9:  %016llx  R10: %016llx  R11: %016llx\n", (unsigned long long)f->r9,
		(unsigned long long)f->r10, (unsigned long long)f->r11);
	kprintf("R12: %016llx  R13: %016llx  R14: %016llx\n", (unsigned long long)f->r12,
		(unsigned long long)f->r13, (unsigned long long)f->r14);
	kprintf("R15: %016llx  CS: %04llx  SS: %04llx\n", (unsigned long long)f->r15,
		(unsigned long long)f->cs, (unsigned long long)f->ss);
	backtrace(f->rbp);
	stop();
}

/* ---- the test-only `fault` command: proves the exception path ---- */

static volatile uint64_t fault_sink;

/* Recurses until the stack runs into its guard page: #PF, then #DF on the
 * IST stack. The sink check keeps GCC from proving the recursion endless. */
static uint64_t overflow(uint64_t depth)
{
	volatile char pad[512];
	pad[0] = (char)depth;
	if (fault_sink == depth + 1)
		return 0;
	return overflow(depth + 1) + pad[0]; /* not a tail call: every level keeps its frame */
}

static const char *const fault_kinds[] = { "pf", "ud", "gp", "de", "stack", "panic" };

static void raise_fault(void *arg)
{
	const char *kind = arg;
	if (strcmp(kind, "pf") == 0)
		fault_sink = *(volatile uint64_t *)0xdead0000ull;
	else if (strcmp(kind, "ud") == 0)
		__asm__ volatile("ud2");
	else if (strcmp(kind, "gp") == 0)
		fault_sink = *(volatile uint64_t *)0x8000000000000000ull; /* non-canonical */
	else if (strcmp(kind, "de") == 0)
		__asm__ volatile("xor %%ecx, %%ecx; div %%ecx" ::: "rax", "rcx", "rdx");
	else if (strcmp(kind, "stack") == 0)
		fault_sink = overflow(0);
	else
		panic("requested by the fault command");
}

static int cmd_fault(int argc, char **argv)
{
	long cpu = this_cpu_id();
	if (argc == 4 && strcmp(argv[1], "-c") == 0) {
		char *end;
		cpu = strtol(argv[2], &end, 10);
		if (*end || end == argv[2] || cpu < 0 || cpu >= (long)nr_cpus) {
			printf("fault: no CPU %s (CPUs 0-%u are online)\n", argv[2], nr_cpus - 1);
			return 1;
		}
		argv += 2;
		argc -= 2;
	}
	if (argc != 2)
		return shell_usage("fault");
	for (size_t i = 0; i < sizeof(fault_kinds) / sizeof(fault_kinds[0]); i++)
		if (strcmp(argv[1], fault_kinds[i]) == 0)
			return smp_call((unsigned)cpu, raise_fault, (void *)fault_kinds[i]) == 0; /* not reached */
	return shell_usage("fault");
}
SHELL_COMMAND(fault, "fault", "[-c CPU] pf|ud|gp|de|stack|panic",
	      "(test) raise an exception, on CPU if given, to check the panic path", cmd_fault);
