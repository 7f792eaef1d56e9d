/*
 * testsupport.h — what every test program needs: run its cmocka group so
 * that a failing teardown counts, start a real program (marketo-emulator,
 * mktows-shim) on a free port, talk HTTP to it, read JSON, and the few
 * string and file helpers C makes every test write again.
 *
 * The SOAP side (a shim in front of an emulator, signed calls, reading the
 * answers) is in soapstack.h, built on this.
 *
 * Programs are started with port 0 and print `listening on http://HOST:PORT`
 * when ready; ts_proc_start waits for that line, so a test never races the
 * server's start-up and never guesses a port.
 *
 * Paths to the binaries under test come from the environment CTest sets
 * (MKTOWS_EMULATOR, MKTOWS_SHIM, MKTOWS_SOURCE_DIR); see tests/CMakeLists.txt.
 */
#ifndef TESTSUPPORT_H
#define TESTSUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

/* ---- running a suite --------------------------------------------------------- */

/* cmocka_run_group_tests, except that a failing group teardown fails the
 * run as well.  cmocka 1.1 only prints "GROUP TEARDOWN" and returns 0, so a
 * program under test that exits uncleanly at the end (a sanitizer report)
 * would go unnoticed. */
#define ts_run_tests(tests, setup, teardown) \
    ts_run_group(#tests, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)
int ts_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
                 CMFixtureFunction setup, CMFixtureFunction teardown);

/* ---- strings and files --------------------------------------------------------- */

/* printf into a new string (malloc'd). */
char *ts_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* A growable string: ts_buf b = {0}; ts_buf_add(&b, ...); then b.s (caller frees). */
typedef struct ts_buf {
    char *s;
    size_t n, cap;
} ts_buf;
void ts_buf_add(ts_buf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));

/* How often needle occurs in s (occurrences do not overlap). */
int ts_count(const char *s, const char *needle);

/* s with everything but RFC 3986's unreserved characters %-encoded (malloc'd). */
char *ts_urlenc(const char *s);

/* The whole file (malloc'd, NUL-terminated); fails the test if it cannot be read. */
char *ts_read_file(const char *path);

void ts_sleep_ms(long ms);

/* ---- child processes ----------------------------------------------------- */

typedef struct ts_proc {
    pid_t pid;
    int out_fd;          /* read end of the child's stdout (after the ready line) */
    char url[128];       /* "http://127.0.0.1:41234" */
    int port;
} ts_proc;

/* Start argv[0] with argv (NULL-terminated), wait up to 20 s for its
 * "listening on http://HOST:PORT" line.  stderr is inherited.  Returns 0, or
 * -1 if it exited or never became ready (the child is then reaped). */
int ts_proc_start(ts_proc *p, const char *const argv[]);

/* SIGTERM, wait up to 10 s (then SIGKILL).  Returns the exit status as
 * from waitpid's WEXITSTATUS, 128+signal if killed by a signal, -1 on error. */
int ts_proc_stop(ts_proc *p);

/* Start marketo-emulator (MKTOWS_EMULATOR) on 127.0.0.1:0 with client id
 * "test-id", secret "test-secret" and the extra options given (NULL-terminated
 * list, may be NULL). */
int ts_emulator_start(ts_proc *p, const char *const extra[]);
/* The same on a given listen address ("127.0.0.1:41234": a restart on the
 * port a shim already talks to). */
int ts_emulator_start_at(ts_proc *p, const char *listen, const char *const extra[]);

/* Path of a binary or source file from the environment; aborts the test if unset. */
const char *ts_env(const char *name);

/* Write `text` to a new temporary file; returns a malloc'd path. */
char *ts_write_temp(const char *suffix, const char *text);

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct ts_http_resp {
    long status;         /* HTTP status, 0 on transport failure */
    char *body;          /* NUL-terminated */
    size_t len;
    char *content_type;  /* may be NULL */
    char *headers;       /* raw response headers, NUL-terminated */
} ts_http_resp;

/* One HTTP request.  headers: NULL-terminated array of "Name: value" lines,
 * may be NULL.  body may be NULL.  Returns 0 when a response arrived. */
int ts_http(const char *method, const char *url, const char *const headers[],
            const char *body, size_t len, ts_http_resp *out);
void ts_http_free(ts_http_resp *r);

/* Value of response header `name` (case-insensitive), malloc'd; NULL if absent. */
char *ts_http_header(const ts_http_resp *r, const char *name);

/* GET base+path and parse the answer as JSON; NULL if no answer or not JSON. */
cJSON *ts_get_json(const char *base, const char *path);

/* Parse the body as JSON (NULL if it is not JSON). Caller frees. */
cJSON *ts_json(const ts_http_resp *r);

/* Get an OAuth token from an emulator started by ts_emulator_start. malloc'd. */
char *ts_emulator_token(const ts_proc *emu);

/* GET/POST to the emulator with a Bearer token; returns parsed JSON of the
 * body (NULL if not JSON) and stores the HTTP status in *status if non-NULL. */
cJSON *ts_rest(const ts_proc *emu, const char *token, const char *method,
               const char *path_and_query, const char *json_body, long *status);

/* How many calls the emulator has counted for route ("GET /rest/v1/leads.json",
 * the path as a template: "POST /rest/v1/lists/{listId}/leads.json"), from
 * GET /_emulator/stats; fails the test if the stats cannot be read. */
long ts_emulator_calls(const ts_proc *emu, const char *route);

/* POST json (may be NULL) to one of the emulator's own endpoints
 * ("/_emulator/reset", "/_emulator/faults"); fails the test unless HTTP 200. */
void ts_emulator_admin(const ts_proc *emu, const char *path, const char *json);

#endif
