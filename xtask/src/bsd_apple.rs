//! `cargo xtask bsd-apple`: the Apple, FreeBSD, OpenBSD and DragonFly backends, as far as a
//! Linux machine can take them: compiled and linted for the real targets (no SDK or sysroot
//! here, so nothing links), and run under Miri where Miri emulates the OS calls (FreeBSD's
//! `_umtx_op`, Apple's `os_sync_*` and `dlsym`). Their pure timeout conversions run with the
//! host's `cargo test --lib`.

use crate::{cargo, clippy, rustup, NIGHTLY};

/// Apple targets: both architectures, `os_sync_*` looked up with `dlsym`.
const APPLE: [&str; 2] = ["x86_64-apple-darwin", "aarch64-apple-darwin"];
/// The Apple target Miri runs on (Miri emulates `os_sync_*` there).
const APPLE_MIRI: &str = "aarch64-apple-darwin";
const FREEBSD: &str = "x86_64-unknown-freebsd";
/// Tier-3 targets without a prebuilt standard library: checked with `-Zbuild-std=core`, so
/// only without std (`--no-default-features` plus the backend's feature).
const TIER3: [(&str, &str); 2] =
    [("openbsd", "x86_64-unknown-openbsd"), ("dragonfly", "x86_64-unknown-dragonfly")];

/// The stable targets, and clippy on the pinned nightly (`setup_nightly` installs that nightly
/// with only miri and rust-src, which is all Miri and `-Zbuild-std` need besides clippy).
pub(crate) fn setup() -> crate::Result {
    rustup(&[&["target", "add", FREEBSD][..], &APPLE].concat())?;
    rustup(&["component", "add", "clippy", "--toolchain", NIGHTLY])
}

pub(crate) fn check() -> crate::Result {
    let nightly = format!("+{NIGHTLY}");

    // Apple: the default features (os_sync, then the queue), the private-ulock feature, and
    // the no_std fallback (polling), on both architectures where it matters.
    for target in APPLE {
        clippy(&["--lib", "--tests", "--target", target])?;
    }
    clippy(&["--lib", "--target", "aarch64-apple-darwin", "--features", "darwin-ulock"])?;
    clippy(&[
        "--lib",
        "--target",
        "x86_64-apple-darwin",
        "--no-default-features",
        "--features",
        "darwin",
    ])?;
    clippy(&[
        "--lib",
        "--target",
        "x86_64-apple-darwin",
        "--no-default-features",
        "--features",
        "darwin-ulock",
    ])?;
    clippy(&["--lib", "--tests", "--target", FREEBSD])?;
    clippy(&["--lib", "--target", FREEBSD, "--no-default-features", "--features", "freebsd"])?;

    for (feature, target) in TIER3 {
        cargo(&[
            &nightly,
            "clippy",
            "-Zbuild-std=core",
            "--lib",
            "--no-default-features",
            "--features",
            feature,
            "--target",
            target,
            "--",
            "-D",
            "warnings",
        ])?;
    }

    // Docs as an Apple user sees them.
    crate::run(
        std::process::Command::new("cargo")
            .args(["doc", "--no-deps", "--target", "x86_64-apple-darwin"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;

    // Miri: the behavioural suite, the front end, freed-word wakes and no allocation.
    cargo(&[
        &nightly,
        "miri",
        "test",
        "--target",
        FREEBSD,
        "--test",
        "freebsd",
        "--test",
        "front_end",
        "--test",
        "wake_ptr_free",
        "--test",
        "no_alloc",
    ])?;
    cargo(&[
        &nightly,
        "miri",
        "test",
        "--target",
        APPLE_MIRI,
        "--test",
        "darwin",
        "--test",
        "front_end",
    ])?;
    // Only the Darwin cases: under Miri on Apple, std's first thread-local use in a thread
    // allocates, which the queue backend's case reports (a queue/std matter, not Darwin's).
    cargo(&[
        &nightly,
        "miri",
        "test",
        "--target",
        APPLE_MIRI,
        "--test",
        "wake_ptr_free",
        "--test",
        "no_alloc",
        "--",
        "darwin",
    ])
}
