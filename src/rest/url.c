/*
 * url.c — percent-encoding, query strings, the request plan (including the
 * long GET -> POST ?_method=GET rewrite).  Pure code:
 * no locks, no I/O; see url.h for the rules.
 */
#include "url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
           ch == '~';
}

int mk_rest_url_encode(mk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    /* Room for the worst case (every byte escaped) once, then plain
     * writes: a fields list has a comma every few bytes, and growing per
     * escape was most of the encoder's cost (issue 11). */
    if (len > (SIZE_MAX - 1) / 3 || mk_buf_reserve(b, len * 3) != 0)
        return -1;
    char *out = b->data + b->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (unreserved(ch)) {
            *out++ = (char)ch;
        } else {
            *out++ = '%';
            *out++ = hex[ch >> 4];
            *out++ = hex[ch & 15];
        }
    }
    *out = '\0';
    b->len = (size_t)(out - b->data);
    return 0;
}

int mk_rest_query_build(mk_buf *b, const mk_rest_param *params, size_t n)
{
    /* Room for the worst case of the whole query at once: one allocation
     * instead of one per parameter (a lead query's fields list alone is
     * 1.4 KB escaped). */
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nl = params[i].name ? strlen(params[i].name) : 0;
        size_t vl = params[i].value ? strlen(params[i].value) : 0;
        if (nl > SIZE_MAX / 8 || vl > SIZE_MAX / 8 || need > SIZE_MAX / 2)
            return -1;
        need += 2 + 3 * nl + 3 * vl;
    }
    if (n && mk_buf_reserve(b, need) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *name = params[i].name ? params[i].name : "";
        const char *value = params[i].value ? params[i].value : "";
        if ((i > 0 && mk_buf_append(b, "&", 1) != 0) ||
            mk_rest_url_encode(b, name, strlen(name)) != 0 ||
            mk_buf_append(b, "=", 1) != 0 ||
            mk_rest_url_encode(b, value, strlen(value)) != 0)
            return -1;
    }
    return 0;
}

void mk_rest_plan_free(mk_rest_plan *plan)
{
    if (!plan)
        return;
    free(plan->url);
    free(plan->body);
    memset(plan, 0, sizeof *plan);
}

/* base + path without doubling the slash between them (Marketo deprecated
 * "//" in gateway URLs). */
static int append_base_path(mk_buf *b, const char *base, const char *path)
{
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    return mk_buf_append(b, base, blen) || mk_buf_puts(b, path) ? -1 : 0;
}

mk_rest_status mk_rest_plan_build(const char *base, const mk_rest_req *req,
                                  size_t max_uri, mk_rest_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (!base || !req || !req->path || req->path[0] != '/')
        return MK_REST_ERR_INVALID;
    int bodies = (req->json != NULL) + (req->nform > 0) + (req->raw_body != NULL);
    if (bodies > 1 || (req->method == MK_REST_GET && bodies > 0) ||
        (req->raw_body && !req->raw_content_type) ||
        (req->nquery && !req->query) || (req->nform && !req->form))
        return MK_REST_ERR_INVALID;
    if (max_uri == 0)
        max_uri = MK_REST_MAX_URI;

    mk_buf url = {0}, query = {0}, body = {0};
    mk_rest_status st = MK_REST_ERR_NOMEM;

    if (mk_rest_query_build(&query, req->query, req->nquery) != 0 ||
        append_base_path(&url, base, req->path) != 0)
        goto out;

    switch (req->method) {
    case MK_REST_GET:
        plan->method = "GET";
        if (url.len + 1 + query.len > max_uri) {
            /* 414 avoidance, as Marketo documents it: the query moves
             * into a form body and the URI carries only _method=GET. */
            plan->method = "POST";
            plan->method_override = 1;
            plan->content_type = "application/x-www-form-urlencoded";
            if (mk_buf_puts(&url, "?_method=GET") != 0)
                goto out;
            if (query.data) {
                body = query;  /* moved, not copied */
                query = (mk_buf){0};
            } else if (mk_buf_append(&body, "", 0) != 0) {
                goto out;
            }
        } else if (query.len && (mk_buf_append(&url, "?", 1) != 0 ||
                                 mk_buf_append(&url, query.data, query.len) != 0)) {
            goto out;
        }
        break;
    case MK_REST_POST:
    case MK_REST_DELETE:
        plan->method = req->method == MK_REST_POST ? "POST" : "DELETE";
        if (query.len && (mk_buf_append(&url, "?", 1) != 0 ||
                          mk_buf_append(&url, query.data, query.len) != 0))
            goto out;
        if (req->json) {
            char *js = cJSON_PrintUnformatted(req->json);
            if (!js)
                goto out;
            int rc = mk_buf_puts(&body, js);
            cJSON_free(js);
            if (rc != 0)
                goto out;
            plan->content_type = "application/json";
        } else if (req->nform) {
            if (mk_rest_query_build(&body, req->form, req->nform) != 0)
                goto out;
            plan->content_type = "application/x-www-form-urlencoded";
        } else if (req->raw_body) {
            if (mk_buf_append(&body, req->raw_body, req->raw_len) != 0)
                goto out;
            plan->content_type = req->raw_content_type;
        }
        break;
    default:
        st = MK_REST_ERR_INVALID;
        goto out;
    }

    plan->body_len = body.len;
    plan->body = body.data ? mk_buf_take(&body) : NULL;
    plan->url = mk_buf_take(&url);
    if (!plan->url)
        goto out;
    st = MK_REST_OK;
out:
    mk_buf_free(&query);
    mk_buf_free(&body);
    mk_buf_free(&url);
    if (st != MK_REST_OK)
        mk_rest_plan_free(plan);
    return st;
}

void mk_rest_path_template(const char *path, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    const char *p = path ? path : "";
    while (*p && o + 1 < outlen) {
        if (*p == '/') {
            out[o++] = *p++;
            /* an all-digit segment, optionally followed by ".json" */
            const char *q = p;
            while (*q >= '0' && *q <= '9')
                q++;
            if (q > p && (*q == '/' || *q == '\0' || strncmp(q, ".json", 5) == 0)) {
                const char *id = "{id}";
                while (*id && o + 1 < outlen)
                    out[o++] = *id++;
                p = q;
            }
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}
