<?php
// The five lead operations through PHP's SoapClient, written the way
// Marketo's own PHP samples are (mktows_client.php: WSDL from ?WSDL, signed
// with hash_hmac over a DATE_W3C timestamp), __soapCall with the params
// array, SoapVar for the leadSelector's xsi:type.
//
// Runs under tests/clients/with_stack.sh, against the emulator's seed: leads
// 1-20, static list 3001 = leads 1-5.
require __DIR__ . "/mktows_client.php";

function attrs($rec)
{
    $out = [];
    $list = $rec->leadAttributeList->attribute;
    foreach (is_array($list) ? $list : [$list] as $a) {
        $out[$a->attrName] = $a->attrValue;
    }
    return $out;
}

mkt_main("php leads", function () {
    // Marketo's PHP samples read one-element lists as a bare object; with
    // SOAP_SINGLE_ELEMENT_ARRAYS they are arrays.  Both must work.
    $client = new MktClient();
    $arrays = new MktClient("2_3", ["features" => SOAP_SINGLE_ELEMENT_ARRAYS]);

    // getLead, as in Marketo's sample.
    $leadKey = array("keyType" => "EMAIL", "keyValue" => "jdoe@example.com");
    $r = $client->soap->__soapCall('getLead', array("paramsGetLead" => array("leadKey" => $leadKey)),
                                   $client->options, mkt_auth_header());
    check($r->result->count == 1, $r);
    $rec = $r->result->leadRecordList->leadRecord;        // one lead: an object
    check(is_object($rec) && $rec->Id == 1 && $rec->Email == "jdoe@example.com", $rec);
    check($rec->ForeignSysPersonId == "CRM-0001", $rec);
    $a = attrs($rec);
    check($a["FirstName"] == "John" && $a["LeadScore"] == "42", $a);
    $r = $arrays->call("getLead", ["leadKey" => $leadKey]);
    check(is_array($r->result->leadRecordList->leadRecord)
          && count($r->result->leadRecordList->leadRecord) == 1, $r);
    $r = $client->call("getLead", ["leadKey" => ["keyType" => "EMAIL", "keyValue" => "shared@example.com"]]);
    check($r->result->count == 2 && count($r->result->leadRecordList->leadRecord) == 2, $r);
    check($client->faultCode("getLead", ["leadKey" => ["keyType" => "IDNUM", "keyValue" => "999999"]]) == 20103,
          "not found");
    echo "getLead: OK\n";

    // getMultipleLeads: one key, one attribute.
    $leadSel = new stdClass();
    $leadSel->keyType = 'IDNUM';
    $leadSel->keyValues = new stdClass();
    $leadSel->keyValues->stringItem = array("2");
    $params = new stdClass();
    $params->leadSelector = new SoapVar($leadSel, SOAP_ENC_OBJECT, "LeadKeySelector", MKT_NS);
    $params->includeAttributes = ["stringItem" => ["LastName"]];
    $r = $arrays->call("getMultipleLeads", $params);
    check($r->result->returnCount == 1 && $r->result->remainingCount == 0, $r);
    $recs = $r->result->leadRecordList->leadRecord;
    check(is_array($recs) && count($recs) == 1 && $recs[0]->Id == 2, $recs);
    $one = $recs[0]->leadAttributeList->attribute;
    check(is_array($one) && count($one) == 1 && $one[0]->attrName == "LastName"
          && $one[0]->attrValue == "Smith", $one);
    // A static list, paged to the end as Marketo's sample does.
    $leadSel = new stdClass();
    $leadSel->staticListName = "Spring Webinar.Webinar Registrants";   // ProgramName.ListName
    $seen = [];
    $startPosition = null;
    for ($pages = 1;; $pages++) {
        check($pages < 10, "the stream does not end");
        $params = new stdClass();
        $params->leadSelector = new SoapVar($leadSel, SOAP_ENC_OBJECT, "StaticListSelector", MKT_NS);
        $params->streamPosition = $startPosition;
        $params->batchSize = 2;
        $r = $arrays->call("getMultipleLeads", $params);
        foreach ($r->result->leadRecordList->leadRecord ?? [] as $l) {
            $seen[] = $l->Id;
        }
        if ($r->result->remainingCount == 0) {
            break;
        }
        $startPosition = $r->result->newStreamPosition;
    }
    sort($seen);
    check($seen == [1, 2, 3, 4, 5] && $pages == 3, [$seen, $pages]);
    echo "getMultipleLeads: OK\n";

    // syncLead, as in Marketo's sample, with one attribute and the lead back.
    $attr1 = new stdClass();
    $attr1->attrName = "FirstName";
    $attr1->attrValue = "George";
    $leadKey = new stdClass();
    $leadKey->Email = "george@jungle.com";
    $leadKey->leadAttributeList = new stdClass();
    $leadKey->leadAttributeList->attribute = array($attr1);
    $leadRecord = new stdClass();
    $leadRecord->leadRecord = $leadKey;
    $leadRecord->returnLead = true;
    $r = $client->soap->__soapCall('syncLead', array("paramsSyncLead" => $leadRecord), $client->options, mkt_auth_header());
    check($r->result->syncStatus->status == "CREATED" && $r->result->leadId > 20, $r);
    check($r->result->leadRecord->Email == "george@jungle.com"
          && attrs($r->result->leadRecord)["FirstName"] == "George", $r);
    $georgeId = $r->result->leadId;
    $leadRecord->returnLead = false;
    $r = $client->soap->__soapCall('syncLead', array("paramsSyncLead" => $leadRecord), $client->options, mkt_auth_header());
    check($r->result->syncStatus->status == "UPDATED" && $r->result->leadId == $georgeId, $r);
    echo "syncLead: OK\n";

    // syncMultipleLeads: one record, then the caller's order.
    $r = $arrays->call("syncMultipleLeads", ["leadRecordList" => ["leadRecord" => [["Email" => "php.single@example.com"]]],
                                            "dedupEnabled" => true]);
    $st = $r->result->syncStatusList->syncStatus;
    check(is_array($st) && count($st) == 1 && $st[0]->status == "CREATED", $st);
    $r = $client->call("syncMultipleLeads", ["leadRecordList" => ["leadRecord" => [
        ["Email" => "php.single@example.com"], ["Id" => 3], ["Id" => 999999]]]]);
    $st = $r->result->syncStatusList->syncStatus;
    check($st[0]->status == "UPDATED" && $st[1]->status == "UPDATED" && $st[1]->leadId == 3
          && $st[2]->status == "FAILED" && strpos($st[2]->error, "1004") !== false, $st);
    echo "syncMultipleLeads: OK\n";

    // mergeLeads, as in Marketo's sample (winner 2, losers 15 and 16), then one loser.
    $keyAttrib1 = new stdClass();
    $keyAttrib1->attrName = 'IDNUM';
    $keyAttrib1->attrValue = '2';
    $winningKeyList = new stdClass();
    $winningKeyList->attribute = array($keyAttrib1);
    $keyList = [];
    foreach (["15", "16"] as $id) {
        $loser = new stdClass();
        $loser->attrName = "IDNUM";
        $loser->attrValue = $id;
        $kl = new stdClass();
        $kl->attribute = array($loser);
        $keyList[] = $kl;
    }
    $params = new stdClass();
    $params->winningLeadKeyList = $winningKeyList;
    $params->losingLeadKeyLists = ["keyList" => $keyList];
    $r = $client->call("mergeLeads", $params);
    $ms = $r->result->mergeStatus;
    check($ms->status == "MERGED" && $ms->winningLeadId == 2 && $ms->losingLeadIdList->integerItem == [15, 16], $ms);
    $params->losingLeadKeyLists = ["keyList" => [["attribute" => [["attrName" => "IDNUM", "attrValue" => "17"]]]]];
    $r = $arrays->call("mergeLeads", $params);
    check($r->result->mergeStatus->losingLeadIdList->integerItem == [17], $r);
    check($client->faultCode("getLead", ["leadKey" => ["keyType" => "IDNUM", "keyValue" => "17"]]) == 20103,
          "merged away");
    echo "mergeLeads: OK\n";
});
