//! The one seam of the crate: what a backend must do.

use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::{Requeued, Timeout, WordChanged};

/// A way to block a thread on a 32-bit word and wake it by address.
///
/// Each OS backend in [`backend`](crate::backend) implements this, and so can you: an RTOS, a
/// kernel or a hypervisor implements these two functions and gets [`Futex<YourBackend>`] and
/// [`Deadline`] for free.
///
/// You rarely call a backend directly. [`Futex<B>`] sits in front of it and handles the cases
/// that need no backend at all, so an implementation may rely on these rules:
///
/// - `wait` is called only after the front end saw `*futex == expect` (the value may have
///   changed again since: the backend must re-check it atomically with going to sleep).
/// - `timeout` is `None` for an untimed wait and `Some(t)` with `t > 0` otherwise; a zero
///   timeout never reaches the backend.
/// - `wake` is called only with `max_waiters > 0`; `u32::MAX` means "all of them".
/// - `requeue` is called only with `max_wake + max_move > 0` and two different addresses.
///
/// And it must keep these promises:
///
/// - **No lost wakeups.** If `wait` decided to sleep, a `wake` on the same address that comes
///   after a store that changed the value must release it. In other words, the check of
///   `*futex == expect` and the sleep are one atomic step in a single total order with every
///   `wake` of that address.
/// - **Spurious returns are allowed**, rare ones. Every caller re-checks its condition.
/// - **`Err(Timeout)` only when the time really passed**: at least `timeout` elapsed. A backend
///   that shortens a timeout it cannot express (an OS limit, a tick counter that wraps)
///   returns `Ok(())` from the shortened wait. With `timeout == None` it never returns `Err`.
/// - **`wake` releases at least `min(max_waiters, waiting)` waiters**: one for 1, all for
///   `u32::MAX`. It should release no more than `max_waiters`; a backend whose system cannot
///   count (it wakes one or all) may release more, which return spuriously, and documents it.
///   The built-in ones: at most `n` on Linux, FreeBSD, OpenBSD, Darwin, wasm and the queue;
///   one for `n == 1` and all for any other `n` on Windows and DragonFly.
/// - **`wake` uses the address alone.** The word may have been freed by the time `wake` runs
///   (the woken thread may free it at once), so `wake` must never read or write through the
///   pointer; it may only compare or hash it. (A kernel may do more with it: DragonFly's
///   `umtx_wakeup` adds 0 to the word, which leaves memory as it was but logs a warning when
///   the page is unmapped; see [`backend::DragonFly`](crate::backend) on that target.)
/// - **A moved waiter waits on its new word.** After a `requeue` moved it, a waiter sleeps
///   until a `wake` of the second address (or its timeout, or spuriously), as if it had
///   waited there; it returns from its `wait` as from any wake, unable to tell that it moved.
/// - **No panics and no allocation** for any input: any `Duration`, any `max_waiters`. A
///   wait that can never end is not a panic either: it blocks, as any futex wait that nobody
///   wakes (or, where nothing can block, returns spuriously: see `SingleThreaded`).
///
/// A backend that breaks the last promise anyway (a user's `wait` or `Clock` may panic) keeps
/// the crate sound: every lock and signal of `sync` leaves its word true when a wait unwinds,
/// and passes on a wake it may have absorbed, by calling `wake` while it unwinds. If that
/// `wake` panics too, the panic during unwinding aborts the process, as Rust does for any
/// second panic.
///
/// # Example
///
/// A toy backend that never sleeps: it only spins. It keeps every promise above (its returns
/// are all "spurious"), which is enough to run the whole front end on it.
///
/// ```
/// use core::sync::atomic::AtomicU32;
/// use core::time::Duration;
/// use portable_futex::{Futex, FutexBackend, Timeout};
///
/// struct Spin;
///
/// impl FutexBackend for Spin {
///     fn wait(_futex: &AtomicU32, _expect: u32, _timeout: Option<Duration>) -> Result<(), Timeout> {
///         core::hint::spin_loop();
///         Ok(()) // a spurious wakeup: the caller checks its condition again
///     }
///
///     fn wake(_futex: *const AtomicU32, _max_waiters: u32) {}
/// }
///
/// let word = AtomicU32::new(1);
/// Futex::<Spin>::wait(&word, 0); // the value differs: returns at once
/// assert_eq!(Futex::<Spin>::timed_wait(&word, 1, Duration::ZERO), Err(Timeout));
/// ```
///
/// [`Futex<B>`]: crate::Futex
/// [`Futex<YourBackend>`]: crate::Futex
/// [`Deadline`]: crate::Deadline
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a futex backend",
    label = "this type does not implement `FutexBackend`",
    note = "`NoDefaultBackend` is what `DefaultBackend` names on a target without a built-in \
            backend: enable a portable-futex backend feature that runs on it (`single-threaded` \
            for a program with one thread), or implement `FutexBackend` for your platform and \
            name it (`Futex<YourBackend>`), or enable `custom-backend` and install it for the \
            whole program with `portable_futex::set_backend!(YourBackend)`"
)]
pub trait FutexBackend {
    /// Whether waiters and wakers in *different processes* meet on a word in memory they all
    /// map: `true` for [`backend::Shared<B>`](crate::backend::Shared), `false` (the default)
    /// for every process-private backend.
    ///
    /// An adapter that keeps its own per-process record of the waiters cannot serve such a
    /// backend (a waiter in another process is not in the record): `backend::Counted` refuses
    /// one when the program is built. Set it only if your backend does wait across processes.
    const PROCESS_SHARED: bool = false;

