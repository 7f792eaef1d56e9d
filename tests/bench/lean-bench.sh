#!/bin/sh
# lean-bench.sh — what the shim adds to a getLead when Marketo's limits are
# not the limit (issue 11, "lean").  In one run, with wrk over keep-alive
# connections (16, then 1), getLead by email (a different synthetic lead
# each request):
#   bare   a bare gSOAP server of the same WSDL (tests/bench/bare_soap.c):
#          parse the envelope, answer one lead, nothing else;
#   rest   the REST lead query the shim makes for a getLead (captured from
#          the shim through a logging proxy), sent to marketo-emulator
#          directly;
#   curl   the same REST query made with libcurl the way the shim makes
#          it (tests/bench/curl_rest.c, CONNS threads): what the REST
#          client side of the shim costs at the least, and the serial
#          composition of the bare server with it;
#   shim   mktows-shim in front of the same emulator.
# Then the ideal serial composition 1 / (1/bare + 1/rest) and the shim's
# ratio to it; for 1 connection also the shim's mean latency over the
# direct REST call's, in microseconds.  Beside each rate, the CPU time the
# server spent per request (for the shim: the shim and the emulator it
# calls), read from /proc: on a machine shared with other work it moves
# much less than the rates; and wrk's own (the `times` builtin).  Since
# every process shares the CPUs, 0.8 x ideal is a CPU budget per request:
# the last line of each table is what it leaves the shim beside what the
# shim used.  At the end, from the shim's /_shim/stats: REST
# calls in flight at most, getLead requests sent alone or batched, worker
# threads at most.  A benchmark, not a test.
#
# usage: tests/bench/lean-bench.sh [--build-dir DIR] [--seconds S]
# LEAN_PERF=FILE also records a perf profile (perf record -g) of the shim
# while wrk loads it (each connection count: LEAN_CONNS="16" runs only that one).
# Needs wrk, a C compiler, gSOAP (libgsoap-dev), libcurl (libcurl4-openssl-dev),
# /usr/bin/python3.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-bench"
seconds=10
while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--seconds S]" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "lean-bench.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [ ! -x "$build/src/mktows-shim" ] || [ ! -f "$build/src/gsoap/soapServer.c" ]; then
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null 2>&1
    cmake --build "$build" -j "$(nproc)" --target mktows-shim marketo-emulator >/dev/null 2>&1
fi
emu_bin="$build/emulator/marketo-emulator"
[ -x "$emu_bin" ] || emu_bin="$build/src/emulator/marketo-emulator"   # older trees
work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The bare server: bare_soap.c plus a fault-answering stub for every other
# operation of the generated skeleton.
gen="$build/src/gsoap"
sed -n 's/^ *SOAP_FMAC5 int SOAP_FMAC6 \(__ns1__[A-Za-z0-9_]*\)(struct soap\*, \(struct [A-Za-z0-9_]* \*\)\([A-Za-z0-9_]*\), \(struct [A-Za-z0-9_]* \*\)\([A-Za-z0-9_]*\));/int \1(struct soap *soap, \2\3, \4\5) { (void)\3; (void)\5; return soap_receiver_fault(soap, "not served by bare_soap", NULL); }/p' \
    "$gen/soapStub.h" | grep -v '__ns1__getLead(' >"$work/stubs.c"
sed -i '1i #include "soapH.h"' "$work/stubs.c"
# shellcheck disable=SC2046
cc -O2 -w -I"$gen" -o "$work/bare_soap" "$top/tests/bench/bare_soap.c" "$work/stubs.c" \
    "$gen/soapC.c" "$gen/soapServer.c" $(pkg-config --cflags --libs gsoap) -lpthread
# The libcurl reference client: the REST call as the shim makes it.
# shellcheck disable=SC2046
cc -O2 -o "$work/curl_rest" "$top/tests/bench/curl_rest.c" $(pkg-config --cflags --libs libcurl) -lpthread

ready() { # name outfile pid
    i=0
    while ! grep -q "listening on" "$2" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 400 ] || ! kill -0 "$3" 2>/dev/null; then
            echo "$1 did not start:" >&2; cat "$2" "$2.err" >&2 2>/dev/null; exit 1
        fi
        sleep 0.05
    done
    sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$2" | head -1
}

leads=10000
"$emu_bin" --listen 127.0.0.1:0 --client-id bench-id \
    --client-secret bench-secret --synthetic-leads $leads --rate-limit off --concurrency off \
    --daily-quota off >"$work/emu.out" 2>"$work/emu.out.err" &
