//! `WaitGroup<B>`: wait until a count of pending tasks falls to zero, in one `u32` (after Go's
//! `sync.WaitGroup` and Zig's `Thread.WaitGroup`).
//!
//! # The word
//!
//! ```text
//!   31                                        1   0
//!  +-------------------------------------------+---+
//!  |        pending tasks (count, × PENDING)   | W |
//!  +-------------------------------------------+---+
//! ```
//!
//! | value | meaning |
//! |---|---|
//! | `0` | nothing pending: `wait` returns at once |
//! | `k·PENDING` | `k` tasks pending, nobody waits |
//! | `k·PENDING + WAITING` | `k` tasks pending, some threads sleep on the word (or are about to) |
//!
//! # Transitions
//!
//! - **add(n)**: `k → min(k + n, MAX_PENDING)` (compare-and-swap, Relaxed), `WAITING` kept.
//! - **done**: `k → k − 1` (compare-and-swap, Release); reaching `0` also clears `WAITING`,
//!   and if `WAITING` was there, wakes every sleeper. On `k = 0`, nothing (a `done` without its
//!   `add` is ignored rather than wrapping the count).
//! - **wait**: return if `k = 0`; else set `WAITING` (compare-and-swap, Relaxed) and sleep on
//!   the exact value; look again after every return of the futex.
//!
//! # Why no wake is lost
//!
//! A waiter sleeps only on a value with `k > 0` and `WAITING`, which it wrote or saw. Only the
//! `done` that brings `k` to `0` clears `WAITING`, so that `done` comes after the waiter's value
//! in the word's modification order, reads `WAITING`, and wakes everyone after changing the
//! word; the futex finds the waiter asleep, or its compare sees a changed value. Any other
//! change (an `add`, a `done` that leaves `k > 0`) also changes the value, so a waiter about to
//! sleep looks again; one already asleep stays asleep until the count reaches zero, which is
//! all it waits for.
//!
//! # Orderings
//!
//! Every `done` is a Release read-modify-write and `wait` reads with Acquire. All changes of
//! the word are read-modify-writes, so the value `0` that `wait` reads is in the release
//! sequence of every `done` before it: what each task wrote before its `done` is visible when
//! `wait` returns. `add` and `WAITING` publish nothing: Relaxed.

use core::marker::PhantomData;

use super::word::{self, Forever, Ordering::*, Sleep, Word};
use crate::{FutexBackend, Timeout};

/// Bit 0: some threads sleep on the word, waiting for the count to reach zero.
pub(crate) const WAITING: u32 = 1;
/// One pending task, counted in bits 1 to 31.
pub(crate) const PENDING: u32 = 2;
/// The most tasks that can be pending at once: `2³¹ − 1`.
const MAX_PENDING: u32 = u32::MAX / PENDING;

/// Waits for a group of tasks to finish: `add` (or `start`) before each task, `done` (or
/// `finish`) when it ends, `wait` until none is pending. One `u32`, on backend `B`;
/// [`sync::WaitGroup`](crate::sync::WaitGroup) is this on the default backend.
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use portable_futex::sync::WaitGroup;
///
/// let group = WaitGroup::new();
/// let sum = AtomicU32::new(0);
/// std::thread::scope(|s| {
///     for i in 1..=4 {
///         group.start();
///         let (group, sum) = (&group, &sum);
///         s.spawn(move || {
///             sum.fetch_add(i, Ordering::Relaxed);
///             group.finish();
///         });
///     }
///     group.wait(); // all four have finished
///     assert_eq!(sum.load(Ordering::Relaxed), 10);
/// });
/// ```
///
/// A group may be reused: once `wait` has returned, `add` starts a new round. What a task
/// wrote before its `done` is visible when `wait` returns. Misuse is defined, not undefined:
/// the count saturates at [`MAX_PENDING`](Self::MAX_PENDING), and a `done` with nothing
/// pending is ignored.
// One word, and all-zero bytes are `new()`: usable in memory shared with another process.
#[repr(transparent)]
pub struct WaitGroup<B> {
    state: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> WaitGroup<B> {
    /// The most tasks that can be pending at once: `2³¹ − 1`.
    pub const MAX_PENDING: u32 = MAX_PENDING;

    /// A group with nothing pending.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        WaitGroup { state: Word::new(0), backend: PhantomData }
    }

    /// A group with nothing pending (loom's atomics are not `const`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        WaitGroup { state: Word::new(0), backend: PhantomData }
    }

    /// Adds `n` pending tasks (Go's `Add`). The count saturates at
    /// [`MAX_PENDING`](Self::MAX_PENDING).
    #[inline]
    pub fn add(&self, n: u32) {
        if n == 0 {
            return;
        }
        let mut state = self.state.load(Relaxed);
        loop {
            let pending = (state / PENDING).saturating_add(n).min(MAX_PENDING);
            let new = (pending * PENDING) | (state & WAITING);
            match self.state.compare_exchange_weak(state, new, Relaxed, Relaxed) {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
    }

    /// Adds one pending task (Zig's `start`): `add(1)`.
    #[inline]
    pub fn start(&self) {
        self.add(1)
    }

    /// How many tasks are pending now (a snapshot).
    #[inline]
    pub fn pending(&self) -> u32 {
        self.state.load(Relaxed) / PENDING
    }

    /// True if nothing is pending (with Acquire: what the tasks wrote before `done` is visible).
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.state.load(Acquire) < PENDING
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for WaitGroup<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for WaitGroup<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WaitGroup").field("pending", &self.pending()).finish()
    }
}

