#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs from the repository (the corpus itself is not
# committed: it grows to thousands of files while fuzzing). Safe to run again: it only adds.
#
#   scenario:     scenarios/*.toml and every tests/bad_scenarios/**/*.toml
#   set_override: one byte choosing the scenario (0 echo_2017_2021, 1 premium_5usd_2024,
#                 2 alexa_plus_2025, 3 status_quo_2022_2028, 4 tests/bad_scenarios/valid/base.toml;
#                 the byte is taken modulo 5), then one `--set` argument per line.
set -euo pipefail
cd "$(dirname "$0")"

mkdir -p corpus/scenario corpus/set_override
for f in ../scenarios/*.toml $(find ../tests/bad_scenarios -name '*.toml' | sort); do
    name=$(echo "${f#../}" | tr '/' '_')
    cp "$f" "corpus/scenario/seed_$name"
done

seed() { # seed NAME PICK LINE...
    local name=$1 pick=$2
    shift 2
    { printf "\\x$(printf %02x "$pick")"; printf '%s\n' "$@"; } > "corpus/set_override/seed_$name"
}
seed price 0 'premium.price_month=7.5'
seed device_price 0 'device.echo_dot.price=29'
seed fixed_year 0 'costs.fixed_per_year.2019=7e9'
seed conversion_dist 0 'purchase.voice_shopping.conversion={dist="beta",alpha=2,beta=300}'
seed name_text 1 'scenario.name=My run'
seed several 1 'premium.price_month=5' 'simulation.trials=3' 'adoption.potential={ dist = "pert", min = 0.3, mode = 0.4, max = 0.5 }'
seed launch 2 'premium.launch="2026-01"'
seed plan_price_year 2 'subscription.music_unlimited.price_month.2027=12.99'
seed months 3 'scenario.months=12'
seed start 3 'scenario.start="2023-06"'
seed base_mix 4 'device.dot.mix=0.5' 'device.show.mix=0.5'
seed base_show_price 4 'device.show.price.2021=60'
seed base_intents 4 'intents.timers=0.5' 'intents.music=0.48'
seed base_unknown 4 'premium.nonsense=1'
seed base_bad_value 4 'adoption.potential=1.5'
# part: real part files of small sharded jobs of every kind (needs `cargo build --release`).
mkdir -p corpus/part
bin="$(pwd)/../target/release/downstream"
if [ -x "$bin" ]; then
    tmp=$(mktemp -d)
    (cd .. && small="--households 20 --trials 4 --quiet --shard 0/2"
        "$bin" run scenarios/premium_5usd_2024.toml $small --out "$tmp/run" &&
        "$bin" sweep scenarios/premium_5usd_2024.toml --vary premium.price_month=3,6 $small --out "$tmp/sweep" &&
        "$bin" compare scenarios/status_quo_2022_2028.toml scenarios/premium_5usd_2024.toml $small --out "$tmp/compare" &&
        "$bin" sensitivity tests/fixtures/correlated.toml $small --out "$tmp/sensitivity") >/dev/null
    for kind in run sweep compare sensitivity; do
        cp "$tmp/$kind/part-0-of-2.bin" "corpus/part/seed_$kind.bin"
    done
    rm -rf "$tmp"
else
    echo "no release binary: corpus/part not seeded (cargo build --release first)"
fi
echo "corpus/scenario: $(ls corpus/scenario | wc -l) files; corpus/set_override: $(ls corpus/set_override | wc -l) files; corpus/part: $(ls corpus/part | wc -l) files"
