/*
 * shim_bench.c — load driver for tests/bench/shim-bench.sh: N concurrent
 * legacy-style SOAP clients (one lead per call, keep-alive, signed
 * AuthenticationHeader), each calling again as soon as it is answered,
 * for a fixed time.  One thread drives every client through libcurl's
 * multi interface, so 5,000 clients cost the driver no threads.
 *
 * Clients are split between SOAP users (--user ID:KEY:N, repeatable), so
 * fairness between users can be measured.  Output, one line per user and a
 * total line:
 *
 *   who op clients calls ok faults wrong seconds calls_per_s p50_ms p99_ms
 *       share rest_calls rest_per_soap r606 r615 peak_rss_kb peak_threads
 *
 * calls_per_s counts the answers that arrived within the S seconds (the
 * requests still in flight at the end are answered and counted in calls,
 * p50, p99, but not in the rate).  share: this user's calls over all calls made while every user had
 * requests in flight (the window where the budget is contested).  wrong:
 * answers that were not the caller's own (getLead: a lead whose email is
 * not the one asked for; syncLead, which creates a new lead each call: an
 * answer without a lead id, or a lead id answered twice).  REST calls, 606 and 615 are read from
 * marketo-emulator's GET /_emulator/stats before and after, so they are
 * what Marketo would have counted.  With --pid, the shim's peak RSS and
 * thread count during the run are sampled from /proc.
 *
 * usage: shim_bench --shim URL --emulator URL --user ID:KEY:N [--user ...]
 *                   --op getLead|syncLead [--seconds S] [--tag TEXT]
 *                   [--leads N] [--pid PID] [--cacert FILE]
 * --cacert: the CA an https:// shim's certificate is checked against.
 * getLead asks for synthetic-<k>@example.com, k random in 1..leads (the
 * emulator's --synthetic-leads); syncLead creates <tag>-<client>-<i>@example.com.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_USERS 8

static const char *shim_url, *emu_url, *op = "getLead", *tag = "bench";
static const char *cacert;
static int seconds = 10, leads = 10000, shim_pid;

typedef struct user {
    const char *id;
    char key[128];
    int clients;
    long calls, ok, faults, wrong, contested;
    long in_window;  /* answered before the run's end (the rate counts these) */
    int64_t *lat;    /* microseconds */
    size_t nlat, cap;
    int inflight;
} user;

static user users[MAX_USERS];
static int nusers;
static long *ids;        /* syncLead: lead ids answered */
static size_t nids, capids;

typedef struct client {
    CURL *h;
    user *u;
    int id;
    long seq;
    int64_t t0;
    char *req;
    char *resp;
    size_t n, cap;
    char want[64];
} client;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    client *c = ud;
    size_t len = sz * nm;
    if (c->n + len + 1 > c->cap) {
        c->cap = (c->n + len + 1) * 2;
        c->resp = realloc(c->resp, c->cap);
    }
    memcpy(c->resp + c->n, d, len);
    c->n += len;
    c->resp[c->n] = '\0';
    return len;
}

static void sign(const user *u, const char *ts, char out[41])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    char msg[256];
    snprintf(msg, sizeof msg, "%s%s", ts, u->id);
    HMAC(EVP_sha1(), u->key, (int)strlen(u->key), (const unsigned char *)msg, strlen(msg), mac,
         &len);
    for (unsigned i = 0; i < len && i < 20; i++)
        sprintf(out + 2 * i, "%02x", mac[i]);
}

static void start(CURLM *m, client *c, unsigned *seed)
{
    char body[512], ts[64], sig[41] = {0};
    if (strcmp(op, "syncLead") == 0) {
        snprintf(c->want, sizeof c->want, "%s-%d-%ld@example.com", tag, c->id, c->seq++);
        snprintf(body, sizeof body,
                 "<ns1:paramsSyncLead><leadRecord><Email>%s</Email>"
                 "<leadAttributeList><attribute><attrName>FirstName</attrName>"
                 "<attrValue>Bench</attrValue></attribute></leadAttributeList></leadRecord>"
                 "<returnLead>false</returnLead></ns1:paramsSyncLead>",
                 c->want);
    } else {
        snprintf(c->want, sizeof c->want, "synthetic-%d@example.com",
                 1 + (int)(rand_r(seed) % (unsigned)leads));
        snprintf(body, sizeof body,
                 "<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>%s</keyValue>"
                 "</leadKey></ns1:paramsGetLead>",
                 c->want);
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    sign(c->u, ts, sig);
    free(c->req);
    c->req = NULL;
    if (asprintf(&c->req,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
                 " xmlns:ns1=\"http://www.marketo.com/mktows/\"><SOAP-ENV:Header>"
                 "<ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId>"
                 "<requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp>"
                 "</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>%s</SOAP-ENV:Body>"
                 "</SOAP-ENV:Envelope>",
                 c->u->id, sig, ts, body) < 0)
        abort();
    c->n = 0;
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->req);
    c->t0 = now_us();
    c->u->inflight++;
    curl_multi_add_handle(m, c->h);
}

