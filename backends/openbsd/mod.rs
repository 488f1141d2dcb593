//! OpenBSD: the `futex(2)` system call (OpenBSD 6.2+).
//!
//! `FUTEX_WAIT` sleeps only if the word still holds the expected value, compared under the
//! lock that `FUTEX_WAKE` takes too: the atomicity and the total order the front end
//! promises. `FUTEX_PRIVATE_FLAG` keys the futex by the address within this process alone;
//! `Shared<OpenBsd>` leaves it out, for words in memory that other processes map too.

use core::ffi::c_int;
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::backend::timespec::{max_secs, RelativeTimeout};
use crate::backend::SharedScope;
use crate::{FutexBackend, Timeout};

/// The OpenBSD backend: process-private `futex(2)` `FUTEX_WAIT` / `FUTEX_WAKE`.
///
/// The default backend on OpenBSD. Timed waits pass a relative timeout, shortened to two
/// million seconds (23 days): the kernel counts a timeout in clock ticks, caps them at
/// `INT_MAX` (248 days at the default 100 Hz, 24.8 at 1000 Hz) and then reports `ETIMEDOUT`
/// although less time than asked has passed. A shortened wait returns `Ok`, never
/// [`Timeout`].
#[derive(Debug, Clone, Copy)]
pub struct OpenBsd;

impl FutexBackend for OpenBsd {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        wait(futex, expect, timeout, libc::FUTEX_PRIVATE_FLAG)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        wake(futex, max_waiters, libc::FUTEX_PRIVATE_FLAG)
    }

    /// `sched_yield(2)`: let another ready thread run.
    #[inline]
    fn yield_now() -> bool {
        // SAFETY: `sched_yield` takes nothing and touches no memory of ours.
        unsafe { libc::sched_yield() };
        true
    }
}

/// `Shared<OpenBsd>`: `futex(2)` without `FUTEX_PRIVATE_FLAG`. The kernel (`futex_get` in
/// `sys_futex.c`) then looks the address up in the process's map: in a mapping of an object
/// (a file, or `shm_open`'s) inherited shared, the key is the object and the offset, the same
/// in every process; anywhere else (anonymous memory, `MAP_SHARED` included, which is no
/// object there) it stays this process's address, and other processes never meet it.
impl SharedScope for OpenBsd {
    fn wait_shared(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        wait(futex, expect, timeout, 0)
    }

    fn wake_shared(futex: *const AtomicU32, max_waiters: u32) {
        wake(futex, max_waiters, 0)
    }
}

/// `FUTEX_WAIT`, with `flag` (`FUTEX_PRIVATE_FLAG` or 0).
fn wait(
    futex: &AtomicU32,
    expect: u32,
    timeout: Option<Duration>,
    flag: c_int,
) -> Result<(), Timeout> {
    let timeout = timeout.map(|t| RelativeTimeout::at_most(t, max_secs::OPENBSD));
    let timespec = timeout.map(|t| libc::timespec {
        tv_sec: libc::time_t::from(t.secs),
        tv_nsec: libc::c_long::from(t.nanos),
    });
    let timespec_ptr = timespec.as_ref().map_or(core::ptr::null(), |t| t as *const _);
    // SAFETY: `futex` is a live reference for the whole call, so the kernel reads a valid,
    // aligned u32 (it never writes it for FUTEX_WAIT); `timespec_ptr` is null or points at
    // the timespec on this stack frame; FUTEX_WAIT ignores the second address.
    let result = unsafe {
        libc::futex(
            futex.as_ptr(),
            libc::FUTEX_WAIT | flag,
            expect as c_int, // the kernel compares the bits
            timespec_ptr,
            core::ptr::null_mut(),
        )
    };
    if result == 0 {
        // Woken by a wake (or spuriously).
        return Ok(());
    }
    match errno() {
        // The word no longer held `expect`.
        libc::EAGAIN => Ok(()),
        // The time passed, unless we had shortened it: then it is only spurious.
        libc::ETIMEDOUT => match timeout {
            Some(timeout) if !timeout.clamped => Err(Timeout),
            _ => Ok(()),
        },
        // A signal handler ran while we slept.
        libc::EINTR => Ok(()),
        // A signal handler with SA_RESTART ran: the wait is not restarted, only ended.
        libc::ECANCELED => Ok(()),
        // The kernel refused the timespec. `RelativeTimeout` keeps it valid, so this is
        // not ours to report; a spurious return is always correct.
        libc::EINVAL => Ok(()),
        // EFAULT cannot happen with a live `&AtomicU32`; ENOSYS would be a kernel older
        // than 6.2. Nothing to do but return: the caller re-checks.
        _ => Ok(()),
    }
}

/// `FUTEX_WAKE`, with `flag` (`FUTEX_PRIVATE_FLAG` or 0).
fn wake(futex: *const AtomicU32, max_waiters: u32, flag: c_int) {
    // The kernel takes a signed count; anything above i32::MAX already means "everyone".
    let count = max_waiters.min(i32::MAX as u32) as c_int;
    // SAFETY: FUTEX_WAKE uses the address only to find the key (itself, or for a shared
    // wake the object mapped there): the kernel never reads or writes the word, so a
    // dangling or freed `futex` is fine. No timeout is passed.
    let result = unsafe {
        libc::futex(
            futex.cast_mut().cast::<u32>(),
            libc::FUTEX_WAKE | flag,
            count,
            core::ptr::null(),
            core::ptr::null_mut(),
        )
    };
    // The number woken, perhaps zero; or -1 for an address nobody can wait on. Neither is
    // the caller's concern.
    let _ = result;
}

/// The calling thread's `errno`.
fn errno() -> c_int {
    // SAFETY: `__errno` returns the address of this thread's errno, valid for the thread's
    // life; reading it is a plain read of an initialised int.
    unsafe { *libc::__errno() }
}
