#!/usr/bin/env bash
# Runs Gatehouse on the demo site: installs what is missing, builds, starts the
# bridge's simulator (virtual OSDP readers and Modbus door modules at the demo
# site's endpoints, with a gentle stream of people badging in) and the
# controller on the embedded PostgreSQL cluster under var/, applies the demo
# site file, loads demo people and badges, sets up the readers' Secure Channel
# keys, and prints the security-desk address. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"

./scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"${GATEHOUSE_JOBS:-2}" --target gatehouse gatehouse-bridge

export GATEHOUSE_VAR="${GATEHOUSE_VAR:-$PWD/var}"
listen="${GATEHOUSE_LISTEN:-127.0.0.1:8080}"

site_file=docs/examples/site.toml
sim_control="${GATEHOUSE_SIM_CONTROL:-127.0.0.1:8091}"
# Demo badges (scripts/demo-data.sh) and one card nobody holds, presented at
# random readers every few seconds.
traffic="H10301:42:1001,H10301:42:1002,H10301:42:1003,H10301:42:1004,H10301:42:9999"

# Virtual door hardware: the controller reaches it exactly as it would reach
# real readers and I/O modules (OSDP and Modbus over TCP).
build/bin/gatehouse-bridge simulate "$site_file" --control "$sim_control" \
  --traffic "$traffic" --every "${GATEHOUSE_SIM_EVERY:-6}" </dev/null &
simulator=$!

# The controller starts the embedded cluster and keeps it running; the commands
# below reuse it, and the controller picks up each change as it is committed.
build/bin/gatehouse serve --listen "$listen" --simulated-readers &
controller=$!

stop() {
  trap - INT TERM EXIT
  echo "quickstart: stopping" >&2
  kill -INT "$controller" 2>/dev/null || true
  wait "$controller" 2>/dev/null || true
  kill -TERM "$simulator" 2>/dev/null || true
  wait "$simulator" 2>/dev/null || true
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

build/bin/gatehouse site apply "$site_file" --operator quickstart
./scripts/demo-data.sh
# The simulated readers start in install mode with the default key each run:
# let the controller give each its own key (Secure Channel KEYSET).
for reader in r-main-in r-office-in r-it-in; do
  build/bin/gatehouse reader install-mode "$reader" on --minutes 10 --operator quickstart >/dev/null
done

cat <<MSG

  Gatehouse is running on the demo site.
  Security desk:  http://$listen/
  Health:         http://$listen/healthz
  Metrics:        http://$listen/metrics

  Readers:        http://$listen/api/v1/readers   Doors: http://$listen/api/v1/doors

  The simulator badges people in every few seconds. Do it yourself:
    curl -s -X POST http://$sim_control/command -d 'present r-office-in H10301:42:1003'
    curl -s -X POST http://$sim_control/command -d 'present r-it-in H10301:42:1001 2468'
    curl -s -X POST http://$sim_control/command -d 'force office-door'
  Then:           build/bin/gatehouse alarm list; build/bin/gatehouse door events office-door

  Press Ctrl-C to stop.

MSG
wait "$controller"
