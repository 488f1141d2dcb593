//! `RawCondvar<B, R>`: a condition variable on a 32-bit notification counter, sleeping through
//! backend `B`, for any `lock_api` raw mutex `R`; with this crate's mutex, notifications move
//! waiters onto the mutex instead of waking them ("Moving waiters", below).
//!
//! # The word
//!
//! A notification counter (`seq`): every `notify_*` adds one, wrapping. A waiter reads it
//! while it still holds the mutex, releases the mutex, and sleeps only while the counter
//! still has the value it read. (The second word, `users`, and the stored mutex address only
//! decide where a notified waiter goes: "Moving waiters".)
//!
//! # Why no notification is lost
//!
//! A notification matters to a waiter only if it comes after the waiter checked its condition
//! under the mutex (before that, the waiter sees the changed condition and does not wait). The
//! notifier changes the condition under the same mutex, so it took the mutex after the waiter
//! released it, and its increment of `seq` comes after the waiter's read of `seq` (the
//! waiter's read happens before its unlock, which happens before the notifier's lock). The
//! increment therefore writes a later value than the one read, and the futex either sees the
//! new value (no sleep) or is asleep when the wake, which follows the increment, arrives.
//!
//! This holds for any number of notifications in between except exactly `2^32` of them
//! between the read and the futex's compare, which would bring `seq` back to the value read;
//! the waiter would then sleep until the next notification. Std's futex condvar has the same
//! window, and nothing can do 4 billion notifications in that gap.
//!
//! # Spurious wake-ups, and what `notify_*` return
//!
//! A waiter that finds the counter changed before it falls asleep returns, whichever waiter the
//! notification was for, so one `notify_one` may end two waits: waits may return spuriously. A
//! waiter cannot tell a notification meant for it from one meant for another, so this
//! condvar makes no promise of exact counts, and `notify_one` returns `false` and `notify_all`
//! `0`, as `lock_api::RawCondvar` prescribes for such an implementation. (Counting signals
//! instead, so that each wait consumes one, lets a thread that notifies and then waits take
//! its own signal back from the waiter it was for: in a ping-pong of turns on one condvar
//! that waiter sleeps for good. Exact counts need waiters told apart by when they came, which
//! one word cannot hold for an unbounded wait: a second word, or glibc's two groups of
//! waiters, would. Not done yet.)
//!
//! # Orderings
//!
//! Relaxed on both the read and the increment: what the notification is about is published
//! and read under the mutex (Release/Acquire of the lock), and the argument above uses the
//! mutex's happens-before plus the single modification order of `seq`, nothing else. The
//! futex's own compare is SeqCst, in one total order with every wake. On `users`: Acquire on
//! taking `LOCK` and Release on giving it back, so that the address one holder stored is
//! seen by the next, and a notifier's use of the mutex happens before a waiter's `detach`
//! (Acquire) that finds `LOCK` free; the count itself is read Relaxed, under the mutex's
//! happens-before.
//!
//! # Moving waiters (wait morphing)
//!
//! With this crate's own mutex (`RawCondvar<B, RawMutex<B>>`, the default) on a process-private
//! backend, a notification does not wake a waiter that would only find the mutex held: it
//! moves it, still asleep, onto the mutex's word ([`FutexBackend::requeue`]), and the unlock
//! wakes it. `notify_one` made while the mutex is held (by the notifier, as a rule) moves its
//! one waiter; `notify_all` wakes one waiter and moves all the others, so they come back one
//! unlock at a time instead of all at once to fight over the mutex (the herd). A
//! `notify_one` made with the mutex free wakes, since there is nothing to wait for. Backends that cannot move (the provided
//! `requeue` wakes instead) come out the same as waking; the Linux futex and the queue move.
//!
//! Three things make it safe:
//!
//! - **The mutex learns of its moved sleepers.** A moved waiter sleeps on the mutex's word
//!   uncounted (it cannot tell that it moved, so it cannot count itself). After a requeue
//!   that moved any, the notifier marks the mutex (`RawMutex::after_move`: a `FRESH` flag);
//!   the mutex's unlocks then wake them one release at a time even with nobody counted,
//!   until a counted wake, made holding the mutex, finds none left (`RawMutex`'s module
//!   docs, "Moved sleepers"). A thread coming back from a wait takes the mutex as one that may have been
//!   woken by an unlock (`lock_returning`: it clears `W`, as a woken waiter does).
//! - **The notifier only touches a mutex that is alive.** `lock_api`'s `notify_one` does not
//!   say whether the caller holds the mutex, and once its waiters are gone the mutex may be
//!   freed. So waiters count themselves in a second word (`users`), storing their mutex's
//!   address (the first one does; a waiter with another mutex marks the record `MIXED`, and
//!   notifications then wake). A notifier moves waiters only while it holds that word's
//!   `LOCK`, and a waiter leaves the count (`detach`, after it took its mutex back) only
//!   while `LOCK` is free, sleeping on the word while a notifier holds it: so the mutex of
//!   every counted waiter outlives the notifier's use of it. A notifier that finds `LOCK`
//!   taken does not wait: it wakes instead. A notification with nobody counted costs the
//!   counter's increment and one load, and no system call. A backend that panics while a
//!   notifier holds `LOCK` gets it released (and the moved sleepers marked) as it unwinds;
//!   one that panics where a counted waiter could not be taken back out of the count aborts
//!   the process.
//! - **Waiters are counted only under the mutex.** A waiter counts itself before it releases
//!   the mutex, and a notifier that changed the condition under the same mutex reads the count
//!   after that release, so it sees the waiter (or its departure); the counter `seq` does the
//!   rest, as above.
//!
//! `benches/condvar.rs` measures it beside std and parking_lot (README, "Benchmarks"): a
//! `notify_all` to 64 waiters costs 1.00 sleep per waiter (the floor, as parking_lot's; it
//! was 1.08 to 1.22 when it woke them all), and the hand-off of one item ends in fewer sleeps
//! than two per item.
//!
//! Any other mutex (`generic::Condvar<B, parking_lot::RawMutex>`, [`RawFairMutex`], another
//! backend's `RawMutex`) is woken for, as before: the condvar knows nothing of its word.
//! `R` is compared by type (`TypeId`), hence the `'static` bounds.
//!
//! [`RawFairMutex`]: crate::sync::RawFairMutex
//!
//! # Across processes
//!
//! On a backend with [`FutexBackend::PROCESS_SHARED`], `notify_one` wakes every waiter: the one
//! waiter a single wake reaches may be killed before it runs, and the notification would die
//! with it while the others sleep on. A condition variable may always wake more than asked
//! (every waiter re-checks its condition), so this costs only the herd, never correctness.
//! Nothing is moved there (an address stored by one process means nothing in another), and
//! the herd is larger: the shared mutex wakes every sleeper at each unlock (see `RawMutex`'s
//! "Across processes"), so a `notify_all` to `k` waiters costs up to `k²` wake-ups instead of
//! `2k`. A notifier killed between its increment and its wake loses its
//! notification, as any futex condition variable would.

