//! Sharded runs: a deterministic slice of the trials per task, and the exact merge.
//!
//! Monte Carlo work is an array job: task `I` of `N` runs trials
//! `[I*T/N, (I+1)*T/N)` of every scenario or grid point and writes one partial-result file,
//! `part-I-of-N.bin`; `downstream merge` checks that there is exactly one part per index, all
//! from the same inputs, options, seed and tool version, and writes the same files as the
//! unsharded command. Trials are independent and keyed by their index, so the merged
//! results are the unsharded ones bit for bit.
//!
//! The index and count come from `--shard I/N`, or from the environment of the array-job
//! engine: Slurm (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`, `SLURM_ARRAY_TASK_MIN`,
//! `SLURM_ARRAY_TASK_STEP`), Kubernetes Indexed Jobs (`JOB_COMPLETION_INDEX`, with the
//! count from `--shard-count`) and AWS Batch (`AWS_BATCH_JOB_ARRAY_INDEX`,
//! `AWS_BATCH_JOB_ARRAY_SIZE`).
//!
//! A part file is a line `downstream-part 3`, then two sections, each its length, its bytes
//! and a CRC-32 of its bytes (all integers little-endian `u64`): the header (JSON of
//! [`PartHeader`], which holds the job with its scenario text) and the per-trial results
//! (floats stored by their bits, never reformatted). [`decode`] checks the checksums, every
//! count against the bytes left and the header's settings against their limits before it
//! allocates anything; the merge then checks every vector against the job's layout and
//! every value against what it can be ([`crate::job::Plan::check_part`]). A damaged or
//! crafted part is refused, never merged into a silently wrong result.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::engine::{Layout, Pin, PinnedRuns, RunResult, TrialResult};
use crate::job::{Job, Simulated};
use crate::scenario::{MAX_HOUSEHOLDS, MAX_TRIALS};

/// One task of an array job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with 0 <= I < N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let err = || format!("--shard {s}: expected I/N with 0 <= I < N, e.g. --shard 2/7");
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let index: u64 = i.trim().parse().map_err(|_| err())?;
        let count: u64 = n.trim().parse().map_err(|_| err())?;
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }

    /// The shard from an array-job engine's environment, if one is set. `count` is the
    /// count given on the command line (needed for Kubernetes).
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
        count: Option<u64>,
    ) -> Result<Option<Shard>, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| format!("{name}={v}: expected a whole number >= 0")),
            }
        };
        let checked = |index: u64, count: u64, source: &str| {
            if count == 0 || index >= count {
                Err(format!(
                    "{source}: task index {index} is outside 0..{count}"
                ))
            } else {
                Ok(Some(Shard { index, count }))
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let total = num("SLURM_ARRAY_TASK_COUNT")?.or(count).ok_or(
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count",
            )?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            if id < min || (id - min) % step != 0 {
                return Err(format!(
                    "SLURM_ARRAY_TASK_ID={id} is not in the array {min}, {min}+{step}, ... of SLURM_ARRAY_TASK_COUNT={total} tasks"
                ));
            }
            return checked((id - min) / step, total, "Slurm array");
        }
        if let Some(id) = num("AWS_BATCH_JOB_ARRAY_INDEX")? {
            let total = num("AWS_BATCH_JOB_ARRAY_SIZE")?.or(count).ok_or(
                "AWS_BATCH_JOB_ARRAY_INDEX is set but AWS_BATCH_JOB_ARRAY_SIZE is not; pass --shard-count",
            )?;
            return checked(id, total, "AWS Batch array");
        }
        if let Some(id) = num("JOB_COMPLETION_INDEX")? {
            let total = count.ok_or(
                "JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but the number of shards is not: pass --shard-count N (the Job's completions)",
            )?;
            return checked(id, total, "Kubernetes Indexed Job");
        }
        Ok(None)
    }

    /// The trials of this shard out of `trials` (contiguous, sizes differ by at most one).
    pub fn trials(&self, trials: u64) -> Range<u64> {
        let at = |i: u64| ((i as u128 * trials as u128) / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// The part file's name.
    pub fn file_name(&self) -> String {
        format!("part-{}-of-{}.bin", self.index, self.count)
    }
}

/// Whether a file name is one a part could have ([`Shard::file_name`]'s pattern).
pub fn is_part_name(name: &str) -> bool {
    name.starts_with("part-") && name.ends_with(".bin")
}

/// What a part was computed from; every part of one job must agree on all of it but the
/// shard index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartHeader {
    pub tool_version: String,
    /// The job, with its scenario files' text: `merge` plans it again and finishes it.
    pub job: Job,
    /// The job's run settings as resolved from its scenario and command line.
    pub households: u64,
    pub trials: u64,
    pub seed: u64,
    pub shard: Shard,
    /// Rows of the tornado printed on stdout (`sensitivity --top`).
    pub top: usize,
    /// Wall time of this part's simulation, in seconds; a merged result records the sum.
    pub wall_seconds: f64,
}

