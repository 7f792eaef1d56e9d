/*
 * test_importstore.c — the (program, list) -> import store behind
 * importToList / getImportToListStatus (src/ops/core/importstore.h): what is put
 * comes back, names match without regard to case, a new import replaces
 * the old one, the file survives closing and reopening (the shim restart),
 * a bad path fails at once when asked to (configured import_db) and on
 * first use otherwise, a file of another schema version is refused, and
 * threads may use one store together.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "ops/core/importstore.h"
#include "testsupport.h"

static char *temp_db(void)
{
    char *p = ts_write_temp(".sqlite", "");
    unlink(p);
    return p;
}

static void remove_db(char *p)
{
    char side[512];
    snprintf(side, sizeof side, "%s-wal", p);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", p);
    unlink(side);
    unlink(p);
    free(p);
}

static mk_import_rec bulk(int64_t list, int64_t batch, int rows)
{
    mk_import_rec r = {.list_id = list, .batch_id = batch, .rows = rows};
    snprintf(r.mode, sizeof r.mode, "UPSERTLEADS");
    snprintf(r.submitted_at, sizeof r.submitted_at, "2026-11-28T10:00:00Z");
    return r;
}

static void test_put_get_replace_case(void **state)
{
    (void)state;
    char err[256];
    mk_importstore *s = NULL;
    assert_int_equal(mk_importstore_new(":memory:", 1, &s, err, sizeof err), 0);
    mk_import_rec r;
    assert_int_equal(mk_importstore_get(s, "Trav-Demo-Program", "Trav-Test-List", &r, err,
                                        sizeof err), 0);
    mk_import_rec in = bulk(3005, 41, 2);
    assert_int_equal(mk_importstore_put(s, "Trav-Demo-Program", "Trav-Test-List", &in, err,
                                        sizeof err), 0);
    assert_int_equal(mk_importstore_get(s, "trav-demo-program", "TRAV-TEST-LIST", &r, err,
                                        sizeof err), 1);
    assert_int_equal(r.list_id, 3005);
    assert_int_equal(r.batch_id, 41);
    assert_int_equal(r.rows, 2);
    assert_string_equal(r.mode, "UPSERTLEADS");
    assert_string_equal(r.submitted_at, "2026-11-28T10:00:00Z");
    assert_string_equal(r.status, "");
    assert_null(r.summary);
    mk_import_rec_free(&r);

    /* Another list of the same program is another row. */
    assert_int_equal(mk_importstore_get(s, "Trav-Demo-Program", "Other", &r, err, sizeof err), 0);

    /* A LISTONLY import replaces the row and keeps its outcome. */
    mk_import_rec lo = {.list_id = 3005, .rows = 4, .rows_imported = 1, .rows_failed = 3};
    snprintf(lo.mode, sizeof lo.mode, "LISTONLY");
    snprintf(lo.status, sizeof lo.status, "COMPLETE");
    snprintf(lo.submitted_at, sizeof lo.submitted_at, "2026-11-28T11:00:00Z");
    snprintf(lo.ended_at, sizeof lo.ended_at, "2026-11-28T11:00:01Z");
    lo.summary = "1 of 4 rows added";
    assert_int_equal(mk_importstore_put(s, "TRAV-demo-program", "trav-test-list", &lo, err,
                                        sizeof err), 0);
    assert_int_equal(mk_importstore_get(s, "Trav-Demo-Program", "Trav-Test-List", &r, err,
                                        sizeof err), 1);
    assert_int_equal(r.batch_id, 0);
    assert_string_equal(r.mode, "LISTONLY");
    assert_string_equal(r.status, "COMPLETE");
    assert_int_equal(r.rows_imported, 1);
    assert_int_equal(r.rows_failed, 3);
    assert_string_equal(r.summary, "1 of 4 rows added");
    assert_string_equal(r.ended_at, "2026-11-28T11:00:01Z");
    mk_import_rec_free(&r);
    mk_importstore_free(s);
}

/* What the restart test relies on: close, reopen, the batch is there. */
static void test_survives_reopen(void **state)
{
    (void)state;
    char err[256], *path = temp_db();
    mk_importstore *s = NULL;
    assert_int_equal(mk_importstore_new(path, 0, &s, err, sizeof err), 0);
    assert_int_equal(access(path, F_OK), -1);   /* lazily opened */
    mk_import_rec in = bulk(3002, 9007199254740993LL, 1);   /* ids beyond 2^53 too */
    assert_int_equal(mk_importstore_put(s, "Spring Webinar", "Webinar Attendees", &in, err,
                                        sizeof err), 0);
    mk_importstore_free(s);

    assert_int_equal(mk_importstore_new(path, 1, &s, err, sizeof err), 0);
    mk_import_rec r;
    assert_int_equal(mk_importstore_get(s, "Spring Webinar", "Webinar Attendees", &r, err,
                                        sizeof err), 1);
    assert_int_equal(r.batch_id, 9007199254740993LL);
    assert_int_equal(r.list_id, 3002);
    mk_import_rec_free(&r);
    assert_string_equal(mk_importstore_path(s), path);
    mk_importstore_free(s);
    remove_db(path);
}

static void test_bad_path(void **state)
{
    (void)state;
    char err[256] = "";
    mk_importstore *s = NULL;
    const char *bad = "/nonexistent-dir-for-mktows/imports.sqlite";
    assert_int_equal(mk_importstore_new(bad, 1, &s, err, sizeof err), -1);
    assert_null(s);
    assert_non_null(strstr(err, bad));

    /* Not opened at once: the failure comes with the first use. */
    assert_int_equal(mk_importstore_new(bad, 0, &s, err, sizeof err), 0);
    mk_import_rec in = bulk(1, 1, 1), r;
    err[0] = '\0';
    assert_int_equal(mk_importstore_put(s, "P", "L", &in, err, sizeof err), -1);
    assert_non_null(strstr(err, bad));
    assert_int_equal(mk_importstore_get(s, "P", "L", &r, err, sizeof err), -1);
    mk_importstore_free(s);
}

static void test_other_schema_version_refused(void **state)
{
    (void)state;
    char err[256], *path = temp_db();
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE imports (x); PRAGMA user_version=7", NULL,
                                  NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    mk_importstore *s = NULL;
    assert_int_equal(mk_importstore_new(path, 1, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "version"));
    remove_db(path);
}

static mk_importstore *shared;

static void *worker(void *arg)
{
    long t = (long)arg;
    char err[256], list[32];
    for (int i = 0; i < 200; i++) {
        snprintf(list, sizeof list, "list-%ld-%d", t, i % 10);
        mk_import_rec in = bulk(t, i + 1, i);
        if (mk_importstore_put(shared, "P", list, &in, err, sizeof err) != 0)
            return (void *)1;
        mk_import_rec r;
        if (mk_importstore_get(shared, "P", list, &r, err, sizeof err) != 1 || r.list_id != t)
            return (void *)2;
        mk_import_rec_free(&r);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    char err[256], *path = temp_db();
    assert_int_equal(mk_importstore_new(path, 1, &shared, err, sizeof err), 0);
    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    mk_importstore_free(shared);
    remove_db(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace_case),
        cmocka_unit_test(test_survives_reopen),
        cmocka_unit_test(test_bad_path),
        cmocka_unit_test(test_other_schema_version_refused),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
