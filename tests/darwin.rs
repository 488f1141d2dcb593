//! The behavioural suite on the Apple backend (`os_sync_*`, or its fallback on older systems).
#![cfg(all(feature = "darwin", target_vendor = "apple"))]

mod common;

backend_tests!(portable_futex::backend::Darwin, threads);
