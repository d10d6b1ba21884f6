#!/usr/bin/env bash
# Runs one benchmark: ./bench.sh NAME builds tests/bench target bench_NAME in
# release mode and runs it. Each prints metric=value lines, the headline last.
set -euo pipefail
cd "$(dirname "$0")"

available() { ls tests/bench/*.cpp 2>/dev/null | sed -n 's|tests/bench/bench_\(.*\)\.cpp|\1|p'; }

if [[ $# -lt 1 ]]; then
  echo "usage: ./bench.sh NAME [ARGS...]; available: $(available | tr '\n' ' ')" >&2
  exit 2
fi
name="$1"; shift
if [[ ! -f "tests/bench/bench_${name}.cpp" ]]; then
  echo "bench: no benchmark '$name'; available: $(available | tr '\n' ' ')" >&2
  exit 2
fi

./scripts/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build build-bench -j"${GATEHOUSE_JOBS:-2}" --target "bench_${name}"
exec "build-bench/tests/bench_${name}" "$@"
