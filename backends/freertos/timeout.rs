//! The conversion of a timeout to FreeRTOS ticks: pure, tested on every host.

use core::time::Duration;

/// `duration` in ticks at `hz`, rounded up, plus the one tick a wait may lose at its start;
/// `None` where that exceeds what a tick of `bits` bits holds below `portMAX_DELAY` (a wait
/// so long is a wait without limit, and must never wrap into a short one).
pub(crate) fn ticks_for(duration: Duration, hz: u32, bits: u32) -> Option<u64> {
    let hz = u128::from(hz.max(1));
    let ticks = (duration.as_nanos() * hz).div_ceil(1_000_000_000) + 1;
    // `portMAX_DELAY` is the tick type's all-ones, and means "forever".
    let max_delay = if bits >= 64 { u128::from(u64::MAX) } else { (1u128 << bits) - 1 };
    u64::try_from(ticks).ok().filter(|&t| u128::from(t) < max_delay)
}

#[cfg(test)]
mod tests {
    use super::ticks_for;
    use core::time::Duration;

    #[test]
    fn ticks_round_up_and_add_one() {
        let ms = Duration::from_millis;
        assert_eq!(ticks_for(Duration::ZERO, 1000, 32), Some(1));
        assert_eq!(ticks_for(Duration::from_nanos(1), 1000, 32), Some(2));
        assert_eq!(ticks_for(ms(1), 1000, 32), Some(2));
        assert_eq!(ticks_for(ms(10), 100, 32), Some(2));
        assert_eq!(ticks_for(ms(11), 100, 32), Some(3));
    }

    /// A wait too long for the tick type is a wait without limit, never one that wraps short:
    /// 2^32 + 2 ticks in a 32-bit tick would otherwise become 2.
    #[test]
    fn too_long_is_forever_not_wrapped() {
        let just_fits = Duration::from_millis((1 << 32) - 3);
        assert_eq!(ticks_for(just_fits, 1000, 32), Some((1 << 32) - 2));
        assert_eq!(ticks_for(Duration::from_millis((1 << 32) - 2), 1000, 32), None);
        assert_eq!(ticks_for(Duration::from_millis((1 << 32) + 1), 1000, 32), None);
        assert_eq!(ticks_for(Duration::from_millis(70_000), 1000, 16), None);
        assert_eq!(ticks_for(Duration::MAX, 1000, 64), None);
        assert_eq!(ticks_for(Duration::MAX, u32::MAX, 64), None);
        assert_eq!(ticks_for(Duration::from_secs(1 << 40), 1000, 64), Some((1 << 40) * 1000 + 1));
        assert_eq!(ticks_for(Duration::from_secs(1), 0, 32), Some(2));
    }
}
