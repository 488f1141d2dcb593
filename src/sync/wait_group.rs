//! `WaitGroup<B>`: wait until a count of pending tasks falls to zero, in one `u32` (after Go's
//! `sync.WaitGroup` and Zig's `Thread.WaitGroup`), with an epoch of the zeros that had
//! waiters, so that a group reused at once still releases the threads that were waiting.
//!
//! # The word
//!
//! ```text
//!   31          25 24                                  1   0
//!  +--------------+-------------------------------------+---+
//!  |    epoch     |    pending tasks (count, × PENDING) | W |
//!  +--------------+-------------------------------------+---+
//! ```
//!
//! | bits | name | meaning |
//! |---|---|---|
//! | 0 | [`WAITING`] | (while tasks are pending) some threads sleep on the word, or are about to |
//! | 1..=24 | [`PENDING`] × k | `k` tasks pending, at most [`MAX_PENDING`] (`2²⁴ − 1`) |
//! | 25..=31 | [`EPOCH`] × e | how many zeros found `WAITING` set (woke someone), modulo 2⁷ |
//!
//! All-zero is `new()`: nothing pending, nobody waiting, epoch 0. `wait` returns at once on
//! any value with `k = 0`, whatever the epoch.
//!
//! # Transitions
//!
//! - **add(n)**: `k → min(k + n, MAX_PENDING)` (compare-and-swap, Relaxed); `WAITING` and the
//!   epoch kept.
//! - **done**: `k → k − 1` (compare-and-swap, Release). Reaching `0` with `WAITING` set also
//!   clears `WAITING` and advances the epoch (`e → e + 1`, wrapping), and then wakes every
//!   sleeper; reaching `0` without it leaves the epoch alone. On `k = 0`, nothing (a `done`
//!   without its `add` is ignored rather than wrapping the count).
//! - **wait**: return if `k = 0`. Else note the epoch, set `WAITING` (compare-and-swap,
//!   Relaxed) and sleep on the exact value; after every return of the futex, look again:
//!   `k = 0`, or an epoch other than the one noted (a zero came, and an `add` after it),
//!   ends the wait.
//!
//! # Why no wake is lost
//!
//! A waiter sleeps only on a value with `k > 0` and `WAITING`, which it wrote or saw, and
//! whose epoch is the one it noted. Only the `done` that brings `k` to `0` clears `WAITING`,
//! so the first such `done` after that value in the word's modification order reads
//! `WAITING`, advances the epoch and wakes everyone after changing the word; the futex finds
//! the waiter asleep, or its compare sees a changed value. Any other change (an `add`, a
//! `done` that leaves `k > 0`) also changes the value, so a waiter about to sleep looks again;
//! one already asleep stays asleep until that zero, which is all it waits for.
//!
//! The epoch is what makes reuse safe. Once woken, the waiter looks at the word whenever it
//! next runs, and by then the group may have been reused: an `add` for the next round can land
//! between the zero and the look. The count then says "pending" again, but the epoch no longer
//! matches, so the waiter returns, as it would have at the zero itself; it does not sleep
//! through to the next round's zero. Only zeros with `WAITING` advance the epoch: a zero that
//! nobody waited for releases nobody, and leaving the epoch alone there makes it wrap only
//! after 2⁷ rounds that each had waiters. A waiter descheduled between its wake and its look
//! for that many such rounds would miss them all, and then sleeps until the next zero.
//!
//! (A zero that comes between a waiter's first look and its `WAITING` compare-and-swap, with
//! nobody registered and an `add` right after it, can leave the word exactly as the waiter
//! read it: the compare-and-swap succeeds, and the waiter sleeps until the next zero. That is
//! a wait that began after the zero, as far as anyone can tell: its look and its
//! registration were not one step.)
//!
//! # Orderings
//!
//! Every `done` is a Release read-modify-write and `wait` reads with Acquire. All changes of
//! the word are read-modify-writes, so the value that ends a wait (`k = 0`, or the new epoch
//! and a later `add`'s count) is in the release sequence of every `done` before it: what each
//! task wrote before its `done` is visible when `wait` returns. `add` and `WAITING` publish
//! nothing: Relaxed.
//!
//! # Across processes
//!
//! A waiter that dies leaves at most `WAITING` set, which only makes the next zero wake
//! (everybody: every wake here is one to all, so no wake can be meant for a waiter that dies
//! with it).

