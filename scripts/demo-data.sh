#!/usr/bin/env bash
# Loads the demo site's people and badges (idempotent: run it as often as you
# like). Uses build/bin/gatehouse and whatever database it is pointed at
# (GATEHOUSE_DB, or the embedded cluster under GATEHOUSE_VAR).
set -euo pipefail
cd "$(dirname "$0")/.."
gatehouse=build/bin/gatehouse

# The HR export; a terminated employee and an extra column are in it on purpose.
"$gatehouse" people import docs/examples/people.csv --operator demo >/dev/null

issue() {  # person card [pin]
  if ! "$gatehouse" badge show --card "$2" >/dev/null 2>&1; then
    "$gatehouse" badge issue "$1" --card "$2" --activate --operator demo --reason "demo badge" >/dev/null
    if [[ -n "${3:-}" ]]; then
      id=$("$gatehouse" badge show --card "$2" | sed -n 's/^badge \([0-9]*\) .*/\1/p')
      echo "$3" | "$gatehouse" badge pin "$id" --operator demo >/dev/null
    fi
  fi
}
issue E1001 H10301:42:1001 2468
issue E1002 H10301:42:1002 1357
issue E1003 H10301:42:1003
issue E1004 H10301:42:1004
echo "demo data: 4 people with badges (H10301 facility 42, cards 1001-1004; IT PINs 2468 and 1357)"
