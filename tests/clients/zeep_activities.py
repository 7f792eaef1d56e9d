#!/usr/bin/python3
"""getLeadActivity, getLeadChanges, getChannels and getTags through
python3-zeep, the way a legacy Python integration calls them
(mktows_client.py: WSDL from ?WSDL, signed as Marketo's documentation
shows), zeep's typed objects read the way an integration would.

Runs under tests/clients/with_stack.sh --seeded: the emulator's seed is the
repository's plus lead 951 with 23 Visit Webpage and Fill Out Form
activities over the last 40 days (dated from now, so the test means the same
on any day), written by this script (make_seed).
"""
import datetime

from mktows_client import Marketo, check, default_seed, run

VISITS = 23


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def make_seed():
    seed = default_seed()
    created = utc_now() - datetime.timedelta(days=41)
    seed["leads"].append({"id": 951, "email": "zeep.lead@example.com", "firstName": "Zeep",
                          "lastName": "Client", "createdAt": iso(created),
                          "updatedAt": iso(created), "leadPartitionId": 1})
    for i in range(VISITS):
        at = created + datetime.timedelta(hours=40 * i + 1)
        if i % 4 == 3:
            seed["activities"].append({"leadId": 951, "activityTypeId": 2, "activityDate": iso(at),
                                       "primaryAttributeValueId": 1029,
                                       "primaryAttributeValue": "Contact Us Form",
                                       "attributes": [{"name": "Webpage ID", "value": 71}]})
        else:
            seed["activities"].append({"leadId": 951, "activityTypeId": 1, "activityDate": iso(at),
                                       "primaryAttributeValueId": 71,
                                       "primaryAttributeValue": "www.example.com/z%d.html" % i,
                                       "attributes": [{"name": "Webpage URL", "value": "/z%d" % i}]})
    return seed


