/*
 * leadsync.c — writing leads: syncLead and syncMultipleLeads.
 *
 * SOAP records are turned into REST records (leadrec.c) and written with
 * Sync Leads (POST /rest/v1/leads.json) through the coalescer
 * (leadbatch.h), one REST call per (action, lookupField) group; the SOAP
 * statuses are rebuilt from REST's, record by record, in the caller's
 * order.  Reading leads is leads.c, merging them leadmerge.c.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping/mapping.h"
#include "ops/core/common.h"
#include "ops/core/leadbatch.h"
#include "ops/leads/leadrec.h"
#include "ops/leads/leads.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

#define REST_PAGE_MAX MK_LEADS_REST_PAGE_MAX

/* ---- syncLead ----------------------------------------------------------------
 *
 * Key precedence as Marketo documented it: Id, then ForeignSysPersonId, then
 * the Munchkin cookie, then Email.  REST takes one lookupField per call:
 *   Id                 → updateOnly, lookupField id (REST cannot upsert by id)
 *   ForeignSysPersonId → createOrUpdate, lookupField = the configured custom field
 *   marketoCookie      → the lead already known by that cookie is updated by id;
 *                        otherwise the Email rule applies, then the cookie is
 *                        associated with the synced lead
 *   Email              → createOrUpdate, lookupField email
 */

typedef struct sync_key {
    const char *action;
    const char *lookup;
    const char *value;    /* key value, for grouping and duplicate detection */
} sync_key;

/* A SOAP record's attributes and members as one REST record.  SOAP_OK
 * with *out set; or SOAP_OK with *out NULL and *failed saying why this
 * record alone cannot be written (a read-only field); or fault 20105 when
 * an attribute names no lead field, which fails the whole call as it did
 * in Marketo.  Values are never judged here (values.h): REST does that,
 * record by record. */
static int record_to_rest(mk_op *op, const mk_fields *f, const struct ns1__LeadRecord *rec,
                          bool email_is_update, const char *op_name, cJSON **out, const char **failed)
{
    struct soap *soap = op->soap;
    const char *bad = NULL;
    *failed = NULL;
    switch (mk_leadrec_attrs_to_rest(f, rec->leadAttributeList, out, &bad)) {
    case MK_LEADREC_OK:
        break;
    case MK_LEADREC_UNKNOWN:
        return mk_fault(soap, MK_ERR_LEAD_ATTRIBUTE_BAD,
                        "%s operation failed: unknown fields for import: %s", op_name, bad);
    case MK_LEADREC_READONLY: {
        size_t n = strlen(bad) + 96;
        char *why = soap_malloc(soap, n);
        if (!why)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        snprintf(why, n, "field %s is read-only in Marketo and cannot be written; this record "
                 "was not synced", bad);
        *failed = why;
        return SOAP_OK;
    }
    default:
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    mk_services *s = op->svc;
    /* When Email is the key (or must be written), the member is the value;
     * otherwise only an Email attribute in the list changes the address. */
    if (rec->Email && *rec->Email && email_is_update) {
        cJSON_DeleteItemFromObjectCaseSensitive(*out, "email");
        cJSON_AddStringToObject(*out, "email", rec->Email);
    }
    if (rec->ForeignSysPersonId && *rec->ForeignSysPersonId && s->fspi_field) {
        cJSON_DeleteItemFromObjectCaseSensitive(*out, s->fspi_field);
        cJSON_AddStringToObject(*out, s->fspi_field, rec->ForeignSysPersonId);
    }
    return SOAP_OK;
}

/* Choose the REST action and lookup field for one SOAP record. */
static int choose_key(mk_op *op, const struct ns1__LeadRecord *rec, bool dedup,
                      sync_key *k, const char **why)
{
    struct soap *soap = op->soap;
    mk_services *s = op->svc;
    *why = NULL;
    if (rec->Id && *rec->Id > 0) {
        char *v = soap_malloc(soap, 16);
        snprintf(v, 16, "%d", *rec->Id);
        *k = (sync_key){"updateOnly", "id", v};
        return 0;
    }
    if (rec->ForeignSysPersonId && *rec->ForeignSysPersonId) {
        if (!s->fspi_field) {
            *why = "ForeignSysPersonId has no REST equivalent until the shim is configured with "
                   "foreign_sys_person_id_field (the custom lead field that holds it)";
            return -1;
        }
        *k = (sync_key){dedup ? "createOrUpdate" : "createDuplicate", s->fspi_field,
                        rec->ForeignSysPersonId};
        return 0;
    }
    if (rec->Email && *rec->Email) {
        *k = (sync_key){dedup ? "createOrUpdate" : "createDuplicate", "email", rec->Email};
        return 0;
    }
    *why = "the lead record has none of Id, ForeignSysPersonId or Email";
    return -1;
}

/* Which REST record status is which SOAP one is mapping/statuses.json's
 * "lead_sync" group; anything it does not name failed. */
static enum ns1__LeadSyncStatus sync_status(mk_op *op, const char *rest_status)
{
    const char *v = rest_status ? mk_mapping_status_to_soap(op->svc->mapping,
                                                            "lead_sync", rest_status, 0)
                                : NULL;
    if (v && strcmp(v, "CREATED") == 0)
        return ns1__LeadSyncStatus__CREATED;
    if (v && strcmp(v, "UPDATED") == 0)
        return ns1__LeadSyncStatus__UPDATED;
    return ns1__LeadSyncStatus__FAILED;
}

/* "1004 - Lead not found" from a skipped record's reasons. */
static char *skip_reason(struct soap *soap, const cJSON *item, int *code)
{
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "reasons"), 0);
    const char *c = mk_rest_json_get_string(r, "code");
    const char *m = mk_rest_json_get_string(r, "message");
    *code = c ? atoi(c) : 0;
    size_t n = (c ? strlen(c) : 0) + (m ? strlen(m) : 0) + 32;
    char *t = soap_malloc(soap, n);
    snprintf(t, n, "%s - %s", c ? c : "?", m ? m : "record skipped by Marketo");
    return t;
}

