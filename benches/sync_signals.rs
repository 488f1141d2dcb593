//! `cargo bench --bench sync_signals` (also run by `cargo xtask bench`): the one-shot and
//! counting primitives of `portable_futex::sync` beside std's counterparts, in one run so that
//! the ratios hold on a noisy machine. Each row prints the median, the spread (min..max) of
//! its repeats, and its ratio to the group's first row (std's, or the raw system call).
//!
//! - `Once`, `OnceLock`, `LazyLock` after initialisation: one Acquire load, as std's;
//! - `ResetEvent::set`, `Semaphore::release`, `Parker::unpark`, `WaitGroup::done` with nobody
//!   waiting, beside the `FUTEX_WAKE` system call they avoid;
//! - a `Barrier` of 4 threads beside `std::sync::Barrier`;
//! - `Parker` ping-pong (two threads, two parkers) beside std's `thread::park`/`unpark`.
//!
//! The multi-thread rows run on `Linux`, `Counted<Linux>` and `Queue`; threads that hand work
//! back and forth are pinned to distinct cores (see `benches/futex.rs` for why).

#[cfg(target_os = "linux")]
#[path = "common/report.rs"]
mod report;

#[cfg(target_os = "linux")]
mod bench {
    use std::hint::black_box;
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;
    use std::time::Instant;

    use portable_futex::backend::{Counted, Linux, Queue};
    use portable_futex::sync::generic::{
        Barrier, LazyLock, Once, OnceLock, Parker, ResetEvent, Semaphore, WaitGroup,
    };
    use portable_futex::FutexBackend;

    use crate::report::{sample, Baseline, Row};

    const REPEATS: usize = 15;
    const FAST: u32 = 2_000_000;

    // -----------------------------------------------------------------------------------------
    // After initialisation

