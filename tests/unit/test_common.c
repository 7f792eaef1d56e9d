/*
 * test_common.c — unit tests of decide-then-fault (src/ops/core/common.c):
 * a failure decided while the caller holds failures is not raised (the
 * soap context and the request stay clean), and raising it afterwards, or
 * passing it to an outer hold first, gives exactly the fault the raising
 * helpers give (same code, same text: the wire does not change); the
 * partial-write fault is built from the held failure, keeping its code and
 * what REST said.  Real gSOAP contexts and the repository's mapping tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "soapH.h"
#include "mapping/mapping.h"
#include "ops/core/common.h"
#include "testsupport.h"

static mk_mapping *tables;

typedef struct ctx {
    struct soap *soap;
    mk_services svc;
    mk_op op;
} ctx;

static void ctx_open(ctx *c)
{
    memset(c, 0, sizeof *c);
    c->soap = soap_new();
    assert_non_null(c->soap);
    c->svc.mapping = tables;
    c->op.soap = c->soap;
    c->op.svc = &c->svc;
}

static void ctx_close(ctx *c)
{
    soap_destroy(c->soap);
    soap_end(c->soap);
    soap_free(c->soap);
}

/* The fault as a client reads it: faultstring and the detail's message. */
static void fault_of(const ctx *c, char *buf, size_t len)
{
    assert_int_equal(c->soap->error, SOAP_FAULT);
    assert_non_null(c->soap->fault);
    snprintf(buf, len, "%s | %s", c->soap->fault->faultstring,
             c->soap->fault->detail ? c->soap->fault->detail->__any : "");
}

static mk_rest_result rest_failure(int code, const char *message)
{
    mk_rest_result res;
    memset(&res, 0, sizeof res);
    res.error_code = code;
    res.http_status = 200;
    snprintf(res.error_message, sizeof res.error_message, "%s", message);
    return res;
}

/* Held: nothing raised; raised later: the same fault as raising at once. */
static void test_held_then_raised_is_the_same_fault(void **state)
{
    (void)state;
    mk_rest_result res = rest_failure(1013, "Object not found");
    ctx direct, held;
    ctx_open(&direct);
    ctx_open(&held);

    assert_int_equal(mk_ops_rest_fault_in(&direct.op, "list", MK_REST_ERR_API, &res,
                                          "listOperation: add"), SOAP_FAULT);
    char want[2048], got[2048];
    fault_of(&direct, want, sizeof want);

    mk_ops_failure f;
    mk_ops_failure *outer = mk_ops_hold(&held.op, &f);
    assert_null(outer);
    assert_int_equal(mk_ops_rest_fault_in(&held.op, "list", MK_REST_ERR_API, &res,
                                          "listOperation: add"), SOAP_FAULT);
    mk_ops_unhold(&held.op, outer);
    assert_int_equal(held.soap->error, SOAP_OK);   /* decided, not raised */
    assert_null(held.soap->fault);
    assert_int_not_equal(f.code, 0);
    assert_int_equal(f.rest_code, 1013);
    assert_string_equal(f.rest_message, "Object not found");
    assert_non_null(strstr(f.text, "Marketo REST error 1013: Object not found"));

    assert_int_equal(mk_ops_raise(&held.op, &f), SOAP_FAULT);
    fault_of(&held, got, sizeof got);
    assert_string_equal(got, want);
    ctx_close(&direct);
    ctx_close(&held);
}

/* Holds nest: an inner raise goes to the outer hold, not to the client;
 * mk_ops_fail_after keeps what REST said for the outer hold. */
