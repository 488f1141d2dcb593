//! Linux and Android: the `futex(2)` system call.
//!
//! `FUTEX_WAIT` sleeps only if the word still holds the expected value, and the kernel makes
//! that check under the lock of the hash bucket that `FUTEX_WAKE` takes too: that is the
//! atomicity and the total order the front end promises. `FUTEX_PRIVATE_FLAG` tells the kernel
//! the word is not shared with another process, so it hashes the virtual address alone instead
//! of pinning the page to find its inode. `Shared<Linux>` makes the same calls without the
//! flag, for words in memory that other processes map too.
//!
//! How the call reaches the kernel (through the C library, or straight, for runtimes without
//! one) and the 32-bit `futex_time64` question live in `syscall.rs`; this file is the logic.

mod syscall;

use core::sync::atomic::AtomicU32;
use core::time::Duration;

use self::syscall::{Errno, FUTEX_WAIT_PRIVATE, FUTEX_WAIT_SHARED};
use self::syscall::{FUTEX_CMP_REQUEUE_PRIVATE, FUTEX_CMP_REQUEUE_SHARED};
use self::syscall::{FUTEX_WAKE_PRIVATE, FUTEX_WAKE_SHARED};
use crate::backend::timespec::{max_secs, RelativeTimeout};
use crate::backend::SharedScope;
use crate::{FutexBackend, Requeued, Timeout, WordChanged};

/// The Linux (and Android) `futex(2)` backend: process-private `FUTEX_WAIT` / `FUTEX_WAKE`.
///
/// The default backend on Linux and Android; [`Shared<Linux>`](crate::backend::Shared) is its
/// process-shared form. Feature `linux` reaches the kernel through the C
/// library's `syscall`; feature `linux-raw` does without a C library, with the system call
/// instruction itself (x86_64, aarch64, riscv64), for no_std runtimes that link no libc.
#[derive(Debug, Clone, Copy)]
pub struct Linux;

impl FutexBackend for Linux {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        wait(futex, expect, timeout, FUTEX_WAIT_PRIVATE)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        wake(futex, max_waiters, FUTEX_WAKE_PRIVATE);
    }

    /// `FUTEX_WAKE`'s answer: how many it woke.
    fn wake_counted(futex: *const AtomicU32, max_waiters: u32) -> Option<u32> {
        wake(futex, max_waiters, FUTEX_WAKE_PRIVATE)
    }

    /// `FUTEX_CMP_REQUEUE` (Linux 2.6.7): the kernel compares `from` and moves its sleepers
    /// to `to` under the locks of both hash buckets, and says how many it woke and moved.
    fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        requeue(
            from,
            expect,
            to,
            max_wake,
            max_move,
            (FUTEX_CMP_REQUEUE_PRIVATE, FUTEX_WAKE_PRIVATE),
        )
    }

    /// `sched_yield(2)`: the thread goes to the end of its priority's run queue.
    #[inline]
    fn yield_now() -> bool {
        syscall::sched_yield();
        true
    }
}

/// `Shared<Linux>`: the same calls without `FUTEX_PRIVATE_FLAG`. The kernel then keys the word
/// by the memory behind it (the inode or shared-memory object and the offset, found through
/// the page tables) instead of this process and the address, so a waiter and a waker in two
/// processes that map the same memory meet. A private and a shared futex on one word never
/// meet: even on private memory the kernel marks the two keys apart.
impl SharedScope for Linux {
    fn wait_shared(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        wait(futex, expect, timeout, FUTEX_WAIT_SHARED)
    }

    fn wake_shared(futex: *const AtomicU32, max_waiters: u32) {
        wake(futex, max_waiters, FUTEX_WAKE_SHARED);
    }

    fn requeue_shared(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        requeue(from, expect, to, max_wake, max_move, (FUTEX_CMP_REQUEUE_SHARED, FUTEX_WAKE_SHARED))
    }
}

