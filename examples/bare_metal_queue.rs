//! A futex for a board with no OS: the queue backend on a lock and an event you choose.
//!
//! Everything above `main` is what a no_std program writes (only `core` and portable-futex);
//! the `board` module stands for the hardware: on a Cortex-M, `idle` is `wfe`, `signal` is
//! `sev`, and `now` reads a tick counter. Here they run on the host so the example can show it
//! working, with two threads standing in for two contexts.
//!
//! ```sh
//! cargo run --example bare_metal_queue
//! ```

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::time::Duration;

use portable_futex::backend::queue::{Bucket, CriticalSectionLock, Event, QueueConfig};
use portable_futex::backend::QueueWith;
use portable_futex::{Futex, Timeout};

/// The waiting event: a flag, and the core's "sleep until an event" instruction.
struct FlagEvent {
    set: AtomicBool,
}

// SAFETY: `wait` returns Ok only after seeing the flag that only `set` stores; it reports a
// timeout only after the board clock passed it; `set` publishes the flag last and then
// touches only the board, never `*this`.
unsafe impl Event for FlagEvent {
    fn new() -> Self {
        FlagEvent { set: AtomicBool::new(false) }
    }

    fn wait(&self, timeout: Option<Duration>) -> Result<(), Timeout> {
        let start = board::now();
        while !self.set.load(Ordering::Acquire) {
            if timeout.is_some_and(|t| board::now().saturating_sub(start) >= t) {
                return Err(Timeout);
            }
            board::idle();
        }
        Ok(())
    }

    unsafe fn set(this: *const Self) {
        // SAFETY: `*this` is alive until this store makes it visible; nothing touches it after.
        unsafe { (*this).set.store(true, Ordering::Release) };
        board::signal();
    }
}

/// The board's futex: a critical section as the bucket lock, 8 buckets (RAM is scarce).
struct Board;

impl QueueConfig for Board {
    type Lock = CriticalSectionLock;
    type Event = FlagEvent;
    fn buckets() -> &'static [Bucket<CriticalSectionLock, FlagEvent>] {
        static BUCKETS: [Bucket<CriticalSectionLock, FlagEvent>; 8] = Bucket::table();
        &BUCKETS
    }
}

/// What the rest of the program (and its libraries) call.
type BoardFutex = Futex<QueueWith<Board>>;

/// The hardware, played by the host.
mod board {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// A monotonic clock (a tick counter on a board).
    pub fn now() -> Duration {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }

    /// `wfe`: sleep until an event or interrupt.
    pub fn idle() {
        std::thread::yield_now();
    }

    /// `sev`: signal an event to every core.
    pub fn signal() {}
}

fn main() {
    static READY: AtomicU32 = AtomicU32::new(0);

    // A timed wait that nobody answers times out on the board clock.
    let start = board::now();
    assert_eq!(BoardFutex::timed_wait(&READY, 0, Duration::from_millis(5)), Err(Timeout));
    println!("timed wait: Timeout after {:?}", board::now() - start);

    // Another context sets the word and wakes the waiter.
    let other = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(5));
        READY.store(1, Ordering::Release);
        BoardFutex::wake(&READY, 1);
    });
    while READY.load(Ordering::Acquire) == 0 {
        BoardFutex::wait(&READY, 0);
    }
    other.join().unwrap();
    println!("woken by the other context: READY = {}", READY.load(Ordering::Acquire));
}
