/*
 * lists.h — static list helpers shared by listOperation (lists.c),
 * importToList (import.c) and getLeadChanges' StaticListSelector
 * (activities.c): finding a list by name (cached, see namecache.h), calling
 * REST on it with one retry when a cached id has gone stale, the body of a
 * membership change, and emptying a list.
 */
#ifndef MK_OPS_LISTS_H
#define MK_OPS_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/core/op.h"
#include "rest/rest.h"

struct soap;

/* A static list as the SOAP request named it. */
typedef struct mk_list_ref {
    const char *program;  /* NULL: any program (listOperation's MKTOLISTNAME) */
    const char *name;     /* NULL when addressed by id */
    int64_t id;           /* filled by mk_lists_resolve, or given */
    bool cached;          /* id came from the name cache (may be stale) */
} mk_list_ref;

/* Fill l->id from l->name (and l->program) through the name cache or
 * GET /rest/v1/lists.json?name=[&programName=].  Faults: 20111 when no
 * list has that name, 20110 when several lists do and none matches the
 * name exactly.  With fresh, the cache is skipped (and refreshed). */
int mk_lists_resolve(mk_op *op, mk_list_ref *l, bool fresh, const char *what);

/* One REST call on the list endpoint rr->ep (a catalogue row whose template
 * holds {listId}, e.g. MK_EP_LIST_ADD); rr's path is filled here from the
 * row and l->id.  When REST answers 1013 and the id came from the cache,
 * the name is looked up again and the call made once more.  Other failures
 * raise the fault mapped with context "list" (1013 -> 20111). */
int mk_lists_call(mk_op *op, mk_list_ref *l, mk_rest_req *rr, mk_rest_result *res,
                  const char *what);

/* The body of a membership change: {"input": [{"id": <id>}, ...]} for
 * ids[0..n), the ids' digits exact.  Caller frees. */
cJSON *mk_lists_id_input(const int64_t *ids, size_t n);

/* Outcome of emptying a list. */
typedef struct mk_list_clear {
    int64_t removed;      /* members REST reported removed */
    int64_t *failed;      /* ids REST skipped (malloc'd, may be NULL) */
    size_t nfailed;
} mk_list_clear;

/* Remove every member: page GET /rest/v1/lists/{id}/leads.json (300 at a
 * time, ids only) to the end, then DELETE them 300 at a time.  Not atomic:
 * a failure after some removals faults with how far it got.  out->failed
 * must be freed with free() whatever is returned. */
int mk_lists_clear_all(mk_op *op, mk_list_ref *l, mk_list_clear *out, const char *what);

#endif
