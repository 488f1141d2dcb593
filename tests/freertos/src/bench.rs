//! Our `Mutex` and `Semaphore` beside FreeRTOS's own mutex and counting semaphore, in the
//! same run: uncontended (one task takes and gives back), and handed between two tasks of
//! equal priority.
//!
//! On the host the unit is nanoseconds of the monotonic clock; under QEMU (run with
//! `-icount shift=0`, one instruction per nanosecond of virtual time) it is instructions,
//! which the emulator counts exactly and a noisy machine cannot disturb. The ratio column is
//! FreeRTOS's cost over ours: above 1, ours is cheaper.
//!
//! The hand-offs: for the locks, each task takes the lock, yields with it held (the other
//! task runs and blocks on it), and gives it back, which wakes the other; for the
//! semaphores, two tasks ping-pong through a pair of them. Each iteration is one hand-off.
//! Each row is measured three times, ours and FreeRTOS's in turn, and the medians printed,
//! with the range of the rounds' ratios (wide on the host, where the simulator switches tasks
//! as pthreads woken by signals).

use portable_futex::backend::FreeRtos;
use portable_futex::sync::generic::{Mutex, Semaphore};

use crate::{join, say, spawn, sys};

#[cfg(target_os = "none")]
const UNIT: &str = "instructions";
#[cfg(not(target_os = "none"))]
const UNIT: &str = "ns";

#[cfg(target_os = "none")]
const UNCONTENDED: u32 = 20_000;
#[cfg(not(target_os = "none"))]
const UNCONTENDED: u32 = 200_000;

#[cfg(target_os = "none")]
const HAND_OFFS: u32 = 2_000;
#[cfg(not(target_os = "none"))]
const HAND_OFFS: u32 = 10_000;

static OURS: Mutex<FreeRtos, ()> = Mutex::new(());
static PERMITS: Semaphore<FreeRtos> = Semaphore::new(1);
static PING: Semaphore<FreeRtos> = Semaphore::new(0);
static PONG: Semaphore<FreeRtos> = Semaphore::new(0);

/// The FreeRTOS objects, created by `run` before any task uses them.
static mut THEIRS: Option<[sys::Semaphore; 4]> = None;

fn theirs() -> [sys::Semaphore; 4] {
    // SAFETY: written once in `run` before any reader is spawned, never again.
    unsafe { (*core::ptr::addr_of!(THEIRS)).expect("created in run") }
}

/// Cost per iteration of `body`, run `n` times in this task.
fn per_iteration(n: u32, mut body: impl FnMut()) -> u64 {
    let start = sys::now_ns();
    for _ in 0..n {
        body();
    }
    (sys::now_ns() - start) / u64::from(n)
}

/// Cost per hand-off of two tasks running `a` and `b` (each `n` times), spawned at the
/// runner's priority minus one so that they run only while the runner waits in `join`.
fn per_hand_off(n: u32, a: fn(usize), b: fn(usize)) -> u64 {
    let start = sys::now_ns();
    spawn(crate::RUNNER - 1, n as usize, a);
    spawn(crate::RUNNER - 1, n as usize, b);
    join();
    (sys::now_ns() - start) / u64::from(2 * n)
}

/// Times of ours and theirs, measured in turn `REPEATS` times.
const REPEATS: usize = 3;

fn median(mut values: [u64; REPEATS]) -> u64 {
    values.sort_unstable();
    values[REPEATS / 2]
}

/// Hundredths, printed as a decimal.
struct Ratio(u64);

impl core::fmt::Display for Ratio {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

fn ratio(theirs: u64, ours: u64) -> Ratio {
    Ratio(theirs * 100 / ours.max(1))
}

/// Measures `ours` and `theirs` in turn, `REPEATS` times, and prints the medians, their ratio
/// and the range of the ratios of the single rounds.
fn row(what: &str, mut ours: impl FnMut() -> u64, mut theirs: impl FnMut() -> u64) {
    let (mut our_times, mut their_times) = ([0; REPEATS], [0; REPEATS]);
    for round in 0..REPEATS {
        our_times[round] = ours();
        their_times[round] = theirs();
    }
    let ratios =
        core::array::from_fn::<u64, REPEATS, _>(|i| their_times[i] * 100 / our_times[i].max(1));
    let (low, high) = (ratios.iter().min().unwrap_or(&0), ratios.iter().max().unwrap_or(&0));
    say!(
        "| {what} | {} | {} | {} | {}-{} |",
        median(our_times),
        median(their_times),
        ratio(median(their_times), median(our_times)),
        Ratio(*low),
        Ratio(*high)
    );
}

pub fn run() {
    // SAFETY: no task reads `THEIRS` yet.
    unsafe {
        *core::ptr::addr_of_mut!(THEIRS) = Some([
            sys::Semaphore::mutex(),
            sys::Semaphore::counting(1),
            sys::Semaphore::counting(0),
            sys::Semaphore::counting(0),
        ]);
    }
    let [mutex, counting, ..] = theirs();

    say!(
        "benchmark ({}), {UNIT} per operation, medians of {REPEATS} rounds; ratio = FreeRTOS / ours",
        sys::PORT
    );
    say!("| operation | portable-futex | FreeRTOS | ratio | range of the rounds |");
    say!("|---|---|---|---|---|");

    row(
        "Mutex lock + unlock, uncontended",
        || per_iteration(UNCONTENDED, || drop(OURS.lock())),
        || {
            per_iteration(UNCONTENDED, || {
                mutex.take();
                mutex.give();
            })
        },
    );
    row(
        "Semaphore acquire + release, uncontended",
        || {
            per_iteration(UNCONTENDED, || {
                PERMITS.acquire();
                PERMITS.release(1);
            })
        },
        || {
            per_iteration(UNCONTENDED, || {
                counting.take();
                counting.give();
            })
        },
    );

    fn ours_locker(n: usize) {
        for _ in 0..n {
            let guard = OURS.lock();
            sys::yield_now();
            drop(guard);
        }
    }
    fn their_locker(n: usize) {
        let [mutex, ..] = theirs();
        for _ in 0..n {
            mutex.take();
            sys::yield_now();
            mutex.give();
        }
    }
    row(
        "Mutex handed between two tasks",
        || per_hand_off(HAND_OFFS, ours_locker, ours_locker),
        || per_hand_off(HAND_OFFS, their_locker, their_locker),
    );

    fn ours_ping(n: usize) {
        for _ in 0..n {
            PING.release(1);
            PONG.acquire();
        }
    }
    fn ours_pong(n: usize) {
        for _ in 0..n {
            PING.acquire();
            PONG.release(1);
        }
    }
    fn their_ping(n: usize) {
        let [_, _, ping, pong] = theirs();
        for _ in 0..n {
            ping.give();
            pong.take();
        }
    }
    fn their_pong(n: usize) {
        let [_, _, ping, pong] = theirs();
        for _ in 0..n {
            ping.take();
            pong.give();
        }
    }
    row(
        "Semaphore ping-pong between two tasks",
        || per_hand_off(HAND_OFFS, ours_ping, ours_pong),
        || per_hand_off(HAND_OFFS, their_ping, their_pong),
    );
}
