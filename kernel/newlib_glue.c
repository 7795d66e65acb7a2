/*
 * newlib's system interface: the "syscalls" (built with MISSING_SYSCALL_NAMES,
 * so newlib calls sbrk, write, ... directly), its locks, and nothing more.
 *
 * - sbrk grows the heap window page by page (kernel/vm.h).
 * - write to fd 1 and 2 goes to the consoles; read on fd 0 waits for a byte.
 * - Files live on the mounted tfs (kernel/tfs_kernel.h): fds from 3 up map
 *   to tfs files, each syscall under the tfs lock; with nothing mounted,
 *   open/stat answer ENOENT. Besides what newlib's stdio calls, pread,
 *   pwrite, ftruncate and truncate (declared by newlib's unistd.h, which has
 *   no code for them) are here too. The prototypes come from newlib's
 *   headers, so a mismatch (lseek's 64-bit off_t) does not compile.
 * - Locks are recursive spinlocks that also disable interrupts, so malloc and
 *   stdio are safe across CPUs and against interrupt handlers on this CPU.
 *   They are not for the I/O hot path, which never calls malloc.
 */
#define _POSIX_C_SOURCE 200809L /* the prototypes of pread, pwrite, ftruncate, truncate */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/lock.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <unistd.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "fs/tfs_format.h"
#include "kernel/console.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/power.h"
#include "kernel/smp.h"
#include "kernel/tfs_kernel.h"
#include "kernel/time.h"
#include "kernel/vm.h"

/* Two errnos: newlib's reentrant wrappers (_open_r and friends, which stdio
 * uses) clear and read the global int errno around each call and copy it to
 * the caller's; a kernel caller of open() or pread() directly reads errno,
 * the macro, which is *__errno(). set_errno sets both. */
#undef errno
extern int errno;

static void set_errno(int e)
{
	errno = e;
	*__errno() = e;
}

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
		set_errno(EINVAL);
		return (void *)-1;
	}
	if (incr > 0 && vm_heap_grow(old + (uint64_t)incr) != 0) {
		set_errno(ENOMEM);
		return (void *)-1;
	}
	heap_brk = old + (uint64_t)incr;
	return (void *)(VM_HEAP_BASE + old);
}

/* ---- files ---- */

#define TFS_FD_BASE 3  /* 0-2 are the console */
#define TFS_MAX_FDS 32

static struct tfs_file *tfs_fds[TFS_MAX_FDS]; /* fd - TFS_FD_BASE; changed under the tfs lock */

static struct tfs_file *tfs_fd(int fd)
{
	unsigned i = (unsigned)fd - TFS_FD_BASE;
	return fd >= TFS_FD_BASE && i < TFS_MAX_FDS ? tfs_fds[i] : NULL;
}

/* A tfs result as a syscall's: -1 and errno for a negative errno. */
static int64_t tfs_ret(int64_t r)
{
	if (r < 0) {
		set_errno((int)-r);
		return -1;
	}
	return r;
}

static int tfs_open_flags(int flags)
{
	int acc = flags & O_ACCMODE;
	int t = acc == O_WRONLY ? TFS_O_WRONLY : acc == O_RDWR ? TFS_O_RDWR : TFS_O_RDONLY;
	if (flags & O_CREAT)
		t |= TFS_O_CREAT;
	if (flags & O_EXCL)
		t |= TFS_O_EXCL;
	if (flags & O_TRUNC)
		t |= TFS_O_TRUNC;
	if (flags & O_APPEND)
		t |= TFS_O_APPEND;
	return t;
}

int open(const char *path, int flags, ...)
{
	const char *rel;
	tfs_kernel_lock();
	struct tfs *fs = tfs_kernel_resolve(path, &rel);
	int slot = 0;
	while (slot < TFS_MAX_FDS && tfs_fds[slot])
		slot++;
	int r = !fs ? -ENOENT : slot == TFS_MAX_FDS ? -EMFILE : tfs_open(fs, rel, tfs_open_flags(flags), &tfs_fds[slot]);
	if (r == 0)
		tfs_kernel_open_files++;
	tfs_kernel_unlock();
	return r ? (int)tfs_ret(r) : TFS_FD_BASE + slot;
}

int close(int fd)
{
	if (fd >= 0 && fd < TFS_FD_BASE)
		return 0;
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int r = f ? tfs_close(f) : -EBADF;
	if (f) {
		tfs_fds[fd - TFS_FD_BASE] = NULL;
		tfs_kernel_open_files--;
	}
	tfs_kernel_unlock();
	return (int)tfs_ret(r);
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t n)
{
	if (fd == 1 || fd == 2) {
		console_write(buf, n);
		return (_READ_WRITE_RETURN_TYPE)n;
	}
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int64_t r = f ? tfs_write(f, buf, n) : -EBADF;
	tfs_kernel_unlock();
	return (_READ_WRITE_RETURN_TYPE)tfs_ret(r);
}

static int console_read(void *buf, size_t n)
{
	if (n == 0)
		return 0;
	int c;
	while ((c = console_getc()) < 0)
		cpu_idle();
	*(char *)buf = (char)c;
	return 1;
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t n)
{
	if (fd == 0)
		return console_read(buf, n);
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int64_t r = f ? tfs_read(f, buf, n) : -EBADF;
	tfs_kernel_unlock();
	return (_READ_WRITE_RETURN_TYPE)tfs_ret(r);
}

