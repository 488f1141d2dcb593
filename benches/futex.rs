//! `cargo bench` (or `cargo xtask bench`): the costs that decide the front end's design,
//! measured side by side in one run so that their ratios hold on a noisy machine.
//!
//! Each row is the median of several samples, each sample the mean of many calls; the spread
//! (min..max of the samples) is printed beside it.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::backend::queue::{Bucket, ParkEvent, QueueConfig, SpinLock};
use portable_futex::backend::{Queue, QueueWith};
use portable_futex::{Futex, FutexBackend, Timeout};

/// `parking_lot_core` as a futex: the closest peer of the queue backend (hashed buckets of
/// parked threads), behind the same trait so that every row runs the same code around it.
struct ParkingLotCore;

impl FutexBackend for ParkingLotCore {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        // SAFETY: the callbacks neither panic nor call into parking_lot.
        let result = unsafe {
            parking_lot_core::park(
                futex as *const AtomicU32 as usize,
                || futex.load(Ordering::SeqCst) == expect,
                || {},
                |_, _| {},
                parking_lot_core::DEFAULT_PARK_TOKEN,
                deadline,
            )
        };
        match result {
            parking_lot_core::ParkResult::TimedOut => Err(Timeout),
            _ => Ok(()),
        }
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        let key = futex as usize;
        // SAFETY: as above.
        unsafe {
            if max_waiters == 1 {
                parking_lot_core::unpark_one(key, |_| parking_lot_core::DEFAULT_UNPARK_TOKEN);
            } else {
                parking_lot_core::unpark_all(key, parking_lot_core::DEFAULT_UNPARK_TOKEN);
            }
        }
    }
}

/// The queue backend with every address in a single bucket: the treap alone keeps lookups
/// fast as the number of waiting addresses grows.
struct OneBucket;

impl QueueConfig for OneBucket {
    type Lock = SpinLock;
    type Event = ParkEvent;
    fn buckets() -> &'static [Bucket<SpinLock>] {
        static BUCKETS: [Bucket<SpinLock>; 1] = Bucket::table();
        &BUCKETS
    }
}

const SAMPLES: usize = 15;

struct Row {
    name: String,
    median_ns: f64,
    min_ns: f64,
    max_ns: f64,
}

/// Times `op` (which runs `iters` operations) `SAMPLES` times; nanoseconds per operation.
fn measure(name: &str, iters: u32, mut op: impl FnMut(u32)) -> Row {
    op(iters / 10 + 1); // warm up
    let mut samples: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            op(iters);
            start.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    Row {
        name: name.to_owned(),
        median_ns: samples[SAMPLES / 2],
        min_ns: samples[0],
        max_ns: samples[SAMPLES - 1],
    }
}

fn print(title: &str, rows: &[Row]) {
    let base = rows[0].median_ns;
    println!("\n{title}");
    println!("  {:<44} {:>11} {:>23} {:>8}", "", "median", "spread (min..max)", "ratio");
    for r in rows {
        println!(
            "  {:<44} {:>8.1} ns {:>9.1} ..{:>9.1} ns {:>7.3}x",
            r.name,
            r.median_ns,
            r.min_ns,
            r.max_ns,
            r.median_ns / base
        );
    }
}

/// A wait whose value does not match: through the front end (checked in user space first)
/// and straight into the backend (the kernel compares and answers EAGAIN).
fn wait_mismatch<B: FutexBackend>(label: &str) -> [Row; 2] {
    let word = AtomicU32::new(1);
    [
        measure(&format!("{label}: Futex::wait (user-space check)"), 200_000, |n| {
            for _ in 0..n {
                Futex::<B>::wait(black_box(&word), 0);
            }
        }),
        measure(&format!("{label}: backend wait (no user-space check)"), 20_000, |n| {
            for _ in 0..n {
                let _ = B::wait(black_box(&word), 0, None);
            }
        }),
    ]
}

/// A zero timeout: answered by the front end, or handed to the backend as a tiny timeout.
fn zero_timeout<B: FutexBackend>(label: &str) -> [Row; 2] {
    let word = AtomicU32::new(0);
    [
        measure(&format!("{label}: Futex::timed_wait(0)"), 200_000, |n| {
            for _ in 0..n {
                let _ = Futex::<B>::timed_wait(black_box(&word), 0, Duration::ZERO);
            }
        }),
        measure(&format!("{label}: backend wait, 1 ns timeout"), 200, |n| {
            for _ in 0..n {
                let _ = B::wait(black_box(&word), 0, Some(Duration::from_nanos(1)));
            }
        }),
    ]
}

