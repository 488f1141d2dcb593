//! The one thing every primitive is made of: a 32-bit word that threads change with atomic
//! read-modify-writes and sleep on through the futex of backend `B`.
//!
//! Three builds see three different words:
//!
//! - targets with compare-and-swap: `core`'s `AtomicU32`, handed to [`Futex<B>`] as it is;
//! - targets without it (thumbv6m, riscv32imc), with the `critical-section` feature: `core`'s
//!   `AtomicU32` for loads and for the futex, and every read-modify-write done as a load and a
//!   store inside one critical section. The futex API takes a `core` atomic, so wrapping one is
//!   simpler than borrowing `portable-atomic`'s word as one through a pointer cast;
//! - the loom models (`--cfg loom`, tests only): loom's `AtomicU32`, and a futex stand-in built
//!   on loom's mutex and condition variable, so that loom explores every interleaving of the
//!   state machines with the sleeping and waking.
//!
//! And the two ways of sleeping the primitives need, as one small trait ([`Sleep`]): forever
//! (an untimed lock), or until a [`Deadline`] on some [`Clock`](crate::Clock).

use core::marker::PhantomData;

#[cfg(not(all(loom, test)))]
use crate::Deadline;
use crate::{FutexBackend, Timeout};

#[cfg(not(all(loom, test)))]
pub(crate) use core::sync::atomic::Ordering;
#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::Ordering;

#[cfg(all(not(all(loom, test)), not(target_has_atomic = "32")))]
pub(crate) use self::critical::Word;
#[cfg(all(not(all(loom, test)), target_has_atomic = "32"))]
pub(crate) use core::sync::atomic::AtomicU32 as Word;
#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::AtomicU32 as Word;

/// A hint to the CPU inside a spin loop (under loom: a yield, so that the model progresses).
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(not(all(loom, test)))]
    core::hint::spin_loop();
    #[cfg(all(loom, test))]
    loom::thread::yield_now();
}

/// How the locks wait on a held word before they sleep: a few rounds of CPU spin hints that
/// double each time, then a few offers of the processor to other threads through the backend
/// ([`FutexBackend::yield_now`]).
///
/// A critical section guarded by a sleeping lock is usually short (tens of nanoseconds), and
/// sleeping and being woken costs two system calls and a context switch (microseconds), so
/// waiting a little first pays. How the wait is spent matters as much as how long it is:
///
/// - Each look at the word pulls its cache line away from the holder, who must then fetch it
///   back to unlock. Doubling the pause between looks (2, 4, then 8 hints: ~14 in all, about
///   half a microsecond on current x86, where `pause` is ~40 to ~140 cycles) leaves the line
///   with the holder while it is likely to finish soon.
/// - After that, the holder is probably not running: with more ready threads than processors
///   it was preempted, or waits for one. Then spinning only burns the processor it needs, and
///   yielding hands it over: up to [`YIELDS`] times (each a system call, which returns at
///   once when nobody else is ready), before the thread sleeps. A backend that cannot yield
///   ends the wait after the spins.
///
/// The mutex and the rwlock wait this way (the rwlock's upgrade only spins,
/// [`Backoff::spin`]). Measured on the contended rows of `benches/sync.rs` (2 and 4 threads
/// on 2 cores), this raised our mutex's throughput from ~0.8-1.7x std's (100 plain spins, as
/// std's own futex mutex does) to parking_lot's, which waits the same way (`SpinWait`: 3
/// doubling spin rounds, then 7 yields). Under loom: one round of one hint (a loom yield), no backend
/// yield, so that the models stay small.
pub(crate) struct Backoff {
    round: u32,
}

/// Spin rounds before the yields.
const SPIN_ROUNDS: u32 = if cfg!(all(loom, test)) { 1 } else { 3 };
/// Backend yields after the spin rounds.
const YIELDS: u32 = if cfg!(all(loom, test)) { 0 } else { 7 };

impl Backoff {
    pub(crate) const fn new() -> Self {
        Backoff { round: 0 }
    }

