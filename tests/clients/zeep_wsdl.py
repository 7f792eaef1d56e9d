#!/usr/bin/python3
"""Real-client check with python3-zeep: load the WSDL from mktows-shim's
?WSDL, find the service the way Marketo clients did, and make signed calls
whose SOAP faults zeep must be able to read (mktows_client.py).

Runs under tests/clients/with_stack.sh --no-emulator: the shim has no REST
back-end, so a call is answered with a fault (or, where no REST call is
needed, a response), never with an authentication or parsing fault.
"""
import zeep.exceptions

from mktows_client import NS, Marketo, check, run


def main():
    m = Marketo("2_9")
    ops = sorted(m.client.wsdl.bindings["{%s}MktowsApiSoapBinding" % NS]._operations)
    check(len(ops) == 23, ops)
    check(m.service._binding_options["address"] == m.endpoint, m.service._binding_options)

    lead_key = m.t("LeadKey")(keyType="EMAIL", keyValue="a@b.c")
    try:
        m.call("getLead", leadKey=lead_key)
    except zeep.exceptions.Fault as fault:
        code = fault.detail.find(".//code").text
        check(fault.code.endswith("Client") or fault.code.endswith("Server"), fault.code)
        check(fault.message.startswith(code + " - "), fault.message)
        print("getLead answered with fault", fault.message)
    else:
        print("getLead answered with a response")

    # LeadKeySelector goes out with xsi:type and must be dispatched.
    sel = m.t("LeadKeySelector")(keyType="EMAIL", keyValues=m.t("ArrayOfString")(stringItem=["a@b.c"]))
    try:
        m.call("getMultipleLeads", leadSelector=sel, batchSize=10)
    except zeep.exceptions.Fault as fault:
        check("20012" not in fault.message, fault.message)
        check("20014" not in fault.message, fault.message)
        print("getMultipleLeads answered with fault", fault.message)


if __name__ == "__main__":
    run("zeep", main)
