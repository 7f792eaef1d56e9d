/*
 * buf.c — the growable byte buffer of buf.h: growth by doubling, bounded by
 * the owner's `max`, every size sum checked before it is made.
 */
#include "base/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

size_t mk_buf_next_cap(const mk_buf *b, size_t more)
{
    if (more > SIZE_MAX - 1 - b->len)
        return 0;
    size_t need = b->len + more + 1;   /* bytes and the NUL */
    if (b->max && need > b->max + 1)
        return 0;
    if (need <= b->cap)
        return b->cap;
    size_t cap = b->cap ? b->cap : b->first ? b->first : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return b->max ? 0 : need;
        cap *= 2;
    }
    if (b->max && cap > b->max + 1)
        cap = b->max + 1;   /* need <= max + 1: no use doubling past the bound */
    return cap;
}

int mk_buf_reserve(mk_buf *b, size_t more)
{
    if (b->err)
        return -1;
    size_t cap = mk_buf_next_cap(b, more);
    if (!cap) {
        b->err = b->max && more <= SIZE_MAX - 1 - b->len ? MK_BUF_ETOOBIG : MK_BUF_ENOMEM;
        return -1;
    }
    if (cap > b->cap || !b->data) {
        char *p = realloc(b->data, cap);
        if (!p) {
            b->err = MK_BUF_ENOMEM;
            return -1;
        }
        if (!b->data)
            p[0] = '\0';
        b->data = p;
        b->cap = cap;
    }
    return 0;
}

int mk_buf_append_grow(mk_buf *b, const void *p, size_t n)
{
    if (mk_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int mk_buf_insert(mk_buf *b, size_t at, const void *p, size_t n)
{
    if (at > b->len || mk_buf_reserve(b, n) != 0)
        return -1;
    memmove(b->data + at + n, b->data + at, b->len - at + 1);  /* with the NUL */
    memcpy(b->data + at, p, n);
    b->len += n;
    return 0;
}

int mk_buf_vprintf(mk_buf *b, const char *fmt, va_list ap)
{
    if (b->err)
        return -1;
    /* Try in the room there is; when it is too small, the first try told
     * how much is needed and the second one fits. */
    for (int tries = 0; tries < 2; tries++) {
        size_t room = b->cap > b->len ? b->cap - b->len : 0;
        va_list aq;
        va_copy(aq, ap);
        int k = vsnprintf(room ? b->data + b->len : NULL, room, fmt, aq);
        va_end(aq);
        if (k < 0) {
            if (b->data)
                b->data[b->len] = '\0';
            b->err = MK_BUF_ENOMEM;   /* vsnprintf fails only on encoding or size */
            return -1;
        }
        if ((size_t)k < room) {
            b->len += (size_t)k;
            return 0;
        }
        if (mk_buf_reserve(b, (size_t)k) != 0) {
            if (b->data)
                b->data[b->len] = '\0';   /* a cut first try wrote past len */
            return -1;
        }
    }
    return -1;  /* not reached: the second try has room */
}

int mk_buf_printf(mk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = mk_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int mk_buf_read(mk_buf *b, FILE *f)
{
    for (;;) {
        if (b->err)
            return b->err == MK_BUF_ETOOBIG ? EFBIG : ENOMEM;
        if (b->max && b->len == b->max) {
            /* full: only the end of the file is welcome now */
            if (fgetc(f) == EOF)
                return ferror(f) ? EIO : 0;
            b->err = MK_BUF_ETOOBIG;
            return EFBIG;
        }
        if (b->cap - b->len < 2 || !b->data) {
            /* read into the buffer itself: grow by its own size, 4 KiB at least */
            size_t more = b->len > 4096 ? b->len : 4096;
            if (b->max && more > b->max - b->len)
                more = b->max - b->len;
            if (mk_buf_reserve(b, more) != 0)
                return b->err == MK_BUF_ETOOBIG ? EFBIG : ENOMEM;
        }
        size_t room = b->cap - b->len - 1;
        size_t n = fread(b->data + b->len, 1, room, f);
        b->len += n;
        b->data[b->len] = '\0';
        if (n < room)
            return ferror(f) ? EIO : 0;
    }
}

void mk_buf_clear(mk_buf *b)
{
    b->len = 0;
    b->err = MK_BUF_OK;
    if (b->data)
        b->data[0] = '\0';
}

void mk_buf_truncate(mk_buf *b, size_t len)
{
    if (len >= b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

void mk_buf_free(mk_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = MK_BUF_OK;
}

char *mk_buf_take(mk_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = MK_BUF_OK;
    return p;
}

int mk_array_grow(void *arr, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < n) {
        if (nc > SIZE_MAX / 2)
            return -1;
        nc *= 2;
    }
    if (size && nc > SIZE_MAX / size)
        return -1;
    void *old;
    memcpy(&old, arr, sizeof old);
    void *p = realloc(old, nc * size);
    if (!p)
        return -1;
    memcpy(arr, &p, sizeof p);
    *cap = nc;
    return 0;
}
