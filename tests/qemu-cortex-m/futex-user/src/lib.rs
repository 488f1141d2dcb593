//! A backend-agnostic library: only the root functions of portable-futex.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use portable_futex::Timeout;

/// Blocks until `flag` is no longer 0.
pub fn wait_until_set(flag: &AtomicU32) {
    while flag.load(Ordering::Acquire) == 0 {
        portable_futex::wait(flag, 0);
    }
}

/// Sets `flag` and wakes one waiter: safe to call from an interrupt handler.
pub fn set(flag: &AtomicU32) {
    flag.store(1, Ordering::Release);
    portable_futex::wake(flag, 1);
}

/// Waits for `flag` to leave 0 for at most `timeout` (one timed wait).
pub fn wait_for(flag: &AtomicU32, timeout: Duration) -> Result<(), Timeout> {
    portable_futex::timed_wait(flag, 0, timeout)
}
