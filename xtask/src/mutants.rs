//! `cargo xtask mutants`: cargo-mutants over the crate, one run per feature set, so that each
//! file is mutated by the run whose tests reach it; then a count of what the runs found.
//!
//! Not part of `ci`: every mutant is a build and a test run, which takes far longer than the
//! rest of CI. Exclusions, each with its reason, are in `.cargo/mutants.toml`.
//!
//! A mutant is *caught* when a test fails, *missed* when every test passes, *unviable* when it
//! does not build, and *timed out* when the tests outlast the per-mutant limit (a test that
//! hangs instead of failing). The goal is no missed and no timed-out mutant.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The version line installed when `cargo mutants` is missing.
const VERSION: &str = "^27";
/// Seconds a mutant's tests may run before it counts as timed out. The suite takes about ten
/// seconds when nothing is broken; a test that waits has a watchdog of [`WATCHDOG_SECS`], so a
/// mutant that makes it hang fails it (and `cargo test` stops at that binary) well within this.
const TEST_TIMEOUT_S: &str = "45";
/// `PORTABLE_FUTEX_WATCHDOG_SECS` for the mutants' tests: how long a test that waits on other
/// threads may take before its watchdog fails it, naming what it waited for (60 s otherwise).
/// Far above what any test takes on a busy machine, far below [`TEST_TIMEOUT_S`].
const WATCHDOG_SECS: &str = "10";
/// Seconds a mutant's build may take (an incremental rebuild of the one crate).
const BUILD_TIMEOUT_S: &str = "300";

/// One cargo-mutants run: the files it mutates, with the features and tests that reach them.
struct Run {
    name: &'static str,
    features: &'static [&'static str],
    /// Only these files (`--file`); empty: every file that no other run lists (the default
    /// run).
    files: &'static [&'static str],
    /// Only the mutants whose names match (`--re`); empty: all of the files'.
    only_re: &'static [&'static str],
    /// Mutants left to another run (`--exclude-re`).
    skip_re: &'static [&'static str],
    /// Passed to every cargo command of the run, the builds as well as the tests
    /// (`--cargo-arg`): a `--test` here keeps the other test binaries from being built.
    cargo_args: &'static [&'static str],
}

/// The mutants of the binary-installed backend, `Installed`'s `FutexBackend` impl.
const INSTALLED: &str = "<impl FutexBackend for Installed>::";

const RUNS: [Run; 4] = [
    Run {
        name: "default",
        features: &[],
        files: &[],
        // `src/installed.rs`'s symbol-name check is in every build and unit-tested here; its
        // `Installed` backend exists only with `custom-backend`.
        only_re: &[],
        skip_re: &[INSTALLED],
        cargo_args: &[],
    },
    // The sync primitives, with the tests that use them: their unit tests, the suites in
    // `tests/sync.rs` and `tests/sync_signals.rs` (every primitive on every host backend, with
    // watchdogs), and `tests/sync_async.rs` (their async forms, under timeouts). The other
    // test binaries (the backends' suites, the doc tests) would add a build and run of some
    // twenty binaries to each of these ~650 mutants.
    Run {
        name: "sync",
        // lock_api 0.4's impls too (`tests/sync.rs` runs them under the feature).
        features: &["lock_api_04"],
        files: &[
            "src/sync/barrier.rs",
            "src/sync/condvar.rs",
            "src/sync/condvar_async.rs",
            "src/sync/fair_mutex.rs",
            "src/sync/lazy_lock.rs",
            "src/sync/lock_api_v04.rs",
            "src/sync/lock_async.rs",
            "src/sync/mod.rs",
            "src/sync/mutex.rs",
            "src/sync/once.rs",
            "src/sync/once_lock.rs",
            "src/sync/parker.rs",
            "src/sync/recursive_rwlock.rs",
            "src/sync/reentrant_mutex.rs",
            "src/sync/reset_event.rs",
            "src/sync/rwlock.rs",
            "src/sync/rwlock_async.rs",
            "src/sync/semaphore.rs",
            "src/sync/wait_group.rs",
            "src/sync/word.rs",
        ],
        only_re: &[],
        skip_re: &[],
        cargo_args: &["--lib", "--test=sync", "--test=sync_signals", "--test=sync_async"],
    },
    // `CriticalSectionLock` and `WfiEvent` exist only with the feature; the other locks of
    // `lock.rs` are mutated here too, since the default features stay on.
    Run {
        name: "critical-section",
        features: &["critical-section"],
        files: &["backends/queue/wfi_event.rs", "backends/queue/lock.rs"],
        only_re: &[],
        skip_re: &[],
        cargo_args: &[],
    },
    // The binary-installed backend: with the feature every test binary needs an installed
    // backend, and only `tests/installed.rs` provides one.
    Run {
        name: "custom-backend",
        features: &["custom-backend"],
        files: &["src/installed.rs"],
        only_re: &[INSTALLED],
        skip_re: &[],
        cargo_args: &["--test=installed"],
    },
];

/// The files that some run lists, which the default run leaves to it. (`src/installed.rs`
/// is listed by `custom-backend` only for `Installed`'s mutants, picked by `only_re`: the
/// default run keeps the rest of it.)
fn listed_elsewhere() -> impl Iterator<Item = &'static str> {
    RUNS.iter().filter(|run| run.only_re.is_empty()).flat_map(|run| run.files.iter().copied())
}

