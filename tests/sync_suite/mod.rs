//! The behavioural suite of `portable_futex::sync`, written once, generic over the backend.
//!
//! `tests/sync.rs` instantiates it with `sync_tests!` on each backend this machine runs (and
//! `single_threaded_tests!` on `SingleThreaded`). Every test that waits for another thread runs
//! under [`watchdog`], which fails it with what it was waiting for instead of hanging.
//! Timing checks are strict on lower bounds (a timeout means the time really passed) and loose
//! on upper bounds.

#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::sync::generic::{self, Condvar, Mutex, RwLock};
use portable_futex::sync::lock_api::{MutexGuard, RwLockWriteGuard};
use portable_futex::sync::{CondvarExt, RawMutex};
use portable_futex::{Deadline, FutexBackend, StdClock};

mod fair;
pub use fair::*;
mod recursive;
pub use recursive::*;
mod upgrade;
pub use upgrade::*;
mod rwlock_ext;
pub use rwlock_ext::*;

#[path = "../common/watchdog.rs"]
mod watchdog;
pub use watchdog::watchdog;

/// Iteration counts shrink under Miri, which runs some thousand times slower.
pub const fn scaled(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// A panic payload that says it is expected, so that the output is not mistaken for a failure.
const EXPECTED_PANIC: &str = "expected panic while holding a lock (the test checks it unlocks)";

fn silent_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let expected = info.payload().downcast_ref::<&str>() == Some(&EXPECTED_PANIC);
        if !expected {
            previous(info);
        }
    }));
}

// ---------------------------------------------------------------------------------------------
// Mutex

/// One thread: lock, try_lock, mapping, get_mut, into_inner, sizes.
pub fn mutex_basics<B: FutexBackend + 'static>() {
    assert_eq!(std::mem::size_of::<Mutex<B, ()>>(), 4);
    let mut mutex: Mutex<B, Vec<u32>> = Mutex::new(vec![1]);
    {
        let mut guard = mutex.lock();
        assert!(mutex.is_locked());
        assert!(mutex.try_lock().is_none(), "try_lock of a held mutex");
        guard.push(2);
        let mut first = MutexGuard::map(guard, |v| &mut v[0]);
        *first = 10;
    }
    assert!(!mutex.is_locked());
    assert_eq!(*mutex.try_lock().expect("a free mutex"), [10, 2]);
    mutex.get_mut().push(3);
    assert_eq!(format!("{:?}", mutex), "Mutex { data: [10, 2, 3] }");
    assert_eq!(mutex.into_inner(), [10, 2, 3]);
}

/// `threads` threads each enter the mutex `rounds` times: never two inside, no update lost.
pub fn mutex_exclusion<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
    watchdog("every thread to finish its rounds of the mutex", move || {
        let shared = Arc::new((Mutex::<B, u64>::new(0), AtomicBool::new(false)));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (mutex, inside) = &*shared;
                    for _ in 0..rounds {
                        let mut count = mutex.lock();
                        assert!(!inside.swap(true, Relaxed), "two threads inside the mutex");
                        // A non-atomic read-modify-write: lost if two overlap.
                        let seen = *count;
                        std::hint::black_box(());
                        *count = seen + 1;
                        inside.store(false, Relaxed);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(*shared.0.lock(), (threads * rounds) as u64);
    })
}

/// A thread that takes and releases the mutex back to back, holding it a little each time,
/// beats any woken sleeper to it: a sleeper finds it taken again whenever it gets to look.
/// Eventual fairness (the mutex's hand-off to a waiter that lost often enough) must still let
/// the `waiters` in, `rounds` times each, while it keeps going; on a backend that breaks a
/// hand-off (a wake of the wrong thread, a lost `GIVEN`) they would sleep forever.
pub fn mutex_waiters_among_a_barger<B: FutexBackend + 'static>(waiters: usize, rounds: usize) {
    watchdog("sleepers to get a mutex that one thread retakes back to back", move || {
        let shared = Arc::new((Mutex::<B, u64>::new(0), AtomicBool::new(false)));
        let barger = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (mutex, done) = &*shared;
                let mut taken = 0u64;
                while !done.load(Relaxed) {
                    let mut count = mutex.lock();
                    for _ in 0..scaled(200, 2) {
                        std::hint::spin_loop();
                    }
                    *count += 1;
                    taken += 1;
                }
                taken
            })
        };
        let sleepers: Vec<_> = (0..waiters)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    for _ in 0..rounds {
                        *shared.0.lock() += 1;
                        thread::sleep(Duration::from_micros(100));
                    }
                })
            })
            .collect();
        for sleeper in sleepers {
            sleeper.join().unwrap();
        }
        shared.1.store(true, Relaxed);
        let taken = barger.join().unwrap();
        assert_eq!(*shared.0.lock(), taken + (waiters * rounds) as u64);
    })
}

