//! `Shared<B>`: backend `B` in its process-shared scope, for words that live in memory mapped
//! by more than one process.
//!
//! Every built-in backend waits in the *private* scope: the kernel keys a waiter by its
//! process and the word's virtual address, which is cheaper (no page lookup) but means that a
//! waiter in one process can never be woken from another. The shared scope keys the waiter by
//! what the memory *is* (the file, shared-memory object or physical page behind it and the
//! offset in it), so two processes that map the same memory, at any addresses, meet on it.
//!
//! The scope is a wrapper rather than a parameter of every call because it must be the same
//! for every waiter and every waker of a word (see [`Shared`]): fixing it in the type, once,
//! makes that the default, and the sync primitives take it unchanged
//! (`sync::generic::Mutex<Shared<Linux>, T>`).
//!
//! Which kernels have the shared scope, and how each is reached:
//!
//! | backend | shared wait / wake |
//! |---|---|
//! | `Linux` | `futex(2)` `FUTEX_WAIT` / `FUTEX_WAKE` without `FUTEX_PRIVATE_FLAG` |
//! | `FreeBsd` | `_umtx_op` `UMTX_OP_WAIT_UINT` / `UMTX_OP_WAKE` (shared when the mapping is inherited shared, as `MAP_SHARED` is) |
//! | `OpenBsd` | `futex(2)` without `FUTEX_PRIVATE_FLAG` (shared when the mapping is of an object, a file or `shm_open`, inherited shared) |
//! | `DragonFly` | `umtx_sleep` / `umtx_wakeup`, the same calls as the private backend: the kernel keys them by physical page already |
//! | `Darwin` | `os_sync_*` with `OS_SYNC_*_SHARED` (macOS 14.4+); with `darwin-ulock`, `__ulock_*` with `UL_COMPARE_AND_WAIT_SHARED`; else a bounded polling sleep |
//!
//! And which have none: Windows (`WaitOnAddress` wakes only threads of its own process), the
//! user-space queue (its waiters and its table live in one process's memory), `Counted`
//! (its counters do too), `SingleThreaded`, and bare metal. Naming `Shared` on one of them
//! fails to compile, with [`SharedScope`]'s message.

use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::{FutexBackend, Requeued, Timeout, WordChanged};

/// Backend `B` in the process-shared scope: waiters and wakers in different processes meet on
/// a word in memory they all map (`mmap(MAP_SHARED)`, `shm_open`, `memfd_create`).
///
/// A [`FutexBackend`] wherever `B` implements [`SharedScope`] (Linux, FreeBSD, OpenBSD,
/// DragonFly, Apple); [`DefaultSharedBackend`](crate::DefaultSharedBackend) names the target's.
/// Everything built on a backend works on it unchanged: [`Futex`](crate::Futex),
/// [`Deadline`](crate::Deadline), and the locks of `sync` (`RawMutex<Shared<Linux>>`...),
/// whose layout and all-zero initial state are documented so that a fresh zero-filled
/// mapping holds valid, unlocked ones.
///
/// ```
/// # #[cfg(all(feature = "linux", target_os = "linux"))] {
/// use core::sync::atomic::AtomicU32;
/// use portable_futex::backend::{Linux, Shared};
/// use portable_futex::Futex;
///
/// // In real use the word lives in a mapping shared with another process.
/// let word = AtomicU32::new(1);
/// Futex::<Shared<Linux>>::wait(&word, 0); // the value differs: returns at once
/// Futex::<Shared<Linux>>::wake(&word, 1); // wakes a waiter in any process mapping it
/// # }
/// ```
///
/// What does not cross:
///
/// - **The scope is part of the key.** A waiter in the private scope (`Futex<Linux>`, the
///   root functions, `sync::Mutex`) and a waker in the shared one (`Futex<Shared<Linux>>`),
///   or the other way round, do not meet on the same word: the wake finds nobody and the
///   waiter sleeps on. Linux files the two scopes under different keys always (even in private
///   memory); FreeBSD, OpenBSD and Darwin at least in shared memory, where it matters;
///   DragonFly has one scope, where they would meet (do not rely on it). Choose
///   the scope per word, by its type: every waiter *and* waker of a shared word uses
///   `Shared`, in every process (`tests/process_shared.rs` shows a private waiter sleeping
///   through a shared wake on Linux).
/// - **No `Counted` around it.** `Counted` skips the wake when *its* counters, which live in
///   the waking process's memory, say nobody waits: a waiter in another process is never
///   counted there, so its wake would be lost. `Counted<Shared<B>>` therefore fails to build
///   (an error when the program is compiled to code, through
///   [`FutexBackend::PROCESS_SHARED`]; `cargo check` does not get that far), and
///   `Shared<Counted<B>>` does not compile. Use `Shared<B>` bare.
/// - **A process that dies holding a lock leaves it held.** The locks of `sync` keep their
///   state in the shared word only; nothing records the owner, so nothing can release it when
///   the owner exits or crashes, and the other processes wait on it for ever (or until their
///   timed waits give up). Linux's robust futexes, which hand such a lock to the next waiter
///   with an "owner died" mark, are out of scope for this crate. A process that dies *waiting*
///   for a `Mutex` costs only a wake that finds nobody: on a process-shared backend the mutex
///   sends a wake at every unlock with waiters counted, and never hands itself to one waiter.
/// - **Memory, not addresses.** The word may sit at different virtual addresses in each
///   process; the kernel finds the same memory behind them. On OpenBSD that works for a
///   mapping of an object (a file, or `shm_open`), not for anonymous `MAP_SHARED` memory,
///   which its kernel keys per process; on FreeBSD for mappings inherited shared (every
///   `MAP_SHARED` one).
/// - **On Apple systems older than macOS 14.4 / iOS 17.4**, which lack `os_sync_*`, without
///   `darwin-ulock` (or where the private `__ulock_*` is missing too), no public call waits
///   across processes. `Shared<Darwin>` then sleeps in short slices, re-reading the word, and
///   returns within about 2 ms as a spurious wakeup: no wake is ever lost, at the cost of
///   that latency and of a thread that wakes a few hundred times a second while it waits.
///   Every process sharing a word there must be built alike: one built with `darwin-ulock`
///   sleeps in the kernel, where the wake of one built without it (which has nothing to
///   call) never reaches it.
pub struct Shared<B>(PhantomData<fn() -> B>);

