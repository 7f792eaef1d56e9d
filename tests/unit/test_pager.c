/*
 * test_pager.c — the shared pager (src/ops/core/pager.c) against the real
 * marketo-emulator over HTTP, through the real REST client:
 *   - token paging to the real end, and max_records stopping after the page
 *     that reached it, resumable from the position it hands back;
 *   - activities: a page with no record while moreResult is true is read
 *     past (EMPTY_READ_PAST) or taken as the end (EMPTY_ENDS); the first page
 *     is read even when stop_at_ms has passed, and no page after it;
 *   - the per-page callback can stop the walk; a failed send stops it and
 *     its code and result come back;
 *   - offset paging (Asset API) ends at a short page and sees every record.
 * The emulator scans 1,000 activities per call (as Marketo scans blocks), so
 * 1,001 new leads make the last one's New Lead activity sit past an empty
 * first page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/core/pager.h"
#include "rest/json.h"
#include "soapstack.h"
#include "testsupport.h"

#define NLEADS 1001
#define SYNC_BATCH 300

static ts_proc emu;
static mk_rest_client *client;
static const mk_rest_cred cred = {"test-id", "test-secret"};
static char last_lead[24];

/* A page send straight through the REST client (as the coalescer does). */
typedef struct sender {
    int sends;
} sender;

static int send_page(void *ctx, const mk_rest_req *rr, mk_rest_result *res)
{
    sender *s = ctx;
    s->sends++;
    return (int)mk_rest_call(client, &cred, rr, res);
}

/* Per-page record counts, and an optional stop after `stop_after` pages. */
typedef struct seen {
    int counts[64];
    int n;
    int stop_after;
} seen;

static int on_page(void *ctx, mk_rest_result *res, cJSON *records, bool *stop)
{
    (void)res;
    seen *s = ctx;
    if (s->n < 64)
        s->counts[s->n] = cJSON_GetArraySize(records);
    s->n++;
    *stop = s->stop_after > 0 && s->n >= s->stop_after;
    return 0;
}

static const char *email_list(void)
{
    return "pg0@pager.test,pg1@pager.test,pg2@pager.test,pg3@pager.test,pg4@pager.test,"
           "pg5@pager.test,pg6@pager.test";
}

static void token_paging_reads_to_the_real_end(void **state)
{
    (void)state;
    sender sd = {0};
    cJSON *all = cJSON_CreateArray();
    /* The slot puts the token first, where the caller wants it. */
    mk_rest_param q[5] = {{"nextPageToken", NULL}, {"filterType", "email"},
                          {"filterValues", email_list()}, {"fields", "id,email"},
                          {"batchSize", "3"}};
    mk_pager p = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = 5, .send = send_page,
                  .send_ctx = &sd, .all = all};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_int_equal(p.pages, 3);
    assert_int_equal(sd.sends, 3);
    assert_int_equal(p.records, 7);
    assert_int_equal(cJSON_GetArraySize(all), 7);
    assert_true(p.end);
    mk_pager_done(&p);
    cJSON_Delete(all);
}

static void max_records_stops_after_the_page_and_resumes(void **state)
{
    (void)state;
    sender sd = {0};
    cJSON *all = cJSON_CreateArray();
    mk_rest_param q[4] = {{"filterType", "email"}, {"filterValues", email_list()},
                          {"fields", "id,email"}, {"batchSize", "3"}};
    mk_pager p = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = 4, .max_records = 4,
                  .send = send_page, .send_ctx = &sd, .all = all};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_int_equal(p.pages, 2);
    assert_int_equal(p.records, 6);
    assert_int_equal(cJSON_GetArraySize(all), 4);   /* copies stop at max_records */
    assert_false(p.end);
    assert_non_null(p.next);

    /* From the position handed back: only the last page is left. */
    char *pos = strdup(p.next);
    mk_pager_done(&p);
    seen sn = {0};
    mk_pager r = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = 4, .start = pos,
                  .send = send_page, .send_ctx = &sd, .on_page = on_page, .page_ctx = &sn};
    assert_int_equal(mk_pager_run(&r), 0);
    assert_int_equal(r.pages, 1);
    assert_int_equal(sn.counts[0], 1);
    assert_true(r.end);
    mk_pager_done(&r);
    free(pos);
    cJSON_Delete(all);
}

