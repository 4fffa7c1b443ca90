//! The integration tests, linked into one test binary (`integration`) so that the build
//! links once: one module per former `tests/<name>.rs`, helpers in `common`.
//!
//! They run as threads of one process: no test may set environment variables, change the
//! working directory or install signal handlers in the test process (do it on the child
//! `Command`), and a measurement of child processes must name its own child (see
//! `memory`). One module: `cargo test --release --test integration cli_errors::`.

mod common;

mod backtest;
mod calibrate;
mod cli_errors;
mod decision;
mod given_data;
mod hardening;
mod hostile_inputs;
mod json;
mod memory;
mod model;
mod noise;
mod parts;
mod readme;
mod report;
mod reproducibility;
mod schema;
mod shard;
mod slurm;
mod stability;
mod sweep_compare;
mod ties_labels;
mod transactions;
mod uncertainty;
mod window;
mod workbook;
