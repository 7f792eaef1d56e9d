/*
 * soapstack.c — a marketo-emulator and a mktows-shim for end-to-end tests,
 * signed SOAP calls to the shim and readers for its answers (soapstack.h).
 */
#include "soapstack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rest/rest.h"
#include "resthonesty.h"
#include "soap/auth.h"

/* ---- the programs ------------------------------------------------------------------ */

/* Merge the members of `from` into `into`: objects member by member, any
 * other value replaced. */
static void merge(cJSON *into, cJSON *from)
{
    cJSON *m;
    while ((m = from->child)) {
        cJSON_DetachItemViaPointer(from, m);
        cJSON *old = cJSON_GetObjectItemCaseSensitive(into, m->string);
        if (cJSON_IsObject(old) && cJSON_IsObject(m)) {
            merge(old, m);
            cJSON_Delete(m);
            continue;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(into, m->string);
        cJSON_AddItemToObject(into, m->string, m);
    }
}

static void merge_text(cJSON *into, const char *text)
{
    if (!text)
        return;
    cJSON *x = cJSON_Parse(text);
    if (!x || !cJSON_IsObject(x))
        fail_msg("not a JSON object: %s", text);
    merge(into, x);
    cJSON_Delete(x);
}

char *ss_json_merged(const char *base, const char *more)
{
    cJSON *j = cJSON_CreateObject();
    merge_text(j, base);
    merge_text(j, more);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

char *ss_config_text(const ss_stack *s, const char *extra)
{
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "listen", "127.0.0.1:0");
    cJSON *rest = cJSON_AddObjectToObject(cfg, "rest");
    const char *endpoint = s->no_emulator ? "http://127.0.0.1:9" : s->emu.url;
    cJSON_AddStringToObject(rest, "endpoint", endpoint);
    char *identity = ts_fmt("%s/identity", endpoint);
    cJSON_AddStringToObject(rest, "identity", identity);
    free(identity);
    cJSON_AddStringToObject(rest, "client_id", "test-id");
    cJSON_AddStringToObject(rest, "client_secret", "test-secret");
    cJSON *users = cJSON_AddObjectToObject(cfg, "soap_users");
    for (int i = 0; i < SS_MAX_USERS && s->users[i].id; i++)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(users, s->users[i].id), "encryption_key",
                                s->users[i].key);
    if (s->db_path)
        cJSON_AddStringToObject(cfg, "import_db", s->db_path);
    merge_text(cfg, s->config_extra);
    merge_text(cfg, extra);
    char *text = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    return text;
}

int ss_shim_start(ss_stack *s)
{
    const char *argv[] = {ts_env("MKTOWS_SHIM"), "--config", s->config_path, NULL};
    if (ts_proc_start(&s->shim, argv) != 0)
        return -1;
    s->shim_up = true;
    return 0;
}

int ss_shim_stop(ss_stack *s)
{
    s->shim_up = false;
    return ts_proc_stop(&s->shim);
}

/* Start the emulator on listen with the stack's options and seed. */
static int emulator_start_at(ss_stack *s, const char *listen, const char *seed_path)
{
    const char *extra[40];
    int n = 0;
    if (seed_path) {
        extra[n++] = "--seed";
        extra[n++] = seed_path;
    }
    for (int i = 0; s->emulator_args && s->emulator_args[i] && n < 39; i++)
        extra[n++] = s->emulator_args[i];
    extra[n] = NULL;
    if (ts_emulator_start_at(&s->emu, listen, extra) != 0)
        return -1;
    s->emu_up = true;
    return 0;
}

int ss_emulator_stop(ss_stack *s)
{
    s->emu_up = false;
    return ts_proc_stop(&s->emu);
}

int ss_emulator_start(ss_stack *s, const char *seed_path)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->emu.port);
    int rc = -1;
    for (int i = 0; i < 50 && rc != 0; i++) {   /* the port may linger for a moment */
        rc = emulator_start_at(s, listen, seed_path ? seed_path : s->seed_path);
        if (rc != 0)
            ts_sleep_ms(100);
    }
    if (rc != 0)
        return -1;
    free(s->token);
    s->token = ts_emulator_token(&s->emu);
    return s->token ? 0 : -1;
}

void ss_emulator_restart(ss_stack *s, const char *seed_path)
{
    assert_int_equal(ss_emulator_stop(s), 0);
    assert_int_equal(ss_emulator_start(s, seed_path), 0);
}

