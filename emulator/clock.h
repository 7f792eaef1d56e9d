/*
 * clock.h — time as the emulator reads and prints it, in the bottom layer
 * (it includes nothing of the emulator's): epoch milliseconds, and the
 * ISO-8601 forms of Marketo's REST API.
 */
#ifndef EMU_CLOCK_H
#define EMU_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Wall-clock time in epoch milliseconds. */
int64_t emu_now_ms(void);
/* Current time as Marketo prints it: "2026-11-28T12:13:10Z". */
void emu_now_iso(char out[32]);
/* Epoch milliseconds as Marketo prints a time (UTC, whole seconds). */
void emu_format_iso(int64_t ms, char out[32]);
/* ISO-8601 → epoch ms; accepts "T" or " " between date and time, seconds and
 * fractions optional, Z, ±hh:mm, ±hhmm, "Z+0000" (Asset API), date only. */
bool emu_parse_iso(const char *s, int64_t *ms);

#endif
