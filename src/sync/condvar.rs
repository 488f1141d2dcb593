//! `RawCondvar<B, R>`: a condition variable in one 32-bit word, sleeping through backend `B`,
//! for any `lock_api` raw mutex `R`.
//!
//! # The word
//!
//! A notification counter (`seq`), nothing else: every `notify_*` adds one, wrapping. A waiter
//! reads it while it still holds the mutex, releases the mutex, and sleeps only while the
//! counter still has the value it read.
//!
//! # Why no notification is lost
//!
//! A notification matters to a waiter only if it comes after the waiter checked its condition
//! under the mutex (before that, the waiter sees the changed condition and does not wait). The
//! notifier changes the condition under the same mutex, so it took the mutex after the waiter
//! released it, and its increment of `seq` comes after the waiter's read of `seq` (the
//! waiter's read happens before its unlock, which happens before the notifier's lock). The
//! increment therefore writes a later value than the one read, and the futex either sees the
//! new value (no sleep) or is asleep when the wake, which follows the increment, arrives.
//!
//! This holds for any number of notifications in between except exactly `2^32` of them
//! between the read and the futex's compare, which would bring `seq` back to the value read;
//! the waiter would then sleep until the next notification. Std's futex condvar has the same
//! window, and nothing can do 4 billion notifications in that gap.
//!
//! # Spurious wake-ups, and what `notify_*` return
//!
//! A waiter that finds the counter changed before it falls asleep returns, whichever waiter the
//! notification was for, so one `notify_one` may end two waits: waits may return spuriously. A
//! waiter cannot tell a notification meant for it from one meant for another, so this
//! condvar makes no promise of exact counts, and `notify_one` returns `false` and `notify_all`
//! `0`, as `lock_api::RawCondvar` prescribes for such an implementation. (Counting signals
//! instead, so that each wait consumes one, lets a thread that notifies and then waits take
//! its own signal back from the waiter it was for: in a ping-pong of turns on one condvar
//! that waiter sleeps for good. Exact counts need waiters told apart by when they came, which
//! one word cannot hold for an unbounded wait: a second word, or glibc's two groups of
//! waiters, would. Not done yet.)
//!
//! # Orderings
//!
//! Relaxed on both the read and the increment: what the notification is about is published
//! and read under the mutex (Release/Acquire of the lock), and the argument above uses the
//! mutex's happens-before plus the single modification order of `seq`, nothing else. The
//! futex's own compare is SeqCst, in one total order with every wake.
//!
//! # notify_all and the herd
//!
//! `notify_all` wakes every waiter, and they all then want the mutex, which one gets; the
//! others find it held, spin a little (the mutex's `Backoff`) and, if it is still held, sleep
//! on the mutex's word. The mutex registers each loser as one waiter and wakes exactly one per
//! unlock, so every waiter is woken at most twice (once by the notification, once by the unlock
//! that lets it in), never in a storm. `benches/condvar.rs` counts it: with 64 waiters, one
//! futex call per `notify_all`, and 1.08 to 1.22 sleeps per waiter per round where 1 is the
//! floor; a `notify_one` made under the lock costs its waiter no second sleep (2 per item of a
//! hand-off, the floor). Prefer `notify_one` when any one waiter can act on the change.
//!
//! The backend contract can now move sleepers instead of waking them
//! ([`FutexBackend::requeue`]: natively on Linux and the queue), which would take the herd's
//! extra sleeps away by moving the waiters onto the mutex's word. This condvar does not use it
//! yet: a moved waiter sleeps on the mutex's word without being counted there, so the notifier
//! must mark the mutex (its unlock must then wake), which means writing to the mutex's word;
//! and `lock_api`'s `notify_one` does not say whether the caller holds the mutex, so nothing
//! keeps that mutex alive while the notifier writes to it once the waiters have returned. The
//! design that closes both (a waiter count that the returning waiters wait on while a notifier
//! uses the mutex's address, and a mutex flag for uncounted sleepers) changes this type's
//! layout and the mutex's word, and comes with its own models.
//!
//! # Across processes
//!
//! On a backend with [`FutexBackend::PROCESS_SHARED`], `notify_one` wakes every waiter: the one
//! waiter a single wake reaches may be killed before it runs, and the notification would die
//! with it while the others sleep on. A condition variable may always wake more than asked
//! (every waiter re-checks its condition), so this costs only the herd, never correctness.
//! The herd is larger there: the shared mutex wakes every sleeper at each unlock (see
//! `RawMutex`'s "Across processes"), so a `notify_all` to `k` waiters costs up to `k²`
//! wake-ups instead of `2k`. A notifier killed between its increment and its wake loses its
//! notification, as any futex condition variable would.

