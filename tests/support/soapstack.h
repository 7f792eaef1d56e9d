/*
 * soapstack.h — what every end-to-end test of a SOAP operation needs: a
 * marketo-emulator with a mktows-shim in front of it (both real programs on
 * free ports, the shim configured from a temporary file), SOAP envelopes
 * signed the way Marketo documents it, the call and its answer or fault
 * checked, the answer's XML read, and what the shim did read back through
 * the emulator (its REST API, its call counts).
 *
 * A suite keeps one ss_stack (static), starts it in its group setup and
 * hands it to cmocka as the group's state, which the shared fixtures use:
 *
 *     static ss_stack stack;
 *     static int group_setup(void **state)
 *     {
 *         ss_options o = {.version = "2_9", .config = "{\"workers\": 4}",
 *                         .warmup = SS_GET_LEAD_1};
 *         *state = &stack;
 *         return ss_start(&stack, &o);
 *     }
 *     ...
 *         cmocka_unit_test_setup(test_something, ss_test_reset),
 *     ...
 *     return ts_run_tests(tests, group_setup, ss_group_teardown);
 *
 * Everything that can fail inside a test fails it through cmocka (the
 * calls return what the test reads next), except ss_start / ss_stop /
 * ss_reset and the fixtures, which return 0 or -1 as cmocka's fixtures do,
 * and ss_envelope, which threads may call (cmocka's assertions belong to
 * the main thread).
 *
 * The XML readers are deliberately simple: the shim writes no CDATA,
 * comments or insignificant whitespace, and only xsi:nil / xsi:type as
 * attributes.  An element is found by its name as written ("leadRecord",
 * not "ns1:successGetLead" unless asked for), with or without attributes,
 * and xsi:nil="true" reads as absent.
 */
#ifndef SOAPSTACK_H
#define SOAPSTACK_H

#include <stdbool.h>
#include <time.h>

#include "testsupport.h"

/* The SOAP user of Marketo's documentation examples, configured by default. */
#define SS_USER "bigcorp1_461839624B16E06BA2D663"
#define SS_KEY "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
#define SS_NS "http://www.marketo.com/mktows/"
#define SS_MAX_USERS 4

/* A call that reads lead 1 of the emulator's seed: a harmless warm-up. */
#define SS_GET_LEAD_1                                                                         \
    "<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey>" \
    "</ns1:paramsGetLead>"

typedef struct ss_user {
    const char *id, *key;
} ss_user;

typedef struct ss_options {
    /* marketo-emulator: options beyond --listen/--client-id/--client-secret
     * (NULL-terminated, may be NULL; copied), and a seed (taken; NULL: the
     * emulator's built-in one).  no_emulator: the shim alone, its REST
     * endpoint a closed port. */
    const char *const *emulator_args;
    cJSON *seed;
    bool no_emulator;
    /* mktows-shim: its SOAP users (none given: SS_USER with SS_KEY; the
     * first signs ss_call), members merged into the minimal configuration
     * (a JSON object's text, may be NULL; an object member is merged member
     * by member, so "{\"rest\": {\"rate_limit\": 5}}" keeps the endpoint),
     * and whether it gets an import_db of its own (removed by ss_stop). */
    ss_user users[SS_MAX_USERS];
    const char *config;
    bool import_db;
    /* The endpoint version calls are posted to (/soap/mktows/<version>);
     * NULL: "3_1".  warmup: the call ss_test_reset makes after a reset (may
     * be NULL). */
    const char *version;
    const char *warmup;
} ss_options;

typedef struct ss_stack {
    ts_proc emu, shim;
    bool emu_up, shim_up;
    char **emulator_args;     /* copied from the options */
    ss_user users[SS_MAX_USERS];
    char *config_extra, *version, *warmup;
    bool no_emulator;
    char *seed_path, *config_path, *db_path;
    char *token;              /* a REST token of the emulator's, to read it with */
    /* The X-Mktows-Rest-Calls header of the last SOAP answer: the count of
     * REST calls the shim made for it (0 when absent) and the whole value
     * ("3; GET /rest/v1/…; …", "" when absent). */
    int rest_calls;
    char *rest_trace;
} ss_stack;

