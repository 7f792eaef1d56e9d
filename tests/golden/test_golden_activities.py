#!/usr/bin/python3
"""Golden documents for getLeadActivity, getLeadChanges, getChannels and getTags.

Every request example of Marketo's pages for these operations (copied
verbatim into tests/golden/activities/<op>.request.xml) is sent to
mktows-shim, re-signed: only requestSignature and requestTimestamp change
(the user ids stay, configured with a key of the test's own).  The shim
talks to marketo-emulator seeded with what the examples name
(activities/activities.seed.json).  The answer must have the element
structure of Marketo's example response (activities/<op>.response.xml):

  - the same root, and under every element the same child elements in the
    same order (runs of a repeated element count once: the examples hold
    10 records, the answers as many as the seed gives);
  - xsi:nil exactly where the example has it, and a value where it has one;
  - record values that follow from the request (types asked for, the lead,
    the channels and tag values named, the echoed dates).

The documented differences allowed: the 3_1 records carry marketoGUID after
id (the examples predate 3_1), and the event channels' "Webinar Behavior"
attrib has no REST source.  The examples are not all well-formed: the
getChannels response stops after its first tagStatus (closed here), the
getLeadChanges one has an unescaped "<unknown>" in a value, and the getTags
one is a bare successGetTags document.

usage: test_golden_activities.py SHIM EMULATOR (golden_support.py)
"""
import os
import re
import xml.etree.ElementTree as ET

from golden_support import (ENV_NS, XSI_NIL, Stack, example_user, examples, run, seed_with,
                            send_examples)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "activities")
KEY = "golden-activities-key-42"
OPS = ["getleadactivity", "getleadchanges", "getchannels", "gettags"]
SOAP_OP = {"getleadactivity": "getLeadActivity", "getleadchanges": "getLeadChanges",
           "getchannels": "getChannels", "gettags": "getTags"}
# Children the 3_1 schema adds to what the examples show: name -> follows.
EXTRA_CHILD = {"marketoGUID": "id"}


def parse_lenient(text):
    """Parse an example response; close what a truncated one leaves open."""
    text = text.replace("<unknown>", "&lt;unknown&gt;")
    try:
        return ET.fromstring(text.encode())
    except ET.ParseError:
        stack = []
        for m in re.finditer(r"<(/?)([A-Za-z_][\w:.-]*)[^>]*?(/?)>", text):
            if m.group(1):
                stack.pop()
            elif not m.group(3):
                stack.append(m.group(2))
        return ET.fromstring((text + "".join("</%s>" % t for t in reversed(stack))).encode())


def op_root(doc):
    """The successX element, inside an envelope or on its own."""
    if doc.tag == ENV_NS + "Envelope":
        assert doc.find(ENV_NS + "Header") is None, "a response carries no SOAP Header"
        body = doc.find(ENV_NS + "Body")
        assert body is not None and len(body) == 1
        return body[0]
    return doc


def local(tag):
    return tag.split("}")[-1]


def shapes(elem, path="", out=None):
    """{path: {"kids": child names in order (runs once), "nil": {bool}, "values": [text]}}."""
    if out is None:
        out = {}
    p = path + "/" + local(elem.tag)
    d = out.setdefault(p, {"kids": [], "nil": set(), "values": []})
    d["nil"].add(elem.get(XSI_NIL) == "true")
    if len(elem) == 0:
        d["values"].append(elem.text or "")
    kids = []
    for c in elem:
        n = local(c.tag)
        if not kids or kids[-1] != n:
            kids.append(n)
    for i, k in enumerate(kids):
        if k not in d["kids"]:
            # keep the schema's order across records that leave some out
            prev = [x for x in kids[:i] if x in d["kids"]]
            at = d["kids"].index(prev[-1]) + 1 if prev else 0
            d["kids"].insert(at, k)
    for c in elem:
        shapes(c, p, out)
    return out


