//! A futex in user space: hashed buckets of wait queues, each waiter asleep on its own event.
//!
//! For every target whose OS has no futex (NetBSD, illumos, Haiku, older macOS, ESP-IDF...)
//! and for bare metal and RTOSes, which have no OS at all. The design is the seed's
//! `PosixImpl`, itself after Linux's futex hash table and Go's semaphores:
//!
//! - a static table of [`Bucket`]s, chosen by hashing the word's address (`bucket.rs`), typed
//!   by the lock and by the waiters' event, so that a table only ever queues one kind of waiter;
//! - in each bucket, a lock, a count of announced waiters, and a treap keyed by address whose
//!   nodes head one FIFO queue per address (`treap.rs`, `wait_queue.rs`);
//! - each waiter on its own thread's stack, asleep on its own [`Event`] (`event.rs`);
//! - the lock and the event are pluggable ([`BucketLock`], [`Event`], [`QueueConfig`]), so the
//!   same code runs under `std` and on a bare-metal board.
//!
//! # The protocol
//!
//! `wait(word, expect)`:
//! 1. announce: `pending += 1` (SeqCst), then `fence(SeqCst)`;
//! 2. under the bucket lock, re-read the word; if it changed, withdraw (`pending -= 1`) and
//!    return; else append our waiter to the queue of the address;
//! 3. sleep on our event;
//! 4. on a timeout, take the lock and try to unlink ourselves. If we could, `pending -= 1`
//!    and report the timeout. If a waker already took us out, it is about to set our event and
//!    still holds a pointer to it: wait (untimed) for that `set` before returning, or the
//!    waker would write into a dead stack frame.
//!
//! Steps 2 to 4 run under a guard (`Stay`): should anything in them unwind (the user's clock
//! inside `WfiEvent`, a broken event or lock), the guard does step 4 before the frame goes,
//! so that no bucket is left pointing at it.
//!
//! `wake(word, n)`:
//! 1. `fence(SeqCst)`, then read `pending`; if zero, return: no lock, no system call;
//! 2. under the lock, unlink up to `n` waiters from the front of the address's queue;
//! 3. release the lock; `pending -= taken` (the taken waiters are no longer linked, and a
//!    count too high for a moment only sends a later waker through the lock); set each taken
//!    waiter's event, reading everything needed from the waiter *before* its `set`, and
//!    nothing after.
//!
//! Why the orderings. The danger is a waker that skips the lock while a waiter goes to sleep:
//!
//! ```text
//! waiter                               waker
//! (a) pending += 1; fence              (c) store word = new value; fence
//! (b) read word: still expected        (d) read pending: 0, so return
//!     sleep forever
//! ```
//!
//! This is the store-buffering pattern, and a SeqCst fence on each side forbids it: the two
//! fences are ordered one way or the other in the single total order of SeqCst operations.
//! If the waker's comes first, everything before it (the new value) is visible after the
//! waiter's, so (b) sees the new value and the waiter does not sleep. If the waiter's comes
//! first, (d) sees the announcement, takes the lock, and finds the waiter queued (or finds
//! it withdrawn). Either way nobody sleeps through a wake.
//!
//! The seed has no fence in (a): it relies on the SeqCst increment, a full barrier on every
//! CPU (and, read with the C++20 rules, enough when (b) is a SeqCst load). We add the fence
//! because it makes the argument the textbook one, and the one our loom model can check: loom
//! treats a SeqCst read-modify-write as acquire-release and finds the lost wakeup without it.
//! It costs a few cycles on a path that is about to take a lock and sleep. The word is then
//! read with a relaxed load in (b), as in the seed.
//!
//! A fence + load in (d), rather than an RMW such as `fetch_add(0)`, keeps a wake with nobody
//! waiting a plain read of a shared cache line instead of taking it exclusive.

#[cfg(not(any(target_has_atomic = "ptr", feature = "critical-section")))]
compile_error!(
    "portable-futex's queue backend counts waiters with read-modify-write atomics, which this \
     target lacks: enable the `critical-section` feature (and provide a critical-section \
     implementation, such as cortex-m's `critical-section-single-core`)"
);

mod bucket;
mod event;
mod lock;
mod treap;
mod wait_queue;
#[cfg(all(feature = "critical-section", not(all(loom, test))))]
mod wfi_event;

#[cfg(all(loom, test))]
mod loom_tests;

use core::cell::Cell;
use core::marker::PhantomData;
use core::sync::atomic::AtomicU32;
use core::time::Duration;

