//! The checks: the seed's scenarios on `Futex<FreeRtos>`, every `sync` primitive, wakes from
//! the tick interrupt, and the order in which waiters of different priorities are woken.
//!
//! Each runs in the runner task (priority `RUNNER`), spawns tasks above and below it, and
//! joins them before it returns. Statics stand in for shared state (no heap); each check has
//! its own, so a failed check cannot disturb the next.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
use core::time::Duration;

use portable_futex::backend::freertos::TickClock;
use portable_futex::backend::FreeRtos;
use portable_futex::sync::generic::{
    Barrier, Condvar, Mutex, Once, Parker, ResetEvent, RwLock, Semaphore, WaitGroup,
};
use portable_futex::{Clock, Deadline, Futex, Timeout};

use crate::{ensure, join, spawn, sys, RUNNER};

type F = Futex<FreeRtos>;
type Check = fn() -> Result<(), &'static str>;

pub const ALL: &[(&str, Check)] = &[
    ("ring_of_signals", ring_of_signals),
    ("broadcast_wakes_every_priority", broadcast),
    ("timed_wait_lasts_as_long_as_asked", timed_wait_lasts),
    ("stray_notifications_do_not_end_or_shorten_a_wait", stray_notifications),
    ("timeouts_beyond_the_tick_type_wait_for_the_wake", huge_timeouts),
    ("deadline_on_the_tick_clock", deadline),
    ("wakes_go_by_priority_then_arrival", priority_order),
    ("a_woken_task_of_higher_priority_runs_at_once", preempts_at_once),
    ("a_wake_of_many_notifies_all_before_switching", notifies_all_first),
    ("timed_waits_racing_wakes", timed_waits_racing_wakes),
    ("mutex_contended_by_three_priorities", mutex_contended),
    ("installed_as_the_default_backend", installed_default),
    ("rwlock_readers_and_writers", rwlock),
    ("condvar_hand_off", condvar_hand_off),
    ("once_runs_once", once),
    ("semaphore_bounds_holders", semaphore),
    ("reset_event_set_from_the_tick_interrupt", reset_event_from_interrupt),
    #[cfg(target_os = "none")]
    ("an_interrupt_switches_to_the_task_it_woke", interrupt_switches),
    ("wait_group", wait_group),
    ("barrier_generations", barrier),
    ("parker", parker),
];

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Time on the backend's own clock, the FreeRTOS tick count.
fn now() -> Duration {
    TickClock.now()
}

/// Sleeps the runner (letting every lower-priority task run) until `cond` holds, checking
/// every millisecond, for at most two seconds.
fn until(what: &'static str, cond: impl Fn() -> bool) -> Result<(), &'static str> {
    for _ in 0..2000 {
        if cond() {
            return Ok(());
        }
        sys::delay_ms(1);
    }
    crate::say!("  waited 2 s for: {what}");
    Err(what)
}

// ---- the seed's scenarios ----

const RING: usize = 4;
const ROUNDS: u32 = 300;
static RING_WORDS: [AtomicU32; RING] = [const { AtomicU32::new(0) }; RING];
const RING_PRIORITIES: [u32; RING] = [1, 2, 4, 5];

/// Tasks in a ring pass a signal round: each waits for its word to pass the round, then
/// bumps the next one's and wakes it.
fn ring_of_signals() -> Result<(), &'static str> {
    RING_WORDS[0].store(1, Relaxed);
    for (i, &priority) in RING_PRIORITIES.iter().enumerate() {
        spawn(priority, i, |i| {
            for round in 0..ROUNDS {
                let word = &RING_WORDS[i];
                loop {
                    let seen = word.load(Acquire);
                    if seen > round {
                        break;
                    }
                    F::wait(word, seen);
                }
                let next = &RING_WORDS[(i + 1) % RING];
                next.fetch_add(1, Release);
                F::wake(next, 1);
            }
        });
    }
    join();
    ensure!(RING_WORDS[0].load(Relaxed) == ROUNDS + 1, "  word 0: {}", RING_WORDS[0].load(Relaxed));
    for word in &RING_WORDS[1..] {
        ensure!(word.load(Relaxed) == ROUNDS, "  a ring word: {}", word.load(Relaxed));
    }
    Ok(())
}

