//! A `FutexBackend` written the way an RTOS port would write it: over the kernel's own
//! primitives, a task notification ("block until someone gives me a notification, or until a
//! timeout") and a critical section, with a fixed table of waiting tasks and no heap.
//!
//! The `rtos` module below stands for the kernel's API (FreeRTOS's `xTaskNotifyWait` /
//! `xTaskNotifyGive` / `taskENTER_CRITICAL`, Zephyr's `k_sem`, an RTIC monotonic...). Here it
//! is played by std threads so the example runs on the host. Once the port is written, the
//! tasks share `sync::generic::Mutex<RtosFutex, _>` and `sync::generic::Condvar<RtosFutex>`:
//! the same locks every other target uses, in statics, without a heap (see the end of `main`).
//!
//! ```sh
//! cargo run --example rtos_backend
//! ```

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use portable_futex::sync::generic;
use portable_futex::{Clock, Deadline, Futex, FutexBackend, Timeout};

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

    /// Lets another ready task of the same priority run (FreeRTOS' `taskYIELD`).
    pub fn task_yield() {
        thread::yield_now();
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
///
/// And the one optional function, `yield_now`: the kernel's task yield.
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
            rtos::task_yield();
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

    /// Optional: the locks call it while they wait for a held lock before sleeping, so that
    /// the holder, if it is a ready task waiting for the processor, can run and release it.
    /// Without it (the default answers `false`), they spin briefly and then sleep.
    fn yield_now() -> bool {
        rtos::task_yield();
        true
    }
}

/// The kernel's tick clock, for timed locks: a no_std port has no std clock to default to.
struct Ticks;

impl Clock for Ticks {
    fn now(&self) -> Duration {
        rtos::now()
    }
}

/// The locks on the port: two type names, and the tasks use them like std's.
type Mutex<T> = generic::Mutex<RtosFutex, T>;
type Condvar = generic::Condvar<RtosFutex>;

/// A mailbox of at most `CAPACITY` messages, in a fixed ring (no heap).
struct Mailbox {
    ring: [u32; Mailbox::CAPACITY],
    head: usize,
    len: usize,
}

impl Mailbox {
    const CAPACITY: usize = 4;

    const fn new() -> Self {
        Mailbox { ring: [0; Self::CAPACITY], head: 0, len: 0 }
    }
}

static MAILBOX: Mutex<Mailbox> = Mutex::new(Mailbox::new());
static NOT_EMPTY: Condvar = Condvar::new();
static NOT_FULL: Condvar = Condvar::new();

/// A task's `send`: waits while the mailbox is full.
fn send(message: u32) {
    let mut mailbox = MAILBOX.lock();
    NOT_FULL.wait_while(&mut mailbox, |m| m.len == Mailbox::CAPACITY);
    let tail = (mailbox.head + mailbox.len) % Mailbox::CAPACITY;
    mailbox.ring[tail] = message;
    mailbox.len += 1;
    drop(mailbox);
    NOT_EMPTY.notify_one();
}

/// A task's `receive`: waits while the mailbox is empty.
fn receive() -> u32 {
    let mut mailbox = MAILBOX.lock();
    NOT_EMPTY.wait_while(&mut mailbox, |m| m.len == 0);
    let message = mailbox.ring[mailbox.head];
    mailbox.head = (mailbox.head + 1) % Mailbox::CAPACITY;
    mailbox.len -= 1;
    drop(mailbox);
    NOT_FULL.notify_one();
    message
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

    // The locks on the port: two producer tasks and two consumer tasks through the mailbox.
    const MESSAGES: u32 = 1000;
    let producers: Vec<_> = (0..2)
        .map(|p| std::thread::spawn(move || (1..=MESSAGES).for_each(|i| send(p * MESSAGES + i))))
        .collect();
    let consumers: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(|| (0..MESSAGES).map(|_| u64::from(receive())).sum::<u64>()))
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    let n = u64::from(2 * MESSAGES);
    assert_eq!(total, n * (n + 1) / 2);
    println!("{n} messages through a Mutex and two Condvars on the port");

    // A timed lock on the kernel's clock: the mailbox is held, so the other task gives up.
    let held = MAILBOX.lock();
    let start = rtos::now();
    let gave_up = std::thread::spawn(|| {
        let mut deadline =
            Deadline::<RtosFutex, _>::with_clock(Some(Duration::from_millis(5)), Ticks);
        generic::try_lock_by(&MAILBOX, &mut deadline).is_none()
    });
    assert!(gave_up.join().unwrap());
    drop(held);
    println!("a timed lock on the kernel's ticks gave up after {:?}", rtos::now() - start);
}
