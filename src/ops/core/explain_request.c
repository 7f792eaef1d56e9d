/*
 * explain_request.c — `mktows-shim --explain-request FILE.xml`: for one
 * saved SOAP request, the REST calls the shim will make, sending nothing.
 *
 * The calls come from the operation table (mapping/operations.json), the
 * same rows that --explain prints; what the request's own content decides
 * is settled here: each row's "when" condition is split at commas and every
 * part that names something a request carries (a selector type, a list
 * operation, an object type, a key type, a flag) is checked against the
 * request.  A row whose decidable parts are false is listed as not made;
 * parts the request cannot decide (caches, answers of earlier calls) are
 * printed as conditions, and path placeholders ({listId}) say whether the
 * request gives the value or an earlier call's answer does.
 *
 * The XML is read with a small scanner, not the SOAP engine: a saved
 * request may be unsigned or stale, and nothing here must fail on that.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mapping/mapping.h"
#include "rest/endpoints.h"
#include "rest/rest.h"
#include "mktows.h"

#define MAX_ELEMS 4096

typedef struct elem {
    char name[64];      /* local name */
    char type[64];      /* xsi:type local part, "" if none */
    char text[256];     /* text when the element holds only text, "" otherwise */
} elem;

typedef struct req_facts {
    elem *e;
    int n;
    char op[64];
} req_facts;

static void local_copy(char *dst, size_t cap, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (colon) {
        n -= (size_t)(colon + 1 - s);
        s = colon + 1;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Every start tag: its local name, xsi:type and direct text. */
static int scan(const char *xml, size_t len, req_facts *f)
{
    const char *p = xml, *end = xml + len;
    int in_body = 0;
    while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        p++;
        if (p < end && (*p == '?' || *p == '!')) {
            const char *close = strstr(p, *p == '!' && p + 2 < end && p[1] == '-' ? "-->" : ">");
            if (!close)
                return -1;
            p = close + 1;
            continue;
        }
        int closing = p < end && *p == '/';
        const char *name = p + closing;
        while (p < end && !isspace((unsigned char)*p) && *p != '>' && *p != '/')
            p++;
        size_t nl = (size_t)(p - name);
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            return -1;
        char local[64];
        local_copy(local, sizeof local, name, nl);
        if (closing) {
            p = gt + 1;
            continue;
        }
        if (strcmp(local, "Body") == 0) {
            in_body = 1;
        } else if (!f->op[0] && strncmp(local, "params", 6) == 0 && local[6]) {
            /* a saved Body without its envelope starts here */
            snprintf(f->op, sizeof f->op, "%c%s", tolower((unsigned char)local[6]), local + 7);
        } else if (in_body && !f->op[0]) {
            if (strncmp(local, "params", 6) != 0 || !local[6])
                return -2;
            snprintf(f->op, sizeof f->op, "%c%s", tolower((unsigned char)local[6]), local + 7);
        } else if (f->op[0] && f->n < MAX_ELEMS) {
            elem *e = &f->e[f->n++];
            memset(e, 0, sizeof *e);
            snprintf(e->name, sizeof e->name, "%s", local);
            for (const char *t = p; t + 7 < gt; t++) /* xsi:type="ns1:X", any prefix */
                if (memcmp(t, ":type=", 6) == 0 && (t[6] == '"' || t[6] == '\'')) {
                    const char *q = t + 7, *qe = q;
                    while (qe < gt && *qe != '"' && *qe != '\'')
                        qe++;
                    local_copy(e->type, sizeof e->type, q, (size_t)(qe - q));
                    break;
                }
            if (gt[-1] != '/') {
                const char *txt = gt + 1, *lt = memchr(txt, '<', (size_t)(end - txt));
                if (lt && lt[1] == '/') {
                    size_t tl = (size_t)(lt - txt);
                    while (tl && isspace((unsigned char)*txt)) {
                        txt++;
                        tl--;
                    }
                    while (tl && isspace((unsigned char)txt[tl - 1]))
                        tl--;
                    if (tl >= sizeof e->text)
                        tl = sizeof e->text - 1;
                    memcpy(e->text, txt, tl);
                    e->text[tl] = '\0';
                }
            }
        }
        p = gt + 1;
    }
    return f->op[0] ? 0 : -2;
}

static const elem *find(const req_facts *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->e[i].name, name) == 0)
            return &f->e[i];
    return NULL;
}

