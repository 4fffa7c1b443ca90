#!/usr/bin/env python3
"""Benchmark peer: the household model written as an analyst would, in vectorised NumPy.

This is NOT a test oracle. It exists so that `scripts/bench-peer.sh` can time downstream
against an independent, straightforward implementation of the same model on the same
scenario and size. It follows the model as the project's docs describe it (README and
docs/scenario-format.md): per trial, draw the uncertain parameters; per household, draw the
adoption month (inverse Bass CDF), the lifetime (geometric), activity (Gamma), intent mix
(Dirichlet), spend (lognormal), plans, Prime and willingness to pay; then loop over months
with every active household in one array: interactions Poisson(lambda * novelty * D * mix)
per intent, orders Binomial(interactions, conversion) per channel, one lognormal value per
order, later device units Poisson(extra / 12), premium consideration and churn. It prints
per-trial means of a few totals so a reader can see it does the same work; prices, costs
and the P&L (a few operations per month) are left out.

Usage: numpy_peer.py SCENARIO.toml [--households N] [--trials T] [--seed S]
                     [--set purchase.NAME.conversion=VALUE]
Only the distributions and keys the shipped baseline and $5-tier scenarios use are read.
"""
import argparse
import sys
import time
import tomllib

import numpy as np

D = 30.4375


