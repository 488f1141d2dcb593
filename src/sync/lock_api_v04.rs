//! lock_api 0.4's traits on the same raw locks (feature `lock_api_04`), for code still on
//! lock_api 0.4 (parking_lot 0.12, `lock_api_04::Mutex<RawMutex<B>, T>`).
//!
//! No state machine here: each function is the raw lock's own, the one its lock_api 0.5 impl
//! calls, so both versions share every transition and every argument of `mutex.rs`,
//! `fair_mutex.rs` and `rwlock.rs`. lock_api 0.4 keeps no per-acquisition guard state (0.5's
//! guards of ours are empty too), so the two differ only in signatures. 0.4's
//! `RawRwLockRecursive` (dropped by 0.5) is here, on the rwlock's recursive reads.
//!
//! A lock taken through one version may be released through the other: the word is the same.

use super::{RawFairMutex, RawMutex, RawRecursiveRwLock, RawRwLock};
use crate::FutexBackend;

use lock_api_04 as v04;

/// lock_api 0.4's mutex traits (`RawMutex`, `RawMutexFair`, with std `RawMutexTimed`) on one
/// of our mutexes: `$word` reaches its [`RawMutex`] word from `$this`, and `$unlock` is the
/// word's function that lock_api 0.4's plain `unlock` calls.
macro_rules! v04_mutex {
    ($mutex:ident, |$this:ident| $word:expr, $unlock:ident) => {
        // SAFETY: the lock of `RawMutex`'s lock_api 0.5 impl (`mutex.rs`), whose argument
        // holds for these same functions: one owner at a time, Acquire on every take, Release
        // on every unlock (the fair one included, `fair_mutex.rs`).
        unsafe impl<B: FutexBackend> v04::RawMutex for $mutex<B> {
            #[allow(clippy::declare_interior_mutable_const)]
            const INIT: Self = $mutex::new();

            /// Not `Send`, as std's guards (our lock_api 0.5 mutex guards are: `LockAsync`).
            type GuardMarker = v04::GuardNoSend;

            #[inline]
            fn lock(&self) {
                let $this = self;
                $word.lock_raw()
            }

            #[inline]
            fn try_lock(&self) -> bool {
                let $this = self;
                $word.try_lock_raw()
            }

            #[inline]
            unsafe fn unlock(&self) {
                let $this = self;
                // SAFETY: the trait's contract: the caller holds the mutex.
                unsafe { $word.$unlock() }
            }

            #[inline]
            fn is_locked(&self) -> bool {
                let $this = self;
                $word.is_locked_raw()
            }
        }

        // SAFETY: `unlock_fair_raw` and `bump_raw`, as `RawMutexFair`'s lock_api 0.5 impl.
        unsafe impl<B: FutexBackend> v04::RawMutexFair for $mutex<B> {
            #[inline]
            unsafe fn unlock_fair(&self) {
                let $this = self;
                // SAFETY: the trait's contract: the caller holds the mutex.
                unsafe { $word.unlock_fair_raw() }
            }

            #[inline]
            unsafe fn bump(&self) {
                let $this = self;
                // SAFETY: the trait's contract: the caller holds the mutex, and holds it
                // after.
                unsafe { $word.bump_raw() }
            }
        }

        crate::select::with_std_time! {
            // SAFETY: the timed lock of the lock_api 0.5 `RawMutexTimed` impl.
            unsafe impl<B: FutexBackend> v04::RawMutexTimed for $mutex<B> {
                type Duration = core::time::Duration;
                type Instant = std::time::Instant;

                fn try_lock_for(&self, timeout: core::time::Duration) -> bool {
                    self.try_lock_by(&mut crate::Deadline::<B, _>::after(timeout))
                }

                fn try_lock_until(&self, instant: std::time::Instant) -> bool {
                    let left = instant.saturating_duration_since(std::time::Instant::now());
                    self.try_lock_for(left)
                }
            }
        }
    };
}

v04_mutex!(RawMutex, |this| this, unlock_raw);
// Every unlock of the fair mutex is the fair one.
v04_mutex!(RawFairMutex, |this| this.raw(), unlock_fair_raw);

// SAFETY: the lock of `RawRwLock`'s lock_api 0.5 impl (`rwlock.rs`): a writer alone, readers
// together, Acquire on every take and Release on every release.
unsafe impl<B: FutexBackend> v04::RawRwLock for RawRwLock<B> {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = RawRwLock::new();

    type GuardMarker = v04::GuardNoSend;

    #[inline]
    fn lock_shared(&self) {
        self.read_raw()
    }

    #[inline]
    fn try_lock_shared(&self) -> bool {
        self.try_read_raw()
    }

