//! `Barrier<B>`: `n` threads wait until all of them have arrived, generation after generation,
//! in two `u32`s: the fixed `n`, and a count of arrivals.
//!
//! # The word
//!
//! `arrivals` counts every `wait` ever made, modulo `limit = n · ⌊(2³² − 1) / n⌋` (a multiple
//! of `n`, so the count wraps at a generation boundary). A value `a` reads as:
//!
//! - generation `a / n`: the round the next arriving thread joins;
//! - `a % n`: how many threads of that round have arrived.
//!
//! `n` is at most [`MAX_THREADS`] `= 2³¹ − 1`, so that at least two generations fit in a
//! `u32` and a waiter can tell "my round is over" from "my round is still on".
//!
//! # Transitions
//!
//! - **arrive**: `a → a + 1`, or `→ 0` when `a + 1 = limit` (compare-and-swap, AcqRel). The
//!   thread's round is `a / n`. If `a % n = n − 1` it is the last of its round, the leader:
//!   its own step began the next round, and it wakes every sleeper and returns.
//! - **wait** (every other thread): while the generation of the word is still its round,
//!   sleep on the exact value; return when the generation differs.
//!
//! # Why no wake is lost, and why rounds never mix
//!
//! A waiter sleeps only on a value whose generation is its own round, which means the leader
//! of that round has not arrived yet: the leader's arrival comes later in the word's
//! modification order, changes the value (the generation), and is followed by its wake. The
//! futex finds the waiter asleep, or its compare sees a changed value. Arrivals of others only
//! change the value, so a waiter about to sleep looks again.
//!
//! A thread's round is fixed by its own arrival, the one read-modify-write that counts it, so
//! exactly `n` threads belong to each round and exactly one of them (the `n`-th) is its leader.
//! A waiter returns only when the generation has moved past its round. The generation would
//! come back to the same number only after `⌊(2³² − 1) / n⌋ ≥ 2` whole rounds, each of which
//! needs `n` arrivals, and with `n` threads using the barrier the waiter's next arrival is one
//! of them: it cannot happen while the waiter is still waiting.
//!
//! # Orderings
//!
//! Every arrival is an AcqRel read-modify-write and waiters read with Acquire. All changes of
//! the word are read-modify-writes, so the leader's arrival reads from the release sequences
//! of every earlier arrival of its round, and a waiter's Acquire load reads from the leader's
//! release sequence: what any thread wrote before `wait` is visible to all of them after it.

use core::marker::PhantomData;

use super::word::{self, Ordering::*, Word};
use crate::FutexBackend;

/// The most threads a barrier can gather: `2³¹ − 1` (a larger `n` is taken as this).
pub(crate) const MAX_THREADS: u32 = i32::MAX as u32;

/// Makes `n` threads wait until all `n` have arrived, then lets them all go on; reusable,
/// generation after generation. std's `Barrier`, on backend `B`, in two `u32`s;
/// [`sync::Barrier`](crate::sync::Barrier) is this on the default backend.
///
/// ```
/// use portable_futex::sync::Barrier;
///
/// let barrier = Barrier::new(3);
/// let leaders = std::thread::scope(|s| {
///     let threads: Vec<_> = (0..3).map(|_| s.spawn(|| barrier.wait().is_leader())).collect();
///     threads.into_iter().map(|t| t.join().unwrap()).filter(|&leader| leader).count()
/// });
/// assert_eq!(leaders, 1); // one leader per generation
/// ```
///
/// Exactly one thread of each generation is told it is the leader (the last to arrive). `n`
/// of 0 or 1 lets every `wait` through at once, each one its own leader; an `n` above
/// `2³¹ − 1` is taken as `2³¹ − 1` (no program has that many threads, so the barrier would
/// block for ever either way). There is no timed wait: an arrival cannot be taken back.
pub struct Barrier<B> {
    /// Threads per generation, `1..=MAX_THREADS`.
    n: u32,
    arrivals: Word,
    backend: PhantomData<fn() -> B>,
}

/// What [`Barrier::wait`] returns: whether this thread was the generation's leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// True for exactly one thread of each generation: the last to arrive.
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

/// `n` as the barrier keeps it: `1..=MAX_THREADS`.
const fn threads(n: usize) -> u32 {
    if n == 0 {
        1
    } else if n > MAX_THREADS as usize {
        MAX_THREADS
    } else {
        n as u32
    }
}

