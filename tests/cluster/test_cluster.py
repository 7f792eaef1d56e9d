"""Three mktows-shim replicas behind HAProxy share one Marketo REST budget
and their importToList state through Redis (cluster.redis).

    test_cluster.py SHIM EMULATOR

marketo-emulator enforces Marketo's limits (100 calls / 20 s, 10 in flight)
and counts every refusal; the checks read its counters and its lead store
(the ground truth), never the shim's word alone:

  burst      3,000 concurrent one-lead syncLead calls through HAProxy from 100
             threads: all succeed, each lead is written once, no 606/615, never
             more than 10 in flight; REST calls per SOAP call printed; tokens
             lapsing mid-burst cost at most one identity call per replica
  imports    importToList through one replica, getImportToListStatus through
             each of the others: the same answer
  redis      Redis stopped in the middle of a burst and started again (empty):
             no call fails, the limits hold, every replica is back on the
             shared budget afterwards
  kill       one replica SIGKILLed in the middle of a burst: only calls in
             flight on it may fail (printed), the limits hold, and its
             in-flight slots leave the shared budget once their lease ends
"""
import json
import os
import re
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_support as cs  # noqa: E402
from cluster_support import gs  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden",
                      "lists_campaigns")
EXAMPLE_USER = "demo17_1_809934544BFABAE58E5D27"
LIMITS = ["--rate-limit", "100/20", "--concurrency", "10"]
check = gs.check


def seed():
    return gs.seed_with(os.path.join(GOLDEN, "lists_campaigns.seed.json"))


def config(request_seconds):
    return {"soap_users": {cs.USER: {"encryption_key": cs.KEY},
                           EXAMPLE_USER: {"encryption_key": cs.KEY}},
            "timeouts": {"request_seconds": request_seconds}}


def ok_sync(result):
    status, text = result
    return status == 200 and re.search(r"<status>(CREATED|UPDATED)</status>", text)


def limits_held(cluster, what):
    st = cluster.emulator_stats()
    rej = st.get("rejections", {})
    check(rej.get("606", 0) == 0 and rej.get("615", 0) == 0,
          "%s: the emulator refused calls for the limits: %s" % (what, rej))
    check(st.get("maxInFlight", 0) <= 10,
          "%s: %d REST calls in flight at once (limit 10)" % (what, st.get("maxInFlight", 0)))
    return st


def lead_writes(st):
    return st.get("calls", {}).get("POST /rest/v1/leads.json", 0)


class Load:
    """One syncLead per email from 100 threads, in the background."""

    def __init__(self, url, emails):
        self.res = None
        self.t = threading.Thread(target=self._run, args=(url, emails))
        self.t.start()

    def _run(self, url, emails):
        self.res = cs.run_calls(len(emails), 100, lambda k: cs.sync_lead(url, emails[k], 1))

    def results(self):
        self.t.join()
        return self.res


def identity_calls(st):
    return sum(v for k, v in st.get("calls", {}).items() if "/identity/oauth/token" in k)


