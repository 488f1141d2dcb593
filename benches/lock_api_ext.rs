//! `cargo bench --bench lock_api_ext` (or `cargo xtask bench`): the lock_api paths beyond lock
//! and unlock, ours beside parking_lot's in one run (both are lock_api 0.5 types, so each row
//! is one generic function over the raw lock): fair unlocks handing the mutex between threads,
//! an upgradable read that upgrades, and recursive reads. Ours run on `Linux` and `Queue`.
//!
//! Rows (each repeated, the median shown with the spread):
//!
//! - **unlock_fair hand-off**: 2 and 4 threads bump a counter, every unlock a fair one
//!   (`MutexGuard::unlock_fair`): millions of lock + unlock per second, each thread's share;
//! - **upgradable read, then upgrade**: one thread, `upgradable_read` + `upgrade` + unlock, ns;
//!   and 2 upgraders beside 2 readers, M ops/s;
//! - **recursive read** (`RecursiveRwLock`, parking_lot's and ours): one thread, `read` +
//!   unlock, ns; and 4 readers taking a second read inside their first while a writer keeps
//!   asking, M ops/s.

#[cfg(target_os = "linux")]
mod bench {
    use std::hint::black_box;
    use std::sync::atomic::{AtomicBool, Ordering::*};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::{Duration, Instant};

    use portable_futex::backend::{Linux, Queue};
    use portable_futex::sync::lock_api::{
        self, RawMutex, RawMutexFair, RawRwLock, RawRwLockUpgrade,
    };
    use portable_futex::sync::{
        RawMutex as OurMutex, RawRecursiveRwLock as OurRecursive, RawRwLock as OurRwLock,
    };

    const REPEATS: usize = 5;
    const RUN: Duration = Duration::from_millis(200);

    fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
        xs.sort_by(|a, b| a.total_cmp(b));
        (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
    }

    fn row(name: &str, runs: Vec<f64>, baseline: &mut Option<f64>, higher: bool, unit: &str) {
        let (mid, lo, hi) = median(runs);
        let base = *baseline.get_or_insert(mid);
        let ratio = if higher { mid / base } else { base / mid };
        println!(
            "  {name:<30} {mid:>9.2} {unit:<7} {:>17} {ratio:>6.2}x parking_lot",
            format!("{lo:.2}..{hi:.2}")
        );
    }

