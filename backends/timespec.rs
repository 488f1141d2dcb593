//! The relative `timespec` that the futex system calls of Linux, FreeBSD (`_umtx_op`) and
//! OpenBSD take: one pure conversion for all three, with each kernel's longest timeout
//! (`max_secs`), tested on every host.
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

/// The longest relative timeout, in whole seconds, that each kernel takes as asked.
#[allow(dead_code)] // each kernel's build uses its own
pub(crate) mod max_secs {
    /// 68 years: fits every `time_t` that Linux's two futex calls take (the 32-bit one of the
    /// original `futex` on 32-bit targets included), and keeps the kernel's "now + timeout",
    /// done in 64 bits, far from overflowing.
    pub(crate) const LINUX: u32 = i32::MAX as u32;

    /// FreeBSD adds a relative `_umtx_time` to the current uptime in its `time_t`
    /// (`umtx_abs_timeout_init`), which is 64-bit on every architecture but i386. On an i386
    /// kernel a timeout near `i32::MAX` seconds overflows that sum: the deadline lands in the
    /// past, and the wait fails at once with `ETIMEDOUT`. 2³⁰ s (34 years) leaves 34 years of
    /// uptime before the sum can overflow. A 32-bit x86 program may run on an amd64 kernel
    /// too, whose 64-bit sum needs no such cap; we cannot tell them apart, so both get it.
    pub(crate) const FREEBSD_I386: u32 = 1 << 30;
    /// FreeBSD on every other architecture: as Linux.
    pub(crate) const FREEBSD: u32 = if cfg!(target_arch = "x86") { FREEBSD_I386 } else { LINUX };

    /// OpenBSD turns a futex timeout into clock ticks and caps those at `INT_MAX`; a wait that
    /// reaches the cap ends with `ETIMEDOUT` although less time than asked has passed. At the
    /// default `HZ` of 100 the cap is 248 days, at `HZ=1000` (a custom kernel) 24.8 days. Two
    /// million seconds (23 days) stays below it for any `HZ` up to 1073.
    pub(crate) const OPENBSD: u32 = 2_000_000;
}

impl RelativeTimeout {
    /// Saturates at `max_secs` seconds (at most `i32::MAX`, 68 years, which fits every
    /// `time_t`, the 32-bit ones of Linux's original `futex` on 32-bit targets and of
    /// FreeBSD's i386 port included): see [`max_secs`] for each kernel's own limit. Nobody
    /// waits that long, so a clamped wait simply returns early, as a spurious wakeup.
    pub(crate) fn at_most(duration: Duration, max_secs: u32) -> Self {
        let max_secs = max_secs.min(i32::MAX as u32);
        match u32::try_from(duration.as_secs()) {
            Ok(secs) if secs <= max_secs => Self {
                secs: secs as i32, // <= i32::MAX
                nanos: duration.subsec_nanos() as i32,
                clamped: false,
            },
            _ => Self { secs: max_secs as i32, nanos: 0, clamped: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_conversion() {
        let t = |d| RelativeTimeout::at_most(d, max_secs::LINUX);
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
        // A cap beyond what a 32-bit `time_t` holds is brought back to it.
        assert_eq!(
            RelativeTimeout::at_most(Duration::MAX, u32::MAX),
            RelativeTimeout { secs: i32::MAX, nanos: 0, clamped: true }
        );
    }

    /// What an i386 FreeBSD kernel computes from our longest timeout, `uptime + timeout` in
    /// its 32-bit `time_t`, must not overflow for any uptime a machine reaches.
    #[test]
    fn freebsd_i386_kernel_sum_fits() {
        let year = 366 * 24 * 3600;
        let longest = RelativeTimeout::at_most(Duration::MAX, max_secs::FREEBSD_I386);
        assert!(longest.clamped);
        for uptime in [0, 1, 3600, year, 10 * year, 33 * year] {
            // The kernel's sum, nanoseconds carried.
            let sum = i64::from(uptime) + i64::from(longest.secs) + 1;
            assert!(sum <= i64::from(i32::MAX), "uptime {uptime} s: {sum} overflows time_t");
        }
        // And the cap is long: a wait of 30 years is passed as asked, not cut short into a
        // string of spurious returns.
        let thirty_years = Duration::from_secs(30 * year as u64);
        assert!(!RelativeTimeout::at_most(thirty_years, max_secs::FREEBSD_I386).clamped);
        // The boundary: exactly the cap is passed as asked, a nanosecond more is clamped.
        let cap = Duration::from_secs(max_secs::FREEBSD_I386.into());
        assert!(!RelativeTimeout::at_most(cap, max_secs::FREEBSD_I386).clamped);
        assert!(
            RelativeTimeout::at_most(cap + Duration::from_secs(1), max_secs::FREEBSD_I386).clamped
        );
        if cfg!(target_arch = "x86") {
            assert_eq!(max_secs::FREEBSD, max_secs::FREEBSD_I386);
        }
    }

    /// OpenBSD ends a wait at `INT_MAX` ticks with `ETIMEDOUT`: every unclamped timeout must
    /// stay below that at any plausible `HZ`, and anything longer is clamped (so never
    /// reported as `Timeout`).
    #[test]
    fn openbsd_stays_below_the_tick_cap() {
        for hz in [100u64, 128, 1000, 1024] {
            let ticks = u64::from(max_secs::OPENBSD + 1) * hz;
            assert!(ticks < i32::MAX as u64, "HZ={hz}: {ticks} ticks reach INT_MAX");
        }
        let day = 24 * 3600;
        for secs in [249 * day, 300 * day, i32::MAX as u64, u64::MAX] {
            let t = RelativeTimeout::at_most(Duration::from_secs(secs), max_secs::OPENBSD);
            assert!(t.clamped && t.secs as u32 == max_secs::OPENBSD, "{secs} s: {t:?}");
        }
        let t = RelativeTimeout::at_most(Duration::from_secs(20 * day), max_secs::OPENBSD);
        assert!(!t.clamped);
    }
}
