"""The HTML usage report in a real browser: a generated usage log (12 SOAP
users, 5 operations, 7 days) is reported on with --format html and the file
is opened from disk by headless chromium, which must render it with its two
charts (one bar per user and day with calls), make no network request and
log no error.  Network requests are caught by pointing chromium at a proxy
of our own that records them: the report's run may ask only for what
chromium asks for on a blank page (its component updater, accounts), and a
control page with one external image proves page requests are seen.
Errors are chromium's console log.  Costs about 10 s (chromium starts four
times).

Run as test_report_html.py SHIM CHROMIUM.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import usagegen  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


class Proxy:
    """Accepts and counts connections: any request chromium makes goes here."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.requests = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            c.settimeout(2)
            try:
                self.requests.append(c.recv(400).split(b"\r\n")[0].decode("latin-1"))
            except OSError:
                self.requests.append("?")
            c.close()


def hosts(proxy):
    """Hosts of the requests the proxy saw ("GET http://h/..", "CONNECT h:443")."""
    out = set()
    for line in proxy.requests:
        m = re.match(r"(?:CONNECT ([^: ]+)|\w+ https?://([^/: ]+))", line)
        out.add((m.group(1) or m.group(2)) if m else line)
    return out


def chromium(binary, tmp, proxy, extra):
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
    argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile,
            "--proxy-server=127.0.0.1:%d" % proxy.port, "--proxy-bypass-list=<-loopback>",
            "--enable-logging=stderr", "--v=0"] + extra
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return p


def main():
    shim, browser = sys.argv[1:3]
    tmp = tempfile.mkdtemp(prefix="mktows-html-")
    try:
        log = os.path.join(tmp, "usage.log")
        with open(log, "w") as f:
            usagegen.write(f, 20000, days=7, late=0)
        html = os.path.join(tmp, "report.html")
        js = subprocess.run([shim, "report", "--format", "json", log], capture_output=True,
                            text=True, check=True).stdout
        rep = json.loads(js)
        subprocess.run([shim, "report", "--format", "html", "--output", html, log], check=True)
        text = open(html, encoding="utf-8").read()
        check(not re.search(r"<script|<link|@import|url\(|src=", text, re.I),
              "the report refers to something outside itself")

        proxy = Proxy()
        p = chromium(browser, tmp, proxy, ["--dump-dom", "file://" + html])
        check(p.returncode == 0, "chromium --dump-dom exited %d: %s" % (p.returncode, p.stderr[-800:]))
        dom = p.stdout
        check(dom.count("<svg") == 2, "%d charts rendered, want 2" % dom.count("<svg"))
        bars = re.findall(r'<rect [^>]*data-user="([^"]+)" data-day="([^"]+)" data-value="([^"]+)"',
                          dom)
        want_bars = sum(1 for u in rep["users"] for d in u["days"] if d["calls"]) * 2
        check(len(bars) == want_bars, "%d bars, want %d" % (len(bars), want_bars))
        # the calls chart's bars carry the report's numbers
        calls_svg = dom[dom.index('data-kind="calls"'):dom.index('data-kind="rest"')]
        for u in rep["users"]:
            for d in u["days"]:
                check('data-user="%s" data-day="%s" data-value="%.2f"' % (u["user"], d["day"],
                                                                          d["calls"]) in calls_svg,
                      "no bar for %s on %s with %d calls" % (u["user"], d["day"], d["calls"]))
        check("All users: %d SOAP calls" % rep["totals"]["calls"] in dom, "totals not rendered")
        errors = [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
        check(not errors, "console errors: %s" % errors)

        report_hosts = hosts(proxy)

        # What chromium asks for by itself (component updates, accounts) is
        # what it asks for on a blank page; a page that loads something
        # from outside shows up as a host of its own (the control proves the
        # proxy sees page requests).
        proxy.requests = []
        chromium(browser, tmp, proxy, ["--dump-dom", "about:blank"])
        own = hosts(proxy)
        control = os.path.join(tmp, "control.html")
        with open(control, "w") as f:
            f.write('<html><body><img src="http://report-must-not-load.test/x.png"></body></html>')
        proxy.requests = []
        chromium(browser, tmp, proxy, ["--dump-dom", "file://" + control])
        check("report-must-not-load.test" in hosts(proxy),
              "the control page's request was not seen: %s" % proxy.requests)
        check(report_hosts <= own, "the report made requests of its own: %s (chromium's own: %s)"
              % (report_hosts - own, own))

        proxy.requests = []
        png = os.path.join(tmp, "report.png")
        p = chromium(browser, tmp, proxy, ["--screenshot=" + png, "--window-size=1280,1600",
                                           "file://" + html])
        check(p.returncode == 0 and os.path.getsize(png) > 20000,
              "screenshot: exit %d, %s" % (p.returncode, os.path.exists(png) and os.path.getsize(png)))
        check(hosts(proxy) <= own, "the screenshot run made requests of its own: %s"
              % (hosts(proxy) - own))
        print("HTML report: %d bytes, 2 charts, %d bars, screenshot %d bytes; requests besides "
              "chromium's own (%s): none" % (len(text), len(bars), os.path.getsize(png),
                                             ", ".join(sorted(own)) or "-"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("test_report_html: %d failure(s)" % len(failures))
        sys.exit(1)
    print("test_report_html: OK")


if __name__ == "__main__":
    main()
