/*
 * testsupport.h — what every integration test needs: start a real program
 * (marketo-emulator, mktows-shim) on a free port, talk HTTP to it, read JSON.
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

#include <stddef.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

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

/* Parse the body as JSON (NULL if it is not JSON). Caller frees. */
cJSON *ts_json(const ts_http_resp *r);

/* Get an OAuth token from an emulator started by ts_emulator_start. malloc'd. */
char *ts_emulator_token(const ts_proc *emu);

/* GET/POST to the emulator with a Bearer token; returns parsed JSON of the
 * body (NULL if not JSON) and stores the HTTP status in *status if non-NULL. */
cJSON *ts_rest(const ts_proc *emu, const char *token, const char *method,
               const char *path_and_query, const char *json_body, long *status);

#endif