use core::any::TypeId;
use core::marker::PhantomData;

#[cfg(not(all(loom, test)))]
use core::sync::atomic::AtomicPtr;
#[cfg(all(loom, test))]
use loom::sync::atomic::AtomicPtr;

use super::mutex::RawMutex;
use super::word::{
    Ordering::{Acquire, Relaxed, Release},
    Sleep, Word,
};
use crate::FutexBackend;

/// `users`: a notifier or an arriving waiter holds the bookkeeping (`mutex` and the count
/// may be read and written, and the waiters counted may not leave).
const LOCK: u32 = 1;
/// `users`: a thread sleeps on `users` until `LOCK` is released.
const WANT: u32 = 2;
/// `users`: the waiters counted do not all wait with the mutex in `mutex`: notify by waking.
const MIXED: u32 = 4;
/// `users`: one waiter, counted in bits 3 to 31.
const USER: u32 = 8;

/// A condition variable in one `u32` that sleeps through backend `B`, for the guards of raw
/// mutex `R` (by default this crate's [`RawMutex<B>`](crate::sync::RawMutex)): the raw
/// condvar behind [`sync::Condvar`](crate::sync::Condvar) and
/// [`generic::Condvar<B, R>`](crate::sync::generic::Condvar), which are
/// `lock_api::Condvar<RawCondvar<B, R>>`.
///
/// ```
/// use portable_futex::sync::{Condvar, Mutex};
///
/// static READY: Mutex<bool> = Mutex::new(false);
/// static CHANGED: Condvar = Condvar::new();
///
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         *READY.lock() = true;
///         CHANGED.notify_one();
///     });
///     let mut ready = READY.lock();
///     CHANGED.wait_while(&mut ready, |ready| !*ready);
///     assert!(*ready);
/// });
/// ```
///
/// Waits may return spuriously (`wait`, `wait_for`); `wait_while` and its timed forms loop on
/// the condition for you. So `notify_one` returns `false` and `notify_all` `0`, as `lock_api`
/// prescribes for an implementation that does not rule spurious wake-ups out (module docs).
///
/// `R` may be any `lock_api::RawMutex`: [`RawFairMutex<B>`](crate::sync::RawFairMutex), another
/// backend's `RawMutex`, another crate's (`generic::Condvar<B, parking_lot::RawMutex>`); one
/// condition variable may serve several mutexes at once. With this crate's `RawMutex<B>` (the
/// default), a notification moves waiters onto the mutex instead of waking them where the
/// backend can (module docs, "Moving waiters").
///
/// # Layout
///
/// `#[repr(C)]`: two `AtomicU32` and a pointer (16 bytes on 64-bit targets, 12 on 32-bit),
/// whatever `B` and `R`; all-zero bytes are [`new()`](Self::new), nobody waiting. A
/// zero-filled mapping shared with other processes holds a ready one (README, "Across
/// processes"). (It was one `u32` before waiters could be moved: the second word and the
/// pointer record where they may go; module docs, "Moving waiters".)
#[repr(C)]
pub struct RawCondvar<B, R = super::RawMutex<B>> {
    /// The notification counter the waiters sleep on.
    seq: Word,
    /// Where waiters may be moved (with this crate's `RawMutex<B>`): the waiters counted
    /// (`USER` each), and `LOCK`, `WANT`, `MIXED`. Unused with any other mutex.
    users: Word,
    /// The mutex the counted waiters wait with, read only under `LOCK` while one is counted.
    mutex: AtomicPtr<()>,
    types: PhantomData<fn() -> (B, R)>,
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(all(loom, test), allow(dead_code))] // the models run the wait by hand
pub(crate) enum Woke {
    /// Notified, or spuriously: the two cannot be told apart.
    Returned,
    /// Its time really passed.
    TimedOut,
}

