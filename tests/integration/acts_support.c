/*
 * acts_support.c — shared plumbing of the activity and asset integration
 * tests (acts_support.h).
 */
#include "acts_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "soap/auth.h"

char *acts_fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

cJSON *acts_default_seed(void)
{
    char *path = acts_fmt("%s/src/emulator/seed/default.json", ts_env("MKTOWS_SOURCE_DIR"));
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
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    free(buf);
    free(path);
    return j;
}

int acts_start(acts_env *e, cJSON *seed, const char *extra_config)
{
    memset(e, 0, sizeof *e);
    char *text = cJSON_PrintUnformatted(seed);
    cJSON_Delete(seed);
    e->seed_path = ts_write_temp(".json", text);
    free(text);
    const char *extra[] = {"--seed", e->seed_path, "--rate-limit", "off", "--concurrency", "off",
                           NULL};
    if (ts_emulator_start(&e->emu, extra) != 0)
        return -1;
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "listen", "127.0.0.1:0");
    cJSON *rest = cJSON_AddObjectToObject(cfg, "rest");
    cJSON_AddStringToObject(rest, "endpoint", e->emu.url);
    char *identity = acts_fmt("%s/identity", e->emu.url);
    cJSON_AddStringToObject(rest, "identity", identity);
    free(identity);
    cJSON_AddStringToObject(rest, "client_id", "test-id");
    cJSON_AddStringToObject(rest, "client_secret", "test-secret");
    /* The emulator runs without Marketo's rate limit; so does the shim's
     * quota guard, or paging tests would wait for call slots. */
    cJSON_AddNumberToObject(rest, "rate_limit", 100000);
    cJSON *users = cJSON_AddObjectToObject(cfg, "soap_users");
    cJSON *u = cJSON_AddObjectToObject(users, ACTS_USER);
    cJSON_AddStringToObject(u, "encryption_key", ACTS_KEY);
    char *mapping = acts_fmt("%s/mapping", ts_env("MKTOWS_SOURCE_DIR"));
    cJSON_AddStringToObject(cfg, "mapping_dir", mapping);
    free(mapping);
    if (extra_config) {
        cJSON *x = cJSON_Parse(extra_config);
        assert_non_null(x);
        cJSON *m;
        while ((m = x->child)) {
            cJSON_DetachItemViaPointer(x, m);
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, m->string);
            cJSON_AddItemToObject(cfg, m->string, m);
        }
        cJSON_Delete(x);
    }
    text = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    e->config_path = ts_write_temp(".json", text);
    free(text);
    const char *argv[] = {ts_env("MKTOWS_SHIM"), "--config", e->config_path, NULL};
    if (ts_proc_start(&e->shim, argv) != 0)
        return -1;
    e->token = ts_emulator_token(&e->emu);
    return e->token ? 0 : -1;
}

int acts_stop(acts_env *e)
{
    int a = ts_proc_stop(&e->shim), b = ts_proc_stop(&e->emu);
    unlink(e->config_path);
    unlink(e->seed_path);
    free(e->config_path);
    free(e->seed_path);
    free(e->token);
    return a == 0 && b == 0 ? 0 : -1;
}

/* ---- SOAP ----------------------------------------------------------------------- */

void acts_post(const acts_env *e, const char *version, const char *body, ts_http_resp *r)
{
    char ts[64], sig[MK_AUTH_SIG_HEX + 1];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    assert_int_equal(mk_auth_signature(ACTS_KEY, ts, ACTS_USER, sig), 0);
    char *xml = acts_fmt(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
        " xmlns:ns1=\"http://www.marketo.com/mktows/\""
        " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
        "<SOAP-ENV:Header><ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId>"
        "<requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp>"
        "</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>%s</SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>",
        ACTS_USER, sig, ts, body);
    char *url = acts_fmt("%s/soap/mktows/%s", e->shim.url, version);
    const char *hdrs[] = {"Content-Type: text/xml;charset=UTF-8", NULL};
    assert_int_equal(ts_http("POST", url, hdrs, xml, strlen(xml), r), 0);
    free(url);
    free(xml);
}

static char *header(const ts_http_resp *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            eol = p + strlen(p);
        if ((size_t)(eol - p) > n + 1 && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            return acts_fmt("%.*s", (int)(eol - v), v);
        }
        p = *eol ? eol + 2 : eol;
    }
    return NULL;
}

