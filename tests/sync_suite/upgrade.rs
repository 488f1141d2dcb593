//! Upgradable reads of `RwLock`, on any backend.

use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use portable_futex::sync::generic::RwLock;
use portable_futex::sync::lock_api::{RawRwLock as _, RwLockUpgradableReadGuard, RwLockWriteGuard};
use portable_futex::FutexBackend;

use super::watchdog;

/// One thread: an upgradable read beside plain reads, one upgradable at a time, `try_upgrade`
/// with a reader inside, the downgrades, and the lock free at the end.
pub fn rwlock_upgradable_basics<B: FutexBackend + 'static>() {
    watchdog("the single-threaded upgradable checks", || {
        let lock = RwLock::<B, u32>::new(1);
        let up = lock.upgradable_read();
        assert!(lock.try_upgradable_read().is_none(), "two upgradable reads at once");
        assert!(lock.try_write().is_none(), "a writer beside an upgradable read");
        let reader = lock.try_read().expect("a plain read beside an upgradable one");
        let up = RwLockUpgradableReadGuard::try_upgrade(up).expect_err("upgraded past a reader");
        drop(reader);
        let mut write = RwLockUpgradableReadGuard::try_upgrade(up).expect("our read alone");
        *write += 1;
        assert!(lock.try_read().is_none());
        let up = RwLockWriteGuard::downgrade_to_upgradable(write);
        assert!(lock.try_read().is_some() && lock.try_upgradable_read().is_none());
        let read = RwLockUpgradableReadGuard::downgrade(up);
        assert!(lock.try_upgradable_read().is_some(), "U left set by a downgrade");
        assert_eq!(*read, 2);
        drop(read);
        let start = Instant::now();
        let up = lock.try_upgradable_read_for(Duration::from_millis(1)).expect("a free lock");
        let write = RwLockUpgradableReadGuard::upgrade(up);
        drop(write);
        assert!(start.elapsed() < Duration::from_secs(10));
        // SAFETY: only read.
        assert!(!unsafe { lock.raw() }.is_locked());
    })
}

/// An upgrade waits for the readers inside to leave, keeps new plain readers and writers
/// out meanwhile, and no one else writes in between: the value it read is the one it writes
/// over. Timed forms give up no sooner than asked.
pub fn rwlock_upgrade_waits_for_readers<B: FutexBackend + 'static>() {
    watchdog("an upgrade to wait for the readers inside", || {
        let lock = Arc::new(RwLock::<B, u32>::new(0));
        let reader = lock.read();
        let up = lock.upgradable_read();
        let timeout = Duration::from_millis(20);
        let start = Instant::now();
        let up = RwLockUpgradableReadGuard::try_upgrade_for(up, timeout)
            .expect_err("upgraded past a reader");
        assert!(start.elapsed() >= timeout, "gave up after {:?}", start.elapsed());
        let upgraded = Arc::new(AtomicBool::new(false));
        let (to_upgrader, rx) = std::sync::mpsc::channel::<()>();
        let upgrader = {
            let (lock, upgraded) = (lock.clone(), upgraded.clone());
            // The upgradable read moves to another thread with its `unsafe` raw form: the
            // guards are not `Send`, so hand over by releasing here and taking there.
            drop(up);
            thread::spawn(move || {
                let up = lock.upgradable_read();
                to_upgrader_ready(&rx);
                let seen = *up;
                let mut write = RwLockUpgradableReadGuard::upgrade(up);
                assert_eq!(*write, seen, "someone wrote between the read and the upgrade");
                *write += 1;
                upgraded.store(true, Release);
            })
        };
        to_upgrader.send(()).unwrap();
        thread::sleep(Duration::from_millis(20));
        assert!(!upgraded.load(Acquire), "upgraded while a reader was inside");
        drop(reader);
        upgrader.join().unwrap();
        assert_eq!(*lock.read(), 1);
    })
}

fn to_upgrader_ready(rx: &std::sync::mpsc::Receiver<()>) {
    rx.recv().unwrap();
}

/// Upgraders, plain readers and writers together: every write counted once, no reader sees a
/// half-written pair, every thread finishes.
pub fn rwlock_upgraders_readers_writers<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
    watchdog("upgraders, readers and writers to finish", move || {
        let lock = Arc::new(RwLock::<B, (u64, u64)>::new((0, 0)));
        let handles: Vec<_> = (0..threads.max(3))
            .map(|i| {
                let lock = lock.clone();
                thread::spawn(move || {
                    let mut writes = 0u64;
                    for r in 0..rounds {
                        match i % 3 {
                            0 => {
                                let up = lock.upgradable_read();
                                assert_eq!(up.0, up.1);
                                if r % 2 == 0 {
                                    let mut w = RwLockUpgradableReadGuard::upgrade(up);
                                    w.0 += 1;
                                    w.1 += 1;
                                    writes += 1;
                                }
                            }
                            1 => {
                                let mut w = lock.write();
                                w.0 += 1;
                                w.1 += 1;
                                writes += 1;
                            }
                            _ => {
                                let read = lock.read();
                                assert_eq!(read.0, read.1, "a reader saw half a write");
                            }
                        }
                    }
                    writes
                })
            })
            .collect();
        let writes: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(*lock.read(), (writes, writes));
    })
}

/// A fair write unlock with a writer asleep behind it hands the lock over: the unlocking
/// thread cannot take it (or read) straight back, and the sleeper gets in. (The hand-off needs
/// the writer registered to sleep, which only time shows from outside: the case is tried
/// until it happened once, and must happen.)
pub fn rwlock_unlock_fair_hands_over<B: FutexBackend + 'static>() {
    watchdog("a fair write unlock to hand the lock to a sleeping writer", || {
        let mut handed = 0;
        for _ in 0..50 {
            let lock = Arc::new(RwLock::<B, u32>::new(0));
            let guard = lock.write();
            let writer = {
                let lock = lock.clone();
                thread::spawn(move || *lock.write() += 1)
            };
            // SAFETY: only read, for its `Debug`.
            while !format!("{:?}", unsafe { lock.raw() }).contains("writers_waiting: true") {
                thread::sleep(Duration::from_millis(1));
            }
            thread::sleep(Duration::from_millis(10));
            RwLockWriteGuard::unlock_fair(guard);
            let stolen = lock.try_write().is_some() || lock.try_read().is_some();
            writer.join().unwrap();
            assert_eq!(*lock.read(), 1);
            if !stolen {
                handed += 1;
                break;
            }
        }
        assert!(handed > 0, "no fair unlock kept the lock for the sleeping writer");
        // Readers: a fair read unlock with nobody waiting, and `bump_shared`.
        let lock = RwLock::<B, u32>::new(0);
        let mut read = lock.read();
        portable_futex::sync::lock_api::RwLockReadGuard::bump(&mut read);
        portable_futex::sync::lock_api::RwLockReadGuard::unlock_fair(read);
        let up = lock.upgradable_read();
        RwLockUpgradableReadGuard::unlock_fair(up);
        assert!(lock.try_write().is_some());
    })
}
