//! `Parker<B>`: a token that one thread sleeps for and others hand it, in one `u32` (what
//! std's `thread::park`/`unpark` and an executor's `block_on` are built on).
//!
//! # The word
//!
//! ```text
//!   31                                        1   0
//!  +-------------------------------------------+---+
//!  |      parked threads (count, × PARKED)     | T |
//!  +-------------------------------------------+---+
//! ```
//!
//! | value | meaning |
//! |---|---|
//! | `0` ([`EMPTY`]) | no token, nobody parked: `unpark` is one read-modify-write |
//! | [`TOKEN`] | a token is pending: the next `park` takes it and returns at once |
//! | `k·PARKED` | no token, `k` threads parked (asleep, or about to be) |
//! | `k·PARKED + TOKEN` | a token is pending and `k` threads are parked: one of them takes it |
//!
//! A parker belongs to one thread, which parks; others unpark it. Counting the parked threads
//! rather than keeping one "parked" flag keeps it correct when several threads park on it at
//! once anyway: each token releases one of them, and none is stranded.
//!
//! # Transitions
//!
//! - **unpark**: set `TOKEN` (`fetch_or`, Release). If the token was not already there and
//!   threads are parked, wake one (all, across processes: see the last section). A second
//!   `unpark` before a `park` finds the token there: at most one is pending.
//! - **park, fast**: `TOKEN → EMPTY` (compare-and-swap, Acquire).
//! - **park, slow**: take the token if it is there (`s → s − TOKEN`, Acquire); else register
//!   (`s → s + PARKED`, Relaxed) and from then on, whenever `TOKEN` is there, take it and
//!   leave in one step (`s → s − TOKEN − PARKED`, Acquire); while it is not, sleep on the
//!   exact value seen.
//! - **give up** (time up): leave (`−PARKED`, Relaxed), unless the token is there, in which
//!   case take it and leave (`−TOKEN − PARKED`, Acquire) and report it taken: the wake the
//!   `unpark` sent may have been absorbed by us.
//! - **unwinding out of a sleep** (a user's backend or `Clock` may panic): leave (`−PARKED`,
//!   Relaxed) without the token, and if the token is there and other threads are still
//!   parked, wake one: the wake the `unpark` sent may have been absorbed by us, and an
//!   unwinding thread does not take the token.
//!
//! # Why no wake is lost
//!
//! A parked thread sleeps only on a value that counts it and has no `TOKEN`. The `unpark`
//! that sets the token after that value reads the count in its `fetch_or` and wakes one
//! sleeper after the change; the futex finds a sleeper (this one or another parked thread,
//! which then takes the token in its place), or the compare sees the token and the thread
//! does not sleep. An `unpark` before the registration leaves the token for the registering
//! thread to see. The token is taken only by a thread that leaves (and so is no longer
//! counted), so a pending token with parked threads always has a wake on its way. A thread
//! that leaves without the token while it is there (unwinding) sends a wake itself if others
//! are counted: its leaving and the `unpark` are read-modify-writes of the one word, so it
//! sees the token whenever the `unpark`'s wake could have been its own.
//!
//! # Orderings
//!
//! `unpark` is a Release read-modify-write; taking the token is an Acquire one. Every change of
//! the word is a read-modify-write, so the taking reads from the release sequence of the
//! `unpark` that set the token: what the unparker wrote before `unpark` is visible when `park`
//! returns. Registering and leaving without the token publish nothing: Relaxed.
//!
//! # Across processes
//!
//! On a backend with [`FutexBackend::PROCESS_SHARED`] (`backend::Shared<_>`), a parked thread
//! in another process may be killed (`SIGKILL`) at any moment, also after the kernel picked it
//! for a wake and before it ran; with several threads parked, a wake sent to exactly one would
//! die with it and leave the token pending while the living ones sleep. So there every wake of
//! the parker (`unpark`'s, and the one an unwinding thread passes on) goes to all parked
//! threads: each looks, one takes the token, the others sleep again. A dead parked thread then
//! costs at most a wake that finds nobody, and a token is always taken by a living parked
//! thread (or left for the next `park`). The count a dead thread leaves in the word is never
//! taken back: it can only be too high, and a count too high only makes `unpark` wake when
//! nobody sleeps. (`unpark` skips its wake only when nobody is counted parked, or when the
//! token is already pending, and the wake of the `unpark` that set it went to everybody.) A thread killed after taking the token
//! takes it with it.

