"""Trace to REST, checked as executable: for each of the 23 operations, its
golden request example is sent through the shim by a SOAP user with
"trace": true and the header X-Mktows-Trace: curl; the transcript the answer
points at is then run, command by command with curl, against the emulator
reset to the same seed, and must get the same answers the shim got and
leave the same REST-side state (calls per route, a read-back of leads and
list members).  The same request sent by a user without trace gets no
transcript, and `mktows-shim --explain-request` on it names every call the
shim really made and none it says is not made.

Run as test_trace.py SHIM EMULATOR (tests/workbench/CMakeLists.txt).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "golden"))
import golden_support as gs  # noqa: E402
from golden_support import check  # noqa: E402

GOLDEN = os.path.join(gs.SOURCE_DIR, "tests", "golden")
TRACER, TKEY = "tracer_1", "tracer-key-0123456789"
PLAIN, PKEY = "plain_1", "plain-key-0123456789"

# family: (seed, stack options, [(operation, request file)])
FAMILIES = {
    "leads": (lambda: gs.default_seed(),
              {"config": {"leads": {"foreign_sys_person_id_field": "foreignSysPersonId"}}},
              [("getLead", "getLead"), ("getMultipleLeads", "getMultipleLeads"),
               ("syncLead", "syncLead"), ("syncMultipleLeads", "syncMultipleLeads"),
               ("mergeLeads", "mergeLeads")]),
    "activities": (lambda: gs.seed_with(os.path.join(GOLDEN, "activities", "activities.seed.json")),
                   {"emulator_args": ["--rate-limit", "off"]},
                   [("getLeadActivity", "getleadactivity"), ("getLeadChanges", "getleadchanges"),
                    ("getChannels", "getchannels"), ("getTags", "gettags")]),
    "lists_campaigns": (lambda: gs.seed_with(os.path.join(GOLDEN, "lists_campaigns",
                                                          "lists_campaigns.seed.json")),
                        {"import_db": True,
                         "emulator_env": {"MKTOWS_EMU_IMPORT_STEP_MS": "5000"}},
                        [("listOperation", "listoperation"), ("importToList", "importtolist"),
                         ("getImportToListStatus", "getimporttoliststatus", "importtolist"),
                         ("requestCampaign", "requestcampaign"),
                         ("scheduleCampaign", "schedulecampaign"),
                         ("getCampaignsForSource", "getcampaignsforsource")]),
    "objects": (None, {},
                [("describeMObject", "describeMObject.twin"), ("listMObjects", "listMObjects"),
                 ("getMObjects", "getMObjects.twin"), ("syncMObjects", "syncMObjects.twin"),
                 ("deleteMObjects", "deleteMObjects.twin"), ("getCustomObjects", "getCustomObjects"),
                 ("syncCustomObjects", "syncCustomObjects"),
                 ("deleteCustomObjects", "deleteCustomObjects")]),
}

# Values that differ between two runs for reasons other than the call:
# request ids, clocks.
VOLATILE = re.compile(r'"requestId":"[^"]*"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?')


def normal(text):
    return VOLATILE.sub("~", text.strip())


def request_as(family, name, user, key):
    with open(os.path.join(GOLDEN, family, name + ".request.xml"), encoding="utf-8") as f:
        xml = f.read()
    if "Envelope" in xml:
        xml = re.sub(r"<mktowsUserId>.*?</mktowsUserId>", "<mktowsUserId>%s</mktowsUserId>" % user,
                     xml)
        return gs.resign(xml, key)
    xml = gs.envelope(re.sub(r"<!--.*?-->", "", xml, flags=re.S).strip(), user, key)
    return xml.replace(' xmlns:ns1=', ' xmlns:xsi="%s" xmlns:ns1=' % gs.XSI, 1)  # xsi:type


def post(stack, xml, trace):
    headers = {"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": '""'}
    if trace:
        headers["X-Mktows-Trace"] = "curl"
    req = urllib.request.Request(stack.shim_url + "/soap/mktows/3_1", data=xml.encode(),
                                 headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def emu(stack, method, path, body=None):
    st, text = gs.http(method, stack.emu_url + path, body, {"Content-Type": "application/json"})
    assert st == 200, (path, st, text)
    return json.loads(text)


def token(stack):
    return emu(stack, "GET", "/identity/oauth/token?grant_type=client_credentials"
               "&client_id=golden&client_secret=golden-secret")["access_token"]


def route_calls(stack):
    calls = emu(stack, "GET", "/_emulator/stats")["calls"]
    return {k: v for k, v in calls.items() if v and "/oauth/token" not in k}


def state(stack):
    """A read-back of what the operations change: leads, list members,
    opportunities and roles, custom objects as REST lists them."""
    tok = token(stack)
    out = []

    def get(path):
        req = urllib.request.Request(stack.emu_url + path,
                                     headers={"Authorization": "Bearer " + tok})
        with urllib.request.urlopen(req, timeout=60) as r:
            out.append(normal(r.read().decode()))

    get("/rest/v1/leads.json?filterType=id&filterValues=" + ",".join(map(str, range(1, 120)))
        + "&fields=email,firstName,lastName,company,leadScore,foreignSysPersonId")
    lists_text = subprocess.run(["curl", "-sS", "-H", "Authorization: Bearer " + tok,
                                 stack.emu_url + "/rest/v1/lists.json"],
                                capture_output=True, text=True).stdout
    for lst in json.loads(lists_text).get("result", []):
        get("/rest/v1/lists/%d/leads.json?fields=id" % lst["id"])
    return out


WARMUP = ("<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey>"
          "</ns1:paramsGetLead>")


def diff(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def commands(script):
    """[(curl command, the answer the shim got)] of a transcript."""
    out, lines, i = [], script.split("\n"), 0
    while i < len(lines):
        if lines[i].startswith("curl "):
            cmd, i = lines[i], i + 1
            while i < len(lines) and lines[i] != "echo":
                cmd += "\n" + lines[i]
                i += 1
            while i < len(lines) and not lines[i].startswith("# answer: "):
                i += 1
            answer = lines[i][len("# answer: "):] if i < len(lines) else None
            i += 1
            while i < len(lines) and lines[i].startswith("#| "):
                answer += "\n" + lines[i][3:]
                i += 1
            out.append((cmd, answer))
        else:
            i += 1
    return out


def explained(shim, xml):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        p = subprocess.run([shim, "--explain-request", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    check(p.returncode == 0, "--explain-request failed: %s" % p.stderr)
    made, not_made = [], []
    section = made
    for line in p.stdout.splitlines():
        if line.startswith("Not made"):
            section = not_made
        m = re.match(r"\s+(?:\d+\.|-) (GET|POST|DELETE) (\S+)", line)
        if m:
            section.append((m.group(1), re.sub(r"\{[^}]*\}", "[^/]+", m.group(2))))
    return made, not_made


def matches(calls, method, path):
    return any(m == method and re.fullmatch(p, path) for m, p in calls)


def trace_family(family, seed_fn, options, ops):
    if seed_fn is None:
        sys.path.insert(0, GOLDEN)
        import test_golden_objects
        seed = test_golden_objects.golden_seed()
    else:
        seed = seed_fn()
    config = dict(options.get("config", {}))
    config["soap_users"] = {TRACER: {"encryption_key": TKEY, "trace": True},
                            PLAIN: {"encryption_key": PKEY}}
    with gs.Stack(seed, {TRACER: TKEY}, config=config, import_db=options.get("import_db", False),
                  emulator_args=options.get("emulator_args", ()),
                  emulator_env=options.get("emulator_env")) as stack:
        shim_bin = stack.shim_bin
        for op, name, *setup in ops:
            # setup: a request whose effect this one reads, sent untraced first
            def prepare():
                emu(stack, "POST", "/_emulator/reset", b"")
                post(stack, gs.envelope(WARMUP, PLAIN, PKEY), trace=False)  # renews the token
                for other in setup:
                    post(stack, request_as(family, other, PLAIN, PKEY), trace=False)

            xml = request_as(family, name, TRACER, TKEY)
            prepare()
            before = route_calls(stack)
            status, answer, headers = post(stack, xml, trace=True)
            where = headers.get("X-Mktows-Trace")
            if not check(where, "%s: traced answer (HTTP %d) has no X-Mktows-Trace header" % (
                    op, status)):
                continue
            shim_calls = diff(route_calls(stack), before)
            check(status == 200, "%s: HTTP %d %s" % (op, status, answer[:600]))
            shim_state = state(stack)
            st, script = gs.http("GET", stack.shim_url + where)
            check(st == 200, "%s: GET %s: HTTP %d" % (op, where, st))
            cmds = commands(script)
            check("$TOKEN" in script or not cmds, "%s: token not replaced by $TOKEN" % op)
            check("/oauth/token" not in script, "%s: the identity call is in the transcript" % op)
            rest_header = headers.get("X-Mktows-Rest-Calls", "0;").split(";")[0]
            check(len(cmds) >= int(rest_header or 0),
                  "%s: %d commands, X-Mktows-Rest-Calls says %s" % (op, len(cmds), rest_header))

            # the transcript, run against the same seed
            prepare()
            env = dict(os.environ, TOKEN=token(stack))
            before = route_calls(stack)
            for k, (cmd, want) in enumerate(cmds):
                p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, env=env)
                check(p.returncode == 0, "%s: command %d failed: %s" % (op, k + 1, p.stderr))
                check(normal(p.stdout) == normal(want or ""),
                      "%s: command %d answers differently:\n  %s\n  shim got: %s\n  replay: %s"
                      % (op, k + 1, cmd[:300], (want or "")[:400], p.stdout[:400]))
            replay_calls = diff(route_calls(stack), before)
            check(replay_calls == shim_calls, "%s: REST calls per route differ:\n  shim   %s\n"
                  "  replay %s" % (op, shim_calls, replay_calls))
            check(state(stack) == shim_state, "%s: the REST-side state differs after the replay"
                  % op)

            # --explain-request names what was made
            made, not_made = explained(shim_bin, xml)
            for cmd, _ in cmds:
                m = re.match(r"curl -sS -X (\w+) '[a-z]+://[^/]+([^?']*)", cmd)
                method, path = m.group(1), m.group(2)
                if "_method=GET" in cmd:
                    method = "GET"
                check(matches(made, method, path) and not matches(not_made, method, path),
                      "%s: --explain-request does not list %s %s as made" % (op, method, path))

            # a user without trace gets no transcript
            _, _, plain_headers = post(stack, request_as(family, name, PLAIN, PKEY), trace=True)
            check("X-Mktows-Trace" not in plain_headers,
                  "%s: a user without trace got a transcript" % op)
            print("%s: %d REST call(s) traced, replayed with the same answers and effects"
                  % (op, len(cmds)))


def main():
    n = 0
    for family, (seed_fn, options, ops) in FAMILIES.items():
        trace_family(family, seed_fn, options, ops)
        n += len(ops)
    check(n == 23, "%d operations traced, want 23" % n)


if __name__ == "__main__":
    gs.run("trace to REST", main)
