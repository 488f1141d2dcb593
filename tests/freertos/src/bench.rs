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
const HAND_OFFS: u32 = 20_000;

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

fn row(what: &str, ours: u64, theirs: u64) {
    let ratio_x100 = theirs * 100 / ours.max(1);
    say!("| {what} | {ours} | {theirs} | {}.{:02} |", ratio_x100 / 100, ratio_x100 % 100);
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

    say!("benchmark ({}), {UNIT} per operation; ratio = FreeRTOS / ours", sys::PORT);
    say!("| operation | portable-futex | FreeRTOS | ratio |");
    say!("|---|---|---|---|");

    let ours = per_iteration(UNCONTENDED, || drop(OURS.lock()));
    let them = per_iteration(UNCONTENDED, || {
        mutex.take();
        mutex.give();
    });
    row("Mutex lock + unlock, uncontended", ours, them);

    let ours = per_iteration(UNCONTENDED, || {
        PERMITS.acquire();
        PERMITS.release(1);
    });
    let them = per_iteration(UNCONTENDED, || {
        counting.take();
        counting.give();
    });
    row("Semaphore acquire + release, uncontended", ours, them);

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
    let ours = per_hand_off(HAND_OFFS, ours_locker, ours_locker);
    let them = per_hand_off(HAND_OFFS, their_locker, their_locker);
    row("Mutex handed between two tasks", ours, them);

    let ours = per_hand_off(
        HAND_OFFS,
        |n| {
            for _ in 0..n {
                PING.release(1);
                PONG.acquire();
            }
        },
        |n| {
            for _ in 0..n {
                PING.acquire();
                PONG.release(1);
            }
        },
    );
    let them = per_hand_off(
        HAND_OFFS,
        |n| {
            let [_, _, ping, pong] = theirs();
            for _ in 0..n {
                ping.give();
                pong.take();
            }
        },
        |n| {
            let [_, _, ping, pong] = theirs();
            for _ in 0..n {
                ping.take();
                pong.give();
            }
        },
    );
    row("Semaphore ping-pong between two tasks", ours, them);
}
