//! `RawRecursiveRwLock<B>`: the rwlock of [`RawRwLock<B>`] whose every read is a recursive
//! one.
//!
//! # The words
//!
//! Exactly `RawRwLock`'s, with its states and transitions (`src/sync/rwlock.rs`): this file adds
//! no state, only the choice of transition. Where `RawRwLock`'s read joins only while no writer
//! holds the lock *and none waits* (writers preferred), this lock's read is `RawRwLock`'s
//! **read, recursive**: it joins whenever no writer holds the lock, a waiting writer or not. So
//! a thread that holds a read lock can take another one (through a function it calls, say)
//! without deadlocking behind a writer that queued in between, and a stream of readers can keep
//! a writer out for as long as it lasts: the trade parking_lot 0.13's `RecursiveRwLock` makes.
//! Writes, downgrades, upgradable reads, fair unlocks and timeouts are `RawRwLock`'s.
//!
//! The argument that no wake is lost, the orderings and the layout are `RawRwLock`'s.

use super::rwlock::RawRwLock;
use crate::sync::lock_api;
use crate::FutexBackend;

/// A reader-writer lock in two `u32`s, sleeping through backend `B`, whose readers never wait
/// behind a waiting writer: the raw lock behind [`sync::RecursiveRwLock<T>`] and
/// [`generic::RecursiveRwLock<B, T>`] (`lock_api::RwLock<RawRecursiveRwLock<B>, T>`), as
/// parking_lot 0.13's `RecursiveRwLock`.
///
/// ```
/// use portable_futex::sync::RecursiveRwLock;
///
/// static TABLE: RecursiveRwLock<[u32; 2]> = RecursiveRwLock::new([1, 2]);
///
/// fn sum() -> u32 {
///     TABLE.read().iter().sum() // a second read of a thread that holds one: never waits
/// }
/// let first = TABLE.read();
/// assert_eq!(first[0] + sum(), 4);
/// ```
///
/// # Layout
///
/// As [`RawRwLock<B>`] (`#[repr(transparent)]` over it): 8 bytes, all-zero is unlocked.
///
/// [`sync::RecursiveRwLock<T>`]: crate::sync::RecursiveRwLock
/// [`generic::RecursiveRwLock<B, T>`]: crate::sync::generic::RecursiveRwLock
#[repr(transparent)]
pub struct RawRecursiveRwLock<B>(RawRwLock<B>);

impl<B> RawRecursiveRwLock<B> {
    /// An unlocked lock.
    pub const fn new() -> Self {
        RawRecursiveRwLock(RawRwLock::new())
    }

    /// The lock underneath, whose raw functions this one's are.
    #[cfg_attr(not(feature = "lock_api_04"), allow(dead_code))]
    pub(crate) fn raw(&self) -> &RawRwLock<B> {
        &self.0
    }
}

impl<B> Default for RawRecursiveRwLock<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for RawRecursiveRwLock<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("RawRecursiveRwLock").field(&self.0).finish()
    }
}

impl<B: FutexBackend> RawRecursiveRwLock<B> {
    /// Joins as a reader unless `deadline` passes first (on any [`Clock`](crate::Clock)).
    pub fn try_read_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
        self.0.try_read_recursive_by(deadline)
    }

    /// Takes the write lock unless `deadline` passes first (on any [`Clock`](crate::Clock)).
    pub fn try_write_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
        self.0.try_write_by(deadline)
    }
}

// SAFETY: `RawRwLock`'s lock (its lock_api impl argues it): the recursive read adds one reader
// only to a count that no writer holds, by the same compare-and-swap rule as the plain read,
// and differs from it only in not waiting for the writers' bit; everything else is the same
// functions.
unsafe impl<B: FutexBackend> lock_api::RawRwLock for RawRecursiveRwLock<B> {
    // A `const` item builds a new lock at each use, which is what `lock_api` wants.
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = RawRecursiveRwLock::new();

    /// As `RawRwLock`'s: `Send`, since nothing is kept per acquisition or tied to a thread.
    type SharedGuard = lock_api::GuardSend;
    /// As the shared guard.
    type ExclusiveGuard = lock_api::GuardSend;

    #[inline]
    fn lock_shared(&self) -> Self::SharedGuard {
        self.0.read_recursive_raw();
        lock_api::GuardSend::new()
    }

    #[inline]
    fn try_lock_shared(&self) -> Option<Self::SharedGuard> {
        self.0.try_read_recursive_raw().then(lock_api::GuardSend::new)
    }

    #[inline]
    unsafe fn unlock_shared(&self, guard: Self::SharedGuard) {
        // SAFETY: the trait's contract: the caller holds a read lock.
        unsafe { lock_api::RawRwLock::unlock_shared(&self.0, guard) }
    }

    #[inline]
    fn lock_exclusive(&self) -> Self::ExclusiveGuard {
        lock_api::RawRwLock::lock_exclusive(&self.0)
    }

