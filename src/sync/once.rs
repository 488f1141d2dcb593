//! `Once<B>`: run a closure exactly once, however many threads ask, in one `u32`.
//!
//! # The word
//!
//! | value | meaning |
//! |---|---|
//! | [`INCOMPLETE`] | nobody has run a closure to completion; the next caller runs its own |
//! | [`POISONED`] | a closure panicked: `call_once` panics, `call_once_force` runs its closure |
//! | [`RUNNING`] | one thread runs its closure; nobody sleeps on the word |
//! | [`QUEUED`] | one thread runs its closure; some threads sleep on the word, or are about to |
//! | [`COMPLETE`] | a closure returned: every later call returns at once |
//!
//! # Transitions
//!
//! - **start**: `INCOMPLETE → RUNNING`, or `POISONED → RUNNING` when the poison is ignored
//!   (compare-and-swap, Acquire: the runner of a poisoned `Once` sees what the panicked
//!   closure wrote before its panic).
//! - **queue**: `RUNNING → QUEUED` (compare-and-swap, Relaxed) by a thread that will sleep;
//!   then it sleeps on `QUEUED` exactly. Sleepers never leave `QUEUED` themselves.
//! - **finish**: the runner replaces `RUNNING` or `QUEUED` by `COMPLETE` if its closure
//!   returned, by `POISONED` if it unwound, or back by `INCOMPLETE` (or `POISONED`) if it
//!   asked to abandon (the error of `OnceLock::get_or_try_init`); Release, so that what the
//!   closure wrote is seen by every thread that later reads `COMPLETE` with Acquire. If the
//!   value it replaced was `QUEUED`, it wakes every sleeper.
//!
//! `COMPLETE` is final: nothing leaves it (only `OnceLock::take`, through `&mut`, builds a new
//! `Once` in its place).
//!
//! # Why no wake is lost
//!
//! A thread sleeps only on `QUEUED`, which it wrote or saw. The runner's finish is a
//! read-modify-write, so it comes after or before the queueing compare-and-swap in the word's
//! one modification order: after, and it reads `QUEUED` and wakes everybody; before, and the
//! queueing compare-and-swap fails (the word is no longer `RUNNING`), so the thread looks
//! again instead of sleeping. A sleeper whose futex compares the word after the finish sees a
//! value other than `QUEUED` and does not sleep; one that sleeps before it is woken, since the
//! wake follows the change. Everything else a waiter does is loop on what it reads.
//!
//! # Orderings
//!
//! The fast path of every later call is one Acquire load that reads `COMPLETE`: it
//! synchronizes with the finish's Release (every change of the word is a read-modify-write,
//! so a later value is in the release sequence of the finish), and the closure's writes
//! happen before the caller returns. Queueing publishes nothing: Relaxed.

use core::cell::Cell;
use core::marker::PhantomData;

use super::word::{self, Ordering::*, Word};
use crate::FutexBackend;

/// Nobody has run a closure to completion; the next caller runs its own.
pub(crate) const INCOMPLETE: u32 = 0;
/// A closure panicked: `call_once` panics, `call_once_force` runs its closure.
pub(crate) const POISONED: u32 = 1;
/// One thread runs its closure, and nobody sleeps on the word.
pub(crate) const RUNNING: u32 = 2;
/// One thread runs its closure, and some threads sleep on the word (or are about to).
pub(crate) const QUEUED: u32 = 3;
/// A closure returned; nothing leaves this state.
pub(crate) const COMPLETE: u32 = 4;

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
/// Calling `call_once` on the same `Once` from inside its own closure deadlocks: the inner
/// call waits for the outer one to finish.
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

impl<B> Once<B> {
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
        let state = match self.state.load(Relaxed) {
            INCOMPLETE => "incomplete",
            POISONED => "poisoned",
            RUNNING | QUEUED => "running",
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
            match state {
                COMPLETE => return,
                POISONED if !ignore_poison => poisoned(),
                INCOMPLETE | POISONED => {
                    // Acquire on success: see what a panicked closure wrote. Acquire on
                    // failure: we may read `COMPLETE` and return.
                    if let Err(now) =
                        self.state.compare_exchange_weak(state, RUNNING, Acquire, Acquire)
                    {
                        state = now;
                        continue;
                    }
                    // From here, our `Finish` puts an end to `RUNNING` however `f` leaves:
                    // `POISONED` if it unwinds, what `OnceState` says if it returns.
                    let mut finish = Finish { once: self, to: POISONED };
                    let once_state =
                        OnceState { poisoned: state == POISONED, finish_to: Cell::new(COMPLETE) };
                    f(&once_state);
                    finish.to = once_state.finish_to.get();
                    return;
                }
                RUNNING => {
                    // Tell the runner that somebody sleeps; then sleep on what we wrote.
                    match self.state.compare_exchange_weak(RUNNING, QUEUED, Relaxed, Acquire) {
                        Ok(_) => state = QUEUED,
                        Err(now) => state = now,
                    }
                }
                _ => {
                    // QUEUED: sleep until the runner finishes (or spuriously), then look.
                    word::wait::<B>(&self.state, QUEUED);
                    state = self.state.load(Acquire);
                }
            }
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
        // Only the runner changes `RUNNING`/`QUEUED` into anything but `QUEUED`, so the loop
        // ends after at most one retry (a sleeper queueing in between).
        let mut state = self.once.state.load(Relaxed);
        loop {
            // Release: the closure's writes happen before any Acquire read of the result.
            match self.once.state.compare_exchange_weak(state, self.to, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state == QUEUED {
            word::wake::<B>(&self.once.state, u32::MAX);
        }
    }
}

#[cfg(not(all(loom, test)))]
const _: () = assert!(core::mem::size_of::<Once<crate::NoDefaultBackend>>() == 4);

/// What a caller does while another thread runs the closure, from words set up by hand.
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    use super::*;
    use crate::test_support::watchdog;
    use crate::Timeout;

    std::thread_local! {
        static SLEPT_ON: core::cell::Cell<Option<u32>> = const { core::cell::Cell::new(None) };
    }

    /// Records the word a caller sleeps on; the runner "finishes" during the sleep.
    struct RunnerFinishes;

    impl FutexBackend for RunnerFinishes {
        fn wait(futex: &AtomicU32, expect: u32, _: Option<Duration>) -> Result<(), Timeout> {
            assert_eq!(expect, QUEUED, "a caller sleeps only on QUEUED");
            SLEPT_ON.with(|s| s.set(Some(futex.load(Relaxed))));
            futex.store(COMPLETE, Relaxed);
            Ok(())
        }
        fn wake(_: *const AtomicU32, _: u32) {}
    }

    #[test]
    fn a_caller_queues_itself_before_it_sleeps_on_a_running_once() {
        watchdog("a caller of a running Once to return once it completes", || {
            let once = Once::<RunnerFinishes>::new();
            once.state.store(RUNNING, Relaxed);
            once.call(false, &mut |_| panic!("the closure runs on the other thread"));
            // It marked the word `QUEUED` (so the runner wakes it) before sleeping on it.
            assert_eq!(SLEPT_ON.with(|s| s.get()), Some(QUEUED));
            assert!(once.is_completed());
        });
    }
}
