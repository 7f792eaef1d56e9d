<?php
// The eight MObject and custom object operations through PHP's SoapClient,
// written the way Marketo's own PHP samples are (mktows_client.php: WSDL
// from ?WSDL, signed with hash_hmac over a DATE_W3C timestamp), __soapCall
// with the params array.
//
// Runs under tests/clients/with_stack.sh, against the emulator's seed:
// opportunities OPP-1001..1003 with roles of leads 1-3, programs 2001-2006,
// custom object types car_c and roadshow_c ("Roadshow", lead 1 has rid0 and
// rid1).
require __DIR__ . "/mktows_client.php";

function attribs($obj)
{
    $out = [];
    foreach ($obj->attribList->attrib as $a) {
        $out[$a->name] = $a->value;
    }
    return $out;
}

function coAttrs($list)
{
    $out = [];
    foreach ($list->attribute as $a) {
        $out[$a->attrName] = $a->attrValue;
    }
    return $out;
}

function criteria($name, $cmp, $value)
{
    return ["mObjCriteria" => [["attrName" => $name, "comparison" => $cmp, "attrValue" => $value]]];
}

mkt_main("php objects", function () {
    $client = new MktClient();
    $arrays = new MktClient("2_3", ["features" => SOAP_SINGLE_ELEMENT_ARRAYS]);

    // listMObjects / describeMObject (the docs' sample builds a stdClass).
    $r = $arrays->call("listMObjects", new stdClass());
    check($r->result->objects == ["LeadRecord", "Opportunity", "OpportunityPersonRole"], $r);
    $mObject = new stdClass();
    $mObject->objectName = "OpportunityPersonRole";
    $r = $arrays->call("describeMObject", $mObject);
    $names = array_map(fn($f) => $f->name, $r->result->metadata->fieldList->field);
    check(in_array("PersonId", $names) && in_array("ExternalOpportunityId", $names), $names);
    [$code, $msg] = $arrays->fault("describeMObject", ["objectName" => "ActivityRecord"]);
    check($code == 20110 && strpos($msg, "ActivityRecord") !== false, $msg);
    echo "listMObjects, describeMObject: OK\n";

    // getMObjects: a one-element list is a bare object without SOAP_SINGLE_ELEMENT_ARRAYS.
    $r = $client->call("getMObjects", ["type" => "Opportunity",
        "mObjCriteriaList" => criteria("ExternalOpportunityId", "EQ", "OPP-1002")]);
    check($r->result->returnCount == 1 && $r->result->hasMore === false, $r);
    $o = $r->result->mObjectList->mObject;
    check(!isset($o->id) && $o->externalKey->name == "marketoGUID", $o);
    $guid = $o->externalKey->value;
    $r = $arrays->call("getMObjects", ["type" => "OpportunityPersonRole", "mObjAssociationList" =>
        ["mObjAssociation" => [["mObjType" => "Opportunity",
                                "externalKey" => ["name" => "externalOpportunityId",
                                                  "value" => "OPP-1001"]]]]]);
    check($r->result->returnCount == 2, $r);
    $r = $arrays->call("getMObjects", ["type" => "Program", "mObjCriteriaList" =>
        ["mObjCriteria" => [["attrName" => "Tag Type", "comparison" => "EQ", "attrValue" => "Region"],
                            ["attrName" => "Tag Value", "comparison" => "EQ", "attrValue" => "EMEA"]]]]);
    check($r->result->returnCount == 1 && $r->result->mObjectList->mObject[0]->id == 2003, $r);
    $pos = $r->result->newStreamPosition;
    [$code, ] = $arrays->fault("getMObjects", ["type" => "Program", "streamPosition" => $pos,
        "mObjCriteriaList" => ["mObjCriteria" => [
            ["attrName" => "Tag Type", "comparison" => "EQ", "attrValue" => "Region"],
            ["attrName" => "Tag Value", "comparison" => "EQ", "attrValue" => "EMEA"]]]]);
    check($code == 20123, $code);
    [$code, $msg] = $arrays->fault("getMObjects", ["type" => "Program",
        "mObjCriteriaList" => criteria("Created At", "GE", "2026-01-01T00:00:00Z")]);
    check($code == 20110 && strpos($msg, "REST cannot filter") !== false, $msg);
    echo "getMObjects: OK\n";

    // syncMObjects: an opportunity role and an update by GUID, read back.
    $r = $arrays->call("syncMObjects", ["operation" => "UPSERT", "mObjectList" => ["mObject" => [
        ["type" => "OpportunityPersonRole", "attribList" => ["attrib" => [
            ["name" => "ExternalOpportunityId", "value" => "OPP-1002"],
            ["name" => "PersonId", "value" => "6"],
            ["name" => "Role", "value" => "Buyer"]]]],
        ["type" => "Opportunity", "externalKey" => ["name" => "marketoGUID", "value" => $guid],
         "attribList" => ["attrib" => [["name" => "NextStep", "value" => "Sign"]]]],
    ]]]);
    $st = $r->result->mObjStatusList->mObjStatus;
    check($st[0]->status == "CREATED" && $st[1]->status == "UPDATED", $st);
    $r = $arrays->call("getMObjects", ["type" => "Opportunity",
        "externalKey" => ["name" => "marketoGUID", "value" => $guid]]);
    check(attribs($r->result->mObjectList->mObject[0])["NextStep"] == "Sign", $r);
    $r = $arrays->call("getMObjects", ["type" => "OpportunityPersonRole", "mObjAssociationList" =>
        ["mObjAssociation" => [["mObjType" => "Lead", "id" => 6]]]]);
    check($r->result->returnCount == 1 &&
          attribs($r->result->mObjectList->mObject[0])["Role"] == "Buyer", $r);
    $roleGuid = $r->result->mObjectList->mObject[0]->externalKey->value;
    echo "syncMObjects: OK\n";

    // deleteMObjects
    $r = $arrays->call("deleteMObjects", ["mObjectList" => ["mObject" => [
        ["type" => "OpportunityPersonRole",
         "externalKey" => ["name" => "marketoGUID", "value" => $roleGuid]]]]]);
    check($r->result->mObjStatusList->mObjStatus[0]->status == "DELETED", $r);
    [$code, ] = $arrays->fault("deleteMObjects", ["mObjectList" => ["mObject" => [
        ["type" => "Opportunity", "id" => 7]]]]);
    check($code == 20110, $code);
    echo "deleteMObjects: OK\n";

    // Custom objects: as Marketo's getCustomObjects example, then sync and delete.
    $get = ["objTypeName" => "RoadShow",
            "customObjKeyList" => ["attribute" => [["attrName" => "MKTOID", "attrValue" => "1"]]],
            "includeAttributes" => ["stringItem" => []]];
    $r = $arrays->call("getCustomObjects", $get);
    check($r->result->objTypeName == "Roadshow" && $r->result->returnCount == 2 &&
          $r->result->remainingCount == 0, $r);
    check(coAttrs($r->result->customObjList->customObj[0]->customObjKeyList)["MKTOID"] == "1", $r);
    [$code, ] = $arrays->fault("getCustomObjects", $get + ["streamPosition" => $r->result->newStreamPosition]);
    check($code == 20123, $code);
    $keys = ["attribute" => [["attrName" => "MKTOID", "attrValue" => "4"],
                             ["attrName" => "rid", "attrValue" => "php"]]];
    $r = $arrays->call("syncCustomObjects", ["objTypeName" => "RoadShow", "operation" => "INSERT",
        "customObjList" => ["customObj" => [["customObjKeyList" => $keys,
            "customObjAttributeList" => ["attribute" => [["attrName" => "state", "attrValue" => "Ohio"]]]]]]]);
    $s = $r->result->syncCustomObjStatusList->syncCustomObjStatus[0];
    check($s->status == "CREATED" && coAttrs($s->customObjKeyList)["rid"] == "php", $s);
    $r = $arrays->call("getCustomObjects", ["objTypeName" => "Roadshow", "customObjKeyList" => $keys,
                                            "includeAttributes" => ["stringItem" => ["state"]]]);
    check(coAttrs($r->result->customObjList->customObj[0]->customObjAttributeList)["state"] == "Ohio", $r);
    $r = $arrays->call("deleteCustomObjects", ["objTypeName" => "RoadShow",
        "customObjKeyLists" => ["keyList" => [$keys]]]);
    check($r->result->deleteCustomObjStatusList->syncCustomObjStatus[0]->status == "DELETED", $r);
    [$code, $msg] = $arrays->fault("syncCustomObjects", ["objTypeName" => "Spaceship",
        "customObjList" => ["customObj" => [["customObjKeyList" => $keys]]]]);
    check($code == 20110 && strpos($msg, "Object name is not valid") !== false, $msg);
    echo "getCustomObjects, syncCustomObjects, deleteCustomObjects: OK\n";
});