impl<B: FutexBackend> WaitGroup<B> {
    /// Marks one pending task as finished (Go's `Done`); the last one wakes every waiter.
    /// Ignored when nothing is pending.
    ///
    /// Never blocks and allocates nothing: safe to call from an interrupt handler when the
    /// backend's `wake` is, as `QueueWith` on `CriticalSectionLock` is (on targets without
    /// compare-and-swap the count changes inside a critical section).
    #[inline]
    pub fn done(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            if state < PENDING {
                return;
            }
            let mut new = state - PENDING;
            if new < PENDING {
                // The last one: nobody is left to wake the sleepers later.
                new = 0;
            }
            // Release: what the task wrote is visible to the thread whose `wait` returns.
            match self.state.compare_exchange_weak(state, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state == PENDING | WAITING {
            self.wake_all();
        }
    }

    /// Marks one pending task as finished (Zig's `finish`): [`done`](Self::done).
    #[inline]
    pub fn finish(&self) {
        self.done()
    }

    #[cold]
    fn wake_all(&self) {
        word::wake::<B>(&self.state, u32::MAX);
    }

    /// Sleeps until nothing is pending (returns at once if nothing is).
    #[inline]
    pub fn wait(&self) {
        if !self.is_idle() {
            let _ = self.wait_slow(&mut Forever::<B>::new());
        }
    }

    /// Sleeps until nothing is pending, or gives up when `sleep` reports `Timeout`.
    #[cold]
    pub(crate) fn wait_slow(&self, sleep: &mut impl Sleep) -> Result<(), Timeout> {
        let mut state = self.state.load(Acquire);
        loop {
            if state < PENDING {
                return Ok(());
            }
            if state & WAITING == 0 {
                match self.state.compare_exchange_weak(state, state | WAITING, Relaxed, Acquire) {
                    Ok(_) => state |= WAITING,
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            let slept = sleep.sleep(&self.state, state);
            state = self.state.load(Acquire);
            if slept.is_err() {
                return if state < PENDING { Ok(()) } else { Err(Timeout) };
            }
        }
    }
}

#[cfg(not(all(loom, test)))]
impl<B: FutexBackend> WaitGroup<B> {
    /// Sleeps until nothing is pending, or until `deadline` passes (on any
    /// [`Clock`](crate::Clock)): `Err(Timeout)` only once its clock says the time has passed.
    pub fn wait_by<C: crate::Clock>(
        &self,
        deadline: &mut crate::Deadline<B, C>,
    ) -> Result<(), Timeout> {
        if self.is_idle() {
            return Ok(());
        }
        self.wait_slow(deadline)
    }

    crate::select::with_std_time! {
        /// Sleeps until nothing is pending, for at most `timeout`: `Err(Timeout)` only once that
        /// time has really passed. Any `Duration` is accepted.
        pub fn wait_timeout(&self, timeout: core::time::Duration) -> Result<(), Timeout> {
            let mut deadline = crate::Deadline::<B, _>::after(timeout);
            self.wait_by(&mut deadline)
        }
    }
}

#[cfg(not(all(loom, test)))]
const _: () = assert!(core::mem::size_of::<WaitGroup<crate::NoDefaultBackend>>() == 4);

/// The count's arithmetic, from words set up by hand, with a backend that counts wakes.
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;
    use crate::test_support::{take_wake_calls, Recording, TimesOut};
    use crate::Timeout;

    #[test]
    fn add_sums_saturates_and_keeps_the_waiting_mark() {
        let group = WaitGroup::<Recording>::new();
        group.add(2);
        group.add(3);
        assert_eq!(group.state.load(Relaxed), 5 * PENDING);
        group.add(u32::MAX);
        assert_eq!(group.pending(), WaitGroup::<Recording>::MAX_PENDING);
        // One pending and a waiter asleep: adding keeps the waiter's mark.
        group.state.store(PENDING | WAITING, Relaxed);
        group.add(1);
        assert_eq!(group.state.load(Relaxed), (2 * PENDING) | WAITING);
    }

    #[test]
    fn done_wakes_only_when_the_last_task_ends_with_a_waiter() {
        let group = WaitGroup::<Recording>::new();
        take_wake_calls();
        group.add(1);
        group.done();
        assert_eq!((group.state.load(Relaxed), take_wake_calls()), (0, 0), "nobody waited");
        group.state.store((2 * PENDING) | WAITING, Relaxed);
        group.done();
        assert_eq!(
            (group.state.load(Relaxed), take_wake_calls()),
            (PENDING | WAITING, 0),
            "one left"
        );
        group.done();
        assert_eq!(
            (group.state.load(Relaxed), take_wake_calls()),
            (0, 1),
            "the last, with a waiter"
        );
        group.done();
        assert_eq!(
            (group.state.load(Relaxed), take_wake_calls()),
            (0, 0),
            "nothing pending: ignored"
        );
    }

    #[test]
    fn a_waiter_sleeps_on_the_marked_word_and_a_last_done_at_the_timeout_counts() {
        let group = WaitGroup::<Recording>::new();
        group.add(1);
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        assert_eq!(group.wait_slow(&mut sleep), Err(Timeout));
        assert_eq!(sleep.slept_on, [PENDING | WAITING]);
        let last = || group.done();
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &last };
        assert_eq!(group.wait_slow(&mut sleep), Ok(()));
        assert_eq!(sleep.slept_on, [PENDING | WAITING]);
    }
}
