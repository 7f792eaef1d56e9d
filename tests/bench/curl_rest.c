/*
 * curl_rest.c — a reference for tests/bench/lean-bench.sh: the direct REST
 * lead query made with libcurl as the shim makes it, and nothing else.
 *
 * wrk is a far lighter HTTP client than libcurl's easy interface, so the
 * "direct REST" figure of lean-bench.sh (wrk against the emulator) prices
 * the client side of a REST call below anything that calls Marketo through
 * libcurl.  This program measures that side the way the shim pays it:
 * CONNS threads, each a closed loop of one call at a time, every call a
 * pooled easy handle set up with the options the shim's REST client
 * (src/rest/client.c, http_send) sets, the same headers, a share handle
 * for DNS and connections, keep-alive, the answer appended to a buffer,
 * curl_easy_reset after each call.  No parsing, no SOAP, no quota guard.
 *
 * usage: curl_rest URL QUERY TOKEN LEADS CONNS SECONDS
 *   URL    the emulator's base, e.g. http://127.0.0.1:PORT
 *   QUERY  the form body, %s where the email goes (lean-bench.sh captures
 *          it from the shim); sent as POST /rest/v1/leads.json?_method=GET
 *   LEADS  synthetic-<k>@example.com, k cycles over 1..LEADS
 * prints one line: "calls/s mean_us client_cpu_us_per_call errors"
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char *base, *query, *token;
static long leads;
static double seconds;
static CURLSH *share;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
static atomic_long calls, errors;
static atomic_int stop;

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)h, (void)a, (void)u;
    pthread_mutex_lock(&share_mu[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *u)
{
    (void)h, (void)u;
    pthread_mutex_unlock(&share_mu[d]);
}

struct sink {
    char *data;
    size_t len, cap;
};

static size_t on_write(char *p, size_t size, size_t n, void *u)
{
    struct sink *s = u;
    size_t len = size * n;
    if (s->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + len + 1)
            cap *= 2;
        char *d = realloc(s->data, cap);
        if (!d)
            return 0;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, len);
    s->len += len;
    s->data[s->len] = 0;
    return len;
}

static void *loop(void *arg)
{
    long k = (long)(size_t)arg * 997 % leads;
    char url[512], auth[512];
    snprintf(url, sizeof url, "%s/rest/v1/leads.json?_method=GET", base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    size_t qcap = strlen(query) + 64;
    char *body = malloc(qcap);
    CURL *h = curl_easy_init();
    if (!body || !h)
        abort();
    while (!atomic_load(&stop)) {
        k = k % leads + 1;
        char email[64];
        snprintf(email, sizeof email, "synthetic-%ld%%40example.com", k);
        /* QUERY has one %s (the email) and no other conversion. */
        const char *at = strstr(query, "%s");
        int n = at ? snprintf(body, qcap, "%.*s%s%s", (int)(at - query), query, email, at + 2)
                   : snprintf(body, qcap, "%s", query);
        struct curl_slist *hdrs = NULL;
        hdrs = curl_slist_append(hdrs, "Accept: application/json");
        hdrs = curl_slist_append(hdrs, "Expect:");
        hdrs = curl_slist_append(hdrs, auth);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
        struct sink s = {0};
        curl_easy_setopt(h, CURLOPT_SHARE, share);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1000L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_USERAGENT, "curl_rest (lean-bench)");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || !s.data || !strstr(s.data, "\"success\":true"))
            atomic_fetch_add(&errors, 1);
        else
            atomic_fetch_add(&calls, 1);
        curl_easy_reset(h);
        curl_slist_free_all(hdrs);
        free(s.data);
    }
    curl_easy_cleanup(h);
    free(body);
    return NULL;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: curl_rest URL QUERY TOKEN LEADS CONNS SECONDS\n");
        return 2;
    }
    base = argv[1];
    query = argv[2];
    token = argv[3];
    leads = atol(argv[4]);
    int conns = atoi(argv[5]);
    seconds = atof(argv[6]);
    if (leads < 1 || conns < 1 || conns > 1024 || seconds <= 0) {
        fprintf(stderr, "curl_rest: bad LEADS, CONNS or SECONDS\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&share_mu[i], NULL);
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);

    pthread_t *t = calloc((size_t)conns, sizeof *t);
    if (!t)
        return 1;
    double c0 = cpu_s(), t0 = now_s();
    for (int i = 0; i < conns; i++)
        if (pthread_create(&t[i], NULL, loop, (void *)(size_t)i) != 0)
            return 1;
    struct timespec nap = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&nap, NULL);
    long n = atomic_load(&calls);
    double c1 = cpu_s(), t1 = now_s();
    atomic_store(&stop, 1);
    for (int i = 0; i < conns; i++)
        pthread_join(t[i], NULL);
    double rate = n / (t1 - t0);
    printf("%.2f %.1f %.1f %ld\n", rate, rate > 0 ? 1e6 * conns / rate : 0.0,
           n > 0 ? (c1 - c0) * 1e6 / (double)n : 0.0, atomic_load(&errors));
    curl_share_cleanup(share);
    curl_global_cleanup();
    free(t);
    return 0;
}
