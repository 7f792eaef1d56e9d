#!/usr/bin/env python3
# conn-abuse.py — the connection-abuse scenarios of issue 9 (item 3) against
# a Release mktows-shim in front of marketo-emulator, with figures: how fast
# abusive connections are shed, what the shim's RSS does, and how long a
# well-behaved (authenticated, so established) client waits meanwhile,
# beside the same client's latency measured without abuse in the same run.
# A benchmark, not a test: nothing here passes or fails.
#
# usage: tests/bench/conn-abuse.py [--build-dir DIR] [--trickle N]
#                                  [--flood N] [--bodies N]
#   --build-dir  a Release build of this tree with mktows-shim and
#                marketo-emulator (default build-bench, built here)
#   --trickle    connections sending one byte every 3 s (default 500)
#   --flood      idle connections from many addresses (default 4200)
#   --bodies     unauthenticated 15 MB bodies held one byte short (default 100)
# The shim runs with the defaults except timeouts.receive_seconds 15 (as in
# the issue), timeouts.receive_total_seconds 30 (to keep the run short) and
# no REST rate limits (on the emulator either).
# Needs `ulimit -n` above --flood + a few hundred; abusive clients bind to
# 127.0.0.2 and up (Linux routes 127/8 to lo).
# Python standard library only.
import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

