/*
 * importstore.h — which import belongs to which (program, list), kept on
 * disk.
 *
 * SOAP's getImportToListStatus names a program and a list; REST knows an
 * import only by the batchId that POST /bulk/v1/leads.json answered.  The
 * shim therefore remembers, for every (program, list), the last import it
 * started there, in an embedded SQLite database, so that a restart (or
 * another shim instance sharing the file) between importToList and
 * getImportToListStatus loses nothing.
 *
 * One row per (program, list), names compared without regard to ASCII case
 * as Marketo compares them; a new import replaces the row.  An import the
 * shim carried out itself (LISTONLY, which has no REST bulk equivalent)
 * has no batch id and stores its outcome instead.
 *
 * The database is opened on first use unless mk_importstore_new() is told
 * to open it at once (an explicitly configured path is checked at start-up
 * so a bad path stops the shim with a clear message).  Thread-safe: one
 * mutex serialises the (rare) reads and writes; SQLite's busy timeout
 * covers other processes using the same file.
 */
#ifndef MK_OPS_IMPORTSTORE_H
#define MK_OPS_IMPORTSTORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mk_importstore mk_importstore;

/* What is remembered about one import. */
typedef struct mk_import_rec {
    int64_t list_id;
    int64_t batch_id;          /* REST bulk batchId; 0 for a LISTONLY import */
    char mode[16];             /* "UPSERTLEADS" or "LISTONLY" */
    int rows;                  /* data rows the client sent */
    char submitted_at[40];     /* when the shim started it, ISO 8601 UTC */
    /* The outcome of an import the shim carried out itself; status[0] is
     * '\0' for REST bulk imports, whose outcome REST reports. */
    char status[16];           /* "COMPLETE" / "FAILED" */
    int rows_imported;
    int rows_failed;
    char *summary;             /* malloc'd, may be NULL */
    char ended_at[40];
} mk_import_rec;

/* A store for the SQLite file at path (":memory:" works for tests).  With
 * open_now the file is opened and its schema checked before returning.
 * Returns 0, or -1 with a message naming the path in err. */
int mk_importstore_new(const char *path, int open_now, mk_importstore **out, char *err,
                       size_t errlen);

/* Close the database and free the store.  NULL is ignored. */
void mk_importstore_free(mk_importstore *s);

/* Remember r as the latest import into (program, list).  Returns 0, or -1
 * with a message in err. */
int mk_importstore_put(mk_importstore *s, const char *program, const char *list,
                       const mk_import_rec *r, char *err, size_t errlen);

/* The latest import into (program, list): 1 and *r filled (free it with
 * mk_import_rec_free), 0 when none is known, -1 with a message in err. */
int mk_importstore_get(mk_importstore *s, const char *program, const char *list,
                       mk_import_rec *r, char *err, size_t errlen);

/* Free what a record owns (its summary). */
void mk_import_rec_free(mk_import_rec *r);

/* Share the store through Redis (not owned; keys start with prefix): see
 * importstore.c.  Call before the store is used by several threads. */
struct mk_redis;
void mk_importstore_share(mk_importstore *s, struct mk_redis *redis, const char *prefix);

/* The path the store uses. */
const char *mk_importstore_path(const mk_importstore *s);

#endif
