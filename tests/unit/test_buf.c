/*
 * test_buf.c — the library's growable buffer (src/base/buf.c): appends and
 * formatted text survive growth byte for byte, the bound (`max`) holds and
 * never allocates past itself, errors are sticky, size sums cannot wrap,
 * and reading a file stops at the bound.  Also the array growth helper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static void appends_grow_and_stay_terminated(void **st)
{
    (void)st;
    mk_buf b = {0};
    assert_null(b.data);
    /* 10,000 appends of different lengths: the text is what was put */
    char expect[60000];
    size_t n = 0;
    for (int i = 0; i < 10000; i++) {
        char piece[8];
        int k = snprintf(piece, sizeof piece, "%d,", i % 997);
        assert_int_equal(mk_buf_append(&b, piece, (size_t)k), 0);
        memcpy(expect + n, piece, (size_t)k);
        n += (size_t)k;
        assert_int_equal(b.data[b.len], '\0');
    }
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, expect, n);
    assert_true(b.cap > b.len);
    /* bytes with NULs in them are kept as bytes */
    mk_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(mk_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    assert_int_equal(mk_buf_puts(&b, "cd"), 0);
    assert_memory_equal(b.data, "a\0bcd", 6);
    mk_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len + b.cap, 0);
}

static void printf_longer_than_the_room(void **st)
{
    (void)st;
    mk_buf b = {.first = 16};
    assert_int_equal(mk_buf_printf(&b, "%s=%d", "x", 42), 0);
    assert_string_equal(b.data, "x=42");
    /* longer than everything allocated so far: the second try must fit */
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(mk_buf_printf(&b, "[%s]%u", big, 7u), 0);
    assert_int_equal(b.len, 4 + 1 + 4999 + 1 + 1);
    assert_int_equal(b.data[4], '[');
    assert_int_equal(b.data[4 + 1 + 4999], ']');
    assert_string_equal(b.data + b.len - 1, "7");
    /* exactly filling the room: no byte lost at the edge */
    mk_buf c = {.first = 8};
    assert_int_equal(mk_buf_printf(&c, "%s", "1234567"), 0); /* 7 + NUL = 8 */
    assert_int_equal(c.cap, 8);
    assert_int_equal(mk_buf_printf(&c, "%s", "8"), 0);
    assert_string_equal(c.data, "12345678");
    mk_buf_free(&c);
    mk_buf_free(&b);
}

static void first_allocation_is_the_hint(void **st)
{
    (void)st;
    mk_buf b = {.first = 1000};
    assert_int_equal(mk_buf_next_cap(&b, 10), 1000);
    assert_int_equal(mk_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.cap, 1000);
    /* within the room: no growth announced */
    assert_int_equal(mk_buf_next_cap(&b, 989), 1000);
    /* one byte more: doubling */
    assert_int_equal(mk_buf_next_cap(&b, 990), 2000);
    /* reserve makes room without appending */
    assert_int_equal(mk_buf_reserve(&b, 5000), 0);
    assert_true(b.cap >= 10 + 5000 + 1);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    mk_buf_free(&b);
    /* reserve on an empty buffer gives an empty string */
    mk_buf e = {0};
    assert_int_equal(mk_buf_reserve(&e, 0), 0);
    assert_non_null(e.data);
    assert_string_equal(e.data, "");
    mk_buf_free(&e);
}

static void bound_holds_and_error_is_sticky(void **st)
{
    (void)st;
    mk_buf b = {.max = 100, .first = 64};
    char x[100];
    memset(x, 'x', sizeof x);
    assert_int_equal(mk_buf_append(&b, x, 60), 0);
    assert_int_equal(b.cap, 64);
    /* growth past the bound is clamped to max + 1, not doubled to 128 */
    assert_int_equal(mk_buf_next_cap(&b, 40), 101);
    assert_int_equal(mk_buf_append(&b, x, 40), 0);
    assert_int_equal(b.len, 100);
    assert_int_equal(b.cap, 101);
    /* one byte more is refused, the text stays */
    assert_int_equal(mk_buf_next_cap(&b, 1), 0);
    assert_int_equal(mk_buf_append(&b, "y", 1), -1);
    assert_int_equal(b.err, MK_BUF_ETOOBIG);
    assert_int_equal(b.len, 100);
    assert_int_equal(b.data[100], '\0');
    assert_int_equal(b.cap, 101);
    /* sticky: even what would fit now fails, and printf too */
    mk_buf_truncate(&b, 10);
    assert_int_equal(b.len, 10);
    assert_int_equal(b.err, MK_BUF_ETOOBIG);
    assert_int_equal(mk_buf_append(&b, "z", 1), -1);
    assert_int_equal(mk_buf_printf(&b, "%d", 1), -1);
    assert_int_equal(b.len, 10);
    /* clear forgets the error; the bound stays */
    mk_buf_clear(&b);
    assert_int_equal(b.err, MK_BUF_OK);
    assert_int_equal(mk_buf_append(&b, "z", 1), 0);
    assert_int_equal(b.max, 100);
    /* a printf past the bound fails and leaves the text terminated */
    assert_int_equal(mk_buf_printf(&b, "%0200d", 5), -1);
    assert_int_equal(b.err, MK_BUF_ETOOBIG);
    assert_string_equal(b.data, "z");
    /* take hands over what was held even after an error */
    char *t = mk_buf_take(&b);
    assert_string_equal(t, "z");
    free(t);
    assert_null(b.data);
    assert_int_equal(b.err, MK_BUF_OK);
}

