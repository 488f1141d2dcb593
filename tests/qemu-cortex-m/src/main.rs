//! portable-futex on a bare Cortex-M, under QEMU, with interrupts as the second context.
//!
//! The binary installs the queue backend (a critical-section bucket lock and a `wfi` event
//! timed by the SysTick counter) as the crate-wide default with `set_backend!`; the checks
//! then go through `futex-user`, a library that calls only the root functions. SysTick
//! (every tick) and PendSV (when pended) are the other context. It prints `N passed, M
//! failed` and exits through semihosting with the verdict; a panic or HardFault exits with
//! failure, and a hang is caught by the `timeout` around QEMU.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::time::Duration;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SCB;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use portable_futex::backend::queue::{Bucket, CriticalSectionLock, QueueConfig, Sleep, Wfi, WfiEvent};
use portable_futex::backend::{Installed, QueueWith};
use portable_futex::sync::generic::{ResetEvent, Semaphore};
use portable_futex::{Clock, Deadline, FutexBackend, Timeout};

/// SysTick reload: about a millisecond of QEMU's core clock. The tests only need a counter
/// that moves; they compare it with itself.
const RELOAD: u32 = 12_000;

/// Ticks since boot, written only by the SysTick handler (no read-modify-write on the M0).
static TICKS: AtomicU32 = AtomicU32::new(0);
/// When non-zero, the SysTick handler sets `WORD` at this tick.
static ALARM_AT: AtomicU32 = AtomicU32::new(0);
static WORD: AtomicU32 = AtomicU32::new(0);
/// Set by the PendSV handler.
static WINDOW: AtomicU32 = AtomicU32::new(0);
/// Never set: timed waits on it must time out.
static IDLE: AtomicU32 = AtomicU32::new(0);
/// Arms `Hooked` to pend PendSV right before its next `wfi`.
static PEND_IN_WINDOW: AtomicBool = AtomicBool::new(false);

/// What the next interrupt signal does (`signal`): one of the `SIGNAL_*` values, or 0.
static SIGNAL: AtomicU32 = AtomicU32::new(0);
/// When non-zero, the SysTick handler signals at this tick.
static SIGNAL_AT: AtomicU32 = AtomicU32::new(0);
/// When set, PendSV signals instead of setting `WINDOW`.
static SIGNAL_IN_PENDSV: AtomicBool = AtomicBool::new(false);
/// Arms `Windowed` to pend PendSV as its next wait begins.
static PEND_BEFORE_WAIT: AtomicBool = AtomicBool::new(false);
/// Signalled by interrupt handlers, waited for by `main` (on the installed queue backend).
static EVENT: ResetEvent<Installed> = ResetEvent::new();
static PERMITS: Semaphore<Installed> = Semaphore::new(0);
/// The same, on `Windowed`.
static WINDOWED_EVENT: ResetEvent<Windowed> = ResetEvent::new();
static WINDOWED_PERMITS: Semaphore<Windowed> = Semaphore::new(0);
const SIGNAL_SET_EVENT: u32 = 1;
const SIGNAL_RELEASE: u32 = 2;
const SIGNAL_SET_WINDOWED_EVENT: u32 = 3;
const SIGNAL_RELEASE_WINDOWED: u32 = 4;

/// The installed backend, but when armed its next wait first pends PendSV, which is taken at
/// once: the handler's signal lands after the primitive looked at its word and decided to
/// sleep, and before the futex compares the word itself.
struct Windowed;

impl FutexBackend for Windowed {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        // Only `main` reads and clears the flag (no read-modify-write on the M0).
        if PEND_BEFORE_WAIT.load(Ordering::Relaxed) {
            PEND_BEFORE_WAIT.store(false, Ordering::Relaxed);
            SCB::set_pendsv();
            // Make sure the exception is taken here, before the backend's compare.
            cortex_m::asm::dsb();
            cortex_m::asm::isb();
        }
        Installed::wait(futex, expect, timeout)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        Installed::wake(futex, max_waiters)
    }
}

