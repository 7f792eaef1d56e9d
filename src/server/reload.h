/*
 * reload.h — the configuration a request sees, swappable while requests
 * run (SIGHUP in mktows-shim, mktows_server_reload() in the library).
 *
 * What a reload changes: soap_users (added, removed, keys rotated) and the
 * log settings (access_log).  Everything else a running server was built
 * from (listener, REST client, limits, caches) stays as it started; a
 * reload that changes such a key says so and leaves it alone.
 *
 * How: every request pins one generation (a reference-counted view of the
 * configuration) when a worker picks it up and drops it when it is
 * answered, so a request keeps the user record, keys and credentials it
 * authenticated with even when a reload replaces them midway, and an old
 * generation is freed by whoever drops its last reference.  The pin and
 * the swap take one mutex for a few instructions; no reader ever sees a
 * half-built configuration and nothing is freed while a request holds it.
 */
#ifndef MK_SERVER_RELOAD_H
#define MK_SERVER_RELOAD_H

#include <stddef.h>

#include "mktows.h"

typedef struct mk_reloader mk_reloader;
typedef struct mk_cfg_gen mk_cfg_gen;

/* Start with the server's own configuration (borrowed: it outlives the
 * server).  Returns 0, or -1 when out of memory. */
int mk_reloader_new(const mktows_config *initial, mk_reloader **out);

/* Free the reloader; no generation may be pinned any more. */
void mk_reloader_free(mk_reloader *r);

/* Pin the current generation: its configuration stays valid until
 * mk_reloader_release(r, *gen). */
const mktows_config *mk_reloader_acquire(mk_reloader *r, mk_cfg_gen **gen);
void mk_reloader_release(mk_reloader *r, mk_cfg_gen *gen);

/* Make next's soap_users and log settings current (next is taken in every
 * case).  Keys next changes that a reload cannot apply are named in notice
 * ("" when none).  Returns MKTOWS_OK or MKTOWS_ENOMEM. */
int mk_reloader_swap(mk_reloader *r, mktows_config *next, char *notice, size_t noticelen);

/* How many reloads took effect so far. */
unsigned long mk_reloader_count(mk_reloader *r);

#endif
