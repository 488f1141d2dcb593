//! A program with one thread: nobody else can change the word or call `wake`.
//!
//! So a wait either returns at once (the value differs), or would sleep forever (no timeout:
//! a deadlock, reported by a panic), or sleeps out its timeout, which then really passed.

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use crate::{FutexBackend, Timeout};

/// The backend for programs that have a single thread (feature `single-threaded`).
///
/// - `wait` returns at once if the value differs from `expect`.
/// - An untimed `wait` on a matching value could never end, since no other thread exists to
///   change the word: it panics (unwinding) with a message that says so, instead of hanging.
/// - A timed wait on a matching value sleeps for the whole timeout with `std::thread::sleep`
///   and reports `Timeout`.
/// - Without `std` there is no way to sleep or to read a clock, so a timed wait on a matching
///   value returns `Ok(())` at once: a spurious wakeup, which callers handle by looping. A
///   [`Deadline`](crate::Deadline) with your [`Clock`](crate::Clock) turns that loop into a
///   busy wait that ends with `Timeout` when the clock says so.
/// - `wake` does nothing: there is nobody to wake.
///
/// It is the default on wasm32 without the `atomics` target feature, and can be named
/// anywhere as `Futex<backend::SingleThreaded>`. An interrupt or signal handler that changes
/// the word is *not* seen by a sleeping wait here: bare-metal programs with interrupts need a
/// backend that sleeps until one (`wfi`).
#[derive(Debug, Clone, Copy)]
pub struct SingleThreaded;

impl FutexBackend for SingleThreaded {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        // With one thread, any ordering sees the last value this thread wrote.
        if futex.load(Ordering::Relaxed) != expect {
            return Ok(());
        }
        let Some(timeout) = timeout else {
            panic!(
                "portable-futex: deadlock: an untimed wait on a word that holds the expected \
                 value, with the `SingleThreaded` backend, where no other thread can change it"
            );
        };
        sleep(timeout)
    }

    fn wake(_futex: *const AtomicU32, _max_waiters: u32) {}
}

#[cfg(feature = "std")]
fn sleep(timeout: Duration) -> Result<(), Timeout> {
    // `thread::sleep` sleeps at least `timeout` (it loops over early returns of the OS call)
    // and accepts any `Duration`.
    std::thread::sleep(timeout);
    Err(Timeout)
}

#[cfg(not(feature = "std"))]
fn sleep(_timeout: Duration) -> Result<(), Timeout> {
    // No clock and no sleep: give the caller a spurious wakeup rather than a `Timeout` we
    // cannot vouch for.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without std a timed wait cannot sleep: it must not claim a `Timeout` it cannot vouch
    /// for. With std it sleeps the time out and says so.
    #[test]
    fn timed_wait_on_a_matching_value() {
        let word = AtomicU32::new(0);
        let result = SingleThreaded::wait(&word, 0, Some(Duration::from_millis(1)));
        assert_eq!(result, if cfg!(feature = "std") { Err(Timeout) } else { Ok(()) });
        assert_eq!(SingleThreaded::wait(&word, 1, Some(Duration::MAX)), Ok(()));
    }
}