    #[inline]
    fn try_lock_exclusive(&self) -> Option<Self::ExclusiveGuard> {
        lock_api::RawRwLock::try_lock_exclusive(&self.0)
    }

    #[inline]
    unsafe fn unlock_exclusive(&self, guard: Self::ExclusiveGuard) {
        // SAFETY: the trait's contract: the caller holds the write lock.
        unsafe { lock_api::RawRwLock::unlock_exclusive(&self.0, guard) }
    }

    #[inline]
    fn is_locked(&self) -> bool {
        lock_api::RawRwLock::is_locked(&self.0)
    }

    #[inline]
    fn is_locked_exclusive(&self) -> bool {
        lock_api::RawRwLock::is_locked_exclusive(&self.0)
    }
}

// SAFETY: `RawRwLock`'s downgrade.
unsafe impl<B: FutexBackend> lock_api::RawRwLockDowngrade for RawRecursiveRwLock<B> {
    #[inline]
    unsafe fn downgrade(&self, guard: Self::ExclusiveGuard) -> Self::SharedGuard {
        // SAFETY: the trait's contract: the caller holds the write lock.
        unsafe { lock_api::RawRwLockDowngrade::downgrade(&self.0, guard) }
    }
}

// SAFETY: `RawRwLock`'s upgradable read and upgrade, unchanged.
unsafe impl<B: FutexBackend> lock_api::RawRwLockUpgrade for RawRecursiveRwLock<B> {
    type UpgradableGuard = lock_api::GuardSend;

    #[inline]
    fn lock_upgradable(&self) -> Self::UpgradableGuard {
        lock_api::RawRwLockUpgrade::lock_upgradable(&self.0)
    }

    #[inline]
    fn try_lock_upgradable(&self) -> Option<Self::UpgradableGuard> {
        lock_api::RawRwLockUpgrade::try_lock_upgradable(&self.0)
    }

    #[inline]
    unsafe fn unlock_upgradable(&self, guard: Self::UpgradableGuard) {
        // SAFETY: the trait's contract, passed on.
        unsafe { lock_api::RawRwLockUpgrade::unlock_upgradable(&self.0, guard) }
    }

    #[inline]
    unsafe fn upgrade(&self, guard: Self::UpgradableGuard) -> Self::ExclusiveGuard {
        // SAFETY: the trait's contract, passed on.
        unsafe { lock_api::RawRwLockUpgrade::upgrade(&self.0, guard) }
    }

    #[inline]
    unsafe fn try_upgrade(
        &self,
        guard: Self::UpgradableGuard,
    ) -> Result<Self::ExclusiveGuard, Self::UpgradableGuard> {
        // SAFETY: the trait's contract, passed on.
        unsafe { lock_api::RawRwLockUpgrade::try_upgrade(&self.0, guard) }
    }
}

// SAFETY: `RawRwLock`'s fair unlocks, unchanged.
unsafe impl<B: FutexBackend> lock_api::RawRwLockFair for RawRecursiveRwLock<B> {
    #[inline]
    unsafe fn unlock_shared_fair(&self, guard: Self::SharedGuard) {
        // SAFETY: the trait's contract, passed on.
        unsafe { lock_api::RawRwLockFair::unlock_shared_fair(&self.0, guard) }
    }

    #[inline]
    unsafe fn unlock_exclusive_fair(&self, guard: Self::ExclusiveGuard) {
        // SAFETY: the trait's contract, passed on.
        unsafe { lock_api::RawRwLockFair::unlock_exclusive_fair(&self.0, guard) }
    }
}

crate::select::with_std_time! {
    // SAFETY: `RawRwLock`'s timed forms, the read one recursive.
    // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
    unsafe impl<B: FutexBackend> lock_api::RawRwLockTimed for RawRecursiveRwLock<B> {
        type Duration = core::time::Duration;
        type Instant = std::time::Instant;

        fn try_lock_shared_for(&self, timeout: core::time::Duration) -> Option<Self::SharedGuard> {
            self.try_read_by(&mut crate::Deadline::<B, _>::after(timeout))
                .then(lock_api::GuardSend::new)
        }

        fn try_lock_shared_until(&self, instant: std::time::Instant) -> Option<Self::SharedGuard> {
            self.try_lock_shared_for(instant.saturating_duration_since(std::time::Instant::now()))
        }

        fn try_lock_exclusive_for(
            &self,
            timeout: core::time::Duration,
        ) -> Option<Self::ExclusiveGuard> {
            lock_api::RawRwLockTimed::try_lock_exclusive_for(&self.0, timeout)
        }

        fn try_lock_exclusive_until(
            &self,
            instant: std::time::Instant,
        ) -> Option<Self::ExclusiveGuard> {
            lock_api::RawRwLockTimed::try_lock_exclusive_until(&self.0, instant)
        }
    }
}
