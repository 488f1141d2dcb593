//! What the timing benchmarks share (`benches/futex.rs`, `sync_signals.rs`,
//! `process_shared.rs`): timing a loop, a row of samples, and a table of rows with the ratio of
//! each to its baseline, so that every table reads the same way.

use std::time::Instant;

/// One row: a name, its samples (nanoseconds per operation, sorted) and a note.
pub struct Row {
    pub name: String,
    pub samples: Vec<f64>,
    pub note: String,
}

impl Row {
    pub fn new(name: impl Into<String>, mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        Row { name: name.into(), samples, note: String::new() }
    }

    pub fn median(&self) -> f64 {
        self.samples[self.samples.len() / 2]
    }
}

/// Times `op(iters)` `repeats` times, after a warm-up: nanoseconds per operation.
#[allow(dead_code)] // `process_shared.rs` times its own loops
pub fn sample(repeats: usize, iters: u32, mut op: impl FnMut(u32)) -> Vec<f64> {
    op(iters / 10 + 1);
    (0..repeats)
        .map(|_| {
            let start = Instant::now();
            op(iters);
            start.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .collect()
}

/// Nanoseconds in the unit that fits.
pub fn human(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.2} ns"),
        ns if ns < 1e6 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{:.2} ms", ns / 1e6),
    }
}

/// What each row of a table is compared with.
#[allow(dead_code)] // each benchmark uses one of them
pub enum Baseline {
    /// The table's first row (`vs first`).
    First,
    /// The nearest row above (or at) it whose name starts with "raw" (`vs raw`): each group
    /// of a table opens with the system call itself.
    Raw,
}

/// Prints a table: median, spread, number of samples, ratio to the baseline, note.
pub fn print(title: &str, rows: &[Row], baseline: Baseline) {
    let width = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0).max(20);
    let label = match baseline {
        Baseline::First => "vs first",
        Baseline::Raw => "vs raw",
    };
    println!("\n{title}");
    println!("  {:<width$} {:>11} {:>25} {:>4} {:>8}  note", "", "median", "spread", "n", label);
    let mut base = match baseline {
        Baseline::First => rows.first().map(Row::median),
        Baseline::Raw => None,
    };
    for r in rows {
        if matches!(baseline, Baseline::Raw) && r.name.starts_with("raw") {
            base = Some(r.median());
        }
        let ratio = base.map_or(String::new(), |b| format!("{:.2}x", r.median() / b));
        println!(
            "  {:<width$} {:>11} {:>12} ..{:>11} {:>4} {:>8}  {}",
            r.name,
            human(r.median()),
            human(r.samples[0]),
            human(r.samples[r.samples.len() - 1]),
            r.samples.len(),
            ratio,
            r.note
        );
    }
}
