//! `ResetEvent<B>`: a flag that threads wait for, in one `u32` (after Zig's
//! `Thread.ResetEvent`), with an epoch so that a `set` undone at once by a `reset` still
//! releases the threads that were waiting.
//!
//! # The word
//!
//! ```text
//!   31                                    2   1   0
//!  +---------------------------------------+---+---+
//!  |   epoch: sets so far (wrapping)       | W | S |
//!  +---------------------------------------+---+---+
//! ```
//!
//! | bits | name | meaning |
//! |---|---|---|
//! | 0 | [`SET`] | the event is set: `wait` returns at once |
//! | 1 | [`WAITING`] | (while unset) some threads sleep on the word, or are about to |
//! | 2..31 | [`EPOCH`] × n | how many times the event went from unset to set, modulo 2³⁰ |
//!
//! # Transitions
//!
//! - **set**: unset `e·EPOCH (+ WAITING)` → `(e + 1)·EPOCH + SET` (compare-and-swap, Release),
//!   clearing `WAITING`; if `WAITING` was there, wake every sleeper. On a set event: a
//!   compare-and-swap that writes the same value (Release), so that every `set` is in the
//!   word's modification order.
//! - **reset**: `e·EPOCH + SET → e·EPOCH` (compare-and-swap, Relaxed); nothing on an unset
//!   event. The epoch stays: it counts sets, not resets.
//! - **wait**: return if `SET`. Else note the epoch, set `WAITING` (compare-and-swap, Relaxed)
//!   and sleep on the exact value; after every return of the futex, look again: `SET`, or an
//!   epoch other than the one noted (a `set` came, and a `reset` after it), ends the wait.
//!
//! # Why no wake is lost
//!
//! A waiter sleeps only on a value with `WAITING` set and `SET` clear, which it wrote or saw.
//! Only a `set` clears `WAITING` (and a `reset` never touches an unset word), so the first
//! `set` after that value comes later in the word's modification order, reads `WAITING`, and
//! wakes everybody after its change; the futex then finds the waiter asleep, or its compare
//! sees the new value. A `set` that came first makes the waiter's compare-and-swap fail (the
//! value changed), and the waiter looks again. The epoch makes the outcome the same whether
//! the woken waiter runs before or after a following `reset`.
//!
//! # Orderings
//!
//! `set` is a Release read-modify-write and `wait` reads with Acquire; every change of the word
//! is a read-modify-write, so whatever value the waiter reads (the `set`'s, or a later
//! `reset`'s) is in the release sequence of that `set`, and what the setter wrote before `set`
//! is visible when `wait` returns. `reset` and the `WAITING` flag publish nothing: Relaxed.
//!
//! An epoch that goes all the way round (2³⁰ sets and resets) while a waiter is descheduled
//! between two looks would hide those sets from it; it then sleeps until the next `set`.

use core::marker::PhantomData;

use super::word::{self, Forever, Ordering::*, Sleep, Word};
use crate::{FutexBackend, Timeout};

/// Bit 0: the event is set.
pub(crate) const SET: u32 = 1;
/// Bit 1: (while unset) some threads sleep on the word, or are about to.
pub(crate) const WAITING: u32 = 2;
/// One unset-to-set transition, counted in bits 2 to 31.
pub(crate) const EPOCH: u32 = 4;

/// A flag that threads can wait for: set, reset, wait (with or without a timeout). One `u32`,
/// on backend `B`; [`sync::ResetEvent`](crate::sync::ResetEvent) is this on the default
/// backend.
///
/// ```
/// use portable_futex::sync::ResetEvent;
///
/// static READY: ResetEvent = ResetEvent::new();
///
/// std::thread::scope(|s| {
///     s.spawn(|| READY.set());
///     READY.wait(); // returns once the other thread has set it
/// });
/// assert!(READY.is_set());
/// READY.reset();
/// assert!(!READY.is_set());
/// ```
///
/// What a thread wrote before `set` is visible to a thread whose `wait` returns because of it.
/// A `wait` returns when it sees the event set, or when a `set` happened since the wait began
/// (even if a `reset` undid it before the waiter ran): a set-and-reset pulse releases the
/// threads that were waiting and no others.
// One word, and all-zero bytes are `new()`: usable in memory shared with another process.
#[repr(transparent)]
pub struct ResetEvent<B> {
    state: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> ResetEvent<B> {
    /// An event that is not set.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        ResetEvent { state: Word::new(0), backend: PhantomData }
    }

