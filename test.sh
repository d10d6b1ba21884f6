#!/usr/bin/env bash
# Runs every Gatehouse test: installs what is missing, builds with warnings as
# errors, then runs the suites through ctest. Extra arguments go to ctest
# (e.g. ./test.sh -R site_test).
set -euo pipefail
cd "$(dirname "$0")"

./scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_WERROR=ON >/dev/null
cmake --build build -j"${GATEHOUSE_JOBS:-2}"

# The OSDP frame parser under libFuzzer for a bounded time (clang, in its own
# build dir; on a copy of the seed corpus so the tree is never written to).
# Skipped when ctest arguments select tests (./test.sh -R NAME).
if [[ $# -eq 0 ]]; then
  cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-fuzz -j"${GATEHOUSE_JOBS:-2}" --target osdp_frame_fuzz >/dev/null
  rm -rf build-fuzz/corpus && mkdir -p build-fuzz/corpus
  cp tests/fuzz/corpus/osdp_frame/* build-fuzz/corpus/
  echo "fuzz: osdp_frame_fuzz for ${GATEHOUSE_FUZZ_SECONDS:-30} s"
  build-fuzz/tests/osdp_frame_fuzz -max_total_time="${GATEHOUSE_FUZZ_SECONDS:-30}" -max_len=2048 \
    -print_final_stats=1 build-fuzz/corpus 2>build-fuzz/fuzz.log ||
    { tail -40 build-fuzz/fuzz.log; echo "fuzz: osdp_frame_fuzz found a failure (build-fuzz/)" >&2; exit 1; }
  grep -E '^stat::number_of_executed_units' build-fuzz/fuzz.log | sed 's/^/fuzz: /'
fi

cd build
ctest --output-on-failure --timeout 900 "$@"
