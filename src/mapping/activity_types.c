/*
 * activity_types.c — loads mapping/activity_types.json and answers which
 * display name a WSDL ActivityType token stands for (activity_types.h).
 *
 * The 57 tokens are the WSDL's own enumeration, spelled here once so that
 * the table can be checked against them without the WSDL at hand (a unit
 * test compares this list with wsdl/mktows.wsdl).  Validation is strict in
 * the way mapping.c's is: unknown members, unknown or repeated tokens and
 * aliases the spelling rule already covers are errors, so the table cannot
 * rot silently.
 */
#include "mapping/activity_types.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mapping/mapping.h"

#define MAX_TABLE_BYTES (1024 * 1024)

static const char *const wsdl_tokens[MK_ACTTYPE_TOKEN_COUNT] = {
    "VisitWebpage", "FillOutForm", "ClickLink", "SendEmail", "EmailDelivered",
    "EmailBounced", "UnsubscribeEmail", "OpenEmail", "ClickEmail", "NewLead",
    "ChangeDataValue", "LeadAssigned", "NewSFDCOpprtnty", "Wait", "RunSubflow",
    "RemoveFromFlow", "PushLeadToSales", "CreateTask", "ConvertLead", "ChangeScore",
    "ChangeOwner", "AddToList", "RemoveFromList", "SFDCActivity", "EmailBouncedSoft",
    "PushLeadUpdatesToSales", "DeleteLeadFromSales", "SFDCActivityUpdated", "SFDCMergeLeads",
    "MergeLeads", "ResolveConflicts", "AssocWithOpprtntyInSales", "DissocFromOpprtntyInSales",
    "UpdateOpprtntyInSales", "DeleteLead", "SendAlert", "SendSalesEmail", "OpenSalesEmail",
    "ClickSalesEmail", "AddtoSFDCCampaign", "RemoveFromSFDCCampaign",
    "ChangeStatusInSFDCCampaign", "ReceiveSalesEmail", "InterestingMoment", "RequestCampaign",
    "SalesEmailBounced", "ChangeLeadPartition", "ChangeRevenueStage",
    "ChangeRevenueStageManually", "ComputeDataValue", "ChangeStatusInProgression",
    "ChangeFieldInProgram", "EnrichWithDatacom", "ChangeSegment", "ResolveRuleset",
    "SmartCampaignTest", "SmartCampaignTestTrigger",
};

struct mk_acttype_aliases {
    cJSON *doc;               /* owns every string handed out */
    mk_acttype_alias *v;
    size_t n;
};

int mk_acttype_is_wsdl_token(const char *token)
{
    for (size_t i = 0; token && i < MK_ACTTYPE_TOKEN_COUNT; i++)
        if (strcmp(wsdl_tokens[i], token) == 0)
            return 1;
    return 0;
}

const char *mk_acttype_wsdl_token(size_t i)
{
    return i < MK_ACTTYPE_TOKEN_COUNT ? wsdl_tokens[i] : NULL;
}

int mk_acttype_token_matches(const char *token, const char *name)
{
    if (!token || !name)
        return 0;
    const unsigned char *a = (const unsigned char *)token, *b = (const unsigned char *)name;
    for (;;) {
        while (*a && !isalnum(*a))
            a++;
        while (*b && !isalnum(*b))
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower(*a) != tolower(*b))
            return 0;
        a++, b++;
    }
}

const char *mk_acttype_alias_name(const mk_acttype_aliases *a, const char *token)
{
    for (size_t i = 0; a && token && i < a->n; i++)
        if (strcmp(a->v[i].token, token) == 0)
            return a->v[i].name;
    return NULL;
}

const mk_acttype_alias *mk_acttype_aliases_all(const mk_acttype_aliases *a, size_t *n)
{
    *n = a ? a->n : 0;
    return a ? a->v : NULL;
}

