//! `cargo bench --bench process_shared`: the process-shared futex beside the private one, on
//! Linux.
//!
//! Rows, each with its median, spread (min..max) and number of repeats, and its ratio to the
//! first row of its table (the private raw `futex(2)`):
//!
//! - a wake with nobody waiting: the private key is the address, the shared one needs a walk
//!   of the page tables to find the memory behind it;
//! - a ping-pong round trip: two threads of one process through the private futex, and two
//!   processes (forked) through the shared one on an anonymous `MAP_SHARED` mapping; the raw
//!   system call and our front end (`Linux`, `Shared<Linux>`) each. Both sides are pinned to
//!   distinct cores, as in `benches/futex.rs`;
//! - what a killed waiter's liveness costs the locks: a `RawMutex` and a `RawRwLock` (writers)
//!   contended by four workers with a short critical section, nanoseconds per lock-unlock
//!   pair and the futex waits (sleeps) per 1000 pairs. On `Linux` (threads) the mutex wakes
//!   one waiter per unlock and marks it on its way; on `Shared<Linux>` (threads, then forked
//!   processes) every unlock that finds waiters wakes all of them, so that a waiter killed
//!   after its wake strands nobody (`src/sync/mutex.rs`, "Across processes").

#[cfg(target_os = "linux")]
#[path = "common/report.rs"]
mod report;

#[cfg(target_os = "linux")]
mod bench {
    use std::hint::black_box;
    use std::sync::atomic::{AtomicU32, Ordering::*};
    use std::time::Instant;

    use portable_futex::backend::{Linux, Shared};
    use portable_futex::sync::lock_api::RawRwLock as _;
    use portable_futex::sync::{RawMutex, RawRwLock};
    use portable_futex::{Futex, FutexBackend, Timeout};

    use crate::report::{Baseline, Row};

    /// One wait/wake pair: the raw system call, or a backend through the front end.
    trait Subject {
        const NAME: &'static str;
        fn wait(word: &AtomicU32, expect: u32);
        fn wake(word: &AtomicU32);
    }

    fn raw(word: &AtomicU32, op: i32, val: u32) {
        // SAFETY: `word` is a live u32; no timeout.
        unsafe {
            libc::syscall(libc::SYS_futex, word.as_ptr(), op, val, std::ptr::null::<u8>());
        }
    }

    struct RawPrivate;
    impl Subject for RawPrivate {
        const NAME: &'static str = "raw futex(2), private";
        fn wait(word: &AtomicU32, expect: u32) {
            raw(word, libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG, expect);
        }
        fn wake(word: &AtomicU32) {
            raw(word, libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, 1);
        }
    }

    struct RawShared;
    impl Subject for RawShared {
        const NAME: &'static str = "raw futex(2), shared";
        fn wait(word: &AtomicU32, expect: u32) {
            raw(word, libc::FUTEX_WAIT, expect);
        }
        fn wake(word: &AtomicU32) {
            raw(word, libc::FUTEX_WAKE, 1);
        }
    }

    struct Ours<B>(B);
    impl Subject for Ours<Linux> {
        const NAME: &'static str = "Linux";
        fn wait(word: &AtomicU32, expect: u32) {
            Futex::<Linux>::wait(word, expect);
        }
        fn wake(word: &AtomicU32) {
            Futex::<Linux>::wake(word, 1);
        }
    }
    impl Subject for Ours<Shared<Linux>> {
        const NAME: &'static str = "Shared<Linux>";
        fn wait(word: &AtomicU32, expect: u32) {
            Futex::<Shared<Linux>>::wait(word, expect);
        }
        fn wake(word: &AtomicU32) {
            Futex::<Shared<Linux>>::wake(word, 1);
        }
    }

