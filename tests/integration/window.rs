//! Reporting over part of the horizon (a comparison of scenarios with different horizons
//! compares their common months): the reported figures are exactly the full run's figures
//! of those months, the scenario is still simulated from its own start, and `compare`
//! reports each scenario over the months all of them simulate.
//!
//! The engine checks are exact (bit for bit, or to 1e-12 relative where a sum is
//! regrouped): reporting a window changes no random draw, only which months are counted.

use downstream::engine::{Engine, Kind, RunResult};
use downstream::scenario::{Override, Scenario, YearMonth};

use crate::common::{downstream, fresh_dir, ok};

const REL: f64 = 1e-12;

fn scenario(window: Option<(&str, u32)>) -> Scenario {
    let path = "scenarios/echo_2017_2021.toml";
    let text = std::fs::read_to_string(crate::common::root().join(path)).unwrap();
    let sets: Vec<Override> = [
        "simulation.households=3000",
        "simulation.trials=3",
        "finance.discount_rate=0.08",
    ]
    .iter()
    .map(|s| Override::parse(s).unwrap())
    .collect();
    let mut s = Scenario::parse(path, &text, &sets).unwrap();
    if let Some((start, months)) = window {
        s.report_over(YearMonth::parse(start).unwrap(), months)
            .unwrap();
    }
    s
}

fn run(s: &Scenario) -> RunResult {
    Engine::new(s).run(0..s.simulation().trials, &mut |_| {})
}

/// The full run and the run reporting `window`.
fn full_and(window: (&str, u32)) -> (RunResult, RunResult) {
    (run(&scenario(None)), run(&scenario(Some(window))))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL * a.abs().max(b.abs()).max(1.0)
}

/// One calendar year of a five-year horizon (2019 of 2017–2021): the window's months,
/// year, totals (buyers included), NPV and breakeven month are the full run's 2019.
#[test]
fn a_reported_year_is_the_full_runs_year() {
    let (full, one) = full_and(("2019-01", 12));
    let l = &full.layout;
    let n = l.len();
    assert_eq!(one.layout.len(), n);
    for (f, w) in full.trials.iter().zip(&one.trials) {
        // The same draws: reporting a window changes nothing simulated.
        assert_eq!(f.draws, w.draws);
        assert_eq!(w.monthly.len(), 12 * n);
        assert_eq!(w.monthly[..], f.monthly[24 * n..36 * n]);
        assert_eq!(w.yearly.len(), n);
        assert_eq!(w.yearly[..], f.yearly[2 * n..3 * n]);
        // Horizon values: flows summed and stocks at the last month, buyers counted once
        // per household over the window: here exactly the year's.
        for (j, def) in l.defs.iter().enumerate() {
            assert_eq!(w.scalars[j], f.yearly[2 * n + j], "{}", def.name);
        }
        // NPVs discount to the window's first month.
        let mut slot = n;
        for (j, def) in l.defs.iter().enumerate() {
            if !def.money() {
                continue;
            }
            let npv: f64 = (0..12)
                .map(|k| w.monthly[k * n + j] * 1.08f64.powf(-(k as f64) / 12.0))
                .sum();
            assert!(close(w.scalars[slot], npv), "npv_{}", def.name);
            slot += 1;
        }
        // The breakeven month counts from the window's first month.
        let mut cumulative = 0.0;
        let breakeven = (0..12).find(|&k| {
            cumulative += w.monthly[k * n + l.net_incremental];
            cumulative >= 0.0
        });
        match breakeven {
            Some(k) => assert_eq!(w.scalars[slot], k as f64),
            None => assert!(w.scalars[slot].is_nan()),
        }
    }
}

/// A window across calendar years (2018-07 to 2020-06): flows are the sums of the full
/// run's months, stocks its last month, and buyers of the window lie between the most of
/// any of its months and the full horizon's.
#[test]
fn a_reported_window_across_years_sums_its_months() {
    let (full, part) = full_and(("2018-07", 24));
    let l = &full.layout;
    let n = l.len();
    for (f, w) in full.trials.iter().zip(&part.trials) {
        assert_eq!(w.monthly[..], f.monthly[18 * n..42 * n]);
        // Three calendar years touched: 2018 (six months), 2019, 2020 (six months).
        assert_eq!(w.yearly.len(), 3 * n);
        assert_eq!(w.yearly[n..2 * n], f.yearly[2 * n..3 * n]);
        for (j, def) in l.defs.iter().enumerate() {
            let months = (18..42).map(|m| f.monthly[m * n + j]);
            match def.kind {
                Kind::Flow => {
                    let sum: f64 = months.sum();
                    assert!(close(w.scalars[j], sum), "{}", def.name);
                    let first_half: f64 = (18..24).map(|m| f.monthly[m * n + j]).sum();
                    assert!(close(w.yearly[j], first_half), "{} 2018", def.name);
                }
                Kind::Stock => assert_eq!(w.scalars[j], f.monthly[41 * n + j], "{}", def.name),
                Kind::Buyers => {
                    let most = months.fold(0.0, f64::max);
                    assert!(w.scalars[j] >= most, "{}", def.name);
                    assert!(w.scalars[j] <= f.scalars[j], "{}", def.name);
                }
            }
        }
    }
}

