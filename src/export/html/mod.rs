//! The HTML report: one self-contained page (`report.html`) per result of `run`, `sweep`,
//! `compare` or `sensitivity`, built from the typed results alone.
//!
//! [`page`] picks the page of the result's kind: `run`, `sweep`, `compare` or
//! `sensitivity` (one module each), each a sequence of sections on a `Page` (module
//! `page`) with charts from the chart layer (module `chart`). Figures come from the typed
//! results; what each metric is (its unit, label, money or not) from the metric catalogue
//! ([`crate::engine::Layout`]); the settings rows from [`super::settings`]; numbers are
//! formatted by [`crate::format`]. Charts are drawn with `plotters` into inline SVG; the
//! page has no scripts and no external references, and opens offline. Every text that
//! comes from the results (scenario names, metric names, varied values, parameter names) is
//! escaped ([`escape`]).

mod calibrate;
mod chart;
mod compare;
mod page;
mod run;
mod sensitivity;
mod sweep;

use anyhow::{Result, bail};

pub use page::escape;

use crate::results::Results;

/// The self-contained HTML report of a result of `run`, `sweep`, `compare` or
/// `sensitivity`.
pub fn page(results: &Results) -> Result<String> {
    let settings = super::settings::rows(results);
    let page = match results {
        Results::Run(r) => run::page(r, &settings)?,
        Results::Sweep(r) => sweep::page(r, &settings)?,
        Results::Compare(r) => compare::page(r, &settings)?,
        Results::Sensitivity(r) => sensitivity::page(r, &settings)?,
        Results::Backtest(_) => bail!("backtest results have no HTML report"),
        Results::Calibrate(r) => calibrate::page(r, &settings)?,
    };
    Ok(page.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Control, Input, Job, Settings, execute};
    use crate::sensitivity::By;

    fn input(name: &str) -> Input {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        Input::read(&root.join("scenarios").join(name)).unwrap()
    }

    fn settings() -> Settings {
        Settings {
            households: Some(400),
            trials: Some(6),
            seed: Some(5),
            ..Settings::default()
        }
    }

    /// The page of a job's results, checked to be the same page as that of the folder the
    /// results are written to (what `--report` and `downstream report DIR` show).
    fn page_of(name: &str, job: Job) -> String {
        let results = execute(&job, &Control::none()).unwrap();
        let html = page(&results).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "downstream-html-test-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let files = crate::export::files(&results).unwrap();
        let named: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        crate::results::folder::write_files(&dir, &named).unwrap();
        let from_folder = page(&crate::results::read::read(&dir).unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(html == from_folder, "{name}: the folder's page differs");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.ends_with("</html>\n"));
        assert!(!html.to_ascii_lowercase().contains("<script"));
        html
    }

    #[test]
    fn run_page() {
        let html = page_of(
            "run",
            Job::Run {
                input: input("premium_5usd_2024.toml"),
                settings: settings(),
            },
        );
        assert!(html.contains("downstream · run report"));
        assert!(html.contains(&escape("Paid Alexa tier at $5/month from 2024-07")));
        assert!(
            html.contains(
                "<td>Paid tier</td><td>$5/month from 2024-07, not included with Prime</td>"
            )
        );
        for section in [
            "Horizon totals",
            "Cumulative",
            "By year",
            "Paid tier",
            "Adoption",
        ] {
            assert!(html.contains(section), "no {section}");
        }
        assert!(html.contains("launch 2024-07"));
        assert_eq!(html.matches("<svg").count(), 7);
    }

    #[test]
    fn sweep_page() {
        let html = page_of(
            "sweep",
            Job::sweep(
                input("premium_5usd_2024.toml"),
                settings(),
                &["premium.price_month=2:8:3"],
            )
            .unwrap(),
        );
        assert!(html.contains("<td>Varied: premium.price_month</td><td>2, 5, 8</td>"));
        assert!(html.contains("<td>Points</td><td>3</td>"));
        assert!(html.contains("best by mean: premium.price_month = "));
        assert!(html.contains("How sure"));
    }

    #[test]
    fn compare_page_with_a_file_compared_with_itself() {
        let html = page_of(
            "compare",
            Job::compare(
                vec![
                    input("premium_5usd_2024.toml"),
                    input("premium_5usd_2024.toml"),
                    input("status_quo_2022_2028.toml"),
                ],
                settings(),
            ),
        );
        assert!(html.contains("<td>Scenario 2</td><td>Status quo 2022-2028 (no paid tier) ("));
        // Per scenario against the base: its horizon table and its year-by-year table.
        assert_eq!(html.matches("<th>horizon total</th>").count(), 2);
        assert_eq!(html.matches("<table>\n<tr><th>year</th>").count(), 2);
        let years = &html[html.find("<th>year</th>").unwrap()..];
        let years = &years[..years.find("</table>").unwrap()];
        assert_eq!(years.matches("<td>same</td>").count(), 2 * 7, "{years}");
        // The file against itself: no difference at all, the same in every trial, so no
        // share of trials reads as a verdict.
        let first = &html[html.find("P(better)</th>").unwrap()..];
        let first = &first[..first.find("</table>").unwrap()];
        assert!(first.contains("<td>0.00</td><td>[0.00, 0.00]</td><td>same</td>"));
        assert!(!first.contains('%'), "{first}");
    }

    #[test]
    fn sensitivity_page() {
        let html = page_of(
            "sensitivity",
            Job::Sensitivity {
                input: input("premium_5usd_2024.toml"),
                settings: settings(),
                metric: "npv_net_incremental".into(),
                by: Some(By::Year),
                method: Default::default(),
            },
        );
        assert!(html.contains("<td>Metric</td><td>npv_net_incremental</td>"));
        assert!(html.contains("<td>By year</td><td>net_incremental from 2022 to 2028</td>"));
        assert!(html.contains("What moves npv_net_incremental most"));
        assert!(html.contains("Which assumption drives net_incremental in each year"));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