static int all_busy(void)
{
    for (int i = 0; i < nusers; i++)
        if (users[i].inflight == 0)
            return 0;
    return 1;
}

static void finish(client *c, long status)
{
    user *u = c->u;
    u->inflight--;
    u->calls++;
    if (status == 200) {
        u->ok++;
        if (strcmp(op, "syncLead") == 0) {
            /* Every call creates a new lead: its id is checked for
             * uniqueness at the end (a shared answer split wrongly would
             * hand two callers one id). */
            const char *p = c->resp ? strstr(c->resp, "<leadId>") : NULL;
            long id = p ? atol(p + 8) : 0;
            if (id <= 0) {
                u->wrong++;
            } else {
                if (nids == capids) {
                    capids = capids ? capids * 2 : 4096;
                    ids = realloc(ids, capids * sizeof *ids);
                }
                ids[nids++] = id;
            }
        } else if (!c->resp || !strcasestr(c->resp, c->want)) {
            /* Its own answer: the email it asked for. */
            u->wrong++;
        }
    } else {
        u->faults++;
    }
    if (u->nlat == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 4096;
        u->lat = realloc(u->lat, u->cap * sizeof *u->lat);
    }
    u->lat[u->nlat++] = now_us() - c->t0;
    /* SHIM_BENCH_LATENCIES=file: every call's start (µs since the run
     * began), latency (µs) and user (its index in --user order), to see
     * where a tail comes from. */
    static FILE *lat_log;
    static int lat_log_tried;
    static int64_t lat_epoch;
    if (!lat_log_tried) {
        lat_log_tried = 1;
        const char *f = getenv("SHIM_BENCH_LATENCIES");
        lat_log = f && *f ? fopen(f, "w") : NULL;
        lat_epoch = c->t0;
    }
    if (lat_log)
        fprintf(lat_log, "%lld %lld %d\n", (long long)(c->t0 - lat_epoch),
                (long long)(now_us() - c->t0), (int)(u - users));
}

static char *http_get(const char *url)
{
    CURL *h = curl_easy_init();
    client sink = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    if (curl_easy_perform(h) != CURLE_OK) {
        free(sink.resp);
        sink.resp = NULL;
    }
    curl_easy_cleanup(h);
    return sink.resp;
}

static long num_after(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;
    return p ? atol(p + strlen(key)) : 0;
}

static void emu_counts(long *counted, long *r606, long *r615)
{
    char url[512];
    snprintf(url, sizeof url, "%s/_emulator/stats", emu_url);
    char *s = http_get(url);
    *counted = s ? num_after(s, "\"countedCalls\":") : -1;
    *r606 = num_after(s, "\"606\":");
    *r615 = num_after(s, "\"615\":");
    free(s);
}

