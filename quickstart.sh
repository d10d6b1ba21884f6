#!/usr/bin/env bash
# Runs Gatehouse on the demo site: installs what is missing, builds, applies the
# demo site file to the embedded PostgreSQL cluster under var/, starts the
# controller and prints the security-desk address. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"

./scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${GATEHOUSE_JOBS:-2}" --target gatehouse gatehouse-bridge

export GATEHOUSE_VAR="${GATEHOUSE_VAR:-$PWD/var}"
listen="${GATEHOUSE_LISTEN:-127.0.0.1:8080}"
site_file="docs/examples/site.toml"

build/bin/gatehouse site apply "$site_file" --operator quickstart

build/bin/gatehouse serve --listen "$listen" &
controller=$!

stop() {
  trap - INT TERM EXIT
  if kill -0 "$controller" 2>/dev/null; then
    echo "quickstart: stopping the controller" >&2
    kill -INT "$controller" 2>/dev/null || true
  fi
  wait "$controller" 2>/dev/null || true
}
trap stop INT TERM EXIT

for _ in $(seq 1 120); do
  if curl -fsS "http://$listen/healthz" >/dev/null 2>&1; then
    cat <<MSG

  Gatehouse is running on the demo site.
  Security desk:  http://$listen/
  Health:         http://$listen/healthz
  Metrics:        http://$listen/metrics

  Press Ctrl-C to stop.

MSG
    wait "$controller"
    exit $?
  fi
  if ! kill -0 "$controller" 2>/dev/null; then
    echo "quickstart: the controller exited before becoming healthy (see the log above)" >&2
    exit 1
  fi
  sleep 0.5
done
echo "quickstart: the controller did not become healthy within 60 s" >&2
exit 1
