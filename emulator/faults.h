/*
 * faults.h — the faults a test asked the emulator to inject (faults.c):
 * latency, a share of calls answered with an error code, a share of
 * connections dropped.  Lower middle layer: set by POST /_emulator/faults
 * (admin.c), read by the server for every call.
 */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

typedef struct emu_faults {
    int latency_ms;
    double error_share;
    char error_code[16];     /* "606" … or "502"/"500" for HTTP statuses */
    double drop_share;
} emu_faults;

void emu_faults_get(emu_faults *out);
void emu_faults_set(const emu_faults *f);
void emu_faults_clear(void);

/* A uniform number in [0, 1) from a per-thread generator: whether this
 * call is one of the share that fails. */
double emu_random01(void);

#endif
