//! The locks and signals of `sync` awaited from async tasks, beside threads that block on the
//! same objects: tokio's multi-threaded runtime and plain threads contending one `Mutex`,
//! one `Semaphore`; cancellation at the await points; `ResetEvent` and `WaitGroup` waits.
//! Every test that waits has a timeout (a lost wake fails it instead of hanging).
#![cfg(all(feature = "async", feature = "sync", feature = "std", not(miri), not(loom)))]

use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use portable_futex::backend::Queue;
use portable_futex::sync::{generic, LockAsync, Mutex, ResetEvent, Semaphore, WaitGroup};

/// How long a test waits before it calls a wake lost: `PORTABLE_FUTEX_WATCHDOG_SECS` (as the
/// other suites' watchdogs; `cargo xtask mutants` sets 10), else 60 s.
fn limit() -> Duration {
    let secs = std::env::var("PORTABLE_FUTEX_WATCHDOG_SECS").ok().and_then(|s| s.parse().ok());
    Duration::from_secs(secs.unwrap_or(60))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().unwrap()
}

/// `future` on the runtime, failing the test (a lost wake) if it takes longer than [`limit`].
fn run<F: Future + Send + 'static>(runtime: &tokio::runtime::Runtime, future: F) -> F::Output
where
    F::Output: Send,
{
    runtime
        .block_on(async { tokio::time::timeout(limit(), future).await.expect("a wake was lost") })
}

