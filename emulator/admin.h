/*
 * admin.h — the emulator's own endpoints under /_emulator/ (admin.c), never
 * counted against Marketo's limits.  Top layer: they read and reset every
 * part below them (counters, tokens, limits, faults, the store).
 */
#ifndef EMU_ADMIN_H
#define EMU_ADMIN_H

#include "http.h"

/* Answer a request whose path starts with /_emulator/ (404 for an unknown
 * one); req->method is the HTTP method as received. */
void emu_admin(const emu_req *req, emu_resp *resp);

#endif