use core::marker::PhantomData;

use super::word::{self, Forever, Ordering::*, Sleep, Word};
use crate::{FutexBackend, Timeout};

/// Bit 0: (while tasks are pending) some threads sleep on the word, waiting for the count to
/// reach zero.
pub(crate) const WAITING: u32 = 1;
/// One pending task, counted in bits 1 to 24.
pub(crate) const PENDING: u32 = 2;
/// The bits of the pending count.
const COUNT: u32 = MAX_PENDING * PENDING;
/// One zero that found `WAITING` set, counted (wrapping) in bits 25 to 31.
pub(crate) const EPOCH: u32 = 1 << 25;
/// The bits of the epoch.
const EPOCHS: u32 = !(COUNT | WAITING);
/// The most tasks that can be pending at once: `2²⁴ − 1`.
const MAX_PENDING: u32 = EPOCH / PENDING - 1;

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
/// A group may be reused, even at once: an `add` for the next round may come right after the
/// last `done` of this one, before the waiters have woken. Every thread that was waiting when
/// the count reached zero returns, even if it looks only after that `add` (it does not wait
/// for the next round's zero). What a task wrote before its `done` is visible when `wait`
/// returns. Misuse is defined, not undefined: the
/// count saturates at [`MAX_PENDING`](Self::MAX_PENDING), and a `done` with nothing pending is
/// ignored.
// One word, and all-zero bytes are `new()`: usable in memory shared with another process.
// The count and the epoch share it (see the module docs), which is why the count stops at
// 2²⁴ − 1.
#[repr(transparent)]
pub struct WaitGroup<B> {
    state: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> WaitGroup<B> {
    /// The most tasks that can be pending at once: `2²⁴ − 1` (16 777 215). `add` saturates
    /// there.
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
            let pending = ((state & COUNT) / PENDING).saturating_add(n).min(MAX_PENDING);
            let new = (pending * PENDING) | (state & !COUNT);
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
        (self.state.load(Relaxed) & COUNT) / PENDING
    }

    /// True if nothing is pending (with Acquire: what the tasks wrote before `done` is visible).
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.state.load(Acquire) & COUNT == 0
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
            if state & COUNT == 0 {
                return;
            }
            let mut new = state - PENDING;
            if new & COUNT == 0 && new & WAITING != 0 {
                // The last one, with waiters: nobody is left to wake them later. Clear the mark
                // and advance the epoch, so that a waiter that looks only after the next `add`
                // still knows this zero came.
                new = (new & EPOCHS).wrapping_add(EPOCH);
            }
            // Release: what the task wrote is visible to the thread whose `wait` returns.
            match self.state.compare_exchange_weak(state, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & (COUNT | WAITING) == PENDING | WAITING {
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

    /// Sleeps until nothing is pending (returns at once if nothing is). Once the count reaches
    /// zero while this waits, it returns, even if an `add` for the next round comes before it
    /// has woken.
    #[inline]
    pub fn wait(&self) {
        if !self.is_idle() {
            let _ = self.wait_slow(&mut Forever::<B>::new());
        }
    }

    /// Sleeps until nothing is pending, or until a zero with waiters has come since the first
    /// look (the epoch moved); gives up when `sleep` reports `Timeout`.
    #[cold]
    pub(crate) fn wait_slow(&self, sleep: &mut impl Sleep) -> Result<(), Timeout> {
        let mut state = self.state.load(Acquire);
        let released = released_since(state);
        // Tell the last `done` that it has to wake (WAITING); then sleep on what we wrote.
        while let Some(seen) = word::mark_waiting(&self.state, state, WAITING, released) {
            let slept = sleep.sleep(&self.state, seen);
            state = self.state.load(Acquire);
            if slept.is_err() {
                // Time is up; a zero that came just now still counts.
                return if released(state) { Ok(()) } else { Err(Timeout) };
            }
        }
        Ok(())
    }

    /// Waits until nothing is pending, from an async task (feature `async`): the same wait as
    /// [`wait`](Self::wait), awaiting the word instead of sleeping on it, so the last `done`
    /// wakes threads and tasks alike. Cancel-safe: a dropped wait leaves only its mark.
    #[cfg(feature = "async")]
    pub async fn wait_async(&self) {
        word::wait_marked_async::<B, _>(&self.state, WAITING, released_since).await
    }
}

/// Whether a waiter that first looked at `first` may go: nothing pending, or a zero with
/// waiters has come since (another epoch).
fn released_since(first: u32) -> impl Fn(u32) -> bool + Copy {
    let epoch = first & EPOCHS;
    move |state| state & COUNT == 0 || state & EPOCHS != epoch
}

#[cfg(not(all(loom, test)))]
impl<B: FutexBackend> WaitGroup<B> {
    /// Sleeps until nothing is pending (as [`wait`](Self::wait)), or until `deadline` passes
    /// (on any [`Clock`](crate::Clock)): `Err(Timeout)` only once its clock says the time has
    /// passed.
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
        /// Sleeps until nothing is pending (as [`wait`](Self::wait)), for at most `timeout`:
        /// `Err(Timeout)` only once that time has really passed. Any `Duration` is accepted.
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
            (EPOCH, 1),
            "the last, with a waiter: the mark goes, the epoch moves"
        );
        group.done();
        assert_eq!(
            (group.state.load(Relaxed), take_wake_calls()),
            (EPOCH, 0),
            "nothing pending: ignored"
        );
        group.add(1);
        group.done();
        assert_eq!(
            (group.state.load(Relaxed), take_wake_calls()),
            (EPOCH, 0),
            "a zero nobody waited for leaves the epoch"
        );
    }

