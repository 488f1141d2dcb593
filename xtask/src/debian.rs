//! What the checks need from Debian, named by package; everything else comes from the package
//! metadata, never from a list of "what this machine lacks" (such a list is only what the
//! machine it was written on happened to lack, and a new machine lacks more).
//!
//! - [`install`]: the packages whose program a check runs, `apt-get install`ed by name when the
//!   program is missing (apt resolves their dependencies); afterwards each program must be
//!   found and its shared libraries resolve, or the setup fails naming what is missing.
//! - [`unpack_closure`]: a package that must not be installed (QEMU's system emulator would
//!   replace the machine's newer qemu-utils) unpacked under a folder with every package it
//!   depends on, directly or not, that `dpkg-query` does not report installed.
//! - [`missing_libraries`]: `ldd`'s verdict on a binary, so that a missing library is an error
//!   that names it rather than the loader's exit status 127.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::Path;
use std::process::Command;

use crate::{run, Result};

/// A program a check runs and the Debian package that ships it.
pub(crate) struct Need {
    /// A command looked up on `PATH`, or an absolute path.
    pub(crate) program: &'static str,
    pub(crate) package: &'static str,
}

/// Installs the package of every `need` whose program is missing, then checks that every
/// program is there and that `ldd` resolves each shared library it links.
pub(crate) fn install(needs: &[Need]) -> Result {
    install_with(needs, &[])
}

/// [`install`] without the packages' recommendations: for packages whose recommendations
/// are large and unused (the Arm cross compiler recommends a C++ library of 200 MB).
pub(crate) fn install_without_recommends(needs: &[Need]) -> Result {
    install_with(needs, &["--no-install-recommends"])
}

