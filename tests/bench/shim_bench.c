/*
 * shim_bench.c — load driver for tests/bench/shim-bench.sh: N concurrent
 * legacy-style SOAP clients (one lead per call, keep-alive, signed
 * AuthenticationHeader) hammering one operation of mktows-shim for a fixed
 * time, then one result line:
 *
 *   op clients calls ok faults seconds calls_per_s p50_ms p99_ms rest_calls rest_per_soap
 *
 * REST calls are read from marketo-emulator's GET /_emulator/stats
 * (countedCalls) before and after, so they are what Marketo would have
 * counted, whatever the shim thinks it did.
 *
 * usage: shim_bench --shim URL --emulator URL --user ID --key KEY
 *                   --op getLead|syncLead --clients N [--seconds S]
 *                   [--tag TEXT] [--leads N] [--cacert FILE]
 * --cacert: the CA an https:// shim's certificate is checked against.
 * getLead asks for synthetic-<k>@example.com, k random in 1..leads (the
 * emulator's --synthetic-leads); syncLead creates <tag>-<client>-<i>@example.com.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *shim_url, *emu_url, *user, *key, *op = "getLead", *tag = "bench";
static const char *cacert;
static int clients = 1, seconds = 10, leads = 10000;
static atomic_int stop;

typedef struct worker {
    int id;
    pthread_t t;
    long calls, ok, faults;
    int64_t *lat;    /* microseconds */
    size_t nlat, cap;
} worker;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    buf *b = ud;
    size_t len = sz * nm;
    if (b->n + len + 1 > b->cap) {
        b->cap = (b->n + len + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

static void sign(const char *ts, char out[41])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    char msg[256];
    snprintf(msg, sizeof msg, "%s%s", ts, user);
    HMAC(EVP_sha1(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac, &len);
    for (unsigned i = 0; i < len && i < 20; i++)
        sprintf(out + 2 * i, "%02x", mac[i]);
}

static char *envelope(const char *body)
{
    char ts[64], sig[41] = {0};
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    sign(ts, sig);
    char *x = NULL;
    if (asprintf(&x,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
                 " xmlns:ns1=\"http://www.marketo.com/mktows/\"><SOAP-ENV:Header>"
                 "<ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId>"
                 "<requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp>"
                 "</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>%s</SOAP-ENV:Body>"
                 "</SOAP-ENV:Envelope>",
                 user, sig, ts, body) < 0)
        return NULL;
    return x;
}

static void *run(void *arg)
{
    worker *w = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: text/xml;charset=UTF-8");
    hd = curl_slist_append(hd, "SOAPAction: \"\"");
    char url[512];
    snprintf(url, sizeof url, "%s/soap/mktows/2_9", shim_url);
    unsigned seed = (unsigned)(w->id * 2654435761u) ^ (unsigned)now_us();
    buf b = {0};
    for (long i = 0; !atomic_load(&stop); i++) {
        char body[512];
        if (strcmp(op, "syncLead") == 0)
            snprintf(body, sizeof body,
                     "<ns1:paramsSyncLead><leadRecord><Email>%s-%d-%ld@example.com</Email>"
                     "<leadAttributeList><attribute><attrName>FirstName</attrName>"
                     "<attrValue>Bench</attrValue></attribute></leadAttributeList></leadRecord>"
                     "<returnLead>false</returnLead></ns1:paramsSyncLead>",
                     tag, w->id, i);
        else
            snprintf(body, sizeof body,
                     "<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>"
                     "synthetic-%d@example.com</keyValue></leadKey></ns1:paramsGetLead>",
                     1 + (int)(rand_r(&seed) % (unsigned)leads));
        char *x = envelope(body);
        b.n = 0;
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, x);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 180L);
        if (cacert)
            curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
        int64_t t0 = now_us();
        long status = 0;
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        int64_t dt = now_us() - t0;
        free(x);
        if (atomic_load(&stop) && status == 0)
            break;
        w->calls++;
        if (status == 200)
            w->ok++;
        else
            w->faults++;
        if (w->nlat == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 1024;
            w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
        }
        w->lat[w->nlat++] = dt;
    }
    free(b.p);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return NULL;
}

static long counted_calls(void)
{
    CURL *h = curl_easy_init();
    buf b = {0};
    char url[512];
    snprintf(url, sizeof url, "%s/_emulator/stats", emu_url);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    long n = -1;
    if (curl_easy_perform(h) == CURLE_OK && b.p) {
        const char *p = strstr(b.p, "\"countedCalls\":");
        if (p)
            n = atol(p + 15);
    }
    free(b.p);
    curl_easy_cleanup(h);
    return n;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--shim")) shim_url = v;
        else if (!strcmp(k, "--emulator")) emu_url = v;
        else if (!strcmp(k, "--user")) user = v;
        else if (!strcmp(k, "--key")) key = v;
        else if (!strcmp(k, "--op")) op = v;
        else if (!strcmp(k, "--clients")) clients = atoi(v);
        else if (!strcmp(k, "--seconds")) seconds = atoi(v);
        else if (!strcmp(k, "--tag")) tag = v;
        else if (!strcmp(k, "--leads")) leads = atoi(v);
        else if (!strcmp(k, "--cacert")) cacert = v;
        else {
            fprintf(stderr, "shim_bench: unknown option %s\n", k);
            return 2;
        }
    }
    if (!shim_url || !emu_url || !user || !key || clients < 1 || seconds < 1 || leads < 1 ||
        (strcmp(op, "getLead") && strcmp(op, "syncLead"))) {
        fprintf(stderr, "usage: shim_bench --shim URL --emulator URL --user ID --key KEY "
                        "--op getLead|syncLead --clients N [--seconds S] [--tag T] [--leads N]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    worker *w = calloc((size_t)clients, sizeof *w);
    long before = counted_calls();
    int64_t t0 = now_us();
    for (int i = 0; i < clients; i++) {
        w[i].id = i;
        pthread_create(&w[i].t, NULL, run, &w[i]);
    }
    struct timespec ts = {seconds, 0};
    nanosleep(&ts, NULL);
    atomic_store(&stop, 1);
    long calls = 0, ok = 0, faults = 0;
    size_t nl = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(w[i].t, NULL);
        calls += w[i].calls;
        ok += w[i].ok;
        faults += w[i].faults;
        nl += w[i].nlat;
    }
    double secs = (double)(now_us() - t0) / 1e6;
    long after = counted_calls();
    int64_t *all = malloc((nl ? nl : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < clients; i++) {
        memcpy(all + k, w[i].lat, w[i].nlat * sizeof *all);
        k += w[i].nlat;
        free(w[i].lat);
    }
    qsort(all, nl, sizeof *all, cmp);
    double p50 = nl ? (double)all[nl / 2] / 1000.0 : 0, p99 = nl ? (double)all[nl * 99 / 100] / 1000.0 : 0;
    long rest = before >= 0 && after >= 0 ? after - before : -1;
    printf("%s %d %ld %ld %ld %.1f %.1f %.1f %.1f %ld %.4f\n", op, clients, calls, ok, faults, secs,
           (double)calls / secs, p50, p99, rest, calls ? (double)rest / (double)calls : 0.0);
    free(all);
    free(w);
    curl_global_cleanup();
    return 0;
}
