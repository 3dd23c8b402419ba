/* blob_file.c — a blob streamed into a file (codegen.h: gqc_blob_file).
 *
 * The weight blob walk (blobs.c) hands its sink pieces in order; this sink
 * writes them at consecutive offsets of an open file with pwrite, so it can
 * start anywhere — at offset 0 of a new .weights file, or at the end of an
 * object whose section it fills (elf_section.c). Three things keep writing
 * gigabytes cheap:
 *   - zero runs (the padding between weights) are not written but skipped,
 *     and gqc_blob_file_end sets the file's size, so they become holes on
 *     file systems that have them: a test can write a 5 GiB blob in a
 *     moment;
 *   - bytes the walk takes unchanged from the model file come as (fd,
 *     offset) and are copied with copy_file_range, page cache to page cache
 *     in the kernel, as cp does — through a small buffer where the kernel
 *     or file system cannot;
 *   - writes from memory come in the walk's small pieces, which stay in
 *     the CPU's caches on the way to the page cache.
 */
#define _GNU_SOURCE /* copy_file_range */
#include "codegen/codegen.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* All n bytes at file offset off read into buf (write false) or written
 * from it (write true), in spite of short transfers and signals. Sets errno
 * on failure (EIO for a file that ends first). */
static bool transfer(int fd, unsigned char *buf, uint64_t n, uint64_t off, bool write) {
  for (uint64_t done = 0; done < n;) {
    size_t chunk = n - done > (1u << 30) ? (1u << 30) : (size_t)(n - done);
    ssize_t r = write ? pwrite(fd, buf + done, chunk, (off_t)(off + done))
                      : pread(fd, buf + done, chunk, (off_t)(off + done));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      if (r == 0)
        errno = EIO;
      return false;
    }
    done += (uint64_t)r;
  }
  return true;
}

bool gqc_read_at(int fd, void *buf, uint64_t n, uint64_t off) {
  return transfer(fd, buf, n, off, false);
}

static bool write_at(int fd, const unsigned char *p, uint64_t n, uint64_t off) {
  return transfer(fd, (unsigned char *)p, n, off, true);
}

static bool file_write(void *ctx, const void *data, uint64_t n) {
  gqc_blob_file *f = ctx;
  if (data && !write_at(f->fd, data, n, f->pos))
    return false;
  f->pos += n; /* zeros (data NULL): skipped, a hole until gqc_blob_file_end */
  return true;
}

/* Through memory, a MiB at a time: where copy_file_range cannot copy. */
static bool bounce_copy(gqc_blob_file *f, int fd, uint64_t off, uint64_t n) {
  uint64_t size = n < (1u << 20) ? n : (1u << 20);
  unsigned char *buf = malloc(size ? size : 1);
  bool ok = buf != NULL;
  for (uint64_t done = 0; ok && done < n; done += size) {
    uint64_t k = n - done < size ? n - done : size;
    ok = gqc_read_at(fd, buf, k, off + done) && write_at(f->fd, buf, k, f->pos + done);
  }
  free(buf);
  if (!buf)
    errno = ENOMEM;
  return ok;
}

static bool file_copy(void *ctx, int fd, uint64_t off, uint64_t n) {
  gqc_blob_file *f = ctx;
  uint64_t done = 0;
#ifdef __linux__
  while (done < n) { /* in the kernel, page cache to page cache */
    loff_t in = (loff_t)(off + done), out = (loff_t)(f->pos + done);
    size_t chunk = n - done > (1u << 30) ? (1u << 30) : (size_t)(n - done);
    ssize_t r = copy_file_range(fd, &in, f->fd, &out, chunk, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) /* not supported here (old kernel, file systems): the rest by hand */
      break;
    done += (uint64_t)r;
  }
#endif
  if (done < n && !bounce_copy(f, fd, off + done, n - done))
    return false;
  f->pos += n;
  return true;
}

gqc_blob_sink gqc_blob_file_sink(gqc_blob_file *f) {
  return (gqc_blob_sink){.write = file_write, .copy = file_copy, .ctx = f};
}

bool gqc_blob_file_end(gqc_blob_file *f) {
  return ftruncate(f->fd, (off_t)f->pos) == 0;
}
