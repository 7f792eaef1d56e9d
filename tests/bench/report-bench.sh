#!/usr/bin/env bash
# report-bench.sh — how long `mktows-shim report` takes on a large usage log,
# beside a reference measured in the same run: decompressing the same file
# with gzip (the least any reader of it must do).
#
#   bash tests/bench/report-bench.sh [LINES]     (default 2,000,000)
#
# Uses the Release build (build/release; built if missing).  Prints lines/s,
# the ratio to the gzip reference and the report's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES=${1:-2000000}
if [ ! -x build/release/src/mktows-shim ]; then
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build build/release -j"$(nproc)" >/dev/null
fi
SHIM=build/release/src/mktows-shim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/usage.log.gz" "$LINES" <<'PY'
import gzip, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "workbench"))
import usagegen
with gzip.open(sys.argv[1], "wt", compresslevel=1) as f:
    usagegen.write(f, int(sys.argv[2]), days=30, late=100)
PY
echo "usage log: $LINES lines, $(du -h "$tmp/usage.log.gz" | cut -f1) gzipped"
t0=$(date +%s.%N)
gzip -dc "$tmp/usage.log.gz" >/dev/null
t1=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$tmp/rss" "$SHIM" report --format json "$tmp/usage.log.gz" >"$tmp/report.json"
t2=$(date +%s.%N)
"$SHIM" report --format html --output "$tmp/report.html" "$tmp/usage.log.gz"
t3=$(date +%s.%N)
/usr/bin/python3 - "$t0" "$t1" "$t2" "$t3" "$LINES" "$(cat "$tmp/rss")" "$tmp/report.json" <<'PY'
import json, sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
lines, rss = int(sys.argv[5]), int(sys.argv[6])
rep = json.load(open(sys.argv[7]))
assert rep["totals"]["calls"] == lines, rep["totals"]["calls"]
print("reference  gzip -dc:           %6.2f s" % (t1 - t0))
print("report --format json:          %6.2f s  (%.0f lines/s, %.1fx the reference), peak RSS %.1f MB"
      % (t2 - t1, lines / (t2 - t1), (t2 - t1) / (t1 - t0), rss / 1024))
print("report --format html:          %6.2f s" % (t3 - t2))
PY
