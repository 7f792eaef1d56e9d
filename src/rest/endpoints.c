/*
 * endpoints.c — the catalogue of the Marketo REST endpoints (endpoints.h).
 *
 * Sources of each column (../shared/reference/rest/rest-api.md, "Limits"
 * and "Paging"): Lead DB batches are 300 records per write, 300 filter
 * values per query, 300 records per page (MK_REST_BATCH_MAX); activities
 * pages hold at most 300 and always carry nextPageToken + moreResult; list
 * membership takes 300 ids; Request Campaign 100 leads; Merge Leads 25 ids;
 * the Asset API pages by offset with maxReturn at most 200.  Idempotency is
 * what the retry logic may assume when Marketo's answer leaves it unknown
 * whether the call ran: reads are, list membership changes are (adding a
 * member twice changes nothing), other writes are not by default.  The
 * queries with query_in_body are those Marketo documents POST ?_method=GET
 * for (the lead database's, rest-api.md); whether every GET takes it is
 * not documented, so the others switch only at 8 KB, where a GET fails.
 */
#include "rest/endpoints.h"

#include <stdio.h>
#include <string.h>

#define ASSET_PAGE_MAX 200
#define CAMPAIGN_LEADS_MAX 100
#define MERGE_IDS_MAX 25

#define RD MK_REST_IDEMPOTENT
#define WR MK_REST_NOT_IDEMPOTENT
#define B MK_REST_BATCH_MAX
#define QB 1 /* query_in_body */

