//! Which slot of a table an address belongs to: the one hash that the queue's buckets and
//! `Counted`'s counters share.

/// The index in `0..len` for `address`, by Fibonacci hashing: multiplying by 2^w/φ spreads
/// addresses that differ only in a few middle bits (neighbouring words) over the whole word;
/// the top 32 bits of the product are then scaled to `len`, which needs no power of two.
/// `len` 0 gives 0.
#[inline]
pub(crate) fn index(address: usize, len: usize) -> usize {
    #[cfg(target_pointer_width = "64")]
    const PHI: usize = 0x9E37_79B9_7F4A_7C15;
    #[cfg(not(target_pointer_width = "64"))]
    const PHI: usize = 0x9E37_79B9;
    let top = (address.wrapping_mul(PHI) >> (usize::BITS - 32)) as u64;
    ((top * len as u64) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::index;

    #[test]
    fn neighbouring_words_spread_and_every_index_is_in_range() {
        // 64 consecutive words of one array: most land in distinct slots of 64.
        let mut used = [false; 64];
        for i in 0..64 {
            used[index(0x7000_1000 + 4 * i, 64)] = true;
        }
        let distinct = used.iter().filter(|&&u| u).count();
        assert!(distinct >= 32, "only {distinct} of 64 slots used");
        for len in [1, 3, 64, 1000] {
            for address in [0, 1, usize::MAX, usize::MAX / 3, 0x7fff_fff0] {
                assert!(index(address, len) < len);
            }
        }
        assert_eq!(index(12345, 0), 0);
    }
}
