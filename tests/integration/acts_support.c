/*
 * acts_support.c — the activity and asset tests' stack and REST truth
 * (acts_support.h).
 */
#include "acts_support.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

cJSON *acts_truth(ss_stack *s, const char *types, const char *leads, long list, time_t since)
{
    char *iso = ss_iso(since), *eiso = ts_urlenc(iso);
    char *path = ts_fmt("/rest/v1/activities/pagingtoken.json?sinceDatetime=%s", eiso);
    cJSON *j = ss_rest(s, "GET", path, NULL);
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
