//! Windows' wait timeout: whole milliseconds in a `u32`. A pure conversion, tested on every
//! host.

use core::time::Duration;

/// `INFINITE` from `WinBase.h`: the one `u32` that `WaitOnAddress` reads as "no timeout".
pub(crate) const INFINITE: u32 = u32::MAX;

/// A timeout in the form `WaitOnAddress` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) struct Millis {
    /// What to pass as `dwMilliseconds`: at most `INFINITE`.
    pub(crate) ms: u32,
    /// The requested duration did not fit below `INFINITE`, so the wait has no end (49.7 days
    /// and more): a timeout reported for it is not a `Timeout`.
    pub(crate) clamped: bool,
}

impl Millis {
    /// Rounds up to the next whole millisecond, so that a wait never ends before the duration
    /// asked for: 1 ns becomes 1 ms. A duration of `INFINITE` milliseconds or more becomes
    /// `INFINITE`, an unbounded wait, with `clamped` set.
    ///
    /// Total: zero stays zero, and no input overflows (the arithmetic is in `u128`, where
    /// even `Duration::MAX` in milliseconds, about 1.8e22, fits many times over).
    #[cfg_attr(not(windows), allow(dead_code))]
    pub(crate) fn from_duration(duration: Duration) -> Self {
        let partial = u128::from(duration.subsec_nanos() % 1_000_000 != 0);
        let ms = duration.as_millis() + partial;
        match u32::try_from(ms) {
            Ok(ms) if ms < INFINITE => Self { ms, clamped: false },
            _ => Self { ms: INFINITE, clamped: true },
        }
    }
}

/// `ticks` of a counter running at `frequency` per second, as a `Duration`; zero for a
/// negative or zero input. Exact to the nanosecond, never overflowing (`u128`).
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn ticks_to_duration(ticks: i64, frequency: i64) -> Duration {
    let (Ok(ticks), Ok(frequency)) = (u64::try_from(ticks), u64::try_from(frequency)) else {
        return Duration::ZERO;
    };
    if frequency == 0 {
        return Duration::ZERO;
    }
    let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(frequency);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn performance_counter_ticks() {
        // 10 MHz, the usual frequency on Windows 10 and later.
        assert_eq!(ticks_to_duration(10_000_000, 10_000_000), Duration::from_secs(1));
        assert_eq!(ticks_to_duration(1, 10_000_000), Duration::from_nanos(100));
        assert_eq!(ticks_to_duration(0, 10_000_000), Duration::ZERO);
        assert_eq!(ticks_to_duration(-5, 10_000_000), Duration::ZERO);
        assert_eq!(ticks_to_duration(5, 0), Duration::ZERO);
        assert_eq!(ticks_to_duration(i64::MAX, 1), Duration::from_nanos(u64::MAX));
        assert_eq!(ticks_to_duration(i64::MAX, i64::MAX), Duration::from_secs(1));
    }

    fn exact(ms: u32) -> Millis {
        Millis { ms, clamped: false }
    }

    const FOREVER: Millis = Millis { ms: INFINITE, clamped: true };

    #[test]
    fn zero_stays_zero() {
        assert_eq!(Millis::from_duration(Duration::ZERO), exact(0));
    }

    #[test]
    fn rounds_up_to_whole_milliseconds() {
        let t = Millis::from_duration;
        assert_eq!(t(Duration::from_nanos(1)), exact(1));
        assert_eq!(t(Duration::from_micros(999)), exact(1));
        assert_eq!(t(Duration::from_millis(1)), exact(1));
        assert_eq!(t(Duration::from_millis(1) + Duration::from_nanos(1)), exact(2));
        assert_eq!(t(Duration::new(3, 999_999_999)), exact(4_000));
        assert_eq!(t(Duration::from_secs(1)), exact(1_000));
    }

    #[test]
    fn the_longest_finite_wait() {
        let t = Millis::from_duration;
        let longest = Duration::from_millis(u64::from(INFINITE) - 1);
        assert_eq!(t(longest), exact(INFINITE - 1));
        // A nanosecond more rounds up to INFINITE itself, which means "forever".
        assert_eq!(t(longest + Duration::from_nanos(1)), FOREVER);
    }

    #[test]
    fn infinite_and_beyond_are_clamped() {
        let t = Millis::from_duration;
        assert_eq!(t(Duration::from_millis(u64::from(INFINITE))), FOREVER);
        assert_eq!(t(Duration::from_millis(u64::from(INFINITE) + 1)), FOREVER);
        assert_eq!(t(Duration::from_secs(u64::from(u32::MAX))), FOREVER);
        assert_eq!(t(Duration::from_millis(u64::MAX)), FOREVER);
        assert_eq!(t(Duration::MAX), FOREVER);
    }
}