impl<B, R> RawCondvar<B, R> {
    /// A condition variable nobody waits on.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        RawCondvar {
            seq: Word::new(0),
            users: Word::new(0),
            mutex: AtomicPtr::new(core::ptr::null_mut()),
            types: PhantomData,
        }
    }

    /// A condition variable nobody waits on (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        RawCondvar {
            seq: Word::new(0),
            users: Word::new(0),
            mutex: AtomicPtr::new(core::ptr::null_mut()),
            types: PhantomData,
        }
    }
}

#[cfg(not(all(loom, test)))]
impl<B, R> Default for RawCondvar<B, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B, R> core::fmt::Debug for RawCondvar<B, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawCondvar").finish_non_exhaustive()
    }
}

/// The condition variable that moves its waiters: the one for this crate's mutex.
type Moving<B> = RawCondvar<B, RawMutex<B>>;

/// Whether a `RawCondvar<B, M>` moves its waiters onto their mutex's word: only with this
/// crate's `RawMutex<B>` (whose word and unlock know about moved sleepers), and never across
/// processes (the stored address means nothing in another process). With any other mutex the
/// notifications wake.
#[inline]
fn moves<B: FutexBackend + 'static, M: 'static>() -> bool {
    !B::PROCESS_SHARED && TypeId::of::<M>() == TypeId::of::<RawMutex<B>>()
}

impl<B: FutexBackend + 'static, R: 'static> RawCondvar<B, R> {
    /// Wakes one thread waiting on this condition variable, if any (all of them on a
    /// process-shared backend: see the module docs, "Across processes"). With this crate's
    /// mutex held (by the caller, as a rule), the waiter is moved onto the mutex instead of
    /// woken, where the backend can move it (module docs, "Moving waiters").
    #[inline]
    pub fn notify_one_raw(&self) {
        self.seq.fetch_add(1, Relaxed);
        if moves::<B, R>() {
            self.notify_moving(false);
        } else {
            super::word::wake::<B>(&self.seq, 1);
        }
    }

    /// Wakes every thread waiting on this condition variable; with this crate's mutex, wakes
    /// one and moves the rest onto the mutex, where the backend can move them.
    #[inline]
    pub fn notify_all_raw(&self) {
        self.seq.fetch_add(1, Relaxed);
        if moves::<B, R>() {
            self.notify_moving(true);
        } else {
            super::word::wake::<B>(&self.seq, u32::MAX);
        }
    }

    /// The rest of a notification (counter already increased) where waiters are counted in
    /// `users`: nothing if nobody waits; else, holding `LOCK` (which keeps every counted
    /// waiter, and so its mutex, where it is), move them onto the mutex.
    #[cold]
    fn notify_moving(&self, all: bool) {
        let wake_instead = || super::word::wake::<B>(&self.seq, if all { u32::MAX } else { 1 });
        // Relaxed: a waiter counted itself before it released the mutex under which the
        // notifier then changed the condition (module docs, "Moving waiters"), so this load
        // sees its count, or a later value.
        let mut users = self.users.load(Relaxed);
        loop {
            if users < USER {
                // Nobody waits: the increment is for waiters that count themselves later,
                // and they read the counter after it.
                return;
            }
            if users & (LOCK | MIXED) != 0 {
                // Busy (another notifier, an arriving waiter) or several mutexes: wake.
                return wake_instead();
            }
            // Acquire: the address in `mutex` was stored before the Release that ended the
            // arriving waiter's `LOCK`.
            match self.users.compare_exchange(users, users | LOCK, Acquire, Relaxed) {
                Ok(_) => break,
                Err(now) => users = now,
            }
        }
        // SAFETY: `LOCK` is ours and at least one waiter is counted (`users >= USER`), and no
        // counted waiter leaves its wait while `LOCK` is held (`detach`): so the mutex of the
        // counted waiters, all one (`MIXED` clear), whose address `attach` stored from a
        // `&RawMutex<B>` (`moves` checked the type), is alive until we release `LOCK`.
        let mutex = unsafe { &*self.mutex.load(Relaxed).cast::<RawMutex<B>>() };
        let mut held = Held { users: &self.users, mutex, unmarked: false };
        if !all && !mutex.is_locked_raw() {
            // Nobody holds it: a waiter moved onto a free mutex would only need a wake more.
            wake_instead();
        } else {
            let seen = self.seq.load(Relaxed);
            let (wake, moves) = if all { (1, u32::MAX) } else { (0, 1) };
            // Marked as unmarked before the requeue: a backend that moves some and then
            // panics leaves them to `held`'s drop to mark.
            held.unmarked = true;
            let moved = super::word::requeue::<B>(&self.seq, seen, mutex.word(), wake, moves);
            held.unmarked = false;
            match moved {
                Ok(0) => {}
                Ok(_) => {
                    held.unmarked = true;
                    mutex.after_move();
                    held.unmarked = false;
                }
                // Another notification went between: wake, which is always allowed.
                Err(_) => wake_instead(),
            }
        }
        drop(held);
    }