static const mk_rest_endpoint catalogue[] = {
    {MK_EP_LEADS_QUERY, MK_REST_GET, "/rest/v1/leads.json", RD, B, MK_PAGING_TOKEN, "result", QB},
    {MK_EP_LEADS_SYNC, MK_REST_POST, "/rest/v1/leads.json", WR, B, MK_PAGING_NONE, "result", 0},
    {MK_EP_LEADS_DESCRIBE, MK_REST_GET, "/rest/v1/leads/describe.json", RD, 0, MK_PAGING_NONE,
     "result", 0},
    {MK_EP_LEAD_ASSOCIATE, MK_REST_POST, "/rest/v1/leads/{leadId}/associate.json", WR, 0,
     MK_PAGING_NONE, NULL, 0},
    {MK_EP_LEAD_MERGE, MK_REST_POST, "/rest/v1/leads/{leadId}/merge.json", WR, MERGE_IDS_MAX,
     MK_PAGING_NONE, NULL, 0},

    {MK_EP_LISTS, MK_REST_GET, "/rest/v1/lists.json", RD, B, MK_PAGING_TOKEN, "result", 0},
    {MK_EP_LIST_MEMBERS, MK_REST_GET, "/rest/v1/lists/{listId}/leads.json", RD, B,
     MK_PAGING_TOKEN, "result", 0},
    {MK_EP_LIST_ADD, MK_REST_POST, "/rest/v1/lists/{listId}/leads.json", RD, B, MK_PAGING_NONE,
     "result", 0},
    {MK_EP_LIST_REMOVE, MK_REST_DELETE, "/rest/v1/lists/{listId}/leads.json", RD, B,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_LIST_ISMEMBER, MK_REST_GET, "/rest/v1/lists/{listId}/leads/ismember.json", RD, B,
     MK_PAGING_NONE, "result", 0},

    {MK_EP_ACTIVITIES, MK_REST_GET, "/rest/v1/activities.json", RD, B, MK_PAGING_TOKEN, "result",
     0},
    {MK_EP_LEAD_CHANGES, MK_REST_GET, "/rest/v1/activities/leadchanges.json", RD, B,
     MK_PAGING_TOKEN, "result", 0},
    {MK_EP_PAGING_TOKEN, MK_REST_GET, "/rest/v1/activities/pagingtoken.json", RD, 0,
     MK_PAGING_NONE, NULL, 0},
    {MK_EP_ACTIVITY_TYPES, MK_REST_GET, "/rest/v1/activities/types.json", RD, 0, MK_PAGING_NONE,
     "result", 0},

    {MK_EP_CAMPAIGNS, MK_REST_GET, "/rest/v1/campaigns.json", RD, B, MK_PAGING_TOKEN, "result", 0},
    {MK_EP_CAMPAIGN, MK_REST_GET, "/rest/v1/campaigns/{campaignId}.json", RD, 0, MK_PAGING_NONE,
     "result", 0},
    {MK_EP_CAMPAIGN_TRIGGER, MK_REST_POST, "/rest/v1/campaigns/{campaignId}/trigger.json", WR,
     CAMPAIGN_LEADS_MAX, MK_PAGING_NONE, "result", 0},
    {MK_EP_CAMPAIGN_SCHEDULE, MK_REST_POST, "/rest/v1/campaigns/{campaignId}/schedule.json", WR, 0,
     MK_PAGING_NONE, "result", 0},

    {MK_EP_CUSTOM_OBJECT_TYPES, MK_REST_GET, "/rest/v1/customobjects.json", RD, 0, MK_PAGING_NONE,
     "result", 0},
    {MK_EP_CUSTOM_OBJECT_DESCRIBE, MK_REST_GET, "/rest/v1/customobjects/{apiName}/describe.json",
     RD, 0, MK_PAGING_NONE, "result", 0},
    {MK_EP_CUSTOM_OBJECTS_QUERY, MK_REST_GET, "/rest/v1/customobjects/{apiName}.json", RD, B,
     MK_PAGING_TOKEN, "result", QB},
    {MK_EP_CUSTOM_OBJECTS_SYNC, MK_REST_POST, "/rest/v1/customobjects/{apiName}.json", WR, B,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_CUSTOM_OBJECTS_DELETE, MK_REST_POST, "/rest/v1/customobjects/{apiName}/delete.json", WR,
     B, MK_PAGING_NONE, "result", 0},

    {MK_EP_OPPORTUNITIES_QUERY, MK_REST_GET, "/rest/v1/opportunities.json", RD, B,
     MK_PAGING_TOKEN, "result", QB},
    {MK_EP_OPPORTUNITIES_SYNC, MK_REST_POST, "/rest/v1/opportunities.json", WR, B, MK_PAGING_NONE,
     "result", 0},
    {MK_EP_OPPORTUNITIES_DELETE, MK_REST_POST, "/rest/v1/opportunities/delete.json", WR, B,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_OPPORTUNITIES_DESCRIBE, MK_REST_GET, "/rest/v1/opportunities/describe.json", RD, 0,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_OPPORTUNITY_ROLES_QUERY, MK_REST_GET, "/rest/v1/opportunities/roles.json", RD, B,
     MK_PAGING_TOKEN, "result", QB},
    {MK_EP_OPPORTUNITY_ROLES_SYNC, MK_REST_POST, "/rest/v1/opportunities/roles.json", WR, B,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_OPPORTUNITY_ROLES_DELETE, MK_REST_POST, "/rest/v1/opportunities/roles/delete.json", WR,
     B, MK_PAGING_NONE, "result", 0},
    {MK_EP_OPPORTUNITY_ROLES_DESCRIBE, MK_REST_GET, "/rest/v1/opportunities/roles/describe.json",
     RD, 0, MK_PAGING_NONE, "result", 0},

    {MK_EP_BULK_IMPORT, MK_REST_POST, "/bulk/v1/leads.json", WR, 0, MK_PAGING_NONE, "result", 0},
    {MK_EP_BULK_IMPORT_STATUS, MK_REST_GET, "/bulk/v1/leads/batch/{batchId}.json", RD, 0,
     MK_PAGING_NONE, "result", 0},

    {MK_EP_CHANNEL_BY_NAME, MK_REST_GET, "/rest/asset/v1/channel/byName.json", RD, 0,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_CHANNELS, MK_REST_GET, "/rest/asset/v1/channels.json", RD, ASSET_PAGE_MAX,
     MK_PAGING_OFFSET, "result", 0},
    {MK_EP_PROGRAM_BY_NAME, MK_REST_GET, "/rest/asset/v1/program/byName.json", RD, 0,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_PROGRAMS_BY_TAG, MK_REST_GET, "/rest/asset/v1/program/byTag.json", RD, ASSET_PAGE_MAX,
     MK_PAGING_OFFSET, "result", 0},
    {MK_EP_PROGRAM, MK_REST_GET, "/rest/asset/v1/program/{programId}.json", RD, 0, MK_PAGING_NONE,
     "result", 0},
    {MK_EP_PROGRAM_UPDATE, MK_REST_POST, "/rest/asset/v1/program/{programId}.json", WR, 0,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_PROGRAMS, MK_REST_GET, "/rest/asset/v1/programs.json", RD, ASSET_PAGE_MAX,
     MK_PAGING_OFFSET, "result", 0},
    {MK_EP_TAG_TYPE_BY_NAME, MK_REST_GET, "/rest/asset/v1/tagType/byName.json", RD, 0,
     MK_PAGING_NONE, "result", 0},
    {MK_EP_TAG_TYPES, MK_REST_GET, "/rest/asset/v1/tagTypes.json", RD, ASSET_PAGE_MAX,
     MK_PAGING_OFFSET, "result", 0},
};

