//! `RawMutex<B>`: a mutex in one 32-bit word, sleeping through the futex of backend `B`.
//!
//! # The word
//!
//! Bit 0 says whether the mutex is held; the 31 bits above it count the threads that gave up
//! spinning and registered to sleep on the word ("waiters"):
//!
//! ```text
//!   31                                   1   0
//!  +--------------------------------------+---+
//!  |        waiters (count, × WAITER)     | L |
//!  +--------------------------------------+---+
//! ```
//!
//! | value | meaning |
//! |---|---|
//! | `0` ([`UNLOCKED`]) | free, nobody waits: the fast path takes it with one compare-and-swap |
//! | `LOCKED` | held, nobody waits: `unlock` is one atomic subtraction, no wake |
//! | `LOCKED + k·WAITER` | held, `k` threads sleep or are about to: `unlock` wakes one |
//! | `k·WAITER` | free, `k` waiters: a woken one (or anyone passing by) may take it |
//!
//! Counting the waiters, rather than std's single "contended" state, lets `unlock` skip the
//! wake exactly when nobody is registered: std's mutex, once contended, keeps calling wake
//! until the last thread that saw contention has unlocked, even if nobody sleeps any more.
//!
//! # Transitions
//!
//! - **lock, fast**: `0 → LOCKED` (compare-and-swap, Acquire). Only from exactly 0: with
//!   waiters registered we go to the slow path, which may still take the lock at once.
//! - **lock, slow**: first spin a little while the mutex is held and nobody waits (the holder
//!   is probably running and about to unlock); take it when bit 0 is clear (keeping the count).
//!   Then register: `+WAITER` (Relaxed). From then on, whenever bit 0 is clear, try
//!   `s → s + LOCKED − WAITER` (Acquire): we hold it and are no longer a waiter, in one step.
//!   While it is held, sleep on the exact value we last saw.
//! - **unlock**: `−LOCKED` (Release). If waiters were counted, wake one.
//! - **give up** (timed lock, time up): `−WAITER`, unless bit 0 is clear, in which case take
//!   the lock instead (`+LOCKED −WAITER`) and report success. Leaving while the mutex is free
//!   could strand a wake that was meant for us (see below).
//!
//! # Why no wake is lost
//!
//! A waiter sleeps only on a value that has bit 0 set and counts it. Every change of the word
//! is a read-modify-write, so all of them form one modification order:
//!
//! - If the unlock's subtraction comes after the waiter's registration, it sees the count and
//!   wakes one sleeper. The waiter either compares the futex after the subtraction (the value
//!   differs: it does not sleep) or was already asleep, and the wake, which follows the change,
//!   finds a sleeper: it or another registered waiter, which then retries in its place.
//! - If it comes before, the registration's result (or a later load) shows bit 0 clear and the
//!   waiter takes the lock instead of sleeping.
//!
//! A waiter that was woken and then lost the race (a running thread took the lock first) stays
//! registered and sleeps again; the thread that took the lock will wake a waiter when it
//! unlocks. The only way to drop a wake on the floor is to leave after absorbing it while the
//! mutex is free, and a timed-out waiter never does that: it takes the lock instead.
//!
//! # Orderings
//!
//! Acquire on every successful take and Release on the unlock: the unlock's release heads a
//! release sequence that the next holder's acquiring read-modify-write reads from, so all
//! writes of one critical section happen before the next one. Registration and giving up are
//! Relaxed: they publish nothing, and which wake they see is decided by the modification order
//! of the one word (above), not by ordering with other memory. The futex compares the word
//! with a SeqCst load in the same total order as every wake of it.
//!
//! # Fairness
//!
//! None is promised: a running thread may take the mutex ahead of a woken sleeper
//! ("barging"), which is what keeps contended throughput high (a hand-off to a sleeper costs a
//! context switch while the lock sits idle). A sleeper that loses the race goes back to sleep
//! and is woken again at the next unlock, so it is delayed, not forgotten; the benchmark
//! reports each thread's share and the longest single wait.

use core::marker::PhantomData;

use super::word::{spin_hint, Forever, Ordering::*, Sleep, Word};
use crate::FutexBackend;

/// Free, and nobody waits.
pub(crate) const UNLOCKED: u32 = 0;
/// Bit 0: held.
pub(crate) const LOCKED: u32 = 1;
/// One registered waiter, counted in bits 1 to 31.
pub(crate) const WAITER: u32 = 2;

