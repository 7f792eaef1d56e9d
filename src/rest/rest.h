/*
 * rest.h — the Marketo REST client of mktows-shim.
 *
 * One mk_rest_client per Marketo instance (REST endpoint + identity URL),
 * shared by every worker thread.  Credentials are not part of the client:
 * each call names the REST custom service (client id/secret) it acts for,
 * so SOAP users mapped to different REST services keep separate tokens and
 * separate usage in Marketo's reports.
 *
 * What the client does for every call:
 *   - gets an OAuth token from the per-client-id cache (one cache entry per
 *     client id, shared by all threads; when it must be renewed exactly one
 *     thread calls the identity endpoint and the others wait for it);
 *   - sends it as "Authorization: Bearer" (never as the access_token
 *     parameter, which Marketo removed);
 *   - URL-encodes the query; a GET whose URI would be longer than 8 KB is
 *     sent as POST ?_method=GET with the query as a form body (Marketo's
 *     documented answer to HTTP 414), a lead-database query from 1 KB on
 *     (MK_REST_BODY_QUERY_URI says why);
 *   - reuses connections (a pool of curl easy handles plus a curl share for
 *     the connection cache, DNS and TLS sessions);
 *   - on response code 601/602 (token invalid/expired) drops that token,
 *     renews it and replays the call once;
 *   - parses the JSON envelope without losing digits of large ids
 *     (see json.h) and reports the first error code and requestId;
 *   - counts calls per endpoint template (mk_rest_stats_get()).
 *   - passes every send through the quota guard (limiter.h: N calls per
 *     sliding window, M in flight, daily budget, circuit breaker), waiting
 *     for a slot up to the request's deadline;
 *   - retries with jittered exponential backoff, within the deadline and a
 *     retry cap: 606/615 always (Marketo did not execute the call); 604,
 *     608, 713, HTTP 502/503/504, timeouts and connection errors only when
 *     the request is idempotent (mk_rest_req.idempotent) or provably never
 *     reached Marketo (connection refused, nothing sent).
 *
 * Nothing is printed: every failure comes back as an mk_rest_status plus
 * text in the result.  Coalescing of many SOAP requests into one REST call
 * is the layer above (src/ops/core/coalesce.h).
 */
#ifndef MK_REST_H
#define MK_REST_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "rest/ep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Outcome of a REST client function.  MK_REST_OK is 0; everything else is
 * a failure class that callers map to SOAP faults (see mapping/errors.json). */
typedef enum mk_rest_status {
    MK_REST_OK = 0,
    MK_REST_ERR_INVALID,    /* bad arguments or an impossible request */
    MK_REST_ERR_NOMEM,      /* allocation failed */
    MK_REST_ERR_TRANSPORT,  /* DNS, connect, TLS, reset, oversize body ... */
    MK_REST_ERR_TIMEOUT,    /* the deadline or the client timeout passed */
    MK_REST_ERR_HTTP,       /* HTTP status outside 2xx (413, 414, 5xx ...) */
    MK_REST_ERR_API,        /* HTTP 2xx with "success": false; see error_code */
    MK_REST_ERR_AUTH,       /* no token: identity refused the credentials
                               (HTTP 401) or answered without a token */
    MK_REST_ERR_PARSE       /* HTTP 2xx but the JSON body is unusable */
} mk_rest_status;

/* Static English name of a status ("ok", "transport error", ...). */
const char *mk_rest_status_str(mk_rest_status st);

/* A REST budget shared with other processes: the replicas of one
 * deployment, which together must stay within the instance's limits.
 * cluster/budget.c implements it over Redis; the quota guard (limiter.h)
 * asks it for every admission after its own checks, and falls back to a
 * local share of the limits whenever it answers -1 (unreachable). */
typedef struct mk_rest_shared_ask {
    const char *id;            /* this send's slot id, unique across replicas */
    const char *replica;       /* the asking replica (the prefix of its ids) */
    int rate_limit;
    long rate_window_ms;       /* window + the guard's margin */
    int max_concurrency;
    long daily_quota;          /* 0: none */
    int burst;                 /* 0: never paced */
    long lease_ms;             /* the send ends before this (its deadline) */
    int64_t quota_day;         /* Marketo day number (limiter.h) */
} mk_rest_shared_ask;

typedef enum mk_rest_shared_why {
    MK_SHARED_RATE = 1,        /* window full, paced, or a shared 606 pause */
    MK_SHARED_CONCURRENCY,     /* in-flight full or a shared 615 pause */
    MK_SHARED_DAILY            /* daily budget spent or a shared 607 */
} mk_rest_shared_why;

