/*
 * ep.h — the names of the Marketo REST endpoints the shim calls.
 *
 * Only the enum lives here, so that rest.h (mk_rest_req.ep) can name an
 * endpoint without the catalogue; the facts of each endpoint are rows of
 * endpoints.c (see endpoints.h).  One name per method + path template.
 */
#ifndef MK_REST_EP_H
#define MK_REST_EP_H

typedef enum mk_rest_ep {
    MK_EP_NONE = 0,                  /* the request gives method and path itself */
    /* Lead database: leads */
    MK_EP_LEADS_QUERY,               /* GET  /rest/v1/leads.json */
    MK_EP_LEADS_SYNC,                /* POST /rest/v1/leads.json */
    MK_EP_LEADS_DESCRIBE,            /* GET  /rest/v1/leads/describe.json */
    MK_EP_LEAD_ASSOCIATE,            /* POST /rest/v1/leads/{leadId}/associate.json */
    MK_EP_LEAD_MERGE,                /* POST /rest/v1/leads/{leadId}/merge.json */
    /* static lists */
    MK_EP_LISTS,                     /* GET  /rest/v1/lists.json */
    MK_EP_LIST_MEMBERS,              /* GET  /rest/v1/lists/{listId}/leads.json */
    MK_EP_LIST_ADD,                  /* POST /rest/v1/lists/{listId}/leads.json */
    MK_EP_LIST_REMOVE,               /* DELETE /rest/v1/lists/{listId}/leads.json */
    MK_EP_LIST_ISMEMBER,             /* GET  /rest/v1/lists/{listId}/leads/ismember.json */
    /* activities */
    MK_EP_ACTIVITIES,                /* GET  /rest/v1/activities.json */
    MK_EP_LEAD_CHANGES,              /* GET  /rest/v1/activities/leadchanges.json */
    MK_EP_PAGING_TOKEN,              /* GET  /rest/v1/activities/pagingtoken.json */
    MK_EP_ACTIVITY_TYPES,            /* GET  /rest/v1/activities/types.json */
    /* campaigns */
    MK_EP_CAMPAIGNS,                 /* GET  /rest/v1/campaigns.json */
    MK_EP_CAMPAIGN,                  /* GET  /rest/v1/campaigns/{campaignId}.json */
    MK_EP_CAMPAIGN_TRIGGER,          /* POST /rest/v1/campaigns/{campaignId}/trigger.json */
    MK_EP_CAMPAIGN_SCHEDULE,         /* POST /rest/v1/campaigns/{campaignId}/schedule.json */
    /* custom objects */
    MK_EP_CUSTOM_OBJECT_TYPES,       /* GET  /rest/v1/customobjects.json */
    MK_EP_CUSTOM_OBJECT_DESCRIBE,    /* GET  /rest/v1/customobjects/{apiName}/describe.json */
    MK_EP_CUSTOM_OBJECTS_QUERY,      /* GET  /rest/v1/customobjects/{apiName}.json */
    MK_EP_CUSTOM_OBJECTS_SYNC,       /* POST /rest/v1/customobjects/{apiName}.json */
    MK_EP_CUSTOM_OBJECTS_DELETE,     /* POST /rest/v1/customobjects/{apiName}/delete.json */
    /* opportunities and their roles */
    MK_EP_OPPORTUNITIES_QUERY,       /* GET  /rest/v1/opportunities.json */
    MK_EP_OPPORTUNITIES_SYNC,        /* POST /rest/v1/opportunities.json */
    MK_EP_OPPORTUNITIES_DELETE,      /* POST /rest/v1/opportunities/delete.json */
    MK_EP_OPPORTUNITIES_DESCRIBE,    /* GET  /rest/v1/opportunities/describe.json */
    MK_EP_OPPORTUNITY_ROLES_QUERY,   /* GET  /rest/v1/opportunities/roles.json */
    MK_EP_OPPORTUNITY_ROLES_SYNC,    /* POST /rest/v1/opportunities/roles.json */
    MK_EP_OPPORTUNITY_ROLES_DELETE,  /* POST /rest/v1/opportunities/roles/delete.json */
    MK_EP_OPPORTUNITY_ROLES_DESCRIBE,/* GET  /rest/v1/opportunities/roles/describe.json */
    /* bulk import */
    MK_EP_BULK_IMPORT,               /* POST /bulk/v1/leads.json */
    MK_EP_BULK_IMPORT_STATUS,        /* GET  /bulk/v1/leads/batch/{batchId}.json */
    /* Asset API */
    MK_EP_CHANNEL_BY_NAME,           /* GET  /rest/asset/v1/channel/byName.json */
    MK_EP_CHANNELS,                  /* GET  /rest/asset/v1/channels.json */
    MK_EP_PROGRAM_BY_NAME,           /* GET  /rest/asset/v1/program/byName.json */
    MK_EP_PROGRAMS_BY_TAG,           /* GET  /rest/asset/v1/program/byTag.json */
    MK_EP_PROGRAM,                   /* GET  /rest/asset/v1/program/{programId}.json */
    MK_EP_PROGRAM_UPDATE,            /* POST /rest/asset/v1/program/{programId}.json */
    MK_EP_PROGRAMS,                  /* GET  /rest/asset/v1/programs.json */
    MK_EP_TAG_TYPE_BY_NAME,          /* GET  /rest/asset/v1/tagType/byName.json */
    MK_EP_TAG_TYPES,                 /* GET  /rest/asset/v1/tagTypes.json */
    MK_EP_COUNT                      /* not an endpoint: how many names there are */
} mk_rest_ep;

#endif /* MK_REST_EP_H */
