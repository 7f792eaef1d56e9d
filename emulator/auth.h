/*
 * auth.h — the identity endpoint and the token store (auth.c).  Family
 * layer: /identity/oauth/token is served like any endpoint family; the
 * server (top) checks Bearer tokens with emu_token_check and the admin
 * endpoints expire or clear them.
 */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include "emu.h"

typedef enum { EMU_TOKEN_OK, EMU_TOKEN_UNKNOWN, EMU_TOKEN_EXPIRED } emu_token_state;

/* The identity routes (GET and POST /identity/oauth/token), NULL-terminated;
 * never counted against the limits. */
extern const emu_route emu_routes_identity[];

emu_token_state emu_token_check(const char *token);
void emu_tokens_expire_all(void);
void emu_tokens_clear(void);

#endif
