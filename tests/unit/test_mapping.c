/*
 * test_mapping.c — the real mapping tables load and answer lookups; broken
 * copies of them are refused with a message naming the file and the entry.
 *
 * Each broken case copies mapping/ into a fresh temporary directory, edits
 * one table (through cJSON, or as text for bad JSON) and loads it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapping/mapping.h"
#include "mk_operations.h"
#include "soap/fault.h"
#include "testsupport.h"

static const char *const TABLES[] = {
    "operations.json", "lead_keys.json", "statuses.json", "errors.json", "fields.json",
};

static char real_dir[4096];

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A temporary copy of the real tables. */
typedef struct copy {
    char dir[64];
} copy;

static void copy_tables(copy *c)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/mk_mapping_XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    for (size_t i = 0; i < 5; i++) {
        char src[4200], dst[200];
        snprintf(src, sizeof src, "%s/%s", real_dir, TABLES[i]);
        snprintf(dst, sizeof dst, "%s/%s", c->dir, TABLES[i]);
        char *t = ts_read_file(src);
        spit(dst, t);
        free(t);
    }
}

static void remove_copy(copy *c)
{
    for (size_t i = 0; i < 5; i++) {
        char p[200];
        snprintf(p, sizeof p, "%s/%s", c->dir, TABLES[i]);
        unlink(p);
    }
    rmdir(c->dir);
}

static cJSON *load_table(copy *c, const char *name)
{
    char p[200];
    snprintf(p, sizeof p, "%s/%s", c->dir, name);
    char *t = ts_read_file(p);
    cJSON *j = cJSON_Parse(t);
    free(t);
    assert_non_null(j);
    return j;
}

static void save_table(copy *c, const char *name, cJSON *j)
{
    char p[200];
    snprintf(p, sizeof p, "%s/%s", c->dir, name);
    char *t = cJSON_Print(j);
    spit(p, t);
    cJSON_free(t);
    cJSON_Delete(j);
}

/* Load c and expect failure with every needle in the message. */
static void expect_refused(copy *c, const char *const needles[])
{
    mk_mapping *m = (mk_mapping *)0x1;
    char err[600] = {0};
    assert_int_equal(mk_mapping_load(c->dir, &m, err, sizeof err), -1);
    assert_null(m);
    for (size_t i = 0; needles[i]; i++) {
        if (!strstr(err, needles[i]))
            fail_msg("message \"%s\" lacks \"%s\"", err, needles[i]);
    }
}

static cJSON *op_named(cJSON *ops_doc, const char *name)
{
    cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(ops_doc, "operations"))
        if (strcmp(cJSON_GetObjectItem(o, "name")->valuestring, name) == 0)
            return o;
    return NULL;
}

/* ---- the real tables --------------------------------------------------- */

