#!/bin/sh
# shim-bench.sh — mktows-shim under legacy one-lead-per-call load against
# marketo-emulator (Release build).  Every figure is printed beside the
# reference it is judged against, measured in the same run.  A benchmark,
# not a test: nothing here passes or fails.
#
# Scenarios (--scenarios, default "budget fair memory"):
#   budget  limits on (emulator: 100 calls / 20 s, 10 in flight), CLIENTS
#           (1,000) concurrent clients for SECONDS (30) each of getLead and
#           syncLead: SOAP calls/s against the ceiling the budget allows for
#           one-lead calls (5 calls/s x 300 records = 1,500/s), p50/p99,
#           REST calls, 606/615 answered by the emulator, answers that were
#           not the caller's own, the shim's CPU time per SOAP call (µs).
#   fair    limits on, two SOAP users (weights 1:1) with 900 and 100 clients:
#           each one's calls/s, p50/p99, and share of the calls made while
#           both were busy.
#   queue   limits on, coalescing off, QUEUE_CLIENTS (200) getLead clients:
#           every SOAP call is a REST call of its own, so all but a few wait
#           in the quota guard's queue; SOAP calls/s against the budget's 5/s,
#           the shim's CPU per second of the run while they wait, and the
#           guard's wake-ups beside its admissions (/_shim/stats).
#   memory  limits on, 5,000 concurrent getLead clients: the shim's RSS and
#           thread count idle and at the peak, and per 1,000 waiting
#           requests.
#   lean    limits off: getLead by email with wrk, 16 keep-alive connections
#           and 1: a bare gSOAP server of the same WSDL (tests/bench/
#           bare_soap.c), the emulator's REST lead query made directly, and
#           the shim; the ideal serial composition 1/(1/bare + 1/rest) and
#           the shim's ratio to it; for 1 connection the shim's latency over
#           the direct REST call.  Needs wrk.
#
# usage: tests/bench/shim-bench.sh [--seconds S] [--clients N]
#                                  [--scenarios "budget fair queue memory lean"]
#                                  [--build-dir DIR] [--ops "getLead syncLead"] [--tls]
#   --tls        the shim serves HTTPS (tls.*, a throwaway CA and certificate
#                made here); clients keep their connections, as legacy ones do.
#   --build-dir  a Release build of a tree (default build-bench, built here
#                from this tree); pass an older tree's build to get "before".
# SHIM_BENCH_LATENCIES=FILE: the driver writes every call's start (µs since
# the run began), latency (µs) and user (0, 1, ...) to FILE, to see where a
# tail comes from (the last scenario run overwrites it).
# Each scenario gets a fresh emulator state and a fresh shim.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=30
clients=1000
scenarios="budget fair memory"
ops="getLead syncLead"
build="$top/build-bench"
tls=no
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --tls) tls=yes; shift ;;
    *) echo "usage: $0 [--seconds S] [--clients N] [--scenarios LIST] [--ops LIST] [--build-dir DIR] [--tls]" >&2
       exit 2 ;;
    esac
done

if [ ! -x "$build/src/mktows-shim" ]; then
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null 2>&1
    cmake --build "$build" -j "$(nproc)" --target mktows-shim marketo-emulator >/dev/null 2>&1
fi
# emulator/ since the emulator left src/; older trees (a "before" build) had it in src/.
emu_bin="$build/emulator/marketo-emulator"
[ -x "$emu_bin" ] || emu_bin="$build/src/emulator/marketo-emulator"
work=$(mktemp -d)
driver="$work/shim_bench"
# shellcheck disable=SC2046
cc -O2 -o "$driver" "$top/tests/bench/shim_bench.c" $(pkg-config --cflags --libs libcurl libcrypto)

emu_pid=""
shim_pid=""
bare_pid=""
stop_shim() {
    if [ -n "$shim_pid" ]; then kill "$shim_pid" 2>/dev/null || true; wait "$shim_pid" 2>/dev/null || true; fi
    shim_pid=""
}
cleanup() {
    stop_shim
    if [ -n "$bare_pid" ]; then kill "$bare_pid" 2>/dev/null || true; wait "$bare_pid" 2>/dev/null || true; fi
    if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Wait for a started program's "listening on" line; print its URL.
ready() { # name outfile pid
    i=0
    while ! grep -q "listening on" "$2" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 400 ] || ! kill -0 "$3" 2>/dev/null; then
            echo "$1 did not start:" >&2; cat "$2.err" >&2; exit 1
        fi
        sleep 0.05
    done
    sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$2" | head -1
}

