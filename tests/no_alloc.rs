//! The crate never allocates: every operation runs under an allocator that counts this
//! thread's allocations, and the count must not move.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use portable_futex::{Deadline, Futex, FutexBackend, StdClock};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a const-initialised thread-local
// that never allocates itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed through.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed through.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn every_operation<B: FutexBackend>() {
    let word = AtomicU32::new(0);
    Futex::<B>::wait(&word, 1);
    let _ = Futex::<B>::timed_wait(&word, 0, Duration::ZERO);
    let _ = Futex::<B>::timed_wait(&word, 0, Duration::from_millis(1));
    let _ = Futex::<B>::timed_wait(&word, 1, Duration::MAX);
    Futex::<B>::wake(&word, 1);
    Futex::<B>::wake(&word, u32::MAX);
    Futex::<B>::wake_ptr(std::ptr::null(), 1);
    let mut deadline =
        Deadline::<B, _>::with_clock(Some(Duration::from_millis(1)), StdClock::new());
    while deadline.wait(&word, 0).is_ok() {}
}

fn assert_no_allocation(f: impl FnOnce()) {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    assert_eq!(ALLOCATIONS.with(Cell::get), before, "the crate allocated");
}

#[cfg(all(any(feature = "linux", feature = "linux-raw"), target_os = "linux"))]
#[test]
fn linux() {
    assert_no_allocation(every_operation::<portable_futex::backend::Linux>);
}

#[cfg(all(feature = "darwin", target_vendor = "apple"))]
#[test]
fn darwin() {
    assert_no_allocation(every_operation::<portable_futex::backend::Darwin>);
}

#[cfg(all(feature = "freebsd", target_os = "freebsd"))]
#[test]
fn freebsd() {
    assert_no_allocation(every_operation::<portable_futex::backend::FreeBsd>);
}

#[cfg(all(feature = "openbsd", target_os = "openbsd"))]
#[test]
fn openbsd() {
    assert_no_allocation(every_operation::<portable_futex::backend::OpenBsd>);
}

#[cfg(all(feature = "dragonfly", target_os = "dragonfly"))]
#[test]
fn dragonfly() {
    assert_no_allocation(every_operation::<portable_futex::backend::DragonFly>);
}

#[cfg(feature = "single-threaded")]
#[test]
fn single_threaded() {
    assert_no_allocation(every_operation::<portable_futex::backend::SingleThreaded>);
}

#[test]
fn the_counter_sees_allocations() {
    let before = ALLOCATIONS.with(Cell::get);
    drop(std::hint::black_box(Box::new(1u8)));
    assert_eq!(ALLOCATIONS.with(Cell::get), before + 1);
}

#[cfg(feature = "queue")]
#[test]
fn queue() {
    assert_no_allocation(every_operation::<portable_futex::backend::Queue>);
}

#[cfg(all(feature = "windows", windows))]
#[test]
fn windows() {
    assert_no_allocation(every_operation::<portable_futex::backend::Windows>);
}
