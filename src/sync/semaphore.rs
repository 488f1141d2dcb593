//! `Semaphore<B>`: a count of permits, in two `u32`s: the permits, and the waiters.
//!
//! # The words
//!
//! - `permits`: how many permits are free right now (`0..=u32::MAX`). Threads sleep on it,
//!   on the value [`NO_PERMITS`].
//! - `waiters`: how many threads are registered to sleep (or about to). Only a waiter changes
//!   it, `+1` before its first look at a `0` permit count and `−1` when it leaves; `release`
//!   reads it to decide whether to wake anyone, and how many.
//!
//! Two words rather than one, because one `u32` cannot hold both counts at full range, and a
//! "someone sleeps" flag instead of a count would have to be cleared by some `release`, which
//! then cannot know whether sleepers it did not wake remain.
//!
//! # Transitions
//!
//! - **acquire**: `p → p − 1` for `p > 0` (compare-and-swap, Acquire). With no permit:
//!   register (`waiters + 1`, Relaxed), [`fence`] (SeqCst), then look at `permits` again; take
//!   one if there is one, else sleep on `0`. On leaving (with a permit, or when the time is up),
//!   `waiters − 1`.
//! - **release(n)**: `p → min(p + n, u32::MAX)` (compare-and-swap, Release), [`fence`]
//!   (SeqCst), read `waiters`; if some are registered, wake `min(n, waiters)` of them (all of
//!   them across processes: see the last section).
//! - **giving up** (time up): one last attempt to take a permit before leaving, since the wake
//!   we may have absorbed could have been meant for a permit that is still there.
//! - **unwinding out of a sleep** (a user's backend or `Clock` may panic): leave
//!   (`waiters − 1`), and if a permit is free, wake one sleeper, since the wake we may have
//!   absorbed could have been meant for that permit, and an unwinding thread does not take it.
//!
//! # Why no wake is lost
//!
//! The two fences make the classic store-buffering pair: the waiter writes `waiters` then
//! reads `permits`; `release` writes `permits` then reads `waiters`. The SeqCst fences are
//! totally ordered, and whichever comes second sees the other thread's write: either the
//! waiter reads the new permits (and takes one instead of sleeping), or `release` reads the
//! registration and wakes. Its wake comes after its change of `permits`, so the futex either
//! finds the waiter asleep (and wakes it) or the waiter's own atomic compare sees a count
//! other than `0` (and it does not sleep). A woken waiter that loses the permit to a running
//! thread sleeps again on `0`: the permit was taken, not lost. A waiter that gives up first
//! takes any permit it sees, and one that unwinds wakes another if it sees one, so a permit is
//! never left free while the thread that `release` woke for it has gone and others sleep. (The
//! unwinding waiter was woken after the `release` changed `permits`, so it reads that change
//! or a later one: a permit still free, or one that a running thread has taken.)
//!
//! # Orderings
//!
//! `release` is a Release read-modify-write and every taking is an Acquire one: all changes of
//! `permits` are read-modify-writes, so a taking reads from the release sequence of every
//! earlier `release`, and what a releaser wrote before `release` is visible to the thread that
//! gets the permit. The `waiters` count publishes nothing: Relaxed, with the fences above for
//! the one question it answers.
//!
//! # Across processes
//!
//! On a backend with [`FutexBackend::PROCESS_SHARED`] (`backend::Shared<_>`), a waiter in
//! another process may be killed (`SIGKILL`) at any moment, also after the kernel picked it for
//! a wake and before it ran. A wake sent to exactly one waiter would die with it, leaving a
//! permit free while the living waiters sleep. So there every wake of the semaphore
//! (`release`'s, and the one an unwinding waiter passes on) goes to all sleepers, whatever it
//! is for: each looks at `permits`, takes one if it can, and sleeps again if not. A dead waiter
//! then costs at most a wake that finds nobody, and every living waiter asleep when permits
//! are released is woken and looks, so a released permit is taken by a living waiter (or left
//! free for the next `acquire`). The registration a dead waiter leaves in `waiters` is never
//! taken back: the count can only be too high, and a count too high only makes `release` wake
//! when nobody sleeps; it decides whether to wake, never who gets a permit. A waiter killed
//! after it took a permit takes that permit with it, as a process that dies holding a lock
//! leaves it held. The price of waking all is a thundering herd on a contended semaphore.