/* One restored slot (after an outage or a Redis restart): id, and the ms
 * it has left in the window (-1: still in flight). */
typedef struct mk_rest_shared_slot {
    const char *id;
    int64_t remaining_ms;
} mk_rest_shared_slot;

typedef struct mk_rest_shared_budget {
    void *ctx;
    /* 1 admitted (*retry_ms: when the next send could be); 0 not now:
     * *retry_ms (-1: not today) and *why; -1 the store is unreachable.  *generation changes when the store lost its
     * state (restarted empty): the caller then restores its slots. */
    int (*acquire)(void *ctx, const mk_rest_shared_ask *ask, int64_t *retry_ms, int *why,
                   uint64_t *generation);
    /* counted: Marketo counted the send (its window slot stays one window
     * from now); pause_ms > 0 pauses every replica (why: RATE after 606,
     * CONCURRENCY after 615); blocked_ms > 0 refuses all until then (607).
     * An uncounted send gives its unit back to Marketo day quota_day. */
    int (*release)(void *ctx, const char *id, int counted, long window_ms, int64_t pause_ms,
                   int pause_why, int64_t blocked_ms, int64_t quota_day);
    /* Put this replica's recent sends back into the shared window. */
    int (*restore)(void *ctx, const mk_rest_shared_slot *slots, size_t n, long window_ms,
                   long lease_ms);
    /* How many replicas share the limits: while the store is unreachable
     * each one keeps to limit / replicas (at least 1). */
    int replicas;
} mk_rest_shared_budget;

/* Marketo's REST batch limit: at most 300 records per write, 300 filter
 * values per query, 300 records per page (rest-api.md).  The one place the
 * number is written; MK_REST_BATCH_MAX_TEXT is the same as query text. */
#define MK_REST_BATCH_MAX 300
#define MK_REST_BATCH_MAX_TEXT "300"

/* Marketo's limits as the quota guard enforces them (limiter.h).  Zero
 * fields take Marketo's real values. */
typedef struct mk_rest_limits {
    int rate_limit;            /* calls per window; 0: 100 */
    long rate_window_ms;       /* 0: 20000 */
    int max_concurrency;       /* calls in flight; 0: 10 */
    long daily_quota;          /* local budget per Marketo day; 0: none (607 is honoured) */
    long window_margin_ms;     /* safety added to the window; 0: 100, negative: none */
    int breaker_failures;      /* consecutive unanswered calls that mean "down"; 0: 5, <0: never */
    long breaker_probe_ms;     /* while down, one probe call this often; 0: 1000 */
    long quota_recheck_ms;     /* after a 607, ask Marketo again after; 0: 300000 */
    int burst;                 /* calls in the window before admissions are paced at
                                  one per window/rate_limit; 0: max_concurrency
                                  (at most rate_limit), negative: never paced */
    const mk_rest_shared_budget *shared;  /* NULL: this process alone (not owned) */
} mk_rest_limits;

/* How a failure may be retried (see mk_rest_config.retry_class). */
typedef enum mk_rest_retry_class {
    MK_REST_RETRY_NEVER = 0,
    MK_REST_RETRY_TRANSIENT,   /* backoff, idempotent requests only (or never sent) */
    MK_REST_RETRY_LIMIT,       /* 606/615: not executed, backoff for any request */
    MK_REST_RETRY_QUOTA        /* 607: not before the Marketo day turns */
} mk_rest_retry_class;

struct mk_rest_result;

/* Classifies a failed call for retrying.  NULL: the built-in table (606,
 * 615 limit; 607 quota; 604, 608, 614, 713, 719, HTTP 502/503/504,
 * transport and timeout transient; everything else never). */
typedef mk_rest_retry_class (*mk_rest_retry_fn)(void *ctx, mk_rest_status st,
                                                const struct mk_rest_result *r);

/* How to reach one Marketo instance.  Strings are copied. */
typedef struct mk_rest_config {
    const char *endpoint;      /* REST base, e.g. "https://284-RPR-133.mktorest.com"
                                  (paths such as "/rest/v1/leads.json" are appended) */
    const char *identity;      /* identity base, e.g. ".../identity"
                                  ("/oauth/token" is appended) */
    long connect_timeout_ms;   /* 0: 10 s */
    long timeout_ms;           /* whole-call cap when the request has no
                                  deadline; 0: 330 s (Marketo's own time-outs
                                  go up to 300 s for paging tokens and assets) */
    size_t max_idle_handles;   /* curl handles kept for reuse; 0: 16 */
    size_t max_response_bytes; /* larger bodies fail as transport errors; 0: 64 MiB */
    const char *user_agent;    /* NULL: "mktows-shim/<version>" */
    mk_rest_limits limits;     /* the quota guard */
    int max_retries;           /* backoff retries per call; 0: 8, negative: none */
    long retry_base_ms;        /* first backoff; doubles per retry; 0: 200 */
    long retry_max_ms;         /* backoff cap; 0: 5000 */
    mk_rest_retry_fn retry_class;  /* NULL: built-in table */
    void *retry_ctx;
} mk_rest_config;