    /// Waits a little, longer than the last time; `false` once the wait is used up (the caller
    /// then sleeps), without waiting.
    #[inline]
    pub(crate) fn wait<B: FutexBackend>(&mut self) -> bool {
        if self.spin() {
            return true;
        }
        if self.round >= SPIN_ROUNDS + YIELDS || !B::yield_now() {
            return false;
        }
        self.round += 1;
        true
    }

    /// The spin rounds of [`wait`](Self::wait) alone, never a yield: `false` after them.
    ///
    /// The rwlock's upgrade waits this way, for the other readers to leave: it holds a read
    /// itself, and a yield would hand the processor to readers that keep arriving. (The
    /// rwlock's readers and writers once waited this way too, when the last reader out still
    /// cleared a waiting writer's bit: then a yielding writer lost the lock to the next
    /// readers. Since the last reader leaves the lock to that writer, they yield, and the
    /// write-heavy row of `benches/sync.rs` went from ~0.6x to ~1.0x `parking_lot`'s.)
    #[inline]
    pub(crate) fn spin(&mut self) -> bool {
        if self.round >= SPIN_ROUNDS {
            return false;
        }
        for _ in 0..2u32 << self.round {
            spin_hint();
        }
        self.round += 1;
        true
    }
}

/// How many times a thread that arrives while a fair unlock's hand-off waits to be picked up
/// yields to the waiters before it registers (and may pick the hand-off up itself): the
/// "closed to arrivals" of a fair unlock (the mutex's and the rwlock's) lasts this long.
///
/// The woken waiter needs a wake-up, which takes microseconds to tens of microseconds when it
/// runs on another processor; a yield with nothing else to run costs a few hundred
/// nanoseconds, so 1024 of them cover the common case many times over, while a waiter that
/// is not scheduled at all (a lower-priority task under an RTOS that yields only to its equals)
/// costs the newcomer no more than a fraction of a millisecond before it goes on. The
/// benchmark's `unlock_fair` row and `tests/sync_suite/fair.rs` measure it. Under loom, 1.
pub(crate) const HAND_OFF_YIELDS: u32 = if cfg!(all(loom, test)) { 1 } else { 1024 };

/// While `hand_off_pending` holds for the word's value, and for at most [`HAND_OFF_YIELDS`]
/// yields of the backend (none if it cannot yield), lets the registered waiters run: a fair
/// unlock's hand-off is theirs, and an arrival that registered now could pick it up first.
/// Starts from `state`, the caller's last look; returns the last value seen.
#[inline]
pub(crate) fn yield_while<B: FutexBackend>(
    word: &Word,
    mut state: u32,
    hand_off_pending: impl Fn(u32) -> bool,
) -> u32 {
    let mut yields = 0;
    while hand_off_pending(state) && yields < HAND_OFF_YIELDS && B::yield_now() {
        yields += 1;
        // Relaxed: only a hint of when to stop yielding; the caller's CAS decides.
        state = word.load(Ordering::Relaxed);
    }
    state
}

/// Runs `f`, and aborts the process (a panic while unwinding) if `f` unwinds: for the few
/// calls into the backend (which may panic: a user's) after which unwinding would leave a
/// promise broken that safe code relies on.
#[inline]
pub(crate) fn or_abort<T>(what: &'static str, f: impl FnOnce() -> T) -> T {
    /// Dropped only if `f` unwinds.
    struct Abort(&'static str);
    impl Drop for Abort {
        fn drop(&mut self) {
            panic!("aborting: {}", self.0);
        }
    }
    let abort = Abort(what);
    let result = f();
    core::mem::forget(abort);
    result
}

/// How a slow path sleeps on a word: until woken (or spuriously), or until a deadline.
pub(crate) trait Sleep {
    /// Sleeps while `*word == expect`. `Ok` on a wake, a changed value or spuriously;
    /// `Err(Timeout)` only once the deadline has really passed.
    fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout>;
}

/// Sleep with no deadline, on backend `B`: never answers `Timeout`.
pub(crate) struct Forever<B>(PhantomData<fn() -> B>);

impl<B> Forever<B> {
    pub(crate) fn new() -> Self {
        Forever(PhantomData)
    }
}

impl<B: FutexBackend> Sleep for Forever<B> {
    #[inline]
    fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
        wait::<B>(word, expect);
        Ok(())
    }
}