static int post_sync(mk_op *op, const char *action, const char *lookup,
                     const char *partition, cJSON *input, mk_rest_result *res, const char *what)
{
    /* Concurrent syncs with the same action, lookupField and partition share
     * one REST call; the body (lookupField left out for createDuplicate,
     * partitionName for updateOnly) is built there (leadbatch.h). */
    return mk_ops_sync_leads(op, action, lookup, partition, input, res, what);
}

static int fetch_lead(mk_op *op, const mk_fields *f, int64_t id, struct ns1__LeadRecord **out)
{
    struct soap *soap = op->soap;
    char v[24];
    snprintf(v, sizeof v, "%" PRId64, id);
    cJSON *leads = NULL;
    /* Through the coalescer: under load the read-backs of many syncLeads
     * share one filter call as their writes shared one sync call. */
    int rc = mk_ops_get_leads_by_value(op, "id", v, mk_leads_all_fields_csv(op, f), 1, &leads,
                                       "syncLead: read back the lead");
    if (rc == SOAP_OK && cJSON_GetArraySize(leads) == 1) {
        *out = soap_malloc(soap, sizeof **out);
        if (!*out)
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        else if ((rc = mk_leadrec_to_soap(soap, f, cJSON_GetArrayItem(leads, 0),
                                          op->svc->fspi_field, *out)) != 0)
            rc = mk_leads_record_fault(soap, rc);
    }
    cJSON_Delete(leads);
    return rc;
}

/* If exactly one lead has `value` in REST filter `filter`, make *k an
 * update of that lead by id (and set *have_key); otherwise leave *k alone. */
