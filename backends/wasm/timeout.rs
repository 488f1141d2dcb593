//! The wasm wait timeouts: pure conversions, tested on every host. `WaitTimeout` for the
//! instruction, `WaitMillis` for Emscripten's `emscripten_futex_wait`.

use core::time::Duration;

/// A relative timeout for `memory.atomic.wait32`: signed 64-bit nanoseconds.
///
/// The instruction reads any negative value as "wait forever", so a finite wait must pass a
/// value in `0..=i64::MAX`, which is what this type holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(all(target_family = "wasm", not(target_os = "emscripten"))), allow(dead_code))]
pub(crate) struct WaitTimeout {
    /// Never negative.
    pub(crate) nanos: i64,
    /// The requested duration was longer than we pass: a timeout is then not a `Timeout`.
    pub(crate) clamped: bool,
}

#[cfg_attr(not(all(target_family = "wasm", not(target_os = "emscripten"))), allow(dead_code))]
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

/// A timeout for `emscripten_futex_wait`: milliseconds, as a `double`.
///
/// Emscripten turns it into the instruction's nanoseconds as `(int64_t)(ms * 1000 * 1000)`.
/// Whole milliseconds up to 2⁵³ ns keep every step of that exact (each product an integer
/// below 2⁵³), so the engine waits at least what was asked, and the cast never sees a value
/// beyond `int64_t` (which would trap). So the timeout rounds up to whole milliseconds and
/// saturates at the last whole millisecond below 2⁵³ ns (about 104 days).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(not(target_os = "emscripten"), allow(dead_code))]
pub(crate) struct WaitMillis {
    /// A whole number of milliseconds, at most [`WaitMillis::MAX`].
    pub(crate) ms: f64,
    /// The requested duration was longer than we pass: a timeout is then not a `Timeout`.
    pub(crate) clamped: bool,
}

#[cfg_attr(not(target_os = "emscripten"), allow(dead_code))]
impl WaitMillis {
    /// The longest timeout passed, in milliseconds: `MAX * 1_000_000 < 2⁵³`.
    pub(crate) const MAX: u64 = (1 << 53) / 1_000_000;

    pub(crate) fn from_duration(duration: Duration) -> Self {
        // No overflow: `Duration::MAX` is below 2⁹⁴ nanoseconds.
        let ms = duration.as_nanos().div_ceil(1_000_000);
        match u64::try_from(ms) {
            Ok(ms) if ms <= Self::MAX => Self { ms: ms as f64, clamped: false },
            _ => Self { ms: Self::MAX as f64, clamped: true },
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

    #[test]
    fn emscripten_milliseconds() {
        let t = WaitMillis::from_duration;
        let exact = |ms: u64| WaitMillis { ms: ms as f64, clamped: false };
        let clamped = WaitMillis { ms: WaitMillis::MAX as f64, clamped: true };
        // Rounded up: never a wait shorter than asked.
        assert_eq!(t(Duration::from_nanos(1)), exact(1));
        assert_eq!(t(Duration::from_micros(999)), exact(1));
        assert_eq!(t(Duration::from_millis(1)), exact(1));
        assert_eq!(t(Duration::from_nanos(1_000_001)), exact(2));
        assert_eq!(t(Duration::new(3, 500)), exact(3_001));
        // The boundary, where Emscripten's `ms * 1000 * 1000` stays exact.
        let max = Duration::from_millis(WaitMillis::MAX);
        assert_eq!(t(max), exact(WaitMillis::MAX));
        assert_eq!(t(max + Duration::from_nanos(1)), clamped);
        assert_eq!(t(Duration::MAX), clamped);
        // What Emscripten computes from it is exact, at least the request, and fits i64.
        for d in [Duration::from_nanos(1), Duration::new(12_345, 678_901), max] {
            let ns = t(d).ms * 1000.0 * 1000.0;
            assert!(ns < (1u64 << 53) as f64 && ns.fract() == 0.0 && ns as u128 >= d.as_nanos());
        }
    }
}
