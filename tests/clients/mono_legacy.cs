// mono_legacy.cs — the legacy-stack scenario (legacy_clients.cmake) through a
// .NET Framework style proxy: Mono's `wsdl` tool turns the shim's ?WSDL into
// a SoapHttpClientProtocol class (MktMktowsApiService, generated at test time
// by compiled_client.sh into the build tree), compiled with this file by mcs.
//
// Signed the way .NET integrations did it: HMACSHA1 over requestTimestamp +
// mktowsUserId, lower-case hex, the timestamp formatted "yyyy-MM-ddTHH:mm:sszzz";
// the header goes in the proxy's AuthenticationHeader member.  Faults are
// read from SoapException.Detail (detail/serviceException/code).
using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Web.Services.Protocols;
using Mktows;

static class MonoLegacy
{
    const string User = "bigcorp1_461839624B16E06BA2D663";
    const string Key = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";
    const string Email = "mono.legacy@example.com";

    static void Check(bool cond, string what)
    {
        if (!cond)
            throw new Exception("check failed: " + what);
    }

    static AuthenticationHeaderInfo Header(string key)
    {
        string ts = DateTime.Now.ToString("yyyy-MM-ddTHH:mm:sszzz");
        using (var mac = new HMACSHA1(Encoding.UTF8.GetBytes(key))) {
            byte[] sig = mac.ComputeHash(Encoding.UTF8.GetBytes(ts + User));
            return new AuthenticationHeaderInfo {
                mktowsUserId = User,
                requestTimestamp = ts,
                requestSignature = BitConverter.ToString(sig).Replace("-", "").ToLowerInvariant(),
            };
        }
    }

    static Dictionary<string, string> Attrs(LeadRecord r)
    {
        var d = new Dictionary<string, string>();
        foreach (var a in r.leadAttributeList ?? new Mktows.Attribute[0])
            d[a.attrName] = a.attrValue;
        return d;
    }

    static LeadKey ById(int id)
    {
        return new LeadKey { keyType = LeadKeyRef.IDNUM, keyValue = id.ToString() };
    }

    // The serviceException code a call must fault with, read from the
    // SoapException's detail as .NET integrations read it.
    static int FaultCode(Action call)
    {
        try {
            call();
        } catch (SoapException e) {
            var code = e.Detail.SelectSingleNode("//*[local-name()='serviceException']/*[local-name()='code']");
            Check(code != null, "no serviceException code in " + e.Detail.OuterXml);
            Check(e.Message.StartsWith(code.InnerText + " - "), e.Message);
            return int.Parse(code.InnerText);
        }
        throw new Exception("answered without a fault");
    }

    static ResultListOperation ListOp(MktMktowsApiService svc, ListOperationType op, params int[] ids)
    {
        svc.AuthenticationHeader = Header(Key);
        return svc.listOperation(new ParamsListOperation {
            listOperation = op,
            listKey = new ListKey { keyType = ListKeyType.MKTOLISTNAME, keyValue = "Webinar Registrants" },
            listMemberList = ids.Select(ById).ToArray(),
        }).result;
    }

