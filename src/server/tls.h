/*
 * tls.h — native HTTPS for the SOAP listener (libmicrohttpd over GnuTLS).
 *
 * Configuration keys (JSON path, environment variable):
 *   tls.cert_file       MKTOWS_TLS_CERT_FILE       PEM: the server certificate,
 *                                                  then any intermediates
 *   tls.key_file        MKTOWS_TLS_KEY_FILE        PEM: its private key (unencrypted)
 *   tls.client_ca_file  MKTOWS_TLS_CLIENT_CA_FILE  PEM: CA(s) a client certificate must
 *                                                  chain to (mutual TLS); unset: none asked
 *   tls.priorities                                 GnuTLS priority string; default
 *                                                  TLS 1.2 and 1.3 only
 * Without cert_file and key_file the listener speaks plain HTTP.
 *
 * Everything is read and checked when the server starts (and by
 * --check-config), so a missing file, a key that is not the certificate's
 * or a CA file without a certificate stops start-up with a message naming
 * the key and the file, instead of a listener that fails every handshake.
 *
 * GnuTLS only asks for a client certificate (MHD does not make it
 * mandatory), so with client_ca_file every request is checked here before
 * it is served: no certificate, or one that does not verify against the
 * CA, is refused with HTTP 403 and the connection is closed.
 */
#ifndef MK_SERVER_TLS_H
#define MK_SERVER_TLS_H

#include <stddef.h>

struct cJSON;
struct MHD_Connection;

typedef struct mk_tls {
    char *cert_pem;       /* NUL-terminated PEM texts, as MHD takes them */
    char *key_pem;
    char *client_ca_pem;  /* NULL: no client certificates */
    char *priorities;
    double cert_expires;  /* the server certificate's notAfter, Unix time */
} mk_tls;

/* Read and check the tls.* keys of a configuration document.  *out is NULL
 * when TLS is not configured.  Returns 0, or -1 with a message in err. */
int mk_tls_load(const struct cJSON *root, mk_tls **out, char *err, size_t errlen);

/* Free (wiping the private key).  NULL is fine. */
void mk_tls_free(mk_tls *t);

/* With client certificates required: 0 when the connection's client
 * presented one that verifies against the configured CA, else -1 with the
 * reason in why. */
int mk_tls_check_client(struct MHD_Connection *c, char *why, size_t len);

#endif
