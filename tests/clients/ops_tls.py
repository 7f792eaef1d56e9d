"""Native HTTPS (tls.*): a throwaway CA and server certificate made with
openssl now; the shim started on them; python3-zeep and PHP SoapClient
calling it over https:// with the CA pinned; ?WSDL advertising https://;
plain HTTP to the TLS port failing cleanly (and the server surviving);
concurrent keep-alive TLS clients;
TLS 1.0/1.1 refused by the server; mutual TLS (tls.client_ca_file): no
certificate or one of another CA refused, the CA's own accepted; and clear
start-up errors for an unreadable or mismatched key and certificate.
"""
import calendar
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

import requests
import zeep
import zeep.transports

from ops_support import temp_dir, Stack, check, fault_code, envelope, pki, run, USER, KEY
from mktows_client import Marketo

HERE = os.path.dirname(os.path.abspath(__file__))


def port_of(url):
    return int(url.rsplit(":", 1)[1])


def get_lead_1(m):
    r = m.call("getLead", leadKey=m.t("LeadKey")(keyType="IDNUM", keyValue="1"))
    recs = r.leadRecordList.leadRecord
    check(len(recs) == 1 and recs[0].Id == 1, r)


def zeep_checks(url, certs):
    # CA pinned: the WSDL loads through TLS and calls go where it says.
    session = requests.Session()
    session.verify = certs["ca"]
    m = Marketo(base=url, transport=zeep.transports.Transport(session=session))
    check(m.service._binding_options["address"].startswith("https://127.0.0.1:"),
          m.service._binding_options)
    get_lead_1(m)
    wsdl = session.get(url + "/soap/mktows/3_1?WSDL").text
    addresses = re.findall(r'location="([^"]+)"', wsdl)
    check(addresses and all(a == url + "/soap/mktows/3_1" for a in addresses), addresses)
    # Not pinned: the system's CAs do not know ours, nothing loads.
    try:
        requests.get(url + "/health", timeout=10)
        raise AssertionError("an unknown CA's certificate was accepted")
    except requests.exceptions.SSLError:
        pass


def php_checks(url, certs):
    env = dict(os.environ, MKTOWS_SHIM_URL=url, MKTOWS_TLS_CA=certs["ca"])
    r = subprocess.run(["php", os.path.join(HERE, "php_tls.php")], env=env,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and "php_tls: OK" in r.stdout, r.stdout + r.stderr)


def plain_http_fails(url, certs):
    """A plain-HTTP request to the TLS port gets no HTTP answer and the
    connection ends; the server keeps serving TLS clients."""
    port = port_of(url)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    got = b""
    start = time.time()
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, socket.timeout) as e:
        check(not isinstance(e, socket.timeout), "the server kept a plain-HTTP connection open")
    s.close()
    check(not got.startswith(b"HTTP/"), got[:200])
    check(time.time() - start < 10, "plain HTTP took too long to fail")
    try:
        requests.get("http://127.0.0.1:%d/health" % port, timeout=10)
        raise AssertionError("plain HTTP was answered on the TLS port")
    except requests.exceptions.ConnectionError:
        pass
    r = requests.get(url + "/health", verify=certs["ca"], timeout=10)
    check(r.status_code == 200 and r.text == "ok\n", r.text)


def concurrent_clients(url, certs):
    """8 keep-alive TLS clients at once: requests handed to workers and
    back (suspend, resume) while other TLS connections are being read."""
    errors, done = [], []

    def client():
        s = requests.Session()
        s.verify = certs["ca"]
        for _ in range(25):
            r = s.post(url + "/soap/mktows/2_9", data=envelope(USER, KEY), timeout=30,
                       headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'})
            (done if r.status_code == 200 and fault_code(r.text) == 0 else errors).append(r.text)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check(not errors and len(done) == 200, (len(done), errors[:2]))


def s_client(port, *args):
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-servername", "localhost"] + list(args),
                       input="", capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def protocol_versions(url, certs):
    port = port_of(url)
    for flag, proto in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
        rc, out = s_client(port, flag, "-CAfile", certs["ca"], "-verify_return_error")
        check(rc == 0 and re.search(r"(New, |Protocol\s*: )%s\b" % re.escape(proto), out)
              and "Verify return code: 0 (ok)" in out, out)
        # The whole chain is sent (server-chain.pem: the server's, then the CA's).
        check(" 1 s:CN = mktows-shim test ca" in out, out)
    # TLS 1.0 and 1.1: the client side is opened up (SECLEVEL 0 lets
    # Debian's OpenSSL offer them) and, as a control, the very same client
    # command negotiates them with an OpenSSL server that allows them; so
    # when the shim's handshake fails, the refusal is the server's.
    old = ["-cipher", "DEFAULT:@SECLEVEL=0"]
    control = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:0",
                                "-cert", certs["server_chain"], "-key", certs["server_key"]]
                               + old, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        while not line.startswith("ACCEPT"):
            line = control.stdout.readline()
            check(line, "openssl s_server did not start")
        control_port = int(line.strip().rsplit(":", 1)[1])
        for flag, proto in (("-tls1_1", "TLSv1.1"), ("-tls1", "TLSv1")):
            rc, out = s_client(control_port, flag, *old)
            check(re.search(r"Cipher is [A-Z]", out) and
                  re.search(r"Protocol\s*: %s\n" % re.escape(proto), out),
                  "control: the client could not do %s: %s" % (proto, out))
            rc, out = s_client(port, flag, *old)
            check(rc != 0 and "Cipher is (NONE)" in out, out)
            check("no protocols available" not in out, "the client refused by itself: " + out)
    finally:
        control.kill()
        control.wait()


