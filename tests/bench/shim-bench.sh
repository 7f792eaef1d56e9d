#!/bin/sh
# shim-bench.sh — how fast is mktows-shim, and how few REST calls does it
# spend, for legacy one-lead-per-call clients?  getLead and syncLead under
# 1, 10 and 100 concurrent clients against marketo-emulator, release build.
# Prints a table: SOAP calls/s, REST calls per SOAP call (as the emulator
# counted them), p50/p99 latency.  A benchmark, not a test: nothing here
# passes or fails.
#
# usage: tests/bench/shim-bench.sh [--seconds S] [--clients "1 10 100"]
#                                  [--ops "getLead syncLead"] [--no-limits]
#                                  [--tls] [--build-dir DIR]
#   --no-limits  run the emulator without Marketo's limits (rate, concurrency,
#                daily quota) to see the shim's own cost; by default the
#                emulator enforces 100 calls / 20 s and 10 in flight, and the
#                shim lives within them (calls/s then shows what the limits
#                allow, and coalescing is what keeps it from 5 calls/s).
#   --tls        the shim serves HTTPS (tls.*, a throwaway CA and certificate
#                made here); clients keep their connections, as legacy ones do.
#   --build-dir  a Release build of this tree (default build-bench, built here).
# Each scenario gets a fresh emulator state (POST /_emulator/reset) and a
# fresh shim (its quota guard starts empty, like the emulator's window).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=10
clients_list="1 10 100"
ops="getLead syncLead"
limits=yes
tls=no
build="$top/build-bench"
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients_list=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --no-limits) limits=no; shift ;;
    --tls) tls=yes; shift ;;
    --build-dir) build=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds S] [--clients LIST] [--ops LIST] [--no-limits] [--tls] [--build-dir DIR]" >&2
       exit 2 ;;
    esac
done

if [ ! -x "$build/src/mktows-shim" ] || [ ! -x "$build/emulator/marketo-emulator" ]; then
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null 2>&1
    cmake --build "$build" -j "$(nproc)" --target mktows-shim marketo-emulator >/dev/null 2>&1
fi
work=$(mktemp -d)
driver="$work/shim_bench"
# shellcheck disable=SC2046
cc -O2 -o "$driver" "$top/tests/bench/shim_bench.c" $(pkg-config --cflags --libs libcurl libcrypto) -lpthread

emu_pid=""
shim_pid=""
cleanup() {
    [ -n "$shim_pid" ] && kill "$shim_pid" 2>/dev/null && wait "$shim_pid" 2>/dev/null || true
    [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Wait for a started program's "listening on" line; print its URL.
ready() { # name outfile pid
    i=0
    while ! grep -q "listening on" "$2" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 200 ] || ! kill -0 "$3" 2>/dev/null; then
            echo "$1 did not start:" >&2; cat "$2.err" >&2; exit 1
        fi
        sleep 0.05
    done
    sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$2" | head -1
}

leads=10000
if [ $limits = yes ]; then
    emu_limits="--rate-limit 100/20 --concurrency 10 --daily-quota 10000000"
else
    emu_limits="--rate-limit off --concurrency off --daily-quota off"
fi
# shellcheck disable=SC2086
"$build/emulator/marketo-emulator" --listen 127.0.0.1:0 --client-id bench-id \
    --client-secret bench-secret --synthetic-leads $leads $emu_limits \
    >"$work/emu.out" 2>"$work/emu.out.err" &
emu_pid=$!
emu_url=$(ready marketo-emulator "$work/emu.out" $emu_pid)

user=bench_user_5F0C
key=0123456789ABCDEF0123456789ABCDEF
if [ $limits = yes ]; then shim_limits=""; else
    shim_limits=', "rate_limit": 100000, "max_concurrency": 1000'; fi
shim_tls=""
cacert=""
if [ $tls = yes ]; then
    (cd "$work" &&
     openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
         -out ca.pem -days 1 -subj "/CN=bench ca" >/dev/null 2>&1 &&
     openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
         -out server.csr -subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
     printf 'subjectAltName=IP:127.0.0.1\n' >server.ext &&
     openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
         -extfile server.ext -out server.pem >/dev/null 2>&1) || { echo "openssl failed" >&2; exit 1; }
    shim_tls=", \"tls\": {\"cert_file\": \"$work/server.pem\", \"key_file\": \"$work/server.key\"}"
    cacert="--cacert $work/ca.pem"
fi
cat >"$work/shim.json" <<EOF
{"listen": "127.0.0.1:0"$shim_tls,
 "rest": {"endpoint": "$emu_url", "client_id": "bench-id", "client_secret": "bench-secret"$shim_limits},
 "soap_users": {"$user": {"encryption_key": "$key"}},
 "workers": 128, "access_log": false, "timeouts": {"request_seconds": 120}}
EOF

echo "mktows-shim benchmark: $seconds s per scenario, emulator limits: $limits, TLS: $tls, $(nproc) CPUs, $(uname -m)"
printf '%-9s %7s %7s %6s %9s %12s %9s %9s\n' op clients calls faults "SOAP/s" "REST/SOAP" "p50 ms" "p99 ms"
run=0
for op in $ops; do
    for n in $clients_list; do
        run=$((run + 1))
        curl -s -X POST "$emu_url/_emulator/reset" >/dev/null
        rm -f "$work/shim.out"
        "$build/src/mktows-shim" --config "$work/shim.json" >"$work/shim.out" 2>"$work/shim.out.err" &
        shim_pid=$!
        shim_url=$(ready mktows-shim "$work/shim.out" $shim_pid)
        # shellcheck disable=SC2046
        set -- $("$driver" --shim "$shim_url" --emulator "$emu_url" --user "$user" --key "$key" \
                 --op "$op" --clients "$n" --seconds "$seconds" --tag "bench$run" --leads $leads \
                 $cacert)
        printf '%-9s %7s %7s %6s %9s %12s %9s %9s\n' "$1" "$2" "$3" "$5" "$7" "${11}" "$8" "$9"
        kill "$shim_pid"; wait "$shim_pid" 2>/dev/null || true
        shim_pid=""
    done
done