/// Lockers mixed with timed lockers whose time runs out all the time: a timed locker that
/// gives up must never take a wake with it and leave the others asleep on a free mutex.
pub fn mutex_timed_waiters_strand_nobody<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
    watchdog("lockers mixed with timed lockers to finish", move || {
        let mutex = Arc::new(Mutex::<B, u64>::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let mutex = mutex.clone();
                thread::spawn(move || {
                    let mut taken = 0;
                    for round in 0..rounds {
                        if i % 2 == 1 && round % 2 == 0 {
                            if let Some(mut count) = mutex.try_lock_for(Duration::from_micros(20)) {
                                *count += 1;
                                taken += 1;
                            }
                        } else {
                            let mut count = mutex.lock();
                            *count += 1;
                            taken += 1;
                            thread::yield_now();
                        }
                    }
                    taken
                })
            })
            .collect();
        let taken: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(*mutex.lock(), taken);
    })
}

/// `try_lock_for` on a mutex that stays held gives up, and not before its time;
/// `try_lock_until`, `try_lock_by` likewise; a zero timeout answers at once.
pub fn mutex_timed_lower_bound<B: FutexBackend + 'static>() {
    watchdog("a timed lock of a held mutex to give up", || {
        let mutex = Arc::new(Mutex::<B, ()>::new(()));
        let (held, release) = hold_elsewhere(&mutex, |m, hold| {
            let _held = m.lock();
            hold();
        });
        for timeout in [Duration::ZERO, Duration::from_millis(1), Duration::from_millis(30)] {
            let start = Instant::now();
            assert!(mutex.try_lock_for(timeout).is_none(), "took a held mutex");
            assert!(
                start.elapsed() >= timeout,
                "gave up after {:?} < {timeout:?}",
                start.elapsed()
            );
        }
        let start = Instant::now();
        let until = start + Duration::from_millis(20);
        assert!(mutex.try_lock_until(until).is_none());
        assert!(Instant::now() >= until);
        // The clock starts before the deadline does (see `rwlock_timed_lower_bound`).
        let start = Instant::now();
        let mut deadline =
            Deadline::<B, _>::with_clock(Some(Duration::from_millis(20)), StdClock::new());
        assert!(generic::try_lock_by(&mutex, &mut deadline).is_none());
        assert!(start.elapsed() >= Duration::from_millis(20));
        release.send(()).unwrap();
        held.join().unwrap();
        // Free now: the timed forms take it.
        assert!(mutex.try_lock_for(Duration::ZERO).is_some());
        assert!(mutex.try_lock_for(Duration::MAX).is_some());
    })
}

/// A timed lock succeeds when the holder lets go before the time is up.
pub fn mutex_timed_lock_is_woken<B: FutexBackend + 'static>() {
    watchdog("a timed lock to be let in by the unlock", || {
        let mutex = Arc::new(Mutex::<B, u32>::new(0));
        let (held, release) = hold_elsewhere(&mutex, |m, hold| {
            let _held = m.lock();
            hold();
        });
        let locker = {
            let mutex = mutex.clone();
            thread::spawn(move || mutex.try_lock_for(Duration::from_secs(30)).map(|g| *g))
        };
        thread::sleep(Duration::from_millis(20));
        release.send(()).unwrap();
        held.join().unwrap();
        assert_eq!(locker.join().unwrap(), Some(0));
    })
}

/// Takes a lock on another thread and keeps it until told: `take` locks and then calls the
/// function it is given, which returns when the sender is used. Returns once the lock is held.
fn hold_elsewhere<L: Send + Sync + 'static>(
    lock: &Arc<L>,
    take: impl FnOnce(&L, &dyn Fn()) + Send + 'static,
) -> (thread::JoinHandle<()>, mpsc::Sender<()>) {
    let (taken_tx, taken) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let lock = lock.clone();
    let handle = thread::spawn(move || {
        take(&lock, &|| {
            taken_tx.send(()).unwrap();
            let _ = release_rx.recv();
        });
    });
    taken.recv().unwrap();
    (handle, release)
}

/// A panic while the mutex is held releases it (no poisoning), on this thread or another.
pub fn mutex_unlocks_on_unwind<B: FutexBackend + 'static>(threads: bool) {
    silent_panics();
    let mutex = Arc::new(Mutex::<B, u32>::new(0));
    let holder = {
        let mutex = mutex.clone();
        move || {
            let mut guard = mutex.lock();
            *guard += 1;
            std::panic::panic_any(EXPECTED_PANIC);
        }
    };
    if threads {
        assert!(thread::spawn(holder).join().is_err());
    } else {
        assert!(catch_unwind(AssertUnwindSafe(holder)).is_err());
    }
    assert!(!mutex.is_locked(), "the unwind left the mutex locked");
    assert_eq!(*mutex.try_lock().expect("free after the unwind"), 1);
}