int ss_start(ss_stack *s, const ss_options *o)
{
    memset(s, 0, sizeof *s);
    int na = 0;
    while (o->emulator_args && o->emulator_args[na])
        na++;
    s->emulator_args = calloc((size_t)na + 1, sizeof *s->emulator_args);
    for (int i = 0; i < na; i++)
        s->emulator_args[i] = strdup(o->emulator_args[i]);
    memcpy(s->users, o->users, sizeof s->users);
    if (!s->users[0].id)
        s->users[0] = (ss_user){SS_USER, SS_KEY};
    s->config_extra = o->config ? strdup(o->config) : NULL;
    s->version = strdup(o->version ? o->version : "3_1");
    s->warmup = o->warmup ? strdup(o->warmup) : NULL;
    s->no_emulator = o->no_emulator;
    s->rest_trace = strdup("");
    if (o->seed)
        s->seed_path = ss_seed_file(o->seed);
    if (!s->no_emulator) {
        if (emulator_start_at(s, "127.0.0.1:0", s->seed_path) != 0)
            return -1;
        s->token = ts_emulator_token(&s->emu);
        if (!s->token)
            return -1;
    }
    if (o->import_db) {
        s->db_path = ts_write_temp(".sqlite", "");
        unlink(s->db_path);   /* the shim creates it */
    }
    char *cfg = ss_config_text(s, NULL);
    s->config_path = ts_write_temp(".json", cfg);
    free(cfg);
    return ss_shim_start(s);
}

static void remove_file(char **path)
{
    if (*path)
        unlink(*path);
    free(*path);
    *path = NULL;
}

int ss_stop(ss_stack *s)
{
    int rc = 0;
    if (s->shim_up && ss_shim_stop(s) != 0)
        rc = -1;
    if (s->emu_up && ss_emulator_stop(s) != 0)
        rc = -1;
    if (s->db_path) {
        char *wal = ts_fmt("%s-wal", s->db_path), *shm = ts_fmt("%s-shm", s->db_path);
        remove_file(&wal);
        remove_file(&shm);
    }
    remove_file(&s->db_path);
    remove_file(&s->config_path);
    remove_file(&s->seed_path);
    for (int i = 0; s->emulator_args && s->emulator_args[i]; i++)
        free(s->emulator_args[i]);
    free(s->emulator_args);
    free(s->config_extra);
    free(s->version);
    free(s->warmup);
    free(s->token);
    free(s->rest_trace);
    memset(s, 0, sizeof *s);
    return rc;
}

int ss_reset(ss_stack *s, const char *warmup_body)
{
    ss_emu_admin(s, "/_emulator/reset", NULL);
    free(s->token);
    s->token = ts_emulator_token(&s->emu);
    if (warmup_body)
        free(ss_call(s, warmup_body));
    return s->token ? 0 : -1;
}

int ss_group_teardown(void **state)
{
    if (!state || !*state) {
        fprintf(stderr, "ss_group_teardown: the group setup did not hand over its stack\n");
        return -1;
    }
    return ss_stop(*state);
}

int ss_test_reset(void **state)
{
    ss_stack *s = *state;
    return ss_reset(s, s->warmup);
}

cJSON *ss_default_seed(void)
{
    char *path = ts_fmt("%s/emulator/seed/default.json", ts_env("MKTOWS_SOURCE_DIR"));
    char *text = ts_read_file(path);
    cJSON *seed = cJSON_Parse(text);
    if (!seed)
        fail_msg("%s is not JSON", path);
    free(text);
    free(path);
    return seed;
}

char *ss_seed_file(cJSON *seed)
{
    char *text = cJSON_PrintUnformatted(seed);
    cJSON_Delete(seed);
    char *path = ts_write_temp(".json", text);
    free(text);
    return path;
}

/* ---- SOAP -------------------------------------------------------------------------- */

