//! The `SingleThreaded` backend: the single-thread part of the suite, and its waits on a
//! matching value, which sleep (never panic) until the word changes or the time is up.
#![cfg(feature = "single-threaded")]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use portable_futex::backend::SingleThreaded;
use portable_futex::{Deadline, Futex, StdClock, Timeout};

backend_tests!(SingleThreaded);

/// An untimed wait on a matching value does not panic: it sleeps until the word differs. In a
/// single-threaded program only a signal handler could change it; another thread stands in for
/// one here (and calls no `wake`, which does nothing on this backend anyway).
#[test]
fn untimed_wait_on_a_matching_value_sleeps_until_the_word_changes() {
    let word = Arc::new(AtomicU32::new(3));
    let delay = Duration::from_millis(30);
    let changer = {
        let word = word.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            word.store(4, Ordering::SeqCst);
        })
    };
    let (done, finished) = std::sync::mpsc::channel();
    let start = Instant::now();
    let waiter = {
        let word = word.clone();
        std::thread::spawn(move || {
            Futex::<SingleThreaded>::wait(&word, 3);
            done.send(()).unwrap();
        })
    };
    finished
        .recv_timeout(common::SLACK)
        .expect("the untimed wait did not return after the word changed");
    assert!(start.elapsed() >= delay, "returned after {:?}, before the change", start.elapsed());
    assert_eq!(word.load(Ordering::SeqCst), 4);
    changer.join().unwrap();
    waiter.join().expect("the untimed wait panicked");
}

/// A timed wait also ends as soon as the word differs, with `Ok`, long before its timeout.
#[test]
fn timed_wait_ends_when_the_word_changes() {
    let word = Arc::new(AtomicU32::new(0));
    let changer = {
        let word = word.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            word.store(1, Ordering::SeqCst);
        })
    };
    let start = Instant::now();
    assert_eq!(Futex::<SingleThreaded>::timed_wait(&word, 0, common::SLACK * 2), Ok(()));
    assert!(start.elapsed() < common::SLACK, "took {:?}", start.elapsed());
    changer.join().unwrap();
}

#[test]
fn timed_wait_sleeps_out_the_timeout() {
    let word = AtomicU32::new(0);
    let timeout = Duration::from_millis(20);
    let start = Instant::now();
    assert_eq!(Futex::<SingleThreaded>::timed_wait(&word, 0, timeout), Err(Timeout));
    assert!(start.elapsed() >= timeout);
}

#[test]
fn deadline_expires() {
    let word = AtomicU32::new(0);
    let timeout = Duration::from_millis(20);
    let start = Instant::now();
    let mut deadline = Deadline::<SingleThreaded, _>::with_clock(Some(timeout), StdClock::new());
    while deadline.wait(&word, 0).is_ok() {}
    assert!(start.elapsed() >= timeout);
    assert_eq!(deadline.wait(&word, 1), Ok(()));
}