leads=10000
start_emulator() { # limits: yes|no
    if [ -n "$emu_pid" ]; then kill "$emu_pid"; wait "$emu_pid" 2>/dev/null || true; fi
    if [ "$1" = yes ]; then
        emu_limits="--rate-limit 100/20 --concurrency 10 --daily-quota 10000000"
    else
        emu_limits="--rate-limit off --concurrency off --daily-quota off"
    fi
    # shellcheck disable=SC2086
    "$emu_bin" --listen 127.0.0.1:0 --client-id bench-id \
        --client-secret bench-secret --synthetic-leads $leads $emu_limits \
        >"$work/emu.out" 2>"$work/emu.out.err" &
    emu_pid=$!
    emu_url=$(ready marketo-emulator "$work/emu.out" $emu_pid)
}

user1=bench_user_5F0C
key1=0123456789ABCDEF0123456789ABCDEF
user2=bench_small_9A1D
key2=FEDCBA9876543210FEDCBA9876543210

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

start_shim() { # limits: yes|no
    if [ "$1" = yes ]; then rest_limits=""; else
        rest_limits=', "rate_limit": 100000, "max_concurrency": 1000'; fi
    cat >"$work/shim.json" <<EOF
{"listen": "127.0.0.1:0"$shim_tls,
 "rest": {"endpoint": "$emu_url", "client_id": "bench-id", "client_secret": "bench-secret"$rest_limits},
 "soap_users": {"$user1": {"encryption_key": "$key1", "weight": 1},
                "$user2": {"encryption_key": "$key2", "weight": 1}},
 "workers": 128, "max_workers": 8192, "max_connections": 12000,
 "connections": {"per_client_limit": 0},
 "access_log": false, "timeouts": {"request_seconds": 120}}
EOF
    curl -s -X POST "$emu_url/_emulator/reset" >/dev/null
    rm -f "$work/shim.out"
    "$build/src/mktows-shim" --config "$work/shim.json" >"$work/shim.out" 2>"$work/shim.out.err" &
    shim_pid=$!
    shim_url=$(ready mktows-shim "$work/shim.out" $shim_pid)
}

proc_status() { # pid field
    awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}
cpu_ms() { # pid -> user + system CPU time so far, ms
    awk -v t="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / t)}' "/proc/$1/stat"
}
per_call_us() { # cpu_ms_before cpu_ms_after calls -> CPU µs per call
    awk -v a="$1" -v z="$2" -v n="$3" 'BEGIN {printf "%.0f", (n > 0 ? (z - a) * 1000 / n : 0)}'
}

