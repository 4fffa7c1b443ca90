//! `downstream` simulates households that buy voice-assistant devices sold at or below cost,
//! and reports the device P&L, the downstream revenue a "downstream impact" metric claims
//! and the part the devices really caused, with honest Monte Carlo uncertainty.
//!
//! # Library API
//!
//! Every analysis the command line offers is a typed [`job::Job`]: the scenario file(s)
//! with their text ([`job::Input`]), the run settings given on the command line
//! ([`job::Settings`]) and the analysis' own options (a sweep's axes, a sensitivity
//! analysis' metric, ...). [`job::execute`] runs it on the current rayon pool, reporting
//! progress and checking for cancellation through a [`job::Control`], and returns typed
//! [`results::Results`]; [`export`] turns those into CSV, text, JSON, HTML or a workbook.
//!
//! ```
//! use downstream::job::{self, Control, Input, Job, Settings};
//! use downstream::results::Results;
//!
//! let input = Input::read(std::path::Path::new("scenarios/premium_5usd_2024.toml")).unwrap();
//! let settings = Settings {
//!     households: Some(500),
//!     trials: Some(4),
//!     ..Settings::default()
//! };
//! // Each axis is resolved once to the parameter it varies.
//! let job = Job::sweep(input, settings, &["premium.price_month=3,5,8"]).unwrap();
//! let Results::Sweep(sweep) = job::execute(&job, &Control::none()).unwrap() else {
//!     unreachable!("a sweep job gives sweep results")
//! };
//! // Per point, per scalar: statistics across trials; the catalogue says which is which.
//! let j = sweep.layout.scalar_index("premium_revenue").unwrap();
//! let revenue: Vec<f64> = sweep.points.iter().map(|p| p[j].mean).collect();
//! assert_eq!(revenue.len(), 3);
//! assert!(revenue.iter().all(|r| *r > 0.0));
//! ```
//!
//! # Modules
//!
//! The layout is described in `ARCHITECTURE.md`: [`scenario`] loads and validates scenario
//! files; [`sampling`] and [`design`] draw random numbers and uncertain parameters;
//! [`engine`] runs the model and does no I/O; [`job`] plans and runs analyses ([`compare`],
//! [`sweep`], [`sensitivity`], [`backtest`], [`calibrate`] hold their statistics); [`results`] holds typed
//! results and owns the results folder; [`export`] and [`format`] show them; [`shard`]
//! splits trials across machines; [`cli`] is the command line.

pub mod backtest;
pub mod calibrate;
pub mod cli;
pub mod compare;
pub mod decision;
pub mod design;
pub mod engine;
pub mod export;
pub mod format;
pub mod job;
pub mod results;
pub mod sampling;
pub mod scenario;
pub mod schema;
pub mod sensitivity;
pub mod shard;
pub mod stats;
pub mod sweep;