char *acts_call_h(const acts_env *e, const char *body, char **rest_calls)
{
    ts_http_resp r;
    acts_post(e, "3_1", body, &r);
    if (r.status != 200)
        fail_msg("HTTP %ld for %s\n%s", r.status, body, r.body);
    assert_null(strstr(r.body, ":Header>"));
    char *b = strdup(r.body);
    if (rest_calls) {
        *rest_calls = header(&r, "X-Mktows-Rest-Calls");
        if (!*rest_calls)
            *rest_calls = strdup("0");
    }
    ts_http_free(&r);
    return b;
}

char *acts_call(const acts_env *e, const char *body)
{
    return acts_call_h(e, body, NULL);
}

char *acts_fault(const acts_env *e, const char *body, int code)
{
    ts_http_resp r;
    acts_post(e, "3_1", body, &r);
    char want[64];
    snprintf(want, sizeof want, "<code>%d</code>", code);
    if (r.status != 500 || !strstr(r.body, want))
        fail_msg("want fault %d, got HTTP %ld: %s\nfor %s", code, r.status, r.body, body);
    snprintf(want, sizeof want, "<faultstring>%d - ", code);
    assert_non_null(strstr(r.body, want));
    char *b = strdup(r.body);
    ts_http_free(&r);
    return b;
}

/* ---- XML ------------------------------------------------------------------------- */

/* The first start tag <tag> or <tag ...> or <tag/>; *self_closing set. */
static const char *find_start(const char *xml, const char *tag, const char **content,
                              bool *self_closing)
{
    size_t n = strlen(tag);
    for (const char *p = strchr(xml, '<'); p; p = strchr(p + 1, '<')) {
        if (strncmp(p + 1, tag, n) != 0)
            continue;
        char c = p[1 + n];
        if (c != '>' && c != ' ' && c != '/')
            continue;
        const char *gt = strchr(p, '>');
        if (!gt)
            return NULL;
        *self_closing = gt[-1] == '/';
        *content = gt + 1;
        return p;
    }
    return NULL;
}

bool xml_has(const char *xml, const char *tag)
{
    const char *c;
    bool sc;
    return find_start(xml, tag, &c, &sc) != NULL;
}

bool xml_is_nil(const char *xml, const char *tag)
{
    const char *c;
    bool sc;
    const char *p = find_start(xml, tag, &c, &sc);
    return p && strstr(p, "xsi:nil=\"true\"") && strstr(p, "xsi:nil=\"true\"") < c;
}

static char *unescape(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&') {
            const struct { const char *e; char c; } ents[] = {
                {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
            bool done = false;
            for (size_t k = 0; k < 5 && !done; k++) {
                size_t l = strlen(ents[k].e);
                if (i + l <= n && strncmp(s + i, ents[k].e, l) == 0) {
                    *o++ = ents[k].c;
                    i += l - 1;
                    done = true;
                }
            }
            if (done)
                continue;
        }
        *o++ = s[i];
    }
    *o = '\0';
    return out;
}

char *xml_text(const char *xml, const char *tag)
{
    const char *c;
    bool sc;
    const char *p = find_start(xml, tag, &c, &sc);
    if (!p || xml_is_nil(xml, tag))
        return NULL;
    if (sc)
        return strdup("");
    char *close = acts_fmt("</%s>", tag);
    const char *end = strstr(c, close);
    free(close);
    return end ? unescape(c, (size_t)(end - c)) : NULL;
}

long xml_long(const char *xml, const char *tag)
{
    char *t = xml_text(xml, tag);
    if (!t)
        fail_msg("no <%s> in %.2000s", tag, xml);
    long v = strtol(t, NULL, 10);
    free(t);
    return v;
}

char **xml_all(const char *xml, const char *tag, int *n)
{
    int cap = 16;
    char **v = malloc(sizeof *v * (size_t)cap);
    *n = 0;
    char *close = acts_fmt("</%s>", tag);
    const char *p = xml, *c;
    bool sc;
    while ((p = find_start(p, tag, &c, &sc))) {
        const char *end = sc ? c : strstr(c, close);
        if (!end)
            break;
        if (!sc)
            end += strlen(close);
        if (*n == cap)
            v = realloc(v, sizeof *v * (size_t)(cap *= 2));
        v[(*n)++] = acts_fmt("%.*s", (int)(end - p), p);
        p = end;
    }
    free(close);
    return v;
}

