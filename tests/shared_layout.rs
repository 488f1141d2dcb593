//! The layout promises of the primitives that may live in shared memory (README, "Across
//! processes"): size and alignment whatever the backend, `new()` made of zero bytes only,
//! and zeroed memory that behaves as `new()` does. A fresh zero-filled mapping then holds
//! valid, unlocked, unset primitives.

use std::mem::{align_of, size_of, MaybeUninit};
use std::time::Duration;

use portable_futex::sync::generic::{Condvar, Mutex, Once, ResetEvent, Semaphore, WaitGroup};
use portable_futex::sync::lock_api::{RawMutex as _, RawRwLock as _};
use portable_futex::sync::{RawMutex, RawRwLock};
use portable_futex::{DefaultBackend, NoDefaultBackend, Timeout};

type B = DefaultBackend;

/// The bytes of `value`, which must have no padding (each type here is made of `u32`s).
fn bytes<T>(value: &T) -> Vec<u8> {
    // SAFETY: `value` is a live `T` of `size_of::<T>()` bytes, all initialised (no padding in
    // these types: atomics and zero-sized markers).
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
}

/// A `T` made of zero bytes, as a fresh mapping holds it.
///
/// # Safety
///
/// All-zero bytes are a valid `T`.
unsafe fn zeroed<T>() -> T {
    // SAFETY: the caller's promise.
    unsafe { MaybeUninit::<T>::zeroed().assume_init() }
}

/// Size and alignment, the same whatever the backend (checked on two of them).
#[test]
fn sizes_and_alignments() {
    fn check<T, U>(size: usize, what: &str) {
        assert_eq!((size_of::<T>(), align_of::<T>()), (size, 4), "{what}");
        assert_eq!((size_of::<U>(), align_of::<U>()), (size, 4), "{what}, another backend");
    }
    check::<RawMutex<B>, RawMutex<NoDefaultBackend>>(4, "RawMutex");
    check::<RawRwLock<B>, RawRwLock<NoDefaultBackend>>(8, "RawRwLock");
    // Two words and the address of the mutex its waiters may move to (unused across
    // processes, and zero there).
    let pointer = (size_of::<usize>(), align_of::<usize>());
    for (size, align) in [
        (size_of::<Condvar<B>>(), align_of::<Condvar<B>>()),
        (size_of::<Condvar<NoDefaultBackend>>(), align_of::<Condvar<NoDefaultBackend>>()),
    ] {
        assert_eq!((size, align), (8 + pointer.0, pointer.1.max(4)), "Condvar");
    }
    check::<Semaphore<B>, Semaphore<NoDefaultBackend>>(8, "Semaphore");
    check::<ResetEvent<B>, ResetEvent<NoDefaultBackend>>(4, "ResetEvent");
    check::<WaitGroup<B>, WaitGroup<NoDefaultBackend>>(4, "WaitGroup");
    check::<Once<B>, Once<NoDefaultBackend>>(4, "Once");
}

/// `new()` is all-zero bytes: the initial state and a zeroed mapping are the same thing.
#[test]
fn new_is_all_zero_bytes() {
    assert!(bytes(&RawMutex::<B>::new()).iter().all(|&b| b == 0), "RawMutex");
    assert!(bytes(&RawRwLock::<B>::new()).iter().all(|&b| b == 0), "RawRwLock");
    assert!(bytes(&Condvar::<B>::new()).iter().all(|&b| b == 0), "Condvar");
    assert!(bytes(&Semaphore::<B>::new(0)).iter().all(|&b| b == 0), "Semaphore::new(0)");
    assert!(bytes(&ResetEvent::<B>::new()).iter().all(|&b| b == 0), "ResetEvent");
    assert!(bytes(&WaitGroup::<B>::new()).iter().all(|&b| b == 0), "WaitGroup");
    assert!(bytes(&Once::<B>::new()).iter().all(|&b| b == 0), "Once");
}

/// Zeroed memory behaves as `new()`: an unlocked mutex and rwlock, a condition variable
/// nobody waits on, a semaphore without permits, an event not set, a group with nothing
/// pending, a `Once` not run.
#[test]
fn zeroed_memory_behaves_as_new() {
    // SAFETY (each `zeroed`): the types above, whose all-zero state is documented and checked
    // by `new_is_all_zero_bytes`.
    let mutex: RawMutex<B> = unsafe { zeroed() };
    let guard = mutex.try_lock().expect("a zeroed RawMutex is unlocked");
    assert!(mutex.try_lock().is_none());
    // SAFETY: taken just above.
    unsafe { mutex.unlock(guard) };
    let guard = mutex.lock();
    // SAFETY: taken just above.
    unsafe { mutex.unlock(guard) };

    // SAFETY: as above.
    let rwlock: RawRwLock<B> = unsafe { zeroed() };
    let readers = (rwlock.try_lock_shared(), rwlock.try_lock_shared());
    let (Some(first), Some(second)) = readers else { panic!("zeroed RawRwLock: readers") };
    assert!(rwlock.try_lock_exclusive().is_none());
    // SAFETY: two read locks taken above.
    unsafe { (rwlock.unlock_shared(first), rwlock.unlock_shared(second)) };
    let guard = rwlock.try_lock_exclusive().expect("a zeroed RawRwLock is unlocked");
    // SAFETY: taken just above.
    unsafe { rwlock.unlock_exclusive(guard) };

    // A zeroed mutex around zeroed data, with a zeroed condition variable: a timed wait times
    // out (nobody notifies), and a notification with nobody waiting is harmless.
    // SAFETY: as above; `u64` is valid zeroed.
    let (data, changed): (Mutex<B, u64>, Condvar<B>) = unsafe { (zeroed(), zeroed()) };
    changed.notify_all();
    let mut guard = data.lock();
    assert_eq!(*guard, 0);
    assert!(changed.wait_for(&mut guard, Duration::from_millis(10)).timed_out());
    drop(guard);

    // SAFETY: as above.
    let semaphore: Semaphore<B> = unsafe { zeroed() };
    assert_eq!(semaphore.available_permits(), 0);
    assert!(!semaphore.try_acquire(), "a zeroed Semaphore has no permits");
    semaphore.release(1);
    assert!(semaphore.try_acquire());

    // SAFETY: as above.
    let event: ResetEvent<B> = unsafe { zeroed() };
    assert!(!event.is_set(), "a zeroed ResetEvent is not set");
    assert_eq!(event.wait_timeout(Duration::from_millis(10)), Err(Timeout));
    event.set();
    event.wait();

    // SAFETY: as above.
    let group: WaitGroup<B> = unsafe { zeroed() };
    assert!(group.is_idle() && group.pending() == 0, "a zeroed WaitGroup has nothing pending");
    group.wait();
    group.add(1);
    assert_eq!(group.wait_timeout(Duration::from_millis(10)), Err(Timeout));
    group.done();
    group.wait();

    // SAFETY: as above.
    let once: Once<B> = unsafe { zeroed() };
    assert!(!once.is_completed(), "a zeroed Once has not run");
    let mut runs = 0;
    once.call_once(|| runs += 1);
    once.call_once(|| runs += 1);
    assert_eq!(runs, 1);
    assert!(once.is_completed());
}