static BROADCAST: AtomicU32 = AtomicU32::new(0);
static ARRIVED: AtomicU32 = AtomicU32::new(0);
static WOKEN: AtomicU32 = AtomicU32::new(0);

/// Waiters above and below the waker all wake from one `wake(u32::MAX)`.
fn broadcast() -> Result<(), &'static str> {
    const PRIORITIES: [u32; 5] = [1, 2, 4, 5, 2];
    for priority in PRIORITIES {
        spawn(priority, 0, |_| {
            ARRIVED.fetch_add(1, Relaxed);
            while BROADCAST.load(Acquire) == 0 {
                F::wait(&BROADCAST, 0);
            }
            WOKEN.fetch_add(1, Relaxed);
        });
    }
    until("every waiter to arrive", || ARRIVED.load(Relaxed) == 5)?;
    // Time for the last to arrive to block.
    sys::delay_ms(5);
    BROADCAST.store(1, Release);
    F::wake(&BROADCAST, u32::MAX);
    join();
    ensure!(WOKEN.load(Relaxed) == 5, "  woken: {}", WOKEN.load(Relaxed));
    Ok(())
}

static IDLE: AtomicU32 = AtomicU32::new(0);

/// A timed wait on a word nobody changes times out, and not before the time passed: on the
/// tick clock, it lasts the whole ticks the timeout rounds up to, plus the one a wait may
/// start part-way through (so durations that are not whole ticks, too); on the board, whose
/// clock under QEMU's `-icount` is exact, it lasts the time asked. (Not on the POSIX port's
/// clock: the simulator's ticks come from a pthread's `usleep` and a signal, and one held
/// back while a task switches fires late, so two ticks can come closer than a period.) Zero
/// times out at once.
fn timed_wait_lasts() -> Result<(), &'static str> {
    let micros = Duration::from_micros;
    for asked in [micros(300), ms(1), micros(1500), ms(5), micros(29_999)] {
        // The ticks the backend promises: rounded up, plus one.
        let ticks = asked.as_nanos().div_ceil(1_000_000) as u64 + 1;
        let (start, start_ns) = (now(), sys::now_ns());
        ensure!(F::timed_wait(&IDLE, 0, asked) == Err(Timeout), "  {asked:?}: not a timeout");
        let (took, took_ns) = (now() - start, sys::now_ns() - start_ns);
        ensure!(took >= ms(ticks), "  asked {asked:?} ({ticks} ticks), ticks say {took:?}");
        if cfg!(target_os = "none") {
            ensure!(took_ns >= asked.as_nanos() as u64, "  asked {asked:?}, clock: {took_ns} ns");
        }
        ensure!(took < asked + ms(500), "  asked {asked:?}, took {took:?}");
    }
    let start = now();
    ensure!(F::timed_wait(&IDLE, 0, Duration::ZERO) == Err(Timeout), "  zero: not a timeout");
    ensure!(now() - start <= ms(50), "  zero took {:?}", now() - start);
    // A word that already changed returns at once, whatever the timeout.
    ensure!(F::timed_wait(&IDLE, 7, Duration::MAX).is_ok(), "  changed word");
    Ok(())
}

/// The task the tick hook gives a stray notification, and at which hook call.
static STRAY_TASK: AtomicUsize = AtomicUsize::new(0);
static STRAY_AT: AtomicU32 = AtomicU32::new(0);

/// Notifications at the futex's index that no wake gave (left over from an earlier wait, or
/// given by an interrupt mid-wait) wake the task, which looks again: a timed wait still lasts
/// its time, and an untimed one still waits for the real wake.
fn stray_notifications() -> Result<(), &'static str> {
    let me = sys::current_task();
    // Left over: given before the wait starts.
    sys::stray_notify(me);
    let start = now();
    ensure!(F::timed_wait(&IDLE, 0, ms(20)) == Err(Timeout), "  stale: not a timeout");
    ensure!(
        now() - start >= ms(20),
        "  stale notification shortened the wait: {:?}",
        now() - start
    );
    // Mid-wait, from the tick interrupt, 5 ticks in.
    STRAY_AT.store(TICKS.load(Relaxed) + 5, Relaxed);
    STRAY_TASK.store(me, Release);
    let start = now();
    ensure!(F::timed_wait(&IDLE, 0, ms(30)) == Err(Timeout), "  mid-wait: not a timeout");
    ensure!(
        now() - start >= ms(30),
        "  stray notification shortened the wait: {:?}",
        now() - start
    );
    ensure!(STRAY_TASK.load(Acquire) == 0, "  the tick hook never notified");
    Ok(())
}