impl<B> fmt::Debug for Shared<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Shared")
    }
}

impl<B> Clone for Shared<B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Shared<B> {}

/// A backend whose system can also wait and wake across processes: what [`Shared<B>`] needs
/// of `B`. (Its [`FutexBackend::yield_now`] serves `Shared<B>` too: a yield has no scope.)
///
/// The two functions keep every promise of [`FutexBackend`] (the rules, the no-lost-wakeup
/// order, `Err(Timeout)` only once the time passed, the address alone for `wake`), with one
/// more: a waiter and a waker in *different processes* that map the same memory meet on it,
/// whatever address each sees it at. Implemented by `Linux`, `FreeBsd`, `OpenBsd`,
/// `DragonFly` and `Darwin`, on their targets; a platform of yours with such a call can
/// implement it too.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot wait across processes, so `Shared<{Self}>` is not a backend",
    label = "no process-shared futex behind this backend",
    note = "a process-shared wait needs a kernel call that keys the word by the memory behind it: \
            `Linux`, `FreeBsd`, `OpenBsd`, `DragonFly` and `Darwin` have one \
            (`DefaultSharedBackend` names the target's). Windows' `WaitOnAddress` wakes only \
            threads of its own process; the queue's waiters (`Queue`, `QueueWith`) and \
            `Counted`'s counters live in one process's memory; `SingleThreaded`, bare metal \
            and `NoDefaultSharedBackend` (a target without a shared futex) have no other \
            process to reach"
)]
pub trait SharedScope: FutexBackend {
    /// [`FutexBackend::wait`] in the process-shared scope.
    fn wait_shared(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout>;

    /// [`FutexBackend::wake`] in the process-shared scope: the address alone, never
    /// dereferenced.
    fn wake_shared(futex: *const AtomicU32, max_waiters: u32);

    /// [`FutexBackend::requeue`] in the process-shared scope. The provided form wakes
    /// instead of moving, as `FutexBackend`'s does, through [`wake_shared`](Self::wake_shared);
    /// `Linux` moves (`FUTEX_CMP_REQUEUE` without the private flag).
    fn requeue_shared(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        let _ = to;
        crate::requeue::wake_instead(
            from,
            expect,
            max_wake.saturating_add(max_move),
            Self::wake_shared,
        )
    }
}

impl<B: SharedScope> FutexBackend for Shared<B> {
    // `Counted<Shared<B>>` then fails to build (see `Counted`).
    const PROCESS_SHARED: bool = true;

    #[inline]
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        B::wait_shared(futex, expect, timeout)
    }

    #[inline]
    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        B::wake_shared(futex, max_waiters)
    }

    #[inline]
    fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        B::requeue_shared(from, expect, to, max_wake, max_move)
    }

    #[inline]
    fn yield_now() -> bool {
        B::yield_now()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;

    /// A backend with a process-shared scope that never sleeps, which can yield or not.
    struct Scope<const YIELDS: bool>;

    impl<const YIELDS: bool> FutexBackend for Scope<YIELDS> {
        fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
            Ok(())
        }
        fn wake(_: *const AtomicU32, _: u32) {}
        fn yield_now() -> bool {
            YIELDS
        }
    }

    impl<const YIELDS: bool> SharedScope for Scope<YIELDS> {
        fn wait_shared(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
            Ok(())
        }
        fn wake_shared(_: *const AtomicU32, _: u32) {}
    }

    /// A yield has no scope: `Shared<B>` yields as `B` does.
    #[test]
    fn shared_yields_as_its_backend_does() {
        assert!(Shared::<Scope<true>>::yield_now());
        assert!(!Shared::<Scope<false>>::yield_now());
    }

    #[test]
    fn debug_names_the_scope() {
        let shared = Shared::<Scope<true>>(PhantomData);
        assert_eq!(std::format!("{shared:?}"), "Shared");
    }
}
