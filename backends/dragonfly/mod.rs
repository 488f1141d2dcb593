//! DragonFly BSD: the `umtx_sleep` and `umtx_wakeup` system calls.
//!
//! `umtx_sleep(ptr, value, timeout)` compares the word with `value` and sleeps inside the
//! kernel's interlock with `umtx_wakeup` (a `tsleep_interlock` on the word's physical
//! address, re-checking the word after it): the atomicity and total order the front end
//! promises.
//!
//! Three quirks shape this file:
//!
//! - The timeout is an `int` of **microseconds**, and 0 means "forever" (`timeout.rs`).
//! - A timeout is reported as `EWOULDBLOCK` (= `EAGAIN`), which the kernel also returns for
//!   other reasons, and the kernel may cap a sleep (`kern.umtx_timeout_max`, 2 s by default on
//!   recent releases) and return early with the same error. So whether the time has passed
//!   is decided by our own reading of `CLOCK_MONOTONIC` before and after the call, as the
//!   seed does. That clock is the whole truth for `Err(Timeout)`, so `errno` need not be read
//!   at all: `0` is a wake; `-1` is EBUSY (the word differed), EWOULDBLOCK (time up, or cut
//!   short), EINTR (a signal) or, impossible here, EINVAL/EFAULT; each is `Timeout` if and
//!   only if the clock says the time passed, and a spurious return otherwise.
//! - A wake count of 0 means "all"; 0 is passed only on purpose, for counts beyond `c_int`.
//!
//! (Rust's std passes milliseconds to `umtx_sleep` and waits for `ETIMEDOUT`; the kernel
//! source and its manual page say microseconds and `EWOULDBLOCK`.)

mod timeout;

use core::ffi::c_int;
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use self::timeout::Micros;
use crate::backend::SharedScope;
use crate::{FutexBackend, Timeout};

/// The DragonFly BSD backend: `umtx_sleep` / `umtx_wakeup`.
///
/// The default backend on DragonFly. Two things differ from the other backends:
///
/// - **Wake counts**: the kernel wakes every waiter for any count other than 1, so
///   `wake(_, n)` with `n >= 2` wakes them all: the extra ones see a spurious return.
/// - **`wake` touches the word**: `umtx_wakeup` does an atomic add of 0 on it (to fault the
///   page in and find its physical address) before it looks for sleepers. The value never
///   changes, so a word that is alive, or freed memory that something else now uses, keeps
///   its contents. But the kernel reaches the memory: a word freed *and unmapped* makes the
///   call fail with `EFAULT` and the kernel log a warning, once per such wake. `wake_ptr` on a
///   word that its waiter may free and return to the OS (a large heap block, an unmapped
///   stack) can fill the kernel log on DragonFly; memory that stays mapped is harmless.
#[derive(Debug, Clone, Copy)]
pub struct DragonFly;

impl FutexBackend for DragonFly {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        let address = futex.as_ptr().cast_const().cast::<c_int>();
        let expect = expect as c_int; // the kernel compares the bits
        let Some(requested) = timeout else {
            // SAFETY: `futex` is a live reference for the whole call, so the kernel reads a
            // valid, aligned int (it never writes it). 0: no timeout.
            unsafe { libc::umtx_sleep(address, expect, 0) };
            // Woken, or any error: all spurious to an untimed wait.
            return Ok(());
        };
        let timeout = Micros::from_duration(requested);
        // A clamped timeout never reports `Timeout`, so it needs no clock.
        let start = if timeout.clamped { None } else { monotonic_now() };
        // SAFETY: as above; `timeout.micros` is in 1..=c_int::MAX, a real timeout.
        let result = unsafe { libc::umtx_sleep(address, expect, timeout.micros) };
        if result == 0 {
            // Woken by a wake.
            return Ok(());
        }
        match (start, monotonic_now()) {
            (Some(start), Some(now)) if now.saturating_sub(start) >= requested => Err(Timeout),
            // Not yet (or clamped, or no clock to tell): spurious.
            _ => Ok(()),
        }
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        // A count of 0 means "all" to the kernel; "at most 0" is nobody (the front end never
        // passes 0, but the backend is public).
        if max_waiters == 0 {
            return;
        }
        // 0 means "all" to the kernel: used only for counts `c_int` cannot hold (u32::MAX
        // among them), which mean "all" anyway; 0 returned above.
        let count = c_int::try_from(max_waiters).unwrap_or(0);
        // SAFETY: no Rust code reads or writes through `futex`, and the kernel's access keeps
        // the program's memory as it was: `umtx_wakeup` adds 0 to the word atomically (which
        // leaves any value, whoever owns the memory now, unchanged) to translate the address
        // to a physical page, then wakes the sleepers queued on that page and offset. A freed
        // `futex` is thus harmless: an unmapped page is `EFAULT` (and a line in the kernel's
        // log, see `DragonFly`), a reused one at worst a spurious wakeup for someone waiting
        // there.
        let result = unsafe { libc::umtx_wakeup(futex.cast::<c_int>(), count) };
        // 0, or -1 for an address nobody can wait on: nothing for the caller to act on.
        let _ = result;
    }

    /// `sched_yield(2)`: let another ready thread run.
    #[inline]
    fn yield_now() -> bool {
        // SAFETY: `sched_yield` takes nothing and touches no memory of ours.
        unsafe { libc::sched_yield() };
        true
    }
}

/// `Shared<DragonFly>`: the very same calls. DragonFly has one scope: `umtx_sleep` and
/// `umtx_wakeup` find the physical page behind the address and key the sleeper by it, so a
/// waiter and a waker in two processes that map the same memory meet already (and so, unlike
/// on the other systems, do a `DragonFly` waiter and a `Shared<DragonFly>` waker).
impl SharedScope for DragonFly {
    fn wait_shared(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        <DragonFly as FutexBackend>::wait(futex, expect, timeout)
    }

    fn wake_shared(futex: *const AtomicU32, max_waiters: u32) {
        <DragonFly as FutexBackend>::wake(futex, max_waiters)
    }
}

/// `CLOCK_MONOTONIC` now, or `None` if it cannot be read.
fn monotonic_now() -> Option<Duration> {
    let mut ts = core::mem::MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: `ts` is writable and sized for a timespec.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: a successful `clock_gettime` filled it.
    let ts = unsafe { ts.assume_init() };
    // tv_sec <= i64::MAX, so the nanosecond carry cannot overflow: no panic.
    Some(Duration::new(u64::try_from(ts.tv_sec).ok()?, u32::try_from(ts.tv_nsec).ok()?))
}
