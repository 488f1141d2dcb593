//! `cargo xtask qemu`: the bare-metal test program (tests/qemu-cortex-m) on QEMU's Cortex-M3
//! (lm3s6965evb) and Cortex-M0 (microbit) boards.
//!
//! QEMU's system emulator comes from Debian's package, unpacked into target/ rather than
//! installed: installing qemu-system-arm would remove this machine's newer qemu-utils.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{run, rustup, Result};

/// The firmware crate, outside the workspace.
const FIRMWARE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/qemu-cortex-m");
/// The emulator and the shared libraries it needs beyond this machine's.
const PACKAGES: [&str; 11] = [
    "qemu-system-arm",
    "libfdt1",
    "libpmem1",
    "librdmacm1",
    "libibverbs1",
    "libslirp0",
    "libvdeplug2",
    "libndctl6",
    "libdaxctl1",
    "libnl-3-200",
    "libnl-route-3-200",
];

/// (target, QEMU machine arguments)
const BOARDS: [(&str, &[&str]); 2] = [
    ("thumbv7m-none-eabi", &["-cpu", "cortex-m3", "-machine", "lm3s6965evb"]),
    ("thumbv6m-none-eabi", &["-machine", "microbit"]),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/qemu")
}

pub(crate) fn setup() -> Result {
    rustup(&["target", "add", "thumbv7m-none-eabi", "thumbv6m-none-eabi"])?;
    let root = root();
    if root.join("usr/bin/qemu-system-arm").exists() {
        return Ok(());
    }
    let debs = root.join("debs");
    std::fs::create_dir_all(&debs).map_err(|e| format!("{}: {e}", debs.display()))?;
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get").arg("download").args(PACKAGES).current_dir(&debs))?;
    for deb in std::fs::read_dir(&debs).map_err(|e| e.to_string())? {
        let deb = deb.map_err(|e| e.to_string())?.path();
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root))?;
    }
    Ok(())
}

pub(crate) fn check() -> Result {
    let root = root();
    let libraries: Vec<String> = ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"]
        .iter()
        .map(|dir| root.join(dir).display().to_string())
        .collect();
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
            .arg(root.join("usr/bin/qemu-system-arm"))
            .args(machine)
            .args(["-nographic", "-semihosting-config", "enable=on,target=native", "-kernel"])
            .arg(&firmware)
            .env("LD_LIBRARY_PATH", libraries.join(":")))?;
    }
    Ok(())
}
