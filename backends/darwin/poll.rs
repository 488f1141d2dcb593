//! `Shared<Darwin>` where the system has no process-shared wait (below macOS 14.4 without
//! `darwin-ulock`): a bounded, polling sleep.
//!
//! No wake can reach a waiter here, so the waiter must come back by itself: it sleeps in
//! slices that double from [`FIRST_SLICE`] to [`LONGEST_SLICE`], re-reading the word after
//! each, and returns after at most [`BOUND`] of sleep whatever it read. A wake is then never
//! lost, even one whose change of the word was undone before the waiter looked (a lock taken
//! and released again): the waiter is back in its caller's loop within `BOUND` and checks
//! its own condition there, as after any spurious wakeup. `Err(Timeout)` only once the
//! caller's timeout has passed on the monotonic clock.
//!
//! The logic is a pure function of a clock, a sleep and a load, so that it runs on every
//! host's tests (`backend.rs`); the Darwin backend passes `clock_gettime` and `nanosleep`.

use core::time::Duration;

use crate::Timeout;

/// The first sleep: short, for a word that changes soon after the wait begins.
pub(crate) const FIRST_SLICE: Duration = Duration::from_micros(20);
/// The longest single sleep: the latency of noticing a change once a wait has gone on.
pub(crate) const LONGEST_SLICE: Duration = Duration::from_micros(500);
/// The most one call sleeps before it returns (spuriously): the latency of a wake whose
/// change of the word was undone before the waiter looked.
pub(crate) const BOUND: Duration = Duration::from_millis(2);

/// Waits while `load() == expect`, as described in the module docs. `now` is the monotonic
/// clock (`None` if it cannot be read), `sleep` sleeps about that long (it may return early).
pub(crate) fn wait(
    mut load: impl FnMut() -> u32,
    expect: u32,
    timeout: Option<Duration>,
    mut now: impl FnMut() -> Option<Duration>,
    mut sleep: impl FnMut(Duration),
) -> Result<(), Timeout> {
    let limit = timeout.map_or(BOUND, |t| t.min(BOUND));
    let Some(start) = now() else {
        // No clock: one short sleep, then a spurious return; a `Timeout` needs a clock.
        if load() == expect {
            sleep(FIRST_SLICE);
        }
        return Ok(());
    };
    let mut slice = FIRST_SLICE;
    loop {
        if load() != expect {
            return Ok(());
        }
        let elapsed = match now() {
            Some(now) => now.saturating_sub(start),
            None => return Ok(()),
        };
        if elapsed >= limit {
            return match timeout {
                Some(timeout) if elapsed >= timeout => Err(Timeout),
                _ => Ok(()),
            };
        }
        sleep(slice.min(limit - elapsed));
        slice = (slice * 2).min(LONGEST_SLICE);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use core::cell::Cell;
    use std::vec::Vec;

    use super::*;

    /// A fake clock that sleeping advances, and a record of the sleeps.
    struct Fake {
        now: Cell<Duration>,
        sleeps: Cell<usize>,
    }

    impl Fake {
        fn new() -> Self {
            Fake { now: Cell::new(Duration::from_secs(100)), sleeps: Cell::new(0) }
        }
        fn now(&self) -> Option<Duration> {
            Some(self.now.get())
        }
        /// Sleeps `d` of fake time; fails the test where a real sleep loop would run for
        /// ever (slices that shrink to nothing, say), since the fake time then stops.
        fn sleep(&self, d: Duration) {
            self.now.set(self.now.get() + d);
            self.sleeps.set(self.sleeps.get() + 1);
            assert!(self.sleeps.get() < 10_000, "still sleeping after 10000 sleeps");
        }
        fn elapsed(&self) -> Duration {
            self.now.get() - Duration::from_secs(100)
        }
    }

    /// An untimed wait on a word that never changes still returns, spuriously, after
    /// `BOUND`: a wake the waiter cannot see is never waited through for longer.
    #[test]
    fn an_unchanged_word_returns_after_the_bound() {
        let clock = Fake::new();
        let result = wait(|| 7, 7, None, || clock.now(), |d| clock.sleep(d));
        assert_eq!(result, Ok(()));
        assert_eq!(clock.elapsed(), BOUND);
        // 20, 40, 80, 160, 320 µs, then 500 µs slices up to 2 ms: few wakeups per call.
        assert!(clock.sleeps.get() <= 9, "{} sleeps", clock.sleeps.get());
    }

    /// A change is seen at the next slice, and the slices grow no longer than `LONGEST_SLICE`.
    #[test]
    fn a_change_is_seen_within_a_slice() {
        let clock = Fake::new();
        let slices = core::cell::RefCell::new(Vec::new());
        let changes_at = Duration::from_micros(1234);
        let load = || if clock.elapsed() >= changes_at { 1 } else { 0 };
        let result = wait(
            load,
            0,
            None,
            || clock.now(),
            |d| {
                slices.borrow_mut().push(d);
                clock.sleep(d)
            },
        );
        assert_eq!(result, Ok(()));
        assert!(clock.elapsed() >= changes_at);
        assert!(clock.elapsed() < changes_at + LONGEST_SLICE);
        assert_eq!(slices.borrow()[0], FIRST_SLICE);
        assert!(slices.borrow().iter().all(|&s| s <= LONGEST_SLICE));
    }

    /// A short timeout: `Timeout` once it passed, never before.
    #[test]
    fn a_short_timeout_times_out_on_time() {
        let clock = Fake::new();
        let timeout = Duration::from_micros(700);
        let result = wait(|| 0, 0, Some(timeout), || clock.now(), |d| clock.sleep(d));
        assert_eq!(result, Err(Timeout));
        assert_eq!(clock.elapsed(), timeout);
    }

    /// A timeout longer than `BOUND`: a spurious return after `BOUND`, not a `Timeout`; the
    /// caller waits again (a `Deadline` with the rest).
    #[test]
    fn a_long_timeout_returns_spuriously_at_the_bound() {
        let clock = Fake::new();
        let result = wait(|| 0, 0, Some(Duration::MAX), || clock.now(), |d| clock.sleep(d));
        assert_eq!(result, Ok(()));
        assert_eq!(clock.elapsed(), BOUND);
    }

    /// A sleep that returns early (a signal) only costs another look. (The fake sleep
    /// advances at least 1 µs, as real time does between two reads of a clock.)
    #[test]
    fn early_sleeps_are_harmless() {
        let clock = Fake::new();
        let timeout = Duration::from_micros(300);
        let early = |d: Duration| clock.sleep((d / 3).max(Duration::from_micros(1)));
        let result = wait(|| 0, 0, Some(timeout), || clock.now(), early);
        assert_eq!(result, Err(Timeout));
        assert!(clock.elapsed() >= timeout);
    }

    /// Without a clock: one short sleep and a spurious return, never a `Timeout`.
    #[test]
    fn no_clock_no_timeout() {
        let slept = Cell::new(Duration::ZERO);
        let result = wait(|| 0, 0, Some(Duration::from_nanos(1)), || None, |d| slept.set(d));
        assert_eq!(result, Ok(()));
        assert_eq!(slept.get(), FIRST_SLICE);
    }

    /// A value that already differs returns without sleeping.
    #[test]
    fn a_different_value_returns_at_once() {
        let clock = Fake::new();
        assert_eq!(wait(|| 1, 0, None, || clock.now(), |d| clock.sleep(d)), Ok(()));
        assert_eq!(clock.sleeps.get(), 0);
    }
}
