"""Every golden request document, written the ways legacy SOAP stacks write
it, gets the answer the document itself gets (issue 8).

For each request under tests/golden/*/ (a whole envelope, or the Body of one
the way Marketo's documentation shows it), the stack of that family is
started as its golden check starts it, and the request is sent re-signed,
then re-written and sent again as:

  prefixed      every element qualified with a prefix (Axis 1.4, soap4r: the
                schema's unqualified children sent in the mktows namespace);
  default       default namespaces and no prefix at all (.NET, Talend);
  header-q      the AuthenticationHeader's children qualified, the Body as
                documented;
  header-u      the AuthenticationHeader in a default namespace and its
                children explicitly unqualified (xmlns="");
  xsi-type      xsi:type on every simple element, as SOAP::Lite's autotyping
                writes it (xsd:int, xsd:boolean, xsd:dateTime, xsd:string);
  prefixed+xsi, default+xsi   both at once.

The emulator is reset before every send, so each variant meets the state the
document met; the answers must be identical, fault or not.  Run as
`test_golden_variants.py SHIM EMULATOR` (tests/golden/variants.cmake).
"""
import datetime
import os
import re
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_support import (NS, XSI, Stack, check, default_seed, example_user, http,  # noqa: E402
                            resign, run, seed_with, signature)
import test_golden_objects  # noqa: E402  (its seed)

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSD = "http://www.w3.org/2001/XMLSchema"
KEY = "golden-variants-key"
BODY_USER = "variants_user_0123456789"   # signs the documents that are a Body only

FAMILIES = [
    # (folder, seed, Stack options, endpoint version) as the family's golden check has them
    ("activities", lambda: seed_with(os.path.join(HERE, "activities", "activities.seed.json")),
     {}, "3_1"),
    ("leads", default_seed,
     {"config": {"leads": {"foreign_sys_person_id_field": "foreignSysPersonId"}}}, "2_3"),
    ("lists_campaigns",
     lambda: seed_with(os.path.join(HERE, "lists_campaigns", "lists_campaigns.seed.json")),
     {"import_db": True, "emulator_env": {"MKTOWS_EMU_IMPORT_STEP_MS": "5000"}}, "3_1"),
    ("objects", test_golden_objects.golden_seed, {}, "2_3"),
]


# ---- the documents ------------------------------------------------------------------------

def documents(folder):
    d = os.path.join(HERE, folder)
    out = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".request.xml"):
            with open(os.path.join(d, name), encoding="utf-8") as f:
                out.append((name, f.read()))
    return out


def signed(text):
    """The document as a whole envelope signed now: its own header re-signed,
    or a Body wrapped in the envelope the leads check uses."""
    if "Envelope" in text:
        return resign(text, KEY)
    body = text[text.index("-->") + 3:] if "-->" in text else text
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="%s" '
            'xmlns:ns1="%s" xmlns:xsi="%s"><SOAP-ENV:Header><ns1:AuthenticationHeader>'
            '<mktowsUserId>%s</mktowsUserId><requestSignature>%s</requestSignature>'
            '<requestTimestamp>%s</requestTimestamp></ns1:AuthenticationHeader>'
            '</SOAP-ENV:Header><SOAP-ENV:Body>%s</SOAP-ENV:Body></SOAP-ENV:Envelope>'
            % (ENV, NS, XSI, BODY_USER, signature(ts, BODY_USER, KEY), ts, body))


def user_of(text):
    return example_user(text) if "Envelope" in text else BODY_USER


# ---- writing an infoset another way ---------------------------------------------------------

def split(tag):
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return uri, local
    return None, tag


def xsd_type(text):
    """SOAP::Lite's autotyping of a value."""
    t = (text or "").strip()
    if re.fullmatch(r"-?\d+", t):
        return "xsd:int" if -2**31 <= int(t) < 2**31 else "xsd:long"
    if t in ("true", "false"):
        return "xsd:boolean"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", t):
        return "xsd:dateTime"
    return "xsd:string"


