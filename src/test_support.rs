//! What the library's unit tests share: a watchdog for a test that waits on other threads, and
//! a backend that records the wakes asked of it.
// The users are the tests of `sync` and of the queue: a build with neither uses none of it.
#![allow(dead_code)]

extern crate std;

use core::cell::RefCell;
use core::sync::atomic::AtomicU32;
use core::time::Duration;
use std::vec::Vec;

use crate::{FutexBackend, Timeout};

/// Runs `test` on its own thread and fails, naming `what`, if it has not returned within 60 s
/// (900 under Miri), or `PORTABLE_FUTEX_WATCHDOG_SECS` when set (as the suites' watchdog,
/// `tests/common/watchdog.rs`, reads it): a lost wake, or a broken spin or compare-and-swap
/// loop, would otherwise hang the test binary rather than fail it. The thread is then left
/// behind, and the binary ends without it. A panic of the test is passed on.
pub(crate) fn watchdog(what: &str, test: impl FnOnce() + Send + 'static) {
    let secs = std::env::var("PORTABLE_FUTEX_WATCHDOG_SECS")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(if cfg!(miri) { 900 } else { 60 });
    let (done, finished) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(secs)) {
        // Finished, or panicked (the sender dropped unsent): join passes a panic on.
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = runner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("watchdog: still waiting after {secs} s for {what}")
        }
    }
}

std::thread_local! {
    static WAKES: RefCell<Vec<(usize, u32)>> = const { RefCell::new(Vec::new()) };
}

/// A backend that records every wake asked of it on the calling thread (the address and the
/// count) and never sleeps: a wait returns at once, as the contract lets a wait return
/// spuriously. The state machines' unit tests drive one thread through a transition and then
/// read which wakes it sent.
pub(crate) struct Recording;

impl FutexBackend for Recording {
    fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
        Ok(())
    }
    fn wake(futex: *const AtomicU32, n: u32) {
        WAKES.with(|w| w.borrow_mut().push((futex as usize, n)));
    }
}

/// [`Recording`] as a process-shared backend.
pub(crate) struct RecordingShared;

impl FutexBackend for RecordingShared {
    const PROCESS_SHARED: bool = true;
    fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
        Ok(())
    }
    fn wake(futex: *const AtomicU32, n: u32) {
        Recording::wake(futex, n)
    }
}

/// The wakes recorded on this thread since the last call: (address, count) each, in order.
pub(crate) fn take_wakes() -> Vec<(usize, u32)> {
    WAKES.with(|w| w.take())
}

/// The counts of the wakes recorded on this thread since the last call, in order.
pub(crate) fn take_wake_counts() -> Vec<u32> {
    take_wakes().into_iter().map(|(_, n)| n).collect()
}

/// How many wakes were recorded on this thread since the last call.
pub(crate) fn take_wake_calls() -> u32 {
    take_wakes().len() as u32
}

/// A sleep of the sync primitives' slow paths whose time is up at once: it records the value
/// it was asked to sleep on, and first runs `meanwhile` (what other threads did during the
/// sleep).
#[cfg(feature = "sync")]
pub(crate) struct TimesOut<'a> {
    pub(crate) slept_on: Vec<u32>,
    pub(crate) meanwhile: &'a dyn Fn(),
}

#[cfg(feature = "sync")]
impl crate::sync::word::Sleep for TimesOut<'_> {
    fn sleep(&mut self, _: &crate::sync::word::Word, expect: u32) -> Result<(), Timeout> {
        self.slept_on.push(expect);
        (self.meanwhile)();
        Err(Timeout)
    }
}
