/*
 * trace.h — "trace to REST": the REST calls a SOAP request really made, as
 * runnable curl commands, for SOAP users configured with "trace": true
 * that send the HTTP header X-Mktows-Trace: curl.
 *
 * The transcript holds lead data (query strings, JSON bodies, answers), so
 * it goes neither into a response header (size limits) nor into the usage
 * log (which never holds lead data): it is kept in memory under a random
 * id, the SOAP answer carries X-Mktows-Trace: /_shim/trace/<id>, and
 * GET on that path returns it as a shell script (text/plain) for a few
 * minutes.  The id is 128 random bits: whoever has it sent the data.
 *
 * A worker records its own thread's REST sends (rest.h recorder); the lead
 * batching layer sends a recorded request's calls alone (coalesce.c), so a
 * transcript never holds another request's leads.
 */
#ifndef MK_SERVER_TRACE_H
#define MK_SERVER_TRACE_H

#include <stddef.h>

#include "base/buf.h"

struct mk_request;

/* ---- recording one request ---------------------------------------------- */

typedef struct mk_trace_rec {
    const struct mk_request *req;
    mk_buf text;         /* the script so far */
    int calls;
    int truncated;
} mk_trace_rec;

/* Record this thread's REST sends into rec for request req, as long as the
 * request's SOAP user (known after authentication) has trace on. */
void mk_trace_begin(mk_trace_rec *rec, const struct mk_request *req);
/* Stop recording; rec->text stays (mk_buf_take it, or mk_trace_free). */
void mk_trace_end(mk_trace_rec *rec);
void mk_trace_free(mk_trace_rec *rec);
/* Did the request's user have trace on? */
int mk_trace_allowed(const struct mk_request *req);

/* ---- keeping transcripts until fetched ---------------------------------- */

typedef struct mk_tracestore mk_tracestore;

int mk_tracestore_new(mk_tracestore **out);
void mk_tracestore_free(mk_tracestore *s);
/* Keep text (taken) and write its id (32 hex digits) into id[33].
 * 0, or -1 (text is freed). */
int mk_tracestore_put(mk_tracestore *s, char *text, char id[33]);
/* A copy of the transcript with this id (malloc'd), NULL if unknown/expired. */
char *mk_tracestore_get(mk_tracestore *s, const char *id);

#endif