USER = "bigcorp1_461839624B16E06BA2D663"
KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(argv):
    """Start a program that prints 'listening on http://HOST:PORT'."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on http://([^:]+):(\d+)", line)
    if not m:
        p.kill()
        sys.exit("%s did not start: %r" % (argv[0], line))
    return p, m.group(1), int(m.group(2))


def envelope():
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    sig = hmac.new(KEY.encode(), (ts + USER).encode(), hashlib.sha1).hexdigest()
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:ns1="http://www.marketo.com/mktows/"><SOAP-ENV:Header>'
            '<ns1:AuthenticationHeader><mktowsUserId>%s</mktowsUserId>'
            '<requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp>'
            '</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>'
            '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue>'
            '</leadKey></ns1:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>'
            % (USER, sig, ts)).encode()


class Shim:
    def __init__(self, host, port, pid):
        self.host, self.port, self.pid = host, port, pid

    def call_ms(self):
        """One signed getLead on a new connection: ms, or None if unanswered in 30 s."""
        t = time.monotonic()
        try:
            c = http.client.HTTPConnection(self.host, self.port, timeout=30)
            c.request("POST", "/soap/mktows/3_1", envelope(),
                      {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'})
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status != 200 or b"leadRecord" not in body:
                return None
        except OSError:
            return None
        return (time.monotonic() - t) * 1000

    def stats(self):
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        c.request("GET", "/_shim/stats")
        doc = json.loads(c.getresponse().read())
        c.close()
        return doc.get("connections", {})

    def rss_mb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return -1


def connect_from(src, shim):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    try:
        s.connect((shim.host, shim.port))
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s


def closed(s):
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def latency_line(label, samples, ref):
    ok = [x for x in samples if x is not None]
    miss = len(samples) - len(ok)
    med = statistics.median(ok) if ok else float("nan")
    print("  %-44s median %7.1f ms (reference %.1f ms), max %7.1f ms, unanswered %d of %d"
          % (label, med, ref, max(ok) if ok else float("nan"), miss, len(samples)))


def trickle(shim, n, ref):
    print("\n%d connections sending one byte every 3 s (half in the headers, half in a body)" % n)
    conns = []
    t0 = time.monotonic()
    for i in range(n):
        s = connect_from("127.0.0.%d" % (2 + i // 200), shim)
        if s is None:
            continue
        head = b"POST /soap/mktows/3_1 HTTP/1.1\r\nHost: x\r\n"
        head += b"X-Slow: " if i % 2 == 0 else b"Content-Length: 100000\r\n\r\n<"
        s.send(head)
        conns.append([s, i % 2, None])
    lat = []
    last = 0
    while time.monotonic() - t0 < 45 and any(c[2] is None for c in conns):
        if time.monotonic() - last >= 3:
            last = time.monotonic()
            for c in conns:
                if c[2] is None:
                    try:
                        c[0].send(b"a")
                    except OSError:
                        pass
        for c in conns:
            if c[2] is None and closed(c[0]):
                c[2] = time.monotonic() - t0
        lat.append(shim.call_ms())
        time.sleep(0.5)
    for kind, name in ((0, "in the headers"), (1, "in a body")):
        done = [c[2] for c in conns if c[1] == kind and c[2] is not None]
        total = sum(1 for c in conns if c[1] == kind)
        print("  trickling %-10s closed: %d of %d, after %.1f..%.1f s" %
              (name, len(done), total, min(done or [0]), max(done or [0])))
    latency_line("normal client during the trickle", lat, ref)
    for c in conns:
        c[0].close()


def flood(shim, n, ref):
    print("\n%d idle connections from %d addresses (max_connections 4096)" % (n, (n + 199) // 200))
    conns, refused = [], 0
    for i in range(n):
        s = connect_from("127.0.%d.%d" % (1 + i // 200 // 250, 2 + (i // 200) % 250), shim)
        if s is None:
            refused += 1
        else:
            conns.append(s)
    time.sleep(1)
    refused += sum(1 for s in conns if closed(s))
    lat = [shim.call_ms() for _ in range(20)]
    st = shim.stats()
    print("  accepted %d, refused %d; shim: open %s, refused_reserve %s" %
          (n - refused, refused, st.get("open"), st.get("refused_reserve")))
    latency_line("normal (established) client during the flood", lat, ref)
    for s in conns:
        s.close()


def bodies(shim, n, ref):
    size = 15000000
    print("\n%d unauthenticated %d-byte bodies held one byte short" % (n, size))
    rss0 = shim.rss_mb()
    sel = selectors.DefaultSelector()
    chunk = b" " * 65536
    sent = {}
    for i in range(n):
        s = connect_from("127.0.0.%d" % (100 + i // 20), shim)
        if s is None:
            continue
        s.send(b"POST /soap/mktows/3_1 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
        sent[s] = 0
        sel.register(s, selectors.EVENT_WRITE)
    peak = rss0
    t0 = time.monotonic()
    while sel.get_map() and time.monotonic() - t0 < 60:
        for key, _ in sel.select(0.1):
            s = key.fileobj
            try:
                sent[s] += s.send(chunk[:min(len(chunk), size - 1 - sent[s])])
            except OSError:   # refused: closed at once, or its unsent data
                sel.unregister(s)   # would weigh on loopback's TCP memory
                s.close()
                del sent[s]
                continue
            if sent[s] >= size - 1:
                sel.unregister(s)
        peak = max(peak, shim.rss_mb())
    held = sum(1 for v in sent.values() if v >= size - 1)
    lat = [shim.call_ms() for _ in range(20)]
    peak = max(peak, shim.rss_mb())
    st = shim.stats()
    print("  admitted %d, refused %s (503); shim RSS %.0f MB before, peak %.0f MB; "
          "buffered peak %.0f MB of a %.0f MB budget" %
          (held, st.get("refused_budget"), rss0, peak, st.get("buffered_peak_bytes", 0) / 1e6,
           st.get("max_buffered_bytes", 0) / 1e6))
    latency_line("normal (established) client during the bodies", lat, ref)
    for s in sent:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(TOP, "build-bench"))
    ap.add_argument("--trickle", type=int, default=500)
    ap.add_argument("--flood", type=int, default=4200)
    ap.add_argument("--bodies", type=int, default=100)
    a = ap.parse_args()
    shim_bin = os.path.join(a.build_dir, "src", "mktows-shim")
    emu_bin = os.path.join(a.build_dir, "emulator", "marketo-emulator")
    if not (os.access(shim_bin, os.X_OK) and os.access(emu_bin, os.X_OK)):
        subprocess.run(["cmake", "-S", TOP, "-B", a.build_dir, "-DCMAKE_BUILD_TYPE=Release",
                        "-DBUILD_TESTING=OFF"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", a.build_dir, "-j", str(os.cpu_count() or 2),
                        "--target", "mktows-shim", "marketo-emulator"], check=True,
                       stdout=subprocess.DEVNULL)
    # Marketo's REST limits are off on both sides: with them, the shim's
    # quota guard paces the normal client's calls 200 ms apart after a burst
    # of 50, which would hide what the abuse costs.
    emu, eh, ep = start([emu_bin, "--listen", "127.0.0.1:0", "--client-id", "bench",
                         "--client-secret", "bench-secret", "--rate-limit", "off",
                         "--concurrency", "off", "--daily-quota", "off"])
    cfg = {"listen": "127.0.0.1:0", "access_log": False,
           "rest": {"endpoint": "http://%s:%d" % (eh, ep), "client_id": "bench",
                    "client_secret": "bench-secret", "rate_limit": 100000,
                    "max_concurrency": 1000},
           "soap_users": {USER: {"encryption_key": KEY}},
           "timeouts": {"receive_seconds": 15, "receive_total_seconds": 30},
           "import_db": os.path.join(tempfile.gettempdir(), "conn-abuse-%d.sqlite" % os.getpid())}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    shim_p = None
    try:
        shim_p, sh, sp = start([shim_bin, "--config", f.name])
        shim = Shim(sh, sp, shim_p.pid)
        for _ in range(5):   # warm-up; also makes 127.0.0.1 established
            shim.call_ms()
        ref_s = [shim.call_ms() for _ in range(50)]
        ref = statistics.median([x for x in ref_s if x is not None])
        print("reference: normal client, no abuse: median %.1f ms; shim RSS %.0f MB"
              % (ref, shim.rss_mb()))
        if a.trickle:
            trickle(shim, a.trickle, ref)
        if a.flood:
            flood(shim, a.flood, ref)
        if a.bodies:
            bodies(shim, a.bodies, ref)
        print("\n/_shim/stats connections:", json.dumps(shim.stats()))
    finally:
        for p in (shim_p, emu):
            if p:
                p.terminate()
                p.wait()
        os.unlink(f.name)
        if os.path.exists(cfg["import_db"]):
            os.unlink(cfg["import_db"])


if __name__ == "__main__":
    main()
