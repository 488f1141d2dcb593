//! The rwlock's parking_lot extras through the typed `generic::RwLock<B, T>`, on any backend:
//! upgradable reads across threads, the downgrades, fair unlocks and bumps, the timed
//! upgradable forms, and the raw recursive read beside a waiting writer.

use std::sync::atomic::{AtomicU32, Ordering::*};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::sync::generic::RwLock;
use portable_futex::sync::lock_api::{
    GuardSend, RawRwLock as _, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard,
};
use portable_futex::{Deadline, FutexBackend, StdClock};

use super::watchdog;

/// Whether a writer has announced itself on `lock` (its raw `Debug` shows it waiting).
fn writer_waits<B: FutexBackend>(lock: &RwLock<B, u32>) -> bool {
    // SAFETY: only read, for its `Debug`.
    format!("{:?}", unsafe { lock.raw() }).contains("writers_waiting: true")
}

/// Waits until a writer has announced itself on `lock`, then a little more, so that it is
/// most likely registered and asleep (only time shows that from outside).
fn until_writer_sleeps<B: FutexBackend>(lock: &RwLock<B, u32>) {
    while !writer_waits(lock) {
        thread::sleep(Duration::from_millis(1));
    }
    thread::sleep(Duration::from_millis(10));
}

/// A thread that adds one under the write lock.
fn writer<B: FutexBackend + 'static>(lock: &Arc<RwLock<B, u32>>) -> thread::JoinHandle<()> {
    let lock = lock.clone();
    thread::spawn(move || *lock.write() += 1)
}

/// How a thread holds the lock: it takes it, calls the function it is given while it holds
/// it, and releases it.
type Hold<B> = fn(&RwLock<B, u32>, &dyn Fn());

/// Runs `hold` on another thread with `lock`, and returns once it has taken what it holds;
/// it keeps that until the returned sender sends (or is dropped).
fn hold_elsewhere<B: FutexBackend + 'static>(
    lock: &Arc<RwLock<B, u32>>,
    hold: Hold<B>,
) -> (thread::JoinHandle<()>, mpsc::Sender<()>) {
    let (taken_tx, taken) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let lock = lock.clone();
    let handle = thread::spawn(move || {
        hold(&lock, &|| {
            taken_tx.send(()).unwrap();
            let _ = release_rx.recv();
        })
    });
    taken.recv().unwrap();
    (handle, release)
}

/// One upgradable read at a time, across threads: while one is held, a plain reader on
/// another thread gets in beside it, but a second upgradable reader and a writer wait; once
/// it is released both get in, and every thread finishes.
pub fn rwlock_upgradable_excludes_upgradables_and_writers<B: FutexBackend + 'static>() {
    watchdog("a second upgradable read and a writer to get in after the first", || {
        let lock = Arc::new(RwLock::<B, u32>::new(0));
        let up = lock.upgradable_read();
        let reader = {
            let lock = lock.clone();
            thread::spawn(move || *lock.read())
        };
        assert_eq!(reader.join().unwrap(), 0, "a reader beside the upgradable read");
        let other_in = Arc::new(AtomicU32::new(0));
        let other = {
            let (lock, other_in) = (lock.clone(), other_in.clone());
            thread::spawn(move || {
                let up = lock.upgradable_read();
                other_in.store(1, Release);
                *up
            })
        };
        let writer = writer(&lock);
        until_writer_sleeps(&lock);
        thread::sleep(Duration::from_millis(10));
        assert_eq!(other_in.load(Acquire), 0, "two upgradable reads at once");
        assert!(!writer.is_finished(), "a writer beside an upgradable read");
        assert_eq!(*up, 0);
        drop(up);
        assert!(other.join().unwrap() <= 1);
        writer.join().unwrap();
        assert_eq!(*lock.read(), 1);
        // SAFETY: only read.
        assert!(!unsafe { lock.raw() }.is_locked());
    })
}