/// Installs cargo-mutants unless `cargo mutants` already runs.
pub(crate) fn setup() -> crate::Result {
    let installed = Command::new("cargo")
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if installed {
        return Ok(());
    }
    crate::cargo(&["install", "--locked", "cargo-mutants", "--version", VERSION])
}

/// Every run, then the counts; fails if any mutant was missed or timed out. `args` may name
/// runs (`cargo xtask mutants default critical-section`) and files, as paths from the
/// repository root such as `backends/queue/treap.rs`: then only those runs, and in each only
/// those of its files.
pub(crate) fn check(args: &[String]) -> crate::Result {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = crate::target_root().join("mutants");
    let mut total = Counts::default();
    for run in &RUNS {
        let Some(mine) = select(run, args) else { continue };
        let dir = out.join(run.name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut command = Command::new("cargo");
        command
            .current_dir(&root)
            .args(["mutants", "--package", "portable-futex", "--no-shuffle"])
            .args(["--timeout", TEST_TIMEOUT_S, "--build-timeout", BUILD_TIMEOUT_S])
            .env("PORTABLE_FUTEX_WATCHDOG_SECS", WATCHDOG_SECS)
            .arg("--output")
            .arg(&dir);
        for feature in run.features {
            command.args(["--features", feature]);
        }
        for file in &mine {
            command.args(["--file", &as_mutants_names(file)]);
        }
        if run.files.is_empty() {
            for file in listed_elsewhere() {
                command.args(["--exclude", &as_mutants_names(file)]);
            }
        }
        for re in run.only_re {
            command.args(["--re", re]);
        }
        for re in run.skip_re {
            command.args(["--exclude-re", re]);
        }
        for arg in run.cargo_args {
            command.arg(format!("--cargo-arg={arg}"));
        }
        let shown = format!("{command:?}").replace('"', "");
        println!("+ [{}] {shown}", run.name);
        let status = command.status().map_err(|e| format!("{shown}: {e}"))?;
        // 0: all caught; 2: some missed; 3: some timed out. Anything else (a usage error, a
        // suite that fails before any mutation) means the run did not measure anything.
        if !matches!(status.code(), Some(0 | 2 | 3)) {
            return Err(format!("{shown}: {status}"));
        }
        let counts = Counts::read(&dir.join("mutants.out"))?;
        counts.print(run.name);
        total.add(&counts);
    }
    total.print("all runs");
    if total.missed + total.timeout > 0 {
        return Err(format!("{} missed, {} timed out", total.missed, total.timeout));
    }
    Ok(())
}

/// The files of `run` to mutate, given the arguments: run names (`default`, `sync`...) pick
/// runs, paths pick files within them; no argument of a kind means all of that kind. `None`
/// if the run is not picked or has none of the files.
fn select(run: &Run, args: &[String]) -> Option<Vec<String>> {
    let (names, files): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|arg| RUNS.iter().any(|r| r.name == arg.as_str()));
    if !names.is_empty() && !names.iter().any(|name| name.as_str() == run.name) {
        return None;
    }
    if files.is_empty() {
        return Some(run.files.iter().map(|f| f.to_string()).collect());
    }
    let mine: Vec<String> = files
        .into_iter()
        .filter(|f| {
            if run.files.is_empty() {
                !listed_elsewhere().any(|listed| listed == f.as_str())
            } else {
                run.files.contains(&f.as_str())
            }
        })
        .cloned()
        .collect();
    (!mine.is_empty()).then_some(mine)
}

/// A file as cargo-mutants names it: the backends are modules of `src/backend.rs` with a
/// `#[path]`, so their names go through `src/`.
fn as_mutants_names(file: &str) -> String {
    match file.strip_prefix("backends/") {
        Some(_) => format!("src/../{file}"),
        None => file.to_string(),
    }
}

/// What one run found, from the outcome lists cargo-mutants writes (one mutant a line).
#[derive(Default)]
struct Counts {
    caught: usize,
    missed: usize,
    unviable: usize,
    timeout: usize,
    /// The missed and timed-out mutants, to be shown.
    survivors: Vec<String>,
}

impl Counts {
    fn read(dir: &Path) -> Result<Self, String> {
        let lines = |name: &str| -> Result<Vec<String>, String> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(text.lines().filter(|l| !l.is_empty()).map(String::from).collect()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(format!("{}: {e}", path.display())),
            }
        };
        let missed = lines("missed.txt")?;
        let timeout = lines("timeout.txt")?;
        let survivors = missed
            .iter()
            .map(|m| format!("MISSED    {m}"))
            .chain(timeout.iter().map(|m| format!("TIMED OUT {m}")))
            .collect();
        Ok(Self {
            caught: lines("caught.txt")?.len(),
            missed: missed.len(),
            unviable: lines("unviable.txt")?.len(),
            timeout: timeout.len(),
            survivors,
        })
    }

    fn add(&mut self, other: &Self) {
        self.caught += other.caught;
        self.missed += other.missed;
        self.unviable += other.unviable;
        self.timeout += other.timeout;
        self.survivors.extend(other.survivors.iter().cloned());
    }

    fn print(&self, name: &str) {
        println!(
            "mutants [{name}]: {} caught, {} missed, {} unviable, {} timed out",
            self.caught, self.missed, self.unviable, self.timeout
        );
        for survivor in &self.survivors {
            println!("  {survivor}");
        }
    }
}
