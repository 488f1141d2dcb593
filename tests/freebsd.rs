//! The behavioural suite on the FreeBSD `_umtx_op` backend.
#![cfg(all(feature = "freebsd", target_os = "freebsd"))]

mod common;

backend_tests!(portable_futex::backend::FreeBsd, threads);