/// A timed lock whose clock panics mid-wait unwinds out of the slow path, taking its waiter
/// registration back: the mutex stays as it was (held elsewhere, nobody counted as waiting).
pub fn mutex_unwinding_wait_leaves_no_waiter<B: FutexBackend + 'static>() {
    silent_panics();
    watchdog("a timed lock with a panicking clock to unwind", || {
        /// Reads the time once, then panics.
        struct Breaks(std::cell::Cell<u32>);
        impl portable_futex::Clock for Breaks {
            fn now(&self) -> Duration {
                self.0.set(self.0.get() + 1);
                if self.0.get() > 1 {
                    std::panic::panic_any(EXPECTED_PANIC);
                }
                Duration::ZERO
            }
        }
        let mutex = Arc::new(Mutex::<B, ()>::new(()));
        let (held, release) = hold_elsewhere(&mutex, |m, hold| {
            let _held = m.lock();
            hold();
        });
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            let mut deadline =
                Deadline::<B, _>::with_clock(Some(Duration::from_secs(30)), Breaks(0.into()));
            generic::try_lock_by(&mutex, &mut deadline).is_some()
        }));
        assert!(unwound.is_err(), "the clock's panic should unwind out of the lock");
        // SAFETY: only read, for its Debug.
        let raw = format!("{:?}", unsafe { mutex.raw() });
        assert_eq!(raw, "RawMutex { locked: true, waiters: 0 }");
        release.send(()).unwrap();
        held.join().unwrap();
        assert!(mutex.try_lock().is_some());
    })
}

// ---------------------------------------------------------------------------------------------
// RwLock

/// One thread: read, write, try forms, downgrade, mapping, sizes.
pub fn rwlock_basics<B: FutexBackend + 'static>() {
    watchdog("the single-threaded rwlock checks", || {
        assert_eq!(std::mem::size_of::<RwLock<B, ()>>(), 8);
        let lock: RwLock<B, (u32, u32)> = RwLock::new((1, 2));
        {
            let a = lock.read();
            let b = lock.try_read().expect("readers share");
            assert_eq!(a.0 + b.1, 3);
            assert!(lock.try_write().is_none(), "write while read-locked");
            assert!(lock.is_locked() && !lock.is_locked_exclusive());
        }
        {
            let mut w = lock.write();
            assert!(lock.is_locked_exclusive());
            assert!(lock.try_read().is_none() && lock.try_write().is_none());
            w.0 = 5;
            let r = RwLockWriteGuard::downgrade(w);
            assert_eq!(r.0, 5);
            assert!(lock.try_read().is_some(), "a reader joins a downgraded lock");
            assert!(lock.try_write().is_none());
        }
        {
            let mut second = RwLockWriteGuard::map(lock.write(), |pair| &mut pair.1);
            *second = 7;
        }
        assert!(!lock.is_locked());
        assert_eq!(*lock.read(), (5, 7));
        assert_eq!(lock.into_inner(), (5, 7));
    })
}

/// `readers` threads hold read locks at the same time: each waits, holding its guard, until
/// all are inside.
pub fn rwlock_readers_share<B: FutexBackend + 'static>(readers: usize) {
    watchdog("all readers to be inside together", move || {
        let lock = Arc::new(RwLock::<B, ()>::new(()));
        let inside = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..readers)
            .map(|_| {
                let (lock, inside) = (lock.clone(), inside.clone());
                thread::spawn(move || {
                    let _guard = lock.read();
                    inside.fetch_add(1, SeqCst);
                    while inside.load(SeqCst) < readers {
                        thread::yield_now();
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    })
}

/// Readers and writers mixed: a writer is always alone, readers never see a half-done write.
pub fn rwlock_exclusion<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
    watchdog("readers and writers to finish their rounds", move || {
        let lock = Arc::new(RwLock::<B, (u64, u64)>::new((0, 0)));
        let writers_inside = Arc::new(AtomicUsize::new(0));
        let readers_inside = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (lock, w_in, r_in) =
                    (lock.clone(), writers_inside.clone(), readers_inside.clone());
                thread::spawn(move || {
                    let mut written = 0;
                    for round in 0..rounds {
                        if (i + round) % 3 == 0 {
                            let mut pair = lock.write();
                            assert_eq!(w_in.fetch_add(1, SeqCst), 0, "two writers inside");
                            assert_eq!(r_in.load(SeqCst), 0, "a reader inside with a writer");
                            pair.0 += 1;
                            std::hint::black_box(());
                            pair.1 += 1;
                            written += 1;
                            w_in.fetch_sub(1, SeqCst);
                        } else {
                            let pair = lock.read();
                            r_in.fetch_add(1, SeqCst);
                            assert_eq!(w_in.load(SeqCst), 0, "a writer inside with a reader");
                            assert_eq!(pair.0, pair.1, "a reader saw a half-done write");
                            r_in.fetch_sub(1, SeqCst);
                        }
                    }
                    written
                })
            })
            .collect();
        let written: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(*lock.read(), (written, written));
    })
}