static void test_nested_holds(void **state)
{
    (void)state;
    ctx c;
    ctx_open(&c);
    mk_rest_result res = rest_failure(1013, "List not found");
    mk_ops_failure outer_f, inner_f;
    mk_ops_failure *o1 = mk_ops_hold(&c.op, &outer_f);
    mk_ops_failure *o2 = mk_ops_hold(&c.op, &inner_f);
    assert_ptr_equal(o2, &outer_f);
    mk_ops_rest_fault_in(&c.op, "list", MK_REST_ERR_API, &res, "x");
    mk_ops_unhold(&c.op, o2);
    assert_int_equal(mk_ops_fail_after(&c.op, &inner_f, MK_ERR_LIST_NOT_FOUND,
                                       "Static list not found: %s", "Newsletter"), SOAP_FAULT);
    mk_ops_unhold(&c.op, o1);
    assert_int_equal(c.soap->error, SOAP_OK);
    assert_int_equal(outer_f.code, MK_ERR_LIST_NOT_FOUND);
    assert_string_equal(outer_f.text, "Static list not found: Newsletter");
    assert_int_equal(outer_f.rest_code, 1013);
    assert_string_equal(outer_f.rest_message, "List not found");

    /* An inner failure raised into the outer hold is copied whole. */
    mk_ops_failure a, b;
    o1 = mk_ops_hold(&c.op, &a);
    o2 = mk_ops_hold(&c.op, &b);
    mk_ops_fail(&c.op, MK_ERR_BAD_PARAMETER, "bad %d", 7);
    mk_ops_unhold(&c.op, o2);
    assert_int_equal(mk_ops_raise(&c.op, &b), SOAP_FAULT);
    mk_ops_unhold(&c.op, o1);
    assert_int_equal(c.soap->error, SOAP_OK);
    assert_int_equal(a.code, MK_ERR_BAD_PARAMETER);
    assert_string_equal(a.text, "bad 7");

    /* Nothing held: nothing to raise, the client's fault is what failed. */
    mk_ops_failure none;
    mk_ops_hold(&c.op, &none);
    mk_ops_unhold(&c.op, NULL);
    assert_int_equal(mk_ops_raise(&c.op, &none), SOAP_FAULT);
    assert_int_equal(c.soap->error, SOAP_OK);
    ctx_close(&c);
}

/* The partial-write fault keeps the held code and says what REST said. */
static void test_partial_fault_from_the_failure(void **state)
{
    (void)state;
    ctx c, d;
    ctx_open(&c);
    ctx_open(&d);
    mk_rest_result res = rest_failure(606, "Max rate limit '100' exceeded with in '20' secs");
    mk_ops_failure f;
    mk_ops_failure *outer = mk_ops_hold(&c.op, &f);
    mk_ops_rest_fault_in(&c.op, "list", MK_REST_ERR_API, &res, "listOperation: add");
    mk_ops_unhold(&c.op, outer);
    assert_int_equal(mk_ops_partial_fault(&c.op, &f, "listOperation: add", 300, 750, "leads"),
                     SOAP_FAULT);
    char got[2048], want[2048];
    fault_of(&c, got, sizeof got);
    /* What the partial fault must read like, raised directly. */
    mk_fault(d.soap, f.code,
             "listOperation: add: Marketo REST failed after 300 of 750 leads had been changed; "
             "those changes stay (REST has no transactions). Marketo said: %s",
             res.error_message);
    fault_of(&d, want, sizeof want);
    assert_string_equal(got, want);
    char code[16];
    snprintf(code, sizeof code, "%d - ", f.code);
    assert_true(strncmp(c.soap->fault->faultstring, code, strlen(code)) == 0);
    ctx_close(&c);
    ctx_close(&d);
}

/* A long text is cut where mk_fault cuts it, never inside a UTF-8
 * sequence, so raising the held text gives the same bytes. */
static void test_long_text_cut_like_mk_fault(void **state)
{
    (void)state;
    char name[1500];
    size_t n = 0;
    while (n + 2 < sizeof name - 1) {
        name[n++] = (char)0xC3;   /* "é" */
        name[n++] = (char)0xA9;
    }
    name[n] = '\0';
    ctx direct, held;
    ctx_open(&direct);
    ctx_open(&held);
    mk_fault(direct.soap, MK_ERR_BAD_PARAMETER, "x%s", name);
    mk_ops_failure f;
    mk_ops_hold(&held.op, &f);
    mk_ops_fail(&held.op, MK_ERR_BAD_PARAMETER, "x%s", name);
    mk_ops_unhold(&held.op, NULL);
    mk_ops_raise(&held.op, &f);
    char want[4096], got[4096];
    fault_of(&direct, want, sizeof want);
    fault_of(&held, got, sizeof got);
    assert_string_equal(got, want);
    ctx_close(&direct);
    ctx_close(&held);
}

int main(void)
{
    char dir[4096], err[600] = {0};
    snprintf(dir, sizeof dir, "%s/mapping", ts_env("MKTOWS_SOURCE_DIR"));
    if (mk_mapping_load(dir, &tables, err, sizeof err) != 0) {
        fprintf(stderr, "test_common: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_held_then_raised_is_the_same_fault),
        cmocka_unit_test(test_nested_holds),
        cmocka_unit_test(test_partial_fault_from_the_failure),
        cmocka_unit_test(test_long_text_cut_like_mk_fault),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mk_mapping_free(tables);
    return rc;
}
