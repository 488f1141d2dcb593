//! Apple's wait timeouts: pure conversions, tested on every host.
//!
//! Two units reach the kernel. `os_sync_wait_on_address_with_timeout` and the private
//! `__ulock_wait2` take 64-bit nanoseconds; the older private `__ulock_wait` takes 32-bit
//! microseconds. For both `__ulock_*` calls a timeout of 0 means "no timeout at all", so no
//! conversion here ever yields 0, and the microsecond one rounds up, never down: a wait the
//! kernel cut short of the request could otherwise be reported as a `Timeout`.
#![cfg_attr(not(all(feature = "darwin", target_vendor = "apple")), allow(dead_code))]

use core::time::Duration;

/// The longest timeout handed to the kernel: `i32::MAX` seconds (68 years), in nanoseconds.
///
/// XNU turns a relative timeout into a deadline by adding it to the current Mach time. A value
/// near `u64::MAX` could wrap that sum into the past, which is an immediate timeout; for a
/// clamped wait (reported as a spurious return) the caller would then spin. 68 years leaves
/// the sum far from any overflow, and no one waits that long.
pub(crate) const MAX_NANOS: u64 = i32::MAX as u64 * 1_000_000_000;

/// A timeout in nanoseconds, for `os_sync_wait_on_address_with_timeout` and `__ulock_wait2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nanos {
    /// At least 1 and at most [`MAX_NANOS`].
    pub(crate) nanos: u64,
    /// The request was longer than `nanos`: a timeout is then not a `Timeout`.
    pub(crate) clamped: bool,
}

impl Nanos {
    pub(crate) fn from_duration(duration: Duration) -> Self {
        let nanos = duration.as_nanos();
        if nanos > u128::from(MAX_NANOS) {
            Self { nanos: MAX_NANOS, clamped: true }
        } else {
            // Fits: at most MAX_NANOS. Zero never comes from the front end, but 0 would mean
            // "forever" to `__ulock_wait2`; 1 ns is as good as zero and still times out.
            Self { nanos: (nanos as u64).max(1), clamped: false }
        }
    }
}

/// A timeout in whole microseconds, for `__ulock_wait` (32 bits: at most about 71 minutes).
#[cfg_attr(not(feature = "darwin-ulock"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Micros32 {
    /// At least 1: rounded up from the request, or `u32::MAX` when clamped.
    pub(crate) micros: u32,
    /// The request was longer than `u32::MAX` microseconds: a timeout is not a `Timeout`.
    pub(crate) clamped: bool,
}

#[cfg_attr(not(feature = "darwin-ulock"), allow(dead_code))]
impl Micros32 {
    pub(crate) fn from_duration(duration: Duration) -> Self {
        // Round up: the kernel must sleep at least as long as asked. No overflow in u128:
        // `Duration::MAX` is below 2^94 nanoseconds.
        let micros = duration.as_nanos().div_ceil(1_000);
        match u32::try_from(micros) {
            Ok(micros) => Self { micros: micros.max(1), clamped: false },
            Err(_) => Self { micros: u32::MAX, clamped: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_nanos_is_68_years() {
        // Pinned as a literal: a typo in the constant (a `+` for the `*`, a lost digit) would
        // otherwise move every comparison below along with it.
        assert_eq!(MAX_NANOS, 2_147_483_647_000_000_000);
        let t = Nanos::from_duration;
        let years_68 = Duration::from_secs(2_147_483_647);
        assert_eq!(t(years_68), Nanos { nanos: 2_147_483_647_000_000_000, clamped: false });
        assert!(t(years_68 + Duration::from_nanos(1)).clamped);
        assert!(!t(Duration::from_secs(3_600 * 24 * 365)).clamped, "a year is not clamped");
    }

    #[test]
    fn nanos() {
        let t = Nanos::from_duration;
        assert_eq!(t(Duration::ZERO), Nanos { nanos: 1, clamped: false });
        assert_eq!(t(Duration::from_nanos(1)), Nanos { nanos: 1, clamped: false });
        assert_eq!(t(Duration::new(3, 5)), Nanos { nanos: 3_000_000_005, clamped: false });
        assert_eq!(t(Duration::from_nanos(MAX_NANOS)), Nanos { nanos: MAX_NANOS, clamped: false });
        assert_eq!(
            t(Duration::from_nanos(MAX_NANOS + 1)),
            Nanos { nanos: MAX_NANOS, clamped: true }
        );
        assert_eq!(t(Duration::from_secs(u64::MAX)), Nanos { nanos: MAX_NANOS, clamped: true });
        assert_eq!(t(Duration::MAX), Nanos { nanos: MAX_NANOS, clamped: true });
    }

    #[test]
    fn micros32() {
        let t = Micros32::from_duration;
        assert_eq!(t(Duration::ZERO), Micros32 { micros: 1, clamped: false });
        // Sub-microsecond and fractional timeouts round up, never down to 0 ("forever").
        assert_eq!(t(Duration::from_nanos(1)), Micros32 { micros: 1, clamped: false });
        assert_eq!(t(Duration::from_nanos(999)), Micros32 { micros: 1, clamped: false });
        assert_eq!(t(Duration::from_nanos(1_000)), Micros32 { micros: 1, clamped: false });
        assert_eq!(t(Duration::from_nanos(1_001)), Micros32 { micros: 2, clamped: false });
        assert_eq!(t(Duration::from_millis(1)), Micros32 { micros: 1_000, clamped: false });
        // The clamp boundary: u32::MAX microseconds fits, one nanosecond more does not.
        let max = Duration::from_micros(u64::from(u32::MAX));
        assert_eq!(t(max), Micros32 { micros: u32::MAX, clamped: false });
        assert_eq!(t(max + Duration::from_nanos(1)), Micros32 { micros: u32::MAX, clamped: true });
        assert_eq!(t(Duration::from_secs(u64::MAX)), Micros32 { micros: u32::MAX, clamped: true });
        assert_eq!(t(Duration::MAX), Micros32 { micros: u32::MAX, clamped: true });
    }
}