use core::marker::PhantomData;

use super::word::{self, Forever, Ordering::*, Sleep, Word};
use crate::FutexBackend;

/// No token, nobody parked.
pub(crate) const EMPTY: u32 = 0;
/// Bit 0: a token is pending.
pub(crate) const TOKEN: u32 = 1;
/// One parked thread, counted in bits 1 to 31.
pub(crate) const PARKED: u32 = 2;

/// A wake-up token for one thread: `park` sleeps until there is a token and takes it,
/// `unpark` gives one (at most one is pending). One `u32`, on backend `B`;
/// [`sync::Parker`](crate::sync::Parker) is this on the default backend.
///
/// ```
/// use core::sync::atomic::{AtomicBool, Ordering};
/// use portable_futex::sync::Parker;
///
/// let parker = Parker::new();
/// let ready = AtomicBool::new(false);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         ready.store(true, Ordering::Relaxed);
///         parker.unpark();
///     });
///     while !ready.load(Ordering::Relaxed) {
///         parker.park(); // an unpark before the park is not lost
///     }
/// });
/// ```
///
/// This is what an executor's `block_on` needs: the waker calls `unpark`, the executor loop
/// polls and then `park`s. Unlike std's `thread::park`, `park` never returns spuriously: it
/// returns with a token. A parker belongs to one thread, which parks; if several threads park
/// on one anyway, each token releases one of them.
// One word, and all-zero bytes are `new()`: usable in memory shared with another process.
#[repr(transparent)]
pub struct Parker<B> {
    state: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> Parker<B> {
    /// A parker with no token.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        Parker { state: Word::new(EMPTY), backend: PhantomData }
    }

