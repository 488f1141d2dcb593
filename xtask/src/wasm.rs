//! `cargo xtask wasm`: the `Wasm` backend (`memory.atomic.wait32` / `memory.atomic.notify`).
//!
//! - Lints the crate for wasm32 without threads (stable; `SingleThreaded` is the default there)
//!   and with the `atomics` target feature (nightly and `-Zbuild-std`; `Wasm` is the default),
//!   both without std and with it.
//! - Builds `fixtures/wasm-threads`, a no_std module on one shared memory, and runs it under
//!   Node.js with worker threads: a wait woken by another thread, a timed wait that times out
//!   (no sooner than asked), one that is woken early, a wake of all of four waiters, a clamped
//!   `Duration::MAX` wait that never reports `Timeout`, and wakes on addresses that would trap.

use std::path::PathBuf;
use std::process::Command;

use crate::NIGHTLY;

const TARGET: &str = "wasm32-unknown-unknown";
/// What a threaded wasm32 build needs: the atomic instructions and a shared memory (`atomics`),
/// passive data segments so that each instance does not re-initialize memory (`bulk-memory`),
/// and an exported, per-instance `__stack_pointer` (`mutable-globals`).
const THREADS_RUSTFLAGS: &str = "-C target-feature=+atomics,+bulk-memory,+mutable-globals";
/// A bound on the whole run; each scenario in `run.mjs` also has its own 10 s deadline.
const RUN_TIMEOUT_SECS: &str = "120";

/// The wasm32 target on stable and on the pinned nightly (with `rust-src`, for
/// `-Zbuild-std`), and Node.js, which runs the threads.
pub(crate) fn setup() -> crate::Result {
    crate::rustup(&["target", "add", TARGET])?;
    crate::rustup(&[
        "toolchain",
        "install",
        NIGHTLY,
        "--profile",
        "minimal",
        "-c",
        "rust-src,clippy",
        "--target",
        TARGET,
    ])?;
    node()
}

/// Node.js, which runs the wasm fixtures here and in `targets.rs`: Debian's package unless a
/// `node` is already there (Debian 12 ships Node.js 18, which has wasm threads and
/// worker_threads), and then it must run.
pub(crate) fn node() -> crate::Result {
    crate::debian::install(&[crate::debian::Need { program: "node", package: "nodejs" }])?;
    let output = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("node --version: {e}"))?;
    if !output.status.success() {
        return Err(format!("node --version: {}", String::from_utf8_lossy(&output.stderr)));
    }
    println!("node {}", String::from_utf8_lossy(&output.stdout).trim());
    Ok(())
}

pub(crate) fn check() -> crate::Result {
    // Without the `atomics` target feature: no threads, `SingleThreaded` by default.
    crate::cargo(&["clippy", "--lib", "--target", TARGET, "--", "-D", "warnings"])?;

    // With it, in a target directory of its own: other RUSTFLAGS would rebuild it each time.
    let target_dir = crate::target_root().join("wasm-threads");
    let nightly = format!("+{NIGHTLY}");
    for (build_std, features) in [("core", "wasm"), ("std,panic_abort", "std,wasm")] {
        crate::run(
            Command::new("cargo")
                .args([&nightly, "clippy", &format!("-Zbuild-std={build_std}")])
                .args(["--lib", "--target", TARGET])
                .args(["--no-default-features", "--features", features])
                .arg("--target-dir")
                .arg(&target_dir)
                .args(["--", "-D", "warnings"])
                .env("RUSTFLAGS", THREADS_RUSTFLAGS),
        )?;
    }

    // The fixture takes its flags from its own `.cargo/config.toml`, so it is built from its
    // directory, and RUSTFLAGS from the environment must not replace them.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/wasm-threads");
    let fixture_target = crate::target_root().join("fixtures");
    crate::run(
        Command::new("cargo")
            .current_dir(&fixture)
            .args([&nightly, "build", "--release", "--target-dir"])
            .arg(&fixture_target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    )?;
    let module = fixture_target.join(TARGET).join("release/wasm_threads.wasm");
    // `--no-liftoff`: Node 20's baseline compiler has been seen to hang in wait32 loops.
    crate::run(
        Command::new("timeout")
            .args([RUN_TIMEOUT_SECS, "node", "--no-liftoff"])
            .arg(fixture.join("run.mjs"))
            .arg(module),
    )
}
