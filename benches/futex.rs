//! `cargo bench` (or `cargo xtask bench`): portable-futex beside what its users would pick
//! instead, measured in one run so that the ratios hold on a noisy machine.
//!
//! Subjects: the OS's own call, unwrapped (the baseline of every ratio: `futex(2)` on Linux,
//! `WaitOnAddress` on Windows), `atomic-wait`, `parking_lot_core` (a futex built on
//! park/unpark with a validate closure), and our OS backend, `Counted<OS>` and `Queue` through
//! the front end. `cargo xtask bench` runs it on the Linux host and again under Wine. Each row prints the median, the
//! spread (min..max) and the number of repeats. Multi-thread rows first confirm that their
//! waiters are asleep in the kernel (state S in /proc) before they time anything.

// The baseline is the OS's own call: the benchmark runs on Linux and on Windows (or Wine).
#[cfg(any(target_os = "linux", windows))]
#[path = "common/report.rs"]
mod report;

#[cfg(any(target_os = "linux", windows))]
mod bench {
    use std::hint::black_box;
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use portable_futex::backend::queue::{Bucket, ParkEvent, QueueConfig, SpinLock};
    #[cfg(target_os = "linux")]
    use portable_futex::backend::Linux as Os;
    #[cfg(windows)]
    use portable_futex::backend::Windows as Os;
    use portable_futex::backend::{Counted, Queue, QueueWith};
    use portable_futex::{Futex, FutexBackend, Timeout};

    use crate::report::{sample, Baseline, Row};

    /// What every subject offers: a wait (which may return spuriously), a timed wait (true if it
    /// timed out), and wakes. `None` from `timed` means "not supported".
    trait Subject {
        const NAME: &'static str;
        fn wait(word: &AtomicU32, expect: u32);
        fn timed(word: &AtomicU32, expect: u32, timeout: Duration) -> Option<bool>;
        fn wake_one(word: &AtomicU32);
        fn wake_all(word: &AtomicU32);
    }

    /// The OS's call itself, with no user-space check: the baseline.
    struct Raw;

    #[cfg(target_os = "linux")]
    fn futex(word: &AtomicU32, op: i32, val: u32, timeout: Option<&libc::timespec>) -> i64 {
        let ts = timeout.map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: `word` is a live u32 and `ts` is null or points to a live timespec.
        unsafe {
            libc::syscall(libc::SYS_futex, word.as_ptr(), op | libc::FUTEX_PRIVATE_FLAG, val, ts)
        }
    }

    #[cfg(target_os = "linux")]
    impl Subject for Raw {
        const NAME: &'static str = "raw futex(2)";
        fn wait(word: &AtomicU32, expect: u32) {
            futex(word, libc::FUTEX_WAIT, expect, None);
        }
        fn timed(word: &AtomicU32, expect: u32, timeout: Duration) -> Option<bool> {
            let ts = libc::timespec {
                tv_sec: timeout.as_secs() as libc::time_t,
                tv_nsec: timeout.subsec_nanos() as libc::c_long,
            };
            let rc = futex(word, libc::FUTEX_WAIT, expect, Some(&ts));
            // SAFETY: reading this thread's errno.
            Some(rc < 0 && unsafe { *libc::__errno_location() } == libc::ETIMEDOUT)
        }
        fn wake_one(word: &AtomicU32) {
            futex(word, libc::FUTEX_WAKE, 1, None);
        }
        fn wake_all(word: &AtomicU32) {
            futex(word, libc::FUTEX_WAKE, i32::MAX as u32, None);
        }
    }

    #[cfg(windows)]
    impl Subject for Raw {
        const NAME: &'static str = "raw WaitOnAddress";
        fn wait(word: &AtomicU32, expect: u32) {
            Self::wait_ms(word, expect, u32::MAX);
        }
        fn timed(word: &AtomicU32, expect: u32, timeout: Duration) -> Option<bool> {
            let ms = timeout.as_nanos().div_ceil(1_000_000).min(u32::MAX as u128 - 1) as u32;
            Some(!Self::wait_ms(word, expect, ms))
        }
        fn wake_one(word: &AtomicU32) {
            // SAFETY: the address is only a key.
            unsafe {
                windows_sys::Win32::System::Threading::WakeByAddressSingle(word.as_ptr().cast())
            }
        }
        fn wake_all(word: &AtomicU32) {
            // SAFETY: the address is only a key.
            unsafe { windows_sys::Win32::System::Threading::WakeByAddressAll(word.as_ptr().cast()) }
        }
    }

