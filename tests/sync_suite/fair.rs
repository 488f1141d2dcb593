//! Fair unlocks (`MutexGuard::unlock_fair`, `bump`, `FairMutex`) and `ReentrantMutex`, on any
//! backend.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::sync::generic::{FairMutex, Mutex, ReentrantMutex};
use portable_futex::sync::lock_api::{MutexGuard, RawMutex as _};
use portable_futex::sync::{RawMutex, StdThreadId};
use portable_futex::{Deadline, FutexBackend, StdClock};

use super::watchdog;

/// Waits until `mutex` counts `n` registered waiters (its raw `Debug` shows them).
fn until_waiters<B: FutexBackend, T>(mutex: &Mutex<B, T>, n: u32) {
    // SAFETY: only read, for its `Debug`.
    let raw: &RawMutex<B> = unsafe { mutex.raw() };
    while !format!("{raw:?}").ends_with(&format!("waiters: {n} }}")) {
        thread::sleep(Duration::from_millis(1));
    }
}

/// `unlock_fair` with a waiter registered hands the mutex to it: the unlocking thread cannot
/// take it straight back (a plain unlock would let it), and the waiter gets in.
pub fn mutex_unlock_fair_hands_over<B: FutexBackend + 'static>() {
    watchdog("a fair unlock to hand the mutex to its waiter", || {
        let shared = Arc::new((Mutex::<B, u32>::new(0), AtomicBool::new(false)));
        let guard = shared.0.lock();
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let mut count = shared.0.lock();
                *count += 1;
                // Hold it until the main thread has tried.
                while !shared.1.load(Acquire) {
                    thread::yield_now();
                }
            })
        };
        until_waiters(&shared.0, 1);
        MutexGuard::unlock_fair(guard);
        assert!(shared.0.try_lock().is_none(), "the unlocking thread took a handed-over mutex");
        shared.1.store(true, Release);
        waiter.join().unwrap();
        assert_eq!(*shared.0.lock(), 1);
    })
}

/// `bump` with a waiter registered lets it in before taking the mutex back; without one it
/// keeps the mutex. (On a backend that cannot yield, the bumping thread does not wait for the
/// waiter to pick the hand-off up, and may take it back first: `RawMutex`'s "Fairness".)
pub fn mutex_bump_lets_a_waiter_in<B: FutexBackend + 'static>() {
    watchdog("a bump to let the waiter in first", || {
        // The waiter must be registered to sleep, which only time shows from outside, and
        // must get to run within the bumping thread's yields (a slow machine, a sanitizer):
        // tried until it happened once, and it must happen.
        let mut let_in = false;
        for _ in 0..super::scaled(50, 10) {
            let mutex = Arc::new(Mutex::<B, u32>::new(0));
            let mut guard = mutex.lock();
            MutexGuard::bump(&mut guard); // nobody waits: still ours
            *guard += 10;
            let waiter = {
                let mutex = mutex.clone();
                thread::spawn(move || *mutex.lock() += 1)
            };
            until_waiters(&mutex, 1);
            MutexGuard::bump(&mut guard);
            let first = *guard == 11;
            drop(guard);
            waiter.join().unwrap();
            assert_eq!(*mutex.lock(), 11);
            if first || !B::yield_now() {
                let_in = true;
                break;
            }
        }
        assert!(let_in, "the waiter never got the mutex during a bump");
    })
}

