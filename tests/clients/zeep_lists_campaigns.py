#!/usr/bin/python3
"""listOperation, importToList, getImportToListStatus, requestCampaign,
scheduleCampaign and getCampaignsForSource through python3-zeep, the way a
legacy Python integration calls them (mktows_client.py: WSDL from ?WSDL,
signed as Marketo's documentation shows).  zeep validates requests and
answers against the served WSDL, so the enumerations (CLEARLIST,
MKTOLISTID), nillable elements and one-element lists are checked on the way.

Runs under tests/clients/with_stack.sh, against the emulator's seed: static
list 3001 "Webinar Registrants" = leads 1-5, 3002 "Webinar Attendees"
(program Spring Webinar) = 1, 2, 3005 "Import Target" (program Spring
Newsletter) empty; campaign 1002 "Webinar Confirmation" (Spring Webinar)
requestable, 1001 "Spring Newsletter Send" batch.
"""
import datetime
import time

import mktows_client
from mktows_client import check, member, run


class Marketo(mktows_client.Marketo):
    def leads(self, *ids):
        key = self.t("LeadKey")
        return self.t("ArrayOfLeadKey")(leadKey=[key(keyType="IDNUM", keyValue=str(i)) for i in ids])

    def list_op(self, op, name, *ids, key_type="MKTOLISTNAME", strict=None):
        return self.call("listOperation", listOperation=op,
                         listKey=self.t("ListKey")(keyType=key_type, keyValue=name),
                         listMemberList=self.leads(*ids), strict=strict)