pub use self::bucket::Bucket;
pub use self::event::Event;
#[cfg(feature = "std")]
pub use self::event::ParkEvent;
pub use self::lock::BucketLock;
#[cfg(all(feature = "critical-section", not(all(loom, test))))]
pub use self::lock::CriticalSectionLock;
#[cfg(all(target_has_atomic = "8", not(all(loom, test))))]
pub use self::lock::SpinLock;
#[cfg(all(feature = "std", not(all(loom, test))))]
pub use self::lock::StdLock;
#[cfg(all(feature = "critical-section", not(all(loom, test))))]
pub use self::wfi_event::{Sleep, Wfi, WfiEvent};

use self::bucket::bucket_of;
use self::sync::{fence, Ordering};
use self::wait_queue::Waiter;
use crate::{FutexBackend, Requeued, Timeout, WordChanged};

/// The pieces that make a [`QueueWith`] backend: a lock, an event, and a static bucket table.
///
/// ```
/// use portable_futex::backend::queue::{Bucket, QueueConfig, SpinLock, ParkEvent};
/// use portable_futex::{backend::QueueWith, Futex};
///
/// struct Mine;
///
/// impl QueueConfig for Mine {
///     type Lock = SpinLock;
///     type Event = ParkEvent;
///     fn buckets() -> &'static [Bucket<SpinLock, ParkEvent>] {
///         static BUCKETS: [Bucket<SpinLock, ParkEvent>; 16] = Bucket::table();
///         &BUCKETS
///     }
/// }
///
/// type MyFutex = Futex<QueueWith<Mine>>;
/// # let word = core::sync::atomic::AtomicU32::new(1);
/// # MyFutex::wait(&word, 0);
/// ```
pub trait QueueConfig: 'static {
    /// The lock of each bucket.
    type Lock: BucketLock;
    /// What a waiting thread sleeps on.
    type Event: Event;
    /// The bucket table: one `static`, never empty (build it with [`Bucket::table`]).
    ///
    /// Its buckets are typed by the lock and the event, so a table can serve only configs that
    /// agree on both: waiters queued by one config are woken by another that shares its table,
    /// and must be of the type that config expects.
    fn buckets() -> &'static [Bucket<Self::Lock, Self::Event>];

    /// The backend's [`FutexBackend::yield_now`]: offers the processor to another ready
    /// thread (an RTOS's task yield), and says whether it could; `false` by default.
    #[inline]
    fn yield_now() -> bool {
        false
    }
}

/// The user-space wait-queue backend, on the lock, event and table of `C`.
///
/// `Queue` is this on `std`'s pieces; without `std`, name your own [`QueueConfig`].
pub struct QueueWith<C>(PhantomData<fn() -> C>);

impl<C: QueueConfig> FutexBackend for QueueWith<C> {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        // Step (b) of the protocol; the fence in (a) orders it (see `WORD_ORDER`).
        let still_expected = || futex.load(WORD_ORDER) == expect;
        wait_on::<C::Lock, C::Event>(C::buckets(), address(futex), still_expected, timeout)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        wake_on::<C::Lock, C::Event>(C::buckets(), address(futex), max_waiters);
    }

    /// The caller's fence is step (c)'s.
    fn wake_fenced(futex: *const AtomicU32, max_waiters: u32) {
        wake_after_fence::<C::Lock, C::Event>(C::buckets(), address(futex), max_waiters);
    }

    /// How many waiters of the address the wake took off its queue.
    fn wake_counted(futex: *const AtomicU32, max_waiters: u32) -> Option<u32> {
        Some(wake_on::<C::Lock, C::Event>(C::buckets(), address(futex), max_waiters))
    }

    /// Moves waiters between the queues of two addresses, under both buckets' locks, where
    /// the lock may be nested ([`BucketLock::NESTS`]); wakes instead where it may not.
    fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        if !<C::Lock as BucketLock>::NESTS {
            let waiters = max_wake.saturating_add(max_move);
            return crate::requeue::wake_instead(from, expect, waiters, Self::wake);
        }
        // Read under `from`'s bucket lock, as a wait compares it (see `WORD_ORDER`).
        let still_expected = || from.load(WORD_ORDER) == expect;
        let (from, to) = (address(from), address(to));
        requeue_on::<C::Lock, C::Event>(C::buckets(), from, still_expected, to, max_wake, max_move)
    }

    #[inline]
    fn yield_now() -> bool {
        C::yield_now()
    }
}

