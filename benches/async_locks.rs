//! `cargo bench --bench async_locks` (in `cargo xtask bench`): our locks awaited from async
//! tasks beside the async locks their users pick instead, `tokio::sync` and `async-lock`, in
//! one run so that the ratios hold on a noisy machine.
//!
//! Rows (each repeated, the median shown with the spread; time, lower is better):
//!
//! - **Mutex, tasks contending**: 8 tasks on tokio's multi-threaded runtime (2 workers) each
//!   take the mutex 20,000 times to bump a counter; ns per lock + unlock.
//! - **Mutex, tasks and threads**: the same with 2 plain threads locking too (theirs a blocking
//!   `lock`: ours, `tokio::sync::Mutex::blocking_lock`, `async_lock::Mutex::lock_blocking`).
//! - **hand-off, thread to task and back**: a thread and a task pass a token back and forth
//!   through two semaphores of no permits (ours: `Semaphore::acquire` / `acquire_async`;
//!   `async-lock`: `acquire_blocking` / `acquire`; tokio, which has no blocking acquire: two
//!   channels, `blocking_recv` / `recv`); time per round trip.

#[cfg(target_os = "linux")]
#[path = "common/report.rs"]
mod report;

#[cfg(target_os = "linux")]
mod bench {
    use super::report::{self, Baseline, Row};
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::thread;
    use std::time::Instant;

    use portable_futex::sync::{LockAsync, Mutex, Semaphore};

    const REPEATS: usize = 7;
    const TASKS: u64 = 8;
    const THREADS: u64 = 2;
    const EACH: u64 = 20_000;
    const ROUND_TRIPS: u64 = 20_000;

    type Boxed<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

