/*
 * test_emu_leads.c — the lead endpoints of marketo-emulator over real HTTP:
 * get by every documented filterType, fields, paging to the last page, the
 * 300-value and 1,000-match limits, get by id, sync with every action and
 * the record-level reasons, describe/describe2, partitions, merge,
 * associate, delete, and the activities those writes log.
 *
 * The group shares one emulator (rate limit off) seeded with the default
 * seed plus 1,500 synthetic leads; tests that write reset it first.
 */
#include "emu_testutil.h"

static emu_fixture g;

static int setup(void **state)
{
    (void)state;
    const char *opts[] = {"--rate-limit", "off", "--synthetic-leads", "1500", NULL};
    return emu_fixture_start(&g, opts);
}

static int teardown(void **state)
{
    (void)state;
    return emu_fixture_stop(&g) == 0 ? 0 : -1;
}

static bool has_id(const cJSON *j, int id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, emu_result(j))
        if ((int)emu_num(it, "id") == id)
            return true;
    return false;
}

/* ---- reads ------------------------------------------------------------------------- */

static void test_filter_types(void **state)
{
    (void)state;
    static const struct { const char *type, *value; int id; } cases[] = {
        {"id", "3", 3},
        {"email", "JDOE@example.com", 1},
        {"cookies", "id:287-GTJ-838%26token:_mch-example.com-1700000000000-10001", 1},
        {"facebookId", "fb-1001", 1},
        {"linkedInId", "li-1001", 1},
        {"twitterId", "tw-1001", 1},
        {"sfdcAccountId", "0015g00000AbCdEAAX", 2},
        {"sfdcContactId", "0035g00000AbCdEAAV", 2},
        {"sfdcLeadId", "00Q5g000001AbCdEAM", 16},
        {"sfdcLeadOwnerId", "0055g000000XyZaAAK", 1},
        {"sfdcOpptyId", "0065g00000AbCdEAAZ", 2},
        {"leadPartitionId", "2", 5},
        {"foreignSysPersonId", "CRM-0003", 3},  /* custom string */
        {"accountNumber", "100004", 4},         /* custom integer */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *j = emu_get(&g, "/rest/v1/leads.json?filterType=%s&filterValues=%s",
                           cases[i].type, cases[i].value);
        assert_ok(j);
        if (!has_id(j, cases[i].id))
            fail_msg("filterType=%s did not find lead %d", cases[i].type, cases[i].id);
        cJSON_Delete(j);
    }
    /* Several values, repeated or comma-separated, and default fields. */
    cJSON *j = emu_get(&g, "/rest/v1/leads.json?filterType=id&filterValues=1,2&filterValues=999999");
    assert_int_equal(emu_count(j), 2);
    const cJSON *l = emu_item(j, 0);
    assert_int_equal(cJSON_GetArraySize(l), 6); /* id + email, updatedAt, createdAt, lastName, firstName */
    assert_string_equal(emu_str(l, "email"), "jdoe@example.com");
    assert_non_null(emu_str(l, "createdAt"));
    cJSON_Delete(j);
    /* No match: empty result, success. */
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=nobody@example.com");
    assert_ok(j);
    assert_int_equal(emu_count(j), 0);
    assert_null(cJSON_GetObjectItem(j, "nextPageToken"));
    cJSON_Delete(j);
    /* Both leads sharing an email. */
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=shared@example.com");
    assert_int_equal(emu_count(j), 2);
    cJSON_Delete(j);
}

