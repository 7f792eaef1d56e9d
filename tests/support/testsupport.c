/*
 * testsupport.c — child processes, HTTP and JSON helpers shared by the
 * integration tests.  Kept deliberately small: tests should read as the
 * scenario they check, not as plumbing.
 */
#include "testsupport.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- running a suite --------------------------------------------------------- */

/* The group teardown of the run in progress and what it returned: cmocka
 * calls a plain function pointer, so the trampoline finds them here. */
static CMFixtureFunction group_teardown;
static int group_teardown_rc;

static int teardown_trampoline(void **state)
{
    group_teardown_rc = group_teardown ? group_teardown(state) : 0;
    return group_teardown_rc;
}

int ts_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
                 CMFixtureFunction setup, CMFixtureFunction teardown)
{
    group_teardown = teardown;
    group_teardown_rc = 0;
    int failed = _cmocka_run_group_tests(name, tests, n, setup, teardown_trampoline);
    return failed || group_teardown_rc != 0 ? 1 : 0;
}

/* ---- strings and files --------------------------------------------------------- */

static char *vfmt(const char *f, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, f, ap);
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, f, again);
    va_end(again);
    return s;
}

char *ts_fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = vfmt(f, ap);
    va_end(ap);
    return s;
}

void ts_buf_add(ts_buf *b, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = vfmt(f, ap);
    va_end(ap);
    size_t n = strlen(s);
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n + 1);
    b->n += n;
    free(s);
}

int ts_count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

char *ts_urlenc(const char *s)
{
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-_.~", c))
            *o++ = (char)c;
        else
            o += sprintf(o, "%%%02X", c);
    }
    *o = '\0';
    return out;
}

char *ts_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

void ts_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- child processes ----------------------------------------------------- */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int ts_proc_start(ts_proc *p, const char *const argv[])
{
    int fds[2];
    memset(p, 0, sizeof *p);
    p->out_fd = -1;
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    p->pid = pid;
    p->out_fd = fds[0];

    /* Read byte by byte up to the ready line so nothing after it is consumed. */
    char line[512];
    size_t n = 0;
    long deadline = now_ms() + 20000;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)left);
        if (pr <= 0)
            break;
        char c;
        ssize_t r = read(p->out_fd, &c, 1);
        if (r <= 0)
            break;
        if (c != '\n') {
            if (n + 1 < sizeof line)
                line[n++] = c;
            continue;
        }
        line[n] = '\0';
        n = 0;
        const char *u = strstr(line, "listening on http://");
        if (!u)
            continue;
        u += strlen("listening on ");
        snprintf(p->url, sizeof p->url, "%s", u);
        const char *colon = strrchr(p->url, ':');
        p->port = colon ? atoi(colon + 1) : 0;
        if (p->port > 0)
            return 0;
    }
    ts_proc_stop(p);
    return -1;
}

