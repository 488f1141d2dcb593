#![doc = include_str!("../README.md")]
#![no_std]
#![deny(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

pub mod backend;
mod deadline;
mod futex;
mod futex_backend;
mod select;
mod timeout;

#[cfg(not(feature = "std"))]
pub use deadline::NoDefaultClock;
#[cfg(feature = "std")]
pub use deadline::StdClock;
pub use deadline::{Clock, Deadline, DefaultClock};
pub use futex::Futex;
pub use futex_backend::FutexBackend;
pub use select::{DefaultBackend, NoDefaultBackend};
pub use timeout::Timeout;

use core::sync::atomic::AtomicU32;
use core::time::Duration;

// The four root functions exist only where the target has a default backend; see `select.rs`.
select::with_default_backend! {
    /// Blocks the calling thread while `*futex == expect`, until a [`wake`] on the same address.
    ///
    /// The comparison and the going to sleep happen atomically, in one total order with every
    /// other `wait` and `wake` on `futex`: a `wake` that follows a change of the value can never be
    /// missed. The call may also return spuriously, so callers check their condition in a loop:
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU32, Ordering};
    /// # let ready = AtomicU32::new(1);
    /// while ready.load(Ordering::Acquire) == 0 {
    ///     portable_futex::wait(&ready, 0);
    /// }
    /// ```
    ///
    /// Uses [`DefaultBackend`]; [`Futex::wait`] does the same on any backend.
    #[inline]
    pub fn wait(futex: &AtomicU32, expect: u32) {
        Futex::<DefaultBackend>::wait(futex, expect)
    }

    /// Like [`wait`], but gives up with [`Timeout`] once `timeout` has passed.
    ///
    /// `Err(Timeout)` means that at least `timeout` really elapsed while the value still matched.
    /// A zero `timeout` never sleeps: it answers `Ok` if the value differs, `Err(Timeout)` if not.
    /// A timeout longer than the backend can express is shortened, and such a shortened wait
    /// returns `Ok` (a spurious wakeup), never `Timeout`. Any `Duration`, `Duration::MAX`
    /// included, is accepted.
    ///
    /// Uses [`DefaultBackend`]; [`Futex::timed_wait`] does the same on any backend.
    #[inline]
    pub fn timed_wait(futex: &AtomicU32, expect: u32, timeout: Duration) -> Result<(), Timeout> {
        Futex::<DefaultBackend>::timed_wait(futex, expect, timeout)
    }

    /// Wakes at most `max_waiters` threads blocked in [`wait`] on `futex`; `u32::MAX` wakes all.
    ///
    /// `max_waiters == 0` does nothing. Only the address of `futex` is used.
    ///
    /// A `&AtomicU32` must stay valid for the whole call, so a waiter that frees the word as
    /// soon as it wakes (a one-shot event on its stack, a reference count) races with this
    /// reference. Use [`wake_ptr`] in that case.
    ///
    /// Uses [`DefaultBackend`]; [`Futex::wake`] does the same on any backend.
    #[inline]
    pub fn wake(futex: &AtomicU32, max_waiters: u32) {
        Futex::<DefaultBackend>::wake(futex, max_waiters)
    }

    /// Like [`wake`], but takes the address alone, which may already be freed.
    ///
    /// The pointer is never dereferenced: it only names which waiters to wake. This is the
    /// form to use when the woken thread may free the word the instant it sees the new value.
    /// It is safe to call with any pointer, dangling or null; a pointer that no thread waits on
    /// wakes nobody.
    ///
    /// Uses [`DefaultBackend`]; [`Futex::wake_ptr`] does the same on any backend.
    #[inline]
    pub fn wake_ptr(futex: *const AtomicU32, max_waiters: u32) {
        Futex::<DefaultBackend>::wake_ptr(futex, max_waiters)
    }
}
