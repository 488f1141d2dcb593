//! The condition variable awaited from async tasks (feature `async`): `wait_async` and
//! `wait_while_async` on the same `Condvar` that threads wait on, as an extension trait over
//! lock_api's condition variable, with the mutexes a task can lock ([`LockAsync`]).
//!
//! The state machine is the condition variable's own (`condvar.rs`, `RawCondvar::wait_async`);
//! this file only moves the guard in and out.
//!
//! [`LockAsync`]: super::LockAsync

use core::future::Future;

use super::lock_api::{self, MutexGuard};
use super::lock_async::RawMutexAsync;
use super::RawCondvar;
use crate::FutexBackend;

/// `wait_async`, `wait_while_async`: wait on a condition variable from an async task, beside
/// threads that `wait` on it; `notify_one` and `notify_all` (from a thread or a task) reach
/// both.
///
/// ```
/// use portable_futex::sync::{Condvar, CondvarAsync, LockAsync, Mutex};
///
/// static READY: Mutex<bool> = Mutex::new(false);
/// static CHANGED: Condvar = Condvar::new();
///
/// async fn until_ready() {
///     let ready = READY.lock_async().await;
///     let _ready = CHANGED.wait_while_async(ready, |ready| !*ready).await;
/// }
///
/// fn set_ready() {
///     // from a thread (or a task: `lock_async`)
///     *READY.lock() = true;
///     CHANGED.notify_all();
/// }
/// ```
///
/// The guard goes into the future and comes back out of it, with the mutex locked again:
/// while the task waits the mutex is free, and if the future is dropped before it completes
/// (a `select!`, a timeout) the guard is gone and the mutex is not held (dropped before its
/// first poll, the guard it holds unlocks as usual). A waiter dropped after a notification
/// came (while it waited, or while it took the mutex back) wakes every waiter of the
/// condition variable, since the notification may have been its own: none is lost, and the
/// others return spuriously. As a thread's wait, it may return
/// spuriously: check the condition in a loop, or use `wait_while_async`. Nothing here times
/// out; the executor's timer does.
///
/// With this crate's `Mutex` (not across processes), a task that waits counts among the
/// condition variable's waiters as a thread does; while one is counted, notifications wake
/// the threads waiting with that mutex rather than move them onto it (`RawCondvar`'s "Moving
/// waiters"): correct, with the herd a `notify_all` then makes. With `FairMutex` nothing is
/// counted: those notifications always wake.
pub trait CondvarAsync<R: lock_api::RawMutex> {
    /// Releases the mutex held by `guard`, waits (without blocking the thread) for a
    /// notification, and locks the mutex again: the guard comes back.
    fn wait_async<'a, T: ?Sized + Send>(
        &self,
        guard: MutexGuard<'a, R, T>,
    ) -> impl Future<Output = MutexGuard<'a, R, T>> + Send;

    /// Waits while `condition` holds: checked first with the mutex held, and again after
    /// every wake-up.
    fn wait_while_async<'a, T: ?Sized + Send>(
        &self,
        guard: MutexGuard<'a, R, T>,
        condition: impl FnMut(&mut T) -> bool + Send,
    ) -> impl Future<Output = MutexGuard<'a, R, T>> + Send;
}

// Clippy's `await_holding_lock` sees a guard live across the awaits; none is: `wait_async`
// forgets it before its await (the raw wait releases the mutex), and `wait_while_async` hands
// it to `wait_async`.
#[allow(clippy::await_holding_lock)]
impl<B: FutexBackend + 'static, R: RawMutexAsync + 'static> CondvarAsync<R>
    for lock_api::Condvar<RawCondvar<B, R>>
{
    async fn wait_async<'a, T: ?Sized + Send>(
        &self,
        guard: MutexGuard<'a, R, T>,
    ) -> MutexGuard<'a, R, T> {
        let mutex = MutexGuard::mutex(&guard);
        // The mutex goes to the raw wait, which releases it: the guard must not.
        core::mem::forget(guard);
        // SAFETY: `raw` only hands out the reference, and the raw wait is given the lock that
        // the guard held (`RawMutexAsync`'s guard state is `GuardSend`: nothing is lost).
        unsafe { self.raw().wait_async(mutex.raw()) }.await;
        // SAFETY: the raw wait completed, so the mutex is held again, for this task; the old
        // guard was forgotten, so this is the only one.
        unsafe { mutex.make_guard_unchecked(lock_api::GuardSend::new()) }
    }

    async fn wait_while_async<'a, T: ?Sized + Send>(
        &self,
        mut guard: MutexGuard<'a, R, T>,
        mut condition: impl FnMut(&mut T) -> bool + Send,
    ) -> MutexGuard<'a, R, T> {
        while condition(&mut *guard) {
            guard = self.wait_async(guard).await;
        }
        guard
    }
}
