//! `RawFairMutex<B>`: the mutex of [`RawMutex<B>`] whose every unlock is fair.
//!
//! # The word
//!
//! Exactly `RawMutex`'s, with its states and transitions (`src/sync/mutex.rs`): this file adds
//! no state, only the choice of transition. Where `RawMutex::unlock` releases the mutex (and a
//! running thread may take it ahead of the sleepers), `RawFairMutex::unlock` is `RawMutex`'s
//! **unlock, fair**: with a waiter registered, the word keeps `L` and gains `G` (handed on) and
//! `W` (a wake on its way), and a registered waiter picks it up (`−G −WAITER −W`, Acquire); a
//! thread that arrives meanwhile finds it held. With nobody registered, or with a hungry waiter
//! owed it, it is the plain unlock. Across processes (a backend with `PROCESS_SHARED`) it is the
//! plain unlock too: a dead waiter would never pick a hand-off up.
//!
//! So the argument that no wake is lost, the orderings, and the layout are `RawMutex`'s
//! ("Fairness" there says how fair and at what cost).
//!
//! # When to use it
//!
//! When a thread must not starve, or latency matters more than throughput: every unlock with
//! a waiter costs a context switch while the mutex waits for the woken thread, where the plain
//! mutex lets a running thread take it at once. `Mutex` (eventually fair) is the default; one
//! `MutexGuard::unlock_fair` on it does the same for a single unlock.

use super::mutex::RawMutex;
use crate::sync::lock_api;
use crate::FutexBackend;

/// A mutual-exclusion lock in one `u32`, sleeping through backend `B`, that hands itself to a
/// waiting thread at every unlock: the raw lock behind [`sync::FairMutex<T>`] and
/// [`generic::FairMutex<B, T>`] (`lock_api::Mutex<RawFairMutex<B>, T>`), as parking_lot's
/// `FairMutex`.
///
/// ```
/// use portable_futex::sync::FairMutex;
///
/// static TURNS: FairMutex<Vec<u32>> = FairMutex::new(Vec::new());
/// std::thread::scope(|s| {
///     for id in 0..2 {
///         s.spawn(move || {
///             for _ in 0..100 {
///                 TURNS.lock().push(id); // each unlock hands over to a waiter, if there is one
///             }
///         });
///     }
/// });
/// assert_eq!(TURNS.lock().len(), 200);
/// ```
///
/// # Layout
///
/// As [`RawMutex<B>`] (`#[repr(transparent)]` over it): 4 bytes, all-zero is unlocked.
///
/// [`sync::FairMutex<T>`]: crate::sync::FairMutex
/// [`generic::FairMutex<B, T>`]: crate::sync::generic::FairMutex
#[repr(transparent)]
pub struct RawFairMutex<B>(RawMutex<B>);

impl<B> RawFairMutex<B> {
    /// The plain mutex inside (the same word and waiters; only the unlock differs).
    #[cfg(feature = "async")]
    pub(crate) fn inner(&self) -> &RawMutex<B> {
        &self.0
    }

    /// An unlocked mutex.
    pub const fn new() -> Self {
        RawFairMutex(RawMutex::new())
    }

    /// The mutex underneath, whose raw functions this one's are.
    #[cfg_attr(not(feature = "lock_api_04"), allow(dead_code))]
    pub(crate) fn raw(&self) -> &RawMutex<B> {
        &self.0
    }
}

impl<B> Default for RawFairMutex<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for RawFairMutex<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("RawFairMutex").field(&self.0).finish()
    }
}

impl<B: FutexBackend> RawFairMutex<B> {
    /// Takes the mutex unless `deadline` passes first (on any [`Clock`](crate::Clock), std
    /// or not). True if taken.
    pub fn try_lock_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
        self.0.try_lock_by(deadline)
    }
}

// SAFETY: the lock is `RawMutex`'s, taken by the same functions; `unlock` is its
// `unlock_fair_raw`, which either releases as `unlock` does or hands the mutex to one
// registered waiter (the owner changes, there is never a second one; `RawMutexFair`'s impl on
// `RawMutex` argues it). Release on the hand-off and Acquire on the pick-up order the critical
// sections.
unsafe impl<B: FutexBackend> lock_api::RawMutex for RawFairMutex<B> {
    // A `const` item builds a new mutex at each use, which is what `lock_api` wants.
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = RawFairMutex::new();

    /// As `RawMutex`'s: `Send` (no owner is recorded); nothing kept per acquisition.
    type Guard = lock_api::GuardSend;

    #[inline]
    fn lock(&self) -> Self::Guard {
        self.0.lock_raw();
        lock_api::GuardSend::new()
    }

    #[inline]
    fn try_lock(&self) -> Option<Self::Guard> {
        self.0.try_lock_raw().then(lock_api::GuardSend::new)
    }

    #[inline]
    unsafe fn unlock(&self, _: Self::Guard) {
        // SAFETY: `lock_api::RawMutex::unlock`'s contract: the caller holds the mutex.
        unsafe { self.0.unlock_fair_raw() }
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.0.is_locked_raw()
    }
}

// SAFETY: as above: every unlock of this mutex is already the fair one.
unsafe impl<B: FutexBackend> lock_api::RawMutexFair for RawFairMutex<B> {
    #[inline]
    unsafe fn unlock_fair(&self, _: Self::Guard) {
        // SAFETY: the trait's contract: the caller holds the mutex.
        unsafe { self.0.unlock_fair_raw() }
    }

    #[inline]
    unsafe fn bump(&self, _: &mut Self::Guard) {
        // SAFETY: the trait's contract: the caller holds the mutex, and holds it again after.
        unsafe { self.0.bump_raw() }
    }
}

crate::select::with_std_time! {
    // SAFETY: `RawMutex`'s timed lock, which takes the lock by the same rules or leaves it.
    // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
    unsafe impl<B: FutexBackend> lock_api::RawMutexTimed for RawFairMutex<B> {
        type Duration = core::time::Duration;
        type Instant = std::time::Instant;

        fn try_lock_for(&self, timeout: core::time::Duration) -> Option<Self::Guard> {
            self.0.try_lock_for(timeout)
        }

        fn try_lock_until(&self, instant: std::time::Instant) -> Option<Self::Guard> {
            self.0.try_lock_until(instant)
        }
    }
}