    #[cfg(windows)]
    impl Raw {
        /// `false` when it timed out.
        fn wait_ms(word: &AtomicU32, expect: u32, ms: u32) -> bool {
            // SAFETY: `word` and `expect` are live 4-byte values for the whole call.
            let woken = unsafe {
                windows_sys::Win32::System::Threading::WaitOnAddress(
                    word.as_ptr().cast(),
                    (&expect as *const u32).cast(),
                    4,
                    ms,
                )
            };
            woken != 0
        }
    }

    struct AtomicWait;

    impl Subject for AtomicWait {
        const NAME: &'static str = "atomic-wait";
        fn wait(word: &AtomicU32, expect: u32) {
            atomic_wait::wait(word, expect);
        }
        fn timed(_: &AtomicU32, _: u32, _: Duration) -> Option<bool> {
            None // no timeouts in its API
        }
        fn wake_one(word: &AtomicU32) {
            atomic_wait::wake_one(word);
        }
        fn wake_all(word: &AtomicU32) {
            atomic_wait::wake_all(word);
        }
    }

    /// `parking_lot_core` as a futex: the closest peer of the queue backend.
    struct PlCore;

    impl PlCore {
        fn park(word: &AtomicU32, expect: u32, deadline: Option<Instant>) -> bool {
            // SAFETY: the callbacks neither panic nor call into parking_lot.
            let result = unsafe {
                parking_lot_core::park(
                    word as *const AtomicU32 as usize,
                    || word.load(Ordering::SeqCst) == expect,
                    || {},
                    |_, _| {},
                    parking_lot_core::DEFAULT_PARK_TOKEN,
                    deadline,
                )
            };
            matches!(result, parking_lot_core::ParkResult::TimedOut)
        }
    }

    impl Subject for PlCore {
        const NAME: &'static str = "parking_lot_core";
        fn wait(word: &AtomicU32, expect: u32) {
            Self::park(word, expect, None);
        }
        fn timed(word: &AtomicU32, expect: u32, timeout: Duration) -> Option<bool> {
            Some(Self::park(word, expect, Instant::now().checked_add(timeout)))
        }
        fn wake_one(word: &AtomicU32) {
            // SAFETY: as above.
            unsafe {
                parking_lot_core::unpark_one(word as *const AtomicU32 as usize, |_| {
                    parking_lot_core::DEFAULT_UNPARK_TOKEN
                })
            };
        }
        fn wake_all(word: &AtomicU32) {
            // SAFETY: as above.
            unsafe {
                parking_lot_core::unpark_all(
                    word as *const AtomicU32 as usize,
                    parking_lot_core::DEFAULT_UNPARK_TOKEN,
                )
            };
        }
    }

    /// One of our backends, through the front end.
    struct Ours<B>(std::marker::PhantomData<B>);

    trait Named {
        const NAME: &'static str;
    }
    #[cfg(target_os = "linux")]
    impl Named for Os {
        const NAME: &'static str = "portable-futex Linux";
    }
    #[cfg(target_os = "linux")]
    impl Named for Counted<Os> {
        const NAME: &'static str = "portable-futex Counted<Linux>";
    }
    #[cfg(windows)]
    impl Named for Os {
        const NAME: &'static str = "portable-futex Windows";
    }
    #[cfg(windows)]
    impl Named for Counted<Os> {
        const NAME: &'static str = "portable-futex Counted<Windows>";
    }
    impl Named for Queue {
        const NAME: &'static str = "portable-futex Queue";
    }
    impl Named for QueueWith<OneBucket> {
        const NAME: &'static str = "portable-futex Queue, 1 bucket";
    }

