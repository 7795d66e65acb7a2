/*
 * Crash-state enumeration: see crash_enum.h for what is enumerated and
 * checked. The model tracks files by identity; a file is "durable" once an
 * fsync or sync returned after its last change (tfs commits everything at
 * once, so one fsync makes every file durable) and stays so until it is
 * written, truncated or unlinked. A rename (of the file or of the directory
 * holding it) adds a candidate path: until the next commit the file must be
 * at exactly one of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tfs.h"
#include "fs/tfs_format.h"
#include "tests/fs/crash_enum.h"
#include "tests/unit/fs/ram_bdev.h"

#define IMAGE_BLOCKS 256
#define MAX_FILES    8
#define MAX_CANDS    4
#define MAX_FILE_LEN 24000
#define PATH_LEN     24
#define MAX_DIRS     5

struct mfile {
	bool live;
	char path[PATH_LEN];
	uint8_t *data;
	size_t len;
	bool durable;                 /* durable content is dlen bytes of ddata */
	uint8_t *ddata;
	size_t dlen;
	char cand[MAX_CANDS][PATH_LEN];
	unsigned ncand;
};

struct model {
	struct mfile f[MAX_FILES];
	unsigned dirs;                /* bit n: directory /dn exists (n = 1..MAX_DIRS) */
};

/* What must hold after a crash at a log position: one per completed op. */
struct checkpoint {
	uint32_t log_pos;
	struct model m;
};

struct run {
	const struct crash_opts *o;
	struct crash_result *res;
	uint32_t rng;
	struct ram_bdev dev;
	struct tfs *fs;
	struct model m;
	struct checkpoint *cps;
	uint32_t ncps;
	uint8_t *mkfs_image;
};

static uint32_t rnd(struct run *r, uint32_t n)
{
	r->rng = r->rng * 1664525u + 1013904223u;
	return (r->rng >> 8) % n;
}

