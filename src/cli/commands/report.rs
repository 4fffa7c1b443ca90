//! `downstream report DIR`: the HTML report (and workbook) of a results folder.

use std::path::Path;

use crate::cli::CliError;
use crate::cli::output::add_reports;
use crate::cli::progress;

pub(in crate::cli) fn report(dir: &Path, xlsx: bool) -> Result<(), CliError> {
    progress::handle_interrupts();
    for name in add_reports(dir, xlsx)? {
        println!("wrote {}", crate::format::path(&dir.join(name)));
    }
    Ok(())
}