/// A writer gets in although readers keep coming, each overlapping the next, so that the lock
/// is never free of readers: a reader-preferring lock would starve the writer forever.
pub fn rwlock_writer_not_starved<B: FutexBackend + 'static>(readers: usize) {
    watchdog("a writer among a stream of overlapping readers", move || {
        let lock = Arc::new(RwLock::<B, u32>::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Arc::new(Barrier::new(readers + 1));
        let handles: Vec<_> = (0..readers)
            .map(|_| {
                let (lock, stop, started) = (lock.clone(), stop.clone(), started.clone());
                thread::spawn(move || {
                    let mut first = true;
                    while !stop.load(SeqCst) {
                        let _guard = lock.read();
                        if first {
                            started.wait();
                            first = false;
                        }
                        thread::sleep(Duration::from_millis(1));
                    }
                })
            })
            .collect();
        started.wait(); // every reader is inside once: the stream is flowing
        let start = Instant::now();
        *lock.write() += 1;
        let waited = start.elapsed();
        stop.store(true, SeqCst);
        for handle in handles {
            handle.join().unwrap();
        }
        assert!(waited < Duration::from_secs(10), "the writer waited {waited:?}");
    })
}

/// Timed read and write locks give up on a lock that stays held, not before their time.
pub fn rwlock_timed_lower_bound<B: FutexBackend + 'static>() {
    watchdog("timed rwlock locks to give up", || {
        let lock = Arc::new(RwLock::<B, ()>::new(()));
        let t = Duration::from_millis(20);
        // Held for reading: a writer times out, a reader gets in.
        let (held, release) = hold_elsewhere(&lock, |l, hold| {
            let _held = l.read();
            hold();
        });
        let start = Instant::now();
        assert!(lock.try_write_for(t).is_none());
        assert!(start.elapsed() >= t);
        assert!(lock.try_read_for(t).is_some());
        release.send(()).unwrap();
        held.join().unwrap();
        // Held for writing: both time out.
        let (held, release) = hold_elsewhere(&lock, |l, hold| {
            let _held = l.write();
            hold();
        });
        let start = Instant::now();
        assert!(lock.try_read_for(t).is_none());
        assert!(start.elapsed() >= t);
        let start = Instant::now();
        assert!(lock.try_write_until(start + t).is_none());
        assert!(start.elapsed() >= t);
        // The clock starts before the deadline does, so the lower bound holds however long
        // the deadline takes to build (under qemu, long enough to matter).
        let start = Instant::now();
        let mut deadline = Deadline::<B, _>::with_clock(Some(t), StdClock::new());
        assert!(generic::try_read_by(&lock, &mut deadline).is_none());
        assert!(start.elapsed() >= t);
        let mut deadline = Deadline::<B, _>::with_clock(Some(t), StdClock::new());
        assert!(generic::try_write_by(&lock, &mut deadline).is_none());
        assert!(lock.try_write_for(Duration::ZERO).is_none());
        release.send(()).unwrap();
        held.join().unwrap();
        assert!(lock.try_write_for(Duration::MAX).is_some());
    })
}

/// Writers mixed with timed writers that give up all the time, and readers: nobody is left
/// asleep on a free lock.
pub fn rwlock_timed_waiters_strand_nobody<B: FutexBackend + 'static>(
    threads: usize,
    rounds: usize,
) {
    watchdog("rwlock users mixed with timed writers to finish", move || {
        let lock = Arc::new(RwLock::<B, u64>::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let lock = lock.clone();
                thread::spawn(move || {
                    let mut written = 0;
                    for round in 0..rounds {
                        match (i + round) % 4 {
                            0 => {
                                if let Some(mut n) = lock.try_write_for(Duration::from_micros(20)) {
                                    *n += 1;
                                    written += 1;
                                }
                            }
                            1 => {
                                *lock.write() += 1;
                                written += 1;
                            }
                            2 => drop(lock.try_read_for(Duration::from_micros(20))),
                            _ => drop(lock.read()),
                        }
                    }
                    written
                })
            })
            .collect();
        let written: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(*lock.read(), written);
    })
}

/// A downgraded writer shares with readers that were waiting for it.
pub fn rwlock_downgrade_lets_readers_in<B: FutexBackend + 'static>() {
    watchdog("readers to join a downgraded lock", || {
        let lock = Arc::new(RwLock::<B, u32>::new(0));
        let mut w = lock.write();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || *lock.read())
            })
            .collect();
        thread::sleep(Duration::from_millis(10)); // let them sleep
        *w = 1;
        let r = RwLockWriteGuard::downgrade(w);
        // The readers get in while we still hold our read lock.
        for reader in readers {
            assert_eq!(reader.join().unwrap(), 1);
        }
        drop(r);
    })
}

/// Panics while holding a read or a write lock release it.
pub fn rwlock_unlocks_on_unwind<B: FutexBackend + 'static>() {
    silent_panics();
    let lock = RwLock::<B, u32>::new(0);
    assert!(catch_unwind(AssertUnwindSafe(|| {
        let _r = lock.read();
        std::panic::panic_any(EXPECTED_PANIC);
    }))
    .is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| {
        let mut w = lock.write();
        *w = 1;
        std::panic::panic_any(EXPECTED_PANIC);
    }))
    .is_err());
    assert!(!lock.is_locked(), "the unwind left the rwlock locked");
    assert_eq!(*lock.try_write().expect("free after the unwinds"), 1);
}

