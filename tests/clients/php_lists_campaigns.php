<?php
// listOperation, importToList, getImportToListStatus, requestCampaign,
// scheduleCampaign and getCampaignsForSource through PHP's SoapClient,
// written the way Marketo's PHP samples for these operations are
// (mktows_client.php: WSDL from ?WSDL, signed with hash_hmac over a DATE_W3C
// timestamp), stdClass requests, __soapCall with the params array.
//
// Runs under tests/clients/with_stack.sh, against the emulator's seed: static
// list 3001 "Webinar Registrants" = leads 1-5, 3002 "Webinar Attendees"
// (Spring Webinar) = 1, 2, 3005 "Import Target" (Spring Newsletter) empty;
// campaign 1002 "Webinar Confirmation" requestable, 1001 "Spring Newsletter
// Send" batch.
require __DIR__ . "/mktows_client.php";

// As Marketo's listOperation sample builds it.
function listOp($op, $listName, $ids, $strict = false, $keyType = "MKTOLISTNAME")
{
    $request = new stdClass();
    $request->listOperation = $op;
    $listKey = new stdClass();
    $listKey->keyType = $keyType;
    $listKey->keyValue = $listName;
    $request->listKey = $listKey;
    $leadList = new stdClass();
    $leadList->leadKey = [];
    foreach ($ids as $id) {
        $leadList->leadKey[] = ["keyType" => "IDNUM", "keyValue" => (string)$id];
    }
    $request->listMemberList = $leadList;
    $request->strict = $strict;
    return $request;
}

// One leadStatus arrives as an object, several as an array.
function statuses($r)
{
    $s = $r->result->statusList->leadStatus ?? [];
    return is_array($s) ? $s : [$s];
}

