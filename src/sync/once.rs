//! `Once<B>`: run a closure exactly once, however many threads ask, in one `u32`.
//!
//! # The word
//!
//! ```text
//!   31                                    3   2   1   0
//!  +---------------------------------------+---+-------+
//!  |                 (zero)                | Q | state |
//!  +---------------------------------------+---+-------+
//! ```
//!
//! | value | meaning |
//! |---|---|
//! | [`INCOMPLETE`] | nobody has run a closure to completion; the next caller runs its own |
//! | [`POISONED`] | a closure panicked: `call_once` and `wait` panic; `call_once_force` runs |
//! | [`RUNNING`] | one thread runs its closure |
//! | [`COMPLETE`] | a closure returned: every later call returns at once |
//! | `+` [`QUEUED`] | (with one of the first three) threads sleep on the word, or are about to |
//!
//! Threads sleep while the `Once` runs (callers of `call_once` that found it running), and
//! also before anyone runs it or after a closure panicked (`wait`, `wait_force`): `QUEUED` can
//! be set in each state but `COMPLETE`.
//!
//! # Transitions
//!
//! - **start**: `INCOMPLETE → RUNNING`, or `POISONED → RUNNING` when the poison is ignored,
//!   keeping `QUEUED` (compare-and-swap, Acquire: the runner of a poisoned `Once` sees what the
//!   panicked closure wrote before its panic).
//! - **queue**: `s → s + QUEUED` (compare-and-swap, Relaxed) by a thread that will sleep: a
//!   caller that finds it `RUNNING`, or a `wait` that finds it `INCOMPLETE` (or `POISONED`, for
//!   `wait_force`); then it sleeps on `s + QUEUED` exactly. Sleepers never clear `QUEUED`.
//! - **finish**: the runner replaces `RUNNING` (± `QUEUED`) by `COMPLETE` if its closure
//!   returned, by `POISONED` if it unwound, or back by `INCOMPLETE` (or `POISONED`) if it asked
//!   to abandon (the error of `OnceLock::get_or_try_init`), clearing `QUEUED`; Release, so that
//!   what the closure wrote is seen by every thread that later reads `COMPLETE` with Acquire.
//!   If `QUEUED` was set, it wakes every sleeper.
//!
//! `COMPLETE` is final: nothing leaves it (only `OnceLock::take`, through `&mut`, builds a new
//! `Once` in its place).
//!
//! # Why no wake is lost
//!
//! A thread sleeps only on a value with `QUEUED`, which it wrote or saw. Only a finish clears
//! `QUEUED`, and every other change keeps it, so every value after the sleeper's, up to the
//! next finish, has it too: that finish reads `QUEUED` and wakes everybody after its change.
//! A sleeper whose futex compares the word after any change sees a value other than its own
//! and does not sleep; one that sleeps before the finish is woken, since the wake follows the
//! change. A sleeper on `INCOMPLETE + QUEUED` (a `wait` before anyone ran the `Once`) stays
//! asleep through a start (`RUNNING + QUEUED`, no wake), and is woken by that runner's finish.
//! If nobody ever starts, it sleeps on: nothing completed, which is what it waits for. After a
//! finish that did not complete (a panic, an abandon), the woken threads look again: a caller
//! starts its own closure (or panics on the poison), a `wait` queues again (or panics).
//!
//! # Orderings
//!
//! The fast path of every later call is one Acquire load that reads `COMPLETE`: it
//! synchronizes with the finish's Release (every change of the word is a read-modify-write,
//! so a later value is in the release sequence of the finish), and the closure's writes
//! happen before the caller returns. A `wait` returns only on a value `COMPLETE` read with
//! Acquire, the same way. Queueing publishes nothing: Relaxed.

use core::cell::Cell;
use core::marker::PhantomData;

use super::word::{self, Ordering::*, Word};
use crate::FutexBackend;

/// Nobody has run a closure to completion; the next caller runs its own.
pub(crate) const INCOMPLETE: u32 = 0;
/// A closure panicked: `call_once` and `wait` panic, `call_once_force` runs its closure.
pub(crate) const POISONED: u32 = 1;
/// One thread runs its closure.
pub(crate) const RUNNING: u32 = 2;
/// A closure returned; nothing leaves this state.
pub(crate) const COMPLETE: u32 = 3;
/// Bit 2, beside `INCOMPLETE`, `POISONED` or `RUNNING`: some threads sleep on the word (or are
/// about to), and the next finish must wake them.
pub(crate) const QUEUED: u32 = 4;