static void real_tables_load(void **st)
{
    (void)st;
    mk_mapping *m = NULL;
    char err[600] = {0};
    if (mk_mapping_load(real_dir, &m, err, sizeof err) != 0)
        fail_msg("%s", err);

    /* every WSDL operation exactly once */
    assert_int_equal(mk_mapping_op_count(m), MK_OPERATION_COUNT);
    for (size_t i = 0; i < mk_mapping_op_count(m); i++) {
        const mk_mapping_op *op = mk_mapping_op_at(m, i);
        assert_true(mk_mapping_is_wsdl_operation(op->name));
        assert_ptr_equal(mk_mapping_op_by_name(m, op->name), op);
        assert_true(op->ndifferences > 0);
    }
    assert_null(mk_mapping_op_at(m, MK_OPERATION_COUNT));
    assert_null(mk_mapping_op_by_name(m, "getlead"));

    const mk_mapping_op *gl = mk_mapping_op_by_name(m, "getLead");
    assert_string_equal(gl->family, "leads");
    assert_string_equal(gl->handler, "mk_op_get_lead");
    assert_int_equal(gl->status, MK_MAPPING_IMPLEMENTED);
    assert_string_equal(gl->rest[0].method, "GET");
    assert_string_equal(gl->rest[0].path, "/rest/v1/leads.json");
    assert_null(gl->rest[0].when);
    const mk_mapping_op *lm = mk_mapping_op_by_name(m, "listMObjects");
    assert_int_equal(lm->nrest, 0);
    assert_int_equal(lm->calls_max, 0);
    assert_int_equal(mk_mapping_op_by_name(m, "getMultipleLeads")->calls_max, -1);
    assert_string_equal(mk_mapping_op_by_name(m, "importToList")->family, "import");

    /* the status can be flipped at start-up */
    assert_int_equal(mk_mapping_set_op_status(m, "getLead", MK_MAPPING_IMPLEMENTED), 0);
    assert_int_equal(gl->status, MK_MAPPING_IMPLEMENTED);
    assert_int_equal(mk_mapping_set_op_status(m, "nope", MK_MAPPING_IMPLEMENTED), -1);

    /* lead keys */
    const mk_mapping_lead_key *k = mk_mapping_lead_key_get(m, "IDNUM");
    assert_non_null(k);
    assert_string_equal(k->filter_type, "id");
    k = mk_mapping_lead_key_get(m, "COOKIE");
    assert_string_equal(k->filter_type, "cookies");
    k = mk_mapping_lead_key_get(m, "SFDCOPPTYID");
    assert_string_equal(k->filter_type, "sfdcOpptyId");
    k = mk_mapping_lead_key_get(m, "LEADOWNEREMAIL");
    assert_false(k->supported);
    assert_null(k->filter_type);
    assert_non_null(k->reason);
    assert_null(mk_mapping_lead_key_get(m, "FOO"));

    /* statuses */
    assert_string_equal(mk_mapping_status_to_soap(m, "lead_sync", "created", 0), "CREATED");
    assert_string_equal(mk_mapping_status_to_soap(m, "lead_sync", "skipped", 1004), "FAILED");
    assert_string_equal(mk_mapping_status_to_soap(m, "mobject_delete", "skipped", 1013), "UNCHANGED");
    assert_string_equal(mk_mapping_status_to_soap(m, "mobject_delete", "skipped", 1004), "FAILED");
    assert_string_equal(mk_mapping_status_to_soap(m, "list_ismember", "notmemberof", 0), "false");
    assert_string_equal(mk_mapping_status_to_soap(m, "import_status", "Importing", 0), "PROCESSING");
    assert_null(mk_mapping_status_to_soap(m, "lead_sync", "weird", 0));
    assert_null(mk_mapping_status_to_soap(m, "nogroup", "created", 0));
    assert_string_equal(mk_mapping_status_to_rest(m, "sync_operation", "UPSERT"), "createOrUpdate");
    /* the HTTP method of a list operation is its endpoint's (operations.json rest[]), not a status */
    assert_null(mk_mapping_status_to_rest(m, "list_operation", "REMOVEFROMLIST"));
    assert_null(mk_mapping_status_to_rest(m, "sync_operation", "MERGE"));

    /* errors */
    mk_mapping_fault f = mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 1006, NULL);
    assert_int_equal(f.soap_code, 20105);
    assert_int_equal(f.matched, 1);
    f = mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 606, NULL);
    assert_int_equal(f.soap_code, 20023);
    assert_int_equal(f.retry, MK_MAPPING_RETRY_BACKOFF);
    assert_int_equal(mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 615, NULL).soap_code, 20024);
    f = mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 607, NULL);
    assert_int_equal(f.soap_code, 20015);
    assert_int_equal(f.retry, MK_MAPPING_RETRY_AFTER_RESET);
    f = mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 602, NULL);
    assert_int_equal(f.soap_code, 20014);
    assert_int_equal(f.retry, MK_MAPPING_RETRY_REAUTH);
    assert_int_equal(mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 1004, NULL).soap_code, 20103);
    assert_int_equal(mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 1013, NULL).soap_code, 20110);
    assert_int_equal(mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 1013, "list").soap_code, 20111);
    assert_int_equal(mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 1013, "campaign").soap_code, 20113);
    assert_int_equal(mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 1013, "lead").soap_code, 20103);
    assert_int_equal(mk_mapping_error_lookup(m, MK_MAPPING_SRC_HTTP, 502, NULL).retry,
                     MK_MAPPING_RETRY_BACKOFF);
    f = mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, 4242, NULL);
    assert_int_equal(f.soap_code, 20011);
    assert_int_equal(f.matched, 0);
    mk_rest_result r = {.error_code = 1006, .http_status = 200};
    assert_int_equal(mk_mapping_error_for_rest(m, MK_REST_ERR_API, &r, NULL).soap_code, 20105);
    assert_int_equal(mk_mapping_error_for_rest(m, MK_REST_ERR_AUTH, &r, NULL).soap_code, 20014);
    assert_int_equal(mk_mapping_error_for_rest(m, MK_REST_ERR_TIMEOUT, &r, NULL).retry,
                     MK_MAPPING_RETRY_BACKOFF);
    assert_int_equal(mk_mapping_error_for_rest(m, MK_REST_OK, &r, NULL).soap_code, 0);
    assert_int_equal(mk_mapping_error_for_rest(m, MK_REST_ERR_PARSE, &r, NULL).soap_code, 20011);
    /* the texts as captured on the wire (faults.c), whatever the published list says */
    assert_string_equal(mk_mapping_fault_text(20103), "Lead not found");
    assert_string_equal(mk_mapping_fault_text(20105), "Unknown lead field");
    assert_string_equal(mk_mapping_fault_text(20110), "Input error");
    assert_null(mk_mapping_fault_text(1));

    /* fields */
    size_t n = 0;
    const mk_mapping_field *all = mk_mapping_fields(m, &n);
    assert_non_null(all);
    assert_true(n >= 40);
    const mk_mapping_field *fl = mk_mapping_field_by_soap(m, "FirstName");
    assert_string_equal(fl->rest, "firstName");
    assert_string_equal(fl->display, "First Name");
    assert_ptr_equal(mk_mapping_field_by_soap(m, "firstname"), fl);
    assert_ptr_equal(mk_mapping_field_by_rest(m, "firstName"), fl);
    assert_null(mk_mapping_field_by_rest(m, "FirstName"));
    assert_string_equal(mk_mapping_field_by_soap(m, "AnonymousIP")->rest, "anonymousIP");
    assert_true(mk_mapping_field_by_soap(m, "Id")->readonly);

    mk_mapping_free(m);
    mk_mapping_free(NULL);
}

