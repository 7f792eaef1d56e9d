#!/usr/bin/python3
"""The five lead operations through python3-zeep, the way a legacy Python
integration calls them (mktows_client.py: WSDL from ?WSDL, signed as
Marketo's documentation shows).

Runs under tests/clients/with_stack.sh, against the emulator's seed: leads
1-20, static list 3001 = leads 1-5.
"""
from mktows_client import Marketo, check, run


def attrs(rec):
    return {a.attrName: a.attrValue for a in rec.leadAttributeList.attribute}


def main():
    m = Marketo()
    key = m.t("LeadKey")

    # getLead: one lead, all its attributes.
    r = m.call("getLead", leadKey=key(keyType="EMAIL", keyValue="jdoe@example.com"))
    check(r.count == 1, r)
    recs = r.leadRecordList.leadRecord
    check(isinstance(recs, list) and len(recs) == 1, recs)
    check(recs[0].Id == 1 and recs[0].Email == "jdoe@example.com", recs[0])
    check(recs[0].ForeignSysPersonId == "CRM-0001", recs[0])
    a = attrs(recs[0])
    check(a["FirstName"] == "John" and a["LeadScore"] == "42", a)
    # Email is not unique: every match, with the count.
    r = m.call("getLead", leadKey=key(keyType="EMAIL", keyValue="shared@example.com"))
    check(r.count == 2 and sorted(x.Id for x in r.leadRecordList.leadRecord) == [7, 8], r)
    check(m.fault_code("getLead", leadKey=key(keyType="EMAIL", keyValue="nobody@example.com"))
          == 20103, "not found")
    check(m.fault_code("getLead", leadKey=key(keyType="LEADOWNEREMAIL", keyValue="a@b.c"))
          == 20102, "LEADOWNEREMAIL")
    print("getLead: OK")

    # getMultipleLeads: one key and one attribute still come back as lists.
    arr = m.t("ArrayOfString")
    sel = m.t("LeadKeySelector")(keyType="IDNUM", keyValues=arr(stringItem=["2"]))
    r = m.call("getMultipleLeads", leadSelector=sel, includeAttributes=arr(stringItem=["LastName"]))
    check(r.returnCount == 1 and r.remainingCount == 0, r)
    recs = r.leadRecordList.leadRecord
    check(isinstance(recs, list) and len(recs) == 1 and recs[0].Id == 2, recs)
    one = recs[0].leadAttributeList.attribute
    check(isinstance(one, list) and len(one) == 1, one)
    check(one[0].attrName == "LastName" and one[0].attrValue == "Smith", one)
    # A static list, paged to the end by the stream position.
    sel = m.t("StaticListSelector")(staticListName="Webinar Registrants")
    seen, pos, pages = [], None, 0
    while True:
        r = m.call("getMultipleLeads", leadSelector=sel, batchSize=2, streamPosition=pos)
        pages += 1
        check(pages < 10, "the stream does not end")
        seen += [x.Id for x in (r.leadRecordList.leadRecord if r.leadRecordList else [])]
        if r.remainingCount == 0:
            break
        pos = r.newStreamPosition
    check(sorted(seen) == [1, 2, 3, 4, 5] and pages == 3, (seen, pages))
    check(m.fault_code("getMultipleLeads", leadSelector=sel, streamPosition="forged") == 20122,
          "forged position")
    print("getMultipleLeads: OK")

    # syncLead: one attribute, the lead returned.
    rec_t, aa, attr_t = m.t("LeadRecord"), m.t("ArrayOfAttribute"), m.t("Attribute")
    rec = rec_t(Email="zeep.person@example.com",
                leadAttributeList=aa(attribute=[attr_t(attrName="FirstName", attrValue="Zeep")]))
    r = m.call("syncLead", leadRecord=rec, returnLead=True)
    check(r.syncStatus.status == "CREATED" and r.leadId == r.syncStatus.leadId > 20, r)
    check(r.leadRecord.Email == "zeep.person@example.com", r.leadRecord)
    check(attrs(r.leadRecord)["FirstName"] == "Zeep", r.leadRecord)
    new_id = r.leadId
    rec = rec_t(Id=new_id, leadAttributeList=aa(attribute=[attr_t(attrName="LastName",
                                                                   attrValue="Client")]))
    r = m.call("syncLead", leadRecord=rec, returnLead=False)
    check(r.syncStatus.status == "UPDATED" and r.leadId == new_id, r)
    # <leadRecord xsi:nil="true"/>, as Marketo's example: zeep reads an empty record.
    check(r.leadRecord is None or r.leadRecord.Id is None, r.leadRecord)
    print("syncLead: OK")

    # syncMultipleLeads: one record, then several in the caller's order.
    r = m.call("syncMultipleLeads", leadRecordList=m.t("ArrayOfLeadRecord")(
        leadRecord=[rec_t(Email="zeep.single@example.com")]), dedupEnabled=True)
    st = getattr(r, "syncStatusList", r).syncStatus   # zeep unwraps a one-member result
    check(isinstance(st, list) and len(st) == 1 and st[0].status == "CREATED", st)
    r = m.call("syncMultipleLeads", leadRecordList=m.t("ArrayOfLeadRecord")(leadRecord=[
        rec_t(Email="zeep.single@example.com"), rec_t(Id=3), rec_t(Id=999999)]))
    st = getattr(r, "syncStatusList", r).syncStatus
    check([s.status for s in st] == ["UPDATED", "UPDATED", "FAILED"], st)
    check(st[1].leadId == 3 and st[2].error and "1004" in st[2].error, st)
    print("syncMultipleLeads: OK")

    # mergeLeads: one loser is still a list.
    kl = m.t("ArrayOfKeyList")
    r = m.call("mergeLeads",
               winningLeadKeyList=aa(attribute=[attr_t(attrName="IDNUM", attrValue="2")]),
               losingLeadKeyLists=kl(keyList=[aa(attribute=[attr_t(attrName="IDNUM",
                                                                   attrValue="15")])]))
    ms = getattr(r, "mergeStatus", r)
    check(ms.status == "MERGED" and ms.winningLeadId == 2, ms)
    check(ms.losingLeadIdList.integerItem == [15], ms)
    check(m.fault_code("getLead", leadKey=key(keyType="IDNUM", keyValue="15")) == 20103, "merged")
    print("mergeLeads: OK")


if __name__ == "__main__":
    run("zeep leads", main)