/// The upgradable guard's whole life across threads: `try_upgrade` fails while another
/// thread reads, `upgrade` waits for that reader and writes alone; `downgrade_to_upgradable`
/// lets a reader that waited behind the write in while the upgradable read is still held (and
/// another upgradable read still out); `downgrade` to a plain read lets another thread take the
/// upgradable read beside it.
pub fn rwlock_upgrade_and_downgrades_across_threads<B: FutexBackend + 'static>() {
    watchdog("the upgrades and downgrades across threads", || {
        let lock = Arc::new(RwLock::<B, u32>::new(0));
        let (reader, release) = hold_elsewhere(&lock, |lock, hold| {
            let _read = lock.read();
            hold();
        });
        let up = lock.upgradable_read();
        let up = RwLockUpgradableReadGuard::try_upgrade(up).expect_err("upgraded past a reader");
        let t = Duration::from_millis(20);
        let start = Instant::now();
        let releaser = thread::spawn(move || {
            thread::sleep(t);
            release.send(()).unwrap();
        });
        let mut write = RwLockUpgradableReadGuard::upgrade(up);
        assert!(start.elapsed() >= t, "upgraded past a reader");
        *write += 1;
        reader.join().unwrap();
        releaser.join().unwrap();
        // A reader queued behind the write lock gets in once it is an upgradable read.
        let queued = {
            let lock = lock.clone();
            thread::spawn(move || *lock.read())
        };
        thread::sleep(Duration::from_millis(10));
        let up = RwLockWriteGuard::downgrade_to_upgradable(write);
        assert_eq!(queued.join().unwrap(), 1, "a reader kept out by an upgradable read");
        let other = {
            let lock = lock.clone();
            thread::spawn(move || lock.try_upgradable_read().is_some())
        };
        assert!(!other.join().unwrap(), "two upgradable reads at once");
        let read = RwLockUpgradableReadGuard::downgrade(up);
        let other = {
            let lock = lock.clone();
            thread::spawn(move || *lock.upgradable_read())
        };
        assert_eq!(other.join().unwrap(), 1, "U kept by a downgrade");
        assert_eq!(*read, 1);
        drop(read);
        // SAFETY: only read.
        assert!(!unsafe { lock.raw() }.is_locked());
    })
}

/// Tries a fair release until it once let a sleeping writer in first (only time shows from
/// outside that the writer sleeps registered, so each case is tried until it happened once,
/// and must happen): the lock (starting at 0) is taken by `$take` into `$guard`, a writer that
/// adds one queues behind it, then `$release` releases or bumps the guard, drops it, and says
/// whether the writer went first.
macro_rules! lets_a_sleeping_writer_in {
    ($name:expr, |$lock:ident| $take:expr, |mut $guard:ident| $release:expr) => {{
        let mut let_in = false;
        for _ in 0..super::scaled(50, 10) {
            let lock = Arc::new(RwLock::<B, u32>::new(0));
            let $lock = &*lock;
            #[allow(unused_mut)]
            let mut $guard = $take;
            let writer = writer(&lock);
            until_writer_sleeps(&lock);
            let first: bool = $release;
            writer.join().unwrap();
            assert_eq!(*lock.read(), 1);
            if first {
                let_in = true;
                break;
            }
        }
        assert!(let_in, "{}: never let the sleeping writer in first", $name);
    }};
}