static int count(const req_facts *f, const char *name)
{
    int n = 0;
    for (int i = 0; i < f->n; i++)
        n += strcmp(f->e[i].name, name) == 0;
    return n;
}

static int has_text(const req_facts *f, const char *text)
{
    for (int i = 0; i < f->n; i++)
        if (strcasecmp(f->e[i].text, text) == 0)
            return 1;
    return 0;
}

static int has_type(const req_facts *f, const char *type)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->e[i].type, type) == 0)
            return 1;
    return 0;
}

static int is_true(const req_facts *f, const char *name)
{
    const elem *e = find(f, name);
    return e && (strcmp(e->text, "true") == 0 || strcmp(e->text, "1") == 0);
}

/* Outcome of one part of a "when" condition. */
enum verdict { UNDECIDED, HOLDS, FAILS };

static enum verdict judge_part(const req_facts *f, const char *part)
{
    static const char *const types[] = {"LeadKeySelector", "StaticListSelector",
                                        "LastUpdateAtSelector", NULL};
    static const char *const words[] = {"ISMEMBEROFLIST", "ADDTOLIST", "REMOVEFROMLIST",
                                        "CLEARLIST", "UPSERTLEADS", "LISTONLY", "MKTOLISTNAME",
                                        NULL};
    static const int word_group[] = {0, 0, 0, 0, 1, 1, 2};
    static const char *const objects[] = {"OpportunityPersonRole", "Opportunity", "Program",
                                          "LeadRecord", NULL};
    /* "A and B": fails when one fails, holds when both hold */
    const char *and = strstr(part, " and ");
    if (and) {
        char left[200];
        snprintf(left, sizeof left, "%.*s", (int)(and - part), part);
        enum verdict a = judge_part(f, left), b = judge_part(f, and + 5);
        if (a == FAILS || b == FAILS)
            return FAILS;
        return a == HOLDS && b == HOLDS ? HOLDS : UNDECIDED;
    }
    /* "A or B": holds when one holds, fails when all fail */
    const char *or = strstr(part, " or ");
    if (or && !strstr(part, "(or")) {
        char left[200];
        snprintf(left, sizeof left, "%.*s", (int)(or - part), part);
        enum verdict a = judge_part(f, left), b = judge_part(f, or + 4);
        if (a == HOLDS || b == HOLDS)
            return HOLDS;
        return a == FAILS && b == FAILS ? FAILS : UNDECIDED;
    }
    for (int i = 0; types[i]; i++)
        if (strstr(part, types[i]))
            return has_type(f, types[i]) ? HOLDS : FAILS;
    for (int i = 0; words[i]; i++)
        if (strstr(part, words[i])) {
            /* Only a request that carries a value of that kind decides it
             * ("UPSERTLEADS import" in getImportToListStatus is about an
             * earlier request). */
            int kind = 0;
            for (int k = 0; words[k]; k++)
                kind |= word_group[k] == word_group[i] && has_text(f, words[k]);
            if (word_group[i] == 2)
                kind |= has_text(f, "MKTOLISTID") || has_text(f, "SFDCLEADID");
            if (!kind)
                return UNDECIDED;
            return has_text(f, words[i]) ? HOLDS : FAILS;
        }
    for (int i = 0; objects[i]; i++)
        if (strncmp(part, objects[i], strlen(objects[i])) == 0 &&
            (part[strlen(objects[i])] == '\0' || part[strlen(objects[i])] == ' ')) {
            const elem *o = find(f, "objectName");
            if (!o)
                o = find(f, "type");
            if (!o || strcmp(o->text, objects[i]) != 0)
                return FAILS;
            /* "Program by id": the type holds, the rest is not judged here */
            return part[strlen(objects[i])] == '\0' ? HOLDS : UNDECIDED;
        }
    if (strstr(part, "marketoCookie given")) {
        const elem *c = find(f, "marketoCookie");
        return c && c->text[0] ? HOLDS : FAILS;
    }
    if (strstr(part, "returnLead=true"))
        return is_true(f, "returnLead") ? HOLDS : FAILS;
    if (strstr(part, "clearList=true"))
        return is_true(f, "clearList") ? HOLDS : FAILS;
    if (strstr(part, "strict=true"))
        return is_true(f, "strict") ? HOLDS : FAILS;
    if (strstr(part, "keys are not IDNUM")) {
        for (int i = 0; i < f->n; i++)
            if (strcmp(f->e[i].name, "keyType") == 0 && strcmp(f->e[i].text, "IDNUM") != 0)
                return HOLDS;
        return FAILS;
    }
    if (strstr(part, "campaign given by name"))
        return find(f, "campaignName") ? HOLDS : FAILS;
    if (strstr(part, "exactly one channel name"))
        return count(f, "stringItem") == 1 ? HOLDS : FAILS;
    if (strstr(part, "no channel name, or several"))
        return count(f, "stringItem") != 1 ? HOLDS : FAILS;
    return UNDECIDED;
}