#[cfg(not(all(loom, test)))]
impl<B: FutexBackend, C: crate::Clock> Sleep for Deadline<B, C> {
    #[inline]
    fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
        // `Deadline::wait` reports `Timeout` only when its clock confirms it.
        self.wait(futex_of(word), expect)
    }
}

/// Sleeps while `*word == expect` (or returns spuriously), on backend `B`.
#[cfg(not(all(loom, test)))]
#[inline]
pub(crate) fn wait<B: FutexBackend>(word: &Word, expect: u32) {
    crate::Futex::<B>::wait(futex_of(word), expect)
}

/// One look of a waiter on a word whose waiters mark it with a `waiting` bit (which the waker
/// clears as it wakes everyone): `None` once `released(state)`; else the value to sleep on,
/// the bit set (compare-and-swap, Relaxed: it publishes nothing; Acquire when it fails, as the
/// caller's loads, so that a release seen there is seen with what it published). `state` is
/// the caller's last look (Acquire).
#[inline]
pub(crate) fn mark_waiting(
    word: &Word,
    mut state: u32,
    waiting: u32,
    released: impl Fn(u32) -> bool,
) -> Option<u32> {
    loop {
        if released(state) {
            return None;
        }
        if state & waiting != 0 {
            return Some(state);
        }
        match word.compare_exchange_weak(
            state,
            state | waiting,
            Ordering::Relaxed,
            Ordering::Acquire,
        ) {
            Ok(_) => return Some(state | waiting),
            Err(now) => state = now,
        }
    }
}

/// The async task's wait on a word whose waiters mark it ([`mark_waiting`]; `ResetEvent`,
/// `WaitGroup`): look (Acquire), mark and await the word, look again, until the rule that
/// `released_since` makes of the first look says the waiter may go. Cancel-safe: a dropped
/// wait leaves only its mark, which the next release clears.
#[cfg(all(feature = "async", not(all(loom, test))))]
pub(crate) async fn wait_marked_async<B: FutexBackend, R: Fn(u32) -> bool>(
    word: &Word,
    waiting: u32,
    released_since: impl FnOnce(u32) -> R,
) {
    let mut state = word.load(Ordering::Acquire);
    let released = released_since(state);
    while let Some(seen) = mark_waiting(word, state, waiting, &released) {
        wait_async::<B>(word, seen).await;
        state = word.load(Ordering::Acquire);
    }
}

/// A future that completes once a wake of `word` reaches it, or at once if `*word !=
/// expect` (or spuriously), on backend `B`: an async task's [`wait`].
#[cfg(all(feature = "async", not(all(loom, test))))]
#[inline]
pub(crate) fn wait_async<B: FutexBackend>(word: &Word, expect: u32) -> crate::WaitAsync<'_, B> {
    crate::Futex::<B>::wait_async(futex_of(word), expect)
}

/// Sleeps while `*word == expect` for at most `timeout`, on backend `B`.
#[cfg(not(all(loom, test)))]
#[inline]
pub(crate) fn timed_wait<B: FutexBackend>(
    word: &Word,
    expect: u32,
    timeout: core::time::Duration,
) -> Result<(), Timeout> {
    crate::Futex::<B>::timed_wait(futex_of(word), expect, timeout)
}

/// Wakes at most `n` threads sleeping on `word`, on backend `B`; on a process-shared backend
/// ([`FutexBackend::PROCESS_SHARED`]) every one of them.
///
/// Across processes a waiter may be killed after the kernel chose it for a wake and before it
/// ran, and the wake dies with it: a wake of one would then leave the others asleep with a
/// lock free, a permit released or a notification sent. Every primitive wakes through here,
/// so there each wake goes to all sleepers, who look again (the losers sleep again). Waking
/// more than asked is always allowed (every waiter re-checks its word); the cost is the herd,
/// which `benches/process_shared.rs` measures. (The loom stand-in below has no shared mode.)
#[cfg(not(all(loom, test)))]
#[inline]
pub(crate) fn wake<B: FutexBackend>(word: &Word, n: u32) {
    let n = if B::PROCESS_SHARED { u32::MAX } else { n };
    crate::Futex::<B>::wake(futex_of(word), n)
}

