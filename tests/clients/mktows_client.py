"""What the python3-zeep client checks (zeep_*.py) share: a Marketo SOAP
client built the way a legacy Python integration builds it, and how a check
runs and reports.

The client loads the WSDL from the shim's <endpoint>?WSDL and signs each
call as Marketo's documentation shows: an AuthenticationHeader element whose
requestSignature is the lower-case hex HMAC-SHA1, keyed with the encryption
key, of requestTimestamp + mktowsUserId, over an ISO 8601 timestamp with its
offset.  zeep validates requests and answers against the served WSDL, so
enumerations, nillable elements and one-element lists are checked on the way.

A check runs under tests/clients/with_stack.sh, which starts marketo-emulator
and mktows-shim and hands the shim's URL over in MKTOWS_SHIM_URL; the SOAP
user below is the one it configures.
"""
import datetime
import hashlib
import hmac
import json
import os
import sys
import traceback

import zeep
import zeep.exceptions

NS = "http://www.marketo.com/mktows/"
USER = "bigcorp1_461839624B16E06BA2D663"
KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def signature(timestamp, user=USER, key=KEY):
    return hmac.new(key.encode(), (timestamp + user).encode(), hashlib.sha1).hexdigest()


def member(r, name):
    """zeep hands a result whose only member is `name` over as that member."""
    try:
        return getattr(r, name)
    except AttributeError:
        return r


class Marketo:
    def __init__(self, version="2_9", base=None, transport=None):
        """transport: a zeep.Transport of the check's own (an https:// shim
        with a pinned CA or a client certificate)."""
        base = base or os.environ["MKTOWS_SHIM_URL"]
        self.endpoint = base + "/soap/mktows/" + version
        self.client = zeep.Client(self.endpoint + "?WSDL", transport=transport)
        self.service = self.client.bind("MktMktowsApiService", "MktowsApiSoapPort")

    def t(self, name):
        """A type of the WSDL, to build a request with."""
        return self.client.get_type("{%s}%s" % (NS, name))

    def header(self):
        # The Python form Marketo's signature page lists: ISO 8601 with offset.
        ts = datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")
        return self.client.get_element("{%s}AuthenticationHeader" % NS)(
            mktowsUserId=USER, requestSignature=signature(ts), requestTimestamp=ts)

    def call(self, op, **kw):
        return getattr(self.service, op)(_soapheaders=[self.header()], **kw)

    def fault(self, op, **kw):
        """The (code, message) of the fault op must answer with, read as
        Marketo clients read it: detail/serviceException."""
        try:
            self.call(op, **kw)
        except zeep.exceptions.Fault as f:
            code = f.detail.find(".//code").text
            check(f.message.startswith(code + " - "), f.message)
            check(f.code.endswith("Client") or f.code.endswith("Server"), f.code)
            check(f.detail.find(".//name").text == "mktServiceException", f.message)
            return int(code), f.detail.find(".//message").text
        raise AssertionError("%s answered without a fault" % op)

    def fault_code(self, op, **kw):
        return self.fault(op, **kw)[0]


def default_seed():
    """The repository's emulator seed (emulator/seed/default.json)."""
    with open(os.path.join(SOURCE_DIR, "emulator/seed/default.json")) as f:
        return json.load(f)


def run(name, checks, make_seed=None):
    """Run checks(), printing "<name>: OK" or the failure; exit accordingly.

    With make_seed, the check builds its own emulator seed (with_stack.sh
    --seeded): run as `... --write-seed FILE`, it writes make_seed() there
    and exits."""
    if make_seed and sys.argv[1:2] == ["--write-seed"]:
        with open(sys.argv[2], "w") as f:
            json.dump(make_seed(), f)
        sys.exit(0)
    try:
        checks()
    except Exception as e:  # report and fail
        traceback.print_exc()
        print("%s: FAILED: %r" % (name, e), file=sys.stderr)
        sys.exit(1)
    print("%s: OK" % name)
