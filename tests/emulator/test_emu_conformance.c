/*
 * test_emu_conformance.c — does marketo-emulator look like Marketo's
 * documentation?
 *
 * 1. Every route the emulator serves (`marketo-emulator --list-routes`)
 *    must exist with the same method in Marketo's OpenAPI files
 *    (../shared/reference/rest/openapi/swagger-{mapi,asset,identity}.json
 *    next to the source tree).  Path parameter names may differ.
 * 2. The documented example responses of rest-api.md, encoded below as key
 *    sets, must have the same shape as the emulator's answers.
 *
 * The reference directory is not part of the repository.  When it is absent
 * (CI clones the repository alone) the routes are checked against
 * tests/emulator/openapi-operations.txt, the list of documented
 * "METHOD path" pairs taken from those files; when it is present, the list
 * itself is checked against them, so it cannot go stale unnoticed.
 */
#include "emu_testutil.h"

#include <sys/stat.h>

static emu_fixture g;
static cJSON *g_specs[3];
static int g_nspecs;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t r = fread(buf, 1, (size_t)n, f);
    buf[r] = '\0';
    fclose(f);
    return buf;
}

/* The facts file as a spec-shaped tree: {"paths": {path: {method: {}}}}. */
static cJSON *load_facts(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/emulator/openapi-operations.txt",
             ts_env("MKTOWS_SOURCE_DIR"));
    char *text = slurp(path);
    if (!text)
        return NULL;
    cJSON *spec = cJSON_CreateObject(), *paths = cJSON_AddObjectToObject(spec, "paths");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        if (line[0] == '#' || !sp)
            continue;
        *sp = '\0';
        for (char *m = line; *m; m++)
            *m = (char)(*m | 0x20);
        cJSON *entry = cJSON_GetObjectItemCaseSensitive(paths, sp + 1);
        if (!entry)
            entry = cJSON_AddObjectToObject(paths, sp + 1);
        cJSON_AddObjectToObject(entry, line);
    }
    free(text);
    return spec;
}

static cJSON *g_facts;

static int load_specs(void)
{
    const char *src = ts_env("MKTOWS_SOURCE_DIR");
    const char *names[] = {"swagger-mapi.json", "swagger-asset.json", "swagger-identity.json"};
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/../shared/reference/rest/openapi/%s", src, names[i]);
        char *text = slurp(path);
        if (!text)
            return -1;
        g_specs[g_nspecs] = cJSON_Parse(text);
        free(text);
        if (!g_specs[g_nspecs])
            return -1;
        g_nspecs++;
    }
    return 0;
}

/* "/rest/v1/lead/{leadId}.json" → "/rest/v1/lead/{}.json" */
static void normalize(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 3 < n; p++) {
        if (*p == '{') {
            out[o++] = '{';
            out[o++] = '}';
            while (*p && *p != '}')
                p++;
            if (!*p)
                break;
        } else
            out[o++] = *p;
    }
    out[o] = '\0';
}

static bool spec_has(const char *method, const char *pattern)
{
    char want[1024], lower[16];
    normalize(pattern, want, sizeof want);
    size_t i = 0;
    for (; method[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(method[i] | 0x20);
    lower[i] = '\0';
    for (int s = 0; s < g_nspecs; s++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(g_specs[s], "paths")) {
            char have[1024];
            normalize(p->string, have, sizeof have);
            if (!strcmp(have, want) && cJSON_GetObjectItemCaseSensitive(p, lower))
                return true;
        }
    }
    return false;
}

/* With the OpenAPI files at hand, the facts file must list exactly their
 * operations. */
static void test_facts_match_openapi(void **state)
{
    (void)state;
    if (g_nspecs < 3)
        skip();
    int n = 0;
    for (int s = 0; s < g_nspecs; s++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(g_specs[s], "paths")) {
            const cJSON *m;
            cJSON_ArrayForEach(m, p) {
                if (strcmp(m->string, "parameters") == 0)
                    continue;
                const cJSON *fp = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItem(g_facts, "paths"), p->string);
                if (!cJSON_GetObjectItemCaseSensitive(fp, m->string))
                    fail_msg("openapi-operations.txt lacks %s %s", m->string, p->string);
                n++;
            }
        }
    }
    int facts = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(g_facts, "paths")) facts += cJSON_GetArraySize(p);
    assert_int_equal(facts, n);
}

