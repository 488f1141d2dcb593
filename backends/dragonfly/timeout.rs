//! DragonFly's `umtx_sleep` timeout: a pure conversion, tested on every host.
//!
//! `umtx_sleep` takes a signed `int` of **microseconds**, and 0 means "no timeout". So a
//! timeout rounds up to whole microseconds (a sub-microsecond one becomes 1, never 0), and one
//! beyond `c_int::MAX` microseconds (about 35.8 minutes) is clamped.
#![cfg_attr(not(all(feature = "dragonfly", target_os = "dragonfly")), allow(dead_code))]

use core::time::Duration;

/// A `umtx_sleep` timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Micros {
    /// In `1..=i32::MAX` (`c_int` is 32-bit on every DragonFly target).
    pub(crate) micros: i32,
    /// The request was longer than `micros`: a timeout is then not a `Timeout`.
    pub(crate) clamped: bool,
}

impl Micros {
    pub(crate) fn from_duration(duration: Duration) -> Self {
        // Round up so the kernel never sleeps less than asked. No overflow in u128:
        // `Duration::MAX` is below 2^94 nanoseconds.
        let micros = duration.as_nanos().div_ceil(1_000);
        match i32::try_from(micros) {
            Ok(micros) => Self { micros: micros.max(1), clamped: false },
            Err(_) => Self { micros: i32::MAX, clamped: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_conversion() {
        let t = Micros::from_duration;
        let exact = |micros| Micros { micros, clamped: false };
        let clamped = Micros { micros: i32::MAX, clamped: true };
        // Never 0, which would mean "forever".
        assert_eq!(t(Duration::ZERO), exact(1));
        assert_eq!(t(Duration::from_nanos(1)), exact(1));
        assert_eq!(t(Duration::from_nanos(999)), exact(1));
        assert_eq!(t(Duration::from_micros(1)), exact(1));
        assert_eq!(t(Duration::from_nanos(1_001)), exact(2));
        assert_eq!(t(Duration::from_millis(1)), exact(1_000));
        assert_eq!(t(Duration::new(2, 500)), exact(2_000_001));
        // The clamp boundary: i32::MAX microseconds fits, a nanosecond more does not.
        let max = Duration::from_micros(i32::MAX as u64);
        assert_eq!(t(max), exact(i32::MAX));
        assert_eq!(t(max + Duration::from_nanos(1)), clamped);
        assert_eq!(t(Duration::from_secs(u64::MAX)), clamped);
        assert_eq!(t(Duration::MAX), clamped);
    }
}
