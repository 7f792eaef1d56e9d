#!/usr/bin/python3
"""Golden documents of the MObject and custom object operations.

tests/golden/objects/<op>.request.xml holds the SOAP Body of the request
example on the operation's page of Marketo's SOAP documentation, and
<op>.response.xml the Body of its response example (each file says where
it comes from).  Every request is sent as documented - SOAP-ENV and ns1
prefixes, the example's mktowsUserId - with the AuthenticationHeader
re-signed for a fresh timestamp, to mktows-shim backed by marketo-emulator.

The emulator is seeded with the documents' own data (programs 1001-1007 and
1970, lead 1090177 and its Roadshow records) on top of
emulator/seed/default.json, so that the examples find what they name.

An answer must have the documented element structure: every element path of
the documented response (local names from the success element down, children
unqualified) appears in the answer, in the same order of first appearance;
the answer may add elements the schema has (createdAt, error...).  What is
inside <value>/<attrValue> is data, not structure.

Three examples ask for what the REST API cannot do (describe ActivityRecord,
program criteria LE/NE, opportunities by integer id): the shim refuses them
with fault 20110 that says why, and <op>.twin.request.xml - the example with
the least change REST can serve - must then give the documented structure.
A fourth (a program cost with an Id) is answered in the documented structure
with that object FAILED, and its twin without the Id is UPDATED.

usage: test_golden_objects.py SHIM EMULATOR (golden_support.py)
"""
import os
import re
import xml.etree.ElementTree as ET

from golden_support import NS, XSI, Stack, check, default_seed, envelope, http, post, run

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "objects")
USER = "demo17_1_809934544BFABAE58E5D27"   # the examples' user
KEY = "golden-objects-key"
DATA_ELEMENTS = {"value", "attrValue"}


# ---- the seed -----------------------------------------------------------------------

def program(pid, name, ptype, channel, path_folder, costs=()):
    return {
        "id": pid, "name": name, "description": "", "createdAt": "2013-08-01T10:00:00Z+0000",
        "updatedAt": "2013-08-05T10:00:00Z+0000", "url": "https://app.marketo.com/#PG%dA1" % pid,
        "type": ptype, "channel": channel,
        "folder": {"type": "Folder", "value": 1, "folderName": path_folder},
        "status": "", "workspace": "Default", "sfdcId": None, "sfdcName": None,
        "tags": [], "costs": [{"startDate": d, "cost": c, "note": n} for d, c, n in costs],
    }


def golden_seed():
    seed = default_seed()
    # The programs of getmobjects.md's response (channels as its Tag typeAttribs show them).
    seed["programs"] += [
        program(1001, "Program01", "program", "Content", "Training"),
        program(1002, "Coffee Promotion", "program", "Content", "Neelesh"),
        program(1004, "elizprogramtest2", "program", "Email Blast", "Elizabeth"),
        program(1005, "elizprogramtest3", "program", "Email Blast", "Elizabeth"),
        program(1006, "Big Launch Webinar", "event", "Webinar", "MKTO Events",
                costs=[("2011-07-01", 3000, "Speaker"), ("2011-07-01", 1000, "Post-production")]),
        program(1007, "Lead Scoring", "program", "Blog", "MKTO Lead Lifecycle"),
        # syncmobjects.md updates program 1970 (its name is not documented).
        program(1970, "Program 1970", "program", "Content", "Golden"),
    ]
    # getcustomobjects.md's lead 1090177 and its Roadshow records.
    lead = dict(seed["leads"][0])
    lead.update({"id": 1090177, "email": "golden-1090177@example.com"})
    for k in ("cookies", "sfdcLeadId", "foreignSysPersonId", "facebookId", "linkedInId",
              "twitterId"):
        lead.pop(k, None)
    seed["leads"].append(lead)
    records = [("123456", "city4", "state4", "zip4"), ("rid0", "city0", "state0", "zip0"),
               ("rid1", "SanMateo", "California", "94404"), ("rid2", "city2", "state2", "zip2"),
               ("rid3", "city3", "state3", "zip3"), ("rid4", "city4", "state4", "zip4")]
    for group in seed["customObjects"]:
        if group["name"] == "roadshow_c":
            for i, (rid, city, state, zip_) in enumerate(records):
                group["records"].append({
                    "marketoGUID": "0e5c7a10-3333-4d2e-9f30-%012d" % (9000 + i),
                    "leadId": 1090177, "rid": rid, "city": city, "state": state, "zip": zip_,
                    "createdAt": "2013-08-20T10:00:00Z", "updatedAt": "2013-08-20T10:00:00Z"})
    return seed