static void default_dir(void **st)
{
    (void)st;
    assert_non_null(mk_mapping_default_dir());
    assert_true(strlen(mk_mapping_default_dir()) > 0);
}

/* ---- broken tables ----------------------------------------------------- */

static void missing_operation(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "operations.json");
    cJSON *ops = cJSON_GetObjectItem(j, "operations");
    for (int i = 0; i < cJSON_GetArraySize(ops); i++)
        if (strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(ops, i), "name")->valuestring,
                   "getTags") == 0)
            cJSON_DeleteItemFromArray(ops, i);
    save_table(&c, "operations.json", j);
    expect_refused(&c, (const char *const[]){"operations.json", "\"getTags\"", "missing", NULL});
    remove_copy(&c);
}

static void duplicate_operation(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "operations.json");
    cJSON_AddItemToArray(cJSON_GetObjectItem(j, "operations"),
                         cJSON_Duplicate(op_named(j, "syncLead"), 1));
    save_table(&c, "operations.json", j);
    expect_refused(&c, (const char *const[]){"operations.json", "operations[23] (syncLead)",
                                             "appears twice", NULL});
    remove_copy(&c);
}

static void unknown_operation(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "operations.json");
    cJSON_ReplaceItemInObject(op_named(j, "getTags"), "name", cJSON_CreateString("getTagz"));
    save_table(&c, "operations.json", j);
    expect_refused(&c, (const char *const[]){"operations.json", "(getTagz)",
                                             "not an operation of the mktows WSDL", NULL});
    remove_copy(&c);
}

static void unknown_member(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "operations.json");
    cJSON_AddStringToObject(op_named(j, "mergeLeads"), "hander", "x");
    save_table(&c, "operations.json", j);
    expect_refused(&c, (const char *const[]){"operations.json", "(mergeLeads)",
                                             "unknown member \"hander\"", NULL});
    remove_copy(&c);
}