static int key_to_id(mk_op *op, const char *filter, const char *value, const char *what,
                     sync_key *k, bool *have_key)
{
    struct soap *soap = op->soap;
    const char *vals[1] = {value};
    cJSON *known = NULL;
    int rc = mk_ops_get_leads(op, filter, vals, 1, "id", 2, &known, what);
    int64_t id;
    if (rc == SOAP_OK && cJSON_GetArraySize(known) == 1 &&
        mk_rest_json_get_int64(cJSON_GetArrayItem(known, 0), "id", &id) == MK_REST_JSON_OK) {
        char *v = soap_malloc(soap, 24);
        if (!v) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        } else {
            snprintf(v, 24, "%" PRId64, id);
            *k = (sync_key){"updateOnly", "id", v};
            *have_key = true;
        }
    }
    cJSON_Delete(known);
    return rc;
}

/* syncLead's answer for a record that cannot be written (a read-only
 * field): FAILED with the reason, nothing sent. */
static int sync_failed_answer(struct soap *soap, const char *failed, struct ns1__SuccessSyncLead *out)
{
    struct ns1__ResultSyncLead *r = soap_malloc(soap, sizeof *r);
    struct ns1__SyncStatus *st = soap_malloc(soap, sizeof *st);
    if (!r || !st)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    memset(r, 0, sizeof *r);
    memset(st, 0, sizeof *st);
    st->status = ns1__LeadSyncStatus__FAILED;
    st->error = (char *)failed;
    r->syncStatus = st;
    out->result = r;
    return SOAP_OK;
}

/* The key syncLead writes by, once the cookie and the partition have had
 * their say; fault 20101 (or 20110 for an unconfigured ForeignSysPersonId)
 * when the record has none. */
static int sync_plan_key(mk_op *op, const struct ns1__LeadRecord *rec, const char *cookie,
                         const char *partition, sync_key *k, bool have_key, const char *why)
{
    struct soap *soap = op->soap;
    int rc;
    /* The cookie outranks Email: a lead already known by it is updated. */
    if (cookie && (!have_key || strcmp(k->lookup, "email") == 0)) {
        rc = key_to_id(op, "cookies", cookie, "syncLead: find lead by cookie", k, &have_key);
        if (rc != SOAP_OK)
            return rc;
    }
    /* With a partition, REST dedupes only inside it, but Marketo matched
     * Email in every partition ("If an existing lead is matched by email,
     * the named workspace is ignored and the lead is updated in its current
     * partition"): find that lead first, so no duplicate is created. */
    if (have_key && partition && strcmp(k->lookup, "email") == 0) {
        rc = key_to_id(op, "email", k->value, "syncLead: find lead by email in every partition",
                       k, &have_key);
        if (rc != SOAP_OK)
            return rc;
    }
    if (!have_key)
        return mk_fault(soap, rec->ForeignSysPersonId ? MK_ERR_BAD_PARAMETER : MK_ERR_LEAD_KEY_REQUIRED,
                        "syncLead: %s", why);
    return SOAP_OK;
}

/* Associate the Munchkin cookie with the lead syncLead wrote. */
static int associate_cookie(mk_op *op, int64_t id, const char *cookie,
                            enum ns1__LeadSyncStatus status)
{
    struct soap *soap = op->soap;
    char path[64], idtext[24];
    snprintf(idtext, sizeof idtext, "%" PRId64, id);
    if (mk_rest_endpoint_path(MK_EP_LEAD_ASSOCIATE, idtext, path, sizeof path) != 0)
        return mk_fault(soap, MK_ERR_INTERNAL, "syncLead: associate path too long");
    mk_rest_param q[1] = {{"cookie", cookie}};
    mk_rest_req rr = {.ep = MK_EP_LEAD_ASSOCIATE, .path = path, .query = q, .nquery = 1};
    mk_rest_result ares = {0};
    int rc = mk_ops_rest(op, &rr, &ares, "syncLead: associate the Munchkin cookie");
    if (rc != SOAP_OK && ares.error_code == 1012)
        rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                      "lead %" PRId64 " was %s but marketoCookie '%s' is not a valid Munchkin "
                      "cookie, so it was not associated", id,
                      status == ns1__LeadSyncStatus__CREATED ? "created" : "updated", cookie);
    mk_rest_result_free(&ares);
    return rc;
}

/* syncLead's answer from the REST sync result: the status, then the
 * cookie association and the lead read back when asked for. */
