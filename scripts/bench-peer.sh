#!/usr/bin/env bash
# Times downstream against the NumPy benchmark peer (benches/peer/numpy_peer.py) on the same
# scenario and size, interleaved (downstream, peer, downstream, peer, ...) so that load from
# other processes hits both alike, and prints each wall time and the ratio of the medians
# (NumPy / downstream). downstream runs on one thread (--threads 1); NumPy runs as it is.
#
# Usage: scripts/bench-peer.sh [KIND] [HOUSEHOLDS] [TRIALS] [ROUNDS]
#   KIND: baseline (default), premium_5usd or order_heavy (the baseline with
#         purchase.voice_shopping.conversion=0.9, as in benches/engine.rs)
#   defaults: 20000 households, 4 trials, 3 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-baseline}
households=${2:-20000}
trials=${3:-4}
rounds=${4:-3}
case "$kind" in
  baseline) scenario=scenarios/echo_2017_2021.toml; set=() ;;
  premium_5usd) scenario=scenarios/premium_5usd_2024.toml; set=() ;;
  order_heavy) scenario=scenarios/echo_2017_2021.toml; set=(--set purchase.voice_shopping.conversion=0.9) ;;
  *) echo "unknown kind $kind (baseline, premium_5usd, order_heavy)" >&2; exit 2 ;;
esac
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install --quiet numpy
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
now() { date +%s.%N; }
ds=() np=()
for r in $(seq "$rounds"); do
  t0=$(now)
  target/release/downstream run "$scenario" "${set[@]}" --households "$households" \
    --trials "$trials" --threads 1 --quiet --out "$out/run-$r" >/dev/null
  t1=$(now)
  python3 benches/peer/numpy_peer.py "$scenario" "${set[@]}" --households "$households" \
    --trials "$trials" >/dev/null 2>&1
  t2=$(now)
  ds+=("$(echo "$t1 - $t0" | bc -l)")
  np+=("$(echo "$t2 - $t1" | bc -l)")
  printf 'round %d: downstream %.2f s, numpy %.2f s\n' "$r" "${ds[-1]}" "${np[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
md=$(median "${ds[@]}")
mn=$(median "${np[@]}")
printf '%s, %s households x %s trials, %s rounds: median downstream %.2f s (1 thread), numpy %.2f s, numpy/downstream %.1fx\n' \
  "$kind" "$households" "$trials" "$rounds" "$md" "$mn" "$(echo "$mn / $md" | bc -l)"
