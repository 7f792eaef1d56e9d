/*
 * datapath.c — the data-file lookup behind mk_datapath().
 *
 * Nothing compiled in here names the source tree, so an installed binary
 * cannot depend on the machine it was built on.  The places looked at, in
 * order:
 *   1. relative to the shared object this code was loaded from, when that is
 *      libmktows.so rather than the program (LIBDIR/MK_LIB_TO_DATA/PACKAGE):
 *      a program embedding the library finds the tables installed with it;
 *   2. relative to the running program (/proc/self/exe,
 *      BINDIR/MK_BIN_TO_DATA/PACKAGE): an installed prefix can be moved
 *      (a relocated tarball, a test's temporary prefix), and a build tree
 *      works because CMake stages its data the way an install lays it out
 *      (build/share/... linked to the sources at configure time);
 *   3. the data directory chosen at configure time (MK_DATADIR, from
 *      CMAKE_INSTALL_FULL_DATADIR).
 * The relative parts come from CMake's install directories, so a layout
 * such as Debian's lib/<triplet> is followed, not assumed.
 */
#define _GNU_SOURCE   /* dladdr */
#include "datapath.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MK_DATADIR
#define MK_DATADIR "/usr/local/share"
#endif
#ifndef MK_BIN_TO_DATA
#define MK_BIN_TO_DATA "../share"
#endif
#ifndef MK_LIB_TO_DATA
#define MK_LIB_TO_DATA "../share"
#endif

/* Directory part of path, written into dir (which must hold PATH_MAX). */
static int dir_of(const char *path, char dir[PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) >= PATH_MAX)
        return -1;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    return 0;
}

static int try_candidate(const char *base, const char *rel, const char *package,
                         const char *name, char *out, size_t outlen)
{
    int n = rel ? snprintf(out, outlen, "%s/%s/%s/%s", base, rel, package, name)
                : snprintf(out, outlen, "%s/%s/%s", base, package, name);
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    if (access(out, F_OK) != 0)
        return -1;
    /* Messages and --help then show /usr/share/..., not /usr/bin/../share/... */
    char real[PATH_MAX];
    if (realpath(out, real) && strlen(real) < outlen)
        strcpy(out, real);
    return 0;
}

int mk_datapath(const char *package, const char *name, char *out, size_t outlen)
{
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0)
        exe[n] = '\0';
    else
        exe[0] = '\0';

    Dl_info info;
    char obj[PATH_MAX];
    if (dladdr((void *)mk_datapath, &info) && info.dli_fname && info.dli_fname[0] == '/' &&
        realpath(info.dli_fname, obj) && strcmp(obj, exe) != 0 && dir_of(obj, dir) == 0 &&
        try_candidate(dir, MK_LIB_TO_DATA, package, name, out, outlen) == 0)
        return 0;
    if (exe[0] && dir_of(exe, dir) == 0 &&
        try_candidate(dir, MK_BIN_TO_DATA, package, name, out, outlen) == 0)
        return 0;
    if (try_candidate(MK_DATADIR, NULL, package, name, out, outlen) == 0)
        return 0;
    return -1;
}
