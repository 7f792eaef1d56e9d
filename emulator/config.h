/*
 * config.h — the emulator's settings, filled once by main.c from the command
 * line before any thread starts and only read afterwards, so they need no
 * lock.  Bottom layer: it includes nothing of the emulator's.
 */
#ifndef EMU_CONFIG_H
#define EMU_CONFIG_H

typedef struct emu_config {
    char host[256];
    int port;
    const char *client_id;
    const char *client_secret;
    const char *seed_path;
    int token_ttl;           /* seconds */
    int rate_n, rate_secs;   /* rate_n 0 → no rate limit */
    int concurrency;         /* 0 → unlimited */
    long daily_quota;        /* 0 → unlimited */
    long synthetic_leads;    /* extra generated leads appended to the seed */
    int threads;             /* libmicrohttpd thread pool size */
} emu_config;

extern emu_config emu_cfg;   /* defined in main.c */

#endif