/// Wakes at most `n` (> 0) threads sleeping on `word`, on backend `B`, and says how many
/// where the backend can tell ([`FutexBackend::wake_counted`]). Process-private backends only:
/// the one caller (a mutex's moved sleepers) never runs on a shared one.
#[cfg(not(all(loom, test)))]
#[inline]
pub(crate) fn wake_counted<B: FutexBackend>(word: &Word, n: u32) -> Option<u32> {
    B::wake_counted(futex_of(word), n)
}

/// Wakes up to `max_wake` threads sleeping on `from` and moves up to `max_move` more to
/// sleep on `to`, if `from` still holds `expect` ([`Futex::requeue`](crate::Futex::requeue));
/// how many it moved, or `Err` if the word had changed.
#[cfg(not(all(loom, test)))]
#[inline]
pub(crate) fn requeue<B: FutexBackend>(
    from: &Word,
    expect: u32,
    to: &Word,
    max_wake: u32,
    max_move: u32,
) -> Result<u32, crate::WordChanged> {
    let to: *const core::sync::atomic::AtomicU32 = futex_of(to);
    crate::Futex::<B>::requeue(futex_of(from), expect, to, max_wake, max_move).map(|r| r.moved)
}

/// The `core` atomic the futex sleeps on.
#[cfg(all(not(all(loom, test)), target_has_atomic = "32"))]
#[inline]
fn futex_of(word: &Word) -> &core::sync::atomic::AtomicU32 {
    word
}

#[cfg(all(not(all(loom, test)), not(target_has_atomic = "32")))]
#[inline]
fn futex_of(word: &Word) -> &core::sync::atomic::AtomicU32 {
    &word.0
}

// Also built for the host's unit tests (under another name than `Word`: the host keeps `core`'s
// atomic), so that Miri can check the emulation's orderings there.
#[cfg(any(all(not(all(loom, test)), not(target_has_atomic = "32")), all(test, not(loom))))]
#[cfg_attr(target_has_atomic = "32", allow(dead_code))]
mod critical {
    //! A word for targets that can load and store 32 bits atomically but have no
    //! compare-and-swap. Every read-modify-write is a load and a store inside one critical
    //! section, in which no other thread or interrupt handler of this program runs: that makes
    //! the pair atomic against every other read-modify-write (all of them go through here) and
    //! against plain loads (which see the value before or after the store, never between).
    //! Nothing stores to the word outside a critical section: the primitives only change it
    //! through these functions, and futex backends never write the word.
    //!
    //! # Orderings
    //!
    //! Every emulated read-modify-write loads with Acquire and stores with Release (both SeqCst
    //! where SeqCst was asked), whatever ordering was asked: a Relaxed one too. Keeping the asked
    //! ordering on each half is not enough. The primitives rely on a property of real
    //! read-modify-writes: any later one, even Relaxed, continues the release sequence of an
    //! earlier Release store, so that an Acquire load reading its value synchronizes with that
    //! Release store (`ResetEvent`'s `wait` reading a Relaxed `reset`'s value must see what was
    //! written before the `set`). A plain store continues no release sequence, so an emulated
    //! Relaxed read-modify-write, a Relaxed load and a Relaxed store, would cut it, and the
    //! critical section does not mend it for a reader that takes none (every plain `load`).
    //!
    //! With Acquire and Release on the halves, the property holds again. The critical sections
    //! on a word run one after another, so the emulated read-modify-writes form a chain in the
    //! word's modification order in which each load reads the store of the one before. An
    //! Acquire load that reads a Release store synchronizes with it, so each store of the chain
    //! happens after every earlier one, and after all that their threads did before them. So an
    //! Acquire load that reads any store of the chain, inside a critical section or outside,
    //! synchronizes with that store and happens after every earlier store of the chain: at least
    //! what a release sequence gives, where the Acquire load synchronizes with the Release store
    //! that heads it. This holds in the memory model, not only on one core; it also orders the
    //! word between cores that share a critical-section implementation (RP2040's hardware
    //! spinlock).
    //!
    //! The cost: each half may need a barrier that the asked ordering would not have. On
    //! Cortex-M0 (Armv6-M) an Acquire load is the load then a `dmb`, and a Release store a
    //! `dmb` then the store, so an emulated Relaxed read-modify-write gains two `dmb`s, inside a
    //! critical section that already masks interrupts (on riscv32imc: a `fence` each). We have
    //! not measured it.