/// How many times the slow path re-reads a held mutex, with a CPU spin hint each time, before
/// it registers to sleep.
///
/// A critical section guarded by a sleeping mutex is usually short (tens of nanoseconds);
/// sleeping and being woken costs two system calls and a context switch (several
/// microseconds). Spinning is worth it while it is likely the holder releases first: 100
/// hints is a few microseconds on current x86 (`pause` is ~40 to ~140 cycles) and on ARM
/// (`yield`/`isb`), about the price of one sleep, so a spinner never loses more than a
/// factor of two against sleeping at once. It only spins while nobody is registered: once
/// threads sleep, the mutex is contended for longer than a spin is worth, and spinning would
/// only steal the CPU from the holder on a machine with few cores. Rust std's futex mutex
/// also spins 100 times.
const SPIN_LIMIT: u32 = if cfg!(all(loom, test)) { 1 } else { 100 };

/// A mutual-exclusion lock in one `u32` that sleeps through backend `B`: the raw lock behind
/// [`generic::Mutex<B, T>`](crate::sync::generic::Mutex) (`lock_api::Mutex<RawMutex<B>, T>`).
///
/// Use it through `lock_api`'s typed `Mutex`; the raw functions are for building other
/// primitives. See the [module docs](crate::sync) for the whole family.
///
/// # Layout
///
/// One `AtomicU32` (`#[repr(transparent)]`): 4 bytes, aligned to 4, whatever `B`; all-zero
/// bytes are [`new()`](Self::new), unlocked. A zero-filled mapping shared with other processes
/// holds an unlocked one, for `RawMutex<backend::Shared<_>>` (README, "Across processes").
#[repr(transparent)]
pub struct RawMutex<B> {
    state: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> RawMutex<B> {
    /// An unlocked mutex.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        RawMutex { state: Word::new(UNLOCKED), backend: PhantomData }
    }

    /// An unlocked mutex (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        RawMutex { state: Word::new(UNLOCKED), backend: PhantomData }
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for RawMutex<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for RawMutex<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.state.load(Relaxed);
        f.debug_struct("RawMutex")
            .field("locked", &(state & LOCKED != 0))
            .field("waiters", &(state / WAITER))
            .finish()
    }
}

impl<B: FutexBackend> RawMutex<B> {
    /// Takes the mutex, sleeping while another thread holds it.
    #[inline]
    pub(crate) fn lock_raw(&self) {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_err() {
            self.lock_slow(&mut Forever::<B>::new());
        }
    }

    /// Takes the mutex if nobody holds it. Never fails while the mutex is free.
    #[inline]
    pub(crate) fn try_lock_raw(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & LOCKED != 0 {
                return false;
            }
            // Keep the waiter count: taking a free mutex ahead of woken waiters is allowed.
            match self.state.compare_exchange(state, state | LOCKED, Acquire, Relaxed) {
                Ok(_) => return true,
                // Only the count changed (or someone took and released it): look again.
                Err(now) => state = now,
            }
        }
    }

    /// Releases the mutex.
    ///
    /// # Safety
    ///
    /// The calling context holds the mutex (took it and has not released it).
    #[inline]
    pub(crate) unsafe fn unlock_raw(&self) {
        let before = self.state.fetch_sub(LOCKED, Release);
        if before != LOCKED {
            // Waiters are registered (bits 1..31 are not all clear).
            self.wake_one();
        }
    }

    #[cold]
    fn wake_one(&self) {
        super::word::wake::<B>(&self.state, 1);
    }

    /// Takes the mutex, or gives up once `sleep` reports `Timeout`. True if taken.
    #[cold]
    pub(crate) fn lock_slow(&self, sleep: &mut impl Sleep) -> bool {
        // Spin first, while the holder is probably still running.
        let mut state = self.spin(UNLOCKED);
        while state & LOCKED == 0 {
            match self.state.compare_exchange(state, state | LOCKED, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }

        // Register as a waiter. The guard takes the registration back if the wait unwinds (a
        // user's backend, or a user's `Clock` inside a `Deadline`, may panic), so that the
        // count stays true.
        state = self.state.fetch_add(WAITER, Relaxed).wrapping_add(WAITER);
        let registration = Registration(&self.state);
        loop {
            if state & LOCKED == 0 {
                // Take it and leave the waiters in one step.
                let taken = state.wrapping_add(LOCKED).wrapping_sub(WAITER);
                match self.state.compare_exchange(state, taken, Acquire, Relaxed) {
                    Ok(_) => {
                        core::mem::forget(registration);
                        return true;
                    }
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            // Held: sleep on exactly what we saw. A change (an unlock, another waiter
            // arriving) makes the futex return at once, and we look again.
            if sleep.sleep(&self.state, state).is_err() {
                core::mem::forget(registration);
                return self.give_up();
            }
            // Spin only if we are the one waiter left; else look once and sleep again.
            state = self.spin(WAITER);
        }
    }

    /// A registered waiter whose time is up: leave, or take the mutex if it is free, since
    /// the wake that the last unlock sent may have been absorbed by us.
    #[cold]
    fn give_up(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            let (new, taken) = if state & LOCKED == 0 {
                (state.wrapping_add(LOCKED).wrapping_sub(WAITER), true)
            } else {
                (state.wrapping_sub(WAITER), false)
            };
            match self.state.compare_exchange(state, new, Acquire, Relaxed) {
                Ok(_) => return taken,
                Err(now) => state = now,
            }
        }
    }

    /// Spins while the mutex is held and the waiters are just `own` (our own registration),
    /// up to [`SPIN_LIMIT`] times; returns the last value seen.
    #[inline]
    fn spin(&self, own: u32) -> u32 {
        let mut spins = SPIN_LIMIT;
        loop {
            let state = self.state.load(Relaxed);
            if state != LOCKED | own || spins == 0 {
                return state;
            }
            spin_hint();
            spins -= 1;
        }
    }

    /// Whether some thread holds the mutex (a snapshot).
    #[inline]
    pub(crate) fn is_locked_raw(&self) -> bool {
        self.state.load(Relaxed) & LOCKED != 0
    }
}

/// A waiter's registration, taken back on unwind only (forgotten on every normal path, where
/// the final compare-and-swap removes it).
struct Registration<'a>(&'a Word);

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(WAITER, Relaxed);
    }
}

