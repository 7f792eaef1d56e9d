/*
 * h_objects.h — the common lead-database object pattern (describe, query by
 * filterType, sync, delete; rest-api.md §d.5), shared by opportunities and
 * opportunity roles (h_objects.c) and custom objects (h_customobjects.c).
 *
 * Marketo documents one behaviour for all these objects — idField
 * marketoGUID, dedupeFields (possibly a compound key), searchableFields,
 * seq-numbered results, skipped records with reasons — so the emulator
 * implements it once over a describe record and a store array.
 *
 * Describe records are the REST describe result itself:
 *   {name, displayName, pluralName, description, createdAt, updatedAt,
 *    idField, dedupeFields[], searchableFields[[…]…], relationships[{field,
 *    type, relatedTo{name, field}}], fields[{name, displayName, dataType,
 *    length, updateable}]}
 * Relationships to "lead" and "opportunity" are enforced on sync (the
 * referenced record must exist: 1004 for a lead, 1013 otherwise).
 */
#ifndef EMU_H_OBJECTS_H
#define EMU_H_OBJECTS_H

#include "emu.h"

typedef struct fam_objtype {
    const cJSON *meta;   /* describe record; owned by the caller */
    cJSON *records;      /* the store array of records (caller holds the lock) */
    /* Called (write lock held) before a record is deleted, for cascades. */
    void (*on_delete)(const cJSON *record);
    /* Called (write lock held) after a record was created, for activities. */
    void (*on_create)(const cJSON *record);
} fam_objtype;

/* GET …/describe.json: result [meta with fields], plus state/version when
 * `with_state` (custom objects). */
void fam_obj_describe(const cJSON *meta, bool with_state, emu_resp *resp);

/* GET …(.json) and POST …?_method=GET with a JSON body (compound keys).
 * Caller holds at least the read lock. */
void fam_obj_query(const fam_objtype *t, const emu_req *req, emu_resp *resp);

/* POST …(.json): {action, dedupeBy, input[]}.  Caller holds the write lock. */
void fam_obj_sync(const fam_objtype *t, const emu_req *req, emu_resp *resp);

/* POST …/delete.json: {deleteBy, input[]}.  Caller holds the write lock. */
void fam_obj_delete(const fam_objtype *t, const emu_req *req, emu_resp *resp);

#endif
