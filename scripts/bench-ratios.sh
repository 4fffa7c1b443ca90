#!/usr/bin/env bash
# Wall-time ratios of the analyses to one plain run of the same scenario, measured back to
# back and interleaved, so that load from other work on the machine falls on both sides.
#
# Each round times, in a rotating order: `run`, `sensitivity --by year` (given data, the
# default), `sensitivity --by year --method swing`, a 20-point sweep of a money-only
# parameter (`device.echo_dot.price`, read only when a trial is finalised) and a 20-point
# sweep of the premium price. A ratio is the analysis' time over the run's in the same
# round; the script prints every round's times and, per analysis, the median, min and max
# of its ratio, with its target (given data <= 1.5x, money-only sweep <= 1.3x, price sweep
# <= 5x; swing has none).
#
# Usage: scripts/bench-ratios.sh [--quick] [--rounds N] [--households N] [--trials N]
#                                [--threads N] [--scenario FILE] [--skip-swing]
#   (no size options)  the scenario's own [simulation] size (full size)
#   --quick            20,000 households x 100 trials (a check in about a minute or two)
#   --rounds N         alternations (default 3, at least 3)
#   --skip-swing       leave out the swing (the slowest by far)
#
# Builds nothing: it times target/release/downstream (or $DOWNSTREAM); build it first with
# `cargo build --release`. Output folders go to a temporary directory, removed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
bin=${DOWNSTREAM:-target/release/downstream}
scenario=scenarios/premium_5usd_2024.toml
rounds=3
size=()
threads=()
swing=1
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) size=(--households 20000 --trials 100) ;;
    --rounds) rounds=$2; shift ;;
    --households) size+=(--households "$2"); shift ;;
    --trials) size+=(--trials "$2"); shift ;;
    --threads) threads=(--threads "$2"); shift ;;
    --scenario) scenario=$2; shift ;;
    --skip-swing) swing=0 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-ratios.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$rounds" -lt 3 ]; then
    echo "bench-ratios.sh: --rounds $rounds: at least 3 alternations" >&2
    exit 2
fi
if [ ! -x "$bin" ]; then
    echo "bench-ratios.sh: $bin not found; run cargo build --release first" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

names=(run given_data sweep_money sweep_price)
[ "$swing" = 1 ] && names+=(swing)
args_of() {
    case "$1" in
    run) echo "run $scenario" ;;
    given_data) echo "sensitivity $scenario --by year" ;;
    swing) echo "sensitivity $scenario --by year --method swing" ;;
    sweep_money) echo "sweep $scenario --vary device.echo_dot.price=20:39:1" ;;
    sweep_price) echo "sweep $scenario --vary premium.price_month=1:20:1" ;;
    esac
}

# Seconds (to the millisecond) of one command.
time_one() {
    local name=$1 start end
    # shellcheck disable=SC2046
    start=$(date +%s%N)
    "$bin" $(args_of "$name") "${size[@]}" "${threads[@]}" --quiet --force \
        --out "$tmp/$name" >/dev/null
    end=$(date +%s%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

echo "downstream $("$bin" --version | awk '{print $2}') at $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
shown_size=${size[*]:-"its own [simulation] size"}
echo "scenario $scenario, $shown_size ${threads[*]}; $rounds rounds"
for name in "${names[@]}"; do
    echo "  $name: downstream $(args_of "$name") ${size[*]} ${threads[*]} --quiet"
done

declare -A ratios
n=${#names[@]}
for ((r = 0; r < rounds; r++)); do
    declare -A secs=()
    line="round $((r + 1)):"
    # Rotate the order each round, so no command always runs first or after another.
    for ((i = 0; i < n; i++)); do
        name=${names[$(((i + r) % n))]}
        secs[$name]=$(time_one "$name")
    done
    for name in "${names[@]}"; do
        line+=" $name ${secs[$name]}s"
    done
    echo "$line"
    for name in "${names[@]}"; do
        [ "$name" = run ] && continue
        ratios[$name]+="$(awk -v a="${secs[$name]}" -v b="${secs[run]}" 'BEGIN { printf "%.3f", a / b }') "
    done
    unset secs
done

echo "ratio to the run of the same round (median [min, max] over $rounds rounds):"
for name in "${names[@]}"; do
    [ "$name" = run ] && continue
    case "$name" in
    given_data) target="target <= 1.5" ;;
    sweep_money) target="target <= 1.3" ;;
    sweep_price) target="target <= 5" ;;
    *) target="no target" ;;
    esac
    echo "${ratios[$name]}" | tr ' ' '\n' | grep . | sort -g | awk -v name="$name" -v target="$target" '
        { x[NR] = $1 }
        END {
            m = (NR % 2) ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
            printf "  %-12s %6.2fx  [%.2f, %.2f]  (%s)\n", name, m, x[1], x[NR], target
        }'
done
