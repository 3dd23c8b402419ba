/* test_support.c — support/: escaping untrusted text for messages, opening
 * inputs (regular files only, never blocking, bounded reads), the list of
 * inputs no output may replace (also at commit time, driver/outputs.c), the
 * sizes in out-of-memory messages, and the small building blocks (the
 * growable string, markup escaping, the bump allocator, growable arrays).
 */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "driver/outputs.h"
#include "ir/diag.h"
#include "support/bump_alloc.h"
#include "support/escape.h"
#include "support/input_file.h"
#include "support/markup_text.h"
#include "support/strbuf.h"
#include "support/xalloc.h"

static char tmpdir[256];

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static char *path_in(const char *name) {
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

/* ---- escaping ----------------------------------------------------------- */

static const char *esc(const char *s, size_t len) {
  static char out[512];
  gqc_escape(out, sizeof out, s, len);
  return out;
}

static void test_escape(void **state) {
  (void)state;
  assert_string_equal(esc("plain text, \\ and ~", 19), "plain text, \\ and ~");
  assert_string_equal(esc("a\nb", 3), "a\\x0ab");
  assert_string_equal(esc("\x1b[2J\a", 5), "\\x1b[2J\\x07");
  assert_string_equal(esc("\x7f", 1), "\\x7f");
  assert_string_equal(esc("a\0b", 3), "a\\x00b");
  /* valid UTF-8 as code points, invalid bytes one by one */
  assert_string_equal(esc("\xc3\xa9", 2), "\\u{e9}");
  assert_string_equal(esc("\xe2\x80\xae", 3), "\\u{202e}"); /* RIGHT-TO-LEFT OVERRIDE */
  assert_string_equal(esc("\xf0\x9f\x98\x80", 4), "\\u{1f600}");
  assert_string_equal(esc("\xc2\x9b", 2), "\\u{9b}"); /* C1 CSI */
  assert_string_equal(esc("\xff\xfe", 2), "\\xff\\xfe");
  assert_string_equal(esc("\xc0\xaf", 2), "\\xc0\\xaf");                   /* overlong '/' */
  assert_string_equal(esc("\xed\xa0\x80", 3), "\\xed\\xa0\\x80");          /* surrogate */
  assert_string_equal(esc("\xf4\x90\x80\x80", 4), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
  assert_string_equal(esc("\xc3", 1), "\\xc3");                            /* truncated */
  assert_string_equal(esc("\x9b", 1), "\\x9b");                            /* stray */
  /* idempotent: the result is printable ASCII */
  char once[64], twice[64];
  gqc_escape_str(once, sizeof once, "x\n\x1b\xff\xc3\xa9");
  gqc_escape_str(twice, sizeof twice, once);
  assert_string_equal(once, twice);
  /* a sequence that does not fit is left out whole; always terminated */
  char small[6];
  assert_int_equal(gqc_escape(small, sizeof small, "ab\ncd", 5), 2);
  assert_string_equal(small, "ab");
  char one[1];
  assert_int_equal(gqc_escape(one, sizeof one, "abc", 3), 0);
  assert_string_equal(one, "");
}

static void test_diag_escapes(void **state) {
  (void)state;
  gqc_diag d = {0};
  assert_false(gqc_error(&d, "architecture '%s'", "x\ny\x1b]0;t\a"));
  assert_string_equal(d.msg, "architecture 'x\\x0ay\\x1b]0;t\\x07'");
}

/* ---- opening inputs ----------------------------------------------------- */

static void expect_refused(const char *path, const char *why_part) {
  char why[256] = "";
  uint64_t size;
  assert_int_equal(gqc_input_open(path, &size, why, sizeof why), -1);
  if (!strstr(why, why_part))
    fail_msg("%s: '%s' lacks '%s'", path, why, why_part);
  size_t len;
  assert_null(gqc_input_read(path, 1 << 20, &len, why, sizeof why));
  if (!strstr(why, why_part))
    fail_msg("%s: '%s' lacks '%s'", path, why, why_part);
}

static void test_special_files_refused(void **state) {
  (void)state;
  char *fifo = path_in("fifo");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  expect_refused(fifo, "not a regular file (a FIFO)"); /* at once: nobody writes to it */
  expect_refused(tmpdir, "not a regular file (a directory)");
  expect_refused("/dev/zero", "not a regular file (a character device)");
  expect_refused(path_in("missing"), "No such file or directory");
  unlink(fifo);
}

static void test_read_bounded(void **state) {
  (void)state;
  char *p = path_in("text");
  write_file(p, "0123456789");
  char why[256];
  size_t len = 0;
  char *t = gqc_input_read(p, 10, &len, why, sizeof why);
  assert_non_null(t);
  assert_int_equal(len, 10);
  assert_string_equal(t, "0123456789"); /* NUL-terminated */
  free(t);
  assert_null(gqc_input_read(p, 9, &len, why, sizeof why));
  assert_non_null(strstr(why, "more than the 9 allowed"));
  write_file(p, "");
  t = gqc_input_read(p, 10, &len, why, sizeof why);
  assert_non_null(t);
  assert_int_equal(len, 0);
  free(t);
  unlink(p);
}

/* ---- outputs never replace inputs ---------------------------------------- */

static void test_output_is_input(void **state) {
  (void)state;
  gqc_inputs_forget();
  char *in = path_in("model.gguf"), *other = path_in("other.o");
  write_file(in, "model");
  char why[256], msg[1024];
  uint64_t size;
  int fd = gqc_input_open(in, &size, why, sizeof why);
  assert_true(fd >= 0);
  close(fd);
  assert_true(gqc_input_check_output(other, msg, sizeof msg));
  assert_false(gqc_input_check_output(in, msg, sizeof msg));
  assert_non_null(strstr(msg, "refusing to write"));
  /* the same file under another name: a symlink, a hard link, a path with .. */
  char *sym = path_in("sym.o"), *hard = path_in("hard.o"), *dotdot = path_in("../");
  assert_int_equal(symlink(in, sym), 0);
  assert_int_equal(link(in, hard), 0);
  assert_false(gqc_input_check_output(sym, msg, sizeof msg));
  assert_false(gqc_input_check_output(hard, msg, sizeof msg));
  assert_non_null(strstr(msg, "(the same file)"));
  const char *base = strrchr(tmpdir, '/') + 1;
  char dd[600];
  snprintf(dd, sizeof dd, "%s%s/model.gguf", dotdot, base);
  assert_false(gqc_input_check_output(dd, msg, sizeof msg));
  unlink(sym);
  unlink(hard);
  gqc_inputs_forget();
  assert_true(gqc_input_check_output(in, msg, sizeof msg));
  unlink(in);
}

/* The commit checks again: an input that appeared under an output's name
 * after the plan was checked is not replaced, and nothing is left behind. */
static void test_commit_refuses_input(void **state) {
  (void)state;
  gqc_inputs_forget();
  char *in = path_in("m.o");
  write_file(in, "the input");
  gqc_outputs out;
  gqc_diag d = {0};
  char staged[8192];
  assert_true(gqc_outputs_begin_for(&out, in, staged, sizeof staged, &d));
  write_file(staged, "an output");
  gqc_input_note(in); /* now m.o is an input */
  assert_false(gqc_outputs_commit(&out, &d));
  assert_non_null(strstr(d.msg, "refusing to write"));
  char why[64];
  size_t len;
  char *t = gqc_input_read(in, 100, &len, why, sizeof why);
  assert_non_null(t);
  assert_string_equal(t, "the input");
  free(t);
  unlink(in);
  gqc_inputs_forget();
}

static void test_planned_outputs_distinct(void **state) {
  (void)state;
  gqc_inputs_forget();
  const char *a[2] = {path_in("x.h"), path_in("./x.h")};
  gqc_diag d = {0};
  assert_false(gqc_outputs_check_planned(a, 2, &d));
  assert_non_null(strstr(d.msg, "two outputs would both be written to"));
}

/* ---- sizes in memory messages ---------------------------------------------- */

static void test_format_bytes(void **state) {
  (void)state;
  char b[64];
  assert_string_equal(gqc_format_bytes(512, b, sizeof b), "512 bytes");
  assert_string_equal(gqc_format_bytes(UINT64_C(4) << 30, b, sizeof b),
                      "4.0 GiB (4294967296 bytes)");
  assert_string_equal(gqc_format_bytes(1536, b, sizeof b), "1.5 KiB (1536 bytes)");
}

/* Under AddressSanitizer, an impossible allocation returns NULL (as it
 * does without it) instead of aborting, so the test sees gqc's message. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "allocator_may_return_null=1";
}

/* An allocation that cannot succeed ends the process with status 1 and one
 * line naming what and how much (run in a child, stderr through a pipe). */
static void test_out_of_memory_message(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    gqc_xmalloc(SIZE_MAX / 2, "a test buffer");
    _exit(99); /* not reached */
  }
  close(fds[1]);
  char out[1024] = "";
  size_t n = 0;
  for (ssize_t r; (r = read(fds[0], out + n, sizeof out - 1 - n)) > 0;)
    n += (size_t)r;
  close(fds[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  assert_true(n > 0);
  /* (AddressSanitizer may print a warning line of its own first) */
  const char *want = "gqc: error: out of memory: cannot allocate 8.0 EiB "
                     "(9223372036854775807 bytes) for a test buffer\n";
  assert_true(n >= strlen(want));
  assert_string_equal(out + n - strlen(want), want);
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "%s/gqc_test_support_XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  return rmdir(tmpdir);
}

/* Appends grow the string past its first allocation, keep it terminated and
 * keep every earlier byte. */
static void test_strbuf(void **state) {
  (void)state;
  gqc_strbuf b = {0};
  assert_null(b.s);
  gqc_strbuf_printf(&b, "%s", "");
  assert_non_null(b.s);
  assert_string_equal(b.s, "");
  for (int i = 0; i < 1000; i++)
    gqc_strbuf_printf(&b, "%d,", i);
  assert_false(b.oom);
  assert_int_equal(b.n, strlen(b.s));
  assert_true(b.cap > b.n);
  assert_int_equal(strncmp(b.s, "0,1,2,3,", 8), 0);
  assert_string_equal(b.s + b.n - 8, "998,999,");
  free(b.s);
}

/* Markup text: the four entities, the apostrophe only when asked, control
 * characters dropped, UTF-8 kept. */
static void test_markup_text(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  gqc_put_markup_text(f, "a<b>&\"c'\x01\n\xc3\xa9", false);
  fputc('|', f);
  gqc_put_markup_text(f, "'", true);
  assert_int_equal(fclose(f), 0);
  assert_string_equal(text, "a&lt;b&gt;&amp;&quot;c'\xc3\xa9|&apos;");
  free(text);
}

/* Blocks are zeroed, 16-byte aligned, distinct, and survive the chain
 * growing; a block larger than a chunk gets a chunk of its own. */
static void test_bump_alloc(void **state) {
  (void)state;
  gqc_bump_chunk *chain = NULL;
  unsigned char *blocks[100];
  for (int i = 0; i < 100; i++) {
    size_t taken = 0;
    blocks[i] = gqc_bump_alloc(&chain, (size_t)i + 1, 256, "test blocks", &taken);
    assert_int_equal((uintptr_t)blocks[i] % 16, 0);
    assert_int_equal(taken, ((size_t)i + 1 + 15) / 16 * 16);
    for (int k = 0; k <= i; k++)
      assert_int_equal(blocks[i][k], 0);
    memset(blocks[i], i + 1, (size_t)i + 1);
  }
  unsigned char *big = gqc_bump_alloc(&chain, 4096, 256, "test blocks", NULL);
  memset(big, 0xEE, 4096);
  for (int i = 0; i < 100; i++)
    for (int k = 0; k <= i; k++)
      assert_int_equal(blocks[i][k], i + 1);
  gqc_bump_free(chain);
}

/* gqc_grow: unchanged when there is room, else the first power-of-two
 * multiple of `first` (or of the capacity) that holds `need`, contents kept. */
static void test_grow(void **state) {
  (void)state;
  int cap = 0;
  int *a = gqc_grow(NULL, sizeof *a, &cap, 3, 4);
  assert_non_null(a);
  assert_int_equal(cap, 4);
  for (int i = 0; i < 4; i++)
    a[i] = i;
  assert_ptr_equal(gqc_grow(a, sizeof *a, &cap, 4, 4), a);
  assert_int_equal(cap, 4);
  a = gqc_grow(a, sizeof *a, &cap, 9, 4);
  assert_non_null(a);
  assert_int_equal(cap, 16);
  for (int i = 0; i < 4; i++)
    assert_int_equal(a[i], i);
  free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_diag_escapes),
      cmocka_unit_test(test_special_files_refused),
      cmocka_unit_test(test_read_bounded),
      cmocka_unit_test(test_output_is_input),
      cmocka_unit_test(test_commit_refuses_input),
      cmocka_unit_test(test_planned_outputs_distinct),
      cmocka_unit_test(test_format_bytes),
      cmocka_unit_test(test_out_of_memory_message),
      cmocka_unit_test(test_strbuf),
      cmocka_unit_test(test_markup_text),
      cmocka_unit_test(test_bump_alloc),
      cmocka_unit_test(test_grow),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
