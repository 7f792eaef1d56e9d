/*
 * pager.c — the one loop over paged REST answers (see pager.h).
 *
 * Rules it keeps for every caller (MIGRATION.md "Paging"): the first page
 * is always read, so every SOAP call moves its stream position on however
 * close the deadline; after that no page starts past stop_at_ms; on token
 * paging the end is a missing nextPageToken or moreResult false (an
 * activities page with no record while moreResult is true is not the end:
 * rest-api.md "Paging"); on offset paging a page shorter than maxReturn.
 */
#include "ops/core/pager.h"
#include "ops/core/op.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/request.h"
#include "rest/json.h"

/* The page parameters of this page: the caller's, with the paging one put
 * in its slot (or last), or left out while there is no position yet. */
static size_t page_query(const mk_pager *p, const char *pname, const char *pos, bool in_body,
                         mk_rest_param *q)
{
    size_t nq = 0;
    bool placed = false;
    for (size_t i = 0; i < p->nquery; i++) {
        if (p->query[i].name && strcmp(p->query[i].name, pname) == 0) {
            placed = true;
            if (pos && !in_body)
                q[nq++] = (mk_rest_param){pname, pos};
        } else {
            q[nq++] = p->query[i];
        }
    }
    if (!placed && pos && !in_body)
        q[nq++] = (mk_rest_param){pname, pos};
    return nq;
}

/* Where the page after this one starts (p->next) and whether there is one. */
static int page_next(mk_pager *p, mk_rest_paging style, const char *pos, int n, bool *end)
{
    free(p->next);
    p->next = NULL;
    if (style == MK_PAGING_TOKEN) {
        const char *t = mk_rest_json_get_string(p->last.json, "nextPageToken");
        int more = -1;
        mk_rest_json_get_bool(p->last.json, "moreResult", &more);
        if (t && *t && !(p->next = strdup(t)))
            return MK_PAGER_NOMEM;
        *end = !p->next || more == 0;
    } else if (style == MK_PAGING_OFFSET) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", strtoll(pos ? pos : "0", NULL, 10) + n);
        if (!(p->next = strdup(buf)))
            return MK_PAGER_NOMEM;
        *end = p->page_size > 0 ? n < p->page_size : n == 0;
    } else {
        *end = true;
    }
    if (p->empty == MK_PAGER_EMPTY_ENDS && n == 0)
        *end = true;
    return 0;
}

/* Read one page at pos into p->last; hand its records over. */
static int read_page(mk_pager *p, const mk_rest_endpoint *e, const char *pos, mk_rest_param *q,
                     bool *end, bool *stop)
{
    const char *pname = e->paging == MK_PAGING_OFFSET ? "offset" : "nextPageToken";
    bool in_body = p->json && e->paging == MK_PAGING_TOKEN;
    size_t nq = page_query(p, pname, pos, in_body, q);
    cJSON *body = NULL;
    if (p->json) {
        body = cJSON_Duplicate(p->json, 1);
        if (!body || (in_body && pos && !cJSON_AddStringToObject(body, "nextPageToken", pos))) {
            cJSON_Delete(body);
            return MK_PAGER_NOMEM;
        }
    }
    mk_rest_req rr = {.ep = p->ep, .path = p->path, .query = q, .nquery = nq, .json = body};
    mk_rest_result_free(&p->last);
    int rc = p->send(p->send_ctx, &rr, &p->last);
    cJSON_Delete(body);
    p->pages++;
    if (rc != 0)
        return rc;

    cJSON *recs = cJSON_GetObjectItemCaseSensitive(p->last.json, e->records ? e->records : "result");
    cJSON *none = NULL;
    if (!cJSON_IsArray(recs) && !(recs = none = cJSON_CreateArray()))
        return MK_PAGER_NOMEM;
    int n = cJSON_GetArraySize(recs);
    p->records += n;
    rc = page_next(p, e->paging, pos, n, end);
    if (rc == 0 && p->on_page) {
        rc = p->on_page(p->page_ctx, &p->last, recs, stop);
    } else if (rc == 0 && p->all) {
        /* Moved, not copied: the page's answer keeps its outline
         * (nextPageToken, moreResult) and loses the records it handed on. */
        int have = cJSON_GetArraySize(p->all);
        while (recs->child && (p->max_records <= 0 || have < p->max_records)) {
            cJSON_AddItemToArray(p->all, cJSON_DetachItemViaPointer(recs, recs->child));
            have++;
        }
    }
    cJSON_Delete(none);
    return rc;
}

int mk_pager_run(mk_pager *p)
{
    const mk_rest_endpoint *e = mk_rest_endpoint_get(p->ep);
    free(p->next);
    p->next = NULL;
    mk_rest_result_free(&p->last);
    p->end = false;
    p->pages = 0;
    p->records = 0;
    if (!e || !p->send)
        return MK_PAGER_INVALID;

    char *pos = p->start ? strdup(p->start) : NULL;
    mk_rest_param *q = malloc(sizeof *q * (p->nquery + 1));
    int rc = (p->start && !pos) || !q ? MK_PAGER_NOMEM : 0;
    while (rc == 0) {
        if (p->pages > 0 && p->stop_at_ms > 0 && mk_rest_now_ms() >= p->stop_at_ms)
            break;
        bool end = false, stop = false;
        rc = read_page(p, e, pos, q, &end, &stop);
        p->end = rc == 0 && end;
        if (rc != 0 || end || stop)
            break;
        if ((p->max_records > 0 && p->records >= p->max_records) ||
            (p->max_pages > 0 && p->pages >= p->max_pages))
            break;
        free(pos);
        if (!(pos = strdup(p->next)))
            rc = MK_PAGER_NOMEM;
    }
    free(pos);
    free(q);
    return rc;
}

void mk_pager_done(mk_pager *p)
{
    free(p->next);
    p->next = NULL;
    mk_rest_result_free(&p->last);
}

int64_t mk_pager_stop_at(const mk_op *op, int64_t reserve_ms)
{
    return op->deadline_ms - reserve_ms;
}