/// The fair unlocks of the last reader (plain or upgradable) with a writer asleep hand the
/// lock to the writer: this thread cannot take it straight back (a plain unlock would let
/// it). The bumps of each guard with a writer asleep let the writer in before they return
/// (for the write guard a plain unlock and relock would not). And a bump with nobody waiting
/// keeps the lock.
pub fn rwlock_fair_unlocks_and_bumps_let_a_waiting_writer_in<B: FutexBackend + 'static>() {
    watchdog("the fair unlocks and bumps to let a sleeping writer in", || {
        lets_a_sleeping_writer_in!("read unlock_fair", |lock| lock.read(), |mut read| {
            RwLockReadGuard::unlock_fair(read);
            lock.try_write().is_none() && lock.try_read().is_none()
        });
        lets_a_sleeping_writer_in!(
            "upgradable unlock_fair",
            |lock| lock.upgradable_read(),
            |mut up| {
                RwLockUpgradableReadGuard::unlock_fair(up);
                lock.try_write().is_none() && lock.try_upgradable_read().is_none()
            }
        );
        lets_a_sleeping_writer_in!("write unlock_fair", |lock| lock.write(), |mut write| {
            RwLockWriteGuard::unlock_fair(write);
            lock.try_write().is_none() && lock.try_read().is_none()
        });
        lets_a_sleeping_writer_in!("read bump", |lock| lock.read(), |mut read| {
            RwLockReadGuard::bump(&mut read);
            let first = *read == 1;
            drop(read);
            first
        });
        lets_a_sleeping_writer_in!("upgradable bump", |lock| lock.upgradable_read(), |mut up| {
            RwLockUpgradableReadGuard::bump(&mut up);
            let first = *up == 1;
            drop(up);
            first
        });
        // The write bump retakes the lock as a writer, and a writer that registers may pick a
        // hand-off up: it yields to the sleeping one first, which a backend that cannot yield
        // cannot do (`RawRwLock`'s "fair unlocks"), so there it may come first every time.
        if B::yield_now() {
            lets_a_sleeping_writer_in!("write bump", |lock| lock.write(), |mut write| {
                RwLockWriteGuard::bump(&mut write);
                let first = *write == 1;
                drop(write);
                first
            });
        }
        // Nobody waits: a bump keeps the lock (no other thread could have changed it anyway).
        let lock = RwLock::<B, u32>::new(7);
        let mut write = lock.write();
        RwLockWriteGuard::bump(&mut write);
        *write += 1;
        assert!(lock.try_read().is_none());
        drop(write);
        let mut up = lock.upgradable_read();
        RwLockUpgradableReadGuard::bump(&mut up);
        let mut read = RwLockUpgradableReadGuard::downgrade(up);
        RwLockReadGuard::bump(&mut read);
        assert_eq!(*read, 8);
        drop(read);
        // SAFETY: only read.
        assert!(!unsafe { lock.raw() }.is_locked());
    })
}

