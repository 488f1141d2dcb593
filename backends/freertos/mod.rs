//! FreeRTOS: the queue backend with a FreeRTOS critical section as the bucket lock and a task
//! notification as each waiter's event (feature `freertos`).
//!
//! A waiting task queues itself, in its address's bucket, ordered by its priority, and blocks
//! in `ulTaskNotifyTakeIndexed` on a notification index the backend reserves; `wake` takes
//! the highest-priority waiters (first come, first served among equals) and gives each its
//! notification. Everything runs on FreeRTOS's own API, through a C file of one-line
//! wrappers, `glue.c` ([`GLUE_C`]), that the application compiles with its kernel: FreeRTOS
//! says "critical section", "in an interrupt" and "yield from an interrupt" with macros that
//! differ per port, and sizes its types by configuration, so those stay in C and the Rust side
//! sees fixed-width integers only. `glue.c` checks `FreeRTOSConfig.h` at compile time.
//!
//! - The lock: `taskENTER_CRITICAL_FROM_ISR`'s interrupt mask, from tasks and interrupts, on
//!   Cortex-M (inline, where `taskENTER_CRITICAL` is a call); elsewhere `taskENTER_CRITICAL`
//!   from a task and the `FROM_ISR` form from an interrupt. So `wake` (and every primitive's
//!   release) works from an interrupt whose priority may call FreeRTOS's `FromISR` functions,
//!   and asks for the switch to a woken task of higher priority (`portYIELD_FROM_ISR`) before
//!   it returns.
//! - The event: a flag, set and notified under that lock (the waiter cannot run
//!   between the two, so its task is still alive when notified), and a timed sleep kept with
//!   `vTaskSetTimeOutState`/`xTaskCheckForTimeOut`: a notification left over from an earlier
//!   wait, or given for a wait that timed out meanwhile, wakes the task but does not end the
//!   wait, and neither shortens it.
//! - Timeouts in ticks, rounded up, plus one: a wait of n ticks starts part-way through a tick
//!   period, so n + 1 ticks are needed for n whole periods to pass. `Timeout` means the time
//!   passed; a timeout longer than the tick type holds waits without limit.
//! - A wake of several waiters from a task notifies them all with the scheduler suspended,
//!   then makes one switch, to the highest woken ([`Event::set_many`]): a waker of low
//!   priority is never preempted with woken waiters it has not notified yet.
//! - Waiting from an interrupt handler, before `vTaskStartScheduler`, or with the scheduler
//!   suspended cannot block: it panics with a message saying so. (FreeRTOS's own blocking
//!   calls assert there.) Inside `taskENTER_CRITICAL` it cannot be told, and must not be done.
//!
//! # Rules
//!
//! - Never `vTaskDelete` a task while it waits on a futex (a lock, a signal): its waiter lives
//!   on its stack and is linked in a bucket until the wait returns, so the stack must stay.
//! - Wake from FreeRTOS tasks and from interrupts that may call FreeRTOS (at or below
//!   `configMAX_SYSCALL_INTERRUPT_PRIORITY`); on the POSIX simulator, not from threads that
//!   FreeRTOS did not create (its critical sections do not exclude them).
//! - While a waiter queues behind others, its walk to its place (one step per waiter of a
//!   lower priority it overtakes) runs with interrupts masked: many waiters of mixed
//!   priorities on one address lengthen interrupt latency by as many steps.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

use super::queue::{Bucket, BucketLock, Event, QueueConfig, QueueWith};
use crate::{Clock, Timeout};

mod timeout;
use timeout::ticks_for;

/// `glue.c`, the C half of the backend, to be compiled with your FreeRTOS kernel (same
/// compiler, same include paths, same `FreeRTOSConfig.h`). From a build script that already
/// compiles FreeRTOS with `cc`, and has portable-futex as a build-dependency too:
///
/// ```ignore
/// let glue = out_dir.join("portable_futex_glue.c");
/// std::fs::write(&glue, portable_futex::backend::freertos::GLUE_C).unwrap();
/// freertos_build.file(&glue);
/// ```
pub const GLUE_C: &str = include_str!("glue.c");

/// The C half, in `glue.c`.
mod glue {
    use core::ffi::c_void;

    /// `portable_futex_freertos_facts`.
    #[repr(C)]
    pub(super) struct Facts {
        pub(super) tick_rate_hz: u32,
        pub(super) tick_bits: u32,
        pub(super) notify_index: u32,
    }