    /// An event that is not set (loom's atomics are not `const`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        ResetEvent { state: Word::new(0), backend: PhantomData }
    }

    /// True if the event is set (with Acquire: what the setter wrote is visible).
    #[inline]
    pub fn is_set(&self) -> bool {
        self.state.load(Acquire) & SET != 0
    }

    /// Whether a waiter has registered (for the loom models).
    #[cfg(all(loom, test))]
    pub(crate) fn has_waiters(&self) -> bool {
        self.state.load(Relaxed) & WAITING != 0
    }

    /// Unsets the event; threads that wait from now on sleep until the next [`set`](Self::set).
    /// Nothing happens if it is not set.
    #[inline]
    pub fn reset(&self) {
        let mut state = self.state.load(Relaxed);
        while state & SET != 0 {
            match self.state.compare_exchange_weak(state, state & !SET, Relaxed, Relaxed) {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for ResetEvent<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for ResetEvent<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResetEvent").field("set", &(self.state.load(Relaxed) & SET != 0)).finish()
    }
}

impl<B: FutexBackend> ResetEvent<B> {
    /// Sets the event, and wakes every thread waiting for it.
    ///
    /// Never blocks and allocates nothing: safe to call from an interrupt handler when the
    /// backend's `wake` is, as `QueueWith` on `CriticalSectionLock` is (on targets without
    /// compare-and-swap the word changes inside a critical section). With nobody waiting it
    /// costs a load and a compare-and-swap: no call into the backend.
    #[inline]
    pub fn set(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            let new = if state & SET != 0 {
                // Already set: write it again, so this `set` too is a Release in the order.
                state
            } else {
                ((state & !WAITING).wrapping_add(EPOCH)) | SET
            };
            match self.state.compare_exchange_weak(state, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & (SET | WAITING) == WAITING {
            self.wake_all();
        }
    }

    #[cold]
    fn wake_all(&self) {
        word::wake::<B>(&self.state, u32::MAX);
    }

    /// Sleeps until the event is set (returns at once if it is).
    #[inline]
    pub fn wait(&self) {
        if !self.is_set() {
            let _ = self.wait_slow(&mut Forever::<B>::new());
        }
    }

    /// Sleeps until the event is set, or gives up when `sleep` reports `Timeout`.
    #[cold]
    pub(crate) fn wait_slow(&self, sleep: &mut impl Sleep) -> Result<(), Timeout> {
        let mut state = self.state.load(Acquire);
        let released = released_since(state);
        // Tell the next `set` that it has to wake (WAITING); then sleep on what we wrote.
        while let Some(seen) = word::mark_waiting(&self.state, state, WAITING, released) {
            let slept = sleep.sleep(&self.state, seen);
            state = self.state.load(Acquire);
            if slept.is_err() {
                // Time is up; a `set` that came just now still counts.
                return if released(state) { Ok(()) } else { Err(Timeout) };
            }
        }
        Ok(())
    }

    /// Waits until the event is set, from an async task (feature `async`): the same wait as
    /// [`wait`](Self::wait), awaiting the word instead of sleeping on it, so a `set` wakes
    /// threads and tasks alike. Cancel-safe: a dropped wait leaves only its mark, which the
    /// next `set` clears.
    #[cfg(all(feature = "async", not(all(loom, test))))]
    pub async fn wait_async(&self) {
        word::wait_marked_async::<B, _>(&self.state, WAITING, released_since).await
    }
}

/// Whether a waiter that first looked at `first` may go: the event is set, or a `set` has
/// come since (another epoch), even if a `reset` followed it.
fn released_since(first: u32) -> impl Fn(u32) -> bool + Copy {
    let epoch = first & !(SET | WAITING);
    move |state| state & SET != 0 || state & !(SET | WAITING) != epoch
}

#[cfg(not(all(loom, test)))]
impl<B: FutexBackend> ResetEvent<B> {
    /// Sleeps until the event is set, or until `deadline` passes (on any
    /// [`Clock`](crate::Clock)): `Err(Timeout)` only once its clock says the time has passed.
    pub fn wait_by<C: crate::Clock>(
        &self,
        deadline: &mut crate::Deadline<B, C>,
    ) -> Result<(), Timeout> {
        if self.is_set() {
            return Ok(());
        }
        self.wait_slow(deadline)
    }

    crate::select::with_std_time! {
        /// Sleeps until the event is set, for at most `timeout`: `Err(Timeout)` only once that
        /// time has really passed. Any `Duration` is accepted.
        pub fn wait_timeout(&self, timeout: core::time::Duration) -> Result<(), Timeout> {
            let mut deadline = crate::Deadline::<B, _>::after(timeout);
            self.wait_by(&mut deadline)
        }
    }
}

#[cfg(not(all(loom, test)))]
const _: () = assert!(core::mem::size_of::<ResetEvent<crate::NoDefaultBackend>>() == 4);

/// The word's transitions, from words set up by hand, with a backend that counts wakes.
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;
    use crate::test_support::{take_wake_calls, Recording, TimesOut};

    #[test]
    fn set_and_reset_with_nobody_waiting_never_wake() {
        let e = ResetEvent::<Recording>::new();
        take_wake_calls();
        e.set();
        e.reset();
        assert!(!e.is_set());
        assert_eq!(e.state.load(Relaxed), EPOCH, "one epoch, nobody waiting");
        e.set();
        e.set();
        e.reset();
        e.reset();
        assert_eq!(e.state.load(Relaxed), 2 * EPOCH);
        assert_eq!(take_wake_calls(), 0, "a wake with nobody waiting");
        // Set in the epoch that wrapped to 0.
        e.state.store(SET, Relaxed);
        e.reset();
        assert_eq!(e.state.load(Relaxed), 0);
    }

    #[test]
    fn a_waiter_sleeps_on_the_word_with_its_mark_and_a_late_pulse_still_counts() {
        let e = ResetEvent::<Recording>::new();
        e.state.store(3 * EPOCH, Relaxed);
        // Nothing happens meanwhile: a timeout, after one sleep on the marked word.
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        assert_eq!(e.wait_slow(&mut sleep), Err(Timeout));
        assert_eq!(sleep.slept_on, [3 * EPOCH + WAITING]);
        // A set and a reset while the time ran out: the pulse was for this waiter.
        let pulse = || {
            e.set();
            e.reset();
        };
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &pulse };
        assert_eq!(e.wait_slow(&mut sleep), Ok(()));
        assert_eq!(sleep.slept_on, [3 * EPOCH + WAITING]);
        assert_eq!(e.state.load(Relaxed), 4 * EPOCH);
    }
}
