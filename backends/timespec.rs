//! The relative `timespec` that the futex system calls of Linux, FreeBSD (`_umtx_op`) and
//! OpenBSD take: one pure conversion for all three, tested on every host.
#![cfg_attr(test, allow(dead_code))] // on hosts none of the three kernels run on, only the tests use it

use core::time::Duration;

/// A relative timeout in the form all three kernels accept, on every ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RelativeTimeout {
    pub(crate) secs: i32,
    pub(crate) nanos: i32,
    /// The requested duration was longer than we pass: a timeout is then not a `Timeout`.
    pub(crate) clamped: bool,
}

impl RelativeTimeout {
    /// Saturates at `i32::MAX` seconds (68 years). That fits every `time_t`: the 64-bit ones,
    /// the 32-bit one of Linux's original `futex` on 32-bit targets and of FreeBSD's i386
    /// port; and it keeps each kernel's "now + timeout" far from overflowing. Nobody waits 68
    /// years, so a clamped wait simply returns early, as a spurious wakeup.
    pub(crate) fn from_duration(duration: Duration) -> Self {
        match i32::try_from(duration.as_secs()) {
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
        assert_eq!(t(Duration::ZERO), RelativeTimeout { secs: 0, nanos: 0, clamped: false });
        assert_eq!(
            t(Duration::from_nanos(1)),
            RelativeTimeout { secs: 0, nanos: 1, clamped: false }
        );
        assert_eq!(
            t(Duration::new(3, 999_999_999)),
            RelativeTimeout { secs: 3, nanos: 999_999_999, clamped: false }
        );
        let max_exact = Duration::new(i32::MAX as u64, 999_999_999);
        assert_eq!(
            t(max_exact),
            RelativeTimeout { secs: i32::MAX, nanos: 999_999_999, clamped: false }
        );
        let just_over = Duration::from_secs(i32::MAX as u64 + 1);
        assert_eq!(t(just_over), RelativeTimeout { secs: i32::MAX, nanos: 0, clamped: true });
        assert_eq!(t(Duration::MAX), RelativeTimeout { secs: i32::MAX, nanos: 0, clamped: true });
    }
}
