//! The bucket table: where an address's waiters live, found by hashing the address.

use core::cell::UnsafeCell;
use core::marker::PhantomData;

use super::sync::AtomicUsize;
use super::treap::Treap;
use super::{BucketLock, Event};

/// One bucket: a lock, the count of waiters that announced themselves, and the wait queues of
/// every address that hashes here.
///
/// A bucket is typed by its lock `L` *and* by the event `E` of the waiters it queues: a wake
/// treats every waiter it finds as a waiter with an `E`, so a table must only ever be used
/// with one event type. The type says so, and the compiler holds every
/// [`QueueConfig`](super::QueueConfig) to it: two configs can share a table only if their
/// lock and event agree. Two configs with their own tables build:
///
/// ```
/// # use core::sync::atomic::{AtomicBool, Ordering};
/// # use core::time::Duration;
/// # use portable_futex::backend::queue::{Bucket, Event, ParkEvent, QueueConfig, SpinLock};
/// # use portable_futex::Timeout;
/// # struct Flag(AtomicBool);
/// # // SAFETY: Ok only once set; `set` touches nothing after its store.
/// # unsafe impl Event for Flag {
/// #     fn new() -> Self {
/// #         Flag(AtomicBool::new(false))
/// #     }
/// #     fn wait(&self, _: Option<Duration>) -> Result<(), Timeout> {
/// #         while !self.0.load(Ordering::Acquire) {}
/// #         Ok(())
/// #     }
/// #     unsafe fn set(this: *const Self) {
/// #         // SAFETY: alive until this store.
/// #         unsafe { (*this).0.store(true, Ordering::Release) }
/// #     }
/// # }
/// static SHARED: [Bucket<SpinLock, ParkEvent>; 4] = Bucket::table();
///
/// struct Parked;
/// impl QueueConfig for Parked {
///     type Lock = SpinLock;
///     type Event = ParkEvent;
///     fn buckets() -> &'static [Bucket<SpinLock, ParkEvent>] {
///         &SHARED
///     }
/// }
///
/// struct Flagged;
/// impl QueueConfig for Flagged {
///     type Lock = SpinLock;
///     type Event = Flag;
///     fn buckets() -> &'static [Bucket<SpinLock, Flag>] {
///         static OWN: [Bucket<SpinLock, Flag>; 4] = Bucket::table();
///         &OWN
///     }
/// }
/// ```
///
/// and the same program with the second config on the first one's table does not, since
/// its waiters would be woken as waiters of the wrong type (the only change from the
/// example above is that `Flagged::buckets` returns `&SHARED`):
///
/// ```compile_fail,E0308
/// use core::sync::atomic::{AtomicBool, Ordering};
/// use core::time::Duration;
/// use portable_futex::backend::queue::{Bucket, Event, ParkEvent, QueueConfig, SpinLock};
/// use portable_futex::Timeout;
///
/// struct Flag(AtomicBool);
/// // SAFETY: Ok only once set; `set` touches nothing after its store.
/// unsafe impl Event for Flag {
///     fn new() -> Self {
///         Flag(AtomicBool::new(false))
///     }
///     fn wait(&self, _: Option<Duration>) -> Result<(), Timeout> {
///         while !self.0.load(Ordering::Acquire) {}
///         Ok(())
///     }
///     unsafe fn set(this: *const Self) {
///         // SAFETY: alive until this store.
///         unsafe { (*this).0.store(true, Ordering::Release) }
///     }
/// }
///
/// static SHARED: [Bucket<SpinLock, ParkEvent>; 4] = Bucket::table();
///
/// struct Parked;
/// impl QueueConfig for Parked {
///     type Lock = SpinLock;
///     type Event = ParkEvent;
///     fn buckets() -> &'static [Bucket<SpinLock, ParkEvent>] {
///         &SHARED
///     }
/// }
///
/// struct Flagged;
/// impl QueueConfig for Flagged {
///     type Lock = SpinLock;
///     type Event = Flag;
///     fn buckets() -> &'static [Bucket<SpinLock, Flag>] {
///         &SHARED // error: a table of `ParkEvent` waiters is not one of `Flag` waiters
///     }
/// }
/// ```
///
/// Aligned to a cache line (two on x86_64 and aarch64, whose prefetchers fetch pairs) so that
/// threads busy on different buckets do not contend for one line. Bare-metal targets, which
/// count their RAM in kilobytes and have no such caches, skip the padding.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64", target_os = "none")),
    repr(align(64))
)]
pub struct Bucket<L, E> {
    pub(super) lock: L,
    /// Waiters that have announced themselves and not yet been taken out or given up. A wake
    /// that reads zero here returns without the lock (see the protocol in `mod.rs`).
    pub(super) pending: AtomicUsize,
    /// Guarded by `lock`.
    treap: UnsafeCell<Treap>,
    /// The waiters' event type. Invariant (`fn(E) -> E`), so that no subtyping coercion can
    /// pass a table off as one of another event type.
    _event: PhantomData<fn(E) -> E>,
}

// SAFETY: `treap` is only touched through `with_treap`, under `lock`; the rest is atomics and
// the lock itself, which is `Sync`. The waiters it links belong to other threads, whose
// events wakers set from any thread, which `Event`'s contract allows.
unsafe impl<L: BucketLock, E: Event> Sync for Bucket<L, E> {}

impl<L: BucketLock, E> Bucket<L, E> {
    /// An empty bucket.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        Self {
            lock: L::INIT,
            pending: AtomicUsize::new(0),
            treap: UnsafeCell::new(Treap::new()),
            _event: PhantomData,
        }
    }

    /// An empty bucket (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub fn new() -> Self {
        Self {
            lock: L::init(),
            pending: AtomicUsize::new(0),
            treap: UnsafeCell::new(Treap::new()),
            _event: PhantomData,
        }
    }

    /// A table of `N` empty buckets for a `static`; `N` must be at least 1. More buckets
    /// means less contention between unrelated addresses, at 64 to 128 bytes each.
    #[cfg(not(all(loom, test)))]
    pub const fn table<const N: usize>() -> [Self; N] {
        const { assert!(N > 0, "a bucket table needs at least one bucket") };
        [const { Self::new() }; N]
    }

    /// Runs `f` on the treap, holding the lock.
    pub(super) fn with_treap<R>(&self, f: impl FnOnce(&mut Treap) -> R) -> R {
        self.lock.with(|| {
            // SAFETY: the lock is held, and this is the only place that reaches the treap.
            f(unsafe { &mut *self.treap.get() })
        })
    }
}

impl<L: BucketLock, E> Default for Bucket<L, E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of `address` in `table` (see `address_hash.rs`).
///
/// # Panics
///
/// If `table` is empty (a misconfigured `QueueConfig`; [`Bucket::table`] refuses to build one).
pub(super) fn bucket_of<L, E>(table: &[Bucket<L, E>], address: usize) -> &Bucket<L, E> {
    &table[crate::backend::address_hash::index(address, table.len())]
}
