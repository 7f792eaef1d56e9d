#!/bin/sh
# emulator-wrk.sh — throughput and memory benchmark of marketo-emulator.
#
# Builds the emulator in Release (no sanitizers), starts it with 10,000
# synthetic leads and every limit off, then drives Get Leads by Filter Type
# (by email) with wrk over keep-alive connections:
#   1. a throughput run (DURATION, default 20 s) → requests/s;
#   2. a memory run of about MEM_REQUESTS (default 1,000,000) requests,
#      with the emulator's RSS read before and after — it must not grow.
#
# Usage: tests/bench/emulator-wrk.sh
# Environment: BUILD (build dir, default build-release), LEADS (10000),
#   DURATION (20s), CONNS (64), WRK_THREADS (1), EMU_THREADS (cores),
#   MEM_REQUESTS (1000000).
# Needs: cmake, a C compiler, wrk, curl.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-release}
LEADS=${LEADS:-10000}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-1}
EMU_THREADS=${EMU_THREADS:-$(nproc)}
MEM_REQUESTS=${MEM_REQUESTS:-1000000}
LUA="$ROOT/tests/bench/emulator-wrk.lua"

command -v wrk >/dev/null || { echo "emulator-wrk.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMKTOWS_SANITIZE=OFF -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" --target marketo-emulator -j"$(nproc)" >/dev/null
EMU="$BUILD/emulator/marketo-emulator"

OUT=$(mktemp)
"$EMU" --listen 127.0.0.1:0 --client-id bench --client-secret bench-secret \
    --rate-limit off --concurrency off --daily-quota off \
    --synthetic-leads "$LEADS" --threads "$EMU_THREADS" >"$OUT" &
PID=$!
trap 'kill $PID 2>/dev/null; rm -f "$OUT"' EXIT INT TERM
i=0
until grep -q "listening on" "$OUT"; do
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "emulator did not start" >&2; exit 1; }
    sleep 0.05
done
URL=$(sed -n 's/^listening on //p' "$OUT")
TOKEN=$(curl -s "$URL/identity/oauth/token?grant_type=client_credentials&client_id=bench&client_secret=bench-secret" |
        sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
export TOKEN LEADS

rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }

echo "marketo-emulator at $URL, $LEADS synthetic leads, $EMU_THREADS server threads;" \
     "wrk $WRK_THREADS thread(s), $CONNS keep-alive connections"
wrk -t"$WRK_THREADS" -c"$CONNS" -d3s -s "$LUA" "$URL" >/dev/null   # warm-up
echo "RSS after warm-up: $(rss) kB"

echo "--- throughput ($DURATION) ---"
wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$LUA" "$URL" | tee "$OUT.wrk"
RATE=$(awk '/^Requests\/sec/ {print int($2)}' "$OUT.wrk")
echo "requests/s: $RATE"

echo "--- memory (~$MEM_REQUESTS requests) ---"
BEFORE=$(rss)
# 30 % margin: the memory run must reach MEM_REQUESTS even if the rate dips.
SECS=$(( MEM_REQUESTS * 13 / 10 / (RATE > 0 ? RATE : 1) + 2 ))
wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" -s "$LUA" "$URL" > "$OUT.wrk"
AFTER=$(rss)
DONE=$(awk '/requests in/ {print $1}' "$OUT.wrk")
echo "requests: $DONE   RSS before: $BEFORE kB   after: $AFTER kB   growth: $((AFTER - BEFORE)) kB"
rm -f "$OUT.wrk"
