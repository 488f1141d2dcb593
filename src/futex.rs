//! The front end: `Futex<B>`, the rules that hold on every backend.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use crate::{DefaultBackend, FutexBackend, Requeued, Timeout, WordChanged};

/// The futex operations on backend `B`.
///
/// A zero-sized handle: its functions are associated functions, called as
/// `Futex::<B>::wait(&word, 0)`. The crate's root functions (`wait` and friends) are
/// `Futex<DefaultBackend>`; `<Futex>::wait(&word, 0)` names the same thing.
///
/// `Futex` answers every case that needs no sleeping itself, so that each backend sees only
/// real work:
///
/// | call | what `Futex` does |
/// |---|---|
/// | `wait`/`timed_wait` and `*futex != expect` | returns `Ok` at once, no backend call |
/// | `timed_wait` with a zero timeout | `Ok` if the value differs, else `Err(Timeout)`, no backend call |
/// | `timed_wait` with `t > 0` | `B::wait(futex, expect, Some(t))` |
/// | `wait` | `B::wait(futex, expect, None)` |
/// | `wake(_, 0)` | nothing |
/// | `wake(_, n)` with `n > 0` | wakes up to `n` async waiters of the address (`wait_async`, feature `async`), then `B::wake_fenced(futex, m)` with what is left, `m > 0` (with none waiting: `n`; without `async`, or on a process-shared backend: `B::wake(futex, n)`) |
/// | `requeue` with nothing to do, or onto its own word | compares, and wakes if asked |
/// | `requeue` otherwise | wakes async waiters of `from` in place of moving them (up to `max_wake + max_move`, counted in `woken`), then `B::requeue(..)` with the counts left (with none waiting: unchanged) |
///
/// ```
/// use core::sync::atomic::AtomicU32;
/// use portable_futex::{backend, Futex};
///
/// let word = AtomicU32::new(1);
/// Futex::<backend::SingleThreaded>::wait(&word, 0); // the value is not 0: returns at once
/// Futex::<backend::SingleThreaded>::wake(&word, 1);
/// ```
pub struct Futex<B = DefaultBackend>(PhantomData<fn() -> B>);

// The bound sits on each function rather than on the impl, so that a missing backend is
// reported with `FutexBackend`'s own message (what to enable or implement) instead of a bare
// "method exists but its trait bounds were not satisfied".
impl<B> Futex<B> {
    /// Blocks while `*futex == expect`, until a `wake` on the same address.
    ///
    /// The comparison and the going to sleep happen atomically, in one total order with every
    /// other `wait` and `wake` on `futex`: a `wake` that follows a change of the value is never
    /// missed. The call may also return spuriously, so callers check their condition in a loop.
    #[inline]
    pub fn wait(futex: &AtomicU32, expect: u32)
    where
        B: FutexBackend,
    {
        if Self::differs(futex, expect) {
            return;
        }
        // Without a timeout, a backend has no business answering `Timeout`; if one does, the
        // return is simply spurious, which every caller already handles.
        let _ = B::wait(futex, expect, None);
    }

    /// Like [`wait`](Self::wait), but gives up with [`Timeout`] once `timeout` has passed.
    ///
    /// `Err(Timeout)` means that at least `timeout` really elapsed while the value still
    /// matched. A zero `timeout` never sleeps: it answers `Ok` if the value differs,
    /// `Err(Timeout)` if not. A timeout longer than the backend can express is shortened, and
    /// such a shortened wait returns `Ok` (a spurious wakeup), never `Timeout`. Any `Duration`,
    /// `Duration::MAX` included, is accepted.
    #[inline]
    pub fn timed_wait(futex: &AtomicU32, expect: u32, timeout: Duration) -> Result<(), Timeout>
    where
        B: FutexBackend,
    {
        if Self::differs(futex, expect) {
            return Ok(());
        }
        // A zero timeout asks "does it still match?", which the load above just answered.
        // Kernels do not treat it as free: a zero-timeout futex wait still arms a timer and
        // pays the timer slack, tens of microseconds.
        if timeout.is_zero() {
            return Err(Timeout);
        }
        B::wait(futex, expect, Some(timeout))
    }

