/*
 * actrec.h — one REST activity → one SOAP ActivityRecord (getLeadActivity)
 * or LeadChangeRecord (getLeadChanges), as Marketo's SOAP API showed it.
 *
 * REST (activities.json / leadchanges.json item):
 *   {id, marketoGUID, leadId, activityDate, activityTypeId, campaignId,
 *    primaryAttributeValueId, primaryAttributeValue, attributes[{name,value}],
 *    fields[{id,name,oldValue,newValue}] (lead changes only)}
 * SOAP:
 *   id            REST id, exact (64-bit, never through a double); nil
 *                 when REST sends none
 *   marketoGUID   REST marketoGUID (REST's unique key), else the id's digits
 *   activityDateTime  activityDate, the same instant; only the offset's
 *                 spelling is made valid xs:dateTime ("+0000" → "+00:00",
 *                 the Asset API's "Z+0000" → "Z")
 *   activityType  the type's display name (types.json), as SOAP showed it
 *   mktgAssetName primaryAttributeValue (for a lead change from
 *                 leadchanges.json: the changed field's display name)
 *   activityAttributes
 *                 Change Data Value: "Attribute Name" (the field's display
 *                 name), "Old Value", "New Value" first, as Marketo showed
 *                 them; other types: the type's primary attribute first
 *                 ("Webpage ID" = primaryAttributeValueId, "Score Name" =
 *                 primaryAttributeValue: a name ending in "ID" takes the id);
 *                 then REST's attributes in REST's order; then "Lead ID"
 *                 when REST did not send it.  attrType is nil, as in every
 *                 SOAP example.
 *   campaign      the campaign's name (resolved by the caller); ActivityRecord:
 *                 "" when the activity has no campaign (Marketo sent an
 *                 empty element), nil when the campaign no longer exists;
 *                 LeadChangeRecord: left out in both cases
 *   mktPersonId   leadId
 *   personName, foreignSysId, orgName, foreignSysOrgId: nil (no REST source)
 *
 * Everything is allocated in the soap context's arena.
 */
#ifndef MK_OPS_ACTREC_H
#define MK_OPS_ACTREC_H

#include <time.h>
#include <cjson/cJSON.h>

#include "soapH.h"
#include "ops/activities/acttypes.h"
#include "ops/core/fields.h"

/* Marketo's fixed ids of the two lead-change types (leadchanges.json). */
#define MK_ACT_NEW_LEAD 12
#define MK_ACT_CHANGE_DATA_VALUE 13

typedef struct mk_actrec_ctx {
    const mk_acttypes *types;   /* required */
    const mk_fields *fields;    /* REST field name -> display name; may be NULL */
    const cJSON *campaigns;     /* {"<campaignId>": "<name>" | null}; may be NULL */
} mk_actrec_ctx;

enum {
    MK_ACTREC_OK = 0,
    MK_ACTREC_NOMEM = -1,
    MK_ACTREC_UNKNOWN_TYPE = -2,  /* activityTypeId not in ctx->types */
    MK_ACTREC_BAD = -3            /* no date, lead id or identifier */
};

int mk_actrec_to_activity(struct soap *soap, const mk_actrec_ctx *c, const cJSON *act,
                          struct ns1__ActivityRecord *out);
int mk_actrec_to_change(struct soap *soap, const mk_actrec_ctx *c, const cJSON *act,
                        struct ns1__LeadChangeRecord *out);

/* REST date → valid xs:dateTime text (see above), in the soap arena. */
char *mk_actrec_soap_date(struct soap *soap, const char *rest_date);

/* Parse a REST or SOAP date into seconds since the epoch (UTC); also
 * accepts REST's "+0000" and "Z+0000" forms.  Returns 0 or -1. */
int mk_actrec_parse_date(const char *s, time_t *out);

/* A JSON value as SOAP attribute text: strings as they are, integers from
 * their exact digits, booleans true/false, null "", anything else compact
 * JSON.  In the soap arena; NULL when out of memory. */
char *mk_actrec_value_text(struct soap *soap, const cJSON *v);

#endif
