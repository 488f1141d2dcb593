//! The front end: `Futex<B>`, the rules that hold on every backend.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use crate::{DefaultBackend, FutexBackend, Timeout};

/// The futex operations on backend `B`.
///
/// A zero-sized handle: its functions are associated functions, called as
/// `Futex::<B>::wait(&word, 0)`. The root functions ([`wait`](crate::wait) and friends) are
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
/// | `wake(_, n)` with `n > 0` | `B::wake(futex, n)`, `n` unchanged |
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

impl<B: FutexBackend> Futex<B> {
    /// Blocks while `*futex == expect`, until a `wake` on the same address; may return
    /// spuriously. See [`crate::wait`].
    #[inline]
    pub fn wait(futex: &AtomicU32, expect: u32) {
        if Self::differs(futex, expect) {
            return;
        }
        // Without a timeout, a backend has no business answering `Timeout`; if one does, the
        // return is simply spurious, which every caller already handles.
        let _ = B::wait(futex, expect, None);
    }

    /// Like [`wait`](Self::wait), but gives up with [`Timeout`] once `timeout` has passed.
    /// See [`crate::timed_wait`].
    #[inline]
    pub fn timed_wait(futex: &AtomicU32, expect: u32, timeout: Duration) -> Result<(), Timeout> {
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

    /// Wakes at most `max_waiters` threads waiting on `futex`. See [`crate::wake`].
    #[inline]
    pub fn wake(futex: &AtomicU32, max_waiters: u32) {
        Self::wake_ptr(futex, max_waiters)
    }

    /// Wakes at most `max_waiters` threads waiting on the address `futex`, which may already
    /// be freed. See [`crate::wake_ptr`].
    #[inline]
    pub fn wake_ptr(futex: *const AtomicU32, max_waiters: u32) {
        if max_waiters == 0 {
            return;
        }
        B::wake(futex, max_waiters)
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
