//! `downstream` simulates households that buy voice-assistant devices sold at or below cost,
//! and reports the device P&L, the downstream revenue a "downstream impact" metric claims
//! and the part the devices really caused, with honest Monte Carlo uncertainty.
//!
//! The library is organised as in `ARCHITECTURE.md`: [`scenario`] loads and validates
//! scenario files, [`sampling`] holds keyed random streams and samplers, [`engine`] runs the
//! model and does no I/O, [`stats`] summarises trials, [`compare`] and [`sweep`] analyse
//! several runs on common random numbers, [`output`] formats results and writes them
//! atomically, [`cli`] is the command line.

pub mod backtest;
pub mod cli;
pub mod compare;
pub mod design;
pub mod engine;
pub mod export;
pub mod format;
pub mod job;
pub mod results;
pub mod report;
pub mod sampling;
pub mod scenario;
pub mod schema;
pub mod sensitivity;
pub mod shard;
pub mod stats;
pub mod sweep;
pub mod xlsx;
