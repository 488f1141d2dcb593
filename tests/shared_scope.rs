//! The behavioural suite on the target's process-shared backend (`DefaultSharedBackend`:
//! `Shared<Linux>`, `Shared<Darwin>`, `Shared<FreeBsd>`...), between threads of one process:
//! a shared futex keeps every rule of a private one. (`process_shared.rs` takes it across
//! processes on Linux; `cargo xtask shared` runs this file under Miri for FreeBSD and Apple.)
#![cfg(any(
    all(
        any(feature = "linux", feature = "linux-raw"),
        any(target_os = "linux", target_os = "android")
    ),
    all(feature = "darwin", target_vendor = "apple"),
    all(feature = "freebsd", target_os = "freebsd"),
    all(feature = "openbsd", target_os = "openbsd"),
    all(feature = "dragonfly", target_os = "dragonfly"),
))]

mod common;

#[cfg(not(target_os = "dragonfly"))]
backend_tests!(portable_futex::DefaultSharedBackend, threads);
// DragonFly's `umtx_wakeup` wakes one, or all.
#[cfg(target_os = "dragonfly")]
backend_tests!(portable_futex::DefaultSharedBackend, threads, OneOrAll);

/// `Shared<Linux>` moves sleepers with `FUTEX_CMP_REQUEUE` (without the private flag).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
#[cfg_attr(miri, ignore = "Miri has no FUTEX_CMP_REQUEUE: the backend wakes instead there")]
fn shared_linux_requeue_moves() {
    common::watchdog::watchdog("requeued sleepers on Shared<Linux>", || {
        assert!(common::requeue_moves_or_wakes::<portable_futex::DefaultSharedBackend>());
    });
}
