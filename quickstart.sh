#!/usr/bin/env bash
# Runs Gatehouse on the demo site: installs what is missing, builds, starts the
# controller on the embedded PostgreSQL cluster under var/, applies the demo
# site file, loads demo people and badges, and prints the security-desk
# address. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"

./scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${GATEHOUSE_JOBS:-2}" --target gatehouse gatehouse-bridge

export GATEHOUSE_VAR="${GATEHOUSE_VAR:-$PWD/var}"
listen="${GATEHOUSE_LISTEN:-127.0.0.1:8080}"

# The controller starts the embedded cluster and keeps it running; the commands
# below reuse it, and the controller picks up each change as it is committed.
build/bin/gatehouse serve --listen "$listen" --simulated-readers &
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

healthy=0
for _ in $(seq 1 120); do
  if curl -fsS "http://$listen/healthz" >/dev/null 2>&1; then
    healthy=1
    break
  fi
  if ! kill -0 "$controller" 2>/dev/null; then
    echo "quickstart: the controller exited before becoming healthy (see the log above)" >&2
    exit 1
  fi
  sleep 0.5
done
if [[ $healthy -ne 1 ]]; then
  echo "quickstart: the controller did not become healthy within 60 s" >&2
  exit 1
fi

build/bin/gatehouse site apply docs/examples/site.toml --operator quickstart
./scripts/demo-data.sh

cat <<MSG

  Gatehouse is running on the demo site.
  Security desk:  http://$listen/
  Health:         http://$listen/healthz
  Metrics:        http://$listen/metrics

  Present a badge at a (simulated) reader:
    curl -s -X POST http://$listen/api/v1/readers/r-office-in/present -d '{"card":"H10301:42:1001"}'
    curl -s -X POST http://$listen/api/v1/readers/r-it-in/present -d '{"card":"H10301:42:1003"}'
  Manage badges:  build/bin/gatehouse badge list   (see README: "People, badges and visitors")

  Press Ctrl-C to stop.

MSG
wait "$controller"