static void test_routes_in_openapi(void **state)
{
    (void)state;
    if (g_nspecs < 3) {
        /* No reference files: check against the facts kept in the repo. */
        g_specs[0] = g_facts;
        g_nspecs = 1;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' --list-routes", ts_env("MKTOWS_EMULATOR"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024];
    int n = 0, missing = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        char *sp = strchr(line, ' ');
        assert_non_null(sp);
        *sp = '\0';
        n++;
        if (!spec_has(line, sp + 1)) {
            fprintf(stderr, "not in Marketo's OpenAPI: %s %s\n", line, sp + 1);
            missing++;
        }
    }
    assert_int_equal(pclose(p), 0);
    assert_true(n >= 20);
    assert_int_equal(missing, 0);
}

/* ---- documented example shapes ------------------------------------------------------ */

/* The object's member names must be exactly `keys` (NULL-terminated). */
static void assert_keys(const cJSON *o, const char *const keys[], const char *what)
{
    assert_true(cJSON_IsObject(o));
    int n = 0;
    for (; keys[n]; n++)
        if (!cJSON_GetObjectItemCaseSensitive(o, keys[n]))
            fail_msg("%s: member '%s' missing", what, keys[n]);
    if (cJSON_GetArraySize(o) != n) {
        char *s = cJSON_PrintUnformatted(o);
        fail_msg("%s: unexpected members in %s", what, s);
    }
}

