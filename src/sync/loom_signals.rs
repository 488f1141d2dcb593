//! The one-shot and counting primitives under loom: `Once` (`call_once` and `wait`),
//! `Semaphore`, `ResetEvent` and `Parker`, each in every interleaving of its atomic operations
//! with the futex stand-in (`word::loom_futex`, which wakes exactly the oldest `n` sleepers),
//! up to a preemption bound. What a primitive publishes is written to a
//! `loom::cell::UnsafeCell` before the publishing call and read after the call that waits for
//! it, so a missing Release/Acquire edge is reported as a causality violation; a lost wakeup is
//! reported as a deadlock. Timed waits run with `word::Expired`, a deadline that has always
//! passed, so every give-up path meets every interleaving of the wakes.
//!
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom` (or `cargo xtask loom`).

extern crate std;

use std::sync::Arc;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicU32, Ordering::Relaxed};
use loom::thread;

use super::once::Once;
use super::parker::Parker;
use super::reset_event::ResetEvent;
use super::semaphore::Semaphore;
use super::word::{model, Expired, Model};

/// A primitive and the data it publishes.
struct Published<P> {
    primitive: P,
    data: UnsafeCell<u32>,
}

// SAFETY: `data` is written before the publishing call and read after the waiting one; loom
// reports any access that is not ordered so.
unsafe impl<P: Sync> Sync for Published<P> {}

impl<P> Published<P> {
    fn new(primitive: P) -> Arc<Self> {
        Arc::new(Published { primitive, data: UnsafeCell::new(0) })
    }

    fn write(&self, value: u32) {
        // SAFETY: the models write before publishing; loom checks it.
        self.data.with_mut(|p| unsafe { *p = value });
    }

    fn read(&self) -> u32 {
        // SAFETY: the models read after waiting; loom checks it.
        self.data.with(|p| unsafe { *p })
    }
}

/// Three threads race `call_once`: the closure runs once, and each caller reads its write
/// after returning, whether it ran it, found it complete, or slept while another ran it.
#[test]
fn loom_once_runs_once_and_publishes() {
    model(|| {
        let once = Published::new(Once::<Model>::new());
        let runs = Arc::new(AtomicU32::new(0));
        let callers: std::vec::Vec<_> = (0..2)
            .map(|_| {
                let (once, runs) = (once.clone(), runs.clone());
                thread::spawn(move || {
                    once.primitive.call_once(|| {
                        runs.fetch_add(1, Relaxed);
                        once.write(7);
                    });
                    assert_eq!(once.read(), 7);
                })
            })
            .collect();
        once.primitive.call_once_force(|_| {
            runs.fetch_add(1, Relaxed);
            once.write(7);
        });
        assert_eq!(once.read(), 7);
        for caller in callers {
            caller.join().unwrap();
        }
        assert_eq!(runs.load(Relaxed), 1);
        assert!(once.primitive.is_completed());
    });
}

/// A thread in `wait` (which queues on a `Once` nobody has run yet), a thread in `call_once`
/// and the main thread in `call_once_force`: whichever runs the closure, the waiter always
/// returns (a start keeps its `QUEUED` mark, so the runner's finish wakes it), and it sees the
/// closure's write. A start that dropped the mark deadlocks here.
#[test]
fn loom_once_wait_is_released_by_a_later_call() {
    model(|| {
        let once = Published::new(Once::<Model>::new());
        let waiter = {
            let once = once.clone();
            thread::spawn(move || {
                once.primitive.wait();
                assert_eq!(once.read(), 7);
            })
        };
        let caller = {
            let once = once.clone();
            thread::spawn(move || {
                once.primitive.call_once(|| once.write(7));
                assert_eq!(once.read(), 7);
            })
        };
        once.primitive.call_once_force(|_| once.write(7));
        waiter.join().unwrap();
        caller.join().unwrap();
        assert!(once.primitive.is_completed());
    });
}

/// Two acquirers, one untimed and one whose time is always up, and one `release(1)`: the
/// untimed one always gets a permit (the timed one gives its back if it got it), nothing is
/// lost or invented, and the releaser's write is seen by whoever takes the permit.
#[test]
fn loom_semaphore_release_wakes_and_publishes() {
    model(|| {
        let semaphore = Published::new(Semaphore::<Model>::new(0));
        let untimed = {
            let semaphore = semaphore.clone();
            thread::spawn(move || {
                semaphore.primitive.acquire();
                assert_eq!(semaphore.read(), 1);
            })
        };
        let timed = {
            let semaphore = semaphore.clone();
            thread::spawn(move || {
                if semaphore.primitive.acquire_slow(&mut Expired) {
                    assert_eq!(semaphore.read(), 1);
                    semaphore.primitive.release(1);
                }
            })
        };
        semaphore.write(1);
        semaphore.primitive.release(1);
        untimed.join().unwrap();
        timed.join().unwrap();
        assert_eq!(semaphore.primitive.available_permits(), 0);
    });
}

/// A waiter, a timed waiter whose time is always up, and a setter: the untimed waiter always
/// returns, and both see the setter's write when they return successfully.
#[test]
fn loom_reset_event_set_releases_waiters() {
    model(|| {
        let event = Published::new(ResetEvent::<Model>::new());
        let waiter = {
            let event = event.clone();
            thread::spawn(move || {
                event.primitive.wait();
                assert_eq!(event.read(), 1);
            })
        };
        let timed = {
            let event = event.clone();
            thread::spawn(move || {
                if event.primitive.wait_slow(&mut Expired).is_ok() {
                    assert_eq!(event.read(), 1);
                }
            })
        };
        event.write(1);
        event.primitive.set();
        waiter.join().unwrap();
        timed.join().unwrap();
        assert!(event.primitive.is_set());
    });
}

/// A set undone at once by a reset (a pulse) still releases a thread that was already
/// waiting, whether it runs before or after the reset, and it sees the setter's write.
#[test]
fn loom_reset_event_pulse_releases_a_waiter() {
    model(|| {
        let event = Published::new(ResetEvent::<Model>::new());
        let waiter = {
            let event = event.clone();
            thread::spawn(move || {
                event.primitive.wait();
                assert_eq!(event.read(), 1);
            })
        };
        // The pulse counts for waits that began before it: wait until the waiter is in.
        while !event.primitive.has_waiters() {
            thread::yield_now();
        }
        event.write(1);
        event.primitive.set();
        event.primitive.reset();
        waiter.join().unwrap();
        assert!(!event.primitive.is_set());
    });
}

/// The owner parks (once timed, whose time is always up, then untimed) while another thread
/// unparks once: the untimed park always returns, the token is taken exactly once, and the
/// unparker's write is seen.
#[test]
fn loom_parker_token_is_not_lost() {
    model(|| {
        let parker = Published::new(Parker::<Model>::new());
        let unparker = {
            let parker = parker.clone();
            thread::spawn(move || {
                parker.write(1);
                parker.primitive.unpark();
            })
        };
        if !parker.primitive.park_slow(&mut Expired) {
            parker.primitive.park();
        }
        assert_eq!(parker.read(), 1);
        assert!(!parker.primitive.try_park(), "one unpark, one token");
        unparker.join().unwrap();
    });
}

/// Two threads park on one parker (which the docs advise against) and two unparks come, the
/// second after the first token was taken: both parked threads return; none is stranded.
#[test]
fn loom_parker_two_parked_threads() {
    model(|| {
        let parker = Arc::new(Parker::<Model>::new());
        let parked: std::vec::Vec<_> = (0..2)
            .map(|_| {
                let parker = parker.clone();
                thread::spawn(move || parker.park())
            })
            .collect();
        parker.unpark();
        while parker.has_token() {
            thread::yield_now();
        }
        parker.unpark();
        for parked in parked {
            parked.join().unwrap();
        }
    });
}
