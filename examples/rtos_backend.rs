//! A `FutexBackend` written the way an RTOS port would write it: over the kernel's own
//! primitives, a task notification ("block until someone gives me a notification, or until a
//! timeout") and a critical section, with a fixed table of waiting tasks and no heap.
//!
//! The `rtos` module below stands for the kernel's API (FreeRTOS's `xTaskNotifyWait` /
//! `xTaskNotifyGive` / `taskENTER_CRITICAL`, Zephyr's `k_sem`, an RTIC monotonic...). Here it
//! is played by std threads so the example runs on the host:
//!
//! ```sh
//! cargo run --example rtos_backend
//! ```

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use portable_futex::{Futex, FutexBackend, Timeout};

/// What the port needs from the kernel. On a real RTOS each is one call into its API.
mod rtos {
    use std::sync::{Mutex, MutexGuard};
    use std::thread::{self, Thread};
    use std::time::{Duration, Instant};

    /// A handle to a task, as the kernel hands it out.
    pub type Task = Thread;

    pub fn current_task() -> Task {
        thread::current()
    }

    /// Blocks the calling task until it is given a notification or `timeout` passes; returns
    /// whether a notification arrived. Like the real ones, it may also return early: the
    /// caller re-checks its condition.
    pub fn notify_wait(timeout: Option<Duration>) -> bool {
        match timeout {
            None => thread::park(),
            Some(t) => thread::park_timeout(t),
        }
        true
    }

    /// Gives `task` a notification (safe from interrupt context on a real kernel).
    pub fn notify_give(task: &Task) {
        task.unpark();
    }

    /// A monotonic tick count, as the kernel keeps it.
    pub fn now() -> Duration {
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }

    /// The kernel's critical section (interrupts masked or scheduler locked).
    pub fn critical_section() -> MutexGuard<'static, ()> {
        static LOCK: Mutex<()> = Mutex::new(());
        LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One waiting task.
struct Slot {
    /// The word's address; 0 marks a free slot.
    address: usize,
    task: Option<rtos::Task>,
    /// Set by a waker that has taken this task out of the table.
    woken: bool,
}

/// How many tasks may wait at once: the kernel's task count is a good choice.
const SLOTS: usize = 16;

/// The table of waiting tasks. Only touched inside the kernel's critical section.
struct Table(std::cell::UnsafeCell<[Slot; SLOTS]>);

// SAFETY: every access is inside `rtos::critical_section()`.
unsafe impl Sync for Table {}

static TABLE: Table = Table(std::cell::UnsafeCell::new(
    [const { Slot { address: 0, task: None, woken: false } }; SLOTS],
));

/// Runs `f` on the table inside the kernel's critical section.
fn with_table<R>(f: impl FnOnce(&mut [Slot; SLOTS]) -> R) -> R {
    let _cs = rtos::critical_section();
    // SAFETY: the critical section excludes every other access to the table.
    f(unsafe { &mut *TABLE.0.get() })
}

/// The RTOS port of portable-futex.
///
/// What `FutexBackend` demands, and how this port keeps it:
///
/// - **`wait` is called only after the front end saw `*futex == expect`**, but the value may
///   have changed since: the port compares it again *inside the critical section* in which it
///   registers the task, so a `wake` (which takes the same critical section) either comes
///   before (and the compare sees the new value) or finds the task registered.
/// - **No lost wakeups**: follows from the above, and from notifications being sticky (a give
///   that arrives before the task blocks makes its `notify_wait` return at once).
/// - **Spurious returns are allowed**: `notify_wait` may return early; the port then reports
///   `Ok(())` and the caller's loop re-checks. A full table is also answered with a yield and
///   a spurious `Ok(())` rather than a panic.
/// - **`Err(Timeout)` only when the time passed**: reported only when the task is still
///   registered after its timeout (nobody woke it) *and* the kernel's clock shows the time.
/// - **`timeout` is `None` or non-zero; `wake` gets `max_waiters > 0`**: the front end
///   guarantees both; the port does not rely on more.
/// - **`wake` uses the address alone**: it compares addresses in the table, and never reads
///   the word, which may already be freed.
/// - **No panics, no allocation**: a fixed table, task handles that are copies of kernel
///   handles.
struct RtosFutex;

impl FutexBackend for RtosFutex {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        let address = futex as *const AtomicU32 as usize;
        let start = rtos::now();
        let slot = with_table(|table| {
            if futex.load(Ordering::Relaxed) != expect {
                return None;
            }
            let (index, slot) = table.iter_mut().enumerate().find(|(_, s)| s.address == 0)?;
            *slot = Slot { address, task: Some(rtos::current_task()), woken: false };
            Some(index)
        });
        let Some(index) = slot else {
            // The value changed, or the table is full: return and let the caller re-check.
            std::thread::yield_now();
            return Ok(());
        };
        rtos::notify_wait(timeout);
        // Leave the table, unless a waker already took us out.
        let woken = with_table(|table| {
            let slot = &mut table[index];
            let woken = slot.woken;
            *slot = Slot { address: 0, task: None, woken: false };
            woken
        });
        match timeout {
            Some(t) if !woken && rtos::now().saturating_sub(start) >= t => Err(Timeout),
            _ => Ok(()),
        }
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        let address = futex as usize;
        // Collect the tasks under the critical section, notify them after it.
        let mut to_notify: [Option<rtos::Task>; SLOTS] = [const { None }; SLOTS];
        with_table(|table| {
            let waiting = table.iter_mut().filter(|s| s.address == address && !s.woken);
            for (slot, out) in waiting.take(max_waiters as usize).zip(to_notify.iter_mut()) {
                slot.woken = true;
                *out = slot.task.clone();
            }
        });
        for task in to_notify.iter().flatten() {
            rtos::notify_give(task);
        }
    }
}

fn main() {
    static READY: AtomicU32 = AtomicU32::new(0);

    let start = rtos::now();
    assert_eq!(Futex::<RtosFutex>::timed_wait(&READY, 0, Duration::from_millis(10)), Err(Timeout));
    println!("timed wait: Timeout after {:?}", rtos::now() - start);

    let tasks: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                while READY.load(Ordering::Acquire) == 0 {
                    Futex::<RtosFutex>::wait(&READY, 0);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(10));
    READY.store(1, Ordering::Release);
    Futex::<RtosFutex>::wake(&READY, u32::MAX);
    for task in tasks {
        task.join().unwrap();
    }
    println!("four tasks woken by one wake-all");
}
