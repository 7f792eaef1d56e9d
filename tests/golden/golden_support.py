"""What the golden-document checks (test_golden_*.py) share: the stack they
send Marketo's documented examples to, the examples re-signed, and how a
check runs and reports.

A check is run as `test_golden_X.py SHIM EMULATOR` (tests/golden/*.cmake).
Stack starts marketo-emulator on the check's seed and mktows-shim in front of
it, with the examples' SOAP users configured with keys of the check's own,
and stops both at the end: a program that does not exit cleanly (a sanitizer
report) fails the check.  Only python3's standard library is used.
"""
import copy
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

NS = "http://www.marketo.com/mktows/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_NIL = "{%s}nil" % XSI
ENV_NS = "{http://schemas.xmlsoap.org/soap/envelope/}"
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

failures = []   # what went wrong, reported by run()


def check(cond, what):
    """Record a failure unless cond (the check goes on); returns cond."""
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


# ---- the seed -------------------------------------------------------------------------

def default_seed():
    """The repository's emulator seed (emulator/seed/default.json)."""
    with open(os.path.join(SOURCE_DIR, "emulator/seed/default.json"), encoding="utf-8") as f:
        return json.load(f)


def seed_with(path):
    """The default seed with a data file's "replace" members set and its
    "append" lists added to."""
    seed = default_seed()
    with open(path, encoding="utf-8") as f:
        extra = json.load(f)
    seed.update(copy.deepcopy(extra.get("replace", {})))
    for k, v in extra.get("append", {}).items():
        seed.setdefault(k, []).extend(copy.deepcopy(v))
    return seed


# ---- the programs ---------------------------------------------------------------------

def _start(argv, env=None):
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on http://"):
        proc.kill()
        raise SystemExit("%s did not start: %r" % (argv[0], line))
    return proc, line[len("listening on "):]


