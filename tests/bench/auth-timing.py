#!/usr/bin/env python3
# auth-timing.py — does the time to answer 20014 tell whether a SOAP user id
# exists?  (issue 9, item 5: a known user with a wrong signature used to be
# answered ~16 us later than an unknown user, one HMAC-SHA1 more.)
# Sends, interleaved on one keep-alive connection, requests from an unknown
# user and from a known user with a wrong signature, and prints the median
# answer time of each; beside them, the noise floor measured in the same
# run: the same known-user request split into two groups.  A benchmark, not
# a test: nothing here passes or fails.
#
# usage: tests/bench/auth-timing.py [--build-dir DIR] [--tries N]
#   --build-dir  a Release build of this tree with mktows-shim (default
#                build-bench, built here)
#   --tries      requests per group (default 3000)
# Python standard library only; no REST back-end is needed (the shim answers
# 20014 before any REST call).
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

USER = "bigcorp1_461839624B16E06BA2D663"
KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def envelope(user):
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:ns1="http://www.marketo.com/mktows/"><SOAP-ENV:Header>'
            '<ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId>'
            '<requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp>'
            '</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>'
            '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue>'
            '</leadKey></ns1:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>'
            % (user, "0" * 40, ts)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(TOP, "build-bench"))
    ap.add_argument("--tries", type=int, default=3000)
    a = ap.parse_args()
    shim_bin = os.path.join(a.build_dir, "src", "mktows-shim")
    if not os.access(shim_bin, os.X_OK):
        subprocess.run(["cmake", "-S", TOP, "-B", a.build_dir, "-DCMAKE_BUILD_TYPE=Release",
                        "-DBUILD_TESTING=OFF"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", a.build_dir, "-j", str(os.cpu_count() or 2),
                        "--target", "mktows-shim"], check=True, stdout=subprocess.DEVNULL)
    cfg = {"listen": "127.0.0.1:0", "access_log": False, "workers": 1,
           "rest": {"endpoint": "http://127.0.0.1:9", "client_id": "x", "client_secret": "y"},
           "soap_users": {USER: {"encryption_key": KEY}},
           "import_db": os.path.join(tempfile.gettempdir(), "auth-timing-%d.sqlite" % os.getpid())}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    p = subprocess.Popen([shim_bin, "--config", f.name], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    try:
        m = re.search(r"listening on http://([^:]+):(\d+)", p.stdout.readline())
        if not m:
            sys.exit("mktows-shim did not start")
        conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=30)
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}
        groups = {"unknown user": [], "known user, wrong signature": [],
                  "known user, wrong signature (2nd group)": []}
        bodies = {"unknown user": envelope("nobody_0123456789ABCDEF012345"),
                  "known user, wrong signature": envelope(USER),
                  "known user, wrong signature (2nd group)": envelope(USER)}
        for i in range(a.tries + 200):
            for name, body in bodies.items():
                t = time.perf_counter_ns()
                conn.request("POST", "/soap/mktows/3_1", body, headers)
                r = conn.getresponse()
                answer = r.read()
                dt = time.perf_counter_ns() - t
                if b"<code>20014</code>" not in answer:
                    sys.exit("unexpected answer: %r" % answer[:300])
                if i >= 200:   # the first 200 rounds warm up
                    groups[name].append(dt / 1000)
        med = {k: statistics.median(v) for k, v in groups.items()}
        for k, v in med.items():
            print("%-42s median %8.1f us over %d" % (k, v, len(groups[k])))
        print("difference known - unknown: %+.1f us; noise floor (two known groups): %+.1f us"
              % (med["known user, wrong signature"] - med["unknown user"],
                 med["known user, wrong signature (2nd group)"]
                 - med["known user, wrong signature"]))
    finally:
        p.terminate()
        p.wait()
        os.unlink(f.name)
        if os.path.exists(cfg["import_db"]):
            os.unlink(cfg["import_db"])


if __name__ == "__main__":
    main()
