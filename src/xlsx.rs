//! Transitional: `results.xlsx` of a result folder, read back into typed results
//! ([`crate::results::read::read`]) and built by [`crate::export::xlsx::workbook`]. Goes
//! once the callers pass typed results.

use std::path::Path;

use anyhow::Result;

/// results.xlsx of a result folder written by `run`, `sweep`, `compare` or `sensitivity`.
pub fn workbook(dir: &Path) -> Result<Vec<u8>> {
    crate::export::xlsx::workbook(&crate::results::read::read(dir)?)
}
