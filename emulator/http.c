/*
 * http.c — reading a request's parameters and body, and writing the Marketo
 * envelope (http.h).  Nothing here knows about routes, limits or the store:
 * server.c decides what to answer, this file only says it the way Marketo
 * does.
 */
#include "http.h"

#include "buf.h"
#include "clock.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- parameters ------------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *url_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+')
            *o++ = ' ';
        else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
                 hexval((unsigned char)s[i + 2]) >= 0) {
            *o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else
            *o++ = s[i];
    }
    *o = '\0';
    return out;
}

int emu_params_parse(emu_params *p, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(s + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (s + i)) : j - i;
            if (p->n == p->cap) {
                int cap = p->cap ? p->cap * 2 : 8;
                void *kv = realloc(p->kv, (size_t)cap * sizeof *p->kv);
                if (!kv)
                    return -1;
                p->kv = kv;
                p->cap = cap;
            }
            char *k = url_decode(s + i, klen);
            char *v = eq ? url_decode(eq + 1, (size_t)(s + j - eq - 1)) : strdup("");
            if (!k || !v) {
                free(k);
                free(v);
                return -1;
            }
            p->kv[p->n++] = (struct emu_param_kv){k, v};
        }
        i = j + 1;
    }
    return 0;
}

void emu_params_free(emu_params *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->kv[i].k);
        free(p->kv[i].v);
    }
    free(p->kv);
    for (int i = 0; i < p->njoined; i++)
        free(p->joined[i]);
    free(p->joined);
    *p = (emu_params){0};
}

const char *emu_param(const emu_req *r, const char *name)
{
    const emu_params *p = r->params;
    for (int i = 0; p && i < p->n; i++)
        if (!strcmp(p->kv[i].k, name))
            return p->kv[i].v;
    return NULL;
}

const char *emu_param_list(const emu_req *r, const char *name)
{
    emu_params *p = r->params;
    emu_buf b = {0};
    bool found = false;
    for (int i = 0; p && i < p->n; i++)
        if (!strcmp(p->kv[i].k, name)) {
            if (found)
                emu_buf_put(&b, ",", 1);
            emu_buf_str(&b, p->kv[i].v);
            found = true;
        }
    if (!found)
        return NULL;
    char **joined = realloc(p->joined, (size_t)(p->njoined + 1) * sizeof *p->joined);
    char *out = emu_buf_take(&b);
    if (!joined || !out) {
        if (joined)
            p->joined = joined;
        free(out);
        return NULL;
    }
    p->joined = joined;
    p->joined[p->njoined++] = out;
    return out;
}

/* ---- answers ------------------------------------------------------------------ */

void emu_fail(emu_resp *resp, const char *code, const char *fmt, ...)
{
    resp->error_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(resp->error_message, sizeof resp->error_message, fmt, ap);
    va_end(ap);
}

void emu_resp_json(emu_resp *resp, int status, cJSON *body)
{
    resp->kind = EMU_BODY_RAW;
    resp->http_status = status;
    resp->raw = cJSON_PrintUnformatted(body);
    resp->raw_len = resp->raw ? strlen(resp->raw) : 0;
    resp->raw_type = "application/json;charset=UTF-8";
    cJSON_Delete(body);
}

/* Marketo's requestIds look like "e42b#14272d07d78": a counter and the time. */
static void request_id(char out[40])
{
    static atomic_uint counter;
    unsigned n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    snprintf(out, 40, "%x#%llx", (n & 0xfffffu) | 0x10000u,
             (unsigned long long)emu_now_ms());
}

char *emu_resp_render(emu_resp *resp, size_t *len, int *status, const char **type)
{
    *status = resp->http_status ? resp->http_status : 200;
    if (resp->kind == EMU_BODY_RAW) {
        char *raw = resp->raw;
        resp->raw = NULL;
        *len = raw ? resp->raw_len : 0;
        *type = resp->raw_type ? resp->raw_type : "application/octet-stream";
        return raw ? raw : strdup("");
    }
    char rid[40];
    request_id(rid);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "requestId", rid);
    if (resp->error_code) {
        cJSON_AddFalseToObject(o, "success");
        cJSON *errs = cJSON_AddArrayToObject(o, "errors");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "code", resp->error_code);
        cJSON_AddStringToObject(e, "message", resp->error_message);
        cJSON_AddItemToArray(errs, e);
    } else {
        cJSON_AddTrueToObject(o, "success");
        if (resp->result) {
            cJSON_AddItemToObject(o, "result", resp->result);
            resp->result = NULL;
        }
    }
    if (resp->warnings) {
        cJSON_AddItemToObject(o, "warnings", resp->warnings);
        resp->warnings = NULL;
    }
    if (!resp->error_code) {
        if (resp->extra) {
            cJSON *m = resp->extra->child;
            while (m) {
                cJSON *next = m->next;
                cJSON_AddItemToObject(o, m->string, cJSON_DetachItemViaPointer(resp->extra, m));
                m = next;
            }
        }
        if (resp->next_page_token)
            cJSON_AddStringToObject(o, "nextPageToken", resp->next_page_token);
        if (resp->more_result >= 0)
            cJSON_AddBoolToObject(o, "moreResult", resp->more_result);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    *len = text ? strlen(text) : 0;
    *type = "application/json;charset=UTF-8";
    return text;
}

void emu_resp_free(emu_resp *resp)
{
    cJSON_Delete(resp->result);
    cJSON_Delete(resp->warnings);
    cJSON_Delete(resp->extra);
    free(resp->next_page_token);
    free(resp->raw);
}

/* ---- bodies and headers --------------------------------------------------- */

cJSON *emu_json_parse_whole(const char *body, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!j)
        return NULL;
    for (; end && end < body + len; end++)
        if (!isspace((unsigned char)*end)) {
            cJSON_Delete(j);
            return NULL;
        }
    return j;
}

bool emu_content_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return ct && !strncasecmp(ct, type, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}
