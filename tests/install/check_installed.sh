#!/usr/bin/env bash
# check_installed.sh — run an installed mktows-shim the way a user would,
# shared by the install test (a `cmake --install` prefix) and the package
# test (the .deb files unpacked with dpkg-deb -x).  It must not need the
# source or build tree: the callers run it from a copy, with both trees out
# of reach where they can.
#
#   check_installed.sh PREFIX LIBDIR EXAMPLE_CONFIG [PKG_CONFIG_SYSROOT]
#
# PREFIX holds bin/ and share/, LIBDIR libmktows.so, pkgconfig/ and
# cmake/; PKG_CONFIG_SYSROOT is the directory the .deb files were unpacked
# into (their mktows.pc names /usr).  MKTOWS_VERSION is the version the
# programs must print; stack.sh sits beside this script.
set -euo pipefail
prefix=$1 libdir=$2 example=$3 sysroot=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/stack.sh"
work=$(mktemp -d)
trap 'stack_stop; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# A signed getLead through the SOAP endpoint at $1 must answer the seed's lead,
# with attributes named and typed by the installed field table.
getlead() {
  stack_envelope "$STACK_GETLEAD" >"$work/req.xml"
  stack_post "$1/soap/mktows/3_1" "$work/req.xml" "$work/h" >"$work/resp.xml" || true
  grep -q '^HTTP/1.1 200' "$work/h" || { cat "$work/h" "$work/resp.xml" >&2; fail "$2: getLead not 200"; }
  grep -q '<ns1:successGetLead>' "$work/resp.xml" && grep -q '<count>1</count>' "$work/resp.xml" &&
    grep -q '<Email>jdoe@example.com</Email>' "$work/resp.xml" &&
    grep -q '<attrName>Company</attrName><attrType>string</attrType>' "$work/resp.xml" ||
    { cat "$work/resp.xml" >&2; fail "$2: getLead answer"; }
  ok "$2: signed getLead answered"
}

for prog in mktows-shim marketo-emulator; do
  v=$("$prefix/bin/$prog" --version)
  [ "$v" = "$prog $MKTOWS_VERSION" ] || fail "$prog --version said '$v'"
done
ok "--version: $MKTOWS_VERSION"

"$prefix/bin/mktows-shim" --explain getLead >"$work/explain" || fail "--explain getLead"
grep -q '^getLead' "$work/explain" && grep -q 'REST calls' "$work/explain" ||
  { cat "$work/explain" >&2; fail "--explain getLead output"; }
nops=$("$prefix/bin/mktows-shim" --explain | grep -cE '^[a-zA-Z]+  +[a-z]') || true
[ "$nops" -eq 23 ] || fail "--explain lists $nops operations, not 23"
ok "--explain: getLead and the 23 operations"

# The emulator with its installed seed, the shim with its installed tables.
stack_start REST "$work/emu" "$prefix/bin/marketo-emulator" --listen 127.0.0.1:0 \
            --client-id demo-client --client-secret demo-secret || fail "emulator start"
stack_shim_config "$work/shim.json" "$REST"
stack_start SHIM "$work/shim" "$prefix/bin/mktows-shim" --config "$work/shim.json" ||
  fail "shim start"
getlead "$SHIM" "installed mktows-shim"

# The example configuration is accepted as it is; only where it would send
# traffic (a real instance) and write (the service's state directory) is
# redirected, through the environment that overrides the file.
MKTOWS_REST_ENDPOINT=$REST MKTOWS_REST_IDENTITY=$REST/identity \
  MKTOWS_IMPORT_DB=$work/imports.sqlite \
  stack_start EXAMPLE "$work/example" "$prefix/bin/mktows-shim" --config "$example" \
              --listen 127.0.0.1:0 || fail "the example configuration was refused"
ok "example configuration accepted"

for m in mktows-shim marketo-emulator; do
  f=$(ls "$prefix/share/man/man1/$m.1"* 2>/dev/null | head -1)
  [ -n "$f" ] && { zcat -f "$f" | grep -q "^\.TH ${m^^} 1"; } || fail "man page of $m"
done
ok "man pages"

soname=$(objdump -p "$libdir/libmktows.so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = "libmktows.so.0" ] || fail "SONAME '$soname'"
[ -f "$libdir/libmktows.a" ] || fail "no libmktows.a"
ok "libmktows.so SONAME $soname, libmktows.a"

# pkg-config: the flags, and a program built with them alone.  The unpacked
# packages' mktows.pc names /usr: their root is the sysroot.
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ -n "$sysroot" ] && export PKG_CONFIG_SYSROOT_DIR=$sysroot
flags=$(pkg-config --cflags --libs mktows) || fail "pkg-config mktows"
case "$flags" in *-lmktows*) ;; *) fail "pkg-config --libs lacks -lmktows: $flags" ;; esac
# shellcheck disable=SC2086
cc -o "$work/embed_pc" "$here/embed/embed.c" $flags -pthread -Wl,-rpath,"$libdir" ||
  fail "build with pkg-config flags: $flags"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
ok "pkg-config --cflags --libs mktows: $flags"

# find_package(mktows): the shared and the static library.  The shared one
# finds the tables beside itself (LIBDIR/../share, or ../../share for a
# multiarch LIBDIR); a program linking the archive is not installed here, so
# it is told where they are.
cmake -S "$here/embed" -B "$work/embed" -DCMAKE_PREFIX_PATH="$prefix" >"$work/embed.log" 2>&1 &&
  cmake --build "$work/embed" >>"$work/embed.log" 2>&1 || { cat "$work/embed.log" >&2; fail "find_package(mktows) build"; }
readelf -d "$work/embed/embed_shared" | grep -q 'NEEDED.*libmktows.so.0' || fail "embed_shared does not load libmktows.so.0"
readelf -d "$work/embed/embed_static" | grep -q 'libmktows' && fail "embed_static loads libmktows"
ok "find_package(mktows): mktows::mktows and mktows::mktows_static build"

stack_start EMB "$work/emb" "$work/embed/embed_shared" "$work/shim.json" || fail "embed_shared start"
getlead "$EMB" "program embedding libmktows.so (find_package)"
MKTOWS_MAPPING_DIR=$prefix/share/mktows-shim/mapping \
  stack_start EMBS "$work/embs" "$work/embed/embed_static" "$work/shim.json" || fail "embed_static start"
getlead "$EMBS" "program embedding libmktows.a (find_package)"
stack_start EMBP "$work/embp" "$work/embed_pc" "$work/shim.json" || fail "embed (pkg-config) start"
getlead "$EMBP" "program embedding libmktows.so (pkg-config)"
echo "all checks passed for $prefix"
