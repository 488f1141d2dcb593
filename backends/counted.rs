//! `Counted<B>`: any backend, plus a count of its waiters, so that a wake with nobody waiting
//! returns without a system call.
//!
//! A kernel futex wake costs a system call even when nobody waits (hundreds of nanoseconds);
//! the queue backend answers that case with one load. This adapter gives an OS backend the same
//! fast path: a static table of counters, hashed by address, counts the threads inside
//! `B::wait` on each slot; `wake` reads the slot and returns if it is zero.
//!
//! Its one limit: it only knows the waiters that went through it. A thread that blocks on
//! the same word through another library (or `B` directly, or another `Counted` table) is not
//! counted, and a `Counted` wake may then skip it: every waiter *and* waker of a word must go
//! through the same `Counted<B>`.
//!
//! **Never around a process-shared backend.** The counters live in this process's memory, so a
//! waiter in another process (`backend::Shared<B>`, a word in shared memory) is never counted
//! and a `Counted` wake would skip it: a lost wake. `Counted<B>` therefore refuses any `B`
//! whose `FutexBackend::PROCESS_SHARED` is true, with a build error (evaluated when the
//! program is compiled to code: `cargo build`, not `cargo check`).
//!
//! A requeue (`FutexBackend::requeue`) wakes instead of moving, through the provided form of
//! the trait (and so through `Counted`'s own `wake`): a waiter is counted on the address it
//! came in on, and a waiter that `B` moved to another address would still be counted there,
//! so a wake of its new address could skip it. Woken instead, it returns and looks again.
//!
//! The ordering argument is the queue's (see `queue/mod.rs`): the waiter counts itself and
//! fences before the kernel compares the word; the waker changes the word, fences, and reads
//! the count. Either the waker's fence comes first in the SeqCst order, and the kernel's
//! compare sees the new value (the waiter does not sleep), or the waiter's does, and the waker
//! sees the count and makes the system call. Nothing else is assumed of `B`: no fence of its
//! own, only a compare and sleep that is atomic against its wake. The loom model at the end of
//! this file checks the protocol on such a `B`, and fails without either fence.

use core::marker::PhantomData;

#[cfg(not(all(loom, test)))]
use core::sync::atomic::{fence, AtomicU32, AtomicUsize, Ordering};
#[cfg(not(all(loom, test)))]
use core::time::Duration;
#[cfg(all(loom, test))]
use loom::sync::atomic::{fence, AtomicUsize, Ordering};

#[cfg(not(all(loom, test)))]
use crate::FutexBackend;
use crate::Timeout;

/// Backend `B` behind a count of its waiters: a wake with nobody waiting makes no call into
/// `B`. Every waiter and waker of a word must use the same `Counted<B>` (see the module docs),
/// so all of them must be in this process: `Counted<Shared<B>>` fails to build (it would lose
/// the wakes of waiters in other processes).
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// use core::sync::atomic::AtomicU32;
/// use portable_futex::{backend::{Counted, Linux}, Futex};
///
/// let word = AtomicU32::new(0);
/// Futex::<Counted<Linux>>::wake(&word, 1); // nobody waits: no system call
/// # }
/// ```
pub struct Counted<B>(PhantomData<fn() -> B>);

/// Why `Counted` refuses a process-shared backend: its counters live in one process's memory,
/// so a waiter in another process is never counted and its wake would be skipped.
#[cfg(not(all(loom, test)))]
const NOT_SHARED: &str = "`Counted<B>` around a process-shared backend (`Shared<_>`) would lose \
     wakes: its waiter counters live in one process's memory, so a waiter in another process \
     is never counted and its wake is skipped. Use `Shared<B>` without `Counted`";

/// How many counters, each on its own cache line.
#[cfg(not(all(loom, test)))]
const SLOTS: usize = 64;

#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), repr(align(64)))]
#[cfg(not(all(loom, test)))]
struct Slot(AtomicUsize);

#[cfg(not(all(loom, test)))]
static WAITERS: [Slot; SLOTS] = [const { Slot(AtomicUsize::new(0)) }; SLOTS];

/// The counter of `address` (hashed as the queue's buckets are).
#[cfg(not(all(loom, test)))]
fn slot(address: usize) -> &'static AtomicUsize {
    &WAITERS[crate::backend::address_hash::index(address, SLOTS)].0
}

// The loom model has no static table (loom's atomics are not `const`); it runs `counted_wait`
// and `anyone_waits` on counters of its own.
#[cfg(not(all(loom, test)))]
impl<B: FutexBackend> FutexBackend for Counted<B> {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        const { assert!(!B::PROCESS_SHARED, "{}", NOT_SHARED) };
        let count = slot(futex as *const AtomicU32 as usize);
        counted_wait(count, || B::wait(futex, expect, timeout))
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        const { assert!(!B::PROCESS_SHARED, "{}", NOT_SHARED) };
        if anyone_waits(slot(futex as usize)) {
            B::wake(futex, max_waiters)
        }
    }

    /// The caller's fence is the one `anyone_waits` would issue.
    fn wake_fenced(futex: *const AtomicU32, max_waiters: u32) {
        const { assert!(!B::PROCESS_SHARED, "{}", NOT_SHARED) };
        if slot(futex as usize).load(Ordering::Relaxed) != 0 {
            B::wake(futex, max_waiters)
        }
    }

    #[inline]
    fn yield_now() -> bool {
        B::yield_now()
    }
}

