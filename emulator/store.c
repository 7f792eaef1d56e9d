/*
 * store.c — the emulator's data: every collection of the seed as cJSON
 * (REST field names, exactly as REST returns them), the lead indexes, the
 * activity log, id counters, paging tokens and date helpers.
 *
 * One readers/writer lock guards all of it (see emu.h for the rules).  One
 * lock is enough: handlers are short, and a single lock makes every write
 * and the activities it logs atomic for readers, which is what Marketo's own
 * consistency looks like from a client.
 *
 * Leads stay in the "leads" array (families iterate it) and are also
 * indexed by id and by lower-cased email, so get-by-id and get-by-email are
 * O(1) on large seeds.  Activities live in a C array ordered by id, which
 * is also date order, so paging by token is a binary search.
 */
#include "store.h"

#include "clock.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_rwlock_t g_lock = PTHREAD_RWLOCK_INITIALIZER;
/* Collections may be created on first use under a read lock; this mutex
 * serialises that (and the id counters). */
static pthread_mutex_t g_coll_mu = PTHREAD_MUTEX_INITIALIZER;
static cJSON *g_root;

void emu_store_rdlock(void) { pthread_rwlock_rdlock(&g_lock); }
void emu_store_wrlock(void) { pthread_rwlock_wrlock(&g_lock); }
void emu_store_unlock(void) { pthread_rwlock_unlock(&g_lock); }
void emu_store_lock(bool write) { write ? emu_store_wrlock() : emu_store_rdlock(); }

/* ---- base32 tokens ------------------------------------------------------ */

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static char *b32_encode(const unsigned char *in, size_t n)
{
    size_t outlen = (n + 4) / 5 * 8;
    char *out = malloc(outlen + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    unsigned buf = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = B32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = B32[(buf << (5 - bits)) & 31];
    while (o < outlen)
        out[o++] = '=';
    out[o] = '\0';
    return out;
}

static int b32_decode(const char *s, unsigned char *out, size_t max)
{
    size_t o = 0;
    unsigned buf = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        const char *c = strchr(B32, toupper((unsigned char)*s));
        if (!c || !*c)
            return -1;
        buf = (buf << 5) | (unsigned)(c - B32);
        bits += 5;
        if (bits >= 8) {
            if (o >= max)
                return -1;
            out[o++] = (unsigned char)(buf >> (bits - 8));
            bits -= 8;
        }
    }
    for (; *s; s++)
        if (*s != '=')
            return -1;
    return (int)o;
}

static char *token_encode(char kind, int64_t v)
{
    unsigned char b[9];
    b[0] = (unsigned char)kind;
    for (int i = 0; i < 8; i++)
        b[1 + i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    return b32_encode(b, sizeof b);
}

static bool token_decode(char kind, const char *tok, int64_t *v)
{
    unsigned char b[16];
    if (!tok || strlen(tok) > 64 || b32_decode(tok, b, sizeof b) != 9 ||
        b[0] != (unsigned char)kind)
        return false;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = (x << 8) | b[1 + i];
    if (x > (uint64_t)INT64_MAX)
        return false;
    *v = (int64_t)x;
    return true;
}

char *emu_page_token_encode(int64_t offset) { return token_encode('P', offset); }
bool emu_page_token_decode(const char *tok, int64_t *offset)
{
    return token_decode('P', tok, offset);
}
char *emu_activity_token_encode(int64_t next_id) { return token_encode('A', next_id); }
bool emu_activity_token_decode(const char *tok, int64_t *next_id)
{
    return token_decode('A', tok, next_id);
}

/* ---- int64 helpers ------------------------------------------------------ */

cJSON *emu_raw_i64(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

void emu_add_i64(cJSON *obj, const char *name, int64_t v)
{
    /* Below 2^53 a number is exact and easier for readers of the store. */
    if (v > -9007199254740992LL && v < 9007199254740992LL)
        cJSON_AddNumberToObject(obj, name, (double)v);
    else
        cJSON_AddItemToObject(obj, name, emu_raw_i64(v));
}

/* A JSON number that is an exact integer (|v| <= 2^53), read without an
 * undefined conversion whatever the seed holds. */
static bool exact_i64(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || d != floor(d))
        return false;
    *out = (int64_t)d;
    return true;
}

int64_t emu_lead_id(const cJSON *lead)
{
    int64_t id = 0;
    exact_i64(cJSON_GetObjectItemCaseSensitive(lead, "id"), &id);
    return id;
}

/* ---- lead indexes -------------------------------------------------------- */

/* id → lead: open addressing, ids are dense small integers. */
typedef struct { int64_t key; cJSON *lead; } id_slot;
static id_slot *g_ids;
static size_t g_ids_cap, g_ids_n;

/* email → leads: chained, several leads may share an email. */
typedef struct email_ent {
    char *key;
    cJSON **v;
    int n, cap;
    struct email_ent *next;
} email_ent;
static email_ent **g_emails;
static size_t g_emails_cap, g_emails_n;

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_str_ci(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 1099511628211ULL;
    return h;
}

static void ids_put(int64_t key, cJSON *lead);

static void ids_grow(void)
{
    id_slot *old = g_ids;
    size_t oldcap = g_ids_cap;
    g_ids_cap = oldcap ? oldcap * 2 : 1024;
    g_ids = calloc(g_ids_cap, sizeof *g_ids);
    g_ids_n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].lead)
            ids_put(old[i].key, old[i].lead);
    free(old);
}

