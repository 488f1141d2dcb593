//! `cargo bench --bench condvar` (or `cargo xtask bench`): what a condition variable's notify
//! costs, ours beside std's and parking_lot's in one run, counted in wake-ups as well as time.
//! Ours run on `Linux` and `Queue`.
//!
//! Rows (each repeated, the median shown with the spread):
//!
//! - **hand-off, notify under the lock**: a producer and a consumer pass items through a
//!   one-slot mailbox, each notifying the other (`notify_one`) *before* it unlocks, the way
//!   most code is written: µs per item, and sleeps per item (the two threads' voluntary context
//!   switches, from `/proc`). Every item needs two sleeps, one per side; more means a woken
//!   thread found the mutex still held by its notifier and slept on it again;
//! - **notify_all, 64 waiters**: 64 threads wait on one condvar; a notifier bumps a generation
//!   under the mutex, calls `notify_all` and unlocks; each waiter retakes the mutex, sees the
//!   new generation, and waits again: µs per round, sleeps per waiter per round (1 is the
//!   floor; above it, waiters that woke to find the mutex taken by another one, the herd), and
//!   for ours the futex calls the notifier's `notify_all` made (counted by a backend adapter).

#[cfg(target_os = "linux")]
mod bench {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::{Duration, Instant};

    use portable_futex::backend::{Linux, Queue};
    use portable_futex::sync::generic;
    use portable_futex::{FutexBackend, Requeued, Timeout, WordChanged};

    const REPEATS: usize = 5;
    const ITEMS: u64 = 20_000;
    const WAITERS: usize = 64;
    const ROUNDS: u32 = 100;

    /// This thread's voluntary context switches so far: each is a sleep (a futex wait that
    /// blocked, or a yield that gave the processor away).
    fn sleeps() -> u64 {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    thread_local! {
        /// The futex calls this thread made through `Tally`.
        static CALLS: Cell<u64> = const { Cell::new(0) };
    }

    /// Backend `B` with a count of this thread's calls into it (each a system call on Linux).
    struct Tally<B>(B);

    fn tally() {
        CALLS.with(|c| c.set(c.get() + 1));
    }

    impl<B: FutexBackend> FutexBackend for Tally<B> {
        fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
            tally();
            B::wait(futex, expect, timeout)
        }
        fn wake(futex: *const AtomicU32, max_waiters: u32) {
            tally();
            B::wake(futex, max_waiters)
        }
        fn wake_counted(futex: *const AtomicU32, max_waiters: u32) -> Option<u32> {
            tally();
            B::wake_counted(futex, max_waiters)
        }
        fn requeue(
            from: &AtomicU32,
            expect: u32,
            to: *const AtomicU32,
            max_wake: u32,
            max_move: u32,
        ) -> Result<Requeued, WordChanged> {
            tally();
            B::requeue(from, expect, to, max_wake, max_move)
        }
        fn yield_now() -> bool {
            B::yield_now()
        }
    }

    /// A mutex, and a condvar to wait on it, for one subject.
    trait Subject: Send + Sync + 'static {
        const NAME: &'static str;
        type Guard<'a>;
        fn new() -> Self;
        fn lock(&self) -> Self::Guard<'_>;
        fn data<'g>(guard: &'g mut Self::Guard<'_>) -> &'g mut u64;
        /// Waits on condvar `which` (0 or 1).
        fn wait(&self, which: usize, guard: &mut Self::Guard<'_>);
        fn notify_one(&self, which: usize);
        fn notify_all(&self, which: usize);
    }