use core::marker::PhantomData;

#[cfg(not(all(loom, test)))]
use core::sync::atomic::fence;
#[cfg(all(loom, test))]
use loom::sync::atomic::fence;

use super::word::{self, Forever, Ordering::*, Sleep, Word};
use crate::FutexBackend;

/// The value of `permits` that waiters sleep on: none free.
pub(crate) const NO_PERMITS: u32 = 0;

/// A counting semaphore: std has none, Zig's `Thread.Semaphore` is the model. Two `u32`s, on
/// backend `B`; [`sync::Semaphore`](crate::sync::Semaphore) is this on the default backend.
///
/// ```
/// use portable_futex::sync::Semaphore;
///
/// static SLOTS: Semaphore = Semaphore::new(2);
///
/// SLOTS.acquire();
/// assert!(SLOTS.try_acquire());
/// assert!(!SLOTS.try_acquire()); // both taken
/// SLOTS.release(2);
/// assert_eq!(SLOTS.available_permits(), 2);
/// ```
///
/// `acquire` takes one permit, sleeping while none is free; `release(n)` returns `n`. No
/// permit is lost or invented: every successful acquire took one that a `new` or `release`
/// gave, except that the count saturates at `u32::MAX` (a `release` beyond that is dropped).
/// A semaphore does not know who holds its permits: any thread, or an interrupt handler, may
/// release them.
// `permits` then `waiters`, whatever `B`; all-zero bytes are `new(0)`.
#[repr(C)]
pub struct Semaphore<B> {
    permits: Word,
    waiters: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> Semaphore<B> {
    /// A semaphore with `permits` free permits.
    #[cfg(not(all(loom, test)))]
    pub const fn new(permits: u32) -> Self {
        Semaphore { permits: Word::new(permits), waiters: Word::new(0), backend: PhantomData }
    }

    /// A semaphore with `permits` free permits (loom's atomics are not `const`).
    #[cfg(all(loom, test))]
    pub(crate) fn new(permits: u32) -> Self {
        Semaphore { permits: Word::new(permits), waiters: Word::new(0), backend: PhantomData }
    }

    /// How many permits are free now (a snapshot).
    #[inline]
    pub fn available_permits(&self) -> u32 {
        self.permits.load(Relaxed)
    }

    /// Takes a permit if one is free; never blocks.
    #[inline]
    pub fn try_acquire(&self) -> bool {
        let mut permits = self.permits.load(Relaxed);
        while permits != NO_PERMITS {
            // Acquire: what the releaser of this permit wrote is visible to us.
            match self.permits.compare_exchange_weak(permits, permits - 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => permits = now,
            }
        }
        false
    }
}

impl<B: FutexBackend> Semaphore<B> {
    /// Takes a permit, sleeping until one is free.
    #[inline]
    pub fn acquire(&self) {
        if !self.try_acquire() {
            self.acquire_slow(&mut Forever::<B>::new());
        }
    }

    /// Returns `n` permits, and wakes as many sleeping acquirers (at most; on a process-shared
    /// backend, every sleeping acquirer, see the module docs). `release(0)` does nothing.
    ///
    /// Never blocks and allocates nothing: safe to call from an interrupt handler when the
    /// backend's `wake` is, as `QueueWith` on `CriticalSectionLock` is (on targets without
    /// compare-and-swap the count changes inside a critical section). With nobody waiting it
    /// costs one read-modify-write, a fence and a load: no call into the backend.
    #[inline]
    pub fn release(&self, n: u32) {
        if n == 0 {
            return;
        }
        let mut permits = self.permits.load(Relaxed);
        loop {
            let new = permits.saturating_add(n);
            // Release: what we wrote before is visible to whoever takes these permits.
            match self.permits.compare_exchange_weak(permits, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => permits = now,
            }
        }
        // The other half of the waiter's registration and fence (see the module docs).
        fence(SeqCst);
        let waiters = self.waiters.load(Relaxed);
        if waiters != 0 {
            self.wake(n.min(waiters));
        }
    }