void xml_free_all(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

char *xml_attr(const char *record, const char *name)
{
    int n;
    char **attrs = xml_all(record, "attribute", &n);
    char *out = NULL;
    for (int i = 0; i < n && !out; i++) {
        char *an = xml_text(attrs[i], "attrName");
        if (an && strcmp(an, name) == 0)
            out = xml_text(attrs[i], "attrValue");
        free(an);
    }
    xml_free_all(attrs, n);
    return out;
}

time_t acts_time(const char *iso)
{
    time_t t;
    if (!iso || mk_auth_parse_timestamp(iso, &t) != 0)
        fail_msg("not a date-time: %s", iso ? iso : "(null)");
    return t;
}

char *acts_iso(time_t t)
{
    char buf[32];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return strdup(buf);
}

/* ---- REST truth --------------------------------------------------------------------- */

static char *url_encode(const char *s)
{
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == ',')
            *o++ = (char)c;
        else
            o += sprintf(o, "%%%02X", c);
    }
    *o = '\0';
    return out;
}

cJSON *acts_truth(acts_env *e, const char *types, const char *leads, long list, time_t since)
{
    char *iso = acts_iso(since), *eiso = url_encode(iso);
    char *path = acts_fmt("/rest/v1/activities/pagingtoken.json?sinceDatetime=%s", eiso);
    long st;
    cJSON *j = ts_rest(&e->emu, e->token, "GET", path, NULL, &st);
    assert_int_equal(st, 200);
    char *token = strdup(cJSON_GetObjectItemCaseSensitive(j, "nextPageToken")->valuestring);
    cJSON_Delete(j);
    free(path);
    free(iso);
    free(eiso);
    cJSON *all = cJSON_CreateArray();
    /* REST takes 10 type ids per call: one pass per group. */
    char *copy = strdup(types), *save = NULL;
    char *groups[64];
    int ng = 0, k = 0;
    char group[256] = "";
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t l = strlen(group);
        snprintf(group + l, sizeof group - l, "%s%s", k ? "," : "", t);
        if (++k == 10) {
            groups[ng++] = strdup(group);
            group[0] = '\0';
            k = 0;
        }
    }
    if (k)
        groups[ng++] = strdup(group);
    free(copy);
    for (int g = 0; g < ng; g++) {
        char *t = strdup(token);
        for (;;) {
            char *et = url_encode(t);
            path = acts_fmt("/rest/v1/activities.json?nextPageToken=%s&activityTypeIds=%s%s%s%s%ld",
                            et, groups[g], leads ? "&leadIds=" : "", leads ? leads : "",
                            list ? "&listId=" : "", list);
            if (!list)
                path[strlen(path) - 1] = '\0';   /* drop the "0" */
            j = ts_rest(&e->emu, e->token, "GET", path, NULL, &st);
            free(path);
            free(et);
            assert_int_equal(st, 200);
            const cJSON *a;
            cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(j, "result"))
                cJSON_AddItemToArray(all, cJSON_Duplicate(a, 1));
            bool more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "moreResult"));
            free(t);
            t = strdup(cJSON_GetObjectItemCaseSensitive(j, "nextPageToken")->valuestring);
            cJSON_Delete(j);
            if (!more)
                break;
        }
        free(t);
        free(groups[g]);
    }
    free(token);
    return all;
}

char *acts_all_type_ids(acts_env *e)
{
    long st;
    cJSON *j = ts_rest(&e->emu, e->token, "GET", "/rest/v1/activities/types.json", NULL, &st);
    assert_int_equal(st, 200);
    char buf[4096] = "";
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(j, "result")) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, "%s%d", l ? "," : "",
                 cJSON_GetObjectItemCaseSensitive(t, "id")->valueint);
    }
    cJSON_Delete(j);
    return strdup(buf);
}

long acts_emu_calls(acts_env *e, const char *key)
{
    char *url = acts_fmt("%s/_emulator/stats", e->emu.url);
    ts_http_resp r;
    assert_int_equal(ts_http("GET", url, NULL, NULL, 0, &r), 0);
    cJSON *j = ts_json(&r);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "calls"), key);
    long n = cJSON_IsNumber(c) ? (long)c->valuedouble : 0;
    cJSON_Delete(j);
    ts_http_free(&r);
    free(url);
    return n;
}

void acts_emu_faults(acts_env *e, const char *json)
{
    char *url = acts_fmt("%s/_emulator/faults", e->emu.url);
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    ts_http_resp r;
    assert_int_equal(ts_http("POST", url, hdrs, json, strlen(json), &r), 0);
    assert_int_equal(r.status, 200);
    ts_http_free(&r);
    free(url);
}
