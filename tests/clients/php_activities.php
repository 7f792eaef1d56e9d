<?php
// getLeadActivity, getLeadChanges, getChannels and getTags through PHP's
// SoapClient (the stack of Marketo's PHP samples; mktows_client.php: WSDL
// from ?WSDL, signed with hash_hmac over a DATE_W3C timestamp in
// America/Los_Angeles).  getLeadChanges is paged exactly as Marketo's sample
// pages it: send newStartPosition back while remainingCount > 0.
//
// Runs under tests/clients/with_stack.sh --seeded: the seed is the
// repository's plus lead 961 with 17 Visit Webpage and Click Link activities
// over the last 30 days (dated from now), written by this script.
require __DIR__ . "/mktows_client.php";

const COUNT = 17;

function created()
{
    return time() - 31 * 86400;
}

function make_seed()
{
    $seed = mkt_default_seed();
    $created = created();
    $seed["leads"][] = ["id" => 961, "email" => "php.lead@example.com", "firstName" => "Php",
                        "lastName" => "Client", "createdAt" => gmdate("Y-m-d\\TH:i:s\\Z", $created),
                        "updatedAt" => gmdate("Y-m-d\\TH:i:s\\Z", $created), "leadPartitionId" => 1];
    for ($i = 0; $i < COUNT; $i++) {
        $at = gmdate("Y-m-d\\TH:i:s\\Z", $created + 3600 + $i * 150000);
        $seed["activities"][] = $i % 3 == 2
            ? ["leadId" => 961, "activityTypeId" => 3, "activityDate" => $at,
               "primaryAttributeValueId" => 9, "primaryAttributeValue" => "https://x.example/p$i"]
            : ["leadId" => 961, "activityTypeId" => 1, "activityDate" => $at,
               "primaryAttributeValueId" => 71, "primaryAttributeValue" => "www.example.com/p$i.html"];
    }
    return $seed;
}

mkt_main("php activities", function () {
    $client = new MktClient("2_3");
    $count = COUNT;
    $created = created();

    // getLeadActivity, as Marketo's sample builds it, paged to the end.
    $leadKey = ["keyType" => "EMAIL", "keyValue" => "php.lead@example.com"];
    $filter = new stdClass();
    $filter->includeTypes = new stdClass();
    $filter->includeTypes->activityType = ["VisitWebpage", "ClickLink"];
    $params = ["leadKey" => $leadKey, "activityFilter" => $filter, "batchSize" => 5];
    $ids = [];
    $dates = [];
    for ($pages = 0; $pages < 20; $pages++) {
        $r = $client->call("getLeadActivity", $params);
        $list = $r->leadActivityList;
        $recs = isset($list->activityRecordList) ? as_list($list->activityRecordList->activityRecord) : [];
        check($list->returnCount == count($recs), "returnCount");
        foreach ($recs as $rec) {
            check($rec->mktPersonId === "961", "mktPersonId");
            check(in_array($rec->activityType, ["Visit Webpage", "Click Link"]), "type $rec->activityType");
            check($rec->marketoGUID === (string)$rec->id, "marketoGUID");
            $ids[] = $rec->marketoGUID;
            $dates[] = strtotime($rec->activityDateTime);
        }
        if ($list->remainingCount == 0) {
            break;
        }
        $params["startPosition"] = $list->newStartPosition;
    }
    check(count($ids) == $count, "getLeadActivity returned " . count($ids) . " of $count");
    check(count(array_unique($ids)) == $count, "a record came twice");
    $sorted = $dates;
    rsort($sorted);
    check($dates === $sorted, "newest first");
    echo "getLeadActivity: $count records, newest first\n";

    // getLeadChanges, paged exactly as Marketo's PHP sample does.
    $params = new stdClass();
    $params->activityNameFilter = new stdClass();
    $params->activityNameFilter->stringItem = ["Visit Webpage", "Click Link"];
    $params->startPosition = new stdClass();
    $params->startPosition->oldestCreatedAt = gmdate(DATE_W3C, $created);
    $params->batchSize = 4;
    $params->leadSelector = new SoapVar(["keyType" => "IDNUM", "keyValues" => ["stringItem" => ["961"]]],
                                        SOAP_ENC_OBJECT, "LeadKeySelector", MKT_NS);
    $doPage = true;
    $got = [];
    $pages = 0;
    while ($doPage) {
        $success = $client->call("getLeadChanges", $params);
        $result = $success->result;
        foreach (isset($result->leadChangeRecordList) ? as_list($result->leadChangeRecordList->leadChangeRecord) : [] as $c) {
            check($c->mktPersonId === "961", "lead changes of another lead");
            $got[] = $c->marketoGUID;
        }
        $doPage = ($result->remainingCount > 0);
        $params->startPosition = $result->newStartPosition;
        check(++$pages < 20, "too many pages");
    }
    check(count($got) == $count && count(array_unique($got)) == $count,
          "getLeadChanges returned " . count($got) . " of $count");
    check(array_reverse($got) === $ids, "getLeadChanges is getLeadActivity in reverse");
    echo "getLeadChanges: $count records in $pages pages (LeadKeySelector via xsi:type)\n";

    // The caught-up position: nothing new is fault 20123.
    check($client->faultCode("getLeadChanges", $params) == 20123, "a caught-up position");

    // getChannels and getTags, as in Marketo's samples.
    $p = new stdClass();
    $p->tag = new stdClass();
    $p->tag->values = new stdClass();
    $p->tag->values->stringItem = ["Webinar", "Blog", "Tradeshow"];
    $r = $client->call("getChannels", $p);
    $names = [];
    foreach (as_list($r->result->tags->tagStatus) as $t) {
        $names[] = $t->tagValue;
        $items = as_list($t->statusList->progressionStatusItem);
        check(count($items) > 0, "statuses of $t->tagValue");
        $attr = as_list($items[0]->progressionStatus->attrib);
        check($attr[0]->name === "Status" && $attr[1]->name === "Step" && $attr[2]->name === "Success",
              "attribs");
    }
    sort($names);
    check($names === ["Blog", "Tradeshow", "Webinar"], "channels " . implode(",", $names));
    echo "getChannels: " . implode(", ", $names) . "\n";
    $p = new stdClass();
    $p->tagList = new stdClass();
    $p->tagList->tag = [["type" => "Product", "values" => ["stringItem" => ["Sales Insight"]]]];
    $r = $client->call("getTags", $p);
    $tags = as_list($r->result->tagList->tag);
    check(count($tags) == 1 && $tags[0]->type === "Product", "getTags type");
    check(as_list($tags[0]->values->stringItem) === ["Sales Insight"], "getTags values");
    echo "getTags: Product / Sales Insight\n";

    // Faults PHP clients read: detail->serviceException->code.
    check($client->faultCode("getLeadActivity", ["leadKey" => $leadKey, "activityFilter" =>
        ["includeTypes" => ["activityType" => ["Bogus"]]]]) == 20107, "an unknown activity type");
    echo "faults: 20123, 20107\n";
}, "make_seed");
