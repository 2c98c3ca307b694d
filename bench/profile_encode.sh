#!/bin/bash
# Load-independent cost of one warm towel encode, for comparing two builds
# on a shared, noisy machine (wall-clock A/B runs vary by +-10% here).
#
#   bench/profile_encode.sh ENCODING FILE [BINARY]
#
# Runs crates/tokenizer/examples/prof_encode under callgrind with cache and
# branch simulation, counting only the second (warm) encode, and prints
# instructions, branch mispredictions, L1 data misses, L2 data misses and a
# rough cost estimate (Ir + 15 x mispredicts + 12 x L1 misses + 150 x L2
# misses). The last level simulated is a 1 MiB L2, not the host's L3: on
# this shared VM a random read costs ~14 ns up to 4 MiB of data but ~150 ns
# from 8 MiB on (the L3 is shared with other tenants), so a read that
# misses the L2 of a multi-megabyte table is what costs (see
# crates/tokenizer/src/bpe/table.rs). Simulated with the real L3 (32 MB),
# the tokenizer's tables never miss, which hides exactly that.
# TOWEL_PROF_LL=4194304 simulates a 4 MiB last level instead (what this VM's
# L3 gives one process), to see what tables of a few megabytes gain.
# The estimate ranks changes; the speed claims come from
# bench/tokenizer_encode.py, run side by side with the peers.
set -euo pipefail
if [ $# -lt 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  [ $# -ge 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]
  exit $?
fi
cd "$(dirname "$0")/.."
export TOWEL_DATA_DIR=${TOWEL_DATA_DIR:-$(cd .. && pwd)/shared/data}
bin=${3:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p towel-tokenizer --example prof_encode
  bin=target/release/examples/prof_encode
fi
out=$(mktemp)
valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes --LL=${TOWEL_PROF_LL:-1048576},16,64 \
  --toggle-collect='*measured_encode*' --callgrind-out-file="$out" \
  "$bin" "$1" "$2" 1 >/dev/null 2>&1
python3 - "$out" "$1" "$2" <<'PY'
import sys
ev = tot = None
for line in open(sys.argv[1]):
    if line.startswith("events:"):
        ev = line.split()[1:]
    if line.startswith(("summary:", "totals:")):
        tot = list(map(int, line.split()[1:]))
d = dict(zip(ev, tot))
mis = d.get("Bcm", 0) + d.get("Bim", 0)
l1 = d.get("D1mr", 0) + d.get("D1mw", 0)
ll = d.get("DLmr", 0) + d.get("DLmw", 0)
cost = d["Ir"] + 15 * mis + 12 * l1 + 150 * ll
print(f"{sys.argv[2]} {sys.argv[3]}: Ir {d['Ir']/1e6:.1f}M  mispredicts {mis/1e6:.2f}M  "
      f"L1 misses {l1/1e6:.3f}M  L2 misses {ll/1e6:.3f}M  cost {cost/1e6:.1f}M")
PY
rm -f "$out"
