/*
 * buf.c — the growable text buffer (buf.h).  Capacity doubles from 256
 * bytes, so a body of n bytes costs O(log n) reallocations.
 */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `more` bytes and the NUL. */
static int reserve(emu_buf *b, size_t more)
{
    if (b->oom)
        return -1;
    if (more > (size_t)-1 / 2 - b->n) {
        b->oom = true;
        return -1;
    }
    size_t need = b->n + more + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

int emu_buf_put(emu_buf *b, const void *p, size_t n)
{
    if (reserve(b, n))
        return -1;
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

int emu_buf_str(emu_buf *b, const char *s) { return emu_buf_put(b, s, strlen(s)); }

void emu_buf_clear(emu_buf *b)
{
    b->n = 0;
    if (b->s)
        b->s[0] = '\0';
}

void emu_buf_free(emu_buf *b)
{
    free(b->s);
    *b = (emu_buf){0};
}

char *emu_buf_take(emu_buf *b)
{
    char *s = b->oom ? NULL : b->s;
    if (!s && !b->oom)
        s = strdup("");
    if (b->oom)
        free(b->s);
    *b = (emu_buf){0};
    return s;
}

int emu_buf_read_file(emu_buf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    size_t r;
    do {
        /* Read straight into the buffer, 64 KiB at a time at least. */
        if (reserve(b, b->cap - b->n > 65536 ? b->cap - b->n - 1 : 65536))
            break;
        r = fread(b->s + b->n, 1, b->cap - b->n - 1, f);
        b->n += r;
        b->s[b->n] = '\0';
    } while (r > 0);
    int err = b->oom ? ENOMEM : ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    return err;
}