    use core::sync::atomic::{AtomicU32, Ordering};

    #[cfg(all(not(feature = "critical-section"), not(target_has_atomic = "32")))]
    compile_error!(
        "portable-futex's `sync` locks need compare-and-swap, which this target lacks: enable \
         the `critical-section` feature (and provide a critical-section implementation, such \
         as cortex-m's `critical-section-single-core`)"
    );

    /// The ordering of the load half of a read-modify-write asked to be `order`: at least
    /// Acquire (the module's doc says why).
    fn load_half(order: Ordering) -> Ordering {
        match order {
            Ordering::SeqCst => Ordering::SeqCst,
            _ => Ordering::Acquire,
        }
    }

    /// The ordering of the store half of a read-modify-write asked to be `order`: at least
    /// Release (the module's doc says why).
    fn store_half(order: Ordering) -> Ordering {
        match order {
            Ordering::SeqCst => Ordering::SeqCst,
            _ => Ordering::Release,
        }
    }

    #[derive(Debug)]
    #[repr(transparent)]
    pub(crate) struct Word(pub(super) AtomicU32);

    impl Word {
        pub(crate) const fn new(value: u32) -> Self {
            Word(AtomicU32::new(value))
        }

        pub(crate) fn load(&self, order: Ordering) -> u32 {
            self.0.load(order)
        }

        /// `f` maps the old value to the new one, or to `None` to leave it unchanged.
        fn update(&self, order: Ordering, f: impl FnOnce(u32) -> Option<u32>) -> Result<u32, u32> {
            critical_section::with(|_| {
                let old = self.0.load(load_half(order));
                match f(old) {
                    Some(new) => {
                        self.0.store(new, store_half(order));
                        Ok(old)
                    }
                    None => Err(old),
                }
            })
        }

        pub(crate) fn compare_exchange(
            &self,
            current: u32,
            new: u32,
            success: Ordering,
            failure: Ordering,
        ) -> Result<u32, u32> {
            // One load serves both outcomes: SeqCst if either asks for it.
            let order = if failure == Ordering::SeqCst { failure } else { success };
            self.update(order, |old| (old == current).then_some(new))
        }

        pub(crate) fn compare_exchange_weak(
            &self,
            current: u32,
            new: u32,
            success: Ordering,
            failure: Ordering,
        ) -> Result<u32, u32> {
            self.compare_exchange(current, new, success, failure)
        }

        pub(crate) fn fetch_add(&self, value: u32, order: Ordering) -> u32 {
            self.update(order, |old| Some(old.wrapping_add(value))).unwrap_or_else(|old| old)
        }

        pub(crate) fn fetch_sub(&self, value: u32, order: Ordering) -> u32 {
            self.update(order, |old| Some(old.wrapping_sub(value))).unwrap_or_else(|old| old)
        }

        pub(crate) fn fetch_and(&self, value: u32, order: Ordering) -> u32 {
            self.update(order, |old| Some(old & value)).unwrap_or_else(|old| old)
        }

        pub(crate) fn fetch_or(&self, value: u32, order: Ordering) -> u32 {
            self.update(order, |old| Some(old | value)).unwrap_or_else(|old| old)
        }
    }

    /// The emulation on the host, through `critical-section`'s `std` implementation (a global
    /// mutex), under Miri's race detector.
    #[cfg(test)]
    mod tests {
        extern crate std;

        use core::cell::UnsafeCell;

        use super::Ordering::*;
        use super::Word as CriticalWord;
        use crate::test_support::watchdog;

        /// Plain memory that the setter writes before its Release read-modify-write.
        struct Data(UnsafeCell<u32>);

        // SAFETY: shared only as the test below does: written by one thread, then read by
        // another that must happen-after that write (what Miri checks).
        unsafe impl Sync for Data {}