int ts_proc_stop(ts_proc *p)
{
    if (p->pid <= 0)
        return -1;
    int status = 0;
    kill(p->pid, SIGTERM);
    long deadline = now_ms() + 10000;
    pid_t w;
    while ((w = waitpid(p->pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
        usleep(10000);
    if (w == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
    }
    if (p->out_fd >= 0)
        close(p->out_fd);
    p->out_fd = -1;
    p->pid = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

const char *ts_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "test environment variable %s is not set (run through ctest)\n", name);
        abort();
    }
    return v;
}

int ts_emulator_start(ts_proc *p, const char *const extra[])
{
    return ts_emulator_start_at(p, "127.0.0.1:0", extra);
}

int ts_emulator_start_at(ts_proc *p, const char *listen, const char *const extra[])
{
    const char *argv[64];
    int n = 0;
    argv[n++] = ts_env("MKTOWS_EMULATOR");
    argv[n++] = "--listen";
    argv[n++] = listen;
    argv[n++] = "--client-id";
    argv[n++] = "test-id";
    argv[n++] = "--client-secret";
    argv[n++] = "test-secret";
    for (int i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return ts_proc_start(p, argv);
}

char *ts_write_temp(const char *suffix, const char *text)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t len = strlen(dir) + strlen(suffix) + 32;
    char *path = malloc(len);
    if (!path)
        return NULL;
    snprintf(path, len, "%s/mktows-XXXXXX%s", dir, suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t left = strlen(text);
    const char *q = text;
    while (left > 0) {
        ssize_t w = write(fd, q, left);
        if (w <= 0)
            break;
        q += w;
        left -= (size_t)w;
    }
    close(fd);
    return path;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t add = size * nmemb;
    char *np = realloc(b->p, b->n + add + 1);
    if (!np)
        return 0;
    memcpy(np + b->n, ptr, add);
    b->p = np;
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

int ts_http(const char *method, const char *url, const char *const headers[],
            const char *body, size_t len, ts_http_resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    buf b = {0}, h = {0};
    struct curl_slist *hl = NULL;
    for (int i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    /* curl adds "Expect: 100-continue" to big POSTs; real clients differ, and
     * the servers must not depend on it either way. */
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        if (ct)
            out->content_type = strdup(ct);
    }
    out->body = b.p ? b.p : strdup("");
    out->len = b.n;
    out->headers = h.p ? h.p : strdup("");
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

void ts_http_free(ts_http_resp *r)
{
    free(r->body);
    free(r->content_type);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

cJSON *ts_json(const ts_http_resp *r)
{
    return r->body ? cJSON_ParseWithLength(r->body, r->len) : NULL;
}

char *ts_http_header(const ts_http_resp *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            eol = p + strlen(p);
        if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            return ts_fmt("%.*s", (int)(eol - v), v);
        }
        p = *eol ? eol + 2 : eol;
    }
    return NULL;
}

cJSON *ts_get_json(const char *base, const char *path)
{
    char *url = ts_fmt("%s%s", base, path);
    ts_http_resp r;
    cJSON *j = NULL;
    if (ts_http("GET", url, NULL, NULL, 0, &r) == 0)
        j = ts_json(&r);
    ts_http_free(&r);
    free(url);
    return j;
}

char *ts_emulator_token(const ts_proc *emu)
{
    char url[512];
    snprintf(url, sizeof url,
             "%s/identity/oauth/token?grant_type=client_credentials"
             "&client_id=test-id&client_secret=test-secret", emu->url);
    ts_http_resp r;
    char *tok = NULL;
    if (ts_http("GET", url, NULL, NULL, 0, &r) == 0 && r.status == 200) {
        cJSON *j = ts_json(&r);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
        if (cJSON_IsString(t))
            tok = strdup(t->valuestring);
        cJSON_Delete(j);
    }
    ts_http_free(&r);
    return tok;
}

cJSON *ts_rest(const ts_proc *emu, const char *token, const char *method,
               const char *path_and_query, const char *json_body, long *status)
{
    size_t ulen = strlen(emu->url) + strlen(path_and_query) + 1;
    char *url = malloc(ulen);
    char auth[512];
    if (!url)
        return NULL;
    snprintf(url, ulen, "%s%s", emu->url, path_and_query);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    const char *hdrs[] = {auth, "Content-Type: application/json", NULL};
    ts_http_resp r;
    cJSON *j = NULL;
    int rc = ts_http(method, url, hdrs, json_body, json_body ? strlen(json_body) : 0, &r);
    if (status)
        *status = rc == 0 ? r.status : 0;
    if (rc == 0)
        j = ts_json(&r);
    ts_http_free(&r);
    free(url);
    return j;
}

long ts_emulator_calls(const ts_proc *emu, const char *route)
{
    cJSON *j = ts_get_json(emu->url, "/_emulator/stats");
    if (!j)
        fail_msg("GET %s/_emulator/stats: no JSON answer", emu->url);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(j, "calls"), route);
    long n = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
    cJSON_Delete(j);
    return n;
}

void ts_emulator_admin(const ts_proc *emu, const char *path, const char *json)
{
    char *url = ts_fmt("%s%s", emu->url, path);
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    ts_http_resp r;
    assert_int_equal(ts_http("POST", url, hdrs, json, json ? strlen(json) : 0, &r), 0);
    if (r.status != 200)
        fail_msg("POST %s %s: HTTP %ld %s", path, json ? json : "", r.status, r.body);
    ts_http_free(&r);
    free(url);
}