/* HOLDS / FAILS / UNDECIDED for a whole condition ("A, B, not cached"),
 * with the parts left undecided copied to rest. */
static enum verdict judge(const req_facts *f, const char *when, char *rest, size_t restlen)
{
    rest[0] = '\0';
    if (!when)
        return HOLDS;
    enum verdict all = HOLDS;
    char buf[400];
    snprintf(buf, sizeof buf, "%s", when);
    char *save = NULL, *part = strtok_r(buf, ",", &save);
    while (part) {
        while (*part == ' ')
            part++;
        char *this_part = part;
        enum verdict v = judge_part(f, part);
        /* "A, or B": the part widens the one before it */
        while ((part = strtok_r(NULL, ",", &save)) != NULL) {
            while (*part == ' ')
                part++;
            if (strncmp(part, "or ", 3) != 0)
                break;
            enum verdict w = judge_part(f, part + 3);
            v = v == HOLDS || w == HOLDS ? HOLDS : v == FAILS && w == FAILS ? FAILS : UNDECIDED;
        }
        if (v == FAILS)
            return FAILS;
        if (v == UNDECIDED) {
            size_t used = strlen(rest);
            snprintf(rest + used, restlen - used, "%s%s", used ? ", " : "", this_part);
            all = UNDECIDED;
        }
    }
    return all;
}

/* Query parameters the lead reads take from the request itself. */
static void print_lead_query(FILE *out, const mk_mapping *m, const req_facts *f,
                             const mk_mapping_rest_call *c)
{
    const mk_rest_endpoint *e = mk_rest_endpoint_get(MK_EP_LEADS_QUERY);
    if (strcmp(c->method, mk_rest_method_name(e->method)) != 0 || strcmp(c->path, e->path) != 0)
        return;
    const elem *kt = find(f, "keyType"), *kv = find(f, "keyValue");
    const elem *sv = find(f, "stringItem");
    if (!kt || (!kv && !sv))
        return;
    const mk_mapping_lead_key *k = mk_mapping_lead_key_get(m, kt->text);
    if (!k || !k->filter_type) {
        fprintf(out, "       key type %s has no REST filter: the shim answers a fault instead\n",
                kt->text);
        return;
    }
    fprintf(out, "       ?filterType=%s&filterValues=", k->filter_type);
    if (kv) {
        fprintf(out, "%s", kv->text);
    } else {
        int first = 1;
        for (int i = 0; i < f->n; i++)
            if (strcmp(f->e[i].name, "stringItem") == 0) {
                fprintf(out, "%s%s", first ? "" : ",", f->e[i].text);
                first = 0;
            }
    }
    fprintf(out, "&fields=<every REST field with a SOAP name>\n");
}

