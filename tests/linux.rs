//! The behavioural suite on the Linux `futex(2)` backend.
#![cfg(all(feature = "linux", any(target_os = "linux", target_os = "android")))]

mod common;

backend_tests!(portable_futex::backend::Linux, threads);