    fn once_after_init() -> Vec<Row> {
        let std_once = std::sync::Once::new();
        std_once.call_once(|| {});
        let ours = Once::<Linux>::new();
        ours.call_once(|| {});
        let std_cell = std::sync::OnceLock::new();
        std_cell.get_or_init(|| 1u64);
        let our_cell = OnceLock::<Linux, u64>::new();
        our_cell.get_or_init(|| 1);
        let std_lazy = std::sync::LazyLock::new(|| 1u64);
        let our_lazy = LazyLock::<Linux, u64>::new(|| 1);
        let (_, _) = (*std_lazy, *our_lazy);
        vec![
            Row::new(
                "std::sync::Once::call_once",
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(&std_once).call_once(|| {});
                    }
                }),
            ),
            Row::new(
                "sync::Once::call_once",
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(&ours).call_once(|| {});
                    }
                }),
            ),
            Row::new(
                "std::sync::OnceLock::get_or_init",
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(black_box(&std_cell).get_or_init(|| 2));
                    }
                }),
            ),
            Row::new(
                "sync::OnceLock::get_or_init",
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(black_box(&our_cell).get_or_init(|| 2));
                    }
                }),
            ),
            Row::new(
                "std::sync::LazyLock deref",
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(**black_box(&std_lazy));
                    }
                }),
            ),
            Row::new(
                "sync::LazyLock deref",
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(**black_box(&our_lazy));
                    }
                }),
            ),
        ]
    }

    // -----------------------------------------------------------------------------------------
    // Nobody waiting

    fn raw_wake(word: &AtomicU32) {
        // SAFETY: `word` is a live u32; FUTEX_WAKE only uses its address.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                1,
            );
        }
    }

    fn nobody_waiting<B: FutexBackend>(label: &str) -> Vec<Row> {
        let event = ResetEvent::<B>::new();
        let semaphore = Semaphore::<B>::new(0);
        let parker = Parker::<B>::new();
        let group = WaitGroup::<B>::new();
        vec![
            Row::new(
                format!("ResetEvent::set + reset ({label})"),
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(&event).set();
                        black_box(&event).reset();
                    }
                }),
            ),
            Row::new(
                format!("ResetEvent::set, already set ({label})"),
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(&event).set();
                    }
                }),
            ),
            Row::new(
                format!("Semaphore::release(1) + try_acquire ({label})"),
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(&semaphore).release(1);
                        black_box(black_box(&semaphore).try_acquire());
                    }
                }),
            ),
            Row::new(
                format!("Parker::unpark + try_park ({label})"),
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(&parker).unpark();
                        black_box(black_box(&parker).try_park());
                    }
                }),
            ),
            Row::new(
                format!("WaitGroup::add(1) + done ({label})"),
                sample(REPEATS, FAST, |n| {
                    for _ in 0..n {
                        black_box(&group).add(1);
                        black_box(&group).done();
                    }
                }),
            ),
        ]
    }

    // -----------------------------------------------------------------------------------------
    // Threads

    #[cfg(target_os = "linux")]
    fn pin(k: usize) {
        // SAFETY: `cpu_set_t` is plain bits, valid zeroed; the CPU_* macros stay within it;
        // `sched_*affinity(0, ..)` acts on the calling thread only.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut allowed);
            let cpus: Vec<usize> =
                (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &allowed)).collect();
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpus[k % cpus.len()], &mut one);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one);
        }
    }

    const THREADS: usize = 4;
    const GENERATIONS: u32 = 20_000;
    const BARRIER_REPEATS: usize = 9;

    /// Per generation of a barrier that `THREADS` threads pass `GENERATIONS` times; `wait` is
    /// the barrier's.
    fn barrier_row<W: Sync + Send + 'static>(name: &str, barrier: W, wait: fn(&W)) -> Row {
        let barrier = Arc::new(barrier);
        let samples = (0..BARRIER_REPEATS)
            .map(|_| {
                let start = Arc::new(std::sync::Barrier::new(THREADS + 1));
                let threads: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (barrier, start) = (barrier.clone(), start.clone());
                        thread::spawn(move || {
                            pin(t);
                            start.wait();
                            for _ in 0..GENERATIONS {
                                wait(&barrier);
                            }
                        })
                    })
                    .collect();
                start.wait();
                let begun = Instant::now();
                for t in threads {
                    t.join().unwrap();
                }
                begun.elapsed().as_nanos() as f64 / f64::from(GENERATIONS)
            })
            .collect();
        Row::new(name, samples)
    }

    fn barriers() -> Vec<Row> {
        vec![
            barrier_row("std::sync::Barrier, 4 threads", std::sync::Barrier::new(THREADS), |b| {
                black_box(b.wait());
            }),
            barrier_row("sync::Barrier (Linux), 4 threads", Barrier::<Linux>::new(THREADS), |b| {
                black_box(b.wait());
            }),
            barrier_row(
                "sync::Barrier (Counted<Linux>), 4 threads",
                Barrier::<Counted<Linux>>::new(THREADS),
                |b| {
                    black_box(b.wait());
                },
            ),
            barrier_row("sync::Barrier (Queue), 4 threads", Barrier::<Queue>::new(THREADS), |b| {
                black_box(b.wait());
            }),
        ]
    }

    const ROUND_TRIPS: u32 = 20_000;
    const PING_REPEATS: usize = 9;

    /// Two sides that sleep until woken: `park(i)` sleeps side `i` (which may return early),
    /// `unpark(i)` wakes it; `register(i)` runs on side `i`'s thread before the first round.
    trait Pair: Send + Sync + 'static {
        fn register(&self, _i: usize) {}
        fn park(&self, i: usize);
        fn unpark(&self, i: usize);
    }

    /// std's: each side's `Thread` handle, registered by the side itself.
    #[derive(Default)]
    struct StdPair([std::sync::OnceLock<thread::Thread>; 2]);

    impl Pair for StdPair {
        fn register(&self, i: usize) {
            let _ = self.0[i].set(thread::current());
        }
        fn park(&self, _i: usize) {
            thread::park();
        }
        fn unpark(&self, i: usize) {
            self.0[i].get().expect("registered before the first round").unpark();
        }
    }

    /// Ours: a `Parker` per side.
    struct OurPair<B>([Parker<B>; 2]);

    impl<B: FutexBackend + 'static> Pair for OurPair<B> {
        fn park(&self, i: usize) {
            self.0[i].park();
        }
        fn unpark(&self, i: usize) {
            self.0[i].unpark();
        }
    }

    /// Round trips between two pinned threads that take turns through a counter; each side
    /// sleeps with `park` until its turn and hands it over with `unpark` of the other side.
    /// A fresh pair (`make`) for every repeat, since each repeat has a fresh partner thread.
    fn ping_pong<P: Pair>(name: &str, make: impl Fn() -> P) -> Row {
        let samples = (0..PING_REPEATS)
            .map(|_| {
                let pair = Arc::new(make());
                let turn = Arc::new(AtomicUsize::new(0));
                let ready = Arc::new(std::sync::Barrier::new(2));
                let partner = {
                    let (pair, turn, ready) = (pair.clone(), turn.clone(), ready.clone());
                    thread::spawn(move || {
                        pin(1);
                        pair.register(1);
                        ready.wait();
                        for r in 0..ROUND_TRIPS as usize {
                            while turn.load(Ordering::Acquire) != 2 * r + 1 {
                                pair.park(1);
                            }
                            turn.store(2 * r + 2, Ordering::Release);
                            pair.unpark(0);
                        }
                    })
                };
                pin(0);
                pair.register(0);
                ready.wait();
                let begun = Instant::now();
                for r in 0..ROUND_TRIPS as usize {
                    turn.store(2 * r + 1, Ordering::Release);
                    pair.unpark(1);
                    while turn.load(Ordering::Acquire) != 2 * r + 2 {
                        pair.park(0);
                    }
                }
                let elapsed = begun.elapsed();
                partner.join().unwrap();
                elapsed.as_nanos() as f64 / f64::from(ROUND_TRIPS)
            })
            .collect();
        Row::new(name, samples)
    }

    fn our_ping_pong<B: FutexBackend + 'static>(name: &str) -> Row {
        ping_pong(name, || OurPair::<B>([Parker::new(), Parker::new()]))
    }

    fn std_ping_pong() -> Row {
        ping_pong("std thread::park / unpark", StdPair::default)
    }

    pub fn main() {
        let filter: Vec<String> =
            std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
        let wanted =
            |group: &str| filter.is_empty() || filter.iter().any(|f| group.contains(f.as_str()));
        println!(
            "portable-futex sync primitives, {} CPUs",
            thread::available_parallelism().map_or(0, |n| n.get())
        );
        if wanted("once") {
            crate::report::print(
                "after initialisation, per call (1 thread)",
                &once_after_init(),
                Baseline::First,
            );
        }
        if wanted("nobody") {
            let word = AtomicU32::new(0);
            let mut rows = vec![Row::new(
                "raw futex(2) FUTEX_WAKE, nobody waiting",
                sample(REPEATS, FAST / 20, |n| {
                    for _ in 0..n {
                        raw_wake(black_box(&word));
                    }
                }),
            )];
            rows.extend(nobody_waiting::<Linux>("Linux"));
            rows.extend(nobody_waiting::<Queue>("Queue"));
            crate::report::print(
                "signals with nobody waiting, per pair (1 thread)",
                &rows,
                Baseline::First,
            );
        }
        if wanted("barrier") {
            crate::report::print("barrier, per generation", &barriers(), Baseline::First);
        }
        if wanted("park") {
            crate::report::print(
                "park/unpark ping-pong, per round trip (2 pinned threads)",
                &[
                    std_ping_pong(),
                    our_ping_pong::<Linux>("sync::Parker (Linux)"),
                    our_ping_pong::<Counted<Linux>>("sync::Parker (Counted<Linux>)"),
                    our_ping_pong::<Queue>("sync::Parker (Queue)"),
                ],
                Baseline::First,
            );
        }
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    println!("the sync_signals benchmark pins threads and calls futex(2): Linux only");
}
