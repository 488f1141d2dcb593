//! `Hostile<B>`: backend `B` doing everything the `FutexBackend` contract allows that a
//! careless primitive might not expect.
//!
//! - **Spurious returns**: about one wait in four returns `Ok` at once without sleeping, and
//!   another one in four sleeps at most 50 µs (a shortened wait) and then returns `Ok`.
//! - **Wakes of more than asked**: about half the wakes wake everybody (`u32::MAX`), and the
//!   rest one more than asked.
//! - **Moves of a random part**: a requeue moves none, all, or a few of the waiters it may
//!   move (where `B` moves at all), and wakes the others instead; a counted wake answers
//!   "cannot tell" about half the time.
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

use portable_futex::{FutexBackend, Requeued, Timeout, WordChanged};

/// `B`, with spurious returns and extra wakes (see the module docs).
pub struct Hostile<B>(PhantomData<fn() -> B>);

/// `B` exactly, except that its counted wake never says how many it woke (`None`), as a
/// backend that moves sleepers but cannot count its wakes would answer: nothing spurious or
/// extra to hide a wake a primitive forgot to send.
pub struct Uncounting<B>(PhantomData<fn() -> B>);

impl<B: FutexBackend> FutexBackend for Uncounting<B> {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        B::wait(futex, expect, timeout)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        B::wake(futex, max_waiters)
    }

    fn wake_counted(futex: *const AtomicU32, max_waiters: u32) -> Option<u32> {
        B::wake(futex, max_waiters);
        None
    }

    fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        B::requeue(from, expect, to, max_wake, max_move)
    }

    fn yield_now() -> bool {
        B::yield_now()
    }
}

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

    fn wake_counted(futex: *const AtomicU32, max_waiters: u32) -> Option<u32> {
        let n = if random() % 2 == 0 { max_waiters.saturating_add(1) } else { max_waiters };
        // More than asked is uncounted by the caller's measure: say so by not counting.
        let woken = B::wake_counted(futex, n);
        if n != max_waiters || random() % 2 == 0 {
            None
        } else {
            woken
        }
    }

    fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        let moves = match random() % 3 {
            0 => 0,
            1 => max_move,
            _ => max_move.min(1 + (random() % 3) as u32),
        };
        let done = if max_wake == 0 && moves == 0 {
            // Nothing to hand `B` (its front end would answer 0/0): compare by hand.
            if from.load(Ordering::SeqCst) != expect {
                return Err(WordChanged);
            }
            Requeued { woken: Some(0), moved: 0 }
        } else {
            B::requeue(from, expect, to, max_wake, moves)?
        };
        // The rest of those it may move are woken instead (a wake is always allowed).
        if max_move > moves {
            B::wake(from, max_move - moves);
        }
        Ok(Requeued { woken: None, moved: done.moved })
    }

    fn yield_now() -> bool {
        B::yield_now()
    }
}