    /// A word in an anonymous `MAP_SHARED` mapping (zero), shared with children forked after.
    fn shared_word() -> &'static AtomicU32 {
        // SAFETY: a fresh mapping, never unmapped: the `'static` reference stays valid.
        unsafe {
            let address = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(address, libc::MAP_FAILED);
            &*address.cast::<AtomicU32>()
        }
    }

    /// The CPUs this process may use, read once before anything is pinned.
    fn allowed() -> libc::cpu_set_t {
        static ALLOWED: std::sync::OnceLock<libc::cpu_set_t> = std::sync::OnceLock::new();
        *ALLOWED.get_or_init(|| {
            // SAFETY: `cpu_set_t` is plain bits, valid zeroed; this reads the calling thread's
            // mask, which nothing has narrowed yet (the first call comes before any `pin`).
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set);
                set
            }
        })
    }

    /// Pins the calling thread to the `k`-th CPU the process may use (modulo their number),
    /// so that the two sides of a ping-pong really run on two cores.
    fn pin(k: usize) {
        let allowed = allowed();
        // SAFETY: plain bits; the CPU_* macros stay within the set; `sched_setaffinity(0, ..)`
        // acts on the calling thread only.
        unsafe {
            let cpus: Vec<usize> =
                (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &allowed)).collect();
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpus[k % cpus.len()], &mut one);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one);
        }
    }

    /// Gives the calling thread back every CPU the process may use.
    fn unpin() {
        let allowed = allowed();
        // SAFETY: as in `pin`.
        unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &allowed) };
    }

    /// The answering side of a ping-pong: waits for each odd value and answers with the next
    /// even one, `rounds` times.
    fn answer<S: Subject>(word: &AtomicU32, rounds: u32) {
        for round in 0..rounds {
            let want = 2 * round + 1;
            while word.load(Acquire) != want {
                S::wait(word, 2 * round);
            }
            word.store(want + 1, Release);
            S::wake(word);
        }
    }

    /// The asking side: `rounds` round trips, nanoseconds per round trip.
    fn ask<S: Subject>(word: &AtomicU32, rounds: u32) -> f64 {
        let start = Instant::now();
        for round in 0..rounds {
            word.store(2 * round + 1, Release);
            S::wake(word);
            while word.load(Acquire) == 2 * round + 1 {
                S::wait(word, 2 * round + 1);
            }
        }
        start.elapsed().as_nanos() as f64 / f64::from(rounds)
    }

    const ROUNDS: u32 = 2_000;
    const REPEATS: usize = 9;

    /// Round trips between two threads of this process.
    fn ping_pong_threads<S: Subject>() -> Row {
        let samples = (0..REPEATS)
            .map(|_| {
                let word = AtomicU32::new(0);
                std::thread::scope(|s| {
                    s.spawn(|| {
                        pin(1);
                        answer::<S>(&word, ROUNDS);
                    });
                    pin(0);
                    let ns = ask::<S>(&word, ROUNDS);
                    unpin();
                    ns
                })
            })
            .collect();
        Row::new(format!("{}, two threads", S::NAME), samples)
    }

    /// Round trips between this process and a forked child, on a shared mapping.
    fn ping_pong_processes<S: Subject>() -> Row {
        let samples = (0..REPEATS)
            .map(|_| {
                let word = shared_word();
                word.store(0, Relaxed);
                // SAFETY: the benchmark forks only from its main thread, between scoped
                // threads that have all been joined: the process has one thread. The child
                // answers and leaves with `_exit`.
                let pid = unsafe { libc::fork() };
                assert!(pid >= 0, "fork failed");
                if pid == 0 {
                    pin(1);
                    answer::<S>(word, ROUNDS);
                    // SAFETY: ends the child at once.
                    unsafe { libc::_exit(0) }
                }
                pin(0);
                let ns = ask::<S>(word, ROUNDS);
                unpin();
                let mut status = 0;
                // SAFETY: our own child.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
                ns
            })
            .collect();
        Row::new(format!("{}, two processes", S::NAME), samples)
    }

    /// A wake with nobody waiting, on a word in shared memory (both scopes).
    fn wake_nobody<S: Subject>() -> Row {
        let word = shared_word();
        let samples = (0..REPEATS)
            .map(|_| {
                const N: u32 = 20_000;
                let start = Instant::now();
                for _ in 0..N {
                    S::wake(black_box(word));
                }
                start.elapsed().as_nanos() as f64 / f64::from(N)
            })
            .collect();
        Row::new(S::NAME.to_owned(), samples)
    }

    std::thread_local! {
        /// This thread's futex waits through [`Tallied`].
        static WAITS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// `B`, counting the waits that reach it: each is a sleep (or a wake-up that found the
    /// word changed), the cost a herd multiplies.
    struct Tallied<B>(B);
    impl<B: FutexBackend> FutexBackend for Tallied<B> {
        const PROCESS_SHARED: bool = B::PROCESS_SHARED;
        fn wait(
            word: &AtomicU32,
            expect: u32,
            timeout: Option<std::time::Duration>,
        ) -> Result<(), Timeout> {
            WAITS.with(|waits| waits.set(waits.get() + 1));
            B::wait(word, expect, timeout)
        }
        fn wake(word: *const AtomicU32, n: u32) {
            B::wake(word, n)
        }
    }

    /// A lock the contention rows take and release.
    trait Lock {
        fn lock(&self);
        /// # Safety
        ///
        /// The caller holds it.
        unsafe fn unlock(&self);
    }
    impl<B: FutexBackend> Lock for RawMutex<B> {
        fn lock(&self) {
            // The guard state is empty: what the word holds says everything.
            let _ = portable_futex::sync::lock_api::RawMutex::lock(self);
        }
        unsafe fn unlock(&self) {
            let guard = portable_futex::sync::lock_api::GuardSend::new();
            // SAFETY: the caller's promise.
            unsafe { portable_futex::sync::lock_api::RawMutex::unlock(self, guard) }
        }
    }
    impl<B: FutexBackend> Lock for RawRwLock<B> {
        fn lock(&self) {
            let _ = self.lock_exclusive();
        }
        unsafe fn unlock(&self) {
            let guard = portable_futex::sync::lock_api::GuardSend::new();
            // SAFETY: the caller's promise.
            unsafe { self.unlock_exclusive(guard) }
        }
    }

    const WORKERS: usize = 4;
    const PAIRS: u32 = 20_000;

    /// What the workers share: the lock, a counter it guards, and the start line.
    #[repr(C)]
    struct Contended<L> {
        lock: L,
        arrived: AtomicU32,
        count: std::cell::UnsafeCell<u64>,
        /// Each worker's waits, for the processes (whose `WAITS` are their own).
        waits: [std::sync::atomic::AtomicU64; WORKERS],
    }
    // SAFETY: `count` is touched only under `lock`; the rest are atomics.
    unsafe impl<L: Sync> Sync for Contended<L> {}

    /// One worker: `PAIRS` lock-unlock pairs around a short critical section, after every
    /// worker has arrived; its waits go into its slot.
    fn work<L: Lock>(shared: &Contended<L>, me: usize) {
        shared.arrived.fetch_add(1, AcqRel);
        while shared.arrived.load(Acquire) < WORKERS as u32 {
            std::hint::spin_loop();
        }
        let before = WAITS.with(std::cell::Cell::get);
        for _ in 0..PAIRS {
            shared.lock.lock();
            // SAFETY: the lock is held.
            unsafe { *shared.count.get() += 1 };
            for _ in 0..20 {
                std::hint::spin_loop();
            }
            // SAFETY: taken just above.
            unsafe { shared.lock.unlock() };
        }
        shared.waits[me].store(WAITS.with(std::cell::Cell::get) - before, Relaxed);
    }

    /// A fresh `Contended<L>` in a zero-filled `MAP_SHARED` mapping (zero is the initial state
    /// of the locks and of every count), which the caller unmaps through `unmap` once every
    /// worker is done with it (the lifetime is the caller's to keep).
    fn contended<'a, L>() -> &'a Contended<L> {
        assert!(std::mem::size_of::<Contended<L>>() <= 4096);
        // SAFETY: a fresh mapping, zero-filled by the kernel, that fits (asserted); all-zero
        // bytes are a valid `Contended<L>` for the locks benchmarked here (their `new()`).
        unsafe {
            let address = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(address, libc::MAP_FAILED);
            &*address.cast::<Contended<L>>()
        }
    }

    fn unmap<L>(shared: &Contended<L>) {
        // SAFETY: the mapping `contended` made, no longer used by anyone.
        unsafe { libc::munmap(shared as *const Contended<L> as *mut libc::c_void, 4096) };
    }

    /// `WORKERS` threads (or forked processes) contending one lock: nanoseconds per pair,
    /// and the waits per 1000 pairs in the row's note.
    fn contention<L: Lock + Sync>(name: &str, processes: bool) -> Row {
        let mut waits = Vec::new();
        let samples = (0..REPEATS)
            .map(|_| {
                let shared = contended::<L>();
                let start = Instant::now();
                if processes {
                    let pids: Vec<libc::pid_t> = (0..WORKERS)
                        .map(|me| {
                            // SAFETY: forked from the main thread with no other thread alive
                            // (the scoped threads of other rows have been joined); the child
                            // works and leaves with `_exit`.
                            let pid = unsafe { libc::fork() };
                            assert!(pid >= 0, "fork failed");
                            if pid == 0 {
                                work(shared, me);
                                // SAFETY: ends the child at once.
                                unsafe { libc::_exit(0) }
                            }
                            pid
                        })
                        .collect();
                    for pid in pids {
                        let mut status = 0;
                        // SAFETY: our own child.
                        unsafe { libc::waitpid(pid, &mut status, 0) };
                        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
                    }
                } else {
                    std::thread::scope(|s| {
                        for me in 0..WORKERS {
                            s.spawn(move || work(shared, me));
                        }
                    });
                }
                let ns = start.elapsed().as_nanos() as f64 / f64::from(PAIRS * WORKERS as u32);
                // SAFETY: every worker has finished.
                assert_eq!(unsafe { *shared.count.get() }, u64::from(PAIRS) * WORKERS as u64);
                waits.push(shared.waits.iter().map(|w| w.load(Relaxed)).sum::<u64>());
                unmap(shared);
                ns
            })
            .collect();
        waits.sort_unstable();
        let per_1000 = waits[waits.len() / 2] as f64 * 1000.0 / f64::from(PAIRS * WORKERS as u32);
        let mut row = Row::new(name, samples);
        row.note = format!("{per_1000:.0} waits per 1000 pairs");
        row
    }

    /// The contention rows of one lock: `PrivateLock` (on `Linux`) with threads, then
    /// `SharedLock` (the same lock on `Shared<Linux>`) with threads and with processes.
    fn contention_table<PrivateLock: Lock + Sync, SharedLock: Lock + Sync>(lock: &str, what: &str) {
        crate::report::print(
            &format!("{WORKERS} {what}, short critical sections"),
            &[
                contention::<PrivateLock>(&format!("{lock}<Linux>, threads"), false),
                contention::<SharedLock>(&format!("{lock}<Shared<Linux>>, threads"), false),
                contention::<SharedLock>(&format!("{lock}<Shared<Linux>>, processes"), true),
            ],
            Baseline::First,
        );
    }

    pub fn main() {
        allowed(); // before anything is pinned
        crate::report::print(
            "wake, nobody waiting (word in a MAP_SHARED mapping)",
            &[
                wake_nobody::<RawPrivate>(),
                wake_nobody::<Ours<Linux>>(),
                wake_nobody::<RawShared>(),
                wake_nobody::<Ours<Shared<Linux>>>(),
            ],
            Baseline::First,
        );
        crate::report::print(
            &format!("ping-pong round trip ({ROUNDS} per repeat, pinned to 2 cores)"),
            &[
                ping_pong_threads::<RawPrivate>(),
                ping_pong_threads::<Ours<Linux>>(),
                ping_pong_processes::<RawShared>(),
                ping_pong_processes::<Ours<Shared<Linux>>>(),
            ],
            Baseline::First,
        );
        contention_table::<RawMutex<Tallied<Linux>>, RawMutex<Tallied<Shared<Linux>>>>(
            "RawMutex",
            "workers, one lock (per lock-unlock pair)",
        );
        contention_table::<RawRwLock<Tallied<Linux>>, RawRwLock<Tallied<Shared<Linux>>>>(
            "RawRwLock",
            "writers, one RwLock (per write pair)",
        );
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    println!("process_shared: the benchmark forks and calls futex(2): Linux only");
}