void ss_timestamp(char *buf, size_t len, long offset_seconds)
{
    time_t t = time(NULL) + offset_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

char *ss_envelope(const char *user, const char *key, const char *ts, const char *header,
                  const char *body)
{
    char sig[MK_AUTH_SIG_HEX + 1];
    if (mk_auth_signature(key, ts, user, sig) != 0)
        return NULL;
    return ts_fmt("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
                  " xmlns:ns1=\"" SS_NS "\""
                  " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
                  "<SOAP-ENV:Header><ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId>"
                  "<requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp>"
                  "</ns1:AuthenticationHeader>%s</SOAP-ENV:Header>"
                  "<SOAP-ENV:Body>%s</SOAP-ENV:Body></SOAP-ENV:Envelope>",
                  user, sig, ts, header ? header : "", body);
}

/* operations.json for the REST honesty check (resthonesty.h), read once
 * and kept for the program's life. */
static const rh_table *honesty_table(void)
{
    static rh_table *table;
    if (!table) {
        char why[400];
        char *path = ts_fmt("%s/mapping/operations.json", ts_env("MKTOWS_SOURCE_DIR"));
        if (rh_table_load(path, &table, why, sizeof why) != 0)
            fail_msg("REST honesty check: %s", why);
        free(path);
    }
    return table;
}

/* The check on one answer's X-Mktows-Rest-Calls: the test that made the
 * call fails at once, naming the operation and the call. */
static void check_rest_honesty(const char *xml, const char *header)
{
    char op[64], why[1024];
    if (!header || !*header || rh_operation_of(xml, op, sizeof op) != 0)
        return;   /* no call, or no operation: the usage log judges it */
    if (rh_check_header(honesty_table(), op, header, why, sizeof why) < 0)
        fail_msg("REST honesty check: %s (X-Mktows-Rest-Calls: %s)", why, header);
}

void ss_assert_usage_log_honest(const char *path)
{
    char why[4096];
    int lines;
    int bad = rh_check_usage_log(honesty_table(), path, why, sizeof why, &lines);
    if (bad != 0)
        fail_msg("REST honesty check: %d of %d usage-log lines of %s:\n%s", bad, lines, path, why);
}

void ss_post_xml(ss_stack *s, const char *xml, ts_http_resp *r)
{
    assert_non_null(xml);   /* an envelope that could not be signed */
    char *url = ts_fmt("%s/soap/mktows/%s", s->shim.url, s->version);
    const char *hdrs[] = {"Content-Type: text/xml;charset=UTF-8", "SOAPAction: \"\"", NULL};
    assert_int_equal(ts_http("POST", url, hdrs, xml, strlen(xml), r), 0);
    free(url);
    free(s->rest_trace);
    s->rest_trace = ts_http_header(r, "X-Mktows-Rest-Calls");
    if (!s->rest_trace)
        s->rest_trace = strdup("");
    s->rest_calls = atoi(s->rest_trace);
    check_rest_honesty(xml, s->rest_trace);
}

void ss_post_as(ss_stack *s, const char *user, const char *key, const char *header,
                const char *body, ts_http_resp *r)
{
    char ts[64];
    ss_timestamp(ts, sizeof ts, 0);
    char *xml = ss_envelope(user, key, ts, header, body);
    ss_post_xml(s, xml, r);
    free(xml);
}

void ss_post(ss_stack *s, const char *body, ts_http_resp *r)
{
    ss_post_as(s, s->users[0].id, s->users[0].key, NULL, body, r);
}

char *ss_call_as(ss_stack *s, const char *user, const char *key, const char *header,
                 const char *body)
{
    ts_http_resp r;
    ss_post_as(s, user, key, header, body, &r);
    if (r.status != 200)   /* (a request may be megabytes: its start says which) */
        fail_msg("HTTP %ld for %.1000s\n%.4000s", r.status, body, r.body);
    assert_null(strstr(r.body, ":Header>"));   /* responses carry no SOAP Header */
    char *b = strdup(r.body);
    ts_http_free(&r);
    return b;
}

char *ss_call(ss_stack *s, const char *body)
{
    return ss_call_as(s, s->users[0].id, s->users[0].key, NULL, body);
}

void ss_expect_fault(const ts_http_resp *r, int code)
{
    char want[64];
    if (r->status != 500)
        fail_msg("HTTP %ld, want a %d fault: %s", r->status, code, r->body);
    snprintf(want, sizeof want, "<code>%d</code>", code);
    if (!strstr(r->body, want))
        fail_msg("want fault %d, got: %s", code, r->body);
    if (!r->content_type || !strstr(r->content_type, "text/xml"))
        fail_msg("fault %d as %s", code, r->content_type ? r->content_type : "(no type)");
    snprintf(want, sizeof want, "<faultstring>%d - ", code);
    if (!strstr(r->body, want))
        fail_msg("faultstring does not start \"%d - \": %s", code, r->body);
    if (!strstr(r->body, "<faultcode>SOAP-ENV:Client</faultcode>") &&
        !strstr(r->body, "<faultcode>SOAP-ENV:Server</faultcode>"))
        fail_msg("faultcode neither SOAP-ENV:Client nor SOAP-ENV:Server: %s", r->body);
    if (!strstr(r->body, "<name>mktServiceException</name>"))
        fail_msg("no mktServiceException in fault %d: %s", code, r->body);
    if (strstr(r->body, ":Header>"))
        fail_msg("a fault with a SOAP Header: %s", r->body);
}

char *ss_call_fault_as(ss_stack *s, const char *user, const char *key, const char *header,
                       const char *body, int code)
{
    ts_http_resp r;
    ss_post_as(s, user, key, header, body, &r);
    if (r.status != 500)
        fail_msg("HTTP %ld, want a %d fault for %.1000s\n%.4000s", r.status, code, body, r.body);
    ss_expect_fault(&r, code);
    char *b = strdup(r.body);
    ts_http_free(&r);
    return b;
}

char *ss_call_fault(ss_stack *s, const char *body, int code)
{
    return ss_call_fault_as(s, s->users[0].id, s->users[0].key, NULL, body, code);
}

void ss_expect_call_fault(ss_stack *s, const char *body, int code, const char *words)
{
    char *f = ss_call_fault(s, body, code);
    if (words && !strstr(f, words))
        fail_msg("fault %d does not say \"%s\": %s", code, words, f);
    free(f);
}

/* ---- the emulator's side ---------------------------------------------------------------- */

cJSON *ss_rest(ss_stack *s, const char *method, const char *path, const char *json)
{
    long st = 0;
    cJSON *j = ts_rest(&s->emu, s->token, method, path, json, &st);
    if (st != 200 || !j || !cJSON_IsTrue(cJSON_GetObjectItem(j, "success"))) {
        char *text = j ? cJSON_PrintUnformatted(j) : NULL;
        fail_msg("REST %s %s: HTTP %ld %s", method, path, st, text ? text : "");
    }
    return j;
}

cJSON *ss_rest_result(ss_stack *s, const char *path)
{
    cJSON *j = ss_rest(s, "GET", path, NULL);
    cJSON *res = cJSON_DetachItemFromObject(j, "result");
    cJSON_Delete(j);
    return res ? res : cJSON_CreateArray();
}

long ss_emu_calls(ss_stack *s, const char *route)
{
    return ts_emulator_calls(&s->emu, route);
}

void ss_emu_admin(ss_stack *s, const char *path, const char *json)
{
    ts_emulator_admin(&s->emu, path, json);
}

/* ---- reading answers ---------------------------------------------------------------------- */

/* The first start tag <tag>, <tag …> or <tag/> in xml; *content is where
 * what it holds begins, *empty whether it is an empty-element tag. */
static const char *find_start(const char *xml, const char *tag, const char **content,
                              bool *empty)
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
        *empty = gt[-1] == '/';
        *content = gt + 1;
        return p;
    }
    return NULL;
}

