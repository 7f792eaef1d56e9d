/*
 * datapath.h — where an installed mktows-shim, marketo-emulator or
 * libmktows finds its data files (the mapping tables, the emulator's seed).
 *
 * Shared by the library and the emulator so both programs follow one rule;
 * see datapath.c for the order of the places looked at.
 */
#ifndef MK_DATAPATH_H
#define MK_DATAPATH_H

#include <stddef.h>

/* Path of NAME under the data directory of PACKAGE ("mktows-shim",
 * "marketo-emulator"), e.g. mk_datapath("mktows-shim", "mapping", ...).
 * Returns 0 and writes the first existing candidate into out; returns -1
 * when none exists (out then holds the compiled-in installed path, the one
 * worth naming in an error message) or when the path does not fit. */
int mk_datapath(const char *package, const char *name, char *out, size_t outlen);

#endif
