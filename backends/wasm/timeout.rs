//! The wasm wait timeout: a pure conversion, tested on every host.

use core::time::Duration;

/// A relative timeout for `memory.atomic.wait32`: signed 64-bit nanoseconds.
///
/// The instruction reads any negative value as "wait forever", so a finite wait must pass a
/// value in `0..=i64::MAX`, which is what this type holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
pub(crate) struct WaitTimeout {
    /// Never negative.
    pub(crate) nanos: i64,
    /// The requested duration was longer than we pass: a timeout is then not a `Timeout`.
    pub(crate) clamped: bool,
}

#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
impl WaitTimeout {
    /// Saturates at `i64::MAX` nanoseconds (about 292 years): `Duration::MAX` would otherwise
    /// wrap to a negative count, which the instruction takes for an untimed wait.
    pub(crate) fn from_duration(duration: Duration) -> Self {
        match i64::try_from(duration.as_nanos()) {
            Ok(nanos) => Self { nanos, clamped: false },
            Err(_) => Self { nanos: i64::MAX, clamped: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_conversion() {
        let t = WaitTimeout::from_duration;
        assert_eq!(t(Duration::ZERO), WaitTimeout { nanos: 0, clamped: false });
        assert_eq!(t(Duration::from_nanos(1)), WaitTimeout { nanos: 1, clamped: false });
        assert_eq!(
            t(Duration::new(3, 999_999_999)),
            WaitTimeout { nanos: 3_999_999_999, clamped: false }
        );
        // The largest duration that fits exactly, and the first one that does not.
        let max_exact = Duration::from_nanos(i64::MAX as u64);
        assert_eq!(t(max_exact), WaitTimeout { nanos: i64::MAX, clamped: false });
        let just_over = max_exact + Duration::from_nanos(1);
        assert_eq!(t(just_over), WaitTimeout { nanos: i64::MAX, clamped: true });
        assert!(t(Duration::from_secs(u64::MAX / 2)).clamped);
        assert_eq!(t(Duration::MAX), WaitTimeout { nanos: i64::MAX, clamped: true });
    }

    #[test]
    fn never_negative() {
        for secs in [0, 1, 9_223_372_035, 9_223_372_036, 9_223_372_037, u64::MAX] {
            for nanos in [0, 1, 854_775_807, 854_775_808, 999_999_999] {
                let w = WaitTimeout::from_duration(Duration::new(secs, nanos));
                assert!(w.nanos >= 0, "{secs}s {nanos}ns gave {w:?}");
            }
        }
    }
}