static void bad_status_and_call(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "operations.json");
    cJSON_ReplaceItemInObject(op_named(j, "getChannels"), "status", cJSON_CreateString("done"));
    save_table(&c, "operations.json", j);
    expect_refused(&c, (const char *const[]){"(getChannels)", "status", "\"done\"", NULL});

    j = load_table(&c, "operations.json");
    cJSON_ReplaceItemInObject(op_named(j, "getChannels"), "status",
                              cJSON_CreateString("implemented"));
    cJSON *call = cJSON_GetArrayItem(cJSON_GetObjectItem(op_named(j, "getChannels"), "rest"), 1);
    cJSON_ReplaceItemInObject(call, "method", cJSON_CreateString("PUT"));
    save_table(&c, "operations.json", j);
    expect_refused(&c, (const char *const[]){"(getChannels) rest[1]", "PUT", NULL});
    remove_copy(&c);
}

static void unknown_lead_key(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "lead_keys.json");
    cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "lead_keys"), 2);
    cJSON_ReplaceItemInObject(k, "soap", cJSON_CreateString("EMAILADDRESS"));
    save_table(&c, "lead_keys.json", j);
    expect_refused(&c, (const char *const[]){"lead_keys.json", "lead_keys[2] (EMAILADDRESS)",
                                             "not a LeadKeyRef", NULL});

    /* an unsupported key must say why */
    j = load_table(&c, "lead_keys.json");
    k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "lead_keys"), 2);
    cJSON_ReplaceItemInObject(k, "soap", cJSON_CreateString("EMAIL"));
    k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "lead_keys"), 3);
    cJSON_DeleteItemFromObject(k, "reason");
    save_table(&c, "lead_keys.json", j);
    expect_refused(&c, (const char *const[]){"lead_keys[3] (LEADOWNEREMAIL)", "reason", NULL});

    /* the sync lookupField is the handlers' (a record's own members), not a
     * key type's: a row that says otherwise is refused, not left unread */
    j = load_table(&c, "lead_keys.json");
    k = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "lead_keys"), 0);
    cJSON_AddStringToObject(k, "lookup_field", "id");
    save_table(&c, "lead_keys.json", j);
    expect_refused(&c, (const char *const[]){"lead_keys[0] (IDNUM)", "lookup_field", NULL});
    remove_copy(&c);
}

static void bad_json(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    char p[200];
    snprintf(p, sizeof p, "%s/statuses.json", c.dir);
    spit(p, "{\n  \"version\": 1,\n  \"groups\": [\n    {\"name\": \"lead_sync\",]\n}\n");
    expect_refused(&c, (const char *const[]){"statuses.json", "invalid JSON", "line 4", NULL});
    remove_copy(&c);
}

static void missing_file(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    char p[200];
    snprintf(p, sizeof p, "%s/fields.json", c.dir);
    unlink(p);
    expect_refused(&c, (const char *const[]){"fields.json", "cannot open", NULL});
    remove_copy(&c);
}

static void bad_errors_table(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "errors.json");
    cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);
    cJSON_ReplaceItemInObject(e, "soap", cJSON_CreateNumber(29999));
    save_table(&c, "errors.json", j);
    expect_refused(&c, (const char *const[]){"errors.json", "errors[0] (api 601)", "29999", NULL});

    j = load_table(&c, "errors.json");
    e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);
    cJSON_ReplaceItemInObject(e, "soap", cJSON_CreateNumber(20014));
    cJSON_AddItemToArray(cJSON_GetObjectItem(j, "errors"), cJSON_Duplicate(e, 1));
    save_table(&c, "errors.json", j);
    expect_refused(&c, (const char *const[]){"errors.json", "(api 601)", "duplicates errors[0]", NULL});

    /* fault texts have one home (src/mapping/faults.c): a second list of
     * them in the table is refused, so the two cannot drift apart again */
    j = load_table(&c, "errors.json");
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(j, "errors"),
                              cJSON_GetArraySize(cJSON_GetObjectItem(j, "errors")) - 1);
    cJSON *texts = cJSON_AddArrayToObject(j, "soap_faults");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "code", 20103);
    cJSON_AddStringToObject(t, "text", "Lead Not Found");
    cJSON_AddItemToArray(texts, t);
    save_table(&c, "errors.json", j);
    expect_refused(&c, (const char *const[]){"errors.json", "soap_faults", NULL});
    remove_copy(&c);
}

/* Every fault code the C code can raise (soap/fault.h) has its text in the
 * one table, and every code errors.json names is one of them. */