// ---------------------------------------------------------------------------------------------
// Condvar

/// Two threads hand a turn back and forth `rounds` times: each waits for its turn and notifies
/// the other. A single lost notification stops the game (the watchdog says so).
pub fn condvar_ping_pong<B: FutexBackend + 'static>(rounds: usize) {
    watchdog("the ping-pong of turns through the condvar", move || {
        let shared = Arc::new((Mutex::<B, usize>::new(0), Condvar::<B>::new()));
        let other = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (turn, cv) = &*shared;
                let mut turn = turn.lock();
                for round in 0..rounds {
                    cv.wait_while(&mut turn, |t| *t != 2 * round + 1);
                    *turn += 1;
                    cv.notify_one();
                }
            })
        };
        let (turn, cv) = &*shared;
        let mut guard = turn.lock();
        for round in 0..rounds {
            cv.wait_while(&mut guard, |t| *t != 2 * round);
            *guard += 1;
            cv.notify_one();
        }
        drop(guard);
        other.join().unwrap();
        assert_eq!(*turn.lock(), 2 * rounds);
    })
}

/// `notify_all` wakes every waiter.
pub fn condvar_notify_all<B: FutexBackend + 'static>(waiters: usize) {
    watchdog("every waiter to be woken by notify_all", move || {
        let shared = Arc::new((Mutex::<B, (bool, usize)>::new((false, 0)), Condvar::<B>::new()));
        let handles: Vec<_> = (0..waiters)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (state, cv) = &*shared;
                    let mut state = state.lock();
                    state.1 += 1;
                    cv.wait_while(&mut state, |s| !s.0);
                })
            })
            .collect();
        // Wait until all are waiting (they registered under the mutex), then release them.
        let (state, cv) = &*shared;
        loop {
            let mut s = state.lock();
            if s.1 == waiters {
                s.0 = true;
                break;
            }
            drop(s);
            thread::sleep(Duration::from_millis(1));
        }
        cv.notify_all();
        for handle in handles {
            handle.join().unwrap();
        }
    })
}

/// Notifications made with the mutex held, which this crate's condvar answers by moving its
/// waiters onto the mutex's word where the backend moves (the module docs of `RawCondvar`,
/// "Moving waiters"): `rounds` rounds in which `waiters` threads wait for the round to change
/// (every other one by timed waits of 1 ms, so that some time out while moved onto the mutex)
/// and report back on the same condvar, the notifier ending each round with `notify_all` or
/// with one `notify_one` per waiter, while a bystander takes and releases the mutex without
/// pause. A moved waiter that the mutex never wakes stops the game.
pub fn condvar_notify_under_the_lock<B: FutexBackend + 'static>(waiters: usize, rounds: usize) {
    watchdog("waiters moved onto the mutex to be woken, round after round", move || {
        /// The round, and how many waiters have seen it.
        struct Game {
            round: usize,
            seen: usize,
        }
        let shared =
            Arc::new((Mutex::<B, Game>::new(Game { round: 0, seen: 0 }), Condvar::<B>::new()));
        let done = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..waiters)
            .map(|i| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (game, cv) = &*shared;
                    for round in 1..=rounds {
                        let mut g = game.lock();
                        if i % 2 == 0 {
                            cv.wait_while(&mut g, |g| g.round < round);
                        } else {
                            while g.round < round {
                                let _ = cv.wait_for(&mut g, Duration::from_millis(1));
                            }
                        }
                        g.seen += 1;
                        cv.notify_all();
                    }
                })
            })
            .collect();
        let bystander = {
            let (shared, done) = (shared.clone(), done.clone());
            thread::spawn(move || {
                while !done.load(Relaxed) {
                    drop(shared.0.lock());
                    thread::yield_now();
                }
            })
        };
        let (game, cv) = &*shared;
        for round in 1..=rounds {
            let mut g = game.lock();
            cv.wait_while(&mut g, |g| g.seen < waiters * (round - 1));
            g.round = round;
            if round % 2 == 0 {
                cv.notify_all();
            } else {
                for _ in 0..waiters {
                    cv.notify_one();
                }
            }
        }
        for handle in handles {
            handle.join().unwrap();
        }
        done.store(true, Relaxed);
        bystander.join().unwrap();
        assert_eq!(game.lock().seen, waiters * rounds);
    })
}

