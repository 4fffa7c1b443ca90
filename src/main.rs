//! The `downstream` command: parse arguments, call the library, print the error chain and
//! map it to an exit status (0 success, 2 bad scenario or arguments, 3 backtest targets
//! missed, 1 anything else).

use clap::Parser;

fn main() {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`downstream run ... | head`) instead of panicking on a broken pipe.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = downstream::cli::Cli::parse();
    if let Err(e) = downstream::cli::execute(cli) {
        match &e {
            downstream::cli::CliError::Scenario(s) => {
                for d in s.diagnostics() {
                    eprintln!("error: {d}");
                }
            }
            downstream::cli::CliError::Other(err) => {
                eprintln!("error: {err}");
                for cause in err.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            other => eprintln!("error: {other}"),
        }
        std::process::exit(e.exit_code());
    }
}