/* ---- the programs ------------------------------------------------------------------ */

/* Start the emulator (unless no_emulator), then the shim configured for it.
 * Returns 0, or -1 when either does not come up. */
int ss_start(ss_stack *s, const ss_options *o);
/* Stop both and remove the temporary files; 0 when every program that ran
 * exited cleanly on SIGTERM (no sanitizer report). */
int ss_stop(ss_stack *s);

/* Stop the shim alone (returns its exit status as ts_proc_stop does), and
 * start it again on the same configuration (its import_db included). */
int ss_shim_stop(ss_stack *s);
int ss_shim_start(ss_stack *s);

/* Stop the emulator alone (its exit status), and start it again on the
 * port it had, with the options it had and seed_path as its seed (NULL: the
 * seed it started with); waits while the port lingers, renews s->token.
 * ss_emulator_restart does both and fails the test if either fails. */
int ss_emulator_stop(ss_stack *s);
int ss_emulator_start(ss_stack *s, const char *seed_path);
void ss_emulator_restart(ss_stack *s, const char *seed_path);

/* The shim's configuration with `extra` (JSON object text, may be NULL)
 * merged in, as text (malloc'd): to start a shim of a test's own. */
char *ss_config_text(const ss_stack *s, const char *extra);
/* The JSON object `base` with the members of `more` (may be NULL) merged in
 * the same way, as text (malloc'd). */
char *ss_json_merged(const char *base, const char *more);

/* Back to the seed (POST /_emulator/reset), a fresh s->token, and then the
 * warm-up call (may be NULL): the reset also forgets the shim's REST token,
 * so one call lets the shim renew it and the calls counted afterwards are
 * the operation's own.  0, or -1 when no token could be had. */
int ss_reset(ss_stack *s, const char *warmup_body);

/* cmocka fixtures for a suite whose group setup put its stack in *state:
 * the group teardown (ss_stop), and a test's setup that resets the stack
 * with the warm-up call of its options (ss_reset). */
int ss_group_teardown(void **state);
int ss_test_reset(void **state);

/* The repository's emulator seed (emulator/seed/default.json), parsed. */
cJSON *ss_default_seed(void);
/* Write seed (taken) to a temporary file; its path (malloc'd). */
char *ss_seed_file(cJSON *seed);

/* ---- SOAP -------------------------------------------------------------------------- */

/* now + offset_seconds as "2026-11-28T11:50:53+00:00". */
void ss_timestamp(char *buf, size_t len, long offset_seconds);

/* A SOAP 1.1 envelope (prefixes SOAP-ENV and ns1, xsi declared) whose
 * AuthenticationHeader is signed for user with key at timestamp ts, with
 * more header XML after it (may be NULL) and body as the Body's content.
 * malloc'd; NULL if it could not be signed.  Safe in any thread. */
char *ss_envelope(const char *user, const char *key, const char *ts, const char *header,
                  const char *body);

/* POST an envelope to the shim's /soap/mktows/<version>, as a SOAP 1.1
 * client does (text/xml, SOAPAction ""); records s->rest_calls/rest_trace and
 * fails the test when the REST calls it reports are not among the
 * operation's rest[] in operations.json or exceed its calls.max
 * (resthonesty.h). */
void ss_post_xml(ss_stack *s, const char *xml, ts_http_resp *r);
/* Fail the test unless every line of a usage log (a test's own usage_log;
 * the shim writes over it when MKTOWS_USAGE_LOG is set, so such a test
 * unsets it) passes the same check. */
void ss_assert_usage_log_honest(const char *path);
/* POST body signed now, as the first user or as user/key with more header XML. */
void ss_post(ss_stack *s, const char *body, ts_http_resp *r);
void ss_post_as(ss_stack *s, const char *user, const char *key, const char *header,
                const char *body, ts_http_resp *r);

/* A call that must answer HTTP 200 without a SOAP Header; the answer's
 * body (caller frees). */
