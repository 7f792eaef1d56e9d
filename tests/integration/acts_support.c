/*
 * acts_support.c — the activity and asset tests' stack, REST truth and
 * page collection (acts_support.h).
 */
#include "acts_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

int acts_start(ss_stack *s, cJSON *seed, const char *extra_config)
{
    static const char *const unlimited[] = {"--rate-limit", "off", "--concurrency", "off", NULL};
    char *base = ts_fmt("{\"rest\": {\"rate_limit\": 100000}, \"mapping_dir\": \"%s/mapping\"}",
                        ts_env("MKTOWS_SOURCE_DIR"));
    char *config = ss_json_merged(base, extra_config);
    ss_options o = {.emulator_args = unlimited, .seed = seed, .config = config};
    int rc = ss_start(s, &o);
    free(config);
    free(base);
    return rc;
}

/* The nextPageToken of a REST answer (malloc'd).  A slow or failed answer
 * may have none (or be no JSON at all): the test then fails saying so,
 * instead of reading through a NULL member. */
static char *truth_token(cJSON *j, const char *what)
{
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "nextPageToken"));
    if (t)
        return strdup(t);
    char *body = j ? cJSON_PrintUnformatted(j) : NULL;
    char msg[512];
    snprintf(msg, sizeof msg, "%s: REST answer has no nextPageToken: %.400s", what,
             body ? body : "(no JSON answer)");
    free(body);
    cJSON_Delete(j);
    fail_msg("%s", msg);
    return NULL;
}

cJSON *acts_truth(ss_stack *s, const char *types, const char *leads, long list, time_t since)
{
    char *iso = ss_iso(since), *eiso = ts_urlenc(iso);
    char *path = ts_fmt("/rest/v1/activities/pagingtoken.json?sinceDatetime=%s", eiso);
    cJSON *j = ss_rest(s, "GET", path, NULL);
    free(path);
    free(iso);
    free(eiso);
    char *token = truth_token(j, "acts_truth: paging token");
    cJSON_Delete(j);
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
            char *et = ts_urlenc(t);
            ts_buf p = {0};
            ts_buf_add(&p, "/rest/v1/activities.json?nextPageToken=%s&activityTypeIds=%s", et,
                       groups[g]);
            if (leads)
                ts_buf_add(&p, "&leadIds=%s", leads);
            if (list)
                ts_buf_add(&p, "&listId=%ld", list);
            j = ss_rest(s, "GET", p.s, NULL);
            free(p.s);
            free(et);
            const cJSON *a;
            cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(j, "result"))
                cJSON_AddItemToArray(all, cJSON_Duplicate(a, 1));
            bool more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "moreResult"));
            free(t);
            t = truth_token(j, "acts_truth: activities page");
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

char *acts_all_type_ids(ss_stack *s)
{
    cJSON *types = ss_rest_result(s, "/rest/v1/activities/types.json");
    ts_buf b = {0};
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
        ts_buf_add(&b, "%s%d", b.n ? "," : "", cJSON_GetObjectItemCaseSensitive(t, "id")->valueint);
    cJSON_Delete(types);
    return b.s ? b.s : strdup("");
}

/* ---- paging through the shim ------------------------------------------------------------ */

/* newStartPosition of an answer, renamed so it can be sent back. */
char *acts_resend(const char *body)
{
    char *p = strstr(body, "<newStartPosition>");
    char *q = strstr(body, "</newStartPosition>");
    assert_non_null(p);
    assert_non_null(q);
    p += strlen("<newStartPosition>");
    return ts_fmt("<startPosition>%.*s</startPosition>", (int)(q - p), p);
}

char *acts_since_start(time_t t)
{
    char *iso = ss_iso(t);
    char *s = ts_fmt("<startPosition><oldestCreatedAt>%s</oldestCreatedAt></startPosition>", iso);
    free(iso);
    return s;
}

/* ---- collecting pages ------------------------------------------------------------------ */

void acts_seen_add(acts_seen *s, const char *guid, time_t at, const char *type)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->guid = realloc(s->guid, sizeof *s->guid * (size_t)s->cap);
        s->at = realloc(s->at, sizeof *s->at * (size_t)s->cap);
        s->type = realloc(s->type, sizeof *s->type * (size_t)s->cap);
    }
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->guid[i], guid) == 0)
            fail_msg("record %s returned twice", guid);
    s->guid[s->n] = strdup(guid);
    s->type[s->n] = strdup(type);
    s->at[s->n++] = at;
}

void acts_seen_free(acts_seen *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->guid[i]);
        free(s->type[i]);
    }
    free(s->guid);
    free(s->at);
    free(s->type);
    memset(s, 0, sizeof *s);
}

bool acts_seen_has(const acts_seen *s, const char *guid)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->guid[i], guid) == 0)
            return true;
    return false;
}

/* One page's records into s; returns the body's remainingCount. */
long acts_collect(acts_seen *s, const char *body, const char *record_tag, int batch)
{
    int n;
    char **recs = ss_xml_all(body, record_tag, &n);
    assert_int_equal(ss_xml_num(body, "returnCount"), n);
    assert_true(n <= batch);
    for (int i = 0; i < n; i++) {
        char *g = ss_xml_text(recs[i], "marketoGUID"), *d = ss_xml_text(recs[i], "activityDateTime");
        char *t = ss_xml_text(recs[i], "activityType");
        assert_non_null(g);
        assert_non_null(t);
        acts_seen_add(s, g, ss_time(d), t);
        free(g);
        free(d);
        free(t);
    }
    ss_xml_free_all(recs, n);
    long rem = ss_xml_num(body, "remainingCount");
    s->pages++;
    if (rem > 0 && n < batch)
        s->short_pages++;
    return rem;
}

/* The REST truth's marketoGUIDs must be exactly what s holds. */
void acts_same_as_truth(const acts_seen *s, cJSON *truth)
{
    int n = cJSON_GetArraySize(truth);
    if (n != s->n)
        fail_msg("the shim returned %d records, REST has %d", s->n, n);
    const cJSON *a;
    cJSON_ArrayForEach(a, truth) {
        const char *g = cJSON_GetObjectItemCaseSensitive(a, "marketoGUID")->valuestring;
        if (!acts_seen_has(s, g))
            fail_msg("REST record %s missing from the shim's pages", g);
    }
}