/* A REST custom service's credentials.  Tokens are cached per client_id. */
typedef struct mk_rest_cred {
    const char *client_id;
    const char *client_secret;
} mk_rest_cred;

/* One name=value pair of a query string or form body.  Names may repeat
 * (?id=1&id=2).  Both are raw text; the client percent-encodes them.  A NULL
 * value is sent as an empty value. */
typedef struct mk_rest_param {
    const char *name;
    const char *value;
} mk_rest_param;

typedef enum mk_rest_method {
    MK_REST_GET = 0,
    MK_REST_POST,
    MK_REST_DELETE
} mk_rest_method;

/* May the call be sent again after an answer that leaves it unknown
 * whether Marketo executed it (604, 608, 713, 502, timeout, reset)? */
typedef enum mk_rest_idempotency {
    MK_REST_IDEMPOTENT_AUTO = 0, /* GET: yes; POST/DELETE: no */
    MK_REST_IDEMPOTENT,          /* reads; writes safe to repeat (sync with a
                                    lookup key, list membership, deletes) */
    MK_REST_NOT_IDEMPOTENT       /* createDuplicate, campaign triggers, ... */
} mk_rest_idempotency;

/* One logical REST call.  At most one body kind may be set; GET takes none
 * (a long GET is rewritten by the client, not by the caller).  Nothing here
 * is taken over by the client. */
/* Whom a call is made for: the quota guard shares waiting between keys
 * (the SOAP user) by weight, each key's calls in arrival order (limiter.h).
 * NULL, or an empty key: the anonymous key. */
typedef struct mk_rest_caller {
    const char *key;
    int weight;                  /* < 1: 1 */
} mk_rest_caller;

typedef struct mk_rest_req {
    mk_rest_ep ep;               /* the endpoint (endpoints.h): method, path template
                                    and idempotency come from its catalogue row, and
                                    path too when the template has no {placeholder};
                                    MK_EP_NONE: the fields below say it all */
    mk_rest_method method;
    const char *path;            /* "/rest/v1/leads.json" (leading '/') */
    const char *path_template;   /* stats key, e.g. "/rest/v1/lists/{listId}/leads.json";
                                    NULL: derived from path (digit segments -> {id}) */
    const mk_rest_param *query;  /* query parameters, not yet encoded */
    size_t nquery;
    const cJSON *json;           /* JSON body, sent as application/json */
    const mk_rest_param *form;   /* form body, application/x-www-form-urlencoded */
    size_t nform;
    const char *raw_body;        /* any other body (e.g. multipart for bulk import) */
    size_t raw_len;
    const char *raw_content_type;/* required with raw_body */
    int64_t deadline_ms;         /* absolute, on the mk_rest_now_ms() clock; 0:
                                    only the client's timeout applies.  Covers
                                    token renewal, quota-guard waits, backoff
                                    and retries too. */
    mk_rest_idempotency idempotent;
    struct mk_rest_reservation *reservation; /* NULL, or a quota-guard slot taken
                                    with mk_rest_reserve(): the first send uses
                                    it instead of waiting again (later sends,
                                    replays and retries wait as usual); the
                                    call always consumes it */
    const mk_rest_caller *caller; /* whom the call is for (NULL: anonymous) */
} mk_rest_req;

/* What came back.  Zero it or let mk_rest_call() do so; always release it
 * with mk_rest_result_free(), whatever the call returned. */
typedef struct mk_rest_result {
    long http_status;           /* 0 when no HTTP response was received */
    cJSON *json;                /* parsed body (owned), NULL if none/not JSON */
    char *body;                 /* raw body, NUL-terminated (owned), may be NULL */
    size_t body_len;
    int success;                /* envelope "success": 1, 0, or -1 when absent */
    int error_code;             /* first errors[].code (601, 1004 ...), 0 if none */
    char error_message[256];    /* its message, or the reason of a non-API failure */
    char request_id[64];        /* envelope requestId, "" if absent */
    int attempts;               /* HTTP sends made for this call (2 after a 601/602 replay) */
    int method_override;        /* 1 when sent as POST ?_method=GET */
    int retries;                /* backoff retries (not counting 601/602 replays) */
    int64_t limiter_wait_ms;    /* time spent waiting for the quota guard */
    int64_t backoff_ms;         /* time spent sleeping between retries */
    int limited;                /* 1: the quota guard refused and nothing was sent
                                   in the end; error_code then says why as Marketo
                                   would (606 rate, 615 concurrency, 607 daily),
                                   or status is TRANSPORT (REST endpoint down) */
} mk_rest_result;