/* The k-th start tag of tag. */
static const char *find_start_k(const char *xml, const char *tag, int k, const char **content,
                                bool *empty)
{
    const char *p = find_start(xml, tag, content, empty);
    for (int i = 0; p && i < k; i++)
        p = find_start(*content, tag, content, empty);
    return p;
}

static bool start_is_nil(const char *start, const char *content)
{
    const char *nil = strstr(start, "xsi:nil=\"true\"");
    return nil && nil < content;
}

bool ss_xml_has(const char *xml, const char *tag)
{
    const char *c;
    bool e;
    return find_start(xml, tag, &c, &e) != NULL;
}

bool ss_xml_is_nil(const char *xml, const char *tag)
{
    const char *c;
    bool e;
    const char *p = find_start(xml, tag, &c, &e);
    return p && start_is_nil(p, c);
}

char *ss_xml_inner(const char *xml, const char *tag, int k)
{
    const char *c;
    bool empty;
    const char *p = find_start_k(xml, tag, k, &c, &empty);
    if (!p || start_is_nil(p, c))
        return NULL;
    if (empty)
        return strdup("");
    char *close = ts_fmt("</%s>", tag);
    const char *end = strstr(c, close);
    free(close);
    return end ? ts_fmt("%.*s", (int)(end - c), c) : NULL;
}

