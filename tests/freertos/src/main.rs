//! portable-futex under FreeRTOS, in tasks of different priorities, on both the Cortex-M3
//! board under QEMU and the POSIX port on the host.
//!
//! `main` starts one task, the runner, and the scheduler. The runner runs each check of
//! `checks.rs` (which spawns tasks of its own and joins them), prints `name ... ok` or
//! `name ... FAILED: why`, then `N passed, M failed`, then the benchmark of `bench.rs`, and
//! exits with the verdict. A FreeRTOS assertion, a panic or a stack overflow exits with
//! failure; a hang is caught by the `timeout` around the run (`cargo xtask freertos`).
#![cfg_attr(target_os = "none", no_std, no_main)]

mod bench;
mod checks;
mod sys;

use core::fmt::Write;
use core::sync::atomic::{AtomicUsize, Ordering};

use portable_futex::backend::FreeRtos;
use portable_futex::sync::generic::WaitGroup;

// The crate's default backend, for every `portable_futex::wait`/`wake` and `sync::Mutex` in
// the program, as an application installs it.
portable_futex::set_backend!(portable_futex::backend::FreeRtos);

/// Prints one line (formatted on the stack, at most 200 bytes, written whole).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::print_line(format_args!($($arg)*))
    };
}

/// Fails the check it is in, with a message, unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::say!($($arg)*);
            return Err(stringify!($cond));
        }
    };
}

pub fn print_line(args: core::fmt::Arguments<'_>) {
    struct Line {
        bytes: [u8; 200],
        len: usize,
    }
    impl Write for Line {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let room = self.bytes.len() - 1 - self.len;
            let take = s.len().min(room);
            self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
            self.len += take;
            Ok(())
        }
    }
    let mut line = Line { bytes: [0; 200], len: 0 };
    let _ = line.write_fmt(args);
    line.bytes[line.len] = b'\n';
    sys::print(&line.bytes[..=line.len]);
}

/// The priority of the runner: checks spawn tasks above and below it.
pub const RUNNER: u32 = 3;

/// Every task `spawn` started that has not returned yet.
static RUNNING: WaitGroup<FreeRtos> = WaitGroup::new();

/// `(function, argument)` of the tasks being started, handed over through a slot each.
static SLOTS: [(AtomicUsize, AtomicUsize); 32] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 32];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

extern "C" fn task_entry(slot: usize) {
    let (function, argument) = &SLOTS[slot];
    // SAFETY: `spawn` stored a `fn(usize)` there (Release) before creating this task.
    let function: fn(usize) = unsafe { core::mem::transmute(function.load(Ordering::Acquire)) };
    function(argument.load(Ordering::Acquire));
    RUNNING.done();
}

/// Runs `function(argument)` in a new task of `priority`; [`join`] waits for all of them.
/// At most 32 may be running (slots are reused in turn; checks join theirs long before).
pub fn spawn(priority: u32, argument: usize, function: fn(usize)) {
    let slot = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS.len();
    SLOTS[slot].0.store(function as usize, Ordering::Release);
    SLOTS[slot].1.store(argument, Ordering::Release);
    RUNNING.add(1);
    sys::spawn(task_entry, slot, priority);
}

/// Waits until every spawned task has returned.
pub fn join() {
    RUNNING.wait();
}

fn runner(_: usize) {
    let (mut passed, mut failed) = (0, 0);
    for (name, check) in checks::ALL {
        match check() {
            Ok(()) => {
                passed += 1;
                say!("{name} ... ok");
            }
            Err(what) => {
                failed += 1;
                say!("{name} ... FAILED: {what}");
            }
        }
        // Whatever a failed check left running is stopped by the exit below; a passed one
        // joined its own tasks.
    }
    say!("{passed} passed, {failed} failed ({})", sys::PORT);
    if failed == 0 {
        bench::run();
    }
    sys::exit(if failed == 0 { 0 } else { 1 });
}

/// The first and only call from outside a task: starts the runner and the scheduler.
fn start() -> ! {
    say!("portable-futex under FreeRTOS ({})", sys::PORT);
    // Not counted in `RUNNING`: the runner joins the others, and never returns.
    SLOTS[0].0.store(runner as fn(usize) as usize, Ordering::Release);
    NEXT_SLOT.store(1, Ordering::Relaxed);
    sys::spawn(task_entry, 0, RUNNER);
    sys::start()
}

/// Called by FreeRTOS's tick hook, in the tick interrupt.
#[no_mangle]
extern "C" fn fixture_tick() {
    checks::on_tick();
}

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    start()
}

#[cfg(not(target_os = "none"))]
fn main() {
    start()
}

/// Every interrupt but the core's own exceptions: the board's timer (IRQ 8) is the only one
/// enabled.
#[cfg(target_os = "none")]
#[cortex_m_rt::exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == 8 {
        sys::timer_ack();
        checks::on_timer();
    } else {
        say!("unexpected exception or interrupt {irqn}");
        sys::exit(1);
    }
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    say!("panic: {info}");
    sys::exit(1)
}
