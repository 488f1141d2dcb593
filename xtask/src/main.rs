//! `cargo xtask <task>`: every check beyond `cargo test`, one command each.
//!
//! - `ci`: everything CI runs (installs the toolchains, targets and components it needs).
//! - `bench`: the benchmarks, in release mode.
//! - `miri`: the test suite under Miri.
//! - `no-std`: the no_std builds and the "no default backend" message check.
//! - `loom`: the queue backend's wait/wake/timeout protocol under loom.
//! - `linux`: the Linux backend's other paths: without libc, on 32-bit (`futex_time64`), and
//!   compiled for aarch64 and riscv64.

use std::process::{Command, ExitCode};
use std::time::Instant;

/// The nightly that Miri runs on, pinned so that every machine agrees.
const NIGHTLY: &str = "nightly-2026-05-20";
/// The oldest Rust the crate builds with; keep in step with `rust-version` in Cargo.toml.
const MSRV: &str = "1.81";
/// A bare-metal target with no OS and no default backend.
const NO_STD_TARGET: &str = "thumbv7em-none-eabihf";
/// Bare-metal targets without compare-and-swap: the queue backend through `critical-section`.
const NO_CAS_TARGETS: [&str; 2] = ["thumbv6m-none-eabi", "riscv32imc-unknown-none-elf"];
/// 32-bit x86 Linux runs natively on an x86_64 kernel: the real `futex_time64` path.
const LINUX_32: &str = "i686-unknown-linux-gnu";
/// Where the `linux-raw` system call instruction is compiled (and linted) but not run here.
const RAW_CROSS: [&str; 2] = ["aarch64-unknown-linux-gnu", "riscv64gc-unknown-linux-gnu"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "bench" => bench(),
        "miri" => setup_nightly().and_then(|()| miri()),
        "no-std" => setup_no_std().and_then(|()| no_std()),
        "linux" => setup_linux().and_then(|()| linux()),
        "loom" => loom(),
        _ => {
            eprintln!("usage: cargo xtask <ci | bench | miri | no-std | linux | loom>");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result = std::result::Result<(), String>;

fn ci() -> Result {
    let start = Instant::now();
    rustup(&["component", "add", "rustfmt", "clippy"])?;
    setup_no_std()?;
    setup_linux()?;
    setup_nightly()?;
    rustup(&["toolchain", "install", MSRV, "--profile", "minimal"])?;

    cargo(&["fmt", "--all", "--", "--check"])?;
    clippy(&["--workspace", "--all-targets"])?;
    clippy(&["--lib", "--no-default-features"])?;
    cargo(&["test", "--workspace"])?;
    cargo(&["test", "--release"])?;
    // The library's unit tests without std (the doctests and integration tests use std).
    cargo(&["test", "--lib", "--no-default-features", "--features", "single-threaded"])?;
    cargo(&["run", "--example", "bare_metal_queue", "--features", "critical-section"])?;
    run(Command::new("cargo").args(["doc", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))?;
    no_std()?;
    linux()?;
    let msrv = format!("+{MSRV}");
    cargo(&[&msrv, "check", "--lib", "-p", "portable-futex"])?;
    cargo(&[&msrv, "check", "--lib", "-p", "portable-futex", "--no-default-features"])?;
    miri()?;
    loom()?;
    println!("xtask ci: all checks passed in {:.0?}", start.elapsed());
    Ok(())
}

/// `cargo clippy <args> -- -D warnings`.
fn clippy(args: &[&str]) -> Result {
    cargo(&[&["clippy"], args, &["--", "-D", "warnings"]].concat())
}

fn bench() -> Result {
    cargo(&["bench", "--bench", "futex"])
}

fn setup_nightly() -> Result {
    rustup(&["toolchain", "install", NIGHTLY, "--profile", "minimal", "-c", "miri,rust-src"])
}

fn setup_linux() -> Result {
    rustup(&[&["target", "add", LINUX_32][..], &RAW_CROSS].concat())?;
    // Linking i686 programs needs the 32-bit C runtime, which Debian ships as gcc-multilib.
    let probe = Command::new("sh")
        .args(["-c", "echo 'int main(void){return 0;}' | gcc -m32 -x c - -o /dev/null"])
        .status();
    if probe.is_ok_and(|s| s.success()) {
        return Ok(());
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get").args(["install", "-y", "-qq", "gcc-multilib"]))
}

/// The Linux backend's paths beyond the host's default one.
fn linux() -> Result {
    // Without libc: the system call instruction, run for real on the host.
    cargo(&["test", "--no-default-features", "--features", "std,linux-raw,single-threaded"])?;
    // 32-bit: `futex_time64` first, through libc, run for real.
    cargo(&["test", "--target", LINUX_32])?;
    for target in RAW_CROSS {
        let features = ["--no-default-features", "--features", "linux-raw"];
        cargo(
            &[&["clippy", "--lib", "--target", target][..], &features, &["--", "-D", "warnings"]]
                .concat(),
        )?;
    }
    Ok(())
}

fn setup_no_std() -> Result {
    rustup(&[&["target", "add", NO_STD_TARGET][..], &NO_CAS_TARGETS].concat())
}

/// Loom explores every interleaving of each scenario up to a preemption bound; in its own
/// target directory, since `--cfg loom` rebuilds everything.
fn loom() -> Result {
    run(Command::new("cargo")
        .args(["test", "--release", "--lib", "--target-dir", "target/loom", "loom"])
        .env("RUSTFLAGS", "--cfg loom")
        .env("LOOM_MAX_PREEMPTIONS", "5"))
}

/// Miri runs the whole behavioural suite: its clock is virtual, so timeouts cost no real time.
fn miri() -> Result {
    let nightly = format!("+{NIGHTLY}");
    cargo(&[&nightly, "miri", "setup"])?;
    cargo(&[&nightly, "miri", "test", "--lib", "--tests"])?;
    // The queue's intrusive lists under several schedules and weak-memory outcomes.
    run(Command::new("cargo")
        .args([&nightly, "miri", "test", "--test", "queue"])
        .env("MIRIFLAGS", "-Zmiri-many-seeds=1..4"))
}

/// The crate builds without std for a bare-metal target, with and without a backend feature,
/// and a library that uses the default backend there gets the crate's own error message.
fn no_std() -> Result {
    let bare = |args: &[&str]| {
        let mut command = Command::new("cargo");
        command.args(args).args(["--lib", "--no-default-features", "--target", NO_STD_TARGET]);
        command
    };
    run(&mut bare(&["build"]))?;
    run(&mut bare(&["build", "--features", "single-threaded"]))?;
    run(&mut bare(&["build", "--features", "queue"]))?;
    run(bare(&["clippy", "--features", "queue,critical-section"]).args(["--", "-D", "warnings"]))?;
    // The docs must hold together where the root functions and `StdClock` do not exist.
    run(bare(&["doc", "--no-deps", "--features", "queue"]).env("RUSTDOCFLAGS", "-D warnings"))?;
    for target in NO_CAS_TARGETS {
        let args = ["--lib", "--no-default-features", "--features", "queue,critical-section"];
        cargo(&[&["clippy", "--target", target][..], &args, &["--", "-D", "warnings"]].concat())?;
    }

    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/no-default-backend/Cargo.toml");
    println!("+ cargo check {manifest} (must fail, with our message)");
    let output = Command::new("cargo")
        .args(["check", "--manifest-path", manifest, "--target", NO_STD_TARGET])
        .args(["--target-dir", concat!(env!("CARGO_MANIFEST_DIR"), "/../target/fixtures")])
        .output()
        .map_err(|e| format!("cargo check of the fixture: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = "`NoDefaultBackend` is not a futex backend";
    if output.status.success() || !stderr.contains(expected) {
        return Err(format!(
            "the no-default-backend fixture should fail with {expected:?}:\n{stderr}"
        ));
    }
    Ok(())
}

fn cargo(args: &[&str]) -> Result {
    run(Command::new("cargo").args(args))
}

fn rustup(args: &[&str]) -> Result {
    run(Command::new("rustup").args(args))
}

fn run(command: &mut Command) -> Result {
    let shown = format!("{command:?}").replace('"', "");
    println!("+ {shown}");
    let start = Instant::now();
    let status = command.status().map_err(|e| format!("{shown}: {e}"))?;
    println!("  ({:.1?})", start.elapsed());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown}: {status}"))
    }
}
