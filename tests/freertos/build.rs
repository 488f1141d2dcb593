//! Compiles FreeRTOS (kernel V11.2.0 from the `freertos-next` crate), the port for the target,
//! portable-futex's `glue.c` and the fixture's C side into one static library, the way an
//! application's build script would: `cc`, with the fixture's `FreeRTOSConfig.h`.
//!
//! - `thumbv7m-none-eabi`: the ARM_CM3 port, `arm-none-eabi-gcc`, and the board's memory map
//!   for cortex-m-rt (mps2-an385: FLASH at 0, RAM at 0x2000_0000, 4 MiB each);
//! - any Linux host: the POSIX port (with its `utils/wait_for_event.c`) and pthreads.
use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let kernel =
        PathBuf::from(env::var("DEP_FREERTOS_KERNEL").expect("freertos-next's links metadata"));
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let target = env::var("TARGET").unwrap();
    let cortex_m = target.starts_with("thumbv7m");

    let port = if cortex_m {
        kernel.join("portable/GCC/ARM_CM3")
    } else {
        kernel.join("portable/ThirdParty/GCC/Posix")
    };

    // portable-futex's C half, taken as any application takes it.
    let glue = out.join("portable_futex_glue.c");
    fs::write(&glue, portable_futex::backend::freertos::GLUE_C).unwrap();

    let mut cc = cc::Build::new();
    cc.include("c")
        .include(kernel.join("include"))
        .include(&port)
        .define("FIXTURE_CORTEX_M", if cortex_m { "1" } else { "0" })
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(false);
    for file in ["tasks.c", "list.c", "queue.c", "timers.c"] {
        cc.file(kernel.join(file));
    }
    cc.file(kernel.join("portable/MemMang/heap_4.c"))
        .file(port.join("port.c"))
        .file(&glue)
        .file("c/fixture.c");
    if cortex_m {
        cc.flag("-mcpu=cortex-m3").flag("-mthumb");
        fs::write(
            out.join("memory.x"),
            "MEMORY\n{\n  FLASH : ORIGIN = 0x00000000, LENGTH = 4M\n  RAM : ORIGIN = 0x20000000, LENGTH = 4M\n}\n",
        )
        .unwrap();
        println!("cargo:rustc-link-search={}", out.display());
        println!("cargo:rustc-link-arg=-Tlink.x");
    } else {
        cc.file(port.join("utils/wait_for_event.c")).include(port.join("utils"));
        println!("cargo:rustc-link-lib=pthread");
    }
    cc.compile("freertos");

    println!("cargo:rerun-if-changed=c");
    println!("cargo:rerun-if-changed=build.rs");
}
