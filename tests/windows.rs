//! The behavioural suite on the Windows `WaitOnAddress` backend (run under Wine on Linux).
#![cfg(all(feature = "windows", windows))]

mod common;

backend_tests!(portable_futex::backend::Windows, threads);