    #[inline]
    unsafe fn unlock_shared(&self) {
        // SAFETY: the trait's contract: the caller holds a read lock.
        unsafe { self.read_unlock_raw() }
    }

    #[inline]
    fn lock_exclusive(&self) {
        self.write_raw()
    }

    #[inline]
    fn try_lock_exclusive(&self) -> bool {
        self.try_write_raw()
    }

    #[inline]
    unsafe fn unlock_exclusive(&self) {
        // SAFETY: the trait's contract: the caller holds the write lock.
        unsafe { self.write_unlock_raw() }
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.is_locked_raw()
    }

    #[inline]
    fn is_locked_exclusive(&self) -> bool {
        self.is_write_locked_raw()
    }
}

// SAFETY: `downgrade_raw`, as the lock_api 0.5 impl.
unsafe impl<B: FutexBackend> v04::RawRwLockDowngrade for RawRwLock<B> {
    #[inline]
    unsafe fn downgrade(&self) {
        // SAFETY: the trait's contract: the caller holds the write lock.
        unsafe { self.downgrade_raw() }
    }
}

// SAFETY: the recursive read joins by the same compare-and-swap rule as the plain read, only
// without waiting for the writers' bit (`rwlock.rs`, "read, recursive").
unsafe impl<B: FutexBackend> v04::RawRwLockRecursive for RawRwLock<B> {
    #[inline]
    fn lock_shared_recursive(&self) {
        self.read_recursive_raw()
    }

    #[inline]
    fn try_lock_shared_recursive(&self) -> bool {
        self.try_read_recursive_raw()
    }
}

// SAFETY: the upgradable read of `RawRwLock`'s lock_api 0.5 `RawRwLockUpgrade` impl.
unsafe impl<B: FutexBackend> v04::RawRwLockUpgrade for RawRwLock<B> {
    #[inline]
    fn lock_upgradable(&self) {
        self.upgradable_raw()
    }

    #[inline]
    fn try_lock_upgradable(&self) -> bool {
        self.try_upgradable_raw()
    }

    #[inline]
    unsafe fn unlock_upgradable(&self) {
        // SAFETY: the trait's contract: the caller holds the upgradable read.
        unsafe { self.upgradable_unlock_raw() }
    }

    #[inline]
    unsafe fn upgrade(&self) {
        let guard = crate::sync::lock_api::GuardSend::new();
        // SAFETY: the trait's contract: the caller holds the upgradable read.
        let _ = unsafe { crate::sync::lock_api::RawRwLockUpgrade::upgrade(self, guard) };
    }

    #[inline]
    unsafe fn try_upgrade(&self) -> bool {
        // SAFETY: the trait's contract: the caller holds the upgradable read.
        unsafe { self.try_upgrade_raw() }
    }
}

// SAFETY: the fair unlocks of the lock_api 0.5 `RawRwLockFair` impl.
unsafe impl<B: FutexBackend> v04::RawRwLockFair for RawRwLock<B> {
    #[inline]
    unsafe fn unlock_shared_fair(&self) {
        let guard = crate::sync::lock_api::GuardSend::new();
        // SAFETY: the trait's contract: the caller holds a read lock.
        unsafe { crate::sync::lock_api::RawRwLockFair::unlock_shared_fair(self, guard) }
    }

    #[inline]
    unsafe fn unlock_exclusive_fair(&self) {
        let guard = crate::sync::lock_api::GuardSend::new();
        // SAFETY: the trait's contract: the caller holds the write lock.
        unsafe { crate::sync::lock_api::RawRwLockFair::unlock_exclusive_fair(self, guard) }
    }
}

// SAFETY: the fair upgradable unlock of the lock_api 0.5 impl.
unsafe impl<B: FutexBackend> v04::RawRwLockUpgradeFair for RawRwLock<B> {
    #[inline]
    unsafe fn unlock_upgradable_fair(&self) {
        let guard = crate::sync::lock_api::GuardSend::new();
        // SAFETY: the trait's contract: the caller holds the upgradable read.
        unsafe { crate::sync::lock_api::RawRwLockUpgradeFair::unlock_upgradable_fair(self, guard) }
    }
}

// SAFETY: the downgrades of the lock_api 0.5 `RawRwLockUpgradeDowngrade` impl.
unsafe impl<B: FutexBackend> v04::RawRwLockUpgradeDowngrade for RawRwLock<B> {
    #[inline]
    unsafe fn downgrade_upgradable(&self) {
        // SAFETY: the trait's contract: the caller holds the upgradable read.
        unsafe { self.downgrade_upgradable_raw() }
    }

