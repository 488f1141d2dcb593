//! The locks' behavioural suite (`tests/sync_suite/`) on every backend this machine runs: the
//! OS's, `Counted<OS>`, the queue (std pieces, and one bucket for every address), and the
//! hostile adapter (`tests/common/hostile.rs`: spurious returns, wakes of more than asked) over
//! two of them; `SingleThreaded` where one thread is meaningful. Plus the naming promises:
//! `let m = Mutex::new(0);` and `static M: Mutex<u32> = Mutex::new(0);` on the default
//! backend, `generic::Mutex<B, T>` on any.

#[macro_use]
mod sync_suite;
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
}

/// Any backend by name, in a static too; sizes as promised; Send and Sync as std's.
#[test]
fn generic_names_sizes_and_traits() {
    static QUEUED: generic::Mutex<Queue, u32> = generic::Mutex::new(0);
    static QUEUED_RW: generic::RwLock<Queue, u32> = generic::RwLock::new(0);
    static QUEUED_CV: generic::Condvar<Queue> = generic::Condvar::new();
    *QUEUED.lock() += 1;
    *QUEUED_RW.write() += 1;
    QUEUED_CV.notify_one();
    assert_eq!(std::mem::size_of::<sync::Mutex<()>>(), 4);
    assert_eq!(std::mem::size_of::<sync::Condvar>(), 4);
    assert_eq!(std::mem::size_of::<sync::RwLock<()>>(), 8);
    assert_eq!(std::mem::size_of::<generic::Mutex<SingleThreaded, ()>>(), 4);

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<sync::Mutex<u32>>();
    send_sync::<sync::RwLock<u32>>();
    send_sync::<sync::Condvar>();
    send_sync::<generic::Mutex<Queue, std::cell::Cell<u32>>>(); // T: Send is enough, as std
    send::<sync::RwLock<std::cell::Cell<u32>>>();
}

/// Our condvar waits with the guard of another `lock_api` mutex (parking_lot's).
#[test]
fn condvar_with_parking_lot_mutex() {
    let shared = Arc::new((parking_lot::Mutex::new(false), sync::Condvar::new()));
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

/// One thread: everything that can end does. (A lock that would block forever is the
/// program's deadlock, and waits as the backend's untimed wait does: nothing to test.)
mod single_threaded {
    use std::time::{Duration, Instant};

    use portable_futex::backend::SingleThreaded;
    use portable_futex::sync::generic::{Mutex, RwLock};

    use crate::sync_suite as suite;

    #[test]
    fn basics() {
        suite::mutex_basics::<SingleThreaded>();
        suite::rwlock_basics::<SingleThreaded>();
        suite::mutex_unlocks_on_unwind::<SingleThreaded>(false);
        suite::rwlock_unlocks_on_unwind::<SingleThreaded>();
        suite::condvar_timed_lower_bound::<SingleThreaded>();
    }

    /// A timed lock of a mutex this thread holds sleeps its time out and gives up.
    #[test]
    fn timed_lock_of_a_held_lock_times_out() {
        let mutex = Mutex::<SingleThreaded, ()>::new(());
        let _held = mutex.lock();
        let start = Instant::now();
        assert!(mutex.try_lock_for(Duration::from_millis(10)).is_none());
        assert!(start.elapsed() >= Duration::from_millis(10));
        let lock = RwLock::<SingleThreaded, ()>::new(());
        let _w = lock.write();
        assert!(lock.try_read_for(Duration::from_millis(1)).is_none());
        assert!(lock.try_write_for(Duration::from_millis(1)).is_none());
    }
}

/// A many-thread counter on the default names, as a user would write it.
#[test]
fn default_mutex_counts_across_threads() {
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
}