static int sync_answer(mk_op *op, const struct ns1__ParamsSyncLead *p, const mk_fields *f,
                       const char *cookie, const mk_rest_result *res,
                       struct ns1__SuccessSyncLead *out)
{
    struct soap *soap = op->soap;
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res->json, "result"), 0);
    struct ns1__ResultSyncLead *r = soap_malloc(soap, sizeof *r);
    struct ns1__SyncStatus *st = soap_malloc(soap, sizeof *st);
    memset(r, 0, sizeof *r);
    memset(st, 0, sizeof *st);
    st->status = sync_status(op, mk_rest_json_get_string(item, "status"));
    int64_t id = 0;
    mk_rest_json_get_int64(item, "id", &id);
    if (st->status == ns1__LeadSyncStatus__FAILED) {
        int code = 0;
        st->error = skip_reason(soap, item, &code);
        if (code == 1006) {
            /* The catalogue let an attribute through that Marketo no longer
             * has: read it again, so the next request validates right. */
            mk_leads_refresh_fields(op);
            return mk_fault(soap, MK_ERR_LEAD_ATTRIBUTE_BAD, "syncLead operation failed: %s", st->error);
        }
    }
    st->leadId = r->leadId = (int)id;
    r->syncStatus = st;
    int rc;
    if (cookie && id > 0 && (rc = associate_cookie(op, id, cookie, st->status)) != SOAP_OK)
        return rc;
    if (p->returnLead && *p->returnLead == xsd__boolean__true_ && id > 0 &&
        (rc = fetch_lead(op, f, id, &r->leadRecord)) != SOAP_OK)
        return rc;
    out->result = r;
    return SOAP_OK;
}

int mk_op_sync_lead(mk_op *op, struct ns1__ParamsSyncLead *p, struct ns1__SuccessSyncLead *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    const struct ns1__LeadRecord *rec = p->leadRecord;
    if (!rec)
        return mk_fault(soap, MK_ERR_LEAD_DETAIL_REQUIRED, "syncLead needs a leadRecord");
    const char *partition = NULL;
    rc = mk_ops_partition(op, &partition);
    if (rc != SOAP_OK)
        return rc;

    const mk_fields *f = mk_ops_fields(op);
    cJSON *lead = NULL, *input = NULL;
    mk_rest_result res = {0};
    sync_key k;
    const char *why = NULL;
    bool have_key = choose_key(op, rec, true, &k, &why) == 0;
    const char *cookie = p->marketoCookie && *p->marketoCookie ? p->marketoCookie : NULL;

    /* An unknown attribute faults before anything is read or written; a
     * read-only one fails the record (the call's only one) unwritten. */
    const char *failed = NULL;
    rc = record_to_rest(op, f, rec, true, "syncLead", &lead, &failed);
    if (rc != SOAP_OK)
        goto out;
    if (failed && (have_key || cookie)) {   /* without any key: fault 20101 below */
        rc = sync_failed_answer(soap, failed, out);
        goto out;
    }
    rc = sync_plan_key(op, rec, cookie, partition, &k, have_key, why);
    if (rc != SOAP_OK)
        goto out;
    if (strcmp(k.lookup, "id") == 0)
        cJSON_AddItemToObject(lead, "id", cJSON_CreateRaw(k.value));
    input = cJSON_CreateArray();
    cJSON_AddItemToArray(input, lead);
    lead = NULL;
    rc = post_sync(op, k.action, k.lookup, partition, input, &res, "syncLead: sync leads");
    if (rc == SOAP_OK)
        rc = sync_answer(op, p, f, cookie, &res, out);
out:
    mk_rest_result_free(&res);
    cJSON_Delete(lead);
    cJSON_Delete(input);
    mk_ops_release_fields(f);
    return rc;
}

