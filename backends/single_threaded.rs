//! A program with one thread: nobody else can change the word or call `wake`.
//!
//! Only a signal or interrupt handler could still change the word, so a wait on a matching
//! value either sleeps in slices, re-checking the word after each, or (where there is no way
//! to sleep) returns at once. It never panics: see [`SingleThreaded`] for each case.

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use crate::{FutexBackend, Timeout};

/// The backend for programs that have a single thread (feature `single-threaded`).
///
/// `wake` does nothing (there is nobody to wake), and a `wait` whose value differs from
/// `expect` returns at once. A wait on a matching value depends on whether the target can
/// sleep, which takes `std` and a target where std's `thread::sleep` works (not
/// `wasm32-unknown-unknown`, where std can neither sleep nor read a clock):
///
/// | wait on a matching value | where it can sleep | where it cannot |
/// |---|---|---|
/// | timed | sleeps out the timeout and returns `Err(Timeout)`, or `Ok` as soon as the word differs | `Ok(())` at once |
/// | untimed | sleeps until the word differs, however long that is | `Ok(())` at once |
///
/// - **Sleeping**, the word is re-checked after each slice of sleep (1 ms at first, doubling
///   up to 100 ms), so a signal handler that changes it ends the wait within a slice. Nothing
///   else can change it: an untimed wait that no handler ends is a deadlock of the program,
///   and it hangs as any futex wait that nobody wakes does. It does not panic.
/// - **Without a sleep** (no `std`, bare metal, `wasm32-unknown-unknown`) a wait returns at
///   once, as a spurious wakeup: it has no clock to vouch that time passed, so it never
///   reports `Timeout`. A caller's loop then becomes a busy wait, which is how an interrupt
///   handler's store is seen on bare metal; a [`Deadline`](crate::Deadline) with your
///   [`Clock`](crate::Clock) turns it into a busy wait that ends with `Timeout` when that clock
///   says so. A loop that nothing can end spins forever there: it is the program's deadlock.
///
/// It is the default on wasm32 without the `atomics` target feature, and can be named
/// anywhere as `Futex<backend::SingleThreaded>`. Bare-metal programs with interrupts want a
/// backend that sleeps until one (`wfi`: `backend::queue::WfiEvent`) rather than this busy wait.
#[derive(Debug, Clone, Copy)]
pub struct SingleThreaded;

impl FutexBackend for SingleThreaded {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        // With one thread, any ordering sees the last value this thread (or a handler that
        // interrupted it) wrote.
        let matches = || futex.load(Ordering::Relaxed) == expect;
        if !matches() {
            return Ok(());
        }
        sleep_while(matches, timeout)
    }

    fn wake(_futex: *const AtomicU32, _max_waiters: u32) {}
}

/// The first slice of sleep between two checks of the word, and the longest.
#[allow(dead_code)] // used only where std can sleep: see `select::with_std_time`
const SLICES: (Duration, Duration) = (Duration::from_millis(1), Duration::from_millis(100));

/// The slices a sleep of `timeout` (`None`: without end) is cut into: each is the next slice
/// length, or what is left of the timeout if that is less; `None` once the timeout is used up.
/// Their sum is exactly the timeout, and `thread::sleep` sleeps at least each slice, so the
/// whole sleep lasts at least the timeout: no clock is needed to vouch for `Timeout`.
#[allow(dead_code)] // used only where std can sleep: see `select::with_std_time`
fn next_slice(left: Option<Duration>, slice: Duration) -> Option<Duration> {
    match left {
        None => Some(slice),
        Some(left) if left.is_zero() => None,
        Some(left) => Some(slice.min(left)),
    }
}

crate::select::with_std_time! {
    // std's `thread::sleep` panics on wasm32-unknown-unknown ("can't sleep"): no sleep there.
    fn sleep_while(matches: impl Fn() -> bool, timeout: Option<Duration>) -> Result<(), Timeout> {
        let (mut slice, longest) = SLICES;
        let mut left = timeout;
        while let Some(this) = next_slice(left, slice) {
            // `thread::sleep` sleeps at least `this` (it resumes after a signal handler) and
            // accepts any `Duration`.
            std::thread::sleep(this);
            if !matches() {
                return Ok(());
            }
            left = left.map(|left| left - this); // `this <= left`: no underflow
            slice = (slice * 2).min(longest);
        }
        Err(Timeout)
    }
}

crate::select::without_std_time! {
    fn sleep_while(_matches: impl Fn() -> bool, _timeout: Option<Duration>) -> Result<(), Timeout> {
        // No sleep and no clock: a spurious wakeup rather than a `Timeout` we cannot vouch for,
        // or a panic, or a spin here that the caller's loop does just as well.
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::watchdog;

    /// Where it can sleep, a timed wait sleeps the time out and says so; where it cannot, it
    /// must not claim a `Timeout` it cannot vouch for, nor panic, nor hang (the watchdog: a
    /// sleep cut into slices that never end would).
    #[test]
    fn waits_on_a_matching_value() {
        watchdog("timed waits on a matching value to return", || {
            let sleeps = cfg!(feature = "std");
            let word = AtomicU32::new(0);
            let result = SingleThreaded::wait(&word, 0, Some(Duration::from_millis(1)));
            assert_eq!(result, if sleeps { Err(Timeout) } else { Ok(()) });
            assert_eq!(SingleThreaded::wait(&word, 1, Some(Duration::MAX)), Ok(()));
            if !sleeps {
                assert_eq!(SingleThreaded::wait(&word, 0, None), Ok(()));
                assert_eq!(SingleThreaded::wait(&word, 0, Some(Duration::MAX)), Ok(()));
            }
        });
    }

    #[test]
    fn slices_add_up_to_the_timeout() {
        let ms = Duration::from_millis;
        let mut left = Some(ms(250) + Duration::from_nanos(1));
        let (mut slice, longest) = SLICES;
        let mut slept = Duration::ZERO;
        let mut first = [Duration::ZERO; 4];
        let mut count = 0;
        while let Some(this) = next_slice(left, slice) {
            assert!(this <= longest && !this.is_zero(), "slice {count}: {this:?}");
            if let Some(record) = first.get_mut(count) {
                *record = this;
            }
            count += 1;
            slept += this;
            left = left.map(|left| left - this);
            slice = (slice * 2).min(longest);
        }
        assert_eq!(slept, ms(250) + Duration::from_nanos(1));
        assert_eq!(first, [ms(1), ms(2), ms(4), ms(8)]);
        // Without a timeout the slices never end, and `Duration::MAX` does not overflow.
        assert_eq!(next_slice(None, longest), Some(longest));
        assert_eq!(next_slice(Some(Duration::MAX), longest), Some(longest));
        assert_eq!(next_slice(Some(Duration::ZERO), longest), None);
    }
}