    extern "C" {
        pub(super) static portable_futex_freertos_facts: Facts;
        pub(super) fn portable_futex_freertos_current(priority: *mut u32) -> *mut c_void;
        pub(super) fn portable_futex_freertos_lock() -> usize;
        pub(super) fn portable_futex_freertos_unlock(token: usize);
        pub(super) fn portable_futex_freertos_notify(task: *mut c_void, token: usize) -> u32;
        pub(super) fn portable_futex_freertos_switch(woken: u32);
        pub(super) fn portable_futex_freertos_hold_switches() -> u32;
        pub(super) fn portable_futex_freertos_release_switches();
        pub(super) fn portable_futex_freertos_take(ticks: u64);
        pub(super) fn portable_futex_freertos_timeout_start(timeout: *mut c_void);
        pub(super) fn portable_futex_freertos_timeout_check(
            timeout: *mut c_void,
            ticks_left: *mut u64,
        ) -> u32;
        pub(super) fn portable_futex_freertos_ticks() -> u64;
        pub(super) fn portable_futex_freertos_yield() -> u32;
    }
}

fn facts() -> &'static glue::Facts {
    // SAFETY: a constant defined by `glue.c`, never written.
    unsafe { &glue::portable_futex_freertos_facts }
}

/// The bucket lock: a FreeRTOS critical section, the interrupt-handler form when called from
/// one (on Cortex-M, that form from tasks too: see `glue.c`).
///
/// It masks every interrupt that may call FreeRTOS (at or below
/// `configMAX_SYSCALL_INTERRUPT_PRIORITY` on Cortex-M) and the scheduler with it. Interrupts
/// above that priority may not call FreeRTOS, nor `wake`. What runs inside must not call
/// FreeRTOS either (a nested `taskEXIT_CRITICAL` would unmask early): the queue's sections
/// only update the bucket.
#[derive(Debug)]
pub struct CriticalLock(());

/// Holds the glue's lock; unlocks as it drops, so that a panic inside unlocks too.
struct Locked(usize);

impl Locked {
    fn new() -> Self {
        // SAFETY: the glue picks the form for the context; `Locked`'s drop unlocks with the
        // token on the same context: a `Locked` lives only inside `with` and `set`, on the
        // stack of the context that took it.
        Self(unsafe { glue::portable_futex_freertos_lock() })
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: the token of the `lock` that made this guard.
        unsafe { glue::portable_futex_freertos_unlock(self.0) }
    }
}

// SAFETY: the glue's lock masks the scheduler's interrupts (no task switch) and every
// interrupt handler allowed to call FreeRTOS, on one core; on SMP builds both forms also take
// the kernel's cross-core lock. It does not allocate.
unsafe impl BucketLock for CriticalLock {
    const INIT: Self = Self(());
    // FreeRTOS critical sections nest: the task form counts its depth and leaves the
    // section only at the outermost exit; the interrupt form restores the mask it saved.
    const NESTS: bool = true;

    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _locked = Locked::new();
        f()
    }
}

/// A waiting task's event: a flag and the task's notification at the reserved index.
///
/// Its [`rank`](Event::rank) is the task's priority when the wait began: a wake takes the
/// highest-priority waiter first, FIFO among equal priorities, as FreeRTOS's own semaphores
/// do. (A priority changed during the wait does not move the waiter.)
#[derive(Debug)]
pub struct NotifyEvent {
    task: *mut c_void,
    priority: u32,
    set: AtomicBool,
}

/// Space for a `TimeOut_t`, whose layout only `glue.c` knows (it asserts that it fits).
#[repr(C, align(8))]
struct TimeOutState([u8; 32]);

// SAFETY:
// - `wait` returns `Ok` only after it saw `set` true (Acquire), and only `set` stores it;
//   `Err(Timeout)` only once `xTaskCheckForTimeOut` says the ticks passed, and the tick
//   count is rounded so that they are at least the timeout (see `ticks_for`); `wait(None)`
//   never returns `Err`.
// - `set` reads the task handle, stores the flag and notifies under one lock (a critical
//   section): the waiter's task cannot run in between (no task switch while it is held; on
//   SMP the kernel lock too, which task deletion takes), so it cannot return, free the event,
//   or be deleted before the notification is given; after the lock `set` only asks for the
//   switch, touching nothing of the event.
// - nothing allocates (FreeRTOS's notification calls do not).
unsafe impl Event for NotifyEvent {
    fn new() -> Self {
        let mut priority = 0;
        // SAFETY: writes `priority` only when it returns a task.
        let task = unsafe { glue::portable_futex_freertos_current(&mut priority) };
        assert!(
            !task.is_null(),
            "portable-futex: a futex wait on FreeRTOS must run in a task while the scheduler \
             runs; it cannot block in an interrupt handler, before vTaskStartScheduler, or \
             with the scheduler suspended (vTaskSuspendAll)"
        );
        Self { task, priority, set: AtomicBool::new(false) }
    }