    /// Wakes `n` sleepers; across processes, every sleeper (`word::wake`; see the module docs:
    /// a wake to one waiter may die with it there).
    #[cold]
    fn wake(&self, n: u32) {
        word::wake::<B>(&self.permits, n);
    }

    /// A waiter unwinding out of its sleep (a user's backend or clock panicked) may have
    /// absorbed the wake a `release` sent for a permit; it will not take that permit, so if one
    /// is free, wake another sleeper for it. A wake too many costs only a look.
    #[cold]
    fn pass_wake_on(&self) {
        if self.permits.load(Relaxed) != NO_PERMITS {
            self.wake(1);
        }
    }

    /// Registers as a waiter and takes a permit, sleeping on `0`; gives up when `sleep`
    /// reports `Timeout` (after one last try). True if a permit was taken.
    #[cold]
    pub(crate) fn acquire_slow(&self, sleep: &mut impl Sleep) -> bool {
        self.waiters.fetch_add(1, Relaxed);
        // Taken back however we leave, unwinding out of a backend's wait included.
        let _registration = Registration(&self.waiters);
        // The waiter's half of the store-buffering pair: the registration above is ordered
        // before every look at `permits` below.
        fence(SeqCst);
        loop {
            if self.try_acquire() {
                return true;
            }
            let unwinding = UnwindWake(self);
            let slept = sleep.sleep(&self.permits, NO_PERMITS);
            core::mem::forget(unwinding);
            if slept.is_err() {
                return self.try_acquire();
            }
        }
    }
}

#[cfg(not(all(loom, test)))]
impl<B: FutexBackend> Semaphore<B> {
    /// Takes a permit from an async task (feature `async`), waiting while none is free: the
    /// same wait as [`acquire`](Self::acquire) (registered in `waiters`, the same fence),
    /// awaiting the word instead of sleeping on it, so a `release` wakes threads and tasks
    /// alike, at most as many as it releases.
    ///
    /// Cancel-safe: dropped while it waits, it takes its registration back, and a wake that
    /// had chosen it is passed on to another waiter (which looks for the permit it was for).
    #[cfg(feature = "async")]
    pub async fn acquire_async(&self) {
        if self.try_acquire() {
            return;
        }
        self.waiters.fetch_add(1, Relaxed);
        let _registration = Registration(&self.waiters);
        // The waiter's half of the store-buffering pair, as in `acquire_slow`.
        fence(SeqCst);
        while !self.try_acquire() {
            word::wait_async::<B>(&self.permits, NO_PERMITS).await;
        }
    }

    /// Takes a permit unless `deadline` passes first, on any [`Clock`](crate::Clock). True if
    /// taken; false only once the deadline's clock says its time has passed.
    pub fn try_acquire_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
        self.try_acquire() || self.acquire_slow(deadline)
    }

    crate::select::with_std_time! {
        /// Takes a permit unless `timeout` passes first. True if taken; false only once `timeout`
        /// has really passed. Any `Duration` is accepted (zero: just `try_acquire`).
        pub fn try_acquire_for(&self, timeout: core::time::Duration) -> bool {
            let mut deadline = crate::Deadline::<B, _>::after(timeout);
            self.try_acquire_by(&mut deadline)
        }
    }
}

impl<B> core::fmt::Debug for Semaphore<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.permits.load(Relaxed))
            .field("waiters", &self.waiters.load(Relaxed))
            .finish()
    }
}

/// Armed around a waiter's sleep, forgotten after it: if the sleep unwinds, pass on the wake
/// the waiter may have absorbed ([`Semaphore::pass_wake_on`]).
struct UnwindWake<'a, B: FutexBackend>(&'a Semaphore<B>);

impl<B: FutexBackend> Drop for UnwindWake<'_, B> {
    fn drop(&mut self) {
        self.0.pass_wake_on();
    }
}

/// A waiter's registration in `waiters`, taken back when it leaves.
struct Registration<'a>(&'a Word);

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

#[cfg(not(all(loom, test)))]
const _: () = assert!(core::mem::size_of::<Semaphore<crate::NoDefaultBackend>>() == 8);