/// How step (b) reads the word, under the bucket lock: Relaxed, since the fence of (a) orders
/// it after the announcement and the waker's fence orders its change of the word before its
/// read of `pending` (see the module docs). The loom model reads its word with this same
/// ordering, so that it checks the production protocol and not a stronger one.
pub(crate) const WORD_ORDER: Ordering = Ordering::Relaxed;

/// The key of a word: its address, which is all `wake` may use.
fn address(futex: *const AtomicU32) -> usize {
    futex as usize
}

/// `std`'s pieces: [`StdLock`], [`ParkEvent`] and a table of 64 buckets.
#[cfg(all(feature = "std", not(all(loom, test))))]
#[derive(Debug)]
pub struct StdConfig;

#[cfg(all(feature = "std", not(all(loom, test))))]
impl QueueConfig for StdConfig {
    type Lock = StdLock;
    type Event = ParkEvent;

    fn buckets() -> &'static [Bucket<StdLock, ParkEvent>] {
        static BUCKETS: [Bucket<StdLock, ParkEvent>; 64] = Bucket::table();
        &BUCKETS
    }

    #[inline]
    fn yield_now() -> bool {
        std::thread::yield_now();
        true
    }
}

/// The user-space wait-queue backend on `std`'s pieces, ready to use: `Futex<backend::Queue>`.
#[cfg(all(feature = "std", not(all(loom, test))))]
pub type Queue = QueueWith<StdConfig>;

/// The waiting half of the protocol (see the module docs), for any table, lock and event.
/// `still_expected` reads the word; it runs under the bucket lock.
pub(crate) fn wait_on<L: BucketLock, E: Event>(
    table: &[Bucket<L, E>],
    address: usize,
    still_expected: impl FnOnce() -> bool,
    timeout: Option<Duration>,
) -> Result<(), Timeout> {
    let bucket = bucket_of(table, address);

    // Built before the announcement: should the event's constructor fail (a panic in
    // `std::thread::current()` during thread teardown), no count is left raised behind it.
    let waiter = Waiter::<E>::new(address);

    // (a) Announce, then fence. See the module docs. From here on, `stay` (dropped before
    // `waiter`, declared after it) takes the waiter back out of the bucket whatever happens,
    // a panic included.
    let stay = Stay::announce(table, bucket, &waiter);

    let queued = bucket.with_treap(|treap| {
        // (b) The value is compared under the lock, so a waker that takes the lock after us
        // finds us queued, and one that took it before us had already changed the value.
        if !still_expected() {
            return false;
        }
        // SAFETY: the lock is held; `waiter` stays on this frame, unmoved, until it is out of
        // the queue again: `stay` returns (or unwinds) only after a waker took it out (and set
        // the event) or after we took it out ourselves.
        unsafe { wait_queue::push(treap, &waiter) };
        stay.state.set(State::Queued);
        true
    });
    if !queued {
        // `stay` withdraws the announcement as it drops.
        return Ok(());
    }

    match waiter.event().wait(timeout) {
        // A waker took us out of the queue, accounted for us in `pending`, and is done with us.
        Ok(()) => {
            stay.state.set(State::Gone);
            Ok(())
        }
        // Gone from the queue by ourselves: a real timeout. Else a waker got to us first, and
        // `leave` waited for its `set`: the wake was real, so the answer is Ok.
        Err(Timeout) => match stay.leave() {
            Left::Unlinked => Err(Timeout),
            Left::Woken => Ok(()),
        },
    }
}

/// Where a waiter stands in its bucket, from its announcement on.
#[derive(Clone, Copy)]
enum State {
    /// Counted in `pending`, not (or no longer) linked, no waker holds it.
    Announced,
    /// Pushed: linked in the bucket, or taken out by a waker that will set its event.
    Queued,
    /// Out of the bucket for good: nothing there points to the waiter any more.
    Gone,
}

/// How a queued waiter left: it unlinked itself, or a waker had taken it and has set it.
enum Left {
    Unlinked,
    Woken,
}