pids="$pids $!"
emu_pid=$!
emu_url=$(ready marketo-emulator "$work/emu.out" $!)
"$work/bare_soap" --attributes "${BARE_ATTRIBUTES:-3}" >"$work/bare.out" 2>"$work/bare.out.err" &
pids="$pids $!"
bare_pid=$!
bare_url=$(ready bare_soap "$work/bare.out" $!)

# The query the shim sends for a getLead by email: one call through a
# logging proxy in front of the emulator.
cat >"$work/proxy.py" <<'EOF'
import http.server, sys, urllib.request
target = sys.argv[1]
class P(http.server.BaseHTTPRequestHandler):
    def do_GET(self): self.fwd(None)
    def do_POST(self): self.fwd(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
    def fwd(self, body):
        # The lead query as the shim sends it: a GET with its query, or
        # (a long query) POST ?_method=GET with the query as a form body.
        if self.path.startswith("/rest/v1/leads.json?_method=GET") and body is not None:
            with open(sys.argv[2], "a") as f: f.write("POST " + body.decode() + "\n")
        elif self.path.startswith("/rest/v1/leads.json?"):
            with open(sys.argv[2], "a") as f: f.write("GET " + self.path.split("?", 1)[1] + "\n")
        req = urllib.request.Request(target + self.path, data=body, method=self.command,
                                     headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            r = urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            r = e
        data = r.read()
        self.send_response(r.status)
        self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), P)
print("listening on http://127.0.0.1:%d" % s.server_port, flush=True)
s.serve_forever()
EOF
/usr/bin/python3 "$work/proxy.py" "$emu_url" "$work/queries" >"$work/proxy.out" 2>"$work/proxy.out.err" &
pids="$pids $!"
proxy_url=$(ready proxy "$work/proxy.out" $!)

user=bench_user_5F0C
key=0123456789ABCDEF0123456789ABCDEF
start_shim() { # endpoint outfile
    cat >"$work/shim-$2.json" <<EOF
{"listen": "127.0.0.1:0",
 "rest": {"endpoint": "$1", "identity": "$emu_url/identity", "client_id": "bench-id",
          "client_secret": "bench-secret", "rate_limit": 100000, "max_concurrency": 1000},
 "soap_users": {"$user": {"encryption_key": "$key"}},
 "access_log": false}
EOF
    "$build/src/mktows-shim" --config "$work/shim-$2.json" >"$work/$2.out" 2>"$work/$2.out.err" &
    pids="$pids $!"
    shim_pid=$!
    shim_url=$(ready mktows-shim "$work/$2.out" $!)
}

TS=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
SIG=$(printf '%s%s' "$TS" "$user" | openssl dgst -sha1 -hmac "$key" | sed 's/^.*= //')
envelope() { # email
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.marketo.com/mktows/"><SOAP-ENV:Header><ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId><requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp></ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body><ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>%s</keyValue></leadKey></ns1:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>' \
        "$user" "$SIG" "$TS" "$1"
}
start_shim "$proxy_url" capture
envelope synthetic-7@example.com >"$work/one.xml"
curl -s -o "$work/shim-answer.xml" -H 'Content-Type: text/xml' --data-binary @"$work/one.xml" \
    "$shim_url/soap/mktows/2_9"
captured=$(grep 'filterValues=synthetic-7' "$work/queries" | tail -1)
rest_method=${captured%% *}
query=$(printf '%s' "${captured#* }" | sed 's/synthetic-7%40example.com/%s/')
[ -n "$captured" ] && [ -n "$query" ] || { echo "lean-bench.sh: could not capture the shim's REST query" >&2; exit 1; }
kill "$shim_pid"; wait "$shim_pid" 2>/dev/null || true
curl -s -o "$work/bare-answer.xml" -H 'Content-Type: text/xml' --data-binary @"$work/one.xml" \
    "$bare_url/soap/mktows/2_9"
