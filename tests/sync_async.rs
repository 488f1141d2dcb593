//! The locks and signals of `sync` awaited from async tasks, beside threads that block on the
//! same objects: tokio's multi-threaded runtime and plain threads contending one `Mutex`,
//! one `RwLock`, one `Semaphore`, one `Condvar`; cancellation at the await points; `ResetEvent`
//! and `WaitGroup` waits.
//! Every test that waits has a timeout (a lost wake fails it instead of hanging).
#![cfg(all(feature = "async", feature = "sync", feature = "std", not(miri), not(loom)))]

use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use portable_futex::backend::Queue;
use portable_futex::sync::{
    generic, Condvar, CondvarAsync, LockAsync, Mutex, ResetEvent, RwLock, RwLockAsync, Semaphore,
    UpgradeAsync, WaitGroup,
};
use portable_futex::FutexBackend;

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
    // A second guard outside the runtime: a task that never yields (a future that is always
    // ready, in a loop) holds a current-thread runtime, timer and all.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let test = thread::current().name().unwrap_or("?").to_owned();
    thread::spawn(move || {
        let late = limit() + Duration::from_secs(5);
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(late) {
            lost_in(&test, "the runtime's thread");
        }
    });
    let output = match runtime.block_on(async { tokio::time::timeout(limit(), future).await }) {
        Ok(output) => output,
        Err(_) => lost("the runtime's tasks"),
    };
    drop(done);
    output
}

/// Joins `thread`, failing the test (a lost wake) if it has not finished within [`limit`].
fn join<T>(thread: thread::JoinHandle<T>) -> T {
    let end = std::time::Instant::now() + limit();
    while !thread.is_finished() {
        if std::time::Instant::now() > end {
            lost("a thread");
        }
        thread::sleep(Duration::from_millis(1));
    }
    thread.join().unwrap()
}

/// A wait that outlived [`limit`]: a lost wake. Ends the whole test process (status 101)
/// after saying so, as the other suites' watchdogs do under `cargo xtask mutants`: a runtime
/// whose tasks or blocking threads hang cannot be shut down, and its drop would wait for them
/// for good.
fn lost(what: &str) -> ! {
    lost_in(thread::current().name().unwrap_or("?"), what)
}

/// [`lost`], for test `test`.
fn lost_in(test: &str, what: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{test}: {what} still waiting after {:?}: a wake was lost; ending the test process",
        limit()
    );
    std::process::exit(101)
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
        join(t);
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
            tokio::task::spawn_blocking(move || join(thread)).await.unwrap();
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
        join(t);
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
        join(t);
    }
    assert_eq!(woken.load(SeqCst), 4);
}

