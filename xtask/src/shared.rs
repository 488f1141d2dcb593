//! `cargo xtask shared`: the process-shared scope (`backend::Shared`) beyond what `cargo test`
//! runs on the host (there: `tests/process_shared.rs`, two real processes on Linux, and
//! `tests/shared_scope.rs`, the behavioural suite on `Shared<Linux>`).
//!
//! - `examples/shared_memory.rs` run: a lock and a condition variable between two processes.
//! - The same suite on `Shared<FreeBsd>` and `Shared<Darwin>` under Miri, which emulates
//!   `_umtx_op`'s `UMTX_OP_WAIT_UINT`/`UMTX_OP_WAKE` and `os_sync_*` with the `SHARED` flags
//!   (within one process: Miri has no second process). Not `__ulock_*`, which Miri does not
//!   know, nor the polling used below macOS 14.4 (its logic is unit-tested on the host).
//! - The example and the suite linted for the Apple and FreeBSD targets (the library itself
//!   is linted there, and for OpenBSD and DragonFly, by `bsd-apple`).
//! - `Shared<B>` where `B` has no shared futex fails to compile, with `SharedScope`'s
//!   message: the queue, `SingleThreaded`, `Counted`, Windows, and the shared default of a
//!   target without one; and `Counted<Shared<_>>` fails to build (`fixtures/shared-scope`).

use std::process::Command;

use crate::{cargo, clippy, rustup, NIGHTLY};

const APPLE: [&str; 2] = ["x86_64-apple-darwin", "aarch64-apple-darwin"];
const APPLE_MIRI: &str = "aarch64-apple-darwin";
const FREEBSD: &str = "x86_64-unknown-freebsd";
const WINDOWS: &str = "x86_64-pc-windows-gnu";

/// The targets, and the pinned nightly with Miri.
pub(crate) fn setup() -> crate::Result {
    rustup(&[&["target", "add", FREEBSD, WINDOWS][..], &APPLE].concat())?;
    crate::setup_nightly()
}

pub(crate) fn check() -> crate::Result {
    // Two processes through a lock and a condition variable in shared memory, on the host.
    cargo(&["run", "--example", "shared_memory"])?;
    for target in APPLE.into_iter().chain([FREEBSD]) {
        clippy(&["--example", "shared_memory", "--test", "shared_scope", "--target", target])?;
    }

    let nightly = format!("+{NIGHTLY}");
    for target in [FREEBSD, APPLE_MIRI] {
        cargo(&[&nightly, "miri", "test", "--target", target, "--test", "shared_scope"])?;
    }

    let expected = "cannot wait across processes, so `Shared<";
    for (bin, target) in [
        ("queue", None),
        ("single_threaded", None),
        ("counted", None),
        ("windows", Some(WINDOWS)),
        ("no_default", Some(WINDOWS)),
    ] {
        fixture_fails("check", bin, target, expected)?;
    }
    // `Counted<Shared<_>>`: refused as the code is generated, so by a build.
    fixture_fails("build", "counted_shared", None, "would lose wakes")
}

/// `cargo <verb>` of the fixture's binary `bin` must fail with `expected` in its errors.
fn fixture_fails(verb: &str, bin: &str, target: Option<&str>, expected: &str) -> crate::Result {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/shared-scope/Cargo.toml");
    println!("+ cargo {verb} --bin {bin} of {manifest} (must fail, naming {expected:?})");
    let mut command = Command::new("cargo");
    command.args([verb, "--manifest-path", manifest, "--bin", bin]);
    command.args(["--target-dir", &crate::target_root().join("fixtures").to_string_lossy()]);
    if let Some(target) = target {
        command.args(["--target", target]);
    }
    let output = command.output().map_err(|e| format!("cargo {verb} of {bin}: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() || !stderr.contains(expected) {
        return Err(format!("the `{bin}` fixture should fail with {expected:?}:\n{stderr}"));
    }
    Ok(())
}