    /// Wakes `max_waiters` threads blocked in [`wait`](Self::wait) on `futex` (all of them if
    /// fewer wait); `u32::MAX` wakes all, `0` does nothing. Only the address of `futex` is used.
    ///
    /// Async waiters (`wait_async`, feature `async`) of the address count among them: up
    /// to `max_waiters` of those are woken first (their tasks' `Waker`s called, after the
    /// table's lock is released), and the backend wakes what is left of the count in threads,
    /// so at most `max_waiters` in all. Tasks first, always: on a word where tasks keep
    /// arriving, a sleeping thread may wait for a wake that goes to tasks each time (a
    /// backend cannot always say whether it woke a thread, which an alternation would need
    /// to keep "at most `max_waiters`"). A lock built on the word decides who gets it in the
    /// end: `sync`'s mutex owes itself to a waiter that lost often enough, and its hand-off
    /// wakes every waiter, threads included. With no async waiter in the address's part of the
    /// table this costs a fence and one load, and the fence serves the backend's own look
    /// ([`FutexBackend::wake_fenced`]). A `Waker` that panics lets the panic out of this call,
    /// after the other tasks taken with it are woken; waiters not reached yet stay waiting.
    ///
    /// A wake from an interrupt or signal handler stays safe with async waiters only where
    /// the table's lock is a critical section (feature `critical-section`, or `freertos`,
    /// without `std`): with `std`'s mutex or a spin lock, a handler that interrupted a task's
    /// link of the same bucket would wait for it for good. Without async waiters in the
    /// address's bucket the table takes no lock.
    ///
    /// Most backends wake at most `max_waiters`. Windows and DragonFly can only wake one or
    /// all: there `1` wakes one and any larger count wakes all, the extra waiters returning
    /// spuriously (see [`FutexBackend`]).
    ///
    /// A `&AtomicU32` must stay valid for the whole call, so a waiter that frees the word as
    /// soon as it wakes (a one-shot event on its stack, a reference count) races with this
    /// reference. Use [`wake_ptr`](Self::wake_ptr) in that case.
    #[inline]
    pub fn wake(futex: &AtomicU32, max_waiters: u32)
    where
        B: FutexBackend,
    {
        Self::wake_ptr(futex, max_waiters)
    }

    /// Like [`wake`](Self::wake), but takes the address alone, which may already be freed.
    ///
    /// The pointer is never dereferenced: it only names which waiters to wake. This is the
    /// form to use when the woken thread may free the word the instant it sees the new value.
    /// Any pointer is accepted, dangling or null; one that no thread waits on wakes nobody.
    ///
    /// One kernel goes further than the address: DragonFly's `umtx_wakeup` atomically adds 0
    /// to the word. That never changes memory, whoever owns it by then, but if the word was
    /// freed and its page returned to the OS, the call fails and the kernel logs a warning,
    /// once per such wake.
    #[inline]
    pub fn wake_ptr(futex: *const AtomicU32, max_waiters: u32)
    where
        B: FutexBackend,
    {
        if max_waiters == 0 {
            return;
        }
        // No async waiter waits through a process-shared backend (`wait_async` refuses one).
        #[cfg(feature = "async")]
        if !B::PROCESS_SHARED {
            // The fence in `wake_tasks` serves the backend's own look for waiters too.
            match max_waiters - Self::wake_tasks(futex, max_waiters) {
                0 => {}
                left => B::wake_fenced(futex, left),
            }
            return;
        }
        B::wake(futex, max_waiters)
    }

