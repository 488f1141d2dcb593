//! `wait_async`: async waiters on the same words as threads, on several backends.
//!
//! The first tests poll the futures by hand with a counting `Waker`, so that each step (the
//! link, a wake choosing a future, a drop that passes a wake on) is checked exactly; Miri
//! runs them (pinned nodes on the stack, freed after a wake chose them). The last ones run
//! tokio's multi-threaded executor with plain threads beside it.
#![cfg(all(feature = "async", feature = "std", not(loom)))]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

#[path = "common/mod.rs"]
mod common;

use portable_futex::backend::Queue;
use portable_futex::{Futex, FutexBackend};

/// A `Waker` that counts its wakes.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count::default());
    (count.clone(), Waker::from(count))
}

fn poll<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

/// Runs `future` to completion on this thread, parking between polls.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = poll(future.as_mut(), &waker) {
            return out;
        }
        thread::park();
    }
}

/// The checks that need no second thread, on backend `B`.
fn by_hand<B: FutexBackend>() {
    let word = AtomicU32::new(0);
    let (count, waker) = counting();

    // A word that differs: ready at once, nothing linked.
    assert!(poll(pin!(Futex::<B>::wait_async(&word, 1)), &waker).is_ready());

    // Linked, then woken: the waker called once, the future ready, and polls after stay so.
    {
        let mut wait = pin!(Futex::<B>::wait_async(&word, 0));
        assert!(poll(wait.as_mut(), &waker).is_pending());
        assert!(poll(wait.as_mut(), &waker).is_pending(), "no wake yet");
        Futex::<B>::wake(&word, 1);
        assert_eq!(count.0.load(SeqCst), 1);
        assert!(poll(wait.as_mut(), &waker).is_ready());
        assert!(poll(wait.as_mut(), &waker).is_ready());
    }

    // Dropped while pending: unlinked, and a later wake finds nobody (no waker called, and
    // under Miri no touch of the freed future).
    {
        let mut wait = pin!(Futex::<B>::wait_async(&word, 0));
        assert!(poll(wait.as_mut(), &waker).is_pending());
    }
    Futex::<B>::wake(&word, u32::MAX);
    assert_eq!(count.0.load(SeqCst), 1);

    // First come, first woken; at most `n`.
    {
        let (first, first_waker) = counting();
        let (second, second_waker) = counting();
        let mut a = pin!(Futex::<B>::wait_async(&word, 0));
        let mut b = pin!(Futex::<B>::wait_async(&word, 0));
        assert!(poll(a.as_mut(), &first_waker).is_pending());
        assert!(poll(b.as_mut(), &second_waker).is_pending());
        Futex::<B>::wake(&word, 1);
        assert_eq!((first.0.load(SeqCst), second.0.load(SeqCst)), (1, 0));
        assert!(poll(b.as_mut(), &second_waker).is_pending());
        assert!(poll(a.as_mut(), &first_waker).is_ready());
        Futex::<B>::wake(&word, 1);
        assert!(poll(b.as_mut(), &second_waker).is_ready());
    }

    // A wake that chose a future that is then dropped, unpolled, goes to the next waiter.
    {
        let (second, second_waker) = counting();
        let mut b = pin!(Futex::<B>::wait_async(&word, 0));
        {
            let mut a = pin!(Futex::<B>::wait_async(&word, 0));
            assert!(poll(a.as_mut(), &waker).is_pending());
            assert!(poll(b.as_mut(), &second_waker).is_pending());
            Futex::<B>::wake(&word, 1);
            assert_eq!(second.0.load(SeqCst), 0, "the first came first");
        }
        assert_eq!(second.0.load(SeqCst), 1, "the dropped one passed its wake on");
        assert!(poll(b.as_mut(), &second_waker).is_ready());
    }

    // The waker given at the last poll is the one woken.
    {
        let (old, old_waker) = counting();
        let (new, new_waker) = counting();
        let mut wait = pin!(Futex::<B>::wait_async(&word, 0));
        assert!(poll(wait.as_mut(), &old_waker).is_pending());
        assert!(poll(wait.as_mut(), &new_waker).is_pending());
        Futex::<B>::wake(&word, 1);
        assert_eq!((old.0.load(SeqCst), new.0.load(SeqCst)), (0, 1));
    }

    // More waiters than one batch of the wake, on two words that may share a bucket.
    {
        let other = AtomicU32::new(0);
        let wakers: Vec<_> = (0..20).map(|_| counting()).collect();
        let mut waits: Vec<_> = (0..20)
            .map(|i| Box::pin(Futex::<B>::wait_async(if i % 2 == 0 { &word } else { &other }, 0)))
            .collect();
        for (wait, (_, waker)) in waits.iter_mut().zip(&wakers) {
            assert!(poll(wait.as_mut(), waker).is_pending());
        }
        Futex::<B>::wake(&word, u32::MAX);
        let woke: Vec<usize> = wakers.iter().map(|(c, _)| c.0.load(SeqCst)).collect();
        let expected: Vec<usize> = (0..20).map(|i| usize::from(i % 2 == 0)).collect();
        assert_eq!(woke, expected);
        Futex::<B>::wake(&other, 3);
        let woken = wakers.iter().filter(|(c, _)| c.0.load(SeqCst) == 1).count();
        assert_eq!(woken, 13);
    }
}

