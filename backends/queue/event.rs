//! The per-waiter event: how one waiting thread sleeps until one waker sets it.

use core::time::Duration;

use crate::Timeout;

/// A one-shot event that a waiting thread sleeps on until a waker sets it: the queue backend's
/// only way to block.
///
/// The queue creates one per `wait`, on the waiting thread's stack, and sets it at most once.
/// Under `std`, `ParkEvent` does it with `std::thread` park/unpark. Without `std`, supply
/// your own: an RTOS task notification, a binary semaphore, a `wfe` loop on a flag.
///
/// # Safety
///
/// The queue's memory safety rests on these promises, so implementing the trait is `unsafe`:
///
/// - `wait` returns `Ok(())` only once `set` has been called: never spuriously, because the
///   waiter's node is still linked in a queue until a waker takes it out and sets the event.
/// - `wait(Some(t))` may return `Err(Timeout)` once `t` has passed without a `set`. The queue
///   then may call `wait(None)`, which must return `Ok(())` once `set` is called (perhaps
///   already), and never `Err`.
/// - `set` may run on any thread (or in an interrupt handler, if your lock allows wakes there)
///   while the waiter sleeps. The instant the waiter can see the event as set, it may return
///   and free it: after that point `set` must not touch `*this` at all. Read what you need (a
///   thread handle, a task id) first, publish "set" last.
/// - `new`, `wait` and `set` never allocate, and should not panic. (A `wait` that panics
///   anyway, unwinding, is survived: the queue takes the waiter out of its bucket, or waits
///   for a waker's `set` already under way, before the waiter's frame goes; a second panic
///   during that aborts. A `set` that panics leaves the waiters it had not yet set asleep;
///   so does a `rank` that panics while a requeue moves waiters, for those not yet moved.)
pub unsafe trait Event {
    /// A fresh, unset event, created by the thread that is about to wait on it.
    fn new() -> Self;

    /// Sleeps until [`set`](Self::set) is called, or until `timeout` (if any) has passed.
    fn wait(&self, timeout: Option<Duration>) -> Result<(), Timeout>;

    /// Wakes the thread waiting on `*this`.
    ///
    /// # Safety
    ///
    /// `this` points to a live event of a waiter that a waker has taken out of its queue; it
    /// may be freed as soon as the waiter sees it set.
    unsafe fn set(this: *const Self);

    /// Where this waiter stands among the waiters of its address: a wake takes the highest
    /// rank first, and first come, first served among equal ranks. `0` by default, so that
    /// every waiter is equal and a queue is plain FIFO.
    ///
    /// An RTOS event returns its task's priority, read in [`new`](Self::new) (so the order
    /// is that of the priorities when the waits began), which makes a wake pick waiters as
    /// the RTOS's own semaphores do. The queue reads it under the bucket lock while the
    /// waiter is queued; it should be a plain field read.
    #[inline]
    fn rank(&self) -> u32 {
        0
    }

    /// Runs `set_all`, which sets the events of the several waiters that one wake took: by
    /// default just that. An RTOS whose `set` switches at once to a woken task of higher
    /// priority holds the switches until every event is set (FreeRTOS: with the scheduler
    /// suspended), so that a waker of low priority is not preempted with woken waiters whose
    /// events it has not set yet, and which nobody else can wake. Not called for one waiter.
    #[inline]
    fn set_many(set_all: impl FnOnce()) {
        set_all()
    }
}

#[cfg(feature = "std")]
pub use self::park::ParkEvent;

#[cfg(feature = "std")]
mod park {
    use super::{Duration, Event, Timeout};
    use crate::backend::queue::sync::{park, park_timeout, AtomicBool, Instant, Ordering, Thread};

    /// The `std` event: a flag, and `std::thread` park/unpark to sleep on it.
    ///
    /// Timeouts are measured on `Instant`, the monotonic clock: a change of the wall clock
    /// neither shortens nor stretches a wait.
    ///
    /// It names the waiting thread with `std::thread::current()`, which brings std's limits:
    /// on a thread that std did not spawn (a C thread calling into Rust), the first call
    /// allocates that thread's handle; and in a thread-local destructor running after std has
    /// torn the handle down, it panics. Waiting from such a destructor needs an OS backend.
    #[derive(Debug)]
    pub struct ParkEvent {
        set: AtomicBool,
        thread: Thread,
    }

    // SAFETY: `wait` returns Ok only after it saw `set == true` (Acquire), which only `set`
    // stores; a timeout is reported only after `Instant` passed the deadline; `set` clones
    // the thread handle before it publishes the flag and touches only its clone afterwards.
    unsafe impl Event for ParkEvent {
        fn new() -> Self {
            Self { set: AtomicBool::new(false), thread: crate::backend::queue::sync::current() }
        }

        fn wait(&self, timeout: Option<Duration>) -> Result<(), Timeout> {
            // A timeout too large for `Instant` is as good as none (and never reports Timeout).
            let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
            loop {
                // Acquire: everything the waker did before setting us is visible on return.
                if self.set.load(Ordering::Acquire) {
                    return Ok(());
                }
                // `park` may return spuriously, or for an `unpark` meant for an earlier wait
                // of this thread: the loop re-checks the flag either way.
                match deadline {
                    None => park(),
                    Some(deadline) => {
                        let now = Instant::now();
                        if now >= deadline {
                            return Err(Timeout);
                        }
                        park_timeout(deadline - now);
                    }
                }
            }
        }

        unsafe fn set(this: *const Self) {
            // SAFETY: `*this` is alive until the store below makes it visible as set.
            let thread = unsafe { (*this).thread.clone() };
            // Release: pairs with the Acquire in `wait`.
            // SAFETY: as above; this is the last touch of `*this`.
            unsafe { (*this).set.store(true, Ordering::Release) };
            thread.unpark();
        }
    }
}
