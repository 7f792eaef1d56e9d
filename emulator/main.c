/*
 * main.c — marketo-emulator's command line, start-up and shutdown.
 *
 *   marketo-emulator --listen HOST:PORT --client-id ID --client-secret SECRET
 *                    [--seed FILE] [--token-ttl SECONDS] [--rate-limit N/SECONDS]
 *                    [--concurrency N] [--daily-quota N]
 *                    [--synthetic-leads N] [--threads N]
 *   marketo-emulator --list-routes
 *   marketo-emulator --version
 *
 * The command line is fixed by design.md (tests, documentation and operators
 * rely on it); the last two options are additions for benchmarks.  When the
 * server is ready it prints exactly one line, "listening on http://HOST:PORT"
 * (with the real port when 0 was asked for), and flushes it: test harnesses
 * wait for that line.  SIGINT/SIGTERM stop it cleanly, freeing everything so
 * that leak checkers stay quiet.
 */
#include "config.h"
#include "limits.h"
#include "router.h"
#include "seed.h"
#include "server.h"
#include "stats.h"
#include "store.h"

#include "base/datapath.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef MKTOWS_VERSION
#define MKTOWS_VERSION "unknown"
#endif

/* The seed used without --seed: share/marketo-emulator/seed.json of the
 * install (or the build tree's staged copy), see base/datapath.c. */
static char default_seed[4096];

emu_config emu_cfg;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: marketo-emulator --listen HOST:PORT --client-id ID --client-secret SECRET\n"
            "                        [--seed FILE] [--token-ttl SECONDS] [--rate-limit N/SECONDS]\n"
            "                        [--concurrency N] [--daily-quota N]\n"
            "                        [--synthetic-leads N] [--threads N]\n"
            "       marketo-emulator --list-routes\n"
            "       marketo-emulator --version\n"
            "  --rate-limit, --concurrency and --daily-quota accept 0 or 'off' to disable.\n"
            "  defaults: --rate-limit 100/20 --concurrency 10 --daily-quota 50000\n"
            "            --token-ttl 3600 --seed %s\n",
            default_seed);
}

static int fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "marketo-emulator: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run with --help for usage)\n");
    return 2;
}

