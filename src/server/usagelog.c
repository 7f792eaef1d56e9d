/*
 * usagelog.c — the usage log (see usagelog.h): one JSON line per SOAP
 * request, appended with one write(2) so that concurrent workers and a
 * reopen for log rotation never split or interleave lines.
 */
#include "server/usagelog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/request.h"

struct mk_usagelog {
    pthread_mutex_t mu;
    int fd;
    int is_stderr;
    char *path;
    int write_failed;   /* said once on stderr, not per line */
};

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int mk_usagelog_open(const char *where, mk_usagelog **out, char *err, size_t errlen)
{
    *out = NULL;
    mk_usagelog *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "usage_log: out of memory");
        return -1;
    }
    if (strcmp(where, "stderr") == 0) {
        l->fd = STDERR_FILENO;
        l->is_stderr = 1;
    } else {
        l->path = strdup(where);
        l->fd = l->path ? open_file(where) : -1;
        if (l->fd < 0) {
            snprintf(err, errlen, "usage_log: cannot open '%.300s': %s", where,
                     l->path ? strerror(errno) : "out of memory");
            free(l->path);
            free(l);
            return -1;
        }
    }
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return 0;
}

int mk_usagelog_reopen(mk_usagelog *l)
{
    if (!l || l->is_stderr)
        return 0;
    int fd = open_file(l->path);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&l->mu);
    int old = l->fd;
    l->fd = fd;
    l->write_failed = 0;
    pthread_mutex_unlock(&l->mu);
    close(old);
    return 0;
}

void mk_usagelog_close(mk_usagelog *l)
{
    if (!l)
        return;
    if (!l->is_stderr)
        close(l->fd);
    pthread_mutex_destroy(&l->mu);
    free(l->path);
    free(l);
}

/* ---- counting records -------------------------------------------------- */

/* Elements whose number says how much data a request moved.  Children are
 * unqualified in mktows, but a client may still prefix them. */
static const char *const records_in_tags[] = {"leadRecord", "leadKey", "mObject", "customObj",
                                              NULL};
static const char *const records_out_tags[] = {
    "leadRecord", "activityRecord", "leadChangeRecord", "mObject", "customObj",
    "campaignRecord", "syncStatus", "mObjStatus", "leadStatus", "tag", "channel", NULL};

static long count_elements(const char *xml, size_t len, const char *const *tags)
{
    long n = 0;
    const char *p = xml, *end = xml + len;
    while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        p++;
        const char *name = p;
        while (p < end && *p != '>' && *p != ' ' && *p != '/' && *p != '\t' && *p != '\n' &&
               *p != '\r')
            p++;
        const char *colon = memchr(name, ':', (size_t)(p - name));
        if (colon)
            name = colon + 1;
        size_t nl = (size_t)(p - name);
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            break;
        /* <leadRecord xsi:nil="true"/> is no record */
        int nil = 0;
        for (const char *a = p; a + 10 <= gt && !nil; a++)
            nil = memcmp(a, "nil=\"true\"", 10) == 0;
        for (int i = 0; tags[i] && !nil; i++)
            if (strlen(tags[i]) == nl && memcmp(tags[i], name, nl) == 0) {
                n++;
                break;
            }
        p = gt;
    }
    return n;
}

long mk_usage_records_in(const char *xml, size_t len)
{
    return xml ? count_elements(xml, len, records_in_tags) : 0;
}

long mk_usage_records_out(const char *xml, size_t len)
{
    return xml ? count_elements(xml, len, records_out_tags) : 0;
}

/* ---- the line ------------------------------------------------------------ */

static cJSON *rest_calls_json(const struct mk_request *req)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < req->n_rest_notes; i++) {
        const struct mk_rest_note *n = &req->rest_notes[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o) || !cJSON_AddStringToObject(o, "method", n->method) ||
            !cJSON_AddStringToObject(o, "path", n->path) ||
            !cJSON_AddNumberToObject(o, "count", n->count) ||
            !cJSON_AddNumberToObject(o, "calls", n->calls) ||
            !(n->code < 0 ? cJSON_AddNullToObject(o, "code")
                          : cJSON_AddNumberToObject(o, "code", n->code))) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

int mk_usagelog_write(mk_usagelog *l, const mk_usage_entry *e, const struct mk_request *req)
{
    if (!l)
        return 0;
    char when[40];
    struct tm tm;
    gmtime_r(&e->received.tv_sec, &tm);
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%03ldZ", e->received.tv_nsec / 1000000);

    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
#define ADD(call) ok = ok && (call) != NULL
    ADD(cJSON_AddStringToObject(o, "time", when));
    ADD(req->user_id ? cJSON_AddStringToObject(o, "user", req->user_id)
                     : cJSON_AddNullToObject(o, "user"));
    ADD(req->operation ? cJSON_AddStringToObject(o, "operation", req->operation)
                       : cJSON_AddNullToObject(o, "operation"));
    ADD(cJSON_AddStringToObject(o, "version", e->version ? e->version : ""));
    ADD(cJSON_AddStringToObject(o, "client", e->client ? e->client : ""));
    ADD(cJSON_AddNumberToObject(o, "http", e->http_status));
    /* A fault with no Marketo code of its own (no worker could answer) is 10001. */
    int fault = req->fault_code ? req->fault_code : e->http_status >= 500 ? 10001 : 0;
    ADD(fault ? cJSON_AddNumberToObject(o, "fault", fault) : cJSON_AddNullToObject(o, "fault"));
    ADD(cJSON_AddNumberToObject(o, "latency_ms", (double)e->latency_ms));
    ADD(cJSON_AddNumberToObject(o, "records_in",
                                (double)mk_usage_records_in(e->request, e->request_len)));
    ADD(cJSON_AddNumberToObject(o, "records_out",
                                (double)mk_usage_records_out(e->response, e->response_len)));
    ADD(cJSON_AddNumberToObject(o, "bytes_in", (double)e->request_len));
    ADD(cJSON_AddNumberToObject(o, "bytes_out", (double)e->response_len));
    ADD(cJSON_AddNumberToObject(o, "rest_calls", req->rest_calls));
    /* Shared (coalesced) calls count 1/k to each of k requests here, so the
     * report's sums are the calls Marketo counted. */
    char cost[32];
    snprintf(cost, sizeof cost, "%.4f", req->cost.rest_calls);
    ADD(cJSON_AddRawToObject(o, "rest_cost", cost));
    cJSON *calls = ok ? rest_calls_json(req) : NULL;
    if (ok && (!calls || !cJSON_AddItemToObject(o, "rest", calls))) {
        cJSON_Delete(calls);
        ok = 0;
    }
    if (ok && req->rest_notes_dropped)
        ADD(cJSON_AddNumberToObject(o, "rest_other", req->rest_notes_dropped));
    if (ok && e->trace_id)
        ADD(cJSON_AddStringToObject(o, "trace", e->trace_id));
#undef ADD
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return -1;
    size_t n = strlen(text);
    text[n] = '\n';  /* replaces the NUL: the buffer is written by length */
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    ssize_t put = write(l->fd, text, n + 1);
    if (put != (ssize_t)(n + 1)) {
        rc = -1;
        if (!l->write_failed) {
            l->write_failed = 1;
            fprintf(stderr, "mktows-shim: usage_log: write failed: %s\n",
                    put < 0 ? strerror(errno) : "short write");
        }
    }
    pthread_mutex_unlock(&l->mu);
    cJSON_free(text);
    return rc;
}
