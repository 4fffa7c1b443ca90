#!/usr/bin/env bash
# Submits a sharded downstream job to Slurm: an array job of N tasks (one shard each,
# downstream-array.sbatch) and a merge job (downstream-merge.sbatch) that starts only if
# every task succeeded (--dependency=afterok, and is cancelled otherwise).
#
#   scripts/slurm/submit.sh N PARTS_DIR OUT_DIR -- <downstream command args>
#
#   scripts/slurm/submit.sh 7 results/parts results/sweep -- \
#       sweep scenarios/premium_5usd_2024.toml --vary premium.price_month=1:25:1
#
# The command args are those of `downstream run|sweep|compare` without --out (the parts
# go to PARTS_DIR) and without --shard/--shard-count (Slurm's array variables give them).
# Prints the job ids on stdout as ARRAY_JOB=<id> and MERGE_JOB=<id>, and what to watch on
# stderr. The job logs (slurm-downstream-JOB_TASK.out, slurm-downstream-merge-JOB.out)
# land in the current folder, where the jobs also run: relative paths in the arguments
# are taken from here.
#
# Environment:
#   DOWNSTREAM   the binary (default: `downstream` on PATH, else ./target/release/downstream);
#                resolved to an absolute path here, so every task runs the same binary
#   SBATCH_OPTS  extra sbatch options for both jobs, split on spaces, e.g.
#                "--partition=long --account=myproj --cpus-per-task=8 --time=8:00:00"
#   DOWNSTREAM_FAIL_TASK  testing only: that array task exits 1 (see downstream-array.sbatch)
set -euo pipefail

usage() {
    echo "usage: $0 N PARTS_DIR OUT_DIR -- <downstream run|sweep|compare args>" >&2
    echo "  e.g. $0 7 results/parts results/sweep -- sweep scenarios/premium_5usd_2024.toml --vary premium.price_month=1:25:1" >&2
    exit 2
}
die() {
    echo "submit: $*" >&2
    exit 2
}

[ $# -ge 4 ] || usage
n=$1
parts=$2
out=$3
[ "$4" = "--" ] || usage
shift 4
[ $# -ge 1 ] || usage
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N=$n: expected the number of tasks, a whole number >= 1"
for a in "$@"; do
    case "$a" in
        --out | --out=*) die "do not pass --out after --: the parts go to PARTS_DIR ($parts)" ;;
        --shard | --shard=* | --shard-count | --shard-count=*) die "do not pass $a: each array task takes its shard from Slurm" ;;
    esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in sbatch scancel; do
    command -v "$tool" >/dev/null || die "$tool not found: run this on a Slurm login node"
done

# The binary, as an absolute path for every task.
bin=${DOWNSTREAM:-}
if [ -z "$bin" ]; then
    if command -v downstream >/dev/null 2>&1; then
        bin=downstream
    elif [ -x ./target/release/downstream ]; then
        bin=./target/release/downstream
    else
        die "no downstream binary: set DOWNSTREAM=/path/to/downstream, put it on PATH or run cargo build --release"
    fi
fi
case "$bin" in
    */*) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;;
    *) bin=$(command -v "$bin") || die "DOWNSTREAM=$bin: not found on PATH" ;;
esac
[ -x "$bin" ] || die "$bin is not an executable"
export DOWNSTREAM=$bin

# Fresh folders: stale parts would be merged with the new ones (and refused).
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -e "$out/.downstream-output" ]; then
    die "$out is not empty and holds no downstream results: the merge would refuse it; choose another OUT_DIR"
fi
mkdir -p "$parts"
parts=$(cd "$parts" && pwd)
shopt -s nullglob
stale=("$parts"/part-*.bin)
[ ${#stale[@]} -eq 0 ] || die "$parts already holds part files (${stale[0]##*/} ...): remove them or choose another PARTS_DIR"

# shellcheck disable=SC2206
extra=(${SBATCH_OPTS:-})

array_job=$(sbatch --parsable --array=0-$((n - 1)) "${extra[@]}" \
    "$here/downstream-array.sbatch" "$@" --out "$parts")
array_job=${array_job%%;*}
[[ "$array_job" =~ ^[0-9]+$ ]] || die "unexpected answer from sbatch: $array_job"

if ! merge_job=$(sbatch --parsable --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
    "${extra[@]}" "$here/downstream-merge.sbatch" "$parts" "$out"); then
    scancel "$array_job" || true
    die "submitting the merge job failed; cancelled array job $array_job"
fi
merge_job=${merge_job%%;*}

echo "submit: array job $array_job ($n tasks) writes $parts/part-I-of-$n.bin;" \
    "merge job $merge_job writes $out when all tasks succeed (cancelled otherwise)." \
    "Watch with: squeue -j $array_job,$merge_job" >&2
echo "ARRAY_JOB=$array_job"
echo "MERGE_JOB=$merge_job"