    /// A future that completes once a [`wake`](Self::wake) of `futex` reaches it, or at its
    /// first poll if `*futex != expect`: [`wait`](Self::wait) for an async task (feature
    /// `async`), on any backend.
    ///
    /// The same rules as a thread's wait: the comparison and the joining of the waiters are
    /// one atomic step against every `wake` (a wake that follows a change of the value is
    /// never missed), and it may complete spuriously, so loop on the condition. A wake of the
    /// word reaches async waiters and threads alike, at most `n` in all (see
    /// [`wake`](Self::wake)); tasks first.
    ///
    /// No heap: the future holds its place in the table, which is why it is `!Unpin` (pin it,
    /// or `.await` it). Dropping it while it waits takes it out; a wake that had chosen it
    /// is passed on to another waiter of the word. There is no timeout: compose it with the
    /// executor's (`tokio::time::timeout`, a `select!`), whose drop of it is that cleanup.
    ///
    /// Not on a process-shared backend ([`FutexBackend::PROCESS_SHARED`]: a build error): the
    /// table is this process's, and a wake from another process would not find it.
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU32, Ordering};
    /// use portable_futex::{backend::Queue, Futex};
    ///
    /// async fn until_set(flag: &AtomicU32) {
    ///     while flag.load(Ordering::Acquire) == 0 {
    ///         Futex::<Queue>::wait_async(flag, 0).await;
    ///     }
    /// }
    ///
    /// fn set(flag: &AtomicU32) {
    ///     flag.store(1, Ordering::Release);
    ///     Futex::<Queue>::wake(flag, u32::MAX); // tasks and threads alike
    /// }
    /// # let _ = (until_set, set);
    /// ```
    #[cfg(all(feature = "async", not(all(loom, test))))]
    #[inline]
    pub fn wait_async(futex: &AtomicU32, expect: u32) -> crate::WaitAsync<'_, B>
    where
        B: FutexBackend,
    {
        const {
            assert!(
                !B::PROCESS_SHARED,
                "wait_async on a process-shared backend: the async waiters' table is this \
                 process's, so a wake from another process would not find the waiter"
            )
        };
        crate::WaitAsync::new(futex, expect)
    }

    /// Wakes up to `n` async waiters of `futex`'s address; how many. The fence is the waker's
    /// half of the table's protocol (`tasks.rs`, "Why no wake is lost"): the caller changed
    /// the word before this call, and the table's count is read after.
    #[cfg(feature = "async")]
    #[inline]
    fn wake_tasks(futex: *const AtomicU32, n: u32) -> u32 {
        // Loom's fence in the table's loom models (`tasks/loom_tests.rs`), so that they see it.
        #[cfg(not(all(loom, test)))]
        use core::sync::atomic::fence;
        #[cfg(all(loom, test))]
        use loom::sync::atomic::fence;
        fence(Ordering::SeqCst);
        crate::tasks::wake(futex as usize, n)
    }

    /// Wakes up to `max_wake` threads blocked in [`wait`](Self::wait) on `from` and moves up to
    /// `max_move` more of them, still asleep, to wait on `to` instead (a later `wake` of `to`
    /// releases them); or, if `*from != expect`, does nothing and answers [`WordChanged`].
    /// The check and the moves are one atomic step against every `wait` and `wake` of `from`.
    /// `u32::MAX` in either count means "all of them".
    ///
    /// This is how a condition variable hands its sleepers to a held mutex without waking
    /// them to fight over it: wake none (or one) and move the rest onto the mutex's word.
    ///
    /// `to` is an address alone, never dereferenced, and `from` is read only for the
    /// comparison. A moved waiter cannot tell that it moved: it returns from its `wait` as
    /// from any wake, and looks at its own condition again, as every waiter does.
    ///
    /// Where the backend cannot move sleepers it wakes them instead (the moved count is then
    /// 0): correct for any caller, since a woken waiter only returns spuriously. Natively:
    /// [`backend::Linux`](crate::backend) (`FUTEX_CMP_REQUEUE`) and the user-space queue
    /// (`Queue`, and `QueueWith<C>` whose lock nests: `BucketLock::NESTS`), which also count
    /// whom they woke. `Counted` wakes instead: its counts follow the address a waiter came
    /// in on.
    ///
    /// Async waiters of `from` (`wait_async`, feature `async`) are never moved: they are
    /// woken in place of the threads the call would wake or move, counted against `max_wake`
    /// first, and in `woken` (which can then exceed `max_wake`, up to `max_wake + max_move`).
    /// They are woken before the comparison, so a call that answers [`WordChanged`] may have
    /// woken some: early wakes, which every waiter allows.
    ///
    /// | call | what `Futex` does |
    /// |---|---|
    /// | both counts 0 | compares, moves and wakes nobody: `woken: Some(0)` |
    /// | `from` and `to` the same address | compares, then wakes `max_wake` (none move), tasks first |
    /// | otherwise | wakes up to `max_wake + max_move` async waiters of `from`, then `B::requeue(from, expect, to, w, m)` with what is left of the two counts |
    #[inline]
    pub fn requeue(
        from: &AtomicU32,
        expect: u32,
        to: *const AtomicU32,
        max_wake: u32,
        max_move: u32,
    ) -> Result<Requeued, WordChanged>
    where
        B: FutexBackend,
    {
        if max_wake == 0 && max_move == 0 || core::ptr::eq(from, to) {
            if Self::differs(from, expect) {
                return Err(WordChanged);
            }
            if max_wake == 0 {
                return Ok(Requeued { woken: Some(0), moved: 0 });
            }
            Self::wake(from, max_wake);
            return Ok(Requeued::WOKEN_UNCOUNTED);
        }
        // Async waiters are not moved: they are woken in place of the threads the call would
        // wake or move (which the contract allows: a woken waiter looks again), counted against
        // `max_wake` first. Woken even if the word has changed: early, which is allowed too.
        #[cfg(feature = "async")]
        if !B::PROCESS_SHARED {
            let tasks = Self::wake_tasks(from, max_wake.saturating_add(max_move));
            if tasks > 0 {
                let wake = max_wake.saturating_sub(tasks);
                let moves = max_move.saturating_sub(tasks - (max_wake - wake));
                let answer = match (wake, moves) {
                    (0, 0) if Self::differs(from, expect) => Err(WordChanged),
                    (0, 0) => Ok(Requeued { woken: Some(0), moved: 0 }),
                    _ => B::requeue(from, expect, to, wake, moves),
                };
                return answer
                    .map(|r| Requeued { woken: r.woken.map(|w| w.saturating_add(tasks)), ..r });
            }
        }
        B::requeue(from, expect, to, max_wake, max_move)
    }

    /// The user-space check that spares a mismatched wait its system call (~5 ns instead of
    /// ~300 ns on Linux; `cargo bench` measures both).
    ///
    /// Returning early is always allowed, since a wait may return spuriously. The load is
    /// SeqCst so that this early answer sits in the same single total order as the backend's
    /// own check and every `wake`: a caller cannot tell an early return from one where the
    /// backend compared the value itself. On x86 it is a plain load; elsewhere it costs no
    /// more than the acquire a caller needs anyway to read what the new value publishes.
    #[inline]
    fn differs(futex: &AtomicU32, expect: u32) -> bool {
        futex.load(Ordering::SeqCst) != expect
    }
}