echo "mktows-shim benchmark: $(nproc) CPUs, $(uname -m), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "shim: $build/src/mktows-shim, TLS: $tls"
# driver columns: who op clients calls ok faults wrong seconds calls_per_s
#                 p50_ms p99_ms share rest_calls rest_per_soap r606 r615 rss threads
run=0
for sc in $scenarios; do
    case $sc in
    budget)
        start_emulator yes
        echo
        echo "== budget: limits on (100 calls / 20 s, 10 in flight), $clients clients, $seconds s =="
        printf '%-9s %7s %6s %6s %5s %8s %8s %7s %9s %9s %8s %5s %5s %9s\n' op clients calls faults wrong \
            "SOAP/s" ceiling ratio "p50 ms" "p99 ms" "REST" 606 615 "CPU us"
        for op in $ops; do
            run=$((run + 1))
            start_shim yes
            cpu0=$(cpu_ms "$shim_pid")
            # shellcheck disable=SC2046
            set -- $("$driver" --shim "$shim_url" --emulator "$emu_url" --user "$user1:$key1:$clients" \
                     --op "$op" --seconds "$seconds" --tag "bench$run" --leads $leads $cacert)
            cpu=$(per_call_us "$cpu0" "$(cpu_ms "$shim_pid")" "$4")
            # The ceiling: what the budget allows over the seconds actually run.
            ceiling=$(awk -v s="$8" 'BEGIN {printf "%.0f", (100 / 20) * 300}')
            printf '%-9s %7s %6s %6s %5s %8s %8s %7s %9s %9s %8s %5s %5s %9s\n' "$2" "$3" "$4" "$6" "$7" "$9" \
                "$ceiling" "$(awk -v a="$9" -v b="$ceiling" 'BEGIN {printf "%.2f", a / b}')" \
                "${10}" "${11}" "${13}" "${15}" "${16}" "$cpu"
            stop_shim
        done
        ;;
    fair)
        start_emulator yes
        run=$((run + 1))
        start_shim yes
        echo
        echo "== fair: limits on, two SOAP users, weights 1:1, 900 and 100 clients, getLead, $seconds s =="
        printf '%-18s %7s %6s %6s %5s %8s %9s %9s %8s %10s\n' user clients calls faults wrong \
            "SOAP/s" "p50 ms" "p99 ms" share "fair share"
        cpu0=$(cpu_ms "$shim_pid")
        "$driver" --shim "$shim_url" --emulator "$emu_url" --user "$user1:$key1:900" \
            --user "$user2:$key2:100" --op getLead --seconds "$seconds" --tag "bench$run" \
            --leads $leads $cacert >"$work/fair.out"
        cpu1=$(cpu_ms "$shim_pid")
        while read -r who _op n calls _ok faults wrong _s rate p50 p99 share _rest; do
            [ "$who" = all ] && fair=1.000 || fair=0.500
            printf '%-18s %7s %6s %6s %5s %8s %9s %9s %8s %10s\n' "$who" "$n" "$calls" "$faults" \
                "$wrong" "$rate" "$p50" "$p99" "$share" "$fair"
        done <"$work/fair.out"
        echo "(fair share: 1:1 weights give each user half of the budget while both are busy," \
             "or all it asks for when it asks less)"
        echo "shim CPU per SOAP call: $(per_call_us "$cpu0" "$cpu1" "$(awk '$1 == "all" {print $4}' "$work/fair.out")") us"
        stop_shim
        ;;
    queue)
        start_emulator yes
        run=$((run + 1))
        export MKTOWS_COALESCE=false
        start_shim yes
        unset MKTOWS_COALESCE
        n=${QUEUE_CLIENTS:-200}
        echo
        echo "== queue: limits on, coalescing off, $n getLead clients, $seconds s =="
        cpu0=$(cpu_ms "$shim_pid")
        # shellcheck disable=SC2046
        set -- $("$driver" --shim "$shim_url" --emulator "$emu_url" --user "$user1:$key1:$n" \
                 --op getLead --seconds "$seconds" --tag "bench$run" --leads $leads $cacert)
        cpu1=$(cpu_ms "$shim_pid")
        curl -s "$shim_url/_shim/stats" >"$work/stats.json"
        /usr/bin/python3 - "$work/stats.json" "$n" "$9" "$8" "$cpu0" "$cpu1" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))["limiter"]
n, rate, secs = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
cpu = (int(sys.argv[6]) - int(sys.argv[5])) / secs
print("%-34s %10s %10s" % ("", "figure", "reference"))
print("%-34s %10.1f %10s" % ("SOAP calls/s (budget: 5 calls/s)", rate, "5.0"))
print("%-34s %10.0f %10s" % ("shim CPU, ms per second", cpu, "1000/core"))
print("%-34s %10s %10d" % ("guard wake-ups / admissions", st.get("wakeups", "n/a"), st["admitted"]))
print("(%d clients queued; a waiter is woken when it becomes the head of the queue)" % n)
PY
        stop_shim
        ;;
    memory)
        start_emulator yes
        run=$((run + 1))
        start_shim yes
        n=5000
        sleep 1
        idle_rss=$(proc_status "$shim_pid" VmRSS)
        idle_thr=$(proc_status "$shim_pid" Threads)
        echo
        echo "== memory: limits on, $n concurrent getLead clients, $seconds s =="
        # shellcheck disable=SC2046
        set -- $("$driver" --shim "$shim_url" --emulator "$emu_url" --user "$user1:$key1:$n" \
                 --op getLead --seconds "$seconds" --tag "bench$run" --leads $leads --pid "$shim_pid" $cacert)
        printf '%-26s %10s %8s\n' "" "RSS kB" threads
        printf '%-26s %10s %8s\n' "idle" "$idle_rss" "$idle_thr"
        printf '%-26s %10s %8s\n' "peak, $n waiting" "${17}" "${18}"
        printf '%-26s %10s %8s\n' "per 1,000 waiting" \
            "$(( (${17} - idle_rss) * 1000 / n ))" "$(( (${18} - idle_thr) * 1000 / n ))"
        echo "($n clients: $4 calls, $6 faults, $7 wrong, ${9} SOAP/s, p50 ${10} ms, p99 ${11} ms," \
             "606/615: ${15}/${16})"
        stop_shim
        ;;
    lean)
        sh "$top/tests/bench/lean-bench.sh" --build-dir "$build" --seconds "$seconds"
        ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
    esac
done
