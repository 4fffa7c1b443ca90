#!/usr/bin/env python3
"""Whole runs of two downstream binaries, run alternately: the CPU time (user + system) of
`run SCENARIO --households 1000000 --trials 4 --threads 1 --quiet` per scenario kind,
medians over the pairs, ns per active household-month (the active household-months are
read from each run's monthly.csv), and the median and range of the pairs' ratios NEW / OLD.

Usage: scripts/bench-pairs.py OLD_BINARY NEW_BINARY [PAIRS=5] [KINDS=base,prem,oh,sq,ap]
  base: scenarios/echo_2017_2021.toml      prem: scenarios/premium_5usd_2024.toml
  oh:   the baseline with purchase.voice_shopping.conversion=0.9 (order-heavy)
  sq:   scenarios/status_quo_2022_2028.toml ap: scenarios/alexa_plus_2025.toml
Output folders go to a temporary directory, removed at the end."""
import csv, os, re, resource, shutil, statistics, subprocess, sys, tempfile, time
OLD, NEW = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PAIRS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
KINDS = sys.argv[4].split(',') if len(sys.argv) > 4 else ['base', 'prem', 'oh', 'sq', 'ap']
ARGS = {
    'base': ['scenarios/echo_2017_2021.toml'],
    'prem': ['scenarios/premium_5usd_2024.toml'],
    'oh': ['scenarios/echo_2017_2021.toml', '--set', 'purchase.voice_shopping.conversion=0.9'],
    'sq': ['scenarios/status_quo_2022_2028.toml'],
    'ap': ['scenarios/alexa_plus_2025.toml'],
}
H, T = 1_000_000, 4
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
TMP = tempfile.mkdtemp()
def active(out):
    t = open(out + '/scenario.resolved.toml').read()
    pop = float(re.search(r'\[market\]\s*\nhouseholds\s*=\s*([0-9.e+]+)', t).group(1))
    rows = list(csv.DictReader(open(out + '/monthly.csv')))
    a = sum(float(r['mean']) for r in rows if r['metric'] == 'active_households') * T * H / pop
    o = sum(float(r['mean']) for r in rows if r['metric'].startswith('orders_')) * T * H / pop
    return a, o
def cpu(binary, kind, out):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([binary, 'run', *ARGS[kind], '--households', str(H), '--trials', str(T),
                    '--threads', '1', '--quiet', '--out', out], check=True, stdout=subprocess.DEVNULL)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(f"start {time.strftime('%H:%M:%S', time.gmtime())} UTC, load {open('/proc/loadavg').read().split()[:3]}")
for kind in KINDS:
    t_old, t_new = [], []
    for i in range(PAIRS):
        t_old.append(cpu(OLD, kind, f'{TMP}/old-{kind}'))
        t_new.append(cpu(NEW, kind, f'{TMP}/new-{kind}'))
    (ao, oo), (an, on) = active(f'{TMP}/old-{kind}'), active(f'{TMP}/new-{kind}')
    mo, mn = statistics.median(t_old), statistics.median(t_new)
    ratios = sorted(n / o for n, o in zip(t_new, t_old))
    print(f"{kind}: old {mo:.3f} s [{min(t_old):.3f}, {max(t_old):.3f}] ({1e9*mo/ao:.1f} ns per active hh-month, {ao/1e6:.2f} M, {oo/ao:.2f} orders/active), "
          f"new {mn:.3f} s [{min(t_new):.3f}, {max(t_new):.3f}] ({1e9*mn/an:.1f} ns, {an/1e6:.2f} M, {on/an:.2f} orders/active); "
          f"new/old median of pair ratios {statistics.median(ratios):.3f} [{ratios[0]:.3f}, {ratios[-1]:.3f}]")
print(f"end {time.strftime('%H:%M:%S', time.gmtime())} UTC, load {open('/proc/loadavg').read().split()[:3]}")
shutil.rmtree(TMP)
