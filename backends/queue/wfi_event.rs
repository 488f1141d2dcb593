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
// nothing after. Neither allocates. `wait` panics only if the user's `C` or `S` does (safe
// code may): the queue takes the waiter out before such a panic leaves its frame.
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

// Plain `cfg(test)` (std is there in every host test build): cargo-mutants then knows this
// for test code and leaves it alone.
#[cfg(test)]
mod tests {
    extern crate std;

    use core::cell::Cell;

    use super::*;

    std::thread_local! {
        /// Each thread's fake time in ticks of 1 ms, advanced by each `Tick::sleep`.
        static NOW: Cell<u64> = const { Cell::new(0) };
    }

    /// A clock that stands still until the "core" sleeps.
    #[derive(Default)]
    struct Ticks;

    impl Clock for Ticks {
        fn now(&self) -> Duration {
            Duration::from_millis(NOW.with(Cell::get))
        }
    }

    /// A sleep that lets one tick pass, as a tick interrupt would end a `wfi`.
    struct Tick;

    impl Sleep for Tick {
        fn sleep() {
            NOW.with(|now| now.set(now.get() + 1));
        }
    }

    type Board = WfiEvent<Ticks, Tick>;

    /// A timed wait on an event nobody sets times out exactly when its clock says the time
    /// passed: not before (that would be a false `Timeout`), and not ticks later.
    #[test]
    fn timed_wait_ends_when_the_clock_says() {
        let event = Board::new();
        let start = NOW.with(Cell::get);
        assert_eq!(event.wait(Some(Duration::from_millis(10))), Err(Timeout));
        assert_eq!(NOW.with(Cell::get) - start, 10, "ticks slept before the timeout");
        // A zero timeout has passed at once: no sleep at all.
        assert_eq!(event.wait(Some(Duration::ZERO)), Err(Timeout));
        assert_eq!(NOW.with(Cell::get) - start, 10, "ticks slept for a zero timeout");
    }

    /// A set event returns Ok at once, timed or not, and without sleeping.
    #[test]
    fn set_event_returns_at_once() {
        let event = Board::new();
        // SAFETY: `event` is alive and stays so.
        unsafe { Board::set(&event) };
        let start = NOW.with(Cell::get);
        assert_eq!(event.wait(None), Ok(()));
        assert_eq!(event.wait(Some(Duration::from_secs(1))), Ok(()));
        assert_eq!(NOW.with(Cell::get), start, "a set event slept");
    }
}
