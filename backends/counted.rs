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
//! The ordering argument is the queue's (see `queue/mod.rs`): the waiter counts itself and
//! fences before the kernel compares the word; the waker changes the word, fences, and reads
//! the count. Either the waker's fence comes first in the SeqCst order, and the kernel's
//! compare sees the new value (the waiter does not sleep), or the waiter's does, and the waker
//! sees the count and makes the system call.

use core::marker::PhantomData;
use core::sync::atomic::{fence, AtomicU32, AtomicUsize, Ordering};
use core::time::Duration;

use crate::{FutexBackend, Timeout};

/// Backend `B` behind a count of its waiters: a wake with nobody waiting makes no call into
/// `B`. Every waiter and waker of a word must use the same `Counted<B>` (see the module docs).
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

/// How many counters, each on its own cache line.
const SLOTS: usize = 64;

#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), repr(align(64)))]
struct Slot(AtomicUsize);

static WAITERS: [Slot; SLOTS] = [const { Slot(AtomicUsize::new(0)) }; SLOTS];

/// The counter of `address` (hashed as the queue's buckets are).
fn slot(address: usize) -> &'static AtomicUsize {
    &WAITERS[crate::backend::address_hash::index(address, SLOTS)].0
}

impl<B: FutexBackend> FutexBackend for Counted<B> {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        let count = slot(futex as *const AtomicU32 as usize);
        // Count ourselves, then fence, before `B` compares the word (see the module docs).
        count.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let result = B::wait(futex, expect, timeout);
        // Relaxed: the count only steers wakers' fast path; a stale non-zero costs one call.
        count.fetch_sub(1, Ordering::Relaxed);
        result
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        // Order the caller's change of the word before the read of the count.
        fence(Ordering::SeqCst);
        if slot(futex as usize).load(Ordering::Relaxed) == 0 {
            return;
        }
        B::wake(futex, max_waiters)
    }
}