static void test_filter_errors(void **state)
{
    (void)state;
    cJSON *j = emu_get(&g, "/rest/v1/leads.json?filterType=firstName&filterValues=John");
    assert_code(j, "1011");
    cJSON_Delete(j);
    emu_expect_error(emu_get(&g, "/rest/v1/leads.json?filterType=email"), "701");
    emu_expect_error(emu_get(&g, "/rest/v1/leads.json?filterValues=1"), "701");
    emu_expect_error(emu_get(&g, "/rest/v1/leads.json?filterType=id&filterValues=abc"), "1001");
    emu_expect_error(emu_get(&g, "/rest/v1/leads.json?filterType=cookies"
                                 "&filterValues=not-a-cookie"),
                     "1012");
    emu_expect_error(emu_get(&g, "/rest/v1/leads.json?filterType=id&filterValues=1"
                                 "&fields=email,noSuchField"),
                     "1006");
    emu_expect_error(emu_get(&g, "/rest/v1/leads.json?filterType=id&filterValues=1"
                                 "&batchSize=301"),
                     "1003");
    emu_expect_error(emu_get(&g, "/rest/v1/leads.json?filterType=id&filterValues=1"
                                 "&nextPageToken=garbage!"),
                     "1003");
    /* 301 filter values. */
    char path[4096];
    int k = snprintf(path, sizeof path, "/rest/v1/leads.json?filterType=id&filterValues=1");
    for (int i = 2; i <= 301; i++)
        k += snprintf(path + k, sizeof path - (size_t)k, ",%d", i);
    j = emu_get(&g, "%s", path);
    assert_code(j, "1003");
    assert_non_null(strstr(emu_err_msg(j), "exceeds"));
    cJSON_Delete(j);
    /* 300 are fine. */
    k = snprintf(path, sizeof path, "/rest/v1/leads.json?filterType=id&filterValues=1");
    for (int i = 2; i <= 300; i++)
        k += snprintf(path + k, sizeof path - (size_t)k, ",%d", i);
    j = emu_get(&g, "%s", path);
    assert_ok(j);
    assert_int_equal(emu_count(j), 300);
    cJSON_Delete(j);
    /* More than 1,000 matches (the 1,500 synthetic leads are in partition 1). */
    j = emu_get(&g, "/rest/v1/leads.json?filterType=leadPartitionId&filterValues=1");
    assert_code(j, "1003");
    assert_string_equal(emu_err_msg(j), "Too many results match the filter");
    cJSON_Delete(j);
}

static void test_paging_and_fields(void **state)
{
    (void)state;
    /* Partition 2 holds leads 5, 6, 9: pages of 2 → 2 pages. */
    int seen = 0, pages = 0;
    char *token = NULL;
    do {
        cJSON *j = token
            ? emu_get(&g, "/rest/v1/leads.json?filterType=leadPartitionId&filterValues=2"
                          "&batchSize=2&fields=company,leadPartitionId&nextPageToken=%s", token)
            : emu_get(&g, "/rest/v1/leads.json?filterType=leadPartitionId&filterValues=2"
                          "&batchSize=2&fields=company,leadPartitionId");
        assert_ok(j);
        pages++;
        seen += emu_count(j);
        const cJSON *it;
        cJSON_ArrayForEach(it, emu_result(j)) {
            assert_int_equal((int)emu_num(it, "leadPartitionId"), 2);
            assert_non_null(cJSON_GetObjectItem(it, "company"));
            assert_null(cJSON_GetObjectItem(it, "email")); /* only asked fields */
        }
        free(token);
        token = emu_str(j, "nextPageToken") ? strdup(emu_str(j, "nextPageToken")) : NULL;
        cJSON_Delete(j);
    } while (token);
    assert_int_equal(pages, 2);
    assert_int_equal(seen, 3);
    /* A field the lead has no value for comes back as null. */
    cJSON *j = emu_get(&g, "/rest/v1/lead/4.json?fields=sfdcLeadId,city");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(emu_item(j, 0), "sfdcLeadId")));
    assert_string_equal(emu_str(emu_item(j, 0), "city"), "Metropolis");
    cJSON_Delete(j);
}

/* A token the emulator never issued, naming an offset near INT64_MAX: an
 * empty last page, not arithmetic overflow (UBSan aborts the emulator). */
