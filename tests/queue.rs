//! The behavioural suite on the user-space wait queue: `backend::Queue` (std's lock and event,
//! 64 buckets), and a `QueueWith` whose every address shares one bucket, behind a spin lock,
//! which drives the treap and the per-address queues hard. Plus a stress test.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::backend::queue::{Bucket, Event, ParkEvent, QueueConfig, SpinLock};
use portable_futex::backend::{Queue, QueueWith};
use portable_futex::{Futex, FutexBackend, Timeout};

mod std_pieces {
    use super::*;
    backend_tests!(Queue, threads);
}

/// Every address in one bucket.
struct OneBucket;

impl QueueConfig for OneBucket {
    type Lock = SpinLock;
    type Event = ParkEvent;
    fn buckets() -> &'static [Bucket<SpinLock, ParkEvent>] {
        static BUCKETS: [Bucket<SpinLock, ParkEvent>; 1] = Bucket::table();
        &BUCKETS
    }
}

mod one_bucket {
    use super::*;
    backend_tests!(QueueWith<OneBucket>, threads);
}

/// The queue moves sleepers between addresses (its locks nest): across two buckets
/// (`Queue`'s 64) and inside one (`OneBucket`, every address in the same treap).
#[test]
fn queue_requeue_moves() {
    common::watchdog::watchdog("requeued sleepers on the queue", || {
        assert!(common::requeue_moves_or_wakes::<Queue>(), "Queue woke instead of moving");
        assert!(common::requeue_moves_or_wakes::<QueueWith<OneBucket>>(), "one bucket");
    });
}

