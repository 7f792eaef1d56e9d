<?php
// PHP SoapClient over https:// with the test CA pinned (ops_tls.py runs it):
// the WSDL is fetched through TLS, its soap:address must be https://, and
// calls go to that address ("location" => null), so the client follows
// exactly what ?WSDL advertises.  Without the pinned CA the WSDL must not
// load at all (the certificate is really checked).
//
// Environment: MKTOWS_SHIM_URL (https://127.0.0.1:PORT), MKTOWS_TLS_CA.
require __DIR__ . "/mktows_client.php";

mkt_main("php_tls", function () {
    $ca = getenv("MKTOWS_TLS_CA");
    $pinned = stream_context_create(["ssl" => ["cafile" => $ca, "verify_peer" => true,
                                               "verify_peer_name" => true]]);
    $client = new MktClient("2_9", ["location" => null, "stream_context" => $pinned]);
    $r = $client->call("getLead", ["leadKey" => ["keyType" => "IDNUM", "keyValue" => "1"]]);
    $records = as_list($r->result->leadRecordList->leadRecord);
    check(count($records) === 1 && (int)$records[0]->Id === 1, $r);
    $locations = [];
    $wsdl = file_get_contents(getenv("MKTOWS_SHIM_URL") . "/soap/mktows/2_9?WSDL", false, $pinned);
    preg_match_all('/location="([^"]+)"/', $wsdl, $locations);
    check(count($locations[1]) > 0, "no soap:address in the WSDL");
    foreach ($locations[1] as $l) {
        check(strpos($l, "https://") === 0, "WSDL address is not https: $l");
    }

    // The system's CAs do not know the test CA: the WSDL must not load.
    $strict = stream_context_create(["ssl" => ["verify_peer" => true, "verify_peer_name" => true]]);
    $refused = false;
    try {
        new SoapClient(getenv("MKTOWS_SHIM_URL") . "/soap/mktows/2_9?WSDL",
                       ["cache_wsdl" => WSDL_CACHE_NONE, "stream_context" => $strict,
                        "exceptions" => true]);
    } catch (SoapFault $f) {
        $refused = true;
    }
    check($refused, "an unverified certificate was accepted");
});