static void test_paging_token_far_offset(void **state)
{
    (void)state;
    static const int64_t offsets[] = {INT64_MAX, INT64_MAX - 100, 4611686018427387904LL};
    for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
        char tok[40];
        emu_page_token_for(offsets[i], tok);
        cJSON *j = emu_get(&g, "/rest/v1/leads.json?filterType=leadPartitionId&filterValues=2"
                               "&nextPageToken=%s", tok);
        assert_ok(j);
        assert_int_equal(emu_count(j), 0);
        assert_null(cJSON_GetObjectItem(j, "nextPageToken"));
        cJSON_Delete(j);
        j = emu_get(&g, "/rest/v1/leads/schema/fields.json?batchSize=300&nextPageToken=%s", tok);
        assert_ok(j);
        assert_int_equal(emu_count(j), 0);
        assert_null(cJSON_GetObjectItem(j, "nextPageToken"));
        cJSON_Delete(j);
    }
    /* The encoder above spells tokens as the emulator does. */
    char tok[40];
    emu_page_token_for(2, tok);
    cJSON *j = emu_get(&g, "/rest/v1/leads.json?filterType=leadPartitionId&filterValues=2"
                           "&nextPageToken=%s", tok);
    assert_ok(j);
    assert_int_equal(emu_count(j), 1);
    cJSON_Delete(j);
}

static void test_get_by_id(void **state)
{
    (void)state;
    cJSON *j = emu_get(&g, "/rest/v1/lead/2.json");
    assert_ok(j);
    assert_int_equal(emu_count(j), 1);
    assert_string_equal(emu_str(emu_item(j, 0), "lastName"), "Smith");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/lead/999999.json");
    assert_ok(j);
    assert_int_equal(emu_count(j), 0);
    cJSON_Delete(j);
    emu_expect_error(emu_get(&g, "/rest/v1/lead/abc.json"), "1003");
    /* The synthetic leads are there and found by email in one step. */
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=synthetic-1234@example.com"
                    "&fields=company,leadScore");
    assert_int_equal(emu_count(j), 1);
    cJSON_Delete(j);
}

static void test_describe(void **state)
{
    (void)state;
    cJSON *j = emu_get(&g, "/rest/v1/leads/describe.json");
    assert_ok(j);
    bool company = false, cookies = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, emu_result(j)) {
        assert_true(emu_num(it, "id") > 0);
        assert_non_null(emu_str(it, "displayName"));
        assert_non_null(emu_str(it, "dataType"));
        const cJSON *rest = cJSON_GetObjectItem(it, "rest");
        assert_non_null(emu_str(rest, "name"));
        assert_true(cJSON_IsBool(cJSON_GetObjectItem(rest, "readOnly")));
        const cJSON *soap = cJSON_GetObjectItem(it, "soap");
        if (!strcmp(emu_str(rest, "name"), "company")) {
            company = true;
            assert_string_equal(emu_str(soap, "name"), "Company");
            assert_true(cJSON_IsFalse(cJSON_GetObjectItem(soap, "readOnly")));
            assert_int_equal((int)emu_num(it, "length"), 255);
        }
        if (!strcmp(emu_str(rest, "name"), "cookies")) {
            cookies = true;
            assert_null(soap); /* only where valid for SOAP */
        }
    }
    assert_true(company && cookies);
    cJSON_Delete(j);

    j = emu_get(&g, "/rest/v1/leads/describe2.json");
    assert_ok(j);
    const cJSON *d = emu_item(j, 0);
    assert_string_equal(emu_str(d, "name"), "API Lead");
    const cJSON *sf = cJSON_GetObjectItem(d, "searchableFields");
    bool email = false, custom = false;
    cJSON_ArrayForEach(it, sf) {
        const char *n = cJSON_GetArrayItem(it, 0)->valuestring;
        email |= !strcmp(n, "email");
        custom |= !strcmp(n, "accountNumber");
        assert_string_not_equal(n, "firstName");
    }
    assert_true(email && custom);
    const cJSON *f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "fields"), 0);
    assert_non_null(emu_str(f0, "name"));
    assert_true(cJSON_IsBool(cJSON_GetObjectItem(f0, "updateable")));
    assert_true(cJSON_IsBool(cJSON_GetObjectItem(f0, "crmManaged")));
    cJSON_Delete(j);

    j = emu_get(&g, "/rest/v1/leads/schema/fields.json?batchSize=10");
    assert_int_equal(emu_count(j), 10);
    assert_non_null(emu_str(j, "nextPageToken"));
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/leads/schema/fields/email.json");
    assert_string_equal(emu_str(emu_item(j, 0), "dataType"), "email");
    cJSON_Delete(j);
}