def draw(rng, spec):
    """One draw of an uncertain value (a number, or a {dist = ...} table)."""
    if isinstance(spec, (int, float)):
        return float(spec)
    d = spec["dist"]
    if d == "uniform":
        return rng.uniform(spec["min"], spec["max"])
    if d == "pert":
        lo, mo, hi = spec["min"], spec["mode"], spec["max"]
        a = 1 + 4 * (mo - lo) / (hi - lo)
        b = 1 + 4 * (hi - mo) / (hi - lo)
        return lo + (hi - lo) * rng.beta(a, b)
    if d == "beta":
        return rng.beta(spec["alpha"], spec["beta"])
    if d == "normal":
        return rng.normal(spec["mean"], spec["sd"])
    if d == "lognormal":
        return rng.lognormal(np.log(spec["median"]), spec["sigma"])
    if d == "triangular":
        return rng.triangular(spec["min"], spec["mode"], spec["max"])
    if d == "metalog":
        # Not needed for the benchmarked scenarios: its median stands in.
        return float(spec.get("p50", spec.get("quantiles", [0.0])[len(spec.get("quantiles", [0.0])) // 2]))
    raise SystemExit(f"numpy_peer: unsupported distribution {d!r}")


def monthly(p_year):
    return 1.0 if p_year >= 1 else 1 - (1 - p_year) ** (1 / 12)


def trial(sc, n, rng):
    sim_months = sc["scenario"]["months"]
    start_year, start_month = map(int, sc["scenario"]["start"].split("-"))
    ad, us = sc["adoption"], sc["usage"]
    inst, pot = draw(rng, ad["installed_share"]), draw(rng, ad["potential"])
    p, q = draw(rng, ad["innovation"]), draw(rng, ad["imitation"])
    extra_at_adoption = draw(rng, ad["devices_at_adoption"]) - 1
    extra_rate = draw(rng, ad["extra_devices_per_year"]) / 12
    abandon = monthly(draw(rng, ad["abandon_per_year"]))
    lam_mean = draw(rng, us["interactions_per_day"])
    shape = draw(rng, us["activity_shape"]) if "activity_shape" in us else None
    boost = draw(rng, us.get("novelty_boost", 0.0))
    decay = draw(rng, us.get("novelty_decay_months", 1.0))
    conc = draw(rng, us["mix_concentration"]) if "mix_concentration" in us else None
    names = list(sc["intents"])
    pi = np.array([float(sc["intents"][k]) for k in names])
    purchases = [
        (names.index(pu["intent"]), draw(rng, pu["conversion"]),
         np.log(draw(rng, pu["order_value"])), draw(rng, pu.get("order_value_sigma", 0.0)))
        for pu in sc.get("purchase", [])
    ]
    plans = [(draw(rng, s["attach"]), monthly(draw(rng, s["churn_per_year"])))
             for s in sc.get("subscription", [])]
    pm = sc.get("premium")
    if pm:
        launch_y, launch_m = map(int, pm["launch"].split("-"))
        launch = (launch_y - start_year) * 12 + launch_m - start_month
        price = draw(rng, pm["price_month"])
        wtp_med, wtp_sig = draw(rng, pm["wtp_median"]), draw(rng, pm["wtp_sigma"])
        elast = draw(rng, pm.get("wtp_activity_elasticity", 0.0))
        consider = draw(rng, pm["consider_per_month"])
        churn = monthly(draw(rng, pm["churn_per_year"]))
        usage_up = draw(rng, pm.get("usage_uplift", 1.0))
        conv_up = draw(rng, pm.get("conversion_uplift", 1.0))
        prime_share = float(sc["market"].get("prime_share", 0.0))

    # Per household, once.
    u = rng.random(n)
    installed = u < inst
    y = (u - inst) / (1 - inst)
    adopts = installed | (y < pot)
    z = np.clip(y / pot, 0, 1 - 1e-16)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_years = -np.log((1 - z) / (1 + (q / p) * z)) / (p + q)
    start = np.where(installed, 0, np.floor(12 * np.nan_to_num(t_years, nan=1e9)))
    adopts &= start < sim_months
    start = start.astype(np.int64)
    end = np.minimum(start + rng.geometric(abandon, n), sim_months)
    tenure0 = np.where(installed, 12, 0)
    lam = rng.gamma(shape, lam_mean / shape, n) if shape else np.full(n, lam_mean)
    mix = rng.dirichlet(conc * pi, n) if conc else np.tile(pi, (n, 1))
    if "ecosystem" in sc:
        e = sc["ecosystem"]
        sig = draw(rng, e["spend_sigma"])
        spend = rng.lognormal(np.log(draw(rng, e["spend_per_year"])) - sig * sig / 2, sig, n)
    plan_stop = [np.where(rng.random(n) < a, np.minimum(start + rng.geometric(c, n), end), start)
                 for a, c in plans]
    units = np.where(adopts & ~installed, 1 + rng.poisson(extra_at_adoption, n), 0).sum()
    if pm:
        prime = rng.random(n) < prime_share
        wtp = wtp_med * (lam / lam_mean) ** elast * np.exp(wtp_sig * rng.standard_normal(n))
        accepts = (wtp >= price) | (prime & bool(pm.get("included_with_prime", False)))
        subscribed = np.zeros(n, dtype=bool)

    totals = dict(interactions=0.0, orders=0.0, gmv=0.0, units=float(units),
                  active_months=0.0, premium_months=0.0, spend=0.0, plan_months=0.0)
    for m in range(sim_months):
        act = np.nonzero(adopts & (start <= m) & (m < end))[0]
        if act.size == 0:
            continue
        t = tenure0[act] + m - start[act]
        lam_m = lam[act] * (1 + boost * np.exp(-t / decay))
        sub = np.zeros(act.size, dtype=bool)
        if pm and m >= launch:
            s = subscribed[act]
            new = ~s & accepts[act] & (rng.random(act.size) < consider)
            s |= new
            sub = s
            lam_m = np.where(sub, lam_m * usage_up, lam_m)
        counts = rng.poisson(lam_m[:, None] * D * mix[act])
        totals["interactions"] += counts.sum()
        for k, conv, mu, sigma in purchases:
            c = np.where(sub, min(1.0, conv * conv_up), conv) if pm else conv
            o = rng.binomial(counts[:, k], c)
            no = int(o.sum())
            totals["orders"] += no
            totals["gmv"] += rng.lognormal(mu, sigma, no).sum()
        totals["units"] += rng.poisson(extra_rate, act.size).sum()
        totals["active_months"] += act.size
        if "ecosystem" in sc:
            totals["spend"] += spend[act].sum() / 12
        for stop in plan_stop:
            totals["plan_months"] += int((m < stop[act]).sum())
        if pm and m >= launch:
            totals["premium_months"] += int(sub.sum())
            subscribed[act] = sub & ~(rng.random(act.size) < churn)
    return totals


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--households", type=int)
    ap.add_argument("--trials", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    with open(a.scenario, "rb") as f:
        sc = tomllib.load(f)
    for kv in a.set:
        key, value = kv.split("=", 1)
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "purchase":
            raise SystemExit(f"numpy_peer: --set supports purchase.NAME.KEY=NUMBER, not {kv!r}")
        for pu in sc["purchase"]:
            if pu["name"] == parts[1]:
                pu[parts[2]] = float(value)
    n = a.households or sc["simulation"]["households"]
    trials = a.trials or sc["simulation"]["trials"]
    rng = np.random.default_rng(a.seed)
    began = time.perf_counter()
    results = [trial(sc, n, rng) for _ in range(trials)]
    wall = time.perf_counter() - began
    for key in results[0]:
        print(f"{key},{np.mean([r[key] for r in results]):.6g}")
    print(f"wall_seconds,{wall:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