    /// The first step of every wait, taken while the mutex is still held: the counter's
    /// value, to sleep on once the mutex is released (see the module docs).
    #[inline]
    pub(crate) fn seen(&self) -> u32 {
        self.seq.load(Relaxed)
    }

    /// The rest of a wait, with the mutex released: one sleep (by `sleep`) while the counter
    /// still holds `seen`.
    #[inline]
    pub(crate) fn sleep(&self, seen: u32, sleep: &mut impl Sleep) -> Woke {
        match sleep.sleep(&self.seq, seen) {
            Ok(()) => Woke::Returned,
            Err(_) => Woke::TimedOut,
        }
    }

    /// The word waiters sleep on (for the loom model, which runs the wait by hand).
    #[cfg(all(loom, test))]
    pub(crate) fn word(&self) -> &Word {
        &self.seq
    }

    /// How many waiters are counted (the loom models check that none is left).
    #[cfg(all(loom, test))]
    pub(crate) fn users_counted(&self) -> u32 {
        self.users.load(Relaxed) / USER
    }
}

/// A notifier's hold on `LOCK`, given back when dropped: on return, or if the backend unwinds
/// out of the requeue or a wake (a user's may panic), so that the waiters are not left unable
/// to leave. If the unwinding left moved sleepers unmarked, they are marked first.
struct Held<'a, B: FutexBackend> {
    /// The condition variable's `users`.
    users: &'a Word,
    mutex: &'a RawMutex<B>,
    /// Sleepers moved, and the mutex not yet marked.
    unmarked: bool,
}

impl<B: FutexBackend> Drop for Held<'_, B> {
    fn drop(&mut self) {
        if self.unmarked {
            // Only while unwinding: a second panic here aborts.
            self.mutex.after_move();
        }
        // Release: our reads and writes of the mutex happen before a waiter's `detach` that
        // sees `LOCK` clear, and so before the mutex can be freed.
        let before = self.users.fetch_and(!(LOCK | WANT), Release);
        if before & WANT != 0 {
            super::word::wake::<B>(self.users, u32::MAX);
        }
    }
}