/* A paging token at the start of the activity log. */
static char *log_start_token(void)
{
    mk_rest_param q[1] = {{"sinceDatetime", "2000-01-01T00:00:00Z"}};
    mk_rest_req rr = {.ep = MK_EP_PAGING_TOKEN, .query = q, .nquery = 1};
    mk_rest_result res;
    assert_int_equal(mk_rest_call(client, &cred, &rr, &res), MK_REST_OK);
    const char *t = mk_rest_json_get_string(res.json, "nextPageToken");
    assert_non_null(t);
    char *out = strdup(t);
    mk_rest_result_free(&res);
    return out;
}

static void activities_read_past_empty_pages(void **state)
{
    (void)state;
    char *start = log_start_token();
    mk_rest_param q[4] = {{"nextPageToken", NULL}, {"activityTypeIds", "12"},
                          {"leadIds", last_lead}, {"batchSize", "300"}};
    sender sd = {0};

    /* Until a record: the empty first page is not the end. */
    seen a = {0};
    mk_pager p = {.ep = MK_EP_ACTIVITIES, .query = q, .nquery = 4, .start = start,
                  .max_records = 1, .empty = MK_PAGER_EMPTY_READ_PAST, .send = send_page,
                  .send_ctx = &sd, .on_page = on_page, .page_ctx = &a};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_true(p.pages >= 2);
    assert_int_equal(a.counts[0], 0);
    assert_int_equal(p.records, 1);
    assert_int_equal(a.counts[a.n - 1], 1);
    mk_pager_done(&p);

    /* The same walk taking an empty page for the end stops at once. */
    seen b = {0};
    p = (mk_pager){.ep = MK_EP_ACTIVITIES, .query = q, .nquery = 4, .start = start,
                   .max_records = 1, .empty = MK_PAGER_EMPTY_ENDS, .send = send_page,
                   .send_ctx = &sd, .on_page = on_page, .page_ctx = &b};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_int_equal(p.pages, 1);
    assert_true(p.end);
    mk_pager_done(&p);

    /* Past the stop time: the first page is still read, no other. */
    seen c = {0};
    p = (mk_pager){.ep = MK_EP_ACTIVITIES, .query = q, .nquery = 4, .start = start,
                   .max_records = 1, .empty = MK_PAGER_EMPTY_READ_PAST, .stop_at_ms = 1,
                   .send = send_page, .send_ctx = &sd, .on_page = on_page, .page_ctx = &c};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_int_equal(p.pages, 1);
    assert_int_equal(p.records, 0);
    assert_false(p.end);
    assert_non_null(p.next);          /* where the next call goes on */
    assert_string_not_equal(p.next, start);
    mk_pager_done(&p);
    free(start);
}

static void the_callback_can_stop_the_walk(void **state)
{
    (void)state;
    sender sd = {0};
    seen sn = {.stop_after = 1};
    mk_rest_param q[4] = {{"filterType", "email"}, {"filterValues", email_list()},
                          {"fields", "id"}, {"batchSize", "2"}};
    mk_pager p = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = 4, .send = send_page,
                  .send_ctx = &sd, .on_page = on_page, .page_ctx = &sn};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_int_equal(p.pages, 1);
    assert_false(p.end);
    assert_non_null(p.next);
    mk_pager_done(&p);
}

static void a_failed_send_stops_with_its_code(void **state)
{
    (void)state;
    sender sd = {0};
    mk_rest_param q[2] = {{"filterType", "noSuchField"}, {"filterValues", "x"}};
    mk_pager p = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = 2, .send = send_page,
                  .send_ctx = &sd};
    assert_int_equal(mk_pager_run(&p), MK_REST_ERR_API);
    assert_int_equal(p.pages, 1);
    assert_true(p.last.error_code > 0);   /* the failed page's answer is kept */
    assert_false(p.end);
    mk_pager_done(&p);

    mk_pager bad = {.ep = MK_EP_NONE, .send = send_page, .send_ctx = &sd};
    assert_int_equal(mk_pager_run(&bad), MK_PAGER_INVALID);
    mk_pager_done(&bad);
}