impl PartHeader {
    /// The header without the shard and the spelling of the inputs' paths, for comparing
    /// parts: parts of one job agree on everything else.
    fn job(&self) -> PartHeader {
        PartHeader {
            shard: Shard {
                index: 0,
                count: self.shard.count,
            },
            job: self.job.without_origins(),
            wall_seconds: 0.0,
            ..self.clone()
        }
    }

    /// Checks the run settings and the shard against their limits.
    fn check(&self) -> Result<(), String> {
        let bad = |what: String| Err(format!("the header is not valid: {what}"));
        if !(1..=MAX_TRIALS).contains(&self.trials) {
            return bad(format!(
                "{} trials (expected 1 to {MAX_TRIALS})",
                self.trials
            ));
        }
        if !(1..=MAX_HOUSEHOLDS).contains(&self.households) {
            return bad(format!(
                "{} households (expected 1 to {MAX_HOUSEHOLDS})",
                self.households
            ));
        }
        if !(self.wall_seconds.is_finite() && self.wall_seconds >= 0.0) {
            return bad(format!("wall time {}", self.wall_seconds));
        }
        let Shard { index, count } = self.shard;
        if count == 0 || index >= count || count > self.trials {
            return bad(format!(
                "shard {index}/{count} of {} trials (expected I/N with I < N <= trials)",
                self.trials
            ));
        }
        Ok(())
    }
}

/// The first line of a part file.
pub const MAGIC: &str = "downstream-part 3\n";

/// A checksum of a section's bytes.
fn checksum(bytes: &[u8]) -> u64 {
    u64::from(crc32fast::hash(bytes))
}

fn put(out: &mut Vec<u8>, x: u64) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_floats(out: &mut Vec<u8>, xs: &[f64]) {
    put(out, xs.len() as u64);
    for x in xs {
        out.extend_from_slice(&x.to_bits().to_le_bytes());
    }
}

/// A part file's bytes: the header and the trials of each run (one run per scenario or
/// grid point).
pub fn encode(header: &PartHeader, runs: &[RunResult]) -> Vec<u8> {
    let json = serde_json::to_vec(header).expect("a header serialises");
    let mut body = Vec::new();
    put(&mut body, runs.len() as u64);
    for run in runs {
        put(&mut body, run.trials.len() as u64);
        for t in &run.trials {
            put(&mut body, t.trial);
            put_floats(&mut body, &t.draws);
            put_floats(&mut body, &t.monthly);
            put_floats(&mut body, &t.yearly);
            put_floats(&mut body, &t.scalars);
            put_floats(&mut body, &t.noise);
        }
    }
    let mut out = MAGIC.as_bytes().to_vec();
    for section in [&json, &body] {
        put(&mut out, section.len() as u64);
        out.extend_from_slice(section);
        put(&mut out, checksum(section));
    }
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u64(&mut self) -> Result<u64, String> {
        let b = self
            .bytes
            .get(self.at..self.at + 8)
            .ok_or("the file is truncated")?;
        self.at += 8;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    /// A count of items of `size` bytes each, checked against the bytes left.
    fn count(&mut self, size: usize) -> Result<usize, String> {
        let n = self.u64()?;
        if n > ((self.bytes.len() - self.at) / size) as u64 {
            return Err("the file is truncated".into());
        }
        Ok(n as usize)
    }
    fn floats(&mut self) -> Result<Vec<f64>, String> {
        let n = self.count(8)?;
        (0..n).map(|_| self.u64().map(f64::from_bits)).collect()
    }
    /// One section: its length, its bytes and their checksum.
    fn section(&mut self, what: &str) -> Result<&'a [u8], String> {
        let n = self.count(1)?;
        let bytes: &'a [u8] = &self.bytes[self.at..self.at + n];
        self.at += n;
        // Under the fuzzer (which cannot forge checksums) the sums are read but not
        // compared, so that it reaches what lies behind them.
        if self.u64()? != checksum(bytes) && !cfg!(fuzzing) {
            return Err(format!(
                "the {what}'s checksum does not match: the file is damaged"
            ));
        }
        Ok(bytes)
    }
}