int isatty(int fd)
{
	if (fd >= 0 && fd < TFS_FD_BASE)
		return 1;
	set_errno(tfs_fd(fd) ? ENOTTY : EBADF);
	return 0;
}

off_t lseek(int fd, off_t off, int whence)
{
	if (fd >= 0 && fd < TFS_FD_BASE) {
		set_errno(ESPIPE);
		return -1;
	}
	int tw = whence == SEEK_CUR ? TFS_SEEK_CUR : whence == SEEK_END ? TFS_SEEK_END : TFS_SEEK_SET;
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int64_t r = f ? tfs_seek(f, off, tw) : -EBADF;
	tfs_kernel_unlock();
	return (off_t)tfs_ret(r);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int64_t r = !f ? -EBADF : off < 0 ? -EINVAL : tfs_pread(f, buf, n, (uint64_t)off);
	tfs_kernel_unlock();
	return (ssize_t)tfs_ret(r);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int64_t r = !f ? -EBADF : off < 0 ? -EINVAL : tfs_pwrite(f, buf, n, (uint64_t)off);
	tfs_kernel_unlock();
	return (ssize_t)tfs_ret(r);
}

int ftruncate(int fd, off_t size)
{
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int r = !f ? -EBADF : size < 0 ? -EINVAL : tfs_ftruncate(f, (uint64_t)size);
	tfs_kernel_unlock();
	return (int)tfs_ret(r);
}

int truncate(const char *path, off_t size)
{
	const char *rel;
	tfs_kernel_lock();
	struct tfs *fs = tfs_kernel_resolve(path, &rel);
	int r = !fs ? -ENOENT : size < 0 ? -EINVAL : tfs_truncate(fs, rel, (uint64_t)size);
	tfs_kernel_unlock();
	return (int)tfs_ret(r);
}

static void tfs_to_stat(const struct tfs_stat *t, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = t->ino;
	st->st_mode = (t->type == TFS_TYPE_DIR ? S_IFDIR | 0755 : S_IFREG | 0644);
	st->st_nlink = t->nlink;
	st->st_size = (off_t)t->size;
	st->st_blksize = TFS_BLOCK_SIZE; /* stdio buffers this much */
	st->st_blocks = (blkcnt_t)(t->blocks * (TFS_BLOCK_SIZE / 512));
	st->st_mtime = (time_t)t->mtime;
}

int fstat(int fd, struct stat *st)
{
	if (fd >= 0 && fd < TFS_FD_BASE) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFCHR;
		return 0;
	}
	struct tfs_stat t;
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int r = f ? tfs_fstat(f, &t) : -EBADF;
	tfs_kernel_unlock();
	if (!r)
		tfs_to_stat(&t, st);
	return (int)tfs_ret(r);
}

int fsync(int fd)
{
	tfs_kernel_lock();
	struct tfs_file *f = tfs_fd(fd);
	int r = f ? tfs_fsync(f) : fd >= 0 && fd < TFS_FD_BASE ? 0 : -EBADF;
	tfs_kernel_unlock();
	return (int)tfs_ret(r);
}

/* The path calls: op picks the tfs function; b is rename's target. */
enum path_op { PATH_STAT, PATH_UNLINK, PATH_MKDIR, PATH_RENAME };

static int path_call(enum path_op op, const char *a, const char *b, struct stat *st)
{
	const char *ra, *rb = NULL;
	struct tfs_stat t;
	tfs_kernel_lock();
	struct tfs *fs = tfs_kernel_resolve(a, &ra);
	int r = -ENOENT;
	if (fs && op == PATH_RENAME)
		r = tfs_kernel_resolve(b, &rb) == fs ? tfs_rename(fs, ra, rb) : -EXDEV;
	else if (fs)
		r = op == PATH_STAT ? tfs_stat(fs, ra, &t) : op == PATH_UNLINK ? tfs_unlink(fs, ra) : tfs_mkdir(fs, ra);
	tfs_kernel_unlock();
	if (!r && op == PATH_STAT)
		tfs_to_stat(&t, st);
	return (int)tfs_ret(r);
}

int stat(const char *path, struct stat *st) { return path_call(PATH_STAT, path, NULL, st); }
int unlink(const char *path) { return path_call(PATH_UNLINK, path, NULL, NULL); }
int mkdir(const char *path, mode_t mode) { (void)mode; return path_call(PATH_MKDIR, path, NULL, NULL); }
/* Ours rather than newlib's, which would link() then unlink(): tfs renames atomically. */
int rename(const char *from, const char *to) { return path_call(PATH_RENAME, from, to, NULL); }
int link(const char *a, const char *b) { (void)a, (void)b; set_errno(EMLINK); return -1; }

/* ---- processes and time ---- */

pid_t getpid(void) { return 1; }
int kill(int pid, int sig) { (void)pid, (void)sig; set_errno(EINVAL); return -1; }
pid_t fork(void) { set_errno(ENOSYS); return -1; }
int execve(const char *p, char *const a[], char *const e[]) { (void)p, (void)a, (void)e; set_errno(ENOSYS); return -1; }
int wait(int *status) { (void)status; set_errno(ECHILD); return -1; }

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