/// `FUTEX_WAIT` with `op`, its private or shared form.
fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>, op: u32) -> Result<(), Timeout> {
    let timeout = timeout.map(|t| RelativeTimeout::at_most(t, max_secs::LINUX));
    // SAFETY: `futex` is a live reference for the whole call, so the kernel reads a valid,
    // aligned u32; `timeout` is either absent or a value on this stack frame; `op` is a
    // FUTEX_WAIT.
    let result = unsafe { syscall::futex(futex.as_ptr(), op, expect, timeout) };
    outcome(result, timeout)
}

/// What the kernel's answer to a `FUTEX_WAIT` means to our caller: a `Timeout` only when the
/// time asked for passed; every other answer is a return, woken or spurious, after which the
/// caller looks at the word again.
fn outcome(result: Result<usize, Errno>, timeout: Option<RelativeTimeout>) -> Result<(), Timeout> {
    match result {
        // The time passed, unless we had shortened it: then the return is only spurious.
        Err(Errno::ETIMEDOUT) if timeout.is_some_and(|t| !t.clamped) => Err(Timeout),
        // Everything else returns to the caller, which re-checks:
        // - Ok: woken by a `wake` (or by the kernel for its own reasons: a spurious wakeup);
        // - EAGAIN: the word no longer held `expect` when the kernel compared it under its lock;
        // - EINTR: a signal handler ran while we slept;
        // - ETIMEDOUT of a wait we had shortened (above);
        // - EINVAL: the kernel refused the timespec; `RelativeTimeout` keeps it in range, so
        //   this is not ours to report, and a spurious return is always correct;
        // - EFAULT cannot happen with a live `&AtomicU32`; anything else (ENOSYS under a
        //   seccomp filter, say) leaves nothing to do but return.
        _ => Ok(()),
    }
}

/// `FUTEX_WAKE` with `op`, its private or shared form; how many it woke, if the kernel said.
fn wake(futex: *const AtomicU32, max_waiters: u32, op: u32) -> Option<u32> {
    // The front end never passes 0, but the backend is public, and `FUTEX_WAKE` with 0
    // would still wake one: "at most 0" is nobody.
    if max_waiters == 0 {
        return Some(0);
    }
    // The kernel takes a signed count; anything above i32::MAX already means "everyone".
    let count = max_waiters.min(i32::MAX as u32);
    // SAFETY: `FUTEX_WAKE` never reads or writes the word: the kernel uses the address
    // only to find the key (a hash of it, or for the shared form the memory behind it), so
    // a dangling or freed `futex` is fine. No timeout is passed.
    let result = unsafe { syscall::futex(futex.cast(), op, count, None) };
    // Ok(n) is how many were woken, perhaps zero (at most `count`, so it fits). EFAULT: the
    // page of the word was unmapped after its owner freed it; nobody can be waiting there.
    // EINVAL: the address is used for another kind of futex (a PI lock) elsewhere; nobody of
    // ours waits on it. Neither is the caller's concern; like anything else (ENOSYS under a
    // seccomp filter) they count as "cannot tell", which only makes a caller wake again.
    match result {
        Ok(woken) => Some(u32::try_from(woken).unwrap_or(count)),
        Err(_) => None,
    }
}