/// An interrupt handler's signal: `ResetEvent::set` or `Semaphore::release`, both documented
/// as safe there on this backend.
fn signal() {
    match SIGNAL.load(Ordering::Relaxed) {
        SIGNAL_SET_EVENT => EVENT.set(),
        SIGNAL_RELEASE => PERMITS.release(1),
        SIGNAL_SET_WINDOWED_EVENT => WINDOWED_EVENT.set(),
        SIGNAL_RELEASE_WINDOWED => WINDOWED_PERMITS.release(1),
        _ => {}
    }
    SIGNAL.store(0, Ordering::Relaxed);
}

/// The SysTick counter as a clock: one tick counted as a millisecond.
#[derive(Default)]
struct TickClock;

impl Clock for TickClock {
    fn now(&self) -> Duration {
        Duration::from_millis(TICKS.load(Ordering::Relaxed).into())
    }
}

/// `wfi`, but when armed it first pends PendSV, whose handler wakes the waiter: the wake lands
/// after the event checked its flag and before it sleeps, the window a careless event loses.
struct Hooked;

impl Sleep for Hooked {
    fn sleep() {
        // Called inside the event's critical section: a plain load and store suffice.
        if PEND_IN_WINDOW.load(Ordering::Relaxed) {
            PEND_IN_WINDOW.store(false, Ordering::Relaxed);
            SCB::set_pendsv();
        }
        Wfi::sleep();
    }
}

/// The board's futex: the queue on a critical section, four buckets, the `wfi` event.
struct Board;

/// The board's waiting event: `wfi` (hooked), timed on the tick counter.
type BoardEvent = WfiEvent<TickClock, Hooked>;

impl QueueConfig for Board {
    type Lock = CriticalSectionLock;
    type Event = BoardEvent;
    fn buckets() -> &'static [Bucket<CriticalSectionLock, BoardEvent>] {
        static BUCKETS: [Bucket<CriticalSectionLock, BoardEvent>; 4] = Bucket::table();
        &BUCKETS
    }
}

portable_futex::set_backend!(QueueWith<Board>);

#[exception]
fn SysTick() {
    let now = TICKS.load(Ordering::Relaxed).wrapping_add(1);
    TICKS.store(now, Ordering::Relaxed);
    let alarm = ALARM_AT.load(Ordering::Relaxed);
    if alarm != 0 && now >= alarm {
        ALARM_AT.store(0, Ordering::Relaxed);
        futex_user::set(&WORD);
    }
    let signal_at = SIGNAL_AT.load(Ordering::Relaxed);
    if signal_at != 0 && now >= signal_at {
        SIGNAL_AT.store(0, Ordering::Relaxed);
        signal();
    }
}

#[exception]
fn PendSV() {
    if SIGNAL_IN_PENDSV.load(Ordering::Relaxed) {
        SIGNAL_IN_PENDSV.store(false, Ordering::Relaxed);
        signal();
    } else {
        futex_user::set(&WINDOW);
    }
}

fn ticks() -> u32 {
    TICKS.load(Ordering::Relaxed)
}

fn syst() -> cortex_m::peripheral::SYST {
    // SAFETY: single-threaded test program; SYST is only reconfigured from `main`, between
    // checks, and its handler only reads the counter statics.
    unsafe { cortex_m::Peripherals::steal() }.SYST
}

/// An interrupt handler's `wake` releases a waiter blocked in an untimed `wait`.
fn isr_wakes_a_blocked_waiter() -> bool {
    WORD.store(0, Ordering::Relaxed);
    ALARM_AT.store(ticks() + 5, Ordering::Relaxed);
    futex_user::wait_until_set(&WORD);
    WORD.load(Ordering::Acquire) == 1
}

/// A timed wait that nobody answers times out, and only after the time passed on the ticks.
fn timed_wait_times_out_on_the_tick_clock() -> bool {
    let start = ticks();
    let result = futex_user::wait_for(&IDLE, Duration::from_millis(20));
    result == Err(Timeout) && ticks().wrapping_sub(start) >= 20
}

