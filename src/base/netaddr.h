/*
 * netaddr.h — client addresses as the front end compares them: a socket
 * address reduced to family + bytes (IPv4-mapped IPv6 counted as IPv4, so
 * a dual-stack listener sees one client as one address), and address
 * ranges ("10.0.0.0/8", "::1") for the trusted_proxies configuration key.
 */
#ifndef MK_SERVER_NETADDR_H
#define MK_SERVER_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* One address: family AF_INET (4 bytes used) or AF_INET6 (16). */
struct mk_netaddr {
    int family;
    unsigned char bytes[16];
};

/* An address range: the first `prefix` bits of addr. */
struct mk_netrange {
    struct mk_netaddr addr;
    unsigned prefix;
};

/* sa as an mk_netaddr (IPv4-mapped IPv6 becomes IPv4).  Returns 0, or -1
 * for a family other than IPv4/IPv6 or a short addrlen. */
int mk_netaddr_from_sockaddr(const struct sockaddr *sa, size_t addrlen, struct mk_netaddr *out);

/* Parse "192.0.2.7", "10.0.0.0/8", "::1", "2001:db8::/32" (surrounding
 * blanks allowed).  A bare address is a range of one.  Returns 0 or -1. */
int mk_netrange_parse(const char *text, struct mk_netrange *out);

/* 1 when a lies in r, else 0 (different families never match). */
int mk_netrange_contains(const struct mk_netrange *r, const struct mk_netaddr *a);

/* 1 when a lies in one of the n ranges. */
int mk_netrange_any(const struct mk_netrange *r, size_t n, const struct mk_netaddr *a);

#endif