    struct Std(std::sync::Mutex<u64>, [std::sync::Condvar; 2]);
    impl Subject for Std {
        const NAME: &'static str = "std";
        type Guard<'a> = Option<std::sync::MutexGuard<'a, u64>>;
        fn new() -> Self {
            Std(std::sync::Mutex::new(0), [std::sync::Condvar::new(), std::sync::Condvar::new()])
        }
        fn lock(&self) -> Self::Guard<'_> {
            Some(self.0.lock().unwrap())
        }
        fn data<'g>(guard: &'g mut Self::Guard<'_>) -> &'g mut u64 {
            guard.as_mut().unwrap()
        }
        fn wait(&self, which: usize, guard: &mut Self::Guard<'_>) {
            *guard = Some(self.1[which].wait(guard.take().unwrap()).unwrap());
        }
        fn notify_one(&self, which: usize) {
            self.1[which].notify_one();
        }
        fn notify_all(&self, which: usize) {
            self.1[which].notify_all();
        }
    }

    struct ParkingLot(parking_lot::Mutex<u64>, [parking_lot::Condvar; 2]);
    impl Subject for ParkingLot {
        const NAME: &'static str = "parking_lot";
        type Guard<'a> = parking_lot::MutexGuard<'a, u64>;
        fn new() -> Self {
            ParkingLot(
                parking_lot::Mutex::new(0),
                [parking_lot::Condvar::new(), parking_lot::Condvar::new()],
            )
        }
        fn lock(&self) -> Self::Guard<'_> {
            self.0.lock()
        }
        fn data<'g>(guard: &'g mut Self::Guard<'_>) -> &'g mut u64 {
            guard
        }
        fn wait(&self, which: usize, guard: &mut Self::Guard<'_>) {
            self.1[which].wait(guard);
        }
        fn notify_one(&self, which: usize) {
            self.1[which].notify_one();
        }
        fn notify_all(&self, which: usize) {
            self.1[which].notify_all();
        }
    }

    struct Ours<B>(generic::Mutex<B, u64>, [generic::Condvar<B>; 2]);
    macro_rules! ours {
        ($backend:ty, $name:literal) => {
            impl Subject for Ours<$backend> {
                const NAME: &'static str = $name;
                type Guard<'a> = portable_futex::sync::lock_api::MutexGuard<
                    'a,
                    portable_futex::sync::RawMutex<$backend>,
                    u64,
                >;
                fn new() -> Self {
                    Ours(generic::Mutex::new(0), [generic::Condvar::new(), generic::Condvar::new()])
                }
                fn lock(&self) -> Self::Guard<'_> {
                    self.0.lock()
                }
                fn data<'g>(guard: &'g mut Self::Guard<'_>) -> &'g mut u64 {
                    guard
                }
                fn wait(&self, which: usize, guard: &mut Self::Guard<'_>) {
                    self.1[which].wait(guard);
                }
                fn notify_one(&self, which: usize) {
                    self.1[which].notify_one();
                }
                fn notify_all(&self, which: usize) {
                    self.1[which].notify_all();
                }
            }
        };
    }
    ours!(Tally<Linux>, "ours, Linux");
    ours!(Tally<Queue>, "ours, Queue");

    /// The mailbox's slot: `EMPTY`, or an item.
    const EMPTY: u64 = u64::MAX;
    const NOT_EMPTY: usize = 0;
    const NOT_FULL: usize = 1;

    /// One hand-off run: µs per item, sleeps per item (both threads).
    fn hand_off<S: Subject>() -> (f64, f64) {
        let subject = Arc::new(S::new());
        *S::data(&mut subject.lock()) = EMPTY;
        let start = Instant::now();
        let consumer = {
            let subject = subject.clone();
            thread::spawn(move || {
                let before = sleeps();
                let mut sum = 0;
                for _ in 0..ITEMS {
                    let mut guard = subject.lock();
                    while *S::data(&mut guard) == EMPTY {
                        subject.wait(NOT_EMPTY, &mut guard);
                    }
                    sum += std::mem::replace(S::data(&mut guard), EMPTY);
                    subject.notify_one(NOT_FULL);
                    drop(guard);
                }
                (sum, sleeps() - before)
            })
        };
        let before = sleeps();
        for i in 0..ITEMS {
            let mut guard = subject.lock();
            while *S::data(&mut guard) != EMPTY {
                subject.wait(NOT_FULL, &mut guard);
            }
            *S::data(&mut guard) = i;
            subject.notify_one(NOT_EMPTY);
            drop(guard);
        }
        let ours = sleeps() - before;
        let (sum, theirs) = consumer.join().unwrap();
        assert_eq!(sum, ITEMS * (ITEMS - 1) / 2);
        let per_item = start.elapsed().as_secs_f64() * 1e6 / ITEMS as f64;
        (per_item, (ours + theirs) as f64 / ITEMS as f64)
    }

    /// One herd run: µs per round, sleeps per waiter per round, futex calls per `notify_all`.
    fn herd<S: Subject>() -> (f64, f64, f64) {
        let subject = Arc::new(S::new());
        let waiting = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(Barrier::new(WAITERS + 1));
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let (subject, waiting, seen) = (subject.clone(), waiting.clone(), seen.clone());
                let (done, ready) = (done.clone(), ready.clone());
                thread::spawn(move || {
                    ready.wait();
                    let before = sleeps();
                    let mut generation = 0;
                    let mut guard = subject.lock();
                    while !done.load(Relaxed) {
                        waiting.fetch_add(1, Relaxed);
                        while *S::data(&mut guard) == generation {
                            subject.wait(0, &mut guard);
                        }
                        generation = *S::data(&mut guard);
                        seen.fetch_add(1, Release);
                    }
                    drop(guard);
                    sleeps() - before
                })
            })
            .collect();
        ready.wait();
        let mut calls = 0;
        let start = Instant::now();
        for round in 1..=ROUNDS {
            // Every waiter is back in its wait (counted under the mutex, before it waits).
            while waiting.load(Relaxed) < WAITERS * round as usize
                || seen.load(Acquire) < WAITERS * (round as usize - 1)
            {
                thread::yield_now();
            }
            let mut guard = subject.lock();
            *S::data(&mut guard) = u64::from(round);
            if round == ROUNDS {
                done.store(true, Relaxed);
            }
            let before = CALLS.with(Cell::get);
            subject.notify_all(0);
            calls += CALLS.with(Cell::get) - before;
            drop(guard);
        }
        while seen.load(Acquire) < WAITERS * ROUNDS as usize {
            thread::yield_now();
        }
        let elapsed = start.elapsed();
        let sleeps: u64 = waiters.into_iter().map(|w| w.join().unwrap()).sum();
        let rounds = f64::from(ROUNDS);
        (
            elapsed.as_secs_f64() * 1e6 / rounds,
            sleeps as f64 / WAITERS as f64 / rounds,
            calls as f64 / rounds,
        )
    }

    fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
        xs.sort_by(f64::total_cmp);
        (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
    }

    fn hand_off_row<S: Subject>(baseline: &mut Option<f64>) {
        let runs: Vec<_> = (0..REPEATS).map(|_| hand_off::<S>()).collect();
        let (mid, lo, hi) = median(runs.iter().map(|r| r.0).collect());
        let sleeps = median(runs.iter().map(|r| r.1).collect()).0;
        let base = *baseline.get_or_insert(mid);
        println!(
            "  {:<14} {mid:>8.2} µs/item  [{lo:.2} .. {hi:.2}]  vs std {:>5.2}  sleeps/item {sleeps:>5.2}",
            S::NAME,
            base / mid
        );
    }

    fn herd_row<S: Subject>(baseline: &mut Option<f64>, counted: bool) {
        let runs: Vec<_> = (0..REPEATS).map(|_| herd::<S>()).collect();
        let (mid, lo, hi) = median(runs.iter().map(|r| r.0).collect());
        let sleeps = median(runs.iter().map(|r| r.1).collect()).0;
        let calls = median(runs.iter().map(|r| r.2).collect()).0;
        let base = *baseline.get_or_insert(mid);
        let calls = if counted { format!("{calls:.1}") } else { "-".into() };
        println!(
            "  {:<14} {mid:>8.1} µs/round [{lo:.1} .. {hi:.1}]  vs std {:>5.2}  sleeps/waiter {sleeps:>5.2}  futex calls/notify_all {calls}",
            S::NAME,
            base / mid
        );
    }

    pub fn main() {
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        println!("portable-futex condvar benchmark: {cpus} CPUs, median of {REPEATS} runs");

        println!(
            "\nCondvar hand-off, notify_one under the lock: one producer, one consumer, one slot"
        );
        let mut baseline = None;
        hand_off_row::<Std>(&mut baseline);
        hand_off_row::<ParkingLot>(&mut baseline);
        hand_off_row::<Ours<Tally<Linux>>>(&mut baseline);
        hand_off_row::<Ours<Tally<Queue>>>(&mut baseline);

        println!("\nCondvar notify_all under the lock, {WAITERS} waiters");
        let mut baseline = None;
        herd_row::<Std>(&mut baseline, false);
        herd_row::<ParkingLot>(&mut baseline, false);
        herd_row::<Ours<Tally<Linux>>>(&mut baseline, true);
        herd_row::<Ours<Tally<Queue>>>(&mut baseline, true);
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    println!("the condvar benchmark reads /proc and runs on Linux only");
}