/// Threads and tasks share one `RwLock` over a pair that writers keep equal: every reader
/// (plain, upgradable, a thread's or a task's) sees it equal, every write is counted once,
/// and tasks hold their guards across awaits.
// Every task waits with the async forms, and the threads run outside the executor.
#[allow(clippy::await_holding_lock)]
fn threads_and_tasks_share_an_rwlock<B: FutexBackend + 'static>() {
    const EACH: u64 = 1_000;
    let runtime = runtime();
    let lock = Arc::new(generic::RwLock::<B, (u64, u64)>::new((0, 0)));
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let lock = lock.clone();
            thread::spawn(move || {
                for n in 0..EACH {
                    if (n + t) % 3 == 0 {
                        let mut pair = lock.write();
                        pair.0 += 1;
                        pair.1 += 1;
                    } else {
                        let pair = lock.read();
                        assert_eq!(pair.0, pair.1, "a thread read half a write");
                    }
                }
            })
        })
        .collect();
    let tasks_lock = lock.clone();
    run(&runtime, async move {
        let tasks: Vec<_> = (0..6u64)
            .map(|i| {
                let lock = tasks_lock.clone();
                tokio::spawn(async move {
                    for n in 0..EACH {
                        match (n + i) % 4 {
                            0 => {
                                let mut pair = lock.write_async().await;
                                pair.0 += 1;
                                if n % 16 == 0 {
                                    tokio::task::yield_now().await;
                                }
                                pair.1 += 1;
                            }
                            1 => {
                                let pair = lock.upgradable_read_async().await;
                                assert_eq!(pair.0, pair.1, "an upgradable read saw half a write");
                                let mut pair = pair.upgrade_async().await;
                                pair.0 += 1;
                                pair.1 += 1;
                            }
                            _ => {
                                let pair = lock.read_async().await;
                                if n % 16 == 1 {
                                    tokio::task::yield_now().await;
                                }
                                assert_eq!(pair.0, pair.1, "a task read half a write");
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    for t in threads {
        join(t);
    }
    let writes_by_threads: u64 =
        (0..2u64).map(|t| (0..EACH).filter(|n| (n + t) % 3 == 0).count() as u64).sum();
    let writes_by_tasks: u64 =
        (0..6u64).map(|i| (0..EACH).filter(|n| (n + i) % 4 < 2).count() as u64).sum();
    assert_eq!(
        *lock.read(),
        (writes_by_threads + writes_by_tasks, writes_by_threads + writes_by_tasks)
    );
}

#[test]
fn threads_and_tasks_share_an_rwlock_on_the_default_backend() {
    threads_and_tasks_share_an_rwlock::<portable_futex::DefaultBackend>();
}

#[test]
fn threads_and_tasks_share_an_rwlock_on_the_queue() {
    threads_and_tasks_share_an_rwlock::<Queue>();
}

/// Readers, writers and an upgrader cancelled while they wait (their timeouts drop the
/// futures) leave the lock's waiters as they were: the ones that stay all get in, and a
/// cancelled upgrade gives its upgradable read back.
#[allow(clippy::await_holding_lock)] // every task waits with the async forms
#[test]
fn cancelled_rwlock_waits_strand_nobody() {
    let runtime = runtime();
    let lock = Arc::new(RwLock::new(0u64));
    let blocker = lock.clone();
    run(&runtime, async move {
        for round in 0..60u64 {
            let held = blocker.write_async().await;
            let waiters: Vec<_> = (0..8u64)
                .map(|i| {
                    let lock = blocker.clone();
                    tokio::spawn(async move {
                        let limit =
                            if i % 2 == 0 { Duration::from_micros(15 * i + 5) } else { limit() };
                        let got = match i % 4 {
                            0 | 1 => {
                                tokio::time::timeout(limit, async {
                                    *lock.write_async().await += 1;
                                })
                                .await
                            }
                            2 => {
                                tokio::time::timeout(limit, async {
                                    let _ = *lock.read_async().await;
                                })
                                .await
                            }
                            _ => {
                                tokio::time::timeout(limit, async {
                                    let _ = *lock.upgradable_read_async().await;
                                })
                                .await
                            }
                        };
                        got.is_ok()
                    })
                })
                .collect();
            // A thread writes too.
            let thread = {
                let lock = blocker.clone();
                thread::spawn(move || *lock.write() += 1)
            };
            tokio::time::sleep(Duration::from_micros(100 + round % 7 * 30)).await;
            drop(held);
            for (i, w) in waiters.into_iter().enumerate() {
                let done = w.await.unwrap();
                assert!(done || i % 2 == 0, "a waiter that stayed did not get the lock");
            }
            tokio::task::spawn_blocking(move || join(thread)).await.unwrap();

            // A write cancelled while a reader holds the lock: the writers' bit it set to hold
            // new readers back goes with it.
            let reader = blocker.read_async().await;
            let write = blocker.write_async();
            assert!(tokio::time::timeout(Duration::from_micros(50), write).await.is_err());
            drop(reader);
            let _ = *blocker.read_async().await;

            // An upgrade cancelled while another reader stays inside.
            let reader = blocker.read_async().await;
            let upgradable = blocker.upgradable_read_async().await;
            let upgrade = upgradable.upgrade_async();
            assert!(tokio::time::timeout(Duration::from_micros(50), upgrade).await.is_err());
            drop(reader);
            // The upgradable read went with the future, and the writers' bit it set to hold
            // readers back went with it: a reader gets in, then a writer.
            let _ = *blocker.read_async().await;
            *blocker.write_async().await += 1;
        }
    });
}

/// A producer thread hands items one at a time (a notification each) to consumers waiting on
/// one condition variable, tasks and threads alike; each item is taken once and every consumer
/// finishes (no notification is lost between the two kinds).
// Every task waits with the async forms, and the threads run outside the executor.
#[allow(clippy::await_holding_lock)]
fn threads_and_tasks_share_a_condvar<B: FutexBackend + 'static>(notify_all: bool) {
    const ITEMS_EACH: u64 = 300;
    const TASKS: u64 = 4;
    const THREADS: u64 = 2;
    let runtime = runtime();
    let items = Arc::new(generic::Mutex::<B, u64>::new(0));
    let changed = Arc::new(generic::Condvar::<B>::new());
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (items, changed) = (items.clone(), changed.clone());
            thread::spawn(move || {
                for _ in 0..ITEMS_EACH {
                    let mut items = items.lock();
                    changed.wait_while(&mut items, |items| *items == 0);
                    *items -= 1;
                }
            })
        })
        .collect();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (items, changed) = (items.clone(), changed.clone());
            runtime.spawn(async move {
                for n in 0..ITEMS_EACH {
                    let ready = items.lock_async().await;
                    let mut ready = changed.wait_while_async(ready, |items| *items == 0).await;
                    *ready -= 1;
                    drop(ready);
                    if n % 8 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    let producer = {
        let (items, changed) = (items.clone(), changed.clone());
        thread::spawn(move || {
            for _ in 0..(TASKS + THREADS) * ITEMS_EACH {
                *items.lock() += 1;
                if notify_all {
                    changed.notify_all();
                } else {
                    changed.notify_one();
                }
            }
        })
    };
    run(&runtime, async move {
        for task in tasks {
            task.await.unwrap();
        }
    });
    for t in threads {
        join(t);
    }
    join(producer);
    assert_eq!(*items.lock(), 0);
}

#[test]
fn threads_and_tasks_share_a_condvar_notified_one_at_a_time() {
    threads_and_tasks_share_a_condvar::<portable_futex::DefaultBackend>(false);
    threads_and_tasks_share_a_condvar::<Queue>(false);
}

#[test]
fn threads_and_tasks_share_a_condvar_notified_all() {
    threads_and_tasks_share_a_condvar::<portable_futex::DefaultBackend>(true);
    threads_and_tasks_share_a_condvar::<Queue>(true);
}

/// Tasks alone on a condition variable, notified by a thread: with this crate's mutex (whose
/// condition variable counts its waiters, and notifies nobody when none is counted) and with
/// the fair mutex (whose condition variable wakes, never moves).
fn tasks_alone_on_a_condvar<R>(notify_all: bool)
where
    R: portable_futex::sync::RawMutexAsync + 'static,
    generic::Condvar<Queue, R>: CondvarAsync<R>,
{
    let runtime = runtime();
    let ready = Arc::new(portable_futex::sync::lock_api::Mutex::<R, bool>::new(false));
    let changed = Arc::new(generic::Condvar::<Queue, R>::new());
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let (ready, changed) = (ready.clone(), changed.clone());
            runtime.spawn(async move {
                let guard = ready.lock_async().await;
                assert!(*changed.wait_while_async(guard, |ready| !*ready).await);
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(5));
    *ready.lock() = true;
    if notify_all {
        changed.notify_all();
    } else {
        for _ in 0..3 {
            changed.notify_one();
        }
    }
    run(&runtime, async move {
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn tasks_alone_on_a_condvar_are_notified() {
    for notify_all in [false, true] {
        tasks_alone_on_a_condvar::<portable_futex::sync::RawMutex<Queue>>(notify_all);
        tasks_alone_on_a_condvar::<portable_futex::sync::RawFairMutex<Queue>>(notify_all);
    }
}

/// Condition-variable waits cancelled while they wait (or while they take the mutex back)
/// pass on the notifications that chose them: the waiters that stay all get an item.
#[test]
fn cancelled_condvar_waits_pass_their_notifications_on() {
    const STAYING_TASKS: u64 = 3;
    let runtime = runtime();
    run(&runtime, async {
        for round in 0..50u64 {
            let items = Arc::new(Mutex::new(0u64));
            let changed = Arc::new(Condvar::new());
            let consume = |cancel: Option<Duration>| {
                let (items, changed) = (items.clone(), changed.clone());
                tokio::spawn(async move {
                    let wait = async {
                        let ready = items.lock_async().await;
                        let mut ready = changed.wait_while_async(ready, |items| *items == 0).await;
                        *ready -= 1;
                    };
                    tokio::time::timeout(cancel.unwrap_or(limit()), wait).await.is_ok()
                })
            };
            let cancelled: Vec<_> =
                (0..3u64).map(|i| consume(Some(Duration::from_micros(300 * i + 100)))).collect();
            let staying: Vec<_> = (0..STAYING_TASKS).map(|_| consume(None)).collect();
            // A thread waits for one too.
            let thread = {
                let (items, changed) = (items.clone(), changed.clone());
                thread::spawn(move || {
                    let mut items = items.lock();
                    changed.wait_while(&mut items, |items| *items == 0);
                    *items -= 1;
                })
            };
            // One item (and one notification) per waiter that stays, while the others are
            // being cancelled; then one more for each cancelled waiter that took one in time.
            tokio::time::sleep(Duration::from_micros(round % 5 * 200)).await;
            let produce = |n: u64| {
                let (items, changed) = (items.clone(), changed.clone());
                async move {
                    for _ in 0..n {
                        *items.lock_async().await += 1;
                        changed.notify_one();
                        tokio::task::yield_now().await;
                    }
                }
            };
            produce(STAYING_TASKS + 1).await;
            let mut took = 0;
            for w in cancelled {
                took += u64::from(w.await.unwrap());
            }
            produce(took).await;
            for w in staying {
                assert!(w.await.unwrap(), "a waiter that stayed got no item");
            }
            tokio::task::spawn_blocking(move || join(thread)).await.unwrap();
            assert_eq!(*items.lock_async().await, 0);
        }
    });
}

/// A thread that waits for a mutex that tasks keep passing between them is not starved: on a
/// backend that counts its wakes (Linux, the queue), a wake now and then goes to the sleeping
/// threads first, and the thread, woken often enough, is owed the mutex after its losses.
/// (With wakes always to tasks first, the thread here was never woken: both tasks are always
/// registered when the other unlocks.)
// The tasks wait with `lock_async`; the one thread that blocks runs outside the executor.
#[allow(clippy::await_holding_lock)]
fn a_thread_is_not_starved_by_tasks<B: FutexBackend + 'static>() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let mutex = Arc::new(generic::Mutex::<B, u64>::new(0));
    let got = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (mutex, got) = (mutex.clone(), got.clone());
            runtime.spawn(async move {
                while !got.load(SeqCst) {
                    let mut guard = mutex.lock_async().await;
                    *guard += 1;
                    // Held across an await: the other task registers and waits meanwhile.
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let thread = {
        let (mutex, got) = (mutex.clone(), got.clone());
        thread::spawn(move || {
            // Let the tasks get going first.
            while *mutex.lock() < 100 {
                thread::yield_now();
            }
            got.store(true, SeqCst);
        })
    };
    run(&runtime, async move {
        for task in tasks {
            task.await.unwrap();
        }
    });
    join(thread);
}

#[test]
fn a_thread_is_not_starved_by_tasks_on_the_default_backend() {
    a_thread_is_not_starved_by_tasks::<portable_futex::DefaultBackend>();
}

#[test]
fn a_thread_is_not_starved_by_tasks_on_the_queue() {
    a_thread_is_not_starved_by_tasks::<Queue>();
}

/// A task notified (the notification chose it: tasks first) and then cancelled while it takes
/// the mutex back, which the notifier still holds, passes the notification on: the thread
/// that waits too gets the item.
#[test]
fn a_task_cancelled_while_it_relocks_passes_its_notification_on() {
    for round in 0..2 {
        let runtime = runtime();
        let items = Arc::new(Mutex::new(0u64));
        let changed = Arc::new(Condvar::new());
        let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
        let task = {
            let (items, changed) = (items.clone(), changed.clone());
            runtime.spawn(async move {
                let wait = async {
                    let ready = items.lock_async().await;
                    let mut ready = changed.wait_while_async(ready, |items| *items == 0).await;
                    *ready -= 1;
                };
                // Biased, the cancellation first: once it is sent the task must not take the
                // item, even if the mutex is free again when it is polled.
                tokio::select! {
                    biased;
                    _ = cancelled => false,
                    () = wait => true,
                }
            })
        };
        let thread = {
            let (items, changed) = (items.clone(), changed.clone());
            thread::spawn(move || {
                let mut items = items.lock();
                changed.wait_while(&mut items, |items| *items == 0);
                *items -= 1;
            })
        };
        // Both wait by now (the task first or not: it is woken first either way).
        thread::sleep(Duration::from_millis(20));
        {
            let mut held = items.lock();
            *held += 1;
            changed.notify_one();
            // The task wakes, finds the mutex held and waits for it; then it is cancelled.
            thread::sleep(Duration::from_millis(20));
            cancel.send(()).unwrap();
            thread::sleep(Duration::from_millis(if round == 0 { 20 } else { 1 }));
        }
        let took = run(&runtime, async move { task.await.unwrap() });
        assert!(!took, "the task was cancelled before it could take the item");
        join(thread);
        assert_eq!(*items.lock(), 0);
    }
}