    /// `threads` threads run `op` for `RUN`: M ops/s, and each thread's count.
    fn threads(threads: usize, op: impl Fn(usize) + Send + Sync + 'static) -> (f64, Vec<u64>) {
        let op = Arc::new(op);
        let stop = Arc::new(AtomicBool::new(false));
        let go = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (op, stop, go) = (op.clone(), stop.clone(), go.clone());
                thread::spawn(move || {
                    let mut count = 0u64;
                    go.wait();
                    while !stop.load(Relaxed) {
                        op(i);
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        go.wait();
        let start = Instant::now();
        thread::sleep(RUN);
        stop.store(true, Relaxed);
        let counts: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64() / 1e6, counts)
    }

    /// ns per `op`, one thread.
    fn single(op: impl Fn()) -> f64 {
        const N: u32 = 1_000_000;
        let start = Instant::now();
        for _ in 0..N {
            op();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(N)
    }

    fn fair_hand_off<R: RawMutex + RawMutexFair + Send + Sync + 'static>(
        name: &str,
        n: usize,
        baseline: &mut Option<f64>,
    ) {
        let mut shares = (f64::MAX, 0f64);
        let runs = (0..REPEATS)
            .map(|_| {
                let mutex = Arc::new(lock_api::Mutex::<R, u64>::new(0));
                let (ops, counts) = threads(n, move |_| {
                    let mut count = mutex.lock();
                    *count += 1;
                    lock_api::MutexGuard::unlock_fair(count);
                });
                let equal = counts.iter().sum::<u64>() as f64 / n as f64;
                for c in counts {
                    let share = c as f64 / equal * 100.0;
                    shares = (shares.0.min(share), shares.1.max(share));
                }
                ops
            })
            .collect();
        row(name, runs, baseline, true, "M ops/s");
        println!("  {:<30} shares {:>5.0}%..{:<5.0}% of equal", "", shares.0, shares.1);
    }

    fn upgrade_single<R: RawRwLockUpgrade>(name: &str, baseline: &mut Option<f64>) {
        let lock = lock_api::RwLock::<R, u64>::new(0);
        let runs = (0..REPEATS)
            .map(|_| {
                single(|| {
                    let read = black_box(&lock).upgradable_read();
                    let mut write = lock_api::RwLockUpgradableReadGuard::upgrade(read);
                    *write += 1;
                })
            })
            .collect();
        row(name, runs, baseline, false, "ns");
    }

    fn upgrade_contended<R: RawRwLockUpgrade + Send + Sync + 'static>(
        name: &str,
        baseline: &mut Option<f64>,
    ) {
        let runs = (0..REPEATS)
            .map(|_| {
                let lock = Arc::new(lock_api::RwLock::<R, [u64; 4]>::new([0; 4]));
                threads(4, move |i| {
                    if i < 2 {
                        let read = lock.upgradable_read();
                        if read[0] % 2 == 0 {
                            let mut write = lock_api::RwLockUpgradableReadGuard::upgrade(read);
                            write[0] += 1;
                        }
                    } else {
                        black_box(lock.read()[0]);
                    }
                })
                .0
            })
            .collect();
        row(name, runs, baseline, true, "M ops/s");
    }

    /// `R` is a recursive rwlock (parking_lot's `RawRwLockRecursive`, our
    /// `RawRecursiveRwLock`): every `read` is a recursive one.
    fn recursive_single<R: RawRwLock>(name: &str, baseline: &mut Option<f64>) {
        let lock = lock_api::RwLock::<R, u64>::new(0);
        let runs =
            (0..REPEATS).map(|_| single(|| drop(black_box(black_box(&lock).read())))).collect();
        row(name, runs, baseline, false, "ns");
    }

    fn recursive_contended<R: RawRwLock + Send + Sync + 'static>(
        name: &str,
        baseline: &mut Option<f64>,
    ) {
        let runs = (0..REPEATS)
            .map(|_| {
                let lock = Arc::new(lock_api::RwLock::<R, u64>::new(0));
                threads(5, move |i| {
                    if i == 0 {
                        *lock.write() += 1;
                    } else {
                        let outer = lock.read();
                        let inner = lock.read();
                        black_box(*outer + *inner);
                    }
                })
                .0
            })
            .collect();
        row(name, runs, baseline, true, "M ops/s");
    }

    pub fn main() {
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        println!(
            "portable-futex lock_api extension benchmark: {cpus} CPUs, median of {REPEATS} runs"
        );

        for n in [2, 4] {
            println!("\nMutex, every unlock fair (unlock_fair), {n} threads: counter bump");
            let mut base = None;
            fair_hand_off::<parking_lot::RawMutex>("parking_lot", n, &mut base);
            fair_hand_off::<OurMutex<Linux>>("ours, Linux", n, &mut base);
            fair_hand_off::<OurMutex<Queue>>("ours, Queue", n, &mut base);
        }

        println!("\nRwLock, upgradable read then upgrade, one thread");
        let mut base = None;
        upgrade_single::<parking_lot::RawRwLock>("parking_lot", &mut base);
        upgrade_single::<OurRwLock<Linux>>("ours, Linux", &mut base);
        upgrade_single::<OurRwLock<Queue>>("ours, Queue", &mut base);

        println!("\nRwLock, 2 upgraders (every other one upgrades) beside 2 readers");
        let mut base = None;
        upgrade_contended::<parking_lot::RawRwLock>("parking_lot", &mut base);
        upgrade_contended::<OurRwLock<Linux>>("ours, Linux", &mut base);
        upgrade_contended::<OurRwLock<Queue>>("ours, Queue", &mut base);

        println!("\nRwLock, recursive read, one thread");
        let mut base = None;
        recursive_single::<parking_lot::RawRwLockRecursive>("parking_lot", &mut base);
        recursive_single::<OurRecursive<Linux>>("ours, Linux", &mut base);
        recursive_single::<OurRecursive<Queue>>("ours, Queue", &mut base);

        println!("\nRwLock, 4 readers reading twice (recursively) beside a writer");
        let mut base = None;
        recursive_contended::<parking_lot::RawRwLockRecursive>("parking_lot", &mut base);
        recursive_contended::<OurRecursive<Linux>>("ours, Linux", &mut base);
        recursive_contended::<OurRecursive<Queue>>("ours, Queue", &mut base);
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    println!("this benchmark compares against Linux's futex backend: run it on Linux");
}
