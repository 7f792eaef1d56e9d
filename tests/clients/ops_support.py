"""What the deployment checks (ops_*.py: TLS, metrics, reload, readiness)
share: a marketo-emulator and a mktows-shim started as real programs on
free loopback ports with a configuration of the check's own, signed SOAP
envelopes sent over plain sockets (keep-alive connections the check can
watch), and a throwaway certificate authority made with openssl.

The programs come from the environment CTest sets (MKTOWS_SHIM,
MKTOWS_EMULATOR); a program that does not exit cleanly on SIGTERM (a
sanitizer report) fails the check.
"""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mktows_client import USER, KEY, NS, check, signature, run  # noqa: E402,F401

# requests lets these override a session's own CA file (its verify=):
# the checks pin their throwaway CA, so the machine's bundle must not win.
for _var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_var, None)

GET_LEAD_1 = ("<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue>"
              "</leadKey></ns1:paramsGetLead>")


def envelope(user, key, body=GET_LEAD_1, ts=None):
    """A SOAP 1.1 request signed as Marketo documents it."""
    ts = ts or time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:ns1="%s"><SOAP-ENV:Header><ns1:AuthenticationHeader>'
            '<mktowsUserId>%s</mktowsUserId><requestSignature>%s</requestSignature>'
            '<requestTimestamp>%s</requestTimestamp></ns1:AuthenticationHeader>'
            '</SOAP-ENV:Header><SOAP-ENV:Body>%s</SOAP-ENV:Body></SOAP-ENV:Envelope>'
            % (NS, user, signature(ts, user, key), ts, body))


def fault_code(xml):
    """The Marketo fault code of an answer, 0 when it is no fault."""
    m = re.search(r"<code>(\d+)</code>", xml)
    return int(m.group(1)) if m and "Fault>" in xml else 0


class Proc:
    """A program that prints `listening on URL` when ready."""

    def __init__(self, argv, name, tmp):
        self.name = name
        self.out_path = os.path.join(tmp, name + ".out")
        self.err_path = os.path.join(tmp, name + ".err")
        self.p = subprocess.Popen(argv, stdout=open(self.out_path, "w"),
                                  stderr=open(self.err_path, "w"))
        self.url = None
        deadline = time.time() + 30
        while time.time() < deadline:
            text = open(self.out_path).read()
            m = re.search(r"^listening on (\S+)", text, re.M)
            if m:
                self.url = m.group(1)
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("%s did not start: %s" % (name, self.stderr()))

    def stdout(self):
        return open(self.out_path).read()

    def stderr(self):
        return open(self.err_path).read()

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self):
        """SIGTERM; the exit status must be 0 (no sanitizer report)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if self.p.returncode != 0:
            raise AssertionError("%s exited with %s: %s" % (self.name, self.p.returncode,
                                                            self.stderr()[-3000:]))


class Stack:
    """An emulator (unless no_emulator) and a shim with config merged into
    the minimal configuration (users: {USER: KEY} unless config gives
    soap_users)."""

    def __init__(self, config=None, emulator_args=(), no_emulator=False, tmp=None):
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="mktows-ops-")
        self.emu = None
        self.shim = None
        if no_emulator:
            emu_url = "http://127.0.0.1:9"
        else:
            self.emu = Proc([os.environ["MKTOWS_EMULATOR"], "--listen", "127.0.0.1:0",
                             "--client-id", "client-ops", "--client-secret", "secret-ops"]
                            + list(emulator_args), "emulator", self.tmp)
            emu_url = self.emu.url
        self.config = {"listen": "127.0.0.1:0",
                       "rest": {"endpoint": emu_url, "client_id": "client-ops",
                                "client_secret": "secret-ops"},
                       "soap_users": {USER: {"encryption_key": KEY}},
                       "import_db": os.path.join(self.tmp, "imports.sqlite")}
        merge(self.config, config or {})
        self.config_path = os.path.join(self.tmp, "shim.json")
        self.write_config()
        self.shim = Proc([os.environ["MKTOWS_SHIM"], "--config", self.config_path], "shim",
                         self.tmp)
        self.url = self.shim.url

    def write_config(self):
        with open(self.config_path + ".new", "w") as f:
            json.dump(self.config, f)
        os.replace(self.config_path + ".new", self.config_path)

    def stop(self):
        try:
            if self.shim:
                self.shim.stop()
        finally:
            try:
                if self.emu:
                    self.emu.stop()
            finally:
                if self.own_tmp:
                    shutil.rmtree(self.tmp, ignore_errors=True)


def merge(base, more):
    for k, v in more.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = v
    return base


def temp_dir(prefix):
    """A temporary directory removed when the check exits."""
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, True)
    return d


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError("openssl %s: %s" % (" ".join(args), r.stderr))


def make_ca(d, name):
    """A self-signed CA: d/name.key, d/name.pem."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=mktows-shim test " + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_cert(d, name, ca, server):
    """A certificate signed by ca: d/name.key, d/name.pem (and, for a
    server, d/name-chain.pem: the certificate then the CA's, as a chain)."""
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        if server:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "extendedKeyUsage=serverAuth\n")
        else:
            f.write("extendedKeyUsage=clientAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", ext, cwd=d)
    with open(os.path.join(d, name + "-chain.pem"), "w") as f:
        f.write(open(os.path.join(d, name + ".pem")).read())
        f.write(open(os.path.join(d, ca + ".pem")).read())


def pki(d):
    """ca (signs the server and the good client), other-ca (signs a client
    the shim must refuse)."""
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    make_cert(d, "server", "ca", True)
    make_cert(d, "client", "ca", False)
    make_cert(d, "stranger", "other-ca", False)
    return {k: os.path.join(d, v) for k, v in {
        "ca": "ca.pem", "server_chain": "server-chain.pem", "server_key": "server.key",
        "client": "client.pem", "client_key": "client.key",
        "stranger": "stranger.pem", "stranger_key": "stranger.key",
        "other_ca": "other-ca.pem", "other_key": "other-ca.key"}.items()}
