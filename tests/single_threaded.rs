//! The `SingleThreaded` backend: the single-thread part of the suite, and its deadlock panic.
#![cfg(feature = "single-threaded")]

mod common;

use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

use portable_futex::backend::SingleThreaded;
use portable_futex::{Deadline, Futex, StdClock, Timeout};

backend_tests!(SingleThreaded);

#[test]
#[should_panic(expected = "deadlock")]
fn untimed_wait_on_a_matching_value_panics_instead_of_hanging() {
    let word = AtomicU32::new(3);
    Futex::<SingleThreaded>::wait(&word, 3);
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
