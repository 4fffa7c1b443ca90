//! Part files and merge: any bytes are decoded as a part (`shard::decode`); a part that
//! decodes has its job planned, its runs checked against the plan (`Plan::check_part`),
//! joined, turned into results and exported. Nothing may panic, hang or allocate without
//! bound: a damaged or crafted part is refused with a message.

#![no_main]

use downstream::results::RunFacts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((header, runs)) = downstream::shard::decode(data) else {
        return;
    };
    // A crafted job may ask for a large grid: plan only what a fuzzing run can afford.
    if let downstream::job::Job::Sweep { axes, .. } = &header.job
        && axes
            .iter()
            .fold(1usize, |n, a| n.saturating_mul(a.labels.values.len()))
            > 64
    {
        return;
    }
    let Ok(plan) = header.job.plan() else {
        return;
    };
    if plan.check_part(&runs).is_err() {
        return;
    }
    let Ok((_, joined)) = downstream::shard::join(vec![("part".into(), header, runs)]) else {
        return;
    };
    let Ok(simulated) = plan.from_parts(joined) else {
        return;
    };
    let facts = RunFacts::new(plan.scenario(), 1, 0.0);
    if let Ok(results) = plan.results(simulated, facts) {
        let _ = downstream::export::files(&results);
    }
});