static void test_partitions(void **state)
{
    (void)state;
    emu_reset(&g);
    cJSON *j = emu_get(&g, "/rest/v1/leads/partitions.json");
    assert_int_equal(emu_count(j), 2);
    assert_string_equal(emu_str(emu_item(j, 0), "name"), "Default");
    cJSON_Delete(j);
    j = emu_post(&g, "/rest/v1/leads/partitions.json",
                 "{\"input\":[{\"id\":1,\"partitionName\":\"Europe\"},"
                 "{\"id\":999999,\"partitionName\":\"Europe\"},"
                 "{\"id\":2,\"partitionName\":\"Mars\"}]}");
    assert_ok(j);
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "updated");
    assert_string_equal(emu_reason(emu_item(j, 1)), "1004");
    assert_string_equal(emu_reason(emu_item(j, 2)), "1008");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/lead/1.json?fields=leadPartitionId");
    assert_int_equal((int)emu_num(emu_item(j, 0), "leadPartitionId"), 2);
    cJSON_Delete(j);
}

/* ---- sync --------------------------------------------------------------------------------- */

static void test_sync_actions(void **state)
{
    (void)state;
    emu_reset(&g);
    cJSON *j = emu_post(&g, "/rest/v1/leads.json",
        "{\"action\":\"createOnly\",\"lookupField\":\"email\",\"input\":["
        "{\"email\":\"kjashaedd-1@klooblept.com\",\"firstName\":\"Kataldar-1\",\"postalCode\":\"04828\"},"
        "{\"email\":\"kjashaedd-2@klooblept.com\",\"firstName\":\"Kataldar-2\",\"postalCode\":\"04828\"},"
        "{\"email\":\"jdoe@example.com\"}]}");
    assert_ok(j);
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "created");
    assert_string_equal(emu_str(emu_item(j, 1), "status"), "created");
    int id1 = (int)emu_num(emu_item(j, 0), "id");
    assert_true(id1 > 1500);
    assert_string_equal(emu_str(emu_item(j, 2), "status"), "skipped");
    assert_string_equal(emu_reason(emu_item(j, 2)), "1005");
    assert_null(cJSON_GetObjectItem(emu_item(j, 2), "id")); /* skipped records carry no id */
    cJSON_Delete(j);

    j = emu_post(&g, "/rest/v1/leads.json",
        "{\"action\":\"updateOnly\",\"input\":[{\"email\":\"kjashaedd-1@klooblept.com\",\"leadScore\":\"15\"},"
        "{\"email\":\"nobody@example.com\",\"firstName\":\"X\"}]}");
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "updated");
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), id1);
    assert_string_equal(emu_reason(emu_item(j, 1)), "1004");
    cJSON_Delete(j);

    j = emu_post(&g, "/rest/v1/leads.json",
        "{\"input\":[{\"email\":\"shared@example.com\",\"firstName\":\"X\"},"
        "{\"email\":\"brand-new@example.com\",\"leadScore\":3},"
        "{\"email\":\"jdoe@example.com\",\"noSuchField\":1},"
        "{\"email\":\"jdoe@example.com\",\"leadScore\":\"many\"},"
        "{\"firstName\":\"No Email\"},"
        "{\"id\":1,\"firstName\":\"Id Given\"}]}");
    assert_string_equal(emu_reason(emu_item(j, 0)), "1007");
    assert_string_equal(emu_str(emu_item(j, 1), "status"), "created");
    assert_string_equal(emu_reason(emu_item(j, 2)), "1006");
    assert_string_equal(emu_reason(emu_item(j, 3)), "1001");
    assert_string_equal(emu_reason(emu_item(j, 4)), "1002");
    assert_string_equal(emu_reason(emu_item(j, 5)), "1003");
    cJSON_Delete(j);

    /* createDuplicate makes a second lead with the same email. */
    j = emu_post(&g, "/rest/v1/leads.json",
                 "{\"action\":\"createDuplicate\",\"input\":[{\"email\":\"jdoe@example.com\"}]}");
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "created");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=jdoe@example.com");
    assert_int_equal(emu_count(j), 2);
    cJSON_Delete(j);

    /* updateOnly by id; custom lookup field; lookupField errors. */
    j = emu_post(&g, "/rest/v1/leads.json",
                 "{\"action\":\"updateOnly\",\"lookupField\":\"id\",\"input\":[{\"id\":3,\"title\":\"Batman\"}]}");
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "updated");
    cJSON_Delete(j);
    j = emu_post(&g, "/rest/v1/leads.json",
                 "{\"lookupField\":\"foreignSysPersonId\",\"input\":[{\"foreignSysPersonId\":\"CRM-0002\",\"title\":\"CMO\"}]}");
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "updated");
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), 2);
    cJSON_Delete(j);
    emu_expect_error(emu_post(&g, "/rest/v1/leads.json",
                              "{\"lookupField\":\"firstName\",\"input\":[{\"firstName\":\"John\"}]}"),
                     "1011");
    emu_expect_error(emu_post(&g, "/rest/v1/leads.json",
                              "{\"action\":\"upsert\",\"input\":[{\"email\":\"a@b.c\"}]}"),
                     "1003");
    emu_expect_error(emu_post(&g, "/rest/v1/leads.json", "{\"input\":[]}"), "701");

    /* The stored values. */
    j = emu_get(&g, "/rest/v1/lead/%d.json?fields=leadScore,postalCode,firstName", id1);
    assert_int_equal((int)emu_num(emu_item(j, 0), "leadScore"), 15);
    assert_string_equal(emu_str(emu_item(j, 0), "postalCode"), "04828");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/lead/3.json?fields=title");
    assert_string_equal(emu_str(emu_item(j, 0), "title"), "Batman");
    cJSON_Delete(j);
}