        /// `ResetEvent`'s three transitions (its `EPOCH` is 4, its `SET` 1) on the emulated word.
        ///
        /// A `set` (Release) publishes `DATA`; a `reset` (Relaxed) of that `set` follows it in
        /// the word's modification order; a waiter that reads the `reset`'s value with an Acquire
        /// load, outside any critical section, must see `DATA`, as it would with a real
        /// read-modify-write, which continues the `set`'s release sequence. The critical
        /// sections' mutex orders the `set` before the `reset`, but the waiter never takes it:
        /// the `reset`'s store is its only way to the `set`. With each half keeping the asked
        /// ordering, that store was a Relaxed plain store, which continues no release sequence,
        /// and Miri reported a data race on `DATA`.
        #[test]
        fn a_relaxed_emulated_rmw_continues_the_release_sequence() {
            watchdog("a set, a reset and a waiter on the emulated word", || {
                static WORD: CriticalWord = CriticalWord::new(0);
                static DATA: Data = Data(UnsafeCell::new(0));
                std::thread::scope(|s| {
                    // set
                    s.spawn(|| {
                        // SAFETY: the only write; the waiter reads after the set.
                        unsafe { *DATA.0.get() = 42 };
                        assert_eq!(WORD.compare_exchange(0, 4 + 1, Release, Relaxed), Ok(0));
                    });
                    // reset, once the set is there
                    s.spawn(|| {
                        while WORD.compare_exchange(4 + 1, 4, Relaxed, Relaxed).is_err() {
                            std::thread::yield_now();
                        }
                    });
                    // wait: the epoch moved on, and the event is reset
                    s.spawn(|| {
                        while WORD.load(Acquire) != 4 {
                            std::thread::yield_now();
                        }
                        // SAFETY: read after the set, if the orderings are right.
                        assert_eq!(unsafe { *DATA.0.get() }, 42);
                    });
                });
            });
        }
    }
}

/// The loom futex stand-in: a futex with exactly the backend contract (an atomic check and
/// sleep, a wake of at most `n` in arrival order), built on loom's mutex and condition
/// variable, so that a lost wakeup in a state machine shows as a loom deadlock.
#[cfg(all(loom, test))]
pub(crate) mod loom_futex {
    extern crate std;

    use std::vec::Vec;

    use loom::sync::{Condvar, Mutex};

    use super::{Ordering, Word};
    use crate::Timeout;

    struct Lot {
        /// The sleepers, oldest first: (address, ticket).
        sleepers: Mutex<(u32, Vec<(usize, u32)>)>,
        woken: Condvar,
    }

    loom::lazy_static! {
        static ref LOT: Lot = Lot { sleepers: Mutex::new((0, Vec::new())), woken: Condvar::new() };
    }

    fn address(word: &Word) -> usize {
        word as *const Word as usize
    }

    /// Sleeps while `*word == expect`, until a `wake` of this address picks this sleeper.
    pub(crate) fn wait(word: &Word, expect: u32) {
        let mut lot = LOT.sleepers.lock().unwrap();
        // Checked under the lot's lock, which `wake` takes too: check and sleep are one step.
        if word.load(Ordering::SeqCst) != expect {
            return;
        }
        let ticket = lot.0;
        lot.0 += 1;
        lot.1.push((address(word), ticket));
        while lot.1.iter().any(|&(_, t)| t == ticket) {
            lot = LOT.woken.wait(lot).unwrap();
        }
    }

    /// A timed wait that sleeps for a moment (a yield) and then times out: `Timeout`, even if
    /// a `wake` picked it meanwhile. That wake is then absorbed by a waiter that gives up, the
    /// race every timed waiter must survive without stranding the others; loom explores the
    /// wake landing before, during and after the moment.
    pub(crate) fn expired_wait(word: &Word, expect: u32) -> Result<(), Timeout> {
        let ticket = {
            let mut lot = LOT.sleepers.lock().unwrap();
            if word.load(Ordering::SeqCst) != expect {
                return Ok(());
            }
            let ticket = lot.0;
            lot.0 += 1;
            lot.1.push((address(word), ticket));
            ticket
        };
        loom::thread::yield_now();
        LOT.sleepers.lock().unwrap().1.retain(|&(_, t)| t != ticket);
        Err(Timeout)
    }