#[cfg(not(all(loom, test)))]
mod traits {
    use super::*;
    use crate::sync::lock_api;

    // SAFETY: mutual exclusion rests on bit 0 alone, which only a successful compare-and-swap
    // from a value with bit 0 clear sets (`lock_raw`, `try_lock_raw`, `lock_slow`,
    // `give_up`) and only `unlock_raw`, by the holder, clears; the waiter count changes bits
    // 1..31 only (a carry out of bit 31 is discarded, never into bit 0). The backend decides
    // only when threads sleep and wake, never who holds the lock, so even a backend that
    // breaks its contract (returns at once, panics, wakes everybody) cannot let two threads
    // in. Acquire on every take and Release on the unlock order the critical sections.
    unsafe impl<B: FutexBackend> lock_api::RawMutex for RawMutex<B> {
        // A `const` item builds a new mutex at each use, which is what `lock_api` wants.
        #[allow(clippy::declare_interior_mutable_const)]
        const INIT: Self = RawMutex::new();

        /// Like std's guards, ours may not move to another thread. The futex mutex itself could
        /// be released from any thread; matching std keeps code portable between the two.
        type GuardMarker = lock_api::GuardNoSend;

        #[inline]
        fn lock(&self) {
            self.lock_raw()
        }

        #[inline]
        fn try_lock(&self) -> bool {
            self.try_lock_raw()
        }

        #[inline]
        unsafe fn unlock(&self) {
            // SAFETY: `lock_api::RawMutex::unlock`'s contract: the caller holds the mutex.
            unsafe { self.unlock_raw() }
        }

        #[inline]
        fn is_locked(&self) -> bool {
            self.is_locked_raw()
        }
    }

    impl<B: FutexBackend> RawMutex<B> {
        /// Takes the mutex unless `deadline` passes first (on any [`Clock`](crate::Clock),
        /// std or not). True if taken. The safe, typed form is
        /// [`generic::try_lock_by`](crate::sync::generic::try_lock_by).
        pub fn try_lock_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
            self.try_lock_raw() || self.lock_slow(deadline)
        }
    }

    crate::select::with_std_time! {
        // SAFETY: the same lock as the `RawMutex` impl above; the timed functions only add a way
        // to give up (`give_up`), which either takes the lock by the same compare-and-swap rule or
        // leaves it untouched.
        // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
        unsafe impl<B: FutexBackend> lock_api::RawMutexTimed for RawMutex<B> {
            type Duration = core::time::Duration;
            type Instant = std::time::Instant;

            fn try_lock_for(&self, timeout: core::time::Duration) -> bool {
                let mut deadline =
                    crate::Deadline::<B, _>::with_clock(Some(timeout), crate::StdClock::new());
                self.try_lock_by(&mut deadline)
            }

            fn try_lock_until(&self, instant: std::time::Instant) -> bool {
                self.try_lock_for(instant.saturating_duration_since(std::time::Instant::now()))
            }
        }
    }
}