    impl<B: FutexBackend + Named> Subject for Ours<B> {
        const NAME: &'static str = B::NAME;
        fn wait(word: &AtomicU32, expect: u32) {
            Futex::<B>::wait(word, expect);
        }
        fn timed(word: &AtomicU32, expect: u32, timeout: Duration) -> Option<bool> {
            Some(Futex::<B>::timed_wait(word, expect, timeout) == Err(Timeout))
        }
        fn wake_one(word: &AtomicU32) {
            Futex::<B>::wake(word, 1);
        }
        fn wake_all(word: &AtomicU32) {
            Futex::<B>::wake(word, u32::MAX);
        }
    }

    /// The row of the front end's look for async waiters: our wakes with nobody waiting,
    /// through the front end and past it.
    fn wake_front_end_cost() -> Vec<Row> {
        /// Backend `B`'s wake called directly, without the front end: what a wake cost before
        /// the front end looked for async waiters (`wait_async`) first.
        fn direct<B: FutexBackend + Named>() -> Row {
            let word = AtomicU32::new(0);
            Row::new(
                format!("{}, backend's wake alone", B::NAME),
                sample(15, 20_000, |n| (0..n).for_each(|_| B::wake(black_box(&word), 1))),
            )
        }
        vec![
            wake_no_waiters::<Ours<Counted<Os>>>(),
            direct::<Counted<Os>>(),
            wake_no_waiters::<Ours<Queue>>(),
            direct::<Queue>(),
        ]
    }

    /// The queue with every address in one bucket: only the treap keeps lookups short.
    struct OneBucket;