    fn wait(&self, timeout: Option<Duration>) -> Result<(), Timeout> {
        let facts = facts();
        let mut left = timeout.and_then(|t| ticks_for(t, facts.tick_rate_hz, facts.tick_bits));
        let mut state = TimeOutState([0; 32]);
        let state_ptr = state.0.as_mut_ptr().cast::<c_void>();
        if left.is_some() {
            // SAFETY: `state` is a buffer the glue asserts a `TimeOut_t` fits in.
            unsafe { glue::portable_futex_freertos_timeout_start(state_ptr) };
        }
        loop {
            // Acquire: pairs with the Release in `set`; what the waker did before is visible.
            if self.set.load(Ordering::Acquire) {
                return Ok(());
            }
            // A notification may come from an earlier wait of this task (its waker notified
            // after the wait had seen the flag) or arrive between the check above and the
            // sleep below: the sleep then returns at once, and the loop checks the flag again
            // with the time left, so neither case ends or shortens the wait.
            let ticks = match left.as_mut() {
                None => u64::MAX,
                Some(ticks) => {
                    // SAFETY: `state` was started above; `ticks` is ours.
                    if unsafe { glue::portable_futex_freertos_timeout_check(state_ptr, ticks) } != 0
                    {
                        return Err(Timeout);
                    }
                    *ticks
                }
            };
            // SAFETY: a task (checked in `new`) sleeping on its own notification.
            unsafe { glue::portable_futex_freertos_take(ticks) };
        }
    }

    unsafe fn set(this: *const Self) {
        let woken = {
            let locked = Locked::new();
            // SAFETY: `*this` is alive until the waiter sees the flag, which it cannot before
            // the lock is released (its task cannot run meanwhile; see the impl's comment);
            // the task it names is alive as long.
            unsafe {
                let task = (*this).task;
                // Release: pairs with the Acquire in `wait`.
                (*this).set.store(true, Ordering::Release);
                glue::portable_futex_freertos_notify(task, locked.0)
            }
        };
        // After the lock: the switch to a woken task of higher priority, if one is due.
        // `*this` is not touched again.
        // SAFETY: no precondition beyond the context, which the glue checks.
        unsafe { glue::portable_futex_freertos_switch(woken) };
    }

    #[inline]
    fn rank(&self) -> u32 {
        self.priority
    }

    /// From a task, with the scheduler suspended: each `set` would otherwise switch at once to
    /// a woken task of higher priority, and a task of middle priority could then keep the
    /// waker from setting the rest, whom nobody else can wake. Resuming makes one switch, to
    /// the highest woken. (In an interrupt handler the switches wait for its end anyway.)
    fn set_many(set_all: impl FnOnce()) {
        /// Resumes as it drops, so that a panic inside resumes too.
        struct Resume;
        impl Drop for Resume {
            fn drop(&mut self) {
                // SAFETY: pairs with the suspension below, from the same task.
                unsafe { glue::portable_futex_freertos_release_switches() }
            }
        }
        // SAFETY: the glue suspends only from a task, and says whether it did.
        let _resume =
            (unsafe { glue::portable_futex_freertos_hold_switches() } != 0).then(|| Resume);
        set_all();
    }
}

/// The backend's pieces: [`CriticalLock`], [`NotifyEvent`] and a table of 32 buckets.
#[derive(Debug)]
pub struct FreeRtosConfig;

impl QueueConfig for FreeRtosConfig {
    type Lock = CriticalLock;
    type Event = NotifyEvent;

    fn buckets() -> &'static [Bucket<CriticalLock, NotifyEvent>] {
        static BUCKETS: [Bucket<CriticalLock, NotifyEvent>; 32] = Bucket::table();
        &BUCKETS
    }

    /// `taskYIELD()`: to another ready task of the same priority (`false` in an interrupt).
    #[inline]
    fn yield_now() -> bool {
        // SAFETY: the glue checks the context itself.
        unsafe { glue::portable_futex_freertos_yield() != 0 }
    }
}

/// The FreeRTOS backend: `Futex<backend::FreeRtos>`, or `sync::generic::Mutex<FreeRtos, T>`.
pub type FreeRtos = QueueWith<FreeRtosConfig>;

/// FreeRTOS's tick count as a [`Clock`], for [`Deadline`](crate::Deadline)s: the time the
/// backend's timed waits measure, extended past the count's wraps with the kernel's count of
/// them (`xNumOfOverflows`). That count itself wraps after 2 to the power of `UBaseType_t`'s
/// width: never, in practice, with 32-bit ticks (2^64 ticks); with 16-bit ticks and an
/// 8-bit `UBaseType_t` (AVR), after 2^24 ticks, 4.6 hours at 1 kHz, when the clock jumps back.
#[derive(Debug, Clone, Copy, Default)]
pub struct TickClock;

impl Clock for TickClock {
    fn now(&self) -> Duration {
        // SAFETY: no precondition; the glue picks the variant for the context.
        let ticks = unsafe { glue::portable_futex_freertos_ticks() };
        let hz = u128::from(facts().tick_rate_hz.max(1));
        let nanos = u128::from(ticks) * 1_000_000_000 / hz;
        // Saturates after 584 years of ticks.
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        Duration::new(secs, (nanos % 1_000_000_000) as u32)
    }
}