/// Threads `lock` and tasks `lock_async` one mutex; every increment is counted once, and a
/// task holds its guard across an `.await` (the guard is `Send`).
fn threads_and_tasks_share_a_mutex<M>(mutex: Arc<M>, value: fn(&M) -> u64)
where
    M: LockAsync + Send + Sync + 'static,
    for<'a> M::Guard<'a>: std::ops::DerefMut<Target = u64> + Send,
    M: Lockable,
{
    const EACH: u64 = 2_000;
    const TASKS: u64 = 6;
    const THREADS: u64 = 2;
    let runtime = runtime();
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let mutex = mutex.clone();
            thread::spawn(move || {
                for _ in 0..EACH {
                    mutex.bump_blocking();
                }
            })
        })
        .collect();
    let tasks = {
        let mutex = mutex.clone();
        async move {
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    let mutex = mutex.clone();
                    tokio::spawn(async move {
                        for n in 0..EACH {
                            let mut guard = mutex.lock_async().await;
                            *guard += 1;
                            if (n + i) % 64 == 0 {
                                // Held across an await: the task may resume elsewhere.
                                tokio::task::yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }
    };
    run(&runtime, tasks);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(value(&mutex), (TASKS + THREADS) * EACH);
}

/// The blocking side of the test above, for each mutex type.
trait Lockable {
    fn bump_blocking(&self);
}

impl<B: portable_futex::FutexBackend> Lockable for generic::Mutex<B, u64> {
    fn bump_blocking(&self) {
        *self.lock() += 1;
    }
}

impl<B: portable_futex::FutexBackend> Lockable for generic::FairMutex<B, u64> {
    fn bump_blocking(&self) {
        *self.lock() += 1;
    }
}

#[test]
fn threads_and_tasks_share_a_mutex_on_the_default_backend() {
    threads_and_tasks_share_a_mutex(Arc::new(Mutex::new(0u64)), |m| *m.lock());
}

#[test]
fn threads_and_tasks_share_a_mutex_on_the_queue() {
    threads_and_tasks_share_a_mutex(Arc::new(generic::Mutex::<Queue, u64>::new(0)), |m| *m.lock());
}

#[test]
fn threads_and_tasks_share_a_fair_mutex() {
    let mutex = Arc::new(generic::FairMutex::<Queue, u64>::new(0));
    threads_and_tasks_share_a_mutex(mutex, |m| *m.lock());
}

/// Tasks cancelled while they wait for the mutex (their timeout drops the lock future) leave
/// its waiters as they were: the others, threads and tasks, all get it after.
// Clippy's lint knows lock_api's guard as a blocking lock's: here every task waits with
// `lock_async`, and the one thread that blocks runs outside the executor.
#[allow(clippy::await_holding_lock)]
#[test]
fn cancelled_lock_waits_strand_nobody() {
    let runtime = runtime();
    let mutex = Arc::new(Mutex::new(0u64));
    let blocker = mutex.clone();
    run(&runtime, async move {
        for round in 0..100u64 {
            let held = blocker.lock_async().await;
            let waiters: Vec<_> = (0..6u64)
                .map(|i| {
                    let mutex = blocker.clone();
                    tokio::spawn(async move {
                        // Half give up while queued, at different moments.
                        let limit =
                            if i % 2 == 0 { Duration::from_micros(20 * i) } else { limit() };
                        match tokio::time::timeout(limit, mutex.lock_async()).await {
                            Ok(mut guard) => {
                                *guard += 1;
                                true
                            }
                            Err(_) => false,
                        }
                    })
                })
                .collect();
            // A thread waits too.
            let thread = {
                let mutex = blocker.clone();
                thread::spawn(move || *mutex.lock() += 1)
            };
            tokio::time::sleep(Duration::from_micros(100 + round % 7 * 30)).await;
            drop(held);
            let mut finished = 0;
            for (i, w) in waiters.into_iter().enumerate() {
                let done = w.await.unwrap();
                assert!(done || i % 2 == 0, "a waiter that stayed did not get the mutex");
                finished += u64::from(done);
            }
            tokio::task::spawn_blocking(move || thread.join().unwrap()).await.unwrap();
            let _ = finished;
        }
    });
}

/// Threads and tasks share one semaphore of 2 permits: never more than 2 inside, and every
/// acquisition completes (a release's wake reaches whoever waits, a task or a thread).
#[test]
fn threads_and_tasks_share_a_semaphore() {
    const EACH: usize = 1_000;
    let runtime = runtime();
    let permits = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let enter = |inside: &AtomicUsize| {
        let now = inside.fetch_add(1, SeqCst) + 1;
        assert!(now <= 2, "{now} inside a semaphore of 2");
        inside.fetch_sub(1, SeqCst);
    };
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (permits, inside) = (permits.clone(), inside.clone());
            thread::spawn(move || {
                for _ in 0..EACH {
                    permits.acquire();
                    enter(&inside);
                    permits.release(1);
                }
            })
        })
        .collect();
    let (tasks_permits, tasks_inside) = (permits.clone(), inside.clone());
    run(&runtime, async move {
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (permits, inside) = (tasks_permits.clone(), tasks_inside.clone());
                tokio::spawn(async move {
                    for n in 0..EACH {
                        permits.acquire_async().await;
                        enter(&inside);
                        if (n + i) % 50 == 0 {
                            tokio::task::yield_now().await;
                        }
                        permits.release(1);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(permits.available_permits(), 2);
}

/// Acquirers cancelled while queued on an empty semaphore do not swallow its permits: the
/// ones that stay all get one.
#[test]
fn cancelled_acquires_leave_the_permits_to_the_others() {
    let runtime = runtime();
    run(&runtime, async {
        for _ in 0..50 {
            let permits = Arc::new(Semaphore::new(0));
            let waiters: Vec<_> = (0..8u64)
                .map(|i| {
                    let permits = permits.clone();
                    tokio::spawn(async move {
                        let limit =
                            if i % 2 == 0 { Duration::from_micros(10 * i + 5) } else { limit() };
                        tokio::time::timeout(limit, permits.acquire_async()).await.is_ok()
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_micros(60)).await;
            // One at a time, so that a wake spent on a cancelled waiter would show.
            for _ in 0..8 {
                permits.release(1);
                tokio::task::yield_now().await;
            }
            let mut got = 0;
            for (i, w) in waiters.into_iter().enumerate() {
                let ok = w.await.unwrap();
                assert!(ok || i % 2 == 0);
                got += u32::from(ok);
            }
            assert_eq!(permits.available_permits(), 8 - got);
        }
    });
}

/// A `ResetEvent` set by a thread releases tasks and threads waiting on it; a `WaitGroup`'s
/// last `done` likewise.
#[test]
fn events_release_tasks_and_threads() {
    let runtime = runtime();
    let event = Arc::new(ResetEvent::new());
    let group = Arc::new(WaitGroup::new());
    group.add(1);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (event, group) = (event.clone(), group.clone());
            thread::spawn(move || {
                event.wait();
                group.wait();
            })
        })
        .collect();
    let woken = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (event, group, woken) = (event.clone(), group.clone(), woken.clone());
            runtime.spawn(async move {
                event.wait_async().await;
                group.wait_async().await;
                woken.fetch_add(1, SeqCst);
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(20));
    assert_eq!(woken.load(SeqCst), 0);
    event.set();
    thread::sleep(Duration::from_millis(20));
    assert_eq!(woken.load(SeqCst), 0, "the group is still pending");
    group.done();
    run(&runtime, async move {
        for task in tasks {
            task.await.unwrap();
        }
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(woken.load(SeqCst), 4);
}
