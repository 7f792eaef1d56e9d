/*
 * auth.c — HMAC-SHA1 signature and timestamp checks for the
 * AuthenticationHeader (see auth.h for the rules).
 *
 * The timestamp parser is hand-written rather than strptime(): strptime's
 * %z handling and fraction support differ between libcs, and the set of
 * forms real clients send is small and known.
 */
#include "soap/auth.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* HMACs computed so far (mk_auth_hmac_count): lets a test see that an
 * unknown user and a wrong signature go through the same work. */
static atomic_ulong hmac_count;

unsigned long mk_auth_hmac_count(void)
{
    return atomic_load_explicit(&hmac_count, memory_order_relaxed);
}

/* The key an unknown user's signature is checked against.  Its length is
 * that of Marketo's encryption keys, so the HMAC costs what a real one does;
 * what it holds does not matter, as an unknown user fails whatever the
 * comparison says. */
static const char dummy_key[] = "0F1E2D3C4B5A69788796A5B4C3D2E1F0011223344556";

/* SHA-1, fetched once.  HMAC() fetches HMAC and SHA-1 from OpenSSL's
 * provider store on every call, under the store's lock: on a loaded shim
 * that was 4 % of its CPU (issue 11); the construction below (RFC 2104)
 * asks only for two digests of the prefetched algorithm. */
static EVP_MD *sha1_md;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void sha1_fetch(void)
{
    sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

enum { SHA1_BLOCK = 64, SHA1_LEN = 20 };

/* HMAC-SHA1 of the two parts a || b; 0 or -1. */
static int hmac_sha1(const char *key, size_t keylen, const char *a, size_t al,
                     const char *b, size_t bl, unsigned char mac[SHA1_LEN])
{
    pthread_once(&sha1_once, sha1_fetch);
    if (!sha1_md)
        return -1;
    unsigned char k[SHA1_BLOCK] = {0}, pad[SHA1_BLOCK], inner[SHA1_LEN];
    unsigned int n = 0;
    int rc = -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -1;
    if (keylen > SHA1_BLOCK) {
        if (EVP_Digest(key, keylen, k, &n, sha1_md, NULL) != 1)
            goto out;
    } else {
        memcpy(k, key, keylen);
    }
    for (int i = 0; i < SHA1_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    if (EVP_DigestInit_ex(ctx, sha1_md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, pad, sizeof pad) != 1 || EVP_DigestUpdate(ctx, a, al) != 1 ||
        EVP_DigestUpdate(ctx, b, bl) != 1 || EVP_DigestFinal_ex(ctx, inner, &n) != 1)
        goto out;
    for (int i = 0; i < SHA1_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    if (EVP_DigestInit_ex(ctx, sha1_md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, pad, sizeof pad) != 1 ||
        EVP_DigestUpdate(ctx, inner, sizeof inner) != 1 ||
        EVP_DigestFinal_ex(ctx, mac, &n) != 1 || n != SHA1_LEN)
        goto out;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
    return rc;
}

int mk_auth_signature(const char *encryption_key, const char *timestamp,
                      const char *user_id, char out[MK_AUTH_SIG_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[SHA1_LEN];

    if (!encryption_key || !timestamp || !user_id || !out)
        return -1;
    _Static_assert(SHA1_LEN * 2 == MK_AUTH_SIG_HEX, "a signature is a hex SHA-1");

    atomic_fetch_add_explicit(&hmac_count, 1, memory_order_relaxed);
    if (hmac_sha1(encryption_key, strlen(encryption_key), timestamp, strlen(timestamp),
                  user_id, strlen(user_id), mac) != 0)
        return -1;
    for (unsigned i = 0; i < SHA1_LEN; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[MK_AUTH_SIG_HEX] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

/* Read exactly n digits at *p into *val. */
static int digits(const char **p, int n, int *val)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *val = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int mk_auth_parse_timestamp(const char *s, time_t *out)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    const char *p = s;

    if (!s || !out)
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &se))
        return -1;
    if (*p == '.' || *p == ',') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == ' ')
        p++;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
            return -1;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        se > 60 || oh > 23 || om > 59)
        return -1;

    long long t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se;
    if (sign)
        t -= sign * (oh * 3600LL + om * 60LL);
    *out = (time_t)t;
    return 0;
}

int mk_auth_check(const char *user_id, const char *signature,
                  const char *timestamp, const char *encryption_key,
                  time_t now, long window, char *msg, size_t msglen)
{
    char expected[MK_AUTH_SIG_HEX + 1];
    char received[MK_AUTH_SIG_HEX + 1];
    time_t ts;

    if (!user_id || !*user_id) {
        snprintf(msg, msglen, "Authentication failed: AuthenticationHeader has no mktowsUserId");
        return 20014;
    }
    if (!signature || !*signature) {
        snprintf(msg, msglen, "Authentication failed: AuthenticationHeader has no requestSignature");
        return 20014;
    }
    if (!timestamp || !*timestamp) {
        snprintf(msg, msglen, "Authentication failed: AuthenticationHeader has no requestTimestamp");
        return 20014;
    }
    if (strlen(signature) != MK_AUTH_SIG_HEX) {
        snprintf(msg, msglen, "Authentication failed");
        return 20014;
    }
    for (int i = 0; i < MK_AUTH_SIG_HEX; i++)
        received[i] = (char)tolower((unsigned char)signature[i]);
    received[MK_AUTH_SIG_HEX] = '\0';

    /* An unknown user takes the known user's path, HMAC and comparison
     * included, with a stand-in key: answering sooner would tell a caller
     * which user ids exist (issue 9, item 5). */
    int known = encryption_key != NULL;
    if (mk_auth_signature(known ? encryption_key : dummy_key, timestamp, user_id, expected) !=
        0) {
        snprintf(msg, msglen, "Authentication failed");
        return 20014;
    }
    int diff = CRYPTO_memcmp(expected, received, MK_AUTH_SIG_HEX);
    OPENSSL_cleanse(expected, sizeof expected);
    if (diff != 0 || !known) {
        snprintf(msg, msglen, "Authentication failed");
        return 20014;
    }
    if (mk_auth_parse_timestamp(timestamp, &ts) != 0) {
        snprintf(msg, msglen, "Authentication failed: requestTimestamp is not a W3C date-time");
        return 20014;
    }
    long long skew = (long long)now - (long long)ts;
    if (skew > window || skew < -(long long)window) {
        snprintf(msg, msglen, "Request Expired: requestTimestamp is %lld seconds %s the server's clock",
                 skew < 0 ? -skew : skew, skew < 0 ? "ahead of" : "behind");
        return 20016;
    }
    return 0;
}
