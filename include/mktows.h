/*
 * mktows.h — public C API of the mktows library.
 *
 * The library is the whole SOAP side of mktows-shim: configuration, the HTTP
 * front-end, the gSOAP engine and the operation handlers.  mktows-shim's
 * main() is a thin wrapper around this header; another server can embed the
 * shim, and tests drive it through the same calls.
 *
 * Handles are opaque.  Functions that can fail return an mktows_err and,
 * where there is something to report, fill a caller-supplied message buffer;
 * nothing here prints.
 */
#ifndef MKTOWS_H
#define MKTOWS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes returned by the library (0 is success). */
typedef enum mktows_err {
    MKTOWS_OK = 0,
    MKTOWS_ENOMEM = -1,   /* out of memory */
    MKTOWS_EINVAL = -2,   /* bad configuration value or argument */
    MKTOWS_EIO = -3,      /* file could not be read */
    MKTOWS_ELISTEN = -4,  /* could not bind/listen or start threads */
} mktows_err;

/* Short English name of an error code (static string). */
const char *mktows_strerror(int err);

/* ---- configuration --------------------------------------------------------
 *
 * The configuration is a JSON file (see README.md) plus MKTOWS_* environment
 * variables, which override the file key by key:
 *
 *   MKTOWS_LISTEN               listen                      HOST:PORT
 *   MKTOWS_REST_ENDPOINT        rest.endpoint               URL
 *   MKTOWS_REST_IDENTITY        rest.identity               URL
 *   MKTOWS_REST_CLIENT_ID       rest.client_id
 *   MKTOWS_REST_CLIENT_SECRET   rest.client_secret
 *   MKTOWS_SOAP_USERS           soap_users                  JSON object text
 *   MKTOWS_TIMESTAMP_WINDOW     timestamp_window_seconds    default 900
 *   MKTOWS_RECEIVE_TIMEOUT      timeouts.receive_seconds    default 60
 *   MKTOWS_SEND_TIMEOUT         timeouts.send_seconds       default 60
 *   MKTOWS_REQUEST_TIMEOUT      timeouts.request_seconds    default 120
 *   MKTOWS_MAX_REQUEST_BYTES    max_request_bytes           default 16 MiB
 *   MKTOWS_WORKERS              workers                     default 32
 *   MKTOWS_MAX_WORKERS          max_workers                 default 4096
 *   MKTOWS_WORKER_STACK_KB      worker_stack_kb             default 256
 *   MKTOWS_MAX_CONNECTIONS      max_connections             default 4096
 *   MKTOWS_ACCESS_LOG           access_log                  default true
 *   MKTOWS_TLS_CERT_FILE        tls.cert_file               PEM, chain allowed
 *   MKTOWS_TLS_KEY_FILE         tls.key_file                PEM
 *   MKTOWS_TLS_CLIENT_CA_FILE   tls.client_ca_file          PEM; mutual TLS
 *   MKTOWS_METRICS_ENABLED      metrics.enabled             default true
 *   MKTOWS_METRICS_LISTEN       metrics.listen              HOST:PORT
 *   MKTOWS_USAGE_LOG            usage_log                   file path or "stderr"; default none
 *   MKTOWS_SOAP_USER + MKTOWS_SOAP_ENCRYPTION_KEY           adds one SOAP user
 *
 * mktows-shim also reads the file named by MKTOWS_CONFIG when --config is
 * not given.
 *
 * soap_users maps a SOAP user id to {"encryption_key": ..., optional
 * "client_id", "client_secret", "partition"}.  A user without its own
 * client id/secret uses the rest ones.
 */
typedef struct mktows_config mktows_config;

/* Load the configuration: the JSON file at path (NULL: environment only),
 * then the MKTOWS_* variables from envp (NULL-terminated "NAME=value"
 * array, e.g. environ; NULL: none), then validate.  On success *out owns a
 * new config (free with mktows_config_free).  On failure returns
 * MKTOWS_EINVAL / MKTOWS_EIO / MKTOWS_ENOMEM and writes a message naming
 * the offending key or file into errbuf (never a secret value). */
int mktows_config_load(const char *path, char *const envp[], mktows_config **out,
                       char *errbuf, size_t errlen);

/* Override the listen address ("HOST:PORT"; port 0 picks a free port).
 * Returns MKTOWS_OK or MKTOWS_EINVAL (message in errbuf). */
int mktows_config_set_listen(mktows_config *cfg, const char *hostport,
                             char *errbuf, size_t errlen);