/// `FUTEX_CMP_REQUEUE` with `op`, its private or shared form; `wake_op` is the `FUTEX_WAKE`
/// of the same form, for a kernel that refuses the requeue.
fn requeue(
    from: &AtomicU32,
    expect: u32,
    to: *const AtomicU32,
    max_wake: u32,
    max_move: u32,
    (op, wake_op): (u32, u32),
) -> Result<Requeued, WordChanged> {
    // Miri models FUTEX_WAIT and FUTEX_WAKE, not the requeue: there, wake instead (as a
    // kernel that refuses the operation gets), after the same comparison.
    if cfg!(miri) {
        let waiters = max_wake.saturating_add(max_move);
        return crate::requeue::wake_instead(from, expect, waiters, |from, n| {
            wake(from, n, wake_op);
        });
    }
    // The kernel takes signed counts and refuses a negative one (`EINVAL`): anything above
    // i32::MAX already means "everyone".
    let (wakes, moves) = (max_wake.min(i32::MAX as u32), max_move.min(i32::MAX as u32));
    // SAFETY: `from` is a live reference for the whole call, so the kernel reads a valid,
    // aligned u32; `to` is only a key to the kernel, as a wake's address is.
    let result =
        unsafe { syscall::cmp_requeue(from.as_ptr(), op, wakes, moves, to.cast(), expect) };
    requeued(result, wakes).unwrap_or_else(|| {
        // Refused: wake instead of moving, as a backend that cannot move does.
        wake(from, max_wake.saturating_add(max_move), wake_op);
        Ok(Requeued::WOKEN_UNCOUNTED)
    })
}

/// What the kernel's answer to a `FUTEX_CMP_REQUEUE` that asked to wake `wakes` means; `None`
/// if it refused the operation and did nothing.
fn requeued(result: Result<usize, Errno>, wakes: u32) -> Option<Result<Requeued, WordChanged>> {
    match result {
        // The kernel wakes first, then moves, and answers the sum: whatever is above the
        // wake count was moved.
        Ok(total) => {
            let total = u32::try_from(total).unwrap_or(u32::MAX);
            let woken = total.min(wakes);
            Some(Ok(Requeued { woken: Some(woken), moved: total - woken }))
        }
        // The word no longer held `expect` when the kernel compared it: nothing was done.
        Err(Errno::EAGAIN) => Some(Err(WordChanged)),
        // Anything else did nothing: ENOSYS or EPERM under a seccomp filter that refuses the
        // operation, EINVAL where `to` is used for another kind of futex (a PI lock). The
        // sleepers of `from` must not be left asleep for it.
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a wait that ran the whole time it asked for is a `Timeout`; every other answer of
    /// the kernel is a return (woken, or spurious), after which the caller re-checks.
    #[test]
    fn only_a_wait_that_ran_its_whole_time_is_a_timeout() {
        let asked = RelativeTimeout::at_most(Duration::from_millis(5), max_secs::LINUX);
        let shortened = RelativeTimeout::at_most(Duration::MAX, max_secs::LINUX);
        assert!(!asked.clamped && shortened.clamped);
        assert_eq!(outcome(Err(Errno::ETIMEDOUT), Some(asked)), Err(Timeout));
        assert_eq!(outcome(Err(Errno::ETIMEDOUT), Some(shortened)), Ok(()));
        assert_eq!(outcome(Err(Errno::ETIMEDOUT), None), Ok(()));
        for answer in [Ok(0), Ok(1), Err(Errno::EAGAIN), Err(Errno::EINTR), Err(Errno::EINVAL)] {
            assert_eq!(outcome(answer, Some(asked)), Ok(()), "{answer:?}");
        }
    }

    /// The kernel answers a requeue with woken + moved: the wake count comes first.
    #[test]
    fn a_requeue_s_answer_splits_into_woken_and_moved() {
        let split = |woken, moved| Some(Ok(Requeued { woken: Some(woken), moved }));
        assert_eq!(requeued(Ok(0), 1), split(0, 0));
        assert_eq!(requeued(Ok(1), 1), split(1, 0));
        assert_eq!(requeued(Ok(5), 1), split(1, 4));
        assert_eq!(requeued(Ok(3), 0), split(0, 3));
        assert_eq!(requeued(Ok(2), 7), split(2, 0));
        assert_eq!(requeued(Err(Errno::EAGAIN), 1), Some(Err(WordChanged)));
        assert_eq!(requeued(Err(Errno::EINVAL), 1), None);
        assert_eq!(requeued(Err(Errno::ENOSYS), 1), None);
    }
}
