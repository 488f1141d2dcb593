//! The crate's behavioural tests, written once, generic over the backend.
//!
//! Each backend's test file instantiates them with `backend_tests!`. Timing checks are strict
//! on lower bounds (a `Timeout` means the time really passed) and loose on upper bounds: CI
//! machines are shared and noisy.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::{Deadline, Futex, FutexBackend, Requeued, StdClock, Timeout, WordChanged};

pub mod watchdog;

/// Iteration counts shrink under Miri, which runs some thousand times slower.
pub const fn scaled(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// Generous upper bound for "returns promptly" on a loaded machine.
pub const SLACK: Duration = Duration::from_secs(10);

/// Returns an id of the calling thread that `wait_until_asleep` understands.
pub fn thread_id() -> Option<u32> {
    if cfg!(any(miri, not(target_os = "linux"))) {
        return None;
    }
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Waits until each thread is blocked in the kernel (state `S`), where the OS lets us see it;
/// elsewhere it gives the threads a generous moment to get there.
///
/// `S` alone is not enough: a thread also sleeps for a moment on a lock on its way to the wait
/// (under qemu-user, the emulator's own locks as it translates the code the threads run for
/// the first time; an armv7 run once saw every thread `S` there, pulsed an event before they
/// waited, and hung). So once all of them are `S`, each must still be `S` a few milliseconds
/// later with no context switch in between (`voluntary_ctxt_switches` in its `status`): one
/// sleep that lasted, not a moment on a lock.
pub fn wait_until_asleep(tids: &[Option<u32>]) {
    let start = Instant::now();
    for _ in tids.iter().filter(|tid| tid.is_none()) {
        thread::sleep(Duration::from_millis(if cfg!(miri) { 10 } else { 100 }));
    }
    let tids: Vec<u32> = tids.iter().flatten().copied().collect();
    loop {
        let before: Vec<u64> = tids.iter().map(|&tid| asleep_since(tid, start)).collect();
        thread::sleep(Duration::from_millis(5));
        let after: Vec<Option<u64>> = tids.iter().map(|&tid| switches_if_asleep(tid)).collect();
        if before.iter().zip(&after).all(|(b, a)| *a == Some(*b)) {
            return;
        }
        // A waiter that sleeps in slices (an event that polls, as `WfiEvent` on a host) is
        // never asleep for long: after a while, `S` twice will do.
        if start.elapsed() > RESTLESS && after.iter().all(Option::is_some) {
            return;
        }
        assert!(start.elapsed() < SLACK, "threads {tids:?} never stayed asleep");
    }
}

/// How long [`wait_until_asleep`] asks for one sleep that lasts before it settles for threads
/// seen asleep twice in a row (waiters that sleep in slices).
const RESTLESS: Duration = Duration::from_millis(250);

/// Waits until thread `tid` is asleep (`S`); its count of voluntary context switches then.
fn asleep_since(tid: u32, start: Instant) -> u64 {
    loop {
        if let Some(switches) = switches_if_asleep(tid) {
            return switches;
        }
        assert!(start.elapsed() < SLACK, "thread {tid} never went to sleep");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Thread `tid`'s count of voluntary context switches if it is asleep (`S`) now; `None` if it
/// is not (or its files cannot be read). Panics if the thread is gone: it returned from its
/// wait instead of sleeping in it (fail now rather than after `SLACK`: a broken backend would
/// cost that for every thread).
fn switches_if_asleep(tid: u32) -> Option<u64> {
    let read = |file: &str| match std::fs::read_to_string(format!("/proc/self/task/{tid}/{file}")) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("thread {tid} ended instead of going to sleep")
        }
        Err(_) => None,
    };
    // The state follows the parenthesised command name: "tid (name) S ...".
    let stat = read("stat")?;
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    if state != Some('S') {
        return None;
    }
    // Without the count (a kernel or sandbox that does not give it), `S` twice must do.
    let status = read("status").unwrap_or_default();
    let line = status.lines().find(|line| line.starts_with("voluntary_ctxt_switches:"));
    Some(line.and_then(|line| line.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0))
}

/// Polls `cond` until it holds, failing the test after `SLACK`.
pub fn eventually(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < SLACK, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// The seed's smoke test, plus the zero-value cases of the front end.
pub fn smoke<B: FutexBackend>() {
    let value = AtomicU32::new(0);
    // Waits on a value that differs return at once, timed or not.
    Futex::<B>::wait(&value, 0xdead_beef);
    assert_eq!(Futex::<B>::timed_wait(&value, 0xdead_beef, Duration::ZERO), Ok(()));
    assert_eq!(Futex::<B>::timed_wait(&value, 0xdead_beef, Duration::MAX), Ok(()));
    // Timed waits on a matching value that nobody changes time out.
    assert_eq!(Futex::<B>::timed_wait(&value, 0, Duration::ZERO), Err(Timeout));
    assert_eq!(Futex::<B>::timed_wait(&value, 0, Duration::from_millis(1)), Err(Timeout));
    // Wakes with nobody waiting, including "none" and "all".
    Futex::<B>::wake(&value, 0);
    Futex::<B>::wake(&value, 1);
    Futex::<B>::wake(&value, u32::MAX);
    Futex::<B>::wake_ptr(&value, u32::MAX);
    Futex::<B>::wake_ptr(std::ptr::null(), 1);
}

/// `Err(Timeout)` only after the time really passed: strict lower bound, loose upper bound.
pub fn timeout_lower_bound<B: FutexBackend>() {
    let value = AtomicU32::new(7);
    for millis in [1, 5, 20] {
        let timeout = Duration::from_millis(millis);
        let start = Instant::now();
        // A spurious return is allowed; keep waiting for what is left until the timeout.
        let mut result = Ok(());
        while result.is_ok() {
            let left = timeout.saturating_sub(start.elapsed());
            result = Futex::<B>::timed_wait(&value, 7, left);
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= timeout, "Timeout after {elapsed:?}, asked for {timeout:?}");
        assert!(elapsed < timeout + SLACK, "{timeout:?} took {elapsed:?}");
    }
}

/// A single timed wait reports `Timeout` no earlier than asked.
pub fn single_timed_wait_is_not_early<B: FutexBackend>() {
    let value = AtomicU32::new(0);
    let timeout = Duration::from_millis(15);
    let start = Instant::now();
    if Futex::<B>::timed_wait(&value, 0, timeout) == Err(Timeout) {
        assert!(start.elapsed() >= timeout, "Timeout after only {:?}", start.elapsed());
    }
}

/// Spawns a thread that changes `value` to 1 and wakes it after `delay`.
fn wake_later<B: FutexBackend>(value: Arc<AtomicU32>, delay: Duration) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(delay);
        value.store(1, Ordering::Release);
        Futex::<B>::wake(&value, u32::MAX);
    })
}

