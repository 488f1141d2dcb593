//! Waits under a storm of signals: the waiting thread gets `SIGUSR1` about a thousand times a
//! second, with a handler installed without `SA_RESTART`, so every blocking system call it is
//! in returns `EINTR`. On `Linux`, `Counted<Linux>` and `Queue`:
//!
//! - no wake is lost: after a storm, a wake still releases the waiter by itself (a lost one
//!   is detected, not hidden by the next signal: the storm stays quiet until the wake is seen);
//! - no `Timeout` comes before its time, however often the wait was interrupted;
//! - a `Deadline` still ends on time: neither early, nor pushed back by the interruptions.
//!
//! Every wait here ends even if the backend is wrong (the storm's signals free a waiter that
//! a lost wake left asleep, and a wait that never ends on its own ends when the storm stops
//! by itself), and the checks then fail with what went wrong.
//!
//! Not under Miri, which has no signals (`sigaction`, `pthread_kill`).
#![cfg(all(target_os = "linux", not(miri)))]

mod common;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Once};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::SLACK;
use portable_futex::backend::{Counted, Linux, Queue};
use portable_futex::{Deadline, Futex, FutexBackend, StdClock, Timeout};

/// How often the storm signals its thread.
const PERIOD: Duration = Duration::from_millis(1);

thread_local! {
    /// Signals handled on this thread. A const-initialised `Cell` without a destructor: its
    /// access in the handler is a plain thread-local access, safe in a signal handler.
    static HANDLED: Cell<usize> = const { Cell::new(0) };
}

extern "C" fn on_signal(_signal: libc::c_int) {
    HANDLED.with(|handled| handled.set(handled.get() + 1));
}

fn handled_here() -> usize {
    HANDLED.with(Cell::get)
}

/// Installs the `SIGUSR1` handler once for the process: no `SA_RESTART`, so a blocking call
/// that the signal interrupts returns `EINTR` instead of being restarted by the kernel.
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed `sigaction` is a valid value (empty mask, no flags); the handler
        // only touches a thread-local `Cell`, which is async-signal-safe; `sigemptyset` and
        // `sigaction` get pointers to live locals.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = 0;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()), 0);
        }
    });
}

/// How long a storm lasts at most: longer than a waker takes to see a lost wake (`SLACK`
/// after the last one it sent), so that its signals are still there to free the waiter.
const STORM_LIFE: Duration = Duration::from_secs(3 * SLACK.as_secs());

/// A thread that sends `SIGUSR1` to the thread that created it, every `PERIOD`, while not
/// paused; it stops when dropped, or by itself after `STORM_LIFE` (then `expired` is set).
///
/// Created and dropped by the signalled thread itself, so that thread outlives it: the
/// `pthread_t` it signals stays valid for all its life.
struct Storm {
    paused: Arc<AtomicBool>,
    /// The storm has seen `paused` and sends nothing more.
    quiet: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    expired: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Storm {
    fn on_this_thread() -> Self {
        install_handler();
        // SAFETY: no preconditions.
        let target = unsafe { libc::pthread_self() };
        let paused = Arc::new(AtomicBool::new(false));
        let quiet = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let expired = Arc::new(AtomicBool::new(false));
        let thread = {
            let (paused, quiet, stop, expired) =
                (paused.clone(), quiet.clone(), stop.clone(), expired.clone());
            thread::spawn(move || {
                let start = Instant::now();
                while !stop.load(Ordering::SeqCst) {
                    if start.elapsed() > STORM_LIFE {
                        expired.store(true, Ordering::SeqCst);
                        break;
                    }
                    if paused.load(Ordering::SeqCst) {
                        quiet.store(true, Ordering::SeqCst);
                    } else {
                        quiet.store(false, Ordering::SeqCst);
                        // SAFETY: `target` is the thread that owns this storm and joins this
                        // thread before it ends (see `Drop`), so it is alive.
                        let sent = unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
                        assert_eq!(sent, 0, "pthread_kill");
                    }
                    thread::sleep(PERIOD);
                }
            })
        };
        Storm { paused, quiet, stop, expired, thread: Some(thread) }
    }

    fn handle(&self) -> StormHandle {
        StormHandle { paused: self.paused.clone(), quiet: self.quiet.clone() }
    }

    fn expired(&self) -> bool {
        self.expired.load(Ordering::SeqCst)
    }
}

impl Drop for Storm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Pauses and resumes a storm from another thread.
#[derive(Clone)]
struct StormHandle {
    paused: Arc<AtomicBool>,
    quiet: Arc<AtomicBool>,
}

impl StormHandle {
    /// Pauses the storm and returns once it sends nothing more.
    fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        common::eventually("the storm went quiet", || self.quiet.load(Ordering::SeqCst));
    }

    fn resume(&self) {
        self.quiet.store(false, Ordering::SeqCst);
        self.paused.store(false, Ordering::SeqCst);
    }
}

const ROUNDS: u32 = 5;

