#!/usr/bin/python3
"""Real-client check with python3-zeep: load the WSDL from mktows-shim's
?WSDL, find the service the way Marketo clients did, and make one signed
call whose SOAP fault zeep must be able to read.

usage: zeep_wsdl.py /path/to/mktows-shim
"""
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile

import zeep
import zeep.exceptions

NS = "http://www.marketo.com/mktows/"
USER = "bigcorp1_461839624B16E06BA2D663"
KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"


def main():
    shim = sys.argv[1] if len(sys.argv) > 1 else os.environ["MKTOWS_SHIM"]
    cfg = {
        "listen": "127.0.0.1:0",
        "rest": {"endpoint": "http://127.0.0.1:9", "client_id": "i", "client_secret": "s"},
        "soap_users": {USER: {"encryption_key": KEY}},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
        path = f.name
    proc = subprocess.Popen([shim, "--config", path], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://"), line
        base = line[len("listening on "):]
        endpoint = base + "/soap/mktows/2_9"

        client = zeep.Client(endpoint + "?WSDL")
        service = client.bind("MktMktowsApiService", "MktowsApiSoapPort")
        ops = sorted(client.wsdl.bindings["{%s}MktowsApiSoapBinding" % NS]._operations)
        assert len(ops) == 23, ops
        assert service._binding_options["address"] == endpoint, service._binding_options

        ts = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        sig = hmac.new(KEY.encode(), (ts + USER).encode(), hashlib.sha1).hexdigest()
        header = client.get_element("{%s}AuthenticationHeader" % NS)(
            mktowsUserId=USER, requestSignature=sig, requestTimestamp=ts)
        lead_key = client.get_type("{%s}LeadKey" % NS)(keyType="EMAIL", keyValue="a@b.c")
        try:
            service.getLead(leadKey=lead_key, _soapheaders=[header])
        except zeep.exceptions.Fault as fault:
            code = fault.detail.find(".//code").text
            assert fault.code.endswith("Client") or fault.code.endswith("Server"), fault.code
            assert fault.message.startswith(code + " - "), fault.message
            print("getLead answered with fault", fault.message)
        else:
            print("getLead answered with a response")

        # LeadKeySelector goes out with xsi:type and must be dispatched.
        sel_type = client.get_type("{%s}LeadKeySelector" % NS)
        arr = client.get_type("{%s}ArrayOfString" % NS)
        sel = sel_type(keyType="EMAIL", keyValues=arr(stringItem=["a@b.c"]))
        try:
            service.getMultipleLeads(leadSelector=sel, batchSize=10, _soapheaders=[header])
        except zeep.exceptions.Fault as fault:
            assert "20012" not in fault.message, fault.message
            assert "20014" not in fault.message, fault.message
            print("getMultipleLeads answered with fault", fault.message)
        print("zeep: OK")
    finally:
        proc.terminate()
        rc = proc.wait(timeout=10)
        os.unlink(path)
    sys.exit(1 if rc else 0)


if __name__ == "__main__":
    main()