/// Timeouts too large for any OS neither panic nor report `Timeout`: they wait until woken.
pub fn huge_timeouts_are_clamped_not_reported<B: FutexBackend>() {
    let huge = [
        Duration::MAX,
        Duration::from_secs(u64::MAX),
        Duration::new(i64::MAX as u64, 999_999_999),
        Duration::from_secs(u32::MAX as u64 + 1),
        Duration::from_secs(i32::MAX as u64 + 1),
    ];
    for timeout in huge {
        let value = Arc::new(AtomicU32::new(0));
        let waker = wake_later::<B>(value.clone(), Duration::from_millis(scaled(20, 1) as u64));
        while value.load(Ordering::Acquire) == 0 {
            assert_eq!(Futex::<B>::timed_wait(&value, 0, timeout), Ok(()), "{timeout:?}");
        }
        waker.join().unwrap();
    }
}

/// A blocked `wait` returns after another thread changes the value and wakes it.
pub fn wait_is_woken<B: FutexBackend>() {
    let value = Arc::new(AtomicU32::new(0));
    let waker = wake_later::<B>(value.clone(), Duration::from_millis(10));
    while value.load(Ordering::Acquire) == 0 {
        Futex::<B>::wait(&value, 0);
    }
    waker.join().unwrap();
}