/// Runs a closure exactly once, however many threads ask: std's `Once`, on backend `B`, in one
/// `u32`. [`sync::Once`](crate::sync::Once) is this on the default backend.
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use portable_futex::sync::Once;
///
/// static INIT: Once = Once::new();
/// static RUNS: AtomicU32 = AtomicU32::new(0);
///
/// for _ in 0..3 {
///     INIT.call_once(|| {
///         RUNS.fetch_add(1, Ordering::Relaxed);
///     });
/// }
/// assert!(INIT.is_completed());
/// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
/// ```
///
/// Threads that call while another thread runs the closure sleep until it finishes. If the
/// closure panics, the `Once` is poisoned: later `call_once`s panic, and
/// [`call_once_force`](Self::call_once_force) runs its own closure, told of the poison through
/// [`OnceState`].
///
/// [`wait`](Self::wait) blocks until some thread has completed the `Once`, without running
/// anything itself.
///
/// Calling `call_once` (or `wait`) on the same `Once` from inside its own closure deadlocks:
/// the inner call waits for the outer one to finish.
// One word, and all-zero bytes are `new()`: usable in memory shared with another process.
#[repr(transparent)]
pub struct Once<B> {
    state: Word,
    backend: PhantomData<fn() -> B>,
}

/// What [`Once::call_once_force`] tells its closure: whether an earlier closure panicked.
#[derive(Debug)]
pub struct OnceState {
    poisoned: bool,
    /// What the word becomes when the closure returns.
    finish_to: Cell<u32>,
}

impl OnceState {
    /// True if a closure of this `Once` panicked before: what it wrote may be half done.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Leave the `Once` as it was instead of completing it when the closure returns (the
    /// error path of `OnceLock::get_or_try_init`): the next caller runs its own closure.
    #[cfg(not(all(loom, test)))]
    pub(crate) fn abandon(&self) {
        self.finish_to.set(if self.poisoned { POISONED } else { INCOMPLETE });
    }
}

/// Where a [`Once`] stands ([`Once::state`]): parking_lot's `OnceState`, under a name that
/// leaves `OnceState` to std's meaning (what `call_once_force` tells its closure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnceStatus {
    /// No closure has run to completion, and none runs now.
    New,
    /// A closure panicked, and none has completed since (nor runs now).
    Poisoned,
    /// A thread runs its closure now.
    InProgress,
    /// A closure returned: the `Once` is complete for good.
    Done,
}

impl OnceStatus {
    /// True if a closure panicked and none has completed since (`Poisoned`), as parking_lot's
    /// `OnceState::poisoned`.
    pub fn poisoned(self) -> bool {
        self == OnceStatus::Poisoned
    }

    /// True once a closure has returned (`Done`), as parking_lot's `OnceState::done`.
    pub fn done(self) -> bool {
        self == OnceStatus::Done
    }
}

impl<B> Once<B> {
    /// Where this `Once` stands now (a snapshot; with Acquire, so that after `Done` what the
    /// closure wrote is visible).
    pub fn state(&self) -> OnceStatus {
        match self.state.load(Acquire) & !QUEUED {
            INCOMPLETE => OnceStatus::New,
            POISONED => OnceStatus::Poisoned,
            RUNNING => OnceStatus::InProgress,
            _ => OnceStatus::Done,
        }
    }

    /// A `Once` whose closure has not run.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        Once { state: Word::new(INCOMPLETE), backend: PhantomData }
    }

    /// A `Once` whose closure has not run (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        Once { state: Word::new(INCOMPLETE), backend: PhantomData }
    }

    /// A `Once` that is already complete (for a `OnceLock` built from a value).
    #[cfg(not(all(loom, test)))]
    pub(crate) const fn new_complete() -> Self {
        Once { state: Word::new(COMPLETE), backend: PhantomData }
    }

    /// True once a closure has returned (with Acquire: what it wrote is visible).
    #[inline]
    pub fn is_completed(&self) -> bool {
        self.state.load(Acquire) == COMPLETE
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for Once<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for Once<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match self.state.load(Relaxed) & !QUEUED {
            INCOMPLETE => "incomplete",
            POISONED => "poisoned",
            RUNNING => "running",
            _ => "complete",
        };
        f.debug_struct("Once").field("state", &state).finish()
    }
}

