//! The event for a single-core microcontroller: check a flag and sleep (`wfi`) inside one
//! critical section, so that an interrupt that sets it can never slip between the two.
//!
//! With interrupts masked, an interrupt that fires after the check stays pending; `wfi` does
//! not sleep while one is pending; leaving the critical section runs its handler, which sets
//! the flag; the next turn of the loop sees it. Without the critical section the handler could
//! run between the check and `wfi`, and the core would sleep through the wake.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

use super::Event;
use crate::{Clock, Timeout};

/// How the core sleeps until an interrupt is pending. Called with interrupts masked (inside a
/// critical section): it must return once an interrupt is pending, masked or not, which is
/// what `wfi` does on Arm M-profile and RISC-V.
pub trait Sleep {
    /// Sleeps until an interrupt is pending.
    fn sleep();
}

/// `wfi`: wait for interrupt.
#[derive(Debug)]
pub struct Wfi;

#[cfg(any(target_arch = "arm", target_arch = "riscv32", target_arch = "riscv64"))]
impl Sleep for Wfi {
    #[inline]
    fn sleep() {
        // SAFETY: `wfi` only pauses the core until an interrupt is pending; it touches no
        // memory and no register that Rust allocates.
        unsafe { core::arch::asm!("wfi", options(nomem, nostack, preserves_flags)) }
    }
}

/// The queue's [`Event`] for single-core microcontrollers (feature `critical-section`): a
/// flag, checked and slept on (with `S`, `wfi` by default) inside one critical section, and
/// timed waits measured on clock `C` (a tick counter, say).
///
/// `set` may be called from an interrupt handler: that is what the critical section is for.
/// A timed wait re-checks its clock each time the core wakes, so it needs some interrupt to
/// wake it at least as often as the precision you want (the tick interrupt of `C` does).
/// Pair it with [`CriticalSectionLock`](super::CriticalSectionLock) in your
/// [`QueueConfig`](super::QueueConfig).
pub struct WfiEvent<C, S = Wfi> {
    set: AtomicBool,
    _clock_and_sleep: PhantomData<fn() -> (C, S)>,
}

// SAFETY: `wait` returns Ok only after it saw the flag that only `set` stores; it reports a
// timeout only after clock `C` says the time passed; `set` stores the flag and touches
// nothing after. Neither allocates or panics (given a clock that does not).
unsafe impl<C: Clock + Default, S: Sleep> Event for WfiEvent<C, S> {
    fn new() -> Self {
        Self { set: AtomicBool::new(false), _clock_and_sleep: PhantomData }
    }

    fn wait(&self, timeout: Option<Duration>) -> Result<(), Timeout> {
        let clock = C::default();
        let start = clock.now();
        loop {
            let outcome = critical_section::with(|_| {
                // Acquire: what the setter wrote before `set` is visible once we return.
                if self.set.load(Ordering::Acquire) {
                    return Some(Ok(()));
                }
                if timeout.is_some_and(|t| clock.now().saturating_sub(start) >= t) {
                    return Some(Err(Timeout));
                }
                // Still inside the critical section: an interrupt after the check is pending
                // now, and `sleep` returns at once.
                S::sleep();
                None
            });
            // Out of the critical section, the pending interrupt's handler has run.
            if let Some(outcome) = outcome {
                return outcome;
            }
        }
    }

    unsafe fn set(this: *const Self) {
        // SAFETY: `*this` is alive until this store makes it visible; nothing touches it
        // after. Release pairs with the Acquire in `wait`.
        unsafe { (*this).set.store(true, Ordering::Release) };
    }
}
