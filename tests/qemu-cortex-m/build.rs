//! Puts the board's `memory.x` where cortex-m-rt's `link.x` looks for it: the M0 target
//! (thumbv6m) runs on QEMU's microbit, the M3 target (thumbv7m) on its lm3s6965evb.
use std::{env, fs, path::PathBuf};

fn main() {
    let target = env::var("TARGET").unwrap();
    let board = if target.starts_with("thumbv6m") { "microbit" } else { "lm3s6965evb" };
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::copy(format!("memory/{board}.x"), out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rustc-link-arg=-Tlink.x");
}
