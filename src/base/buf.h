/*
 * buf.h — the library's one growable byte buffer.
 *
 * URLs and response bodies in rest/, the request body in server/, the
 * configuration file, the gate's canonical document, the engine's output,
 * a REST transcript, CSV cells and /metrics text all grow text of unknown
 * length; each had its own doubling loop before this file.  One buffer
 * means one place where the size arithmetic is checked against overflow.
 *
 * Rules:
 *  - zero-initialise ({0}); the text is NUL-terminated as soon as anything
 *    was reserved or appended, so it can go to string functions as is;
 *  - `max` (0: none) bounds the bytes held; growth past it fails with
 *    MK_BUF_ETOOBIG and the capacity never goes past max + 1, so a bounded
 *    buffer never allocates more than its bound;
 *  - `first` (0: 256) is the capacity of the first allocation, e.g. a body's
 *    announced length, so a known size is allocated once;
 *  - an error is sticky (`err`): later appends do nothing and fail, so a
 *    caller that builds a long text may check once at the end.
 * The emulator keeps its own (emulator/buf.c): it is a separate program.
 */
#ifndef MK_BASE_BUF_H
#define MK_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum { MK_BUF_OK = 0, MK_BUF_ENOMEM = 1, MK_BUF_ETOOBIG = 2 };

typedef struct mk_buf {
    char *data;    /* NULL until the first growth; NUL-terminated after */
    size_t len;    /* bytes held, not counting the NUL */
    size_t cap;    /* bytes allocated */
    size_t max;    /* set by the owner: the most bytes len may reach, 0 = no bound */
    size_t first;  /* set by the owner: first allocation, 0 = 256 */
    int err;       /* MK_BUF_OK, or the first error (sticky) */
} mk_buf;

/* The capacity an append of `more` bytes would leave the buffer with: cap
 * when it fits, else what the next growth allocates; 0 when it would pass
 * `max` or size_t.  For owners that must account for memory before it is
 * taken (server/server.c charges the connection budget). */
size_t mk_buf_next_cap(const mk_buf *b, size_t more);

/* Make room for `more` bytes (and the NUL) without appending.  0, or -1 with
 * b->err set. */
int mk_buf_reserve(mk_buf *b, size_t more);

/* Append `n` bytes.  0, or -1 with b->err set (the buffer keeps what it
 * held before).  Inline while the bytes fit: the gate appends every token
 * of a request through it. */
int mk_buf_append_grow(mk_buf *b, const void *p, size_t n);
static inline int mk_buf_append(mk_buf *b, const void *p, size_t n)
{
    if (b->err || !b->data || n >= b->cap - b->len)
        return mk_buf_append_grow(b, p, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static inline int mk_buf_puts(mk_buf *b, const char *s)
{
    return mk_buf_append(b, s, strlen(s));
}

/* Insert `n` bytes at offset `at`, moving what follows.  0, or -1: at is
 * past the end, or b->err is set. */
int mk_buf_insert(mk_buf *b, size_t at, const void *p, size_t n);

/* Append formatted text.  0, or -1 with b->err set. */
int mk_buf_printf(mk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mk_buf_vprintf(mk_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Append everything `f` has left to read.  0, or an errno value: EIO when
 * reading failed, ENOMEM / EFBIG when the buffer could not grow. */
int mk_buf_read(mk_buf *b, FILE *f);

/* Empty the buffer and clear its error; the memory is kept for reuse. */
void mk_buf_clear(mk_buf *b);

/* Cut the text back to its first `len` bytes (no-op when it is shorter);
 * an error stays: what was cut is not what failed. */
void mk_buf_truncate(mk_buf *b, size_t len);

/* Release the memory; the buffer is empty and error-free again (max and
 * first are kept). */
void mk_buf_free(mk_buf *b);

/* The text, owned by the caller from now on (free()); an empty buffer gives
 * "" on the heap, NULL only when that fails.  After an error the text is
 * what was held before it (check err first when only the whole text will
 * do).  The buffer is left empty and error-free. */
char *mk_buf_take(mk_buf *b);

/* Grow an array of `size`-byte elements to hold at least `n`: doubling
 * from 16, checked against overflow.  0, or -1 (the array is unchanged).
 * Arrays of records (report rows, statistics rows, gate tables) are not
 * text, but their growth is the same arithmetic. */
int mk_array_grow(void *arr, size_t *cap, size_t n, size_t size);

#endif /* MK_BASE_BUF_H */
