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
use portable_futex::{Clock, Deadline, Timeout};

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

impl QueueConfig for Board {
    type Lock = CriticalSectionLock;
    type Event = WfiEvent<TickClock, Hooked>;
    fn buckets() -> &'static [Bucket<CriticalSectionLock>] {
        static BUCKETS: [Bucket<CriticalSectionLock>; 4] = Bucket::table();
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
}

#[exception]
fn PendSV() {
    futex_user::set(&WINDOW);
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

#[entry]
fn main() -> ! {
    let mut syst = syst();
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_counter();
    syst.enable_interrupt();

    let checks: [(&str, fn() -> bool); 4] = [
        ("an interrupt handler wakes a blocked waiter", isr_wakes_a_blocked_waiter),
        ("a timed wait times out on the tick clock", timed_wait_times_out_on_the_tick_clock),
        ("a wake between check and sleep is not lost", wake_between_check_and_sleep_is_not_lost),
        ("a Deadline expires", deadline_expires),
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