/// A `Waker` whose `wake` panics.
struct Panics;

impl Wake for Panics {
    fn wake(self: Arc<Self>) {
        panic!("the executor's waker panicked");
    }
}

/// A panicking `Waker` lets its panic out of `wake`, but the other tasks taken with it are
/// still woken (their nodes are off the list, and nothing else would wake them).
fn a_panicking_waker_strands_no_other_task<B: FutexBackend>() {
    let word = AtomicU32::new(0);
    let (count, waker) = counting();
    let panics = Waker::from(Arc::new(Panics));
    let mut first = pin!(Futex::<B>::wait_async(&word, 0));
    let mut second = pin!(Futex::<B>::wait_async(&word, 0));
    assert!(poll(first.as_mut(), &panics).is_pending());
    assert!(poll(second.as_mut(), &waker).is_pending());
    let woke = std::panic::catch_unwind(|| Futex::<B>::wake(&word, 2));
    assert!(woke.is_err(), "the waker's panic comes out");
    assert_eq!(count.0.load(SeqCst), 1, "the second task was woken all the same");
    assert!(poll(second.as_mut(), &waker).is_ready());
    assert!(poll(first.as_mut(), &waker).is_ready());
}

#[test]
fn a_panicking_waker_on_the_queue() {
    a_panicking_waker_strands_no_other_task::<Queue>();
}

#[test]
fn by_hand_on_the_queue() {
    by_hand::<Queue>();
}

#[cfg(target_os = "linux")]
#[test]
fn by_hand_on_linux() {
    by_hand::<portable_futex::backend::Linux>();
}

#[test]
fn by_hand_on_the_default_backend() {
    by_hand::<portable_futex::DefaultBackend>();
}

/// `requeue` never moves an async waiter: it wakes tasks of `from` in place of the threads it
/// would wake or move, counted against `max_wake` first and in `woken`, and gives the backend
/// what is left of both counts; a call whose counts the tasks use up only compares (and says
/// how many it woke, whether or not the backend counts: `counts`).
fn requeue_wakes_tasks_in_place_of_moves<B: FutexBackend>(counts: bool) {
    use portable_futex::{Requeued, WordChanged};
    let (from, to) = (AtomicU32::new(0), AtomicU32::new(0));
    let (count, waker) = counting();
    // Two tasks, counts to spare: both woken, nothing to move.
    let mut first = pin!(Futex::<B>::wait_async(&from, 0));
    let mut second = pin!(Futex::<B>::wait_async(&from, 0));
    assert!(poll(first.as_mut(), &waker).is_pending());
    assert!(poll(second.as_mut(), &waker).is_pending());
    let woken = if counts { Some(2) } else { None };
    assert_eq!(Futex::<B>::requeue(&from, 0, &to, 1, 5), Ok(Requeued { woken, moved: 0 }));
    assert_eq!(count.0.load(SeqCst), 2);
    assert!(poll(first.as_mut(), &waker).is_ready() && poll(second.as_mut(), &waker).is_ready());
    // Two tasks using up both counts: the call only compares, after waking them.
    for (expect, answer) in [(0, Ok(Requeued { woken: Some(2), moved: 0 })), (1, Err(WordChanged))]
    {
        let mut first = pin!(Futex::<B>::wait_async(&from, 0));
        let mut second = pin!(Futex::<B>::wait_async(&from, 0));
        assert!(poll(first.as_mut(), &waker).is_pending());
        assert!(poll(second.as_mut(), &waker).is_pending());
        let before = count.0.load(SeqCst);
        assert_eq!(Futex::<B>::requeue(&from, expect, &to, 1, 1), answer);
        assert_eq!(count.0.load(SeqCst), before + 2, "woken even when the word changed");
    }
}

/// A pending future says what it waits for when printed.
#[test]
fn a_wait_prints_its_word_and_state() {
    let word = AtomicU32::new(7);
    let mut wait = pin!(Futex::<Queue>::wait_async(&word, 7));
    let (_, waker) = counting();
    assert!(format!("{wait:?}").contains("expect: 7, state: New"));
    assert!(poll(wait.as_mut(), &waker).is_pending());
    assert!(format!("{wait:?}").contains("state: Linked"));
}

