<?php
// mktows_client.php — what the PHP SoapClient checks (php_*.php) share: a
// client built the way Marketo's own PHP samples build it, and how a check
// runs and reports.
//
// Marketo's samples: the WSDL from <endpoint>?WSDL, a SoapHeader
// "AuthenticationHeader" signed with hash_hmac('sha1', $timeStamp . $userId,
// $key) over a DATE_W3C timestamp in America/Los_Angeles, __soapCall with the
// params array.  A check runs under tests/clients/with_stack.sh, which starts
// marketo-emulator and mktows-shim and hands the shim's URL over in
// MKTOWS_SHIM_URL; the SOAP user below is the one it configures.

const MKT_NS = "http://www.marketo.com/mktows/";
const MKT_USER = "bigcorp1_461839624B16E06BA2D663";
const MKT_KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";

function check($cond, $what)
{
    if (!$cond) {
        throw new Exception("check failed: " . (is_string($what) ? $what : print_r($what, true)));
    }
}

// Marketo's PHP samples read a one-element list as a bare object.
function as_list($x)
{
    return $x === null ? [] : (is_array($x) ? $x : [$x]);
}

function mkt_auth_header()
{
    $dtObj = new DateTime('now', new DateTimeZone("America/Los_Angeles"));
    $timeStamp = $dtObj->format(DATE_W3C);
    $attrs = new stdClass();
    $attrs->mktowsUserId = MKT_USER;
    $attrs->requestSignature = hash_hmac('sha1', $timeStamp . MKT_USER, MKT_KEY);
    $attrs->requestTimestamp = $timeStamp;
    return new SoapHeader(MKT_NS, 'AuthenticationHeader', $attrs);
}

// A SoapClient on <shim>/soap/mktows/<version>; $options are added to the
// samples' (e.g. "features" => SOAP_SINGLE_ELEMENT_ARRAYS), and one given as
// null is left out ("location" => null: calls go where the WSDL's
// soap:address says).
final class MktClient
{
    public static $all = [];   // every client made, for the failure report
    public $soap;
    public $options;

    public function __construct($version = "2_3", $options = [])
    {
        $endpoint = getenv("MKTOWS_SHIM_URL") . "/soap/mktows/$version";
        $this->options = array_filter($options + ["trace" => 1, "cache_wsdl" => WSDL_CACHE_NONE,
                                                  "location" => $endpoint],
                                      fn($v) => $v !== null);
        $this->soap = new SoapClient("$endpoint?WSDL", $this->options);
        self::$all[] = $this;
    }

    public function call($op, $params)
    {
        return $this->soap->__soapCall($op, [$params], $this->options, mkt_auth_header());
    }

    // [code, message] of the fault op must answer with, read as Marketo's
    // samples read it: detail->serviceException.
    public function fault($op, $params)
    {
        try {
            $this->call($op, $params);
        } catch (SoapFault $f) {
            $e = $f->detail->serviceException;
            check(strpos($f->faultstring, "$e->code - ") === 0, $f->faultstring);
            check($e->name === "mktServiceException", $f->faultstring);
            return [(int)$e->code, $e->message];
        }
        throw new Exception("$op answered without a fault");
    }

    public function faultCode($op, $params)
    {
        return $this->fault($op, $params)[0];
    }
}

// The repository's emulator seed (emulator/seed/default.json), decoded.
function mkt_default_seed()
{
    return json_decode(file_get_contents(__DIR__ . "/../../emulator/seed/default.json"), true);
}

// Run $checks, print "<name>: OK" or the failure with the clients' last
// exchange, and exit accordingly.  With $makeSeed the check builds its own
// emulator seed (with_stack.sh --seeded): run as `... --write-seed FILE`, it
// writes $makeSeed() there and exits.
function mkt_main($name, $checks, $makeSeed = null)
{
    global $argv;
    if ($makeSeed !== null && ($argv[1] ?? "") === "--write-seed") {
        file_put_contents($argv[2], json_encode($makeSeed()));
        exit(0);
    }
    $ok = false;
    try {
        $checks();
        $ok = true;
    } catch (Throwable $e) {
        fwrite(STDERR, "$name: " . $e->getMessage() . "\n");
        foreach (MktClient::$all as $c) {
            if ($c->soap->__getLastResponse()) {
                fwrite(STDERR, "last request: " . $c->soap->__getLastRequest() . "\n");
                fwrite(STDERR, "last response: " . $c->soap->__getLastResponse() . "\n");
            }
        }
    }
    echo $ok ? "$name: OK\n" : "$name: FAILED\n";
    exit($ok ? 0 : 1);
}