static LATE: AtomicU32 = AtomicU32::new(0);

/// A timeout longer than the tick type holds (2^32 + 2 ms at 1 kHz, in a 32-bit tick on the
/// Cortex-M3) is a wait without limit, never one that wraps into 2 ticks: it lasts until the
/// wake, 50 ms later.
fn huge_timeouts() -> Result<(), &'static str> {
    for timeout in [Duration::from_millis((1 << 32) + 2), Duration::MAX] {
        LATE.store(0, Relaxed);
        spawn(RUNNER - 1, 0, |_| {
            sys::delay_ms(50);
            LATE.store(1, Release);
            F::wake(&LATE, 1);
        });
        let start = now();
        let result = F::timed_wait(&LATE, 0, timeout);
        let took = now() - start;
        join();
        ensure!(result.is_ok(), "  {timeout:?}: timed out after {took:?}");
        ensure!(took >= ms(45), "  {timeout:?}: returned after {took:?}");
    }
    Ok(())
}

/// A `Deadline` on the tick clock across several waits expires when its time has passed.
fn deadline() -> Result<(), &'static str> {
    let start = now();
    let mut deadline = Deadline::<FreeRtos, TickClock>::with_clock(Some(ms(25)), TickClock);
    ensure!(deadline.wait(&IDLE, 0) == Err(Timeout), "  not a timeout");
    ensure!(now() - start >= ms(25), "  expired after {:?}", now() - start);
    ensure!(deadline.wait(&IDLE, 0) == Err(Timeout), "  a spent deadline waited");
    Ok(())
}

// ---- priority order ----

static ORDERED: AtomicU32 = AtomicU32::new(0);
static QUEUED: AtomicU32 = AtomicU32::new(0);
static ORDER: [AtomicUsize; 6] = [const { AtomicUsize::new(usize::MAX) }; 6];
static ORDER_LEN: AtomicUsize = AtomicUsize::new(0);

/// Waiters queued one after another with priorities 2, 5, 2, 4, 5, 1 are woken one at a time
/// highest priority first, and in arrival order among equals: 1, 4, 3, 0, 2, 5.
fn priority_order() -> Result<(), &'static str> {
    const PRIORITIES: [u32; 6] = [2, 5, 2, 4, 5, 1];
    for (i, &priority) in PRIORITIES.iter().enumerate() {
        spawn(priority, i, |i| {
            QUEUED.fetch_add(1, Relaxed);
            while ORDERED.load(Acquire) == 0 {
                F::wait(&ORDERED, 0);
            }
            ORDER[ORDER_LEN.fetch_add(1, Relaxed)].store(i, Relaxed);
        });
        // A task above the runner has queued by the time `spawn` returns; one below it
        // queues while the runner sleeps.
        until("the waiter to queue", || QUEUED.load(Relaxed) == i as u32 + 1)?;
        sys::delay_ms(2);
    }
    // Above every waiter, so that each woken one runs only when the runner sleeps below.
    sys::set_priority(7);
    ORDERED.store(1, Release);
    for woken in 1..=PRIORITIES.len() {
        F::wake(&ORDERED, 1);
        sys::delay_ms(2);
        ensure!(
            ORDER_LEN.load(Relaxed) == woken,
            "  after {woken} wakes, {} ran",
            ORDER_LEN.load(Relaxed)
        );
    }
    sys::set_priority(RUNNER);
    join();
    let order: [usize; 6] = core::array::from_fn(|i| ORDER[i].load(Relaxed));
    ensure!(order == [1, 4, 3, 0, 2, 5], "  woken in the order {order:?}");
    Ok(())
}

static NOW: AtomicU32 = AtomicU32::new(0);
static WOKE_RAN: [AtomicBool; 2] = [const { AtomicBool::new(false) }; 2];