static void test_sync_partitions_and_limits(void **state)
{
    (void)state;
    emu_reset(&g);
    /* Dedupe happens inside the named partition. */
    cJSON *j = emu_post(&g, "/rest/v1/leads.json",
                        "{\"partitionName\":\"Europe\",\"input\":[{\"email\":\"jdoe@example.com\"},"
                        "{\"email\":\"dprince@example.com\",\"city\":\"Athens\"}]}");
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "created");
    assert_string_equal(emu_str(emu_item(j, 1), "status"), "updated");
    assert_int_equal((int)emu_num(emu_item(j, 1), "id"), 5);
    int id = (int)emu_num(emu_item(j, 0), "id");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/lead/%d.json?fields=leadPartitionId", id);
    assert_int_equal((int)emu_num(emu_item(j, 0), "leadPartitionId"), 2);
    cJSON_Delete(j);
    j = emu_post(&g, "/rest/v1/leads.json",
                 "{\"partitionName\":\"Nowhere\",\"input\":[{\"email\":\"p@example.com\"}]}");
    assert_string_equal(emu_reason(emu_item(j, 0)), "1008");
    cJSON_Delete(j);

    /* 301 records. */
    size_t cap = 301 * 48 + 64, k = 0;
    char *body = malloc(cap);
    k += (size_t)snprintf(body, cap, "{\"input\":[");
    for (int i = 0; i < 301; i++)
        k += (size_t)snprintf(body + k, cap - k, "%s{\"email\":\"bulk%d@example.com\"}",
                              i ? "," : "", i);
    snprintf(body + k, cap - k, "]}");
    j = emu_post(&g, "/rest/v1/leads.json", body);
    assert_code(j, "1003");
    assert_non_null(strstr(emu_err_msg(j), "exceeds"));
    cJSON_Delete(j);
    free(body);
}

/* Long lookup values are matched whole: two leads whose keys share their
 * first 600 characters are told apart (values were cut at 511 bytes, so
 * such leads were not found, or both matched). */
