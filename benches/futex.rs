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

use portable_futex::{Futex, FutexBackend};

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
    println!(
        "  {:<44} {:>11} {:>23} {:>8}",
        "", "median", "spread (min..max)", "ratio"
    );
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
        measure(
            &format!("{label}: Futex::wait (user-space check)"),
            200_000,
            |n| {
                for _ in 0..n {
                    Futex::<B>::wait(black_box(&word), 0);
                }
            },
        ),
        measure(
            &format!("{label}: backend wait (no user-space check)"),
            20_000,
            |n| {
                for _ in 0..n {
                    let _ = B::wait(black_box(&word), 0, None);
                }
            },
        ),
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
        print(
            "wait with a mismatched value (decides the user-space check)",
            &wait_mismatch::<Linux>("Linux"),
        );
        print(
            "timed wait with a zero timeout",
            &zero_timeout::<Linux>("Linux"),
        );
        print(
            "wake with nobody waiting",
            &[wake_no_waiters::<Linux>("Linux")],
        );
        print(
            "ping-pong between two threads",
            &[ping_pong::<Linux>("Linux")],
        );
    }
}