use core::marker::PhantomData;

use super::word::{Ordering::Relaxed, Sleep, Word};
use crate::FutexBackend;

/// A condition variable in one `u32` that sleeps through backend `B`, for the guards of raw
/// mutex `R` (by default this crate's [`RawMutex<B>`](crate::sync::RawMutex)): the raw
/// condvar behind [`sync::Condvar`](crate::sync::Condvar) and
/// [`generic::Condvar<B, R>`](crate::sync::generic::Condvar), which are
/// `lock_api::Condvar<RawCondvar<B, R>>`.
///
/// ```
/// use portable_futex::sync::{Condvar, Mutex};
///
/// static READY: Mutex<bool> = Mutex::new(false);
/// static CHANGED: Condvar = Condvar::new();
///
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         *READY.lock() = true;
///         CHANGED.notify_one();
///     });
///     let mut ready = READY.lock();
///     CHANGED.wait_while(&mut ready, |ready| !*ready);
///     assert!(*ready);
/// });
/// ```
///
/// Waits may return spuriously (`wait`, `wait_for`); `wait_while` and its timed forms loop on
/// the condition for you. So `notify_one` returns `false` and `notify_all` `0`, as `lock_api`
/// prescribes for an implementation that does not rule spurious wake-ups out (module docs).
///
/// `R` may be any `lock_api::RawMutex`: [`RawFairMutex<B>`](crate::sync::RawFairMutex), another
/// backend's `RawMutex`, another crate's (`generic::Condvar<B, parking_lot::RawMutex>`); one
/// condition variable may serve several mutexes at once.
///
/// # Layout
///
/// One `AtomicU32` (`#[repr(transparent)]`): 4 bytes, aligned to 4, whatever `B` and `R`;
/// all-zero bytes are [`new()`](Self::new), nobody waiting. A zero-filled mapping shared with
/// other processes holds a ready one (README, "Across processes").
#[repr(transparent)]
pub struct RawCondvar<B, R = super::RawMutex<B>> {
    seq: Word,
    types: PhantomData<fn() -> (B, R)>,
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(all(loom, test), allow(dead_code))] // the models run the wait by hand
pub(crate) enum Woke {
    /// Notified, or spuriously: the two cannot be told apart.
    Returned,
    /// Its time really passed.
    TimedOut,
}

impl<B, R> RawCondvar<B, R> {
    /// A condition variable nobody waits on.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        RawCondvar { seq: Word::new(0), types: PhantomData }
    }

    /// A condition variable nobody waits on (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        RawCondvar { seq: Word::new(0), types: PhantomData }
    }
}

#[cfg(not(all(loom, test)))]
impl<B, R> Default for RawCondvar<B, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B, R> core::fmt::Debug for RawCondvar<B, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawCondvar").finish_non_exhaustive()
    }
}

impl<B: FutexBackend, R> RawCondvar<B, R> {
    /// Wakes one thread waiting on this condition variable, if any (all of them on a
    /// process-shared backend: see the module docs, "Across processes").
    #[inline]
    pub fn notify_one_raw(&self) {
        self.seq.fetch_add(1, Relaxed);
        super::word::wake::<B>(&self.seq, 1);
    }

    /// Wakes every thread waiting on this condition variable.
    #[inline]
    pub fn notify_all_raw(&self) {
        self.seq.fetch_add(1, Relaxed);
        super::word::wake::<B>(&self.seq, u32::MAX);
    }