class Stack:
    """marketo-emulator on `seed` and mktows-shim in front of it, as a
    context manager: shim_url and emu_url inside, stopped on leaving.

    users: {mktowsUserId: encryption key}; config: more members of the
    shim's configuration; import_db: the shim gets a store of its own;
    emulator_args, emulator_env: more options and environment for the
    emulator."""

    def __init__(self, seed, users, config=None, import_db=False, emulator_args=(),
                 emulator_env=None):
        self.shim_bin, self.emu_bin = sys.argv[1:3]
        self.seed, self.users, self.config = seed, users, config or {}
        self.import_db, self.emulator_args = import_db, list(emulator_args)
        self.emulator_env = emulator_env or {}
        self.procs = []

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="mktows-golden-")
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def start_emulator(self, client_id, client_secret):
        """marketo-emulator on self.seed: its process (self.emu_url set)."""
        seed = os.path.join(self.tmp, "seed.json")
        with open(seed, "w", encoding="utf-8") as f:
            json.dump(self.seed, f)
        emu, self.emu_url = _start(
            [self.emu_bin, "--listen", "127.0.0.1:0", "--client-id", client_id,
             "--client-secret", client_secret, "--seed", seed] + self.emulator_args,
            dict(os.environ, **self.emulator_env))
        return emu

    def _start(self):
        emu = self.start_emulator("golden", "golden-secret")
        self.procs.append(("marketo-emulator", emu))
        cfg = {"listen": "127.0.0.1:0",
               "rest": {"endpoint": self.emu_url, "identity": self.emu_url + "/identity",
                        "client_id": "golden", "client_secret": "golden-secret"},
               "soap_users": {u: {"encryption_key": k} for u, k in self.users.items()}}
        if self.import_db:
            cfg["import_db"] = os.path.join(self.tmp, "imports.sqlite")
        cfg.update(self.config)
        path = os.path.join(self.tmp, "shim.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        shim, self.shim_url = _start([self.shim_bin, "--config", path])
        self.procs.insert(0, ("mktows-shim", shim))

    def __exit__(self, *exc):
        for name, proc in self.procs:
            proc.terminate()
            rc = proc.wait(timeout=30)
            check(rc == 0, "%s exited %d (a sanitizer report?)" % (name, rc))
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


# ---- SOAP ----------------------------------------------------------------------------------

def signature(timestamp, user, key):
    return hmac.new(key.encode(), (timestamp + user).encode(), hashlib.sha1).hexdigest()


def example_user(xml):
    """The mktowsUserId of a documented request."""
    return re.search(r"<mktowsUserId>(.*?)</mktowsUserId>", xml).group(1)


def resign(xml, key):
    """A documented request with a fresh timestamp, in the example's own
    format (its offset kept), and its signature: nothing else changes."""
    user = example_user(xml)
    old = re.search(r"<requestTimestamp>(.*?)</requestTimestamp>", xml).group(1)
    offset = old[-6:]  # the examples use -07:00
    sign = -1 if offset[0] == "-" else 1
    tz = datetime.timezone(sign * datetime.timedelta(hours=int(offset[1:3]),
                                                     minutes=int(offset[4:6])))
    ts = datetime.datetime.now(tz).strftime("%Y-%m-%dT%H:%M:%S") + offset
    xml = re.sub(r"<requestTimestamp>.*?</requestTimestamp>",
                 "<requestTimestamp>%s</requestTimestamp>" % ts, xml)
    return re.sub(r"<requestSignature>.*?</requestSignature>",
                  "<requestSignature>%s</requestSignature>" % signature(ts, user, key), xml)


def envelope(body, user, key):
    """A documented request Body in the envelope the examples show (SOAP-ENV
    and ns1 prefixes), signed for now."""
    ts = datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:ns1="%s">\n  <SOAP-ENV:Header>\n    <ns1:AuthenticationHeader>\n'
            '      <mktowsUserId>%s</mktowsUserId>\n      <requestSignature>%s</requestSignature>\n'
            '      <requestTimestamp>%s</requestTimestamp>\n    </ns1:AuthenticationHeader>\n'
            '  </SOAP-ENV:Header>\n  <SOAP-ENV:Body>\n%s\n  </SOAP-ENV:Body>\n'
            '</SOAP-ENV:Envelope>\n') % (NS, user, signature(ts, user, key), ts, body)


def http(method, url, body=None, headers=None):
    """(HTTP status, body text) of one request."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def post(url, xml, soapaction):
    """POST a SOAP envelope as a SOAP 1.1 client does."""
    return http("POST", url, xml.encode(), {"Content-Type": "text/xml;charset=UTF-8",
                                             "SOAPAction": '"%s"' % soapaction})


# ---- the examples --------------------------------------------------------------------------------

def examples(data_dir, ops):
    """{op: the documented request <data_dir>/<op>.request.xml}."""
    out = {}
    for op in ops:
        with open(os.path.join(data_dir, op + ".request.xml"), encoding="utf-8") as f:
            out[op] = f.read()
    return out


def send_examples(stack, requests, key, data_dir, soapaction, judge):
    """Send every documented request, re-signed, to the shim's 3_1 endpoint;
    judge(op, documented response text, answer text) lists what differs."""
    for op, xml in requests.items():
        status, body = post(stack.shim_url + "/soap/mktows/3_1", resign(xml, key),
                            NS + soapaction(op))
        if not check(status == 200, "%s: HTTP %d\n%s" % (op, status, body)):
            continue
        with open(os.path.join(data_dir, op + ".response.xml"), encoding="utf-8") as f:
            want = f.read()
        problems = judge(op, want, body)
        if check(not problems, "%s:\n  %s\n%s" % (op, "\n  ".join(problems), body)):
            print("%s: accepted, response has the documented structure" % soapaction(op))


# ---- running -----------------------------------------------------------------------------------

def run(name, checks):
    """Run checks(), then report: every failure, or "<name>: OK"."""
    checks()
    if failures:
        print("\n\n".join(failures))
        print("%s: %d failure(s)" % (name, len(failures)))
        sys.exit(1)
    print("%s: OK" % name)
