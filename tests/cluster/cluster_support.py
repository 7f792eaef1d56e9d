"""Several mktows-shim replicas behind a real HAProxy, sharing a real
redis-server, in front of one marketo-emulator that enforces Marketo's
limits: what the cluster checks (test_cluster.py, bench-cluster.py) share.

Every program is started here on loopback ports of its own, and stopped at
the end; a shim that does not exit cleanly (a sanitizer report) fails the
check.  Only python3's standard library is used.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "golden"))
import golden_support as gs  # noqa: E402  (signing, envelopes, seeds)

USER = "bigcorp1_461839624B16E06BA2D663"
KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
CLIENT_ID, CLIENT_SECRET = "cluster", "cluster-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read().decode())


class Redis:
    """A private redis-server: no persistence, so a restart starts empty."""

    def __init__(self, tmp):
        self.port, self.tmp, self.proc = free_port(), tmp, None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.tmp, "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            raise SystemExit("redis-server did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def cmd(self, *args):
        """One command over RESP; the decoded reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            out = "*%d\r\n" % len(args) + "".join(
                "$%d\r\n%s\r\n" % (len(str(a).encode()), a) for a in args)
            s.sendall(out.encode())
            f = s.makefile("rb")
            return _resp(f)

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port


def _resp(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-"):
        return rest.decode()
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp(f) for _ in range(n)]
    raise ValueError("bad RESP line %r" % line)


class Cluster(gs.Stack):
    """marketo-emulator (limits on), redis-server, N shims, HAProxy, as a
    context manager (gs.Stack's): url is HAProxy's."""

    def __init__(self, replicas=3, seed=None, shim_config=None, emulator_args=()):
        super().__init__(seed if seed is not None else gs.default_seed(), {},
                         emulator_args=emulator_args)
        self.n, self.shim_config = replicas, shim_config or {}
        self.shims = []          # [(proc, url)] (proc None once killed)

    def _start(self):
        self.emu = self.start_emulator(CLIENT_ID, CLIENT_SECRET)
        self.redis = Redis(self.tmp)
        self.redis.start()
        for i in range(self.n):
            self.start_shim(i)
        self._start_haproxy()

    def shim_cfg(self, i):
        cfg = {"listen": "127.0.0.1:0",
               "rest": {"endpoint": self.emu_url, "identity": self.emu_url + "/identity",
                        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
               "soap_users": {USER: {"encryption_key": KEY}},
               "import_db": os.path.join(self.tmp, "imports-%d.sqlite" % i),
               "cluster": {"redis": self.redis.url, "replicas": self.n},
               "workers": 64}
        for k, v in self.shim_config.items():
            if isinstance(v, dict) and isinstance(cfg.get(k), dict):
                cfg[k] = dict(cfg[k], **v)
            else:
                cfg[k] = v
        return cfg

    def start_shim(self, i):
        path = os.path.join(self.tmp, "shim-%d.json" % i)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.shim_cfg(i), f)
        proc = subprocess.Popen([self.shim_bin, "--config", path], stdout=subprocess.PIPE,
                                stderr=open(os.path.join(self.tmp, "shim-%d.log" % i), "a"),
                                text=True)
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            proc.kill()
            raise SystemExit("mktows-shim %d did not start: %r" % (i, line))
        url = line[len("listening on "):]
        if i < len(self.shims):
            self.shims[i] = (proc, url)
        else:
            self.shims.append((proc, url))

    def _start_haproxy(self):
        self.port = free_port()
        servers = "\n".join(
            "    server shim%d %s check inter 500ms fall 2 rise 2" % (i, url[len("http://"):])
            for i, (_, url) in enumerate(self.shims))
        cfg = os.path.join(self.tmp, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CFG % {"port": self.port, "servers": servers})
        self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", cfg],
                                        stdout=subprocess.DEVNULL,
                                        stderr=open(os.path.join(self.tmp, "haproxy.log"), "w"))
        if not wait_port(self.port):
            raise SystemExit("haproxy did not start")
        # Until every backend has passed its health check once, HAProxy
        # would send everything to the first one.
        time.sleep(1.5)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def kill_shim(self, i):
        proc, url = self.shims[i]
        proc.kill()
        proc.wait()
        self.shims[i] = (None, url)

    def stats(self, i):
        return get_json(self.shims[i][1] + "/_shim/stats")

    def emulator_stats(self):
        return get_json(self.emu_url + "/_emulator/stats")

    def __exit__(self, *exc):
        if getattr(self, "haproxy", None):
            self.haproxy.terminate()
            self.haproxy.wait(timeout=30)
        for i, (proc, _) in enumerate(self.shims):
            if proc:
                proc.terminate()
                rc = proc.wait(timeout=60)
                gs.check(rc == 0, "mktows-shim %d exited %d (a sanitizer report?)" % (i, rc))
        if getattr(self, "redis", None):
            self.redis.stop()
        if getattr(self, "emu", None):
            self.emu.terminate()
            self.emu.wait(timeout=30)
        if gs.failures:
            for name in sorted(os.listdir(self.tmp)):
                if name.endswith(".log"):
                    with open(os.path.join(self.tmp, name), errors="replace") as f:
                        tail = f.read()[-3000:]
                    print("---- %s (end)\n%s" % (name, tail))
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


