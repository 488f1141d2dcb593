//! The locks' behavioural suite (`tests/sync_suite/`) on every backend this machine runs: the
//! OS's, `Counted<OS>`, the queue (std pieces, and one bucket for every address), and the
//! hostile adapter (`tests/common/hostile.rs`: spurious returns, wakes of more than asked) over
//! two of them; `SingleThreaded` where one thread is meaningful. Plus the naming promises:
//! `let m = Mutex::new(0);` and `static M: Mutex<u32> = Mutex::new(0);` on the default
//! backend, `generic::Mutex<B, T>` on any.

#[macro_use]
mod sync_suite;
// For `wait_until_asleep`; `sync_suite` loads the watchdog file of it on its own.
#[allow(clippy::duplicate_mod)]
#[path = "common/mod.rs"]
mod common;
#[path = "common/hostile.rs"]
mod hostile;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;

use portable_futex::backend::queue::{Bucket, ParkEvent, QueueConfig, SpinLock};
use portable_futex::backend::{Queue, SingleThreaded};
use portable_futex::sync::{self, generic};

/// The default names need no annotation, as locals and as statics.
#[test]
fn default_names_infer_and_live_in_statics() {
    sync_suite::watchdog("the default names in statics to lock and unlock", || {
        static COUNT: sync::Mutex<u32> = sync::Mutex::new(0);
        static TABLE: sync::RwLock<Vec<u32>> = sync::RwLock::new(Vec::new());
        static CHANGED: sync::Condvar = sync::Condvar::new();
        let local = sync::Mutex::new(0);
        let local_rw = sync::RwLock::new(0);
        let local_cv = sync::Condvar::new();
        *local.lock() += 1;
        *local_rw.write() += 1;
        local_cv.notify_one();
        *COUNT.lock() += *local.lock() + *local_rw.read();
        TABLE.write().push(1);
        CHANGED.notify_all();
        let guard: sync::MutexGuard<'_, u32> = COUNT.lock();
        let mapped: sync::MappedMutexGuard<'_, u32> = sync::MutexGuard::map(guard, |c| c);
        assert_eq!(*mapped, 2);
        drop(mapped);
        let read: sync::RwLockReadGuard<'_, Vec<u32>> = TABLE.read();
        assert_eq!(*read, [1]);
    });
}

/// Any backend by name, in a static too; sizes as promised; Send and Sync as std's.
#[test]
fn generic_names_sizes_and_traits() {
    sync_suite::watchdog("the generic names in statics to lock and unlock", || {
        static QUEUED: generic::Mutex<Queue, u32> = generic::Mutex::new(0);
        static QUEUED_RW: generic::RwLock<Queue, u32> = generic::RwLock::new(0);
        static QUEUED_CV: generic::Condvar<Queue> = generic::Condvar::new();
        *QUEUED.lock() += 1;
        *QUEUED_RW.write() += 1;
        QUEUED_CV.notify_one();
        assert_eq!(std::mem::size_of::<sync::Mutex<()>>(), 4);
        assert_eq!(std::mem::size_of::<sync::Condvar>(), 8 + std::mem::size_of::<usize>());
        assert_eq!(std::mem::size_of::<sync::RwLock<()>>(), 8);
        assert_eq!(std::mem::size_of::<generic::Mutex<SingleThreaded, ()>>(), 4);

        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<sync::Mutex<u32>>();
        send_sync::<sync::RwLock<u32>>();
        send_sync::<sync::Condvar>();
        send_sync::<generic::Mutex<Queue, std::cell::Cell<u32>>>(); // T: Send is enough, as std
        send::<sync::RwLock<std::cell::Cell<u32>>>();
        // The guards move between threads (an async task holding one resumes elsewhere).
        send::<sync::MutexGuard<'static, u32>>();
        send::<sync::RwLockReadGuard<'static, u32>>();
        send::<sync::RwLockWriteGuard<'static, u32>>();
    });
}