/// A backend with only the two required functions (so the provided `requeue`, which wakes
/// and cannot count), for tests where no thread ever waits.
struct NoThreads;

impl FutexBackend for NoThreads {
    fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), portable_futex::Timeout> {
        unreachable!("no thread waits in these tests")
    }
    fn wake(_: *const AtomicU32, _: u32) {}
}

#[test]
fn requeue_wakes_tasks_on_the_queue() {
    requeue_wakes_tasks_in_place_of_moves::<Queue>(true);
}

#[test]
fn requeue_wakes_tasks_on_a_backend_that_cannot_count() {
    requeue_wakes_tasks_in_place_of_moves::<NoThreads>(false);
}

/// With one task and three threads on `from`, `requeue(from, 0, to, 2, 2)` wakes the task
/// and one thread, and moves two threads onto `to`, where a wake of `to` finds them.
#[cfg_attr(miri, ignore)] // threads asleep in the queue: the test above covers Miri's part
#[test]
fn requeue_with_a_task_and_threads() {
    use portable_futex::Requeued;
    type F = Futex<Queue>;
    let from = Arc::new(AtomicU32::new(0));
    let to = Arc::new(AtomicU32::new(0));
    let (count, waker) = counting();
    let mut task = pin!(F::wait_async(&from, 0));
    assert!(poll(task.as_mut(), &waker).is_pending());
    let returned = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (from, returned, tx) = (from.clone(), returned.clone(), tx.clone());
            thread::spawn(move || {
                tx.send(common::thread_id()).unwrap();
                F::wait(&from, 0);
                returned.fetch_add(1, SeqCst);
            })
        })
        .collect();
    // All three asleep (none returns before a wake: the word stays 0).
    let tids: Vec<_> = rx.iter().take(3).collect();
    common::wait_until_asleep(&tids);
    assert_eq!(F::requeue(&from, 0, &*to, 2, 2), Ok(Requeued { woken: Some(2), moved: 2 }));
    assert_eq!(count.0.load(SeqCst), 1, "the task was woken");
    assert!(poll(task.as_mut(), &waker).is_ready());
    // The moved two sleep on `to` now.
    let start = std::time::Instant::now();
    while returned.load(SeqCst) < 1 {
        assert!(start.elapsed() < Duration::from_secs(60), "the woken thread never returned");
        thread::sleep(Duration::from_millis(1));
    }
    thread::sleep(Duration::from_millis(20));
    assert_eq!(returned.load(SeqCst), 1, "only one thread was woken");
    F::wake(&to, u32::MAX);
    while returned.load(SeqCst) < 3 {
        assert!(start.elapsed() < Duration::from_secs(60), "the moved threads were not on `to`");
        thread::sleep(Duration::from_millis(1));
    }
    for t in threads {
        t.join().unwrap();
    }
}

/// A condition-variable wait leaked while it waits (a boxed future forgotten: safe code) keeps
/// a task counted among the condition variable's waiters after its mutex is freed: the
/// notifications must not touch that mutex (Miri checks). While a task is counted they wake
/// rather than move waiters onto the mutex, and so never read the stored address.
#[cfg(feature = "sync")]
#[test]
fn a_leaked_condvar_wait_leaves_no_dangling_mutex() {
    use portable_futex::sync::{generic, CondvarAsync};
    use std::sync::atomic::AtomicPtr;

    // Statics: the leaked node stays in the tasks' table under the counter's address, which
    // no other word may ever reuse; the leaked future is reachable from `LEAKED` (not a
    // leak to Miri).
    static CHANGED: generic::Condvar<Queue> = generic::Condvar::new();
    static LEAKED: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());
    let (count, waker) = counting();
    let mutex = Box::new(generic::Mutex::<Queue, u32>::new(0));
    {
        let guard = mutex.try_lock().unwrap();
        let mut wait = Box::pin(CHANGED.wait_async(guard));
        assert!(poll(wait.as_mut(), &waker).is_pending());
        // SAFETY: the future is never moved or dropped: its box is leaked, pinned where it is.
        let leaked = Box::into_raw(unsafe { std::pin::Pin::into_inner_unchecked(wait) });
        LEAKED.store(leaked.cast(), SeqCst);
    }
    assert!(!mutex.is_locked(), "the wait released the mutex");
    drop(mutex);
    CHANGED.notify_one();
    CHANGED.notify_all();
    assert_eq!(count.0.load(SeqCst), 1, "the leaked task was woken by the first notification");
}

