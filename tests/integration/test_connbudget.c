/*
 * test_connbudget.c — the connection budget (src/server/connguard.c) and
 * the trusted-proxy rule for the WSDL address, against a real mktows-shim
 * and marketo-emulator over loopback (issue 9, items 3 and 6b).
 *
 * Abusive clients are raw sockets bound to other loopback addresses
 * (127.0.0.2 and up: Linux routes all of 127/8 to lo), so that they are
 * other clients than the well-behaved one, which is the stack's own
 * libcurl client on 127.0.0.1 and authenticates (so it is "established").
 * The shim is configured with deadlines of seconds so the suite stays
 * short; the assertions on time are deadlines with slack, plus lower
 * bounds that show a connection was shed by the rule under test and not
 * by something sooner.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "soapstack.h"

/* The shim's limits for this suite. */
#define IDLE_S 2             /* timeouts.receive_seconds */
#define TOTAL_S 4            /* timeouts.receive_total_seconds */
#define WINDOW_S 3           /* connections.rate_window_seconds */
#define MIN_RATE 1000        /* connections.min_receive_rate */
#define PER_CLIENT 20        /* connections.per_client_limit */
#define MAX_CONNS 200        /* max_connections */
#define RESERVE_CONNS 40     /* connections.reserve_connections */
#define BODY_BYTES 15000000  /* one abusive body, as in the issue */
/* The budget lets strangers have room for exactly three such bodies (each
 * charged its length + 1) and not a byte more; the reserve is the rest. */
#define RESERVE_BYTES (16L << 20)
#define BUDGET (RESERVE_BYTES + 3L * (BODY_BYTES + 1))
#define SLACK_MS 2500

static ss_stack stack;

static int setup(void **state)
{
    char *cfg = ts_fmt(
        "{\"workers\": 4, \"max_request_bytes\": 16777216, \"max_connections\": %d,"
        " \"timeouts\": {\"receive_seconds\": %d, \"receive_total_seconds\": %d,"
        "                \"request_seconds\": 10},"
        " \"connections\": {\"per_client_limit\": %d, \"min_receive_rate\": %d,"
        "   \"rate_window_seconds\": %d, \"max_buffered_bytes\": %ld,"
        "   \"reserve_buffered_bytes\": %ld, \"reserve_connections\": %d},"
        " \"trusted_proxies\": [\"127.0.0.3\"]}",
        MAX_CONNS, IDLE_S, TOTAL_S, PER_CLIENT, MIN_RATE, WINDOW_S, (long)BUDGET,
        (long)RESERVE_BYTES, RESERVE_CONNS);
    ss_options o = {.config = cfg, .warmup = SS_GET_LEAD_1};
    *state = &stack;
    int rc = ss_start(&stack, &o);
    free(cfg);
    /* The warm-up authenticated from 127.0.0.1: that client is established. */
    if (rc == 0)
        rc = ss_reset(&stack, SS_GET_LEAD_1);
    return rc;
}

/* ---- raw clients ------------------------------------------------------------ */

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* A TCP connection from src (a loopback address) to the shim; -1 if the
 * connection could not be made. */
static int connect_from(const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, src, &a.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)stack.shim.port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* 1 when the server has closed fd (end of file or reset), reading and
 * dropping whatever it sent before. */
static int closed_by_server(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0)
            return 1;
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

/* Send what the socket takes now; -1 once the server is gone. */
static ssize_t send_some(int fd, const char *p, size_t n)
{
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    return w;
}

/* The shim's /_shim/stats "connections" member (detached; caller frees). */
static cJSON *conn_stats(void)
{
    cJSON *doc = ts_get_json(stack.shim.url, "/_shim/stats");
    assert_non_null(doc);
    cJSON *c = cJSON_DetachItemFromObject(doc, "connections");
    cJSON_Delete(doc);
    assert_non_null(c);
    return c;
}

static double stat_num(const cJSON *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, name);
    if (!cJSON_IsNumber(v))
        fail_msg("stats: no connections.%s", name);
    return v->valuedouble;
}