def mutual_tls(certs):
    st = Stack({"tls": {"cert_file": certs["server_chain"], "key_file": certs["server_key"],
                        "client_ca_file": certs["ca"]}})
    try:
        url = st.url
        body = envelope(USER, KEY)
        hdrs = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}
        # No certificate: refused before anything is read as SOAP.
        r = requests.post(url + "/soap/mktows/2_9", data=body, headers=hdrs,
                          verify=certs["ca"], timeout=10)
        check(r.status_code == 403 and "client certificate is required" in r.text, r.text)
        # A certificate of another CA: refused too.
        r = requests.post(url + "/soap/mktows/2_9", data=body, headers=hdrs,
                          verify=certs["ca"], cert=(certs["stranger"], certs["stranger_key"]),
                          timeout=10)
        check(r.status_code == 403 and "refused" in r.text, r.text)
        # The CA's own client: a real client stack gets served.
        session = requests.Session()
        session.verify = certs["ca"]
        session.cert = (certs["client"], certs["client_key"])
        get_lead_1(Marketo(base=url, transport=zeep.transports.Transport(session=session)))
        r = session.post(url + "/soap/mktows/2_9", data=body, headers=hdrs, timeout=10)
        check(r.status_code == 200 and fault_code(r.text) == 0, r.text)
        m = session.get(url + "/metrics", timeout=10).text
        check("mktows_tls_client_cert_refusals_total 2\n" in m, m)
    finally:
        st.stop()


def start_errors(tmp, certs):
    """Unreadable files and a key that is not the certificate's stop the
    start with a message naming the key and the file."""
    shim = os.environ["MKTOWS_SHIM"]
    cases = [
        ({"cert_file": os.path.join(tmp, "missing.pem"), "key_file": certs["server_key"]},
         "tls.cert_file': cannot read"),
        ({"cert_file": certs["server_chain"], "key_file": certs["client_key"]},
         "is not the private key of the certificate"),
        ({"cert_file": certs["server_chain"]}, "must be given together"),
        ({"cert_file": certs["server_chain"], "key_file": certs["server_key"],
          "client_ca_file": certs["server_key"]}, "holds no usable CA certificate"),
    ]
    for tls, words in cases:
        for how in ("--config", "--check-config"):
            st_tmp = tempfile.mkdtemp(dir=tmp)
            path = os.path.join(st_tmp, "shim.json")
            with open(path, "w") as f:
                f.write('{"listen": "127.0.0.1:0", "rest": {"endpoint": "http://127.0.0.1:9", '
                        '"client_id": "a", "client_secret": "b"}, "soap_users": {"u": "k"}, '
                        '"tls": %s}' % __import__("json").dumps(tls))
            r = subprocess.run([shim, how, path], capture_output=True, text=True, timeout=60)
            check(r.returncode != 0 and words in r.stderr and "listening on" not in r.stdout,
                  (how, tls, r.returncode, r.stdout, r.stderr))


def main():
    tmp = temp_dir("mktows-tls-")
    certs = pki(tmp)
    st = Stack({"tls": {"cert_file": certs["server_chain"], "key_file": certs["server_key"]}})
    try:
        check(st.url.startswith("https://127.0.0.1:"), st.url)
        zeep_checks(st.url, certs)
        php_checks(st.url, certs)
        concurrent_clients(st.url, certs)
        plain_http_fails(st.url, certs)
        protocol_versions(st.url, certs)
        # Still serving after all of that.
        session = requests.Session()
        session.verify = certs["ca"]
        get_lead_1(Marketo(base=st.url, transport=zeep.transports.Transport(session=session)))
        # The certificate's expiry, for alerting on renewals.
        end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601",
                              "-in", certs["server_chain"]], capture_output=True, text=True)
        when = calendar.timegm(time.strptime(end.stdout.strip().split("=", 1)[1],
                                             "%Y-%m-%d %H:%M:%SZ"))
        m = session.get(st.url + "/metrics", timeout=10).text
        check("mktows_tls_cert_expiry_timestamp_seconds %d\n" % when in m, (when, m[-3000:]))
        check('mktows_build_info{version="' in m and 'tls="on"} 1' in m, "build info")
    finally:
        st.stop()
    mutual_tls(certs)
    start_errors(tmp, certs)


run("ops_tls", main)