/// The seed's signalling ring: each thread waits for its paddle, then hits the next one.
pub fn signaling_ring<B: FutexBackend>() {
    const THREADS: usize = 4;
    let iterations = scaled(1000, 4) as u32;

    struct Paddle {
        value: AtomicU32,
    }

    let paddles: Arc<Vec<Paddle>> =
        Arc::new((0..THREADS).map(|_| Paddle { value: AtomicU32::new(0) }).collect());
    let hit = |paddle: &Paddle| {
        paddle.value.fetch_add(1, Ordering::Release);
        Futex::<B>::wake(&paddle.value, 1);
    };
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let paddles = paddles.clone();
            thread::spawn(move || {
                let mut current = 0;
                while current < iterations {
                    let mine = &paddles[i].value;
                    let new = loop {
                        let new = mine.load(Ordering::Acquire);
                        if new != current {
                            break new;
                        }
                        Futex::<B>::wait(mine, current);
                    };
                    assert_eq!(new, current + 1);
                    current = new;
                    hit(&paddles[(i + 1) % THREADS]);
                }
                current
            })
        })
        .collect();
    hit(&paddles[0]);
    for t in threads {
        assert_eq!(t.join().unwrap(), iterations);
    }
}

/// The seed's broadcasting barriers: the last thread to arrive wakes all the others.
pub fn broadcasting_barriers<B: FutexBackend>() {
    const THREADS: u32 = 4;
    let iterations = scaled(200, 3);

    struct Barrier {
        count: AtomicU32,
        futex: AtomicU32,
    }

    impl Barrier {
        fn wait<B: FutexBackend>(&self) {
            // Release: what this thread did before the barrier happens before the last arrival.
            let count = self.count.fetch_sub(1, Ordering::AcqRel);
            assert!(count > 0 && count <= THREADS);
            if count == 1 {
                // AcqRel above made every earlier arrival's work visible here; Release on the
                // store passes all of it on to the waiters' Acquire loads.
                self.futex.store(1, Ordering::Release);
                Futex::<B>::wake(&self.futex, THREADS - 1);
                return;
            }
            while self.futex.load(Ordering::Acquire) == 0 {
                Futex::<B>::wait(&self.futex, 0);
            }
        }
    }

    let barriers: Arc<Vec<Barrier>> = Arc::new(
        (0..iterations)
            .map(|_| Barrier { count: AtomicU32::new(THREADS), futex: AtomicU32::new(0) })
            .collect(),
    );
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let barriers = barriers.clone();
            thread::spawn(move || barriers.iter().for_each(Barrier::wait::<B>))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Starts `n` threads that each wait once on `value` (while it is 0) and count their return.
fn start_waiters<B: FutexBackend>(
    n: usize,
    value: &Arc<AtomicU32>,
    returned: &Arc<AtomicUsize>,
) -> Vec<thread::JoinHandle<()>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handles = (0..n)
        .map(|_| {
            let (value, returned, tx) = (value.clone(), returned.clone(), tx.clone());
            thread::spawn(move || {
                tx.send(thread_id()).unwrap();
                Futex::<B>::wait(&value, 0);
                returned.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let tids: Vec<_> = rx.iter().take(n).collect();
    wait_until_asleep(&tids);
    handles
}

/// How a backend counts in `wake(_, n)`, beyond what every backend does (release at least
/// `min(n, waiting)`: `n == 1` exactly one, `u32::MAX` all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeRule {
    /// At most `n` (Linux, FreeBSD, OpenBSD, Darwin, wasm, the queue).
    AtMostN,
    /// One for `n == 1`, all for any other `n` (Windows, DragonFly).
    OneOrAll,
}

/// `wake(_, n)` releases what the backend's `rule` says; `u32::MAX` releases all.
pub fn wake_counts<B: FutexBackend>(rule: WakeRule) {
    let value = Arc::new(AtomicU32::new(0));
    let returned = Arc::new(AtomicUsize::new(0));
    let waiters = start_waiters::<B>(4, &value, &returned);

    Futex::<B>::wake(&value, 0);
    // The backend itself, asked for nobody, wakes nobody either.
    B::wake(value.as_ptr().cast_const().cast(), 0);
    Futex::<B>::wake(&value, 1);
    eventually("one waiter returned", || returned.load(Ordering::SeqCst) >= 1);
    thread::sleep(Duration::from_millis(scaled(20, 1) as u64));
    assert_eq!(returned.load(Ordering::SeqCst), 1, "wake(_, 1) released more than one");

    Futex::<B>::wake(&value, 2);
    match rule {
        WakeRule::AtMostN => {
            eventually("three waiters returned", || returned.load(Ordering::SeqCst) >= 3);
            thread::sleep(Duration::from_millis(scaled(20, 1) as u64));
            assert_eq!(returned.load(Ordering::SeqCst), 3, "wake(_, 2) released more than two");
        }
        WakeRule::OneOrAll => {
            eventually("wake(_, 2) released all three waiters", || {
                returned.load(Ordering::SeqCst) == 4
            });
        }
    }

    Futex::<B>::wake(&value, u32::MAX);
    for w in waiters {
        w.join().unwrap();
    }
    assert_eq!(returned.load(Ordering::SeqCst), 4);
}

/// `requeue` on three sleepers of one word: refused without a wake when the word changed;
/// then "wake one, move one" either moves one (the moved sleeper stays asleep through every
/// wake of the first word and returns on a wake of the second) or, on a backend that wakes
/// instead of moving, wakes them; no sleeper is left behind either way. Returns whether the
/// backend moved (a backend that must, `Linux`, asserts it).
pub fn requeue_moves_or_wakes<B: FutexBackend>() -> bool {
    let (from, to) = (AtomicU32::new(0), AtomicU32::new(7));
    // The front end's own answers: nothing to do, or a changed word, with nobody waiting.
    let nothing = Requeued { woken: Some(0), moved: 0 };
    assert_eq!(Futex::<B>::requeue(&from, 0, &to, 0, 0), Ok(nothing));
    assert_eq!(Futex::<B>::requeue(&from, 1, &to, 0, 0), Err(WordChanged));
    assert_eq!(Futex::<B>::requeue(&from, 1, &to, 1, u32::MAX), Err(WordChanged));
    assert!(Futex::<B>::requeue(&from, 0, &to, u32::MAX, u32::MAX).is_ok());

    let value = Arc::new(AtomicU32::new(0));
    let target = Arc::new(AtomicU32::new(0));
    let returned = Arc::new(AtomicUsize::new(0));
    let waiters = start_waiters::<B>(3, &value, &returned);
    let settle = || thread::sleep(Duration::from_millis(scaled(30, 1) as u64));
    let returned_now = || returned.load(Ordering::SeqCst);

    // The word differs from what the caller expects: nothing happens.
    assert_eq!(Futex::<B>::requeue(&value, 1, &*target, 1, 1), Err(WordChanged));
    settle();
    assert_eq!(returned_now(), 0, "a refused requeue released a sleeper");

    let done = Futex::<B>::requeue(&value, 0, &*target, 1, 1).expect("the word still holds 0");
    let moved = done.moved == 1;
    if moved {
        assert_eq!(done.woken, Some(1), "three sleepers, one to wake");
        eventually("the woken sleeper returned", || returned_now() >= 1);
        settle();
        assert_eq!(returned_now(), 1, "a requeue of one woke more than one");
        // The one left on the first word returns on its wake; the moved one does not.
        Futex::<B>::wake(&value, u32::MAX);
        eventually("the sleeper left on the first word returned", || returned_now() >= 2);
        settle();
        assert_eq!(returned_now(), 2, "a wake of the first word released the moved sleeper");
        Futex::<B>::wake(&target, 1);
    } else {
        assert_eq!(done.moved, 0, "moved {} of one", done.moved);
        Futex::<B>::wake(&value, u32::MAX);
    }
    for w in waiters {
        w.join().unwrap();
    }
    assert_eq!(returned_now(), 3);
    moved
}

/// A timed waiter that a requeue moves keeps its timeout: it returns `Timeout` once its time
/// passed (not before), though nobody wakes the word it was moved to; and a later wake of
/// either word finds nobody left behind. On a backend that wakes instead of moving, the
/// waiter returns at once (woken).
pub fn requeued_waiter_keeps_its_timeout<B: FutexBackend>() {
    let value = Arc::new(AtomicU32::new(0));
    let target = AtomicU32::new(0);
    let timeout = Duration::from_millis(scaled(100, 20) as u64);
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = {
        let value = value.clone();
        thread::spawn(move || {
            tx.send(thread_id()).unwrap();
            let start = Instant::now();
            let answer = Futex::<B>::timed_wait(&value, 0, timeout);
            (answer, start.elapsed())
        })
    };
    wait_until_asleep(&[rx.recv().unwrap()]);
    let done = Futex::<B>::requeue(&value, 0, &target, 0, 1).expect("the word still holds 0");
    let (answer, waited) = waiter.join().unwrap();
    if done.moved == 1 {
        assert_eq!(answer, Err(Timeout), "a moved waiter nobody woke");
        assert!(waited >= timeout, "timed out after {waited:?} < {timeout:?}");
    } else {
        assert_eq!(done.moved, 0);
    }
    // Nobody is left on either word: these find nobody (a backend that kept the waiter
    // queued would let the next requeue report it).
    Futex::<B>::wake(&target, u32::MAX);
    Futex::<B>::wake(&value, u32::MAX);
    let again = Futex::<B>::requeue(&target, 0, &*value, 0, u32::MAX).unwrap();
    assert_eq!(again.moved, 0, "a timed-out waiter stayed queued");
}

/// A wake on one address does not release a waiter blocked on another.
pub fn wake_is_per_address<B: FutexBackend>() {
    let value = Arc::new(AtomicU32::new(0));
    let returned = Arc::new(AtomicUsize::new(0));
    let waiters = start_waiters::<B>(2, &value, &returned);

    let others: Vec<AtomicU32> = (0..64).map(AtomicU32::new).collect();
    for other in &others {
        Futex::<B>::wake(other, u32::MAX);
    }
    // The neighbours in memory, too: one word before and after.
    Futex::<B>::wake_ptr(value.as_ptr().cast_const().wrapping_add(1).cast(), u32::MAX);
    Futex::<B>::wake_ptr(value.as_ptr().cast_const().wrapping_sub(1).cast(), u32::MAX);
    thread::sleep(Duration::from_millis(scaled(50, 1) as u64));
    assert_eq!(returned.load(Ordering::SeqCst), 0, "a wake elsewhere released a waiter");

    value.store(1, Ordering::SeqCst);
    Futex::<B>::wake(&value, u32::MAX);
    for w in waiters {
        w.join().unwrap();
    }
}

/// The seed's Deadline test, plus the cases the issue names.
pub fn deadline<B: FutexBackend>() {
    let timeout = Duration::from_millis(50);
    let word = AtomicU32::new(0);
    let start = Instant::now();
    let mut deadline = Deadline::<B, _>::with_clock(Some(timeout), StdClock::new());
    while deadline.wait(&word, 0).is_ok() {}
    assert!(start.elapsed() >= timeout, "deadline expired after {:?}", start.elapsed());
    assert_eq!(deadline.remaining(), Some(Duration::ZERO));

    // An expired deadline answers at once: Timeout while the value matches, Ok if it differs.
    assert_eq!(deadline.wait(&word, 0), Err(Timeout));
    assert_eq!(deadline.wait(&word, 1), Ok(()));

    // A deadline that never expires still returns at once on a mismatch.
    let mut never = Deadline::<B, _>::with_clock(None, StdClock::new());
    assert_eq!(never.remaining(), None);
    assert_eq!(never.wait(&word, 1), Ok(()));

    // ...and waits, untimed, until woken.
    let value = Arc::new(AtomicU32::new(0));
    let waker = wake_later::<B>(value.clone(), Duration::from_millis(5));
    while value.load(Ordering::Acquire) == 0 {
        assert_eq!(never.wait(&value, 0), Ok(()));
    }
    waker.join().unwrap();

    // A deadline woken before it expires returns Ok.
    let value = Arc::new(AtomicU32::new(0));
    let mut long = Deadline::<B, _>::with_clock(Some(Duration::from_secs(3600)), StdClock::new());
    let waker = wake_later::<B>(value.clone(), Duration::from_millis(5));
    while value.load(Ordering::Acquire) == 0 {
        assert_eq!(long.wait(&value, 0), Ok(()));
    }
    waker.join().unwrap();
}

/// Instantiates the tests above for one backend. `threads` adds the multi-threaded ones, with
/// the backend's `WakeRule` after it if that is not `AtMostN`. Each runs under the watchdog,
/// so a backend that loses a wake or never times out fails the test, naming what it waited
/// for, instead of hanging it.
#[macro_export]
macro_rules! backend_tests {
    ($backend:ty) => {
        #[test]
        fn smoke() {
            common::watchdog::watchdog(
                concat!("smoke: waits and wakes on one word", " on ", stringify!($backend)),
                common::smoke::<$backend>,
            );
        }
        #[test]
        fn timeout_lower_bound() {
            common::watchdog::watchdog(
                concat!(
                    "timed waits on a word nobody wakes to time out",
                    " on ",
                    stringify!($backend)
                ),
                common::timeout_lower_bound::<$backend>,
            );
        }
        #[test]
        fn single_timed_wait_is_not_early() {
            common::watchdog::watchdog(
                concat!("a single timed wait to time out", " on ", stringify!($backend)),
                common::single_timed_wait_is_not_early::<$backend>,
            );
        }
    };
    ($backend:ty, threads) => {
        backend_tests!($backend, threads, AtMostN);
    };
    ($backend:ty, threads, $wake_rule:ident) => {
        backend_tests!($backend);
        #[test]
        fn huge_timeouts_are_clamped_not_reported() {
            common::watchdog::watchdog(
                concat!("waits with huge timeouts to be woken", " on ", stringify!($backend)),
                common::huge_timeouts_are_clamped_not_reported::<$backend>,
            );
        }
        #[test]
        fn wait_is_woken() {
            common::watchdog::watchdog(
                concat!("a waiter to be woken by a later wake", " on ", stringify!($backend)),
                common::wait_is_woken::<$backend>,
            );
        }
        #[test]
        fn signaling_ring() {
            common::watchdog::watchdog(
                concat!("the signalling ring to pass every token", " on ", stringify!($backend)),
                common::signaling_ring::<$backend>,
            );
        }
        #[test]
        fn broadcasting_barriers() {
            common::watchdog::watchdog(
                concat!("the threads to pass every barrier", " on ", stringify!($backend)),
                common::broadcasting_barriers::<$backend>,
            );
        }
        #[test]
        fn wake_counts() {
            common::watchdog::watchdog(
                concat!(
                    "waiters to be woken as many at a time as asked",
                    " on ",
                    stringify!($backend)
                ),
                || common::wake_counts::<$backend>(common::WakeRule::$wake_rule),
            );
        }
        #[test]
        fn requeue_moves_or_wakes() {
            common::watchdog::watchdog(
                concat!("requeued sleepers to be woken", " on ", stringify!($backend)),
                || {
                    common::requeue_moves_or_wakes::<$backend>();
                },
            );
        }
        #[test]
        fn requeued_waiter_keeps_its_timeout() {
            common::watchdog::watchdog(
                concat!("a requeued timed waiter to time out", " on ", stringify!($backend)),
                common::requeued_waiter_keeps_its_timeout::<$backend>,
            );
        }
        #[test]
        fn wake_is_per_address() {
            common::watchdog::watchdog(
                concat!(
                    "waiters on two addresses to be woken by their own address",
                    " on ",
                    stringify!($backend)
                ),
                common::wake_is_per_address::<$backend>,
            );
        }
        #[test]
        fn deadline() {
            common::watchdog::watchdog(
                concat!("deadline waits to time out or be woken", " on ", stringify!($backend)),
                common::deadline::<$backend>,
            );
        }
    };
}
