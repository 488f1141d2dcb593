//! The one error of the crate.

use core::fmt;

/// The time given to a timed wait passed while the word still held the expected value.
///
/// A plain unit struct, so that custom backends construct it with `Timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("futex wait timed out")
    }
}

impl core::error::Error for Timeout {}
