#!/usr/bin/env bash
# test_install.sh — `cmake --install` of a Release tree into a temporary
# prefix (not the one it was configured for); no installed file may name the
# source or build tree, and the installed programs, library, pkg-config and
# CMake files must work with both trees hidden (check_installed.sh, run
# from a copy).
#
#   test_install.sh SOURCE_DIR RELEASE_BUILD_DIR VERSION
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
export MKTOWS_VERSION=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$tmp/" in "$src/"*|"$build/"*) echo "FAIL: TMPDIR is inside the trees to hide" >&2; exit 1 ;; esac

cmake --install "$build" --prefix "$tmp/installed" >"$tmp/install.log" ||
  { cat "$tmp/install.log" >&2; exit 1; }
prefix=$tmp/installed

if grep -rlaF -e "$src" -e "$build" "$prefix" >"$tmp/named"; then
  echo "FAIL: installed files name the source or build tree:" >&2
  cat "$tmp/named" >&2
  exit 1
fi
echo "ok: no installed file names $src or $build"

mkdir "$tmp/check"
cp -r "$here/check_installed.sh" "$here/embed" "$src/tests/scripts/stack.sh" "$tmp/check/"
"$here/without_trees.sh" "$src" "$build" -- \
  bash "$tmp/check/check_installed.sh" "$prefix" "$prefix/lib" \
       "$prefix/share/mktows-shim/mktows-shim.example.json"
