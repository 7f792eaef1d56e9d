/*
 * server.h — the HTTP front end (server.c), top layer: it applies Marketo's
 * cross-cutting rules to every call and hands it to the router or to the
 * emulator's own endpoints.
 */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

/* Listen on emu_cfg's host and port; fills the port really bound (the
 * chosen one when 0 was asked for).  0, or -1 with a message on stderr. */
int emu_server_start(int *bound_port);
void emu_server_stop(void);

#endif