/// Which wakes `release` and an unwinding waiter send, from counts set up by hand, with the
/// recording backends (private, and process-shared).
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::vec::Vec;

    use super::*;
    use crate::test_support::{take_wake_counts, Recording, RecordingShared, TimesOut};
    use crate::Timeout;

    /// Releases `n` on a semaphore with no permits and `waiters` registered: the permits after,
    /// and the wakes sent.
    fn release<B: FutexBackend>(waiters: u32, n: u32) -> (u32, Vec<u32>) {
        let s = Semaphore::<B>::new(0);
        s.waiters.store(waiters, Relaxed);
        take_wake_counts();
        s.release(n);
        (s.available_permits(), take_wake_counts())
    }

    #[test]
    fn release_wakes_as_many_as_it_releases_at_most_the_registered() {
        assert_eq!(release::<Recording>(0, 1), (1, std::vec![]), "nobody registered");
        assert_eq!(release::<Recording>(1, 1), (1, std::vec![1]));
        assert_eq!(release::<Recording>(3, 2), (2, std::vec![2]));
        assert_eq!(release::<Recording>(1, 5), (5, std::vec![1]));
    }

    #[test]
    fn across_processes_every_release_with_waiters_wakes_them_all() {
        // A wake to one waiter can die with it (killed after the kernel picked it): wake all.
        assert_eq!(release::<RecordingShared>(1, 1), (1, std::vec![u32::MAX]));
        assert_eq!(release::<RecordingShared>(3, 2), (2, std::vec![u32::MAX]));
        assert_eq!(release::<RecordingShared>(0, 1), (1, std::vec![]), "nobody registered");
    }

    #[test]
    fn a_dead_waiters_registration_costs_only_wakes() {
        // Two registrations that nobody will take back (their processes died): a release still
        // wakes (everybody), its permit stays free, and a living waiter takes it and leaves the
        // dead ones' count as it was.
        let s = Semaphore::<RecordingShared>::new(0);
        s.waiters.store(2, Relaxed);
        take_wake_counts();
        s.release(1);
        assert_eq!((s.available_permits(), take_wake_counts()), (1, std::vec![u32::MAX]));
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        assert!(s.acquire_slow(&mut sleep));
        assert!(sleep.slept_on.is_empty(), "a permit was free: no sleep");
        assert_eq!((s.available_permits(), s.waiters.load(Relaxed)), (0, 2));
        // With none free, the living waiter sleeps on 0, times out, and takes its count back.
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        assert!(!s.acquire_slow(&mut sleep));
        assert_eq!(sleep.slept_on, [NO_PERMITS]);
        assert_eq!(s.waiters.load(Relaxed), 2);
    }

    /// A sleep that unwinds (a user's backend, or a clock, that panics), after a `release` of
    /// one permit came during it if `released`.
    struct Panics {
        released: bool,
    }

    impl Sleep for Panics {
        fn sleep(&mut self, permits: &Word, _: u32) -> Result<(), Timeout> {
            if self.released {
                // `release(1)` as it changes the word (its wake is the one we "absorbed").
                permits.fetch_add(1, Release);
            }
            panic!("a sleep that unwinds, on purpose")
        }
    }

    /// Unwinds out of `acquire_slow` on a semaphore with no permits and one other waiter
    /// registered: the permits and registrations after, and the wakes sent.
    fn unwind<B: FutexBackend>(released: bool) -> (u32, u32, Vec<u32>) {
        let s = Semaphore::<B>::new(0);
        s.waiters.store(1, Relaxed);
        take_wake_counts();
        let unwound = catch_unwind(AssertUnwindSafe(|| s.acquire_slow(&mut Panics { released })));
        assert!(unwound.is_err());
        (s.available_permits(), s.waiters.load(Relaxed), take_wake_counts())
    }

    #[test]
    fn unwinding_out_of_a_sleep_passes_the_wake_on_to_a_free_permit() {
        // A permit came while we slept: its wake may have been ours; the other waiter gets one.
        assert_eq!(unwind::<Recording>(true), (1, 1, std::vec![1]));
        assert_eq!(unwind::<RecordingShared>(true), (1, 1, std::vec![u32::MAX]));
        // No permit free: no wake was meant for us; just leave.
        assert_eq!(unwind::<Recording>(false), (0, 1, std::vec![]));
    }
}
