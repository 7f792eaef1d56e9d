#!/usr/bin/python3
"""gate-bench.py — what one element with very many attributes costs
mktows-shim before authentication (issue 9: 160,000 attributes held a
worker 140 s in libgsoap, quadratic in the count).

Starts marketo-emulator and mktows-shim (a Release build), then POSTs an
unsigned getLead whose keyType element carries N attributes, N = 10k, 40k,
160k, 640k, and times the answer (20014: the gate passes it, gSOAP reads
the header, authentication refuses it).  Printed beside a reference
measured in the same run: the same request without the attributes.  Run
twice: with xml.max_attributes raised to 1,000,000 (the gate's own cost,
which must grow linearly) and with the default limit (refused at the 257th
attribute: 20012).  A benchmark, not a test: nothing here passes or fails.

usage: tests/bench/gate-bench.py [--build-dir DIR] [--repeat R]
  --build-dir  a build of this tree (default build/release; make it with
               cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
               -DBUILD_TESTING=OFF && cmake --build build/release)
"""
import argparse
import os
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "golden"))
import golden_support  # noqa: E402

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SIZES = [10000, 40000, 160000, 640000]


def request(n):
    attrs = "".join(' a%d="1"' % i for i in range(n))
    return ('<s:Envelope xmlns:s="%s"><s:Header><m:AuthenticationHeader xmlns:m="%s">'
            '<mktowsUserId>bench</mktowsUserId><requestSignature>%s</requestSignature>'
            '<requestTimestamp>2026-01-01T00:00:00Z</requestTimestamp></m:AuthenticationHeader>'
            '</s:Header><s:Body><m:paramsGetLead xmlns:m="%s"><leadKey><keyType%s>IDNUM</keyType>'
            '<keyValue>1</keyValue></leadKey></m:paramsGetLead></s:Body></s:Envelope>'
            % (ENV, golden_support.NS, "0" * 40, golden_support.NS, attrs)).encode()


def timed(url, body, repeat):
    best, answer = None, None
    for _ in range(repeat):
        t = time.monotonic()
        answer = golden_support.http("POST", url, body, {"Content-Type": "text/xml",
                                                         "SOAPAction": '""'})
        s = time.monotonic() - t
        best = s if best is None or s < best else best
    code = answer[1].split("<code>")[1].split("<")[0] if "<code>" in answer[1] else "-"
    return best, answer[0], code


def run(config, label, repeat):
    with golden_support.Stack(golden_support.default_seed(), {"bench": "bench-key"},
                              config=config) as stack:
        url = stack.shim_url + "/soap/mktows/3_1"
        ref, status, code = timed(url, request(0), repeat)
        print("\n%s" % label)
        print("| attributes | bytes | answer | seconds | per attribute | vs 10k |")
        print("| --- | --- | --- | --- | --- | --- |")
        print("| 0 (reference) | %d | %d %s | %.4f | | |" % (len(request(0)), status, code, ref))
        base = None
        for n in SIZES:
            body = request(n)
            s, status, code = timed(url, body, repeat)
            base = base or s
            print("| %d | %d | %d %s | %.4f | %.2f us | x %.1f (size x %d) |"
                  % (n, len(body), status, code, s, (s - ref) / n * 1e6, s / base, n // SIZES[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(TOP, "build", "release"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    shim = os.path.join(a.build_dir, "src", "mktows-shim")
    emu = os.path.join(a.build_dir, "emulator", "marketo-emulator")
    for p in (shim, emu):
        if not os.access(p, os.X_OK):
            sys.exit("no %s: build the tree first (see --help)" % p)
    sys.argv = [sys.argv[0], shim, emu]   # golden_support.Stack reads them there
    run({"xml": {"max_attributes": 1000000}, "access_log": False},
        "xml.max_attributes 1,000,000 (the gate's own cost)", a.repeat)
    run({"access_log": False}, "default limits (xml.max_attributes 256)", a.repeat)


if __name__ == "__main__":
    main()