    /// The first step of every wait, taken while the mutex is still held: the counter's
    /// value, to sleep on once the mutex is released (see the module docs).
    #[inline]
    pub(crate) fn seen(&self) -> u32 {
        self.seq.load(Relaxed)
    }

    /// The rest of a wait, with the mutex released: one sleep (by `sleep`) while the counter
    /// still holds `seen`.
    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // the models run the wait by hand
    pub(crate) fn sleep(&self, seen: u32, sleep: &mut impl Sleep) -> Woke {
        match sleep.sleep(&self.seq, seen) {
            Ok(()) => Woke::Returned,
            Err(_) => Woke::TimedOut,
        }
    }

    /// The word waiters sleep on (for the loom model, which runs the wait by hand).
    #[cfg(all(loom, test))]
    pub(crate) fn word(&self) -> &Word {
        &self.seq
    }
}

#[cfg(not(all(loom, test)))]
mod typed {
    use core::ptr;
    use core::time::Duration;

    use super::*;
    use crate::sync::lock_api::{self, MutexGuard, RawMutex};
    use crate::sync::word::{Forever, Sleep};
    use crate::{Clock, Deadline, Timeout};

    /// Releases `mutex` (held as `guard`), runs `f`, and takes the mutex again into `guard`,
    /// also if `f` or the release unwinds; aborts if taking it again unwinds (the guard would
    /// be left without a lock), as `lock_api::RawCondvar` requires.
    ///
    /// # Safety
    ///
    /// `guard` is the state of the caller's acquisition of `mutex`.
    unsafe fn released<R: RawMutex, T>(
        mutex: &R,
        guard: &mut R::Guard,
        f: impl FnOnce() -> T,
    ) -> T {
        /// Takes the mutex again into the guard's place when dropped (on return or unwind).
        struct Retake<'a, R: RawMutex> {
            mutex: &'a R,
            guard: *mut R::Guard,
        }
        impl<R: RawMutex> Drop for Retake<'_, R> {
            fn drop(&mut self) {
                /// Dropped only if `lock` unwinds: a panic while unwinding aborts.
                struct Abort;
                impl Drop for Abort {
                    fn drop(&mut self) {
                        panic!("a mutex's lock panicked while a condition variable retook it");
                    }
                }
                let abort = Abort;
                let held = self.mutex.lock();
                core::mem::forget(abort);
                // SAFETY: `guard` points at the caller's guard, whose old state was moved out
                // (and consumed by the release) before this `Retake` existed: it is
                // overwritten without being dropped.
                unsafe { ptr::write(self.guard, held) };
            }
        }
        // SAFETY: the caller's promise: `guard` holds this acquisition's state; we move it out
        // and hand it to `unlock`, and `Retake` writes a new one back before anyone reads it.
        let state = unsafe { ptr::read(guard) };
        let retake = Retake { mutex, guard };
        // SAFETY: `state` is the acquisition the caller holds. If this unwinds, the lock is
        // released (the trait's rule) and `retake` takes it again.
        unsafe { mutex.unlock(state) };
        let result = f();
        drop(retake);
        result
    }

    // SAFETY: `wait` reads the counter while the mutex is held and releases it only then
    // (`released`), so a notification after the release changes the counter from the value it
    // sleeps on (module docs); it takes the mutex again before it returns, and `released` does
    // so on every unwind too, or aborts. Spurious wake-ups are possible, so the notifications
    // return `false` and `0`. Waiting with several mutexes at once is fine: the word does not
    // name one.
    unsafe impl<B: FutexBackend, R: RawMutex> lock_api::RawCondvar for RawCondvar<B, R> {
        #[allow(clippy::declare_interior_mutable_const)]
        const INIT: Self = RawCondvar::new();

        type RawMutex = R;

        unsafe fn wait(&self, mutex: &R, guard: &mut R::Guard) {
            // SAFETY: the caller holds `mutex` as `guard`.
            unsafe { self.wait_with(mutex, guard, &mut Forever::<B>::new()) };
        }

        /// Wakes one waiter; `false` always: a wait may also return spuriously, so no count
        /// is promised (module docs).
        #[inline]
        fn notify_one(&self) -> bool {
            self.notify_one_raw();
            false
        }

        /// Wakes every waiter; `0` always, for the reason `notify_one` gives.
        #[inline]
        fn notify_all(&self) -> usize {
            self.notify_all_raw();
            0
        }
    }

    impl<B: FutexBackend, R> RawCondvar<B, R> {
        /// Waits (mutex released by `released`) by `sleep`; whether the time ran out.
        ///
        /// # Safety
        ///
        /// The caller holds `mutex` as `guard`.
        unsafe fn wait_with<M: RawMutex>(
            &self,
            mutex: &M,
            guard: &mut M::Guard,
            sleep: &mut impl Sleep,
        ) -> bool {
            let seen = self.seen();
            // SAFETY: the caller holds `mutex` as `guard`.
            let woke = unsafe { released(mutex, guard, || self.sleep(seen, sleep)) };
            woke == Woke::TimedOut
        }
    }

    crate::select::with_std_time! {
        // SAFETY: as the `RawCondvar` impl; the deadline only adds the way out "time up",
        // which leaves the word true (module docs) and then retakes the mutex the same way.
        // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
        unsafe impl<B, R> lock_api::RawCondvarTimed for RawCondvar<B, R>
        where
            B: FutexBackend,
            R: lock_api::RawMutexTimed<Duration = Duration, Instant = std::time::Instant>,
        {
            fn checked_duration_to_instant(timeout: &Duration) -> Option<std::time::Instant> {
                std::time::Instant::now().checked_add(*timeout)
            }

            unsafe fn wait_until(
                &self,
                mutex: &R,
                guard: &mut R::Guard,
                timeout: &std::time::Instant,
            ) -> bool {
                let left = timeout.saturating_duration_since(std::time::Instant::now());
                // SAFETY: the caller holds `mutex` as `guard`.
                unsafe { self.wait_with(mutex, guard, &mut Deadline::<B, _>::after(left)) }
            }

            unsafe fn wait_for(&self, mutex: &R, guard: &mut R::Guard, timeout: &Duration) -> bool {
                // A `Deadline` saturates: no instant to overflow.
                // SAFETY: the caller holds `mutex` as `guard`.
                unsafe { self.wait_with(mutex, guard, &mut Deadline::<B, _>::after(*timeout)) }
            }
        }
    }

    /// Timed waits for [`Condvar`](crate::sync::Condvar) on any target: by a [`Deadline`] on
    /// any [`Clock`], or timed by the backend alone (no clock at all). Like every wait of
    /// this condvar, they may return spuriously (without a notification, before the time).
    ///
    /// With std, `lock_api`'s own `wait_for`, `wait_until`, `wait_while_for` and
    /// `wait_while_until` are there too (they return `lock_api`'s `WaitTimeoutResult`); without
    /// std they are not (no clock to default to), and these are how a `no_std` program gives up
    /// on a condition variable:
    ///
    /// ```
    /// use core::time::Duration;
    /// use portable_futex::sync::{Condvar, CondvarExt, Mutex};
    /// use portable_futex::{Deadline, StdClock};
    ///
    /// let ready = Mutex::new(false);
    /// let changed = Condvar::new();
    /// let mut guard = ready.lock();
    /// let mut deadline = Deadline::with_clock(Some(Duration::from_millis(1)), StdClock::new());
    /// let result = changed.wait_while_by(&mut guard, &mut deadline, |ready| !*ready);
    /// assert!(result.timed_out()); // nobody set it
    /// assert!(changed.wait_timeout(&mut guard, Duration::from_millis(1)).timed_out());
    /// ```
    pub trait CondvarExt<B, R: RawMutex> {
        /// Waits for a notification until `deadline` passes (on any [`Clock`]). The result says
        /// whether the time really ran out; if not, the wait was notified, or returned
        /// spuriously.
        fn wait_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
        ) -> WaitTimeoutResult;

        /// Waits while `condition` holds (checked first, with the mutex held, and after every
        /// notification), until `deadline` passes: the result says whether it gave up on time,
        /// with the condition still true.
        fn wait_while_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
            condition: impl FnMut(&mut T) -> bool,
        ) -> WaitTimeoutResult;

        /// Waits for a notification for at most `timeout`, timed by the backend alone: no clock
        /// needed, on every target. The result says whether the time really passed. Any
        /// `Duration` is accepted; a zero one only releases and retakes the mutex.
        fn wait_timeout<T: ?Sized>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            timeout: Duration,
        ) -> WaitTimeoutResult;
    }

    impl<B: FutexBackend, R: RawMutex> CondvarExt<B, R> for lock_api::Condvar<RawCondvar<B, R>> {
        fn wait_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
        ) -> WaitTimeoutResult {
            let woke = wait_through_guard(self.raw(), guard, deadline);
            WaitTimeoutResult(woke == Woke::TimedOut)
        }

        fn wait_while_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
            mut condition: impl FnMut(&mut T) -> bool,
        ) -> WaitTimeoutResult {
            while condition(&mut **guard) {
                if self.wait_by(guard, deadline).timed_out() {
                    // The time is up; one last look, as a notification may have raced it.
                    return WaitTimeoutResult(condition(&mut **guard));
                }
            }
            WaitTimeoutResult(false)
        }

        fn wait_timeout<T: ?Sized>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            timeout: Duration,
        ) -> WaitTimeoutResult {
            let woke = wait_through_guard(self.raw(), guard, &mut BackendTimed::<B>::new(timeout));
            WaitTimeoutResult(woke == Woke::TimedOut)
        }
    }

    /// One wait through a typed guard: read the counter with the mutex held, then sleep with
    /// it released (`MutexGuard::unlocked` takes it again, also on unwind).
    fn wait_through_guard<B: FutexBackend, R: RawMutex, T: ?Sized>(
        condvar: &RawCondvar<B, R>,
        guard: &mut MutexGuard<'_, R, T>,
        sleep: &mut impl Sleep,
    ) -> Woke {
        let seen = condvar.seen();
        MutexGuard::unlocked(guard, || condvar.sleep(seen, sleep))
    }

    /// A sleep timed by the backend, once: `Timeout` as the backend reports it (the backend
    /// contract: only once the time really passed).
    struct BackendTimed<B> {
        timeout: Duration,
        backend: PhantomData<fn() -> B>,
    }

    impl<B> BackendTimed<B> {
        fn new(timeout: Duration) -> Self {
            BackendTimed { timeout, backend: PhantomData }
        }
    }

    impl<B: FutexBackend> Sleep for BackendTimed<B> {
        fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
            crate::sync::word::timed_wait::<B>(word, expect, self.timeout)
        }
    }
}

#[cfg(not(all(loom, test)))]
pub use self::typed::CondvarExt;

/// Whether a timed wait of [`CondvarExt`] ended because its time was up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True if the wait ended because the time really passed (not a notification).
    pub fn timed_out(self) -> bool {
        self.0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::{take_wake_counts, Recording, RecordingShared};

    #[test]
    fn notify_one_wakes_one_and_across_processes_all() {
        let private = RawCondvar::<Recording, ()>::new();
        take_wake_counts();
        private.notify_one_raw();
        private.notify_all_raw();
        assert_eq!(take_wake_counts(), [1, u32::MAX]);
        // A waiter killed after the kernel chose it must not take the notification with it.
        let shared = RawCondvar::<RecordingShared, ()>::new();
        shared.notify_one_raw();
        assert_eq!(take_wake_counts(), [u32::MAX]);
    }

    #[test]
    fn notify_returns_no_count() {
        use crate::sync::lock_api::RawCondvar as _;
        let cv = RawCondvar::<Recording>::new();
        assert!(!cv.notify_one());
        assert_eq!(cv.notify_all(), 0);
    }
}
