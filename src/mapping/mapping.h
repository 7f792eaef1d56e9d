/*
 * mapping.h — the declarative SOAP <-> REST tables, loaded once at start-up.
 *
 * The tables are data (the JSON files in mapping/ of the source tree) so that dispatch,
 * MIGRATION.md's summary and the shim's own explanations all read the same
 * facts:
 *
 *   operations.json  the 23 mktows operations: family, handler, status,
 *                    the REST calls each becomes, calls per SOAP call,
 *                    behavioural differences
 *   lead_keys.json   SOAP LeadKeyRef -> REST filterType (reads; no SOAP
 *                    operation syncs by a LeadKeyRef)
 *   statuses.json    SOAP <-> REST status values, per place they meet
 *   errors.json      REST failures -> SOAP fault code + retry policy (the
 *                    codes' texts are faults.c's, checked on load)
 *   fields.json      standard lead fields, SOAP name <-> REST name (the
 *                    fallback when describe.json cannot be read)
 *
 * mk_mapping_load() reads and validates all five strictly (unknown members,
 * unknown or duplicate operations / key types, wrong types are errors) and
 * returns a message naming the file and the entry on the first problem, so
 * a broken table stops start-up with a clear reason.  A loaded mk_mapping
 * is immutable and may be read from any number of threads; every string it
 * hands out lives as long as the mapping.
 */
#ifndef MK_MAPPING_H
#define MK_MAPPING_H

#include <stddef.h>

#include "rest/rest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mk_mapping mk_mapping;

/* ---- loading ----------------------------------------------------------- */

/* The directory mk_mapping_load() is meant to read when the configuration
 * names none: share/mktows-shim/mapping found beside the library or the
 * program, else under the configured install prefix (base/datapath.c; a
 * build tree stages it the same way). */
const char *mk_mapping_default_dir(void);

/* Load and validate the five tables from dir.  Returns 0 and *out, or -1
 * with a message in err such as
 *   "mapping/operations.json: operations[4] (mergeLeads): unknown member \"foo\"".
 * err may be NULL. */
int mk_mapping_load(const char *dir, mk_mapping **out, char *err, size_t errlen);

/* Free a mapping.  NULL is ignored. */
void mk_mapping_free(mk_mapping *m);

/* ---- operations -------------------------------------------------------- */

/* Is name one of the 23 operations of the mktows WSDL?  (Pure; no mapping
 * needed.) */
int mk_mapping_is_wsdl_operation(const char *name);

typedef enum mk_mapping_op_status {
    MK_MAPPING_UNSUPPORTED = 0,   /* dispatch answers fault 20019 */
    MK_MAPPING_IMPLEMENTED = 1
} mk_mapping_op_status;

/* One REST call an operation may make. */
typedef struct mk_mapping_rest_call {
    const char *method;   /* "GET", "POST", "DELETE" */
    const char *path;     /* template, e.g. "/rest/v1/lists/{listId}/leads.json" */
    const char *purpose;
    const char *when;     /* condition, NULL when always made */
} mk_mapping_rest_call;

typedef struct mk_mapping_op {
    const char *name;           /* "getLead" */
    const char *family;         /* leads, activities, lists, campaigns, mobjects,
                                   customobjects, assets, import */
    const char *handler;        /* C handler name, e.g. "mk_op_get_lead" */
    const char *summary;
    mk_mapping_op_status status;
    const mk_mapping_rest_call *rest;
    size_t nrest;
    int calls_min;              /* REST calls per SOAP call */
    int calls_typical;
    int calls_max;              /* -1: no fixed bound */
    const char *calls_note;     /* "" when none */
    const char *const *differences;
    size_t ndifferences;
} mk_mapping_op;

/* Number of operations (always MK_OPERATION_COUNT, mk_operations.h, once
 * loaded). */
size_t mk_mapping_op_count(const mk_mapping *m);

/* The i-th operation in table order, NULL when out of range. */
const mk_mapping_op *mk_mapping_op_at(const mk_mapping *m, size_t i);

/* The operation called name (exact, case-sensitive), NULL if none. */
const mk_mapping_op *mk_mapping_op_by_name(const mk_mapping *m, const char *name);

/* Override an operation's status, e.g. when the server finds a handler
 * registered for it.  Only before the mapping is shared between threads.
 * Returns 0, or -1 if there is no such operation. */
int mk_mapping_set_op_status(mk_mapping *m, const char *name, mk_mapping_op_status st);