    /// A parker with no token (loom's atomics are not `const`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        Parker { state: Word::new(EMPTY), backend: PhantomData }
    }

    /// Whether a token is pending (for the loom models).
    #[cfg(all(loom, test))]
    pub(crate) fn has_token(&self) -> bool {
        self.state.load(Relaxed) & TOKEN != 0
    }

    /// Takes the token if one is pending; never blocks. True if taken.
    #[inline]
    pub fn try_park(&self) -> bool {
        // The common case: a token and nobody else parked.
        if self.state.compare_exchange(TOKEN, EMPTY, Acquire, Relaxed).is_ok() {
            return true;
        }
        let mut state = self.state.load(Relaxed);
        while state & TOKEN != 0 {
            match self.state.compare_exchange_weak(state, state - TOKEN, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for Parker<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for Parker<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.state.load(Relaxed);
        f.debug_struct("Parker")
            .field("token", &(state & TOKEN != 0))
            .field("parked", &(state / PARKED))
            .finish()
    }
}

impl<B: FutexBackend> Parker<B> {
    /// Sleeps until a token is pending, and takes it (returns at once if one is).
    #[inline]
    pub fn park(&self) {
        if self.state.compare_exchange(TOKEN, EMPTY, Acquire, Relaxed).is_err() {
            self.park_slow(&mut Forever::<B>::new());
        }
    }

    /// Makes a token pending, waking the parked thread if there is one. A token already
    /// pending stays one token.
    ///
    /// Never blocks and allocates nothing: safe to call from an interrupt handler when the
    /// backend's `wake` is, as `QueueWith` on `CriticalSectionLock` is (on targets without
    /// compare-and-swap the word changes inside a critical section). With nobody parked it
    /// costs one read-modify-write: no call into the backend.
    #[inline]
    pub fn unpark(&self) {
        // Release: what we wrote before is visible to the thread that takes the token.
        let before = self.state.fetch_or(TOKEN, Release);
        if before & TOKEN == 0 && before >= PARKED {
            self.wake_one();
        }
    }

    /// Wakes one parked thread; across processes, every parked thread (`word::wake`; see the
    /// module docs: a wake to one may die with it there).
    #[cold]
    fn wake_one(&self) {
        word::wake::<B>(&self.state, 1);
    }

    /// A parked thread unwinding out of its sleep (a user's backend or clock panicked) leaves
    /// without the token; if the token is there and others are parked, the wake the `unpark`
    /// sent may have been ours, so pass it on. A wake too many costs only a look.
    #[cold]
    fn leave_unwinding(&self) {
        let left = self.state.fetch_sub(PARKED, Relaxed).wrapping_sub(PARKED);
        if left & TOKEN != 0 && left >= PARKED {
            self.wake_one();
        }
    }

    /// Takes the token, sleeping until there is one; gives up when `sleep` reports `Timeout`.
    /// True if the token was taken.
    #[cold]
    pub(crate) fn park_slow(&self, sleep: &mut impl Sleep) -> bool {
        // No spinning first: measured on the ping-pong of `benches/sync_signals.rs`, 100 spins
        // before sleeping made a round trip twice as slow (the token of a hand-off comes
        // after the other side's wake-up, which takes longer than a spin is worth).
        if self.try_park() {
            return true;
        }
        let mut state = self.state.fetch_add(PARKED, Relaxed).wrapping_add(PARKED);
        // Taken back, with the wake we may have absorbed passed on, if the backend unwinds out
        // of its wait (a user's backend, or a clock that panics inside a timed wait);
        // forgotten on every normal exit, which leaves by a compare-and-swap of its own.
        let registration = Registration(self);
        loop {
            if state & TOKEN != 0 {
                match self.state.compare_exchange_weak(
                    state,
                    state - TOKEN - PARKED,
                    Acquire,
                    Relaxed,
                ) {
                    Ok(_) => {
                        core::mem::forget(registration);
                        return true;
                    }
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            if sleep.sleep(&self.state, state).is_err() {
                core::mem::forget(registration);
                return self.give_up();
            }
            state = self.state.load(Relaxed);
        }
    }

    /// A parked thread whose time is up: leave, taking the token if it is there. True if taken.
    #[cold]
    fn give_up(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            let (new, taken) = if state & TOKEN != 0 {
                (state - TOKEN - PARKED, true)
            } else {
                (state - PARKED, false)
            };
            match self.state.compare_exchange_weak(state, new, Acquire, Relaxed) {
                Ok(_) => return taken,
                Err(now) => state = now,
            }
        }
    }
}

#[cfg(not(all(loom, test)))]
impl<B: FutexBackend> Parker<B> {
    /// Sleeps until a token is pending and takes it, or until `deadline` passes (on any
    /// [`Clock`](crate::Clock)): `Err(Timeout)`, with no token taken, only once its clock says
    /// the time has passed.
    pub fn park_by<C: crate::Clock>(
        &self,
        deadline: &mut crate::Deadline<B, C>,
    ) -> Result<(), crate::Timeout> {
        if self.try_park() || self.park_slow(deadline) {
            Ok(())
        } else {
            Err(crate::Timeout)
        }
    }

    crate::select::with_std_time! {
        /// Sleeps until a token is pending and takes it, for at most `timeout`: `Err(Timeout)`,
        /// with no token taken, only once that time has really passed. Any `Duration` is accepted.
        pub fn park_timeout(&self, timeout: core::time::Duration) -> Result<(), crate::Timeout> {
            let mut deadline = crate::Deadline::<B, _>::after(timeout);
            self.park_by(&mut deadline)
        }
    }
}

/// A parked thread's registration, taken back on unwind only ([`Parker::leave_unwinding`]).
struct Registration<'a, B: FutexBackend>(&'a Parker<B>);

impl<B: FutexBackend> Drop for Registration<'_, B> {
    fn drop(&mut self) {
        self.0.leave_unwinding();
    }
}

