#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs, unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    all(target_family = "wasm", target_feature = "atomics", not(target_os = "emscripten")),
    feature(stdarch_wasm_atomic_wait)
)]

#[cfg(feature = "std")]
extern crate std;

pub mod backend;
mod deadline;
mod futex;
mod futex_backend;
// Always: the check that ties its symbols' names to the crate's version runs on every build.
mod installed;
mod requeue;
mod select;
#[cfg(feature = "sync")]
pub mod sync;
// Under loom too: its models (`tasks/loom_tests.rs`) run the table and the front end's wake.
#[cfg(feature = "async")]
mod tasks;
#[cfg(all(test, not(loom)))]
mod test_support;
mod timeout;
#[cfg(all(feature = "async", not(all(loom, test))))]
mod wait_async;

crate::select::without_std_time! {
    // std has no clock on wasm32-unknown-unknown (`Instant::now` panics): no `StdClock` there.
    pub use deadline::NoDefaultClock;
}
crate::select::with_std_time! {
    pub use deadline::StdClock;
}
pub use deadline::{Clock, Deadline, DefaultClock};
pub use futex::Futex;
pub use futex_backend::FutexBackend;
pub use requeue::{Requeued, WordChanged};
pub use select::{DefaultBackend, DefaultSharedBackend, NoDefaultBackend, NoDefaultSharedBackend};
pub use timeout::Timeout;
#[cfg(all(feature = "async", not(all(loom, test))))]
pub use wait_async::WaitAsync;

// The root functions exist only where the target has a default backend; see `select.rs`.
select::with_default_backend! {
    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    /// Blocks while `*futex == expect`, until a [`wake`] on the same address; may return
    /// spuriously, so callers loop on their condition.
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU32, Ordering};
    /// # let ready = AtomicU32::new(1);
    /// while ready.load(Ordering::Acquire) == 0 {
    ///     portable_futex::wait(&ready, 0);
    /// }
    /// ```
    ///
    /// [`Futex::wait`] on [`DefaultBackend`], which states the rules.
    #[inline]
    pub fn wait(futex: &AtomicU32, expect: u32) {
        Futex::<DefaultBackend>::wait(futex, expect)
    }

    /// Like [`wait`], but gives up with [`Timeout`] once `timeout` has really passed.
    ///
    /// [`Futex::timed_wait`] on [`DefaultBackend`], which states the rules.
    #[inline]
    pub fn timed_wait(futex: &AtomicU32, expect: u32, timeout: Duration) -> Result<(), Timeout> {
        Futex::<DefaultBackend>::timed_wait(futex, expect, timeout)
    }

    /// Wakes at most `max_waiters` threads blocked in [`wait`] on `futex`; `u32::MAX` wakes all.
    ///
    /// [`Futex::wake`] on [`DefaultBackend`], which states the rules; when the woken thread may
    /// free the word at once, use [`wake_ptr`].
    #[inline]
    pub fn wake(futex: &AtomicU32, max_waiters: u32) {
        Futex::<DefaultBackend>::wake(futex, max_waiters)
    }

    /// A future that completes when a [`wake`] of `futex` reaches it, or at once if
    /// `*futex != expect`: the wait of an async task (feature `async`). May complete
    /// spuriously, so callers loop on their condition.
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU32, Ordering};
    /// # async fn example(ready: &AtomicU32) {
    /// while ready.load(Ordering::Acquire) == 0 {
    ///     portable_futex::wait_async(ready, 0).await;
    /// }
    /// # }
    /// ```
    ///
    /// [`Futex::wait_async`] on [`DefaultBackend`], which states the rules.
    #[cfg(all(feature = "async", not(all(loom, test))))]
    #[inline]
    pub fn wait_async(futex: &AtomicU32, expect: u32) -> WaitAsync<'_, DefaultBackend> {
        Futex::<DefaultBackend>::wait_async(futex, expect)
    }

    /// Like [`wake`], but takes the address alone, which may already be freed.
    ///
    /// [`Futex::wake_ptr`] on [`DefaultBackend`], which states the rules.
    #[inline]
    pub fn wake_ptr(futex: *const AtomicU32, max_waiters: u32) {
        Futex::<DefaultBackend>::wake_ptr(futex, max_waiters)
    }

    /// Wakes up to `max_wake` threads blocked in [`wait`] on `from` and moves up to `max_move`
    /// more, still asleep, to wait on `to`; [`WordChanged`] if `*from != expect`.
    ///
    /// [`Futex::requeue`] on [`DefaultBackend`], which states the rules.
    #[inline]
    pub fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        Futex::<DefaultBackend>::requeue(from, expect, to, max_wake, max_move)
    }
}