static void ids_put(int64_t key, cJSON *lead)
{
    if ((g_ids_n + 1) * 2 > g_ids_cap)
        ids_grow();
    size_t m = g_ids_cap - 1, i = hash_u64((uint64_t)key) & m;
    while (g_ids[i].lead && g_ids[i].key != key)
        i = (i + 1) & m;
    if (!g_ids[i].lead)
        g_ids_n++;
    g_ids[i].key = key;
    g_ids[i].lead = lead;
}

static void ids_del(int64_t key)
{
    if (!g_ids_cap)
        return;
    size_t m = g_ids_cap - 1, i = hash_u64((uint64_t)key) & m;
    while (g_ids[i].lead && g_ids[i].key != key)
        i = (i + 1) & m;
    if (!g_ids[i].lead)
        return;
    g_ids[i].lead = NULL;
    g_ids_n--;
    /* Re-insert the rest of the cluster so probing stays correct. */
    for (size_t j = (i + 1) & m; g_ids[j].lead; j = (j + 1) & m) {
        id_slot s = g_ids[j];
        g_ids[j].lead = NULL;
        g_ids_n--;
        ids_put(s.key, s.lead);
    }
}

cJSON *emu_lead_by_id(int64_t id)
{
    if (!g_ids_cap)
        return NULL;
    size_t m = g_ids_cap - 1, i = hash_u64((uint64_t)id) & m;
    while (g_ids[i].lead) {
        if (g_ids[i].key == id)
            return g_ids[i].lead;
        i = (i + 1) & m;
    }
    return NULL;
}

static email_ent **email_slot(const char *email)
{
    email_ent **pp = &g_emails[hash_str_ci(email) & (g_emails_cap - 1)];
    while (*pp && strcasecmp((*pp)->key, email))
        pp = &(*pp)->next;
    return pp;
}

static void emails_grow(void)
{
    email_ent **old = g_emails;
    size_t oldcap = g_emails_cap;
    g_emails_cap = oldcap ? oldcap * 2 : 1024;
    g_emails = calloc(g_emails_cap, sizeof *g_emails);
    for (size_t i = 0; i < oldcap; i++) {
        email_ent *e = old[i];
        while (e) {
            email_ent *next = e->next;
            size_t b = hash_str_ci(e->key) & (g_emails_cap - 1);
            e->next = g_emails[b];
            g_emails[b] = e;
            e = next;
        }
    }
    free(old);
}

static const char *lead_email(const cJSON *lead)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(lead, "email");
    return cJSON_IsString(e) && e->valuestring[0] ? e->valuestring : NULL;
}

static void email_add(const char *email, cJSON *lead)
{
    if (g_emails_n + 1 > g_emails_cap)
        emails_grow();
    email_ent **pp = email_slot(email);
    if (!*pp) {
        email_ent *e = calloc(1, sizeof *e);
        e->key = strdup(email);
        *pp = e;
        g_emails_n++;
    }
    email_ent *e = *pp;
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 2;
        e->v = realloc(e->v, (size_t)e->cap * sizeof *e->v);
    }
    e->v[e->n++] = lead;
}

