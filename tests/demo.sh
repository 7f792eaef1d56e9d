#!/usr/bin/env bash
# demo.sh — see a legacy SOAP call go through mktows-shim to the bundled
# marketo-emulator: installs what is missing, builds, starts both programs on
# free ports, sends a signed getLead and a signed syncLead exactly as a
# Marketo SOAP client would (curl + openssl, no SDK), prints each request
# and response, then stops both programs.
#
#   bash tests/demo.sh
#   BUILD_DIR=DIR bash tests/demo.sh   # use (and refresh) that Release tree
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/scripts/stack.sh

bash tests/scripts/deps.sh
BUILD=${BUILD_DIR:-build/release}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target marketo-emulator mktows-shim >/dev/null

work=$(mktemp -d)
cleanup() { stack_stop; rm -rf "$work"; }
trap cleanup EXIT

stack_start REST "$work/emu" "$BUILD/emulator/marketo-emulator" --listen 127.0.0.1:0 \
            --client-id demo-client --client-secret demo-secret
stack_shim_config "$work/shim.json" "$REST"
stack_start SHIM "$work/shim" "$BUILD/src/mktows-shim" --config "$work/shim.json"
echo "marketo-emulator (REST):  $REST"
echo "mktows-shim (SOAP):       $SHIM/soap/mktows/3_1   (WSDL: $SHIM/soap/mktows/3_1?WSDL)"

# One signed SOAP call: show the request, the response and its cost in REST.
soap() {
  stack_envelope "$1" >"$work/req.xml"
  echo; echo "----- request ------------------------------------------------------------"
  cat "$work/req.xml"
  echo "----- response -----------------------------------------------------------"
  stack_post "$SHIM/soap/mktows/3_1" "$work/req.xml" "$work/headers" | sed 's/></>\n</g'
  echo
  grep -i -e '^HTTP/' -e '^X-Mktows-Rest-Calls' "$work/headers" | sed 's/^/  /'
}

soap "$STACK_GETLEAD"
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
