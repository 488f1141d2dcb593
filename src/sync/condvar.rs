//! `Condvar<B>`: a condition variable in one 32-bit word, sleeping through backend `B`.
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
//! others find it held and sleep again on the mutex's word. Linux can avoid that second sleep
//! with `FUTEX_REQUEUE` (move the sleepers to the mutex's queue without waking them), but
//! [`FutexBackend`] offers only wait and wake on one address, so no portable primitive can
//! requeue. What we do instead keeps the herd small: the mutex registers each loser as one
//! waiter and wakes exactly one per unlock, so every waiter is woken at most twice (once by
//! the notification, once by the unlock that lets it in), never in a storm. Prefer
//! `notify_one` when any one waiter can act on the change.
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

use super::word::{Ordering::Relaxed, Word};
use crate::FutexBackend;

/// A condition variable in one `u32` that sleeps through backend `B`; it works with the
/// guards of any `lock_api` mutex: [`sync::Mutex`](crate::sync::Mutex) and
/// [`generic::Mutex<B, T>`](crate::sync::generic::Mutex) on any backend, and others'.
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
/// the condition for you.
///
/// # Layout
///
/// One `AtomicU32` (`#[repr(transparent)]`): 4 bytes, aligned to 4, whatever `B`; all-zero
/// bytes are [`new()`](Self::new), nobody waiting. A zero-filled mapping shared with other
/// processes holds a ready one, for `Condvar<backend::Shared<_>>` (README, "Across
/// processes").
#[repr(transparent)]
pub struct Condvar<B> {
    seq: Word,
    backend: PhantomData<fn() -> B>,
}

/// Whether a timed wait of a [`Condvar`] ended because its time was up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True if the wait ended because the time really passed (not a notification, not a
    /// spurious return).
    pub fn timed_out(self) -> bool {
        self.0
    }
}

impl<B> Condvar<B> {
    /// A condition variable nobody waits on.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        Condvar { seq: Word::new(0), backend: PhantomData }
    }

    /// A condition variable nobody waits on (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        Condvar { seq: Word::new(0), backend: PhantomData }
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for Condvar<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for Condvar<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}

impl<B: FutexBackend> Condvar<B> {
    /// Wakes one thread waiting on this condition variable, if any (all of them on a
    /// process-shared backend: see the module docs, "Across processes").
    #[inline]
    pub fn notify_one(&self) {
        self.seq.fetch_add(1, Relaxed);
        super::word::wake::<B>(&self.seq, 1);
    }

    /// Wakes every thread waiting on this condition variable.
    #[inline]
    pub fn notify_all(&self) {
        self.seq.fetch_add(1, Relaxed);
        super::word::wake::<B>(&self.seq, u32::MAX);
    }

    /// The first step of every wait, taken while the mutex is still held: the counter's
    /// value, to sleep on once the mutex is released (see the module docs).
    #[inline]
    pub(crate) fn seen(&self) -> u32 {
        self.seq.load(Relaxed)
    }

    /// The word waiters sleep on (for the loom model, which runs the wait by hand).
    #[cfg(all(loom, test))]
    pub(crate) fn word(&self) -> &Word {
        &self.seq
    }
}

#[cfg(not(all(loom, test)))]
mod guards {
    use core::time::Duration;

    use super::*;
    use crate::sync::lock_api::{MutexGuard, RawMutex};
    use crate::sync::word::{self, Sleep};
    use crate::{Clock, Deadline, Timeout};

    impl<B: FutexBackend> Condvar<B> {
        /// Releases the guard's mutex, sleeps until notified (or spuriously), and takes the
        /// mutex again before returning. Check your condition in a loop, or use
        /// [`wait_while`](Self::wait_while).
        pub fn wait<R: RawMutex, T: ?Sized>(&self, guard: &mut MutexGuard<'_, R, T>) {
            let seen = self.seen();
            MutexGuard::unlocked(guard, || word::wait::<B>(&self.seq, seen))
        }

        /// Waits until `condition` returns false (it is checked first, with the mutex held, and
        /// after every wakeup).
        pub fn wait_while<R: RawMutex, T: ?Sized>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            mut condition: impl FnMut(&mut T) -> bool,
        ) {
            while condition(&mut **guard) {
                self.wait(guard);
            }
        }

        /// Like [`wait`](Self::wait), for at most `timeout`: the result says whether the time
        /// really passed. It may also return early, without a timeout, spuriously. Any
        /// `Duration` is accepted; a zero one only releases and retakes the mutex.
        ///
        /// It needs no clock: the backend times the one wait. Works without std.
        pub fn wait_for<R: RawMutex, T: ?Sized>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            timeout: Duration,
        ) -> WaitTimeoutResult {
            let seen = self.seen();
            let result =
                MutexGuard::unlocked(guard, || word::timed_wait::<B>(&self.seq, seen, timeout));
            WaitTimeoutResult(result == Err(Timeout))
        }

        /// Waits while `condition` holds, until `deadline` (on any [`Clock`]) passes: the
        /// result says whether it gave up on time, with the condition still true.
        pub fn wait_while_by<R: RawMutex, T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
            mut condition: impl FnMut(&mut T) -> bool,
        ) -> WaitTimeoutResult {
            while condition(&mut **guard) {
                let seen = self.seen();
                let result = MutexGuard::unlocked(guard, || deadline.sleep(&self.seq, seen));
                if result == Err(Timeout) {
                    // The time is up; one last look, as the wait may have raced a notify.
                    return WaitTimeoutResult(condition(&mut **guard));
                }
            }
            WaitTimeoutResult(false)
        }

        crate::select::with_std_time! {
            /// Waits while `condition` holds, for at most `timeout` in all (std's clock): the
            /// result says whether it gave up, with the condition still true.
            // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
            pub fn wait_while_for<R: RawMutex, T: ?Sized>(
                &self,
                guard: &mut MutexGuard<'_, R, T>,
                timeout: Duration,
                condition: impl FnMut(&mut T) -> bool,
            ) -> WaitTimeoutResult {
                let mut deadline = Deadline::<B, _>::after(timeout);
                self.wait_while_by(guard, &mut deadline, condition)
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::{take_wake_counts, Recording, RecordingShared};

    #[test]
    fn notify_one_wakes_one_and_across_processes_all() {
        let private = Condvar::<Recording>::new();
        take_wake_counts();
        private.notify_one();
        private.notify_all();
        assert_eq!(take_wake_counts(), [1, u32::MAX]);
        // A waiter killed after the kernel chose it must not take the notification with it.
        let shared = Condvar::<RecordingShared>::new();
        shared.notify_one();
        assert_eq!(take_wake_counts(), [u32::MAX]);
    }
}