static void email_del(const char *email, cJSON *lead)
{
    if (!g_emails_cap)
        return;
    email_ent **pp = email_slot(email);
    email_ent *e = *pp;
    if (!e)
        return;
    for (int i = 0; i < e->n; i++)
        if (e->v[i] == lead) {
            memmove(&e->v[i], &e->v[i + 1], (size_t)(e->n - i - 1) * sizeof *e->v);
            e->n--;
            break;
        }
    if (e->n == 0) {
        *pp = e->next;
        free(e->key);
        free(e->v);
        free(e);
        g_emails_n--;
    }
}

int emu_leads_by_email(const char *email, cJSON **out, int max)
{
    if (!g_emails_cap || !email)
        return 0;
    email_ent *e = *email_slot(email);
    if (!e)
        return 0;
    /* Keep id order: the index appends in insertion order, which is id
     * order for created leads. */
    for (int i = 0; i < e->n && i < max; i++)
        out[i] = e->v[i];
    return e->n;
}

void emu_lead_index_add(cJSON *lead)
{
    ids_put(emu_lead_id(lead), lead);
    const char *email = lead_email(lead);
    if (email)
        email_add(email, lead);
}

void emu_lead_index_remove(cJSON *lead)
{
    ids_del(emu_lead_id(lead));
    const char *email = lead_email(lead);
    if (email)
        email_del(email, lead);
}

void emu_lead_remove(cJSON *lead)
{
    emu_lead_index_remove(lead);
    cJSON *leads = emu_store_get("leads");
    cJSON_Delete(cJSON_DetachItemViaPointer(leads, lead));
}

static void indexes_free(void)
{
    free(g_ids);
    g_ids = NULL;
    g_ids_cap = g_ids_n = 0;
    for (size_t i = 0; i < g_emails_cap; i++) {
        email_ent *e = g_emails[i];
        while (e) {
            email_ent *next = e->next;
            free(e->key);
            free(e->v);
            free(e);
            e = next;
        }
    }
    free(g_emails);
    g_emails = NULL;
    g_emails_cap = g_emails_n = 0;
}

/* ---- lead fields ---------------------------------------------------------- */

static emu_field *g_fields;
static int g_nfields;

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jbool(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int jint(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

static int fields_load(const cJSON *arr, char *err, size_t errsz)
{
    int n = cJSON_GetArraySize(arr);
    g_fields = calloc((size_t)n + 1, sizeof *g_fields);
    g_nfields = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, arr) {
        emu_field *d = &g_fields[g_nfields];
        /* The strings stay owned by the store's copy of leadFields. */
        d->name = jstr(f, "name");
        d->display = jstr(f, "displayName");
        d->type = jstr(f, "dataType");
        if (!d->name || !d->display || !d->type) {
            snprintf(err, errsz, "leadFields[%d]: name, displayName and dataType are required",
                     g_nfields);
            return -1;
        }
        d->id = jint(f, "id");
        d->length = jint(f, "length");
        d->rest_ro = jbool(f, "readOnly");
        d->soap = jstr(f, "soapName");
        d->soap_ro = cJSON_GetObjectItemCaseSensitive(f, "soapReadOnly")
                         ? jbool(f, "soapReadOnly") : d->rest_ro;
        d->custom = jbool(f, "custom");
        d->crm_managed = jbool(f, "crmManaged");
        /* Custom string/email/integer fields are searchable (SPEC). */
        d->searchable = jbool(f, "searchable") ||
                        (d->custom && (!strcmp(d->type, "string") ||
                                       !strcmp(d->type, "email") ||
                                       !strcmp(d->type, "integer")));
        g_nfields++;
    }
    return 0;
}

const emu_field *emu_field_find(const char *name)
{
    for (int i = 0; i < g_nfields; i++)
        if (!strcasecmp(g_fields[i].name, name))
            return &g_fields[i];
    return NULL;
}

int emu_field_count(void) { return g_nfields; }
const emu_field *emu_field_at(int i) { return &g_fields[i]; }

int64_t emu_partition_id(const char *name)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, emu_store_get("partitions")) {
        const char *n = jstr(p, "name");
        if (n && !strcasecmp(n, name))
            return jint(p, "id");
    }
    return 0;
}

/* ---- collections and ids -------------------------------------------------- */

typedef struct { char name[48]; int64_t next; } counter;
static counter g_counters[64];
static int g_ncounters;