static void offset_paging_sees_every_record(void **state)
{
    (void)state;
    sender sd = {0};
    /* All tag types in one page, then two at a time. */
    cJSON *once = cJSON_CreateArray(), *paged = cJSON_CreateArray();
    mk_rest_param q1[1] = {{"maxReturn", "200"}};
    mk_pager p = {.ep = MK_EP_TAG_TYPES, .query = q1, .nquery = 1, .page_size = 200,
                  .send = send_page, .send_ctx = &sd, .all = once};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_true(p.end);
    mk_pager_done(&p);
    int total = cJSON_GetArraySize(once);
    assert_true(total >= 2);

    mk_rest_param q2[2] = {{"maxReturn", "2"}, {"offset", NULL}};
    p = (mk_pager){.ep = MK_EP_TAG_TYPES, .query = q2, .nquery = 2, .page_size = 2,
                   .send = send_page, .send_ctx = &sd, .all = paged};
    assert_int_equal(mk_pager_run(&p), 0);
    assert_true(p.end);
    assert_int_equal(p.pages, total / 2 + 1);
    assert_int_equal(cJSON_GetArraySize(paged), total);
    char *a = cJSON_PrintUnformatted(once), *b = cJSON_PrintUnformatted(paged);
    assert_string_equal(a, b);
    cJSON_free(a);
    cJSON_free(b);
    mk_pager_done(&p);
    cJSON_Delete(once);
    cJSON_Delete(paged);
}

/* NLEADS leads pg<i>@pager.test, SYNC_BATCH per call; the last one's id. */
static int create_leads(void)
{
    for (int start = 0; start < NLEADS; start += SYNC_BATCH) {
        cJSON *body = cJSON_CreateObject(), *in = cJSON_AddArrayToObject(body, "input");
        cJSON_AddStringToObject(body, "action", "createOrUpdate");
        cJSON_AddStringToObject(body, "lookupField", "email");
        for (int i = start; i < NLEADS && i < start + SYNC_BATCH; i++) {
            cJSON *l = cJSON_CreateObject();
            char email[48];
            snprintf(email, sizeof email, "pg%d@pager.test", i);
            cJSON_AddStringToObject(l, "email", email);
            cJSON_AddItemToArray(in, l);
        }
        mk_rest_req rr = {.ep = MK_EP_LEADS_SYNC, .json = body};
        mk_rest_result res;
        mk_rest_status st = mk_rest_call(client, &cred, &rr, &res);
        cJSON *result = cJSON_GetObjectItemCaseSensitive(res.json, "result");
        cJSON *last = cJSON_GetArrayItem(result, cJSON_GetArraySize(result) - 1);
        if (st == MK_REST_OK && last)
            mk_rest_json_id_text(cJSON_GetObjectItemCaseSensitive(last, "id"), last_lead,
                                 sizeof last_lead);
        mk_rest_result_free(&res);
        cJSON_Delete(body);
        if (st != MK_REST_OK)
            return -1;
    }
    return last_lead[0] ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--rate-limit", "off", "--concurrency", "off", NULL};
    if (ts_emulator_start(&emu, extra) != 0 || ss_rest_client(&emu, 20000, &client) != 0)
        return -1;
    return create_leads();
}

static int teardown(void **state)
{
    (void)state;
    mk_rest_client_free(client);
    return ts_proc_stop(&emu) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_paging_reads_to_the_real_end),
        cmocka_unit_test(max_records_stops_after_the_page_and_resumes),
        cmocka_unit_test(activities_read_past_empty_pages),
        cmocka_unit_test(the_callback_can_stop_the_walk),
        cmocka_unit_test(a_failed_send_stops_with_its_code),
        cmocka_unit_test(offset_paging_sees_every_record),
    };
    return ts_run_tests(tests, setup, teardown);
}
