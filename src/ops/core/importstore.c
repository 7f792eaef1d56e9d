/*
 * importstore.c — the (program, list) → import table in SQLite (see
 * importstore.h).
 *
 * WAL journal with synchronous=FULL: an importToList answered to the client
 * is on disk, so a crash or restart right after it cannot lose the batch id.
 * The schema carries a version (PRAGMA user_version) so a later change can
 * migrate files written by this one.
 *
 * With a shared Redis (several replicas, mk_importstore_share): every
 * import is written to Redis (one hash per (program, list), kept 90 days)
 * and to the local file; a read asks Redis first, so any replica answers
 * getImportToListStatus for an import another one started.  Redis trouble
 * is not an outage: a write it misses is still in the local file, a read it
 * cannot answer falls back to the file, and of two records the later
 * submitted one wins.
 */
#include "ops/core/importstore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cluster/redis.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 5000

#define SHARED_TTL_SECONDS "7776000"   /* 90 days */

struct mk_importstore {
    pthread_mutex_t mu;
    char *path;
    sqlite3 *db;
    mk_redis *redis;          /* not owned; NULL: this process alone */
    char prefix[200];
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS imports ("
    "  program TEXT NOT NULL COLLATE NOCASE,"
    "  list TEXT NOT NULL COLLATE NOCASE,"
    "  list_id INTEGER NOT NULL,"
    "  batch_id INTEGER NOT NULL,"      /* 0: carried out by the shim */
    "  mode TEXT NOT NULL,"
    "  rows INTEGER NOT NULL,"
    "  submitted_at TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT '',"
    "  rows_imported INTEGER NOT NULL DEFAULT 0,"
    "  rows_failed INTEGER NOT NULL DEFAULT 0,"
    "  summary TEXT,"
    "  ended_at TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (program, list))";

static int db_error(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "import store %s: %s: %s", path, what,
             db ? sqlite3_errmsg(db) : "out of memory");
    return -1;
}

/* Open the file and make sure the schema is there.  Caller holds mu. */
static int ensure_open(mk_importstore *s, char *err, size_t errlen)
{
    if (s->db)
        return 0;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(s->path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        db_error(db, s->path, "cannot open", err, errlen);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    /* journal_mode answers a row; exec ignores it.  In-memory databases
     * keep their own journal mode, which is fine. */
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
        db_error(db, s->path, "cannot prepare the schema", err, errlen);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version == 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", SCHEMA_VERSION);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            version = -1;
        else
            version = SCHEMA_VERSION;
    }
    if (version != SCHEMA_VERSION) {
        if (version < 0)
            db_error(db, s->path, "cannot read the schema version", err, errlen);
        else
            snprintf(err, errlen,
                     "import store %s: schema version %d is not the %d this shim writes",
                     s->path, version, SCHEMA_VERSION);
        sqlite3_close(db);
        return -1;
    }
    s->db = db;
    return 0;
}

int mk_importstore_new(const char *path, int open_now, mk_importstore **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    mk_importstore *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path && *path ? path : "mktows-imports.sqlite"))) {
        free(s);
        snprintf(err, errlen, "import store: out of memory");
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    if (open_now && ensure_open(s, err, errlen) != 0) {
        mk_importstore_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void mk_importstore_free(mk_importstore *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

const char *mk_importstore_path(const mk_importstore *s)
{
    return s ? s->path : "";
}

/* Lock the store, open it if need be, and prepare sql with the (program,
 * list) key bound to ?1 and ?2.  NULL (err filled) on failure; either way
 * the caller calls finish(). */
static sqlite3_stmt *start(mk_importstore *s, const char *sql, const char *program,
                           const char *list, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    if (ensure_open(s, err, errlen) != 0)
        return NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(s->db, s->path, "cannot prepare a statement", err, errlen);
        return NULL;
    }
    sqlite3_bind_text(st, 1, program, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, list, -1, SQLITE_TRANSIENT);
    return st;
}

static void finish(mk_importstore *s, sqlite3_stmt *st)
{
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
}

static int local_put(mk_importstore *s, const char *program, const char *list,
                     const mk_import_rec *r, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT INTO imports (program, list, list_id, batch_id, mode, rows, submitted_at,"
        "                     status, rows_imported, rows_failed, summary, ended_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT (program, list) DO UPDATE SET"
        "  program = excluded.program, list = excluded.list, list_id = excluded.list_id,"
        "  batch_id = excluded.batch_id, mode = excluded.mode, rows = excluded.rows,"
        "  submitted_at = excluded.submitted_at, status = excluded.status,"
        "  rows_imported = excluded.rows_imported, rows_failed = excluded.rows_failed,"
        "  summary = excluded.summary, ended_at = excluded.ended_at";
    int rc = -1;
    sqlite3_stmt *st = start(s, sql, program, list, err, errlen);
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 3, r->list_id);
    sqlite3_bind_int64(st, 4, r->batch_id);
    sqlite3_bind_text(st, 5, r->mode, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, r->rows);
    sqlite3_bind_text(st, 7, r->submitted_at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, r->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 9, r->rows_imported);
    sqlite3_bind_int(st, 10, r->rows_failed);
    if (r->summary)
        sqlite3_bind_text(st, 11, r->summary, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 11);
    sqlite3_bind_text(st, 12, r->ended_at, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_error(s->db, s->path, "cannot record the import", err, errlen);
        goto out;
    }
    rc = 0;
out:
    finish(s, st);
    return rc;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static int local_get(mk_importstore *s, const char *program, const char *list,
                     mk_import_rec *r, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT list_id, batch_id, mode, rows, submitted_at, status, rows_imported,"
        "       rows_failed, summary, ended_at"
        " FROM imports WHERE program = ?1 AND list = ?2";
    memset(r, 0, sizeof *r);
    int rc = -1;
    sqlite3_stmt *st = start(s, sql, program, list, err, errlen);
    if (!st)
        goto out;
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = 0;
        goto out;
    }
    if (step != SQLITE_ROW) {
        db_error(s->db, s->path, "cannot read the import", err, errlen);
        goto out;
    }
    r->list_id = sqlite3_column_int64(st, 0);
    r->batch_id = sqlite3_column_int64(st, 1);
    copy_col(st, 2, r->mode, sizeof r->mode);
    r->rows = sqlite3_column_int(st, 3);
    copy_col(st, 4, r->submitted_at, sizeof r->submitted_at);
    copy_col(st, 5, r->status, sizeof r->status);
    r->rows_imported = sqlite3_column_int(st, 6);
    r->rows_failed = sqlite3_column_int(st, 7);
    const unsigned char *sum = sqlite3_column_text(st, 8);
    if (sum && !(r->summary = strdup((const char *)sum))) {
        snprintf(err, errlen, "import store: out of memory");
        goto out;
    }
    copy_col(st, 9, r->ended_at, sizeof r->ended_at);
    rc = 1;
out:
    finish(s, st);
    return rc;
}

void mk_import_rec_free(mk_import_rec *r)
{
    if (!r)
        return;
    free(r->summary);
    r->summary = NULL;
}

/* ---- shared through Redis ------------------------------------------------------------- */

void mk_importstore_share(mk_importstore *s, mk_redis *redis, const char *prefix)
{
    s->redis = redis;
    snprintf(s->prefix, sizeof s->prefix, "%s", prefix ? prefix : "mktows:");
}

/* The hash key of (program, list): names compared without ASCII case, as
 * Marketo (and the SQLite table's NOCASE) compare them. */
static char *shared_key(const mk_importstore *s, const char *program, const char *list)
{
    size_t n = strlen(s->prefix) + strlen("import:") + strlen(program) + 1 + strlen(list) + 1;
    char *k = malloc(n);
    if (!k)
        return NULL;
    snprintf(k, n, "%simport:%s\x1f%s", s->prefix, program, list);
    for (char *p = k + strlen(s->prefix); *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return k;
}

static int shared_put(mk_importstore *s, const char *key, const mk_import_rec *r)
{
    char list_id[24], batch_id[24], rows[16], imported[16], failed[16];
    snprintf(list_id, sizeof list_id, "%lld", (long long)r->list_id);
    snprintf(batch_id, sizeof batch_id, "%lld", (long long)r->batch_id);
    snprintf(rows, sizeof rows, "%d", r->rows);
    snprintf(imported, sizeof imported, "%d", r->rows_imported);
    snprintf(failed, sizeof failed, "%d", r->rows_failed);
    /* Every field is written (summary too, empty when none), so nothing of
     * an older import into the same list survives. */
    const char *argv[] = {"HSET", key,
                          "list_id", list_id, "batch_id", batch_id, "mode", r->mode,
                          "rows", rows, "submitted_at", r->submitted_at, "status", r->status,
                          "rows_imported", imported, "rows_failed", failed,
                          "summary", r->summary ? r->summary : "", "ended_at", r->ended_at};
    mk_redis_reply rep;
    if (mk_redis_cmd(s->redis, (int)(sizeof argv / sizeof argv[0]), argv, NULL, &rep) != 0)
        return -1;
    mk_redis_reply_free(&rep);
    const char *ex[] = {"EXPIRE", key, SHARED_TTL_SECONDS};
    if (mk_redis_cmd(s->redis, 3, ex, NULL, &rep) == 0)
        mk_redis_reply_free(&rep);
    return 0;
}

/* 1 found, 0 none, -1 Redis unreachable. */
static int shared_get(mk_importstore *s, const char *key, mk_import_rec *r)
{
    const char *argv[] = {"HGETALL", key};
    mk_redis_reply rep;
    if (mk_redis_cmd(s->redis, 2, argv, NULL, &rep) != 0)
        return -1;
    int found = rep.type == MK_REDIS_ARRAY && rep.nelem >= 2;
    memset(r, 0, sizeof *r);
    for (size_t i = 0; found && i + 1 < rep.nelem; i += 2) {
        const char *f = rep.elem[i].str ? rep.elem[i].str : "";
        const char *v = rep.elem[i + 1].str ? rep.elem[i + 1].str : "";
        if (!strcmp(f, "list_id"))
            r->list_id = strtoll(v, NULL, 10);
        else if (!strcmp(f, "batch_id"))
            r->batch_id = strtoll(v, NULL, 10);
        else if (!strcmp(f, "mode"))
            snprintf(r->mode, sizeof r->mode, "%s", v);
        else if (!strcmp(f, "rows"))
            r->rows = atoi(v);
        else if (!strcmp(f, "submitted_at"))
            snprintf(r->submitted_at, sizeof r->submitted_at, "%s", v);
        else if (!strcmp(f, "status"))
            snprintf(r->status, sizeof r->status, "%s", v);
        else if (!strcmp(f, "rows_imported"))
            r->rows_imported = atoi(v);
        else if (!strcmp(f, "rows_failed"))
            r->rows_failed = atoi(v);
        else if (!strcmp(f, "summary") && *v && !(r->summary = strdup(v)))
            found = -1;
        else if (!strcmp(f, "ended_at"))
            snprintf(r->ended_at, sizeof r->ended_at, "%s", v);
    }
    mk_redis_reply_free(&rep);
    if (found < 0) {
        mk_import_rec_free(r);
        return -1;
    }
    return found;
}

int mk_importstore_put(mk_importstore *s, const char *program, const char *list,
                       const mk_import_rec *r, char *err, size_t errlen)
{
    int shared_ok = 0;
    if (s->redis) {
        char *key = shared_key(s, program, list);
        shared_ok = key && shared_put(s, key, r) == 0;
        free(key);
    }
    /* The local file keeps a copy either way: it answers when Redis
     * cannot.  With Redis written, a local failure is not the client's. */
    int rc = local_put(s, program, list, r, err, errlen);
    return shared_ok ? 0 : rc;
}

int mk_importstore_get(mk_importstore *s, const char *program, const char *list,
                       mk_import_rec *r, char *err, size_t errlen)
{
    if (!s->redis)
        return local_get(s, program, list, r, err, errlen);
    mk_import_rec shared;
    char *key = shared_key(s, program, list);
    int sf = key ? shared_get(s, key, &shared) : -1;
    free(key);
    char lerr[256];
    int lf = local_get(s, program, list, r, lerr, sizeof lerr);
    if (sf == 1 && (lf != 1 || strcmp(shared.submitted_at, r->submitted_at) >= 0)) {
        if (lf == 1)
            mk_import_rec_free(r);
        *r = shared;
        return 1;
    }
    if (sf == 1)
        mk_import_rec_free(&shared);
    if (lf < 0 && sf >= 0) {
        memset(r, 0, sizeof *r);
        return 0;  /* Redis answered "none"; the local file's trouble is moot */
    }
    if (lf < 0)
        snprintf(err, errlen, "%s", lerr);
    return lf;
}
