/*
 * pager.h — the one loop that walks a paged Marketo REST answer.
 *
 * REST pages lead queries, list members, campaigns, custom objects and
 * activities with nextPageToken (activities also with moreResult, and may
 * answer a page with no record while more follow), and the Asset API with
 * offset + maxReturn.  Every handler that reads more than one page does it
 * through mk_pager_run() with the policies it needs:
 *
 *   - how many records are enough (max_records: the run stops after the
 *     page that reached it; 1 = "until a page holds a record");
 *   - what an empty page means: the end (lead queries, where REST stops
 *     giving a token after the last record) or nothing (activities, list
 *     members: read past it while more are promised);
 *   - when to stop reading past empty pages: stop_at_ms, usually the
 *     request's deadline minus the time needed to build the answer.  The
 *     first page is always read, so every SOAP call moves its position on;
 *   - a per-page callback that takes the records (and may stop the walk),
 *     or an array the records are copied into.
 *
 * How a page is sent is a function too: handlers send through mk_ops_rest
 * (mk_ops_send_page in common.h: failures become the request's fault), the coalescer
 * through mk_rest_call with its own cost accounting.  The pager itself
 * never raises a fault: it returns what the send or the callback returned.
 */
#ifndef MK_OPS_PAGER_H
#define MK_OPS_PAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "rest/endpoints.h"
#include "rest/rest.h"

struct soap;

/* Send one page's request; 0 on success, anything else stops the walk and
 * is returned by mk_pager_run (a SOAP code, an mk_rest_status ...).  res is
 * zeroed before; the pager frees it. */
typedef int (*mk_pager_send_fn)(void *ctx, const mk_rest_req *rr, mk_rest_result *res);

/* One page read: records is the page's array (never NULL; may be empty; the
 * callback may detach items or the whole array from res->json).  Set *stop
 * to end the walk after this page (mk_pager.end stays false).  A non-zero
 * return stops the walk and is returned by mk_pager_run. */
typedef int (*mk_pager_page_fn)(void *ctx, mk_rest_result *res, cJSON *records, bool *stop);

typedef enum mk_pager_empty {
    MK_PAGER_EMPTY_ENDS = 0,    /* a page without records is the end */
    MK_PAGER_EMPTY_READ_PAST    /* it is not: read on while more are promised */
} mk_pager_empty;

typedef struct mk_pager {
    /* ---- what to read (set by the caller) ---- */
    mk_rest_ep ep;               /* its paging style and records member come from the catalogue */
    const char *path;            /* templated endpoints: the concrete path; else NULL */
    const mk_rest_param *query;  /* the call's parameters.  A parameter named like the
                                    paging one ("nextPageToken", "offset") marks where the
                                    pager puts it (dropped while there is none); without
                                    one it goes last */
    size_t nquery;
    const cJSON *json;           /* JSON body (POST ?_method=GET queries): the token goes
                                    into a copy of it as "nextPageToken" instead */
    const char *start;           /* the page to start at: a token, or an offset as text;
                                    NULL: the first page */
    int page_size;               /* offset paging: the maxReturn sent (a shorter page is
                                    the last); token paging ignores it */
    /* ---- policies ---- */
    long max_records;            /* stop after the page that brings the records seen to
                                    this many; 0: no limit */
    mk_pager_empty empty;
    int max_pages;               /* 0: no limit */
    int64_t stop_at_ms;          /* on the mk_rest_now_ms() clock: no page after the first
                                    starts at or after it; 0: no limit */
    /* ---- how ---- */
    mk_pager_send_fn send;
    void *send_ctx;
    mk_pager_page_fn on_page;    /* NULL: records are copied into `all` */
    void *page_ctx;
    cJSON *all;                  /* with on_page NULL: up to max_records copies are added */
    /* ---- outcome (read after mk_pager_run; released by mk_pager_done) ---- */
    char *next;                  /* where the next page starts: the token (or offset text)
                                    of the last page read; NULL when REST gave none */
    bool end;                    /* REST said there is nothing after the last page read */
    int pages;                   /* pages read */
    long records;                /* records on them */
    mk_rest_result last;         /* the last page's result (the failed one after a failure) */
} mk_pager;

/* The pager's own failures (negative: SOAP codes and mk_rest_status
 * values a send returns are positive). */
#define MK_PAGER_INVALID (-1)    /* unknown endpoint or no send function */
#define MK_PAGER_NOMEM (-2)

/* Read pages until a policy, the callback or the end stops the walk.
 * Returns 0, the first non-zero value of send or on_page, or a negative
 * MK_PAGER_* (then no fault has been raised).  Call
 * mk_pager_done afterwards whatever it returned. */
int mk_pager_run(mk_pager *p);

/* Free what the outcome holds (next, last); the settings are the caller's. */
void mk_pager_done(mk_pager *p);

/* The request's deadline minus reserve_ms, for stop_at_ms. */
struct mk_op;
int64_t mk_pager_stop_at(const struct mk_op *op, int64_t reserve_ms);

#endif
