//! The behavioural suite on `Counted<B>`: the OS backend behind a count of its waiters.
#![cfg(all(feature = "linux", target_os = "linux"))]

mod common;

use portable_futex::backend::{Counted, Linux};

backend_tests!(Counted<Linux>, threads);

/// `Counted<B>` yields as `B` does: it only counts waiters.
#[test]
fn counted_yields_as_its_backend_does() {
    use core::sync::atomic::AtomicU32;
    use core::time::Duration;
    use portable_futex::{FutexBackend, Timeout};

    /// A backend with no yield of its own.
    struct CannotYield;
    impl FutexBackend for CannotYield {
        fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
            Ok(())
        }
        fn wake(_: *const AtomicU32, _: u32) {}
    }

    assert!(!Counted::<CannotYield>::yield_now());
    assert!(Counted::<Linux>::yield_now());
}
