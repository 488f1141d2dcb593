//! The behavioural suite on the Linux `futex(2)` backend.
#![cfg(all(
    any(feature = "linux", feature = "linux-raw"),
    any(target_os = "linux", target_os = "android")
))]

mod common;

backend_tests!(portable_futex::backend::Linux, threads);

/// `sched_yield(2)` always exists on Linux: the locks may yield while they wait.
#[test]
fn linux_can_yield() {
    use portable_futex::FutexBackend;
    assert!(portable_futex::backend::Linux::yield_now());
}

/// `FUTEX_CMP_REQUEUE` moves sleepers: `Linux` never falls back to waking them here.
#[test]
#[cfg_attr(miri, ignore = "Miri has no FUTEX_CMP_REQUEUE: the backend wakes instead there")]
fn linux_requeue_moves() {
    common::watchdog::watchdog("requeued sleepers on Linux", || {
        assert!(common::requeue_moves_or_wakes::<portable_futex::backend::Linux>());
    });
}