    /// A mutex as the rows use it: a bump from a task, and one from a thread.
    trait Subject: Send + Sync + 'static {
        const NAME: &'static str;
        fn new() -> Self;
        fn bump(&self) -> Boxed<'_>;
        fn bump_blocking(&self);
        fn value(&self) -> u64;
    }

    struct Ours(Mutex<u64>);
    impl Subject for Ours {
        const NAME: &'static str = "ours, sync::Mutex (lock_async)";
        fn new() -> Self {
            Ours(Mutex::new(0))
        }
        fn bump(&self) -> Boxed<'_> {
            Box::pin(async move { *self.0.lock_async().await += 1 })
        }
        fn bump_blocking(&self) {
            *self.0.lock() += 1;
        }
        fn value(&self) -> u64 {
            *self.0.lock()
        }
    }

    struct Tokio(tokio::sync::Mutex<u64>);
    impl Subject for Tokio {
        const NAME: &'static str = "tokio::sync::Mutex";
        fn new() -> Self {
            Tokio(tokio::sync::Mutex::new(0))
        }
        fn bump(&self) -> Boxed<'_> {
            Box::pin(async move { *self.0.lock().await += 1 })
        }
        fn bump_blocking(&self) {
            *self.0.blocking_lock() += 1;
        }
        fn value(&self) -> u64 {
            *self.0.blocking_lock()
        }
    }

    struct AsyncLock(async_lock::Mutex<u64>);
    impl Subject for AsyncLock {
        const NAME: &'static str = "async_lock::Mutex";
        fn new() -> Self {
            AsyncLock(async_lock::Mutex::new(0))
        }
        fn bump(&self) -> Boxed<'_> {
            Box::pin(async move { *self.0.lock().await += 1 })
        }
        fn bump_blocking(&self) {
            *self.0.lock_blocking() += 1;
        }
        fn value(&self) -> u64 {
            *self.0.lock_blocking()
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap()
    }

    /// ns per lock + unlock: `TASKS` tasks, and `threads` threads beside them.
    fn contended<S: Subject>(threads: u64) -> f64 {
        let runtime = runtime();
        let lock = Arc::new(S::new());
        let start = Instant::now();
        let blocking: Vec<_> = (0..threads)
            .map(|_| {
                let lock = lock.clone();
                thread::spawn(move || (0..EACH).for_each(|_| lock.bump_blocking()))
            })
            .collect();
        runtime.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let lock = lock.clone();
                    tokio::spawn(async move {
                        for _ in 0..EACH {
                            lock.bump().await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
        blocking.into_iter().for_each(|t| t.join().unwrap());
        let elapsed = start.elapsed().as_secs_f64();
        let total = (TASKS + threads) * EACH;
        assert_eq!(lock.value(), total);
        elapsed * 1e9 / total as f64
    }

    /// Nanoseconds per round trip of a token between a thread and a task.
    fn hand_off(which: &str) -> f64 {
        let runtime = runtime();
        let start;
        match which {
            "ours" => {
                let (there, back) = (Arc::new(Semaphore::new(0)), Arc::new(Semaphore::new(0)));
                let task = {
                    let (there, back) = (there.clone(), back.clone());
                    runtime.spawn(async move {
                        for _ in 0..ROUND_TRIPS {
                            there.acquire_async().await;
                            back.release(1);
                        }
                    })
                };
                start = Instant::now();
                for _ in 0..ROUND_TRIPS {
                    there.release(1);
                    back.acquire();
                }
                runtime.block_on(task).unwrap();
            }
            "async-lock" => {
                let there = Arc::new(async_lock::Semaphore::new(0));
                let back = Arc::new(async_lock::Semaphore::new(0));
                let task = {
                    let (there, back) = (there.clone(), back.clone());
                    runtime.spawn(async move {
                        for _ in 0..ROUND_TRIPS {
                            there.acquire().await.forget();
                            back.add_permits(1);
                        }
                    })
                };
                start = Instant::now();
                for _ in 0..ROUND_TRIPS {
                    there.add_permits(1);
                    back.acquire_blocking().forget();
                }
                runtime.block_on(task).unwrap();
            }
            _ => {
                let (to_task, mut task_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let (to_thread, mut thread_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let task = runtime.spawn(async move {
                    while let Some(token) = task_rx.recv().await {
                        to_thread.send(token).await.unwrap();
                    }
                });
                start = Instant::now();
                for i in 0..ROUND_TRIPS {
                    to_task.blocking_send(i).unwrap();
                    assert_eq!(thread_rx.blocking_recv(), Some(i));
                }
                drop(to_task);
                runtime.block_on(task).unwrap();
            }
        }
        start.elapsed().as_nanos() as f64 / ROUND_TRIPS as f64
    }

    /// A row of `REPEATS` runs of `f` (nanoseconds per operation).
    fn measure(name: &str, mut f: impl FnMut() -> f64) -> Row {
        Row::new(name, (0..REPEATS).map(|_| f()).collect())
    }

    fn mutex_rows(title: &str, threads: u64) {
        let rows = [
            measure(Ours::NAME, || contended::<Ours>(threads)),
            measure(Tokio::NAME, || contended::<Tokio>(threads)),
            measure(AsyncLock::NAME, || contended::<AsyncLock>(threads)),
        ];
        report::print(title, &rows, Baseline::First);
    }

    pub fn main() {
        // `cargo test --benches` runs this binary without `--bench`: keep that instant.
        if !std::env::args().any(|a| a == "--bench") {
            return;
        }
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        println!("portable-futex async locks: {cpus} CPUs, {REPEATS} runs a row");
        println!("(\"vs first\": each row's time over ours; above 1: ours faster)");
        mutex_rows(&format!("Mutex, {TASKS} tasks contending, per lock + unlock"), 0);
        mutex_rows(
            &format!("Mutex, {TASKS} tasks and {THREADS} threads contending, per lock + unlock"),
            THREADS,
        );
        let rows = [
            measure("ours, Semaphore (acquire_async)", || hand_off("ours")),
            measure("async_lock::Semaphore", || hand_off("async-lock")),
            measure("tokio mpsc (blocking_recv)", || hand_off("tokio")),
        ];
        report::print("hand-off, thread to task and back, per round trip", &rows, Baseline::First);
    }
}

#[cfg(target_os = "linux")]
fn main() {
    bench::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {}
