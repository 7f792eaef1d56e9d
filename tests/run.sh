#!/usr/bin/env bash
# run.sh — the test command: install what is missing, build with
# AddressSanitizer + UndefinedBehaviorSanitizer, run every test.
#
#   bash tests/run.sh            # everything
#   bash tests/run.sh -R emu     # extra arguments go to ctest
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