fn install_with(needs: &[Need], options: &[&str]) -> Result {
    let packages: BTreeSet<&str> =
        needs.iter().filter(|need| locate(need.program).is_none()).map(|n| n.package).collect();
    if !packages.is_empty() {
        update()?;
        run(Command::new("apt-get")
            .args(["install", "-y", "-qq"])
            .args(options)
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    let mut problems = Vec::new();
    for need in needs {
        match locate(need.program) {
            None => problems.push(format!(
                "{} is missing (package {}); install it and run again",
                need.program, need.package
            )),
            Some(path) => {
                let missing = missing_libraries(&path, &[])?;
                if !missing.is_empty() {
                    problems.push(format!(
                        "{} cannot load {} (package {} installed without them?)",
                        path,
                        missing.join(", "),
                        need.package
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The absolute path of `program`: itself if it is a path that exists, else the first match on
/// `PATH`.
fn locate(program: &str) -> Option<String> {
    if program.contains('/') {
        return Path::new(program).exists().then(|| program.to_string());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
        .map(|path| path.display().to_string())
}

/// `apt-get update`, quietly.
fn update() -> Result {
    run(Command::new("apt-get").args(["update", "-qq"]))
}

/// The libraries `ldd` reports "not found" for `binary`, with `library_dirs` searched first.
/// Empty for a file that is not a dynamic executable (a shell script, a static binary).
pub(crate) fn missing_libraries(
    binary: &str,
    library_dirs: &[String],
) -> std::result::Result<Vec<String>, String> {
    let mut command = Command::new("ldd");
    command.arg(binary);
    if !library_dirs.is_empty() {
        command.env("LD_LIBRARY_PATH", library_dirs.join(":"));
    }
    let output =
        command.output().map_err(|e| format!("ldd {binary}: {e} (ldd comes with libc-bin)"))?;
    Ok(not_found(&String::from_utf8_lossy(&output.stdout)))
}

/// The names on `ldd`'s "libfoo.so.1 => not found" lines.
fn not_found(ldd: &str) -> Vec<String> {
    ldd.lines()
        .filter(|line| line.contains("=> not found"))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Unpacks `package` and what it needs that is not installed under `root`, without installing
/// anything: the dependency graph from `apt-cache depends --recurse` (hard dependencies only),
/// resolved as apt would, minus what `dpkg-query` reports installed, downloaded with
/// `apt-get download` into `root/debs` and extracted with `dpkg-deb -x`.
pub(crate) fn unpack_closure(package: &str, root: &Path) -> Result {
    update()?;
    let output = Command::new("apt-cache")
        .args(["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts"])
        .args(["--no-breaks", "--no-replaces", "--no-enhances", package])
        .output()
        .map_err(|e| format!("apt-cache depends {package}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "apt-cache depends {package}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let graph = parse_depends(&String::from_utf8_lossy(&output.stdout));
    let wanted = closure(package, &graph, &installed()?);
    println!("{package} needs these packages this machine lacks: {}", wanted.join(" "));

    let debs = root.join("debs");
    std::fs::create_dir_all(&debs).map_err(|e| format!("{}: {e}", debs.display()))?;
    run(Command::new("apt-get").arg("download").args(&wanted).current_dir(&debs))?;
    for deb in std::fs::read_dir(&debs).map_err(|e| format!("{}: {e}", debs.display()))? {
        let deb = deb.map_err(|e| e.to_string())?.path();
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(root))?;
    }
    Ok(())
}

/// The packages `dpkg-query` reports installed (status "installed", whatever was asked).
fn installed() -> std::result::Result<BTreeSet<String>, String> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package}\t${db:Status-Abbrev}\n"])
        .output()
        .map_err(|e| format!("dpkg-query: {e}"))?;
    Ok(parse_installed(&String::from_utf8_lossy(&output.stdout)))
}

/// `dpkg-query`'s "name\tXY " lines: the names whose status letter `Y` is `i` (installed).
fn parse_installed(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .filter(|(_, status)| status.as_bytes().get(1) == Some(&b'i'))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// One dependency: a package, or a virtual package (`<name>` in apt-cache's output), with the
/// packages that provide it.
#[derive(Debug, PartialEq)]
struct Dependency {
    name: String,
    is_virtual: bool,
    providers: Vec<String>,
}

/// A package's dependencies: each group is satisfied by any one of its alternatives.
type Graph = HashMap<String, Vec<Vec<Dependency>>>;

/// Reads `apt-cache depends --recurse`: a package's name at the start of a line; under it one
/// line per dependency ("  Depends: x", or " |Depends: x" when the next line is an
/// alternative to it), each followed by its providers indented by four spaces.
fn parse_depends(text: &str) -> Graph {
    let mut graph = Graph::new();
    let mut current: Option<String> = None;
    // Whether the previous dependency line ended with `|`: the next one joins its group.
    let mut alternative = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            let name = line.trim().to_string();
            graph.entry(name.clone()).or_default();
            current = Some(name);
            alternative = false;
            continue;
        }
        let Some(groups) = current.as_ref().and_then(|name| graph.get_mut(name)) else {
            continue;
        };
        if let Some(provider) = line.strip_prefix("    ") {
            if let Some(dependency) = groups.last_mut().and_then(|group| group.last_mut()) {
                dependency.providers.push(provider.trim().to_string());
            }
            continue;
        }
        let trimmed = line.trim_start();
        let (or_next, trimmed) = match trimmed.strip_prefix('|') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let Some((_, target)) = trimmed.split_once(": ") else { continue };
        let target = target.trim();
        let (name, is_virtual) = match target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
            Some(name) => (name.to_string(), true),
            None => (target.to_string(), false),
        };
        let dependency = Dependency { name, is_virtual, providers: Vec::new() };
        match groups.last_mut() {
            Some(group) if alternative => group.push(dependency),
            _ => groups.push(vec![dependency]),
        }
        alternative = or_next;
    }
    graph
}

/// What `package` needs that is not `installed`, itself included: for each group of
/// alternatives not already met by an installed or chosen package, its first alternative (a
/// virtual package's first provider), and so on for what that one needs. Sorted.
fn closure(package: &str, graph: &Graph, installed: &BTreeSet<String>) -> Vec<String> {
    let mut chosen = BTreeSet::new();
    let mut queue = VecDeque::new();
    if !installed.contains(package) {
        chosen.insert(package.to_string());
        queue.push_back(package.to_string());
    }
    while let Some(name) = queue.pop_front() {
        for group in graph.get(&name).map(Vec::as_slice).unwrap_or_default() {
            let present =
                |candidate: &String| installed.contains(candidate) || chosen.contains(candidate);
            let met = group.iter().any(|dependency| {
                (!dependency.is_virtual && present(&dependency.name))
                    || dependency.providers.iter().any(present)
            });
            if met {
                continue;
            }
            let pick = group.iter().find_map(|dependency| {
                if dependency.is_virtual {
                    dependency.providers.first().cloned()
                } else {
                    Some(dependency.name.clone())
                }
            });
            if let Some(pick) = pick {
                chosen.insert(pick.clone());
                queue.push_back(pick);
            }
        }
    }
    chosen.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shortened `apt-cache depends --recurse qemu-system-arm` of Debian 12.
    const DEPENDS: &str = "\
qemu-system-arm
  Depends: libcapstone4
  Depends: libc6
  Depends: qemu-system-common
libcapstone4
  Depends: libc6
libc6
  Depends: libgcc-s1
qemu-system-common
  Depends: libbrlapi0.8
  Depends: adduser
libbrlapi0.8
  Depends: libc6
  Depends: libsystemd0
    libelogind0
adduser
  Depends: passwd
 |Depends: debconf
  Depends: <debconf-2.0>
    cdebconf
    debconf
libelogind0
  Depends: libc6
  Depends: libcap2
libgcc-s1
passwd
debconf
cdebconf
  Depends: libnewt0.52
libnewt0.52
<debconf-2.0>
";

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn parses_groups_alternatives_and_providers() {
        let graph = parse_depends(DEPENDS);
        let adduser = &graph["adduser"];
        assert_eq!(adduser.len(), 2);
        assert_eq!(adduser[0][0].name, "passwd");
        assert_eq!(adduser[1].len(), 2, "debconf | debconf-2.0 is one group");
        assert!(adduser[1][1].is_virtual);
        assert_eq!(adduser[1][1].providers, ["cdebconf", "debconf"]);
        assert_eq!(graph["libbrlapi0.8"][1][0].providers, ["libelogind0"]);
        assert!(graph["libgcc-s1"].is_empty());
    }

    /// The machine has libc and systemd's library, not capstone: capstone is unpacked, and
    /// elogind (which would shadow libsystemd.so.0) is not, as a provider of something
    /// installed.
    #[test]
    fn closure_skips_what_is_installed_and_met_alternatives() {
        let graph = parse_depends(DEPENDS);
        let installed = set(&["libc6", "libgcc-s1", "libsystemd0", "debconf", "passwd"]);
        assert_eq!(
            closure("qemu-system-arm", &graph, &installed),
            ["adduser", "libbrlapi0.8", "libcapstone4", "qemu-system-arm", "qemu-system-common"]
        );
    }

    /// With nothing installed, each group takes its first alternative only, and the
    /// dependencies of what it took.
    #[test]
    fn closure_takes_first_alternatives_on_a_bare_machine() {
        let graph = parse_depends(DEPENDS);
        let all = closure("qemu-system-arm", &graph, &BTreeSet::new());
        assert_eq!(
            all,
            [
                "adduser",
                "debconf",
                "libbrlapi0.8",
                "libc6",
                "libcapstone4",
                "libgcc-s1",
                "libsystemd0",
                "passwd",
                "qemu-system-arm",
                "qemu-system-common"
            ]
        );
    }

    #[test]
    fn closure_of_an_installed_package_is_empty() {
        let graph = parse_depends(DEPENDS);
        assert!(closure("libc6", &graph, &set(&["libc6"])).is_empty());
    }

    #[test]
    fn installed_means_status_installed() {
        let text = "libc6\tii \nqemu-utils\thi \nold\trc \nhalf\tiU \n";
        assert_eq!(parse_installed(text), set(&["libc6", "qemu-utils"]));
    }

    #[test]
    fn ldd_not_found_lines() {
        let ldd = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibcapstone.so.4 => not found\n\
                   \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\
                   \tlibfdt.so.1 => not found\n";
        assert_eq!(not_found(ldd), ["libcapstone.so.4", "libfdt.so.1"]);
    }
}