static void test_long_lookup_values(void **state)
{
    (void)state;
    emu_reset(&g);
    char a[602], b[602], body[2048];
    memset(a, 'x', 600);
    memcpy(b, a, 600);
    a[600] = 'A';
    b[600] = 'B';
    a[601] = b[601] = '\0';
    snprintf(body, sizeof body,
             "{\"action\":\"createOnly\",\"input\":[{\"email\":\"long-a@example.com\","
             "\"foreignSysPersonId\":\"%s\"},{\"email\":\"long-b@example.com\","
             "\"foreignSysPersonId\":\"%s\"}]}", a, b);
    cJSON *j = emu_post(&g, "/rest/v1/leads.json", body);
    int id_b = (int)emu_num(emu_item(j, 1), "id");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/leads.json?filterType=foreignSysPersonId&filterValues=%s", b);
    assert_ok(j);
    assert_int_equal(emu_count(j), 1);
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), id_b);
    cJSON_Delete(j);
    snprintf(body, sizeof body,
             "{\"lookupField\":\"foreignSysPersonId\",\"input\":[{\"foreignSysPersonId\":\"%s\","
             "\"title\":\"Long\"}]}", b);
    j = emu_post(&g, "/rest/v1/leads.json", body);
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "updated");
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), id_b);
    cJSON_Delete(j);
}

/* ---- merge, associate, delete ------------------------------------------------------------------ */

static void test_merge(void **state)
{
    (void)state;
    emu_reset(&g);
    /* Lead 4 has no sfdc ids or tier; lead 3 has a tier. */
    cJSON *j = emu_post(&g, "/rest/v1/leads/4/merge.json?leadId=3", NULL);
    assert_ok(j);
    assert_null(emu_result(j));
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/lead/4.json?fields=customerTier,company,firstName");
    assert_string_equal(emu_str(emu_item(j, 0), "customerTier"), "Platinum"); /* filled */
    assert_string_equal(emu_str(emu_item(j, 0), "firstName"), "Clark");       /* winner kept */
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/lead/3.json");
    assert_int_equal(emu_count(j), 0); /* loser gone */
    cJSON_Delete(j);
    j = emu_post(&g, "/rest/v1/leads/4/merge.json?leadIds=10,11&mergeInCRM=true", NULL);
    assert_ok(j);
    cJSON_Delete(j);
    emu_expect_error(emu_post(&g, "/rest/v1/leads/4/merge.json?leadId=999999", NULL), "1004");
    emu_expect_error(emu_post(&g, "/rest/v1/leads/4/merge.json", NULL), "701");
    /* More than 25 ids: skipped with 1080. */
    char path[512];
    int k = snprintf(path, sizeof path, "/rest/v1/leads/1/merge.json?leadIds=100");
    for (int i = 101; i < 127; i++)
        k += snprintf(path + k, sizeof path - (size_t)k, ",%d", i);
    j = emu_post(&g, path, NULL);
    assert_ok(j);
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "skipped");
    assert_string_equal(emu_reason(emu_item(j, 0)), "1080");
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/lead/100.json");
    assert_int_equal(emu_count(j), 1); /* nothing merged */
    cJSON_Delete(j);
}

static void test_associate(void **state)
{
    (void)state;
    emu_reset(&g);
    const char *cookie = "id:561-HYG-937%26token:_mch-example.com-1594662481190-60776";
    cJSON *j = emu_get(&g, "/rest/v1/leads.json?filterType=cookies&filterValues=%s", cookie);
    assert_int_equal(emu_count(j), 0);
    cJSON_Delete(j);
    char path[512];
    snprintf(path, sizeof path, "/rest/v1/leads/4/associate.json?cookie=%s", cookie);
    j = emu_post(&g, path, NULL);
    assert_ok(j);
    assert_null(emu_result(j));
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/leads.json?filterType=cookies&filterValues=%s", cookie);
    assert_int_equal(emu_count(j), 1);
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), 4);
    cJSON_Delete(j);
    /* Associating the cookie with another lead moves it. */
    snprintf(path, sizeof path, "/rest/v1/leads/2/associate.json?cookie=%s", cookie);
    cJSON_Delete(emu_post(&g, path, NULL));
    j = emu_get(&g, "/rest/v1/leads.json?filterType=cookies&filterValues=%s", cookie);
    assert_int_equal(emu_count(j), 1);
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), 2);
    cJSON_Delete(j);
    emu_expect_error(emu_post(&g, "/rest/v1/leads/4/associate.json?cookie=garbage", NULL), "1012");
    emu_expect_error(emu_post(&g, "/rest/v1/leads/4/associate.json", NULL), "701");
    snprintf(path, sizeof path, "/rest/v1/leads/999999/associate.json?cookie=%s", cookie);
    emu_expect_error(emu_post(&g, path, NULL), "1004");
}