cJSON *emu_store_get(const char *collection)
{
    pthread_mutex_lock(&g_coll_mu);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(g_root, collection);
    if (!c) {
        c = cJSON_CreateArray();
        cJSON_AddItemToObject(g_root, collection, c);
    }
    pthread_mutex_unlock(&g_coll_mu);
    return c;
}

int64_t emu_next_id(const char *collection)
{
    if (!strcmp(collection, "activities"))
        return emu_activity_next_id();
    pthread_mutex_lock(&g_coll_mu);
    counter *c = NULL;
    for (int i = 0; i < g_ncounters; i++)
        if (!strcmp(g_counters[i].name, collection))
            c = &g_counters[i];
    if (!c && g_ncounters < (int)(sizeof g_counters / sizeof *g_counters)) {
        c = &g_counters[g_ncounters++];
        snprintf(c->name, sizeof c->name, "%s", collection);
        /* Start after the largest id the seed used. */
        int64_t max = 0;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(g_root, collection), *r;
        cJSON_ArrayForEach(r, arr) {
            int64_t id;
            if (exact_i64(cJSON_GetObjectItemCaseSensitive(r, "id"), &id) && id > max)
                max = id;
        }
        c->next = max + 1;
    }
    int64_t v = c ? c->next++ : 0;
    pthread_mutex_unlock(&g_coll_mu);
    return v;
}

/* ---- activities ------------------------------------------------------------- */

/* Above 2^32 so that clients storing activity ids in 32 bits fail loudly. */
#define EMU_FIRST_ACTIVITY_ID 4294967297LL

static emu_activity *g_acts;
static size_t g_nacts, g_acts_cap;
static int64_t g_next_act = EMU_FIRST_ACTIVITY_ID;

size_t emu_activity_count(void) { return g_nacts; }
const emu_activity *emu_activity_at(size_t i) { return &g_acts[i]; }
int64_t emu_activity_next_id(void) { return g_next_act; }

/* Index of the first activity whose id (or date) is at least `v`: the log
 * is in id order, which is also date order, so one binary search serves
 * both. */
