// AxisLegacy.java — the legacy-stack scenario (legacy_clients.cmake) through
// Apache Axis 1.4, the stack of Talend's Marketo connector: WSDL2Java stubs
// generated from the shim's ?WSDL at test time (compiled_client.sh, package
// com.marketo.mktows, in the build tree), compiled with this file by javac.
//
// The header is built as that connector built it: a SOAPHeaderElement
// AuthenticationHeader in the mktows namespace, its children added with
// addChildElement, set on the stub.  Signed as Marketo's Java sample signs:
// HmacSHA1 over requestTimestamp + mktowsUserId, lower-case hex, the
// timestamp "yyyy-MM-dd'T'HH:mm:ssZ" with a colon put in the offset.  Faults
// are read through AxisFault.getFaultDetails() (detail/serviceException/code).
// One JVM runs every call.
import com.marketo.mktows.*;

import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.axis.AxisFault;
import org.apache.axis.client.Stub;
import org.apache.axis.message.SOAPHeaderElement;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

public class AxisLegacy {
    static final String NS = "http://www.marketo.com/mktows/";
    static final String USER = "bigcorp1_461839624B16E06BA2D663";
    static final String KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";
    static final String EMAIL = "axis.legacy@example.com";

    interface Call {
        void run() throws Exception;
    }

    static void check(boolean cond, String what) {
        if (!cond)
            throw new AssertionError("check failed: " + what);
    }

    static SOAPHeaderElement header(String key) throws Exception {
        String text = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ssZ").format(new Date());
        String ts = text.substring(0, 22) + ":" + text.substring(22);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        StringBuilder sig = new StringBuilder();
        for (byte b : mac.doFinal((ts + USER).getBytes(StandardCharsets.UTF_8)))
            sig.append(String.format("%02x", b));
        SOAPHeaderElement h = new SOAPHeaderElement(NS, "AuthenticationHeader");
        h.addChildElement("mktowsUserId").addTextNode(USER);
        h.addChildElement("requestSignature").addTextNode(sig.toString());
        h.addChildElement("requestTimestamp").addTextNode(ts);
        return h;
    }

    // A fresh signature on the stub before each call, as the connector does.
    static MktowsPort signed(MktowsPort port, String key) throws Exception {
        Stub stub = (Stub) port;
        stub.clearHeaders();
        stub.setHeader(header(key));
        return port;
    }

    static Map<String, String> attrs(LeadRecord r) {
        Map<String, String> m = new HashMap<>();
        if (r.getLeadAttributeList() != null)
            for (com.marketo.mktows.Attribute a : r.getLeadAttributeList())
                m.put(a.getAttrName(), a.getAttrValue());
        return m;
    }

    static LeadKey byId(int id) {
        return new LeadKey(LeadKeyRef.IDNUM, Integer.toString(id));
    }

