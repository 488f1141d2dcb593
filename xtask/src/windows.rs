//! `cargo xtask windows`: the Windows backend, linted for both Windows ABIs, run for real under
//! Wine (x86_64-pc-windows-gnu, linked by MinGW), and under Miri (x86_64-pc-windows-msvc).
//!
//! Everything lives under `target/`: the Wine prefix, the stub DLL and the build directory, so
//! that nothing outside the repository changes except the apt packages and rustup targets.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::debian::{self, Need};
use crate::{cargo, run, rustup, Result, NIGHTLY};

/// The Windows target that links here (MinGW) and runs here (Wine).
const GNU: &str = "x86_64-pc-windows-gnu";
/// The MSVC target: linted, and run under Miri (it cannot be linked on Linux).
const MSVC: &str = "x86_64-pc-windows-msvc";
/// The MinGW C compiler, also the linker of `GNU`.
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
/// What the setup and the checks run, and the Debian 12 package of each: the MinGW compiler
/// and 64-bit Wine (wine 8; `wine` holds the commands, `wine64` the 64-bit loader).
const NEEDS: [Need; 5] = [
    Need { program: MINGW_GCC, package: "gcc-mingw-w64-x86-64" },
    Need { program: "wine", package: "wine" },
    Need { program: "wineboot", package: "wine" },
    Need { program: "wineserver", package: "wine" },
    Need { program: "/usr/lib/wine/wine64", package: "wine64" },
];

/// The workspace root (xtask's parent).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").into()
}

/// Where the Windows builds, the stub DLL and the Wine prefix go.
fn work_dir() -> PathBuf {
    root().join("target").join("windows")
}

fn wine_prefix() -> PathBuf {
    work_dir().join("wine")
}

/// Installs MinGW and Wine (only if missing), the two Rust targets, the stub
/// `bcryptprimitives.dll`, and a Wine prefix under `target/windows/wine`.
pub(crate) fn setup() -> Result {
    debian::install(&NEEDS)?;
    rustup(&["target", "add", GNU, MSVC])?;
    crate::setup_nightly()?;

    // Wine 8 has no bcryptprimitives.dll, whose ProcessPrng every Rust program imports (std
    // seeds HashMap keys with it): without a stand-in, no test binary even starts.
    let dll = work_dir().join("bcryptprimitives.dll");
    std::fs::create_dir_all(work_dir()).map_err(|e| format!("{}: {e}", work_dir().display()))?;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bcryptprimitives.c");
    run(Command::new(MINGW_GCC)
        .args(["-shared", "-O2", "-o"])
        .arg(&dll)
        .arg(&source)
        .arg("-ladvapi32"))?;

    let prefix = wine_prefix();
    if !prefix.join("system.reg").exists() {
        // Creates the prefix; `wineserver -w` waits until its background work is done.
        run(wine_env(&mut Command::new("wineboot")).arg("-i"))?;
        run(wine_env(&mut Command::new("wineserver")).arg("-w"))?;
    }
    let system32 = prefix.join("drive_c/windows/system32");
    std::fs::copy(&dll, system32.join("bcryptprimitives.dll"))
        .map_err(|e| format!("copying the stub DLL into {}: {e}", system32.display()))?;
    Ok(())
}

/// The environment every Wine process of ours runs in: our prefix, no debug chatter, and no
/// prompt to install Mono or Gecko.
fn wine_env(command: &mut Command) -> &mut Command {
    command
        .env("WINEPREFIX", wine_prefix())
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
}

/// `cargo <args>` with the Windows build directory and, for `GNU`, MinGW as the linker and
/// Wine as the runner.
fn windows_cargo(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command
        .args(args)
        .env("CARGO_TARGET_DIR", work_dir().join("build"))
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER", MINGW_GCC)
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", "wine");
    wine_env(&mut command);
    command
}

/// Clippy for both ABIs (with std and without), the docs, the whole test suite under Wine
/// (debug and the Windows backend's tests again in release), and the Windows tests under Miri.
pub(crate) fn check() -> Result {
    for target in [GNU, MSVC] {
        let lint = ["clippy", "--lib", "--tests", "--target", target];
        run(&mut windows_cargo(&[&lint[..], &["--", "-D", "warnings"]].concat()))?;
        let no_std = ["--no-default-features", "--features", "windows"];
        run(&mut windows_cargo(&[&lint[..], &no_std, &["--", "-D", "warnings"]].concat()))?;
    }
    run(windows_cargo(&["doc", "--no-deps", "--target", GNU]).env("RUSTDOCFLAGS", "-D warnings"))?;

    // Every test binary (unit, integration, doc) runs under Wine, the Windows backend included.
    run(&mut windows_cargo(&["test", "--target", GNU]))?;
    let windows_tests = ["--test", "windows", "--test", "wake_ptr_free", "--test", "no_alloc"];
    run(&mut windows_cargo(
        &[&["test", "--release", "--target", GNU][..], &windows_tests].concat(),
    ))?;

    // Miri has `WaitOnAddress` and the wakes for Windows targets (the backend calls them
    // directly under `cfg(miri)`). `no_alloc` is left out: its counting allocator wrapped
    // around std's Windows `System` allocator trips Stacked Borrows inside std (libtest's
    // channel drop), after its tests pass.
    let nightly = format!("+{NIGHTLY}");
    cargo(&[&nightly, "miri", "setup", "--target", MSVC])?;
    let miri_tests =
        ["--lib", "--test", "windows", "--test", "front_end", "--test", "wake_ptr_free"];
    run(&mut windows_cargo(
        &[&[nightly.as_str(), "miri", "test", "--target", MSVC][..], &miri_tests].concat(),
    ))
}

/// The benchmark again, as a Windows program under Wine: a separate, labelled run. Wine maps
/// `WaitOnAddress` onto Linux futexes, so its ratios say how our Windows backend compares with
/// the raw call it wraps, not how fast Windows is.
pub(crate) fn bench() -> Result {
    setup()?;
    println!("\n=== the same benchmark as a Windows program, under Wine ===");
    run(&mut windows_cargo(&["bench", "--bench", "futex", "--target", GNU]))
}
