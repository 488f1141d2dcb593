//! `Deadline`: one timeout spread over a loop of waits, and the `Clock` it reads.

use core::marker::PhantomData;
use core::sync::atomic::AtomicU32;
use core::time::Duration;

use crate::{DefaultBackend, Futex, FutexBackend, Timeout};

/// A monotonic clock, for [`Deadline`].
///
/// With `std`, `StdClock` is the default. Without it, give [`Deadline::with_clock`] your own:
/// a tick counter, a cycle counter, an RTOS uptime. So too on `wasm32-unknown-unknown`,
/// where std has no clock (its `Instant::now` panics): `StdClock` does not exist there, so
/// that no call can reach that panic; a clock of your own (`performance.now()` through your
/// JavaScript bindings) does the job.
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use core::time::Duration;
/// use portable_futex::Clock;
///
/// /// Milliseconds counted by a timer interrupt.
/// static TICKS: AtomicU64 = AtomicU64::new(0);
///
/// struct Ticks;
///
/// impl Clock for Ticks {
///     fn now(&self) -> Duration {
///         Duration::from_millis(TICKS.load(Ordering::Relaxed))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a clock",
    note = "without the `std` feature, and on wasm32-unknown-unknown, there is no default \
            clock: implement `Clock` for your timer and pass it to `Deadline::with_clock`"
)]
pub trait Clock {
    /// The time since a fixed origin of this clock's choosing.
    ///
    /// It must never go backwards (a wrapping hardware counter has to be extended first), and it
    /// must run at least as fast as the time the backend's timed waits measure, or a deadline
    /// would expire late.
    fn now(&self) -> Duration;
}

crate::select::with_std_time! {
    /// The standard library's monotonic clock, `std::time::Instant`.
    ///
    /// With `std`, on every target whose std has a clock: not on `wasm32-unknown-unknown`.
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    #[derive(Debug, Clone, Copy)]
    pub struct StdClock {
        origin: std::time::Instant,
    }

    impl StdClock {
        /// A clock whose origin is now.
        pub fn new() -> Self {
            Self { origin: std::time::Instant::now() }
        }
    }

    impl Default for StdClock {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Clock for StdClock {
        fn now(&self) -> Duration {
            // `Instant::elapsed` saturates at zero rather than panicking.
            self.origin.elapsed()
        }
    }

    /// The clock [`Deadline`] uses when none is named: [`StdClock`] with `std`, and without it
    /// `NoDefaultClock`, which stands for "bring your own" ([`Deadline::with_clock`]).
    pub type DefaultClock = StdClock;
}

crate::select::without_std_time! {
    /// The clock [`Deadline`] uses when none is named: `StdClock` with `std`, and without it
    /// [`NoDefaultClock`], which stands for "bring your own" ([`Deadline::with_clock`]).
    pub type DefaultClock = NoDefaultClock;

    /// Without `std` (or on `wasm32-unknown-unknown`, whose std has no clock) there is no clock
    /// to default to: this type marks its absence and implements nothing. Pass your own [`Clock`] to [`Deadline::with_clock`].
    #[derive(Debug)]
    pub struct NoDefaultClock(());
}

/// A timeout that holds across a loop of waits.
///
/// A wait loop has to call again after every spurious wakeup. Passing the same relative
/// timeout each time would restart the clock; a `Deadline` fixes the end once and waits only
/// for what is left of it.
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use core::time::Duration;
/// use portable_futex::{Deadline, Timeout};
///
/// let word = AtomicU32::new(0);
/// let mut deadline = Deadline::new(Some(Duration::from_millis(10)));
/// // Wait for `word` to leave 0, 10 ms in all, however many wakeups come before.
/// let result = loop {
///     if word.load(Ordering::Acquire) != 0 {
///         break Ok(());
///     }
///     if let Err(timeout) = deadline.wait(&word, 0) {
///         break Err(timeout);
///     }
/// };
/// assert_eq!(result, Err(Timeout)); // nobody changed `word`
/// ```
///
/// `Deadline::new(None)` never expires. An expired deadline answers at once: `Err(Timeout)`
/// while the value matches, `Ok` once it differs. On another backend or with your own clock,
/// use [`Deadline::with_clock`].
///
/// `Err(Timeout)` is reported only when the deadline's own clock says the time has passed, even
/// if the backend's timer disagrees.
#[derive(Debug)]
pub struct Deadline<B = DefaultBackend, C = DefaultClock> {
    clock: C,
    /// `clock.now()` at creation.
    start: Duration,
    /// `None`: never expires.
    timeout: Option<Duration>,
    backend: PhantomData<fn() -> B>,
}

crate::select::with_std_time! {
    impl Deadline {
        /// A deadline `timeout` from now on the default backend and the standard clock;
        /// `None` never expires.
        pub fn new(timeout: Option<Duration>) -> Self {
            Self::with_clock(timeout, StdClock::new())
        }
    }
}

crate::select::with_std_time! {
    impl<B> Deadline<B, StdClock> {
        /// A deadline `timeout` from now on the standard clock, on backend `B`: what the timed
        /// forms of `sync`'s primitives (`try_lock_for`, `wait_timeout`...) wait by.
        #[cfg(all(feature = "sync", not(all(loom, test))))]
        pub(crate) fn after(timeout: Duration) -> Self {
            Self::with_clock(Some(timeout), StdClock::new())
        }
    }
}

impl<B, C: Clock> Deadline<B, C> {
    /// A deadline `timeout` from now as `clock` counts it, on backend `B`; `None` never expires.
    ///
    /// ```
    /// use core::time::Duration;
    /// use portable_futex::{backend::SingleThreaded, Deadline, StdClock};
    ///
    /// let deadline = Deadline::<SingleThreaded, _>::with_clock(None, StdClock::new());
    /// assert_eq!(deadline.remaining(), None);
    /// ```
    pub fn with_clock(timeout: Option<Duration>, clock: C) -> Self {
        let start = clock.now();
        Self { clock, start, timeout, backend: PhantomData }
    }

    /// The time left before the deadline expires (zero once it has), or `None` if it never does.
    pub fn remaining(&self) -> Option<Duration> {
        let timeout = self.timeout?;
        let elapsed = self.clock.now().saturating_sub(self.start);
        Some(timeout.saturating_sub(elapsed))
    }
}

impl<B, C: Clock> Deadline<B, C> {
    /// Blocks while `*futex == expect` until woken, spuriously, or until the deadline expires,
    /// which returns `Err(Timeout)`.
    pub fn wait(&mut self, futex: &AtomicU32, expect: u32) -> Result<(), Timeout>
    where
        B: FutexBackend,
    {
        let Some(remaining) = self.remaining() else {
            Futex::<B>::wait(futex, expect);
            return Ok(());
        };
        match Futex::<B>::timed_wait(futex, expect, remaining) {
            // The backend timed the wait on its own clock. If ours disagrees, the deadline is
            // not over: report a spurious wakeup and let the caller come back.
            Err(Timeout) if self.remaining() != Some(Duration::ZERO) => Ok(()),
            result => result,
        }
    }
}
