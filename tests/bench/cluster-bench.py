#!/usr/bin/python3
"""cluster-bench.py — one replica or three behind HAProxy, one Marketo budget.

    /usr/bin/python3 tests/bench/cluster-bench.py [--calls N] [--clients C] [--build-dir DIR]

The same load (N one-lead syncLead calls, distinct emails, from C client
threads through HAProxy) against 1 and then 3 mktows-shim replicas sharing
one redis-server, in front of marketo-emulator enforcing Marketo's limits
(100 calls / 20 s, 10 in flight).  Prints, side by side, SOAP calls/s, REST
calls per SOAP call (as the emulator counted them), p50/p99 latency and the
emulator's 606/615 refusals.  A benchmark, not a test: nothing here passes or
fails.  --build-dir: a Release build of this tree (default build/release,
built by tests/run.sh).
"""
import argparse
import os
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "cluster"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--build-dir", default=os.path.join(TOP, "build", "release"))
    a = ap.parse_args()
    shim = os.path.join(a.build_dir, "src", "mktows-shim")
    emu = os.path.join(a.build_dir, "emulator", "marketo-emulator")
    for p in (shim, emu):
        if not os.access(p, os.X_OK):
            sys.exit("%s: not built (cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release "
                     "&& cmake --build build/release)" % p)
    sys.argv[1:] = [shim, emu]   # cluster_support reads the programs from argv
    import cluster_support as cs

    rows = []
    for replicas in (1, 3):
        with cs.Cluster(replicas, None, {"timeouts": {"request_seconds": 120}},
                        ["--rate-limit", "100/20", "--concurrency", "10"]) as c:
            lat = [0.0] * a.calls

            def call(k):
                t0 = time.monotonic()
                r = cs.sync_lead(c.url, "bench%d.%d@cluster.test" % (replicas, k), 1)
                lat[k] = time.monotonic() - t0
                return r
            t0 = time.monotonic()
            res = cs.run_calls(a.calls, a.clients, call)
            secs = time.monotonic() - t0
            st = c.emulator_stats()
            ok = sum(1 for s, _ in res if s == 200)
            writes = st.get("calls", {}).get("POST /rest/v1/leads.json", 0)
            lat.sort()
            rej = st.get("rejections", {})
            rows.append((replicas, ok, a.calls / secs, writes / a.calls,
                         lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000,
                         rej.get("606", 0) + rej.get("615", 0), st.get("maxInFlight", 0)))
    print("\n%d one-lead syncLead calls from %d clients through HAProxy; emulator at "
          "100 calls / 20 s, 10 in flight\n" % (a.calls, a.clients))
    print("| replicas | succeeded | SOAP calls/s | REST per SOAP call | p50 ms | p99 ms "
          "| 606+615 | max REST in flight |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %d | %d | %.0f | %.4f | %.0f | %.0f | %d | %d |" % r)
    print("\n3 replicas vs 1: %.2f x the SOAP calls/s, %.2f x the REST calls per SOAP call" %
          (rows[1][2] / rows[0][2], rows[1][3] / rows[0][3]))


if __name__ == "__main__":
    main()
