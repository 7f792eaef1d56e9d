/*
 * usagelog.h — the usage log: one JSON object per SOAP request (JSON
 * lines), for operators grepping and for `mktows-shim report`, which plans
 * a migration from it.  It is both the structured access log an operator
 * asks for and the migration workbench's input: one format, not two.
 *
 * A line holds who called what and what it cost, never lead data and never
 * a secret: time, SOAP user id, operation, WSDL version path, client
 * address, HTTP status, fault code, latency, records in and out, bytes, and
 * the REST calls made (method, path template, sends, Marketo code).  The
 * field list is README.md's "Usage log".
 *
 * Thread-safety: any worker may write; a line is one write(2) on an
 * O_APPEND descriptor under the log's mutex, so lines never interleave and
 * a reopen (log rotation) swaps descriptors between two lines.
 */
#ifndef MK_SERVER_USAGELOG_H
#define MK_SERVER_USAGELOG_H

#include <stddef.h>
#include <time.h>

struct mk_request;

typedef struct mk_usagelog mk_usagelog;

/* Open the log at where: a file path (appended to, created 0640) or
 * "stderr".  Returns 0 and *out, or -1 with a message in err. */
int mk_usagelog_open(const char *where, mk_usagelog **out, char *err, size_t errlen);

/* Reopen the file under its name (rotation).  0, or -1 when it cannot be
 * opened; the old descriptor is then kept.  "stderr" is never reopened. */
int mk_usagelog_reopen(mk_usagelog *l);

void mk_usagelog_close(mk_usagelog *l);

/* What the HTTP side knows about one SOAP request. */
typedef struct mk_usage_entry {
    struct timespec received;        /* CLOCK_REALTIME at receipt */
    long latency_ms;
    const char *version;             /* "3_1" */
    const char *client;              /* numeric client address, "" if unknown */
    unsigned http_status;
    const char *request;             /* the SOAP request and answer, for */
    size_t request_len;              /* counting records; nothing of them */
    const char *response;            /* is written */
    size_t response_len;
    const char *trace_id;            /* REST transcript id, NULL if none */
} mk_usage_entry;

/* Write the line of request req (after it was answered).  0 or -1. */
int mk_usagelog_write(mk_usagelog *l, const mk_usage_entry *e, const struct mk_request *req);

/* Records a request carries in and an answer out: elements of the record
 * kinds (leadRecord, leadKey, mObject, customObj, activityRecord, ...). */
long mk_usage_records_in(const char *xml, size_t len);
long mk_usage_records_out(const char *xml, size_t len);

#endif