/// A wake that lands between the event's check and its `wfi` is not lost. The tick is
/// stopped, so a lost wakeup would sleep forever (and QEMU's timeout would fail the run).
fn wake_between_check_and_sleep_is_not_lost() -> bool {
    syst().disable_interrupt();
    WINDOW.store(0, Ordering::Relaxed);
    PEND_IN_WINDOW.store(true, Ordering::Relaxed);
    futex_user::wait_until_set(&WINDOW);
    syst().enable_interrupt();
    WINDOW.load(Ordering::Acquire) == 1 && !PEND_IN_WINDOW.load(Ordering::Relaxed)
}

/// A `Deadline` on the tick clock expires, no earlier than asked, and an expired one answers
/// at once.
fn deadline_expires() -> bool {
    let start = ticks();
    let mut deadline = Deadline::<Installed, _>::with_clock(Some(Duration::from_millis(30)), TickClock);
    while deadline.wait(&IDLE, 0).is_ok() {}
    let waited = ticks().wrapping_sub(start);
    waited >= 30 && deadline.wait(&IDLE, 0) == Err(Timeout) && deadline.wait(&IDLE, 1).is_ok()
}

/// `main` blocks in `ResetEvent::wait` and then in `Semaphore::acquire`; a SysTick handler a
/// few ticks later sets the event, then releases a permit.
fn isr_sets_event_and_releases_semaphore() -> bool {
    EVENT.reset();
    let start = ticks();
    SIGNAL.store(SIGNAL_SET_EVENT, Ordering::Relaxed);
    SIGNAL_AT.store(start + 5, Ordering::Relaxed);
    EVENT.wait();
    let event_ok = EVENT.is_set() && ticks().wrapping_sub(start) >= 5;

    let start = ticks();
    SIGNAL.store(SIGNAL_RELEASE, Ordering::Relaxed);
    SIGNAL_AT.store(start + 5, Ordering::Relaxed);
    PERMITS.acquire();
    let permits_ok = PERMITS.available_permits() == 0 && ticks().wrapping_sub(start) >= 5;
    // A timed acquire that nobody answers times out on the tick clock.
    let start = ticks();
    let timeout = Some(Duration::from_millis(10));
    let mut deadline = Deadline::<Installed, _>::with_clock(timeout, TickClock);
    let timed_ok = !PERMITS.try_acquire_by(&mut deadline) && ticks().wrapping_sub(start) >= 10;
    event_ok && permits_ok && timed_ok
}

/// With the tick stopped (so that a lost wake would sleep for ever), the handler's
/// `ResetEvent::set` and `Semaphore::release` land in the two windows a lost wakeup hides in:
/// after the primitive saw nothing and decided to sleep, before the futex's own compare
/// (`Windowed`); and after that compare, between the wait event's check and its `wfi`
/// (`Hooked`).
fn signal_between_check_and_sleep_is_not_lost() -> bool {
    syst().disable_interrupt();
    // Window 1: before the futex compares.
    WINDOWED_EVENT.reset();
    SIGNAL.store(SIGNAL_SET_WINDOWED_EVENT, Ordering::Relaxed);
    SIGNAL_IN_PENDSV.store(true, Ordering::Relaxed);
    PEND_BEFORE_WAIT.store(true, Ordering::Relaxed);
    WINDOWED_EVENT.wait();
    let mut ok = WINDOWED_EVENT.is_set() && SIGNAL.load(Ordering::Relaxed) == 0;
    SIGNAL.store(SIGNAL_RELEASE_WINDOWED, Ordering::Relaxed);
    SIGNAL_IN_PENDSV.store(true, Ordering::Relaxed);
    PEND_BEFORE_WAIT.store(true, Ordering::Relaxed);
    WINDOWED_PERMITS.acquire();
    ok &= WINDOWED_PERMITS.available_permits() == 0 && SIGNAL.load(Ordering::Relaxed) == 0;

    // Window 2: between the wait event's check and its `wfi`.
    EVENT.reset();
    SIGNAL.store(SIGNAL_SET_EVENT, Ordering::Relaxed);
    SIGNAL_IN_PENDSV.store(true, Ordering::Relaxed);
    PEND_IN_WINDOW.store(true, Ordering::Relaxed);
    EVENT.wait();
    ok &= EVENT.is_set() && !PEND_IN_WINDOW.load(Ordering::Relaxed);
    SIGNAL.store(SIGNAL_RELEASE, Ordering::Relaxed);
    SIGNAL_IN_PENDSV.store(true, Ordering::Relaxed);
    PEND_IN_WINDOW.store(true, Ordering::Relaxed);
    PERMITS.acquire();
    ok &= PERMITS.available_permits() == 0 && !PEND_IN_WINDOW.load(Ordering::Relaxed);
    syst().enable_interrupt();
    ok
}

