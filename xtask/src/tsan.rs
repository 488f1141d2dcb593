//! `cargo xtask tsan`: the suites of `Linux`, `Counted<Linux>` and `Queue`, and the locks'
//! suite (`tests/sync.rs`: every lock on each of those backends) under ThreadSanitizer, which needs the pinned nightly and the standard library rebuilt with the
//! sanitizer (`-Zbuild-std`), so it has a target directory of its own.
//!
//! ThreadSanitizer reports a race on stderr and makes the process exit with status 66 even
//! when libtest printed `ok`: the exit status is the verdict.

use std::path::PathBuf;
use std::process::Command;

use crate::NIGHTLY;

/// The host: ThreadSanitizer runs here, on x86_64 Linux (`--target` is required by
/// `-Zbuild-std`).
const TARGET: &str = "x86_64-unknown-linux-gnu";
/// The suites it runs: the OS backend, its counted form, the user-space queue, and the locks
/// on all three (where a missing Acquire or Release in a lock shows as a race on the data it
/// guards).
const TESTS: [&str; 4] = ["linux", "counted", "queue", "sync"];

/// The pinned nightly with `rust-src`, for `-Zbuild-std`.
pub(crate) fn setup() -> crate::Result {
    crate::rustup(&["toolchain", "install", NIGHTLY, "--profile", "minimal", "-c", "rust-src"])
}

pub(crate) fn check() -> crate::Result {
    let nightly = format!("+{NIGHTLY}");
    let mut command = Command::new("cargo");
    command
        .args([&nightly, "test", "-Zbuild-std", "--target", TARGET, "--target-dir"])
        .arg(target_dir());
    for test in TESTS {
        command.args(["--test", test]);
    }
    crate::run(
        command
            .env("RUSTFLAGS", "-Zsanitizer=thread")
            .env("RUSTDOCFLAGS", "-Zsanitizer=thread")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    )
}

/// `tsan` under the target root (`CARGO_TARGET_DIR`, else the workspace's `target`).
fn target_dir() -> PathBuf {
    crate::target_root().join("tsan")
}