static void test_delete(void **state)
{
    (void)state;
    emu_reset(&g);
    cJSON *j = emu_post(&g, "/rest/v1/leads/delete.json", "{\"input\":[{\"id\":11},{\"id\":999999}]}");
    assert_ok(j);
    assert_string_equal(emu_str(emu_item(j, 0), "status"), "deleted");
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), 11);
    assert_string_equal(emu_reason(emu_item(j, 1)), "1004");
    cJSON_Delete(j);
    /* Ids in the query, empty body. */
    j = emu_post(&g, "/rest/v1/leads/delete.json?id=12,13", NULL);
    assert_int_equal(emu_count(j), 2);
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/leads.json?filterType=id&filterValues=11,12,13,14");
    assert_int_equal(emu_count(j), 1);
    cJSON_Delete(j);
    emu_expect_error(emu_post(&g, "/rest/v1/leads/delete.json", "{\"input\":[]}"), "701");
    /* Gone from the email index too. */
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=ghopper@example.com");
    assert_int_equal(emu_count(j), 0);
    cJSON_Delete(j);
}

/* The writes above log what Marketo logs. */
static void test_write_activities(void **state)
{
    (void)state;
    emu_reset(&g);
    cJSON *t = emu_get(&g, "/rest/v1/activities/pagingtoken.json?sinceDatetime=2026-06-01T00:00:00Z");
    char *tok = strdup(emu_str(t, "nextPageToken"));
    cJSON_Delete(t);
    cJSON_Delete(emu_post(&g, "/rest/v1/leads.json",
                          "{\"input\":[{\"email\":\"act@example.com\",\"firstName\":\"A\"}]}"));
    cJSON_Delete(emu_post(&g, "/rest/v1/leads.json",
                          "{\"input\":[{\"email\":\"act@example.com\",\"firstName\":\"B\",\"leadScore\":7}]}"));
    cJSON_Delete(emu_post(&g, "/rest/v1/leads/1/merge.json?leadId=2", NULL));
    cJSON_Delete(emu_post(&g, "/rest/v1/leads/delete.json?id=3", NULL));
    cJSON *j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=12,13,32,37&nextPageToken=%s", tok);
    assert_ok(j);
    int types[4] = {0};
    const cJSON *it;
    cJSON_ArrayForEach(it, emu_result(j)) {
        int ty = (int)emu_num(it, "activityTypeId");
        types[ty == 12 ? 0 : ty == 13 ? 1 : ty == 32 ? 2 : 3]++;
        if (ty == 13 && !strcmp(emu_str(it, "primaryAttributeValue"), "First Name")) {
            const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(it, "attributes"), 0);
            const cJSON *a1 = cJSON_GetArrayItem(cJSON_GetObjectItem(it, "attributes"), 1);
            assert_string_equal(emu_str(a0, "name"), "New Value");
            assert_string_equal(emu_str(a0, "value"), "B");
            assert_string_equal(emu_str(a1, "name"), "Old Value");
            assert_string_equal(emu_str(a1, "value"), "A");
        }
    }
    assert_int_equal(types[0], 1);  /* New Lead */
    assert_true(types[1] >= 2);     /* firstName, leadScore (+ fills from the merge) */
    assert_int_equal(types[2], 1);  /* Merge Leads */
    assert_int_equal(types[3], 1);  /* Delete Lead */
    cJSON_Delete(j);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_types),
        cmocka_unit_test(test_filter_errors),
        cmocka_unit_test(test_paging_and_fields),
        cmocka_unit_test(test_paging_token_far_offset),
        cmocka_unit_test(test_get_by_id),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_sync_actions),
        cmocka_unit_test(test_sync_partitions_and_limits),
        cmocka_unit_test(test_long_lookup_values),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_associate),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_write_activities),
    };
    return ts_run_tests(tests, setup, teardown);
}
