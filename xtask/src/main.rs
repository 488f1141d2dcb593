//! `cargo xtask <task>`: every check beyond `cargo test`, one command each.
//!
//! - `ci`: everything CI runs (installs the toolchains, targets and components it needs).
//! - `setup`: installs what every check needs, and runs nothing.
//! - `bench`: the benchmarks, on the host, then as a Windows program under Wine.
//! - `miri`: the test suite under Miri.
//! - `no-std`: the no_std builds and the "no default backend" message check.
//! - `loom`: the queue backend's wait/wake/timeout protocol under loom.
//! - `qemu`: the bare-metal test program on QEMU's Cortex-M3 and Cortex-M0 boards.
//! - `freertos`: every primitive in FreeRTOS tasks, on QEMU's Cortex-M3 board (ARM_CM3 port)
//!   and on the host (POSIX port), with the benchmark beside FreeRTOS's mutex and semaphores.
//! - `bsd-apple`: the Darwin, FreeBSD, OpenBSD and DragonFly backends, linted for their
//!   targets, and Darwin's and FreeBSD's suites under Miri.
//! - `windows`: the Windows backend, linted for gnu and msvc, its suite run under Wine and
//!   under Miri.
//! - `wasm`: the wasm32 backend, built with and without atomics and run on node's threads.
//! - `features`: every feature alone, and with `std`, builds on the host and on bare metal.
//! - `docs`: the docs as docs.rs builds them, for each target it is asked for.
//! - `origin`: the crate inside a program with no C library (origin's runtime and threads),
//!   run, and checked to link no libc.
//! - `publish-dry-run`: `cargo publish --dry-run`: the package as crates.io would receive it,
//!   built from its own files.
//! - `targets`: 32-bit Android, mips32r6, riscv32 and Emscripten linted, and
//!   wasm32-unknown-unknown with std run on node.
//! - `tsan`: the Linux, `Counted<Linux>` and queue suites under ThreadSanitizer.
//! - `shared`: the process-shared scope: its suite under Miri for FreeBSD and Apple, its
//!   example linted for them, and `Shared<B>` refused where `B` has no shared futex.
//! - `linux`: the Linux backend's other paths, run for real: without libc, on i686 (natively),
//!   armv7, aarch64 and riscv64 (under qemu-user); and the NetBSD check (queue by default).
//! - `mutants [RUN...] [FILE...]`: cargo-mutants over the crate, one run per feature set (not
//!   in `ci`: it takes long); prints caught, missed, unviable and timed-out mutants.

mod bsd_apple;
mod debian;
mod docs;
mod freertos;
mod mutants;
mod origin;
mod qemu;
mod shared;
mod targets;
mod tsan;
mod wasm;

mod windows;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The nightly that Miri runs on, pinned so that every machine agrees.
const NIGHTLY: &str = "nightly-2026-05-20";
/// The oldest Rust the crate builds with (the futex and its backends, without `sync`); keep
/// in step with `rust-version` in Cargo.toml.
const MSRV: &str = "1.81";
/// The oldest Rust `sync` builds with: lock_api 0.5's own `rust-version`.
const SYNC_MSRV: &str = "1.95.0";
/// Every feature but `sync` and those that need it: what builds with [`MSRV`].
const FUTEX_FEATURES: &str = "std,linux,linux-raw,darwin,darwin-ulock,windows,freebsd,openbsd,\
    dragonfly,wasm,single-threaded,queue,critical-section,freertos,async";