impl<B: FutexBackend> Once<B> {
    /// Runs `f` if no closure of this `Once` has completed yet, and returns once one has
    /// (ours or another thread's). What the closure wrote is visible when this returns.
    ///
    /// # Panics
    ///
    /// If the `Once` is poisoned (an earlier closure panicked), and with the panic of `f` if
    /// it panics (which poisons the `Once`). Calling it again from inside `f` deadlocks.
    #[inline]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        if !self.is_completed() {
            self.call_once_slow(f);
        }
    }

    #[cold]
    #[inline(never)]
    fn call_once_slow<F: FnOnce()>(&self, f: F) {
        let mut f = Some(f);
        self.call(false, &mut |_| {
            if let Some(f) = f.take() {
                f()
            }
        });
    }

    /// Like [`call_once`](Self::call_once), but runs `f` even if the `Once` is poisoned, and
    /// tells it so through [`OnceState::is_poisoned`]. If `f` returns, the `Once` is complete.
    #[inline]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        if !self.is_completed() {
            self.call_once_force_slow(f);
        }
    }

    #[cold]
    #[inline(never)]
    fn call_once_force_slow<F: FnOnce(&OnceState)>(&self, f: F) {
        let mut f = Some(f);
        self.call(true, &mut |state| {
            if let Some(f) = f.take() {
                f(state)
            }
        });
    }

    /// The slow path: run `f` (at most once in this call), or wait for the thread that runs
    /// its own. Not generic over the closure, so there is one copy of it.
    #[cold]
    pub(crate) fn call(&self, ignore_poison: bool, f: &mut dyn FnMut(&OnceState)) {
        let mut state = self.state.load(Acquire);
        loop {
            let queued = state & QUEUED;
            match state & !QUEUED {
                COMPLETE => return,
                POISONED if !ignore_poison => poisoned(),
                INCOMPLETE | POISONED => {
                    // Keep `QUEUED`: threads in `wait` sleep on the word, and our finish must
                    // wake them. Acquire on success: see what a panicked closure wrote.
                    // Acquire on failure: we may read `COMPLETE` and return.
                    let running = RUNNING | queued;
                    if let Err(now) =
                        self.state.compare_exchange_weak(state, running, Acquire, Acquire)
                    {
                        state = now;
                        continue;
                    }
                    // From here, our `Finish` puts an end to `RUNNING` however `f` leaves:
                    // `POISONED` if it unwinds, what `OnceState` says if it returns.
                    let mut finish = Finish { once: self, to: POISONED };
                    let poisoned = state & !QUEUED == POISONED;
                    let once_state = OnceState { poisoned, finish_to: Cell::new(COMPLETE) };
                    f(&once_state);
                    finish.to = once_state.finish_to.get();
                    return;
                }
                // RUNNING: sleep until the runner finishes (or spuriously), then look.
                _ => state = self.sleep(state),
            }
        }
    }

    /// Sleeps until the `Once` is complete; with `ignore_poison`, through a poisoned state too
    /// (until a later call completes it), else panicking on one. Runs nothing.
    #[cold]
    fn wait_slow(&self, ignore_poison: bool) {
        let mut state = self.state.load(Acquire);
        loop {
            match state & !QUEUED {
                COMPLETE => return,
                POISONED if !ignore_poison => poisoned(),
                // Not run yet, running, or (ignored) poisoned: sleep until a finish.
                _ => state = self.sleep(state),
            }
        }
    }

    /// Marks the word `QUEUED` if it is not (so that the next finish wakes us), sleeps on the
    /// marked value, and returns the word as it is after (Acquire: we may read `COMPLETE` and
    /// return). `state` is not `COMPLETE`.
    fn sleep(&self, state: u32) -> u32 {
        if state & QUEUED == 0 {
            if let Err(now) =
                self.state.compare_exchange_weak(state, state | QUEUED, Relaxed, Acquire)
            {
                return now;
            }
        }
        word::wait::<B>(&self.state, state | QUEUED);
        self.state.load(Acquire)
    }

    /// Blocks until the `Once` is complete (returns at once if it is), without running
    /// anything: until some thread's `call_once` or `call_once_force` returns. If nobody calls
    /// them, it waits for ever. What the closure wrote is visible when this returns.
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU32, Ordering};
    /// use portable_futex::sync::Once;
    ///
    /// static READY: Once = Once::new();
    /// static VALUE: AtomicU32 = AtomicU32::new(0);
    ///
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         READY.wait(); // sleeps until the other thread's closure returns
    ///         assert_eq!(VALUE.load(Ordering::Relaxed), 7);
    ///     });
    ///     READY.call_once(|| VALUE.store(7, Ordering::Relaxed));
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// As std's: if the `Once` is poisoned, or becomes poisoned while this waits (the closure
    /// it waited for panicked). [`wait_force`](Self::wait_force) waits through the poison.
    #[inline]
    pub fn wait(&self) {
        if !self.is_completed() {
            self.wait_slow(false);
        }
    }

    /// Like [`wait`](Self::wait), but a poisoned `Once` does not end the wait: it blocks until a
    /// later [`call_once_force`](Self::call_once_force) completes it.
    ///
    /// ```
    /// use portable_futex::sync::Once;
    ///
    /// let once = Once::new();
    /// let _ = std::panic::catch_unwind(|| once.call_once(|| panic!("first try fails")));
    /// std::thread::scope(|s| {
    ///     s.spawn(|| once.wait_force()); // poisoned: waits for a closure that returns
    ///     once.call_once_force(|state| assert!(state.is_poisoned()));
    /// });
    /// assert!(once.is_completed());
    /// ```
    #[inline]
    pub fn wait_force(&self) {
        if !self.is_completed() {
            self.wait_slow(true);
        }
    }
}

