/*
 * netaddr.c — client addresses and address ranges (see netaddr.h).
 *
 * inet_pton does the parsing; this file only adds the "/prefix" part and
 * the folding of IPv4-mapped IPv6 addresses, so that "10.0.0.0/8" matches a
 * client reaching a "[::]" listener as ::ffff:10.1.2.3.
 */
#include "base/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int mk_netaddr_from_sockaddr(const struct sockaddr *sa, size_t addrlen, struct mk_netaddr *out)
{
    memset(out, 0, sizeof *out);
    if (!sa)
        return -1;
    if (sa->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        out->family = AF_INET;
        memcpy(out->bytes, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (memcmp(in6->sin6_addr.s6_addr, v4_mapped, sizeof v4_mapped) == 0) {
            out->family = AF_INET;
            memcpy(out->bytes, in6->sin6_addr.s6_addr + 12, 4);
        } else {
            out->family = AF_INET6;
            memcpy(out->bytes, in6->sin6_addr.s6_addr, 16);
        }
        return 0;
    }
    return -1;
}

int mk_netrange_parse(const char *text, struct mk_netrange *out)
{
    char buf[64];
    if (!text)
        return -1;
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';

    long prefix = -1;
    char *slash = strchr(buf, '/');
    if (slash) {
        char *end;
        *slash = '\0';
        if (slash[1] < '0' || slash[1] > '9')
            return -1;
        prefix = strtol(slash + 1, &end, 10);
        if (*end)
            return -1;
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr.bytes) == 1) {
        out->addr.family = AF_INET;
        if (prefix > 32)
            return -1;
        out->prefix = prefix < 0 ? 32 : (unsigned)prefix;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out->addr.bytes) == 1) {
        if (prefix > 128)
            return -1;
        out->prefix = prefix < 0 ? 128 : (unsigned)prefix;
        out->addr.family = AF_INET6;
        /* "::ffff:10.0.0.0/104" means an IPv4 range: fold it like addresses. */
        if (memcmp(out->addr.bytes, v4_mapped, sizeof v4_mapped) == 0 && out->prefix >= 96) {
            memmove(out->addr.bytes, out->addr.bytes + 12, 4);
            memset(out->addr.bytes + 4, 0, 12);
            out->addr.family = AF_INET;
            out->prefix -= 96;
        }
        return 0;
    }
    return -1;
}

int mk_netrange_contains(const struct mk_netrange *r, const struct mk_netaddr *a)
{
    if (r->addr.family != a->family)
        return 0;
    unsigned full = r->prefix / 8, rest = r->prefix % 8;
    if (memcmp(r->addr.bytes, a->bytes, full) != 0)
        return 0;
    if (rest) {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        if ((r->addr.bytes[full] & mask) != (a->bytes[full] & mask))
            return 0;
    }
    return 1;
}

int mk_netrange_any(const struct mk_netrange *r, size_t n, const struct mk_netaddr *a)
{
    for (size_t i = 0; i < n; i++)
        if (mk_netrange_contains(&r[i], a))
            return 1;
    return 0;
}