impl<B: FutexBackend + 'static> RawCondvar<B, RawMutex<B>> {
    /// A whole wait with this crate's mutex `mutex`, which the caller holds: count ourselves
    /// (`attach`), read the counter, release the mutex, sleep by `sleep`, and take the mutex
    /// back (as a thread that may have been moved onto it) and leave the count (`detach`),
    /// also if the sleep unwinds.
    ///
    /// Only where [`moves`] (not across processes).
    ///
    /// # Safety
    ///
    /// The calling context holds `mutex`; it holds it again when this returns or unwinds.
    pub(crate) unsafe fn wait_moving(&self, mutex: &RawMutex<B>, sleep: &mut impl Sleep) -> Woke {
        /// Takes the mutex back and leaves the count when dropped (on return or unwind); a
        /// panic in either (a user's backend) aborts: the caller's guard would be left
        /// without a lock, or a counted waiter gone with its mutex.
        struct Back<'a, B: FutexBackend + 'static> {
            condvar: &'a RawCondvar<B, RawMutex<B>>,
            mutex: &'a RawMutex<B>,
        }
        impl<B: FutexBackend + 'static> Drop for Back<'_, B> {
            fn drop(&mut self) {
                crate::sync::word::or_abort(
                    "a condition variable could not take its mutex back",
                    || {
                        self.mutex.lock_returning();
                        self.condvar.detach();
                    },
                );
            }
        }
        debug_assert!(moves::<B, RawMutex<B>>());
        self.attach(mutex);
        let seen = self.seen();
        let back = Back { condvar: self, mutex };
        // SAFETY: the caller holds the mutex; `back` takes it again before we return.
        unsafe { mutex.unlock_raw() };
        let woke = self.sleep(seen, sleep);
        drop(back);
        woke
    }

    /// Counts us as a waiter with `mutex` (under `LOCK`): stores its address if we are the
    /// first, or marks the count `MIXED` if another mutex is stored.
    pub(super) fn attach(&self, mutex: &RawMutex<B>) {
        self.attach_as(mutex, false);
    }

    /// [`attach`](Self::attach), for an async task if `task`: it marks the count `MIXED`
    /// whatever the mutex, so that notifications wake (the table finds the task) and never
    /// move. A task is never moved anyway (a requeue wakes tasks), and a future may be leaked
    /// (`mem::forget` of a boxed one) while counted, so its mutex may be freed while the count
    /// still includes it: with `MIXED` set until the count empties, no notifier reads the
    /// stored address meanwhile.
    fn attach_as(&self, mutex: &RawMutex<B>, task: bool) {
        let ours = mutex as *const RawMutex<B> as *mut ();
        let mut users = self.users.load(Relaxed);
        loop {
            if users & LOCK != 0 {
                users = self.wait_unlocked(users);
                continue;
            }
            // Acquire: we read `mutex` below, which the last holder of `LOCK` may have stored.
            match self.users.compare_exchange(users, (users | LOCK) + USER, Acquire, Relaxed) {
                Ok(_) => break,
                Err(now) => users = now,
            }
        }
        let mut mixed = if task { MIXED } else { 0 };
        if users < USER {
            // The first counted: nobody reads the old address any more (it is read only with
            // a waiter counted), and `MIXED` went with the last waiter.
            self.mutex.store(ours, Relaxed);
        } else if self.mutex.load(Relaxed) != ours {
            mixed = MIXED;
        }
        // Release: the address is stored before a notifier's Acquire of `LOCK`.
        let mut now = users | LOCK;
        now += USER;
        loop {
            let new = (now & !(LOCK | WANT)) | mixed;
            match self.users.compare_exchange(now, new, Release, Relaxed) {
                Ok(_) => break,
                Err(changed) => now = changed,
            }
        }
        if now & WANT != 0 {
            // We are counted now, and nothing would take the count back if this unwound (the
            // mutex could then be freed while counted): a panicking backend aborts here.
            crate::sync::word::or_abort("a condition variable's wake panicked", || {
                super::word::wake::<B>(&self.users, u32::MAX);
            });
        }
    }

    /// Leaves the count, once no notifier holds `LOCK` (it may be using our mutex).
    pub(super) fn detach(&self) {
        let mut users = self.users.load(Relaxed);
        loop {
            if users & LOCK != 0 {
                users = self.wait_unlocked(users);
                continue;
            }
            let mut new = users - USER;
            if new < USER {
                // The last one: the next waiter starts a new record.
                new &= !MIXED;
            }
            // Acquire: reads the notifier's Release of `LOCK`, so that everything it did to
            // our mutex happens before we return (and may free it).
            match self.users.compare_exchange(users, new, Acquire, Relaxed) {
                Ok(_) => return,
                Err(now) => users = now,
            }
        }
    }

    /// Sleeps on `users` (which held `users`, with `LOCK`) until `LOCK` is released; the new
    /// value.
    #[cold]
    fn wait_unlocked(&self, users: u32) -> u32 {
        if users & WANT == 0 {
            if let Err(now) = self.users.compare_exchange(users, users | WANT, Relaxed, Relaxed) {
                return now;
            }
        }
        super::word::wait::<B>(&self.users, users | WANT);
        self.users.load(Relaxed)
    }
}

#[cfg(not(all(loom, test)))]
mod typed {
    use core::ptr;
    use core::time::Duration;

    use super::*;
    use crate::sync::lock_api::{self, MutexGuard, RawMutex};
    use crate::sync::word::{Forever, Sleep};
    use crate::{Clock, Deadline, Timeout};