    /// Wakes the oldest `n` sleepers on `word`'s address; how many it woke.
    pub(crate) fn wake(word: &Word, n: u32) -> u32 {
        let mut lot = LOT.sleepers.lock().unwrap();
        let address = address(word);
        let mut left = n;
        lot.1.retain(|&(a, _)| {
            if a == address && left > 0 {
                left -= 1;
                false
            } else {
                true
            }
        });
        if left != n {
            LOT.woken.notify_all();
        }
        n - left
    }

    /// If `*from == expect` (checked under the lot's lock, as a wait checks), wakes the oldest
    /// `max_wake` sleepers on `from` and moves the next `max_move` to `to`, still asleep (their
    /// address rewritten); how many it moved.
    pub(crate) fn requeue(
        from: &Word,
        expect: u32,
        to: &Word,
        max_wake: u32,
        max_move: u32,
    ) -> Result<u32, crate::WordChanged> {
        let mut lot = LOT.sleepers.lock().unwrap();
        if from.load(Ordering::SeqCst) != expect {
            return Err(crate::WordChanged);
        }
        let (from, to) = (address(from), address(to));
        let (mut wake, mut moved) = (max_wake, 0);
        lot.1.retain_mut(|(a, _)| {
            if *a != from {
                true
            } else if wake > 0 {
                wake -= 1;
                false
            } else {
                if moved < max_move {
                    moved += 1;
                    *a = to;
                }
                true
            }
        });
        if wake != max_wake {
            LOT.woken.notify_all();
        }
        Ok(moved)
    }
}

/// The backend type parameter of the loom models: under loom every wait and wake of the
/// primitives goes to the stand-in above whatever the parameter, so its functions are never
/// called.
#[cfg(all(loom, test))]
pub(crate) struct Model;

#[cfg(all(loom, test))]
impl FutexBackend for Model {
    fn wait(
        _: &core::sync::atomic::AtomicU32,
        _: u32,
        _: Option<core::time::Duration>,
    ) -> Result<(), Timeout> {
        unreachable!("the loom models use the stand-in")
    }
    fn wake(_: *const core::sync::atomic::AtomicU32, _: u32) {
        unreachable!("the loom models use the stand-in")
    }
}

/// Runs a loom model in every interleaving with at most 3 preemptions, whatever
/// `LOOM_MAX_PREEMPTIONS` says: the sync models have three threads and long slow paths, and a
/// bound of 5 takes minutes to tens of minutes each on two cores, while 3 (seconds) already
/// finds each planted bug listed in the models' docs (each lost wake found needed 2).
#[cfg(all(loom, test))]
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(builder.preemption_bound.map_or(3, |bound| bound.min(3)));
    builder.check(f);
}

#[cfg(all(loom, test))]
pub(crate) fn wait<B>(word: &Word, expect: u32) {
    loom_futex::wait(word, expect)
}

#[cfg(all(loom, test))]
#[allow(dead_code)] // used by `Condvar::wait_for`, which the models do not build
pub(crate) fn timed_wait<B>(
    word: &Word,
    expect: u32,
    _timeout: core::time::Duration,
) -> Result<(), Timeout> {
    loom_futex::expired_wait(word, expect)
}

#[cfg(all(loom, test))]
pub(crate) fn wake<B>(word: &Word, n: u32) {
    loom_futex::wake(word, n);
}

#[cfg(all(loom, test))]
std::thread_local! {
    /// Whether the stand-in's counted wake answers `None`, as a backend that cannot count:
    /// per test (loom runs a model's threads on the test's own thread).
    pub(crate) static UNCOUNTED: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

#[cfg(all(loom, test))]
pub(crate) fn wake_counted<B>(word: &Word, n: u32) -> Option<u32> {
    let woken = loom_futex::wake(word, n);
    if UNCOUNTED.with(core::cell::Cell::get) {
        None
    } else {
        Some(woken)
    }
}

#[cfg(all(loom, test))]
#[allow(dead_code)] // used by the condvar's notifications, which the models call by hand
pub(crate) fn requeue<B>(
    from: &Word,
    expect: u32,
    to: &Word,
    max_wake: u32,
    max_move: u32,
) -> Result<u32, crate::WordChanged> {
    loom_futex::requeue(from, expect, to, max_wake, max_move)
}

/// In the loom models, a deadline that has always already passed.
#[cfg(all(loom, test))]
pub(crate) struct Expired;

#[cfg(all(loom, test))]
impl Sleep for Expired {
    fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
        loom_futex::expired_wait(word, expect)
    }
}