/* ---- syncMultipleLeads ------------------------------------------------------
 *
 * Every record is checked first, so an unknown attribute anywhere faults
 * the call (20105) before anything is written; anything else wrong with a
 * record (no key, a read-only field, a value REST refuses) fails that
 * record alone, in its place, and the others are written.  Records are then grouped by REST
 * (action, lookupField) into calls of at most 300, a key value never twice
 * in one call (REST would skip the second as a duplicate), and the answers
 * are put back in the caller's order.
 */
typedef struct sync_item {
    int index;          /* position in the SOAP request */
    sync_key key;
    cJSON *rest;        /* REST record (owned until moved into a batch) */
    int batch;          /* batch number, -1 when failed before sending */
    int slot;           /* position inside the batch */
    const char *error;  /* FAILED reason when batch == -1 */
} sync_item;

/* One REST sync call of syncMultipleLeads: records of one (action,
 * lookupField), at most 300, no key value twice. */
typedef struct sync_batch {
    const sync_key *key;
    cJSON *input;
    int count;
} sync_batch;

/* Every record → its key and REST record, or its own failure; fault 20105
 * (unknown attribute anywhere) ends the check. */
static int sync_validate(mk_op *op, const struct ns1__ArrayOfLeadRecord *list,
                         const mk_fields *f, bool dedup, sync_item *items, int n)
{
    int rc = SOAP_OK;
    for (int i = 0; i < n && rc == SOAP_OK; i++) {
        const struct ns1__LeadRecord *rec = &list->leadRecord[i];
        items[i].index = i;
        items[i].batch = -1;
        const char *why = NULL;
        bool keyed = choose_key(op, rec, dedup, &items[i].key, &why) == 0;
        /* "the Marketo ID takes precedence ... if Email is also present as
         * a key, it will not be updated unless it is specified in the list
         * of attributes" (syncMultipleLeads).  The rule is stated for the Id
         * key; a ForeignSysPersonId key may create the lead, so there Email
         * is written as syncLead documents ("the Email will be updated").
         * Every record is checked, keyed or not: an unknown attribute
         * anywhere faults the call before anything is written. */
        bool email_update = keyed && strcmp(items[i].key.lookup, "id") != 0;
        const char *failed = NULL;
        rc = record_to_rest(op, f, rec, email_update, "syncMultipleLeads", &items[i].rest,
                            &failed);
        if (rc != SOAP_OK)
            break;
        if (!keyed || !items[i].rest) {
            items[i].error = keyed ? failed : why;   /* this record alone fails, in its place */
            cJSON_Delete(items[i].rest);
            items[i].rest = NULL;
            continue;
        }
        if (strcmp(items[i].key.lookup, "id") == 0)
            cJSON_AddItemToObject(items[i].rest, "id", cJSON_CreateRaw(items[i].key.value));
    }
    return rc;
}

/* Group into batches: same (action, lookup), ≤300, no repeated key value.
 * The REST records move from items into the batches. */
static int sync_plan_batches(sync_item *items, int n, sync_batch *batches)
{
    int nb = 0;
    for (int i = 0; i < n; i++) {
        if (!items[i].rest)
            continue;
        int b = -1;
        for (int j = nb - 1; j >= 0 && b < 0; j--) {
            if (strcmp(batches[j].key->action, items[i].key.action) != 0 ||
                strcmp(batches[j].key->lookup, items[i].key.lookup) != 0 || batches[j].count >= REST_PAGE_MAX)
                continue;
            bool clash = false;
            for (int m = 0; m < i && !clash; m++)
                clash = items[m].batch == j && strcmp(items[m].key.value, items[i].key.value) == 0 &&
                        strcmp(items[i].key.action, "createDuplicate") != 0;
            if (!clash)
                b = j;
        }
        if (b < 0) {
            b = nb++;
            batches[b].key = &items[i].key;
            batches[b].input = cJSON_CreateArray();
        }
        items[i].batch = b;
        items[i].slot = batches[b].count++;
        cJSON_AddItemToArray(batches[b].input, items[i].rest);
        items[i].rest = NULL;
    }
    return nb;
}

/* Send the batches in order and put each record's status in its place;
 * a failure after the first call says what was written. */
