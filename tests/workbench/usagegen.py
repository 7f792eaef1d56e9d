"""Synthetic usage logs (the usage_log format of server/usagelog.c) for the
report's streaming test and benchmark: `lines` lines over `days` days from
12 SOAP users, each with a fixed mix of operations, about 2 % faults, in
time order with up to 2 s of jitter, plus `late` lines 10 minutes older than
their neighbours (out of order beyond the report's 5-minute bound).

write(f, lines, days, late) writes them and returns the expected totals:
{"calls", "faults", "late", "users": {user: calls}}.
"""
import random

OPS = [("getLead", "GET", "/rest/v1/leads.json", 1.0),
       ("syncLead", "POST", "/rest/v1/leads.json", 0.25),
       ("getMultipleLeads", "GET", "/rest/v1/leads.json", 2.0),
       ("getLeadActivity", "GET", "/rest/v1/activities.json", 4.0),
       ("listOperation", "POST", "/rest/v1/lists/{listId}/leads.json", 1.0)]
USERS = ["integration_%02d" % i for i in range(12)]
START = 1764547200  # 2025-12-01T00:00:00Z


def stamp(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%03dZ" % (int(t * 1000) % 1000)


def write(f, lines, days, late=0, seed=14):
    rnd = random.Random(seed)
    span = days * 86400.0 - 10
    step = span / lines
    want = {"calls": 0, "faults": 0, "late": late, "users": {}}
    late_at = set(rnd.sample(range(lines // 2, lines), late)) if late else set()
    out = []
    for i in range(lines):
        t = START + i * step + rnd.random() * 2
        if i in late_at:
            t -= 600
        user = USERS[(i * 7) % len(USERS)]
        op, method, path, cost = OPS[(i * 7 // len(USERS) + i) % len(OPS)]
        fault = 20103 if rnd.random() < 0.02 else None
        want["calls"] += 1
        want["faults"] += fault is not None
        want["users"][user] = want["users"].get(user, 0) + 1
        out.append('{"time":"%s","user":"%s","operation":"%s","version":"2_9","client":"10.0.0.%d",'
                   '"http":%d,"fault":%s,"latency_ms":%d,"records_in":1,"records_out":%d,'
                   '"bytes_in":700,"bytes_out":2400,"rest_calls":%d,"rest_cost":%.4f,'
                   '"rest":[{"method":"%s","path":"%s","count":%d,"code":0}]}\n'
                   % (stamp(t), user, op, i % 200, 500 if fault else 200,
                      fault if fault else "null", 5 + i % 40, 0 if fault else 1,
                      max(1, int(cost)), cost, method, path, max(1, int(cost))))
        if len(out) == 10000:
            f.write("".join(out))
            out = []
    f.write("".join(out))
    return want
