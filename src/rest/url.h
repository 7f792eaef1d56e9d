/*
 * url.h — URL encoding, query strings and the request "plan" of the REST
 * client.
 *
 * Everything here is pure (no network, no locks) so that the rules that
 * decide what goes on the wire can be unit-tested on their own:
 *   - percent-encoding of names and values (RFC 3986 unreserved set kept),
 *   - building "a=1&b=2" from a list of pairs (repeated names allowed, as
 *     Marketo accepts ?id=1&id=2),
 *   - turning a logical request into the HTTP request to send, including
 *     Marketo's documented escape hatch for long GETs (its limit is 8 KB,
 *     HTTP 414): when the URI would be longer than the caller's max_uri,
 *     send POST <path>?_method=GET with the query moved into an
 *     application/x-www-form-urlencoded body.
 *
 * URLs and bodies are built in the library's byte buffer (base/buf.h).
 */
#ifndef MK_REST_URL_H
#define MK_REST_URL_H

#include <stddef.h>

#include "base/buf.h"
#include "rest.h"

/* Marketo rejects request URIs longer than 8 KB with HTTP 414: a longer GET
 * goes as POST <path>?_method=GET with the query in a form body. */
#define MK_REST_MAX_URI 8192

/* For the queries Marketo documents that form on (the lead database's:
 * the endpoint catalogue's query_in_body rows), the client switches from
 * 1 KB on.  A long URI is costly on the way out: libcurl parses it and
 * formats it again character by character several times per call, which
 * was 15 % of the shim's CPU for getLead's 1.4 KB fields list (issue 11,
 * lean-bench.sh); a body is copied once.  Elsewhere the form is only used
 * where a GET would be refused anyway. */
#define MK_REST_BODY_QUERY_URI 1024

/* Percent-encode len bytes of s onto b: A-Z a-z 0-9 - . _ ~ stay as they
 * are, every other byte becomes %XX (upper-case hex).  The same encoding is
 * used for query strings and form bodies.  Returns 0 or -1 (out of memory). */
int mk_rest_url_encode(mk_buf *b, const char *s, size_t len);

/* Append "n1=v1&n2=v2..." for the given pairs, each name and value
 * percent-encoded; a NULL value is sent as an empty value.  Nothing is
 * appended for n == 0.  Returns 0 or -1 (out of memory). */
int mk_rest_query_build(mk_buf *b, const mk_rest_param *params, size_t n);

/* The HTTP request the client will send for one mk_rest_req. */
typedef struct mk_rest_plan {
    const char *method;       /* "GET", "POST", "DELETE" (static string) */
    char *url;                /* full URL, heap */
    char *body;               /* request body or NULL, heap */
    size_t body_len;
    const char *content_type; /* static string, or the request's own, or NULL */
    int method_override;      /* 1 when a GET became POST ?_method=GET */
} mk_rest_plan;

/* Build the plan for req against base (e.g. "http://127.0.0.1:9090", no
 * trailing slash needed; one is never doubled).  A GET whose URL would be
 * longer than max_uri bytes becomes POST <path>?_method=GET with the query
 * in a form body; max_uri 0 means MK_REST_MAX_URI.  JSON bodies are
 * serialised unformatted.  Returns MK_REST_OK, MK_REST_ERR_INVALID (bad
 * request: no path, path without leading '/', GET with a body, two bodies)
 * or MK_REST_ERR_NOMEM.  On success free with mk_rest_plan_free(). */
mk_rest_status mk_rest_plan_build(const char *base, const mk_rest_req *req,
                                  size_t max_uri, mk_rest_plan *plan);

/* Free what mk_rest_plan_build() allocated; safe on a zeroed plan. */
void mk_rest_plan_free(mk_rest_plan *plan);

/* Derive the stats key of a path: the path template if the request named
 * one, else the path with every all-digit segment (before ".json") replaced
 * by "{id}", e.g. "/rest/v1/lists/12/leads.json" -> "/rest/v1/lists/{id}/leads.json".
 * Writes at most outlen bytes (always NUL-terminated, truncating). */
void mk_rest_path_template(const char *path, char *out, size_t outlen);

#endif /* MK_REST_URL_H */