/* ---- lead keys --------------------------------------------------------- */

typedef struct mk_mapping_lead_key {
    const char *soap;          /* LeadKeyRef value, e.g. "SFDCLEADID" */
    int supported;
    const char *filter_type;   /* REST filterType, NULL when unsupported */
    const char *note;          /* "" when none */
    const char *reason;        /* why unsupported, NULL when supported */
} mk_mapping_lead_key;

/* The entry for a SOAP key type (exact match), NULL if unknown. */
const mk_mapping_lead_key *mk_mapping_lead_key_get(const mk_mapping *m, const char *soap_key_type);

/* ---- statuses ---------------------------------------------------------- */

/* SOAP value for REST status rest_status in group (e.g. "lead_sync",
 * "skipped" -> "FAILED").  reason_code is the record's first reasons[].code
 * (0 if none); an entry for that exact reason wins over the generic one.
 * NULL when the group or value is unknown. */
const char *mk_mapping_status_to_soap(const mk_mapping *m, const char *group,
                                      const char *rest_status, int reason_code);

/* REST value for SOAP value soap_value in group (e.g. "sync_operation",
 * "UPSERT" -> "createOrUpdate"); the first generic entry wins.  NULL when
 * unknown. */
const char *mk_mapping_status_to_rest(const mk_mapping *m, const char *group,
                                      const char *soap_value);

/* ---- errors ------------------------------------------------------------ */

typedef enum mk_mapping_retry {
    MK_MAPPING_RETRY_NO = 0,
    MK_MAPPING_RETRY_REAUTH,      /* renew the token, replay once (the client does) */
    MK_MAPPING_RETRY_BACKOFF,     /* retry with exponential backoff */
    MK_MAPPING_RETRY_AFTER_RESET  /* not before the daily quota resets */
} mk_mapping_retry;

typedef enum mk_mapping_err_source {
    MK_MAPPING_SRC_API = 0,    /* errors[].code / reasons[].code */
    MK_MAPPING_SRC_HTTP,       /* HTTP status */
    MK_MAPPING_SRC_AUTH,       /* identity refused the credentials */
    MK_MAPPING_SRC_TRANSPORT,  /* no HTTP answer */
    MK_MAPPING_SRC_TIMEOUT
} mk_mapping_err_source;

typedef struct mk_mapping_fault {
    int soap_code;             /* Marketo SOAP fault code; 0 for "no fault" */
    mk_mapping_retry retry;
    const char *note;          /* "" when none */
    int matched;               /* 1: a table entry matched; 0: the default */
} mk_mapping_fault;

/* Fault for a REST failure.  code is the API code or HTTP status (ignored
 * for AUTH/TRANSPORT/TIMEOUT).  context ("lead", "list", "campaign",
 * "program", "mobject", "customobject", "import" or NULL) picks a
 * context-specific code where the table has one (1013 on a list -> 20111). */
mk_mapping_fault mk_mapping_error_lookup(const mk_mapping *m, mk_mapping_err_source src,
                                         int code, const char *context);

/* Same, straight from a REST client outcome.  MK_REST_OK gives soap_code 0;
 * PARSE, INVALID and NOMEM give the default. */
mk_mapping_fault mk_mapping_error_for_rest(const mk_mapping *m, mk_rest_status st,
                                           const mk_rest_result *r, const char *context);

/* Short text of a SOAP fault code ("Lead not found"), NULL if the code is
 * not one of Marketo's.  Compiled in (faults.c), not loaded: errors.json
 * names codes, this says what they read. */
const char *mk_mapping_fault_text(int soap_code);

/* ---- fields ------------------------------------------------------------ */

typedef struct mk_mapping_field {
    const char *soap;     /* "FirstName" */
    const char *rest;     /* "firstName" */
    const char *display;  /* "First Name" */
    const char *type;     /* REST dataType, e.g. "string", "integer", "email" */
    int readonly;
} mk_mapping_field;

/* All fallback fields in table order; *n receives the count. */
const mk_mapping_field *mk_mapping_fields(const mk_mapping *m, size_t *n);

/* Field by SOAP name: exact match first, then ignoring ASCII case. */
const mk_mapping_field *mk_mapping_field_by_soap(const mk_mapping *m, const char *soap);

/* Field by REST name (exact). */
const mk_mapping_field *mk_mapping_field_by_rest(const mk_mapping *m, const char *rest);

#ifdef __cplusplus
}
#endif

#endif /* MK_MAPPING_H */
