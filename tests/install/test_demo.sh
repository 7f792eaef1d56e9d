#!/usr/bin/env bash
# test_demo.sh — tests/demo.sh must show its two signed calls answered and
# leave nothing running.  Every process the demo starts inherits a marker
# variable; after the demo returns, any process whose environment holds the
# marker is one it left behind (reparented or not).
#
#   test_demo.sh SOURCE_DIR RELEASE_BUILD_DIR [DEMO_SCRIPT]
# The demo reuses the Release tree (BUILD_DIR), so it only rebuilds what
# changed.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
demo=${3:-$src/tests/demo.sh}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tag="mktows-demo-$$-$RANDOM$RANDOM"
rc=0
MK_DEMO_TEST_TAG=$tag BUILD_DIR=$build bash "$demo" >"$tmp/out" 2>&1 || rc=$?

left=()
for env in /proc/[0-9]*/environ; do
  pid=${env#/proc/}
  pid=${pid%/environ}
  if tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF "MK_DEMO_TEST_TAG=$tag"; then
    left+=("$pid")
  fi
done
status=0
if [ ${#left[@]} -gt 0 ]; then
  echo "FAIL: the demo left ${#left[@]} process(es) running:" >&2
  for pid in "${left[@]}"; do
    echo "  $pid $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" >&2
  done
  kill "${left[@]}" 2>/dev/null || true   # ours: started by the demo above
  status=1
fi
if [ "$rc" -ne 0 ]; then
  cat "$tmp/out" >&2
  echo "FAIL: the demo exited $rc" >&2
  exit 1
fi
n=$(grep -c '^  HTTP/1.1 200 OK' "$tmp/out" || true)
grep -q '<ns1:successGetLead>' "$tmp/out" && grep -q '<ns1:successSyncLead>' "$tmp/out" &&
  [ "$n" -eq 2 ] || { cat "$tmp/out" >&2; echo "FAIL: the demo's calls were not answered" >&2; exit 1; }
[ "$status" -eq 0 ] && echo "ok: the demo answered getLead and syncLead and left nothing running"
exit "$status"
