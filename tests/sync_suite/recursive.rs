//! `RecursiveRwLock` (readers never wait behind a waiting writer), on any backend.

use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::sync::generic::{RecursiveRwLock, RwLock};
use portable_futex::sync::lock_api::RawRwLock as _;
use portable_futex::{Deadline, FutexBackend, StdClock};

use super::watchdog;

/// Waits until a writer has announced itself on `lock` (its raw `Debug` shows it waiting).
fn until_writer_waits<L: core::fmt::Debug>(raw: &L) {
    while !format!("{raw:?}").contains("writers_waiting: true") {
        thread::sleep(Duration::from_millis(1));
    }
}

/// A thread that holds a read lock reads again while a writer waits for the lock: it gets in
/// at once (a plain `RwLock` would make it wait behind the writer, which waits for it), and the
/// writer gets the lock once both reads are gone.
pub fn recursive_read_beside_a_waiting_writer<B: FutexBackend + 'static>() {
    watchdog("a second read beside a waiting writer", || {
        let lock = Arc::new(RecursiveRwLock::<B, u32>::new(1));
        let first = lock.read();
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || *lock.write() += 1)
        };
        // SAFETY: only read, for its `Debug`.
        until_writer_waits(unsafe { lock.raw() });
        let second = lock.read();
        assert_eq!(*first + *second, 2);
        assert!(lock.try_read().is_some(), "a try_read beside a waiting writer");
        drop((first, second));
        writer.join().unwrap();
        assert_eq!(*lock.read(), 2);
        // SAFETY: only read.
        assert!(!unsafe { lock.raw() }.is_locked());
    })
}

/// The plain `RwLock` is writer-preferring: with a writer waiting, a new read waits (here a
/// `try_read` fails), which is why `RecursiveRwLock` exists.
pub fn plain_read_waits_behind_a_waiting_writer<B: FutexBackend + 'static>() {
    watchdog("a plain read to queue behind a waiting writer", || {
        let lock = Arc::new(RwLock::<B, u32>::new(1));
        let first = lock.read();
        let wrote = Arc::new(AtomicBool::new(false));
        let writer = {
            let (lock, wrote) = (lock.clone(), wrote.clone());
            thread::spawn(move || {
                *lock.write() += 1;
                wrote.store(true, Release);
            })
        };
        // SAFETY: only read, for its `Debug`.
        until_writer_waits(unsafe { lock.raw() });
        assert!(lock.try_read().is_none(), "a plain read got in beside a waiting writer");
        drop(first);
        writer.join().unwrap();
        assert!(wrote.load(Acquire));
    })
}

/// Readers that read twice, recursively, beside writers: never two writers or a writer and a
/// reader inside, every thread finishes.
pub fn recursive_rwlock_exclusion<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
    watchdog("recursive readers and writers to finish", move || {
        let lock = Arc::new(RecursiveRwLock::<B, (u64, u64)>::new((0, 0)));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let lock = lock.clone();
                thread::spawn(move || {
                    for _ in 0..rounds {
                        if i % 2 == 0 {
                            let mut w = lock.write();
                            w.0 += 1;
                            w.1 += 1;
                        } else {
                            let outer = lock.read();
                            let inner = lock.read();
                            assert_eq!(outer.0, outer.1, "a reader beside a writer");
                            assert_eq!(inner.0, outer.0);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let writers = threads.div_ceil(2);
        assert_eq!(lock.read().0, (writers * rounds) as u64);
    })
}

/// One `RecursiveRwLock` on one thread: the try forms, `is_locked`/`is_locked_exclusive`, and
/// the raw lock's `try_read_by`/`try_write_by` on a `Deadline`, which give up on a lock held
/// the other way only after their time.
pub fn recursive_rwlock_basics<B: FutexBackend + 'static>() {
    watchdog("the recursive rwlock's try and timed forms", || {
        let lock = RecursiveRwLock::<B, u32>::new(1);
        let short = Duration::from_millis(10);
        let deadline = || Deadline::<B, _>::with_clock(Some(short), StdClock::new());
        // SAFETY: the raw lock is only tried here; what it takes is released below.
        let raw = unsafe { lock.raw() };
        assert!(!lock.is_locked() && !lock.is_locked_exclusive());
        let read = lock.try_read().expect("a free lock");
        assert!(lock.is_locked() && !lock.is_locked_exclusive());
        assert!(lock.try_write().is_none(), "try_write beside a reader");
        let start = Instant::now();
        assert!(!raw.try_write_by(&mut deadline()), "a write beside a reader");
        assert!(start.elapsed() >= short, "gave up after {:?}", start.elapsed());
        assert!(raw.try_read_by(&mut deadline()), "a second read refused");
        // SAFETY: the read just taken.
        unsafe { raw.unlock_shared(portable_futex::sync::lock_api::GuardSend::new()) };
        drop(read);
        let write = lock.try_write().expect("a free lock");
        assert!(lock.is_locked_exclusive());
        assert!(lock.try_read().is_none(), "try_read beside the writer");
        let start = Instant::now();
        assert!(!raw.try_read_by(&mut deadline()), "a read beside the writer");
        assert!(start.elapsed() >= short, "gave up after {:?}", start.elapsed());
        drop(write);
        assert!(!lock.is_locked());
        assert!(raw.try_write_by(&mut deadline()), "a free lock refused");
        assert!(lock.is_locked_exclusive());
        // SAFETY: the write just taken.
        unsafe { raw.unlock_exclusive(portable_futex::sync::lock_api::GuardSend::new()) };
        assert_eq!(*lock.read(), 1);

        // Upgradable reads, upgrades, downgrades, fair unlocks and the timed forms.
        use portable_futex::sync::lock_api::{
            RwLockReadGuard, RwLockUpgradableReadGuard as Upgradable, RwLockWriteGuard,
        };
        let upgradable = lock.try_upgradable_read().expect("a free lock");
        assert!(lock.try_upgradable_read().is_none(), "a second upgradable read");
        let read = lock.try_read_for(short).expect("a read beside the upgradable one");
        let upgradable =
            Upgradable::try_upgrade(upgradable).expect_err("an upgrade beside a reader");
        RwLockReadGuard::unlock_fair(read);
        let mut write = Upgradable::try_upgrade(upgradable).expect("an upgrade alone");
        *write += 1;
        assert!(lock.is_locked_exclusive());
        let start = Instant::now();
        assert!(lock.try_read_for(short).is_none(), "a timed read beside the writer");
        assert!(start.elapsed() >= short, "gave up after {:?}", start.elapsed());
        assert!(lock.try_write_until(Instant::now() + short).is_none());
        let read = RwLockWriteGuard::downgrade(write);
        assert!(!lock.is_locked_exclusive() && lock.try_write().is_none());
        drop(read);
        let upgradable = lock.upgradable_read();
        let write = Upgradable::upgrade(upgradable);
        assert!(lock.is_locked_exclusive());
        RwLockWriteGuard::unlock_fair(write);
        assert!(!lock.is_locked());
        let write = lock.try_write_for(short).expect("a free lock");
        drop(write);
        assert_eq!(*lock.try_read_until(Instant::now()).expect("a free lock"), 2);
    })
}