/// A task woken by a task of lower priority runs before the waker's next instruction: one
/// waiter (`wake(1)`), then two (`wake(u32::MAX)`, which notifies both before it switches).
fn preempts_at_once() -> Result<(), &'static str> {
    for (waiters, count) in [(1, 1), (2, u32::MAX)] {
        NOW.store(0, Relaxed);
        for i in 0..waiters {
            WOKE_RAN[i].store(false, Relaxed);
            spawn(RUNNER + 1 + i as u32, i, |i| {
                while NOW.load(Acquire) == 0 {
                    F::wait(&NOW, 0);
                }
                WOKE_RAN[i].store(true, Relaxed);
            });
        }
        NOW.store(1, Release);
        F::wake(&NOW, count);
        let ran = [WOKE_RAN[0].load(Relaxed), WOKE_RAN[1].load(Relaxed)];
        join();
        ensure!(ran[..waiters].iter().all(|&r| r), "  {waiters} woken, ran at once: {ran:?}");
    }
    Ok(())
}

static MANY: AtomicU32 = AtomicU32::new(0);
static HIGH_RAN: AtomicBool = AtomicBool::new(false);
static SECOND_RAN: AtomicBool = AtomicBool::new(false);
static SECOND_BEFORE_BUSY: AtomicBool = AtomicBool::new(false);

/// Waiters of priorities 5 and 4, woken together by a task of priority 1: the first, once
/// woken, starts a busy task of priority 3, which must find the second already run. Had the
/// waker switched to the first before notifying the second, the busy task would run first
/// and hold the waker (below it) off, the second still unnotified.
fn notifies_all_first() -> Result<(), &'static str> {
    spawn(5, 0, |_| {
        while MANY.load(Acquire) == 0 {
            F::wait(&MANY, 0);
        }
        HIGH_RAN.store(true, Relaxed);
        spawn(3, 0, |_| {
            SECOND_BEFORE_BUSY.store(SECOND_RAN.load(Relaxed), Relaxed);
            // Busy, never blocking, for 20 ms of ticks.
            let until = now() + ms(20);
            while now() < until {}
        });
    });
    spawn(4, 0, |_| {
        while MANY.load(Acquire) == 0 {
            F::wait(&MANY, 0);
        }
        SECOND_RAN.store(true, Relaxed);
    });
    spawn(1, 0, |_| {
        MANY.store(1, Release);
        F::wake(&MANY, u32::MAX);
    });
    join();
    ensure!(HIGH_RAN.load(Relaxed), "  the first waiter did not run");
    ensure!(SECOND_BEFORE_BUSY.load(Relaxed), "  the second waiter was not notified in time");
    Ok(())
}

static RACED: Semaphore<FreeRtos> = Semaphore::new(0);
static TAKEN: AtomicU32 = AtomicU32::new(0);

/// Timed acquires of one tick race releases: some time out as a release arrives (the wake
/// may find the waiter already leaving). Every permit is taken exactly once, none is lost.
fn timed_waits_racing_wakes() -> Result<(), &'static str> {
    const PERMITS: u32 = 400;
    spawn(RUNNER + 1, 0, |_| {
        while TAKEN.load(Relaxed) < PERMITS {
            let mut deadline = Deadline::<FreeRtos, TickClock>::with_clock(
                Some(Duration::from_micros(10)),
                TickClock,
            );
            if RACED.try_acquire_by(&mut deadline) {
                TAKEN.fetch_add(1, Relaxed);
            }
        }
    });
    for i in 0..PERMITS {
        RACED.release(1);
        // Releases at varying points of the tick period.
        for _ in 0..(i % 7) * 50 {
            core::hint::spin_loop();
        }
        if i % 3 == 0 {
            sys::delay_ms(1);
        }
    }
    join();
    ensure!(TAKEN.load(Relaxed) == PERMITS, "  taken {} of {PERMITS}", TAKEN.load(Relaxed));
    ensure!(RACED.available_permits() == 0, "  {} permits left", RACED.available_permits());
    Ok(())
}

// ---- sync ----

static COUNTER: Mutex<FreeRtos, u32> = Mutex::new(0);