/* The shim's resident set size in bytes (VmRSS). */
static long shim_rss(void)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)stack.shim.pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    assert_true(kb > 0);
    return kb * 1024;
}

/* The well-behaved client: a signed getLead answered in full. */
static void normal_client_served(const char *during)
{
    long t0 = now_ms();
    char *answer = ss_call(&stack, SS_GET_LEAD_1);
    assert_non_null(strstr(answer, "leadRecord"));
    free(answer);
    printf("  normal client served during %s in %ld ms\n", during, now_ms() - t0);
}

/* ---- the total receive deadline and the minimum rate -------------------------- */

enum trickle { IN_REQUEST_LINE, IN_HEADERS, IN_BODY, IN_GET_BODY, KINDS };

/* Five connections of each kind send one byte every 250 ms, which keeps
 * MHD's inactivity timeout from ever firing:
 *   in the request line → shed when receive_seconds have passed;
 *   in the headers      → shed at receive_total_seconds;
 *   in the body         → shed at the end of the first rate window,
 *                         a SOAP post's or any other request's (a GET).
 * The normal client is served meanwhile. */
static void test_trickling_connections_are_shed(void **state)
{
    (void)state;
    static const char *const start[KINDS] = {
        "POST /soap/mktows/3_1",
        "POST /soap/mktows/3_1 HTTP/1.1\r\nHost: shim\r\nX-Slow: ",
        "POST /soap/mktows/3_1 HTTP/1.1\r\nHost: shim\r\nContent-Type: text/xml\r\n"
        "Content-Length: 100000\r\n\r\n<",
        "GET /health HTTP/1.1\r\nHost: shim\r\nContent-Length: 100000\r\n\r\n"};
    static const char *const name[KINDS] = {"request line", "headers", "body", "GET body"};
    const long earliest[KINDS] = {IDLE_S * 1000L, TOTAL_S * 1000L, WINDOW_S * 1000L,
                                  WINDOW_S * 1000L};
    const long deadline[KINDS] = {IDLE_S * 1000L + SLACK_MS, TOTAL_S * 1000L + SLACK_MS,
                                  2 * WINDOW_S * 1000L + SLACK_MS,
                                  2 * WINDOW_S * 1000L + SLACK_MS};
    enum { PER_KIND = 5 };
    int fd[KINDS][PER_KIND];
    long closed_at[KINDS][PER_KIND];
    cJSON *before = conn_stats();

    long t0 = now_ms();
    for (int k = 0; k < KINDS; k++)
        for (int i = 0; i < PER_KIND; i++) {
            fd[k][i] = connect_from("127.0.0.2");
            assert_true(fd[k][i] >= 0);
            assert_int_equal(send_some(fd[k][i], start[k], strlen(start[k])),
                             (ssize_t)strlen(start[k]));
            closed_at[k][i] = -1;
        }
    int open = KINDS * PER_KIND, served = 0;
    while (open && now_ms() - t0 < TOTAL_S * 1000L + 2 * SLACK_MS) {
        ts_sleep_ms(250);
        for (int k = 0; k < KINDS; k++)
            for (int i = 0; i < PER_KIND; i++) {
                if (closed_at[k][i] >= 0)
                    continue;
                if (closed_by_server(fd[k][i]) || send_some(fd[k][i], "a", 1) < 0) {
                    closed_at[k][i] = now_ms() - t0;
                    open--;
                }
            }
        if (!served && now_ms() - t0 > 1000) {
            normal_client_served("the trickle");
            served = 1;
        }
    }
    for (int k = 0; k < KINDS; k++) {
        long lo = -1, hi = -1;
        for (int i = 0; i < PER_KIND; i++) {
            close(fd[k][i]);
            if (closed_at[k][i] < 0)
                fail_msg("a connection trickling its %s was never closed", name[k]);
            if (lo < 0 || closed_at[k][i] < lo)
                lo = closed_at[k][i];
            if (closed_at[k][i] > hi)
                hi = closed_at[k][i];
        }
        printf("  trickling %-12s closed after %ld..%ld ms (limit %ld ms + slack)\n", name[k],
               lo, hi, earliest[k]);
        if (lo < earliest[k] - 300)
            fail_msg("%s: closed after %ld ms, before its limit of %ld ms", name[k], lo,
                     earliest[k]);
        if (hi > deadline[k])
            fail_msg("%s: still open after %ld ms (deadline %ld ms)", name[k], hi, deadline[k]);
    }
    assert_true(served);

    cJSON *after = conn_stats();
    assert_true(stat_num(after, "shed_idle") - stat_num(before, "shed_idle") >= PER_KIND);
    assert_true(stat_num(after, "shed_deadline") - stat_num(before, "shed_deadline") >= PER_KIND);
    assert_true(stat_num(after, "shed_slow") - stat_num(before, "shed_slow") >= 2 * PER_KIND);
    cJSON_Delete(before);
    cJSON_Delete(after);
}