#[cfg(not(all(loom, test)))]
const _: () = assert!(core::mem::size_of::<Parker<crate::NoDefaultBackend>>() == 4);

/// The word's transitions from states set up by hand (the suites reach these only in races).
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::{take_wake_calls, take_wake_counts, Recording, RecordingShared};

    #[test]
    fn try_park_beside_a_parked_thread_takes_only_the_token() {
        // A token pending while another thread is still counted as parked (it has been woken
        // and not yet looked): taking the token leaves its count alone.
        let p = Parker::<crate::NoDefaultBackend>::new();
        p.state.store(TOKEN + 2 * PARKED, Relaxed);
        assert!(p.try_park());
        assert_eq!(p.state.load(Relaxed), 2 * PARKED);
        assert!(!p.try_park());
        assert_eq!(p.state.load(Relaxed), 2 * PARKED);
    }

    extern crate std;

    #[test]
    fn unpark_wakes_only_a_parked_thread_without_a_token() {
        let p = Parker::<Recording>::new();
        // (word before, wakes asked, word after)
        for (before, wakes, after) in [
            (EMPTY, 0, TOKEN),
            (TOKEN, 0, TOKEN),
            (PARKED, 1, TOKEN + PARKED),
            (TOKEN + PARKED, 0, TOKEN + PARKED),
        ] {
            p.state.store(before, Relaxed);
            take_wake_calls();
            p.unpark();
            assert_eq!((take_wake_calls(), p.state.load(Relaxed)), (wakes, after));
        }
    }

    #[test]
    fn across_processes_unpark_wakes_every_parked_thread() {
        // A wake to one parked thread can die with it (killed after the kernel picked it).
        let p = Parker::<RecordingShared>::new();
        // (word before, wakes sent, word after)
        for (before, wakes, after) in [
            (EMPTY, std::vec![], TOKEN),
            (PARKED, std::vec![u32::MAX], TOKEN + PARKED),
            (3 * PARKED, std::vec![u32::MAX], TOKEN + 3 * PARKED),
            (TOKEN + 3 * PARKED, std::vec![], TOKEN + 3 * PARKED),
        ] {
            p.state.store(before, Relaxed);
            take_wake_counts();
            p.unpark();
            assert_eq!((take_wake_counts(), p.state.load(Relaxed)), (wakes, after));
        }
        // The same parker privately: one.
        let p = Parker::<Recording>::new();
        p.state.store(3 * PARKED, Relaxed);
        take_wake_counts();
        p.unpark();
        assert_eq!(take_wake_counts(), [1]);
    }

    #[test]
    fn a_dead_parkers_count_costs_only_wakes() {
        // Two counts that nobody will take back (their processes died): the owner still takes
        // a token and parks and times out as usual, leaving them as they were.
        let p = Parker::<RecordingShared>::new();
        p.state.store(2 * PARKED, Relaxed);
        take_wake_counts();
        p.unpark();
        assert_eq!(take_wake_counts(), [u32::MAX], "nobody is asleep, yet it wakes");
        p.park();
        assert_eq!(p.state.load(Relaxed), 2 * PARKED);
        assert!(!p.park_slow(&mut TimesOut { unparked: false }));
        assert_eq!(p.state.load(Relaxed), 2 * PARKED);
    }

    /// A sleep during which another thread unparks (at most 100 times; then `Timeout`, so
    /// that a parker that never sees its token still ends).
    struct UnparkedMeanwhile(u32);

    impl Sleep for UnparkedMeanwhile {
        fn sleep(&mut self, word: &Word, _: u32) -> Result<(), crate::Timeout> {
            self.0 += 1;
            if self.0 > 100 {
                return Err(crate::Timeout);
            }
            word.fetch_or(TOKEN, Relaxed);
            Ok(())
        }
    }

    #[test]
    fn a_parked_thread_takes_the_token_and_its_count_out() {
        let p = Parker::<Recording>::new();
        // Alone, and with another thread counted as parked.
        for (before, after) in [(EMPTY, EMPTY), (PARKED, PARKED)] {
            p.state.store(before, Relaxed);
            let mut sleep = UnparkedMeanwhile(0);
            assert!(p.park_slow(&mut sleep), "from {before:#x}");
            assert_eq!((sleep.0, p.state.load(Relaxed)), (1, after), "from {before:#x}");
        }
    }

    /// A sleep whose time runs out, with or without an unpark just before.
    struct TimesOut {
        unparked: bool,
    }

    impl Sleep for TimesOut {
        fn sleep(&mut self, word: &Word, _: u32) -> Result<(), crate::Timeout> {
            if self.unparked {
                word.fetch_or(TOKEN, Relaxed);
            }
            Err(crate::Timeout)
        }
    }

    #[test]
    fn a_parked_thread_whose_time_is_up_leaves_taking_a_token_if_there() {
        let p = Parker::<Recording>::new();
        for (before, unparked, after) in [
            (EMPTY, false, EMPTY),
            (PARKED, false, PARKED),
            (EMPTY, true, EMPTY),
            (PARKED, true, PARKED),
        ] {
            p.state.store(before, Relaxed);
            let taken = p.park_slow(&mut TimesOut { unparked });
            let what = std::format!("from {before:#x}, unparked: {unparked}");
            assert_eq!((taken, p.state.load(Relaxed)), (unparked, after), "{what}");
        }
    }

    /// A sleep that unwinds (a user's backend, or a clock, that panics), after an `unpark`
    /// came during it if `.0`.
    struct Panics(bool);

    impl Sleep for Panics {
        fn sleep(&mut self, word: &Word, _: u32) -> Result<(), crate::Timeout> {
            if self.0 {
                // `unpark` as it changes the word (its wake is the one we "absorbed").
                word.fetch_or(TOKEN, Release);
            }
            panic!("a sleep that unwinds, on purpose")
        }
    }

    #[test]
    fn unwinding_out_of_a_park_takes_the_count_back() {
        let p = Parker::<Recording>::new();
        p.state.store(PARKED, Relaxed);
        take_wake_counts();
        let unwound = std::panic::catch_unwind(|| p.park_slow(&mut Panics(false)));
        assert!(unwound.is_err());
        assert_eq!(p.state.load(Relaxed), PARKED, "the other parked thread only");
        assert!(take_wake_counts().is_empty(), "no token: nothing to pass on");
    }

    /// Unwinds out of `park_slow` with one other thread parked and an `unpark` during the
    /// sleep: the word after, and the wakes sent.
    fn unwind_after_an_unpark<B: FutexBackend>() -> (u32, std::vec::Vec<u32>) {
        let p = Parker::<B>::new();
        p.state.store(PARKED, Relaxed);
        take_wake_counts();
        let unwound = std::panic::catch_unwind(|| p.park_slow(&mut Panics(true)));
        assert!(unwound.is_err());
        (p.state.load(Relaxed), take_wake_counts())
    }

    #[test]
    fn unwinding_out_of_a_park_passes_the_token_and_its_wake_on() {
        // The unpark's wake may have been ours: the token stays, and the other parked thread
        // is woken for it.
        assert_eq!(unwind_after_an_unpark::<Recording>(), (TOKEN + PARKED, std::vec![1]));
        assert_eq!(
            unwind_after_an_unpark::<RecordingShared>(),
            (TOKEN + PARKED, std::vec![u32::MAX])
        );
        // Alone: the token stays for the next park; nobody to wake.
        let p = Parker::<Recording>::new();
        take_wake_counts();
        let unwound = std::panic::catch_unwind(|| p.park_slow(&mut Panics(true)));
        assert!(unwound.is_err());
        assert_eq!((p.state.load(Relaxed), take_wake_counts()), (TOKEN, std::vec![]));
        assert!(p.try_park());
    }
}
