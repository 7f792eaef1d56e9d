/*
 * op.c — the one prologue of every operation (op.h): authentication and the
 * user part of the request context (run by the engine as soon as the SOAP
 * Header is read, before the body), the nil operation element, the status
 * the loaded table gives the operation, and the explicit context (mk_op)
 * handed to the handler by the generated __ns1__<op>.
 */
#include "ops/core/op.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "soapH.h"
#include "base/clock.h"
#include "mapping/mapping.h"
#include "config/config.h"
#include "soap/auth.h"
#include "soap/engine.h"
#include "soap/schema.h"

const char *mk_op_name(const struct mk_request *req, const char *name)
{
    const mk_services *svc = req ? req->services : NULL;
    if (!svc || !svc->mapping)
        return NULL;
    const mk_mapping_op *op = mk_mapping_op_by_name(svc->mapping, name);
    return op ? op->name : NULL;
}

int mk_op_authenticate(struct soap *soap, struct mk_request *req)
{
    char msg[256];

    if (!req || !req->config)
        return mk_fault(soap, MK_ERR_INTERNAL, "Internal Error: no request context");
    const struct ns1__AuthenticationHeaderInfo *h = req->auth_header;
    if (!h)
        return mk_fault(soap, MK_ERR_AUTH,
                        "Authentication failed: SOAP Header has no AuthenticationHeader");

    const struct mk_soap_user *user = mk_config_find_user(req->config, h->mktowsUserId);
    int code = mk_auth_check(h->mktowsUserId, h->requestSignature, h->requestTimestamp,
                             user ? user->encryption_key : NULL,
                             req->received_at ? req->received_at : time(NULL),
                             req->config->timestamp_window, msg, sizeof msg);
    if (code)
        return mk_fault(soap, code, "%s", msg);

    req->user = user;
    req->user_id = user->user_id;
    req->rest_client_id = user->client_id ? user->client_id : req->config->rest_client_id;
    req->rest_client_secret =
        user->client_secret ? user->client_secret : req->config->rest_client_secret;
    req->partition = user->partition;
    return SOAP_OK;
}

int mk_op_begin(struct soap *soap, const mk_operation *entry, const void *params, mk_op *op)
{
    struct mk_request *req = mk_request_of(soap);

    memset(op, 0, sizeof *op);
    mk_engine_response_namespaces(soap);
    if (!req || !req->config)
        return mk_fault(soap, MK_ERR_INTERNAL, "Internal Error: no request context");
    req->operation = entry->name;
    /* The engine authenticates before the body is read; a handler driven
     * another way (no engine) is authenticated here. */
    if (!req->user && mk_op_authenticate(soap, req) != SOAP_OK)
        return soap->error;

    /* After authentication, so an unsigned caller learns nothing of it. */
    if (!params) {
        char msg[512];
        int code = mk_schema_required_fault(entry->params_element, NULL, msg, sizeof msg);
        return mk_fault(soap, code, "%s", msg);
    }

    /* The operation table loaded at start-up (mapping/operations.json)
     * decides what is served. */
    mk_services *svc = req->services;
    if (svc && svc->mapping) {
        const mk_mapping_op *m = mk_mapping_op_by_name(svc->mapping, entry->name);
        if (!m || m->status != MK_MAPPING_IMPLEMENTED)
            return mk_fault(soap, MK_ERR_UNSUPPORTED,
                            "Unsupported Operation: %s is not served by this shim yet; "
                            "MIGRATION.md gives its REST replacement", entry->name);
    }
    op->soap = soap;
    op->req = req;
    op->svc = svc;
    op->cred = (mk_rest_cred){req->rest_client_id, req->rest_client_secret};
    op->caller = (mk_rest_caller){req->user_id,
                                  req->user && req->user->weight > 0 ? req->user->weight : 1};
    /* The request's deadline on the REST client's clock. */
    op->deadline_ms = mk_rest_now_ms() + mk_request_ms_left(req);
    op->entry = entry;
    return SOAP_OK;
}

long mk_request_ms_left(const struct mk_request *req)
{
    int64_t ms = -mk_clock_mono_since(&req->deadline);
    return ms > 0 ? (long)ms : 0;
}

static _Thread_local struct mk_request *current_request;

void mk_request_set_current(struct mk_request *req)
{
    current_request = req;
}

struct mk_request *mk_request_current(void)
{
    return current_request;
}

void mk_request_trace(struct mk_request *req, const char *method, const char *path_template,
                      int sends)
{
    mk_request_note(req, method, path_template, sends, -1);
}

void mk_request_note(struct mk_request *req, const char *method, const char *path_template,
                     int sends, int code)
{
    if (!req)
        return;
    struct mk_rest_note *row = NULL;
    for (int i = 0; i < req->n_rest_notes && !row; i++)
        if (req->rest_notes[i].code == code && strcmp(req->rest_notes[i].method, method) == 0 &&
            strncmp(req->rest_notes[i].path, path_template, sizeof row->path - 1) == 0)
            row = &req->rest_notes[i];
    if (!row && req->n_rest_notes < (int)(sizeof req->rest_notes / sizeof req->rest_notes[0])) {
        row = &req->rest_notes[req->n_rest_notes++];
        snprintf(row->method, sizeof row->method, "%s", method);
        snprintf(row->path, sizeof row->path, "%s", path_template);
        row->code = code;
        row->count = 0;
        row->calls = 0;
    }
    if (row) {
        row->count += sends > 0 ? sends : 1;
        row->calls++;
    }
    else
        req->rest_notes_dropped += sends > 0 ? sends : 1;
    req->rest_calls += sends > 0 ? sends : 1;
    size_t used = strlen(req->rest_trace), room = sizeof req->rest_trace - used;
    if (room < 5 || (used >= 3 && strcmp(req->rest_trace + used - 3, "...") == 0))
        return;
    int n = snprintf(req->rest_trace + used, room, "%s%s %s", used ? ", " : "", method,
                     path_template);
    if (n < 0 || (size_t)n >= room)
        memcpy(req->rest_trace + sizeof req->rest_trace - 4, "...", 4);
}