fn wake_no_waiters<B: FutexBackend>(label: &str) -> Row {
    let word = AtomicU32::new(0);
    measure(&format!("{label}: wake, nobody waiting"), 20_000, |n| {
        for _ in 0..n {
            Futex::<B>::wake(black_box(&word), 1);
        }
    })
}

/// Two threads hand a token back and forth through one word: the cost of a round trip.
fn ping_pong<B: FutexBackend>(label: &str) -> Row {
    let word = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // The partner answers every odd value with the next even one.
    let partner = {
        let (word, stop) = (word.clone(), stop.clone());
        thread::spawn(move || loop {
            let v = word.load(Ordering::Acquire);
            if stop.load(Ordering::Acquire) {
                return;
            }
            if v % 2 == 1 {
                word.store(v + 1, Ordering::Release);
                Futex::<B>::wake(&word, 1);
            } else {
                Futex::<B>::wait(&word, v);
            }
        })
    };
    let row = measure(&format!("{label}: ping-pong round trip"), 2_000, |n| {
        for _ in 0..n {
            let v = word.fetch_add(1, Ordering::AcqRel) + 1;
            Futex::<B>::wake(&word, 1);
            while word.load(Ordering::Acquire) == v {
                Futex::<B>::wait(&word, v);
            }
        }
    });
    stop.store(true, Ordering::Release);
    word.fetch_add(2, Ordering::AcqRel);
    Futex::<B>::wake(&word, 1);
    partner.join().unwrap();
    row
}

/// `n` threads, each asleep on its own word; meanwhile, wakes of words nobody waits on. Each
/// such wake must look the address up among the `n` waiting ones and find nothing, so its
/// cost shows how lookup scales (the wake of a real waiter adds a thread switch that, on few
/// cores, drowns the lookup). Flat as `n` grows is the goal.
fn many_addresses<B: FutexBackend>(label: &str, n: usize) -> Row {
    let words: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    let asleep = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (words, asleep) = (words.clone(), asleep.clone());
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    asleep.fetch_add(1, Ordering::Release);
                    while words[i].load(Ordering::Acquire) == 0 {
                        Futex::<B>::wait(&words[i], 0);
                    }
                })
                .unwrap()
        })
        .collect();
    while asleep.load(Ordering::Acquire) < n as u32 {
        thread::yield_now();
    }
    // Give the last ones time to get from the counter into the futex.
    thread::sleep(Duration::from_millis(20 + n as u64 / 20));
    let probes: Vec<AtomicU32> = (0..64).map(|_| AtomicU32::new(0)).collect();
    let row = measure(&format!("{label}: {n} addresses asleep"), 20_000, |iters| {
        for i in 0..iters as usize {
            Futex::<B>::wake(black_box(&probes[i % probes.len()]), 1);
        }
    });
    for word in words.iter() {
        word.store(1, Ordering::Release);
        Futex::<B>::wake(word, 1);
    }
    for t in threads {
        t.join().unwrap();
    }
    row
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench` absent: keep that instant.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!(
        "portable-futex benchmarks, {} CPUs, {SAMPLES} samples per row",
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    #[cfg(all(feature = "linux", target_os = "linux"))]
    {
        use portable_futex::backend::Linux;
        let [user, kernel] = wait_mismatch::<Linux>("Linux");
        print("wait with a mismatched value (decides the user-space check)", &[user, kernel]);
        print("timed wait with a zero timeout", &zero_timeout::<Linux>("Linux"));
        print(
            "wake with nobody waiting",
            &[
                wake_no_waiters::<Linux>("Linux"),
                wake_no_waiters::<Queue>("Queue"),
                wake_no_waiters::<ParkingLotCore>("parking_lot_core"),
            ],
        );
        print(
            "ping-pong between two threads",
            &[
                ping_pong::<Linux>("Linux"),
                ping_pong::<Queue>("Queue"),
                ping_pong::<ParkingLotCore>("parking_lot_core"),
            ],
        );
        let mut rows = Vec::new();
        for n in [16, 256, 4096] {
            rows.push(many_addresses::<Linux>("Linux", n));
            rows.push(many_addresses::<Queue>("Queue, 64 buckets", n));
            rows.push(many_addresses::<QueueWith<OneBucket>>("Queue, 1 bucket", n));
            rows.push(many_addresses::<ParkingLotCore>("parking_lot_core", n));
        }
        print(
            "many addresses: a wake that finds nobody, while n threads sleep each on its own word",
            &rows,
        );
    }
}
