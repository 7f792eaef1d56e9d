/*
 * streampos.c — encode and verify SOAP stream positions (see streampos.h).
 *
 * The MAC is truncated to 128 bits: long enough that forging one is
 * hopeless, short enough to keep positions a comfortable size in URLs and
 * logs of the legacy clients that echo them.
 */
#include "streampos.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAC_LEN 16
/* Positions larger than this are refused before any work is done, and
 * never issued.  The largest the shim makes are getLeadChanges' over many
 * leads and activity types (a page token per stream): tens of KB. */
#define MAX_POSITION_LEN (256 * 1024)

static const char b64u[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64u_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64u[v >> 18 & 63];
        out[o++] = b64u[v >> 12 & 63];
        out[o++] = b64u[v >> 6 & 63];
        out[o++] = b64u[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64u[v >> 18 & 63];
        out[o++] = b64u[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64u[v >> 18 & 63];
        out[o++] = b64u[v >> 12 & 63];
        out[o++] = b64u[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64u_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Strict decoder: rejects padding, foreign characters and non-canonical
 * trailing bits, so each byte string has exactly one valid spelling. */
static int b64u_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
    size_t o = 0, i = 0;
    if (n % 4 == 1)
        return -1;
    for (; i + 4 <= n; i += 4) {
        int a = b64u_value(in[i]), b = b64u_value(in[i + 1]);
        int c = b64u_value(in[i + 2]), d = b64u_value(in[i + 3]);
        if ((a | b | c | d) < 0)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
        out[o++] = (unsigned char)v;
    }
    size_t rest = n - i;
    if (rest == 2 || rest == 3) {
        int a = b64u_value(in[i]), b = b64u_value(in[i + 1]);
        int c = rest == 3 ? b64u_value(in[i + 2]) : 0;
        if ((a | b | c) < 0)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        if (rest == 2 && (v & 0xFFFF) != 0)
            return -1;
        if (rest == 3 && (v & 0xFF) != 0)
            return -1;
        out[o++] = (unsigned char)(v >> 16);
        if (rest == 3)
            out[o++] = (unsigned char)(v >> 8);
    }
    *outlen = o;
    return 0;
}

/* The MAC key is a derivation of the user's encryption key, never the key
 * itself, so positions cannot be used to attack request signatures. */
static int position_mac(const char *user_key, const unsigned char *msg, size_t n,
                        unsigned char mac[MAC_LEN])
{
    static const char label[] = "mktows-shim stream position v1";
    unsigned char k[EVP_MAX_MD_SIZE], full[EVP_MAX_MD_SIZE];
    unsigned int klen = 0, flen = 0;
    if (!HMAC(EVP_sha256(), user_key, (int)strlen(user_key),
              (const unsigned char *)label, sizeof label - 1, k, &klen))
        return -1;
    if (!HMAC(EVP_sha256(), k, (int)klen, msg, n, full, &flen))
        return -1;
    memcpy(mac, full, MAC_LEN);
    OPENSSL_cleanse(k, sizeof k);
    return 0;
}

int mk_streampos_encode(const char *user_key, const cJSON *state, char **out)
{
    *out = NULL;
    char *json = cJSON_PrintUnformatted(state);
    if (!json)
        return MK_STREAMPOS_NOMEM;
    size_t n = strlen(json);
    unsigned char mac[MAC_LEN];
    if (position_mac(user_key, (unsigned char *)json, n, mac) != 0) {
        free(json);
        return MK_STREAMPOS_BAD;
    }
    char *pos = malloc((n + 2) / 3 * 4 + 1 + (MAC_LEN + 2) / 3 * 4 + 1);
    if (!pos) {
        free(json);
        return MK_STREAMPOS_NOMEM;
    }
    size_t o = b64u_encode((unsigned char *)json, n, pos);
    pos[o++] = '.';
    o += b64u_encode(mac, MAC_LEN, pos + o);
    free(json);
    if (o > MAX_POSITION_LEN) {   /* one it would refuse when sent back */
        free(pos);
        return MK_STREAMPOS_BAD;
    }
    *out = pos;
    return MK_STREAMPOS_OK;
}

int mk_streampos_decode(const char *user_key, const char *pos, cJSON **state)
{
    *state = NULL;
    if (!pos)
        return MK_STREAMPOS_BAD;
    size_t len = strlen(pos);
    const char *dot = strchr(pos, '.');
    if (len > MAX_POSITION_LEN || !dot || strchr(dot + 1, '.'))
        return MK_STREAMPOS_BAD;
    size_t plen = (size_t)(dot - pos), mlen = len - plen - 1;
    unsigned char *payload = malloc(plen / 4 * 3 + 3 + 1);
    unsigned char got[MAC_LEN + 3], want[MAC_LEN];
    size_t n = 0, gn = 0;
    int rc = MK_STREAMPOS_BAD;
    if (!payload)
        return MK_STREAMPOS_NOMEM;
    if (mlen > (MAC_LEN + 2) / 3 * 4 || b64u_decode(dot + 1, mlen, got, &gn) != 0 || gn != MAC_LEN)
        goto out;
    if (b64u_decode(pos, plen, payload, &n) != 0)
        goto out;
    if (position_mac(user_key, payload, n, want) != 0)
        goto out;
    if (CRYPTO_memcmp(got, want, MAC_LEN) != 0)
        goto out;
    payload[n] = '\0';
    cJSON *j = cJSON_ParseWithLength((const char *)payload, n);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        goto out;
    }
    *state = j;
    rc = MK_STREAMPOS_OK;
out:
    free(payload);
    return rc;
}