    #[test]
    fn the_epoch_wraps_apart_from_the_count_and_the_mark() {
        let group = WaitGroup::<Recording>::new();
        take_wake_calls();
        // The last epoch, a waiter, one task: the zero wraps the epoch to 0.
        group.state.store(EPOCHS | PENDING | WAITING, Relaxed);
        group.done();
        assert_eq!((group.state.load(Relaxed), take_wake_calls()), (0, 1));
        // A saturating `add` keeps the epoch and the mark, and stops short of the epoch bits.
        group.state.store((5 * EPOCH) | WAITING, Relaxed);
        group.add(u32::MAX);
        assert_eq!(group.state.load(Relaxed), (5 * EPOCH) | COUNT | WAITING);
        assert_eq!(group.pending(), WaitGroup::<Recording>::MAX_PENDING);
        assert_eq!(MAX_PENDING, (1 << 24) - 1);
        assert!(!group.is_idle());
        // Nothing pending in a later epoch: idle, and `wait` does not sleep.
        group.state.store(3 * EPOCH, Relaxed);
        assert!(group.is_idle());
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        assert_eq!(group.wait_slow(&mut sleep), Ok(()));
        assert!(sleep.slept_on.is_empty());
    }

    /// A sleep that is woken once, after `meanwhile` ran (what other threads did while this
    /// one slept), and whose time is up at every later sleep: a waiter that goes back to sleep
    /// after its wake reports `Timeout` here instead of hanging.
    struct WokenOnce<'a> {
        sleeps: u32,
        meanwhile: &'a dyn Fn(),
    }

    impl Sleep for WokenOnce<'_> {
        fn sleep(&mut self, _: &Word, _: u32) -> Result<(), Timeout> {
            self.sleeps += 1;
            if self.sleeps > 1 {
                return Err(Timeout);
            }
            (self.meanwhile)();
            Ok(())
        }
    }

    #[test]
    fn a_zero_then_an_add_before_the_woken_waiter_looks_still_releases_it() {
        // The review's case: the last `done` wakes the waiter, and the next round's `add`
        // lands before the woken waiter runs. It must return, not sleep until the next zero.
        let group = WaitGroup::<Recording>::new();
        group.add(1);
        let reused = || {
            group.done();
            group.add(1);
        };
        let mut sleep = WokenOnce { sleeps: 0, meanwhile: &reused };
        assert_eq!(group.wait_slow(&mut sleep), Ok(()), "slept through the zero");
        assert_eq!(sleep.sleeps, 1);
        assert_eq!(group.pending(), 1, "the next round's task");
        // The same when the time runs out just as the zero and the `add` come.
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &reused };
        assert_eq!(group.wait_slow(&mut sleep), Ok(()), "timed out through the zero");
        assert_eq!(group.pending(), 1);
        // A waiter that starts after the zero waits for the next one.
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        assert_eq!(group.wait_slow(&mut sleep), Err(Timeout));
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
