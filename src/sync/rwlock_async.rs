//! The reader-writer lock awaited from async tasks (feature `async`): `read_async`,
//! `write_async` and `upgradable_read_async` on the same `RwLock` that threads lock, and
//! `upgrade_async` on its upgradable guard, as extension traits over lock_api's types.
//!
//! The state machine is the lock's own (`rwlock.rs`: `read_async_with`, `write_async`,
//! `upgrade_async`): a task looks at the word as a thread does and awaits the word it would
//! sleep on, so an unlock's wake reaches threads and tasks alike; this file only turns the
//! taken raw lock into lock_api's guards.

use core::future::Future;
use core::mem::ManuallyDrop;

use super::lock_api::{self, GuardSend, RwLockUpgradableReadGuard, RwLockWriteGuard};
use super::rwlock::{READ_LOCKED, UPGRADABLE};
use super::RawRwLock;
use crate::FutexBackend;

/// `read_async`, `write_async`, `upgradable_read_async`: take a reader-writer lock from an
/// async task, beside threads that `read` and `write` it.
///
/// ```
/// use portable_futex::sync::{RwLock, RwLockAsync};
///
/// static CONFIG: RwLock<u32> = RwLock::new(1);
///
/// async fn reload() -> u32 {
///     *CONFIG.write_async().await += 1; // threads may read meanwhile
///     *CONFIG.read_async().await
/// }
/// ```
///
/// The rules are the threads': writers are preferred (a reader waits behind a waiting
/// writer), a writer's unlock lets every waiting reader in, and one upgradable read at a time
/// coexists with plain readers. The futures and guards are `Send`: a task may hold a guard
/// across an `.await` and resume on another thread. Dropping a future before it completes
/// (a `select!`, a timeout) leaves as a thread whose time is up does (a writer takes back the
/// bit that held new readers back, and wakes the others to look again) and passes on any wake
/// it had absorbed. Nothing here times out; the executor's timer does (wrap the future in its
/// `timeout`). A write or upgrade future leaked while it waits (a boxed one forgotten) counts
/// as a writer that never comes back: the lock may wait for it. (A leaked read registers
/// nothing.)
///
/// Holding a guard across an `.await` is fine for tasks that wait with these and for threads
/// outside the executor; a blocking `read`/`write` from a task on the executor's own thread
/// would block that thread until the holder, perhaps a task it should run, lets go.
pub trait RwLockAsync {
    /// A read guard: lock_api's.
    type ReadGuard<'a>
    where
        Self: 'a;
    /// A write guard: lock_api's.
    type WriteGuard<'a>
    where
        Self: 'a;
    /// An upgradable read guard: lock_api's; [`UpgradeAsync::upgrade_async`] makes it a write
    /// guard.
    type UpgradableGuard<'a>
    where
        Self: 'a;

    /// Joins the readers, waiting (without blocking the thread) while a writer holds the lock
    /// or waits for it.
    fn read_async(&self) -> impl Future<Output = Self::ReadGuard<'_>> + Send;

    /// Takes the lock for writing, waiting (without blocking the thread) while anyone holds
    /// it.
    fn write_async(&self) -> impl Future<Output = Self::WriteGuard<'_>> + Send;

    /// Takes the upgradable read (one at a time, beside plain readers), waiting as a reader
    /// does and while another holds it.
    fn upgradable_read_async(&self) -> impl Future<Output = Self::UpgradableGuard<'_>> + Send;
}

impl<B: FutexBackend, T: ?Sized + Send + Sync> RwLockAsync for lock_api::RwLock<RawRwLock<B>, T> {
    type ReadGuard<'a>
        = lock_api::RwLockReadGuard<'a, RawRwLock<B>, T>
    where
        Self: 'a;
    type WriteGuard<'a>
        = RwLockWriteGuard<'a, RawRwLock<B>, T>
    where
        Self: 'a;
    type UpgradableGuard<'a>
        = RwLockUpgradableReadGuard<'a, RawRwLock<B>, T>
    where
        Self: 'a;

    async fn read_async(&self) -> Self::ReadGuard<'_> {
        // SAFETY: `raw` is unsafe because unlocking through it could pull the lock from under
        // a live guard; we only take the lock, and hand it to a guard at once.
        let raw = unsafe { self.raw() };
        if !raw.try_read_raw() {
            raw.read_async_with(super::rwlock::is_readable, READ_LOCKED).await;
        }
        // SAFETY: a read lock was just taken for this task, and nothing else owns it.
        unsafe { self.make_read_guard_unchecked(GuardSend::new()) }
    }

    async fn write_async(&self) -> Self::WriteGuard<'_> {
        // SAFETY: as in `read_async`.
        unsafe { self.raw() }.write_async().await;
        // SAFETY: the write lock was just taken for this task.
        unsafe { self.make_write_guard_unchecked(GuardSend::new()) }
    }

    async fn upgradable_read_async(&self) -> Self::UpgradableGuard<'_> {
        // SAFETY: as in `read_async`.
        let raw = unsafe { self.raw() };
        if !raw.try_upgradable_raw() {
            raw.read_async_with(super::rwlock::is_upgradable, READ_LOCKED + UPGRADABLE).await;
        }
        // SAFETY: the upgradable read was just taken for this task.
        unsafe { self.make_upgradable_guard_unchecked(GuardSend::new()) }
    }
}

/// `upgrade_async`: turn an upgradable read into the write lock from an async task, waiting
/// (without blocking the thread) for the other readers to leave.
///
/// ```
/// use portable_futex::sync::{RwLock, RwLockAsync, UpgradeAsync};
///
/// async fn add_once(names: &RwLock<Vec<&'static str>>, name: &'static str) {
///     let names = names.upgradable_read_async().await; // plain readers still get in
///     if !names.contains(&name) {
///         names.upgrade_async().await.push(name);
///     }
/// }
/// ```
///
/// Dropping the future before it completes gives the upgradable read back (the guard went
/// into it) and lets the writers and readers it held back look again.
pub trait UpgradeAsync {
    /// What the upgrade gives: lock_api's write guard.
    type WriteGuard;

    /// Waits until ours is the only read, then holds the lock for writing.
    fn upgrade_async(self) -> impl Future<Output = Self::WriteGuard> + Send;
}

impl<'a, B: FutexBackend, T: ?Sized + Send + Sync> UpgradeAsync
    for RwLockUpgradableReadGuard<'a, RawRwLock<B>, T>
{
    type WriteGuard = RwLockWriteGuard<'a, RawRwLock<B>, T>;

    async fn upgrade_async(self) -> Self::WriteGuard {
        let rwlock = RwLockUpgradableReadGuard::rwlock(&self);
        // SAFETY: as in `read_async`.
        let raw = unsafe { rwlock.raw() };
        // SAFETY: the guard holds the upgradable read, and keeps holding it while the
        // upgrade runs (if this future is dropped first, the guard is dropped after the
        // upgrade's future, and releases it).
        if !unsafe { raw.try_upgrade_raw() } {
            // SAFETY: as above.
            unsafe { raw.upgrade_async() }.await;
        }
        // The upgradable read became the write lock: the guard must not release it.
        let _ = ManuallyDrop::new(self);
        // SAFETY: the write lock is ours (the upgrade), and the only guard of this acquisition
        // was just forgotten.
        unsafe { rwlock.make_write_guard_unchecked(GuardSend::new()) }
    }
}