# ---- SOAP -------------------------------------------------------------------------------

def read_golden(name):
    with open(os.path.join(GOLDEN, name), encoding="utf-8") as f:
        text = f.read()
    return re.sub(r"^\s*<!--.*?-->\s*", "", text, flags=re.S)


def soap(shim, body):
    return post(shim + "/soap/mktows/2_3", envelope(body, USER, KEY), NS)


# ---- structure ------------------------------------------------------------------------------

def local(tag):
    return tag.split("}", 1)[-1]


def structure(root):
    """Element paths under root, each once, in order of first appearance."""
    seen, order, qualified = set(), [], []

    def walk(e, prefix):
        path = prefix + "/" + local(e.tag) if prefix else local(e.tag)
        if path not in seen:
            seen.add(path)
            order.append(path)
        if local(e.tag) in DATA_ELEMENTS:
            return
        for c in e:
            if not isinstance(c.tag, str):
                continue
            if c.tag.startswith("{"):
                qualified.append(path + "/" + local(c.tag))
            walk(c, path)

    walk(root, "")
    return order, qualified


def success_element(xml_text, name):
    doc = ET.fromstring(xml_text)
    for e in doc.iter():
        if isinstance(e.tag, str) and local(e.tag) == name:
            return e
    return None


def documented(op):
    body = read_golden(op + ".response.xml")
    wrapped = '<w xmlns:ns1="%s" xmlns:xsi="%s">%s</w>' % (NS, XSI, body)
    root = ET.fromstring(wrapped)[0]
    return structure(root)[0]


def check_structure(op, answer):
    want = documented(op)
    root = success_element(answer, "success" + op[0].upper() + op[1:])
    if not check(root is not None and root.tag == "{%s}success%s%s" % (NS, op[0].upper(), op[1:]),
                 "%s: no qualified success element in %s" % (op, answer[:400])):
        return None
    have, qualified = structure(root)
    check(not qualified, "%s: qualified children %s" % (op, qualified))
    missing = [p for p in want if p not in have]
    check(not missing, "%s: documented elements missing: %s" % (op, missing))
    ordered = [p for p in have if p in want]
    check(ordered == [p for p in want if p in have],
          "%s: documented elements out of order:\n  want %s\n  have %s" % (op, want, ordered))
    return root


def texts(root, name):
    return [e.text or "" for e in root.iter() if isinstance(e.tag, str) and local(e.tag) == name]


def expect_fault(op, status, answer, says):
    check(status == 500, "%s: HTTP %s, want a fault" % (op, status))
    check("<code>20110</code>" in answer and "<faultstring>20110 - " in answer
          and "<faultcode>SOAP-ENV:Client</faultcode>" in answer,
          "%s: want fault 20110, got %s" % (op, answer[:600]))
    check(says in answer, "%s: the fault does not say %r: %s" % (op, says, answer[:600]))


# ---- the examples -----------------------------------------------------------------------------