/// The waiting half: `wait` (`B`'s compare and sleep) with the waiter counted in `count`.
fn counted_wait(
    count: &AtomicUsize,
    wait: impl FnOnce() -> Result<(), Timeout>,
) -> Result<(), Timeout> {
    // Count ourselves, then fence, before `B` compares the word (see the module docs).
    count.fetch_add(1, Ordering::Relaxed);
    fence(Ordering::SeqCst);
    let result = wait();
    // Relaxed: the count only steers wakers' fast path; a stale non-zero costs one call.
    count.fetch_sub(1, Ordering::Relaxed);
    result
}

/// The waking half: whether `B`'s wake must be called, after the caller changed the word.
fn anyone_waits(count: &AtomicUsize) -> bool {
    // Order the caller's change of the word before the read of the count.
    fence(Ordering::SeqCst);
    count.load(Ordering::Relaxed) != 0
}

/// `Counted`'s protocol under loom (`RUSTFLAGS="--cfg loom" cargo test --release --lib loom`),
/// on a model of a kernel futex that has no fence of its own: the compare and the sleep are
/// made atomic against the wake by a lock, as in a kernel's hash bucket. A wake lost by the
/// fast path shows as a deadlock.
#[cfg(all(loom, test))]
mod loom_tests {
    extern crate std;

    use std::sync::Arc;

    use loom::sync::atomic::AtomicU32;
    use loom::sync::Mutex;
    use loom::thread::{self, Thread};

    use super::{anyone_waits, counted_wait, AtomicUsize, Ordering::*};

    /// One futex word's kernel side, for one sleeper: the sleeping thread, and whether a wake
    /// has come for it.
    #[derive(Default)]
    struct Kernel(Mutex<(Option<Thread>, bool)>);

    impl Kernel {
        /// Sleeps while `word == expect`, compared under the kernel's lock.
        fn wait(&self, word: &AtomicU32, expect: u32) {
            {
                let mut sleeper = self.0.lock().unwrap();
                // Relaxed: the kernel's own lock is all that orders this compare.
                if word.load(Relaxed) != expect {
                    return;
                }
                *sleeper = (Some(thread::current()), false);
            }
            while !self.0.lock().unwrap().1 {
                thread::park();
            }
        }

        /// Wakes the sleeper, if there is one.
        fn wake(&self) {
            let mut sleeper = self.0.lock().unwrap();
            if let Some(thread) = sleeper.0.take() {
                sleeper.1 = true;
                thread.unpark();
            }
        }
    }

    /// A wake racing a waiter's count: the fast path must never skip a waiter that sleeps.
    #[test]
    fn counted_wake_races_wait() {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(4);
        }
        builder.check(|| {
            let count = Arc::new(AtomicUsize::new(0));
            let kernel = Arc::new(Kernel::default());
            let word = Arc::new(AtomicU32::new(0));
            let waiter = {
                let (count, kernel, word) = (count.clone(), kernel.clone(), word.clone());
                thread::spawn(move || {
                    while word.load(Acquire) == 0 {
                        let _ = counted_wait(&count, || {
                            kernel.wait(&word, 0);
                            Ok(())
                        });
                    }
                })
            };
            word.store(1, Release);
            if anyone_waits(&count) {
                kernel.wake();
            }
            waiter.join().unwrap();
            assert_eq!(count.load(Relaxed), 0, "the waiter count leaked");
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::{take_wakes, Recording};

    /// A backend whose wait lets a waker in while the waiter sleeps, as a real sleep would:
    /// it calls `Counted<Recording>`'s wake on the word it waits on.
    struct WokenInItsSleep;

    impl FutexBackend for WokenInItsSleep {
        fn wait(futex: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
            Counted::<Recording>::wake(futex, 1);
            Ok(())
        }
        fn wake(_: *const AtomicU32, _: u32) {}
    }

    /// The point of `Counted`: a wake reaches the backend only while a waiter is counted.
    /// (No other unit test uses `Counted`, so nobody else counts in the slot of `word`.)
    #[test]
    fn a_wake_reaches_the_backend_only_while_someone_waits() {
        let word = AtomicU32::new(0);
        let address = &word as *const AtomicU32 as usize;
        take_wakes();
        Counted::<Recording>::wake(&word, 1);
        assert_eq!(take_wakes(), [], "a wake with nobody counted");
        assert_eq!(Counted::<WokenInItsSleep>::wait(&word, 0, None), Ok(()));
        assert_eq!(take_wakes(), [(address, 1)], "a wake while the waiter was counted");
        Counted::<Recording>::wake(&word, u32::MAX);
        assert_eq!(take_wakes(), [], "the waiter is counted no more");
    }
}