    static String child(Element e, String local) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling())
            if (local.equals(n.getLocalName()))
                return n.getTextContent();
        return null;
    }

    // The serviceException code a call must fault with, from the fault's
    // detail elements as Axis hands them over.
    static int faultCode(Call call) throws Exception {
        try {
            call.run();
        } catch (AxisFault f) {
            for (Element e : f.getFaultDetails()) {
                if ("serviceException".equals(e.getLocalName())) {
                    String code = child(e, "code");
                    check(code != null && f.getFaultString().startsWith(code + " - "), f.getFaultString());
                    check("mktServiceException".equals(child(e, "name")), "serviceException name");
                    return Integer.parseInt(code);
                }
            }
            throw new AssertionError("fault without serviceException: " + f.getFaultString());
        }
        throw new AssertionError("answered without a fault");
    }

    static ResultListOperation listOp(MktowsPort port, ListOperationType op, int... ids) throws Exception {
        LeadKey[] keys = new LeadKey[ids.length];
        for (int i = 0; i < ids.length; i++)
            keys[i] = byId(ids[i]);
        ParamsListOperation p = new ParamsListOperation();
        p.setListOperation(op);
        p.setListKey(new ListKey(ListKeyType.MKTOLISTNAME, "Webinar Registrants"));
        p.setListMemberList(keys);
        return signed(port, KEY).listOperation(p).getResult();
    }

    static void run() throws Exception {
        // The endpoint: the WSDL's soap:address, as the locator has it.
        MktowsPort port = new MktMktowsApiServiceLocator().getMktowsApiSoapPort();

        // syncLead: create, with the lead back.
        com.marketo.mktows.Attribute first = new com.marketo.mktows.Attribute("FirstName", null, "Axis");
        LeadRecord rec = new LeadRecord();
        rec.setEmail(EMAIL);
        rec.setLeadAttributeList(new com.marketo.mktows.Attribute[] {
            first,
            new com.marketo.mktows.Attribute("LastName", null, "Legacy"),
            new com.marketo.mktows.Attribute("Company", null, "Stub Factory"),
        });
        ParamsSyncLead sync = new ParamsSyncLead();
        sync.setLeadRecord(rec);
        sync.setReturnLead(true);
        ResultSyncLead created = signed(port, KEY).syncLead(sync).getResult();
        int id = created.getLeadId();
        check(created.getSyncStatus().getStatus() == LeadSyncStatus.CREATED && id > 20,
              "create: " + created.getSyncStatus().getStatus() + " " + id);
        check(created.getLeadRecord() != null && EMAIL.equals(created.getLeadRecord().getEmail())
              && Integer.valueOf(id).equals(created.getLeadRecord().getId())
              && "Axis".equals(attrs(created.getLeadRecord()).get("FirstName")), "create: lead back");

        // syncLead: update the same lead by email.
        first.setAttrValue("Axiom");
        sync.setReturnLead(false);
        ResultSyncLead updated = signed(port, KEY).syncLead(sync).getResult();
        check(updated.getSyncStatus().getStatus() == LeadSyncStatus.UPDATED && updated.getLeadId() == id,
              "update: " + updated.getSyncStatus().getStatus() + " " + updated.getLeadId());
        System.out.println("syncLead: created and updated lead " + id);

        // getLead by email: what was written, and a seeded lead.
        ResultGetLead got = signed(port, KEY).getLead(new ParamsGetLead(new LeadKey(LeadKeyRef.EMAIL, EMAIL))).getResult();
        check(got.getCount() == 1 && got.getLeadRecordList().length == 1
              && Integer.valueOf(id).equals(got.getLeadRecordList()[0].getId()), "getLead count/id");
        Map<String, String> a = attrs(got.getLeadRecordList()[0]);
        check("Axiom".equals(a.get("FirstName")) && "Legacy".equals(a.get("LastName"))
              && "Stub Factory".equals(a.get("Company")), "getLead attributes: " + a);
        got = signed(port, KEY).getLead(new ParamsGetLead(new LeadKey(LeadKeyRef.EMAIL, "jdoe@example.com"))).getResult();
        a = attrs(got.getLeadRecordList()[0]);
        check(got.getCount() == 1 && Integer.valueOf(1).equals(got.getLeadRecordList()[0].getId())
              && "John".equals(a.get("FirstName")) && "42".equals(a.get("LeadScore")), "getLead seeded lead: " + a);
        System.out.println("getLead: OK");

        // getMultipleLeads by keys (LeadKeySelector), one attribute asked for.
        ParamsGetMultipleLeads gml = new ParamsGetMultipleLeads();
        gml.setLeadSelector(new LeadKeySelector(LeadKeyRef.IDNUM, new String[] {"1", Integer.toString(id)}));
        gml.setIncludeAttributes(new String[] {"FirstName"});
        ResultGetMultipleLeads many = signed(port, KEY).getMultipleLeads(gml).getResult();
        check(many.getReturnCount() == 2 && many.getRemainingCount() == 0 && many.getLeadRecordList().length == 2,
              "getMultipleLeads count");
        Map<Integer, String> names = new HashMap<>();
        for (LeadRecord r : many.getLeadRecordList()) {
            check(r.getLeadAttributeList().length == 1, "getMultipleLeads: only FirstName");
            names.put(r.getId(), attrs(r).get("FirstName"));
        }
        check("John".equals(names.get(1)) && "Axiom".equals(names.get(id)), "getMultipleLeads names: " + names);
        System.out.println("getMultipleLeads: OK");

        // listOperation: not a member, ADDTOLIST, a member (lead 1 is seeded in).
        ResultListOperation before = listOp(port, ListOperationType.ISMEMBEROFLIST, id, 1);
        LeadStatus[] st = before.getStatusList();
        check(st.length == 2 && !st[0].isStatus() && st[1].isStatus()
              && Integer.toString(id).equals(st[0].getLeadKey().getKeyValue()), "ISMEMBEROFLIST before");
        check(listOp(port, ListOperationType.ADDTOLIST, id).isSuccess(), "ADDTOLIST");
        ResultListOperation after = listOp(port, ListOperationType.ISMEMBEROFLIST, id);
        check(after.isSuccess() && after.getStatusList().length == 1 && after.getStatusList()[0].isStatus(),
              "ISMEMBEROFLIST after");
        System.out.println("listOperation: OK");

        // getLeadActivity: what the calls above left in the emulator.
        ParamsGetLeadActivity gla = new ParamsGetLeadActivity();
        gla.setLeadKey(byId(id));
        LeadActivityList acts = signed(port, KEY).getLeadActivity(gla).getLeadActivityList();
        List<String> types = new ArrayList<>();
        for (ActivityRecord r : acts.getActivityRecordList()) {
            types.add(r.getActivityType());
            check(Integer.toString(id).equals(r.getMktPersonId()), "getLeadActivity: another lead's record");
            Map<String, String> ra = new HashMap<>();
            for (com.marketo.mktows.Attribute x : r.getActivityAttributes())
                ra.put(x.getAttrName(), x.getAttrValue());
            // The update changed FirstName alone; the list is the seed's 3001.
            if ("Change Data Value".equals(r.getActivityType()))
                check("First Name".equals(r.getMktgAssetName()) && "Axis".equals(ra.get("Old Value"))
                      && "Axiom".equals(ra.get("New Value")), "getLeadActivity: Change Data Value " + ra);
            if ("Add to List".equals(r.getActivityType()))
                check("Webinar Registrants".equals(r.getMktgAssetName()) && "3001".equals(ra.get("List ID")),
                      "getLeadActivity: Add to List " + ra);
        }
        check(acts.getReturnCount() == types.size() && acts.getRemainingCount() == 0, "getLeadActivity counts");
        check(types.size() == 3 && types.contains("New Lead") && types.contains("Change Data Value")
              && types.contains("Add to List"), "getLeadActivity types: " + types);
        System.out.println("getLeadActivity: " + types.size() + " records");

        // Faults, read through AxisFault.
        check(faultCode(() -> signed(port, KEY).getLead(new ParamsGetLead(byId(999999)))) == 20103, "not found");
        check(faultCode(() -> signed(port, "not-the-key").getLead(new ParamsGetLead(byId(1)))) == 20014, "bad signature");
        System.out.println("faults: OK");
    }

    public static void main(String[] args) {
        try {
            run();
        } catch (Throwable e) {
            e.printStackTrace();
            System.out.println("axis legacy: FAILED");
            System.exit(1);
        }
        System.out.println("axis legacy: OK");
    }
}