/// The waiter (this thread) sits in `wait` through a storm; then the storm pauses, the waker
/// sees the waiter asleep, changes the word and wakes it. The wake alone must release it: if
/// it does not within `SLACK`, the waker records the loss and resumes the storm, whose next
/// signal lets the waiter return and fail.
fn no_wake_is_lost<B: FutexBackend>() {
    let storm = Storm::on_this_thread();
    let word = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(AtomicU32::new(0));
    let lost = Arc::new(AtomicBool::new(false));
    let waker = {
        let (word, seen, lost, storm) = (word.clone(), seen.clone(), lost.clone(), storm.handle());
        let waiter = common::thread_id();
        thread::spawn(move || {
            for round in 1..=ROUNDS {
                storm.resume();
                thread::sleep(Duration::from_millis(20));
                storm.pause();
                common::wait_until_asleep(&[waiter]);
                word.store(round, Ordering::SeqCst);
                Futex::<B>::wake(&word, 1);
                let start = Instant::now();
                while seen.load(Ordering::SeqCst) < round {
                    if start.elapsed() > SLACK {
                        lost.store(true, Ordering::SeqCst);
                        storm.resume();
                        return;
                    }
                    thread::sleep(Duration::from_millis(1));
                }
            }
        })
    };
    let mut interrupted = Vec::new();
    for round in 1..=ROUNDS {
        let before = handled_here();
        while word.load(Ordering::SeqCst) < round {
            Futex::<B>::wait(&word, round - 1);
            assert!(!storm.expired(), "round {round}: the waiter never saw its wake");
        }
        assert!(!lost.load(Ordering::SeqCst), "round {round}: the wake was lost");
        interrupted.push(handled_here() - before);
        seen.store(round, Ordering::SeqCst);
    }
    waker.join().unwrap();
    // The storm reached every wait (at least one signal per round) and kept at it (three a
    // round on average). Not three in every round: under qemu-user on a loaded machine a round
    // has been seen to end after one (a fresh-ci run on 2026-11-30: [19, 12, 1, 4, 7]).
    let total: usize = interrupted.iter().sum();
    assert!(
        interrupted.iter().all(|&signals| signals >= 1) && total >= 3 * interrupted.len(),
        "signals handled while waiting, per round: {interrupted:?} (the storm did not reach the wait)"
    );
}

/// `timed_wait` with timeouts from 100 µs to 10 ms, again and again through the storm: each
/// `Timeout` only after its time; and some of them do time out, interrupted or not.
fn no_timeout_is_early<B: FutexBackend>() {
    let storm = Storm::on_this_thread();
    let word = AtomicU32::new(0);
    let timeouts = [100, 300, 1_000, 3_000, 10_000].map(Duration::from_micros);
    let before = handled_here();
    let (mut timed_out, mut spurious) = (0, 0);
    let run = Instant::now();
    while run.elapsed() < Duration::from_millis(300) {
        for timeout in timeouts {
            let start = Instant::now();
            let result = Futex::<B>::timed_wait(&word, 0, timeout);
            let elapsed = start.elapsed();
            match result {
                Err(Timeout) => {
                    assert!(elapsed >= timeout, "Timeout after {elapsed:?} of {timeout:?}");
                    timed_out += 1;
                }
                Ok(()) => spurious += 1,
            }
        }
    }
    assert!(!storm.expired(), "a timed wait never ended under the storm");
    drop(storm);
    let signals = handled_here() - before;
    assert!(signals >= 30, "only {signals} signals handled (the storm did not reach the waits)");
    assert!(timed_out > 0, "no wait timed out ({spurious} returned early)");
}

/// A 100 ms `Deadline` through the storm ends no sooner than 100 ms, and not much later: an
/// interrupted wait must not restart its whole timeout.
fn deadline_ends_on_time<B: FutexBackend>() {
    let storm = Storm::on_this_thread();
    let word = AtomicU32::new(0);
    let timeout = Duration::from_millis(100);
    let before = handled_here();
    let start = Instant::now();
    let mut deadline = Deadline::<B, _>::with_clock(Some(timeout), StdClock::new());
    let mut calls = 0;
    while deadline.wait(&word, 0).is_ok() {
        calls += 1;
    }
    let elapsed = start.elapsed();
    assert!(!storm.expired(), "the deadline never ended under the storm");
    drop(storm);
    assert!(elapsed >= timeout, "the deadline ended after {elapsed:?}");
    assert!(elapsed < timeout + Duration::from_secs(2), "the deadline ended after {elapsed:?}");
    let signals = handled_here() - before;
    assert!(signals >= 10, "only {signals} signals handled in {calls} returns");
}

macro_rules! signal_tests {
    ($name:ident, $backend:ty) => {
        mod $name {
            use super::*;

            #[test]
            fn no_wake_is_lost() {
                super::no_wake_is_lost::<$backend>();
            }

            #[test]
            fn no_timeout_is_early() {
                super::no_timeout_is_early::<$backend>();
            }

            #[test]
            fn deadline_ends_on_time() {
                super::deadline_ends_on_time::<$backend>();
            }
        }
    };
}

signal_tests!(linux, Linux);
signal_tests!(counted, Counted<Linux>);
signal_tests!(queue, Queue);