def burst():
    # Tokens live 10 s, so they lapse several times during the burst: each
    # lapse may cost one identity call per replica, never a storm.
    ttl = 10
    with cs.Cluster(3, seed(), config(60), LIMITS + ["--token-ttl", str(ttl)]) as c:
        n = 3000
        emails = ["burst%d@cluster.test" % k for k in range(n)]
        t0 = time.time()
        res = cs.run_calls(n, 100, lambda k: cs.sync_lead(c.url, emails[k], k % 100))
        secs = time.time() - t0
        bad = [(k, r) for k, r in enumerate(res) if not ok_sync(r)]
        check(not bad, "burst: %d of %d syncLead calls failed, first: %r" %
              (len(bad), n, bad[:1]))
        st = limits_held(c, "burst")
        writes = lead_writes(st)
        ids = identity_calls(st)
        bound = 3 * (int(secs / ttl) + 3)
        check(ids <= bound, "burst: %d identity calls in %.0f s with %d s tokens (at most %d: "
              "one per replica per token)" % (ids, secs, ttl, bound))
        print("burst: %d identity calls in %.0f s with tokens of %d s (bound %d)" %
              (ids, secs, ttl, bound))
        print("burst: %d syncLead calls through HAProxy to 3 replicas in %.1f s: %d REST "
              "Sync Leads calls, %.4f per SOAP call; emulator max in flight %d" %
              (n, secs, writes, writes / n, st.get("maxInFlight", 0)))
        count = cs.leads_by_email(c.emu_url, emails)
        missing = [e for e in emails if count.get(e, 0) == 0]
        twice = [e for e in emails if count.get(e, 0) > 1]
        check(not missing and not twice, "burst: %d leads missing, %d written twice" %
              (len(missing), len(twice)))
        served = []
        for i in range(3):
            s = c.stats(i)
            sb = s["limiter"].get("shared_budget", {})
            check(sb.get("mode") == "shared", "burst: replica %d not on the shared budget: %s" %
                  (i, sb))
            served.append(s["limiter"]["admitted"])
        print("burst: REST calls admitted per replica: %s" % served)


def imports():
    with cs.Cluster(3, seed(), config(60), LIMITS) as c:
        with open(os.path.join(GOLDEN, "importtolist.request.xml"), encoding="utf-8") as f:
            imp = f.read()
        with open(os.path.join(GOLDEN, "getimporttoliststatus.request.xml"),
                  encoding="utf-8") as f:
            ask = f.read()
        base = [url for _, url in c.shims]
        status, text = gs.post(base[0] + "/soap/mktows/2_9", gs.resign(imp, cs.KEY),
                               gs.NS + "importToList")
        if not check(status == 200, "imports: importToList on replica 0: HTTP %d\n%s" %
                     (status, text)):
            return
        # Wait until the import has ended (replica 0's answer), then every
        # replica must give the same answer, byte for byte.
        answers = {}
        for _ in range(100):
            status, text = gs.post(base[0] + "/soap/mktows/2_9", gs.resign(ask, cs.KEY),
                                   gs.NS + "getImportToListStatus")
            if status == 200 and re.search(r"<status>(COMPLETE|FAILED)</status>", text):
                break
            time.sleep(0.2)
        check(status == 200, "imports: getImportToListStatus on replica 0: HTTP %d\n%s" %
              (status, text))
        answers[0] = text
        for i in (1, 2):
            status, answers[i] = gs.post(base[i] + "/soap/mktows/2_9", gs.resign(ask, cs.KEY),
                                         gs.NS + "getImportToListStatus")
            check(status == 200 and answers[i] == answers[0],
                  "imports: replica %d answers otherwise than replica 0 (HTTP %d):\n%s\n---\n%s"
                  % (i, status, answers[i], answers[0]))
        m = re.search(r"<status>(\w+)</status>", answers[0])
        print("imports: importToList on replica 0; getImportToListStatus on replicas 1 and 2 "
              "answer as replica 0 does (status %s)" % (m.group(1) if m else "?"))


def redis_outage():
    with cs.Cluster(3, seed(), config(60), LIMITS) as c:
        n = 1500
        emails = ["redis%d@cluster.test" % k for k in range(n)]
        load = Load(c.url, emails)
        time.sleep(1.0)
        c.redis.stop()
        print("redis: stopped during the burst")
        time.sleep(4.0)
        c.redis.start()
        print("redis: started again (empty)")
        res = load.results()
        bad = [(k, r) for k, r in enumerate(res) if not ok_sync(r)]
        check(not bad, "redis: %d of %d calls failed, first: %r" % (len(bad), n, bad[:1]))
        st = limits_held(c, "redis")
        count = cs.leads_by_email(c.emu_url, emails)
        check(all(count.get(e, 0) == 1 for e in emails),
              "redis: not every lead written exactly once")
        # A few more calls so that every replica has asked Redis again.
        more = cs.run_calls(30, 6, lambda k: cs.sync_lead(c.url, "after%d@cluster.test" % k, 1))
        check(all(ok_sync(r) for r in more), "redis: calls after the restart failed")
        modes, fallbacks = [], 0
        for i in range(3):
            sb = c.stats(i)["limiter"].get("shared_budget", {})
            modes.append(sb.get("mode"))
            fallbacks += sb.get("fallbacks", 0)
        check(modes == ["shared"] * 3, "redis: replicas not back on the shared budget: %s" %
              modes)
        check(fallbacks >= 1, "redis: no replica noticed the outage (fallbacks 0)")
        print("redis: %d calls, all succeeded; %d local-share fallbacks; %d REST lead writes; "
              "back on the shared budget: %s" % (n, fallbacks, lead_writes(st), modes))