static void violation(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void violation(struct run *r, const char *fmt, ...)
{
	char line[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!r->res->violations++)
		snprintf(r->res->first, sizeof(r->res->first), "seed %u: %s", r->o->seed, line);
	if (r->o->verbose)
		fprintf(stderr, "crash: seed %u: %s\n", r->o->seed, line);
}

/* ---- model ---- */

static void model_copy(struct model *dst, const struct model *src)
{
	*dst = *src;
	for (unsigned i = 0; i < MAX_FILES; i++) {
		struct mfile *d = &dst->f[i];
		const struct mfile *s = &src->f[i];
		d->data = s->live && s->len ? memcpy(malloc(s->len), s->data, s->len) : NULL;
		d->ddata = s->live && s->durable && s->dlen ? memcpy(malloc(s->dlen), s->ddata, s->dlen)
							    : NULL;
	}
}

static void model_free(struct model *m)
{
	for (unsigned i = 0; i < MAX_FILES; i++) {
		free(m->f[i].data);
		free(m->f[i].ddata);
		m->f[i].data = m->f[i].ddata = NULL;
	}
}

static void model_commit(struct model *m)
{
	for (unsigned i = 0; i < MAX_FILES; i++) {
		struct mfile *f = &m->f[i];
		if (!f->live)
			continue;
		free(f->ddata);
		f->ddata = f->len ? memcpy(malloc(f->len), f->data, f->len) : NULL;
		f->dlen = f->len;
		f->durable = true;
		strcpy(f->cand[0], f->path);
		f->ncand = 1;
	}
}

static void model_changed(struct mfile *f)
{
	f->durable = false;
}

/* The file may now also be at path (until the next commit). */
static void model_add_candidate(struct mfile *f, const char *path)
{
	for (unsigned c = 0; c < f->ncand; c++)
		if (!strcmp(f->cand[c], path))
			return;
	if (f->ncand < MAX_CANDS)
		strcpy(f->cand[f->ncand++], path);
	else
		f->durable = false; /* too many places to look: stop checking it */
}

static struct mfile *model_find(struct model *m, const char *path)
{
	for (unsigned i = 0; i < MAX_FILES; i++)
		if (m->f[i].live && !strcmp(m->f[i].path, path))
			return &m->f[i];
	return NULL;
}

static void model_drop(struct mfile *f)
{
	free(f->data);
	free(f->ddata);
	memset(f, 0, sizeof(*f));
}

/* ---- workload ---- */

static void checkpoint(struct run *r);

/* A file is no longer durable from the moment an operation on it starts:
 * a crash in the middle may leave any mix of old and new. */
static void model_touch(struct run *r, struct mfile *f)
{
	model_changed(f);
	checkpoint(r);
}

static void random_path(struct run *r, char *path)
{
	unsigned d = rnd(r, MAX_DIRS + 1);
	if (d && (r->m.dirs >> d & 1))
		snprintf(path, PATH_LEN, "/d%u/f%u", d, rnd(r, 6));
	else
		snprintf(path, PATH_LEN, "/f%u", rnd(r, 6));
}

static struct mfile *random_file(struct run *r)
{
	unsigned start = rnd(r, MAX_FILES);
	for (unsigned k = 0; k < MAX_FILES; k++) {
		struct mfile *f = &r->m.f[(start + k) % MAX_FILES];
		if (f->live)
			return f;
	}
	return NULL;
}

static bool op_write(struct run *r, struct mfile *f, uint64_t off, size_t len)
{
	if (off + len > MAX_FILE_LEN)
		return true;
	uint8_t *buf = malloc(len);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rnd(r, 256);
	struct tfs_file *h;
	model_touch(r, f);
	int err = tfs_open(r->fs, f->path, TFS_O_RDWR, &h);
	int64_t n = err ? err : tfs_pwrite(h, buf, len, off);
	if (r->o->verbose)
		fprintf(stderr, "crash:   write %s %llu+%zu\n", f->path, (unsigned long long)off, len);
	if (!err)
		tfs_close(h);
	if (n != (int64_t)len) {
		free(buf);
		violation(r, "workload: write %s failed (%lld)", f->path, (long long)n);
		return false;
	}
	if (off + len > f->len) {
		f->data = realloc(f->data, off + len);
		memset(f->data + f->len, 0, off + len - f->len);
		f->len = off + len;
	}
	memcpy(f->data + off, buf, len);
	free(buf);
	model_changed(f);
	return true;
}

static bool op_create(struct run *r)
{
	char path[PATH_LEN];
	random_path(r, path);
	struct mfile *f = model_find(&r->m, path);
	if (!f) {
		for (unsigned i = 0; i < MAX_FILES && !f; i++)
			if (!r->m.f[i].live)
				f = &r->m.f[i];
		if (!f)
			return true;
		memset(f, 0, sizeof(*f));
		f->live = true;
		strcpy(f->path, path);
	}
	struct tfs_file *h;
	model_touch(r, f);
	int err = tfs_open(r->fs, path, TFS_O_RDWR | TFS_O_CREAT | TFS_O_TRUNC, &h);
	if (err) {
		violation(r, "workload: create %s: %d", path, err);
		return false;
	}
	tfs_close(h);
	f->len = 0;
	model_changed(f);
	return op_write(r, f, 0, 1 + rnd(r, rnd(r, 4) ? 6000 : 20000));
}

static bool op_truncate(struct run *r, struct mfile *f)
{
	size_t size = rnd(r, (uint32_t)f->len + 6000);
	if (size > MAX_FILE_LEN)
		size = MAX_FILE_LEN;
	model_touch(r, f);
	int err = tfs_truncate(r->fs, f->path, size);
	if (r->o->verbose)
		fprintf(stderr, "crash:   truncate %s %zu\n", f->path, size);
	if (err) {
		violation(r, "workload: truncate %s: %d", f->path, err);
		return false;
	}
	if (size > f->len) {
		f->data = realloc(f->data, size);
		memset(f->data + f->len, 0, size - f->len);
	}
	f->len = size;
	model_changed(f);
	return true;
}

static bool op_rename(struct run *r, struct mfile *f)
{
	char to[PATH_LEN];
	random_path(r, to);
	if (!strcmp(to, f->path))
		return true;
	char from[PATH_LEN];
	strcpy(from, f->path);
	struct mfile *victim = model_find(&r->m, to);
	if (victim)
		model_drop(victim);
	strcpy(f->path, to);
	model_add_candidate(f, to);
	checkpoint(r);
	int err = tfs_rename(r->fs, from, to);
	if (r->o->verbose)
		fprintf(stderr, "crash:   rename %s %s\n", from, to);
	if (err) {
		violation(r, "workload: rename %s %s: %d", from, to, err);
		return false;
	}
	return true;
}

static bool op_unlink(struct run *r, struct mfile *f)
{
	char path[PATH_LEN];
	strcpy(path, f->path);
	model_drop(f);
	checkpoint(r);
	int err = tfs_unlink(r->fs, path);
	if (r->o->verbose)
		fprintf(stderr, "crash:   unlink %s\n", path);
	if (err) {
		violation(r, "workload: unlink %s: %d", path, err);
		return false;
	}
	return true;
}

static bool op_sync(struct run *r, struct mfile *f)
{
	int err;
	if (f) {
		struct tfs_file *h;
		err = tfs_open(r->fs, f->path, TFS_O_RDWR, &h);
		if (!err) {
			err = tfs_fsync(h);
			tfs_close(h);
		}
	} else {
		err = tfs_sync(r->fs);
	}
	if (r->o->verbose)
		fprintf(stderr, "crash:   %s %s\n", f ? "fsync" : "sync", f ? f->path : "");
	if (err) {
		violation(r, "workload: fsync: %d", err);
		return false;
	}
	model_commit(&r->m);
	return true;
}

static unsigned random_dir(struct run *r, bool exists)
{
	for (unsigned k = 0, d = 1 + rnd(r, MAX_DIRS); k < MAX_DIRS; k++, d = d % MAX_DIRS + 1)
		if ((r->m.dirs >> d & 1) == exists)
			return d;
	return 0;
}

static bool op_mkdir(struct run *r)
{
	unsigned d = random_dir(r, false);
	if (!d)
		return true;
	char path[PATH_LEN];
	snprintf(path, sizeof(path), "/d%u", d);
	int err = tfs_mkdir(r->fs, path);
	if (r->o->verbose)
		fprintf(stderr, "crash:   mkdir %s\n", path);
	if (err) {
		violation(r, "workload: mkdir %s: %d", path, err);
		return false;
	}
	r->m.dirs |= 1u << d;
	return true;
}

static bool dir_has_files(struct run *r, const char *prefix)
{
	for (unsigned i = 0; i < MAX_FILES; i++)
		if (r->m.f[i].live && !strncmp(r->m.f[i].path, prefix, strlen(prefix)))
			return true;
	return false;
}

static bool op_rmdir(struct run *r)
{
	unsigned d = random_dir(r, true);
	char path[PATH_LEN], prefix[PATH_LEN];
	snprintf(path, sizeof(path), "/d%u", d);
	snprintf(prefix, sizeof(prefix), "/d%u/", d);
	if (!d || dir_has_files(r, prefix))
		return true;
	r->m.dirs &= ~(1u << d);
	checkpoint(r);
	int err = tfs_rmdir(r->fs, path);
	if (r->o->verbose)
		fprintf(stderr, "crash:   rmdir %s\n", path);
	if (err)
		violation(r, "workload: rmdir %s: %d", path, err);
	return !err;
}

/* Rename /da to /db (a new name): every file inside moves with it, and
 * until the next commit may be found under either name. */
static bool op_rename_dir(struct run *r)
{
	unsigned a = random_dir(r, true), b = random_dir(r, false);
	if (!a || !b)
		return true;
	char from[PATH_LEN], to[PATH_LEN];
	snprintf(from, sizeof(from), "/d%u", a);
	snprintf(to, sizeof(to), "/d%u", b);
	for (unsigned i = 0; i < MAX_FILES; i++) {
		struct mfile *f = &r->m.f[i];
		if (!f->live || strncmp(f->path, from, strlen(from)) || f->path[strlen(from)] != '/')
			continue;
		char moved[PATH_LEN];
		snprintf(moved, sizeof(moved), "%s%s", to, f->path + strlen(from));
		strcpy(f->path, moved);
		model_add_candidate(f, moved);
	}
	r->m.dirs = (r->m.dirs & ~(1u << a)) | 1u << b;
	checkpoint(r);
	int err = tfs_rename(r->fs, from, to);
	if (r->o->verbose)
		fprintf(stderr, "crash:   rename %s %s\n", from, to);
	if (err)
		violation(r, "workload: rename %s %s: %d", from, to, err);
	return !err;
}

static bool one_op(struct run *r)
{
	if (r->o->verbose)
		fprintf(stderr, "crash: seed %u op at log %u\n", r->o->seed, r->dev.nlog);
	struct mfile *f = random_file(r);
	uint32_t k = rnd(r, 100);
	if (!f || k < 20)
		return op_create(r);
	if (k < 40)
		return op_write(r, f, rnd(r, (uint32_t)f->len + 4096), 1 + rnd(r, 9000));
	if (k < 58)
		return op_sync(r, rnd(r, 4) ? f : NULL);
	if (k < 70)
		return op_rename(r, f);
	if (k < 78)
		return op_unlink(r, f);
	if (k < 88)
		return op_truncate(r, f);
	if (k < 93)
		return op_mkdir(r);
	if (k < 97)
		return op_rename_dir(r);
	return op_rmdir(r);
}

static void checkpoint(struct run *r)
{
	r->cps = realloc(r->cps, (r->ncps + 1) * sizeof(*r->cps));
	struct checkpoint *c = &r->cps[r->ncps++];
	c->log_pos = r->dev.nlog;
	model_copy(&c->m, &r->m);
}

static bool run_workload(struct run *r)
{
	char msg[160];
	ram_bdev_init(&r->dev, IMAGE_BLOCKS);
	if (tfs_mkfs(&r->dev.bdev, NULL, msg, sizeof(msg)))
		return false;
	r->mkfs_image = malloc((size_t)IMAGE_BLOCKS * TFS_BLOCK_SIZE);
	memcpy(r->mkfs_image, r->dev.mem, (size_t)IMAGE_BLOCKS * TFS_BLOCK_SIZE);
	r->dev.bdev.has_fua = r->o->seed % 2 == 0; /* odd seeds: commit by write + flush */
	r->dev.record = true;
	if (tfs_mount(&r->dev.bdev, NULL, &r->fs, msg, sizeof(msg))) {
		violation(r, "workload mount: %s", msg);
		return false;
	}
	checkpoint(r);
	bool ok = true;
	for (uint32_t i = 0; i < r->o->ops && ok; i++) {
		ok = one_op(r);
		checkpoint(r);
	}
	if (tfs_unmount(r->fs))
		violation(r, "workload unmount failed");
	model_commit(&r->m);
	checkpoint(r);
	return ok;
}

/* ---- checking one crash state ---- */

static void fsck_line(void *arg, const char *line)
{
	struct run *r = arg;
	if (r->o->verbose)
		fprintf(stderr, "crash:   fsck: %s\n", line);
}

static int read_file(struct tfs *fs, const char *path, uint8_t *buf, size_t cap)
{
	struct tfs_file *h;
	int err = tfs_open(fs, path, TFS_O_RDONLY, &h);
	if (err)
		return err;
	int64_t n = tfs_read(h, buf, cap);
	tfs_close(h);
	return (int)n;
}

static void check_file(struct run *r, struct tfs *fs, const struct mfile *f, const char *where)
{
	static uint8_t buf[MAX_FILE_LEN + 1];
	unsigned found = 0;
	for (unsigned c = 0; c < f->ncand; c++) {
		int n = read_file(fs, f->cand[c], buf, sizeof(buf));
		if (n >= 0 && (size_t)n == f->dlen && !memcmp(buf, f->ddata, f->dlen))
			found++;
	}
	if (found != 1)
		violation(r, "%s: durable file %s (%zu bytes) found at %u of its %u paths", where,
			  f->path, f->dlen, found, f->ncand);
}

static void check_state(struct run *r, const uint8_t *image, const struct model *m,
			const char *where)
{
	struct ram_bdev d;
	ram_bdev_init(&d, IMAGE_BLOCKS);
	memcpy(d.mem, image, (size_t)IMAGE_BLOCKS * TFS_BLOCK_SIZE);
	r->res->states++;
	d.bdev.read_only = true;
	int rc = tfs_fsck(&d.bdev, 0, fsck_line, r);
	d.bdev.read_only = false;
	if (rc != TFS_FSCK_CLEAN)
		violation(r, "%s: fsck -n returned %d", where, rc);
	char msg[160];
	struct tfs *fs;
	if (tfs_mount(&d.bdev, NULL, &fs, msg, sizeof(msg))) {
		violation(r, "%s: mount failed: %s", where, msg);
		ram_bdev_free(&d);
		return;
	}
	for (unsigned i = 0; i < MAX_FILES; i++)
		if (m->f[i].live && m->f[i].durable)
			check_file(r, fs, &m->f[i], where);
	if (tfs_unmount(fs))
		violation(r, "%s: unmount failed", where);
	if (r->o->fsck_after && (rc = tfs_fsck(&d.bdev, 0, fsck_line, r)) != TFS_FSCK_CLEAN)
		violation(r, "%s: fsck after mount returned %d", where, rc);
	ram_bdev_free(&d);
}

/* ---- enumeration ---- */

static const struct model *model_at(struct run *r, uint32_t pos)
{
	const struct model *m = &r->cps[0].m;
	for (uint32_t i = 0; i < r->ncps && r->cps[i].log_pos <= pos; i++)
		m = &r->cps[i].m;
	return m;
}

static void apply_all(uint8_t *img, const struct ram_op *op)
{
	ram_bdev_apply(img, op, op->nblocks, 0);
}

/* States for a crash right after log entry k-1: epoch[0..n) are the indices
 * of the writes since the last flush, the last one being k-1. */
static void crash_point(struct run *r, const uint8_t *base, uint8_t *img, const uint32_t *epoch,
			uint32_t n, uint32_t k)
{
	const struct ram_op *log = r->dev.log;
	const struct model *m = model_at(r, k);
	size_t bytes = (size_t)IMAGE_BLOCKS * TFS_BLOCK_SIZE;
	char where[96];

	memcpy(img, base, bytes);
	for (uint32_t i = 0; i < n; i++)
		apply_all(img, &log[epoch[i]]);
	snprintf(where, sizeof(where), "crash after log entry %u", k - 1);
	check_state(r, img, m, where);

	/* the crash hit while entry k-1 was being written (FUA or not): what
	 * holds is what held before it completed */
	const struct ram_op *last = &log[epoch[n - 1]];
	memcpy(img, base, bytes);
	for (uint32_t i = 0; i + 1 < n; i++)
		apply_all(img, &log[epoch[i]]);
	uint32_t keep = last->nblocks / 2;
	ram_bdev_apply(img, last, keep, keep ? 0 : TFS_BLOCK_SIZE / 2);
	snprintf(where, sizeof(where), "crash tearing log entry %u", k - 1);
	check_state(r, img, model_at(r, k - 1), where);

	for (uint32_t t = 0; t < r->o->reorder && n > 1; t++) {
		uint32_t drop = rnd(r, n - 1);
		if (log[epoch[drop]].flags & TFS_BIO_FUA)
			continue;
		memcpy(img, base, bytes);
		for (uint32_t i = 0; i < n; i++)
			if (i != drop)
				apply_all(img, &log[epoch[i]]);
		snprintf(where, sizeof(where), "crash after log entry %u losing entry %u", k - 1,
			 epoch[drop]);
		check_state(r, img, m, where);
	}
}

static void enumerate(struct run *r)
{
	size_t bytes = (size_t)IMAGE_BLOCKS * TFS_BLOCK_SIZE;
	uint8_t *base = malloc(bytes), *img = malloc(bytes);
	uint32_t *epoch = malloc((r->dev.nlog + 1) * sizeof(uint32_t)), n = 0;
	memcpy(base, r->mkfs_image, bytes);
	check_state(r, base, model_at(r, 0), "crash before any write");
	for (uint32_t k = 1; k <= r->dev.nlog; k++) {
		const struct ram_op *op = &r->dev.log[k - 1];
		if (op->op == TFS_BIO_FLUSH) {
			for (uint32_t i = 0; i < n; i++)
				apply_all(base, &r->dev.log[epoch[i]]);
			n = 0;
			continue;
		}
		epoch[n++] = k - 1;
		crash_point(r, base, img, epoch, n, k);
	}
	free(base);
	free(img);
	free(epoch);
}

void crash_run(const struct crash_opts *o, struct crash_result *res)
{
	struct run r = { .o = o, .res = res, .rng = o->seed * 2654435761u + 1 };
	if (run_workload(&r)) {
		res->log_ops += r.dev.nlog;
		enumerate(&r);
	}
	for (uint32_t i = 0; i < r.ncps; i++)
		model_free(&r.cps[i].m);
	model_free(&r.m);
	free(r.cps);
	free(r.mkfs_image);
	ram_bdev_free(&r.dev);
}
