//! OpenBSD's relative `futex(2)` timeout: a pure conversion, tested on every host.
#![cfg_attr(not(all(feature = "openbsd", target_os = "openbsd")), allow(dead_code))]

use core::time::Duration;

/// The relative `timespec` of a `FUTEX_WAIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RelativeTimeout {
    pub(crate) secs: i32,
    pub(crate) nanos: i32,
    /// The requested duration was longer than we pass: a timeout is then not a `Timeout`.
    pub(crate) clamped: bool,
}

impl RelativeTimeout {
    /// Saturates at `i32::MAX` seconds (68 years). OpenBSD's `time_t` is 64-bit on every
    /// port; the clamp keeps the kernel's sleep arithmetic on a value it never has to cut
    /// short, and no one waits 68 years.
    pub(crate) fn from_duration(duration: Duration) -> Self {
        match i32::try_from(duration.as_secs()) {
            // subsec_nanos() < 10^9 < i32::MAX.
            Ok(secs) => Self { secs, nanos: duration.subsec_nanos() as i32, clamped: false },
            Err(_) => Self { secs: i32::MAX, nanos: 0, clamped: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_conversion() {
        let t = RelativeTimeout::from_duration;
        let exact = |secs, nanos| RelativeTimeout { secs, nanos, clamped: false };
        let clamped = RelativeTimeout { secs: i32::MAX, nanos: 0, clamped: true };
        assert_eq!(t(Duration::ZERO), exact(0, 0));
        assert_eq!(t(Duration::from_nanos(1)), exact(0, 1));
        assert_eq!(t(Duration::new(3, 999_999_999)), exact(3, 999_999_999));
        // The clamp boundary.
        assert_eq!(t(Duration::new(i32::MAX as u64, 999_999_999)), exact(i32::MAX, 999_999_999));
        assert_eq!(t(Duration::from_secs(i32::MAX as u64 + 1)), clamped);
        assert_eq!(t(Duration::from_secs(u64::MAX)), clamped);
        assert_eq!(t(Duration::MAX), clamped);
    }
}
