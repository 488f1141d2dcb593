//! `Hostile<B>`: backend `B` doing everything the `FutexBackend` contract allows that a
//! careless primitive might not expect.
//!
//! - **Spurious returns**: about one wait in four returns `Ok` at once without sleeping, and
//!   another one in four sleeps at most 50 µs (a shortened wait) and then returns `Ok`.
//! - **Wakes of more than asked**: about half the wakes wake everybody (`u32::MAX`), and the
//!   rest one more than asked.
//!
//! What it never does is break the contract: a wait that did sleep keeps `B`'s atomic
//! check-and-sleep, a `Timeout` is passed on only from `B`'s full-length wait (so the time
//! really passed), and `wake` never reads the word. A primitive that is correct on every
//! backend must be correct on this one; one that relies on "wake(1) wakes exactly one" or "a
//! wait returns only when woken" hangs or breaks here.
//!
//! Include it with `#[path = "common/hostile.rs"] mod hostile;` and name
//! `hostile::Hostile<Linux>`.

#![allow(dead_code)]

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use portable_futex::{FutexBackend, Timeout};

/// `B`, with spurious returns and extra wakes (see the module docs).
pub struct Hostile<B>(PhantomData<fn() -> B>);

/// Gives every thread its own random sequence.
static SEED: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);

thread_local! {
    static STATE: Cell<u64> = Cell::new(SEED.fetch_add(0x6a09_e667_f3bc_c909, Ordering::Relaxed) | 1);
}

/// A xorshift64 step: cheap, and random enough to vary the schedules.
fn random() -> u64 {
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        x
    })
}

/// The longest a shortened wait sleeps.
const SHORT: Duration = Duration::from_micros(50);

impl<B: FutexBackend> FutexBackend for Hostile<B> {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        match random() % 4 {
            // Spurious: return at once.
            0 => Ok(()),
            // Shortened: sleep a little, and report whatever happened as a wakeup (a shortened
            // wait never claims `Timeout`).
            1 => {
                let short = timeout.map_or(SHORT, |t| t.min(SHORT));
                let _ = B::wait(futex, expect, Some(short));
                Ok(())
            }
            _ => B::wait(futex, expect, timeout),
        }
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        let n = if random() % 2 == 0 { u32::MAX } else { max_waiters.saturating_add(1) };
        B::wake(futex, n)
    }

    fn yield_now() -> bool {
        B::yield_now()
    }
}