/// Our condvar waits with the guard of another `lock_api` mutex (parking_lot's).
#[test]
fn condvar_with_parking_lot_mutex() {
    sync_suite::watchdog("a condvar wait on parking_lot's mutex to be notified", || {
        let shared = Arc::new((
            parking_lot::Mutex::new(false),
            generic::Condvar::<portable_futex::DefaultBackend, parking_lot::RawMutex>::new(),
        ));
        let notifier = {
            let shared = shared.clone();
            thread::spawn(move || {
                *shared.0.lock() = true;
                shared.1.notify_one();
            })
        };
        let mut ready = shared.0.lock();
        shared.1.wait_while(&mut ready, |r| !*r);
        drop(ready);
        notifier.join().unwrap();
    });
}

/// Every address in one bucket: the mutex's and the condvar's words share a queue.
struct OneBucket;

impl QueueConfig for OneBucket {
    type Lock = SpinLock;
    type Event = ParkEvent;
    fn buckets() -> &'static [Bucket<SpinLock, ParkEvent>] {
        static BUCKETS: [Bucket<SpinLock, ParkEvent>; 1] = Bucket::table();
        &BUCKETS
    }
}

#[cfg(all(feature = "linux", target_os = "linux"))]
mod linux {
    sync_tests!(portable_futex::backend::Linux);

    #[test]
    fn condvar_with_another_backends_mutex() {
        suite::condvar_with_another_backends_mutex::<B, portable_futex::backend::Queue>();
    }
}

#[cfg(all(feature = "linux", target_os = "linux"))]
mod counted_linux {
    sync_tests!(portable_futex::backend::Counted<portable_futex::backend::Linux>);
}

mod queue {
    sync_tests!(portable_futex::backend::Queue);
}

mod one_bucket {
    sync_tests!(portable_futex::backend::QueueWith<super::OneBucket>);
}

#[cfg(all(feature = "linux", target_os = "linux"))]
mod hostile_linux {
    sync_tests!(crate::hostile::Hostile<portable_futex::backend::Linux>);
}

mod hostile_queue {
    sync_tests!(crate::hostile::Hostile<portable_futex::backend::Queue>);
}

/// A backend that moves sleepers but cannot count its wakes: the mutex's moved sleepers must
/// still be woken. (Not under Miri, to keep its time: a path of wakes, not of memory, which
/// the loom model with an uncounting stand-in checks too.)
#[cfg(not(miri))]
mod uncounting_queue {
    sync_tests!(crate::hostile::Uncounting<portable_futex::backend::Queue>);
}

#[cfg(all(feature = "linux", target_os = "linux", not(miri)))]
mod uncounting_linux {
    sync_tests!(crate::hostile::Uncounting<portable_futex::backend::Linux>);
}

/// One thread: everything that can end does. (A lock that would block forever is the
/// program's deadlock, and waits as the backend's untimed wait does: nothing to test.)
mod single_threaded {
    use std::time::{Duration, Instant};

    use portable_futex::backend::SingleThreaded;
    use portable_futex::sync::generic::{Mutex, RwLock};

    use crate::sync_suite as suite;

    #[test]
    fn basics() {
        crate::sync_suite::watchdog("the single-threaded basics to finish", || {
            suite::mutex_basics::<SingleThreaded>();
            suite::rwlock_basics::<SingleThreaded>();
            suite::mutex_unlocks_on_unwind::<SingleThreaded>(false);
            suite::rwlock_unlocks_on_unwind::<SingleThreaded>();
            suite::condvar_timed_lower_bound::<SingleThreaded>();
        });
    }

    /// A timed lock of a mutex this thread holds sleeps its time out and gives up.
    #[test]
    fn timed_lock_of_a_held_lock_times_out() {
        crate::sync_suite::watchdog("timed locks of held single-threaded locks to give up", || {
            let mutex = Mutex::<SingleThreaded, ()>::new(());
            let _held = mutex.lock();
            let start = Instant::now();
            assert!(mutex.try_lock_for(Duration::from_millis(10)).is_none());
            assert!(start.elapsed() >= Duration::from_millis(10));
            let lock = RwLock::<SingleThreaded, ()>::new(());
            let _w = lock.write();
            assert!(lock.try_read_for(Duration::from_millis(1)).is_none());
            assert!(lock.try_write_for(Duration::from_millis(1)).is_none());
        });
    }
}