/* The rows are in enum order, so a lookup is an index; this keeps the two
 * lists from drifting (a row out of place fails the build). */
_Static_assert(sizeof catalogue / sizeof catalogue[0] == MK_EP_COUNT - 1,
               "one catalogue row per mk_rest_ep");

const mk_rest_endpoint *mk_rest_endpoint_get(mk_rest_ep ep)
{
    if (ep <= MK_EP_NONE || ep >= MK_EP_COUNT)
        return NULL;
    const mk_rest_endpoint *e = &catalogue[ep - 1];
    return e->id == ep ? e : NULL;
}

const mk_rest_endpoint *mk_rest_endpoint_find(mk_rest_method method, const char *path)
{
    for (size_t i = 0; path && i < sizeof catalogue / sizeof catalogue[0]; i++)
        if (catalogue[i].method == method && strcmp(catalogue[i].path, path) == 0)
            return &catalogue[i];
    return NULL;
}

const mk_rest_endpoint *mk_rest_endpoint_all(size_t *n)
{
    *n = sizeof catalogue / sizeof catalogue[0];
    return catalogue;
}

const char *mk_rest_method_name(mk_rest_method m)
{
    switch (m) {
    case MK_REST_GET: return "GET";
    case MK_REST_POST: return "POST";
    case MK_REST_DELETE: return "DELETE";
    }
    return "?";
}

int mk_rest_endpoint_path(mk_rest_ep ep, const char *arg, char *buf, size_t n)
{
    const mk_rest_endpoint *e = mk_rest_endpoint_get(ep);
    if (!e || !buf || n == 0)
        return -1;
    const char *open = strchr(e->path, '{');
    const char *close = open ? strchr(open, '}') : NULL;
    int w;
    if (!open || !close)
        w = snprintf(buf, n, "%s", e->path);
    else if (!arg || !*arg)
        return -1;
    else
        w = snprintf(buf, n, "%.*s%s%s", (int)(open - e->path), e->path, arg, close + 1);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

mk_rest_status mk_rest_req_resolve(const mk_rest_req *in, mk_rest_req *out)
{
    *out = *in;
    if (in->ep == MK_EP_NONE)
        return MK_REST_OK;
    const mk_rest_endpoint *e = mk_rest_endpoint_get(in->ep);
    if (!e)
        return MK_REST_ERR_INVALID;
    out->method = e->method;
    out->path_template = e->path;
    if (!out->path) {
        if (strchr(e->path, '{'))
            return MK_REST_ERR_INVALID;
        out->path = e->path;
    }
    if (out->idempotent == MK_REST_IDEMPOTENT_AUTO)
        out->idempotent = e->idempotent;
    return MK_REST_OK;
}
