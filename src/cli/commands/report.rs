//! `downstream report DIR`: the HTML report (and workbook) of a results folder.

use std::path::Path;

use crate::cli::CliError;
use crate::cli::output::write_reports;
use crate::cli::progress;
use crate::results::files;

pub(in crate::cli) fn report(dir: &Path, xlsx: bool) -> Result<(), CliError> {
    progress::handle_interrupts();
    write_reports(dir, None, true, xlsx)?;
    println!("wrote {}", dir.join(files::REPORT).display());
    Ok(())
}