void mk_acttype_aliases_free(mk_acttype_aliases *a)
{
    if (!a)
        return;
    cJSON_Delete(a->doc);
    free(a->v);
    free(a);
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct ctx {
    char *err;
    size_t errlen;
    char path[1024];
} ctx;

static int fail(ctx *c, const char *entry, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(ctx *c, const char *entry, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (entry)
            snprintf(c->err, c->errlen, "%s: %s: %s", c->path, entry, msg);
        else
            snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
    }
    return -1;
}

static int read_doc(ctx *c, cJSON **out)
{
    FILE *f = fopen(c->path, "rb");
    if (!f)
        return fail(c, NULL, "cannot open: %s", strerror(errno));
    char *buf = malloc(MAX_TABLE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_TABLE_BYTES + 1, f) : 0;
    int rd_err = ferror(f);
    fclose(f);
    if (!buf)
        return fail(c, NULL, "out of memory");
    if (rd_err || n > MAX_TABLE_BYTES) {
        free(buf);
        return fail(c, NULL, rd_err ? "read error" : "larger than 1 MiB");
    }
    buf[n] = '\0';
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(buf, n + 1, &end, 1);
    if (!*out) {
        size_t at = end && end >= buf ? (size_t)(end - buf) : 0;
        free(buf);
        return fail(c, NULL, "not valid JSON (near byte %zu)", at);
    }
    free(buf);
    return 0;
}

/* Every member of obj must be one of names (all strings, all required). */
static int check_strings(ctx *c, const char *entry, const cJSON *obj, const char *const *names)
{
    if (!cJSON_IsObject(obj))
        return fail(c, entry, "must be an object");
    for (const cJSON *m = obj->child; m; m = m->next) {
        const char *const *s = names;
        while (*s && strcmp(*s, m->string) != 0)
            s++;
        if (!*s)
            return fail(c, entry, "unknown member \"%s\"", m->string);
        if (!cJSON_IsString(m) || !m->valuestring[0])
            return fail(c, entry, "\"%s\" must be a non-empty string", m->string);
        for (const cJSON *d = m->next; d; d = d->next)
            if (strcmp(d->string, m->string) == 0)
                return fail(c, entry, "member \"%s\" appears twice", m->string);
    }
    for (const char *const *s = names; *s; s++)
        if (!cJSON_GetObjectItemCaseSensitive(obj, *s))
            return fail(c, entry, "missing member \"%s\"", *s);
    return 0;
}

static int validate(ctx *c, cJSON *doc, mk_acttype_aliases *a)
{
    if (!cJSON_IsObject(doc))
        return fail(c, NULL, "must be a JSON object");
    for (const cJSON *m = doc->child; m; m = m->next)
        if (strcmp(m->string, "about") && strcmp(m->string, "version") &&
            strcmp(m->string, "aliases"))
            return fail(c, NULL, "unknown member \"%s\"", m->string);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
        return fail(c, NULL, "\"version\" must be 1");
    const cJSON *about = cJSON_GetObjectItemCaseSensitive(doc, "about");
    if (about && !cJSON_IsString(about))
        return fail(c, NULL, "\"about\" must be a string");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "aliases");
    if (!cJSON_IsArray(arr))
        return fail(c, NULL, "\"aliases\" must be an array");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    a->v = calloc(n + 1, sizeof *a->v);
    if (!a->v)
        return fail(c, NULL, "out of memory");
    static const char *const members[] = {"token", "name", "basis", NULL};
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        char entry[160];
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "token");
        if (cJSON_IsString(t))
            snprintf(entry, sizeof entry, "aliases[%zu] (%s)", i, t->valuestring);
        else
            snprintf(entry, sizeof entry, "aliases[%zu]", i);
        if (check_strings(c, entry, e, members) != 0)
            return -1;
        mk_acttype_alias *al = &a->v[i];
        al->token = t->valuestring;
        al->name = cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring;
        al->basis = cJSON_GetObjectItemCaseSensitive(e, "basis")->valuestring;
        if (!mk_acttype_is_wsdl_token(al->token))
            return fail(c, entry, "\"%s\" is not a value of the WSDL's ActivityType", al->token);
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->v[j].token, al->token) == 0)
                return fail(c, entry, "token \"%s\" is listed twice", al->token);
        if (mk_acttype_token_matches(al->token, al->name))
            return fail(c, entry, "not needed: \"%s\" already spells \"%s\" without spaces",
                        al->token, al->name);
        i++;
    }
    a->n = i;
    return 0;
}

int mk_acttype_aliases_load(const char *dir, mk_acttype_aliases **out, char *err, size_t errlen)
{
    ctx c = {err, errlen, {0}};
    *out = NULL;
    snprintf(c.path, sizeof c.path, "%s/activity_types.json", dir ? dir : mk_mapping_default_dir());
    mk_acttype_aliases *a = calloc(1, sizeof *a);
    if (!a)
        return fail(&c, NULL, "out of memory");
    if (read_doc(&c, &a->doc) != 0 || validate(&c, a->doc, a) != 0) {
        mk_acttype_aliases_free(a);
        return -1;
    }
    *out = a;
    return 0;
}
