/*
 * main.c — the mktows-shim program: command line, signals, and the ready
 * line.  Everything else is the library (include/mktows.h).
 *
 *   mktows-shim --config FILE [--listen HOST:PORT]
 *   mktows-shim --check-config FILE
 *   mktows-shim --explain [OPERATION]
 *   mktows-shim --explain-request FILE.xml
 *   mktows-shim report [--since …] [--until …] [--format html|md|json] LOGFILE…
 *   mktows-shim --version
 *
 * Prints `listening on http://HOST:PORT` (https:// with TLS) on stdout
 * once requests are accepted, then `metrics on http://HOST:PORT/metrics`
 * when metrics.listen gives them an address of their own; on SIGHUP
 * reopens the usage log (log rotation) and reloads the configuration file
 * (soap_users, log settings; see mktows_server_reload); stops cleanly on
 * SIGINT/SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"   /* reading a request file: the library's buffer, not a copy */
#include "mktows.h"

#ifndef MKTOWS_VERSION
#define MKTOWS_VERSION "unknown"
#endif

extern char **environ;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mktows-shim --config FILE [--listen HOST:PORT]\n"
            "       mktows-shim --check-config FILE\n"
            "       mktows-shim --explain [OPERATION]\n"
            "       mktows-shim --explain-request FILE.xml\n"
            "       mktows-shim report [--since DATE] [--until DATE] [--format html|md|json]\n"
            "                          [--quota N] [--output FILE] LOGFILE...\n"
            "       mktows-shim --version\n"
            "\n"
            "Serves Marketo's retired SOAP API (mktows) from the Marketo REST API.\n"
            "Every configuration key can also be set by a MKTOWS_* environment\n"
            "variable (see README.md); --listen overrides both.\n"
            "--check-config validates FILE (and the environment) and prints the\n"
            "effective configuration, secrets masked; exit status 1 on errors.\n"
            "SIGHUP reopens the usage log and reloads soap_users and log settings.\n"
            "--explain prints what each SOAP operation becomes in REST;\n"
            "--explain-request what a saved SOAP request would call, sending nothing.\n"
            "report plans a migration from usage logs (usage_log, may be gzipped).\n");
}

static int explain_request(const char *path)
{
    char err[512];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mktows-shim: cannot open '%s'\n", path);
        return 1;
    }
    mk_buf xml = {0};
    int rd = mk_buf_read(&xml, f);
    if (f != stdin)
        fclose(f);
    if (rd == ENOMEM) {
        mk_buf_free(&xml);
        fprintf(stderr, "mktows-shim: out of memory\n");
        return 1;
    }
    int rc = mktows_explain_request(getenv("MKTOWS_MAPPING_DIR"), xml.data ? xml.data : "",
                                    xml.len, stdout, err, sizeof err);
    mk_buf_free(&xml);
    if (rc != MKTOWS_OK) {
        fprintf(stderr, "mktows-shim: %s\n", err);
        return 1;
    }
    return 0;
}

/* The metrics listener's address, as the listening line gives the SOAP one. */
static void print_metrics_line(const mktows_server *srv)
{
    const char *host = mktows_server_metrics_host(srv);
    int v6 = strchr(host, ':') != NULL;
    printf("metrics on http://%s%s%s:%u/metrics\n", v6 ? "[" : "", host, v6 ? "]" : "",
           mktows_server_metrics_port(srv));
}

/* SIGHUP: load the file again (and the environment, as at start) and hand
 * it to the server; the running configuration stays if it does not load. */
static void reload(mktows_server *srv, const char *path, const char *listen)
{
    char err[512];
    mktows_config *next = NULL;
    int rc = mktows_config_load(path, environ, &next, err, sizeof err);
    if (rc == MKTOWS_OK && listen)
        rc = mktows_config_set_listen(next, listen, err, sizeof err);
    if (rc != MKTOWS_OK) {
        mktows_config_free(next);
        fprintf(stderr, "mktows-shim: SIGHUP: configuration not reloaded: %s\n", err);
        mktows_server_reload(srv, NULL, NULL, 0);  /* counted as a failed reload */
        return;
    }
    rc = mktows_server_reload(srv, next, err, sizeof err);
    fprintf(stderr, "mktows-shim: SIGHUP: %s%s%s\n",
            rc == MKTOWS_OK ? "configuration reloaded" : "reloaded with errors",
            *err ? ": " : "", err);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL, *listen = NULL;
    int check_only = 0;
    char err[512];
    mktows_config *cfg = NULL;
    mktows_server *srv = NULL;

    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return mktows_report_main(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config_path = argv[i] + 9;
        } else if (strcmp(argv[i], "--check-config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
            check_only = 1;
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen = argv[++i];
        } else if (strncmp(argv[i], "--listen=", 9) == 0) {
            listen = argv[i] + 9;
        } else if (strcmp(argv[i], "--explain") == 0) {
            const char *op = i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : NULL;
            if (mktows_explain(getenv("MKTOWS_MAPPING_DIR"), op, stdout, err, sizeof err) != MKTOWS_OK) {
                fprintf(stderr, "mktows-shim: %s\n", err);
                return 1;
            }
            return 0;
        } else if (strcmp(argv[i], "--explain-request") == 0 && i + 1 < argc) {
            return explain_request(argv[i + 1]);
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("mktows-shim %s\n", MKTOWS_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "mktows-shim: unknown or incomplete argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config_path)
        config_path = getenv("MKTOWS_CONFIG");

    int rc = mktows_config_load(config_path, environ, &cfg, err, sizeof err);
    if (rc == MKTOWS_OK && listen)
        rc = mktows_config_set_listen(cfg, listen, err, sizeof err);
    if (rc == MKTOWS_OK && check_only)
        rc = mktows_config_check(cfg, err, sizeof err);
    if (rc != MKTOWS_OK) {
        fprintf(stderr, "mktows-shim: %s\n", err);
        mktows_config_free(cfg);
        return 1;
    }
    if (check_only) {
        rc = mktows_config_print(cfg, stdout);
        fprintf(stderr, "mktows-shim: configuration OK\n");
        mktows_config_free(cfg);
        return rc == MKTOWS_OK ? 0 : 1;
    }

    /* Block the stop and reload signals in every thread; main waits for
     * them below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = mktows_server_start(cfg, &srv, err, sizeof err);
    if (rc != MKTOWS_OK) {
        fprintf(stderr, "mktows-shim: %s\n", err);
        mktows_config_free(cfg);
        return 1;
    }
    const char *host = mktows_server_host(srv);
    int v6 = strchr(host, ':') != NULL;
    printf("listening on %s://%s%s%s:%u\n", mktows_server_tls(srv) ? "https" : "http",
           v6 ? "[" : "", host, v6 ? "]" : "", mktows_server_port(srv));
    if (mktows_server_metrics_port(srv))
        print_metrics_line(srv);
    fflush(stdout);

    int sig = 0;
    /* SIGHUP: the usage log first (logrotate's create or copy-less move must
     * not depend on the file loading), then the configuration. */
    while (sigwait(&stop, &sig) == 0 && sig == SIGHUP) {
        if (mktows_server_reopen_logs(srv) != MKTOWS_OK)
            fprintf(stderr, "mktows-shim: SIGHUP: cannot reopen the usage log; still "
                            "writing to the old file\n");
        else
            fprintf(stderr, "mktows-shim: SIGHUP: usage log reopened\n");
        reload(srv, config_path, listen);
    }
    fprintf(stderr, "mktows-shim: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    mktows_server_stop(srv);
    mktows_config_free(cfg);
    return 0;
}
