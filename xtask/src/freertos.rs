//! `cargo xtask freertos`: the FreeRTOS fixture (tests/freertos) on QEMU's mps2-an385
//! (Cortex-M3, the kernel's ARM_CM3 port) and on the host (its POSIX port).
//!
//! Each run prints `N passed, M failed` and the benchmark table, and exits non-zero on a
//! failure; a hang (a lost wakeup) is ended by `timeout` and fails too. The kernel comes from
//! the `freertos-next` crate; Debian's `gcc-arm-none-eabi` compiles it for the board, with
//! newlib's C headers; the emulator is the one `cargo xtask qemu` unpacks.

use std::process::Command;

use crate::debian::{self, Need};
use crate::{qemu, run, Result};

/// The fixture crate, outside the workspace.
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/freertos");
const BOARD: &str = "thumbv7m-none-eabi";

/// The cross compiler, and the C headers the kernel includes (`string.h`...).
const NEEDS: [Need; 2] = [
    Need { program: "arm-none-eabi-gcc", package: "gcc-arm-none-eabi" },
    Need { program: "/usr/include/newlib/string.h", package: "libnewlib-arm-none-eabi" },
];

pub(crate) fn setup() -> Result {
    debian::install_without_recommends(&NEEDS)?;
    qemu::setup()
}

fn build(target: &str) -> Result {
    run(Command::new("cargo")
        .args(["build", "--release", "--target", target, "--target-dir"])
        .arg(crate::target_root().join("freertos"))
        .current_dir(FIXTURE)
        .env_remove("RUSTFLAGS"))
}

fn host() -> String {
    let output = Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

pub(crate) fn check() -> Result {
    let target_dir = crate::target_root().join("freertos");

    // The POSIX port, as a process on the host.
    let host = host();
    build(&host)?;
    run(Command::new("timeout")
        .arg("120")
        .arg(target_dir.join(&host).join("release/freertos-fixture")))?;

    // The ARM_CM3 port on the board. `-icount shift=0`: one instruction per nanosecond of
    // virtual time, so that the benchmark counts instructions, whatever the machine's load.
    build(BOARD)?;
    run(Command::new("timeout")
        .arg("120")
        .arg(qemu::emulator())
        .args(["-machine", "mps2-an385", "-nographic", "-icount", "shift=0"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(target_dir.join(BOARD).join("release/freertos-fixture"))
        .env("LD_LIBRARY_PATH", qemu::library_dirs().join(":")))
}
