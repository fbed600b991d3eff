#!/bin/sh
# Re-run the lab checker (scripts/lab/expect.cjs) over a sample's own capture,
# without a lab run: rewrites samples/SCENARIO/EXPECTED.json from the capture
# in the sample and what scripts/lab.sh kept of the run in its log folder
# (LOGS/SCENARIO.flows.tsv and LOGS/SCENARIO.clients/: the flow table and
# each client's stderr and output). For a change of the checker itself.
#
#   sh scripts/lab/recheck.sh SCENARIO...      (LOGS: NATLENS_LAB_LOGS, default /tmp/natlens-lab-logs)
#
# Only samples that are the collector bundle the checker read (layout
# natlens-collect, not -sos/-scc, not rootless) and have no UDP flow (the
# echo servers' peer logs are not kept) can be rechecked; others are refused.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LOGS=${NATLENS_LAB_LOGS:-/tmp/natlens-lab-logs}
[ $# -gt 0 ] || { echo "usage: sh scripts/lab/recheck.sh SCENARIO..." >&2; exit 2; }
for SCEN in "$@"; do
  dest="$REPO/samples/$SCEN"
  flows="$LOGS/$SCEN.flows.tsv"
  [ -f "$dest/EXPECTED.json" ] || { echo "recheck: $dest/EXPECTED.json: no such sample" >&2; exit 1; }
  [ -f "$flows" ] && [ -d "$LOGS/$SCEN.clients" ] || { echo "recheck: $SCEN: no $flows or $LOGS/$SCEN.clients (kept by scripts/lab.sh)" >&2; exit 1; }
  case "$SCEN" in *-sos|*-scc|lab-rootless-*) echo "recheck: $SCEN: the sample is not the bundle the checker read" >&2; exit 1 ;; esac
  if awk '$2 == "udp" { found = 1 } END { exit !found }' "$flows"; then
    echo "recheck: $SCEN: UDP flows need the echo servers' peer logs, which are not kept" >&2; exit 1
  fi
  proxy=$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).userlandProxy))' "$dest/EXPECTED.json")
  tmp=$(mktemp -d)
  # the same tables scripts/lab.sh writes for the checker
  for f in "$LOGS/$SCEN.clients"/*.err; do
    [ -e "$f" ] || continue
    id=$(basename "$f" .err); printf '%s\t%s\n' "$id" "$(tr '\n' ' ' <"$f")"
  done >"$tmp/clients.tsv"
  for f in "$LOGS/$SCEN.clients"/*.out; do
    [ -e "$f" ] || continue
    id=$(basename "$f" .out); printf '%s\t%s\n' "$id" "$(head -c 200 "$f" | tr '\n' ' ')"
  done >"$tmp/clients-out.tsv"
  : >"$tmp/peers.tsv"
  rc=0
  node "$HERE/expect.cjs" --scenario "$SCEN" --proxy "$proxy" --flows "$flows" --bundle "$dest" \
    --clients "$tmp/clients.tsv" --clients-out "$tmp/clients-out.tsv" --peers "$tmp/peers.tsv" --out "$tmp/EXPECTED.json" || rc=$?
  if [ "$rc" -ne 0 ]; then echo "recheck: $SCEN: the checker reported mismatches (exit $rc); EXPECTED.json left as it was" >&2; rm -rf "$tmp"; exit 1; fi
  mv "$tmp/EXPECTED.json" "$dest/EXPECTED.json"
  rm -rf "$tmp"
  echo "recheck: wrote $dest/EXPECTED.json" >&2
done