TOKEN=$(curl -s "$emu_url/identity/oauth/token?grant_type=client_credentials&client_id=bench-id&client_secret=bench-secret" |
        sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
one_query=$(printf '%s' "$query" | sed 's/%s/synthetic-7%40example.com/')
if [ "$rest_method" = POST ]; then
    curl -s -o "$work/rest-answer.json" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$one_query" \
        "$emu_url/rest/v1/leads.json?_method=GET"
else
    curl -s -o "$work/rest-answer.json" -H "Authorization: Bearer $TOKEN" \
        "$emu_url/rest/v1/leads.json?$one_query"
fi
start_shim "$emu_url" shim
export LEADS=$leads QUERY="$query" REST_METHOD=$rest_method TOKEN USER_ID=$user SIG TS

echo "lean: limits off, getLead by email, wrk 1 thread, $seconds s per figure, $(nproc) CPUs"
echo "answer sizes (bytes): bare gSOAP $(wc -c <"$work/bare-answer.xml"), REST $(wc -c <"$work/rest-answer.json"), shim $(wc -c <"$work/shim-answer.xml")"
if [ "$rest_method" = POST ]; then
    echo "REST query: POST /rest/v1/leads.json?_method=GET, form body $query"
else
    echo "REST query: GET /rest/v1/leads.json?$query"
fi
cpu_ms() { # pid -> user + system CPU time so far, ms
    awk -v t="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / t)}' "/proc/$1/stat"
}
# children_s FILE -> CPU seconds (user + system) of the reaped children
# in the output of the `times` builtin, which must run in the shell that
# ran them (not in a pipe or $(...), which fork).
children_s() {
    awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}
# wrk_run mode url conns pid... -> "req/s mean_us errors wrk_cpu_us cpu_us..."
# where wrk_cpu_us is wrk's own CPU time per request and
# cpu_us is each pid's CPU time per request: unlike the rates, it hardly
# depends on what else the shared machine runs meanwhile.
wrk_run() {
    mode=$1 url=$2 c=$3
    shift 3
    for p in "$@"; do cpu_ms "$p" >"$work/cpu.$p"; done
    times >"$work/times0"
    MODE=$mode wrk -t1 -c"$c" -d"${seconds}s" -s "$top/tests/bench/lean-wrk.lua" "$url" >"$work/wrk.out" 2>"$work/wrk.err" || true
    times >"$work/times1"
    w0=$(children_s "$work/times0")
    w1=$(children_s "$work/times1")
    rate=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")
    total=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    # Closed loop: each connection has one request out at a time.
    mean=$(awk -v r="${rate:-0}" -v c="$c" 'BEGIN {printf "%.1f", (r > 0 ? 1e6 * c / r : 0)}')
    errs=$(awk '/Non-2xx|Socket errors/ {s = s $0 "; "} END {print s == "" ? "0" : s}' "$work/wrk.out" | tr ' ' _)
    cpu=""
    for p in "$@"; do
        cpu="$cpu $(awk -v a="$(cat "$work/cpu.$p")" -v z="$(cpu_ms "$p")" -v n="${total:-0}" 'BEGIN {printf "%.1f", (n > 0 ? (z - a) * 1000 / n : 0)}')"
    done
    wcpu=$(awk -v a="$w0" -v z="$w1" -v n="${total:-0}" 'BEGIN {printf "%.1f", (n > 0 ? (z - a) * 1e6 / n : 0)}')
    echo "${rate:-0} ${mean:-0} $errs $wcpu$cpu"
}
# curl_run conns -> "req/s mean_us errors client_cpu_us emulator_cpu_us":
# the REST query sent by curl_rest.c (libcurl with the shim's options).
curl_run() {
    a=$(cpu_ms "$emu_pid")
    set -- $("$work/curl_rest" "$emu_url" "$query" "$TOKEN" "$leads" "$1" "$seconds")
    z=$(cpu_ms "$emu_pid")
    emu=$(awk -v a="$a" -v z="$z" -v r="${1:-0}" -v s="$seconds" 'BEGIN {printf "%.1f", (r > 0 ? (z - a) * 1000 / (r * s) : 0)}')
    echo "${1:-0} ${2:-0} ${4:-?} ${3:-0} $emu"
}
for conns in ${LEAN_CONNS:-16 1}; do
    set -- $(wrk_run soap "$bare_url/soap/mktows/2_9" $conns "$bare_pid"); bare=$1; bare_us=$2; bare_err=$3; bare_wrk=$4; bare_cpu=$5
    set -- $(wrk_run rest "$emu_url" $conns "$emu_pid"); rest=$1; rest_us=$2; rest_err=$3; rest_wrk=$4; rest_cpu=$5
    if [ "$rest_method" = POST ]; then
        set -- $(curl_run $conns); curl=$1; curl_us=$2; curl_err=$3; curl_cpu=$4; curl_emu_cpu=$5
    else
        curl=""
    fi
    perf_pid=""
    if [ -n "${LEAN_PERF:-}" ]; then
        # A profile of the shim under this load (perf record -g).
        perf record ${LEAN_PERF_OPTS:--g} -o "$LEAN_PERF" -p "$shim_pid" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    set -- $(wrk_run soap "$shim_url/soap/mktows/2_9" $conns "$shim_pid" "$emu_pid"); shim=$1; shim_us=$2; shim_err=$3; shim_wrk=$4; shim_cpu=$5; shim_emu_cpu=$6
    if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
    ideal=$(awk -v a="$bare" -v b="$rest" 'BEGIN {printf "%.0f", (a > 0 && b > 0) ? 1 / (1 / a + 1 / b) : 0}')
    echo
    echo "== $conns keep-alive connection(s) =="
    printf '%-34s %12s %12s %14s   %s\n' "" "req/s" "mean us" "server CPU us" errors
    printf '%-34s %12s %12s %14s   %s\n' "bare gSOAP getLead" "$bare" "$bare_us" "$bare_cpu" "$bare_err"
    printf '%-34s %12s %12s %14s   %s\n' "direct REST lead query" "$rest" "$rest_us" "$rest_cpu" "$rest_err"
    printf '%-34s %12s %12s %14s\n' "ideal serial composition" "$ideal" \
        "$(awk -v a="$bare_us" -v b="$rest_us" 'BEGIN {printf "%.1f", a + b}')" \
        "$(awk -v a="$bare_cpu" -v b="$rest_cpu" 'BEGIN {printf "%.1f", a + b}')"
    if [ -n "$curl" ]; then
        printf '%-34s %12s %12s %14s   %s\n' "direct REST, libcurl (curl_rest.c)" "$curl" "$curl_us" "$curl_emu_cpu" "$curl_err"
        printf '%-34s %12s %12s %14s\n' "  its client CPU per call (us)" "" "" "$curl_cpu"
        curl_ideal=$(awk -v a="$bare" -v b="$curl" 'BEGIN {printf "%.0f", (a > 0 && b > 0) ? 1 / (1 / a + 1 / b) : 0}')
        printf '%-34s %12s %12s\n' "bare gSOAP + libcurl REST, serial" "$curl_ideal" \
            "$(awk -v a="$bare_us" -v b="$curl_us" 'BEGIN {printf "%.1f", a + b}')"
    fi
    printf '%-34s %12s %12s %14s   %s\n' "mktows-shim getLead" "$shim" "$shim_us" \
        "$(awk -v a="$shim_cpu" -v b="$shim_emu_cpu" 'BEGIN {printf "%.1f", a + b}')" "$shim_err"
    printf '%-34s %12s %12s %14s\n' "  of which the shim / the emulator" "" "" "$shim_cpu / $shim_emu_cpu"
    printf '%-34s %12s\n' "shim / ideal" "$(awk -v a="$shim" -v b="$ideal" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
    # Every process of the run shares the machine's CPUs, so 0.8 x ideal
    # is a CPU budget per request; what wrk and the emulator took of it in
    # the shim's run leaves the shim its share.
    printf '%-34s %12s\n' "wrk CPU per request (us)" "bare $bare_wrk, REST $rest_wrk, shim $shim_wrk"
    [ "$conns" -gt 1 ] && awk -v n="$(nproc)" -v i="$ideal" -v w="$shim_wrk" -v e="$shim_emu_cpu" -v s="$shim_cpu" 'BEGIN {
        if (i <= 0) exit
        b = n * 1e6 / (0.8 * i)
        printf "%-34s %12.0f   (%d CPUs / (0.8 x ideal); wrk %.0f, the emulator %.0f: the shim may use %.0f, it used %.0f)\n",
            "CPU per request at 0.8 (us)", b, n, w, e, b - w - e, s }'
    if [ -n "$curl" ]; then
        printf '%-34s %12s\n' "bare + libcurl serial / ideal" "$(awk -v a="$curl_ideal" -v b="$ideal" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
        printf '%-34s %12s\n' "shim / (bare + libcurl serial)" "$(awk -v a="$shim" -v b="$curl_ideal" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
    fi
    if [ "$conns" = 1 ]; then
        printf '%-34s %12s\n' "shim latency over direct REST (us)" \
            "$(awk -v a="$shim_us" -v b="$rest_us" 'BEGIN {printf "%.1f", a - b}')"
    fi
done
echo
curl -s "$shim_url/_shim/stats" >"$work/stats.json"
/usr/bin/python3 - "$work/stats.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
def find(o, key):
    if isinstance(o, dict):
        if key in o:
            return o[key]
        for v in o.values():
            r = find(v, key)
            if r is not None:
                return r
    return None
get = (find(s, "coalescing") or {}).get("get", {})
w = s.get("workers", {})
print("shim REST calls in flight at most: %s" % find(s, "max_in_flight"))
print("shim getLead requests alone / batched / sharing a call, batches: %s / %s / %s, %s"
      % (get.get("requests_alone"), get.get("requests_batched"),
         get.get("requests_sharing_a_call"), get.get("batches")))
print("shim worker threads at most: %s" % w.get("peak_threads"))
if "handoffs" in w:
    print("shim requests handed straight to an idle worker: %s" % w.get("handoffs"))
EOF