/// One condvar, many short-lived mutexes: each waiter waits with a new mutex on its own stack
/// each time (so two waiters wait with different mutexes, and one address serves a new mutex
/// once the old one is gone), while a notifier that never holds any of them notifies without
/// pause. The condvar may move a waiter only onto the mutex it waits with, and may touch that
/// mutex only while the waiter is still in its wait (under Miri, a touch of a mutex whose
/// frame is gone is reported as a use after free).
pub fn condvar_with_mutexes_that_come_and_go<B: FutexBackend + 'static>(waits: usize) {
    watchdog("waiters with mutexes of their own to finish", move || {
        let cv = Arc::new(Condvar::<B>::new());
        let done = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (cv, done) = (cv.clone(), done.clone());
            thread::spawn(move || {
                let mut n = 0u32;
                while !done.load(Relaxed) {
                    n = n.wrapping_add(1);
                    if n % 2 == 0 {
                        cv.notify_all();
                    } else {
                        cv.notify_one();
                    }
                    thread::yield_now();
                }
            })
        };
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let cv = cv.clone();
                thread::spawn(move || {
                    for _ in 0..waits {
                        let mutex = Mutex::<B, u32>::new(0);
                        let mut guard = mutex.lock();
                        let _ = cv.wait_for(&mut guard, Duration::from_micros(200));
                        *guard += 1;
                        drop(guard);
                        assert_eq!(mutex.into_inner(), 1);
                    }
                })
            })
            .collect();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        done.store(true, Relaxed);
        notifier.join().unwrap();
    })
}

/// One slot between a producer and a consumer, two condvars on one mutex, every notification
/// made with the mutex held (so each moves the other side onto the mutex where the backend
/// moves): `benches/condvar.rs`'s hand-off, checked.
pub fn condvar_hand_off_under_the_lock<B: FutexBackend + 'static>(items: usize) {
    watchdog("a one-slot hand-off with notifications under the lock", move || {
        const EMPTY: usize = usize::MAX;
        let shared =
            Arc::new((Mutex::<B, usize>::new(EMPTY), Condvar::<B>::new(), Condvar::<B>::new()));
        let consumer = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (slot, not_empty, not_full) = &*shared;
                let mut sum = 0;
                for _ in 0..items {
                    let mut guard = slot.lock();
                    not_empty.wait_while(&mut guard, |s| *s == EMPTY);
                    sum += std::mem::replace(&mut *guard, EMPTY);
                    not_full.notify_one();
                }
                sum
            })
        };
        let (slot, not_empty, not_full) = &*shared;
        for i in 0..items {
            let mut guard = slot.lock();
            not_full.wait_while(&mut guard, |s| *s != EMPTY);
            *guard = i;
            not_empty.notify_one();
        }
        assert_eq!(consumer.join().unwrap(), items * (items - 1) / 2);
    })
}