#[cold]
#[inline(never)]
fn poisoned() -> ! {
    panic!("Once instance has previously been poisoned")
}

/// Ends a run: stores what the closure left (or `POISONED` if it unwound) and wakes the
/// sleepers. Runs on every exit of the closure, panics included.
struct Finish<'a, B: FutexBackend> {
    once: &'a Once<B>,
    to: u32,
}

impl<B: FutexBackend> Drop for Finish<'_, B> {
    fn drop(&mut self) {
        // Only the runner changes `RUNNING` (± `QUEUED`) into anything but `RUNNING + QUEUED`,
        // so the loop ends after at most one retry (a sleeper queueing in between).
        let mut state = self.once.state.load(Relaxed);
        loop {
            // Release: the closure's writes happen before any Acquire read of the result.
            match self.once.state.compare_exchange_weak(state, self.to, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & QUEUED != 0 {
            word::wake::<B>(&self.once.state, u32::MAX);
        }
    }
}

#[cfg(not(all(loom, test)))]
const _: () = assert!(core::mem::size_of::<Once<crate::NoDefaultBackend>>() == 4);

/// What a caller or a `wait` does while the `Once` is not complete, from words set up by hand.
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use core::sync::atomic::AtomicU32;
    use core::time::Duration;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;
    use crate::test_support::{take_wake_counts, watchdog, Recording};
    use crate::Timeout;

    std::thread_local! {
        static SLEPT_ON: core::cell::Cell<Option<u32>> = const { core::cell::Cell::new(None) };
    }

    /// Records the word a thread sleeps on; another thread's closure "completes" during the
    /// sleep.
    struct CompletedMeanwhile;

    impl FutexBackend for CompletedMeanwhile {
        fn wait(futex: &AtomicU32, expect: u32, _: Option<Duration>) -> Result<(), Timeout> {
            assert_ne!(expect & QUEUED, 0, "a thread sleeps only on a QUEUED word");
            SLEPT_ON.with(|s| s.set(Some(futex.load(Relaxed))));
            futex.store(COMPLETE, Relaxed);
            Ok(())
        }
        fn wake(_: *const AtomicU32, _: u32) {}
    }

    /// The word the last sleep on this thread was on, forgetting it.
    fn slept_on() -> Option<u32> {
        SLEPT_ON.with(|s| s.take())
    }

    #[test]
    fn state_names_each_word_with_or_without_sleepers() {
        for (word, status) in [
            (INCOMPLETE, OnceStatus::New),
            (POISONED | QUEUED, OnceStatus::Poisoned),
            (RUNNING, OnceStatus::InProgress),
            (RUNNING | QUEUED, OnceStatus::InProgress),
            (COMPLETE, OnceStatus::Done),
        ] {
            let once = Once::<Recording>::new();
            once.state.store(word, Relaxed);
            assert_eq!(once.state(), status, "{word}");
        }
        assert!(OnceStatus::Poisoned.poisoned() && OnceStatus::Done.done());
        assert!(!OnceStatus::New.poisoned() && !OnceStatus::InProgress.done());
    }

    #[test]
    fn a_caller_queues_itself_before_it_sleeps_on_a_running_once() {
        watchdog("a caller of a running Once to return once it completes", || {
            let once = Once::<CompletedMeanwhile>::new();
            once.state.store(RUNNING, Relaxed);
            once.call(false, &mut |_| panic!("the closure runs on the other thread"));
            // It marked the word `QUEUED` (so the runner wakes it) before sleeping on it.
            assert_eq!(slept_on(), Some(RUNNING | QUEUED));
            assert!(once.is_completed());
        });
    }

    #[test]
    fn wait_queues_itself_on_a_once_not_run_or_running() {
        watchdog("a wait on an unfinished Once to return once it completes", || {
            for before in [INCOMPLETE, RUNNING, INCOMPLETE | QUEUED, RUNNING | QUEUED] {
                let once = Once::<CompletedMeanwhile>::new();
                once.state.store(before, Relaxed);
                once.wait();
                assert_eq!(slept_on(), Some(before | QUEUED), "from {before:#x}");
                assert!(once.is_completed());
            }
            // Complete: no sleep.
            let once = Once::<CompletedMeanwhile>::new();
            once.call_once(|| {});
            once.wait();
            once.wait_force();
            assert_eq!(slept_on(), None);
        });
    }

    #[test]
    fn wait_panics_on_the_poison_and_wait_force_waits_through_it() {
        watchdog("a wait_force on a poisoned Once to return once it completes", || {
            for before in [POISONED, POISONED | QUEUED] {
                let once = Once::<CompletedMeanwhile>::new();
                once.state.store(before, Relaxed);
                let waited = catch_unwind(AssertUnwindSafe(|| once.wait()));
                assert!(waited.is_err(), "wait on a poisoned Once returned, from {before:#x}");
                assert_eq!(slept_on(), None);
                once.wait_force();
                assert_eq!(slept_on(), Some(POISONED | QUEUED), "from {before:#x}");
                assert!(once.is_completed());
            }
        });
    }

    #[test]
    fn a_start_keeps_the_sleepers_mark_and_its_finish_wakes_them() {
        // (word before, whether the poison is ignored, the poison the closure is told of)
        for (before, force, poisoned) in
            [(INCOMPLETE | QUEUED, false, false), (POISONED | QUEUED, true, true)]
        {
            let once = Once::<Recording>::new();
            once.state.store(before, Relaxed);
            take_wake_counts();
            let mut seen = None;
            once.call(force, &mut |state| {
                seen = Some((once.state.load(Relaxed), state.is_poisoned()));
            });
            assert_eq!(seen, Some((RUNNING | QUEUED, poisoned)), "from {before:#x}");
            let after = (once.state.load(Relaxed), take_wake_counts());
            assert_eq!(after, (COMPLETE, std::vec![u32::MAX]), "from {before:#x}");
        }
        // Nobody queued: no wake.
        let once = Once::<Recording>::new();
        take_wake_counts();
        once.call_once(|| {});
        assert_eq!((once.state.load(Relaxed), take_wake_counts()), (COMPLETE, std::vec![]));
        // A finish that does not complete (a panic) clears the mark too, and wakes.
        let once = Once::<Recording>::new();
        once.state.store(INCOMPLETE | QUEUED, Relaxed);
        let ran = catch_unwind(AssertUnwindSafe(|| once.call_once(|| panic!("on purpose"))));
        assert!(ran.is_err());
        assert_eq!((once.state.load(Relaxed), take_wake_counts()), (POISONED, std::vec![u32::MAX]));
        // `call_once` on a poisoned `Once` panics whether or not threads wait.
        once.state.store(POISONED | QUEUED, Relaxed);
        assert!(catch_unwind(AssertUnwindSafe(|| once.call_once(|| {}))).is_err());
        assert_eq!(once.state.load(Relaxed), POISONED | QUEUED);
    }
}