def compare(want_doc, got_doc):
    want_root, got_root = op_root(want_doc), op_root(got_doc)
    problems = []
    if local(want_root.tag) != local(got_root.tag):
        return ["root %s, want %s" % (local(got_root.tag), local(want_root.tag))]
    want, got = shapes(want_root), shapes(got_root)
    for path, w in want.items():
        g = got.get(path)
        if g is None:
            problems.append("%s: missing" % path)
            continue
        kids = [k for k in g["kids"] if not (k in EXTRA_CHILD and k not in w["kids"])]
        if kids != w["kids"]:
            problems.append("%s: children %s, want %s" % (path, g["kids"], w["kids"]))
        for k in g["kids"]:
            if k in EXTRA_CHILD and k not in w["kids"]:
                i = g["kids"].index(k)
                if i == 0 or g["kids"][i - 1] != EXTRA_CHILD[k]:
                    problems.append("%s: %s not right after %s" % (path, k, EXTRA_CHILD[k]))
        if g["nil"] != w["nil"]:
            problems.append("%s: nil %s, want %s" % (path, sorted(g["nil"]), sorted(w["nil"])))
    for path in got:
        if path not in want and path.rsplit("/", 1)[-1] not in EXTRA_CHILD:
            problems.append("%s: not in the example" % path)
    return problems


def text_of(root, path):
    return [e.text or "" for e in root.iterfind(path)]


def check_values(op, doc):
    """Values that follow from the request and the seed."""
    r = op_root(doc)
    p = []
    if op == "getleadactivity":
        recs = r.findall("leadActivityList/activityRecordList/activityRecord")
        if int(r.findtext("leadActivityList/returnCount")) != len(recs) or not 0 < len(recs) <= 10:
            p.append("returnCount %s for %d records, batchSize 10" %
                     (r.findtext("leadActivityList/returnCount"), len(recs)))
        if int(r.findtext("leadActivityList/remainingCount")) <= 0:
            p.append("remainingCount should flag more records (the seed has 20)")
        types = set(text_of(r, ".//activityRecord/activityType"))
        if not types <= {"Visit Webpage", "Fill Out Form"}:
            p.append("activity types %s, asked for VisitWebpage and FillOutForm" % types)
        if set(text_of(r, ".//activityRecord/mktPersonId")) != {"901"}:
            p.append("records of another lead than leademail@company.com (901)")
        dates = text_of(r, ".//activityRecord/activityDateTime")
        if dates != sorted(dates, reverse=True):
            p.append("not newest first: %s" % dates)
        if not r.findtext("leadActivityList/newStartPosition/offset"):
            p.append("no offset to continue from")
    elif op == "getleadchanges":
        recs = r.findall("result/leadChangeRecordList/leadChangeRecord")
        if int(r.findtext("result/returnCount")) != len(recs) or len(recs) != 10:
            p.append("%d records, want batchSize 10" % len(recs))
        if int(r.findtext("result/remainingCount")) <= 0:
            p.append("remainingCount should flag more records (the seed has 16)")
        types = set(text_of(r, ".//leadChangeRecord/activityType"))
        if not types <= {"Visit Webpage", "Click Link"}:
            p.append("activity types %s, asked for Visit Webpage and Click Link" % types)
        dates = text_of(r, ".//leadChangeRecord/activityDateTime")
        if dates != sorted(dates) or dates[0] < "2013-08-01T00:13:13":
            p.append("not oldest first from oldestCreatedAt: %s" % dates)
        if r.findtext("result/newStartPosition/oldestCreatedAt") != "2013-08-01T00:13:13+00:00":
            p.append("oldestCreatedAt not echoed")
        if "Spring Newsletter Send" not in text_of(r, ".//leadChangeRecord/campaign"):
            p.append("campaign 1001 not named")
    elif op == "getchannels":
        names = text_of(r, "result/tags/tagStatus/tagValue")
        if sorted(names) != ["Blog", "Tradeshow", "Webinar"]:
            p.append("channels %s, asked for Webinar, Blog, Tradeshow" % names)
        attribs = set(text_of(r, ".//attrib/name"))
        if attribs != {"Status", "Step", "Success"}:
            p.append("attribs %s" % attribs)
    elif op == "gettags":
        tags = r.findall("result/tagList/tag")
        got = [(t.findtext("type"), text_of(t, "values/stringItem")) for t in tags]
        if got != [("Content Channel", ["SEM", "Email"])]:
            p.append("tags %s, asked for Content Channel SEM and Email" % got)
    return p


def judge(op, documented, answer):
    got = ET.fromstring(answer.encode())
    return compare(parse_lenient(documented), got) + check_values(op, got)


def main():
    requests = examples(DATA, OPS)
    with Stack(seed_with(os.path.join(DATA, "activities.seed.json")),
               {example_user(x): KEY for x in requests.values()},
               emulator_args=["--rate-limit", "off"]) as stack:
        send_examples(stack, requests, KEY, DATA, SOAP_OP.get, judge)


if __name__ == "__main__":
    run("golden activities/assets", main)