typedef struct mk_rest_client mk_rest_client;

/* Create a client.  Initialises libcurl once per process (thread-safe).
 * Returns MK_REST_OK and *out, or an error with a message in err (which may
 * be NULL). */
mk_rest_status mk_rest_client_new(const mk_rest_config *cfg, mk_rest_client **out,
                                  char *err, size_t errlen);

/* Destroy a client.  No call may be in progress.  NULL is ignored. */
void mk_rest_client_free(mk_rest_client *c);

/* Make one REST call as cred and fill *out (which is reset first).
 * Returns MK_REST_OK when HTTP was 2xx and the envelope did not say
 * success:false; otherwise the failure class, with details in *out.
 * Thread-safe: any number of threads may call it on one client. */
mk_rest_status mk_rest_call(mk_rest_client *c, const mk_rest_cred *cred,
                            const mk_rest_req *req, mk_rest_result *out);

/* Release what a result owns and zero it.  NULL is ignored. */
void mk_rest_result_free(mk_rest_result *r);

/* Drop the cached token of cred->client_id (the next call renews it).
 * Meant for configuration changes and tests. */
void mk_rest_forget_token(mk_rest_client *c, const char *client_id);

/* Have a token for cred as a call would (the cached one, or renewed now,
 * single flight), without calling the REST API: MK_REST_OK, or why not
 * in err (identity refused the credentials, unreachable ...).  For the
 * readiness check. */
mk_rest_status mk_rest_token_check(mk_rest_client *c, const mk_rest_cred *cred,
                                   int64_t deadline_ms, char *err, size_t errlen);

/* Milliseconds on the monotonic clock that deadlines are expressed in. */
int64_t mk_rest_now_ms(void);

/* 0 when the quota guard would admit a call right now; otherwise an
 * estimate of the milliseconds until it would (>= 1), or -1 while calls are
 * refused outright (REST down, daily budget spent).  Lets a batching layer
 * keep collecting work while no call could be sent anyway. */
int64_t mk_rest_ready_in_ms(mk_rest_client *c);

/* Milliseconds between sends at the budget's sustained pace (window /
 * rate; 0 when that rounds to nothing): lets a batching layer estimate
 * how long a queue of calls will take. */
int64_t mk_rest_pace_ms(mk_rest_client *c);

/* Calls that could be sent now without waiting for a concurrency slot
 * (0 or less: a caller would queue): lets a batching layer send a request
 * alone when sharing would save nothing. */
int mk_rest_free_concurrency(mk_rest_client *c);

/* A quota-guard slot taken ahead of the call that will use it.  A batching
 * layer reserves first and decides what the call carries afterwards: the
 * batch keeps taking members for as long as the guard makes it wait, and
 * is sealed only once its send is certain. */
typedef struct mk_rest_reservation {
    int held;                   /* 1 between reserve and the call (or cancel) */
    int slot;                   /* the guard's slot; internal */
    int probe;                  /* internal */
    int64_t waited_ms;          /* how long the guard made the reservation wait */
} mk_rest_reservation;

/* Wait for a slot until deadline_ms.  MK_REST_OK: r->held is 1 and the slot
 * must be consumed by mk_rest_call (req.reservation) or given back with
 * mk_rest_reservation_cancel.  Otherwise *out says why (606/615/607 as the
 * guard words them, or REST down) and nothing is held; free *out. */
mk_rest_status mk_rest_reserve(mk_rest_client *c, int64_t deadline_ms,
                               const mk_rest_caller *caller, mk_rest_reservation *r,
                               mk_rest_result *out);

/* Give an unused reservation back: not counted, nothing learnt about the
 * endpoint.  A reservation not held is ignored. */
void mk_rest_reservation_cancel(mk_rest_client *c, mk_rest_reservation *r);
/* ---- recording the sends of one thread (trace to REST) ---------------
 *
 * A worker serving a request whose SOAP user asked for a transcript sets a
 * recorder on its own thread; every HTTP send mk_rest_call() makes on that
 * thread (first try, 601/602 replay, retry; never the identity call) is
 * handed to it as it really went out, with the answer.  Calls made on other
 * threads (a coalesced batch led by another request) are not seen, which is
 * why the lead batching layer sends a recorded request's calls alone
 * (mk_rest_recording()). */