char *ss_call(ss_stack *s, const char *body);
char *ss_call_as(ss_stack *s, const char *user, const char *key, const char *header,
                 const char *body);

/* r must be a Marketo fault with this code, as Marketo sent it: HTTP 500,
 * text/xml, faultcode SOAP-ENV:Client or SOAP-ENV:Server, faultstring
 * "<code> - …", detail serviceException named mktServiceException with
 * <code>, and no SOAP Header. */
void ss_expect_fault(const ts_http_resp *r, int code);
/* A call that must answer fault `code`; the fault's body (caller frees). */
char *ss_call_fault(ss_stack *s, const char *body, int code);
char *ss_call_fault_as(ss_stack *s, const char *user, const char *key, const char *header,
                       const char *body, int code);
/* The same, the fault also saying `words` (NULL: anything); frees it. */
void ss_expect_call_fault(ss_stack *s, const char *body, int code, const char *words);

/* ---- the emulator's side ---------------------------------------------------------------- */

/* A REST call with s->token that must answer HTTP 200 with success true;
 * the whole answer (caller frees). */
cJSON *ss_rest(ss_stack *s, const char *method, const char *path, const char *json);
/* GET path; its result array, detached (an empty array when it has none). */
cJSON *ss_rest_result(ss_stack *s, const char *path);
/* Calls the emulator counted for a route ("GET /rest/v1/leads.json"). */
long ss_emu_calls(ss_stack *s, const char *route);
/* POST to the emulator's own endpoints ("/_emulator/faults", json). */
void ss_emu_admin(ss_stack *s, const char *path, const char *json);

/* The shim's own REST client (src/rest) pointed at an emulator started by
 * ts_emulator_start (client "test-id"), for tests of the layers below the
 * SOAP side.  timeout_ms: the client's whole-call cap.  0 or -1 (the
 * reason on stderr); free with mk_rest_client_free. */
struct mk_rest_client;
int ss_rest_client(const ts_proc *emu, long timeout_ms, struct mk_rest_client **out);

/* ---- reading answers ---------------------------------------------------------------------- */

/* Text of the first / k-th (0-based) <tag> of xml, entities decoded
 * (malloc'd); NULL when there is none or it is xsi:nil. */
char *ss_xml_text(const char *xml, const char *tag);
char *ss_xml_text_k(const char *xml, const char *tag, int k);
/* What is between the k-th <tag> and its end tag, as written (malloc'd):
 * a record to read further; NULL as ss_xml_text_k. */
char *ss_xml_inner(const char *xml, const char *tag, int k);
/* The first <tag>'s number; fails the test when there is none. */
long long ss_xml_num(const char *xml, const char *tag);
/* Is the first <tag> present with xsi:nil="true"?  Is there a <tag> at all? */
bool ss_xml_is_nil(const char *xml, const char *tag);
bool ss_xml_has(const char *xml, const char *tag);
/* Every <tag>…</tag> element of xml (tags included) as a new string; *n
 * receives the count.  Free with ss_xml_free_all. */
char **ss_xml_all(const char *xml, const char *tag, int *n);
void ss_xml_free_all(char **v, int n);

/* The attrValue of the <attribute> whose attrName is name (lead records,
 * activity records, custom objects); the value of the <attrib> whose name
 * is name (MObjects).  NULL when there is none. */
char *ss_xml_attr(const char *record, const char *name);
char *ss_xml_attrib(const char *object, const char *name);

/* Fail the test unless the first <tag> of xml, the attribute or the attrib
 * `name` has exactly the text want. */
void ss_assert_text(const char *xml, const char *tag, const char *want);
void ss_assert_attr(const char *record, const char *name, const char *want);
void ss_assert_attrib(const char *object, const char *name, const char *want);

/* Seconds since the epoch of an xs:dateTime the shim wrote; fails the test
 * if it is not one.  And t as "2026-05-01T10:00:00Z" (malloc'd). */
time_t ss_time(const char *iso);
char *ss_iso(time_t t);

#endif
