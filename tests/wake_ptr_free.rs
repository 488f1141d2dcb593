//! `wake_ptr` on a word that the woken thread frees at once: sound, because the backend uses
//! the address alone. Run under Miri, which reports any access to (or reference into) freed
//! memory.

mod common;

use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::thread;

use portable_futex::{Futex, FutexBackend};

/// A one-shot event that lives on the heap, owned by the waiter, which frees it the moment it
/// sees the signal: the setter's `wake_ptr` may then run on freed memory.
fn freed_right_after_wake<B: FutexBackend>() {
    for _ in 0..common::scaled(200, 8) {
        let slot = std::sync::Arc::new(AtomicPtr::<AtomicU32>::new(std::ptr::null_mut()));
        let waiter = {
            let slot = slot.clone();
            thread::spawn(move || {
                let word: Box<AtomicU32> = Box::new(AtomicU32::new(0));
                slot.store(&*word as *const AtomicU32 as *mut AtomicU32, Ordering::Release);
                while word.load(Ordering::Acquire) == 0 {
                    Futex::<B>::wait(&word, 0);
                }
                drop(word); // freed while the setter may still be inside wake_ptr
            })
        };
        let ptr = loop {
            let ptr = slot.load(Ordering::Acquire);
            if !ptr.is_null() {
                break ptr.cast_const();
            }
            thread::yield_now();
        };
        // SAFETY: the waiter frees the word only after it reads 1, so it is alive until this
        // store completes.
        unsafe { (*ptr).store(1, Ordering::Release) };
        Futex::<B>::wake_ptr(ptr, 1);
        waiter.join().unwrap();
        // And once more, certainly after the free.
        Futex::<B>::wake_ptr(ptr, u32::MAX);
    }
}

#[cfg(all(
    any(feature = "linux", feature = "linux-raw"),
    any(target_os = "linux", target_os = "android")
))]
#[test]
fn linux() {
    freed_right_after_wake::<portable_futex::backend::Linux>();
}

#[cfg(all(feature = "darwin", target_vendor = "apple"))]
#[test]
fn darwin() {
    freed_right_after_wake::<portable_futex::backend::Darwin>();
}

#[cfg(all(feature = "freebsd", target_os = "freebsd"))]
#[test]
fn freebsd() {
    freed_right_after_wake::<portable_futex::backend::FreeBsd>();
}

#[cfg(all(feature = "openbsd", target_os = "openbsd"))]
#[test]
fn openbsd() {
    freed_right_after_wake::<portable_futex::backend::OpenBsd>();
}

#[cfg(all(feature = "dragonfly", target_os = "dragonfly"))]
#[test]
fn dragonfly() {
    freed_right_after_wake::<portable_futex::backend::DragonFly>();
}

#[cfg(feature = "queue")]
#[test]
fn queue() {
    freed_right_after_wake::<portable_futex::backend::Queue>();
}

#[cfg(all(feature = "windows", windows))]
#[test]
fn windows() {
    freed_right_after_wake::<portable_futex::backend::Windows>();
}