def redis_ms(cluster):
    sec, usec = cluster.redis.cmd("TIME")
    return int(sec) * 1000 + int(usec) // 1000


def kill():
    request_seconds = 10
    with cs.Cluster(3, seed(), config(request_seconds), LIMITS) as c:
        dead = c.stats(1)["limiter"]["shared_budget"]["replica"]
        # REST answers slowly, so that sends are in flight when the replica dies.
        req = urllib.request.Request(c.emu_url + "/_emulator/faults",
                                     data=json.dumps({"latency_ms": 400}).encode(),
                                     method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()
        n = 1500
        emails = ["kill%d@cluster.test" % k for k in range(n)]
        load = Load(c.url, emails)
        held = []
        for _ in range(100):          # until the victim holds a shared slot
            members = c.redis.cmd("ZRANGE", "mktows:{%s}:inflight" % c.emu_url[7:], "0", "-1",
                                  "WITHSCORES") or []
            held = [(members[i], int(float(members[i + 1])))
                    for i in range(0, len(members), 2) if members[i].startswith(dead + "-")]
            if held:
                break
            time.sleep(0.02)
        c.kill_shim(1)
        killed_at = redis_ms(c)
        print("kill: replica 1 killed holding %d in-flight slot(s)" % len(held))
        check(held, "kill: replica 1 never held a shared in-flight slot (nothing to reclaim)")
        lease_bound = killed_at + (request_seconds + 2) * 1000 + 1000
        check(all(score <= lease_bound for _, score in held),
              "kill: leases outlive the request deadline: %s (bound %d)" % (held, lease_bound))
        res = load.results()
        bad = [(k, r) for k, r in enumerate(res) if not ok_sync(r)]
        print("kill: %d of %d calls failed (in flight on the killed replica)" % (len(bad), n))
        check(len(bad) <= 100, "kill: %d calls failed, more than were in flight" % len(bad))
        limits_held(c, "kill")
        count = cs.leads_by_email(c.emu_url, emails)
        ok_emails = [emails[k] for k, r in enumerate(res) if ok_sync(r)]
        check(all(count.get(e, 0) == 1 for e in ok_emails),
              "kill: a successful call's lead is not written exactly once")
        check(all(count.get(e, 0) <= 1 for e in emails), "kill: a lead written twice")
        # Past every lease, one more admission sweeps the expired leases out.
        last_lease = max((score for _, score in held), default=0)
        while redis_ms(c) <= last_lease:
            time.sleep(0.2)
        cs.sync_lead(c.url, "sweep@cluster.test", 1)
        members = c.redis.cmd("ZRANGE", "mktows:{%s}:inflight" % c.emu_url[7:], "0", "-1") or []
        left = [m for m in members if m.startswith(dead + "-")]
        check(not left, "kill: the dead replica's slots are still held: %s" % left)
        print("kill: the dead replica's %d in-flight slot(s) were reclaimed when their leases "
              "ended (<= %d s after the kill)" % (len(held), request_seconds + 3))


def checks():
    for part in (burst, imports, redis_outage, kill):
        t0 = time.time()
        part()
        print("%s: %.1f s" % (part.__name__, time.time() - t0))


if __name__ == "__main__":
    gs.run("test_cluster", checks)
