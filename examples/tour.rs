//! A tour of portable-futex: which backend this target uses, then the scenarios of Zig's
//! `std.Thread.Futex` tests on every backend available here, with timings.
//!
//! ```sh
//! cargo run --release --example tour
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::{Deadline, DefaultBackend, Futex, FutexBackend, StdClock, Timeout};

const THREADS: usize = 4;
const ROUNDS: u32 = 10_000;

/// A token goes round a ring of threads: each waits on its own word, then bumps and wakes the
/// next one. Every hop is one wake and (usually) one wait.
fn signaling_ring<B: FutexBackend>() -> Duration {
    let words: Arc<Vec<AtomicU32>> = Arc::new((0..THREADS).map(|_| AtomicU32::new(0)).collect());
    let hit = |word: &AtomicU32| {
        word.fetch_add(1, Ordering::Release);
        Futex::<B>::wake(word, 1);
    };
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let words = words.clone();
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    while words[i].load(Ordering::Acquire) == round {
                        Futex::<B>::wait(&words[i], round);
                    }
                    hit(&words[(i + 1) % THREADS]);
                }
            })
        })
        .collect();
    hit(&words[0]);
    threads.into_iter().for_each(|t| t.join().unwrap());
    start.elapsed()
}

/// Barriers: all threads meet; the last to arrive wakes everyone with one wake-all.
fn broadcast<B: FutexBackend>() -> Duration {
    struct Barrier {
        left: AtomicU32,
        open: AtomicU32,
    }
    let rounds = (ROUNDS / 10) as usize;
    let barriers: Arc<Vec<Barrier>> = Arc::new(
        (0..rounds)
            .map(|_| Barrier { left: AtomicU32::new(THREADS as u32), open: AtomicU32::new(0) })
            .collect(),
    );
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let barriers = barriers.clone();
            thread::spawn(move || {
                for b in barriers.iter() {
                    if b.left.fetch_sub(1, Ordering::AcqRel) == 1 {
                        b.open.store(1, Ordering::Release);
                        Futex::<B>::wake(&b.open, u32::MAX);
                    } else {
                        while b.open.load(Ordering::Acquire) == 0 {
                            Futex::<B>::wait(&b.open, 0);
                        }
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    start.elapsed()
}

/// A 20 ms deadline on a word nobody changes: how long until `Timeout`, and how many calls.
fn deadline<B: FutexBackend>() -> (Duration, u32) {
    let word = AtomicU32::new(0);
    let start = Instant::now();
    let mut deadline =
        Deadline::<B, _>::with_clock(Some(Duration::from_millis(20)), StdClock::new());
    let mut calls = 1;
    while deadline.wait(&word, 0) != Err(Timeout) {
        calls += 1;
    }
    (start.elapsed(), calls)
}

fn per(d: Duration, n: u32) -> String {
    format!("{:>8.2} µs each", d.as_secs_f64() * 1e6 / f64::from(n))
}

fn tour_threads<B: FutexBackend>(name: &str) {
    println!("\n{name}");
    let ring = signaling_ring::<B>();
    println!(
        "  signaling ring  {THREADS} threads x {ROUNDS} hops: {ring:>10.2?} {}",
        per(ring, ROUNDS * THREADS as u32)
    );
    let rounds = ROUNDS / 10;
    let barrier = broadcast::<B>();
    println!(
        "  broadcast       {THREADS} threads x {rounds} barriers: {barrier:>8.2?} {}",
        per(barrier, rounds)
    );
    tour_deadline::<B>();
}

fn tour_deadline<B: FutexBackend>() {
    let (elapsed, calls) = deadline::<B>();
    println!("  deadline        20 ms: Timeout after {elapsed:.2?} ({calls} wait call(s))");
}

fn main() {
    println!("portable-futex tour");
    println!("  target:          {}-{}", std::env::consts::ARCH, std::env::consts::OS);
    println!("  default backend: {}", std::any::type_name::<DefaultBackend>());
    println!("  CPUs:            {}", thread::available_parallelism().map_or(1, |n| n.get()));

    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use portable_futex::backend::{Counted, Linux};
        tour_threads::<Linux>("backend::Linux (futex(2))");
        tour_threads::<Counted<Linux>>(
            "backend::Counted<Linux> (futex(2), no call when nobody waits)",
        );
    }
    #[cfg(windows)]
    tour_threads::<portable_futex::backend::Windows>("backend::Windows (WaitOnAddress)");
    #[cfg(target_vendor = "apple")]
    tour_threads::<portable_futex::backend::Darwin>("backend::Darwin (os_sync_wait_on_address)");
    tour_threads::<portable_futex::backend::Queue>("backend::Queue (user-space wait queue)");

    // One thread only: the ring and the barriers need several, so just the deadline.
    println!("\nbackend::SingleThreaded (one thread: sleeps out timeouts)");
    tour_deadline::<portable_futex::backend::SingleThreaded>();
}
