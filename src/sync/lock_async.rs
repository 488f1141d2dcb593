//! The locks awaited from async tasks (feature `async`): `lock_async` on the same `Mutex`
//! and `FairMutex` that threads lock, as an extension trait over lock_api's typed mutex.
//!
//! The state machine is the mutex's own (`mutex.rs`, `RawMutex::lock_async`): a task
//! registers as a waiter as a thread does and awaits the word instead of sleeping on it, so
//! one unlock's wake reaches a thread or a task, whichever waits; this file only turns the
//! taken raw lock into lock_api's guard.

use core::future::Future;

use super::{lock_api, RawFairMutex, RawMutex};
use crate::FutexBackend;

/// `lock_async`: lock a mutex from an async task, beside threads that `lock` it.
///
/// ```
/// use portable_futex::sync::{LockAsync, Mutex};
///
/// static COUNT: Mutex<u32> = Mutex::new(0);
///
/// async fn bump() {
///     let mut count = COUNT.lock_async().await; // a thread may hold it meanwhile
///     *count += 1;
/// }
/// ```
///
/// The future is `Send` (and so is the guard: a task may hold it across an `.await` and
/// resume on another thread). Dropping the future before it completes (a `select!`, a
/// timeout) leaves the mutex's waiters as they were, and passes on any wake it had
/// absorbed: cancelling a lock never strands the others.
///
/// A task that holds the guard across an `.await` is fine for tasks that wait with
/// `lock_async` and for threads outside the executor; a blocking `lock` called from a task
/// on the executor's own thread would block that thread until the holder, perhaps a task it
/// should be running, lets go. (Clippy's `await_holding_lock` lint cannot tell the two
/// apart, and warns on any lock_api guard held across an `.await`.)
pub trait LockAsync {
    /// What a completed lock gives: lock_api's guard.
    type Guard<'a>
    where
        Self: 'a;

    /// Locks the mutex, waiting (without blocking the thread) while someone holds it.
    fn lock_async(&self) -> impl Future<Output = Self::Guard<'_>> + Send;
}

impl<R: RawMutexAsync, T: ?Sized + Send> LockAsync for lock_api::Mutex<R, T> {
    type Guard<'a>
        = lock_api::MutexGuard<'a, R, T>
    where
        Self: 'a;

    async fn lock_async(&self) -> Self::Guard<'_> {
        // SAFETY: `raw` is unsafe because unlocking through it could pull the lock from under
        // a live guard; we only take the lock, and hand it to a guard at once.
        unsafe { self.raw() }.lock_async().await;
        // SAFETY: the lock was just taken for this task (`RawMutexAsync`'s promise), and
        // nothing else owns it.
        unsafe { self.make_guard_unchecked(lock_api::GuardSend::new()) }
    }
}

/// The raw mutexes an async task can lock: this crate's [`RawMutex`] and [`RawFairMutex`]
/// (sealed: the typed layer's `unsafe` guard-making trusts the state machine behind it).
/// [`LockAsync`] and the condition variable's [`CondvarAsync`](super::CondvarAsync) work with
/// either.
pub trait RawMutexAsync:
    lock_api::RawMutex<Guard = lock_api::GuardSend> + Send + Sync + sealed::Sealed
{
    /// Takes the mutex; when the future completes, the task holds it. Dropped before, it
    /// does not (and the mutex's waiters are left as they were).
    fn lock_async(&self) -> impl Future<Output = ()> + Send;
}

impl<B: FutexBackend> RawMutexAsync for RawMutex<B> {
    fn lock_async(&self) -> impl Future<Output = ()> + Send {
        RawMutex::lock_async(self)
    }
}

impl<B: FutexBackend> RawMutexAsync for RawFairMutex<B> {
    fn lock_async(&self) -> impl Future<Output = ()> + Send {
        // The fair mutex is the mutex with fair unlocks: its lock is the same.
        self.inner().lock_async()
    }
}

mod sealed {
    /// Only this crate's mutexes are [`RawMutexAsync`](super::RawMutexAsync).
    pub trait Sealed {}
    impl<B> Sealed for super::RawMutex<B> {}
    impl<B> Sealed for super::RawFairMutex<B> {}
}
