/*
 * buf.h — the emulator's one growable text buffer, at the bottom of its
 * layers (it includes nothing of the emulator's).
 *
 * Request bodies, the comma-joined values of a repeated parameter, the
 * seed file and the failure/warning files of a bulk import all grow text of
 * unknown length; each had its own doubling loop before this file.  The
 * buffer is always NUL-terminated once anything was put in it, so its text
 * can be handed to string functions and to cJSON as is.
 *
 * A failed allocation is sticky (`oom`): later puts do nothing, so a caller
 * that builds a long text may check once at the end.
 */
#ifndef EMU_BUF_H
#define EMU_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct emu_buf {
    char *s;                 /* NULL until the first put; then NUL-terminated */
    size_t n;                /* bytes held, not counting the NUL */
    size_t cap;
    bool oom;
} emu_buf;

/* Append `n` bytes; 0, or -1 when memory ran out (now or before). */
int emu_buf_put(emu_buf *b, const void *p, size_t n);
int emu_buf_str(emu_buf *b, const char *s);
/* Empty the buffer and keep its memory for reuse. */
void emu_buf_clear(emu_buf *b);
void emu_buf_free(emu_buf *b);
/* The text, owned by the caller from now on (never NULL unless out of
 * memory: an empty buffer gives ""); the buffer is left empty. */
char *emu_buf_take(emu_buf *b);

/* Append the whole file at `path`: 0, or an errno value (ENOMEM when memory
 * ran out). */
int emu_buf_read_file(emu_buf *b, const char *path);

#endif
