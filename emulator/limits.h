/*
 * limits.h — Marketo's call limits (limits.c): the rate window (606), the
 * daily quota (607) and the count of calls in flight (615).  Lower middle
 * layer: the server asks, the reset endpoint clears.
 */
#ifndef EMU_LIMITS_H
#define EMU_LIMITS_H

#include <stddef.h>

/* Record one call counted against the limits.  Returns NULL when it may
 * proceed, else the error code ("607", "606") and fills msg. */
const char *emu_limits_admit(char *msg, size_t msgsz);
/* In-flight accounting: enter returns the new in-flight count. */
int emu_inflight_enter(void);
void emu_inflight_leave(void);
void emu_limits_reset(void);
void emu_limits_free(void);

#endif