/// Reads a part file: its header and, per run, its trials.
pub fn decode(bytes: &[u8]) -> Result<(PartHeader, Vec<Vec<TrialResult>>), String> {
    let rest = bytes
        .strip_prefix(MAGIC.as_bytes())
        .ok_or("not a downstream part file (or one of another version)")?;
    let mut file = Reader { bytes: rest, at: 0 };
    let json = file.section("header")?;
    let header: PartHeader =
        serde_json::from_slice(json).map_err(|e| format!("unreadable header: {e}"))?;
    header.check()?;
    let body = file.section("results")?;
    if file.at != rest.len() {
        return Err("unexpected bytes after the results".into());
    }
    let mut r = Reader { bytes: body, at: 0 };
    // A run holds at least its trial count; a trial at least its index and five lengths.
    let runs = r.count(8)?;
    let mut out = Vec::new();
    for _ in 0..runs {
        let n = r.count(48)?;
        let mut trials = Vec::new();
        for _ in 0..n {
            trials.push(TrialResult {
                trial: r.u64()?,
                draws: r.floats()?,
                monthly: r.floats()?,
                yearly: r.floats()?,
                scalars: r.floats()?,
                noise: r.floats()?,
            });
        }
        out.push(trials);
    }
    if r.at != r.bytes.len() {
        return Err("unexpected bytes after the results".into());
    }
    Ok((header, out))
}

/// Checks a complete set of parts (exactly one per index, all of one job) and joins their
/// trials in order: the header of the job and, per run, all its trials.
pub fn join(
    mut parts: Vec<(String, PartHeader, Vec<Vec<TrialResult>>)>,
) -> Result<(PartHeader, Vec<Vec<TrialResult>>), String> {
    let Some((first_name, first, _)) = parts.first().cloned() else {
        return Err("no part files (part-I-of-N.bin) found".into());
    };
    let count = first.shard.count;
    for (name, h, _) in &parts {
        if h.job() != first.job() {
            let what = if h.tool_version != first.tool_version {
                format!("tool version {} vs {}", h.tool_version, first.tool_version)
            } else if h.shard.count != first.shard.count {
                format!("{} shards vs {}", h.shard.count, first.shard.count)
            } else if h.job.inputs() != first.job.inputs() {
                "the scenario files differ".into()
            } else if h.seed != first.seed {
                format!("seed {} vs {}", h.seed, first.seed)
            } else {
                "the command or its options differ".into()
            };
            return Err(format!(
                "{name} is not from the same job as {first_name}: {what}"
            ));
        }
    }
    parts.sort_by_key(|(_, h, _)| h.shard.index);
    for (i, w) in parts.windows(2).enumerate() {
        if w[0].1.shard.index == w[1].1.shard.index {
            return Err(format!(
                "two parts for shard {} ({} and {})",
                w[0].1.shard.index, w[0].0, w[1].0
            ));
        }
        let _ = i;
    }
    let have: Vec<u64> = parts.iter().map(|(_, h, _)| h.shard.index).collect();
    let missing: Vec<String> = (0..count)
        .filter(|i| !have.contains(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing part(s) for shard {} of {count}",
            missing.join(", ")
        ));
    }
    let runs = parts[0].2.len();
    let mut joined: Vec<Vec<TrialResult>> = vec![Vec::new(); runs];
    for (name, h, part) in parts {
        if part.len() != runs {
            return Err(format!("{name} holds {} runs, expected {runs}", part.len()));
        }
        let expected = h.shard.trials(h.trials);
        for (k, trials) in part.into_iter().enumerate() {
            let got: Vec<u64> = trials.iter().map(|t| t.trial).collect();
            if got != expected.clone().collect::<Vec<_>>() {
                return Err(format!(
                    "{name} does not hold trials {expected:?} of shard {}",
                    h.shard.index
                ));
            }
            joined[k].extend(trials);
        }
    }
    Ok((first, joined))
}

