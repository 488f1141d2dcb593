//! The watchdog of the sync suites: a test that waits on other threads fails, naming what it
//! waited for, instead of hanging.
//!
//! `PORTABLE_FUTEX_WATCHDOG_SECS` (whole seconds, at least 1) overrides how long it waits, and
//! makes the first watchdog that fires end the whole test process (status 101) right after its
//! message: `cargo xtask mutants` sets it (10 s), so that a mutant that makes tests hang fails
//! within one watchdog period, well inside the per-mutant timeout, instead of being counted as
//! timed out. Without the exit, a broken backend costs one period per hung test (the harness
//! runs only a couple at a time) and the threads a failed test leaves spinning slow the rest.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long a test that waits on other threads may take before it is failed, unless
/// `PORTABLE_FUTEX_WATCHDOG_SECS` says otherwise (Miri runs some thousand times slower).
pub const WATCHDOG: Duration = Duration::from_secs(if cfg!(miri) { 900 } else { 60 });

/// [`WATCHDOG`], or `PORTABLE_FUTEX_WATCHDOG_SECS` seconds when that is set to a whole number
/// of at least 1. Any other value is refused loudly rather than ignored.
pub fn watchdog_duration() -> Duration {
    match std::env::var("PORTABLE_FUTEX_WATCHDOG_SECS") {
        Err(std::env::VarError::NotPresent) => WATCHDOG,
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Duration::from_secs(secs),
            _ => {
                panic!("PORTABLE_FUTEX_WATCHDOG_SECS={text:?}: expected whole seconds, at least 1")
            }
        },
        Err(e) => panic!("PORTABLE_FUTEX_WATCHDOG_SECS: {e}"),
    }
}

/// Runs `test` on its own thread and fails, naming `what`, if it has not finished within
/// [`watchdog_duration`]. A panic of the test is passed on.
pub fn watchdog<R: Send + 'static>(what: &str, test: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(test));
        let _ = done.send(());
        result
    });
    let limit = watchdog_duration();
    match finished.recv_timeout(limit) {
        Ok(()) => match runner.join().expect("the runner catches panics") {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(_) => {
            let message = format!("watchdog: still waiting after {limit:?} for {what}");
            if std::env::var_os("PORTABLE_FUTEX_WATCHDOG_SECS").is_some() {
                // Straight to the stderr stream: `eprintln!` from a test's thread goes to the
                // harness's capture, which an exit never prints.
                let _ = writeln!(
                    std::io::stderr(),
                    "{message}; ending the test process (PORTABLE_FUTEX_WATCHDOG_SECS)"
                );
                std::process::exit(101);
            }
            panic!("{message}")
        }
    }
}