def main():
    m = Marketo()

    # listOperation
    r = m.list_op("ISMEMBEROFLIST", "Webinar Registrants", 1, 9)
    check(r.success is False, r)
    st = r.statusList.leadStatus
    check([(s.leadKey.keyValue, s.status) for s in st] == [("1", True), ("9", False)], st)
    r = m.list_op("ADDTOLIST", "Webinar Registrants", 9, strict=False)
    # <statusList xsi:nil="true"/>, which zeep reads as an empty list.
    check(r.success is True and not (r.statusList and r.statusList.leadStatus), r)
    r = m.list_op("ISMEMBEROFLIST", "3001", 9, key_type="MKTOLISTID")
    check(r.success is True and isinstance(r.statusList.leadStatus, list)
          and len(r.statusList.leadStatus) == 1, r)
    r = m.list_op("REMOVEFROMLIST", "Webinar Registrants", 9, 10, strict=False)
    check(r.success is False and [s.status for s in r.statusList.leadStatus] == [True, False], r)
    check(m.fault_code("listOperation", listOperation="ADDTOLIST",
                       listKey=m.t("ListKey")(keyType="MKTOLISTNAME", keyValue="Webinar Registrants"),
                       listMemberList=m.leads(9, 99999), strict=True) == 20103, "strict")
    check(m.list_op("ISMEMBEROFLIST", "Webinar Registrants", 9).success is False, "strict wrote")
    r = m.call("listOperation", listOperation="CLEARLIST",
               listKey=m.t("ListKey")(keyType="MKTOLISTNAME", keyValue="Webinar Registrants"),
               listMemberList=m.t("ArrayOfLeadKey")(leadKey=[]))
    check(r.success is True, r)
    check(m.list_op("ISMEMBEROFLIST", "Webinar Registrants", 1, 2).success is False, "cleared")
    check(m.fault_code("listOperation", listOperation="ADDTOLIST",
                       listKey=m.t("ListKey")(keyType="SFDCLEADOWNERID", keyValue="005x"),
                       listMemberList=m.leads(1)) == 20110, "SFDCLEADOWNERID")
    check(m.fault_code("listOperation", listOperation="ADDTOLIST",
                       listKey=m.t("ListKey")(keyType="MKTOLISTNAME", keyValue="No Such List"),
                       listMemberList=m.leads(1)) == 20111, "unknown list")
    print("listOperation: OK")

    # importToList + getImportToListStatus
    rows = m.t("ArrayOfString")(stringItem=["zeep@example.com,Zed,Python"])
    r = m.call("importToList", programName="Spring Newsletter",
               importFileHeader="Email Address,First Name,Last Name", importFileRows=rows,
               importListMode="UPSERTLEADS", listName="Import Target", clearList=False,
               campaignName=None)
    check(member(r, "importStatus") == "PROCESSING", r)
    for _ in range(100):
        s = m.call("getImportToListStatus", programName="Spring Newsletter",
                   listName="Import Target")
        if s.status != "PROCESSING":
            break
        time.sleep(0.1)
    check(s.status == "COMPLETE" and s.rowsImported == 1 and s.rowsFailed == 0, s)
    check(s.estimatedRows == 1 and isinstance(s.startedTime, datetime.datetime), s)
    check(s.endedTime is None and s.rowsIgnored is None, s)
    r = m.call("importToList", programName="Spring Newsletter",
               importFileHeader="Email Address", importFileRows=m.t("ArrayOfString")(
                   stringItem=["jdoe@example.com", "nobody@example.com"]),
               importListMode="LISTONLY", listName="Import Target", clearList=True,
               campaignName=None)
    check(member(r, "importStatus") == "COMPLETE", r)
    s = m.call("getImportToListStatus", programName="Spring Newsletter", listName="Import Target")
    check(s.status == "COMPLETE" and s.rowsImported == 1 and s.rowsFailed == 1, s)
    check(m.list_op("ISMEMBEROFLIST", "Import Target", 1).success is True, "LISTONLY add")
    check(m.fault_code("importToList", programName="Spring Newsletter",
                       importFileHeader="Email Address,{{my.token}}",
                       importFileRows=m.t("ArrayOfString")(stringItem=["a@example.com,x"]),
                       importListMode="UPSERTLEADS", listName="Import Target", clearList=False,
                       campaignName="Spring Newsletter Send") == 20110, "token columns")
    print("importToList / getImportToListStatus: OK")

    # campaigns
    r = m.call("getCampaignsForSource", source="MKTOWS", name="webinar", exactName=False)
    check(r.returnCount == 1, r)
    rec = r.campaignRecordList.campaignRecord
    check(isinstance(rec, list) and rec[0].id == 1002
          and rec[0].name == "Spring Webinar.Webinar Confirmation", rec)
    check(m.fault_code("getCampaignsForSource", source="SALES") == 20110, "SALES")
    key = m.t("LeadKey")
    leads = m.t("ArrayOfLeadKey")(leadKey=[key(keyType="EMAIL", keyValue="asmith@example.com")])
    r = m.call("requestCampaign", source="MKTOWS", campaignId=1002, leadList=leads)
    check(member(r, "success") is True, r)
    tokens = m.t("ArrayOfAttrib")(attrib=[m.t("Attrib")(name="{{my.message}}", value="Hi")])
    r = m.call("requestCampaign", source="MKTOWS", leadList=m.leads(3),
               programName="Spring Webinar", campaignName="Webinar Confirmation",
               programTokenList=tokens)
    check(member(r, "success") is True, r)
    check(m.fault_code("requestCampaign", source="MKTOWS", campaignId=999999,
                       leadList=m.leads(1)) == 20113, "unknown campaign")
    run_at = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=-7))) \
        + datetime.timedelta(days=1)
    r = m.call("scheduleCampaign", programName="Spring Newsletter",
               campaignName="Spring Newsletter Send", campaignRunAt=run_at,
               programTokenList=tokens)
    check(member(r, "success") is True, r)
    check(m.fault_code("scheduleCampaign", programName="Spring Newsletter",
                       campaignName="No Such Campaign") == 20113, "unknown campaign by name")
    print("campaigns: OK")


if __name__ == "__main__":
    run("zeep lists/import/campaigns", main)
