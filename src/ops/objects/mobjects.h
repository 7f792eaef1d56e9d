/*
 * mobjects.h — between the MObject operations (mobjects.c: the handlers and
 * the lead-database types) and the Program type (programs.c, Asset API):
 * mobjects.c calls programs.c to read and update programs, and programs.c
 * answers a getMObjects page through mobjects.c, so both page alike.
 */
#ifndef MK_OPS_MOBJECTS_H
#define MK_OPS_MOBJECTS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "soapH.h"
#include "ops/core/op.h"

/* Builds one SOAP MObject from one REST record; *keep false drops a
 * record the request's filters did not select. */
typedef int (*mk_mobj_fn)(struct soap *soap, void *ctx, const cJSON *rec, struct ns1__MObject *o,
                          bool *keep);

/* Fill r with the MObjects of records (those one keeps) and the position
 * of the next page: next_state (taken), or the end of the stream when
 * NULL.  kind and digest bind the position to the request (objects.h). */
int mk_mobj_answer(mk_op *op, struct ns1__ResultGetMObjects *r, const cJSON *records,
                   mk_mobj_fn one, void *ctx, cJSON *next_state, const char *kind,
                   const char *digest);

/* getMObjects for type Program: p's id and criteria as one Asset API
 * query; state is the decoded stream position (NULL on the first page). */
int mk_mobj_get_programs(mk_op *op, const struct ns1__ParamsGetMObjects *p,
                         const char *digest, const cJSON *state, struct ns1__ResultGetMObjects *r);

/* syncMObjects for one Program object: UPDATE of its costs and tags, one
 * REST call.  *st is the object's status; *written counts the objects
 * written so far of total, for the fault that says what was written when
 * REST fails part-way. */
int mk_mobj_sync_program(mk_op *op, const struct ns1__MObject *o, bool update,
                         struct ns1__MObjStatus *st, int *written, int total);

#endif
