/*
 * tls.c — reading and checking the TLS configuration, and the client
 * certificate check of mutual TLS (see tls.h).
 *
 * The files are checked with GnuTLS itself, the library MHD hands them to,
 * so what passes here is what the listener will accept: MHD's own start-up
 * only says "failed" for a key that does not match its certificate.
 */
#include "server/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "config/config.h"

/* TLS 1.0 and 1.1 are off: both are deprecated (RFC 8996). */
#define DEFAULT_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

void mk_tls_free(mk_tls *t)
{
    if (!t)
        return;
    if (t->key_pem) {
        volatile char *p = t->key_pem;
        while (*p)
            *p++ = 0;
    }
    free(t->cert_pem);
    free(t->key_pem);
    free(t->client_ca_pem);
    free(t->priorities);
    free(t);
}

/* The string at key, NULL when absent; -1 when present but not a string. */
static int opt_string(const cJSON *root, const char *key, const char **out, char *err,
                      size_t errlen)
{
    const cJSON *v = mk_config_get(root, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring[0]) {
        snprintf(err, errlen, "config: key '%s' must be a file name", key);
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

static int read_pem(const char *key, const char *path, char **out, char *err, size_t errlen)
{
    int e = 0;
    *out = mk_config_read_file(path, &e);
    if (!*out) {
        snprintf(err, errlen, "config: key '%s': cannot read %.300s: %s", key, path, strerror(e));
        return -1;
    }
    if (!strstr(*out, "-----BEGIN ")) {
        snprintf(err, errlen, "config: key '%s': %.300s is not a PEM file", key, path);
        return -1;
    }
    return 0;
}

/* The certificate chain and key as GnuTLS reads them, and the CA file. */
static int check_with_gnutls(mk_tls *t, const char *cert_path, const char *key_path,
                             const char *ca_path, char *err, size_t errlen)
{
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    const char *where = NULL;
    int rc = -1;

    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        snprintf(err, errlen, "tls: out of memory");
        return -1;
    }
    gnutls_datum_t cert = {(unsigned char *)t->cert_pem, (unsigned)strlen(t->cert_pem)};
    gnutls_datum_t key = {(unsigned char *)t->key_pem, (unsigned)strlen(t->key_pem)};
    int g = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (g == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
        snprintf(err, errlen, "config: tls.key_file %.300s is not the private key of the "
                 "certificate in tls.cert_file %.300s", key_path, cert_path);
        goto out;
    }
    if (g < 0) {
        snprintf(err, errlen, "config: tls.cert_file %.300s / tls.key_file %.300s: %s", cert_path,
                 key_path, gnutls_strerror(g));
        goto out;
    }
    if (t->client_ca_pem) {
        gnutls_datum_t ca = {(unsigned char *)t->client_ca_pem,
                             (unsigned)strlen(t->client_ca_pem)};
        g = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
        if (g <= 0) {
            snprintf(err, errlen, "config: key 'tls.client_ca_file': %.300s holds no usable "
                     "CA certificate%s%s", ca_path, g < 0 ? ": " : "",
                     g < 0 ? gnutls_strerror(g) : "");
            goto out;
        }
    }
    if (gnutls_priority_init(&prio, t->priorities, &where) < 0) {
        snprintf(err, errlen, "config: key 'tls.priorities' is not a GnuTLS priority string "
                 "(at '%.60s')", where ? where : "");
        goto out;
    }
    gnutls_priority_deinit(prio);
    rc = 0;
    /* For the expiry gauge: the first certificate of the file is the server's. */
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) == 0) {
        if (gnutls_x509_crt_import(crt, &cert, GNUTLS_X509_FMT_PEM) == 0)
            t->cert_expires = (double)gnutls_x509_crt_get_expiration_time(crt);
        gnutls_x509_crt_deinit(crt);
    }
out:
    gnutls_certificate_free_credentials(cred);
    return rc;
}

int mk_tls_load(const cJSON *root, mk_tls **out, char *err, size_t errlen)
{
    const char *cert, *key, *ca, *prio;
    *out = NULL;
    if (opt_string(root, "tls.cert_file", &cert, err, errlen) ||
        opt_string(root, "tls.key_file", &key, err, errlen) ||
        opt_string(root, "tls.client_ca_file", &ca, err, errlen))
        return -1;
    const cJSON *p = mk_config_get(root, "tls.priorities");
    if (p && !(cJSON_IsString(p) && p->valuestring[0])) {
        snprintf(err, errlen, "config: key 'tls.priorities' must be a GnuTLS priority string");
        return -1;
    }
    prio = p ? p->valuestring : DEFAULT_PRIORITIES;
    if (!cert && !key) {
        if (ca) {
            snprintf(err, errlen, "config: key 'tls.client_ca_file' needs tls.cert_file and "
                     "tls.key_file (client certificates are a TLS feature)");
            return -1;
        }
        return 0;
    }
    if (!cert || !key) {
        snprintf(err, errlen, "config: keys 'tls.cert_file' (MKTOWS_TLS_CERT_FILE) and "
                 "'tls.key_file' (MKTOWS_TLS_KEY_FILE) must be given together");
        return -1;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "config: tls.* is set but this libmicrohttpd has no HTTPS support");
        return -1;
    }
    mk_tls *t = calloc(1, sizeof *t);
    if (!t || !(t->priorities = strdup(prio))) {
        free(t);
        snprintf(err, errlen, "config: out of memory");
        return -1;
    }
    if (read_pem("tls.cert_file", cert, &t->cert_pem, err, errlen) ||
        read_pem("tls.key_file", key, &t->key_pem, err, errlen) ||
        (ca && read_pem("tls.client_ca_file", ca, &t->client_ca_pem, err, errlen)) ||
        check_with_gnutls(t, cert, key, ca, err, errlen)) {
        mk_tls_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

int mk_tls_check_client(struct MHD_Connection *c, char *why, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s = ci ? (gnutls_session_t)ci->tls_session : NULL;
    unsigned status = 0;
    if (!s) {
        snprintf(why, len, "no TLS session");
        return -1;
    }
    int g = gnutls_certificate_verify_peers2(s, &status);
    if (g == GNUTLS_E_NO_CERTIFICATE_FOUND) {
        snprintf(why, len, "a client certificate is required");
        return -1;
    }
    if (g < 0) {
        snprintf(why, len, "client certificate not verified: %s", gnutls_strerror(g));
        return -1;
    }
    if (status) {
        gnutls_datum_t text = {NULL, 0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
            snprintf(why, len, "client certificate refused: %s", (const char *)text.data);
            gnutls_free(text.data);
        } else {
            snprintf(why, len, "client certificate refused");
        }
        return -1;
    }
    return 0;
}