    /// Sleeps while `*futex == expect`, until woken, until `timeout` passes, or spuriously.
    ///
    /// Returns `Err(Timeout)` only if `timeout` is `Some(t)` and at least `t` has elapsed.
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout>;

    /// Wakes `max_waiters` threads waiting on the address `futex`, or all if fewer wait (a
    /// backend that can only wake one or all may wake more: see the rules above).
    ///
    /// The address alone: the word may already be freed. Never dereference it.
    fn wake(futex: *const AtomicU32, max_waiters: u32);

    /// Wakes as [`wake`](Self::wake) does, called right after a SeqCst fence that follows the
    /// caller's change of the word (the front end issues one to look for async waiters,
    /// `wait_async`, before it calls the backend). A backend whose wake begins with such a
    /// fence, to read a user-space count of its waiters after it (the queue, `Counted`), may
    /// skip its own here: one fence is enough for both looks. The provided form calls `wake`.
    /// The same rules as `wake`.
    #[inline]
    fn wake_fenced(futex: *const AtomicU32, max_waiters: u32) {
        Self::wake(futex, max_waiters)
    }

    /// Wakes as [`wake`](Self::wake) does, and says how many waiters it woke where the system
    /// can tell: `Some(n)`, or `None` where it cannot (some may have been woken).
    ///
    /// The locks of `sync` ask where a count decides what to do next: a mutex onto which a
    /// condition variable moved sleepers (by [`requeue`](Self::requeue)) keeps waking at its
    /// unlocks until a wake finds nobody asleep on its word. The provided form calls `wake`
    /// and answers `None`, which keeps every backend correct (such a mutex then goes on
    /// waking); a backend that can move sleepers should count too. Linux (`FUTEX_WAKE`'s
    /// answer) and the queue do. The same rules as `wake`: `max_waiters > 0`, the address
    /// alone.
    fn wake_counted(futex: *const AtomicU32, max_waiters: u32) -> Option<u32> {
        Self::wake(futex, max_waiters);
        None
    }

    /// Wakes up to `max_wake` threads waiting on `from` and moves up to `max_move` more of them
    /// to wait on the address `to` instead, still asleep; or, if `*from != expect`, does
    /// nothing and answers [`WordChanged`]. The check and the moves are one atomic step
    /// against every `wait` and `wake` of `from`, as `wait`'s check and sleep are.
    ///
    /// Moving instead of waking is what makes a condition variable's notify cheap: a waiter
    /// moved onto a held mutex's word sleeps until the unlock wakes it, instead of waking now
    /// only to find the mutex held and sleep again.
    ///
    /// `from` is read (the comparison), so it must be live; `to` is an address alone, never
    /// dereferenced, like `wake`'s. `u32::MAX` in either count means "all of them".
    ///
    /// The provided form wakes instead of moving: it compares the word (not atomically with
    /// the wake, which only risks more wakes, always allowed) and wakes up to
    /// `max_wake + max_move` waiters of `from`, answering
    /// [`Requeued::WOKEN_UNCOUNTED`]. That keeps every backend correct (a waiter woken
    /// instead of moved returns spuriously and looks again); a backend whose system can move
    /// sleepers (Linux's `FUTEX_CMP_REQUEUE`, the user-space queue) overrides it.
    fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged> {
        let _ = to;
        crate::requeue::wake_instead(from, expect, max_wake.saturating_add(max_move), Self::wake)
    }

    /// Offers this thread's processor to another ready thread, and says whether the platform
    /// could: `false`, the default, where it has no such call.
    ///
    /// Only the locks of the `sync` module call it, while they spin on a held lock before
    /// they sleep. With more ready threads than processors, the thread the spinner waits for
    /// (the holder) may be the one waiting for a processor; yielding lets it run and release
    /// the lock sooner than spinning would, and costs less than sleeping. On `false` the locks
    /// stop spinning early and sleep. The OS backends call the OS's yield (`sched_yield`,
    /// `SwitchToThread`); an RTOS port would call its task yield. It must not block for long,
    /// and, like `wait`, must not panic.
    #[inline]
    fn yield_now() -> bool {
        false
    }
}
