/*
 * http.h — requests and answers as the emulator's handlers see them, and the
 * helpers that read a request and write the Marketo envelope.  Bottom layer:
 * it includes nothing of the emulator's, so every other file may use it.
 *
 * Handlers never see libmicrohttpd: server.c turns a connection into an
 * emu_req (parameters from the query string and form bodies, the raw body,
 * the parsed JSON body) and an emu_resp back into bytes, with the helpers
 * below.
 */
#ifndef EMU_HTTP_H
#define EMU_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* ---- parameters ------------------------------------------------------------ */

/* The query and form parameters of one request, in the order received, and
 * the strings emu_param_list handed out (freed with the table). */
typedef struct emu_params {
    struct emu_param_kv { char *k, *v; } *kv;
    int n, cap;
    char **joined;
    int njoined;
} emu_params;

/* Add the parameters of `s` (application/x-www-form-urlencoded: a query
 * string without its '?', or a form body).  0, or -1 when memory ran out
 * (the parameters read so far are kept). */
int emu_params_parse(emu_params *p, const char *s, size_t n);
void emu_params_free(emu_params *p);

/* ---- requests and responses -------------------------------------------- */

#define EMU_MAX_CAPTURES 4

typedef struct emu_req {
    const char *method;      /* after the _method override: GET, POST, DELETE */
    const char *path;        /* without the query string */
    const char *captures[EMU_MAX_CAPTURES]; /* {param} segments of the route, in order */
    int ncaptures;
    const char *body;        /* raw body (NUL-terminated), may be NULL */
    size_t body_len;
    const char *content_type;/* Content-Type header, may be NULL */
    cJSON *json;             /* parsed body when Content-Type is JSON, else NULL */
    emu_params *params;      /* query and form parameters */
} emu_req;

/* A query or form parameter (form bodies of POST ?_method=GET included).
 * Returns NULL when absent.  For repeated parameters (id=1&id=2) this is the
 * first one; emu_param_list() joins all of them with commas, which is how
 * Marketo treats both forms. */
const char *emu_param(const emu_req *r, const char *name);
/* Comma-joined values of a parameter that may be repeated or comma-separated;
 * returned string is owned by the request (freed with it).  NULL if absent
 * (or if memory ran out). */
const char *emu_param_list(const emu_req *r, const char *name);

typedef enum {
    EMU_BODY_ENVELOPE = 0, /* wrap result/errors into the Marketo envelope */
    EMU_BODY_RAW           /* send raw/raw_type as is (CSV files, identity JSON) */
} emu_body_kind;

typedef struct emu_resp {
    int http_status;         /* 200 unless set */
    emu_body_kind kind;
    cJSON *result;           /* array; owned by resp; NULL → no "result" member */
    const char *error_code;  /* response-level error ("1003", "610"...): success:false */
    char error_message[256];
    cJSON *warnings;         /* array or NULL */
    int more_result;         /* -1 absent, 0 false, 1 true */
    char *next_page_token;   /* malloc'd or NULL */
    cJSON *extra;            /* extra top-level members (e.g. batchId), object or NULL */
    char *raw;               /* EMU_BODY_RAW: malloc'd body */
    size_t raw_len;
    const char *raw_type;    /* EMU_BODY_RAW: content type */
} emu_resp;

#define EMU_RESP_INIT {.more_result = -1}

/* Set a response-level error (success:false, errors:[{code,message}]). */
void emu_fail(emu_resp *resp, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A raw JSON answer (identity, /_emulator/…): `body` (taken) printed as is
 * with HTTP `status`, outside the Marketo envelope. */
void emu_resp_json(emu_resp *resp, int status, cJSON *body);

/* The bytes to send for `resp`: its raw body, or the Marketo envelope
 * {requestId, success, result|errors, warnings, <extra>, nextPageToken,
 * moreResult} with a fresh requestId.  Moves what it prints out of `resp`.
 * Returns a malloc'd body (caller frees) and fills its length, HTTP status
 * and content type; NULL when memory ran out. */
char *emu_resp_render(emu_resp *resp, size_t *len, int *status, const char **type);
void emu_resp_free(emu_resp *resp);

/* ---- bodies and headers --------------------------------------------------- */

/* The whole body as one JSON value, NULL when it is not one (cJSON alone
 * accepts a valid prefix followed by garbage). */
cJSON *emu_json_parse_whole(const char *body, size_t len);

/* Is the Content-Type `ct` the media type `type` (case-insensitive, with or
 * without parameters)?  False for a NULL `ct`. */
bool emu_content_type_is(const char *ct, const char *type);

#endif