/// The guard of a waiter's stay in a bucket: the waiter lives on the waiting thread's stack
/// and a waker may write to it (its links, its event) until it is out of the bucket again,
/// so its frame must not end before that, not even by unwinding.
///
/// `WfiEvent::wait` runs the user's `Clock`, `Default` and `Sleep`, all safe traits, and any
/// of them may panic; so may a broken lock or event. Dropping the guard in any state other
/// than `Gone` finishes the stay as a timeout would: unlink the waiter, or wait for the `set`
/// of a waker that already holds it. A panic during that cleanup (the same clock panicking
/// again) aborts the process, as a panic in a destructor during unwinding does, which still
/// leaves no pointer to a dead frame behind.
struct Stay<'a, L: BucketLock, E: Event> {
    /// The table, where a requeue may have moved the waiter to another bucket.
    table: &'a [Bucket<L, E>],
    /// The bucket the waiter announced itself in (and queued in, unless it was moved since).
    bucket: &'a Bucket<L, E>,
    waiter: &'a Waiter<E>,
    state: Cell<State>,
}

impl<'a, L: BucketLock, E: Event> Stay<'a, L, E> {
    /// Step (a): counts the waiter in `pending`, then fences.
    fn announce(
        table: &'a [Bucket<L, E>],
        bucket: &'a Bucket<L, E>,
        waiter: &'a Waiter<E>,
    ) -> Self {
        bucket.pending.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        Stay { table, bucket, waiter, state: Cell::new(State::Announced) }
    }

    /// Takes a queued waiter back out: unlinks it under the lock if it is still linked, or
    /// else waits until the waker that took it has set its event.
    ///
    /// The waiter is in the bucket of its `at` address: the one it queued in, or the one a
    /// requeue moved it to. A requeue changes `at` only holding the lock of the bucket the
    /// waiter leaves, so once we hold the lock of `at`'s bucket and read `at` unchanged, the
    /// waiter is there and stays there; if it changed, it moved meanwhile: look again.
    fn leave(&self) -> Left {
        let unlinked = loop {
            let at = self.waiter.at();
            let bucket = bucket_of(self.table, at);
            let unlinked = bucket.with_treap(|treap| {
                if self.waiter.at() != at {
                    return None;
                }
                // SAFETY: the lock is held; the waiter was pushed into this bucket's treap
                // (by its own `wait_on`, or by the requeue that wrote `at`).
                let unlinked = unsafe { wait_queue::remove(treap, self.waiter) };
                if unlinked {
                    // Still under the lock, so that a lock that panics on release cannot make
                    // this step run twice. Relaxed: see `withdraw`.
                    bucket.pending.fetch_sub(1, Ordering::Relaxed);
                    self.state.set(State::Gone);
                }
                Some(unlinked)
            });
            if let Some(unlinked) = unlinked {
                break unlinked;
            }
        };
        if unlinked {
            return Left::Unlinked;
        }
        // A waker took us out and is about to set our event, holding a pointer to it:
        // returning now would free the waiter under its feet. (The loop only guards against an
        // event that breaks its contract with an `Err` to an untimed wait.)
        while self.waiter.event().wait(None).is_err() {}
        self.state.set(State::Gone);
        Left::Woken
    }

    /// Withdraws the announcement of a waiter that never queued. Relaxed: nothing is
    /// published by it; a waker that still sees the old count only takes the lock for nothing.
    fn withdraw(&self) {
        self.bucket.pending.fetch_sub(1, Ordering::Relaxed);
        self.state.set(State::Gone);
    }
}

impl<L: BucketLock, E: Event> Drop for Stay<'_, L, E> {
    fn drop(&mut self) {
        match self.state.get() {
            State::Announced => self.withdraw(),
            State::Queued => {
                self.leave();
            }
            State::Gone => {}
        }
    }
}

/// The waking half of the protocol (see the module docs). Uses `address` only as a key.
/// Answers how many it woke.
pub(crate) fn wake_on<L: BucketLock, E: Event>(
    table: &[Bucket<L, E>],
    address: usize,
    max: u32,
) -> u32 {
    // (c)-(d): the fence orders the caller's change of the word before the read of `pending`.
    fence(Ordering::SeqCst);
    wake_after_fence(table, address, max)
}

/// [`wake_on`] from step (d): the caller has issued the fence of step (c) since the word
/// changed.
pub(crate) fn wake_after_fence<L: BucketLock, E: Event>(
    table: &[Bucket<L, E>],
    address: usize,
    max: u32,
) -> u32 {
    // The front end never passes 0, but the backend is public: "at most 0" is nobody.
    if max == 0 {
        return 0;
    }
    let bucket = bucket_of(table, address);
    if bucket.pending.load(Ordering::Relaxed) == 0 {
        return 0;
    }

    // SAFETY: the lock is held.
    let woken = bucket.with_treap(|treap| unsafe { wait_queue::pop::<E>(treap, address, max) });
    let count = woken.count();
    // Relaxed: the count only steers the fast path above; the events carry the wakeups. With
    // nobody queued on this address (the bucket's waiters wait on others) this subtracts 0 and
    // sets nothing; no `count > 0` branch, which would only skip one uncontended RMW after a
    // lock round trip, and which `count >= 0` would turn into the same program.
    bucket.pending.fetch_sub(count as usize, Ordering::Relaxed);
    woken.set_all();
    count
}

