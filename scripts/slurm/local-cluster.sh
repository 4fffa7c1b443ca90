#!/usr/bin/env bash
# A real, throw-away Slurm cluster on this one host: munged, slurmctld and two slurmd nodes
# (n1, n2, one CPU each), everything (config, state, spool, logs, pid files, munge socket)
# under one folder. For tests and for trying the scripts in scripts/slurm/ without a cluster.
#
#   scripts/slurm/local-cluster.sh start DIR   # prints the environment to use, e.g.
#                                              #   export SLURM_CONF=DIR/slurm.conf
#   eval "$(scripts/slurm/local-cluster.sh start /tmp/slurm)"
#   sinfo; sbatch ...; squeue
#   scripts/slurm/local-cluster.sh stop DIR    # stops every daemon it started (and any job
#                                              # still running) and waits until none is left
#
# Needs root and Debian's packages `slurmctld slurmd slurm-client munge` (Slurm 22.05 is
# built with multiple-slurmd support, so two slurmd share the host). Nothing is written to
# /etc/slurm or /run/munge: the cluster has its own munged (socket DIR/munge/munge.socket.2,
# key DIR/munge/munge.key) and SLURM_CONF points every Slurm command at DIR/slurm.conf.
# Choices that make Slurm work in a container without systemd or cgroups (see
# shared/notes/slurm-local.md): proctrack/linuxproc, task/none, no accounting,
# batch_sched_delay=0, MailProg=/bin/true, SlurmctldHost=$(hostname -s)(127.0.0.1).
#
# Ports: slurmctld on $SLURM_LOCAL_PORT (default 16817), nodes on $SLURM_LOCAL_PORT+1 and +2.
# If starting fails, whatever was started is stopped again and the logs are shown.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2" 2>/dev/null || true
dir=$(cd "$2" 2>/dev/null && pwd) || {
    echo "local-cluster: cannot use folder $2" >&2
    exit 2
}
conf=$dir/slurm.conf
export SLURM_CONF=$conf
export PATH="$PATH:/usr/sbin:/sbin"

log() { echo "local-cluster: $*" >&2; }

# pid file -> the program name it must belong to (guards against a reused pid).
daemons() {
    echo "$dir/run/slurmctld.pid slurmctld"
    echo "$dir/run/slurmd.n1.pid slurmd"
    echo "$dir/run/slurmd.n2.pid slurmd"
    echo "$dir/munge/munged.pid munged"
}

# The pid in a pid file if that process is alive and is the named program.
live_pid() {
    local file=$1 name=$2 pid exe
    [ -s "$file" ] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    case "$(basename "${exe% (deleted)}")" in
        "$name" | "$name"-wlm) echo "$pid" ;;
        *) return 1 ;;
    esac
}

# Job steps of this cluster (slurmstepd and the jobs under it): processes whose
# environment holds SLURM_CONF=$conf, other than this script and its ancestors.
cluster_job_pids() {
    local p self_chain="" q=$$
    while [ -n "$q" ] && [ "$q" != 0 ] && [ "$q" != 1 ]; do
        self_chain="$self_chain $q "
        q=$(awk '/^PPid:/ {print $2}' "/proc/$q/status" 2>/dev/null || true)
    done
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        case "$self_chain" in *" $p "*) continue ;; esac
        if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$conf"; then
            case "$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)" in
                slurmstepd* | /usr/sbin/slurmstepd*) echo "$p" ;;
            esac
        fi
    done
}