impl Simulated {
    /// The runs a part stores: one per scenario of the plan; for a sensitivity analysis the
    /// plain run, then one run per pin holding only each trial's scalars.
    pub fn into_parts(self) -> Vec<RunResult> {
        match self {
            Simulated::Runs(runs) => runs,
            Simulated::Pinned(pinned) => pinned_parts(&pinned),
        }
    }
}

/// The runs a sharded `sensitivity` stores: the plain run, then one run per pin holding only
/// each trial's scalars.
fn pinned_parts(runs: &PinnedRuns) -> Vec<RunResult> {
    let mut parts = vec![RunResult {
        layout: runs.base.layout.clone(),
        first_trial: runs.base.first_trial,
        trials: runs.base.trials.clone(),
    }];
    for pinned in &runs.pinned {
        parts.push(RunResult {
            layout: runs.base.layout.clone(),
            first_trial: runs.base.first_trial,
            trials: pinned
                .iter()
                .enumerate()
                .map(|(i, scalars)| TrialResult {
                    trial: runs.base.first_trial + i as u64,
                    draws: Vec::new(),
                    monthly: Vec::new(),
                    yearly: Vec::new(),
                    scalars: scalars.clone(),
                    noise: Vec::new(),
                })
                .collect(),
        });
    }
    parts
}

/// The inverse of [`pinned_parts`] for the joined trials of all parts, made with `pins`;
/// `simulated` as counted by the caller.
pub fn pinned_runs(
    pins: &[Pin],
    layout: Layout,
    mut trials: Vec<Vec<TrialResult>>,
    simulated: usize,
) -> PinnedRuns {
    let pinned = trials
        .split_off(1.min(trials.len()))
        .into_iter()
        .map(|run| run.into_iter().map(|t| t.scalars).collect())
        .collect();
    PinnedRuns {
        pins: pins.to_vec(),
        base: RunResult {
            layout,
            first_trial: 0,
            trials: trials.pop().unwrap_or_default(),
        },
        pinned,
        simulated,
    }
}

