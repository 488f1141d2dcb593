//! `cargo bench --bench sync` (or `cargo xtask bench`): the locks of `portable_futex::sync`
//! beside `std::sync`, `parking_lot` and `spin::Mutex`, measured in one run so that the ratios
//! hold on a noisy machine. Ours run on `Linux`, `Counted<Linux>` and `Queue`.
//!
//! Rows (each repeated, the median shown with the spread):
//!
//! - **uncontended**: one thread, lock + unlock, ns per pair;
//! - **contended**, 2 and 4 threads, a short critical section (a counter bump): millions of
//!   lock + unlock per second, each thread's share of the acquisitions (smallest and largest,
//!   in percent of an equal share), and, in a second pass that times every acquisition, the
//!   longest single wait;
//! - **RwLock**, read-mostly (4 readers, 1 writer) and write-heavy (2 readers, 2 writers):
//!   millions of acquisitions per second, the writers' part of them, and sleeps per 1000
//!   acquisitions (the threads' voluntary context switches, from `/proc`);
//! - **Condvar** hand-off: one producer and one consumer pass items through a one-slot mailbox;
//!   µs per item.
//!
//! With `SYNC_BENCH_SVG=path` it also draws the lock rows as a bar chart (throughput relative
//! to std's) in that file; `cargo xtask bench` writes `benches/sync.svg`.

#[cfg(target_os = "linux")]
mod bench {
    use std::hint::black_box;
    use std::sync::atomic::{AtomicBool, Ordering::*};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::{Duration, Instant};

    use portable_futex::backend::{Counted, Linux, Queue};
    use portable_futex::sync::generic;
    use portable_futex::FutexBackend;

    const REPEATS: usize = 5;
    const RUN: Duration = Duration::from_millis(200);

    // -----------------------------------------------------------------------------------------
    // The subjects