static char *unescape(const char *s)
{
    static const struct {
        const char *e;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *out = malloc(strlen(s) + 1), *o = out;
    while (*s) {
        size_t k = 0;
        while (k < sizeof ents / sizeof ents[0] && strncmp(s, ents[k].e, strlen(ents[k].e)) != 0)
            k++;
        if (*s == '&' && k < sizeof ents / sizeof ents[0]) {
            *o++ = ents[k].c;
            s += strlen(ents[k].e);
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

char *ss_xml_text_k(const char *xml, const char *tag, int k)
{
    char *raw = ss_xml_inner(xml, tag, k);
    if (!raw)
        return NULL;
    char *text = unescape(raw);
    free(raw);
    return text;
}

char *ss_xml_text(const char *xml, const char *tag)
{
    return ss_xml_text_k(xml, tag, 0);
}

long long ss_xml_num(const char *xml, const char *tag)
{
    char *t = ss_xml_text(xml, tag);
    if (!t)
        fail_msg("no <%s> in %.2000s", tag, xml);
    long long v = atoll(t);
    free(t);
    return v;
}

char **ss_xml_all(const char *xml, const char *tag, int *n)
{
    int cap = 16;
    char **v = malloc(sizeof *v * (size_t)cap);
    *n = 0;
    char *close = ts_fmt("</%s>", tag);
    const char *p = xml, *c;
    bool empty;
    while ((p = find_start(p, tag, &c, &empty))) {
        const char *end = empty ? c : strstr(c, close);
        if (!end)
            break;
        if (!empty)
            end += strlen(close);
        if (*n == cap)
            v = realloc(v, sizeof *v * (size_t)(cap *= 2));
        v[(*n)++] = ts_fmt("%.*s", (int)(end - p), p);
        p = end;
    }
    free(close);
    return v;
}

void ss_xml_free_all(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The `value_tag` of the first `element` whose `name_tag` is name. */
static char *named_value(const char *xml, const char *element, const char *name_tag,
                         const char *value_tag, const char *name)
{
    int n;
    char **items = ss_xml_all(xml, element, &n);
    char *out = NULL;
    for (int i = 0; i < n; i++) {
        char *nm = ss_xml_text(items[i], name_tag);
        bool match = nm && strcmp(nm, name) == 0;
        free(nm);
        if (match) {
            out = ss_xml_text(items[i], value_tag);
            break;
        }
    }
    ss_xml_free_all(items, n);
    return out;
}

char *ss_xml_attr(const char *record, const char *name)
{
    return named_value(record, "attribute", "attrName", "attrValue", name);
}

char *ss_xml_attrib(const char *object, const char *name)
{
    return named_value(object, "attrib", "name", "value", name);
}

void ss_assert_text(const char *xml, const char *tag, const char *want)
{
    char *t = ss_xml_text(xml, tag);
    if (!t || strcmp(t, want) != 0)
        fail_msg("<%s> is %s, want %s in %s", tag, t ? t : "(absent)", want, xml);
    free(t);
}

void ss_assert_attr(const char *record, const char *name, const char *want)
{
    char *v = ss_xml_attr(record, name);
    if (!v || strcmp(v, want) != 0)
        fail_msg("attribute %s = %s, want %s in %s", name, v ? v : "(absent)", want, record);
    free(v);
}

void ss_assert_attrib(const char *object, const char *name, const char *want)
{
    char *v = ss_xml_attrib(object, name);
    if (!v || strcmp(v, want) != 0)
        fail_msg("attrib %s = %s, want %s in %s", name, v ? v : "(absent)", want, object);
    free(v);
}

time_t ss_time(const char *iso)
{
    time_t t;
    if (!iso || mk_auth_parse_timestamp(iso, &t) != 0)
        fail_msg("not a date-time: %s", iso ? iso : "(null)");
    return t;
}

char *ss_iso(time_t t)
{
    char buf[32];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return strdup(buf);
}

int ss_rest_client(const ts_proc *emu, long timeout_ms, struct mk_rest_client **out)
{
    char ident[200], err[256];
    snprintf(ident, sizeof ident, "%s/identity", emu->url);
    mk_rest_config cfg = {.endpoint = emu->url, .identity = ident, .timeout_ms = timeout_ms};
    if (mk_rest_client_new(&cfg, out, err, sizeof err) != MK_REST_OK) {
        fprintf(stderr, "mk_rest_client_new: %s\n", err);
        return -1;
    }
    return 0;
}
