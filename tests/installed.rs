//! A binary that installs the default backend with `set_backend!` (feature `custom-backend`):
//! the root functions and `Deadline::new` then run on it. Run alone, since the feature makes
//! every test binary of the crate need an installed backend:
//! `cargo test --features custom-backend --test installed`.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use portable_futex::backend::Queue;
use portable_futex::{Deadline, DefaultBackend, FutexBackend, Timeout};

static WAITS: AtomicUsize = AtomicUsize::new(0);
static WAKES: AtomicUsize = AtomicUsize::new(0);
static YIELDS: AtomicUsize = AtomicUsize::new(0);

/// The queue backend, counting the calls that reach it.
struct Counted;

impl FutexBackend for Counted {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        WAITS.fetch_add(1, Ordering::Relaxed);
        Queue::wait(futex, expect, timeout)
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        WAKES.fetch_add(1, Ordering::Relaxed);
        Queue::wake(futex, max_waiters)
    }

    fn yield_now() -> bool {
        YIELDS.fetch_add(1, Ordering::Relaxed);
        Queue::yield_now()
    }
}

portable_futex::set_backend!(Counted);

#[test]
fn the_root_functions_run_on_the_installed_backend() {
    assert_eq!(std::any::type_name::<DefaultBackend>(), "portable_futex::installed::Installed");
    let word = Arc::new(AtomicU32::new(0));
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = {
        let word = word.clone();
        std::thread::spawn(move || {
            while word.load(Ordering::Acquire) == 0 {
                portable_futex::wait(&word, 0);
            }
            let _ = done.send(());
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    word.store(1, Ordering::Release);
    portable_futex::wake(&word, 1);
    // A watchdog rather than a bare join: a wake that never reaches the waiter fails the test
    // (the blocked thread is left behind) instead of hanging it.
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the waiter was not woken within 10 s of `portable_futex::wake`");
    waiter.join().unwrap();
    assert!(WAKES.load(Ordering::Relaxed) >= 1);

    let waits = WAITS.load(Ordering::Relaxed);
    let mut deadline = Deadline::new(Some(Duration::from_millis(5)));
    while deadline.wait(&word, 1).is_ok() {}
    assert!(WAITS.load(Ordering::Relaxed) > waits, "Deadline did not reach the installed backend");
    assert_eq!(portable_futex::timed_wait(&word, 1, Duration::from_millis(1)), Err(Timeout));
}

#[test]
fn the_locks_yield_through_the_installed_backend() {
    // `Queue` (std) can yield, and the installed forwarder passes its answer on.
    let before = YIELDS.load(Ordering::Relaxed);
    assert!(DefaultBackend::yield_now());
    assert_eq!(YIELDS.load(Ordering::Relaxed), before + 1);
}
