//! The one seam of the crate: what a backend must do.

use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::Timeout;

/// A way to block a thread on a 32-bit word and wake it by address.
///
/// Each OS backend in [`backend`](crate::backend) implements this, and so can you: an RTOS, a
/// kernel or a hypervisor implements these two functions and gets [`Futex<YourBackend>`] and
/// [`Deadline`] for free.
///
/// You rarely call a backend directly. [`Futex<B>`] sits in front of it and handles the cases
/// that need no backend at all, so an implementation may rely on these rules:
///
/// - `wait` is called only after the front end saw `*futex == expect` (the value may have
///   changed again since: the backend must re-check it atomically with going to sleep).
/// - `timeout` is `None` for an untimed wait and `Some(t)` with `t > 0` otherwise; a zero
///   timeout never reaches the backend.
/// - `wake` is called only with `max_waiters > 0`; `u32::MAX` means "all of them".
///
/// And it must keep these promises:
///
/// - **No lost wakeups.** If `wait` decided to sleep, a `wake` on the same address that comes
///   after a store that changed the value must release it. In other words, the check of
///   `*futex == expect` and the sleep are one atomic step in a single total order with every
///   `wake` of that address.
/// - **Spurious returns are allowed**, rare ones. Every caller re-checks its condition.
/// - **`Err(Timeout)` only when the time really passed**: at least `timeout` elapsed. A backend
///   that shortens a timeout it cannot express (an OS limit, a tick counter that wraps)
///   returns `Ok(())` from the shortened wait. With `timeout == None` it never returns `Err`.
/// - **`wake` uses the address alone.** The word may have been freed by the time `wake` runs
///   (the woken thread may free it at once), so `wake` must never read or write through the
///   pointer; it may only compare or hash it.
/// - **No panics and no allocation** for any input: any `Duration`, any `max_waiters`.
///
/// # Example
///
/// A toy backend that never sleeps: it only spins. It keeps every promise above (its returns
/// are all "spurious"), which is enough to run the whole front end on it.
///
/// ```
/// use core::sync::atomic::AtomicU32;
/// use core::time::Duration;
/// use portable_futex::{Futex, FutexBackend, Timeout};
///
/// struct Spin;
///
/// impl FutexBackend for Spin {
///     fn wait(_futex: &AtomicU32, _expect: u32, _timeout: Option<Duration>) -> Result<(), Timeout> {
///         core::hint::spin_loop();
///         Ok(()) // a spurious wakeup: the caller checks its condition again
///     }
///
///     fn wake(_futex: *const AtomicU32, _max_waiters: u32) {}
/// }
///
/// let word = AtomicU32::new(1);
/// Futex::<Spin>::wait(&word, 0); // the value differs: returns at once
/// assert_eq!(Futex::<Spin>::timed_wait(&word, 1, Duration::ZERO), Err(Timeout));
/// ```
///
/// [`Futex<B>`]: crate::Futex
/// [`Futex<YourBackend>`]: crate::Futex
/// [`Deadline`]: crate::Deadline
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a futex backend",
    label = "this type does not implement `FutexBackend`",
    note = "`NoDefaultBackend` is what `DefaultBackend` names on a target without a built-in \
            backend: enable a portable-futex backend feature that runs on it (`single-threaded` \
            for a program with one thread), or implement `FutexBackend` for your platform and \
            name it (`Futex<YourBackend>`), or enable `custom-backend` and install it for the \
            whole program with `portable_futex::set_backend!(YourBackend)`"
)]
pub trait FutexBackend {
    /// Sleeps while `*futex == expect`, until woken, until `timeout` passes, or spuriously.
    ///
    /// Returns `Err(Timeout)` only if `timeout` is `Some(t)` and at least `t` has elapsed.
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout>;

    /// Wakes at most `max_waiters` threads waiting on the address `futex`.
    ///
    /// The address alone: the word may already be freed. Never dereference it.
    fn wake(futex: *const AtomicU32, max_waiters: u32);
}