static void fault_codes_have_texts(void **st)
{
    (void)st;
    static const int raised[] = {
        MK_ERR_INTERNAL, MK_ERR_API_INTERNAL, MK_ERR_NOT_UNDERSTOOD, MK_ERR_ACCESS_DENIED,
        MK_ERR_AUTH, MK_ERR_QUOTA, MK_ERR_EXPIRED, MK_ERR_INVALID_REQUEST,
        MK_ERR_BAD_ENCODING, MK_ERR_UNSUPPORTED, MK_ERR_TIME_RANGE, MK_ERR_RATE_LIMIT,
        MK_ERR_CONCURRENCY, MK_ERR_LEAD_KEY_REQUIRED, MK_ERR_LEAD_KEY_BAD,
        MK_ERR_LEAD_NOT_FOUND, MK_ERR_LEAD_DETAIL_REQUIRED, MK_ERR_LEAD_ATTRIBUTE_BAD,
        MK_ERR_LEAD_SYNC_FAILED, MK_ERR_ACTIVITY_KEY_BAD, MK_ERR_LEAD_OWNER_NOT_FOUND,
        MK_ERR_PARAMETER_REQUIRED, MK_ERR_BAD_PARAMETER, MK_ERR_LIST_NOT_FOUND,
        MK_ERR_CAMPAIGN_NOT_FOUND, MK_ERR_BAD_PARAMETER_VALUE, MK_ERR_BAD_STREAM_POSITION,
        MK_ERR_STREAM_AT_END,
    };
    for (size_t i = 0; i < sizeof raised / sizeof raised[0]; i++) {
        if (!mk_mapping_fault_text(raised[i]))
            fail_msg("fault %d has no text in src/mapping/faults.c", raised[i]);
        assert_string_equal(mk_fault_text(raised[i]), mk_mapping_fault_text(raised[i]));
    }
    assert_string_equal(mk_fault_text(12345), "Internal Error");
}

static void bad_statuses_and_fields(void **st)
{
    (void)st;
    copy c;
    copy_tables(&c);
    cJSON *j = load_table(&c, "statuses.json");
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
    cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "map"), 2);
    cJSON_ReplaceItemInObject(e, "soap", cJSON_CreateString("SKIPPED"));
    save_table(&c, "statuses.json", j);
    expect_refused(&c, (const char *const[]){"statuses.json", "groups[0] (lead_sync) map[2]",
                                             "SKIPPED", NULL});
    remove_copy(&c);

    /* a group no handler reads is refused (list_operation was one) */
    copy_tables(&c);
    j = load_table(&c, "statuses.json");
    g = cJSON_Duplicate(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0), 1);
    cJSON_ReplaceItemInObject(g, "name", cJSON_CreateString("list_operation"));
    cJSON_AddItemToArray(cJSON_GetObjectItem(j, "groups"), g);
    save_table(&c, "statuses.json", j);
    expect_refused(&c, (const char *const[]){"statuses.json", "list_operation", NULL});
    remove_copy(&c);

    copy_tables(&c);
    j = load_table(&c, "fields.json");
    cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "fields"), 3);
    cJSON_ReplaceItemInObject(f, "rest", cJSON_CreateString("firstName"));
    save_table(&c, "fields.json", j);
    expect_refused(&c, (const char *const[]){"fields.json", "fields[3]", "\"firstName\"", NULL});
    remove_copy(&c);
}

static int setup(void **st)
{
    (void)st;
    const char *src = getenv("MKTOWS_SOURCE_DIR");
    if (!src) {
        fprintf(stderr, "MKTOWS_SOURCE_DIR is not set\n");
        return -1;
    }
    snprintf(real_dir, sizeof real_dir, "%s/mapping", src);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_tables_load),
        cmocka_unit_test(default_dir),
        cmocka_unit_test(missing_operation),
        cmocka_unit_test(duplicate_operation),
        cmocka_unit_test(unknown_operation),
        cmocka_unit_test(unknown_member),
        cmocka_unit_test(bad_status_and_call),
        cmocka_unit_test(unknown_lead_key),
        cmocka_unit_test(bad_json),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(bad_errors_table),
        cmocka_unit_test(fault_codes_have_texts),
        cmocka_unit_test(bad_statuses_and_fields),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
