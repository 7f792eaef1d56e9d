/*
 * trace.c — REST transcripts as curl commands (see trace.h): the recorder a
 * worker sets on its thread, and the store that keeps transcripts for a
 * while under random ids.
 *
 * Each send becomes
 *
 *     # 2. POST /rest/v1/leads.json -> HTTP 200
 *     curl -sS -X POST 'URL' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary 'BODY'
 *     echo
 *     # answer: {...}
 *
 * A body may span lines (multipart CSV); the command ends at the "echo"
 * line, which also puts each answer on a line of its own when run.
 *
 * The URL, query and body are exactly what was sent; only the token is
 * replaced by $TOKEN (double quotes, so the shell expands it).  Answers are
 * comments so that the script runs as is and a reader (or a test) can
 * compare what a replay gets.
 */
#include "server/trace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/buf.h"
#include "base/request.h"
#include "rest/rest.h"
#include "config/config.h"

#define TRACE_MAX_BYTES ((size_t)1024 * 1024)  /* one transcript; 64 kept: 64 MiB at most */
#define STORE_SLOTS 64
#define STORE_TTL_SECONDS 900

/* ---- building the script -------------------------------------------------- */

static void put(mk_trace_rec *r, const char *s, size_t n)
{
    static const char cut[] = "\n# transcript cut: larger than 1 MiB\n";
    if (r->truncated)
        return;
    if (r->text.len + n + sizeof cut > TRACE_MAX_BYTES) {
        r->truncated = 1;
        s = cut;
        n = sizeof cut - 1;
    }
    if (mk_buf_append(&r->text, s, n) != 0)
        r->truncated = 1;   /* out of memory: what was written stays */
}

static void puts_(mk_trace_rec *r, const char *s) { put(r, s, strlen(s)); }

/* 'text' for the shell: ' becomes '\'' */
static void put_quoted(mk_trace_rec *r, const char *s, size_t n)
{
    put(r, "'", 1);
    const char *start = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\'') {
            put(r, start, (size_t)(s + i - start));
            put(r, "'\\''", 4);
            start = s + i + 1;
        }
    put(r, start, (size_t)(s + n - start));
    put(r, "'", 1);
}

/* Comment lines: the first after `lead`, continuation lines after "#| ". */
static void put_comment(mk_trace_rec *r, const char *lead, const char *s, size_t n)
{
    puts_(r, lead);
    const char *start = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n') {
            put(r, start, (size_t)(s + i - start));
            puts_(r, "\n#| ");
            start = s + i + 1;
        }
    put(r, start, (size_t)(s + n - start));
    put(r, "\n", 1);
}

static int wants(void *ctx)
{
    return mk_trace_allowed(((mk_trace_rec *)ctx)->req);
}

static void record(void *ctx, const mk_rest_send_record *s)
{
    mk_trace_rec *r = ctx;
    char head[160];
    const char *path = strstr(s->url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    size_t plen = path ? strcspn(path, "?") : 0;
    r->calls++;
    snprintf(head, sizeof head, "# %d. %s %.*s -> ", r->calls, s->method,
             (int)(plen > 100 ? 100 : plen), path ? path : "");
    puts_(r, head);
    if (s->http_status)
        snprintf(head, sizeof head, "HTTP %ld%s", s->http_status, s->error_code ? "" : "\n");
    else
        snprintf(head, sizeof head, "no HTTP answer\n");
    puts_(r, head);
    if (s->http_status && s->error_code) {
        snprintf(head, sizeof head, ", Marketo code %d\n", s->error_code);
        puts_(r, head);
    }
    /* Marketo did not execute a send refused for its token (601, 602) or
     * its rate (606, 615): the shim sent it again, so the script shows it
     * as a comment, and running it does each write once. */
    int not_executed = s->error_code == 601 || s->error_code == 602 || s->error_code == 606 ||
                       s->error_code == 615;
    if (not_executed)
        puts_(r, "# not executed by Marketo, sent again below:\n# ");
    puts_(r, "curl -sS -X ");
    puts_(r, s->method);
    put(r, " ", 1);
    put_quoted(r, s->url, strlen(s->url));
    puts_(r, " -H \"Authorization: Bearer $TOKEN\"");
    if (s->content_type) {
        char ct[200];
        snprintf(ct, sizeof ct, "Content-Type: %s", s->content_type);
        puts_(r, " -H ");
        put_quoted(r, ct, strlen(ct));
    }
    if (s->body && not_executed) {
        puts_(r, " --data-binary (the same body as below)");
    } else if (s->body) {
        puts_(r, " --data-binary ");
        put_quoted(r, s->body, s->body_len);
    }
    puts_(r, not_executed ? "\n" : "\necho\n");
    if (s->answer)
        put_comment(r, "# answer: ", s->answer, s->answer_len);
    else
        puts_(r, "# answer: (none)\n");
}

void mk_trace_begin(mk_trace_rec *rec, const struct mk_request *req)
{
    memset(rec, 0, sizeof *rec);
    rec->req = req;
    rec->text.first = 4096;
    puts_(rec, "#!/bin/sh\n# REST calls made by mktows-shim for one SOAP request, as sent\n"
               "# (identity calls left out: set TOKEN to an access token first).\n");
    mk_rest_recorder rr = {.wants = wants, .record = record, .ctx = rec};
    mk_rest_recorder_set(&rr);
}

void mk_trace_end(mk_trace_rec *rec)
{
    (void)rec;
    mk_rest_recorder_set(NULL);
}

void mk_trace_free(mk_trace_rec *rec)
{
    mk_buf_free(&rec->text);
    memset(rec, 0, sizeof *rec);
}

int mk_trace_allowed(const struct mk_request *req)
{
    return req && req->user && req->user->trace;
}

/* ---- the store -------------------------------------------------------------- */

struct slot {
    char id[33];
    time_t at;
    char *text;
};

struct mk_tracestore {
    pthread_mutex_t mu;
    struct slot slots[STORE_SLOTS];
    unsigned next;
};

int mk_tracestore_new(mk_tracestore **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return -1;
    pthread_mutex_init(&(*out)->mu, NULL);
    return 0;
}

void mk_tracestore_free(mk_tracestore *s)
{
    if (!s)
        return;
    for (int i = 0; i < STORE_SLOTS; i++)
        free(s->slots[i].text);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int mk_tracestore_put(mk_tracestore *s, char *text, char id[33])
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        free(text);
        return -1;
    }
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    pthread_mutex_lock(&s->mu);
    struct slot *sl = &s->slots[s->next++ % STORE_SLOTS];
    char *old = sl->text;
    memcpy(sl->id, id, 33);
    sl->at = time(NULL);
    sl->text = text;
    pthread_mutex_unlock(&s->mu);
    free(old);
    return 0;
}

char *mk_tracestore_get(mk_tracestore *s, const char *id)
{
    char *copy = NULL;
    if (strlen(id) != 32)
        return NULL;
    time_t now = time(NULL);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < STORE_SLOTS; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->text && now - sl->at <= STORE_TTL_SECONDS && strcmp(sl->id, id) == 0) {
            copy = strdup(sl->text);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return copy;
}