static void print_placeholders(FILE *out, const mk_mapping_rest_call *c, const req_facts *f)
{
    for (const char *p = strchr(c->path, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
        const char *from = "the answer of an earlier call above (or the shim's cache of it)";
        if (strcmp(name, "listId") == 0 && has_text(f, "MKTOLISTID")) {
            from = "the request (listKey MKTOLISTID)";
        } else if (strcmp(name, "leadId") == 0 && has_text(f, "IDNUM")) {
            from = "the request (IDNUM lead key) or a lead lookup's answer";
        } else if (strcmp(name, "apiName") == 0 && find(f, "objTypeName")) {
            from = "the request (objTypeName, matched against the object list)";
        }
        fprintf(out, "       {%s} comes from %s\n", name, from);
    }
}

int mktows_explain_request(const char *mapping_dir, const char *xml, size_t len, FILE *out,
                           char *errbuf, size_t errlen)
{
    req_facts f = {0};
    f.e = calloc(MAX_ELEMS, sizeof *f.e);
    if (!f.e) {
        snprintf(errbuf, errlen, "out of memory");
        return MKTOWS_ENOMEM;
    }
    int rc = MKTOWS_OK;
    mk_mapping *m = NULL;
    int sc = scan(xml, len, &f);
    if (sc != 0) {
        snprintf(errbuf, errlen, sc == -1 ? "not well-formed XML"
                                          : "not a mktows SOAP request (no Body with a "
                                            "params<Operation> element)");
        free(f.e);
        return MKTOWS_EINVAL;
    }
    if (mk_mapping_load(mapping_dir, &m, errbuf, errlen) != 0) {
        free(f.e);
        return MKTOWS_EINVAL;
    }
    const mk_mapping_op *op = mk_mapping_op_by_name(m, f.op);
    if (!op) {
        snprintf(errbuf, errlen, "'%s' is not an operation of the mktows WSDL", f.op);
        rc = MKTOWS_EINVAL;
        goto done;
    }
    fprintf(out, "%s (%s): %s\n", op->name, op->family, op->summary);
    if (op->status != MK_MAPPING_IMPLEMENTED) {
        fprintf(out, "  not served by this shim: answered with fault 20019, no REST call\n");
        goto done;
    }
    fprintf(out, "REST calls for this request (nothing was sent; from mapping/operations.json "
                 "and the request's content):\n");
    if (op->nrest == 0)
        fprintf(out, "  none: the shim answers by itself\n");
    int shown = 0;
    for (size_t i = 0; i < op->nrest; i++) {
        const mk_mapping_rest_call *c = &op->rest[i];
        char rest[400];
        enum verdict v = judge(&f, c->when, rest, sizeof rest);
        if (v == FAILS)
            continue;
        fprintf(out, "  %d. %s %s\n", ++shown, c->method, c->path);
        fprintf(out, "       %s\n", c->purpose);
        if (v == UNDECIDED)
            fprintf(out, "       made only if: %s (not known from the request)\n", rest);
        else if (c->when)
            fprintf(out, "       made: the request says %s\n", c->when);
        print_lead_query(out, m, &f, c);
        print_placeholders(out, c, &f);
    }
    int skipped = 0;
    for (size_t i = 0; i < op->nrest; i++) {
        char rest[400];
        if (judge(&f, op->rest[i].when, rest, sizeof rest) != FAILS)
            continue;
        if (!skipped++)
            fprintf(out, "Not made for this request:\n");
        fprintf(out, "  - %s %s (only when %s)\n", op->rest[i].method, op->rest[i].path,
                op->rest[i].when);
    }
    int records = count(&f, "leadRecord") + count(&f, "mObject") + count(&f, "customObj");
    int keys = count(&f, "leadKey");
    if (records > MK_REST_BATCH_MAX || keys > MK_REST_BATCH_MAX)
        fprintf(out, "Batches: %d records/keys go to REST in batches of at most %d.\n",
                records > keys ? records : keys, MK_REST_BATCH_MAX);
    if (op->calls_max < 0)
        fprintf(out, "Cost: typically %d REST call(s), at least %d, no fixed bound%s%s\n",
                op->calls_typical, op->calls_min, *op->calls_note ? "; " : "", op->calls_note);
    else
        fprintf(out, "Cost: typically %d REST call(s) (%d to %d)%s%s\n", op->calls_typical,
                op->calls_min, op->calls_max, *op->calls_note ? "; " : "", op->calls_note);
done:
    mk_mapping_free(m);
    free(f.e);
    return rc;
}