/// Three tasks of two priorities add to a counter under the lock, reading and writing
/// it in two steps with a yield (and now and then a sleep) in between, with the lock held.
fn mutex_contended() -> Result<(), &'static str> {
    const EACH: u32 = 2000;
    // Two of equal priority, so that the yields with the lock held hand the processor over.
    for priority in [2, 4, 4] {
        spawn(priority, 0, |_| {
            for i in 0..EACH {
                let mut count = COUNTER.lock();
                let seen = *count;
                if i % 16 == 0 {
                    sys::yield_now();
                }
                if i % 256 == 0 {
                    sys::delay_ms(1);
                }
                *count = seen + 1;
            }
        });
    }
    join();
    let total = *COUNTER.lock();
    ensure!(total == 3 * EACH, "  counted {total}");
    Ok(())
}

static DEFAULT_MUTEX: portable_futex::sync::Mutex<u32> = portable_futex::sync::Mutex::new(0);
static DEFAULT_WORD: AtomicU32 = AtomicU32::new(0);

/// With `set_backend!(FreeRtos)`, the root functions and the default-typed `sync::Mutex`
/// run on it: a task above the runner waits on a word with `portable_futex::wait` until the
/// runner has counted to 100 under the lock, which both take.
fn installed_default() -> Result<(), &'static str> {
    spawn(RUNNER + 1, 0, |_| {
        while DEFAULT_WORD.load(Acquire) == 0 {
            portable_futex::wait(&DEFAULT_WORD, 0);
        }
        *DEFAULT_MUTEX.lock() += 1000;
    });
    for _ in 0..100 {
        *DEFAULT_MUTEX.lock() += 1;
    }
    DEFAULT_WORD.store(1, Release);
    portable_futex::wake(&DEFAULT_WORD, 1);
    join();
    let total = *DEFAULT_MUTEX.lock();
    ensure!(total == 1100, "  counted {total}");
    Ok(())
}

static PAIR: RwLock<FreeRtos, [u32; 2]> = RwLock::new([0, 0]);
static TORN: AtomicBool = AtomicBool::new(false);

/// Writers keep two fields equal, changing one, sleeping, then the other; readers above and
/// below them never see them differ.
fn rwlock() -> Result<(), &'static str> {
    const WRITES: u32 = 200;
    for priority in [2, 4] {
        spawn(priority, 0, |_| {
            for i in 0..WRITES {
                let mut pair = PAIR.write();
                pair[0] += 1;
                if i % 8 == 0 {
                    sys::delay_ms(1);
                }
                pair[1] += 1;
            }
        });
    }
    for priority in [1, 5, 5] {
        spawn(priority, 0, |_| {
            for i in 0..300 {
                let pair = PAIR.read();
                if pair[0] != pair[1] {
                    TORN.store(true, Relaxed);
                }
                if i % 16 == 0 {
                    sys::delay_ms(1);
                }
            }
        });
    }
    join();
    let pair = *PAIR.read();
    ensure!(!TORN.load(Relaxed), "  a reader saw a half-written pair");
    ensure!(pair == [2 * WRITES, 2 * WRITES], "  final pair {pair:?}");
    Ok(())
}

/// A one-item mailbox: `Some` while full.
static MAILBOX: Mutex<FreeRtos, Option<u32>> = Mutex::new(None);
static CHANGED: Condvar<FreeRtos> = Condvar::new();
static RECEIVED: AtomicU32 = AtomicU32::new(0);

/// A producer below the runner and a consumer above it hand 500 items through a mailbox
/// with a `Condvar`, each waiting for the other.
fn condvar_hand_off() -> Result<(), &'static str> {
    const ITEMS: u32 = 500;
    spawn(2, 0, |_| {
        for item in 1..=ITEMS {
            let mut mailbox = MAILBOX.lock();
            CHANGED.wait_while(&mut mailbox, |m| m.is_some());
            *mailbox = Some(item);
            CHANGED.notify_all();
        }
    });
    spawn(4, 0, |_| {
        for _ in 0..ITEMS {
            let mut mailbox = MAILBOX.lock();
            CHANGED.wait_while(&mut mailbox, |m| m.is_none());
            RECEIVED.fetch_add(mailbox.take().unwrap_or(0), Relaxed);
            CHANGED.notify_all();
        }
    });
    join();
    let sum = RECEIVED.load(Relaxed);
    ensure!(sum == ITEMS * (ITEMS + 1) / 2, "  received a sum of {sum}");
    Ok(())
}