    impl QueueConfig for OneBucket {
        type Lock = SpinLock;
        type Event = ParkEvent;
        fn buckets() -> &'static [Bucket<SpinLock, ParkEvent>] {
            static BUCKETS: [Bucket<SpinLock, ParkEvent>; 1] = Bucket::table();
            &BUCKETS
        }
    }

    // ---------------------------------------------------------------------------------------
    // Measuring and printing

    // ---------------------------------------------------------------------------------------
    // Confirming that waiters are asleep

    /// This thread's id, for `/proc/self/task/<tid>/stat`.
    #[cfg(target_os = "linux")]
    fn tid() -> u32 {
        let link = std::fs::read_link("/proc/thread-self").unwrap();
        link.file_name().unwrap().to_str().unwrap().parse().unwrap()
    }

    /// Windows shows no thread states this simply: give the threads time to fall asleep.
    #[cfg(windows)]
    fn tid() -> u32 {
        0
    }

    #[cfg(windows)]
    fn until_asleep(tids: &[u32]) {
        thread::sleep(Duration::from_millis(50 + tids.len() as u64 / 4));
    }

    /// Waits until every thread is asleep (state S); panics after 10 s.
    #[cfg(target_os = "linux")]
    fn until_asleep(tids: &[u32]) {
        let start = Instant::now();
        for tid in tids {
            loop {
                let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
                    .unwrap_or_default();
                let state =
                    stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
                if state == Some('S') {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "thread {tid} never fell asleep"
                );
                thread::sleep(Duration::from_micros(200));
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // The scenarios

    fn wake_no_waiters<S: Subject>() -> Row {
        let word = AtomicU32::new(0);
        Row::new(
            S::NAME,
            sample(15, 20_000, |n| (0..n).for_each(|_| S::wake_one(black_box(&word)))),
        )
    }

    fn wait_mismatch<S: Subject>() -> Row {
        let word = AtomicU32::new(1);
        Row::new(S::NAME, sample(15, 20_000, |n| (0..n).for_each(|_| S::wait(black_box(&word), 0))))
    }

    fn timed_wait<S: Subject>(timeout: Duration) -> Option<Row> {
        let word = AtomicU32::new(0);
        S::timed(&word, 0, timeout)?;
        let iters = if timeout.is_zero() { 20_000 } else { 100 };
        Some(Row::new(
            S::NAME,
            sample(15, iters, |n| {
                (0..n).for_each(|_| {
                    S::timed(black_box(&word), 0, timeout);
                })
            }),
        ))
    }

    /// How long past 1 ms a 1 ms timed wait returns.
    fn overshoot<S: Subject>() -> Option<Row> {
        let word = AtomicU32::new(0);
        S::timed(&word, 0, Duration::from_millis(1))?;
        let samples = (0..31)
            .map(|_| {
                let start = Instant::now();
                S::timed(&word, 0, Duration::from_millis(1));
                start.elapsed().as_nanos() as f64 - 1e6
            })
            .collect();
        Some(Row::new(S::NAME, samples))
    }

    /// Pins the calling thread to the `k`-th CPU it may run on (modulo their number), so that
    /// two threads handing work back and forth really run on two cores: unpinned, the
    /// scheduler sometimes stacks them on one and a round trip costs ten times more.
    #[cfg(target_os = "linux")]
    fn pin(k: usize) {
        // SAFETY: `cpu_set_t` is plain bits, valid zeroed; the CPU_* macros stay within it;
        // `sched_*affinity(0, ..)` acts on the calling thread only.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut allowed);
            let cpus: Vec<usize> =
                (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &allowed)).collect();
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpus[k % cpus.len()], &mut one);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one);
        }
    }

    #[cfg(windows)]
    fn pin(_k: usize) {}

    fn ping_pong<S: Subject>() -> Row {
        let word = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let partner = {
            let (word, stop) = (word.clone(), stop.clone());
            thread::spawn(move || {
                pin(1);
                loop {
                    let v = word.load(Ordering::Acquire);
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    if v % 2 == 1 {
                        word.store(v + 1, Ordering::Release);
                        S::wake_one(&word);
                    } else {
                        S::wait(&word, v);
                    }
                }
            })
        };
        let driver = {
            let word = word.clone();
            thread::spawn(move || {
                pin(0);
                sample(9, 1_000, |n| {
                    for _ in 0..n {
                        let v = word.fetch_add(1, Ordering::AcqRel) + 1;
                        S::wake_one(&word);
                        while word.load(Ordering::Acquire) == v {
                            S::wait(&word, v);
                        }
                    }
                })
            })
        };
        let samples = driver.join().unwrap();
        stop.store(true, Ordering::Release);
        word.fetch_add(2, Ordering::AcqRel);
        S::wake_one(&word);
        partner.join().unwrap();
        Row::new(S::NAME, samples)
    }

    /// `n` threads asleep on one word; the time from one wake-all until all have returned.
    fn broadcast<S: Subject>(n: usize) -> Row {
        let samples = (0..7)
            .map(|_| {
                let word = Arc::new(AtomicU32::new(0));
                let returned = Arc::new(AtomicUsize::new(0));
                let (tx, rx) = std::sync::mpsc::channel();
                let threads: Vec<_> = (0..n)
                    .map(|_| {
                        let (word, returned, tx) = (word.clone(), returned.clone(), tx.clone());
                        thread::Builder::new()
                            .stack_size(64 << 10)
                            .spawn(move || {
                                tx.send(tid()).unwrap();
                                while word.load(Ordering::Acquire) == 0 {
                                    S::wait(&word, 0);
                                }
                                returned.fetch_add(1, Ordering::AcqRel);
                            })
                            .unwrap()
                    })
                    .collect();
                until_asleep(&rx.iter().take(n).collect::<Vec<_>>());
                let start = Instant::now();
                word.store(1, Ordering::Release);
                S::wake_all(&word);
                while returned.load(Ordering::Acquire) < n {
                    std::hint::spin_loop();
                }
                let elapsed = start.elapsed();
                threads.into_iter().for_each(|t| t.join().unwrap());
                elapsed.as_nanos() as f64
            })
            .collect();
        Row::new(S::NAME, samples)
    }

    /// `n` threads each asleep on its own word, woken one by one; cost per wake + return.
    fn many_addresses<S: Subject>(n: usize) -> Row {
        let samples = (0..5)
            .map(|_| {
                let words: Arc<Vec<AtomicU32>> =
                    Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
                let returned = Arc::new(AtomicUsize::new(0));
                let (tx, rx) = std::sync::mpsc::channel();
                let threads: Vec<_> = (0..n)
                    .map(|i| {
                        let (words, returned, tx) = (words.clone(), returned.clone(), tx.clone());
                        thread::Builder::new()
                            .stack_size(64 << 10)
                            .spawn(move || {
                                tx.send(tid()).unwrap();
                                while words[i].load(Ordering::Acquire) == 0 {
                                    S::wait(&words[i], 0);
                                }
                                returned.fetch_add(1, Ordering::AcqRel);
                            })
                            .unwrap()
                    })
                    .collect();
                until_asleep(&rx.iter().take(n).collect::<Vec<_>>());
                let start = Instant::now();
                for word in words.iter() {
                    word.store(1, Ordering::Release);
                    S::wake_one(word);
                }
                while returned.load(Ordering::Acquire) < n {
                    std::hint::spin_loop();
                }
                let elapsed = start.elapsed();
                threads.into_iter().for_each(|t| t.join().unwrap());
                elapsed.as_nanos() as f64 / n as f64
            })
            .collect();
        Row::new(format!("{}, {n} addresses", S::NAME), samples)
    }

    /// The classic three-state futex mutex (0 free, 1 locked, 2 locked with waiters), counting
    /// how often it had to sleep.
    struct FutexMutex<S> {
        state: AtomicU32,
        sleeps: AtomicUsize,
        _subject: std::marker::PhantomData<fn() -> S>,
    }

    impl<S: Subject> FutexMutex<S> {
        fn new() -> Self {
            Self {
                state: AtomicU32::new(0),
                sleeps: AtomicUsize::new(0),
                _subject: std::marker::PhantomData,
            }
        }
        fn lock(&self) {
            if self.state.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return;
            }
            // Spin a little before sleeping, as real mutexes do.
            for _ in 0..100 {
                std::hint::spin_loop();
                if self.state.load(Ordering::Relaxed) == 0
                    && self
                        .state
                        .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                {
                    return;
                }
            }
            while self.state.swap(2, Ordering::Acquire) != 0 {
                self.sleeps.fetch_add(1, Ordering::Relaxed);
                S::wait(&self.state, 2);
            }
        }
        fn unlock(&self) {
            if self.state.swap(0, Ordering::Release) == 2 {
                S::wake_one(&self.state);
            }
        }
    }

    /// `threads` threads each take the lock `OPS` times around a short critical section.
    const OPS: usize = 20_000;

    fn contended<L: Sync>(
        threads: usize,
        lock: &L,
        with: impl Fn(&L, &mut dyn FnMut()) + Sync,
    ) -> f64 {
        let counter = AtomicUsize::new(0);
        let start = Instant::now();
        thread::scope(|s| {
            for t in 0..threads {
                let (counter, with) = (&counter, &with);
                s.spawn(move || {
                    // Spread the threads over the cores, as evenly every run.
                    pin(t);
                    for _ in 0..OPS {
                        with(lock, &mut || {
                            // A short critical section: a few dependent loads and stores.
                            let v = counter.load(Ordering::Relaxed);
                            for _ in 0..20 {
                                std::hint::spin_loop();
                            }
                            counter.store(v + 1, Ordering::Relaxed);
                        });
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::Relaxed), threads * OPS, "the lock let two in");
        start.elapsed().as_nanos() as f64 / (threads * OPS) as f64
    }

    fn mutex_row<S: Subject>(threads: usize) -> Row {
        let mut sleeps = 0;
        let samples = (0..5)
            .map(|_| {
                let mutex = FutexMutex::<S>::new();
                let ns = contended(threads, &mutex, |m, f| {
                    m.lock();
                    f();
                    m.unlock();
                });
                sleeps += mutex.sleeps.load(Ordering::Relaxed);
                ns
            })
            .collect();
        let mut row = Row::new(format!("{} mutex, {threads} threads", S::NAME), samples);
        row.note =
            format!("{:.0} sleeps / 1000 ops", sleeps as f64 * 1000.0 / (5 * threads * OPS) as f64);
        row
    }

    fn std_mutex_row(threads: usize) -> Row {
        let mutex = std::sync::Mutex::new(());
        let samples = (0..5)
            .map(|_| {
                contended(threads, &mutex, |m, f| {
                    let _g = m.lock().unwrap();
                    f();
                })
            })
            .collect();
        Row::new(format!("std::sync::Mutex, {threads} threads"), samples)
    }

    fn parking_lot_mutex_row(threads: usize) -> Row {
        let mutex = parking_lot::Mutex::new(());
        let samples = (0..5)
            .map(|_| {
                contended(threads, &mutex, |m, f| {
                    let _g = m.lock();
                    f();
                })
            })
            .collect();
        Row::new(format!("parking_lot::Mutex, {threads} threads"), samples)
    }

    macro_rules! every_subject {
        ($scenario:ident $(, $arg:expr)*) => {
            [
                $scenario::<Raw>($($arg),*),
                $scenario::<AtomicWait>($($arg),*),
                $scenario::<PlCore>($($arg),*),
                $scenario::<Ours<Os>>($($arg),*),
                $scenario::<Ours<Counted<Os>>>($($arg),*),
                $scenario::<Ours<Queue>>($($arg),*),
            ]
        };
    }

    pub fn main() {
        // `cargo test --benches` runs this binary without `--bench`: keep that instant.
        if !std::env::args().any(|a| a == "--bench") {
            return;
        }
        let start = Instant::now();
        println!(
            "portable-futex benchmarks: {} CPUs, {}",
            thread::available_parallelism().map_or(0, |n| n.get()),
            if cfg!(windows) {
                "Windows (under Wine here: Wine's timings are not Windows')".to_owned()
            } else {
                std::fs::read_to_string("/proc/sys/kernel/osrelease")
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            }
        );
        crate::report::print(
            "wake, nobody waiting (per call)",
            &every_subject!(wake_no_waiters),
            Baseline::Raw,
        );
        crate::report::print(
            "wake, nobody waiting: through the front end (which looks for async waiters first) \
             and the backend's own wake",
            &wake_front_end_cost(),
            Baseline::First,
        );
        crate::report::print(
            "wait, value mismatch (per call)",
            &every_subject!(wait_mismatch),
            Baseline::Raw,
        );
        let zero: Vec<Row> =
            every_subject!(timed_wait, Duration::ZERO).into_iter().flatten().collect();
        crate::report::print("timed wait, zero timeout (per call)", &zero, Baseline::Raw);
        let micro: Vec<Row> =
            every_subject!(timed_wait, Duration::from_micros(1)).into_iter().flatten().collect();
        crate::report::print("timed wait, 1 µs timeout (per call)", &micro, Baseline::Raw);
        let over: Vec<Row> = every_subject!(overshoot).into_iter().flatten().collect();
        crate::report::print(
            "overshoot of a 1 ms timed wait (time past 1 ms)",
            &over,
            Baseline::Raw,
        );
        crate::report::print(
            "ping-pong between two threads (round trip)",
            &every_subject!(ping_pong),
            Baseline::Raw,
        );
        crate::report::print(
            "broadcast: 64 threads asleep on one word, wake-all until all returned",
            &every_subject!(broadcast, 64),
            Baseline::Raw,
        );
        let mut many = Vec::new();
        // Wine's threads are heavy: fewer of them there.
        let sizes: &[usize] = if cfg!(windows) { &[16, 256] } else { &[16, 256, 4096] };
        for &n in sizes {
            many.extend(every_subject!(many_addresses, n));
            many.push(many_addresses::<Ours<QueueWith<OneBucket>>>(n));
        }
        crate::report::print(
            "many addresses: n threads each on its own word, per wake + return",
            &many,
            Baseline::Raw,
        );
        for threads in [2, 4] {
            let mut rows = Vec::from(every_subject!(mutex_row, threads));
            rows.push(std_mutex_row(threads));
            rows.push(parking_lot_mutex_row(threads));
            crate::report::print(
                &format!("contended three-state mutex, {threads} threads (per lock + unlock)"),
                &rows,
                Baseline::Raw,
            );
        }
        println!("\ntotal {:.0?}", start.elapsed());
    }
}

fn main() {
    #[cfg(any(target_os = "linux", windows))]
    bench::main();
    #[cfg(not(any(target_os = "linux", windows)))]
    println!("the benchmarks compare against the OS's own call: Linux and Windows only");
}
