#!/usr/bin/env bash
# test_deb.sh — the Debian packages: built with dpkg-buildpackage -us -uc -b
# from a copy of the tree (so neither the build tree nor debian/'s artefacts
# land in the checkout), checked by lintian (no error; every tag printed),
# their maintainer scripts and unit inspected (systemd-analyze verify when
# systemd-analyze exists), then unpacked with dpkg-deb -x and run like an
# install (check_installed.sh) with the source tree and the package's build
# tree out of reach.
#
#   test_deb.sh SOURCE_DIR VERSION
set -euo pipefail
src=$(cd "$1" && pwd)
export MKTOWS_VERSION=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

mkdir "$tmp/pkg" "$tmp/pkg/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  # Tracked and new files as they are in the working tree, nothing ignored.
  git -C "$src" ls-files -co --exclude-standard -z |
    tar -C "$src" --null --ignore-failed-read -c -T - 2>/dev/null | tar -x -C "$tmp/pkg/src"
else
  tar -C "$src" --exclude='./build*' --exclude='./.git' -c . | tar -x -C "$tmp/pkg/src"
fi

start=$(date +%s)
(cd "$tmp/pkg/src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 ||
  { tail -60 "$tmp/build.log" >&2; fail "dpkg-buildpackage"; }
ok "dpkg-buildpackage -us -uc -b: $(($(date +%s) - start)) s"
# A public function that disappears fails the build (debian/libmktows0.symbols);
# a new one only warns here: add it to the symbols file with its version.
grep -A20 '^dpkg-gensymbols: warning' "$tmp/build.log" | sed 's/^/  /' || true
ver=$(dpkg-parsechangelog -l "$tmp/pkg/src/debian/changelog" -S Version)
[ "${ver%%-*}" = "$MKTOWS_VERSION" ] ||
  fail "debian/changelog is at $ver, CMakeLists.txt at $MKTOWS_VERSION: add a changelog entry"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for p in mktows-shim libmktows0 libmktows-dev marketo-emulator; do
  [ -f "$tmp/pkg/${p}_${ver}_${arch}.deb" ] || fail "no package $p"
done
ok "packages: mktows-shim libmktows0 libmktows-dev marketo-emulator $ver"

# lintian: errors fail the test; warnings and the rest are shown.
lintian --fail-on error -I --pedantic "$tmp/pkg/mktows-shim_${ver}_${arch}.changes" \
  >"$tmp/lintian.log" 2>&1 || { cat "$tmp/lintian.log" >&2; fail "lintian"; }
grep -v '^running with root privileges' "$tmp/lintian.log" | sed 's/^/  lintian: /' || true
ok "lintian: no error"

# What the package does on installation: a conffile for the example, the
# service user from sysusers.d, the unit enabled (started once configured).
deb=$tmp/pkg/mktows-shim_${ver}_${arch}.deb
dpkg-deb -e "$deb" "$tmp/ctrl"
grep -qx /etc/mktows-shim/mktows-shim.example.json "$tmp/ctrl/conffiles" || fail "example is no conffile"
grep -q 'systemd-sysusers.*mktows-shim.conf' "$tmp/ctrl/postinst" || fail "postinst creates no user"
grep -q "deb-systemd-helper enable 'mktows-shim.service'" "$tmp/ctrl/postinst" || fail "unit not enabled"
ok "mktows-shim: conffile, sysusers user, unit enabled"

mkdir "$tmp/root"
for p in mktows-shim libmktows0 libmktows-dev marketo-emulator; do
  dpkg-deb -x "$tmp/pkg/${p}_${ver}_${arch}.deb" "$tmp/root"
done
unit=/lib/systemd/system/mktows-shim.service
[ -f "$tmp/root$unit" ] || fail "no $unit"
grep -qx 'ExecStart=/usr/bin/mktows-shim --config /etc/mktows-shim/mktows-shim.json' "$tmp/root$unit" ||
  fail "unit ExecStart"
grep -qx 'u mktows-shim - .*' "$tmp/root/usr/lib/sysusers.d/mktows-shim.conf" || fail "sysusers entry"

if command -v systemd-analyze >/dev/null; then
  # The unit as shipped, its paths resolved in the unpacked package; the
  # units it orders against and /bin/kill come from this machine.
  mkdir -p "$tmp/vroot/bin"
  cp -a "$tmp/root/." "$tmp/vroot/"
  cp -an /lib/systemd/system/. "$tmp/vroot/lib/systemd/system/"
  cp /bin/kill "$tmp/vroot/bin/"
  out=$(systemd-analyze verify --man=no --root="$tmp/vroot" "$unit" 2>&1) && [ -z "$out" ] ||
    { echo "$out" >&2; fail "systemd-analyze verify"; }
  ok "systemd-analyze verify $unit: clean"
  systemd-analyze security --offline=yes --root="$tmp/vroot" "$unit" 2>/dev/null |
    sed -n 's/^→ /  /p' || true
else
  echo "SKIP: systemd-analyze is not installed; the unit was not verified"
fi

if grep -rlaF -e "$src" -e "$tmp/pkg/src" "$tmp/root" >"$tmp/named"; then
  cat "$tmp/named" >&2
  fail "packaged files name the source or package build tree"
fi
ok "no packaged file names $src or the package's build tree"
rm -rf "$tmp/pkg/src"

mkdir "$tmp/check"
cp -r "$here/check_installed.sh" "$here/embed" "$src/tests/scripts/stack.sh" "$tmp/check/"
"$here/without_trees.sh" "$src" -- \
  bash "$tmp/check/check_installed.sh" "$tmp/root/usr" "$tmp/root/usr/lib/$multiarch" \
       "$tmp/root/etc/mktows-shim/mktows-shim.example.json" "$tmp/root"