    static void Run()
    {
        var svc = new MktMktowsApiService();   // Url: the WSDL's soap:address

        // syncLead: create, with the lead back.
        var rec = new LeadRecord {
            Email = Email,
            leadAttributeList = new[] {
                new Mktows.Attribute { attrName = "FirstName", attrValue = "Mono" },
                new Mktows.Attribute { attrName = "LastName", attrValue = "Legacy" },
                new Mktows.Attribute { attrName = "Company", attrValue = "Proxy Works" },
            },
        };
        svc.AuthenticationHeader = Header(Key);
        var created = svc.syncLead(new ParamsSyncLead { leadRecord = rec, returnLead = true }).result;
        Check(created.syncStatus.status == LeadSyncStatus.CREATED && created.leadId > 20,
              "create: " + created.syncStatus.status + " " + created.leadId);
        Check(created.leadRecord != null && created.leadRecord.Email == Email
              && created.leadRecord.Id == created.leadId
              && Attrs(created.leadRecord)["FirstName"] == "Mono", "create: lead back");
        int id = created.leadId;

        // syncLead: update the same lead by email.
        rec.leadAttributeList[0].attrValue = "Monoid";
        svc.AuthenticationHeader = Header(Key);
        var updated = svc.syncLead(new ParamsSyncLead { leadRecord = rec, returnLead = false }).result;
        Check(updated.syncStatus.status == LeadSyncStatus.UPDATED && updated.leadId == id,
              "update: " + updated.syncStatus.status + " " + updated.leadId);
        Console.WriteLine("syncLead: created and updated lead " + id);

        // getLead by email: what was written, and a seeded lead.
        svc.AuthenticationHeader = Header(Key);
        var got = svc.getLead(new ParamsGetLead {
            leadKey = new LeadKey { keyType = LeadKeyRef.EMAIL, keyValue = Email } }).result;
        Check(got.count == 1 && got.leadRecordList.Length == 1 && got.leadRecordList[0].Id == id, "getLead count/id");
        var a = Attrs(got.leadRecordList[0]);
        Check(a["FirstName"] == "Monoid" && a["LastName"] == "Legacy" && a["Company"] == "Proxy Works",
              "getLead attributes: " + string.Join(",", a.Select(kv => kv.Key + "=" + kv.Value)));
        svc.AuthenticationHeader = Header(Key);
        got = svc.getLead(new ParamsGetLead {
            leadKey = new LeadKey { keyType = LeadKeyRef.EMAIL, keyValue = "jdoe@example.com" } }).result;
        a = Attrs(got.leadRecordList[0]);
        Check(got.count == 1 && got.leadRecordList[0].Id == 1 && a["FirstName"] == "John" && a["LeadScore"] == "42",
              "getLead seeded lead");
        Console.WriteLine("getLead: OK");

        // getMultipleLeads by keys (LeadKeySelector), one attribute asked for.
        svc.AuthenticationHeader = Header(Key);
        var many = svc.getMultipleLeads(new ParamsGetMultipleLeads {
            leadSelector = new LeadKeySelector { keyType = LeadKeyRef.IDNUM, keyValues = new[] { "1", id.ToString() } },
            includeAttributes = new[] { "FirstName" },
        }).result;
        Check(many.returnCount == 2 && many.remainingCount == 0 && many.leadRecordList.Length == 2, "getMultipleLeads count");
        var names = many.leadRecordList.ToDictionary(r => r.Id.Value, r => Attrs(r)["FirstName"]);
        Check(names.Count == 2 && names[1] == "John" && names[id] == "Monoid", "getMultipleLeads names");
        Check(many.leadRecordList.All(r => r.leadAttributeList.Length == 1), "getMultipleLeads: only FirstName");
        Console.WriteLine("getMultipleLeads: OK");

        // listOperation: not a member, ADDTOLIST, a member (lead 1 is seeded in).
        var before = ListOp(svc, ListOperationType.ISMEMBEROFLIST, id, 1);
        Check(before.statusList.Length == 2 && !before.statusList[0].status && before.statusList[1].status
              && before.statusList[0].leadKey.keyValue == id.ToString(), "ISMEMBEROFLIST before");
        Check(ListOp(svc, ListOperationType.ADDTOLIST, id).success, "ADDTOLIST");
        var after = ListOp(svc, ListOperationType.ISMEMBEROFLIST, id);
        Check(after.success && after.statusList.Length == 1 && after.statusList[0].status, "ISMEMBEROFLIST after");
        Console.WriteLine("listOperation: OK");

        // getLeadActivity: what the calls above left in the emulator.
        svc.AuthenticationHeader = Header(Key);
        var acts = svc.getLeadActivity(new ParamsGetLeadActivity { leadKey = ById(id) }).leadActivityList;
        var types = acts.activityRecordList.Select(r => r.activityType).ToList();
        Check(acts.returnCount == types.Count && acts.remainingCount == 0, "getLeadActivity counts");
        Check(types.Count == 3 && types.Contains("New Lead") && types.Contains("Change Data Value") && types.Contains("Add to List"),
              "getLeadActivity types: " + string.Join(",", types));
        Check(acts.activityRecordList.All(r => r.mktPersonId == id.ToString()), "getLeadActivity: another lead's record");
        // The update changed FirstName alone; the list is the seed's 3001.
        var cdv = acts.activityRecordList.Single(r => r.activityType == "Change Data Value");
        var ca = cdv.activityAttributes.ToDictionary(x => x.attrName, x => x.attrValue);
        Check(cdv.mktgAssetName == "First Name" && ca["Old Value"] == "Mono" && ca["New Value"] == "Monoid",
              "getLeadActivity: Change Data Value " + string.Join(",", ca.Select(kv => kv.Key + "=" + kv.Value)));
        var add = acts.activityRecordList.Single(r => r.activityType == "Add to List");
        Check(add.mktgAssetName == "Webinar Registrants"
              && add.activityAttributes.Any(x => x.attrName == "List ID" && x.attrValue == "3001"),
              "getLeadActivity: Add to List names the list");
        Console.WriteLine("getLeadActivity: " + types.Count + " records");

        // Faults, read through SoapException.
        Check(FaultCode(() => {
            svc.AuthenticationHeader = Header(Key);
            svc.getLead(new ParamsGetLead { leadKey = ById(999999) });
        }) == 20103, "not found");
        Check(FaultCode(() => {
            svc.AuthenticationHeader = Header("not-the-key");
            svc.getLead(new ParamsGetLead { leadKey = ById(1) });
        }) == 20014, "bad signature");
        Console.WriteLine("faults: OK");
    }

    static int Main()
    {
        try {
            Run();
        } catch (Exception e) {
            Console.Error.WriteLine(e);
            Console.WriteLine("mono legacy: FAILED");
            return 1;
        }
        Console.WriteLine("mono legacy: OK");
        return 0;
    }
}