static int sync_send_batches(mk_op *op, const sync_item *items, int n,
                             const sync_batch *batches, int nb, const char *partition,
                             struct ns1__SyncStatus *st)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    bool stale_fields = false;
    for (int b = 0; b < nb && rc == SOAP_OK; b++) {
        mk_rest_result res = {0};
        rc = post_sync(op, batches[b].key->action, batches[b].key->lookup, partition,
                       batches[b].input, &res, "syncMultipleLeads: sync leads");
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(res.json, "result");
        for (int i = 0; i < n && rc == SOAP_OK; i++) {
            if (items[i].batch != b)
                continue;
            const cJSON *item = cJSON_GetArrayItem(result, items[i].slot);
            int64_t id = 0;
            mk_rest_json_get_int64(item, "id", &id);
            st[i].leadId = (int)id;
            st[i].status = item ? sync_status(op, mk_rest_json_get_string(item, "status"))
                                : ns1__LeadSyncStatus__FAILED;
            if (st[i].status == ns1__LeadSyncStatus__FAILED) {
                int code = 0;
                st[i].error = item ? skip_reason(soap, item, &code)
                                   : "Marketo returned no status for this record";
                stale_fields |= code == 1006;
            }
        }
        mk_rest_result_free(&res);
        if (rc != SOAP_OK && b > 0) {
            /* Earlier batches were written: say so rather than hide it. */
            rc = mk_fault(soap, MK_ERR_LEAD_SYNC_FAILED,
                          "syncMultipleLeads: %d of %d REST sync calls succeeded before Marketo "
                          "failed; the records of the earlier calls were written", b, nb);
        }
    }
    if (stale_fields)
        mk_leads_refresh_fields(op);   /* a field validated here is gone in Marketo */
    return rc;
}

int mk_op_sync_multiple_leads(mk_op *op, struct ns1__ParamsSyncMultipleLeads *p,
                              struct ns1__SuccessSyncMultipleLeads *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    int n = p->leadRecordList ? p->leadRecordList->__sizeleadRecord : 0;
    if (n <= 0)
        return mk_fault(soap, MK_ERR_LEAD_DETAIL_REQUIRED, "syncMultipleLeads needs leadRecordList/leadRecord");
    bool dedup = !p->dedupEnabled || *p->dedupEnabled == xsd__boolean__true_;
    const char *partition = NULL;
    rc = mk_ops_partition(op, &partition);
    if (rc != SOAP_OK)
        return rc;

    const mk_fields *f = mk_ops_fields(op);
    sync_item *items = calloc((size_t)n, sizeof *items);
    if (!items) {
        mk_ops_release_fields(f);
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    rc = sync_validate(op, p->leadRecordList, f, dedup, items, n);
    sync_batch *batches = calloc((size_t)n, sizeof *batches);
    struct ns1__SyncStatus *st = soap_malloc(soap, sizeof *st * (size_t)n);
    if (rc == SOAP_OK && (!batches || !st))
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    int nb = rc == SOAP_OK ? sync_plan_batches(items, n, batches) : 0;

    if (rc == SOAP_OK) {
        memset(st, 0, sizeof *st * (size_t)n);
        for (int i = 0; i < n; i++) {
            st[i].status = ns1__LeadSyncStatus__FAILED;
            st[i].error = (char *)items[i].error;
        }
        rc = sync_send_batches(op, items, n, batches, nb, partition, st);
    }
    if (rc == SOAP_OK) {
        struct ns1__ResultSyncMultipleLeads *r = soap_malloc(soap, sizeof *r);
        if (r)
            r->syncStatusList = soap_malloc(soap, sizeof *r->syncStatusList);
        if (!r || !r->syncStatusList) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        } else {
            r->syncStatusList->__sizesyncStatus = n;
            r->syncStatusList->syncStatus = st;
            out->result = r;
        }
    }
    for (int b = 0; b < nb; b++)
        cJSON_Delete(batches[b].input);
    for (int i = 0; i < n; i++)
        cJSON_Delete(items[i].rest);
    free(batches);
    free(items);
    mk_ops_release_fields(f);
    return rc;
}