def main():
    now = utc_now()
    m = Marketo()
    service, header = m.service, m.header
    lead_key = m.t("LeadKey")(keyType="EMAIL", keyValue="zeep.lead@example.com")
    flt = {"includeTypes": {"activityType": ["VisitWebpage", "FillOutForm"]}}

    # getLeadActivity, paged to the end with newStartPosition.
    seen, pos, pages = [], None, 0
    while True:
        r = service.getLeadActivity(leadKey=lead_key, activityFilter=flt, startPosition=pos,
                                    batchSize=10, _soapheaders=[header()])
        lst = r  # zeep unwraps the single child (leadActivityList)
        recs = lst.activityRecordList.activityRecord if lst.activityRecordList else []
        assert lst.returnCount == len(recs) <= 10, lst.returnCount
        for rec in recs:
            assert isinstance(rec.id, int) and rec.id > 2 ** 32, rec.id
            assert rec.marketoGUID == str(rec.id)
            assert rec.activityType in ("Visit Webpage", "Fill Out Form"), rec.activityType
            assert rec.mktPersonId == "951"
            assert rec.personName is None
            seen.append((rec.activityDateTime, rec.id))
        pages += 1
        if lst.remainingCount == 0:
            break
        pos = lst.newStartPosition
        assert pages < 20
    assert len(seen) == VISITS, (len(seen), VISITS)
    assert len({i for _, i in seen}) == VISITS, "a record came twice"
    assert [d for d, _ in seen] == sorted([d for d, _ in seen], reverse=True), "not newest first"
    print("getLeadActivity: %d records in %d pages, newest first" % (len(seen), pages))

    # The last position sent back: Stream at End.
    check(m.fault_code("getLeadActivity", leadKey=lead_key, activityFilter=flt,
                       startPosition=lst.newStartPosition, batchSize=10) == 20123,
          "the last position was accepted again")

    # getLeadChanges by display name, oldest first, paged like Marketo's samples.
    start_pos = {"oldestCreatedAt": now - datetime.timedelta(days=42)}
    changes, pages = [], 0
    while True:
        r = service.getLeadChanges(startPosition=start_pos,
                                   activityNameFilter={"stringItem": ["Visit Webpage"]},
                                   batchSize=7, _soapheaders=[header()])
        recs = r.leadChangeRecordList.leadChangeRecord if r.leadChangeRecordList else []
        changes += [(c.activityDateTime, c.id) for c in recs]
        pages += 1
        if r.remainingCount == 0:
            break
        start_pos = r.newStartPosition
        assert pages < 20
    visits = VISITS - VISITS // 4
    assert len(changes) == visits, (len(changes), visits)
    assert [d for d, _ in changes] == sorted(d for d, _ in changes)
    print("getLeadChanges: %d visits in %d pages, oldest first" % (len(changes), pages))

    # Read after write: syncLead changes FirstName; the caught-up position shows it.
    caught_up = r.newStartPosition
    rec_type, attrs = m.t("LeadRecord"), m.t("ArrayOfAttribute")
    service.syncLead(leadRecord=rec_type(Email="zeep.lead@example.com", leadAttributeList=attrs(
        attribute=[{"attrName": "FirstName", "attrValue": "Zed"}])),
        returnLead=False, _soapheaders=[header()])
    # The caught-up visits position: no new visit since, so Stream at End.
    check(m.fault_code("getLeadChanges", startPosition=caught_up,
                       activityNameFilter={"stringItem": ["Visit Webpage"]}, batchSize=7)
          == 20123, "a Visit Webpage stream returned something new")
    r = service.getLeadChanges(
        startPosition={"oldestCreatedAt": now - datetime.timedelta(minutes=1)},
        activityFilter={"includeTypes": {"activityType": ["ChangeDataValue"]}},
        batchSize=100, _soapheaders=[header()])
    cdv = [c for c in r.leadChangeRecordList.leadChangeRecord if c.mktPersonId == "951"]
    assert len(cdv) == 1, cdv
    got = {a.attrName: a.attrValue for a in cdv[0].activityAttributes.attribute}
    assert (got["Attribute Name"], got["Old Value"], got["New Value"]) == (
        "First Name", "Zeep", "Zed"), got
    print("getLeadChanges: syncLead's change read back:", got["Attribute Name"],
          got["Old Value"], "->", got["New Value"])

    # getChannels and getTags.
    r = service.getChannels(tag={"values": {"stringItem": ["Webinar", "Blog", "Tradeshow"]}},
                            _soapheaders=[header()])
    # zeep unwraps single-child wrappers: successGetChannels/result/tags.
    names = [t.tagValue for t in r.tagStatus]
    assert sorted(names) == ["Blog", "Tradeshow", "Webinar"], names
    webinar = [t for t in r.tagStatus if t.tagValue == "Webinar"][0]
    first = webinar.statusList.progressionStatusItem[0].progressionStatus.attrib
    assert [a.name for a in first] == ["Status", "Step", "Success"], first
    print("getChannels:", names)
    r = service.getTags(tagList={"tag": [{"type": "Region"}]}, _soapheaders=[header()])
    assert [t.type for t in r.tag] == ["Region"]   # successGetTags/result/tagList
    assert r.tag[0].values.stringItem == ["North America", "EMEA", "APAC", "LATAM"]
    print("getTags:", r.tag[0].values.stringItem)

    # Faults zeep can read: unknown lead, unknown activity type.
    for kwargs, code in (
            ({"leadKey": {"keyType": "EMAIL", "keyValue": "nobody@example.com"}}, 20103),
            ({"leadKey": lead_key, "activityFilter": {"includeTypes": {
                "activityType": ["NoSuchType"]}}}, 20107)):
        check(m.fault_code("getLeadActivity", batchSize=5, **kwargs) == code, kwargs)
    print("faults: 20103, 20107")


if __name__ == "__main__":
    run("zeep activities", main, make_seed)
