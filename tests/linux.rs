//! The behavioural suite on the Linux `futex(2)` backend.
#![cfg(all(
    any(feature = "linux", feature = "linux-raw"),
    any(target_os = "linux", target_os = "android")
))]

mod common;

backend_tests!(portable_futex::backend::Linux, threads);