static size_t first_at_least(int64_t v, bool by_date)
{
    size_t lo = 0, hi = g_nacts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((by_date ? g_acts[mid].at_ms : g_acts[mid].id) < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t emu_activity_lower_bound(int64_t id) { return first_at_least(id, false); }
size_t emu_activity_since(int64_t ms) { return first_at_least(ms, true); }

void emu_activity_add_at(int64_t lead_id, int type_id, int64_t primary_value_id,
                         const char *primary_value, int64_t campaign_id,
                         cJSON *attributes, cJSON *fields, int64_t at_ms)
{
    if (g_nacts == g_acts_cap) {
        g_acts_cap = g_acts_cap ? g_acts_cap * 2 : 256;
        g_acts = realloc(g_acts, g_acts_cap * sizeof *g_acts);
    }
    /* Dates never go backwards in the log, so id order is date order. */
    if (g_nacts && at_ms < g_acts[g_nacts - 1].at_ms)
        at_ms = g_acts[g_nacts - 1].at_ms;
    int64_t id = g_next_act++;
    char guid[24], date[32];
    snprintf(guid, sizeof guid, "%" PRId64, id);
    emu_format_iso(at_ms, date);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "id", emu_raw_i64(id));
    cJSON_AddStringToObject(j, "marketoGUID", guid);
    emu_add_i64(j, "leadId", lead_id);
    cJSON_AddStringToObject(j, "activityDate", date);
    cJSON_AddNumberToObject(j, "activityTypeId", type_id);
    if (campaign_id)
        emu_add_i64(j, "campaignId", campaign_id);
    if (primary_value_id || primary_value) {
        emu_add_i64(j, "primaryAttributeValueId", primary_value_id);
        if (primary_value)
            cJSON_AddStringToObject(j, "primaryAttributeValue", primary_value);
    }
    cJSON_AddItemToObject(j, "attributes", attributes ? attributes : cJSON_CreateArray());
    if (fields)
        cJSON_AddItemToObject(j, "fields", fields);
    g_acts[g_nacts++] = (emu_activity){id, lead_id, type_id, at_ms, j};
}

void emu_activity_add(int64_t lead_id, int type_id, int64_t primary_value_id,
                      const char *primary_value, int64_t campaign_id,
                      cJSON *attributes, cJSON *fields)
{
    emu_activity_add_at(lead_id, type_id, primary_value_id, primary_value,
                        campaign_id, attributes, fields, emu_now_ms());
}

static void activities_free(void)
{
    for (size_t i = 0; i < g_nacts; i++)
        cJSON_Delete(g_acts[i].json);
    free(g_acts);
    g_acts = NULL;
    g_nacts = g_acts_cap = 0;
    g_next_act = EMU_FIRST_ACTIVITY_ID;
}

/* ---- load / free -------------------------------------------------------------- */

void emu_store_init(void)
{
    g_root = cJSON_CreateObject();
}

static void store_clear(void)
{
    indexes_free();
    activities_free();
    free(g_fields);
    g_fields = NULL;
    g_nfields = 0;
    g_ncounters = 0;
    cJSON_Delete(g_root);
    g_root = NULL;
}

void emu_store_free(void) { store_clear(); }

/* A seed activity in date order: by date, then by its place in the seed. */
typedef struct { int64_t ms; int pos; const cJSON *a; } seed_act;

static int cmp_seed_act(const void *x, const void *y)
{
    const seed_act *a = x, *b = y;
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static int load_activities(const cJSON *arr, char *err, size_t errsz)
{
    int n = cJSON_GetArraySize(arr);
    if (n == 0)
        return 0;
    /* Sort by date (stable on seed order) so ids follow dates. */
    seed_act *order = calloc((size_t)n, sizeof *order);
    if (!order) {
        snprintf(err, errsz, "out of memory loading %d seed activities", n);
        return -1;
    }
    int i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, arr) {
        if (!emu_parse_iso(jstr(a, "activityDate"), &order[i].ms)) {
            snprintf(err, errsz, "activities[%d]: bad or missing activityDate", i);
            free(order);
            return -1;
        }
        order[i].pos = i;
        order[i].a = a;
        i++;
    }
    qsort(order, (size_t)n, sizeof *order, cmp_seed_act);
    for (i = 0; i < n; i++) {
        a = order[i].a;
        int64_t pv = 0;
        exact_i64(cJSON_GetObjectItemCaseSensitive(a, "primaryAttributeValueId"), &pv);
        const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(a, "attributes");
        const cJSON *fields = cJSON_GetObjectItemCaseSensitive(a, "fields");
        emu_activity_add_at(jint(a, "leadId"), jint(a, "activityTypeId"), pv,
                            jstr(a, "primaryAttributeValue"), jint(a, "campaignId"),
                            attrs ? cJSON_Duplicate(attrs, 1) : NULL,
                            fields ? cJSON_Duplicate(fields, 1) : NULL, order[i].ms);
    }
    free(order);
    return 0;
}

int emu_store_load(const cJSON *seed, char *err, size_t errsz)
{
    store_clear();
    g_root = cJSON_Duplicate(seed, 1);
    cJSON *acts = cJSON_DetachItemFromObjectCaseSensitive(g_root, "activities");
    int rc = fields_load(emu_store_get("leadFields"), err, errsz);
    if (rc == 0)
        rc = load_activities(acts, err, errsz);
    cJSON_Delete(acts);
    if (rc)
        return rc;
    char now[32];
    emu_now_iso(now);
    cJSON *lead;
    int i = 0;
    cJSON_ArrayForEach(lead, emu_store_get("leads")) {
        int64_t id;
        if (!exact_i64(cJSON_GetObjectItemCaseSensitive(lead, "id"), &id) || id < 1) {
            snprintf(err, errsz, "leads[%d]: a positive integer id is required", i);
            return -1;
        }
        if (emu_lead_by_id(id)) {
            snprintf(err, errsz, "leads[%d]: duplicate id %" PRId64, i, id);
            return -1;
        }
        if (!cJSON_GetObjectItemCaseSensitive(lead, "createdAt"))
            cJSON_AddStringToObject(lead, "createdAt", now);
        if (!cJSON_GetObjectItemCaseSensitive(lead, "updatedAt"))
            cJSON_AddStringToObject(lead, "updatedAt",
                                    jstr(lead, "createdAt") ? jstr(lead, "createdAt") : now);
        if (!cJSON_GetObjectItemCaseSensitive(lead, "leadPartitionId"))
            cJSON_AddNumberToObject(lead, "leadPartitionId", 1);
        emu_lead_index_add(lead);
        i++;
    }
    return 0;
}
