#!/usr/bin/python3
"""The eight MObject and custom object operations through python3-zeep, the
way a legacy Python integration calls them (mktows_client.py: WSDL from
?WSDL, signed as Marketo's documentation shows).

Runs under tests/clients/with_stack.sh, against the emulator's seed:
opportunities OPP-1001..1003 with roles of leads 1-3, programs 2001-2006,
custom object types car_c and roadshow_c ("Roadshow", lead 1 has rid0 and
rid1).
"""
from mktows_client import Marketo, check, member, run


def attribs(obj):
    return {a.name: a.value for a in obj.attribList.attrib}


def crit(name, cmp, value):
    return {"mObjCriteria": [{"attrName": name, "comparison": cmp, "attrValue": value}]}


def co_attrs(lst):
    return {a.attrName: a.attrValue for a in (lst.attribute if lst else [])}


def main():
    m = Marketo()

    # listMObjects / describeMObject
    r = m.call("listMObjects")
    # zeep hands a result whose only member is a list as that list.
    objects = list(r if isinstance(r, list) else r.objects)
    check(objects == ["LeadRecord", "Opportunity", "OpportunityPersonRole"], r)
    md = member(m.call("describeMObject", objectName="Opportunity"), "metadata")
    fields = {f.name: f for f in md.fieldList.field}
    check(md.name == "Opportunity" and md.isVirtual is False, md)
    check(fields["Name"].size == 255 and fields["Name"].isReadonly is False, fields["Name"])
    check(fields["MarketoGUID"].isPrimaryKey is True, fields["MarketoGUID"])
    check(fields["CloseDate"].description is None and fields["CloseDate"].size is None,
          fields["CloseDate"])
    md = member(m.call("describeMObject", objectName="LeadRecord"), "metadata")
    check(any(f.name == "Email" for f in md.fieldList.field), "LeadRecord Email")
    code, msg = m.fault("describeMObject", objectName="ActivityRecord")
    check(code == 20110 and "ActivityRecord" in msg, msg)
    print("listMObjects, describeMObject: OK")

    # getMObjects: opportunities, roles, programs; refusals.
    r = m.call("getMObjects", type="Opportunity",
               mObjCriteriaList=crit("ExternalOpportunityId", "EQ", "OPP-1001"))
    check(r.returnCount == 1 and r.hasMore is False, r)
    o = r.mObjectList.mObject[0]
    check(o.id is None and o.externalKey.name == "marketoGUID", o)
    check(attribs(o)["Name"] == "Acme Expansion", attribs(o))
    guid = o.externalKey.value
    r = m.call("getMObjects", type="OpportunityPersonRole",
               mObjAssociationList={"mObjAssociation": [{"mObjType": "Lead", "id": 1}]})
    check(r.returnCount == 1 and attribs(r.mObjectList.mObject[0])["PersonId"] == "1", r)
    r = m.call("getMObjects", type="Program", id=2002)
    prog = r.mObjectList.mObject[0]
    check(prog.id == 2002 and attribs(prog)["Type"] == "Marketing Event", prog)
    costs = [t for t in prog.typeAttribList.typeAttrib if t.attrType == "Cost"]
    check(len(costs) == 2, prog.typeAttribList)
    # Paging to the end: every program of the instance, 100 a page.
    seen, pos, pages = set(), None, 0
    while True:
        r = m.call("getMObjects", type="Program", streamPosition=pos)
        pages += 1
        seen.update(o.id for o in (r.mObjectList.mObject if r.mObjectList else []))
        pos = r.newStreamPosition
        if not r.hasMore:
            break
    check(seen == {2001, 2002, 2003, 2004, 2005, 2006} and pages == 1, (seen, pages))
    code, _ = m.fault("getMObjects", type="Program", streamPosition=pos)
    check(code == 20123, code)
    code, _ = m.fault("getMObjects", type="Program", streamPosition="not-a-position")
    check(code == 20122, code)
    code, msg = m.fault("getMObjects", type="Opportunity",
                        mObjCriteriaList=crit("ExternalOpportunityId", "NE", "OPP-1001"))
    check(code == 20110 and "REST cannot filter" in msg, msg)
    code, msg = m.fault("getMObjects", type="Opportunity", id=4)
    check(code == 20110, msg)
    print("getMObjects: OK")

    # syncMObjects, then read back; program costs and tags.
    r = m.call("syncMObjects", operation="UPSERT", mObjectList={"mObject": [
        {"type": "Opportunity", "externalKey": {"name": "externalOpportunityId", "value": "ZEEP-1"},
         "attribList": {"attrib": [{"name": "Name", "value": "Zeep deal"},
                                   {"name": "Amount", "value": "12.5"}]}},
        {"type": "Opportunity", "externalKey": {"name": "marketoGUID", "value": guid},
         "attribList": {"attrib": [{"name": "Stage", "value": "Closed Won"}]}},
        {"type": "Program", "id": 2003, "typeAttribList": {"typeAttrib": [
            {"attrType": "Tag", "attrList": {"attrib": [{"name": "Type", "value": "Product"},
                                                        {"name": "Value", "value": "Sales Insight"}]}}]}},
    ]})
    st = member(r, "mObjStatusList").mObjStatus
    check([s.status for s in st] == ["CREATED", "UPDATED", "FAILED"], st)
    check("UPDATE" in st[2].error, st[2])   # programs are update-only
    new_guid = st[0].externalKey.value
    r = m.call("getMObjects", type="Opportunity",
               externalKey={"name": "marketoGUID", "value": new_guid})
    check(attribs(r.mObjectList.mObject[0])["Amount"] == "12.5", r)
    r = m.call("syncMObjects", operation="UPDATE", mObjectList={"mObject": [
        {"type": "Program", "id": 2003, "typeAttribList": {"typeAttrib": [
            {"attrType": "Cost", "attrList": {"attrib": [{"name": "Month", "value": "2026-05"},
                                                         {"name": "Amount", "value": "700"}]}}]}}]})
    check(member(r, "mObjStatusList").mObjStatus[0].status == "UPDATED", r)
    r = m.call("getMObjects", type="Program", id=2003)
    costs = [t for t in r.mObjectList.mObject[0].typeAttribList.typeAttrib if t.attrType == "Cost"]
    amounts = [{a.name: a.value for a in c.attrList.attrib}["Amount"] for c in costs]
    check(amounts == ["700"], costs)
    print("syncMObjects: OK")

    # deleteMObjects
    r = m.call("deleteMObjects", mObjectList={"mObject": [
        {"type": "Opportunity", "externalKey": {"name": "marketoGUID", "value": new_guid}},
        {"type": "Opportunity", "externalKey": {"name": "marketoGUID", "value": new_guid}}]})
    check([s.status for s in member(r, "mObjStatusList").mObjStatus] == ["DELETED", "UNCHANGED"], r)
    code, _ = m.fault("deleteMObjects", mObjectList={"mObject": [{"type": "Opportunity", "id": 4}]})
    check(code == 20110, code)
    print("deleteMObjects: OK")

    # Custom objects: get, paging with batchSize 1, sync, read back, delete.
    r = m.call("getCustomObjects", objTypeName="RoadShow",
               customObjKeyList={"attribute": [{"attrName": "MKTOID", "attrValue": "1"}]},
               includeAttributes={"stringItem": []})
    check(r.objTypeName == "Roadshow" and r.returnCount == 2 and r.remainingCount == 0, r)
    keys = co_attrs(r.customObjList.customObj[0].customObjKeyList)
    check(keys["MKTOID"] == "1" and keys["rid"] in ("rid0", "rid1"), keys)
    pos, got = None, []
    while True:
        r = m.call("getCustomObjects", objTypeName="RoadShow", batchSize=1, streamPosition=pos,
                   customObjKeyList={"attribute": [{"attrName": "MKTOID", "attrValue": "1"}]},
                   includeAttributes={"stringItem": ["city"]})
        got += [co_attrs(c.customObjAttributeList)["city"] for c in r.customObjList.customObj]
        pos = r.newStreamPosition
        if r.remainingCount == 0:
            break
    check(sorted(got) == ["Chicago", "San Mateo"], got)
    code, _ = m.fault("getCustomObjects", objTypeName="RoadShow", streamPosition=pos, batchSize=1,
                      customObjKeyList={"attribute": [{"attrName": "MKTOID", "attrValue": "1"}]},
                      includeAttributes={"stringItem": ["city"]})
    check(code == 20123, code)
    code, msg = m.fault("getCustomObjects", objTypeName="Spaceship",
                        customObjKeyList={"attribute": [{"attrName": "MKTOID", "attrValue": "1"}]},
                        includeAttributes={"stringItem": []})
    check(code == 20110 and "Object name is not valid" in msg, msg)
    key = {"attribute": [{"attrName": "MKTOID", "attrValue": "2"},
                         {"attrName": "rid", "attrValue": "zeep"}]}
    r = m.call("syncCustomObjects", objTypeName="RoadShow", operation="UPSERT", customObjList={
        "customObj": [{"customObjKeyList": key, "customObjAttributeList": {
            "attribute": [{"attrName": "city", "attrValue": "Boston"}]}}]})
    s = member(r, "syncCustomObjStatusList").syncCustomObjStatus[0]
    check(s.status == "CREATED" and s.error is None and co_attrs(s.customObjKeyList)["rid"] == "zeep", s)
    r = m.call("getCustomObjects", objTypeName="RoadShow", customObjKeyList=key,
               includeAttributes={"stringItem": ["city"]})
    check(co_attrs(r.customObjList.customObj[0].customObjAttributeList)["city"] == "Boston", r)
    r = m.call("deleteCustomObjects", objTypeName="RoadShow", customObjKeyLists={"keyList": [key]})
    check(member(r, "deleteCustomObjStatusList").syncCustomObjStatus[0].status == "DELETED", r)
    r = m.call("getCustomObjects", objTypeName="RoadShow", customObjKeyList=key,
               includeAttributes={"stringItem": []})
    check(r.returnCount == 0, r)
    print("getCustomObjects, syncCustomObjects, deleteCustomObjects: OK")


if __name__ == "__main__":
    run("zeep objects", main)