def check_examples(shim, emu):
    def reset():
        st, _ = http("POST", emu + "/_emulator/reset", b"", {"Content-Type": "application/json"})
        assert st == 200

    def send(name):
        reset()
        return soap(shim, read_golden(name))

    # describeMObject: ActivityRecord refused; LeadRecord twin documented.
    st, a = send("describeMObject.request.xml")
    expect_fault("describeMObject", st, a, "ActivityRecord has no REST describe")
    st, a = send("describeMObject.twin.request.xml")
    check(st == 200, "describeMObject twin: HTTP %s %s" % (st, a[:400]))
    r = check_structure("describeMObject", a)
    if r is not None:
        check(texts(r, "name")[0] == "LeadRecord", "describeMObject: metadata name")
        check("Email" in texts(r, "name"), "describeMObject: no Email field")

    # listMObjects.
    st, a = send("listMObjects.request.xml")
    check(st == 200, "listMObjects: HTTP %s %s" % (st, a[:400]))
    r = check_structure("listMObjects", a)
    if r is not None:
        check(texts(r, "objects") == ["LeadRecord", "Opportunity", "OpportunityPersonRole"],
              "listMObjects: %s" % texts(r, "objects"))

    # getMObjects: LE/NE refused; the twin gives the documented programs.
    st, a = send("getMObjects.request.xml")
    expect_fault("getMObjects", st, a, "REST cannot filter programs by Id LE 1010")
    st, a = send("getMObjects.twin.request.xml")
    check(st == 200, "getMObjects twin: HTTP %s %s" % (st, a[:400]))
    r = check_structure("getMObjects", a)
    if r is not None:
        names = texts(r, "value")
        for n in ("Program01", "Coffee Promotion", "elizprogramtest2", "elizprogramtest3",
                  "Big Launch Webinar", "Lead Scoring", "Marketing Program", "Marketing Event",
                  "Channel", "Email Blast", "Speaker", "Post-production"):
            check(n in names, "getMObjects twin: no %r in the answer" % n)
        check(texts(r, "hasMore") == ["false"], "getMObjects twin: hasMore")

    # syncMObjects: the cost line with an Id is FAILED (documented structure);
    # the twin without the Id is UPDATED, as documented.
    st, a = send("syncMObjects.request.xml")
    check(st == 200, "syncMObjects: HTTP %s %s" % (st, a[:400]))
    r = check_structure("syncMObjects", a)
    if r is not None:
        check(texts(r, "id") == ["1970"] and texts(r, "status") == ["FAILED"],
              "syncMObjects: %s" % a[:600])
        check("REST program costs have no ids" in a, "syncMObjects: no reason given")
    reset()
    st, a = soap(shim, read_golden("syncMObjects.twin.request.xml"))
    check(st == 200, "syncMObjects twin: HTTP %s %s" % (st, a[:400]))
    r = check_structure("syncMObjects", a)
    if r is not None:
        check(texts(r, "id") == ["1970"] and texts(r, "status") == ["UPDATED"],
              "syncMObjects twin: %s" % a[:600])
    st, after = http("GET", emu + "/_emulator/stats")   # still reachable after the writes
    check(st == 200, "emulator stats")

    # deleteMObjects: integer ids refused, nothing deleted; the twin deletes by marketoGUID.
    st, a = send("deleteMObjects.request.xml")
    expect_fault("deleteMObjects", st, a, "has id 4, which cannot be mapped")
    st, a = send("deleteMObjects.twin.request.xml")
    check(st == 200, "deleteMObjects twin: HTTP %s %s" % (st, a[:400]))
    r = check_structure("deleteMObjects", a)
    if r is not None:
        check(texts(r, "status") == ["DELETED", "DELETED"], "deleteMObjects twin: %s" % a[:600])

    # getCustomObjects: the six Roadshow records of lead 1090177, as documented.
    st, a = send("getCustomObjects.request.xml")
    check(st == 200, "getCustomObjects: HTTP %s %s" % (st, a[:400]))
    r = check_structure("getCustomObjects", a)
    if r is not None:
        check(texts(r, "objTypeName") == ["Roadshow"], "getCustomObjects: objTypeName")
        check(texts(r, "returnCount") == ["6"] and texts(r, "remainingCount") == ["0"],
              "getCustomObjects: counts %s" % a[:400])
        values = texts(r, "attrValue")
        for v in ("1090177", "123456", "rid0", "rid4", "SanMateo", "California", "94404"):
            check(v in values, "getCustomObjects: no %r" % v)
        check(texts(r, "attrName")[:2] == ["MKTOID", "rid"], "getCustomObjects: key names")

    # syncCustomObjects: rid1 exists, UPDATED, the keys echoed.
    st, a = send("syncCustomObjects.request.xml")
    check(st == 200, "syncCustomObjects: HTTP %s %s" % (st, a[:400]))
    r = check_structure("syncCustomObjects", a)
    if r is not None:
        check(texts(r, "status") == ["UPDATED"], "syncCustomObjects: %s" % a[:600])
        check(texts(r, "objTypeName") == ["Roadshow"], "syncCustomObjects: objTypeName")
        check(texts(r, "attrValue") == ["1090177", "rid1"], "syncCustomObjects: keys echoed")

    # deleteCustomObjects: record 123456 is DELETED.
    st, a = send("deleteCustomObjects.request.xml")
    check(st == 200, "deleteCustomObjects: HTTP %s %s" % (st, a[:400]))
    r = check_structure("deleteCustomObjects", a)
    if r is not None:
        check(texts(r, "status") == ["DELETED"], "deleteCustomObjects: %s" % a[:600])
        check(texts(r, "attrValue") == ["1090177", "123456"], "deleteCustomObjects: keys echoed")


def main():
    with Stack(golden_seed(), {USER: KEY}) as stack:
        check_examples(stack.shim_url, stack.emu_url)


if __name__ == "__main__":
    run("golden objects", main)