    trait Lock: Send + Sync + 'static {
        const NAME: &'static str;
        fn new() -> Self;
        fn bump(&self);
    }

    trait RwSubject: Send + Sync + 'static {
        const NAME: &'static str;
        fn new() -> Self;
        fn read(&self) -> u64;
        fn write(&self);
    }

    /// A one-slot mailbox: `put` waits while full, `take` while empty.
    trait Mailbox: Send + Sync + 'static {
        const NAME: &'static str;
        fn new() -> Self;
        fn put(&self, item: u64);
        fn take(&self) -> u64;
    }

    struct Std(std::sync::Mutex<u64>);
    impl Lock for Std {
        const NAME: &'static str = "std::sync::Mutex";
        fn new() -> Self {
            Std(std::sync::Mutex::new(0))
        }
        fn bump(&self) {
            *self.0.lock().unwrap() += 1;
        }
    }

    struct ParkingLot(parking_lot::Mutex<u64>);
    impl Lock for ParkingLot {
        const NAME: &'static str = "parking_lot::Mutex";
        fn new() -> Self {
            ParkingLot(parking_lot::Mutex::new(0))
        }
        fn bump(&self) {
            *self.0.lock() += 1;
        }
    }

    struct Spin(spin::Mutex<u64>);
    impl Lock for Spin {
        const NAME: &'static str = "spin::Mutex";
        fn new() -> Self {
            Spin(spin::Mutex::new(0))
        }
        fn bump(&self) {
            *self.0.lock() += 1;
        }
    }

    /// A name for each of our backends.
    trait Named: FutexBackend + Send + Sync + 'static {
        const MUTEX: &'static str;
        const RWLOCK: &'static str;
        const CONDVAR: &'static str;
    }
    impl Named for Linux {
        const MUTEX: &'static str = "ours, Linux";
        const RWLOCK: &'static str = "ours, Linux";
        const CONDVAR: &'static str = "ours, Linux";
    }
    impl Named for Counted<Linux> {
        const MUTEX: &'static str = "ours, Counted<Linux>";
        const RWLOCK: &'static str = "ours, Counted<Linux>";
        const CONDVAR: &'static str = "ours, Counted<Linux>";
    }
    impl Named for Queue {
        const MUTEX: &'static str = "ours, Queue";
        const RWLOCK: &'static str = "ours, Queue";
        const CONDVAR: &'static str = "ours, Queue";
    }

    struct Ours<B>(generic::Mutex<B, u64>);
    impl<B: Named> Lock for Ours<B> {
        const NAME: &'static str = B::MUTEX;
        fn new() -> Self {
            Ours(generic::Mutex::new(0))
        }
        fn bump(&self) {
            *self.0.lock() += 1;
        }
    }

    struct StdRw(std::sync::RwLock<[u64; 4]>);
    impl RwSubject for StdRw {
        const NAME: &'static str = "std::sync::RwLock";
        fn new() -> Self {
            StdRw(std::sync::RwLock::new([0; 4]))
        }
        fn read(&self) -> u64 {
            self.0.read().unwrap().iter().sum()
        }
        fn write(&self) {
            self.0.write().unwrap()[0] += 1;
        }
    }

    struct ParkingLotRw(parking_lot::RwLock<[u64; 4]>);
    impl RwSubject for ParkingLotRw {
        const NAME: &'static str = "parking_lot::RwLock";
        fn new() -> Self {
            ParkingLotRw(parking_lot::RwLock::new([0; 4]))
        }
        fn read(&self) -> u64 {
            self.0.read().iter().sum()
        }
        fn write(&self) {
            self.0.write()[0] += 1;
        }
    }

    struct OursRw<B>(generic::RwLock<B, [u64; 4]>);
    impl<B: Named> RwSubject for OursRw<B> {
        const NAME: &'static str = B::RWLOCK;
        fn new() -> Self {
            OursRw(generic::RwLock::new([0; 4]))
        }
        fn read(&self) -> u64 {
            self.0.read().iter().sum()
        }
        fn write(&self) {
            self.0.write()[0] += 1;
        }
    }

    struct StdBox(std::sync::Mutex<Option<u64>>, std::sync::Condvar);
    impl Mailbox for StdBox {
        const NAME: &'static str = "std Mutex + Condvar";
        fn new() -> Self {
            StdBox(std::sync::Mutex::new(None), std::sync::Condvar::new())
        }
        fn put(&self, item: u64) {
            let mut slot = self.1.wait_while(self.0.lock().unwrap(), |s| s.is_some()).unwrap();
            *slot = Some(item);
            drop(slot);
            self.1.notify_all();
        }
        fn take(&self) -> u64 {
            let mut slot = self.1.wait_while(self.0.lock().unwrap(), |s| s.is_none()).unwrap();
            let item = slot.take().unwrap();
            drop(slot);
            self.1.notify_all();
            item
        }
    }

    struct ParkingLotBox(parking_lot::Mutex<Option<u64>>, parking_lot::Condvar);
    impl Mailbox for ParkingLotBox {
        const NAME: &'static str = "parking_lot Mutex + Condvar";
        fn new() -> Self {
            ParkingLotBox(parking_lot::Mutex::new(None), parking_lot::Condvar::new())
        }
        fn put(&self, item: u64) {
            let mut slot = self.0.lock();
            self.1.wait_while(&mut slot, |s| s.is_some());
            *slot = Some(item);
            drop(slot);
            self.1.notify_all();
        }
        fn take(&self) -> u64 {
            let mut slot = self.0.lock();
            self.1.wait_while(&mut slot, |s| s.is_none());
            let item = slot.take().unwrap();
            drop(slot);
            self.1.notify_all();
            item
        }
    }

    struct OursBox<B>(generic::Mutex<B, Option<u64>>, generic::Condvar<B>);
    impl<B: Named> Mailbox for OursBox<B> {
        const NAME: &'static str = B::CONDVAR;
        fn new() -> Self {
            OursBox(generic::Mutex::new(None), generic::Condvar::new())
        }
        fn put(&self, item: u64) {
            let mut slot = self.0.lock();
            self.1.wait_while(&mut slot, |s| s.is_some());
            *slot = Some(item);
            drop(slot);
            self.1.notify_all();
        }
        fn take(&self) -> u64 {
            let mut slot = self.0.lock();
            self.1.wait_while(&mut slot, |s| s.is_none());
            let item = slot.take().unwrap();
            drop(slot);
            self.1.notify_all();
            item
        }
    }

    // -----------------------------------------------------------------------------------------
    // Measurements

    fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
        xs.sort_by(|a, b| a.total_cmp(b));
        (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
    }

    /// ns per lock + unlock, one thread.
    fn uncontended<L: Lock>() -> f64 {
        const N: u32 = 2_000_000;
        let lock = L::new();
        let start = Instant::now();
        for _ in 0..N {
            black_box(&lock).bump();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(N)
    }

    /// `threads` threads bump for `RUN`: (M ops/s, each thread's count). With `timed`, every
    /// acquisition is timed and the longest wait (µs) is returned instead of the throughput
    /// mattering.
    fn contended<L: Lock>(threads: usize, timed: bool) -> (f64, Vec<u64>, f64) {
        let lock = Arc::new(L::new());
        let stop = Arc::new(AtomicBool::new(false));
        let go = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (lock, stop, go) = (lock.clone(), stop.clone(), go.clone());
                thread::spawn(move || {
                    let (mut count, mut longest) = (0u64, Duration::ZERO);
                    go.wait();
                    while !stop.load(Relaxed) {
                        if timed {
                            let asked = Instant::now();
                            lock.bump();
                            longest = longest.max(asked.elapsed());
                        } else {
                            lock.bump();
                        }
                        count += 1;
                    }
                    (count, longest)
                })
            })
            .collect();
        go.wait();
        let start = Instant::now();
        thread::sleep(RUN);
        stop.store(true, Relaxed);
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let elapsed = start.elapsed().as_secs_f64();
        let counts: Vec<u64> = results.iter().map(|r| r.0).collect();
        let longest = results.iter().map(|r| r.1).max().unwrap_or_default();
        (counts.iter().sum::<u64>() as f64 / elapsed / 1e6, counts, longest.as_secs_f64() * 1e6)
    }

    /// `readers` readers and `writers` writers for `RUN`: M acquisitions per second, and the
    /// writers' part of them (a lock that lets a writer run alone scores more acquisitions).
    /// This thread's voluntary context switches so far (`/proc`): each is a sleep, a futex
    /// wait that blocked or a yield that gave the processor away.
    fn sleeps() -> u64 {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    /// M acquisitions per second, the writers' part of them (%), and sleeps per 1000
    /// acquisitions (all threads).
    fn rwlock<L: RwSubject>(readers: usize, writers: usize) -> (f64, f64, f64) {
        let lock = Arc::new(L::new());
        let stop = Arc::new(AtomicBool::new(false));
        let go = Arc::new(Barrier::new(readers + writers + 1));
        let handles: Vec<_> = (0..readers + writers)
            .map(|i| {
                let (lock, stop, go) = (lock.clone(), stop.clone(), go.clone());
                thread::spawn(move || {
                    let mut count = 0u64;
                    go.wait();
                    let before = sleeps();
                    while !stop.load(Relaxed) {
                        if i < readers {
                            black_box(lock.read());
                        } else {
                            lock.write();
                        }
                        count += 1;
                    }
                    (count, sleeps() - before)
                })
            })
            .collect();
        go.wait();
        let start = Instant::now();
        thread::sleep(RUN);
        stop.store(true, Relaxed);
        let results: Vec<(u64, u64)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let elapsed = start.elapsed().as_secs_f64();
        let total: u64 = results.iter().map(|r| r.0).sum();
        let written: u64 = results[readers..].iter().map(|r| r.0).sum();
        let slept: u64 = results.iter().map(|r| r.1).sum();
        (
            total as f64 / elapsed / 1e6,
            written as f64 / total.max(1) as f64 * 100.0,
            slept as f64 * 1000.0 / total.max(1) as f64,
        )
    }

    /// µs per item through a one-slot mailbox, one producer and one consumer.
    fn hand_off<M: Mailbox>() -> f64 {
        const ITEMS: u64 = 20_000;
        let mailbox = Arc::new(M::new());
        let start = Instant::now();
        let consumer = {
            let mailbox = mailbox.clone();
            thread::spawn(move || (0..ITEMS).map(|_| mailbox.take()).sum::<u64>())
        };
        (0..ITEMS).for_each(|i| mailbox.put(i));
        assert_eq!(consumer.join().unwrap(), ITEMS * (ITEMS - 1) / 2);
        start.elapsed().as_secs_f64() * 1e6 / ITEMS as f64
    }

    // -----------------------------------------------------------------------------------------
    // The report

    /// One printed row, kept for the chart.
    struct Row {
        group: String,
        name: &'static str,
        value: f64,
        /// Bigger is better (throughput) or smaller is (time).
        higher_is_better: bool,
    }

    fn print_header(title: &str, unit: &str) {
        println!("\n{title}");
        println!("  {:<28} {:>10} {:>19} {:>9}", "subject", unit, "spread", "vs std");
    }

    fn print_row(name: &str, (mid, lo, hi): (f64, f64, f64), baseline: f64, higher: bool) {
        let ratio = if higher { mid / baseline } else { baseline / mid };
        println!("  {name:<28} {mid:>10.2} {:>19} {ratio:>8.2}x", format!("{lo:.2}..{hi:.2}"));
    }

    fn uncontended_row<L: Lock>(rows: &mut Vec<Row>, baseline: &mut Option<f64>) {
        let m = median((0..REPEATS).map(|_| uncontended::<L>()).collect());
        let base = *baseline.get_or_insert(m.0);
        print_row(L::NAME, m, base, false);
        rows.push(Row {
            group: "uncontended".into(),
            name: L::NAME,
            value: m.0,
            higher_is_better: false,
        });
    }

    fn contended_row<L: Lock>(threads: usize, rows: &mut Vec<Row>, baseline: &mut Option<f64>) {
        let runs: Vec<_> = (0..REPEATS).map(|_| contended::<L>(threads, false)).collect();
        let m = median(runs.iter().map(|r| r.0).collect());
        // Shares of the median run, in percent of an equal share.
        let mid =
            runs.iter().min_by(|a, b| (a.0 - m.0).abs().total_cmp(&(b.0 - m.0).abs())).unwrap();
        let total: u64 = mid.1.iter().sum();
        let equal = total as f64 / threads as f64;
        let shares: Vec<f64> = mid.1.iter().map(|&c| c as f64 / equal * 100.0).collect();
        let (smin, smax) = shares.iter().fold((f64::MAX, 0f64), |(a, b), &s| (a.min(s), b.max(s)));
        let longest = median((0..3).map(|_| contended::<L>(threads, true).2).collect()).0;
        let base = *baseline.get_or_insert(m.0);
        print_row(L::NAME, m, base, true);
        println!(
            "  {:<28} shares {smin:>5.0}%..{smax:<5.0}% of equal; longest wait {longest:>9.0} µs",
            ""
        );
        rows.push(Row {
            group: format!("contended, {threads} threads"),
            name: L::NAME,
            value: m.0,
            higher_is_better: true,
        });
    }

    fn rwlock_row<L: RwSubject>(
        group: &str,
        readers: usize,
        writers: usize,
        rows: &mut Vec<Row>,
        baseline: &mut Option<f64>,
    ) {
        let runs: Vec<_> = (0..REPEATS).map(|_| rwlock::<L>(readers, writers)).collect();
        let m = median(runs.iter().map(|r| r.0).collect());
        let writes = median(runs.iter().map(|r| r.1).collect()).0;
        let slept = median(runs.iter().map(|r| r.2).collect()).0;
        let base = *baseline.get_or_insert(m.0);
        print_row(L::NAME, m, base, true);
        println!(
            "  {:<28} writes {writes:>5.1}% of the acquisitions, {slept:.2} sleeps per 1000",
            ""
        );
        rows.push(Row { group: group.into(), name: L::NAME, value: m.0, higher_is_better: true });
    }

    fn hand_off_row<M: Mailbox>(rows: &mut Vec<Row>, baseline: &mut Option<f64>) {
        let m = median((0..REPEATS).map(|_| hand_off::<M>()).collect());
        let base = *baseline.get_or_insert(m.0);
        print_row(M::NAME, m, base, false);
        rows.push(Row {
            group: "Condvar hand-off".into(),
            name: M::NAME,
            value: m.0,
            higher_is_better: false,
        });
    }

    macro_rules! locks {
        ($f:ident $(, $arg:expr)*) => {{
            let mut baseline = None;
            $f::<Std>($($arg,)* &mut ROWS.lock().unwrap(), &mut baseline);
            $f::<ParkingLot>($($arg,)* &mut ROWS.lock().unwrap(), &mut baseline);
            $f::<Spin>($($arg,)* &mut ROWS.lock().unwrap(), &mut baseline);
            $f::<Ours<Linux>>($($arg,)* &mut ROWS.lock().unwrap(), &mut baseline);
            $f::<Ours<Counted<Linux>>>($($arg,)* &mut ROWS.lock().unwrap(), &mut baseline);
            $f::<Ours<Queue>>($($arg,)* &mut ROWS.lock().unwrap(), &mut baseline);
        }};
    }

    static ROWS: std::sync::Mutex<Vec<Row>> = std::sync::Mutex::new(Vec::new());

    pub fn main() {
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        println!("portable-futex sync benchmark: {cpus} CPUs, median of {REPEATS} runs");

        print_header("Mutex, uncontended: lock + unlock", "ns");
        locks!(uncontended_row);
        for threads in [2, 4] {
            print_header(&format!("Mutex, contended, {threads} threads: counter bump"), "M ops/s");
            locks!(contended_row, threads);
        }

        for (group, readers, writers) in [
            ("RwLock, read-mostly (4 readers, 1 writer)", 4, 1),
            ("RwLock, write-heavy (2 readers, 2 writers)", 2, 2),
        ] {
            print_header(group, "M ops/s");
            let mut baseline = None;
            let rows = &mut ROWS.lock().unwrap();
            rwlock_row::<StdRw>(group, readers, writers, rows, &mut baseline);
            rwlock_row::<ParkingLotRw>(group, readers, writers, rows, &mut baseline);
            rwlock_row::<OursRw<Linux>>(group, readers, writers, rows, &mut baseline);
            rwlock_row::<OursRw<Counted<Linux>>>(group, readers, writers, rows, &mut baseline);
            rwlock_row::<OursRw<Queue>>(group, readers, writers, rows, &mut baseline);
        }

        print_header("Condvar hand-off: one producer, one consumer, one slot", "µs/item");
        {
            let mut baseline = None;
            let rows = &mut ROWS.lock().unwrap();
            hand_off_row::<StdBox>(rows, &mut baseline);
            hand_off_row::<ParkingLotBox>(rows, &mut baseline);
            hand_off_row::<OursBox<Linux>>(rows, &mut baseline);
            hand_off_row::<OursBox<Counted<Linux>>>(rows, &mut baseline);
            hand_off_row::<OursBox<Queue>>(rows, &mut baseline);
        }

        if let Some(path) = std::env::var_os("SYNC_BENCH_SVG") {
            let svg = chart(&ROWS.lock().unwrap(), cpus);
            std::fs::write(&path, svg).expect("write the chart");
            println!("\nchart: {}", path.to_string_lossy());
        }
    }

    /// `text` with XML's special characters escaped (`Counted<Linux>`).
    fn xml(text: &str) -> String {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    }

    /// A horizontal bar chart of every row, as "times std's" (longer is better), grouped.
    fn chart(rows: &[Row], cpus: usize) -> String {
        let bar_h = 14.0;
        let label_w = 190.0;
        let scale_w = 360.0;
        let mut y = 40.0;
        let mut body = String::new();
        let mut groups: Vec<&str> = Vec::new();
        for row in rows {
            if !groups.contains(&row.group.as_str()) {
                groups.push(&row.group);
            }
        }
        let max_ratio = 4.0f64;
        for group in groups {
            let members: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
            let base = members[0].value;
            body += &format!(
                "<text x=\"4\" y=\"{:.0}\" font-weight=\"bold\">{}</text>\n",
                y + 10.0,
                xml(group)
            );
            y += 16.0;
            for row in members {
                let ratio = if row.higher_is_better { row.value / base } else { base / row.value };
                let w = (ratio.min(max_ratio) / max_ratio * scale_w).max(1.0);
                let color = if row.name.starts_with("ours") { "#2b6cb0" } else { "#a0aec0" };
                body += &format!(
                    "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{}</text>\
                     <rect x=\"{label_w}\" y=\"{:.0}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{color}\"/>\
                     <text x=\"{:.0}\" y=\"{:.0}\">{ratio:.2}x</text>\n",
                    label_w - 6.0,
                    y + 11.0,
                    xml(row.name),
                    y + 1.0,
                    bar_h - 2.0,
                    label_w + w + 4.0,
                    y + 11.0,
                );
                y += bar_h;
            }
            y += 8.0;
        }
        let x1 = label_w + scale_w / max_ratio;
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" \
             font-family=\"sans-serif\" font-size=\"11\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"4\" y=\"16\" font-size=\"13\">portable-futex sync locks, relative to \
             std (1.00x; longer is better; bars cut at {max_ratio}x), {cpus} CPUs</text>\n\
             <line x1=\"{x1:.0}\" y1=\"28\" x2=\"{x1:.0}\" y2=\"{:.0}\" stroke=\"#e53e3e\" \
             stroke-dasharray=\"3,3\"/>\n{body}</svg>\n",
            label_w + scale_w + 60.0,
            y + 10.0,
            y,
        )
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    println!("the sync benchmark compares against Linux's futex backend: run it on Linux");
}
