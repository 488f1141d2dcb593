//! `cargo xtask targets`: the targets whose futex calls differ from the common ones.
//!
//! - 32-bit Android (armv7, i686): the Linux backend with the old `futex` call only; linted.
//! - mips32r6 and riscv32 Linux: their own system call numbers (`futex_time64` is 4422 on MIPS
//!   o32, and riscv32 has no other futex), checked at compile time by the crate; linted with
//!   nightly `-Zbuild-std=core`, as no prebuilt std exists for them.
//! - Emscripten: without threads (`SingleThreaded`, stable) and with them
//!   (`emscripten_futex_wait`, nightly `-Zbuild-std=core` with the `atomics` target feature);
//!   linted, not linked (that needs emcc).
//! - `wasm32-unknown-unknown` with std, where std can neither sleep nor read a clock: the
//!   `fixtures/wasm-single` module runs every kind of wait under Node.js, and no call may trap.

use std::path::PathBuf;
use std::process::Command;

use crate::{clippy, NIGHTLY};

/// Linted on stable, with the default features (std is prebuilt for them).
const ANDROID_32: [&str; 2] = ["armv7-linux-androideabi", "i686-linux-android"];
/// Tier 3: linted with `-Zbuild-std=core` and the `linux` feature alone. Release, because the
/// pinned nightly's LLVM crashes compiling `core` for mips32r6 without optimisation.
const BUILD_STD_LINUX: [&str; 2] =
    ["mipsisa32r6el-unknown-linux-gnu", "riscv32gc-unknown-linux-gnu"];
const EMSCRIPTEN: &str = "wasm32-unknown-emscripten";
const WASM: &str = "wasm32-unknown-unknown";
/// What a threaded wasm build needs (as in `wasm.rs`).
const THREADS_RUSTFLAGS: &str = "-C target-feature=+atomics,+bulk-memory,+mutable-globals";
/// A bound on the node run.
const RUN_TIMEOUT_SECS: &str = "60";

/// The stable targets, the pinned nightly with `rust-src` and clippy, and Node.js.
pub(crate) fn setup() -> crate::Result {
    crate::rustup(&[&["target", "add", EMSCRIPTEN, WASM][..], &ANDROID_32].concat())?;
    crate::rustup(&[
        "toolchain",
        "install",
        NIGHTLY,
        "--profile",
        "minimal",
        "-c",
        "rust-src,clippy",
    ])?;
    crate::wasm::node()
}

pub(crate) fn check() -> crate::Result {
    let nightly = format!("+{NIGHTLY}");
    for target in ANDROID_32 {
        clippy(&["--lib", "--target", target])?;
    }
    for target in BUILD_STD_LINUX {
        crate::cargo(&[
            &nightly,
            "clippy",
            "--release",
            "-Zbuild-std=core",
            "--lib",
            "--no-default-features",
            "--features",
            "linux",
            "--target",
            target,
            "--",
            "-D",
            "warnings",
        ])?;
    }

    clippy(&["--lib", "--target", EMSCRIPTEN])?;
    crate::run(
        Command::new("cargo")
            .args([&nightly, "clippy", "-Zbuild-std=core", "--lib", "--target", EMSCRIPTEN])
            .args(["--no-default-features", "--features", "wasm", "--target-dir"])
            .arg(crate::target_root().join("emscripten-threads"))
            .args(["--", "-D", "warnings"])
            .env("RUSTFLAGS", THREADS_RUSTFLAGS)
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    )?;

    // wasm32-unknown-unknown with std, run: built from the fixture's directory (its own
    // workspace), into a directory we name, so that the module is where we look for it.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/wasm-single");
    let fixture_target = crate::target_root().join("fixtures");
    crate::run(
        Command::new("cargo")
            .current_dir(&fixture)
            .args(["build", "--release", "--target", WASM, "--target-dir"])
            .arg(&fixture_target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    )?;
    let module = fixture_target.join(WASM).join("release/wasm_single.wasm");
    crate::run(
        Command::new("timeout")
            .args([RUN_TIMEOUT_SECS, "node"])
            .arg(fixture.join("run.mjs"))
            .arg(module),
    )
}