class Writer:
    """Writes the parsed envelope in one style.  style: "prefixed",
    "default", "header-q", "header-u" or "plain" (the documented form);
    typed: xsi:type on every simple element."""

    def __init__(self, style, typed, qnames):
        self.style, self.typed, self.qnames = style, typed, qnames

    def qname_value(self, value):
        """An xsi:type value of the document, re-prefixed for this writing."""
        prefix, _, local = value.rpartition(":")
        uri = self.qnames.get(prefix)
        if uri == NS:
            return "mkt:" + local
        if uri == XSD:
            return "xsd:" + local
        return value

    def attrs(self, elem, leaf):
        out = []
        for k, v in elem.attrib.items():
            uri, local = split(k)
            if uri == XSI and local == "type":
                out.append(("xsi:type", self.qname_value(v)))
            elif uri == XSI:
                out.append(("xsi:" + local, v))
            elif uri == ENV:
                out.append(("soapenv:" + local, v))
            elif uri is None:
                out.append((local, v))
        has_type = any(n == "xsi:type" for n, _ in out)
        nil = any(n == "xsi:nil" for n, _ in out)
        if self.typed and leaf and not has_type and not nil:
            out.append(("xsi:type", xsd_type(elem.text)))
        return "".join(" %s=%s" % (n, quoteattr(v)) for n, v in out)

    def element(self, elem, where, out):
        """where: "env" (Envelope, Header, Body), "header" / "body" (their
        children), "header-in" / "body-in" (below those)."""
        uri, local = split(elem.tag)
        leaf = len(elem) == 0
        decl = ""
        s = self.style
        if uri == ENV:
            name = local if s == "default" else "soapenv:" + local
            if local == "Envelope":
                decl = (' xmlns="%s"' % ENV if s == "default" else ' xmlns:soapenv="%s"' % ENV)
                decl += ' xmlns:mkt="%s" xmlns:xsi="%s" xmlns:xsd="%s"' % (NS, XSI, XSD)
        elif where in ("header", "body"):
            if s == "default" or (s == "header-u" and where == "header"):
                name, decl = local, ' xmlns="%s"' % NS
            elif s == "header-q" and where == "header":
                name, decl = "h:" + local, ' xmlns:h="%s"' % NS
            else:
                name = "mkt:" + local
        else:
            if s == "prefixed":
                name = "mkt:" + local
            elif s == "header-q" and where == "header-in":
                name = "h:" + local
            elif s == "header-u" and where == "header-in":
                name, decl = local, ' xmlns=""'
            else:
                name = local   # in the default namespace ("default") or in none ("plain")
        out.append("<%s%s%s>" % (name, decl, self.attrs(elem, leaf)))
        if elem.text and (leaf or elem.text.strip()):
            out.append(escape(elem.text))
        for child in elem:
            if uri == ENV and local == "Envelope":
                inner = "env"
            elif uri == ENV and local == "Header":
                inner = "header"
            elif uri == ENV and local == "Body":
                inner = "body"
            else:
                inner = "header-in" if where.startswith("header") else "body-in"
            self.element(child, inner, out)
        out.append("</%s>" % name)

    def write(self, root):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
        self.element(root, "env", out)
        return "".join(out)


VARIANTS = [("prefixed", "prefixed", False), ("default", "default", False),
            ("header-q", "header-q", False), ("header-u", "header-u", False),
            ("xsi-type", "plain", True), ("prefixed+xsi", "prefixed", True),
            ("default+xsi", "default", True)]


def variants(text):
    """[(name, envelope text)] for a signed envelope."""
    qnames = dict(re.findall(r'xmlns:([\w.-]+)="([^"]*)"', text))
    root = ET.fromstring(text.encode())
    return [(name, Writer(style, typed, qnames).write(root)) for name, style, typed in VARIANTS]


# ---- sending ----------------------------------------------------------------------------------

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def timeless(answer):
    """An answer with the times that are "now" (a stream position's latest
    date is when it was asked) written as NOW, and stream position tokens
    (signed, and holding the time they were issued) as OFFSET: the sends
    are seconds apart."""
    now = datetime.datetime.now(datetime.timezone.utc)

    def mask(m):
        t = datetime.datetime.fromisoformat(m.group(0).replace("Z", "+00:00"))
        return "NOW" if abs((now - t).total_seconds()) < 600 else m.group(0)
    text = re.sub(r"<offset>[^<]*</offset>", "<offset>OFFSET</offset>", answer[1])
    return answer[0], STAMP.sub(mask, text)


def send(stack, version, xml):
    http("POST", stack.emu_url + "/_emulator/reset", b"", {"Content-Type": "application/json"})
    return http("POST", "%s/soap/mktows/%s" % (stack.shim_url, version), xml.encode(),
                {"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": '""'})


def main():
    total = 0
    for folder, seed, options, version in FAMILIES:
        docs = documents(folder)
        check(docs, "no request documents in %s" % folder)
        users = {user_of(t): KEY for _, t in docs}
        opts = dict(options)
        opts["emulator_args"] = ["--rate-limit", "off"]
        with Stack(seed(), users, **opts) as stack:
            for name, text in docs:
                original = signed(text)
                want = timeless(send(stack, version, original))
                for vname, xml in variants(original):
                    got = timeless(send(stack, version, xml))
                    total += 1
                    check(got == want, "%s/%s as %s: HTTP %d, documented form HTTP %d\n"
                          "--- sent\n%s\n--- answer\n%s\n--- documented form's answer\n%s"
                          % (folder, name, vname, got[0], want[0], xml, got[1][:3000],
                             want[1][:3000]))
                print("%s/%s: HTTP %d, %d variants answered alike"
                      % (folder, name, want[0], len(VARIANTS)))
    print("%d variants sent" % total)


if __name__ == "__main__":
    run("golden variants", main)
