/*
 * newlib's system interface: the "syscalls" (built with MISSING_SYSCALL_NAMES,
 * so newlib calls sbrk, write, ... directly), its locks, and nothing more.
 *
 * - sbrk grows the heap window page by page (kernel/vm.h).
 * - write to fd 1 and 2 goes to the consoles; read on fd 0 waits for a byte.
 * - Files do not exist yet: open/stat answer ENOENT, the rest EBADF/ENOSYS.
 * - Locks are recursive spinlocks that also disable interrupts, so malloc and
 *   stdio are safe across CPUs and against interrupt handlers on this CPU.
 *   They are not for the I/O hot path, which never calls malloc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/lock.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "kernel/console.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/power.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "kernel/vm.h"

#undef errno
extern int errno;

/* ---- locks ---- */

struct __lock {
	volatile uint32_t owner; /* CPU id + 1, 0 when free */
	uint32_t depth;
	uint64_t flags;          /* RFLAGS saved by the outermost acquire */
};

struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
	__lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex,
	__lock___malloc_recursive_mutex, __lock___env_recursive_mutex, __lock___tz_mutex,
	__lock___dd_hash_mutex, __lock___arc4random_mutex;

static int lock_try(struct __lock *l)
{
	uint32_t me = this_cpu_id() + 1;
	uint64_t f = irq_save();
	if (l->owner == me) {
		l->depth++;
		irq_restore(f);
		return 1;
	}
	uint32_t expect = 0;
	if (__atomic_compare_exchange_n(&l->owner, &expect, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		l->depth = 1;
		l->flags = f;
		return 1;
	}
	irq_restore(f);
	return 0;
}

static void lock_acquire(struct __lock *l)
{
	while (!lock_try(l))
		cpu_relax();
}

static void lock_release(struct __lock *l)
{
	if (--l->depth)
		return;
	uint64_t f = l->flags;
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
	irq_restore(f);
}

void __retarget_lock_init(_LOCK_T *lock) { *lock = calloc(1, sizeof(struct __lock)); }
void __retarget_lock_init_recursive(_LOCK_T *lock) { *lock = calloc(1, sizeof(struct __lock)); }
void __retarget_lock_close(_LOCK_T lock) { free(lock); }
void __retarget_lock_close_recursive(_LOCK_T lock) { free(lock); }
void __retarget_lock_acquire(_LOCK_T lock) { if (lock) lock_acquire(lock); }
void __retarget_lock_acquire_recursive(_LOCK_T lock) { if (lock) lock_acquire(lock); }
int __retarget_lock_try_acquire(_LOCK_T lock) { return lock ? lock_try(lock) : 1; }
int __retarget_lock_try_acquire_recursive(_LOCK_T lock) { return lock ? lock_try(lock) : 1; }
void __retarget_lock_release(_LOCK_T lock) { if (lock) lock_release(lock); }
void __retarget_lock_release_recursive(_LOCK_T lock) { if (lock) lock_release(lock); }

/* ---- memory ---- */

static uint64_t heap_brk; /* bytes in use from VM_HEAP_BASE; sbrk runs under the malloc lock */

uint64_t heap_bytes(void) { return heap_brk; }

void *sbrk(ptrdiff_t incr)
{
	uint64_t old = heap_brk;
	if (incr < 0 && (uint64_t)-incr > old) {
		errno = EINVAL;
		return (void *)-1;
	}
	if (incr > 0 && vm_heap_grow(old + (uint64_t)incr) != 0) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_brk = old + (uint64_t)incr;
	return (void *)(VM_HEAP_BASE + old);
}

/* ---- files ---- */

int write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, n);
	return (int)n;
}

int read(int fd, void *buf, size_t n)
{
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	if (n == 0)
		return 0;
	int c;
	while ((c = console_getc()) < 0)
		cpu_idle();
	*(char *)buf = (char)c;
	return 1;
}

int open(const char *path, int flags, ...)
{
	(void)path, (void)flags;
	errno = ENOENT;
	return -1;
}

int close(int fd) { return fd >= 0 && fd <= 2 ? 0 : (errno = EBADF, -1); }
int isatty(int fd) { return fd >= 0 && fd <= 2 ? 1 : (errno = EBADF, 0); }
int lseek(int fd, int off, int whence) { (void)fd, (void)off, (void)whence; errno = ESPIPE; return -1; }

int fstat(int fd, struct stat *st)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR;
	return 0;
}

int stat(const char *path, struct stat *st) { (void)path, (void)st; errno = ENOENT; return -1; }
int unlink(const char *path) { (void)path; errno = ENOENT; return -1; }
int link(const char *a, const char *b) { (void)a, (void)b; errno = EMLINK; return -1; }
int mkdir(const char *path, mode_t mode) { (void)path, (void)mode; errno = ENOSYS; return -1; }

/* ---- processes and time ---- */

int getpid(void) { return 1; }
int kill(int pid, int sig) { (void)pid, (void)sig; errno = EINVAL; return -1; }
int fork(void) { errno = ENOSYS; return -1; }
int execve(const char *p, char *const a[], char *const e[]) { (void)p, (void)a, (void)e; errno = ENOSYS; return -1; }
int wait(int *status) { (void)status; errno = ECHILD; return -1; }

void _exit(int code)
{
	power_off(code);
}

int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	uint64_t us = uptime_ns() / 1000;
	tv->tv_sec = us / 1000000;
	tv->tv_usec = us % 1000000;
	return 0;
}

clock_t times(struct tms *t)
{
	clock_t c = (clock_t)(uptime_ns() / (1000000000 / CLOCKS_PER_SEC));
	if (t)
		*t = (struct tms){ c, 0, 0, 0 };
	return c;
}