typedef struct mk_rest_send_record {
    const char *method;         /* as sent: "POST" for a GET sent as POST ?_method=GET */
    const char *url;            /* full URL with the encoded query */
    const char *content_type;   /* NULL without a body */
    const char *body;
    size_t body_len;
    long http_status;           /* 0: no HTTP answer */
    const char *answer;         /* the response body, may be NULL */
    size_t answer_len;
    int error_code;             /* Marketo code of the answer, 0 if none */
} mk_rest_send_record;

typedef struct mk_rest_recorder {
    int (*wants)(void *ctx);    /* NULL: always; else asked before each send */
    void (*record)(void *ctx, const mk_rest_send_record *rec);
    void *ctx;
} mk_rest_recorder;

/* Set (or with NULL clear) this thread's recorder.  The struct is copied. */
void mk_rest_recorder_set(const mk_rest_recorder *rec);

/* 1 when this thread's sends are being recorded now. */
int mk_rest_recording(void);

/* ---- statistics ------------------------------------------------------ */

/* Calls to one endpoint, keyed by "<METHOD> <path template>", e.g.
 * "GET /rest/v1/lists/{id}/leads.json".  A GET sent as POST ?_method=GET
 * still counts as GET. */
typedef struct mk_rest_endpoint_stats {
    char key[160];
    uint64_t calls;      /* HTTP sends, including 601/602 replays */
    uint64_t failures;   /* sends that did not end MK_REST_OK */
} mk_rest_endpoint_stats;

/* The quota guard's state and counters. */
typedef struct mk_rest_limiter_stats {
    int rate_limit;
    long rate_window_ms;
    int max_concurrency;
    long daily_quota;
    int window_used;        /* window slots occupied now */
    int in_flight;
    int max_in_flight;      /* most sends in flight at once so far */
    int waiting;            /* callers queued now */
    long daily_used;        /* sends counted this Marketo day */
    int64_t daily_reset_unix_ms;  /* when this Marketo day ends */
    int daily_blocked;      /* a 607 (or the local budget) refuses calls now */
    int breaker_open;
    uint64_t admitted;
    uint64_t waited;        /* admissions that had to wait */
    uint64_t wait_ms_total;
    int64_t wait_ms_max;
    uint64_t wakeups;       /* times a queued caller woke to look again */
    uint64_t refused_rate, refused_concurrency, refused_daily, refused_down;
    uint64_t refused_early;  /* of refused_rate: at once, the queue ahead too long */
    uint64_t answers_606, answers_615, answers_607;
    uint64_t breaker_opens;
    /* Shared budget (cluster.redis): 0 not configured, 1 in use, 2 the store
     * is unreachable and this replica keeps to its local share. */
    int shared_mode;
    int effective_rate_limit, effective_max_concurrency;  /* what is enforced now */
    uint64_t shared_fallbacks;   /* times the local share took over */
    uint64_t shared_waits;       /* admissions the shared budget made wait */
    uint64_t shared_restores;    /* local slots put back after an outage */
    char shared_replica[24];     /* this replica's prefix of its slot ids */
} mk_rest_limiter_stats;

/* A consistent snapshot of the client's counters. */
typedef struct mk_rest_stats {
    uint64_t calls;            /* HTTP sends to the REST endpoint */
    uint64_t identity_calls;   /* HTTP sends to the identity endpoint */
    uint64_t token_replays;    /* calls replayed after a 601/602 */
    uint64_t method_overrides; /* GETs sent as POST ?_method=GET */
    uint64_t transport_errors; /* sends with no usable HTTP response */
    uint64_t retries;          /* backoff retries */
    uint64_t retries_exhausted;/* calls that failed with retries left undone
                                  for lack of time or of retry budget */
    uint64_t connections_opened; /* TCP connections made (REST and identity);
                                  kept alive, far fewer than calls */
    mk_rest_limiter_stats limiter;
    size_t nendpoints;
    mk_rest_endpoint_stats *endpoints; /* owned, sorted by key */
} mk_rest_stats;

/* Copy the counters into *out (thread-safe).  Free with mk_rest_stats_free().
 * Returns MK_REST_OK or MK_REST_ERR_NOMEM. */
mk_rest_status mk_rest_stats_get(mk_rest_client *c, mk_rest_stats *out);

/* Release a snapshot's memory and zero it.  NULL is ignored. */
void mk_rest_stats_free(mk_rest_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* MK_REST_H */