/* ---- the budget of buffered bytes ----------------------------------------------- */

/* Send req from src and read the answer until the server closes (3 s at
 * most); the text received (malloc'd, "" if none). */
static char *answer_from(const char *src, const char *req)
{
    int s = connect_from(src);
    assert_true(s >= 0);
    assert_int_equal(send_some(s, req, strlen(req)), (ssize_t)strlen(req));
    ts_buf b = {0};
    ts_buf_add(&b, "%s", "");
    char buf[4096];
    for (long t = now_ms(); now_ms() - t < 3000;) {
        struct pollfd p = {.fd = s, .events = POLLIN};
        poll(&p, 1, 100);
        ssize_t n = recv(s, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            break;
        if (n > 0) {
            buf[n] = '\0';
            ts_buf_add(&b, "%s", buf);
        }
    }
    close(s);
    return b.s;
}

/* 100 strangers (20 from each of five addresses) each declare a 15 MB body
 * and send all of it but the last byte, as in the issue.  The budget admits
 * three; the rest are answered 503 before their bodies are read.  The
 * shim's RSS must stay within the configured budget of what it was, a
 * stranger's small request gets 503 too, the established client is still
 * served from the reserve, and the stalled bodies are shed by the rate
 * rule. */
static void test_buffered_bytes_budget(void **state)
{
    (void)state;
    enum { N = 100 };
    int fd[N];
    size_t sent[N];
    char header[256];
    int hl = snprintf(header, sizeof header,
                      "POST /soap/mktows/3_1 HTTP/1.1\r\nHost: shim\r\nContent-Type: text/xml\r\n"
                      "Content-Length: %d\r\n\r\n", BODY_BYTES);
    char *chunk = malloc(1 << 16);
    assert_non_null(chunk);
    memset(chunk, ' ', 1 << 16);
    cJSON *before = conn_stats();
    long rss0 = shim_rss();

    for (int i = 0; i < N; i++) {
        char src[32];
        snprintf(src, sizeof src, "127.0.0.%d", 10 + i / PER_CLIENT);
        fd[i] = connect_from(src);
        assert_true(fd[i] >= 0);
        assert_int_equal(send_some(fd[i], header, (size_t)hl), hl);
        sent[i] = 0;
    }
    /* Pump every body up to one byte short; a refused one is closed. */
    long t0 = now_ms();
    int busy = N;
    while (busy && now_ms() - t0 < 20000) {
        struct pollfd p[N];
        int np = 0;
        for (int i = 0; i < N; i++)
            if (fd[i] >= 0 && sent[i] < BODY_BYTES - 1)
                p[np++] = (struct pollfd){.fd = fd[i], .events = POLLOUT};
        busy = np;
        if (!np)
            break;
        poll(p, (nfds_t)np, 100);
        for (int j = 0; j < np; j++) {
            int i = 0;
            while (fd[i] != p[j].fd)
                i++;
            if (!(p[j].revents & (POLLOUT | POLLERR | POLLHUP)))
                continue;
            size_t want = BODY_BYTES - 1 - sent[i];
            ssize_t w = send_some(fd[i], chunk, want < (1 << 16) ? want : (1 << 16));
            if (w < 0) {
                close(fd[i]);
                fd[i] = -1;
            } else {
                sent[i] += (size_t)w;
            }
        }
    }
    free(chunk);
    /* Admitted: the shim took the body up to its last byte (a refused one
     * is closed after its 503, long before). */
    int held = 0;
    for (int i = 0; i < N; i++)
        held += sent[i] == BODY_BYTES - 1;
    long rss1 = shim_rss();

    /* A stranger's small request does not get the reserve, whether its
     * length is declared or chunked... */
    char *declared = answer_from("127.0.0.5",
                                 "POST /soap/mktows/3_1 HTTP/1.1\r\nHost: shim\r\n"
                                 "Content-Length: 5\r\nConnection: close\r\n\r\n<x/>\n");
    char *chunked = answer_from("127.0.0.6",
                                "POST /soap/mktows/3_1 HTTP/1.1\r\nHost: shim\r\n"
                                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                "5\r\n<x/>\n\r\n0\r\n\r\n");
    /* ...the established client does. */
    normal_client_served("100 unfinished 15 MB bodies");
    cJSON *during = conn_stats();
    long rss2 = shim_rss();

    printf("  %d of %d bodies admitted and held one byte short; budget %ld bytes\n", held, N,
           (long)BUDGET);
    printf("  shim RSS: %.1f MB before, %.1f MB with the bodies held, %.1f MB after the"
           " normal call (bound: %.1f MB + budget %.1f MB)\n",
           rss0 / 1e6, rss1 / 1e6, rss2 / 1e6, rss0 / 1e6, BUDGET / 1e6);
    printf("  buffered now %.0f, peak %.0f bytes; refused by the budget: %.0f\n",
           stat_num(during, "buffered_bytes"), stat_num(during, "buffered_peak_bytes"),
           stat_num(during, "refused_budget") - stat_num(before, "refused_budget"));

    assert_int_equal(held, 3);
    assert_true(stat_num(during, "buffered_peak_bytes") <= (double)BUDGET);
    assert_true(stat_num(during, "refused_budget") - stat_num(before, "refused_budget") >=
                N - 3 + 2);
    const char *answers[] = {declared, chunked};
    for (int i = 0; i < 2; i++) {
        if (!strstr(answers[i], "HTTP/1.1 503") || !strstr(answers[i], "<code>20024</code>") ||
            !strstr(answers[i], "Retry-After: 1"))
            fail_msg("a stranger's %s request was answered: %.300s",
                     i ? "chunked" : "declared", answers[i]);
        free((char *)answers[i]);
    }
    /* The bodies held are the budget; MHD's own buffers and the allocator's
     * rounding get 16 MB on top. */
    long bound = rss0 + BUDGET + (16L << 20);
    if (rss1 > bound || rss2 > bound)
        fail_msg("RSS %ld / %ld above the bound %ld", rss1, rss2, bound);

    /* The stalled bodies are shed by the rate rule and their bytes returned. */
    long t1 = now_ms();
    int open = held;
    while (open && now_ms() - t1 < 2 * WINDOW_S * 1000L + SLACK_MS) {
        ts_sleep_ms(100);
        open = 0;
        for (int i = 0; i < N; i++)
            if (fd[i] >= 0) {
                if (closed_by_server(fd[i])) {
                    close(fd[i]);
                    fd[i] = -1;
                } else {
                    open++;
                }
            }
    }
    for (int i = 0; i < N; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    assert_int_equal(open, 0);
    ts_sleep_ms(200);
    cJSON *after = conn_stats();
    assert_true(stat_num(after, "buffered_bytes") == 0);
    cJSON_Delete(before);
    cJSON_Delete(during);
    cJSON_Delete(after);
}

/* ---- per-address limit and the reserve --------------------------------------- */

/* Count how many of fd[0..n) the server closed within 500 ms. */
static int count_refused(const int *fd, int n)
{
    int refused = 0;
    ts_sleep_ms(500);
    for (int i = 0; i < n; i++)
        refused += fd[i] < 0 || closed_by_server(fd[i]);
    return refused;
}

/* One address gets per_client_limit connections and no more; another
 * address is not affected, nor is the normal client. */
static void test_per_address_limit(void **state)
{
    (void)state;
    enum { N = PER_CLIENT + 10 };
    int fd[N], other;
    for (int i = 0; i < N; i++)
        fd[i] = connect_from("127.0.0.20");
    other = connect_from("127.0.0.21");
    int refused = count_refused(fd, N);
    printf("  %d connections from one address: %d refused (limit %d)\n", N, refused,
           PER_CLIENT);
    assert_int_equal(refused, N - PER_CLIENT);
    assert_true(other >= 0);
    assert_false(closed_by_server(other));
    normal_client_served("a per-address flood");
    for (int i = 0; i < N; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    close(other);
}

/* Wait (up to 3 s) until the shim counts at most n open connections: the
 * sockets a test closed are cleaned up by the shim a moment later. */
static void wait_open_at_most(double n)
{
    for (long t = now_ms(); now_ms() - t < 3000; ts_sleep_ms(50)) {
        cJSON *c = conn_stats();
        double open = stat_num(c, "open");
        cJSON_Delete(c);
        if (open <= n)
            return;
    }
    fail_msg("the shim still holds more than %.0f connections", n);
}

/* Strangers from many addresses may fill max_connections - reserve slots
 * and no more; the established client still gets in. */
static void test_reserve_for_established_clients(void **state)
{
    (void)state;
    enum { N = MAX_CONNS - RESERVE_CONNS + 10 };
    int fd[N];
    wait_open_at_most(2);
    cJSON *before = conn_stats();
    for (int i = 0; i < N; i++) {
        char src[32];
        snprintf(src, sizeof src, "127.0.0.%d", 30 + i / PER_CLIENT);
        fd[i] = connect_from(src);
    }
    int accepted = N - count_refused(fd, N);
    normal_client_served("a flood from many addresses");
    cJSON *after = conn_stats();
    printf("  %d strangers from %d addresses: %d accepted (max_connections %d, reserve %d)\n",
           N, (N + PER_CLIENT - 1) / PER_CLIENT, accepted, MAX_CONNS, RESERVE_CONNS);
    /* The shim's own few connections (the normal client's, the stats
     * reader's) count as well, hence the small range. */
    assert_true(accepted <= MAX_CONNS - RESERVE_CONNS);
    assert_true(accepted >= MAX_CONNS - RESERVE_CONNS - 3);
    assert_true(stat_num(after, "refused_reserve") - stat_num(before, "refused_reserve") >=
                N - accepted);
    for (int i = 0; i < N; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    cJSON_Delete(before);
    cJSON_Delete(after);
    wait_open_at_most(2);
}

/* ---- X-Forwarded-* only from a trusted proxy ------------------------------------ */

static char *get_wsdl_from(const char *src)
{
    return answer_from(src, "GET /soap/mktows/2_9?WSDL HTTP/1.1\r\nHost: shim.internal:8080\r\n"
                            "X-Forwarded-Proto: https\r\nX-Forwarded-Host: soap.example.com\r\n"
                            "Connection: close\r\n\r\n");
}

static void test_forwarded_headers_only_from_trusted_proxy(void **state)
{
    (void)state;
    char *trusted = get_wsdl_from("127.0.0.3");
    char *other = get_wsdl_from("127.0.0.4");
    assert_non_null(strstr(trusted, "location=\"https://soap.example.com/soap/mktows/2_9\""));
    assert_non_null(strstr(other, "location=\"http://shim.internal:8080/soap/mktows/2_9\""));
    assert_null(strstr(other, "soap.example.com"));
    free(trusted);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forwarded_headers_only_from_trusted_proxy),
        cmocka_unit_test(test_per_address_limit),
        cmocka_unit_test(test_reserve_for_established_clients),
        cmocka_unit_test(test_trickling_connections_are_shed),
        cmocka_unit_test(test_buffered_bytes_budget),
    };
    return ts_run_tests(tests, setup, ss_group_teardown);
}
