//! The behavioural suite on the Windows `WaitOnAddress` backend (run under Wine on Linux).
#![cfg(all(feature = "windows", windows))]

mod common;

// Windows wakes one or all: `wake(_, 2)` releases every waiter.
backend_tests!(portable_futex::backend::Windows, threads, OneOrAll);