/// The requeue: under the locks of both buckets (the one of `from` and the one of `to`,
/// taken in table order, or one if they are the same), compare the word, take up to
/// `max_wake` waiters off `from`'s queue to wake and up to `max_move` more to append to
/// `to`'s queue, and carry their count in `pending` from one bucket to the other. Uses both
/// addresses only as keys. The lock must nest ([`BucketLock::NESTS`]).
///
/// A moved waiter's thread sleeps on, on its own event: only its place changed. A timeout
/// finds it through its `at` (see `Stay::leave`); a wake of `to` pops it like any of `to`'s.
pub(crate) fn requeue_on<L: BucketLock, E: Event>(
    table: &[Bucket<L, E>],
    from: usize,
    still_expected: impl FnOnce() -> bool,
    to: usize,
    max_wake: u32,
    max_move: u32,
) -> Result<Requeued, WordChanged> {
    let source = bucket_of(table, from);
    // As a wake, (c)-(d): the fence orders the caller's change of the word before the read of
    // `pending`. Nobody announced on `from`'s bucket: nobody to wake or move, only the answer.
    fence(Ordering::SeqCst);
    if source.pending.load(Ordering::Relaxed) == 0 {
        return if still_expected() {
            Ok(Requeued { woken: Some(0), moved: 0 })
        } else {
            Err(WordChanged)
        };
    }
    let target = bucket_of(table, to);
    let same = core::ptr::eq(source, target);
    let (first, second) = if (source as *const Bucket<L, E>) <= (target as *const Bucket<L, E>) {
        (source, target)
    } else {
        (target, source)
    };
    let taken = first.with_treap(|first_treap| {
        let locked = |second_treap: Option<&mut treap::Treap>| {
            let (source_treap, target_treap) = match second_treap {
                None => (&mut *first_treap, None),
                Some(second_treap) if core::ptr::eq(first, source) => {
                    (&mut *first_treap, Some(second_treap))
                }
                Some(second_treap) => (second_treap, Some(&mut *first_treap)),
            };
            // The compare, under `from`'s lock, as a wait's.
            if !still_expected() {
                return None;
            }
            let woken = match max_wake {
                0 => None,
                // SAFETY: `from`'s bucket lock is held.
                n => Some(unsafe { wait_queue::pop::<E>(source_treap, from, n) }),
            };
            let moving = match max_move {
                0 => None,
                // SAFETY: `from`'s bucket lock is held (and `to`'s, for the move below).
                n => Some(unsafe { wait_queue::pop::<E>(source_treap, from, n) }),
            };
            let moved = moving.map_or(0, |moving| {
                let count = moving.count();
                if !same {
                    // Counted in `to`'s bucket before they are linked there, as an announcement
                    // is (SeqCst, so that a wake of `to` that reads `pending` after its fence
                    // sees them), and out of `from`'s: they are no longer there (Relaxed, as
                    // a wake's own subtraction: a count too high for a moment only sends a
                    // waker of `from` to the lock, where it finds the truth).
                    target.pending.fetch_add(count as usize, Ordering::SeqCst);
                    source.pending.fetch_sub(count as usize, Ordering::Relaxed);
                }
                let treap = match target_treap {
                    Some(treap) => treap,
                    None => source_treap,
                };
                // SAFETY: both locks held since the `pop`.
                unsafe { wait_queue::requeue(treap, moving, to) }
            });
            Some((woken, moved))
        };
        if same {
            locked(None)
        } else {
            second.with_treap(|second_treap| locked(Some(second_treap)))
        }
    });
    let Some((woken, moved)) = taken else {
        return Err(WordChanged);
    };
    let woken_count = woken.as_ref().map_or(0, |w| w.count());
    if let Some(woken) = woken {
        // As `wake_on`: out of `pending` after the lock, then set.
        source.pending.fetch_sub(woken.count() as usize, Ordering::Relaxed);
        woken.set_all();
    }
    Ok(Requeued { woken: Some(woken_count), moved })
}

