//! What a requeue answers: how many it woke and moved, or that the word had changed.
//!
//! A requeue ([`Futex::requeue`](crate::Futex::requeue), [`FutexBackend::requeue`]) wakes
//! some waiters of one word and moves others, still asleep, to wait on a second word: the
//! tool for handing sleepers from a condition variable to its mutex without waking them all
//! to fight for it (Linux's `FUTEX_CMP_REQUEUE`).
//!
//! [`FutexBackend::requeue`]: crate::FutexBackend::requeue

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

/// What a [`requeue`](crate::Futex::requeue) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Requeued {
    /// How many waiters it woke (at most `max_wake`, or `max_wake + max_move` where async
    /// waiters were woken in place of moves), where the backend can count them: `None` where
    /// it cannot (a backend that only wakes, on an OS whose wake does not say).
    pub woken: Option<u32>,
    /// How many waiters now sleep on the second word instead of the first (at most
    /// `max_move`): exact, and 0 on a backend that wakes instead of moving.
    pub moved: u32,
}

impl Requeued {
    /// The answer of a requeue that woke instead of moving and could not count whom.
    pub const WOKEN_UNCOUNTED: Self = Requeued { woken: None, moved: 0 };
}

/// A [`requeue`](crate::Futex::requeue) found the first word no longer holding the value it
/// was given, and did nothing (Linux's `EAGAIN`). The caller reads the word again and decides.
///
/// A plain unit struct, so that custom backends construct it with `WordChanged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WordChanged;

impl fmt::Display for WordChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("futex requeue: the word no longer held the expected value")
    }
}

impl core::error::Error for WordChanged {}

/// A requeue that wakes instead of moving (the provided `requeue` of `FutexBackend` and of
/// `SharedScope`): compares `from`, then wakes up to `waiters` of it with `wake`.
///
/// The compare is not atomic with the wake, and needs not be: a wake is always allowed (a
/// woken waiter returns spuriously and looks again), so the only thing a stale compare can
/// cost is a wake more or a [`WordChanged`] the caller answers by looking again.
pub(crate) fn wake_instead(
    from: &AtomicU32,
    expect: u32,
    waiters: u32,
    wake: impl FnOnce(*const AtomicU32, u32),
) -> Result<Requeued, WordChanged> {
    // SeqCst, as the front end's early check of a wait: one total order with the waits.
    if from.load(Ordering::SeqCst) != expect {
        return Err(WordChanged);
    }
    if waiters > 0 {
        wake(from, waiters);
    }
    Ok(Requeued::WOKEN_UNCOUNTED)
}
