//! FreeBSD: the `_umtx_op` system call.
//!
//! `UMTX_OP_WAIT_UINT_PRIVATE` compares the 32-bit word with the expected value and goes to
//! sleep under the lock of the umtx queue chain that `UMTX_OP_WAKE_PRIVATE` takes too: that
//! is the atomicity and the total order the front end promises. "Private" keys the queue by
//! the virtual address within this process, so the kernel never has to resolve the word's
//! backing object (and a wake never touches the word). `Shared<FreeBsd>` uses the plain
//! `UMTX_OP_WAIT_UINT` / `UMTX_OP_WAKE`, which the kernel keys by the backing object and the
//! offset in it when the mapping is inherited shared (`MAP_SHARED`), so that waiters and
//! wakers of other processes meet.

use core::ffi::{c_int, c_ulong, c_void};
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::backend::timespec::{max_secs, RelativeTimeout};
use crate::backend::SharedScope;
use crate::{FutexBackend, Timeout};

/// The FreeBSD backend: `_umtx_op` with `UMTX_OP_WAIT_UINT_PRIVATE` / `UMTX_OP_WAKE_PRIVATE`.
///
/// The default backend on FreeBSD. Timed waits pass a relative timeout on `CLOCK_MONOTONIC`,
/// shortened to 68 years, or to 34 years on 32-bit x86: an i386 kernel adds the timeout to its
/// uptime in a 32-bit `time_t`, which a longer one would overflow into an immediate timeout.
/// A shortened wait never reports [`Timeout`].
#[derive(Debug, Clone, Copy)]
pub struct FreeBsd;

impl FutexBackend for FreeBsd {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        wait(futex, expect, timeout, libc::UMTX_OP_WAIT_UINT_PRIVATE)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        wake(futex, max_waiters, libc::UMTX_OP_WAKE_PRIVATE)
    }

    /// `sched_yield(2)`: let another ready thread run.
    #[inline]
    fn yield_now() -> bool {
        // SAFETY: `sched_yield` takes nothing and touches no memory of ours.
        unsafe { libc::sched_yield() };
        true
    }
}

/// `Shared<FreeBsd>`: the calls without `_PRIVATE`. The kernel looks the address up in the
/// process's map (`umtx_key_get` with `AUTO_SHARE`): in a mapping inherited shared, as every
/// `MAP_SHARED` one is, the key is the backing object and the offset, the same in every
/// process that maps it; elsewhere it is this process and the address. In a shared mapping,
/// then, a private operation (keyed by address) and a shared one (keyed by object) on the
/// same word do not meet; in private memory they happen to: rely on neither, and use one
/// scope per word. The lookup asks for write access: a word in a read-only mapping cannot be
/// waited on or woken in the shared scope.
impl SharedScope for FreeBsd {
    fn wait_shared(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        wait(futex, expect, timeout, libc::UMTX_OP_WAIT_UINT)
    }

    fn wake_shared(futex: *const AtomicU32, max_waiters: u32) {
        wake(futex, max_waiters, libc::UMTX_OP_WAKE)
    }
}

/// `UMTX_OP_WAIT_UINT` or its private form, `op`.
fn wait(
    futex: &AtomicU32,
    expect: u32,
    timeout: Option<Duration>,
    op: c_int,
) -> Result<(), Timeout> {
    let timeout = timeout.map(|t| RelativeTimeout::at_most(t, max_secs::FREEBSD));
    let mut umtx_time = timeout.map(|t| libc::_umtx_time {
        _timeout: libc::timespec {
            tv_sec: libc::time_t::from(t.secs),
            tv_nsec: libc::c_long::from(t.nanos),
        },
        // Relative, not UMTX_ABSTIME.
        _flags: 0,
        _clockid: libc::CLOCK_MONOTONIC as u32,
    });
    // With a timeout, the kernel reads the structure's size from `uaddr` (an integer in a
    // pointer's clothes) and the structure itself from `uaddr2`.
    let (size, time) = match &mut umtx_time {
        Some(time) => (
            // An address-free pointer holding the size (strict provenance, and Rust 1.81).
            core::ptr::null_mut::<u8>()
                .wrapping_add(core::mem::size_of::<libc::_umtx_time>())
                .cast::<c_void>(),
            (time as *mut libc::_umtx_time).cast::<c_void>(),
        ),
        None => (core::ptr::null_mut(), core::ptr::null_mut()),
    };
    // SAFETY: `futex` is a live reference for the whole call, so the kernel reads a valid,
    // aligned u32 (it never writes it); `time` is null or points at the `_umtx_time` on
    // this stack frame, and `size` is that structure's size.
    let result = unsafe {
        libc::_umtx_op(futex.as_ptr().cast::<c_void>(), op, c_ulong::from(expect), size, time)
    };
    if result == 0 {
        // Woken by a wake, or the word no longer held `expect` (the kernel returns 0 for
        // that too), or a spurious wakeup.
        return Ok(());
    }
    match errno() {
        // The time passed, unless we had shortened it: then it is only spurious.
        libc::ETIMEDOUT => match timeout {
            Some(timeout) if !timeout.clamped => Err(Timeout),
            _ => Ok(()),
        },
        // A signal handler ran while we slept.
        libc::EINTR => Ok(()),
        // The kernel refused the timeout. `RelativeTimeout` keeps it valid, so this is
        // not ours to report; a spurious return is always correct.
        libc::EINVAL => Ok(()),
        // Cannot happen with a live `&AtomicU32`. Anything else leaves nothing to do but
        // return: the caller re-checks.
        _ => Ok(()),
    }
}

/// `UMTX_OP_WAKE` or its private form, `op`.
fn wake(futex: *const AtomicU32, max_waiters: u32, op: c_int) {
    // The kernel reads the count as a C `int`: u32::MAX would become -1, which wakes one.
    // Anything from i32::MAX up already means everyone.
    let count = c_ulong::from(max_waiters.min(i32::MAX as u32));
    // SAFETY: a wake uses the address only to find the key (itself, or for a shared wake
    // the object mapped there): the kernel never reads or writes the word, so a dangling
    // or freed `futex` is fine. No timeout is passed.
    let result = unsafe {
        libc::_umtx_op(
            futex.cast_mut().cast::<c_void>(),
            op,
            count,
            core::ptr::null_mut(),
            core::ptr::null_mut(),
        )
    };
    // 0, or -1 with EFAULT/EINVAL for an address nobody can wait on: nothing to do either
    // way, and nothing the caller could act on.
    let _ = result;
}

/// The calling thread's `errno`.
fn errno() -> c_int {
    // SAFETY: `__error` returns the address of this thread's errno, valid for the thread's
    // life; reading it is a plain read of an initialised int.
    unsafe { *libc::__error() }
}