mkt_main("php lists/import/campaigns", function () {
    $client = new MktClient();

    // listOperation: the docs' ISMEMBEROFLIST shape, then ADD, REMOVE, CLEAR.
    $r = $client->call("listOperation", listOp("ISMEMBEROFLIST", "Webinar Registrants", [1, 9]));
    check($r->result->success === false, $r);
    $st = statuses($r);
    check(count($st) == 2 && $st[0]->leadKey->keyValue === "1" && $st[0]->status === true
          && $st[1]->status === false, $r);
    $r = $client->call("listOperation", listOp("ADDTOLIST", "Webinar Registrants", [9]));
    check($r->result->success === true && $r->result->statusList === null, $r);
    $r = $client->call("listOperation", listOp("ISMEMBEROFLIST", "3001", [9], false, "MKTOLISTID"));
    check($r->result->success === true && statuses($r)[0]->status === true, $r);
    check($client->faultCode("listOperation", listOp("REMOVEFROMLIST", "Webinar Registrants", [9, 10], true))
          == 20110, "strict remove of a non-member");
    $r = $client->call("listOperation", listOp("REMOVEFROMLIST", "Webinar Registrants", [9]));
    check($r->result->success === true, $r);
    $r = $client->call("listOperation", listOp("CLEARLIST", "Webinar Attendees", []));
    check($r->result->success === true, $r);
    $r = $client->call("listOperation", listOp("ISMEMBEROFLIST", "Webinar Attendees", [1]));
    check($r->result->success === false, $r);
    check($client->faultCode("listOperation", listOp("ADDTOLIST", "x", [1], false, "MKTOSALESUSERID"))
          == 20110, "MKTOSALESUSERID");
    echo "listOperation: OK\n";

    // importToList + getImportToListStatus, as Marketo's importToList sample.
    $params = new stdClass();
    $params->programName = "Spring Newsletter";
    $params->listName = "Import Target";
    $params->importFileHeader = "Last Name,First Name,Job Title,Company Name,Email Address";
    $params->importFileRows = ["stringItem" => [
        "Awesomesauce,Developer,Code Slinger,Marketo,dawesomesauce@example.com",
        "Doe,Jane,VP Marketing,Jane Consulting,jdoe@janeconsulting.example.com"]];
    $params->importListMode = "UPSERTLEADS";
    $params->clearList = false;
    $params->campaignName = null;
    $r = $client->call("importToList", $params);
    check($r->result->importStatus === "PROCESSING", $r);
    $st = new stdClass();
    $st->programName = "Spring Newsletter";
    $st->listName = "Import Target";
    for ($i = 0; $i < 100; $i++) {
        $s = $client->call("getImportToListStatus", $st);
        if ($s->result->status !== "PROCESSING") {
            break;
        }
        usleep(100000);
    }
    check($s->result->status === "COMPLETE" && $s->result->rowsImported === 2
          && $s->result->rowsFailed === 0 && $s->result->estimatedRows === 2, $s);
    check($s->result->endedTime === null && is_string($s->result->startedTime), $s);
    $params->importFileHeader = "Email Address";
    $params->importFileRows = ["stringItem" => ["asmith@example.com"]];
    $params->importListMode = "LISTONLY";
    $params->clearList = true;
    $r = $client->call("importToList", $params);
    check($r->result->importStatus === "COMPLETE", $r);
    $s = $client->call("getImportToListStatus", $st);
    check($s->result->rowsImported === 1 && $s->result->rowsFailed === 0, $s);
    $params->importFileHeader = "Email Address,{{my.specialToken}}";
    $params->importFileRows = ["stringItem" => ["a@example.com,Fish"]];
    $params->importListMode = "UPSERTLEADS";
    $params->campaignName = "Spring Newsletter Send";
    check($client->faultCode("importToList", $params) == 20110, "token columns");
    echo "importToList / getImportToListStatus: OK\n";

    // getCampaignsForSource, requestCampaign, scheduleCampaign
    $p = new stdClass();
    $p->source = "MKTOWS";
    $p->name = "Trigger";
    $p->exactName = false;
    $r = $client->call("getCampaignsForSource", $p);
    check($r->result->returnCount === 2, $r);
    $recs = $r->result->campaignRecordList->campaignRecord;
    check(is_array($recs) && count($recs) == 2, $r);
    $p->source = "SALES";
    check($client->faultCode("getCampaignsForSource", $p) == 20110, "SALES");

    $req = new stdClass();
    $req->source = "MKTOWS";
    $req->campaignId = 1002;
    $req->leadList = ["leadKey" => [["keyType" => "EMAIL", "keyValue" => "ckent@example.com"],
                                    ["keyType" => "IDNUM", "keyValue" => "5"]]];
    $r = $client->call("requestCampaign", $req);
    check($r->result->success === true, $r);
    $req2 = new stdClass();
    $req2->source = "MKTOWS";
    $req2->programName = "Spring Webinar";
    $req2->campaignName = "Webinar Confirmation";
    $req2->leadList = ["leadKey" => ["keyType" => "IDNUM", "keyValue" => "1"]];
    $req2->programTokenList = ["attrib" => [["name" => "{{my.message}}", "value" => "Hi"]]];
    $r = $client->call("requestCampaign", $req2);
    check($r->result->success === true, $r);
    $req->campaignId = 1001;   // a batch campaign
    check($client->faultCode("requestCampaign", $req) == 20110, "batch campaign");

    $sc = new stdClass();
    $sc->programName = "Spring Newsletter";
    $sc->campaignName = "Spring Newsletter Send";
    $runAt = new DateTime('now', new DateTimeZone("America/Los_Angeles"));
    $runAt->modify('+1 day');
    $sc->campaignRunAt = $runAt->format(DATE_W3C);
    $sc->programTokenList = ["attrib" => [["name" => "{{my.message}}", "value" => "Updated"]]];
    $r = $client->call("scheduleCampaign", $sc);
    check($r->result->success === true, $r);
    $sc->campaignName = "No Such Campaign";
    check($client->faultCode("scheduleCampaign", $sc) == 20113, "unknown campaign");
    echo "campaigns: OK\n";
});