/// `threads` threads through a `FairMutex`, `rounds` times each: never two inside, every
/// thread served (each unlock hands over to a waiter).
pub fn fair_mutex_exclusion<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
    watchdog("every thread to finish its rounds of the fair mutex", move || {
        let shared = Arc::new((FairMutex::<B, u64>::new(0), AtomicBool::new(false)));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (mutex, inside) = &*shared;
                    for i in 0..rounds {
                        let mut count = mutex.lock();
                        assert!(!inside.swap(true, Relaxed), "two threads inside the mutex");
                        let seen = *count;
                        std::hint::black_box(());
                        *count = seen + 1;
                        inside.store(false, Relaxed);
                        if i % 16 == 0 {
                            // `bump` on a fair mutex, and a timed lock beside the rest.
                            MutexGuard::bump(&mut count);
                            drop(count);
                            if let Some(mut count) = mutex.try_lock_for(Duration::from_millis(1)) {
                                *count += 1;
                            } else {
                                *mutex.lock() += 1;
                            }
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let extra = rounds.div_ceil(16);
        assert_eq!(*shared.0.lock(), (threads * (rounds + extra)) as u64);
    })
}

/// One `FairMutex` alone and held elsewhere: `try_lock`, `is_locked`, the timed forms (which
/// give up on a held mutex, and not before their time), `try_lock_by` on a `Deadline`, and
/// the raw lock's `Debug`.
pub fn fair_mutex_basics<B: FutexBackend + 'static>() {
    watchdog("the fair mutex's try and timed forms", || {
        let mutex = Arc::new(FairMutex::<B, u32>::new(0));
        assert!(!mutex.is_locked());
        *mutex.try_lock().expect("a free fair mutex") += 1;
        // SAFETY: only read, for its `Debug`.
        let raw = format!("{:?}", unsafe { mutex.raw() });
        assert_eq!(raw, "RawFairMutex(RawMutex { locked: false, waiters: 0 })");
        let (held, release) = super::hold_elsewhere(&mutex, |m, hold| {
            let _held = m.lock();
            hold();
        });
        assert!(mutex.is_locked());
        assert!(mutex.try_lock().is_none(), "try_lock of a held fair mutex");
        let timeout = Duration::from_millis(20);
        let start = Instant::now();
        assert!(mutex.try_lock_for(timeout).is_none(), "took a held fair mutex");
        assert!(start.elapsed() >= timeout, "gave up after {:?}", start.elapsed());
        let start = Instant::now();
        let mut deadline = Deadline::<B, _>::with_clock(Some(timeout), StdClock::new());
        // SAFETY: the raw lock is only tried; taken, it would be released at once.
        assert!(!unsafe { mutex.raw() }.try_lock_by(&mut deadline), "took a held fair mutex");
        assert!(start.elapsed() >= timeout, "gave up after {:?}", start.elapsed());
        release.send(()).unwrap();
        held.join().unwrap();
        assert!(!mutex.is_locked());
        let mut deadline = Deadline::<B, _>::with_clock(Some(timeout), StdClock::new());
        // SAFETY: taken here, released at once below.
        let raw = unsafe { mutex.raw() };
        assert!(raw.try_lock_by(&mut deadline), "a free fair mutex refused");
        assert!(mutex.is_locked());
        // SAFETY: taken just above by this thread.
        unsafe { raw.unlock(portable_futex::sync::lock_api::GuardSend::new()) };
        assert_eq!(*mutex.try_lock_for(timeout).expect("a free fair mutex"), 1);
    })
}

/// A `ReentrantMutex` is locked again by its holder without blocking, and keeps other threads
/// out until the outermost guard is gone.
pub fn reentrant_mutex_nests_and_excludes<B: FutexBackend + 'static>() {
    watchdog("a reentrant mutex to nest and exclude", || {
        let mutex =
            Arc::new(ReentrantMutex::<B, StdThreadId, AtomicUsize>::new(AtomicUsize::new(0)));
        let outer = mutex.lock();
        let inner = mutex.lock();
        assert!(mutex.try_lock().is_some(), "the holder's try_lock failed");
        inner.fetch_add(1, Relaxed);
        let other = {
            let mutex = mutex.clone();
            thread::spawn(move || {
                assert!(mutex.try_lock().is_none(), "another thread got in beside the holder");
                mutex.lock().fetch_add(1, Relaxed);
            })
        };
        thread::sleep(Duration::from_millis(10));
        assert_eq!(outer.load(Relaxed), 1, "the other thread got in while we held it");
        drop(inner);
        thread::sleep(Duration::from_millis(10));
        assert_eq!(outer.load(Relaxed), 1, "released at the inner guard");
        drop(outer);
        other.join().unwrap();
        assert_eq!(mutex.lock().load(Relaxed), 2);
        // SAFETY: only read, for its state.
        assert!(!unsafe { mutex.raw() }.is_locked());
    })
}