/// The timed upgradable forms give up no sooner than asked: the upgradable read while another
/// thread holds it or writes (a plain read still gets in beside an upgradable one), the
/// upgrade while another thread reads; an upgrade that gave up keeps the upgradable read and
/// lets plain readers in again (it took its writers' bit back), and succeeds once the reader
/// leaves. The `_by` forms on a `Deadline` too.
pub fn rwlock_timed_upgradable_lower_bound<B: FutexBackend + 'static>() {
    watchdog("the timed upgradable forms to give up", || {
        let t = Duration::from_millis(20);
        let lock = Arc::new(RwLock::<B, u32>::new(0));
        let holds: [Hold<B>; 2] = [
            |lock, hold| {
                let _up = lock.upgradable_read();
                hold();
            },
            |lock, hold| {
                let _write = lock.write();
                hold();
            },
        ];
        for (i, hold) in holds.into_iter().enumerate() {
            let (held, release) = hold_elsewhere(&lock, hold);
            let start = Instant::now();
            assert!(lock.try_upgradable_read_for(t).is_none());
            assert!(start.elapsed() >= t);
            let start = Instant::now();
            assert!(lock.try_upgradable_read_until(start + t).is_none());
            assert!(start.elapsed() >= t);
            // The clock starts before the deadline does (see `rwlock_timed_lower_bound`).
            let start = Instant::now();
            let mut deadline = Deadline::<B, _>::with_clock(Some(t), StdClock::new());
            // SAFETY: the raw lock is only asked for an upgradable read, which is not taken.
            assert!(!unsafe { lock.raw() }.try_upgradable_by(&mut deadline));
            assert!(start.elapsed() >= t);
            assert_eq!(lock.try_read_for(t).is_some(), i == 0, "a read beside an upgradable");
            release.send(()).unwrap();
            held.join().unwrap();
        }
        // The upgrade, with another thread reading.
        let (reader, release) = hold_elsewhere(&lock, |lock, hold| {
            let _read = lock.read();
            hold();
        });
        let up = lock.try_upgradable_read_for(t).expect("an upgradable read beside a reader");
        let start = Instant::now();
        let up = RwLockUpgradableReadGuard::try_upgrade_for(up, t).expect_err("past a reader");
        assert!(start.elapsed() >= t);
        let start = Instant::now();
        let up = RwLockUpgradableReadGuard::try_upgrade_until(up, start + t).expect_err("past");
        assert!(start.elapsed() >= t);
        let start = Instant::now();
        let mut deadline = Deadline::<B, _>::with_clock(Some(t), StdClock::new());
        // SAFETY: this thread holds the upgradable read (`up`), and still does when it fails.
        assert!(!unsafe { lock.raw().try_upgrade_by(&mut deadline) });
        assert!(start.elapsed() >= t);
        // Plain readers are not kept out by the upgrades that gave up.
        assert!(lock.try_read().is_some(), "a stale writers' bit left by a timed upgrade");
        release.send(()).unwrap();
        reader.join().unwrap();
        let mut write =
            RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::MAX).expect("alone");
        *write += 1;
        drop(write);
        assert!(lock.try_upgradable_read_for(Duration::ZERO).is_some());
        assert_eq!(*lock.read(), 1);
    })
}

/// The raw recursive read (`RawRwLock::try_read_recursive_by`) on a plain `RwLock`: a thread
/// that holds a read takes a second one while a writer waits for the lock (a plain read would
/// queue behind that writer, which waits for the first read: a deadlock), wrapped in a guard
/// with `make_read_guard_unchecked`; the writer gets in once both are gone. With a writer
/// holding the lock, the recursive read waits like any reader and gives up no sooner than
/// asked.
pub fn rwlock_raw_recursive_read_beside_a_waiting_writer<B: FutexBackend + 'static>() {
    watchdog("a raw recursive read beside a waiting writer", || {
        let lock = Arc::new(RwLock::<B, u32>::new(1));
        let first = lock.read();
        let writer = writer(&lock);
        while !writer_waits(&lock) {
            thread::sleep(Duration::from_millis(1));
        }
        assert!(lock.try_read().is_none(), "a plain read beside a waiting writer");
        let mut deadline = Deadline::<B, _>::with_clock(Some(Duration::ZERO), StdClock::new());
        // SAFETY: the raw lock is only asked for a read, which the guard below then owns.
        assert!(unsafe { lock.raw() }.try_read_recursive_by(&mut deadline), "it waited");
        // SAFETY: this thread has just taken a read lock, and nothing else owns it.
        let second = unsafe { lock.make_read_guard_unchecked(GuardSend::new()) };
        assert_eq!(*first + *second, 2);
        assert!(!writer.is_finished(), "a writer beside two reads");
        drop((first, second));
        writer.join().unwrap();
        assert_eq!(*lock.read(), 2);
        // Write-held elsewhere: it waits, and gives up no sooner than asked.
        let (held, release) = hold_elsewhere(&lock, |lock, hold| {
            let _write = lock.write();
            hold();
        });
        let t = Duration::from_millis(20);
        let start = Instant::now();
        let mut deadline = Deadline::<B, _>::with_clock(Some(t), StdClock::new());
        // SAFETY: as above; nothing is taken.
        assert!(!unsafe { lock.raw() }.try_read_recursive_by(&mut deadline));
        assert!(start.elapsed() >= t);
        release.send(()).unwrap();
        held.join().unwrap();
        // SAFETY: only read.
        assert!(!unsafe { lock.raw() }.is_locked());
    })
}