# HAProxy in front of the replicas: keep-alive to the clients and to the
# backends, health checks, a request retried on another replica only when
# the connection to the first failed (nothing was sent, so it is safe).
HAPROXY_CFG = """global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    option http-keep-alive
    http-reuse safe
    retries 2
    option redispatch
    retry-on conn-failure
frontend soap
    bind 127.0.0.1:%(port)d
    default_backend shims
backend shims
    balance roundrobin
    option httpchk GET /health
%(servers)s
"""


# ---- SOAP calls --------------------------------------------------------------------------

def sync_lead(base, email, score):
    body = ('<ns1:paramsSyncLead><leadRecord><Email>%s</Email><leadAttributeList>'
            '<attribute><attrName>LeadScore</attrName><attrValue>%d</attrValue></attribute>'
            '</leadAttributeList></leadRecord><returnLead>false</returnLead>'
            '</ns1:paramsSyncLead>') % (email, score)
    return soap(base, body, "syncLead")


def soap(base, body, op):
    status, text = gs.post(base + "/soap/mktows/2_9", gs.envelope(body, USER, KEY),
                           gs.NS + op)
    return status, text


def run_calls(n, threads, fn):
    """Call fn(k) for k in range(n) from `threads` threads; the results in
    order (an exception becomes its text)."""
    results = [None] * n
    nxt = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                k = nxt[0]
                nxt[0] += 1
            if k >= n:
                return
            try:
                results[k] = fn(k)
            except Exception as e:  # noqa: BLE001 — a failed call is a result
                results[k] = (0, "%s: %s" % (type(e).__name__, e))

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results


def rest_token(emu_url):
    d = get_json("%s/identity/oauth/token?grant_type=client_credentials&client_id=%s"
                 "&client_secret=%s" % (emu_url, CLIENT_ID, CLIENT_SECRET))
    return d["access_token"]


def leads_by_email(emu_url, emails):
    """{email: number of leads REST holds with it}: the ground truth."""
    token = rest_token(emu_url)
    count = {}
    for i in range(0, len(emails), 200):
        part = emails[i:i + 200]
        query = urllib.parse.urlencode({"filterType": "email", "filterValues": ",".join(part),
                                        "fields": "email,id"})
        req = urllib.request.Request(emu_url + "/rest/v1/leads.json?" + query,
                                     headers={"Authorization": "Bearer " + token})
        for _ in range(60):
            with urllib.request.urlopen(req, timeout=60) as r:
                d = json.loads(r.read().decode())
            # The shims may have just spent the window: wait for it.
            if d.get("success") or d.get("errors", [{}])[0].get("code") not in ("606", "615"):
                break
            time.sleep(1)
        if not d.get("success"):
            raise SystemExit("REST lead query failed: %s" % d)
        for lead in d.get("result", []):
            count[lead["email"]] = count.get(lead["email"], 0) + 1
    return count
