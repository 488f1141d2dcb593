//! The bucket table: where an address's waiters live, found by hashing the address.

use core::cell::UnsafeCell;

use super::sync::AtomicUsize;
use super::treap::Treap;
use super::BucketLock;

/// One bucket: a lock, the count of waiters that announced themselves, and the wait queues of
/// every address that hashes here.
///
/// Aligned to a cache line (two on x86_64 and aarch64, whose prefetchers fetch pairs) so that
/// threads busy on different buckets do not contend for one line. Bare-metal targets, which
/// count their RAM in kilobytes and have no such caches, skip the padding.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64", target_os = "none")),
    repr(align(64))
)]
pub struct Bucket<L> {
    pub(super) lock: L,
    /// Waiters that have announced themselves and not yet been taken out or given up. A wake
    /// that reads zero here returns without the lock (see the protocol in `mod.rs`).
    pub(super) pending: AtomicUsize,
    /// Guarded by `lock`.
    treap: UnsafeCell<Treap>,
}

// SAFETY: `treap` is only touched through `with_treap`, under `lock`; the rest is atomics and
// the lock itself, which is `Sync`.
unsafe impl<L: BucketLock> Sync for Bucket<L> {}

impl<L: BucketLock> Bucket<L> {
    /// An empty bucket.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        Self { lock: L::INIT, pending: AtomicUsize::new(0), treap: UnsafeCell::new(Treap::new()) }
    }

    /// An empty bucket (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub fn new() -> Self {
        Self { lock: L::init(), pending: AtomicUsize::new(0), treap: UnsafeCell::new(Treap::new()) }
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

impl<L: BucketLock> Default for Bucket<L> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket of `address` in `table` (see `address_hash.rs`).
///
/// # Panics
///
/// If `table` is empty (a misconfigured `QueueConfig`; [`Bucket::table`] refuses to build one).
pub(super) fn bucket_of<L>(table: &[Bucket<L>], address: usize) -> &Bucket<L> {
    &table[crate::backend::address_hash::index(address, table.len())]
}
