<?php
// Real-client check with PHP's SoapClient (what Marketo's PHP samples used):
// load ?WSDL, call getLead with a signed AuthenticationHeader, read the fault.
// usage: php php_soapclient.php /path/to/mktows-shim
$shim = $argv[1];
$user = "bigcorp1_461839624B16E06BA2D663";
$key = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";
$ns = "http://www.marketo.com/mktows/";

$cfg = tempnam(sys_get_temp_dir(), "mktows") . ".json";
file_put_contents($cfg, json_encode([
    "listen" => "127.0.0.1:0",
    "rest" => ["endpoint" => "http://127.0.0.1:9", "client_id" => "i", "client_secret" => "s"],
    "soap_users" => [$user => ["encryption_key" => $key]],
]));
$proc = proc_open([$shim, "--config", $cfg], [1 => ["pipe", "w"]], $pipes);
$line = trim(fgets($pipes[1]));
$ok = false;
try {
    if (strpos($line, "listening on http://") !== 0) {
        throw new Exception("no ready line: $line");
    }
    $endpoint = substr($line, strlen("listening on ")) . "/soap/mktows/2_9";
    $client = new SoapClient($endpoint . "?WSDL", ["trace" => 1, "cache_wsdl" => WSDL_CACHE_NONE]);
    $ts = date(DATE_W3C);
    $hdr = new SoapHeader($ns, "AuthenticationHeader", [
        "mktowsUserId" => $user,
        "requestSignature" => hash_hmac("sha1", $ts . $user, $key),
        "requestTimestamp" => $ts,
    ]);
    $params = ["leadKey" => ["keyType" => "EMAIL", "keyValue" => "a@b.c"]];
    try {
        $client->__soapCall("getLead", [$params], null, $hdr);
        echo "getLead answered with a response\n";
        $ok = true;
    } catch (SoapFault $f) {
        $code = $f->detail->serviceException->code ?? null;
        if ($code === null || strpos($f->faultstring, "$code - ") !== 0 || $code == 20014 || $code == 20012) {
            throw new Exception("unexpected fault: " . $f->faultstring . "\n" . $client->__getLastResponse());
        }
        echo "getLead answered with fault {$f->faultstring}\n";
        $ok = true;
    }
} catch (Exception $e) {
    fwrite(STDERR, "php: " . $e->getMessage() . "\n");
}
proc_terminate($proc);
$rc = proc_close($proc);
unlink($cfg);
echo $ok ? "php: OK\n" : "php: FAILED\n";
exit($ok && $rc == 0 ? 0 : 1);
