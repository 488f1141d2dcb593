//! The wait/wake/timeout protocol under loom, which runs each scenario in every interleaving
//! of its threads' atomic operations, lock acquisitions and parks (up to a preemption bound),
//! with loom's atomics, lock and parking swapped in (see `sync`). A lost wakeup shows as a
//! deadlock. The waiters' links live in loom's `UnsafeCell`, and a waiter's frame ends with a
//! write to them (see `Waiter`'s `Drop` in `wait_queue.rs`): a waker that reads a waiter after
//! its `set`, or a queue or treap that still leads to a waiter that has returned, shows as a
//! "causality violation" between that access and the waiter's end. The word is read with the
//! production's ordering (`WORD_ORDER`), not a stronger one.
//!
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom` (or `cargo xtask loom`).

extern crate std;

use std::sync::Arc;
use std::vec::Vec;

use loom::sync::atomic::AtomicU32;
use loom::sync::Mutex;
use loom::thread;

use super::sync::Ordering::{Acquire, Relaxed, Release};
use super::{wait_on, wake_on, Bucket, BucketLock, ParkEvent, WORD_ORDER};
use crate::Timeout;

/// A bucket lock on loom's mutex.
struct LoomLock(Mutex<()>);

// SAFETY: a mutex.
unsafe impl BucketLock for LoomLock {
    fn init() -> Self {
        LoomLock(Mutex::new(()))
    }

    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.0.lock().unwrap();
        f()
    }
}

type Table = Arc<Vec<Bucket<LoomLock, ParkEvent>>>;

fn table(buckets: usize) -> Table {
    Arc::new((0..buckets).map(|_| Bucket::new()).collect())
}

fn address(word: &AtomicU32) -> usize {
    word as *const AtomicU32 as usize
}

fn wait(table: &Table, word: &AtomicU32, expect: u32, timeout: bool) -> Result<(), Timeout> {
    let timeout = timeout.then_some(core::time::Duration::from_secs(1));
    // Read as `QueueWith::wait` reads the word.
    let still_expected = || word.load(WORD_ORDER) == expect;
    wait_on::<LoomLock, ParkEvent>(table, address(word), still_expected, timeout)
}

fn wake(table: &Table, word: &AtomicU32, n: u32) {
    wake_on::<LoomLock, ParkEvent>(table, address(word), n);
}

/// A thread that sets `word` to 1 and wakes one waiter.
fn set_and_wake_later(table: &Table, word: &Arc<AtomicU32>) -> thread::JoinHandle<()> {
    let (table, word) = (table.clone(), word.clone());
    thread::spawn(move || {
        word.store(1, Release);
        wake(&table, &word, 1);
    })
}

/// After every scenario: nobody is counted as pending and every queue is empty.
fn assert_quiet(table: &Table) {
    for bucket in table.iter() {
        assert_eq!(bucket.pending.load(Relaxed), 0, "pending count leaked");
        assert!(bucket.with_treap(|t| t.is_empty()), "a waiter was left queued");
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(4);
    }
    builder.check(f);
}

/// A wake racing the waiter's announcement: the waiter must never sleep through it.
#[test]
fn wake_races_announcement() {
    model(|| {
        let table = table(1);
        let word = Arc::new(AtomicU32::new(0));
        let waker = set_and_wake_later(&table, &word);
        while word.load(Acquire) == 0 {
            let _ = wait(&table, &word, 0, false);
        }
        waker.join().unwrap();
        assert_quiet(&table);
    });
}

/// A timeout racing a wake: the waiter either unlinks itself (Timeout) or, if the waker took
/// it first, waits for the waker's `set` before returning.
#[test]
fn timeout_races_wake() {
    model(|| {
        let table = table(1);
        let word = Arc::new(AtomicU32::new(0));
        let waker = set_and_wake_later(&table, &word);
        // Ok (woken, or the value had changed) and Err(Timeout) (unlinked itself first) are
        // both right; what matters is that the waiter returns only once the waker is done
        // with it, which loom checks as an access to a dropped object, and that the counts
        // and queues end clean.
        let _ = wait(&table, &word, 0, true);
        waker.join().unwrap();
        assert_quiet(&table);
    });
}

/// `wake(_, 1)` twice with two waiters: each wake releases one, and both finish.
#[test]
fn wake_one_of_two() {
    model(|| {
        let table = table(1);
        let word = Arc::new(AtomicU32::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (table, word) = (table.clone(), word.clone());
                thread::spawn(move || {
                    let _ = wait(&table, &word, 0, false);
                })
            })
            .collect();
        word.store(1, Release);
        wake(&table, &word, 1);
        wake(&table, &word, 1);
        for w in waiters {
            w.join().unwrap();
        }
        assert_quiet(&table);
    });
}

/// Two addresses in one bucket: a wake on one finds only its own waiter; both finish.
#[test]
fn two_addresses_share_a_bucket() {
    model(|| {
        let table = table(1);
        let words = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let waiters: Vec<_> = (0..2)
            .map(|i| {
                let (table, words) = (table.clone(), words.clone());
                thread::spawn(move || {
                    // One waiter starts with a timed wait (which times out at once in the
                    // model, or is woken), then both wait untimed until their word changes.
                    if i == 1 {
                        let _ = wait(&table, &words[i], 0, true);
                    }
                    while words[i].load(Acquire) == 0 {
                        let _ = wait(&table, &words[i], 0, false);
                    }
                })
            })
            .collect();
        for word in words.iter() {
            word.store(1, Release);
            wake(&table, word, u32::MAX);
        }
        for w in waiters {
            w.join().unwrap();
        }
        assert_quiet(&table);
    });
}

/// Two waiters on one word, and a wake of both. The waker must read each waiter's link to
/// the next *before* setting it: once set, a waiter may return and its frame is gone, at the
/// same moment as the next waiter's.
#[test]
fn wake_all_of_two() {
    model(|| {
        let table = table(1);
        let word = Arc::new(AtomicU32::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (table, word) = (table.clone(), word.clone());
                thread::spawn(move || {
                    while word.load(Acquire) == 0 {
                        let _ = wait(&table, &word, 0, false);
                    }
                })
            })
            .collect();
        word.store(1, Release);
        wake(&table, &word, u32::MAX);
        for w in waiters {
            w.join().unwrap();
        }
        assert_quiet(&table);
    });
}

/// The head of a queue times out with another waiter behind it: the head unlinks itself and
/// hands its place in the treap to the waiter behind (`Treap::replace`). The wake that follows
/// must find that waiter, not the frame of the head, which has returned.
#[test]
fn timed_out_head_with_a_waiter_behind() {
    model(|| {
        let table = table(1);
        let word = Arc::new(AtomicU32::new(0));
        let waiters: Vec<_> = [true, false]
            .into_iter()
            .map(|timed| {
                let (table, word) = (table.clone(), word.clone());
                thread::spawn(move || {
                    if timed {
                        // Times out at once in the model, unless the wake takes it first.
                        let _ = wait(&table, &word, 0, true);
                    } else {
                        while word.load(Acquire) == 0 {
                            let _ = wait(&table, &word, 0, false);
                        }
                    }
                })
            })
            .collect();
        word.store(1, Release);
        // Both, so that the untimed waiter is woken whichever is queued first; two rather than
        // all, so that a broken queue ends the walk instead of circling.
        wake(&table, &word, 2);
        for w in waiters {
            w.join().unwrap();
        }
        assert_quiet(&table);
    });
}

/// Two keys in the two buckets of a two-bucket table, the first's bucket first. Fixed, not the
/// words' addresses: loom replays each execution's schedule on the next, so which bucket a
/// key falls in must not change with where the allocator put a word.
fn keys_in_two_buckets() -> (usize, usize) {
    let bucket = |key| crate::backend::address_hash::index(key, 2);
    let first = (0x1000..).step_by(4).find(|&key| bucket(key) == 0).unwrap();
    let second = (0x1000..).step_by(4).find(|&key| bucket(key) == 1).unwrap();
    (first, second)
}

/// A waiter that sleeps on `key` while `word` holds 0 (once, or until it changes).
fn wait_on_key(table: &Table, key: usize, word: &AtomicU32, timeout: bool) -> Result<(), Timeout> {
    let timeout = timeout.then_some(core::time::Duration::from_secs(1));
    let still_expected = || word.load(WORD_ORDER) == 0;
    wait_on::<LoomLock, ParkEvent>(table, key, still_expected, timeout)
}

fn requeue(table: &Table, from: usize, word: &AtomicU32, to: usize, moves: u32) -> u32 {
    let still_expected = || word.load(WORD_ORDER) == 0;
    let done = super::requeue_on::<LoomLock, ParkEvent>(table, from, still_expected, to, 0, moves);
    done.map_or(0, |done| done.moved)
}

/// A requeue racing the waiter's announcement, its sleep and its return: the waiter sleeps on
/// the first key, or on the second once moved, and either way the wakes that follow (of the
/// second key, then of the first after the word changed) release it. Across two buckets, so
/// the moved waiter's count travels from one bucket's `pending` to the other's; both ways
/// round, since the requeue locks the buckets in table order.
#[test]
fn requeue_then_wakes_release_the_waiter() {
    for backwards in [false, true] {
        model(move || {
            let table = table(2);
            let word = Arc::new(AtomicU32::new(0));
            let (a, b) = keys_in_two_buckets();
            let (from, to) = if backwards { (b, a) } else { (a, b) };
            let waiter = {
                let (table, word) = (table.clone(), word.clone());
                thread::spawn(move || {
                    while word.load(Acquire) == 0 {
                        let _ = wait_on_key(&table, from, &word, false);
                    }
                })
            };
            requeue(&table, from, &word, to, 1);
            wake_on::<LoomLock, ParkEvent>(&table, to, 1);
            word.store(1, Release);
            wake_on::<LoomLock, ParkEvent>(&table, from, 1);
            waiter.join().unwrap();
            assert_quiet(&table);
        });
    }
}

/// A timeout racing a requeue across buckets: the timed-out waiter finds itself in the bucket
/// it was moved to (or in its own, if not moved yet) and unlinks itself there, or a wake of
/// the second key took it first and it waits for that wake's `set`. Either way it returns
/// only once nobody touches it, and both buckets end empty with their counts at zero.
#[test]
fn timeout_races_requeue() {
    model(|| {
        let table = table(2);
        let word = Arc::new(AtomicU32::new(0));
        let (from, to) = keys_in_two_buckets();
        let waiter = {
            let (table, word) = (table.clone(), word.clone());
            thread::spawn(move || {
                let _ = wait_on_key(&table, from, &word, true);
            })
        };
        requeue(&table, from, &word, to, 1);
        wake_on::<LoomLock, ParkEvent>(&table, to, 1);
        waiter.join().unwrap();
        assert_quiet(&table);
    });
}
