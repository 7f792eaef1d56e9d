/*
 * connguard.h — the connection budget: what slow, numerous or large uploads
 * may hold of the server, so that one client cannot starve the others
 * (issue 9, item 3).
 *
 * libmicrohttpd has only an inactivity timeout, a global connection limit
 * and a per-address limit (which server.c sets).  The guard adds, per
 * connection, what MHD cannot know:
 *
 *   idle         from accept (or the previous answer) to the request line:
 *                at most timeouts.receive_seconds, even if bytes trickle;
 *   receiving    from the request line to the end of the body: at most
 *                timeouts.receive_total_seconds, and the body must arrive
 *                at connections.min_receive_rate over every rate window;
 *   busy         body complete (queued, handled, answer being sent): the
 *                request deadline and the send timeout govern it.
 *
 * A connection past its limits is shed: shutdown(2) on its socket, which
 * MHD's own thread then sees as the client going away and cleans up (MHD
 * does the same when it stops).  The records live in a list under one
 * mutex that MHD's connection-closed notification also takes, so a socket
 * is never touched after MHD has closed it.  A thread of the guard's own
 * checks the list ten times a second.
 *
 * Request bodies are charged to a global budget of buffered bytes; a body
 * that does not fit is refused (server.c answers 503).  Client addresses
 * that authenticated recently are "established": the last
 * reserve_connections connection slots and the last reserve_buffered_bytes
 * of the budget are theirs alone, so established clients are still served
 * while strangers are refused and shed.
 */
#ifndef MK_SERVER_CONNGUARD_H
#define MK_SERVER_CONNGUARD_H

#include <stddef.h>
#include <sys/socket.h>

#include "base/netaddr.h"

struct cJSON;
struct mktows_config;

typedef struct mk_connguard mk_connguard;
struct mk_conn;   /* one TCP connection's record */

/* Start the guard (and its thread) for cfg's limits.  NULL when out of
 * memory or the thread cannot start. */
mk_connguard *mk_connguard_start(const struct mktows_config *cfg);
/* Stop the thread and free everything; records still open are freed too. */
void mk_connguard_stop(mk_connguard *g);

/* ---- admission (MHD's accept policy) ---- */

/* 1 to accept a connection from addr, 0 to refuse it: strangers are
 * refused once only the reserved slots are left. */
int mk_connguard_admit(mk_connguard *g, const struct mk_netaddr *addr);

/* ---- a connection's life (MHD's thread) ---- */

/* A connection was accepted on socket fd.  Returns its record, NULL when
 * out of memory (the connection then goes unguarded; every call below
 * accepts NULL). */
struct mk_conn *mk_connguard_open(mk_connguard *g, int fd, const struct mk_netaddr *addr);
/* MHD is about to close it: the record is freed, fd never touched again. */
void mk_connguard_close(mk_connguard *g, struct mk_conn *c);
/* The request line of a new request arrived: its receive deadline starts. */
void mk_connguard_request(mk_connguard *g, struct mk_conn *c);
/* Headers are complete: whatever body the request has is being received
 * (the rate is measured from now) until mk_connguard_busy. */
void mk_connguard_headers_done(mk_connguard *g, struct mk_conn *c);
/* n more body bytes arrived. */
void mk_connguard_received(mk_connguard *g, struct mk_conn *c, size_t n);
/* The body is complete: no receive limits any more. */
void mk_connguard_busy(mk_connguard *g, struct mk_conn *c);
/* The request is over; the connection waits for the next one. */
void mk_connguard_idle(mk_connguard *g, struct mk_conn *c);
/* The client address of c (NULL if c is NULL). */
const struct mk_netaddr *mk_connguard_addr(const struct mk_conn *c);

/* ---- buffered bytes (any thread) ---- */

/* Take n more bytes of the budget for a body arriving on c.  Returns 0, or
 * -1 when they do not fit (counted as a refusal). */
int mk_connguard_charge(mk_connguard *g, const struct mk_conn *c, size_t n);
/* Give back n bytes taken by mk_connguard_charge. */
void mk_connguard_release(mk_connguard *g, size_t n);

/* ---- established clients (any thread) ---- */

/* A request from addr authenticated: the address is established for
 * connections.established_seconds. */
void mk_connguard_established(mk_connguard *g, const struct mk_netaddr *addr);

/* ---- operators ---- */

/* The "connections" object of /_shim/stats: limits, current use, and how
 * many connections were shed or refused and why. */
struct cJSON *mk_connguard_stats(mk_connguard *g);

#endif
