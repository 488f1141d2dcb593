//! A program written against lock_api 0.5 alone (`lock_api::Mutex<R, T>`, `RwLock` with
//! upgradable reads, `Condvar<C>`, `ReentrantMutex`, fair mutex unlocks, timed locks), generic over
//! the raw types: it runs unchanged on ours, on the default backend and on `Queue`, and on
//! parking_lot 0.13's, the same code.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use portable_futex::backend::Queue;
use portable_futex::sync::lock_api::{
    Condvar, GetThreadId, Mutex, MutexGuard, RawCondvar, RawCondvarTimed, RawMutex, RawMutexFair,
    RawMutexTimed, RawRwLockDowngrade, RawRwLockTimed, RawRwLockUpgrade, RawRwLockUpgradeDowngrade,
    ReentrantMutex, RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard,
};
use portable_futex::sync::{
    RawCondvar as OurCondvar, RawMutex as OurMutex, RawRwLock, StdThreadId,
};
use portable_futex::DefaultBackend;

mod common;

/// The program: producers and consumers through a mutex and a condvar, a table behind an
/// rwlock that readers upgrade when they find work, a reentrant mutex, fair unlocks and timed
/// locks. Returns what it computed, which must not depend on the raw types.
fn program<M, W, C, G>() -> (u64, [u64; 4], u32)
where
    M: RawMutex + RawMutexFair + RawMutexTimed<Duration = Duration> + Send + Sync + 'static,
    W: RawRwLockUpgrade
        + RawRwLockUpgradeDowngrade
        + RawRwLockDowngrade
        + RawRwLockTimed<Duration = Duration>
        + Send
        + Sync
        + 'static,
    C: RawCondvar<RawMutex = M> + RawCondvarTimed + Send + Sync + 'static,
    G: GetThreadId + Send + Sync + 'static,
{
    const ITEMS: u64 = 2_000;
    // A one-slot mailbox: `None` empty.
    let mailbox = Arc::new((Mutex::<M, Option<u64>>::new(None), Condvar::<C>::new()));
    let consumer = {
        let mailbox = mailbox.clone();
        thread::spawn(move || {
            let (slot, changed) = &*mailbox;
            let mut sum = 0;
            for _ in 0..ITEMS {
                let mut slot = slot.lock();
                changed.wait_while(&mut slot, |s| s.is_none());
                sum += slot.take().unwrap();
                changed.notify_all();
            }
            sum
        })
    };
    {
        let (slot, changed) = &*mailbox;
        for item in 0..ITEMS {
            let mut guard = slot.lock();
            // A timed wait that gives up now and then, and waits again.
            while guard.is_some() {
                let _ = changed.wait_for(&mut guard, Duration::from_micros(50));
            }
            *guard = Some(item);
            changed.notify_all();
            if item % 64 == 0 {
                MutexGuard::unlock_fair(guard);
            }
        }
    }
    let sum = consumer.join().unwrap();

    // Readers that upgrade when they find an odd first cell, and writers beside them.
    let table = Arc::new(RwLock::<W, [u64; 4]>::new([0; 4]));
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let table = table.clone();
            thread::spawn(move || {
                for _ in 0..500 {
                    match i {
                        0 | 1 => {
                            let read = table.upgradable_read();
                            if read[0] % 2 == 1 {
                                let mut write = RwLockUpgradableReadGuard::upgrade(read);
                                write[0] += 1;
                                write[1] += 1;
                                let read = RwLockWriteGuard::downgrade_to_upgradable(write);
                                drop(RwLockUpgradableReadGuard::downgrade(read));
                            }
                        }
                        2 => {
                            let mut write = table.write();
                            write[0] += 1;
                            write[2] += 1;
                            drop(write);
                        }
                        _ => {
                            if let Some(read) = table.try_read_for(Duration::from_millis(10)) {
                                assert!(read[1] + read[2] >= read[0] / 2);
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut cells = *table.read();
    cells[3] = cells[1] + cells[2];

    // A reentrant mutex taken twice, and a mutex given up on by a timed lock.
    let reentrant = ReentrantMutex::<M, G, u32>::new(1);
    let depth = {
        let outer = reentrant.lock();
        let inner = reentrant.lock();
        *outer + *inner
    };
    let held = Mutex::<M, ()>::new(());
    let guard = held.lock();
    assert!(held.try_lock_for(Duration::from_millis(1)).is_none());
    drop(guard);
    (sum, cells, depth)
}

/// The same program, the same answers, on ours (two backends) and parking_lot's.
#[test]
fn one_lock_api_program_on_every_raw_type() {
    common::watchdog::watchdog("the lock_api program on every raw type", || {
        let ours = program::<
            OurMutex<DefaultBackend>,
            RawRwLock<DefaultBackend>,
            OurCondvar<DefaultBackend>,
            StdThreadId,
        >();
        let queue = program::<OurMutex<Queue>, RawRwLock<Queue>, OurCondvar<Queue>, StdThreadId>();
        let parking_lot = program::<
            parking_lot::RawMutex,
            parking_lot::RawRwLock,
            parking_lot::RawCondvar,
            parking_lot::RawThreadId,
        >();
        let sum = 2_000 * 1_999 / 2;
        for (name, (s, cells, depth)) in
            [("ours", ours), ("Queue", queue), ("parking_lot", parking_lot)]
        {
            assert_eq!(s, sum, "{name}");
            assert_eq!(depth, 2, "{name}");
            // Every write counted once in its column: the upgraders' in 1, the writer's in 2.
            assert_eq!(cells[0], cells[1] + cells[2], "{name}");
            assert_eq!(cells[2], 500, "{name}");
        }
    });
}
