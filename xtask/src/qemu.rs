//! `cargo xtask qemu`: the bare-metal test program (tests/qemu-cortex-m) on QEMU's Cortex-M3
//! (lm3s6965evb) and Cortex-M0 (microbit) boards.
//!
//! QEMU's system emulator comes from Debian's package, unpacked under target/qemu with every
//! library it needs that this machine lacks, all found from the package metadata
//! ([`debian::unpack_closure`]); not installed, since installing qemu-system-arm would replace
//! this machine's newer qemu-utils. Before it runs, `ldd` must find each library it links.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{debian, run, rustup, Result};

/// The firmware crate, outside the workspace.
const FIRMWARE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/qemu-cortex-m");
/// The Debian package of the emulator.
const PACKAGE: &str = "qemu-system-arm";

/// (target, QEMU machine arguments)
const BOARDS: [(&str, &[&str]); 2] = [
    ("thumbv7m-none-eabi", &["-cpu", "cortex-m3", "-machine", "lm3s6965evb"]),
    ("thumbv6m-none-eabi", &["-machine", "microbit"]),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/qemu")
}

pub(crate) fn emulator() -> PathBuf {
    root().join("usr/bin/qemu-system-arm")
}

/// Where the unpacked libraries are, searched before the machine's own.
pub(crate) fn library_dirs() -> Vec<String> {
    ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"]
        .iter()
        .map(|dir| root().join(dir).display().to_string())
        .collect()
}

/// Fails naming every library the unpacked emulator links that `ldd` cannot find.
fn check_libraries() -> Result {
    let emulator = emulator().display().to_string();
    let missing = debian::missing_libraries(&emulator, &library_dirs())?;
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{emulator} cannot load {}: neither this machine nor the packages unpacked under {} \
         have them (delete that folder and run `cargo xtask qemu` again to unpack anew)",
        missing.join(", "),
        root().display()
    ))
}

pub(crate) fn setup() -> Result {
    rustup(&["target", "add", "thumbv7m-none-eabi", "thumbv6m-none-eabi"])?;
    if !emulator().exists() {
        debian::unpack_closure(PACKAGE, &root())?;
    }
    check_libraries()
}

pub(crate) fn check() -> Result {
    check_libraries()?;
    // The firmware's own target directory, named explicitly so that the path run below is
    // where cargo put it whatever `CARGO_TARGET_DIR` says.
    let target_dir = crate::target_root().join("qemu-cortex-m");
    for (target, machine) in BOARDS {
        run(Command::new("cargo")
            .args(["build", "--release", "--target", target, "--target-dir"])
            .arg(&target_dir)
            .current_dir(FIRMWARE)
            .env_remove("RUSTFLAGS"))?;
        let firmware = target_dir.join(target).join("release/qemu-cortex-m");
        // A hang (a lost wakeup) is a failure too: `timeout` ends it with status 124.
        run(Command::new("timeout")
            .arg("60")
            .arg(emulator())
            .args(machine)
            .args(["-nographic", "-semihosting-config", "enable=on,target=native", "-kernel"])
            .arg(&firmware)
            .env("LD_LIBRARY_PATH", library_dirs().join(":")))?;
    }
    Ok(())
}
