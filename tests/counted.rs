//! The behavioural suite on `Counted<B>`: the OS backend behind a count of its waiters.
#![cfg(all(feature = "linux", target_os = "linux"))]

mod common;

use portable_futex::backend::{Counted, Linux};

backend_tests!(Counted<Linux>, threads);
