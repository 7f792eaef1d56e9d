<?php
// Real-client check with PHP's SoapClient (the stack of Marketo's PHP
// samples) for getLeadActivity, getLeadChanges, getChannels and getTags:
// ?WSDL from mktows-shim, requests signed as Marketo's samples sign them
// (DATE_W3C timestamp in America/Los_Angeles, hash_hmac sha1), the shim in
// front of marketo-emulator.  getLeadChanges is paged exactly as Marketo's
// sample pages it: send newStartPosition back while remainingCount > 0.
//
// The seed is the repository's plus lead 961 with 17 Visit Webpage and Click
// Link activities over the last 30 days (dated from now).
//
// usage: php php_activities.php SHIM EMULATOR SOURCE_DIR
$shim = $argv[1];
$emuBin = $argv[2];
$src = $argv[3];
$user = "bigcorp1_461839624B16E06BA2D663";
$key = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";
$ns = "http://www.marketo.com/mktows/";
$count = 17;

function start_proc($argv, &$pipes) {
    $p = proc_open($argv, [1 => ["pipe", "w"]], $pipes);
    $line = trim(fgets($pipes[1]));
    if (strpos($line, "listening on http://") !== 0) {
        throw new Exception("no ready line from {$argv[0]}: $line");
    }
    return [$p, substr($line, strlen("listening on "))];
}

function check($cond, $what) {
    if (!$cond) {
        throw new Exception("check failed: $what");
    }
}

function as_list($x) {
    return $x === null ? [] : (is_array($x) ? $x : [$x]);
}

$now = time();
$seed = json_decode(file_get_contents("$src/src/emulator/seed/default.json"), true);
$created = $now - 31 * 86400;
$seed["leads"][] = ["id" => 961, "email" => "php.lead@example.com", "firstName" => "Php",
                    "lastName" => "Client", "createdAt" => gmdate("Y-m-d\\TH:i:s\\Z", $created),
                    "updatedAt" => gmdate("Y-m-d\\TH:i:s\\Z", $created), "leadPartitionId" => 1];
for ($i = 0; $i < $count; $i++) {
    $at = gmdate("Y-m-d\\TH:i:s\\Z", $created + 3600 + $i * 150000);
    $seed["activities"][] = $i % 3 == 2
        ? ["leadId" => 961, "activityTypeId" => 3, "activityDate" => $at,
           "primaryAttributeValueId" => 9, "primaryAttributeValue" => "https://x.example/p$i"]
        : ["leadId" => 961, "activityTypeId" => 1, "activityDate" => $at,
           "primaryAttributeValueId" => 71, "primaryAttributeValue" => "www.example.com/p$i.html"];
}
$seedPath = tempnam(sys_get_temp_dir(), "mkseed") . ".json";
file_put_contents($seedPath, json_encode($seed));
$cfgPath = tempnam(sys_get_temp_dir(), "mktows") . ".json";

$ok = false;
$procs = [];
try {
    list($emu, $emuUrl) = start_proc([$emuBin, "--listen", "127.0.0.1:0", "--client-id", "i",
                                      "--client-secret", "s", "--seed", $seedPath,
                                      "--rate-limit", "off"], $epipes);
    $procs[] = $emu;
    file_put_contents($cfgPath, json_encode([
        "listen" => "127.0.0.1:0",
        "rest" => ["endpoint" => $emuUrl, "identity" => "$emuUrl/identity", "client_id" => "i",
                   "client_secret" => "s", "rate_limit" => 100000],
        "soap_users" => [$user => ["encryption_key" => $key]],
        "mapping_dir" => "$src/mapping",
    ]));
    list($shimProc, $shimUrl) = start_proc([$shim, "--config", $cfgPath], $spipes);
    array_unshift($procs, $shimProc);
    $endpoint = "$shimUrl/soap/mktows/2_3";
    $client = new SoapClient("$endpoint?WSDL", ["trace" => 1, "cache_wsdl" => WSDL_CACHE_NONE,
                                                "location" => $endpoint]);
    $auth = function () use ($user, $key, $ns) {
        // As Marketo's samples: DATE_W3C in America/Los_Angeles.
        $dt = new DateTime("now", new DateTimeZone("America/Los_Angeles"));
        $ts = $dt->format(DATE_W3C);
        $attrs = new stdClass();
        $attrs->mktowsUserId = $user;
        $attrs->requestSignature = hash_hmac("sha1", $ts . $user, $key);
        $attrs->requestTimestamp = $ts;
        return new SoapHeader($ns, "AuthenticationHeader", $attrs);
    };

    // getLeadActivity, as Marketo's sample builds it, paged to the end.
    $leadKey = ["keyType" => "EMAIL", "keyValue" => "php.lead@example.com"];
    $filter = new stdClass();
    $filter->includeTypes = new stdClass();
    $filter->includeTypes->activityType = ["VisitWebpage", "ClickLink"];
    $params = ["leadKey" => $leadKey, "activityFilter" => $filter, "batchSize" => 5];
    $ids = [];
    $dates = [];
    for ($pages = 0; $pages < 20; $pages++) {
        $r = $client->__soapCall("getLeadActivity", [$params], null, $auth());
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
                                        SOAP_ENC_OBJECT, "LeadKeySelector", $ns);
    $doPage = true;
    $got = [];
    $pages = 0;
    while ($doPage) {
        $success = $client->__soapCall("getLeadChanges", [$params], null, $auth());
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
    try {
        $client->__soapCall("getLeadChanges", [$params], null, $auth());
        throw new Exception("a caught-up position answered without a fault");
    } catch (SoapFault $f) {
        check($f->detail->serviceException->code == 20123, "fault " . $f->faultstring);
    }

    // getChannels and getTags, as in Marketo's samples.
    $p = new stdClass();
    $p->tag = new stdClass();
    $p->tag->values = new stdClass();
    $p->tag->values->stringItem = ["Webinar", "Blog", "Tradeshow"];
    $r = $client->__soapCall("getChannels", [$p], null, $auth());
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
    $r = $client->__soapCall("getTags", [$p], null, $auth());
    $tags = as_list($r->result->tagList->tag);
    check(count($tags) == 1 && $tags[0]->type === "Product", "getTags type");
    check(as_list($tags[0]->values->stringItem) === ["Sales Insight"], "getTags values");
    echo "getTags: Product / Sales Insight\n";

    // Faults PHP clients read: detail->serviceException->code.
    try {
        $client->__soapCall("getLeadActivity", [["leadKey" => $leadKey, "activityFilter" =>
            ["includeTypes" => ["activityType" => ["Bogus"]]]]], null, $auth());
        throw new Exception("an unknown activity type was accepted");
    } catch (SoapFault $f) {
        check($f->detail->serviceException->code == 20107, "fault " . $f->faultstring);
        check(strpos($f->faultstring, "20107 - ") === 0, "faultstring " . $f->faultstring);
    }
    echo "faults: 20123, 20107\n";
    $ok = true;
} catch (Throwable $e) {
    fwrite(STDERR, "php: " . $e->getMessage() . "\n");
    if (isset($client)) {
        fwrite(STDERR, $client->__getLastRequest() . "\n" . $client->__getLastResponse() . "\n");
    }
}
$rc = 0;
foreach ($procs as $p) {
    proc_terminate($p);
    $st = proc_close($p);
    if ($p === ($shimProc ?? null)) {
        $rc = $st;
    }
}
@unlink($cfgPath);
@unlink($seedPath);
echo $ok && $rc == 0 ? "php activities: OK\n" : "php activities: FAILED (shim exit $rc)\n";
exit($ok && $rc == 0 ? 0 : 1);