/* Non-negative integer within [min, max]; "off" means 0 when allowed. */
static bool parse_long(const char *s, long min, long max, bool off_ok, long *out)
{
    if (off_ok && !strcasecmp(s, "off")) {
        *out = 0;
        return true;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_listen(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return false;
    size_t hl = (size_t)(colon - s);
    const char *h = s;
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') { /* [::1]:8080 */
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof emu_cfg.host)
        return false;
    memcpy(emu_cfg.host, h, hl);
    emu_cfg.host[hl] = '\0';
    long port;
    if (!parse_long(colon + 1, 0, 65535, false, &port))
        return false;
    emu_cfg.port = (int)port;
    return true;
}

int main(int argc, char **argv)
{
    enum { O_LISTEN = 1, O_ID, O_SECRET, O_SEED, O_TTL, O_RATE, O_CONC, O_QUOTA, O_SYN,
           O_THREADS, O_ROUTES, O_HELP, O_VERSION };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"client-id", required_argument, NULL, O_ID},
        {"client-secret", required_argument, NULL, O_SECRET},
        {"seed", required_argument, NULL, O_SEED},
        {"token-ttl", required_argument, NULL, O_TTL},
        {"rate-limit", required_argument, NULL, O_RATE},
        {"concurrency", required_argument, NULL, O_CONC},
        {"daily-quota", required_argument, NULL, O_QUOTA},
        {"synthetic-leads", required_argument, NULL, O_SYN},
        {"threads", required_argument, NULL, O_THREADS},
        {"list-routes", no_argument, NULL, O_ROUTES},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    (void)mk_datapath("marketo-emulator", "seed.json", default_seed, sizeof default_seed);
    emu_cfg.seed_path = default_seed;
    emu_cfg.token_ttl = 3600;
    emu_cfg.rate_n = 100;
    emu_cfg.rate_secs = 20;
    emu_cfg.concurrency = 10;
    emu_cfg.daily_quota = 50000;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    emu_cfg.threads = ncpu > 0 ? (int)ncpu : 2;
    bool listen_set = false, list_routes = false;
    long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case O_LISTEN:
            if (!parse_listen(a))
                return fail("--listen wants HOST:PORT (PORT 0..65535), got '%s'", a);
            listen_set = true;
            break;
        case O_ID: emu_cfg.client_id = a; break;
        case O_SECRET: emu_cfg.client_secret = a; break;
        case O_SEED: emu_cfg.seed_path = a; break;
        case O_TTL:
            if (!parse_long(a, 1, 86400 * 365, false, &v))
                return fail("--token-ttl wants a number of seconds >= 1, got '%s'", a);
            emu_cfg.token_ttl = (int)v;
            break;
        case O_RATE: {
            if (!strcasecmp(a, "off") || !strcmp(a, "0")) {
                emu_cfg.rate_n = 0;
                break;
            }
            const char *slash = strchr(a, '/');
            char n[32];
            long secs;
            if (!slash || (size_t)(slash - a) >= sizeof n)
                return fail("--rate-limit wants N/SECONDS (e.g. 100/20) or 'off', got '%s'", a);
            memcpy(n, a, (size_t)(slash - a));
            n[slash - a] = '\0';
            if (!parse_long(n, 0, 10000000, false, &v) ||
                !parse_long(slash + 1, 1, 86400, false, &secs))
                return fail("--rate-limit wants N/SECONDS (e.g. 100/20) or 'off', got '%s'", a);
            emu_cfg.rate_n = (int)v;
            emu_cfg.rate_secs = (int)secs;
            break;
        }
        case O_CONC:
            if (!parse_long(a, 0, 1000000, true, &v))
                return fail("--concurrency wants a number >= 0 or 'off', got '%s'", a);
            emu_cfg.concurrency = (int)v;
            break;
        case O_QUOTA:
            if (!parse_long(a, 0, LONG_MAX, true, &v))
                return fail("--daily-quota wants a number >= 0 or 'off', got '%s'", a);
            emu_cfg.daily_quota = v;
            break;
        case O_SYN:
            if (!parse_long(a, 0, 10000000, false, &v))
                return fail("--synthetic-leads wants 0..10000000, got '%s'", a);
            emu_cfg.synthetic_leads = v;
            break;
        case O_THREADS:
            if (!parse_long(a, 1, 256, false, &v))
                return fail("--threads wants 1..256, got '%s'", a);
            emu_cfg.threads = (int)v;
            break;
        case O_ROUTES: list_routes = true; break;
        case O_HELP: usage(stdout); return 0;
        case O_VERSION: printf("marketo-emulator %s\n", MKTOWS_VERSION); return 0;
        default:
            return fail("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail("unexpected argument '%s'", argv[optind]);

    if (emu_routes_init()) {
        fprintf(stderr, "marketo-emulator: out of memory\n");
        return 1;
    }
    if (list_routes) {
        emu_routes_print();
        emu_routes_free();
        return 0;
    }
    if (!listen_set || !emu_cfg.client_id || !emu_cfg.client_secret) {
        emu_routes_free();
        return fail("%s", "--listen, --client-id and --client-secret are required");
    }
    if (!*emu_cfg.client_id || !*emu_cfg.client_secret) {
        emu_routes_free();
        return fail("%s", "--client-id and --client-secret must not be empty");
    }

    char err[512] = "";
    if (emu_seed_init(err, sizeof err)) {
        fprintf(stderr, "marketo-emulator: %s\n", err);
        emu_seed_free();
        emu_routes_free();
        return 1;
    }
    emu_store_init();
    emu_store_wrlock();
    int rc = emu_store_load(emu_seed(), err, sizeof err);
    emu_store_unlock();
    if (rc) {
        fprintf(stderr, "marketo-emulator: seed %s: %s\n", emu_cfg.seed_path, err);
        emu_store_free();
        emu_seed_free();
        emu_routes_free();
        return 1;
    }
    if (emu_stats_init(emu_route_count())) {
        fprintf(stderr, "marketo-emulator: out of memory\n");
        emu_store_free();
        emu_seed_free();
        emu_routes_free();
        return 1;
    }

    /* Block the stop signals before any thread starts so that only the
     * sigwait below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int port = 0;
    if (emu_server_start(&port)) {
        emu_stats_free();
        emu_store_free();
        emu_seed_free();
        emu_routes_free();
        return 1;
    }
    bool v6 = strchr(emu_cfg.host, ':') != NULL;
    printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", emu_cfg.host, v6 ? "]" : "", port);
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);

    emu_server_stop();
    emu_stats_free();
    emu_limits_free();
    emu_store_free();
    emu_seed_free();
    emu_routes_free();
    return 0;
}