static ONCE: Once<FreeRtos> = Once::new();
static RAN: AtomicU32 = AtomicU32::new(0);
static SAW_DONE: AtomicU32 = AtomicU32::new(0);

/// Four tasks race to `call_once` a slow body: it runs once and all return after it.
fn once() -> Result<(), &'static str> {
    for priority in [1, 2, 4, 5] {
        spawn(priority, 0, |_| {
            ONCE.call_once(|| {
                sys::delay_ms(10);
                RAN.fetch_add(1, Relaxed);
            });
            if RAN.load(Relaxed) == 1 {
                SAW_DONE.fetch_add(1, Relaxed);
            }
        });
    }
    join();
    ensure!(RAN.load(Relaxed) == 1, "  ran {} times", RAN.load(Relaxed));
    ensure!(SAW_DONE.load(Relaxed) == 4, "  {} returned after it", SAW_DONE.load(Relaxed));
    Ok(())
}

static PERMITS: Semaphore<FreeRtos> = Semaphore::new(2);
static HOLDING: AtomicU32 = AtomicU32::new(0);
static MOST: AtomicU32 = AtomicU32::new(0);

/// Five tasks share two permits: never more than two hold one, and two do at some point.
fn semaphore() -> Result<(), &'static str> {
    for priority in [1, 2, 4, 5, 5] {
        spawn(priority, 0, |_| {
            for _ in 0..20 {
                PERMITS.acquire();
                let holding = HOLDING.fetch_add(1, Relaxed) + 1;
                MOST.fetch_max(holding, Relaxed);
                sys::delay_ms(1);
                HOLDING.fetch_sub(1, Relaxed);
                PERMITS.release(1);
            }
        });
    }
    join();
    ensure!(MOST.load(Relaxed) == 2, "  at most {} held a permit", MOST.load(Relaxed));
    ensure!(PERMITS.available_permits() == 2, "  {} permits left", PERMITS.available_permits());
    Ok(())
}

/// Tick-hook calls since the scheduler started.
static TICKS: AtomicU32 = AtomicU32::new(0);
/// When non-zero, the tick hook sets `ALARM` at this tick.
static ALARM_AT: AtomicU32 = AtomicU32::new(0);
static ALARM: ResetEvent<FreeRtos> = ResetEvent::new();
static ALARMED: AtomicU32 = AtomicU32::new(0);

/// What the tick interrupt does for the checks.
pub fn on_tick() {
    let tick = TICKS.load(Relaxed) + 1;
    TICKS.store(tick, Relaxed);
    if ALARM_AT.load(Relaxed) == tick {
        ALARM.set();
    }
    let stray = STRAY_TASK.load(Acquire);
    if stray != 0 && STRAY_AT.load(Relaxed) == tick {
        sys::stray_notify_from_isr(stray);
        STRAY_TASK.store(0, Release);
    }
}

/// A `ResetEvent` set in the tick interrupt wakes a waiter above the runner and the runner
/// itself, no sooner than the tick it was set at.
fn reset_event_from_interrupt() -> Result<(), &'static str> {
    spawn(5, 0, |_| {
        ALARM.wait();
        ALARMED.fetch_add(1, Relaxed);
    });
    let start = now();
    ALARM_AT.store(TICKS.load(Relaxed) + 20, Relaxed);
    ALARM.wait();
    let took = now() - start;
    join();
    ensure!(ALARMED.load(Relaxed) == 1, "  the other waiter did not wake");
    ensure!(took >= ms(15), "  woke after {took:?}, before the alarm");
    ensure!(ALARM.is_set(), "  not set");
    Ok(())
}

/// Set by the board's timer interrupt.
#[cfg(target_os = "none")]
static TIMER_EVENT: ResetEvent<FreeRtos> = ResetEvent::new();
/// `sys::now_ns()` when the interrupt set the event, and when the woken task ran.
#[cfg(target_os = "none")]
static SET_AT: [AtomicU32; 2] = [const { AtomicU32::new(0) }; 2];

