//! `cargo xtask docs`: the documentation built the way docs.rs will build it, for each target
//! docs.rs is asked for, with warnings as errors.
//!
//! The features, targets and rustdoc arguments are read from `[package.metadata.docs.rs]` in
//! the crate's Cargo.toml, so that this check and the published docs cannot drift apart.

use std::path::Path;
use std::process::Command;

use crate::{run, rustup, Result, NIGHTLY};

/// The crate's manifest.
const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");

/// What docs.rs is told to build.
struct DocsRs {
    features: Vec<String>,
    targets: Vec<String>,
    rustdoc_args: Vec<String>,
}

fn read_metadata() -> std::result::Result<DocsRs, String> {
    let manifest = std::fs::read_to_string(MANIFEST).map_err(|e| format!("{MANIFEST}: {e}"))?;
    let header = "[package.metadata.docs.rs]";
    let start = manifest.find(header).ok_or_else(|| format!("no {header} in {MANIFEST}"))?;
    let section = &manifest[start + header.len()..];
    // The section ends at the next table header.
    let section = section.find("\n[").map_or(section, |end| &section[..end]);
    let array = |key: &str| -> std::result::Result<Vec<String>, String> {
        let line = section
            .lines()
            .position(|line| line.trim_start().starts_with(&format!("{key} =")))
            .ok_or_else(|| format!("{header} has no `{key}`"))?;
        let rest: String = section.lines().skip(line).collect::<Vec<_>>().join("\n");
        let open = rest.find('[').ok_or_else(|| format!("`{key}` is not an array"))?;
        let close = rest.find(']').ok_or_else(|| format!("`{key}` is not closed"))?;
        Ok(rest[open + 1..close]
            .split(',')
            .map(|item| item.trim().trim_matches('"').to_owned())
            .filter(|item| !item.is_empty())
            .collect())
    };
    Ok(DocsRs {
        features: array("features")?,
        targets: array("targets")?,
        rustdoc_args: array("rustdoc-args")?,
    })
}

/// Adds each target's standard library to the pinned nightly where rustup has one for it (the
/// nightly lacks some, such as FreeBSD's: those are built from `rust-src`, as docs.rs does).
pub(crate) fn setup() -> Result {
    crate::setup_nightly()?;
    for target in read_metadata()?.targets {
        if rustup(&["target", "add", "--toolchain", NIGHTLY, &target]).is_err() {
            println!("  no prebuilt standard library for {target}: its docs build it from source");
        }
    }
    Ok(())
}

/// The targets whose standard library the pinned nightly has installed.
fn installed_targets() -> std::result::Result<String, String> {
    let output = Command::new("rustup")
        .args(["target", "list", "--installed", "--toolchain", NIGHTLY])
        .output()
        .map_err(|e| format!("rustup target list: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Builds the docs for every target, in a target directory of their own (other RUSTDOCFLAGS
/// would rebuild the rest each time), and checks that an item that needs a feature and a
/// target says so on its page, which is what `--cfg docsrs` is for.
pub(crate) fn check() -> Result {
    let docs = read_metadata()?;
    if docs.features.iter().any(|f| f == "custom-backend") {
        return Err("docs.rs must not build with `custom-backend`: the documented default \
                    backend would be the binary-installed one"
            .into());
    }
    let target_dir = crate::target_root().join("docsrs");
    let rustdocflags = [&docs.rustdoc_args[..], &["-D".into(), "warnings".into()]].concat();
    let installed = installed_targets()?;
    for target in &docs.targets {
        let mut command = Command::new("cargo");
        command.args([&format!("+{NIGHTLY}"), "doc"]);
        if !installed.lines().any(|line| line.trim() == target) {
            command.arg("-Zbuild-std=core,alloc,std,panic_abort");
        }
        run(command
            .args(["--no-deps", "--lib", "-p", "portable-futex"])
            .args(["--target", target, "--features", &docs.features.join(",")])
            .arg("--target-dir")
            .arg(&target_dir)
            .env("RUSTDOCFLAGS", rustdocflags.join(" "))
            // docs.rs passes `--cfg docsrs` to rustc as well.
            .env("RUSTFLAGS", docs.rustdoc_args.join(" ")))?;
        expect_cfg_note(&target_dir.join(target).join("doc/portable_futex"), target)?;
    }
    Ok(())
}

/// The page of the target's own OS backend (or of `backend::Queue`, which needs `std`) must
/// carry rustdoc's "Available on ... only" note.
fn expect_cfg_note(doc: &Path, target: &str) -> Result {
    let page = if target.contains("linux") {
        "backend/struct.Linux.html"
    } else if target.contains("windows") {
        "backend/struct.Windows.html"
    } else if target.contains("apple") {
        "backend/struct.Darwin.html"
    } else if target.contains("freebsd") {
        "backend/struct.FreeBsd.html"
    } else {
        "backend/type.Queue.html"
    };
    let path = doc.join(page);
    let html = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if html.contains("Available on") {
        println!("  {page} for {target}: shows which cfg it needs");
        Ok(())
    } else {
        Err(format!("{} has no \"Available on ...\" note: is `doc(cfg)` still on?", path.display()))
    }
}