/* Free a config (NULL is fine).  Secrets are wiped before release. */
void mktows_config_free(mktows_config *cfg);

/* ---- server ---------------------------------------------------------------
 *
 * One HTTP listener (libmicrohttpd, one epoll thread) plus a fixed pool of
 * worker threads running the gSOAP engine.  The config must outlive the
 * server.
 */
typedef struct mktows_server mktows_server;

/* Bind, start the worker pool and the listener.  On success *out is a
 * running server.  Returns MKTOWS_ELISTEN (message in errbuf) if the
 * address cannot be bound or threads cannot be started. */
int mktows_server_start(const mktows_config *cfg, mktows_server **out,
                        char *errbuf, size_t errlen);

/* Host and port actually bound (the chosen port when the config said 0).
 * host is the configured host text; valid while the server lives. */
const char *mktows_server_host(const mktows_server *srv);
unsigned mktows_server_port(const mktows_server *srv);

/* 1 when the listener speaks HTTPS (tls.cert_file / tls.key_file). */
int mktows_server_tls(const mktows_server *srv);

/* The port of the separate metrics listener (metrics.listen), 0 when
 * GET /metrics is served on the SOAP listener or not at all. */
unsigned mktows_server_metrics_port(const mktows_server *srv);
const char *mktows_server_metrics_host(const mktows_server *srv);

/* Apply a newly loaded configuration to a running server (mktows-shim does
 * this on SIGHUP): soap_users (added, removed, keys rotated) and the log
 * settings take effect for requests that start afterwards; requests in
 * flight finish with the configuration they started with, and no
 * connection is closed.  Other keys keep their start-up values.  next is
 * taken over in every case.  Returns MKTOWS_OK (errbuf then names changed
 * keys that need a restart, or is empty), or an error with a message; the
 * users are applied even when a reload hook failed (MKTOWS_EIO).  next
 * NULL (the file did not load) changes no setting, runs the reload hooks
 * (logs are reopened) and counts a failed reload in the metrics.  One reload at a time: calls
 * from several threads must be serialised by the caller. */
int mktows_server_reload(mktows_server *srv, mktows_config *next, char *errbuf,
                         size_t errlen);

/* Stop accepting, finish the requests in flight, join all threads and free
 * the server.  NULL is fine. */
void mktows_server_stop(mktows_server *srv);

/* ---- checking a configuration ------------------------------------------
 *
 * mktows-shim --check-config.  mktows_config_check runs every check a
 * server start runs short of binding (TLS files, metrics, mapping tables,
 * limits, the import store); mktows_config_print writes the effective
 * configuration (file, environment and defaults merged) as JSON with every
 * secret (client secrets, encryption keys) masked. */
int mktows_config_check(const mktows_config *cfg, char *errbuf, size_t errlen);
int mktows_config_print(const mktows_config *cfg, FILE *out);
/* Reopen the usage log file (usage_log) under its configured name, for
 * log rotation: after logrotate moved it, the next line goes to a new file.
 * Returns MKTOWS_OK (also when there is no usage log), or MKTOWS_EIO when
 * the file cannot be opened (the old one is kept). */
int mktows_server_reopen_logs(mktows_server *srv);

/* ---- explanations ---------------------------------------------------------
 *
 * Print what a SOAP operation becomes in REST (its REST calls, their cost,
 * the differences a caller can notice), from the operation table in
 * mapping_dir (NULL: MKTOWS_MAPPING_DIR, else the built-in default).  With
 * operation NULL, one line per operation.  Returns MKTOWS_OK, or
 * MKTOWS_EINVAL with a message in errbuf. */
int mktows_explain(const char *mapping_dir, const char *operation, FILE *out, char *errbuf,
                   size_t errlen);

/* Print the REST calls a saved SOAP request (the envelope's text) would
 * make, read from the operation table and the request's own content,
 * without sending anything.  Returns MKTOWS_OK, or MKTOWS_EINVAL with a
 * message in errbuf (not a SOAP request, unknown operation). */
int mktows_explain_request(const char *mapping_dir, const char *xml, size_t len, FILE *out,
                           char *errbuf, size_t errlen);

/* The usage report: `mktows-shim report [--since DATE] [--until DATE]
 * [--format html|md|json] [--quota N] [--output FILE] LOGFILE...` with
 * argv[0] == "report".  Returns the program's exit status. */
int mktows_report_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
