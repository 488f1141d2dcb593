//! The watchdog of the sync suites: a test that waits on other threads fails, naming what it
//! waited for, instead of hanging.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long a test that waits on other threads may take before it is failed (Miri runs some
/// thousand times slower).
pub const WATCHDOG: Duration = Duration::from_secs(if cfg!(miri) { 900 } else { 60 });

/// Runs `test` on its own thread and fails, naming `what`, if it has not finished within
/// [`WATCHDOG`]. A panic of the test is passed on.
pub fn watchdog<R: Send + 'static>(what: &str, test: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(test));
        let _ = done.send(());
        result
    });
    match finished.recv_timeout(WATCHDOG) {
        Ok(()) => match runner.join().expect("the runner catches panics") {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(_) => panic!("watchdog: still waiting after {WATCHDOG:?} for {what}"),
    }
}