static void sizes_cannot_wrap(void **st)
{
    (void)st;
    mk_buf b = {0};
    assert_int_equal(mk_buf_append(&b, "abc", 3), 0);
    /* len + SIZE_MAX would wrap to a small number: refused before any copy */
    assert_int_equal(mk_buf_next_cap(&b, SIZE_MAX), 0);
    assert_int_equal(mk_buf_next_cap(&b, SIZE_MAX - 3), 0);
    assert_int_equal(mk_buf_reserve(&b, SIZE_MAX - 2), -1);
    assert_int_equal(b.err, MK_BUF_ENOMEM);
    assert_string_equal(b.data, "abc");
    mk_buf_free(&b);
    mk_buf m = {.max = 10};
    assert_int_equal(mk_buf_reserve(&m, SIZE_MAX), -1);
    assert_int_equal(m.err, MK_BUF_ENOMEM);   /* not "too big": the sum itself wraps */
    mk_buf_free(&m);
}

static void insert_and_take(void **st)
{
    (void)st;
    mk_buf b = {.first = 4};
    assert_int_equal(mk_buf_puts(&b, "<a></a>"), 0);
    assert_int_equal(mk_buf_insert(&b, 2, " x=\"1\"", 6), 0);
    assert_string_equal(b.data, "<a x=\"1\"></a>");
    assert_int_equal(mk_buf_insert(&b, 0, "[", 1), 0);
    assert_int_equal(mk_buf_insert(&b, b.len, "]", 1), 0);
    assert_string_equal(b.data, "[<a x=\"1\"></a>]");
    assert_int_equal(mk_buf_insert(&b, b.len + 1, "!", 1), -1);
    assert_string_equal(b.data, "[<a x=\"1\"></a>]");
    char *t = mk_buf_take(&b);
    assert_string_equal(t, "[<a x=\"1\"></a>]");
    free(t);
    assert_null(b.data);
    /* an empty buffer gives an empty heap string */
    t = mk_buf_take(&b);
    assert_non_null(t);
    assert_string_equal(t, "");
    free(t);
}

static FILE *file_of(size_t n, char fill)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc(fill + (char)(i % 7), f);
    rewind(f);
    return f;
}

static void reading_files(void **st)
{
    (void)st;
    /* larger than every internal step, and appended after what was held */
    FILE *f = file_of(300000, 'a');
    mk_buf b = {0};
    assert_int_equal(mk_buf_puts(&b, "head:"), 0);
    assert_int_equal(mk_buf_read(&b, f), 0);
    assert_int_equal(b.len, 5 + 300000);
    for (size_t i = 0; i < 300000; i++)
        if (b.data[5 + i] != 'a' + (char)(i % 7))
            fail_msg("byte %zu differs", i);
    assert_int_equal(b.data[b.len], '\0');
    fclose(f);
    mk_buf_free(&b);

    /* an empty file gives an empty string */
    f = file_of(0, 'a');
    assert_int_equal(mk_buf_read(&b, f), 0);
    assert_string_equal(b.data, "");
    fclose(f);
    mk_buf_free(&b);

    /* exactly the bound: accepted; one byte more: EFBIG */
    f = file_of(5000, 'a');
    mk_buf m = {.max = 5000};
    assert_int_equal(mk_buf_read(&m, f), 0);
    assert_int_equal(m.len, 5000);
    assert_true(m.cap <= 5001);
    fclose(f);
    mk_buf_free(&m);
    f = file_of(5001, 'a');
    assert_int_equal(mk_buf_read(&m, f), EFBIG);
    assert_int_equal(m.err, MK_BUF_ETOOBIG);
    assert_int_equal(m.len, 5000);
    assert_true(m.cap <= 5001);
    fclose(f);
    mk_buf_free(&m);
}

static void arrays_grow(void **st)
{
    (void)st;
    int *v = NULL;
    size_t cap = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(mk_array_grow(&v, &cap, (size_t)i + 1, sizeof *v), 0);
        assert_true(cap >= (size_t)i + 1);
        v[i] = i * 3;
    }
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i * 3);
    /* enough room: nothing moves */
    int *before = v;
    size_t cap_before = cap;
    assert_int_equal(mk_array_grow(&v, &cap, 10, sizeof *v), 0);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, cap_before);
    /* a count times size that would wrap: refused, array unchanged */
    assert_int_equal(mk_array_grow(&v, &cap, SIZE_MAX / 2, sizeof *v), -1);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, cap_before);
    assert_int_equal(v[999], 999 * 3);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_grow_and_stay_terminated),
        cmocka_unit_test(printf_longer_than_the_room),
        cmocka_unit_test(first_allocation_is_the_hint),
        cmocka_unit_test(bound_holds_and_error_is_sticky),
        cmocka_unit_test(sizes_cannot_wrap),
        cmocka_unit_test(insert_and_take),
        cmocka_unit_test(reading_files),
        cmocka_unit_test(arrays_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