/* The shim's RSS (kB) and threads from /proc. */
static void sample(long *rss, long *threads)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", shim_pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        long v;
        if (sscanf(line, "VmRSS: %ld", &v) == 1 && v > *rss)
            *rss = v;
        if (sscanf(line, "Threads: %ld", &v) == 1 && v > *threads)
            *threads = v;
    }
    fclose(f);
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *who, user *u, long total_contested, double secs, long rest,
                   long r606, long r615, long rss, long threads)
{
    qsort(u->lat, u->nlat, sizeof *u->lat, cmp);
    double p50 = u->nlat ? (double)u->lat[u->nlat / 2] / 1000.0 : 0;
    double p99 = u->nlat ? (double)u->lat[u->nlat * 99 / 100] / 1000.0 : 0;
    printf("%s %s %d %ld %ld %ld %ld %.1f %.1f %.1f %.1f %.3f %ld %.4f %ld %ld %ld %ld\n", who, op,
           u->clients, u->calls, u->ok, u->faults, u->wrong, secs, (double)u->in_window / secs, p50,
           p99, total_contested ? (double)u->contested / (double)total_contested : 0.0, rest,
           u->calls ? (double)rest / (double)u->calls : 0.0, r606, r615, rss, threads);
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--shim")) shim_url = v;
        else if (!strcmp(k, "--emulator")) emu_url = v;
        else if (!strcmp(k, "--op")) op = v;
        else if (!strcmp(k, "--seconds")) seconds = atoi(v);
        else if (!strcmp(k, "--tag")) tag = v;
        else if (!strcmp(k, "--leads")) leads = atoi(v);
        else if (!strcmp(k, "--pid")) shim_pid = atoi(v);
        else if (!strcmp(k, "--cacert")) cacert = v;
        else if (!strcmp(k, "--user") && nusers < MAX_USERS) {
            user *u = &users[nusers++];
            char *s = strdup(v), *a = strchr(s, ':'), *b = a ? strchr(a + 1, ':') : NULL;
            if (!a || !b) {
                fprintf(stderr, "shim_bench: --user ID:KEY:CLIENTS\n");
                return 2;
            }
            *a = *b = '\0';
            u->id = s;
            snprintf(u->key, sizeof u->key, "%s", a + 1);
            u->clients = atoi(b + 1);
        } else {
            fprintf(stderr, "shim_bench: unknown option %s\n", k);
            return 2;
        }
    }
    int clients = 0;
    for (int i = 0; i < nusers; i++)
        clients += users[i].clients;
    if (!shim_url || !emu_url || !nusers || clients < 1 || seconds < 1 || leads < 1 ||
        (strcmp(op, "getLead") && strcmp(op, "syncLead"))) {
        fprintf(stderr, "usage: shim_bench --shim URL --emulator URL --user ID:KEY:N ... "
                        "--op getLead|syncLead [--seconds S] [--tag T] [--leads N] [--pid P]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)clients + 16);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: text/xml;charset=UTF-8");
    hd = curl_slist_append(hd, "SOAPAction: \"\"");
    char url[512];
    snprintf(url, sizeof url, "%s/soap/mktows/2_9", shim_url);
    client *cs = calloc((size_t)clients, sizeof *cs);
    unsigned seed = (unsigned)now_us();
    long before, b606, b615, rss = 0, threads = 0;
    emu_counts(&before, &b606, &b615);
    for (int i = 0, k = 0; i < nusers; i++)
        for (int j = 0; j < users[i].clients; j++, k++) {
            client *c = &cs[k];
            c->id = k;
            c->u = &users[i];
            c->h = curl_easy_init();
            curl_easy_setopt(c->h, CURLOPT_URL, url);
            curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hd);
            curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
            curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
            curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
            curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 180L);
            curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
            if (cacert)
                curl_easy_setopt(c->h, CURLOPT_CAINFO, cacert);
        }
    int64_t t0 = now_us(), end = t0 + (int64_t)seconds * 1000000, next_sample = t0;
    for (int k = 0; k < clients; k++)
        start(m, &cs[k], &seed);
    int running = clients;
    while (running > 0) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        int64_t now = now_us();
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            client *c;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            long status = 0;
            if (msg->data.result == CURLE_OK)
                curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(m, c->h);
            int contested = all_busy();
            finish(c, status);
            if (now < end)
                c->u->in_window++;
            if (contested)
                c->u->contested++;
            if (now < end)
                start(m, c, &seed);
        }
        if (shim_pid && now >= next_sample) {
            sample(&rss, &threads);
            next_sample = now + 250000;
        }
        curl_multi_poll(m, NULL, 0, 50, NULL);
        curl_multi_perform(m, &running);
    }
    double secs = (double)seconds; /* the rate counts answers within the run */
    long after, a606, a615;
    emu_counts(&after, &a606, &a615);
    long rest = before >= 0 && after >= 0 ? after - before : -1;
    user total = {.clients = clients};
    long contested = 0;
    for (int i = 0; i < nusers; i++)
        contested += users[i].contested;
    for (int i = 0; i < nusers; i++) {
        user *u = &users[i];
        total.calls += u->calls;
        total.ok += u->ok;
        total.faults += u->faults;
        total.wrong += u->wrong;
        total.contested += u->contested;
        total.in_window += u->in_window;
        for (size_t k = 0; k < u->nlat; k++) {
            if (total.nlat == total.cap) {
                total.cap = total.cap ? total.cap * 2 : 4096;
                total.lat = realloc(total.lat, total.cap * sizeof *total.lat);
            }
            total.lat[total.nlat++] = u->lat[k];
        }
    }
    if (nids > 1) {
        int64_t *sorted = malloc(nids * sizeof *sorted);
        for (size_t k = 0; k < nids; k++)
            sorted[k] = ids[k];
        qsort(sorted, nids, sizeof *sorted, cmp);
        for (size_t k = 1; k < nids; k++)
            total.wrong += sorted[k] == sorted[k - 1];
        free(sorted);
    }
    for (int i = 0; nusers > 1 && i < nusers; i++)
        report(users[i].id, &users[i], contested, secs, rest, a606 - b606, a615 - b615, rss,
               threads);
    report("all", &total, contested, secs, rest, a606 - b606, a615 - b615, rss, threads);
    for (int k = 0; k < clients; k++) {
        curl_easy_cleanup(cs[k].h);
        free(cs[k].req);
        free(cs[k].resp);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hd);
    curl_global_cleanup();
    return 0;
}