/// A many-thread counter on the default names, as a user would write it.
#[test]
fn default_mutex_counts_across_threads() {
    sync_suite::watchdog("four threads to finish counting on the default mutex", || {
        static HITS: sync::Mutex<u32> = sync::Mutex::new(0);
        let spins = AtomicU32::new(0);
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..sync_suite::scaled(1000, 10) {
                        *HITS.lock() += 1;
                        spins.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(*HITS.lock(), spins.load(Ordering::Relaxed));
    });
}

/// Each primitive's `Debug` shows its state as it is (the fields follow every change of the
/// word, not just its zero value).
#[test]
fn debug_follows_the_state() {
    sync_suite::watchdog("each primitive to take the states that Debug shows", || {
        use portable_futex::sync::lock_api::{RawMutex as _, RawRwLock as _};
        type B = Queue;

        let m = sync::RawMutex::<B>::new();
        assert_eq!(format!("{m:?}"), "RawMutex { locked: false, waiters: 0 }");
        let guard = m.lock();
        assert_eq!(format!("{m:?}"), "RawMutex { locked: true, waiters: 0 }");
        // SAFETY: locked just above, on this thread.
        unsafe { m.unlock(guard) };

        let rw = sync::RawRwLock::<B>::new();
        let shown = |rw: &sync::RawRwLock<B>| format!("{rw:?}");
        let idle = "RawRwLock { write_locked: false, readers: 0, readers_waiting: false, \
                    writers_waiting: false, upgradable: false }";
        assert_eq!(shown(&rw), idle);
        let (first, second) = (rw.lock_shared(), rw.lock_shared());
        assert_eq!(
            shown(&rw),
            "RawRwLock { write_locked: false, readers: 2, readers_waiting: false, \
             writers_waiting: false, upgradable: false }"
        );
        // SAFETY: two read locks taken just above, on this thread.
        unsafe { (rw.unlock_shared(first), rw.unlock_shared(second)) };
        let up = sync::lock_api::RawRwLockUpgrade::lock_upgradable(&rw);
        assert_eq!(
            shown(&rw),
            "RawRwLock { write_locked: false, readers: 1, readers_waiting: false, \
             writers_waiting: false, upgradable: true }"
        );
        // SAFETY: taken just above, on this thread.
        unsafe { sync::lock_api::RawRwLockUpgrade::unlock_upgradable(&rw, up) };
        let guard = rw.lock_exclusive();
        assert_eq!(
            shown(&rw),
            "RawRwLock { write_locked: true, readers: 0, readers_waiting: false, \
             writers_waiting: false, upgradable: false }"
        );
        // SAFETY: write-locked just above, on this thread.
        unsafe { rw.unlock_exclusive(guard) };
        assert_eq!(shown(&rw), idle);

        let s = generic::Semaphore::<B>::new(3);
        assert_eq!(format!("{s:?}"), "Semaphore { permits: 3, waiters: 0 }");
        // A waiter counts itself while it waits, and takes itself back out when it leaves.
        let empty = generic::Semaphore::<B>::new(0);
        assert!(!empty.try_acquire_for(std::time::Duration::from_millis(1)));
        assert_eq!(format!("{empty:?}"), "Semaphore { permits: 0, waiters: 0 }");
        let p = generic::Parker::<B>::new();
        assert_eq!(format!("{p:?}"), "Parker { token: false, parked: 0 }");
        p.unpark();
        assert_eq!(format!("{p:?}"), "Parker { token: true, parked: 0 }");
        let e = generic::ResetEvent::<B>::new();
        assert_eq!(format!("{e:?}"), "ResetEvent { set: false }");
        e.set();
        assert_eq!(format!("{e:?}"), "ResetEvent { set: true }");
        let wg = generic::WaitGroup::<B>::new();
        wg.add(2);
        assert_eq!(format!("{wg:?}"), "WaitGroup { pending: 2 }");
        let b = generic::Barrier::<B>::new(3);
        assert_eq!(format!("{b:?}"), "Barrier { n: 3, arrived: 0 }");
        // `n` as the barrier keeps it: at least 1, at most 2³¹ − 1.
        let shown = |n: usize| format!("{:?}", generic::Barrier::<B>::new(n));
        assert_eq!(shown(0), "Barrier { n: 1, arrived: 0 }");
        assert_eq!(shown(usize::MAX), "Barrier { n: 2147483647, arrived: 0 }");
        assert_eq!(shown(1 << 31), "Barrier { n: 2147483647, arrived: 0 }");
        let o = generic::Once::<B>::new();
        assert_eq!(format!("{o:?}"), "Once { state: \"incomplete\" }");
        o.call_once(|| assert_eq!(format!("{o:?}"), "Once { state: \"running\" }"));
        assert_eq!(format!("{o:?}"), "Once { state: \"complete\" }");
        let poisoned = generic::Once::<B>::new();
        let panicked = std::panic::catch_unwind(|| poisoned.call_once(|| panic!("on purpose")));
        assert!(panicked.is_err());
        assert_eq!(format!("{poisoned:?}"), "Once { state: \"poisoned\" }");
        let cell = generic::OnceLock::<B, u32>::new();
        assert_eq!(format!("{cell:?}"), "OnceLock(<uninit>)");
        cell.set(7).unwrap();
        assert_eq!(format!("{cell:?}"), "OnceLock(7)");
        let lazy = generic::LazyLock::<B, u32>::new(|| 5);
        assert_eq!(format!("{lazy:?}"), "LazyLock(<uninit>)");
        assert_eq!(*lazy, 5);
        assert_eq!(format!("{lazy:?}"), "LazyLock(5)");
        assert_eq!(format!("{:?}", generic::Condvar::<B>::new()), "Condvar { .. }");
        let raw = portable_futex::sync::RawCondvar::<B>::default();
        assert_eq!(format!("{raw:?}"), "RawCondvar { .. }");
    });
}

/// A notification sent before a wait is not one for it: the wait sleeps on the counter's
/// value when it starts, so it sleeps its whole timeout (on the queue, whose waits never
/// return spuriously: no signals reach a user-space queue).
#[test]
fn notifications_before_a_wait_do_not_end_it() {
    sync_suite::watchdog("a condvar wait to time out", || {
        let m = generic::Mutex::<Queue, ()>::new(());
        let cv = generic::Condvar::<Queue>::new();
        cv.notify_one();
        cv.notify_all();
        let timeout = std::time::Duration::from_millis(50);
        let mut guard = m.lock();
        let start = std::time::Instant::now();
        assert!(cv.wait_for(&mut guard, timeout).timed_out(), "woken by an old notification");
        assert!(start.elapsed() >= timeout, "timed out early, after {:?}", start.elapsed());
    });
}

/// `OnceLock`'s conversions and comparisons: `From` fills it, `Clone` copies what it holds,
/// `==` compares the contents (an empty cell equals only an empty one).
#[test]
fn once_lock_from_clone_and_eq() {
    sync_suite::watchdog("OnceLock conversions and comparisons", || {
        type Cell = generic::OnceLock<Queue, u32>;
        let full = Cell::from(3);
        assert_eq!(full.get(), Some(&3));
        assert_eq!(full.clone().get(), Some(&3));
        assert_eq!(Cell::new().clone().get(), None);
        assert!(full == Cell::from(3));
        assert!(full != Cell::from(4));
        assert!(full != Cell::new());
        assert!(Cell::new() == Cell::default());
    });
}

/// The deadline-taking lock functions lock a free lock (the suites time them out on held
/// ones), and `LazyLock::get` sees a computed value.
#[test]
fn deadline_locks_take_free_locks_and_lazy_get_sees_the_value() {
    sync_suite::watchdog("deadline locks of free locks and a LazyLock to finish", || {
        use portable_futex::{Deadline, StdClock};
        let deadline = || {
            Deadline::<Queue, _>::with_clock(
                Some(std::time::Duration::from_secs(5)),
                StdClock::new(),
            )
        };
        let mutex = generic::Mutex::<Queue, u32>::new(1);
        assert_eq!(generic::try_lock_by(&mutex, &mut deadline()).map(|g| *g), Some(1));
        let lock = generic::RwLock::<Queue, u32>::new(2);
        assert_eq!(generic::try_read_by(&lock, &mut deadline()).map(|g| *g), Some(2));
        assert_eq!(generic::try_write_by(&lock, &mut deadline()).map(|g| *g), Some(2));

        let lazy = generic::LazyLock::<Queue, u32>::new(|| 9);
        assert_eq!(generic::LazyLock::get(&lazy), None);
        assert_eq!(*lazy, 9);
        assert_eq!(generic::LazyLock::get(&lazy), Some(&9));
    });
}

/// lock_api 0.4's types over the same raw locks (feature `lock_api_04`): code still on 0.4
/// (parking_lot 0.12 and its users) holds them unchanged.
#[cfg(feature = "lock_api_04")]
#[test]
fn lock_api_0_4_types_over_our_raw_locks() {
    use portable_futex::sync::lock_api_04 as v04;
    use portable_futex::sync::{RawFairMutex, RawMutex, StdThreadId};
    type B = Queue;

    sync_suite::watchdog("lock_api 0.4 locks to be shared and released", || {
        let mutex = Arc::new(v04::Mutex::<RawMutex<B>, u64>::new(0));
        let fair = Arc::new(v04::Mutex::<RawFairMutex<B>, u64>::new(0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (mutex, fair) = (mutex.clone(), fair.clone());
                thread::spawn(move || {
                    for i in 0..1000 {
                        *mutex.lock() += 1;
                        let mut f = fair.lock();
                        *f += 1;
                        if i % 100 == 0 {
                            v04::MutexGuard::bump(&mut f);
                        }
                        if let Some(mut m) = mutex.try_lock_for(std::time::Duration::from_millis(1))
                        {
                            *m += 1;
                            v04::MutexGuard::unlock_fair(m);
                        } else {
                            *mutex.lock() += 1;
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!((*mutex.lock(), *fair.lock()), (8000, 4000));

        // A recursive read beside a waiting writer, through lock_api 0.4's `read_recursive`.
        let rw = Arc::new(v04::RwLock::<portable_futex::sync::RawRwLock<B>, u32>::new(1));
        let first = rw.read();
        let writer = {
            let rw = rw.clone();
            thread::spawn(move || *rw.write() += 1)
        };
        // SAFETY: only read, for its `Debug`.
        while !format!("{:?}", unsafe { rw.raw() }).contains("writers_waiting: true") {
            thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(*rw.read_recursive() + *first, 2);
        drop(first);
        writer.join().unwrap();
        assert_eq!(*rw.read(), 2);

        let re = Arc::new(v04::ReentrantMutex::<RawMutex<B>, StdThreadId, u32>::new(7));
        let outer = re.lock();
        assert_eq!(*re.lock() + *outer, 14);
        // Another thread has another id: it is kept out.
        let other = re.clone();
        assert!(thread::spawn(move || other.try_lock().is_none()).join().unwrap());
        drop(outer);
        assert!(!re.is_locked());
    });
}

/// Every try and timed form of lock_api 0.4's traits answers as the lock's state says, on one
/// thread: taken when free, refused when held (a timed form only after its time), for each of
/// our raw locks.
#[cfg(feature = "lock_api_04")]
#[test]
fn lock_api_0_4_try_and_timed_forms() {
    use portable_futex::sync::lock_api_04 as v04;
    use portable_futex::sync::{RawFairMutex, RawMutex, RawRecursiveRwLock, RawRwLock};
    use std::time::{Duration, Instant};
    type B = Queue;
    let short = Duration::from_millis(5);
    let refused_after_its_time = |try_it: &dyn Fn(Duration) -> bool| {
        let start = Instant::now();
        assert!(!try_it(short), "a timed form took a held lock");
        assert!(start.elapsed() >= short, "gave up after {:?}", start.elapsed());
    };

    fn mutex_forms<R>(refused: &dyn Fn(&dyn Fn(Duration) -> bool))
    where
        R: v04::RawMutex + v04::RawMutexTimed<Duration = Duration, Instant = Instant>,
    {
        let mutex = v04::Mutex::<R, u32>::new(0);
        assert!(!mutex.is_locked());
        let held = mutex.try_lock().expect("a free mutex");
        assert!(mutex.is_locked());
        assert!(mutex.try_lock().is_none(), "try_lock of a held mutex");
        refused(&|t| mutex.try_lock_for(t).is_some());
        refused(&|t| mutex.try_lock_until(Instant::now() + t).is_some());
        drop(held);
        assert!(!mutex.is_locked());
        assert!(mutex.try_lock_for(Duration::from_secs(1)).is_some());
        assert!(mutex.try_lock_until(Instant::now()).is_some());
    }
    mutex_forms::<RawMutex<B>>(&refused_after_its_time);
    mutex_forms::<RawFairMutex<B>>(&refused_after_its_time);

    let rw = v04::RwLock::<RawRwLock<B>, u32>::new(1);
    let read = rw.try_read().expect("a free rwlock");
    assert!(rw.is_locked() && !rw.is_locked_exclusive());
    assert!(rw.try_write().is_none(), "try_write beside a reader");
    refused_after_its_time(&|t| rw.try_write_for(t).is_some());
    refused_after_its_time(&|t| rw.try_write_until(Instant::now() + t).is_some());
    assert!(rw.try_read_recursive().is_some() && rw.try_read_for(short).is_some());
    assert!(rw.try_read_recursive_for(short).is_some());
    assert!(rw.try_read_recursive_until(Instant::now()).is_some());
    let upgradable = rw.try_upgradable_read().expect("an upgradable read beside a reader");
    assert!(rw.try_upgradable_read().is_none(), "a second upgradable read");
    refused_after_its_time(&|t| rw.try_upgradable_read_for(t).is_some());
    refused_after_its_time(&|t| rw.try_upgradable_read_until(Instant::now() + t).is_some());
    // The plain reader keeps the upgrade out: try, then timed, each refused.
    let upgradable = v04::RwLockUpgradableReadGuard::try_upgrade(upgradable)
        .expect_err("an upgrade beside a reader");
    let upgradable = v04::RwLockUpgradableReadGuard::try_upgrade_for(upgradable, short)
        .expect_err("a timed upgrade beside a reader");
    let start = Instant::now();
    let upgradable = v04::RwLockUpgradableReadGuard::try_upgrade_until(upgradable, start + short)
        .expect_err("a timed upgrade beside a reader");
    assert!(start.elapsed() >= short);
    drop(read);
    let mut write = v04::RwLockUpgradableReadGuard::try_upgrade(upgradable)
        .expect("an upgrade with no other reader");
    assert!(rw.is_locked_exclusive());
    *write += 1;
    assert!(rw.try_read().is_none() && rw.try_read_recursive().is_none());
    refused_after_its_time(&|t| rw.try_read_for(t).is_some());
    refused_after_its_time(&|t| rw.try_read_until(Instant::now() + t).is_some());
    refused_after_its_time(&|t| rw.try_read_recursive_for(t).is_some());
    refused_after_its_time(&|t| rw.try_read_recursive_until(Instant::now() + t).is_some());
    let upgradable = v04::RwLockWriteGuard::downgrade_to_upgradable(write);
    assert!(!rw.is_locked_exclusive() && rw.try_read().is_some());
    let write = v04::RwLockUpgradableReadGuard::upgrade(upgradable);
    let read = v04::RwLockWriteGuard::downgrade(write);
    assert_eq!(*read, 2);
    drop(read);
    let upgradable = rw.upgradable_read();
    let read = v04::RwLockUpgradableReadGuard::downgrade(upgradable);
    assert!(rw.try_write().is_none());
    v04::RwLockReadGuard::unlock_fair(read);
    let write = rw.try_write_until(Instant::now()).expect("a free rwlock");
    v04::RwLockWriteGuard::unlock_fair(write);
    let upgradable = rw.try_upgradable_read_for(short).expect("a free rwlock");
    let upgradable = v04::RwLockUpgradableReadGuard::try_upgrade_for(upgradable, short)
        .expect("an upgrade alone");
    let upgradable = v04::RwLockWriteGuard::downgrade_to_upgradable(upgradable);
    v04::RwLockUpgradableReadGuard::unlock_fair(upgradable);
    assert!(!rw.is_locked());
    let write = rw.try_write().expect("a free rwlock");
    assert!(rw.is_locked_exclusive());
    drop(write);

    // The recursive rwlock: its reads are recursive; the rest as the plain one.
    // A recursive read counts as a reader: a writer is kept out until it is gone.
    let recursive = rw.read_recursive();
    assert!(rw.is_locked() && rw.try_write().is_none());
    drop(recursive);
    assert!(!rw.is_locked());

    let re = v04::RwLock::<RawRecursiveRwLock<B>, u32>::new(3);
    let read = re.read();
    assert!(re.is_locked() && re.try_write().is_none());
    drop(read);
    let write = re.write();
    assert!(re.is_locked_exclusive() && re.try_read().is_none());
    drop(write);
    let read = re.try_read().expect("a free rwlock");
    assert!(re.is_locked() && !re.is_locked_exclusive());
    assert!(re.try_write().is_none());
    drop(read);
    let write = re.try_write().expect("a free rwlock");
    assert!(re.is_locked_exclusive() && re.try_read().is_none());
    drop(write);
    assert!(!re.is_locked());
}

/// Waiters on one condvar with two mutexes: first `xs` of them with the mutex whose address
/// the condvar kept from earlier waits (`x`), then `ys` with another (`y`). The first
/// arrival with `y` marks the waiters as mixed, and the mark stays while any is counted, so
/// notifications wake rather than move a waiter onto a mutex it does not wait with. A
/// `notify_one` made holding `y` must bring the first waiter (the oldest) back while `y` is
/// held; a `notify_all` made holding `x`, those with `y`.
fn condvar_with_two_mutexes<B: portable_futex::FutexBackend + 'static>(
    all: bool,
    xs: usize,
    ys: usize,
) {
    use std::time::Duration;
    sync_suite::watchdog("a waiter with another mutex than the notifier's", move || {
        let cv = Arc::new(generic::Condvar::<B>::new());
        let x = Arc::new(generic::Mutex::<B, bool>::new(false));
        let y = Arc::new(generic::Mutex::<B, bool>::new(false));
        // Earlier waits with `x`, three at once, which leave its address stored (whichever of
        // them stores it).
        let earlier: Vec<_> = (0..3)
            .map(|_| {
                let (cv, x) = (cv.clone(), x.clone());
                thread::spawn(move || {
                    let _ = cv.wait_for(&mut x.lock(), Duration::from_millis(30));
                })
            })
            .collect();
        for waiter in earlier {
            waiter.join().unwrap();
        }
        let waiter = |m: &Arc<generic::Mutex<B, bool>>| {
            let (cv, m) = (cv.clone(), m.clone());
            let (tx, rx) = std::sync::mpsc::channel();
            let waiter = thread::spawn(move || {
                tx.send(common::thread_id()).unwrap();
                let mut ready = m.lock();
                while !*ready {
                    cv.wait(&mut ready);
                }
            });
            common::wait_until_asleep(&[rx.recv().unwrap()]);
            waiter
        };
        // Each waiter asleep before the next comes: they are woken in that order.
        let mut with_x: Vec<_> = (0..xs).map(|_| waiter(&x)).collect();
        let mut with_y: Vec<_> = (0..ys).map(|_| waiter(&y)).collect();
        *x.lock() = true;
        *y.lock() = true;
        let (back, held) = if all {
            let held = x.lock();
            cv.notify_all();
            (std::mem::take(&mut with_y), held)
        } else {
            let held = y.lock();
            cv.notify_one();
            (vec![with_x.remove(0)], held)
        };
        // Back while the other mutex is still held: woken, not moved onto it.
        for waiter in back {
            waiter.join().unwrap();
        }
        drop(held);
        with_x.append(&mut with_y);
        cv.notify_all();
        for other in with_x {
            other.join().unwrap();
        }
    });
}

#[cfg(all(any(feature = "linux", feature = "linux-raw"), target_os = "linux"))]
#[test]
fn condvar_with_two_mutexes_on_linux() {
    for (all, xs, ys) in [(false, 1, 1), (true, 1, 1), (true, 1, 2), (false, 2, 1)] {
        condvar_with_two_mutexes::<portable_futex::backend::Linux>(all, xs, ys);
    }
}

#[test]
fn condvar_with_two_mutexes_on_the_queue() {
    for (all, xs, ys) in [(false, 1, 1), (true, 1, 1), (true, 1, 2), (false, 2, 1)] {
        condvar_with_two_mutexes::<Queue>(all, xs, ys);
    }
}
