//! The bucket lock: mutual exclusion for a bucket's wait queues, short and never held while
//! sleeping.

/// A lock for a bucket. The critical sections are short (a treap lookup and a few pointer
/// updates) and never block, so a spin lock or a critical section serves as well as a mutex.
///
/// # Safety
///
/// `with` runs `f` with mutual exclusion against every other `with` on the same lock, from
/// any thread, and (if `wake` is called from interrupt handlers) from any interrupt. It does
/// not allocate, and it does not panic unless `f` does.
pub unsafe trait BucketLock: Sync {
    /// An unlocked lock, usable in a `static`.
    #[cfg(not(all(loom, test)))]
    const INIT: Self;

    /// An unlocked lock (loom's locks cannot be built in a constant).
    #[cfg(all(loom, test))]
    fn init() -> Self;

    /// Runs `f` holding the lock.
    fn with<R>(&self, f: impl FnOnce() -> R) -> R;

    /// Whether two locks of this type may be held at once, one taken inside the other's
    /// `with` (always in the same order: the bucket first in the table first). A requeue
    /// needs it, to move waiters between two buckets in one step; with `false`, the default,
    /// the queue's requeue wakes instead of moving.
    ///
    /// Set it only if nesting keeps mutual exclusion: a mutex or spin lock per bucket does,
    /// and so does a critical section that restores the state it found (`critical-section`,
    /// FreeRTOS's); one that masks interrupts on entry and unmasks them on exit, whatever
    /// they were, does not (the inner exit would unmask inside the outer section).
    const NESTS: bool = false;
}

/// The `std` lock: `std::sync::Mutex`, on whatever the OS offers. Not for `wake` from a
/// signal handler (a handler that interrupted the same bucket's critical section would
/// deadlock): OS futex backends are signal-safe, the queue on this lock is not.
#[cfg(all(feature = "std", not(all(loom, test))))]
#[derive(Debug)]
pub struct StdLock(std::sync::Mutex<()>);

// SAFETY: a mutex; poisoning cannot happen (the queue's sections do not panic) and is
// ignored if it somehow did, since the guarded data has no invariant a panic could break
// half-way that the lock would protect.
#[cfg(all(feature = "std", not(all(loom, test))))]
unsafe impl BucketLock for StdLock {
    const INIT: Self = Self(std::sync::Mutex::new(()));
    // One mutex per bucket.
    const NESTS: bool = true;

    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f()
    }
}

/// A spin lock (`spin::Mutex`), for targets without `std` that have compare-and-swap: fine
/// while the critical sections are as short as the queue's, on cores that are not preempted
/// while holding it. Not for waking from interrupt handlers, nor for single-core targets
/// without compare-and-swap (thumbv6m, riscv32imc): use `CriticalSectionLock` there.
#[cfg(all(target_has_atomic = "8", not(all(loom, test))))]
#[derive(Debug)]
pub struct SpinLock(spin::Mutex<()>);

// SAFETY: `spin::Mutex` is a mutual-exclusion lock.
#[cfg(all(target_has_atomic = "8", not(all(loom, test))))]
unsafe impl BucketLock for SpinLock {
    const INIT: Self = Self(spin::Mutex::new(()));
    // One spin lock per bucket.
    const NESTS: bool = true;

    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.0.lock();
        f()
    }
}

/// A lock that is a `critical_section::with`: on a single-core microcontroller it masks
/// interrupts, so interrupt handlers may call `wake` (feature `critical-section`).
#[cfg(all(feature = "critical-section", not(all(loom, test))))]
#[derive(Debug)]
pub struct CriticalSectionLock(());

// SAFETY: a critical section excludes every other critical section, on every core and in
// every interrupt, by the `critical-section` crate's contract.
#[cfg(all(feature = "critical-section", not(all(loom, test))))]
unsafe impl BucketLock for CriticalSectionLock {
    const INIT: Self = Self(());
    // `critical_section::with` nests: the inner one restores what it found, so the outer
    // one's exclusion holds until it ends.
    const NESTS: bool = true;

    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        critical_section::with(|_| f())
    }
}