impl<B> Barrier<B> {
    /// A barrier for `n` threads.
    #[cfg(not(all(loom, test)))]
    pub const fn new(n: usize) -> Self {
        Barrier { n: threads(n), arrivals: Word::new(0), backend: PhantomData }
    }

    /// A barrier for `n` threads (loom's atomics are not `const`).
    #[cfg(all(loom, test))]
    pub(crate) fn new(n: usize) -> Self {
        Barrier { n: threads(n), arrivals: Word::new(0), backend: PhantomData }
    }

    /// Where the arrival count wraps to 0: the largest multiple of `n` in a `u32`.
    #[inline]
    fn limit(&self) -> u32 {
        self.n * (u32::MAX / self.n)
    }
}

impl<B> core::fmt::Debug for Barrier<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &(self.arrivals.load(Relaxed) % self.n))
            .finish()
    }
}

impl<B: FutexBackend> Barrier<B> {
    /// Arrives, and sleeps until all `n` threads of this generation have arrived. One of
    /// them, the last, is told it is the leader.
    pub fn wait(&self) -> BarrierWaitResult {
        let limit = self.limit();
        let mut arrivals = self.arrivals.load(Relaxed);
        loop {
            let next = if arrivals + 1 == limit { 0 } else { arrivals + 1 };
            // AcqRel: release what we wrote to the leader (and so to everybody); acquire, if
            // we are the leader, what every earlier arrival of the round wrote.
            match self.arrivals.compare_exchange_weak(arrivals, next, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(now) => arrivals = now,
            }
        }
        let round = arrivals / self.n;
        if arrivals % self.n == self.n - 1 {
            if self.n > 1 {
                self.wake_all();
            }
            return BarrierWaitResult { leader: true };
        }
        self.wait_slow(round);
        BarrierWaitResult { leader: false }
    }

    #[cold]
    fn wake_all(&self) {
        word::wake::<B>(&self.arrivals, u32::MAX);
    }

    /// Sleeps until the generation moves past `round`.
    #[cold]
    fn wait_slow(&self, round: u32) {
        loop {
            let arrivals = self.arrivals.load(Acquire);
            if arrivals / self.n != round {
                return;
            }
            word::wait::<B>(&self.arrivals, arrivals);
        }
    }
}

#[cfg(not(all(loom, test)))]
const _: () = assert!(core::mem::size_of::<Barrier<crate::NoDefaultBackend>>() == 8);

/// The arrival count's arithmetic at its edges, from counts set up by hand.
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;
    use crate::test_support::{take_wake_calls, watchdog, Recording};

    #[test]
    fn a_barrier_of_one_leads_every_time_and_wakes_nobody() {
        // Under the watchdog: a leader that waits instead would hang it.
        watchdog("leaders of barriers of one and two to return", || {
            let b = Barrier::<Recording>::new(1);
            take_wake_calls();
            assert!(b.wait().is_leader());
            assert!(b.wait().is_leader());
            assert_eq!(take_wake_calls(), 0, "a wake with nobody else in the barrier");
            // A leader of two wakes the other.
            let two = Barrier::<Recording>::new(2);
            two.arrivals.store(1, Relaxed);
            assert!(two.wait().is_leader());
            assert_eq!(take_wake_calls(), 1);
        });
    }

    #[test]
    fn the_count_wraps_to_zero_at_the_last_whole_generation() {
        // Under the watchdog: a leader that waits instead would hang it.
        watchdog("the last arrival of the last generation to lead", || {
            // n = 2: the largest multiple of 2 in a u32 is 2³² − 2.
            let b = Barrier::<Recording>::new(2);
            assert_eq!(b.limit(), u32::MAX - 1);
            b.arrivals.store(u32::MAX - 2, Relaxed);
            assert!(b.wait().is_leader(), "the second of the last generation leads");
            assert_eq!(b.arrivals.load(Relaxed), 0, "and the count starts again at 0");
            assert_eq!(Barrier::<Recording>::new(3).limit(), u32::MAX);
            assert_eq!(Barrier::<Recording>::new(MAX_THREADS as usize).limit(), 2 * MAX_THREADS);
        });
    }

    #[test]
    fn debug_shows_the_arrivals_of_the_current_generation() {
        let b = Barrier::<Recording>::new(3);
        b.arrivals.store(5, Relaxed);
        assert_eq!(std::format!("{b:?}"), "Barrier { n: 3, arrived: 2 }");
    }
}
