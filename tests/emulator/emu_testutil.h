/*
 * emu_testutil.h — small helpers for the marketo-emulator integration tests
 * (test_emu_*.c): one emulator per test group, REST calls with the group's
 * token, and accessors for the Marketo envelope.
 *
 * Header-only (static functions) so each test program stays one file plus
 * tests/support; unused helpers are marked so -Werror stays quiet.
 */
#ifndef EMU_TESTUTIL_H
#define EMU_TESTUTIL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testsupport.h"

#define UNUSED_OK __attribute__((unused))

typedef struct emu_fixture {
    ts_proc proc;
    char *token;
} emu_fixture;

/* Start an emulator with extra options (NULL-terminated) and get a token. */
static UNUSED_OK int emu_fixture_start(emu_fixture *f, const char *const extra[])
{
    memset(f, 0, sizeof *f);
    if (ts_emulator_start(&f->proc, extra))
        return -1;
    f->token = ts_emulator_token(&f->proc);
    return f->token ? 0 : -1;
}

/* Stop it; the exit status must be 0 (sanitizer reports make it non-zero). */
static UNUSED_OK int emu_fixture_stop(emu_fixture *f)
{
    free(f->token);
    f->token = NULL;
    return ts_proc_stop(&f->proc);
}

static UNUSED_OK void emu_refresh_token(emu_fixture *f)
{
    free(f->token);
    f->token = ts_emulator_token(&f->proc);
    assert_non_null(f->token);
}

static UNUSED_OK cJSON *emu_get(emu_fixture *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static UNUSED_OK cJSON *emu_get(emu_fixture *f, const char *fmt, ...)
{
    char path[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    long st = 0;
    cJSON *j = ts_rest(&f->proc, f->token, "GET", path, NULL, &st);
    assert_int_equal(st, 200);
    assert_non_null(j);
    return j;
}

static UNUSED_OK cJSON *emu_post(emu_fixture *f, const char *path, const char *json)
{
    long st = 0;
    cJSON *j = ts_rest(&f->proc, f->token, "POST", path, json, &st);
    assert_int_equal(st, 200);
    assert_non_null(j);
    return j;
}

/* Raw call with arbitrary headers; returns the HTTP status. */
static UNUSED_OK long emu_raw(emu_fixture *f, const char *method, const char *path,
                              const char *content_type, const char *body, size_t len,
                              cJSON **json_out)
{
    char url[20000], auth[300], ct[200];
    snprintf(url, sizeof url, "%s%s", f->proc.url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->token ? f->token : "");
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type ? content_type : "");
    const char *hdrs[] = {auth, content_type ? ct : NULL, NULL};
    ts_http_resp r;
    long st = ts_http(method, url, hdrs, body, len, &r) == 0 ? r.status : 0;
    if (json_out)
        *json_out = st ? ts_json(&r) : NULL;
    ts_http_free(&r);
    return st;
}

/* errors[0].code, or NULL on success. */
static UNUSED_OK const char *emu_err(const cJSON *j)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "success");
    if (cJSON_IsTrue(s))
        return NULL;
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
    return cJSON_IsString(c) ? c->valuestring : "?";
}

static UNUSED_OK const char *emu_err_msg(const cJSON *j)
{
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    return cJSON_IsString(m) ? m->valuestring : "";
}

#define assert_ok(j) assert_null(emu_err(j))
#define assert_code(j, code) assert_string_equal(emu_err(j) ? emu_err(j) : "(success)", code)

/* success:false with errors[0].code == code; frees j. */
static UNUSED_OK void emu_expect_error(cJSON *j, const char *code)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "success");
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
    const cJSON *cd = cJSON_GetObjectItemCaseSensitive(e, "code");
    if (!cJSON_IsFalse(s) || !cJSON_IsString(cd) || strcmp(cd->valuestring, code) != 0) {
        char *txt = cJSON_PrintUnformatted(j);
        fprintf(stderr, "expected error %s, got %s\n", code, txt ? txt : "?");
        free(txt);
    }
    assert_true(cJSON_IsFalse(s));
    assert_true(cJSON_IsString(cd));
    assert_string_equal(cd->valuestring, code);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")));
    cJSON_Delete(j);
}

static UNUSED_OK cJSON *emu_result(const cJSON *j)
{
    return cJSON_GetObjectItemCaseSensitive(j, "result");
}

static UNUSED_OK int emu_count(const cJSON *j) { return cJSON_GetArraySize(emu_result(j)); }

static UNUSED_OK const cJSON *emu_item(const cJSON *j, int i)
{
    return cJSON_GetArrayItem(emu_result(j), i);
}

static UNUSED_OK const char *emu_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static UNUSED_OK double emu_num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* reasons[0].code of a record-level skip. */
static UNUSED_OK const char *emu_reason(const cJSON *item)
{
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "reasons"), 0);
    return emu_str(r, "code");
}

static UNUSED_OK void emu_reset(emu_fixture *f)
{
    char url[300];
    snprintf(url, sizeof url, "%s/_emulator/reset", f->proc.url);
    ts_http_resp r;
    assert_int_equal(ts_http("POST", url, NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    ts_http_free(&r);
    emu_refresh_token(f); /* reset forgets tokens */
}

static UNUSED_OK cJSON *emu_admin(emu_fixture *f, const char *method, const char *path,
                                  const char *json)
{
    char url[300];
    snprintf(url, sizeof url, "%s%s", f->proc.url, path);
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    ts_http_resp r;
    assert_int_equal(ts_http(method, url, hdrs, json, json ? strlen(json) : 0, &r), 0);
    assert_int_equal(r.status, 200);
    cJSON *j = ts_json(&r);
    ts_http_free(&r);
    assert_non_null(j);
    return j;
}

/* A position paging token for `offset`, spelled as the emulator spells them
 * (base32 of 'P' and the offset in 8 big-endian bytes, '=' as %3D), so a test
 * can send one the emulator never issued. */
static UNUSED_OK void emu_page_token_for(int64_t offset, char out[40])
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char in[9] = {'P'};
    for (int i = 0; i < 8; i++)
        in[1 + i] = (unsigned char)((uint64_t)offset >> (56 - 8 * i));
    unsigned buf = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < sizeof in; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32[(buf << (5 - bits)) & 31];
    snprintf(out + o, 40 - o, "%%3D"); /* padding to 16 characters */
}

static UNUSED_OK void emu_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