/// Turns joined trials back into run results with their layouts.
pub fn runs(layouts: Vec<Layout>, trials: Vec<Vec<TrialResult>>) -> Vec<RunResult> {
    layouts
        .into_iter()
        .zip(trials)
        .map(|(layout, trials)| RunResult {
            layout,
            first_trial: 0,
            trials,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn shards_split_trials_contiguously_and_completely() {
        for count in [1, 3, 7] {
            for trials in [1, 5, 7, 200] {
                let mut all = Vec::new();
                for index in 0..count {
                    let r = Shard { index, count }.trials(trials);
                    assert!(r.end - r.start <= trials / count + 1);
                    all.extend(r);
                }
                assert_eq!(all, (0..trials).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn parses_explicit_shards() {
        assert_eq!(Shard::parse("2/7").unwrap(), Shard { index: 2, count: 7 });
        for bad in ["7/7", "1/0", "a/3", "3", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slurm_arrays_with_min_and_step() {
        let s = Shard::from_env(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ]),
            None,
        );
        assert_eq!(s.unwrap(), Some(Shard { index: 3, count: 4 }));
        // --array=1-7:2 gives ids 1, 3, 5, 7.
        let s = Shard::from_env(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "5"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
            ]),
            None,
        );
        assert_eq!(s.unwrap(), Some(Shard { index: 2, count: 4 }));
        let s = Shard::from_env(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
            ]),
            None,
        );
        assert!(s.unwrap_err().contains("not in the array"));
    }

    #[test]
    fn kubernetes_indexed_jobs_need_the_count() {
        let e = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert!(
            Shard::from_env(&e, None)
                .unwrap_err()
                .contains("--shard-count")
        );
        assert_eq!(
            Shard::from_env(&e, Some(3)).unwrap(),
            Some(Shard { index: 2, count: 3 })
        );
        assert!(
            Shard::from_env(&e, Some(2))
                .unwrap_err()
                .contains("outside")
        );
    }

    #[test]
    fn aws_batch_arrays() {
        let e = env(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "10"),
        ]);
        assert_eq!(
            Shard::from_env(e, None).unwrap(),
            Some(Shard {
                index: 0,
                count: 10
            })
        );
        assert_eq!(Shard::from_env(env(&[]), None).unwrap(), None);
        assert!(Shard::from_env(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "x")]), None).is_err());
    }

    fn header(index: u64, count: u64) -> PartHeader {
        use crate::job::{Input, Settings};
        PartHeader {
            tool_version: "0".into(),
            job: Job::Run {
                input: Input {
                    origin: "a.toml".into(),
                    text: "x".into(),
                },
                settings: Settings::default(),
            },
            households: 10,
            trials: 5,
            seed: 1,
            shard: Shard { index, count },
            top: 0,
            wall_seconds: 0.5,
        }
    }

    fn trials(range: Range<u64>) -> Vec<TrialResult> {
        range
            .map(|t| TrialResult {
                trial: t,
                draws: vec![t as f64, f64::NAN],
                monthly: vec![0.1 * t as f64; 3],
                yearly: vec![-1.0],
                scalars: vec![f64::MIN_POSITIVE, 1e300],
                noise: vec![0.0, f64::NAN],
            })
            .collect()
    }

    #[test]
    fn parts_round_trip_bit_for_bit_and_join_in_order() {
        let mut parts = Vec::new();
        for i in [2u64, 0, 1] {
            let h = header(i, 3);
            let r = RunResult {
                layout: dummy_layout(),
                first_trial: 0,
                trials: trials(h.shard.trials(5)),
            };
            let bytes = encode(&h, &[r]);
            let (h2, t2) = decode(&bytes).unwrap();
            assert_eq!(h2, h);
            parts.push((format!("p{i}"), h2, t2));
        }
        let (h, joined) = join(parts).unwrap();
        assert_eq!(h.shard.count, 3);
        let expected = trials(0..5);
        let bits = |v: &[TrialResult]| -> Vec<u64> {
            v.iter()
                .flat_map(|t| {
                    t.draws
                        .iter()
                        .chain(&t.monthly)
                        .chain(&t.scalars)
                        .chain(&t.noise)
                        .map(|x| x.to_bits())
                })
                .collect()
        };
        assert_eq!(bits(&joined[0]), bits(&expected));
    }

    #[test]
    fn incomplete_or_mixed_parts_are_refused() {
        let part = |i: u64, n: u64, seed: u64| {
            let mut h = header(i, n);
            h.seed = seed;
            let t = trials(h.shard.trials(5));
            (format!("part-{i}-of-{n}.bin"), h, vec![t])
        };
        assert!(
            join(vec![part(0, 2, 1)])
                .unwrap_err()
                .contains("missing part(s) for shard 1 of 2")
        );
        assert!(
            join(vec![part(0, 2, 1), part(0, 2, 1), part(1, 2, 1)])
                .unwrap_err()
                .contains("two parts for shard 0")
        );
        assert!(
            join(vec![part(0, 2, 1), part(1, 2, 9)])
                .unwrap_err()
                .contains("seed 9 vs 1")
        );
        assert!(
            join(vec![part(0, 2, 1), part(1, 3, 1)])
                .unwrap_err()
                .contains("3 shards vs 2")
        );
        assert!(decode(b"garbage").is_err());
        let mut bytes = encode(
            &header(0, 1),
            &[RunResult {
                layout: dummy_layout(),
                first_trial: 0,
                trials: trials(0..5),
            }],
        );
        bytes.truncate(bytes.len() - 3);
        assert!(decode(&bytes).unwrap_err().contains("truncated"));
    }

    fn dummy_layout() -> Layout {
        let s = crate::scenario::Scenario::parse(
            "t.toml",
            include_str!("../tests/bad_scenarios/valid/base.toml"),
            &[],
        )
        .unwrap();
        Layout::new(&s)
    }
}