    /// Releases `mutex` (held as `guard`), runs `f`, and takes the mutex again into `guard`,
    /// also if `f` or the release unwinds; aborts if taking it again unwinds (the guard would
    /// be left without a lock), as `lock_api::RawCondvar` requires.
    ///
    /// # Safety
    ///
    /// `guard` is the state of the caller's acquisition of `mutex`.
    unsafe fn released<R: RawMutex, T>(
        mutex: &R,
        guard: &mut R::Guard,
        f: impl FnOnce() -> T,
    ) -> T {
        /// Takes the mutex again into the guard's place when dropped (on return or unwind).
        struct Retake<'a, R: RawMutex> {
            mutex: &'a R,
            guard: *mut R::Guard,
        }
        impl<R: RawMutex> Drop for Retake<'_, R> {
            fn drop(&mut self) {
                let held = crate::sync::word::or_abort(
                    "a mutex's lock panicked while a condition variable retook it",
                    || self.mutex.lock(),
                );
                // SAFETY: `guard` points at the caller's guard, whose old state was moved out
                // (and consumed by the release) before this `Retake` existed: it is
                // overwritten without being dropped.
                unsafe { ptr::write(self.guard, held) };
            }
        }
        // SAFETY: the caller's promise: `guard` holds this acquisition's state; we move it out
        // and hand it to `unlock`, and `Retake` writes a new one back before anyone reads it.
        let state = unsafe { ptr::read(guard) };
        let retake = Retake { mutex, guard };
        // SAFETY: `state` is the acquisition the caller holds. If this unwinds, the lock is
        // released (the trait's rule) and `retake` takes it again.
        unsafe { mutex.unlock(state) };
        let result = f();
        drop(retake);
        result
    }

    // SAFETY: `wait` reads the counter while the mutex is held and releases it only then
    // (`released`), so a notification after the release changes the counter from the value it
    // sleeps on (module docs); it takes the mutex again before it returns, and `released` does
    // so on every unwind too, or aborts. Spurious wake-ups are possible, so the notifications
    // return `false` and `0`. Waiting with several mutexes at once is fine: the word does not
    // name one.
    unsafe impl<B: FutexBackend + 'static, R: RawMutex + 'static> lock_api::RawCondvar
        for RawCondvar<B, R>
    {
        #[allow(clippy::declare_interior_mutable_const)]
        const INIT: Self = RawCondvar::new();

        type RawMutex = R;

        unsafe fn wait(&self, mutex: &R, guard: &mut R::Guard) {
            // SAFETY: the caller holds `mutex` as `guard`.
            unsafe { self.wait_with(mutex, guard, &mut Forever::<B>::new()) };
        }

        /// Wakes one waiter; `false` always: a wait may also return spuriously, so no count
        /// is promised (module docs).
        #[inline]
        fn notify_one(&self) -> bool {
            self.notify_one_raw();
            false
        }

        /// Wakes every waiter; `0` always, for the reason `notify_one` gives.
        #[inline]
        fn notify_all(&self) -> usize {
            self.notify_all_raw();
            0
        }
    }

    impl<B: FutexBackend + 'static, R: 'static> RawCondvar<B, R> {
        /// Waits (mutex released by `released`, or by `wait_moving` for this crate's mutex)
        /// by `sleep`; whether the time ran out.
        ///
        /// # Safety
        ///
        /// The caller holds `mutex` as `guard`.
        unsafe fn wait_with<M: RawMutex + 'static>(
            &self,
            mutex: &M,
            guard: &mut M::Guard,
            sleep: &mut impl Sleep,
        ) -> bool {
            if let Some((condvar, mutex)) = self.moving(mutex) {
                // SAFETY: the caller holds the mutex; its guard (`GuardSend`, for
                // `RawMutex<B>`) carries no state, and stays valid as `wait_moving` takes the
                // mutex back before it returns or unwinds.
                let woke = unsafe { condvar.wait_moving(mutex, sleep) };
                return woke == Woke::TimedOut;
            }
            let seen = self.seen();
            // SAFETY: the caller holds `mutex` as `guard`.
            let woke = unsafe { released(mutex, guard, || self.sleep(seen, sleep)) };
            woke == Woke::TimedOut
        }

        /// This condition variable and `mutex` as the types that move waiters, where they are
        /// (this crate's `RawMutex<B>`, not across processes; see `moves`).
        #[inline]
        fn moving<M: 'static>(
            &self,
            mutex: &M,
        ) -> Option<(&Moving<B>, &super::super::RawMutex<B>)> {
            if !moves::<B, M>() || !moves::<B, R>() {
                return None;
            }
            // SAFETY: `moves` compared the type ids: `M` and `R` are `RawMutex<B>`, so both
            // casts are to the very types the references have.
            Some(unsafe { (&*(self as *const Self).cast(), &*(mutex as *const M).cast()) })
        }
    }

    #[cfg(feature = "async")]
    impl<B: FutexBackend + 'static, R: crate::sync::lock_async::RawMutexAsync + 'static>
        RawCondvar<B, R>
    {
        /// An async task's wait (`CondvarAsync`): read the counter with `mutex` held (counted
        /// first, as a task, where the condition variable moves its waiters), release the
        /// mutex, await the counter's word, lock the mutex again (`lock_async`) and leave the
        /// count.
        ///
        /// Cancel-safe: dropped at either await, the task is not counted any more (the guard
        /// below leaves the count) and the mutex is not held. If a notification came since it
        /// read the counter (the counter moved), it may have chosen this task, which will not
        /// act on it: the drop wakes every waiter of the counter, so that whichever waiter the
        /// notification was for looks again (a single wake passed on could go to a waiter
        /// that came later, for another condition; the others return spuriously, which
        /// waiters allow for). `lock_async` leaves the mutex's waiters as they were. The bookkeeping of the count may wait (briefly, for a notifier or an arriving
        /// waiter that holds `LOCK`) through the backend; if that panics, the process aborts,
        /// as for a thread's wait (`wait_moving`): unwinding there would leave the mutex held
        /// with no guard, or a counted waiter gone.
        ///
        /// # Safety
        ///
        /// The calling context holds `mutex` and hands it to this call (no guard of it will
        /// unlock it), and polls the future at once: when it completes, the mutex is held
        /// again; if it is dropped after its first poll and before it completes, it is not.
        pub(crate) async unsafe fn wait_async(&self, mutex: &R) {
            /// A counted task, taken out of the count when dropped (done or cancelled).
            struct Counted<'a, B: FutexBackend + 'static>(&'a Moving<B>);
            impl<B: FutexBackend + 'static> Drop for Counted<'_, B> {
                fn drop(&mut self) {
                    crate::sync::word::or_abort(
                        "a condition variable could not take a task out of its count",
                        || self.0.detach(),
                    );
                }
            }
            /// Armed from the mutex's release to its retaking: a task dropped in between after
            /// a notification (the counter moved from `seen`) wakes every waiter of the
            /// counter, since the notification may have been this task's.
            struct PassOn<'a, B: FutexBackend> {
                seq: &'a super::Word,
                seen: u32,
                backend: PhantomData<fn() -> B>,
            }
            impl<B: FutexBackend> Drop for PassOn<'_, B> {
                fn drop(&mut self) {
                    // Relaxed: a notification that chose this task reached it through the
                    // tasks' table, whose lock its wake took after the increment and this
                    // task's poll took after that, so the increment is visible here; one that
                    // has not reached it yet is the counter future's to pass on (its drop).
                    if self.seq.load(Relaxed) != self.seen {
                        crate::sync::word::wake::<B>(self.seq, u32::MAX);
                    }
                }
            }
            let counted = self.moving(mutex).map(|(condvar, mutex)| {
                crate::sync::word::or_abort(
                    "a condition variable could not count a task among its waiters",
                    || condvar.attach_as(mutex, true),
                );
                Counted(condvar)
            });
            let seen = self.seen();
            let pass_on = PassOn::<B> { seq: &self.seq, seen, backend: PhantomData };
            // SAFETY: the caller holds `mutex` and gave it to us; its guard state is
            // `GuardSend`, which carries nothing.
            unsafe { lock_api::RawMutex::unlock(mutex, lock_api::GuardSend::new()) };
            crate::sync::word::wait_async::<B>(&self.seq, seen).await;
            mutex.lock_async().await;
            core::mem::forget(pass_on);
            drop(counted);
        }
    }

    crate::select::with_std_time! {
        // SAFETY: as the `RawCondvar` impl; the deadline only adds the way out "time up",
        // which leaves the word true (module docs) and then retakes the mutex the same way.
        // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
        unsafe impl<B, R> lock_api::RawCondvarTimed for RawCondvar<B, R>
        where
            B: FutexBackend + 'static,
            R: lock_api::RawMutexTimed<Duration = Duration, Instant = std::time::Instant> + 'static,
        {
            fn checked_duration_to_instant(timeout: &Duration) -> Option<std::time::Instant> {
                std::time::Instant::now().checked_add(*timeout)
            }

            unsafe fn wait_until(
                &self,
                mutex: &R,
                guard: &mut R::Guard,
                timeout: &std::time::Instant,
            ) -> bool {
                let left = timeout.saturating_duration_since(std::time::Instant::now());
                // SAFETY: the caller holds `mutex` as `guard`.
                unsafe { self.wait_with(mutex, guard, &mut Deadline::<B, _>::after(left)) }
            }

            unsafe fn wait_for(&self, mutex: &R, guard: &mut R::Guard, timeout: &Duration) -> bool {
                // A `Deadline` saturates: no instant to overflow.
                // SAFETY: the caller holds `mutex` as `guard`.
                unsafe { self.wait_with(mutex, guard, &mut Deadline::<B, _>::after(*timeout)) }
            }
        }
    }

    /// Timed waits for [`Condvar`](crate::sync::Condvar) on any target: by a [`Deadline`] on
    /// any [`Clock`], or timed by the backend alone (no clock at all). Like every wait of
    /// this condvar, they may return spuriously (without a notification, before the time).
    ///
    /// With std, `lock_api`'s own `wait_for`, `wait_until`, `wait_while_for` and
    /// `wait_while_until` are there too (they return `lock_api`'s `WaitTimeoutResult`); without
    /// std they are not (no clock to default to), and these are how a `no_std` program gives up
    /// on a condition variable:
    ///
    /// ```
    /// use core::time::Duration;
    /// use portable_futex::sync::{Condvar, CondvarExt, Mutex};
    /// use portable_futex::{Deadline, StdClock};
    ///
    /// let ready = Mutex::new(false);
    /// let changed = Condvar::new();
    /// let mut guard = ready.lock();
    /// let mut deadline = Deadline::with_clock(Some(Duration::from_millis(1)), StdClock::new());
    /// let result = changed.wait_while_by(&mut guard, &mut deadline, |ready| !*ready);
    /// assert!(result.timed_out()); // nobody set it
    /// assert!(changed.wait_timeout(&mut guard, Duration::from_millis(1)).timed_out());
    /// ```
    pub trait CondvarExt<B, R: RawMutex> {
        /// Waits for a notification until `deadline` passes (on any [`Clock`]). The result says
        /// whether the time really ran out; if not, the wait was notified, or returned
        /// spuriously.
        fn wait_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
        ) -> WaitTimeoutResult;

        /// Waits while `condition` holds (checked first, with the mutex held, and after every
        /// notification), until `deadline` passes: the result says whether it gave up on time,
        /// with the condition still true.
        fn wait_while_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
            condition: impl FnMut(&mut T) -> bool,
        ) -> WaitTimeoutResult;

        /// Waits for a notification for at most `timeout`, timed by the backend alone: no clock
        /// needed, on every target. The result says whether the time really passed. Any
        /// `Duration` is accepted; a zero one only releases and retakes the mutex.
        fn wait_timeout<T: ?Sized>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            timeout: Duration,
        ) -> WaitTimeoutResult;
    }

    impl<B: FutexBackend + 'static, R: RawMutex + 'static> CondvarExt<B, R>
        for lock_api::Condvar<RawCondvar<B, R>>
    {
        fn wait_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
        ) -> WaitTimeoutResult {
            let woke = wait_through_guard(self.raw(), guard, deadline);
            WaitTimeoutResult(woke == Woke::TimedOut)
        }

        fn wait_while_by<T: ?Sized, C: Clock>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            deadline: &mut Deadline<B, C>,
            mut condition: impl FnMut(&mut T) -> bool,
        ) -> WaitTimeoutResult {
            while condition(&mut **guard) {
                if self.wait_by(guard, deadline).timed_out() {
                    // The time is up; one last look, as a notification may have raced it.
                    return WaitTimeoutResult(condition(&mut **guard));
                }
            }
            WaitTimeoutResult(false)
        }

        fn wait_timeout<T: ?Sized>(
            &self,
            guard: &mut MutexGuard<'_, R, T>,
            timeout: Duration,
        ) -> WaitTimeoutResult {
            let woke = wait_through_guard(self.raw(), guard, &mut BackendTimed::<B>::new(timeout));
            WaitTimeoutResult(woke == Woke::TimedOut)
        }
    }

    /// One wait through a typed guard: read the counter with the mutex held, then sleep with
    /// it released (`MutexGuard::unlocked` takes it again, also on unwind; for this crate's
    /// mutex, `wait_moving` does).
    fn wait_through_guard<B: FutexBackend + 'static, R: RawMutex + 'static, T: ?Sized>(
        condvar: &RawCondvar<B, R>,
        guard: &mut MutexGuard<'_, R, T>,
        sleep: &mut impl Sleep,
    ) -> Woke {
        if let Some((condvar, mutex)) = condvar.moving(raw_of(guard)) {
            // SAFETY: the guard holds the mutex, and `wait_moving` takes it back before it
            // returns or unwinds; the guard, borrowed by us, is not used meanwhile.
            return unsafe { condvar.wait_moving(mutex, sleep) };
        }
        let seen = condvar.seen();
        MutexGuard::unlocked(guard, || condvar.sleep(seen, sleep))
    }

    /// The raw mutex behind a guard.
    fn raw_of<'a, R: RawMutex, T: ?Sized>(guard: &'a MutexGuard<'_, R, T>) -> &'a R {
        // SAFETY: `raw` only hands out the reference; using it to unlock is the caller's
        // business (and `unsafe`).
        unsafe { MutexGuard::mutex(guard).raw() }
    }

    /// A sleep timed by the backend, once: `Timeout` as the backend reports it (the backend
    /// contract: only once the time really passed).
    struct BackendTimed<B> {
        timeout: Duration,
        backend: PhantomData<fn() -> B>,
    }

    impl<B> BackendTimed<B> {
        fn new(timeout: Duration) -> Self {
            BackendTimed { timeout, backend: PhantomData }
        }
    }

    impl<B: FutexBackend> Sleep for BackendTimed<B> {
        fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
            crate::sync::word::timed_wait::<B>(word, expect, self.timeout)
        }
    }
}

#[cfg(not(all(loom, test)))]
pub use self::typed::CondvarExt;

/// Whether a timed wait of [`CondvarExt`] ended because its time was up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True if the wait ended because the time really passed (not a notification).
    pub fn timed_out(self) -> bool {
        self.0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::{take_wake_counts, Recording, RecordingShared};

    #[test]
    fn notify_one_wakes_one_and_across_processes_all() {
        let private = RawCondvar::<Recording, ()>::new();
        take_wake_counts();
        private.notify_one_raw();
        private.notify_all_raw();
        assert_eq!(take_wake_counts(), [1, u32::MAX]);
        // A waiter killed after the kernel chose it must not take the notification with it.
        let shared = RawCondvar::<RecordingShared, ()>::new();
        shared.notify_one_raw();
        assert_eq!(take_wake_counts(), [u32::MAX]);
    }

    #[test]
    fn notify_returns_no_count() {
        use crate::sync::lock_api::RawCondvar as _;
        let cv = RawCondvar::<Recording>::new();
        assert!(!cv.notify_one());
        assert_eq!(cv.notify_all(), 0);
    }
}
