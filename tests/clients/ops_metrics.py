"""GET /metrics: the Prometheus text format checked by promtool (Debian's
prometheus package), the counts a real Prometheus server scrapes from the
shim (started here on loopback with a temporary data directory and a
one-second scrape interval, asked through its HTTP API), metrics.listen
moving the endpoint to a listener of its own, metrics.enabled false
turning it off.
"""
import os
import re
import socket
import subprocess
import time

import requests

from ops_support import temp_dir, Stack, check, envelope, fault_code, run, USER, KEY

USER2 = "metrics_user_2"
KEY2 = "second-users-key-0123456789"
HDRS = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}
MISSING_LEAD = ("<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>987654"
                "</keyValue></leadKey></ns1:paramsGetLead>")


def post(url, user, key, body=None, expect=0):
    r = requests.post(url + "/soap/mktows/2_9", headers=HDRS, timeout=30,
                      data=envelope(user, key, body) if body else envelope(user, key))
    check(fault_code(r.text) == expect, (expect, r.status_code, r.text[:600]))


def samples(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        check(m, "not a sample line: " + line)
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                      m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(s, name, **labels):
    return s.get((name, frozenset(labels.items())))


def promtool(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    # promtool reports lint problems on stderr and exits non-zero.
    check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
          "promtool: rc %d %s %s" % (r.returncode, r.stdout, r.stderr))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Prometheus:
    """A real Prometheus server scraping target every second."""

    def __init__(self, tmp, target):
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: mktows\n    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(tmp, "prometheus.log"), "w")
        self.p = subprocess.Popen(
            ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            check(self.p.poll() is None, "prometheus exited: " + open(self.log.name).read())
            try:
                if requests.get(self.url + "/-/ready", timeout=2).status_code == 200:
                    return
            except requests.exceptions.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError("prometheus did not become ready")

    def query(self, q):
        r = requests.get(self.url + "/api/v1/query", params={"query": q}, timeout=10).json()
        check(r["status"] == "success", r)
        return r["data"]["result"]

    def wait_for(self, q, want, what):
        """Poll until the query's {labels: value} equals want (scrapes are
        a second apart)."""
        got = None
        deadline = time.time() + 30
        while time.time() < deadline:
            got = {frozenset((k, v) for k, v in x["metric"].items() if k not in ("job", "instance")):
                   float(x["value"][1]) for x in self.query(q)}
            if got == want:
                return
            time.sleep(0.5)
        raise AssertionError("%s: Prometheus has %r, expected %r" % (what, got, want))

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def on_the_soap_listener(tmp):
    st = Stack({"soap_users": {USER2: {"encryption_key": KEY2}}, "max_request_bytes": 65536})
    prom = None
    try:
        url = st.url
        for _ in range(7):
            post(url, USER, KEY)
        for _ in range(4):
            post(url, USER2, KEY2)
        for _ in range(2):
            post(url, USER, KEY, MISSING_LEAD, expect=20103)
        for _ in range(3):
            post(url, USER, "not-the-key", expect=20014)
        # Refused before a worker sees it (too large): counted all the same.
        r = requests.post(url + "/soap/mktows/2_9", headers=HDRS, timeout=30,
                          data=envelope(USER, KEY).replace("</SOAP-ENV:Body>",
                                                           " " * 70000 + "</SOAP-ENV:Body>"))
        check(fault_code(r.text) == 20012, r.text[:500])
        r = requests.get(url + "/metrics", timeout=10)
        check(r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4"),
              r.headers)
        promtool(r.text)
        s = samples(r.text)
        want = {("getLead", USER, "success"): 7, ("getLead", USER2, "success"): 4,
                ("getLead", USER, "20103"): 2, ("getLead", "", "20014"): 3,
                ("(none)", "", "20012"): 1}
        for (op, user, outcome), n in want.items():
            got = value(s, "mktows_soap_requests_total", operation=op, user=user, outcome=outcome)
            check(got == n, (op, user, outcome, got, n))
        check(value(s, "mktows_soap_request_duration_seconds_count", operation="getLead") == 16, s)
        check(value(s, "mktows_soap_request_duration_seconds_bucket", operation="getLead",
                    le="+Inf") == 16, "histogram")
        rest_ok = value(s, "mktows_rest_requests_total", method="GET",
                        endpoint="/rest/v1/leads.json", outcome="success")
        check(rest_ok and 1 <= rest_ok <= 13, ("REST calls", rest_ok))
        check(value(s, "mktows_rest_token_requests_total") >= 1, "token renewals")
        check(value(s, "mktows_rest_window_used") + value(s, "mktows_rest_window_remaining") ==
              value(s, "mktows_rest_window_limit"), "window used + remaining")
        check(value(s, "mktows_build_info", version=value_of_label(r.text, "mktows_build_info",
                                                                   "version"), tls="off") == 1,
              "build info")
        check(value(s, "mktows_soap_users") == 2, "users")
        # The connection budget's figures (/_shim/stats "connections"): this
        # scrape's own connection is open.
        check(value(s, "mktows_connections_open") >= 1, "connections open")
        check(value(s, "mktows_connections_shed_total", reason="slow") == 0, "shed")
        # /_shim/stats and /metrics are the same counters.
        stats = requests.get(url + "/_shim/stats", timeout=10).json()
        check(stats["operations"]["getLead"]["soap_calls"] == 16, stats["operations"])

        # A real Prometheus scrapes the same numbers.
        prom = Prometheus(tmp, url.split("//", 1)[1])
        prom.wait_for("mktows_soap_requests_total",
                      {frozenset({("__name__", "mktows_soap_requests_total"), ("operation", op),
                                  ("user", user), ("outcome", o)} - {("user", "")}): n
                       for (op, user, o), n in want.items()},
                      "mktows_soap_requests_total")
        for _ in range(5):
            post(url, USER2, KEY2)
        prom.wait_for('sum(mktows_soap_requests_total{outcome="success"})', {frozenset(): 16},
                      "after 5 more calls")
        prom.wait_for('up{job="mktows"}', {frozenset({("__name__", "up")}): 1}, "target up")
    finally:
        if prom:
            prom.stop()
        st.stop()


def value_of_label(text, name, label):
    m = re.search(r'^%s\{[^}]*%s="([^"]*)"' % (name, label), text, re.M)
    check(m, "%s has no %s" % (name, label))
    return m.group(1)


def own_listener_and_off():
    st = Stack({"metrics": {"listen": "127.0.0.1:0"}})
    try:
        m = re.search(r"^metrics on (http://127\.0\.0\.1:\d+)/metrics$", st.shim.stdout(), re.M)
        check(m, st.shim.stdout())
        post(st.url, USER, KEY)
        r = requests.get(m.group(1) + "/metrics", timeout=10)
        check(r.status_code == 200, r.status_code)
        promtool(r.text)
        check(value(samples(r.text), "mktows_soap_requests_total", operation="getLead", user=USER,
                    outcome="success") == 1, r.text)
        check(requests.get(st.url + "/metrics", timeout=10).status_code == 404, "moved")
        check(requests.get(m.group(1) + "/health", timeout=10).status_code == 404, "metrics only")
    finally:
        st.stop()
    st = Stack({"metrics": {"enabled": False}}, no_emulator=True)
    try:
        check(requests.get(st.url + "/metrics", timeout=10).status_code == 404, "off")
        check(requests.get(st.url + "/health", timeout=10).status_code == 200, "health")
    finally:
        st.stop()


def main():
    tmp = temp_dir("mktows-metrics-")
    on_the_soap_listener(tmp)
    own_listener_and_off()


run("ops_metrics", main)