/// The atomics, the thread parking and the clock that the queue uses, swapped for loom's in
/// the loom model (`RUSTFLAGS="--cfg loom"`), which explores their interleavings.
pub(crate) mod sync {
    #[cfg(all(feature = "std", not(all(loom, test))))]
    pub(crate) use core::sync::atomic::AtomicBool;
    #[cfg(not(all(loom, test)))]
    pub(crate) use core::sync::atomic::{fence, Ordering};
    #[cfg(not(all(loom, test)))]
    pub(crate) use portable_atomic::AtomicUsize;

    #[cfg(all(feature = "std", not(all(loom, test))))]
    pub(crate) use std::thread::{current, park, park_timeout, Thread};
    #[cfg(all(feature = "std", not(all(loom, test))))]
    pub(crate) use std::time::Instant;

    #[cfg(all(loom, test))]
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
    #[cfg(all(loom, test))]
    pub(crate) use loom::thread::{current, park, Thread};
    #[cfg(all(loom, test))]
    pub(crate) use loom_time::{park_timeout, Instant};

    /// Loom has no clock: in the model, every timeout has already expired by the time it is
    /// checked, so a timed wait that is not set yet times out at once, which is exactly the
    /// race with a concurrent wake that the model must explore.
    #[cfg(all(loom, test))]
    mod loom_time {
        use core::time::Duration;

        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub(crate) struct Instant(u8);

        impl Instant {
            pub(crate) fn now() -> Self {
                Instant(1)
            }
            pub(crate) fn checked_add(self, _: Duration) -> Option<Self> {
                Some(Instant(0))
            }
        }

        impl core::ops::Sub for Instant {
            type Output = Duration;
            fn sub(self, _: Self) -> Duration {
                Duration::ZERO
            }
        }

        pub(crate) fn park_timeout(_: Duration) {
            loom::thread::yield_now();
        }
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::watchdog;

    /// A wake of several waiters takes all of them out of `pending`: a count left too high
    /// would never come back down, and every later wake in the bucket would take the lock.
    /// Single-threaded: the waiters are pushed by hand, as `wait_on` would after announcing
    /// them, and live on this frame until a wake has taken each out.
    #[test]
    fn multi_wake_returns_pending_to_zero() {
        let table: [Bucket<StdLock, ParkEvent>; 1] = Bucket::table();
        let bucket = &table[0];
        let word = AtomicU32::new(0);
        let key = address(&word);
        let waiters: [Waiter<ParkEvent>; 5] = core::array::from_fn(|_| Waiter::new(key));
        for waiter in &waiters {
            bucket.pending.fetch_add(1, Ordering::SeqCst);
            // SAFETY: the lock is held; each waiter stays on this frame, unmoved, and the
            // wakes below take every one of them out before the frame ends (a failed
            // assertion leaks nothing either: nobody touches the table after it).
            bucket.with_treap(|treap| unsafe { wait_queue::push(treap, waiter) });
        }
        let pending = || bucket.pending.load(Ordering::Relaxed);

        // Three of five, then the other two (asking for more than are left), then nobody.
        assert_eq!(wake_on(&table, key, 3), 3, "the count of a wake of 3 of 5");
        assert_eq!(pending(), 2, "a wake of 3 of 5 waiters");
        assert_eq!(wake_on(&table, key, u32::MAX), 2, "the count of a wake of the rest");
        assert_eq!(pending(), 0, "a wake of the 2 waiters left");
        assert!(bucket.with_treap(|treap| treap.is_empty()), "the queue is empty");
        assert_eq!(wake_on(&table, key, u32::MAX), 0, "the count of a wake of nobody");
        assert_eq!(pending(), 0, "a wake with nobody queued");
    }

    /// A waiter that finds the word already changed withdraws its announcement: it never
    /// queued, so no waker will take it out of `pending` for it.
    #[test]
    fn a_wait_that_does_not_queue_leaves_pending_at_zero() {
        watchdog("an untimed wait on a changed word to return at once", || {
            let table: [Bucket<StdLock, ParkEvent>; 1] = Bucket::table();
            let word = AtomicU32::new(1);
            let still_expected = || word.load(Ordering::Relaxed) == 0;
            assert_eq!(wait_on(&table, address(&word), still_expected, None), Ok(()));
            assert_eq!(table[0].pending.load(Ordering::Relaxed), 0, "announcement left behind");
            assert!(table[0].with_treap(|treap| treap.is_empty()), "the waiter stayed queued");
        });
    }
}