    #[inline]
    unsafe fn downgrade_to_upgradable(&self) {
        // SAFETY: the trait's contract: the caller holds the write lock.
        unsafe { self.downgrade_to_upgradable_raw() }
    }
}

// SAFETY: as `RawRwLock` above, the reads recursive (`recursive_rwlock.rs`).
unsafe impl<B: FutexBackend> v04::RawRwLock for RawRecursiveRwLock<B> {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = RawRecursiveRwLock::new();

    type GuardMarker = v04::GuardNoSend;

    #[inline]
    fn lock_shared(&self) {
        self.raw().read_recursive_raw()
    }

    #[inline]
    fn try_lock_shared(&self) -> bool {
        self.raw().try_read_recursive_raw()
    }

    #[inline]
    unsafe fn unlock_shared(&self) {
        // SAFETY: the trait's contract: the caller holds a read lock.
        unsafe { self.raw().read_unlock_raw() }
    }

    #[inline]
    fn lock_exclusive(&self) {
        self.raw().write_raw()
    }

    #[inline]
    fn try_lock_exclusive(&self) -> bool {
        self.raw().try_write_raw()
    }

    #[inline]
    unsafe fn unlock_exclusive(&self) {
        // SAFETY: the trait's contract: the caller holds the write lock.
        unsafe { self.raw().write_unlock_raw() }
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.raw().is_locked_raw()
    }

    #[inline]
    fn is_locked_exclusive(&self) -> bool {
        self.raw().is_write_locked_raw()
    }
}

crate::select::with_std_time! {
    // SAFETY: the timed forms of `RawRwLock`'s lock_api 0.5 `RawRwLockTimed`.
    unsafe impl<B: FutexBackend> v04::RawRwLockTimed for RawRwLock<B> {
        type Duration = core::time::Duration;
        type Instant = std::time::Instant;

        fn try_lock_shared_for(&self, timeout: core::time::Duration) -> bool {
            self.try_read_by(&mut crate::Deadline::<B, _>::after(timeout))
        }

        fn try_lock_shared_until(&self, instant: std::time::Instant) -> bool {
            self.try_lock_shared_for(instant.saturating_duration_since(std::time::Instant::now()))
        }

        fn try_lock_exclusive_for(&self, timeout: core::time::Duration) -> bool {
            self.try_write_by(&mut crate::Deadline::<B, _>::after(timeout))
        }

        fn try_lock_exclusive_until(&self, instant: std::time::Instant) -> bool {
            self.try_lock_exclusive_for(instant.saturating_duration_since(std::time::Instant::now()))
        }
    }

    // SAFETY: the timed upgradable read and upgrade of the lock_api 0.5 impl.
    unsafe impl<B: FutexBackend> v04::RawRwLockUpgradeTimed for RawRwLock<B> {
        fn try_lock_upgradable_for(&self, timeout: core::time::Duration) -> bool {
            self.try_upgradable_by(&mut crate::Deadline::<B, _>::after(timeout))
        }

        fn try_lock_upgradable_until(&self, instant: std::time::Instant) -> bool {
            let left = instant.saturating_duration_since(std::time::Instant::now());
            self.try_lock_upgradable_for(left)
        }

        unsafe fn try_upgrade_for(&self, timeout: core::time::Duration) -> bool {
            // SAFETY: the trait's contract: the caller holds the upgradable read.
            unsafe { self.try_upgrade_by(&mut crate::Deadline::<B, _>::after(timeout)) }
        }

        unsafe fn try_upgrade_until(&self, instant: std::time::Instant) -> bool {
            let left = instant.saturating_duration_since(std::time::Instant::now());
            // SAFETY: the caller's promise, passed on.
            unsafe { self.try_upgrade_for(left) }
        }
    }

    // SAFETY: the recursive read's timed form, as `RawRwLockRecursive` above.
    unsafe impl<B: FutexBackend> v04::RawRwLockRecursiveTimed for RawRwLock<B> {
        fn try_lock_shared_recursive_for(&self, timeout: core::time::Duration) -> bool {
            self.try_read_recursive_for(timeout)
        }

        fn try_lock_shared_recursive_until(&self, instant: std::time::Instant) -> bool {
            self.try_read_recursive_until(instant)
        }
    }
}

// SAFETY: `StdThreadId`'s lock_api 0.5 impl (`reentrant_mutex.rs`): the address of a
// thread-local, its own in each live thread.
#[cfg(feature = "std")]
unsafe impl v04::GetThreadId for super::StdThreadId {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = <super::StdThreadId as crate::sync::lock_api::GetThreadId>::INIT;

    fn nonzero_thread_id(&self) -> core::num::NonZeroUsize {
        crate::sync::lock_api::GetThreadId::nonzero_thread_id(self)
    }
}