/// A task and threads on one word: wakes go to tasks first, at most `n` in all (the queue
/// counts exactly), and the rest reach the threads.
#[cfg_attr(miri, ignore)] // threads that sleep in the backend: the other tests cover Miri's part
#[test]
fn tasks_and_threads_share_a_wake() {
    let word = Arc::new(AtomicU32::new(0));
    let asleep = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (word, asleep) = (word.clone(), asleep.clone());
            thread::spawn(move || {
                asleep.fetch_add(1, SeqCst);
                while word.load(SeqCst) == 0 {
                    Futex::<Queue>::wait(&word, 0);
                }
            })
        })
        .collect();
    while asleep.load(SeqCst) < 2 {
        thread::yield_now();
    }
    thread::sleep(Duration::from_millis(50));
    let (count, waker) = counting();
    let mut task = pin!(Futex::<Queue>::wait_async(&word, 0));
    assert!(poll(task.as_mut(), &waker).is_pending());
    // One wake: the task's, not a thread's.
    Futex::<Queue>::wake(&word, 1);
    assert_eq!(count.0.load(SeqCst), 1);
    assert!(poll(task.as_mut(), &waker).is_ready());
    word.store(1, SeqCst);
    Futex::<Queue>::wake(&word, u32::MAX);
    for t in threads {
        t.join().unwrap();
    }
}

/// A thread wakes a task blocked in `block_on` on another.
#[cfg_attr(miri, ignore)]
#[test]
fn a_thread_wakes_a_task() {
    let word = Arc::new(AtomicU32::new(0));
    let task = {
        let word = word.clone();
        thread::spawn(move || {
            block_on(async {
                while word.load(Acquire) == 0 {
                    portable_futex::wait_async(&word, 0).await;
                }
            })
        })
    };
    thread::sleep(Duration::from_millis(20));
    word.store(1, Release);
    portable_futex::wake(&word, 1);
    task.join().unwrap();
}

/// tokio's multi-threaded runtime: tasks and threads take turns on one counter through a
/// word, each waiting for its number; no wake may be lost (the test would hang).
#[cfg_attr(miri, ignore)]
#[test]
fn tokio_tasks_and_threads_take_turns() {
    const ROUNDS: u32 = 200;
    const TASKS: u32 = 4;
    const THREADS: u32 = 2;
    let everyone = TASKS + THREADS;
    let turn = Arc::new(AtomicU32::new(0));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let turn = turn.clone();
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    let mine = round * everyone + TASKS + i;
                    loop {
                        let now = turn.load(Acquire);
                        if now == mine {
                            break;
                        }
                        portable_futex::wait(&turn, now);
                    }
                    turn.store(mine + 1, Release);
                    portable_futex::wake(&turn, u32::MAX);
                }
            })
        })
        .collect();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let turn = turn.clone();
                tokio::spawn(async move {
                    for round in 0..ROUNDS {
                        let mine = round * everyone + i;
                        loop {
                            let now = turn.load(Acquire);
                            if now == mine {
                                break;
                            }
                            portable_futex::wait_async(&turn, now).await;
                        }
                        turn.store(mine + 1, Release);
                        portable_futex::wake(&turn, u32::MAX);
                    }
                })
            })
            .collect();
        let all = async {
            for task in tasks {
                task.await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(60), all).await.expect("a wake was lost");
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(turn.load(SeqCst), ROUNDS * everyone);
}

/// Tasks cancelled while they wait (a timeout drops them) leave nothing behind: the wakes
/// after reach the waiters still there, and a wake aimed at a cancelled one is passed on.
#[cfg_attr(miri, ignore)]
#[test]
fn tokio_cancelled_waiters_pass_their_wakes_on() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let word = Arc::new(AtomicU32::new(0));
        for _ in 0..50 {
            word.store(0, SeqCst);
            // Some give up soon, some stay.
            let waiters: Vec<_> = (0..8)
                .map(|i| {
                    let word = word.clone();
                    tokio::spawn(async move {
                        let limit = Duration::from_micros(if i % 2 == 0 { 50 } else { 60_000_000 });
                        let wait = async {
                            while word.load(Acquire) == 0 {
                                portable_futex::wait_async(&word, 0).await;
                            }
                        };
                        tokio::time::timeout(limit, wait).await.is_ok()
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_micros(100)).await;
            word.store(1, Release);
            // One wake at a time: each woken waiter that finds the word set is done; the
            // cancelled ones must not swallow any.
            for _ in 0..8 {
                portable_futex::wake(&word, 1);
                tokio::task::yield_now().await;
            }
            portable_futex::wake(&word, u32::MAX);
            let finished = async {
                let mut finished = Vec::new();
                for w in waiters {
                    finished.push(w.await.unwrap());
                }
                finished
            };
            let finished = tokio::time::timeout(Duration::from_secs(60), finished).await;
            let finished = finished.expect("a wake was lost");
            // The waiters with the long timeout all saw the word set.
            assert!(finished.iter().skip(1).step_by(2).all(|&done| done), "{finished:?}");
        }
    });
}
