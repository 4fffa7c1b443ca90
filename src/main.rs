//! The `downstream` command: parse arguments, call the library, print the error chain and
//! map it to an exit status (0 success, 2 bad scenario or arguments, 3 backtest targets
//! missed, 130 interrupted, 1 anything else). Every message is printed through
//! [`downstream::format::escape`], line by line, so text from the input never reaches the
//! terminal raw.

use clap::Parser;

/// Prints a message on stderr after `prefix`, each line with its invisible characters
/// escaped.
fn report(prefix: &str, message: &str) {
    let mut lines = message.lines();
    eprintln!(
        "{prefix}{}",
        downstream::format::escape(lines.next().unwrap_or_default())
    );
    for line in lines {
        eprintln!("{}", downstream::format::escape(line));
    }
}

fn main() {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`downstream run ... | head`) instead of panicking on a broken pipe.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match downstream::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout as clap prints them.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // An argument clap refuses is echoed in its message: escape it too.
            eprint!(
                "{}",
                e.render()
                    .to_string()
                    .lines()
                    .map(|l| format!("{}\n", downstream::format::escape(l)))
                    .collect::<String>()
            );
            std::process::exit(e.exit_code());
        }
    };
    if let Err(e) = downstream::cli::execute(cli) {
        match &e {
            downstream::cli::CliError::Scenario(s) => {
                for d in s.diagnostics() {
                    report("error: ", &d.to_string());
                }
            }
            downstream::cli::CliError::Other(err) => {
                report("error: ", &err.to_string());
                for cause in err.chain().skip(1) {
                    report("  caused by: ", &cause.to_string());
                }
            }
            other => report("error: ", &other.to_string()),
        }
        std::process::exit(e.exit_code());
    }
}
