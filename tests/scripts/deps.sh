#!/usr/bin/env bash
# deps.sh — install the Debian packages mktows-shim needs to build, test and
# demo, if any is missing.  Safe to run repeatedly; does nothing when all
# are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  gsoap libgsoap-dev            # wsdl2h/soapcpp2 and the SOAP engine
  libmicrohttpd-dev             # HTTP server of both programs
  libgnutls28-dev               # TLS files and client certificates (server/tls.c)
  libcurl4-openssl-dev libcjson-dev libssl-dev libsqlite3-dev
  libhiredis-dev                # cluster.redis: one REST budget for several replicas
  libcmocka-dev                 # unit and integration tests
  redis-server haproxy          # several-replica tests (started by the tests, on loopback)
  python3 python3-zeep php-cli php-soap   # real SOAP client stacks in tests
  python3-requests              # ops_*.py: https, client certificates, keep-alive
  prometheus                    # ops_metrics: promtool check metrics, a real scraper
  mono-devel mono-mcs           # legacy stacks (tests/clients/legacy_clients.cmake):
  default-jdk-headless libaxis-java   # .NET proxy, Axis 1.4, SOAP::Lite, soap4r
  libsoap-lite-perl ruby ruby-soap4r
  curl openssl wrk              # demo and benchmarks
  clang libclang-rt-14-dev      # libFuzzer targets (tests/fuzz), smoke run in run.sh
  zlib1g-dev                    # mktows-shim report reads gzipped usage logs
  chromium                      # the HTML usage report opened headless (test_report_html)
  dpkg-dev debhelper lintian    # Debian packages built and checked by the tests
  systemd                       # systemd-analyze verify of the unit
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
