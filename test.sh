#!/usr/bin/env bash
# Runs every Gatehouse test: installs what is missing, builds with warnings as
# errors, then runs the suites through ctest. Extra arguments go to ctest
# (e.g. ./test.sh -R site_test).
set -euo pipefail
cd "$(dirname "$0")"

./scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_WERROR=ON >/dev/null
cmake --build build -j"${GATEHOUSE_JOBS:-2}"

cd build
ctest --output-on-failure --timeout 900 "$@"