#[test]
fn a_window_outside_the_horizon_is_refused() {
    let mut s = scenario(None);
    let err = s
        .report_over(YearMonth::parse("2021-06").unwrap(), 12)
        .unwrap_err();
    assert_eq!(
        err,
        "Echo 2017-2021 baseline: cannot report 12 months from 2021-06: the horizon is 2017-01 to 2021-12"
    );
}

const SQ: &str = "scenarios/status_quo_2022_2028.toml";
const PLUS: &str = "scenarios/alexa_plus_2025.toml";
const SMALL: [&str; 4] = ["--households", "2000", "--trials", "6"];

/// The first numbers of a CSV row whose first columns are `keys`.
fn row<'a>(csv: &'a str, keys: &[&str]) -> Vec<&'a str> {
    csv.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|c| c.len() > keys.len() && c[..keys.len()] == *keys)
        .unwrap_or_else(|| panic!("no row {keys:?}"))
}

/// "Status quo 2022–2028" against "Alexa+ 2023–2030": compared over 2023–2028, said
/// plainly, and each scenario's figures are its own run's figures of those years.
#[test]
fn compare_of_different_horizons_uses_the_common_months() {
    let dir = fresh_dir("window", "compare");
    let out = dir.join("cmp");
    let stdout = ok(&[
        &["compare", SQ, PLUS, "--out", out.to_str().unwrap()][..],
        &SMALL,
    ]
    .concat());
    assert!(
        stdout.starts_with(
            "The horizons differ, so the scenarios are compared over their common months, 2023-01 to 2028-12 (72 months): Status quo 2022-2028 (no paid tier) runs 2022-01 to 2028-12; Alexa+ at $19.99/month, free with Prime, from 2025-02 runs 2023-01 to 2030-12. Each is simulated from its own start; months outside are not counted, NPVs discount to 2023-01 and the breakeven month counts from it.\n"
        ),
        "{stdout}"
    );
    let compare = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    for (i, file) in [SQ, PLUS].into_iter().enumerate() {
        let run_dir = dir.join(format!("run{i}"));
        ok(&[
            &["run", file, "--out", run_dir.to_str().unwrap()][..],
            &SMALL,
        ]
        .concat());
        let yearly = std::fs::read_to_string(run_dir.join("yearly.csv")).unwrap();
        for metric in ["device_pnl", "units_sold", "premium_revenue"] {
            let sum: f64 = (2023..=2028)
                .map(|y| {
                    row(&yearly, &[&y.to_string(), metric])[2]
                        .parse::<f64>()
                        .unwrap()
                })
                .sum();
            let mean: f64 = row(&compare, &[metric, "horizon", file])[3]
                .parse()
                .unwrap();
            assert!(
                (mean - sum).abs() <= 1e-9 * sum.abs().max(1.0),
                "{file} {metric}: compared {mean}, its run's 2023-2028 {sum}"
            );
        }
        // A stock: the level of the common months' last month.
        let level: f64 = row(&yearly, &["2028", "active_households"])[2]
            .parse()
            .unwrap();
        let compared: f64 = row(&compare, &["active_households", "horizon", file])[3]
            .parse()
            .unwrap();
        assert_eq!(compared, level, "{file}");
    }
    // Year rows: the common months' calendar years only.
    let mut periods: Vec<&str> = compare
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    periods.dedup();
    assert_eq!(
        periods,
        ["horizon", "2023", "2024", "2025", "2026", "2027", "2028"]
    );
    // `report` reads the folder back over the same months.
    ok(&["report", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("compared over their common months, 2023-01 to 2028-12"));
    // The settings every report shows give the months compared.
    assert!(html.contains("2023-01 to 2028-12 (72 months)"));
}

#[test]
fn compare_of_horizons_without_common_months_is_refused() {
    let out = downstream(
        &[
            &["compare", "scenarios/echo_2017_2021.toml", SQ][..],
            &SMALL,
            &["--out", fresh_dir("window", "none").to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: scenarios/status_quo_2022_2028.toml: its horizon (2022-01 to 2028-12) has no month in common with the scenarios before it (the base scenarios/echo_2017_2021.toml runs 2017-01 to 2021-12); compare needs horizons that overlap\n"
    );
}