/// Set by the executor's `Waker`: the task has something to look at.
static TASK_WOKEN: AtomicBool = AtomicBool::new(false);

/// The smallest executor: one future on `main`'s stack, polled whenever its `Waker` was
/// called, `wfi` in between (the SysTick keeps the core waking, so a wake that lands between
/// the flag's check and the `wfi` costs at most a tick). No heap: the `Waker` is a static
/// vtable over no data.
fn block_on<F: core::future::Future>(future: F) -> F::Output {
    use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
    fn clone(_: *const ()) -> RawWaker {
        RawWaker::new(core::ptr::null(), &VTABLE)
    }
    fn wake(_: *const ()) {
        TASK_WOKEN.store(true, Ordering::Release);
    }
    fn drop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);
    // SAFETY: the vtable's functions ignore the data pointer and are safe from any context.
    let waker = unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) };
    let mut context = Context::from_waker(&waker);
    let mut future = core::pin::pin!(future);
    loop {
        TASK_WOKEN.store(false, Ordering::Relaxed);
        if let Poll::Ready(out) = future.as_mut().poll(&mut context) {
            return out;
        }
        while !TASK_WOKEN.load(Ordering::Acquire) {
            cortex_m::asm::wfi();
        }
    }
}

/// A task (the executor above) awaits a `ResetEvent`, then a `Semaphore`, then a raw word;
/// a SysTick handler sets, releases and wakes a few ticks later each time, through the same
/// table an async waiter is linked in (a critical section here).
fn isr_wakes_an_async_task() -> bool {
    block_on(async {
        EVENT.reset();
        let start = ticks();
        SIGNAL.store(SIGNAL_SET_EVENT, Ordering::Relaxed);
        SIGNAL_AT.store(start + 5, Ordering::Relaxed);
        EVENT.wait_async().await;
        let event_ok = EVENT.is_set() && ticks().wrapping_sub(start) >= 5;

        let start = ticks();
        SIGNAL.store(SIGNAL_RELEASE, Ordering::Relaxed);
        SIGNAL_AT.store(start + 5, Ordering::Relaxed);
        PERMITS.acquire_async().await;
        let permits_ok = PERMITS.available_permits() == 0 && ticks().wrapping_sub(start) >= 5;

        WORD.store(0, Ordering::Relaxed);
        let start = ticks();
        ALARM_AT.store(start + 5, Ordering::Relaxed);
        while WORD.load(Ordering::Acquire) == 0 {
            portable_futex::Futex::<Installed>::wait_async(&WORD, 0).await;
        }
        let word_ok = ticks().wrapping_sub(start) >= 5;
        event_ok && permits_ok && word_ok
    })
}

#[entry]
fn main() -> ! {
    let mut syst = syst();
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_counter();
    syst.enable_interrupt();

    let checks: [(&str, fn() -> bool); 7] = [
        ("an interrupt handler wakes a blocked waiter", isr_wakes_a_blocked_waiter),
        ("a timed wait times out on the tick clock", timed_wait_times_out_on_the_tick_clock),
        ("a wake between check and sleep is not lost", wake_between_check_and_sleep_is_not_lost),
        ("a Deadline expires", deadline_expires),
        ("an ISR sets a ResetEvent, releases a Semaphore", isr_sets_event_and_releases_semaphore),
        ("a set/release before the sleep is not lost", signal_between_check_and_sleep_is_not_lost),
        ("an ISR wakes an async task (no_std executor)", isr_wakes_an_async_task),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, check) in checks {
        if check() {
            passed += 1;
            hprintln!("ok     {}", name);
        } else {
            failed += 1;
            hprintln!("FAILED {}", name);
        }
    }
    hprintln!("{} passed, {} failed", passed, failed);
    debug::exit(if failed == 0 { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {}
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HardFault at {:#x}", frame.pc());
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
