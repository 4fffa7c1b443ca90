//! Transitional: the report of a result folder under its former paths, until the command
//! line and the integration tests call [`crate::export::html::page`] on
//! [`crate::results::read::read`] themselves. Nothing else lives here.

use std::path::Path;

use anyhow::Result;

pub use crate::export::html::escape;
pub use crate::results::files::FolderKind;
pub use crate::results::read::kind;

/// The self-contained HTML report of a result folder (run, sweep, compare or sensitivity,
/// detected from the files present).
pub fn html(dir: &Path) -> Result<String> {
    crate::export::html::page(&crate::results::read::read(dir)?)
}