/// One sleeper moved back and forth between its word and seven others (most in other
/// buckets, so the two buckets' locks are taken in both orders): each move finds it, and a
/// wake of the word it was last moved to releases it.
#[test]
fn queue_requeue_there_and_back() {
    common::watchdog::watchdog("a sleeper moved between words", || {
        let words: Arc<Vec<AtomicU32>> = Arc::new((0..8).map(|_| AtomicU32::new(0)).collect());
        let sleeper = {
            let words = words.clone();
            thread::spawn(move || Futex::<Queue>::wait(&words[0], 0))
        };
        let moved = |from: usize, to: usize| {
            let done = Futex::<Queue>::requeue(&words[from], 0, &words[to], 0, 1).unwrap();
            done.moved
        };
        // Until the sleeper is asleep on word 0, a move finds nobody.
        let start = Instant::now();
        while moved(0, 1) == 0 {
            assert!(start.elapsed() < common::SLACK, "the sleeper never slept");
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(moved(1, 0), 1, "moved back");
        for other in 2..8 {
            assert_eq!(moved(0, other), 1, "moved to word {other}");
            assert_eq!(moved(other, 0), 1, "moved back from word {other}");
        }
        // A wake of a word it left finds nobody; a wake of its word releases it.
        Futex::<Queue>::wake(&words[1], u32::MAX);
        assert!(!sleeper.is_finished());
        Futex::<Queue>::wake(&words[0], 1);
        sleeper.join().unwrap();
    });
}

/// `QueueWith<C>` yields as its config says: a config that does not say cannot yield (the
/// locks then sleep right after their spins, rather than offering a processor nobody takes),
/// and `std`'s pieces yield through the OS.
#[test]
fn yield_now_is_the_config_s() {
    assert!(!<QueueWith<OneBucket> as FutexBackend>::yield_now());
    assert!(<Queue as FutexBackend>::yield_now());
}

/// Many threads on many addresses in few buckets; tiny timeouts racing wakes. Each thread
/// waits for its word to reach a target that other threads bump; nothing may be lost (every
/// thread finishes) and nothing may hang (bounded by the test's own deadline).
fn stress<B: FutexBackend>() {
    const WORDS: usize = 8;
    let threads = common::scaled(16, 4);
    let rounds = common::scaled(300, 3) as u32;
    let words: Arc<Vec<AtomicU32>> = Arc::new((0..WORDS).map(|_| AtomicU32::new(0)).collect());
    let timeouts = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));

    // Bumpers keep changing words and waking one or all of their waiters.
    let bumpers: Vec<_> = (0..2)
        .map(|b| {
            let (words, done) = (words.clone(), done.clone());
            thread::spawn(move || {
                let mut i = b;
                while !done.load(Ordering::Acquire) {
                    let word = &words[i % WORDS];
                    word.fetch_add(1, Ordering::Release);
                    Futex::<B>::wake(word, if i % 3 == 0 { u32::MAX } else { 1 });
                    i += 1;
                    if i % 64 == 0 {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let waiters: Vec<_> = (0..threads)
        .map(|t| {
            let (words, timeouts) = (words.clone(), timeouts.clone());
            thread::spawn(move || {
                for r in 0..rounds {
                    let word = &words[(t + r as usize) % WORDS];
                    let seen = word.load(Ordering::Acquire);
                    // Alternate untimed waits, tiny timeouts and zero timeouts.
                    match r % 3 {
                        0 => Futex::<B>::wait(word, seen),
                        1 => {
                            if Futex::<B>::timed_wait(word, seen, Duration::from_micros(5))
                                == Err(Timeout)
                            {
                                timeouts.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => {
                            let _ = Futex::<B>::timed_wait(word, seen, Duration::ZERO);
                        }
                    }
                }
            })
        })
        .collect();

    let start = Instant::now();
    for w in waiters {
        // Untimed waits finish because the bumpers never stop bumping until all return.
        w.join().unwrap();
        assert!(start.elapsed() < common::SLACK * 6, "stress test hung");
    }
    done.store(true, Ordering::Release);
    for b in bumpers {
        b.join().unwrap();
    }
}

#[test]
fn stress_std_pieces() {
    common::watchdog::watchdog("the stress threads on Queue to finish", stress::<Queue>);
}

#[test]
fn stress_one_bucket() {
    common::watchdog::watchdog(
        "the stress threads on QueueWith<OneBucket> to finish",
        stress::<QueueWith<OneBucket>>,
    );
}

/// Thousands of addresses waiting in one bucket at once: each is found and woken, in any order.
#[test]
fn many_addresses_in_one_bucket() {
    common::watchdog::watchdog(
        "every waiter of many addresses in one bucket to be woken",
        many_addresses_in_one_bucket_body,
    );
}

fn many_addresses_in_one_bucket_body() {
    let n = common::scaled(256, 12);
    let words: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    let (tx, rx) = std::sync::mpsc::channel();
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (words, tx) = (words.clone(), tx.clone());
            thread::spawn(move || {
                tx.send(common::thread_id()).unwrap();
                while words[i].load(Ordering::Acquire) == 0 {
                    Futex::<QueueWith<OneBucket>>::wait(&words[i], 0);
                }
            })
        })
        .collect();
    let tids: Vec<_> = rx.iter().take(n).collect();
    common::wait_until_asleep(&tids);
    // Wake from the middle outwards, so heads leave the treap in no particular order.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (i as isize - n as isize / 2).abs());
    for i in order {
        words[i].store(1, Ordering::Release);
        Futex::<QueueWith<OneBucket>>::wake(&words[i], 1);
    }
    for t in threads {
        t.join().unwrap();
    }
}

/// A wait on `B` that unwinds (a panic in the event, or in a clock the event calls) after its
/// waiter was queued must take the waiter out before its frame goes: a wake that then finds
/// the dead frame writes into it (Miri reports it; natively, the waiter queued behind it is
/// never woken and the test fails by its watchdog). `broken` makes `B` panic while set.
fn a_panicking_wait_leaves_no_waiter_behind<B: FutexBackend>(broken: &AtomicBool) {
    let word = Arc::new(AtomicU32::new(0));
    broken.store(true, Ordering::SeqCst);
    let outcome =
        std::panic::catch_unwind(|| Futex::<B>::timed_wait(&word, 0, Duration::from_secs(3600)));
    broken.store(false, Ordering::SeqCst);
    assert!(outcome.is_err(), "the wait should have panicked; it returned {outcome:?}");

    // Another waiter on the same word, and a wake of one: it must reach this waiter.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = {
        let word = word.clone();
        thread::spawn(move || {
            tx.send(common::thread_id()).unwrap();
            while word.load(Ordering::Acquire) == 0 {
                Futex::<B>::wait(&word, 0);
            }
        })
    };
    common::wait_until_asleep(&[rx.recv().unwrap()]);
    word.store(1, Ordering::Release);
    Futex::<B>::wake(&word, 1);
    common::eventually("the waiter queued after the panicked wait is woken", || {
        waiter.is_finished()
    });
    waiter.join().unwrap();
}

static EVENT_BROKEN: AtomicBool = AtomicBool::new(false);

/// `ParkEvent`, but `wait` panics while `EVENT_BROKEN` is set.
struct BreakableEvent(ParkEvent);

// SAFETY: `ParkEvent`'s, except that `wait` may panic, a promise this test breaks on purpose
// to check that the queue survives it.
unsafe impl Event for BreakableEvent {
    fn new() -> Self {
        Self(ParkEvent::new())
    }
    fn wait(&self, timeout: Option<Duration>) -> Result<(), Timeout> {
        assert!(!EVENT_BROKEN.load(Ordering::SeqCst), "this event is broken");
        self.0.wait(timeout)
    }
    unsafe fn set(this: *const Self) {
        // SAFETY: the caller's promise, passed on to the inner event.
        unsafe { ParkEvent::set(std::ptr::addr_of!((*this).0)) }
    }
}

struct Breakable;

impl QueueConfig for Breakable {
    type Lock = SpinLock;
    type Event = BreakableEvent;
    fn buckets() -> &'static [Bucket<SpinLock, BreakableEvent>] {
        static BUCKETS: [Bucket<SpinLock, BreakableEvent>; 1] = Bucket::table();
        &BUCKETS
    }
}

#[test]
fn a_panicking_event_leaves_no_waiter_behind() {
    common::watchdog::watchdog("a waiter queued after a panicked wait to be woken", || {
        a_panicking_wait_leaves_no_waiter_behind::<QueueWith<Breakable>>(&EVENT_BROKEN)
    });
}

/// The same through `WfiEvent` and safe code only: its timed wait reads the user's `Clock`,
/// which panics here (`--features critical-section`).
#[cfg(feature = "critical-section")]
mod wfi_clock_panics {
    use super::*;
    use portable_futex::backend::queue::{CriticalSectionLock, Sleep, WfiEvent};
    use portable_futex::Clock;

    static CLOCK_BROKEN: AtomicBool = AtomicBool::new(false);

    /// A clock that panics while `CLOCK_BROKEN` is set.
    #[derive(Default)]
    struct BreakableClock;

    impl Clock for BreakableClock {
        fn now(&self) -> Duration {
            assert!(!CLOCK_BROKEN.load(Ordering::SeqCst), "this clock is broken");
            Duration::ZERO
        }
    }

    /// The host's stand-in for `wfi`: a short nap.
    struct Nap;

    impl Sleep for Nap {
        fn sleep() {
            thread::sleep(Duration::from_millis(1));
        }
    }

    type BoardEvent = WfiEvent<BreakableClock, Nap>;

    struct Board;

    impl QueueConfig for Board {
        type Lock = CriticalSectionLock;
        type Event = BoardEvent;
        fn buckets() -> &'static [Bucket<CriticalSectionLock, BoardEvent>] {
            static BUCKETS: [Bucket<CriticalSectionLock, BoardEvent>; 1] = Bucket::table();
            &BUCKETS
        }
    }

    #[test]
    fn a_panicking_clock_leaves_no_waiter_behind() {
        common::watchdog::watchdog("a waiter queued after a panicking clock to be woken", || {
            a_panicking_wait_leaves_no_waiter_behind::<QueueWith<Board>>(&CLOCK_BROKEN)
        });
    }
}