/// Producers and consumers through a bounded queue with two condvars: every item arrives once.
pub fn condvar_producer_consumer<B: FutexBackend + 'static>(pairs: usize, items: usize) {
    watchdog("producers and consumers to pass every item", move || {
        struct Queue<B> {
            items: Mutex<B, std::collections::VecDeque<usize>>,
            not_empty: Condvar<B>,
            not_full: Condvar<B>,
        }
        let queue = Arc::new(Queue::<B> {
            items: Mutex::new(Default::default()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        });
        let producers: Vec<_> = (0..pairs)
            .map(|p| {
                let queue = queue.clone();
                thread::spawn(move || {
                    for i in 0..items {
                        let mut q = queue.items.lock();
                        queue.not_full.wait_while(&mut q, |q| q.len() >= 4);
                        q.push_back(p * items + i);
                        drop(q);
                        queue.not_empty.notify_one();
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..pairs)
            .map(|_| {
                let queue = queue.clone();
                thread::spawn(move || {
                    let mut sum = 0;
                    for _ in 0..items {
                        let mut q = queue.items.lock();
                        queue.not_empty.wait_while(&mut q, |q| q.is_empty());
                        sum += q.pop_front().unwrap();
                        drop(q);
                        queue.not_full.notify_one();
                    }
                    sum
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let sum: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        let n = pairs * items;
        assert_eq!(sum, n * (n - 1) / 2);
    })
}

/// Timed waits that nobody notifies time out, and not before their time.
pub fn condvar_timed_lower_bound<B: FutexBackend + 'static>() {
    // Under the watchdog: a `wait_for` that never reports its timeout loops here forever.
    watchdog("timed condvar waits nobody notifies to time out", || {
        let mutex = Mutex::<B, ()>::new(());
        let cv = Condvar::<B>::new();
        let mut guard = mutex.lock();
        for timeout in [Duration::ZERO, Duration::from_millis(1), Duration::from_millis(20)] {
            // A wait may return early without a timeout (spuriously); a timeout must be real:
            // lock_api's (std's clock), and ours timed by the backend alone (no clock).
            loop {
                let start = Instant::now();
                if cv.wait_for(&mut guard, timeout).timed_out() {
                    assert!(start.elapsed() >= timeout, "timed out after {:?}", start.elapsed());
                    break;
                }
            }
            loop {
                let start = Instant::now();
                if cv.wait_timeout(&mut guard, timeout).timed_out() {
                    assert!(start.elapsed() >= timeout, "timed out after {:?}", start.elapsed());
                    break;
                }
            }
        }
        let t = Duration::from_millis(20);
        let start = Instant::now();
        assert!(cv.wait_while_for(&mut guard, |_| true, t).timed_out());
        assert!(start.elapsed() >= t);
        // The clock starts before the deadline does (see `rwlock_timed_lower_bound`).
        let start = Instant::now();
        let mut deadline = Deadline::<B, _>::with_clock(Some(t), StdClock::new());
        assert!(cv.wait_while_by(&mut guard, &mut deadline, |_| true).timed_out());
        assert!(start.elapsed() >= t);
        // A condition already false never waits.
        assert!(!cv.wait_while_for(&mut guard, |_| false, Duration::MAX).timed_out());
        assert!(mutex.try_lock().is_none(), "the guard still holds the mutex");
    })
}

/// A timed wait that is notified in time reports no timeout.
pub fn condvar_timed_wait_is_notified<B: FutexBackend + 'static>() {
    watchdog("a timed condvar wait to be notified", || {
        let shared = Arc::new((Mutex::<B, bool>::new(false), Condvar::<B>::new()));
        let notifier = {
            let shared = shared.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(10));
                *shared.0.lock() = true;
                shared.1.notify_all();
            })
        };
        let (flag, cv) = &*shared;
        let mut guard = flag.lock();
        let result = cv.wait_while_for(&mut guard, |f| !*f, Duration::from_secs(30));
        assert!(!result.timed_out() && *guard);
        drop(guard);
        notifier.join().unwrap();
    })
}

/// A condvar of backend `B` with the mutex of backend `M`: the two are independent.
pub fn condvar_with_another_backends_mutex<B: FutexBackend + 'static, M: FutexBackend + 'static>() {
    watchdog("a condvar on one backend with a mutex on another", || {
        let shared = Arc::new((Mutex::<M, bool>::new(false), Condvar::<B, RawMutex<M>>::new()));
        let notifier = {
            let shared = shared.clone();
            thread::spawn(move || {
                *shared.0.lock() = true;
                shared.1.notify_one();
            })
        };
        let mut guard = shared.0.lock();
        shared.1.wait_while(&mut guard, |f| !*f);
        drop(guard);
        notifier.join().unwrap();
    })
}

/// A condvar wait whose clock panics unwinds with the mutex held again (the guard then
/// releases it as it drops): nobody is left locked out.
pub fn condvar_unwinding_wait_retakes_the_mutex<B: FutexBackend + 'static>() {
    silent_panics();
    watchdog("a condvar wait with a panicking clock to unwind", || {
        /// Reads the time once, then panics.
        struct Breaks(std::cell::Cell<u32>);
        impl portable_futex::Clock for Breaks {
            fn now(&self) -> Duration {
                self.0.set(self.0.get() + 1);
                if self.0.get() > 1 {
                    std::panic::panic_any(EXPECTED_PANIC);
                }
                Duration::ZERO
            }
        }
        let mutex = Mutex::<B, u32>::new(0);
        let cv = Condvar::<B>::new();
        let unwound = catch_unwind(AssertUnwindSafe(|| {
            let mut guard = mutex.lock();
            *guard += 1;
            let mut deadline =
                Deadline::<B, _>::with_clock(Some(Duration::from_secs(30)), Breaks(0.into()));
            // The clock panics in the wait, with the mutex released; it must be retaken
            // before the unwind reaches the guard, whose drop releases it once.
            let _ = cv.wait_by(&mut guard, &mut deadline);
        }));
        assert!(unwound.is_err(), "the clock's panic should unwind out of the wait");
        assert!(!mutex.is_locked(), "the unwind left the mutex locked");
        assert_eq!(*mutex.try_lock().expect("a free mutex"), 1);
    })
}

// ---------------------------------------------------------------------------------------------
// Instantiation

/// The whole suite on backend `$backend`, as tests of the enclosing module.
macro_rules! sync_tests {
    ($backend:ty) => {
        use $crate::sync_suite as suite;
        type B = $backend;
        const T: usize = 4;

        #[test]
        fn mutex_basics() {
            suite::mutex_basics::<B>();
        }
        #[test]
        fn mutex_exclusion() {
            suite::mutex_exclusion::<B>(T, suite::scaled(20_000, 30));
        }
        #[test]
        fn mutex_waiters_among_a_barger() {
            suite::mutex_waiters_among_a_barger::<B>(2, suite::scaled(50, 3));
        }
        #[test]
        fn mutex_timed_waiters_strand_nobody() {
            suite::mutex_timed_waiters_strand_nobody::<B>(T, suite::scaled(5_000, 20));
        }
        #[test]
        fn mutex_timed_lower_bound() {
            suite::mutex_timed_lower_bound::<B>();
        }
        #[test]
        fn mutex_timed_lock_is_woken() {
            suite::mutex_timed_lock_is_woken::<B>();
        }
        #[test]
        fn mutex_unlocks_on_unwind() {
            suite::mutex_unlocks_on_unwind::<B>(true);
        }
        #[test]
        fn mutex_unwinding_wait_leaves_no_waiter() {
            suite::mutex_unwinding_wait_leaves_no_waiter::<B>();
        }
        #[test]
        fn rwlock_basics() {
            suite::rwlock_basics::<B>();
        }
        #[test]
        fn rwlock_readers_share() {
            suite::rwlock_readers_share::<B>(T);
        }
        #[test]
        fn rwlock_exclusion() {
            suite::rwlock_exclusion::<B>(T, suite::scaled(10_000, 30));
        }
        #[test]
        fn rwlock_writer_not_starved() {
            suite::rwlock_writer_not_starved::<B>(T);
        }
        #[test]
        fn rwlock_timed_lower_bound() {
            suite::rwlock_timed_lower_bound::<B>();
        }
        #[test]
        fn rwlock_timed_waiters_strand_nobody() {
            suite::rwlock_timed_waiters_strand_nobody::<B>(T, suite::scaled(5_000, 20));
        }
        #[test]
        fn rwlock_downgrade_lets_readers_in() {
            suite::rwlock_downgrade_lets_readers_in::<B>();
        }
        #[test]
        fn rwlock_unlocks_on_unwind() {
            suite::rwlock_unlocks_on_unwind::<B>();
        }
        #[test]
        fn condvar_ping_pong() {
            suite::condvar_ping_pong::<B>(suite::scaled(5_000, 20));
        }
        #[test]
        fn condvar_notify_all() {
            suite::condvar_notify_all::<B>(T);
        }
        #[test]
        fn condvar_notify_under_the_lock() {
            suite::condvar_notify_under_the_lock::<B>(T, suite::scaled(300, 5));
        }
        #[test]
        fn condvar_with_mutexes_that_come_and_go() {
            suite::condvar_with_mutexes_that_come_and_go::<B>(suite::scaled(2_000, 20));
        }
        #[test]
        fn condvar_hand_off_under_the_lock() {
            suite::condvar_hand_off_under_the_lock::<B>(suite::scaled(20_000, 50));
        }
        #[test]
        fn condvar_producer_consumer() {
            suite::condvar_producer_consumer::<B>(2, suite::scaled(5_000, 20));
        }
        #[test]
        fn condvar_timed_lower_bound() {
            suite::condvar_timed_lower_bound::<B>();
        }
        #[test]
        fn condvar_timed_wait_is_notified() {
            suite::condvar_timed_wait_is_notified::<B>();
        }
        #[test]
        fn condvar_unwinding_wait_retakes_the_mutex() {
            suite::condvar_unwinding_wait_retakes_the_mutex::<B>();
        }
        #[test]
        fn recursive_read_beside_a_waiting_writer() {
            suite::recursive_read_beside_a_waiting_writer::<B>();
        }
        #[test]
        fn plain_read_waits_behind_a_waiting_writer() {
            suite::plain_read_waits_behind_a_waiting_writer::<B>();
        }
        #[test]
        fn recursive_rwlock_basics() {
            suite::recursive_rwlock_basics::<B>();
        }
        #[test]
        fn recursive_rwlock_exclusion() {
            suite::recursive_rwlock_exclusion::<B>(T, suite::scaled(2_000, 20));
        }
        #[test]
        fn rwlock_upgradable_basics() {
            suite::rwlock_upgradable_basics::<B>();
        }
        #[test]
        fn rwlock_upgrade_waits_for_readers() {
            suite::rwlock_upgrade_waits_for_readers::<B>();
        }
        #[test]
        fn rwlock_unlock_fair_hands_over() {
            suite::rwlock_unlock_fair_hands_over::<B>();
        }
        #[test]
        fn rwlock_upgradable_excludes_upgradables_and_writers() {
            suite::rwlock_upgradable_excludes_upgradables_and_writers::<B>();
        }
        #[test]
        fn rwlock_upgrade_and_downgrades_across_threads() {
            suite::rwlock_upgrade_and_downgrades_across_threads::<B>();
        }
        #[test]
        fn rwlock_fair_unlocks_and_bumps_let_a_waiting_writer_in() {
            suite::rwlock_fair_unlocks_and_bumps_let_a_waiting_writer_in::<B>();
        }
        #[test]
        fn rwlock_timed_upgradable_lower_bound() {
            suite::rwlock_timed_upgradable_lower_bound::<B>();
        }
        #[test]
        fn rwlock_raw_recursive_read_beside_a_waiting_writer() {
            suite::rwlock_raw_recursive_read_beside_a_waiting_writer::<B>();
        }
        #[test]
        fn rwlock_upgraders_readers_writers() {
            suite::rwlock_upgraders_readers_writers::<B>(T, suite::scaled(2_000, 20));
        }
        #[test]
        fn mutex_unlock_fair_hands_over() {
            suite::mutex_unlock_fair_hands_over::<B>();
        }
        #[test]
        fn mutex_bump_lets_a_waiter_in() {
            suite::mutex_bump_lets_a_waiter_in::<B>();
        }
        #[test]
        fn fair_mutex_basics() {
            suite::fair_mutex_basics::<B>();
        }
        #[test]
        fn fair_mutex_exclusion() {
            suite::fair_mutex_exclusion::<B>(T, suite::scaled(2_000, 20));
        }
        #[test]
        fn reentrant_mutex_nests_and_excludes() {
            suite::reentrant_mutex_nests_and_excludes::<B>();
        }
    };
}
