"""SIGHUP reloads soap_users under load: several clients keep calling over
keep-alive connections while one user's encryption key is rotated, one
user is removed and one added.  Every REST call takes 200 ms (the
emulator's injected latency), so requests are in flight at the moment of
the reload.  No request fails except those signed with the old key (or by
the removed user) after the reload; the removed user gets 20014; no
connection is closed; requests in flight finish.  Then: a configuration
that does not load leaves the running one in place, a changed key that
needs a restart is named, and access_log can be switched off.
"""
import http.client
import os
import re
import signal
import threading
import time

import requests

from ops_support import Stack, check, envelope, fault_code, run, USER, KEY

ROT, ROT_OLD, ROT_NEW = "rotating_user", "rotating-old-key-1111", "rotating-new-key-2222"
GONE, GONE_KEY = "removed_user", "removed-users-key-3333"
NEW, NEW_KEY = "added_user", "added-users-key-4444"


class Client(threading.Thread):
    """Calls getLead in a loop over one keep-alive connection; records
    (sent, answered, key, fault code) per call and any reconnection."""

    def __init__(self, url, user, key):
        super().__init__(daemon=True)
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.user, self.key = user, key
        self.calls = []
        self.reconnects = 0
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        sock = None
        while not self.stop.is_set():
            key = self.key
            sent = time.time()
            try:
                self.conn.request("POST", "/soap/mktows/2_9", envelope(self.user, key),
                                  {"Content-Type": "text/xml; charset=UTF-8",
                                   "SOAPAction": '""'})
                if sock is None:
                    sock = self.conn.sock
                elif self.conn.sock is not sock:
                    self.reconnects += 1
                    sock = self.conn.sock
                r = self.conn.getresponse()
                body = r.read().decode()
                if r.will_close:
                    self.errors.append("the server closes the connection")
                self.calls.append((sent, time.time(), key, fault_code(body), r.status))
            except Exception as e:  # any transport failure is a failure
                self.errors.append(repr(e))
                return


def signed(url, user, key):
    r = requests.post(url + "/soap/mktows/2_9", data=envelope(user, key), timeout=30,
                      headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'})
    return fault_code(r.text)


def wait_log(st, words, count):
    deadline = time.time() + 20
    while time.time() < deadline:
        if st.shim.stderr().count(words) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("no '%s' in the shim's log: %s" % (words, st.shim.stderr()[-2000:]))


def rotate_under_load():
    st = Stack({"soap_users": {ROT: {"encryption_key": ROT_OLD},
                               GONE: {"encryption_key": GONE_KEY}},
                "rest": {"rate_limit": 100000}, "workers": 8},
               emulator_args=["--rate-limit", "off"])
    try:
        requests.post(st.emu.url + "/_emulator/faults", json={"latency_ms": 200}, timeout=10)
        clients = [Client(st.url, USER, KEY), Client(st.url, USER, KEY),
                   Client(st.url, ROT, ROT_OLD), Client(st.url, GONE, GONE_KEY)]
        for c in clients:
            c.start()
        time.sleep(2)

        st.config["soap_users"][ROT] = {"encryption_key": ROT_NEW}
        del st.config["soap_users"][GONE]
        st.config["soap_users"][NEW] = {"encryption_key": NEW_KEY}
        st.write_config()
        t_hup = time.time()
        st.shim.signal(signal.SIGHUP)
        wait_log(st, "SIGHUP: configuration reloaded", 1)
        check(signed(st.url, ROT, ROT_OLD) == 20014, "old key still accepted")
        check(signed(st.url, ROT, ROT_NEW) == 0, "new key refused")
        check(signed(st.url, GONE, GONE_KEY) == 20014, "removed user still accepted")
        check(signed(st.url, NEW, NEW_KEY) == 0, "added user refused")
        t_conf = time.time()
        clients[2].key = ROT_NEW
        time.sleep(2)
        for c in clients:
            c.stop.set()
        for c in clients:
            c.join(30)
            check(not c.is_alive(), "a client hangs")

        for c in clients:
            check(not c.errors, (c.user, c.errors))
            check(c.reconnects == 0, "%s: the connection was replaced %d times"
                  % (c.user, c.reconnects))
            before = [x for x in c.calls if x[0] < t_hup]
            after = [x for x in c.calls if x[0] > t_conf]
            check(len(before) >= 4 and len(after) >= 4, (c.user, len(before), len(after)))
            # Sent before the reload: served, even when answered after it.
            check(all(x[3] == 0 for x in before), (c.user, [x for x in before if x[3]]))
            # In flight across the reload: at least one per client.
            check(any(x[1] > t_hup for x in before) or any(t_hup <= x[0] <= t_conf
                                                            for x in c.calls), c.user)
            if c.user == GONE:
                check(all(x[3] == 20014 for x in after), after)
                check(all(x[3] in (0, 20014) for x in c.calls), c.calls)
            else:
                check(all(x[3] == 0 for x in after), (c.user, [x for x in after if x[3]]))
                if c.user == USER:
                    check(all(x[3] == 0 for x in c.calls), c.calls)
                else:  # only the old key, only after the reload, may fail
                    check(all(x[3] == 0 or (x[3] == 20014 and x[2] == ROT_OLD and x[0] >= t_hup)
                              for x in c.calls), c.calls)
        served_across = sum(1 for c in clients for x in c.calls if x[0] < t_hup < x[1])
        check(served_across >= 1, "no request was in flight during the reload")
        print("calls per client: %s; in flight across the reload: %d; reload applied in %.0f ms"
              % ([len(c.calls) for c in clients], served_across, (t_conf - t_hup) * 1000))
        m = requests.get(st.url + "/metrics", timeout=10).text
        check('mktows_config_reloads_total{result="success"} 1\n' in m, m)
        check("mktows_soap_users 3\n" in m, m)
        requests.post(st.emu.url + "/_emulator/faults", json={"clear": True}, timeout=10)

        # A configuration that does not load changes nothing.
        good = open(st.config_path).read()
        with open(st.config_path, "w") as f:
            f.write(good[:-5])
        st.shim.signal(signal.SIGHUP)
        wait_log(st, "SIGHUP: configuration not reloaded", 1)
        check(signed(st.url, ROT, ROT_NEW) == 0 and signed(st.url, NEW, NEW_KEY) == 0,
              "a failed reload changed the users")
        m = requests.get(st.url + "/metrics", timeout=10).text
        check('mktows_config_reloads_total{result="failure"} 1\n' in m, m)
        # Keys a reload cannot apply are named; access_log is applied.
        st.config["workers"] = 4
        st.config["access_log"] = False
        st.write_config()
        st.shim.signal(signal.SIGHUP)
        wait_log(st, "SIGHUP: configuration reloaded", 2)
        check(re.search(r"need a restart to apply: workers\b", st.shim.stderr()),
              st.shim.stderr()[-1000:])
        lines = st.shim.stderr().count("user=" + NEW)
        check(signed(st.url, NEW, NEW_KEY) == 0, "served")
        check(st.shim.stderr().count("user=" + NEW) == lines, "access_log false still logs")
    finally:
        st.stop()


run("ops_reload", rotate_under_load)
