//! `cargo xtask freertos`: the FreeRTOS fixture (tests/freertos) on QEMU's mps2-an385
//! (Cortex-M3, the kernel's ARM_CM3 port) and on the host (its POSIX port).
//!
//! Each run prints `N passed, M failed` and the benchmark table, and exits non-zero on a
//! failure; a hang (a lost wakeup) is ended by `timeout` and fails too. The kernel comes from
//! the `freertos-next` crate; Debian's `gcc-arm-none-eabi` compiles it for the board, with
//! newlib's C headers; the emulator is the one `cargo xtask qemu` unpacks.

use std::path::{Path, PathBuf};
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

/// Each requirement `glue.c` checks in `FreeRTOSConfig.h`: a change to the fixture's
/// (working) configuration, and the words its compile error must contain.
const CONFIG_ERRORS: [(&str, &str); 9] = [
    (
        "#undef configUSE_TASK_NOTIFICATIONS\n#define configUSE_TASK_NOTIFICATIONS 0",
        "sleeps on task notifications",
    ),
    (
        "#undef configTASK_NOTIFICATION_ARRAY_ENTRIES\n\
         #define configTASK_NOTIFICATION_ARRAY_ENTRIES 1",
        "reserves a task-notification index",
    ),
    ("#define portable_futexNOTIFY_INDEX 2", "must be below configTASK_NOTIFICATION_ARRAY_ENTRIES"),
    (
        "#undef INCLUDE_xTaskGetCurrentTaskHandle\n#define INCLUDE_xTaskGetCurrentTaskHandle 0",
        "set INCLUDE_xTaskGetCurrentTaskHandle to 1",
    ),
    (
        "#undef INCLUDE_uxTaskPriorityGet\n#define INCLUDE_uxTaskPriorityGet 0",
        "set INCLUDE_uxTaskPriorityGet to 1",
    ),
    (
        "#undef INCLUDE_xTaskGetSchedulerState\n#define INCLUDE_xTaskGetSchedulerState 0",
        "set INCLUDE_xTaskGetSchedulerState to 1",
    ),
    ("#undef portable_futexIN_ISR", "define portable_futexIN_ISR()"),
    ("#undef portable_futexYIELD_FROM_ISR", "define portable_futexYIELD_FROM_ISR(x)"),
    ("#define portUSING_MPU_WRAPPERS 1", "does not support the MPU ports"),
];

/// Compiles `glue.c` for the POSIX port with the fixture's configuration changed by `change`;
/// the compiler's output and whether it succeeded.
fn compile_glue(
    kernel: &Path,
    change: &str,
    scratch: &Path,
) -> std::result::Result<(bool, String), String> {
    let fixture_config = Path::new(FIXTURE).join("c/FreeRTOSConfig.h");
    std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    // A FreeRTOSConfig.h found first, which includes the fixture's and then changes it.
    let config = format!("#include \"{}\"\n{}\n", fixture_config.display(), change);
    std::fs::write(scratch.join("FreeRTOSConfig.h"), config).map_err(|e| e.to_string())?;
    let glue = Path::new(env!("CARGO_MANIFEST_DIR")).join("../backends/freertos/glue.c");
    let port = kernel.join("portable/ThirdParty/GCC/Posix");
    let output = Command::new("cc")
        .args(["-fsyntax-only", "-DFIXTURE_CORTEX_M=0", "-I"])
        .arg(scratch)
        .arg("-I")
        .arg(kernel.join("include"))
        .arg("-I")
        .arg(&port)
        .arg(&glue)
        .output()
        .map_err(|e| format!("cc: {e}"))?;
    Ok((output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned()))
}

/// `glue.c` compiles with the fixture's configuration, and refuses each broken one with the
/// message that names the fix.
fn config_errors() -> Result {
    let kernel = kernel_dir()?;
    let scratch = crate::target_root().join("freertos/config-errors");
    let (ok, output) = compile_glue(&kernel, "", &scratch)?;
    if !ok {
        return Err(format!("glue.c does not compile with the fixture's configuration:\n{output}"));
    }
    for (change, message) in CONFIG_ERRORS {
        let (ok, output) = compile_glue(&kernel, change, &scratch)?;
        if ok || !output.contains(message) {
            return Err(format!(
                "glue.c with `{change}` should fail saying \"{message}\"; it {}:\n{output}",
                if ok { "compiled" } else { "failed otherwise" }
            ));
        }
        println!("glue.c refuses `{}`: {message}", change.replace('\n', "; "));
    }
    Ok(())
}

/// The kernel's sources, where cargo unpacked the `freertos-next` crate the fixture uses.
fn kernel_dir() -> std::result::Result<PathBuf, String> {
    let output = Command::new("cargo")
        .args(["metadata", "--format-version", "1"])
        .current_dir(FIXTURE)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    let metadata = String::from_utf8_lossy(&output.stdout);
    // Without a JSON parser: the package's manifest is the one `manifest_path` whose folder is
    // named freertos-next-<version>.
    let key = "\"manifest_path\":\"";
    let manifest = metadata
        .split(key)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(PathBuf::from)
        .find(|path| {
            let folder = path.parent().and_then(Path::file_name).and_then(|name| name.to_str());
            folder.is_some_and(|name| name.starts_with("freertos-next-"))
        })
        .ok_or("cargo metadata of tests/freertos names no freertos-next package")?;
    Ok(manifest.parent().ok_or("manifest without a folder")?.join("FreeRTOS-Kernel"))
}

pub(crate) fn check() -> Result {
    let target_dir = crate::target_root().join("freertos");
    config_errors()?;

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
