//! `cargo xtask origin`: portable-futex inside a program with no C library
//! (tests/origin-no-libc): origin starts the process and its threads, the crate's `linux-raw`
//! path makes the futex calls. The program is built, run, and checked to link no libc at all.
//!
//! Nothing to install: it builds with the machine's stable Rust for the host, and `readelf`
//! comes with binutils, which a Rust toolchain on Linux needs anyway.

use std::path::Path;
use std::process::Command;

use crate::{run, Result};

/// The fixture crate, outside the workspace.
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/origin-no-libc");

pub(crate) fn check() -> Result {
    // The fixture's own `.cargo/config.toml` sets its flags (fully static); RUSTFLAGS from the
    // environment would replace them. Its target directory is named so that the binary run
    // below is where cargo put it, whatever `CARGO_TARGET_DIR` says.
    let target_dir = crate::target_root().join("origin-no-libc");
    run(Command::new("cargo")
        .args(["build", "--release", "--locked", "--target-dir"])
        .arg(&target_dir)
        .current_dir(FIXTURE)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS"))?;
    let binary = target_dir.join("release/origin-no-libc");
    links_no_libc(&binary)?;
    // A lost wakeup would hang: `timeout` turns that into a failure (status 124).
    run(Command::new("timeout").arg("120").arg(&binary))
}

/// The binary has no program interpreter (no dynamic loader) and needs no shared library.
fn links_no_libc(binary: &Path) -> Result {
    let readelf = |flag: &str| -> std::result::Result<String, String> {
        let output = Command::new("readelf")
            .args([flag, "--wide"])
            .arg(binary)
            .output()
            .map_err(|e| format!("readelf: {e}"))?;
        if !output.status.success() {
            return Err(format!("readelf {flag} {}: {}", binary.display(), output.status));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let headers = readelf("--program-headers")?;
    let dynamic = readelf("--dynamic")?;
    if headers.contains("INTERP") {
        return Err(format!("{} asks for a dynamic loader:\n{headers}", binary.display()));
    }
    let needed: Vec<&str> = dynamic.lines().filter(|line| line.contains("(NEEDED)")).collect();
    if !needed.is_empty() {
        return Err(format!("{} needs shared libraries: {needed:#?}", binary.display()));
    }
    println!("  {}: fully static, no loader, no shared library", binary.display());
    Ok(())
}
