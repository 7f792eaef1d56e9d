<?php
// Real-client check with PHP's SoapClient (what Marketo's PHP samples used):
// load ?WSDL, call getLead with a signed AuthenticationHeader, read the fault
// (mktows_client.php).
//
// Runs under tests/clients/with_stack.sh --no-emulator: the shim has no REST
// back-end, so getLead is answered with a fault (or a response), never with
// an authentication or parsing fault.
require __DIR__ . "/mktows_client.php";

mkt_main("php", function () {
    $client = new MktClient("2_9", ["location" => null]);   // the WSDL's address
    $params = ["leadKey" => ["keyType" => "EMAIL", "keyValue" => "a@b.c"]];
    try {
        $client->call("getLead", $params);
        echo "getLead answered with a response\n";
    } catch (SoapFault $f) {
        $code = $f->detail->serviceException->code ?? null;
        check($code !== null && strpos($f->faultstring, "$code - ") === 0 && $code != 20014
              && $code != 20012, "unexpected fault: " . $f->faultstring);
        echo "getLead answered with fault {$f->faultstring}\n";
    }
});
