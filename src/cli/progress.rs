//! The progress bar on stderr and the interrupt handler.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;

/// Set by Ctrl-C (SIGINT) or SIGTERM: planning stops between scenarios, the engine between
/// windows, and no results are written. A second signal exits at once. The job layer's
/// flag, so that [`crate::job::Job::plan`] sees it too.
pub(super) use crate::job::INTERRUPTED;

/// Installs the handler of Ctrl-C and SIGTERM (once). Commands that plan or write call it
/// before any long preparation ([`super::execute`]), so that an interrupt is never the
/// default "kill" while a large job is being validated.
pub(super) fn handle_interrupts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    });
}

/// Whether an interrupt arrived.
pub(super) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A bar of household-months on stderr, hidden when quiet or not on a terminal.
pub(super) fn bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% household-months, ETA {eta}",
        )
        .expect("a valid template"),
    );
    bar
}