/// A bare-metal target with no OS and no default backend.
const NO_STD_TARGET: &str = "thumbv7em-none-eabihf";
/// Bare-metal targets without compare-and-swap: the queue backend through `critical-section`.
const NO_CAS_TARGETS: [&str; 2] = ["thumbv6m-none-eabi", "riscv32imc-unknown-none-elf"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "setup" => setup(),
        "bench" => bench(),
        "miri" => setup_nightly().and_then(|()| miri()),
        "no-std" => setup_no_std().and_then(|()| no_std()),
        "linux" => setup_linux().and_then(|()| linux()),
        "loom" => loom(),
        "windows" => windows::setup().and_then(|()| windows::check()),
        "qemu" => qemu::setup().and_then(|()| qemu::check()),
        "freertos" => freertos::setup().and_then(|()| freertos::check()),
        "bsd-apple" => setup_bsd_apple().and_then(|()| bsd_apple::check()),
        "wasm" => wasm::setup().and_then(|()| wasm::check()),
        "targets" => targets::setup().and_then(|()| targets::check()),
        "shared" => shared::setup().and_then(|()| shared::check()),
        "tsan" => tsan::setup().and_then(|()| tsan::check()),
        "features" => setup_no_std().and_then(|()| features()),
        "docs" => docs::setup().and_then(|()| docs::check()),
        "origin" => origin::check(),
        "publish-dry-run" => publish_dry_run(),
        "mutants" => {
            let files: Vec<String> = std::env::args().skip(2).collect();
            mutants::setup().and_then(|()| mutants::check(&files))
        }
        _ => {
            eprintln!("usage: cargo xtask <ci | setup | bench | miri | no-std | linux | loom | qemu | freertos | wasm | targets | tsan | bsd-apple | windows | features | docs | publish-dry-run | origin | mutants [RUN...] [FILE...]>");
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

/// One part of `ci`: its name in the log, what it installs (rustup toolchains, targets and
/// components, Debian packages, emulators; each skipped when already there), and the checks
/// it runs.
struct Phase {
    name: &'static str,
    setup: fn() -> Result,
    check: fn() -> Result,
}

/// Everything `ci` runs, in order.
const PHASES: [Phase; 18] = [
    Phase { name: "lint and test on the host", setup: setup_host, check: host },
    Phase { name: "docs", setup: docs::setup, check: docs::check },
    Phase { name: "publish dry run", setup: nothing, check: publish_dry_run },
    Phase { name: "no_std", setup: setup_no_std, check: no_std },
    Phase { name: "features", setup: setup_no_std, check: features },
    Phase { name: "qemu", setup: qemu::setup, check: qemu::check },
    Phase { name: "freertos", setup: freertos::setup, check: freertos::check },
    Phase { name: "origin", setup: nothing, check: origin::check },
    Phase { name: "linux", setup: setup_linux, check: linux },
    Phase { name: "wasm", setup: wasm::setup, check: wasm::check },
    Phase { name: "bsd and apple", setup: setup_bsd_apple, check: bsd_apple::check },
    Phase { name: "windows", setup: windows::setup, check: windows::check },
    Phase { name: "targets", setup: targets::setup, check: targets::check },
    Phase { name: "shared", setup: shared::setup, check: shared::check },
    Phase { name: "tsan", setup: tsan::setup, check: tsan::check },
    Phase { name: "msrv", setup: setup_msrv, check: msrv },
    Phase { name: "miri", setup: setup_nightly, check: miri },
    Phase { name: "loom", setup: nothing, check: loom },
];

/// Installs what every phase of `ci` uses, and runs nothing.
fn setup() -> Result {
    PHASES.iter().try_for_each(|phase| (phase.setup)())
}

/// Every phase: its installs, then its checks. On CI (`CI` set), what a phase built and
/// unpacked under the target directory is deleted before the next phase starts.
fn ci() -> Result {
    let start = Instant::now();
    frugal_builds();
    for phase in &PHASES {
        println!("xtask ci: {} ({})", phase.name, disk_free());
        let phase_start = Instant::now();
        (phase.setup)()?;
        (phase.check)()?;
        prune_target_dir();
        // One line per phase, so a run's log says where CI's time budget goes.
        println!("xtask ci: {} took {:.0?}", phase.name, phase_start.elapsed());
    }
    println!("xtask ci: all checks passed in {:.0?} ({})", start.elapsed(), disk_free());
    Ok(())
}

fn nothing() -> Result {
    Ok(())
}

fn setup_host() -> Result {
    rustup(&["component", "add", "rustfmt", "clippy"])
}

fn setup_bsd_apple() -> Result {
    setup_nightly()?;
    bsd_apple::setup()
}

fn setup_msrv() -> Result {
    rustup(&["toolchain", "install", MSRV, "--profile", "minimal"])?;
    rustup(&["toolchain", "install", SYNC_MSRV, "--profile", "minimal"])
}

/// What `ci` checks first: format, lints, the suites on the host, the examples, the
/// binary-installed backend.
fn host() -> Result {
    cargo(&["fmt", "--all", "--", "--check"])?;
    clippy(&["--workspace", "--all-targets"])?;
    clippy(&["--lib", "--no-default-features"])?;
    cargo(&["test", "--workspace"])?;
    cargo(&["test", "--release"])?;
    // lock_api 0.4's traits on the raw locks, and the forwarded lock_api features.
    cargo(&["test", "--test", "sync", "--features", "lock_api_04,serde,arc_lock,owning_ref"])?;
    // The library's unit tests without std (the doctests and integration tests use std).
    cargo(&["test", "--lib", "--no-default-features", "--features", "single-threaded"])?;
    cargo(&["run", "--example", "bare_metal_queue", "--features", "critical-section"])?;
    // The queue survives a panicking `WfiEvent` clock (the rest of its suite ran above).
    cargo(&["test", "--test", "queue", "--features", "critical-section", "panicking"])?;
    cargo(&["run", "--example", "rtos_backend"])?;
    // The binary-installed default backend, alone: the feature makes every test binary of the
    // crate need an installed backend.
    cargo(&["test", "--features", "custom-backend", "--test", "installed"])?;
    set_backend_mistakes()
}

/// The crate still builds with the oldest Rust it promises for each part: the futex and
/// every backend with [`MSRV`], `sync` and the lock_api features with [`SYNC_MSRV`].
fn msrv() -> Result {
    let msrv = format!("+{MSRV}");
    let futex = ["check", "--lib", "-p", "portable-futex", "--no-default-features"];
    cargo(&[&[msrv.as_str()][..], &futex].concat())?;
    cargo(&[&[msrv.as_str()][..], &futex, &["--features", FUTEX_FEATURES]].concat())?;
    let sync_msrv = format!("+{SYNC_MSRV}");
    cargo(&[&sync_msrv, "check", "--lib", "-p", "portable-futex"])?;
    cargo(&[
        &sync_msrv,
        "check",
        "--lib",
        "-p",
        "portable-futex",
        "--features",
        "lock_api_04,serde,arc_lock,owning_ref",
    ])
}

/// CI's machine may have only a few GiB of disk to spare, and `ci` builds for some twenty
/// targets: every build it starts keeps line tables only (backtraces keep their file and line;
/// full debug info is most of a debug build's size) and no incremental cache (a clean build
/// never reuses it). Set in this process, so every cargo it starts inherits them.
fn frugal_builds() {
    for (name, value) in [
        ("CARGO_INCREMENTAL", "0"),
        ("CARGO_PROFILE_DEV_DEBUG", "line-tables-only"),
        ("CARGO_PROFILE_TEST_DEBUG", "line-tables-only"),
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// On CI (`CI` set), what one phase of `ci` built or unpacked for itself is deleted before the
/// next starts: every folder of the target directory but the host's `debug`, which most
/// phases share. Kept on a developer's machine, where the next run reuses it.
fn prune_target_dir() {
    if std::env::var_os("CI").is_none() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(target_root()) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && entry.file_name() != "debug" {
            if let Err(e) = std::fs::remove_dir_all(&path) {
                eprintln!("xtask ci: could not remove {}: {e}", path.display());
            }
        }
    }
}

/// The free space on the target directory's disk, as `df` reports it: printed before each
/// phase, so that a build that fails for want of disk says so in the log.
fn disk_free() -> String {
    let root = target_root();
    let dir = if root.exists() { root } else { PathBuf::from(".") };
    let free = Command::new("df")
        .args(["-Pk"])
        .arg(&dir)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|out| out.lines().nth(1)?.split_whitespace().nth(3)?.parse::<u64>().ok());
    match free {
        Some(kib) => {
            format!("{:.1} GiB free on the target directory's disk", kib as f64 / 1048576.0)
        }
        None => "free disk space unknown".to_string(),
    }
}

/// `cargo clippy <args> -- -D warnings`.
fn clippy(args: &[&str]) -> Result {
    cargo(&[&["clippy"], args, &["--", "-D", "warnings"]].concat())
}

/// Every feature on its own, and each with `std`, must build: on the host, and (the no_std
/// ones) on a bare-metal target. An explicit matrix: the full power set of the features is
/// thousands of builds, while their interactions all go through `std`, `queue` and the
/// target's own backend.
fn features() -> Result {
    const FEATURES: [&str; 19] = [
        "std",
        "linux",
        "linux-raw",
        "darwin",
        "darwin-ulock",
        "windows",
        "freebsd",
        "openbsd",
        "dragonfly",
        "wasm",
        "custom-backend",
        "single-threaded",
        "queue",
        "critical-section",
        "freertos",
        "sync",
        "lock_api_04",
        "serde",
        "arc_lock",
    ];
    let check = |features: &str, target: Option<&str>| {
        let mut command = Command::new("cargo");
        command.args(["check", "--lib", "--no-default-features", "--features", features]);
        if let Some(target) = target {
            command.args(["--target", target]);
        }
        run(&mut command)
    };
    check("", None)?;
    for feature in FEATURES {
        check(feature, None)?;
        check(&format!("std,{feature}"), None)?;
        if feature != "std" {
            check(feature, Some(NO_STD_TARGET))?;
        }
    }
    // lock_api's `owning_ref` needs the `owning_ref` crate, which needs std.
    check("std,owning_ref", None)?;
    check(&FEATURES.join(","), None)
}

/// `set_backend!` used wrongly fails with an error that names the mistake: no backend
/// installed (the link fails on `_portable_futex_0_1_*`), two installed (a duplicate symbol),
/// `Installed` itself installed, bare or counted (a compile error: it would call itself).
fn set_backend_mistakes() -> Result {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/set-backend/Cargo.toml");
    for (bin, expected) in [
        ("none", "_portable_futex_0_1_wake"),
        ("two", "`_portable_futex_0_1_wait` is already defined"),
        ("default", "is the backend that set_backend! defines"),
        ("counted_installed", "`Counted<backend::Installed>` would call itself forever"),
    ] {
        println!("+ cargo build --bin {bin} of {manifest} (must fail, naming {expected})");
        let output = Command::new("cargo")
            .args(["build", "--manifest-path", manifest, "--bin", bin])
            .args(["--target-dir", concat!(env!("CARGO_MANIFEST_DIR"), "/../target/fixtures")])
            .output()
            .map_err(|e| format!("cargo build of the set-backend fixture: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() || !stderr.contains(expected) {
            return Err(format!("the `{bin}` fixture should fail with {expected:?}:\n{stderr}"));
        }
    }
    Ok(())
}

/// The crate as crates.io would receive it: packaged from its `include` list and built on its
/// own. `--allow-dirty` so that a developer can run it before committing; CI's clone is clean.
fn publish_dry_run() -> Result {
    let target_dir = target_root().join("package");
    run(Command::new("cargo")
        .args(["publish", "--dry-run", "--allow-dirty", "-p", "portable-futex", "--target-dir"])
        .arg(target_dir))
}

fn bench() -> Result {
    cargo(&["bench", "--bench", "futex"])?;
    // The process-shared futex beside the private one (Linux: two processes).
    cargo(&["bench", "--bench", "process_shared"])?;
    // The locks beside std's, parking_lot's and spin's; draws the chart BENCHMARKS.md shows.
    run(Command::new("cargo")
        .args(["bench", "--bench", "sync"])
        .env("SYNC_BENCH_SVG", concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/sync.svg")))?;
    // Once/OnceLock/LazyLock after initialisation, signals with nobody waiting, Barrier and
    // Parker beside std's.
    cargo(&["bench", "--bench", "sync_signals"])?;
    // Fair unlocks, upgradable reads and recursive reads beside parking_lot's.
    cargo(&["bench", "--bench", "lock_api_ext"])?;
    // A condvar's notify beside std's and parking_lot's: time, sleeps, futex calls.
    cargo(&["bench", "--bench", "condvar"])?;
    // Our locks awaited from tasks beside tokio's and async-lock's.
    cargo(&["bench", "--bench", "async_locks"])?;
    windows::bench()
}

fn setup_nightly() -> Result {
    rustup(&["toolchain", "install", NIGHTLY, "--profile", "minimal", "-c", "miri,rust-src"])
}

/// A Linux target the suite runs on here: natively (i686 on the x86_64 kernel) or under
/// qemu-user, with a cross linker from Debian.
struct LinuxTarget {
    triple: &'static str,
    /// Cargo's environment-variable spelling of the triple.
    env: &'static str,
    gcc: &'static str,
    /// The Debian package of `gcc` (Debian's cross compilers conflict with gcc-multilib, hence
    /// i686's too).
    gcc_package: &'static str,
    /// How the test binaries run: under `qemu-<arch>` with the cross sysroot, or natively
    /// through the cross sysroot's own loader.
    runner: Runner,
    /// Also run the suite without libc (raw system calls).
    raw: bool,
}

const LINUX_TARGETS: [LinuxTarget; 4] = [
    // 32-bit: `futex_time64` through libc, run for real on this kernel.
    LinuxTarget {
        triple: "i686-unknown-linux-gnu",
        env: "I686_UNKNOWN_LINUX_GNU",
        gcc: "i686-linux-gnu-gcc",
        gcc_package: "gcc-i686-linux-gnu",
        // The i686 binaries ask for `/lib/ld-linux.so.2`, which only a multilib install puts
        // there (and Debian's gcc-multilib removes the cross compilers): run them through the
        // loader that `gcc-i686-linux-gnu` brings inside its sysroot instead.
        runner: Runner::Loader("/usr/i686-linux-gnu/lib/ld-linux.so.2", "/usr/i686-linux-gnu/lib"),
        raw: false,
    },
    // 32-bit ARM: the same path under qemu-user.
    LinuxTarget {
        triple: "armv7-unknown-linux-gnueabihf",
        env: "ARMV7_UNKNOWN_LINUX_GNUEABIHF",
        gcc: "arm-linux-gnueabihf-gcc",
        gcc_package: "gcc-arm-linux-gnueabihf",
        runner: Runner::Qemu("qemu-arm", "/usr/arm-linux-gnueabihf"),
        raw: false,
    },
    // 64-bit ARM and RISC-V: through libc, and the raw `svc`/`ecall` paths.
    LinuxTarget {
        triple: "aarch64-unknown-linux-gnu",
        env: "AARCH64_UNKNOWN_LINUX_GNU",
        gcc: "aarch64-linux-gnu-gcc",
        gcc_package: "gcc-aarch64-linux-gnu",
        runner: Runner::Qemu("qemu-aarch64", "/usr/aarch64-linux-gnu"),
        raw: true,
    },
    LinuxTarget {
        triple: "riscv64gc-unknown-linux-gnu",
        env: "RISCV64GC_UNKNOWN_LINUX_GNU",
        gcc: "riscv64-linux-gnu-gcc",
        gcc_package: "gcc-riscv64-linux-gnu",
        runner: Runner::Qemu("qemu-riscv64", "/usr/riscv64-linux-gnu"),
        raw: true,
    },
];

/// How a cross-built Linux test binary runs on this x86_64 machine.
#[derive(Clone, Copy)]
enum Runner {
    /// `qemu-<arch> -L <sysroot>`.
    Qemu(&'static str, &'static str),
    /// Natively, through this dynamic loader and library path.
    Loader(&'static str, &'static str),
}

impl Runner {
    /// Cargo's `runner` setting (split on spaces).
    fn command(self) -> String {
        match self {
            Runner::Qemu(qemu, sysroot) => format!("{qemu} -L {sysroot}"),
            Runner::Loader(loader, libraries) => format!("{loader} --library-path {libraries}"),
        }
    }

    /// The file that must exist for the runner to work.
    fn program(self) -> &'static str {
        match self {
            Runner::Qemu(qemu, _) => qemu,
            Runner::Loader(loader, _) => loader,
        }
    }

    /// The Debian package that ships `program`: qemu-user, or the cross C library (which the
    /// cross compiler depends on, so its install brings it too).
    fn package(self) -> &'static str {
        match self {
            Runner::Qemu(..) => "qemu-user",
            Runner::Loader(..) => "libc6-i386-cross",
        }
    }
}

/// Every std target the `linux` task lints beyond those it runs.
const LINT_ONLY_TARGETS: [&str; 1] = ["x86_64-unknown-netbsd"];

/// The Linux targets' rustup targets; their cross compilers and runners, each installed by its
/// package's name when missing (apt brings what those need).
fn setup_linux() -> Result {
    let triples: Vec<&str> = LINUX_TARGETS.iter().map(|t| t.triple).collect();
    rustup(&[&["target", "add"][..], &triples, &LINT_ONLY_TARGETS].concat())?;
    let needs: Vec<debian::Need> = LINUX_TARGETS
        .iter()
        .flat_map(|t| {
            let runner = debian::Need { program: t.runner.program(), package: t.runner.package() };
            [debian::Need { program: t.gcc, package: t.gcc_package }, runner]
        })
        .collect();
    debian::install(&needs)
}

/// The Linux backend's paths beyond the host's default one, run for real.
fn linux() -> Result {
    // Without libc: the `syscall` instruction on the host.
    cargo(&[
        "test",
        "--no-default-features",
        "--features",
        "std,linux-raw,single-threaded,sync,async",
    ])?;
    for t in &LINUX_TARGETS {
        let test = |features: &[&str]| {
            let mut command = Command::new("cargo");
            command
                .args(["test", "--target", t.triple, "--lib", "--tests"])
                .args(features)
                .env(format!("CARGO_TARGET_{}_LINKER", t.env), t.gcc);
            command.env(format!("CARGO_TARGET_{}_RUNNER", t.env), t.runner.command());
            run(&mut command)
        };
        test(&[])?;
        if t.raw {
            test(&[
                "--no-default-features",
                "--features",
                "std,linux-raw,single-threaded,sync,async",
            ])?;
        }
    }
    clippy(&[
        "--lib",
        "--target",
        "aarch64-unknown-linux-gnu",
        "--no-default-features",
        "--features",
        "linux-raw",
    ])?;
    // Every other std target without a futex backend of its own gets the queue.
    for target in LINT_ONLY_TARGETS {
        clippy(&["--lib", "--target", target])?;
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
        .args(["test", "--release", "--lib", "--target-dir"])
        .arg(target_root().join("loom"))
        .args(["loom"])
        .env("RUSTFLAGS", "--cfg loom")
        .env("LOOM_MAX_PREEMPTIONS", "5"))
}

/// Miri runs the whole behavioural suite: its clock is virtual, so timeouts cost no real time.
fn miri() -> Result {
    let nightly = format!("+{NIGHTLY}");
    cargo(&[&nightly, "miri", "setup"])?;
    cargo(&[&nightly, "miri", "test", "--lib", "--tests"])?;
    // The queue's intrusive lists under several schedules and weak-memory outcomes, with
    // `critical-section` for `WfiEvent` (a wait that unwinds out of a user's clock).
    run(Command::new("cargo")
        .args([&nightly, "miri", "test", "--test", "queue", "--features", "critical-section"])
        .env("MIRIFLAGS", "-Zmiri-many-seeds=1..4"))?;
    // The locks' suite under more schedules and weak-memory outcomes.
    run(Command::new("cargo")
        .args([&nightly, "miri", "test", "--test", "sync"])
        .env("MIRIFLAGS", "-Zmiri-many-seeds=1..3"))?;
    // The one-shot and counting primitives' suite, likewise.
    run(Command::new("cargo")
        .args([&nightly, "miri", "test", "--test", "sync_signals"])
        .env("MIRIFLAGS", "-Zmiri-many-seeds=1..3"))
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
    // The locks without std, on a target with compare-and-swap.
    run(bare(&["clippy", "--features", "sync"]).args(["--", "-D", "warnings"]))?;
    // Async waiters without std: the table's spin lock, then its critical section.
    run(bare(&["clippy", "--features", "async"]).args(["--", "-D", "warnings"]))?;
    run(bare(&["clippy", "--features", "async,critical-section"]).args(["--", "-D", "warnings"]))?;
    // The docs must hold together where the root functions and `StdClock` do not exist.
    run(bare(&["doc", "--no-deps", "--features", "queue"]).env("RUSTDOCFLAGS", "-D warnings"))?;
    for target in NO_CAS_TARGETS {
        // `sync` too: the locks' words through critical sections.
        let args =
            ["--lib", "--no-default-features", "--features", "queue,critical-section,sync,async"];
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

/// `CARGO_TARGET_DIR` if set, else the workspace's `target`; absolute, since some builds run
/// from another directory. Every artifact an xtask runs is looked for here, never guessed.
fn target_root() -> PathBuf {
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    std::env::current_dir().map(|cwd| cwd.join(&dir)).unwrap_or(dir)
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