static void test_example_shapes(void **state)
{
    (void)state;
    /* Identity (authentication.md). */
    char url[512];
    snprintf(url, sizeof url, "%s/identity/oauth/token?grant_type=client_credentials"
             "&client_id=test-id&client_secret=test-secret", g.proc.url);
    ts_http_resp r;
    assert_int_equal(ts_http("GET", url, NULL, NULL, 0, &r), 0);
    cJSON *j = ts_json(&r);
    ts_http_free(&r);
    assert_keys(j, (const char *[]){"access_token", "token_type", "expires_in", "scope", NULL},
                "identity");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "expires_in")));
    cJSON_Delete(j);

    /* Get Leads by Filter Type. */
    j = emu_get(&g, "/rest/v1/leads.json?filterType=id&filterValues=1,2");
    assert_keys(j, (const char *[]){"requestId", "result", "success", NULL}, "leads.json");
    assert_keys(emu_item(j, 0),
                (const char *[]){"id", "updatedAt", "lastName", "email", "createdAt", "firstName", NULL},
                "lead");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=nobody@example.com");
    assert_keys(j, (const char *[]){"requestId", "result", "success", NULL}, "no match");
    cJSON_Delete(j);

    /* Error envelope. */
    j = emu_get(&g, "/rest/v1/nowhere.json");
    assert_keys(j, (const char *[]){"requestId", "success", "errors", NULL}, "error");
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);
    assert_keys(e, (const char *[]){"code", "message", NULL}, "error item");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "code")));
    cJSON_Delete(j);

    /* Sync Leads, with a record-level skip. */
    j = emu_post(&g, "/rest/v1/leads.json",
                 "{\"action\":\"createOnly\",\"lookupField\":\"email\",\"input\":["
                 "{\"email\":\"kjashaedd-1@klooblept.com\",\"firstName\":\"Kataldar-1\",\"postalCode\":\"04828\"},"
                 "{\"email\":\"jdoe@example.com\"}]}");
    assert_keys(j, (const char *[]){"requestId", "success", "result", NULL}, "sync");
    assert_keys(emu_item(j, 0), (const char *[]){"id", "status", NULL}, "sync item");
    assert_keys(emu_item(j, 1), (const char *[]){"status", "reasons", NULL}, "skipped item");
    assert_keys(cJSON_GetArrayItem(cJSON_GetObjectItem(emu_item(j, 1), "reasons"), 0),
                (const char *[]){"code", "message", NULL}, "reason");
    cJSON_Delete(j);

    /* Delete Leads, Merge Leads, Associate Lead. */
    j = emu_post(&g, "/rest/v1/leads/delete.json", "{\"input\":[{\"id\":12}]}");
    assert_keys(emu_item(j, 0), (const char *[]){"id", "status", NULL}, "delete item");
    cJSON_Delete(j);
    j = emu_post(&g, "/rest/v1/leads/10/merge.json?leadId=11", NULL);
    assert_keys(j, (const char *[]){"requestId", "success", NULL}, "merge");
    cJSON_Delete(j);

    /* Describe Lead. */
    j = emu_get(&g, "/rest/v1/leads/describe.json");
    const cJSON *it;
    cJSON_ArrayForEach(it, emu_result(j)) {
        const cJSON *rest = cJSON_GetObjectItem(it, "rest");
        if (strcmp(emu_str(rest, "name"), "company"))
            continue;
        assert_keys(it, (const char *[]){"id", "displayName", "dataType", "length", "rest", "soap", NULL},
                    "describe item");
        assert_keys(rest, (const char *[]){"name", "readOnly", NULL}, "rest");
        assert_keys(cJSON_GetObjectItem(it, "soap"), (const char *[]){"name", "readOnly", NULL}, "soap");
    }
    cJSON_Delete(j);

    /* Activity types (the Fill Out Form example). */
    j = emu_get(&g, "/rest/v1/activities/types.json");
    cJSON_ArrayForEach(it, emu_result(j)) {
        if ((int)emu_num(it, "id") != 2)
            continue;
        assert_keys(it, (const char *[]){"id", "name", "description", "primaryAttribute", "attributes", NULL},
                    "activity type");
        assert_keys(cJSON_GetObjectItem(it, "primaryAttribute"),
                    (const char *[]){"name", "dataType", NULL}, "primaryAttribute");
        assert_string_equal(emu_str(cJSON_GetObjectItem(it, "primaryAttribute"), "name"), "Webform ID");
    }
    cJSON_Delete(j);

    /* Paging token, activities (the Visit Webpage example), lead changes. */
    j = emu_get(&g, "/rest/v1/activities/pagingtoken.json?sinceDatetime=2014-10-06T13:22:17-08:00");
    assert_keys(j, (const char *[]){"requestId", "success", "nextPageToken", NULL}, "pagingtoken");
    char *tok = strdup(emu_str(j, "nextPageToken"));
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=1&nextPageToken=%s", tok);
    assert_keys(j, (const char *[]){"requestId", "result", "success", "nextPageToken", "moreResult", NULL},
                "activities");
    assert_keys(emu_item(j, 0),
                (const char *[]){"id", "marketoGUID", "leadId", "activityDate", "activityTypeId",
                                 "primaryAttributeValueId", "primaryAttributeValue", "attributes", NULL},
                "activity");
    assert_keys(cJSON_GetArrayItem(cJSON_GetObjectItem(emu_item(j, 0), "attributes"), 0),
                (const char *[]){"name", "value", NULL}, "attribute");
    cJSON_Delete(j);
    cJSON_Delete(emu_post(&g, "/rest/v1/leads.json",
                          "{\"input\":[{\"email\":\"asmith@example.com\",\"firstName\":\"Al\"}]}"));
    j = emu_get(&g, "/rest/v1/activities/leadchanges.json?fields=firstName&nextPageToken=%s", tok);
    const cJSON *change = NULL;
    cJSON_ArrayForEach(it, emu_result(j))
        if ((int)emu_num(it, "activityTypeId") == 13)
            change = it;
    assert_non_null(change);
    assert_keys(change,
                (const char *[]){"id", "marketoGUID", "leadId", "activityDate", "activityTypeId",
                                 "fields", "attributes", NULL},
                "lead change");
    assert_keys(cJSON_GetArrayItem(cJSON_GetObjectItem(change, "fields"), 0),
                (const char *[]){"id", "name", "newValue", "oldValue", NULL}, "lead change field");
    cJSON_Delete(j);
    free(tok);
}

int main(void)
{
    g_facts = load_facts();
    if (!g_facts) {
        fprintf(stderr, "tests/emulator/openapi-operations.txt is missing\n");
        return 1;
    }
    bool have_specs = load_specs() == 0;
    if (!have_specs)
        fprintf(stderr, "reference OpenAPI files not found next to the source tree: "
                        "routes checked against tests/emulator/openapi-operations.txt\n");
    int rc;
    if (emu_fixture_start(&g, (const char *[]){"--rate-limit", "off", NULL}))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_facts_match_openapi),
        cmocka_unit_test(test_routes_in_openapi),
        cmocka_unit_test(test_example_shapes),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (emu_fixture_stop(&g) != 0)
        rc = 1;
    for (int i = 0; i < g_nspecs; i++)
        if (g_specs[i] != g_facts)
            cJSON_Delete(g_specs[i]);
    cJSON_Delete(g_facts);
    return rc;
}