stop() {
    local pids=() file name pid i
    # Cancel jobs first (slurmstepd outlives slurmd), while the controller still answers.
    if [ -f "$conf" ] && live_pid "$dir/run/slurmctld.pid" slurmctld >/dev/null; then
        local jobs
        jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
        if [ -n "${jobs// /}" ]; then
            # shellcheck disable=SC2086
            timeout 10 scancel $jobs 2>/dev/null || true
            for i in $(seq 1 50); do
                [ -z "$(timeout 5 squeue -h -o %A 2>/dev/null || true)" ] && break
                sleep 0.2
            done
        fi
    fi
    # All daemons at once (slurmctld alone takes ~3.5 s to exit), then wait for them.
    while read -r file name; do
        if pid=$(live_pid "$file" "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done < <(daemons)
    for pid in $(cluster_job_pids); do
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
    done
    for i in $(seq 1 100); do # up to 20 s
        local alive=()
        for pid in "${pids[@]}"; do
            [ -d "/proc/$pid" ] && [ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ] && alive+=("$pid")
        done
        pids=("${alive[@]}")
        [ ${#pids[@]} -eq 0 ] && break
        [ "$i" -eq 75 ] && kill -KILL "${pids[@]}" 2>/dev/null || true
        sleep 0.2
    done
    if [ ${#pids[@]} -gt 0 ]; then
        log "processes still running after stop: ${pids[*]}"
        return 1
    fi
    return 0
}

show_logs() {
    local f
    for f in "$dir"/log/*.log "$dir"/munge/munged.log; do
        [ -f "$f" ] || continue
        echo "---- $f (last lines)" >&2
        tail -n 15 "$f" >&2
    done
}

start() {
    local host munge_user port n1port n2port bin p i state
    for bin in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
        command -v "$bin" >/dev/null || {
            log "$bin is not installed (apt-get install slurmctld slurmd slurm-client munge)"
            exit 3
        }
    done
    [ "$(id -u)" -eq 0 ] || {
        log "needs root (slurmd runs jobs as their user; munged runs as the munge user)"
        exit 3
    }
    if live_pid "$dir/run/slurmctld.pid" slurmctld >/dev/null; then
        log "a cluster is already running in $dir; stop it first"
        exit 1
    fi
    host=$(hostname -s)
    munge_user=munge
    id "$munge_user" >/dev/null 2>&1 || munge_user=root
    port=${SLURM_LOCAL_PORT:-16817}
    n1port=$((port + 1))
    n2port=$((port + 2))
    for p in "$port" "$n1port" "$n2port"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            log "port $p is in use; set SLURM_LOCAL_PORT to another base port"
            exit 1
        fi
    done

    rm -rf "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge"
    mkdir -p "$dir/state" "$dir/spool/slurmd.n1" "$dir/spool/slurmd.n2" "$dir/run" "$dir/log" "$dir/munge"
    # munged (not root) must reach its folder: the path must be traversable and not
    # writable by others.
    chmod 755 "$dir"
    chown "$munge_user:" "$dir/munge" 2>/dev/null || true
    chmod 711 "$dir/munge"
    if [ -r /etc/munge/munge.key ]; then
        cp /etc/munge/munge.key "$dir/munge/munge.key"
    else
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    fi
    chown "$munge_user:" "$dir/munge/munge.key" 2>/dev/null || true
    chmod 400 "$dir/munge/munge.key"

    cat >"$conf" <<EOF
# Generated by scripts/slurm/local-cluster.sh: a single-host test cluster.
ClusterName=downstream-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket.2
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd.%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.%n.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MailProg=/bin/true
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=$n1port CPUs=1 State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=$n2port CPUs=1 State=UNKNOWN
PartitionName=local Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
EOF

    trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed; stopping what was started"; show_logs; stop || true; fi; exit $rc' EXIT

    runuser -u "$munge_user" -- munged \
        --socket="$dir/munge/munge.socket.2" \
        --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" \
        --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" ||
        { log "munged did not start"; exit 1; }
    slurmctld -i || { log "slurmctld did not start"; exit 1; }
    slurmd -N n1 || { log "slurmd n1 did not start"; exit 1; }
    slurmd -N n2 || { log "slurmd n2 did not start"; exit 1; }

    # Ready when both nodes are idle (up to 30 s).
    for i in $(seq 1 150); do
        state=$(timeout 5 sinfo -h -N -o '%N %t' 2>/dev/null | sort | tr '\n' ' ' || true)
        [ "$state" = "n1 idle n2 idle " ] && break
        if [ "$i" -eq 150 ]; then
            log "nodes not ready after 30 s: ${state:-controller not answering}"
            exit 1
        fi
        sleep 0.2
    done
    trap - EXIT
    log "cluster up in $dir (nodes n1, n2; logs in $dir/log)"
    echo "export SLURM_CONF=$conf"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
