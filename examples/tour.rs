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

/// The locks of `portable_futex::sync` on backend `B`: a contended counter, readers beside a
/// writer, and a condvar hand-off, timed.
#[cfg(feature = "sync")]
fn tour_locks<B: FutexBackend + 'static>(name: &str) {
    use portable_futex::sync::generic::{Condvar, Mutex, RwLock};

    println!("\n{name}");
    // Mutex: THREADS threads add to one counter.
    let count = Mutex::<B, u64>::new(0);
    let start = Instant::now();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| (0..ROUNDS * 10).for_each(|_| *count.lock() += 1));
        }
    });
    let elapsed = start.elapsed();
    let n = ROUNDS * 10 * THREADS as u32;
    assert_eq!(*count.lock(), u64::from(n));
    println!(
        "  Mutex           {THREADS} threads x {} locks: {elapsed:>9.2?} {:>8.1} ns each",
        ROUNDS * 10,
        elapsed.as_secs_f64() * 1e9 / f64::from(n)
    );

    // RwLock: three readers and one writer.
    let table = RwLock::<B, [u64; 8]>::new([0; 8]);
    let start = Instant::now();
    thread::scope(|s| {
        for i in 0..THREADS {
            let table = &table;
            s.spawn(move || {
                for round in 0..ROUNDS {
                    if i == 0 {
                        table.write()[round as usize % 8] += 1;
                    } else {
                        let t = table.read();
                        assert!(t.iter().sum::<u64>() <= u64::from(ROUNDS));
                    }
                }
            });
        }
    });
    let elapsed = start.elapsed();
    println!(
        "  RwLock          1 writer, {} readers x {ROUNDS}: {elapsed:>9.2?} {:>8.1} ns each",
        THREADS - 1,
        elapsed.as_secs_f64() * 1e9 / f64::from(ROUNDS * THREADS as u32)
    );

    // Condvar: a turn passed back and forth between two threads.
    let turn = (Mutex::<B, u32>::new(0), Condvar::<B>::new());
    let start = Instant::now();
    thread::scope(|s| {
        for me in 0..2 {
            let (turn, cv) = (&turn.0, &turn.1);
            s.spawn(move || {
                let mut t = turn.lock();
                for _ in 0..ROUNDS {
                    cv.wait_while(&mut t, |t| *t % 2 != me);
                    *t += 1;
                    cv.notify_one();
                }
            });
        }
    });
    let elapsed = start.elapsed();
    println!(
        "  Condvar         2 threads x {ROUNDS} hand-offs: {elapsed:>9.2?} {}",
        per(elapsed, 2 * ROUNDS)
    );
}

/// The one-shot and counting primitives of `portable_futex::sync`, on the default backend.
#[cfg(feature = "sync")]
fn tour_signals() {
    use portable_futex::sync::{
        Barrier, LazyLock, Once, OnceLock, Parker, ResetEvent, Semaphore, WaitGroup,
    };

    static INIT: Once = Once::new();
    static TABLE: LazyLock<Vec<u64>> = LazyLock::new(|| (0..1000).map(|i| i * i).collect());
    static NAME: OnceLock<String> = OnceLock::new();
    println!("\nsync signals (default backend, the plain names)");

    // Once, LazyLock, OnceLock: four threads race; each initialiser runs once.
    let runs = AtomicU32::new(0);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                INIT.call_once(|| {
                    runs.fetch_add(1, Ordering::Relaxed);
                });
                assert_eq!(TABLE[999], 998_001);
                NAME.get_or_init(|| "first".to_string());
            });
        }
    });
    println!(
        "  Once/LazyLock/OnceLock  {THREADS} threads raced: Once ran {} time(s), NAME = {:?}",
        runs.load(Ordering::Relaxed),
        NAME.get()
    );

    // Semaphore: two permits shared by four threads; never more than two inside.
    let permits = Semaphore::new(2);
    let (inside, most) = (AtomicU32::new(0), AtomicU32::new(0));
    let start = Instant::now();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..ROUNDS / 10 {
                    permits.acquire();
                    let now = inside.fetch_add(1, Ordering::Relaxed) + 1;
                    most.fetch_max(now, Ordering::Relaxed);
                    inside.fetch_sub(1, Ordering::Relaxed);
                    permits.release(1);
                }
            });
        }
    });
    let elapsed = start.elapsed();
    println!(
        "  Semaphore(2)            {THREADS} threads x {} acquires: {elapsed:>8.2?}, at most {} inside",
        ROUNDS / 10,
        most.load(Ordering::Relaxed)
    );

    // ResetEvent and WaitGroup: a starting gun, and waiting for the runners to finish.
    let (gun, finished) = (ResetEvent::new(), WaitGroup::new());
    let start = Instant::now();
    thread::scope(|s| {
        for _ in 0..THREADS {
            finished.start();
            s.spawn(|| {
                gun.wait();
                finished.done();
            });
        }
        gun.set();
        finished.wait();
    });
    println!(
        "  ResetEvent + WaitGroup  {THREADS} runners started and waited for: {:.2?}",
        start.elapsed()
    );

    // Barrier: generations of four threads, one leader each.
    let barrier = Barrier::new(THREADS);
    let leaders = AtomicU32::new(0);
    let generations = ROUNDS / 10;
    let start = Instant::now();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..generations {
                    if barrier.wait().is_leader() {
                        leaders.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let elapsed = start.elapsed();
    println!(
        "  Barrier({THREADS})              {generations} generations: {elapsed:>8.2?} {}, {} leaders",
        per(elapsed, generations),
        leaders.load(Ordering::Relaxed)
    );

    // Parker: two threads take turns, each parked until the other unparks it.
    let (ping, pong, turn) = (Parker::new(), Parker::new(), AtomicU32::new(0));
    let start = Instant::now();
    thread::scope(|s| {
        s.spawn(|| {
            for r in 0..ROUNDS {
                while turn.load(Ordering::Acquire) != 2 * r + 1 {
                    pong.park();
                }
                turn.store(2 * r + 2, Ordering::Release);
                ping.unpark();
            }
        });
        for r in 0..ROUNDS {
            turn.store(2 * r + 1, Ordering::Release);
            pong.unpark();
            while turn.load(Ordering::Acquire) != 2 * r + 2 {
                ping.park();
            }
        }
    });
    let elapsed = start.elapsed();
    println!(
        "  Parker ping-pong        {ROUNDS} round trips: {elapsed:>8.2?} {}",
        per(elapsed, ROUNDS)
    );
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

    #[cfg(feature = "sync")]
    {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        tour_locks::<portable_futex::backend::Linux>("sync locks on backend::Linux");
        tour_locks::<portable_futex::backend::Queue>("sync locks on backend::Queue");
    }

    #[cfg(feature = "sync")]
    tour_signals();
}
