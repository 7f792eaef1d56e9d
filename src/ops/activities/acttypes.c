/*
 * acttypes.c — an instance's activity types, looked up by id, display name
 * or WSDL token (acttypes.h).
 *
 * A few hundred types at most (Marketo's standard ones plus custom
 * activities), so a sorted array with binary search by id and linear scans
 * by name is all it takes.
 */
#include "ops/activities/acttypes.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rest/json.h"

struct mk_acttypes {
    size_t n;
    mk_acttype *v;
    char **strings;   /* every name and primary, freed together */
    size_t nstrings;
};

static int cmp_id(const void *a, const void *b)
{
    int64_t x = ((const mk_acttype *)a)->id, y = ((const mk_acttype *)b)->id;
    return x < y ? -1 : x > y;
}

static const char *keep(mk_acttypes *t, const char *s)
{
    char *c = strdup(s);
    if (c)
        t->strings[t->nstrings++] = c;
    return c;
}

void mk_acttypes_free(mk_acttypes *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nstrings; i++)
        free(t->strings[i]);
    free(t->strings);
    free(t->v);
    free(t);
}

mk_acttypes *mk_acttypes_from_json(const cJSON *result)
{
    if (!cJSON_IsArray(result))
        return NULL;
    size_t n = (size_t)cJSON_GetArraySize(result);
    mk_acttypes *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->v = calloc(n + 1, sizeof *t->v);
    t->strings = calloc(2 * n + 1, sizeof *t->strings);
    if (!t->v || !t->strings)
        goto fail;
    const cJSON *e;
    cJSON_ArrayForEach(e, result) {
        int64_t id;
        const char *name = mk_rest_json_get_string(e, "name");
        if (mk_rest_json_get_int64(e, "id", &id) != MK_REST_JSON_OK || !name || !*name)
            goto fail;
        mk_acttype *a = &t->v[t->n++];
        a->id = id;
        if (!(a->name = keep(t, name)))
            goto fail;
        const char *p = mk_rest_json_get_string(
            cJSON_GetObjectItemCaseSensitive(e, "primaryAttribute"), "name");
        if (p && *p && !(a->primary = keep(t, p)))
            goto fail;
    }
    qsort(t->v, t->n, sizeof *t->v, cmp_id);
    return t;
fail:
    mk_acttypes_free(t);
    return NULL;
}

size_t mk_acttypes_count(const mk_acttypes *t)
{
    return t ? t->n : 0;
}

const mk_acttype *mk_acttypes_at(const mk_acttypes *t, size_t i)
{
    return t && i < t->n ? &t->v[i] : NULL;
}

const mk_acttype *mk_acttypes_by_id(const mk_acttypes *t, int64_t id)
{
    if (!t)
        return NULL;
    mk_acttype key = {.id = id};
    return bsearch(&key, t->v, t->n, sizeof *t->v, cmp_id);
}

/* Next word of s (after white space) and its length; NULL at the end. */
static const char *word(const char *s, size_t *len)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return NULL;
    *len = 0;
    while (s[*len] && !isspace((unsigned char)s[*len]))
        (*len)++;
    return s;
}

/* Equal ignoring case and how the words are separated by white space. */
static int same_name(const char *a, const char *b)
{
    size_t la, lb;
    for (;;) {
        const char *wa = word(a, &la), *wb = word(b, &lb);
        if (!wa || !wb)
            return !wa && !wb;
        if (la != lb || strncasecmp(wa, wb, la) != 0)
            return 0;
        a = wa + la;
        b = wb + lb;
    }
}

const mk_acttype *mk_acttypes_by_name(const mk_acttypes *t, const char *name)
{
    for (size_t i = 0; t && name && i < t->n; i++)
        if (same_name(t->v[i].name, name))
            return &t->v[i];
    return NULL;
}

const mk_acttype *mk_acttypes_by_token(const mk_acttypes *t, const mk_acttype_aliases *aliases,
                                       const char *token)
{
    const char *alias = mk_acttype_alias_name(aliases, token);
    if (alias)
        return mk_acttypes_by_name(t, alias);
    for (size_t i = 0; t && token && i < t->n; i++)
        if (mk_acttype_token_matches(token, t->v[i].name))
            return &t->v[i];
    return NULL;
}
