//! The fixture's C side (`c/fixture.c`), and the platform's name.

use core::ffi::c_void;

#[cfg(target_os = "none")]
pub const PORT: &str = "ARM_CM3 on QEMU mps2-an385";
#[cfg(not(target_os = "none"))]
pub const PORT: &str = "POSIX port on the host";

mod c {
    use core::ffi::c_void;

    extern "C" {
        pub fn fixture_print(text: *const u8, len: usize);
        pub fn fixture_exit(code: i32) -> !;
        pub fn fixture_now_ns() -> u64;
        pub fn fixture_spawn(function: extern "C" fn(usize), argument: usize, priority: u32);
        pub fn fixture_start();
        pub fn fixture_delay_ms(ms: u32);
        pub fn fixture_yield();
        pub fn fixture_set_priority(priority: u32);
        pub fn fixture_current_task() -> *mut c_void;
        pub fn fixture_stray_notify(task: *mut c_void);
        pub fn fixture_stray_notify_from_isr(task: *mut c_void);
        pub fn fixture_mutex_new() -> *mut c_void;
        #[cfg(target_os = "none")]
        pub fn fixture_timer_once(micros: u32);
        #[cfg(target_os = "none")]
        pub fn fixture_timer_ack();
        pub fn fixture_semaphore_new(initial: u32) -> *mut c_void;
        pub fn fixture_take(semaphore: *mut c_void);
        pub fn fixture_give(semaphore: *mut c_void);
    }
}

pub fn print(line: &[u8]) {
    // SAFETY: a valid buffer, read during the call.
    unsafe { c::fixture_print(line.as_ptr(), line.len()) }
}

pub fn exit(code: i32) -> ! {
    // SAFETY: ends the program.
    unsafe { c::fixture_exit(code) }
}

/// Nanoseconds on the platform's clock: the host's monotonic clock, or on the board the
/// core clock (QEMU's instruction count under `-icount`).
pub fn now_ns() -> u64 {
    // SAFETY: no precondition.
    unsafe { c::fixture_now_ns() }
}

pub fn spawn(function: extern "C" fn(usize), argument: usize, priority: u32) {
    // SAFETY: `function` is a valid task body; the C side copies what it needs.
    unsafe { c::fixture_spawn(function, argument, priority) }
}

pub fn start() -> ! {
    // SAFETY: called once, from `main`, before any task runs.
    unsafe { c::fixture_start() };
    say_and_exit()
}

fn say_and_exit() -> ! {
    crate::say!("vTaskStartScheduler returned: not enough heap for the idle task");
    exit(1)
}

pub fn delay_ms(ms: u32) {
    // SAFETY: from a task.
    unsafe { c::fixture_delay_ms(ms) }
}

pub fn yield_now() {
    // SAFETY: from a task.
    unsafe { c::fixture_yield() }
}

pub fn set_priority(priority: u32) {
    // SAFETY: from a task.
    unsafe { c::fixture_set_priority(priority) }
}

/// The calling task's handle, as an address.
pub fn current_task() -> usize {
    // SAFETY: from a task.
    unsafe { c::fixture_current_task() as usize }
}

/// Gives `task` a notification at the futex's index that no wake gave.
pub fn stray_notify(task: usize) {
    // SAFETY: `task` is a live task's handle (the caller's).
    unsafe { c::fixture_stray_notify(task as *mut c_void) }
}

/// The same, from an interrupt handler.
pub fn stray_notify_from_isr(task: usize) {
    // SAFETY: as above, from the tick hook.
    unsafe { c::fixture_stray_notify_from_isr(task as *mut c_void) }
}

/// Fires the board's timer interrupt once, `micros` from now.
#[cfg(target_os = "none")]
pub fn timer_once(micros: u32) {
    // SAFETY: programs the timer's registers; its handler acknowledges it.
    unsafe { c::fixture_timer_once(micros) }
}

/// In the timer's handler: stops it and clears its interrupt.
#[cfg(target_os = "none")]
pub fn timer_ack() {
    // SAFETY: touches the timer's registers only.
    unsafe { c::fixture_timer_ack() }
}

/// A FreeRTOS mutex or counting semaphore (`SemaphoreHandle_t`), never deleted.
#[derive(Clone, Copy)]
pub struct Semaphore(*mut c_void);

// SAFETY: FreeRTOS semaphores are made to be shared between tasks.
unsafe impl Send for Semaphore {}
// SAFETY: as above.
unsafe impl Sync for Semaphore {}

impl Semaphore {
    /// `xSemaphoreCreateMutex()`.
    pub fn mutex() -> Self {
        // SAFETY: from a task; the handle is checked below.
        let handle = unsafe { c::fixture_mutex_new() };
        assert!(!handle.is_null(), "xSemaphoreCreateMutex failed");
        Self(handle)
    }

    /// `xSemaphoreCreateCounting(0x7fffffff, initial)`.
    pub fn counting(initial: u32) -> Self {
        // SAFETY: as above.
        let handle = unsafe { c::fixture_semaphore_new(initial) };
        assert!(!handle.is_null(), "xSemaphoreCreateCounting failed");
        Self(handle)
    }

    /// `xSemaphoreTake(s, portMAX_DELAY)`.
    pub fn take(self) {
        // SAFETY: a live handle.
        unsafe { c::fixture_take(self.0) }
    }

    /// `xSemaphoreGive(s)`.
    pub fn give(self) {
        // SAFETY: a live handle.
        unsafe { c::fixture_give(self.0) }
    }
}
