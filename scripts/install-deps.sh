#!/usr/bin/env bash
# Installs the Debian 12 packages Gatehouse needs to build, run and test.
# Idempotent: it asks dpkg what is already there and installs only what is
# missing, so a second run does nothing. Works as root or through sudo.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # controller: Boost.Asio and Beast (header-only in 1.74)
  libboost-dev libboost-system-dev
  # door I/O
  libmodbus-dev
  # database client and the server the embedded cluster runs on
  libpq-dev postgresql-15 postgresql-client-15
  # video: demux/remux without re-encoding, image work for stills
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  # crypto: AES for OSDP Secure Channel, hashing for PINs and the audit chain
  libssl-dev libsodium-dev
  # site file, API payloads, HR exports
  libtomlplusplus-dev nlohmann-json3-dev libcsv-dev
  # time zones for schedules (system tzdata)
  libhowardhinnant-date-dev tzdata
  # tests and benchmarks; clang and its runtime for the libFuzzer targets
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # scripts: health checks and test helpers
  curl procps util-linux
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if (( ${#missing[@]} == 0 )); then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
