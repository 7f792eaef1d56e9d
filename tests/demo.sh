#!/usr/bin/env bash
# demo.sh — see a legacy SOAP call go through mktows-shim to the bundled
# marketo-emulator: installs what is missing, builds, starts both programs on
# free ports, sends a signed getLead and a signed syncLead exactly as a
# Marketo SOAP client would (curl + openssl, no SDK), prints each request
# and response, then stops both programs.
#
#   bash tests/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/scripts/deps.sh
BUILD=${BUILD_DIR:-build/release}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target marketo-emulator mktows-shim >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Start a program and wait for its "listening on http://HOST:PORT" line.
start() {
  local out=$1; shift
  "$@" >"$out" 2>"$out.log" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q '^listening on ' "$out" 2>/dev/null && { sed -n 's/^listening on //p' "$out"; return; }
    sleep 0.1
  done
  echo "demo: $1 did not start:" >&2; cat "$out.log" >&2; exit 1
}

REST=$(start "$work/emu" "$BUILD/emulator/marketo-emulator" --listen 127.0.0.1:0 \
       --client-id demo-client --client-secret demo-secret)
USER_ID=bigcorp1_461839624B16E06BA2D663
KEY=899756834129871744AAEE88DDCC77CDEEDEC1AAAD66
cat >"$work/shim.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "rest": {"endpoint": "$REST", "identity": "$REST/identity",
           "client_id": "demo-client", "client_secret": "demo-secret"},
  "soap_users": {"$USER_ID": {"encryption_key": "$KEY"}},
  "leads": {"foreign_sys_person_id_field": "foreignSysPersonId"},
  "access_log": false
}
JSON
SHIM=$(start "$work/shim" "$BUILD/src/mktows-shim" --config "$work/shim.json")
echo "marketo-emulator (REST):  $REST"
echo "mktows-shim (SOAP):       $SHIM/soap/mktows/3_1   (WSDL: $SHIM/soap/mktows/3_1?WSDL)"

# One SOAP call, signed as Marketo's documentation shows:
# requestSignature = lower-case hex HMAC-SHA1(key, requestTimestamp + mktowsUserId).
soap() {
  local body=$1
  local ts sig
  ts=$(date +%Y-%m-%dT%H:%M:%S%:z)
  sig=$(printf '%s' "$ts$USER_ID" | openssl dgst -sha1 -hmac "$KEY" | sed 's/^.*= //')
  cat >"$work/req.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.marketo.com/mktows/">
  <SOAP-ENV:Header>
    <ns1:AuthenticationHeader>
      <mktowsUserId>$USER_ID</mktowsUserId>
      <requestSignature>$sig</requestSignature>
      <requestTimestamp>$ts</requestTimestamp>
    </ns1:AuthenticationHeader>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    $body
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
XML
  echo; echo "----- request ------------------------------------------------------------"
  cat "$work/req.xml"
  echo "----- response -----------------------------------------------------------"
  curl -s -D "$work/headers" -H 'Content-Type: text/xml;charset=UTF-8' \
       -H 'SOAPAction: "http://www.marketo.com/mktows/"' --data-binary @"$work/req.xml" \
       "$SHIM/soap/mktows/3_1" | sed 's/></>\n</g'
  echo
  grep -i -e '^HTTP/' -e '^X-Mktows-Rest-Calls' "$work/headers" | sed 's/^/  /'
}

soap '<ns1:paramsGetLead>
      <leadKey><keyType>EMAIL</keyType><keyValue>jdoe@example.com</keyValue></leadKey>
    </ns1:paramsGetLead>'
soap '<ns1:paramsSyncLead>
      <leadRecord>
        <Email>george@example.com</Email>
        <leadAttributeList>
          <attribute><attrName>FirstName</attrName><attrValue>George</attrValue></attribute>
          <attribute><attrName>LastName</attrName><attrValue>of the Jungle</attrValue></attribute>
        </leadAttributeList>
      </leadRecord>
      <returnLead>true</returnLead>
    </ns1:paramsSyncLead>'
echo
echo "What each operation becomes in REST: $BUILD/src/mktows-shim --explain [OPERATION]"