/// What the board's timer interrupt does for the checks.
#[cfg(target_os = "none")]
pub fn on_timer() {
    SET_AT[0].store(sys::now_ns() as u32, Relaxed);
    TIMER_EVENT.set();
}

/// The board's timer interrupt (not the tick) sets a `ResetEvent` that a task above the busy
/// runner waits on: the switch it asks for (`portYIELD_FROM_ISR`) runs that task as the
/// interrupt returns, not at the next tick (up to a millisecond later, where the tick handler
/// would make it).
#[cfg(target_os = "none")]
fn interrupt_switches() -> Result<(), &'static str> {
    spawn(RUNNER + 2, 0, |_| {
        TIMER_EVENT.wait();
        SET_AT[1].store(sys::now_ns() as u32, Relaxed);
    });
    // Mid-tick, while the runner is busy (it never blocks until the task ran).
    sys::timer_once(2_300);
    let until = now() + ms(10);
    while now() < until && SET_AT[1].load(Relaxed) == 0 {}
    join();
    let (set, ran) = (SET_AT[0].load(Relaxed), SET_AT[1].load(Relaxed));
    ensure!(set != 0, "  the timer interrupt never came");
    let latency = ran.wrapping_sub(set);
    ensure!(latency < 100_000, "  the woken task ran {latency} ns after the interrupt");
    Ok(())
}

static GROUP: WaitGroup<FreeRtos> = WaitGroup::new();
static FINISHED: AtomicU32 = AtomicU32::new(0);

/// The runner waits for four tasks, above and below it, that each finish a piece.
fn wait_group() -> Result<(), &'static str> {
    GROUP.add(4);
    for priority in [1, 2, 4, 5] {
        spawn(priority, priority as usize, |priority| {
            sys::delay_ms(priority as u32 * 3);
            FINISHED.fetch_add(1, Relaxed);
            GROUP.done();
        });
    }
    GROUP.wait();
    let finished = FINISHED.load(Relaxed);
    join();
    ensure!(finished == 4, "  wait returned after {finished} of 4");
    Ok(())
}

static BARRIER: Barrier<FreeRtos> = Barrier::new(4);
static LEADERS: AtomicU32 = AtomicU32::new(0);
static PHASE: [AtomicU32; 3] = [const { AtomicU32::new(0) }; 3];
static EARLY: AtomicBool = AtomicBool::new(false);

/// Four tasks pass a barrier three times: nobody leaves a generation before all arrived,
/// and each has one leader.
fn barrier() -> Result<(), &'static str> {
    for priority in [1, 2, 4, 5] {
        spawn(priority, 0, |_| {
            for phase in &PHASE {
                phase.fetch_add(1, Relaxed);
                if BARRIER.wait().is_leader() {
                    LEADERS.fetch_add(1, Relaxed);
                }
                if phase.load(Relaxed) != 4 {
                    EARLY.store(true, Relaxed);
                }
            }
        });
    }
    join();
    ensure!(!EARLY.load(Relaxed), "  a task left a generation early");
    ensure!(LEADERS.load(Relaxed) == 3, "  {} leaders in 3 generations", LEADERS.load(Relaxed));
    Ok(())
}

static PARKER: Parker<FreeRtos> = Parker::new();
static UNPARKED: AtomicBool = AtomicBool::new(false);

/// A task below the runner unparks it; a timed park with no unpark lasts its time.
fn parker() -> Result<(), &'static str> {
    let start = now();
    let mut deadline = Deadline::<FreeRtos, TickClock>::with_clock(Some(ms(10)), TickClock);
    ensure!(PARKER.park_by(&mut deadline).is_err(), "  a timed park with no unpark");
    ensure!(now() - start >= ms(10), "  a timed park returned after {:?}", now() - start);
    spawn(RUNNER - 1, 0, |_| {
        sys::delay_ms(5);
        UNPARKED.store(true, Release);
        PARKER.unpark();
    });
    PARKER.park();
    ensure!(UNPARKED.load(Acquire), "  park returned before the unpark");
    join();
    Ok(())
}
