#!/usr/bin/env bash
# run.sh — the test command: install what is missing, build with
# AddressSanitizer + UndefinedBehaviorSanitizer, run every test.
#
#   bash tests/run.sh            # everything
#   bash tests/run.sh -R emu     # extra arguments go to ctest
#
# Then, with clang present (deps.sh installs it), the fuzzing smoke run: the
# four libFuzzer targets of tests/fuzz, built with clang in build/fuzz, each
# fuzzing for MKTOWS_FUZZ_SECONDS (30) from seeds made from the golden
# documents.  MKTOWS_FUZZ_SECONDS=0 skips it, as do extra ctest arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/scripts/deps.sh
BUILD=${BUILD_DIR:-build/sanitize}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DMKTOWS_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
# The demo and the benchmarks build optimised; -O2 finds warnings (-Werror)
# that the Debug build cannot, so the Release build must compile too.
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
ctest --test-dir "$BUILD" --output-on-failure -j2 "$@"

FUZZ_SECONDS=${MKTOWS_FUZZ_SECONDS:-30}
if [ $# -eq 0 ] && [ "$FUZZ_SECONDS" != 0 ] && command -v clang >/dev/null; then
  CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DMKTOWS_SANITIZE=ON \
    -DMKTOWS_FUZZ=ON -DMKTOWS_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
  cmake --build build/fuzz -j"$(nproc)" >/dev/null
  ctest --test-dir build/fuzz --output-on-failure -j2 -L fuzz
fi
