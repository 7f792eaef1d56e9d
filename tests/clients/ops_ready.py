"""GET /ready (distinct from /health) and --check-config.

/ready: 200 when a token can be had for the configured REST credentials
and the day's quota is not spent; 503 with the reason when the credentials
are refused, the REST endpoint is unreachable, or the quota is exhausted,
while /health keeps saying the process is up.

--check-config: exit 0 and the effective configuration (defaults filled
in) with every secret masked; exit 1 with a message naming the key for a
bad file, without starting anything.
"""
import json
import os
import subprocess

import requests

from ops_support import temp_dir, Stack, check, envelope, fault_code, run, USER, KEY

HDRS = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}


def ready(url):
    r = requests.get(url + "/ready", timeout=30)
    return r.status_code, r.text


def readiness():
    st = Stack({"rest": {"daily_quota": 3}})
    try:
        check(requests.get(st.url + "/health", timeout=10).status_code == 200, "health")
        code, text = ready(st.url)
        check(code == 200 and text.startswith("ready:") and "0 of 3 daily calls" in text, text)
        # Spend the local daily budget: getLead until the shim says 20015
        # (a first getLead also reads the field catalogue).
        codes = []
        while 20015 not in codes and len(codes) < 10:
            r = requests.post(st.url + "/soap/mktows/2_9", data=envelope(USER, KEY),
                              headers=HDRS, timeout=30)
            codes.append(fault_code(r.text))
        check(codes[0] == 0 and codes[-1] == 20015, codes)
        code, text = ready(st.url)
        check(code == 503 and "daily REST quota exhausted" in text, (code, text))
        check(requests.get(st.url + "/health", timeout=10).status_code == 200, "health")
    finally:
        st.stop()

    st = Stack({"rest": {"client_secret": "not-the-secret"}})
    try:
        code, text = ready(st.url)
        check(code == 503 and "no REST token for client id client-ops" in text, (code, text))
        check("not-the-secret" not in text, text)
        check(requests.get(st.url + "/health", timeout=10).status_code == 200, "health")
    finally:
        st.stop()

    st = Stack(no_emulator=True)
    try:
        code, text = ready(st.url)
        check(code == 503 and "no REST token" in text, (code, text))
    finally:
        st.stop()


def check_config():
    shim = os.environ["MKTOWS_SHIM"]
    tmp = temp_dir("mktows-check-")
    path = os.path.join(tmp, "shim.json")
    cfg = {"listen": "127.0.0.1:8443",
           "rest": {"endpoint": "http://127.0.0.1:9", "client_id": "svc",
                    "client_secret": "rest-secret-value"},
           "soap_users": {USER: {"encryption_key": KEY},
                          "shorthand_user": "shorthand-key-value",
                          "own_service": {"encryption_key": "own-key-value",
                                          "client_id": "svc2", "client_secret": "svc2-secret"}},
           "import_db": os.path.join(tmp, "imports.sqlite")}
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = subprocess.run([shim, "--check-config", path], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, r.stderr)
    for secret in ("rest-secret-value", KEY, "shorthand-key-value", "own-key-value",
                   "svc2-secret"):
        check(secret not in r.stdout and secret not in r.stderr, secret)
    out = json.loads(r.stdout)
    check(out["rest"]["client_secret"] == "********", out)
    check(out["soap_users"]["shorthand_user"] == "********", out)
    check(out["soap_users"]["own_service"]["client_id"] == "svc2", out)
    check(out["soap_users"]["own_service"]["client_secret"] == "********", out)
    check(out["rest"]["identity"] == "http://127.0.0.1:9/identity", out)   # a default
    check(out["workers"] == 32 and out["timestamp_window_seconds"] == 900, out)
    check(out["metrics"]["enabled"] is True, out)
    # The environment is part of the effective configuration.
    r = subprocess.run([shim, "--check-config", path], capture_output=True, text=True,
                       env=dict(os.environ, MKTOWS_WORKERS="5"), timeout=60)
    check(r.returncode == 0 and json.loads(r.stdout)["workers"] == 5, r.stdout)

    bad = [({"workers": 0}, "key 'workers'"),
           ({"metrics": {"listen": "nowhere"}}, "metrics.listen"),
           ({"rest": {"rate_limit": -1}}, "rest.rate_limit"),
           ({"mapping_dir": os.path.join(tmp, "none")}, ""),
           ({"tls": {"key_file": "/nonexistent.key"}}, "must be given together")]
    for more, words in bad:
        c = json.loads(json.dumps(cfg))
        for k, v in more.items():
            c[k] = dict(c.get(k, {}), **v) if isinstance(v, dict) and isinstance(c.get(k), dict) else v
        with open(path, "w") as f:
            json.dump(c, f)
        r = subprocess.run([shim, "--check-config", path], capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 1 and words in r.stderr and r.stdout == "", (more, r.stderr))
    with open(path, "w") as f:
        f.write("{not json")
    r = subprocess.run([shim, "--check-config", path], capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "invalid JSON" in r.stderr, r.stderr)


def main():
    readiness()
    check_config()


run("ops_ready", main)