/// In the loom models, a deadline that passes while the thread sleeps: the first sleep is a
/// real one (woken by a wake, or not entered if the word changed), and reports `Timeout`, as a
/// `Deadline` does when the wake and the deadline come together.
#[cfg(all(loom, test))]
pub(crate) struct ExpiresInSleep;

#[cfg(all(loom, test))]
impl Sleep for ExpiresInSleep {
    fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
        loom_futex::wait(word, expect);
        Err(Timeout)
    }
}

/// How long `Backoff` waits before its caller sleeps, counted in `true`s, on a backend that
/// can yield and on one that cannot.
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use core::cell::Cell;
    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    use super::*;
    use crate::test_support::watchdog;

    std::thread_local! {
        static YIELDED: Cell<u32> = const { Cell::new(0) };
    }

    /// A backend whose `yield_now` answers `CAN` and counts the calls on this thread; it never
    /// sleeps or wakes.
    struct Yielding<const CAN: bool>;

    impl<const CAN: bool> FutexBackend for Yielding<CAN> {
        fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
            unreachable!("Backoff never sleeps")
        }
        fn wake(_: *const AtomicU32, _: u32) {
            unreachable!("Backoff never wakes")
        }
        fn yield_now() -> bool {
            YIELDED.with(|y| y.set(y.get() + 1));
            CAN
        }
    }

    /// How many times `Backoff::wait` says "wait more" before it first says "sleep" (at most
    /// 100), and how many yields it asked for on the way.
    fn rounds<B: FutexBackend>() -> (u32, u32) {
        YIELDED.with(|y| y.set(0));
        let mut backoff = Backoff::new();
        let mut waits = 0;
        while waits < 100 && backoff.wait::<B>() {
            waits += 1;
        }
        (waits, YIELDED.with(Cell::get))
    }

    #[test]
    fn without_yields_the_wait_ends_after_the_spins() {
        watchdog("a Backoff on a backend that cannot yield to be used up", || {
            // The spin rounds, then one offer of the processor, refused.
            assert_eq!(rounds::<Yielding<false>>(), (SPIN_ROUNDS, 1));
            assert_eq!(SPIN_ROUNDS, 3);
        });
    }

    #[test]
    fn with_yields_the_spins_are_followed_by_the_yields() {
        watchdog("a Backoff on a backend that can yield to be used up", || {
            assert_eq!(rounds::<Yielding<true>>(), (SPIN_ROUNDS + YIELDS, YIELDS));
            assert_eq!(YIELDS, 7);
        });
    }

    #[test]
    fn a_used_up_backoff_stays_used_up() {
        watchdog("a used-up Backoff to answer again", a_used_up_backoff);
    }

    fn a_used_up_backoff() {
        let mut backoff = Backoff::new();
        let mut waits = 0;
        while waits < 100 && backoff.wait::<Yielding<true>>() {
            waits += 1;
        }
        assert_eq!(waits, SPIN_ROUNDS + YIELDS);
        YIELDED.with(|y| y.set(0));
        assert!(!backoff.wait::<Yielding<true>>());
        // Used up by its count, not by a refused yield: no further yield is asked for.
        assert_eq!(YIELDED.with(Cell::get), 0);
    }

    #[test]
    fn spin_only_is_the_spin_rounds_and_stays_used_up() {
        watchdog("a spin-only Backoff to be used up", || {
            let mut backoff = Backoff::new();
            let mut spins = 0;
            while spins < 100 && backoff.spin() {
                spins += 1;
            }
            assert_eq!(spins, SPIN_ROUNDS);
            assert!(!backoff.spin());
            // The spins use up the same rounds as `wait`'s: only its yields are left.
            YIELDED.with(|y| y.set(0));
            assert!(backoff.wait::<Yielding<true>>());
            assert_eq!(YIELDED.with(Cell::get), 1);
        });
    }
}
