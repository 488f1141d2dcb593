//! `RawMutex<B>`: a mutex in one 32-bit word, sleeping through the futex of backend `B`.
//!
//! # The word
//!
//! Six flags and, above them, the number of threads that gave up spinning and registered to
//! sleep on the word ("waiters"):
//!
//! ```text
//!   31                         6   5   4   3   2   1   0
//!  +----------------------------+---+---+---+---+---+---+
//!  | waiters (count, × WAITER)  | F | M | G | H | W | L |
//!  +----------------------------+---+---+---+---+---+---+
//! ```
//!
//! - `L` ([`LOCKED`]): held. It is also set while the lock is being handed to a hungry waiter,
//!   and for a moment while a release looks for moved sleepers (see "Moved sleepers").
//! - `W` ([`WOKEN`]): an unlock has sent a wake and no waiter has looked at the word since. An
//!   unlock that sees it sends no other wake: the woken thread is on its way and will either
//!   take the mutex or register its sleep again, clearing `W`.
//! - `H` ([`HUNGRY`]): one waiter has slept [`HUNGRY_AFTER`] times without getting the mutex
//!   and is owed it; only that waiter clears it.
//! - `G` ([`GIVEN`]): the last holder handed the mutex on instead of leaving it free (`L` stays
//!   set with it, so no arriving thread can take it). With `H`, to the hungry waiter, and only
//!   that waiter clears it; without `H` (a fair unlock), to whichever registered waiter looks
//!   first.
//! - `M` ([`MOVED`]) and `F` ([`FRESH`]): a condition variable has moved sleepers onto this
//!   word, which no count records (see "Moved sleepers"). `F`: moved since the last holder
//!   looked; `M`: perhaps still some asleep. Never across processes.
//!
//! | value | meaning |
//! |---|---|
//! | `0` ([`UNLOCKED`]) | free, nobody waits: the fast path takes it with one compare-and-swap |
//! | `L` | held, nobody waits: `unlock` is one subtraction, no wake |
//! | `L + k·WAITER` | held, `k` threads sleep or are about to: `unlock` wakes one and sets `W` |
//! | `L + W + k·WAITER` | held, a woken waiter is on its way: `unlock` wakes nobody |
//! | `k·WAITER` (± `W`) | free with `k` waiters: a woken one, or anyone passing by, may take it |
//! | `L + H + k·WAITER` | held, one waiter is owed the mutex: `unlock` hands it over |
//! | `H + k·WAITER` | an unlock is handing it over (or anyone may take it, then hand it over) |
//! | `L + H + G + k·WAITER` | handed over, not yet picked up by the hungry waiter |
//! | `L + G + k·WAITER` (± `W`) | handed on by a fair unlock, not yet picked up by a waiter |
//!
//! Any of these with `M` or `F` set: the same, plus moved sleepers perhaps (an unlock with
//! nobody counted then wakes; "Moved sleepers").
//!
//! Invariants: `G` implies `L`, and at least one waiter unless `H` is set; `H` implies at least
//! one waiter; `W` implies a woken thread that will look at the word (a registered waiter, or
//! one coming back from a condition variable's wait), or registered waiters that compare the
//! word before they sleep (they sleep only on values without `W`).
//!
//! # Transitions
//!
//! - **lock, fast**: `0 → L` (compare-and-swap, Acquire). Only from exactly 0: with waiters
//!   registered we go to the slow path, which may still take the lock at once.
//! - **lock, slow**: first wait a little ([`Backoff`]: spin, then yield) while the mutex is
//!   held and nobody sleeps on it (the holder is running, or needs our processor to run); take
//!   it when `L` is clear (keeping the rest).
//!   Then register: `+WAITER` (Relaxed). From then on, in a loop:
//!   - `L` clear: take it and leave the waiters in one step, `s → s + L − WAITER − W` (and
//!     `−H` if the claim is ours: it is settled) (Acquire). "Barging" is allowed: a running
//!     thread may take a free mutex ahead of a sleeper, which keeps contended throughput high;
//!   - `G` set and we are the hungry waiter: `s → s − G − H − WAITER − W` (Acquire), `L`
//!     stays: the mutex is ours;
//!   - `G` set without `H` (a fair unlock's hand-off): `s → s − G − WAITER − W` (Acquire),
//!     the same pick-up, by any registered waiter;
//!   - otherwise (held): clear `W` if set (we are looking at the word; a woken thread that
//!     lost the race must let the next unlock wake again), and set `H` if we have slept
//!     [`HUNGRY_AFTER`] times and no other waiter is hungry (Relaxed: the unlock that must see
//!     it reads the same word); then sleep on exactly that value, and wait a little after
//!     waking if we are the only waiter.
//! - **unlock**: `−L` (one subtraction, Release). If nothing else was set, that is all.
//!   Otherwise, unless a running thread has taken the mutex meanwhile (its unlock then does
//!   this instead), one compare-and-swap: with `H` set, `+L +G` (take the mutex back for the
//!   hungry waiter, so that nobody else can) and wake every sleeper, since the futex cannot
//!   pick the hungry one (the others look and sleep again); else, if waiters are counted and
//!   `W` is clear, `+W` and wake one (across processes: no `W`, and wake all; see "Across
//!   processes"); else, with moved sleepers perhaps there (`M`/`F`, `W` clear), wake one of
//!   them, or first take the mutex back for a moment to look for them ("Moved sleepers").
//! - **unlock, fair** (`RawMutexFair::unlock_fair`): with waiters counted and nobody hungry,
//!   `+G +W` in one compare-and-swap (Release), `L` stays, and wake one unless `W` was already
//!   set; otherwise (nobody waits, or the hungry waiter is owed it anyway) a plain unlock.
//!   Across processes always a plain unlock ("Across processes").
//! - **give up** (timed lock, time up): leave (`−WAITER − W`, and `−H` if ours), unless the
//!   mutex is free or handed to us, in which case take it instead and report success. Leaving
//!   while the mutex is free could strand a wake that was meant for us.
//! - **unwinding out of a sleep** (a user's backend or `Clock` may panic): leave as above; if
//!   the mutex was handed to us (or to any waiter, by a fair unlock), release it, and if it is then free with waiters left, pass a
//!   wake on (`+W`, wake one), since the unwinding thread may have absorbed the last one.
//!
//! # Moved sleepers
//!
//! A condition variable's notification may move its waiters, asleep, onto this word
//! ([`RawCondvar`](super::RawCondvar), "Moving waiters"). They are not counted: a waiter on a
//! futex cannot tell whether it was moved or woken, so it cannot count itself, and the
//! notifier cannot count for it (the waiter would not know to take the count back). So:
//!
//! - **mark**: after a requeue that moved any, the notifier sets `F` (SeqCst;
//!   [`after_move`](RawMutex::after_move)), and, if the mutex is free, does what an unlock
//!   would do now (wake one). `F` is taken in (turned into `M`) only by a wake that follows:
//!   the holder's, or, while nobody holds the mutex, a release's; so a mark is never lost
//!   before a wake after it;
//! - **after release**: with waiters counted, the usual wake of one serves moved sleepers as
//!   well (whoever the futex picks looks); with only `M`/`F` and no `W`, take `F` in
//!   (Acquire: the marked moves happen before the wake) and wake one, counting, without `W`
//!   (nobody might clear it if the wake found nobody). This is where fresh moves are woken:
//!   once the mutex is free, so that the woken thread can take it. If the wake woke one (or
//!   cannot tell), more are likely left: set `F` again, so that the next unlock too wakes
//!   after its release (a hint: `F` only ever makes wakes); if it found nobody, the next
//!   unlock looks before it releases, and clears `M`;
//! - **look, holding**: an unlock that leaves `M` alone (no `F`) with nobody counted and
//!   nothing on its way (`W`, `H`, `G` clear) takes the mutex back for a moment, if it is
//!   still free (an empty critical section: Acquire, then AcqRel), and, holding it, wakes one
//!   sleeper, counting (`FutexBackend::wake_counted`). If the wake found nobody, it clears
//!   `M`: every sleeper moved before the marks taken in was found asleep or had been woken,
//!   and any move since sets `F` (while we hold the mutex, only we would take it in), so the
//!   release that follows sees it and wakes. `W` is set before the wake, as an unlock sets it
//!   (the thread woken clears it as it looks, whoever it is: a moved sleeper, or a waiter
//!   that registered meanwhile, looks or leaves), and cleared again if the wake found nobody
//!   or cannot say (`None`: `M` then stays);
//! - **coming back**: a thread returning from a condition variable's wait takes the mutex with
//!   [`lock_returning`](RawMutex::lock_returning), which clears `W` as it takes a free mutex
//!   (it may be the thread an unlock woke; if it kept `W`, later unlocks would stay silent
//!   over the sleepers left), and otherwise registers and waits as any waiter.
//!
//! The order of the argument: a move comes before its mark (program order, the mark SeqCst);
//! a mark read by an Acquire (the compare-and-swap that takes `F` in, the look's release)
//! happens before what follows, so the wake after it finds the moved sleeper. A backend that cannot count its wakes answers `None`, and `M` then stays
//! set: each unlock wakes once more, which costs a system call and nothing else. A condition variable's loom models check the races, each
//! failing without the step it is named for (`sync::loom_tests`).
//!
//! # Why no wake is lost
//!
//! Every change of the word is a read-modify-write, so all of them form one modification
//! order, and a waiter sleeps only on a value it read that has `L` set and `W` clear.
//!
//! - An unlock that clears `L` with waiters counted either sets `W` and wakes one, finds `W`
//!   set, or finds the mutex taken again (by a thread whose own unlock comes later). `W` set
//!   means a wake was sent after some earlier change and no waiter has acted since. The futex guarantees that the waiter that sent wake found a sleeper, or that every
//!   registered waiter compares the word after the change that set `W` (their sleep values
//!   lack `W`, so they do not sleep). Either way some waiter looks at the word again: it takes
//!   the free mutex, or finds it held and clears `W`, so that the holder's unlock wakes again.
//!   Every path by which a waiter stops being one (taking, giving up, unwinding, a cancelled
//!   `lock_async`) clears `W`.
//! - Once `H` is set, each unlock hands over, unless the mutex is taken between its subtraction
//!   and its compare-and-swap, by a barging thread (whose unlock then hands over) or by the
//!   hungry waiter itself (which clears `H`). A hand-off sets `G` and wakes every sleeper; the
//!   hungry waiter sleeps only on values without `G`, so it is woken or does not sleep, and
//!   only it clears `G`. It cannot leave while `G` is set without taking the mutex (giving
//!   up) or releasing it (unwinding).
//! - A fair unlock's `G` (without `H`) is picked up by any registered waiter that looks, and it
//!   set `W` and woke one, under the same rule as an unlock's `W`: the woken waiter, or every
//!   registered one (they sleep only on values without `G`), looks at the word again. No
//!   waiter leaves while it is set without picking it up (giving up takes it) or releasing it
//!   (unwinding), so the last registered waiter cannot strand it.
//! - A waiter woken while the mutex is held (another thread barged in) stays registered and
//!   sleeps again; the thread that holds the mutex will wake a waiter when it unlocks.
//!
//! # Orderings
//!
//! Acquire on every successful take (from a free mutex, or of a hand-off) and Release on the
//! unlock's subtraction: it heads a release sequence that every later read-modify-write of the
//! word continues (the hand-off's `+L +G` included), and the next holder's acquiring one reads
//! from it, so all writes of one critical section happen before the next one. Registering,
//! `W`, `H`, the hand-off's compare-and-swap, giving up and leaving are Relaxed: they publish
//! nothing, and which wake they see is decided by the modification order of the one word
//! (above), not by ordering with other memory. The futex compares the word with a SeqCst load
//! in the same total order as every wake of it.
//!
//! # Fairness
//!
//! `unlock_fair` (and so every unlock of [`RawFairMutex`](crate::sync::RawFairMutex)) hands the
//! mutex to a registered waiter without ever leaving it free: a thread that arrives meanwhile
//! finds it held and waits a little (its first wait does not stop for a hand-off) before it
//! registers, and then yields to the waiters (up to
//! [`HAND_OFF_YIELDS`](super::word::HAND_OFF_YIELDS) times) while the hand-off waits. The futex picks which sleeper wakes (the longest one on Linux and `Queue`),
//! and a waiter that is awake and registered may pick the hand-off up first: fair among
//! waiters, closed to arrivals for as long as those yields last. After them a newcomer
//! registers and may pick the hand-off up itself: the word cannot name the waiter it is for,
//! and a newcomer that refused it and slept could strand it (a second hand-off in the same
//! word looks the same to it). It costs the hand-off's context switch, as parking_lot's does.
//!
//! The plain unlock is
//! eventually fair, as parking_lot's: a running thread may take the mutex ahead of a woken sleeper
//! (a hand-off to a sleeper costs a context switch while the lock sits idle), but a sleeper
//! that has been woken [`HUNGRY_AFTER`] times and lost each time claims the next unlock for
//! itself. So the wait is bounded by how often the backend wakes it: with a futex that wakes
//! the longest sleeper first (Linux, the `Queue` backend), a waiter among `k` is woken at least
//! every `k` unlocks that wake, and is served within about `HUNGRY_AFTER · k` of them. The
//! benchmark reports each thread's share and the longest single wait.
//!
//! # Across processes
//!
//! On a backend with [`FutexBackend::PROCESS_SHARED`] a waiter may be killed at any point:
//! asleep, or after the kernel chose it for a wake and before it ran (the wake then dies with
//! it), and its registration is never taken back. A dead waiter must cost nothing worse than a
//! wake that finds nobody, so there the mutex is the plain counted one:
//!
//! - no `H` or `G` (a dead hungry waiter would never pick its hand-off up: the mutex would
//!   stay given to nobody; so `unlock_fair` is a plain unlock there), and no `W` (a dead woken waiter would never clear it: every later
//!   unlock would stay silent);
//! - every unlock that finds waiters counted wakes *all* sleepers, not one: a wake given to a
//!   single waiter that is then killed would leave the others asleep on a free mutex. Each
//!   living sleeper looks again; one takes the mutex, the rest sleep again;
//! - a dead waiter's registration stays in the count for good: it can only make the count too
//!   high, and a count too high costs only the wakes (a system call per unlock) it asks for.
//!
//! The cost is the herd: with `k` sleepers an unlock wakes `k` threads where one would do
//! (`benches/process_shared.rs` measures it). A holder that dies holding the mutex leaves it
//! held: nothing records the owner (robust futexes are out of scope). So does, in effect, one
//! killed inside its unlock, between the subtraction and the wake: the sleepers stay asleep
//! on a free mutex until another process takes and releases it.

use core::marker::PhantomData;

use super::word::{Backoff, Forever, Ordering::*, Sleep, Word};
use crate::FutexBackend;

/// Free, and nobody waits.
pub(crate) const UNLOCKED: u32 = 0;
/// Bit 0: held (or being handed to the hungry waiter).
pub(crate) const LOCKED: u32 = 1;
/// Bit 1: a wake is on its way; unlocks send no other until a waiter has looked.
pub(crate) const WOKEN: u32 = 2;
/// Bit 2: one waiter is owed the mutex at the next unlock.
pub(crate) const HUNGRY: u32 = 4;
/// Bit 3: the mutex was handed on (with `LOCKED` still set): to the hungry waiter with
/// `HUNGRY`, to any registered waiter without.
pub(crate) const GIVEN: u32 = 8;
/// Bit 4: sleepers that no count records may sleep on the word (a condition variable moved
/// them here); unlocks wake until a counted wake finds nobody asleep.
pub(crate) const MOVED: u32 = 16;
/// Bit 5: a condition variable has just moved sleepers here, and no unlock has woken since.
/// Every move sets it, so that setting it always changes the word (see "Moved sleepers").
pub(crate) const FRESH: u32 = 32;
/// One registered waiter, counted in bits 6 to 31.
pub(crate) const WAITER: u32 = 64;
/// Every flag: the word less its count.
const FLAGS: u32 = WAITER - 1;

/// How many times a waiter sleeps without getting the mutex before it claims the next unlock
/// for itself (sets [`HUNGRY`]).
///
/// Each of those sleeps ended with a wake that a running thread beat it to, so the waiter
/// has seen the mutex change hands at least this many times. A hand-off leaves the mutex
/// idle for the hungry thread's wake-up (a context switch) and wakes every sleeper, so it must
/// stay rare under contention: 16 lost races are 16 wake-ups' worth of waiting (each a
/// context switch, microseconds to tens of microseconds), the order of parking_lot's 0.5 ms
/// between fair unlocks, and the bound is a count the waiter keeps itself rather than a clock,
/// which a `no_std` backend may not have. Under loom, 1, so that the models reach the
/// hand-off.
///
/// Not across processes (a backend with [`FutexBackend::PROCESS_SHARED`], such as
/// `Shared<Linux>`): there a waiter can die while it waits (`kill -9`), and a dead hungry
/// waiter would never pick its hand-off up. A process-shared mutex never claims (the
/// module docs, "Across processes"): a flag, not a threshold out of reach, since the sleep
/// count saturates.
const HUNGRY_AFTER: u32 = if cfg!(all(loom, test)) { 1 } else { 16 };

/// A mutual-exclusion lock in one `u32` that sleeps through backend `B`: the raw lock behind
/// [`generic::Mutex<B, T>`](crate::sync::generic::Mutex) (`lock_api::Mutex<RawMutex<B>, T>`).
///
/// Use it through `lock_api`'s typed `Mutex`; the raw functions are for building other
/// primitives. See the [module docs](crate::sync) for the whole family.
///
/// # Layout
///
/// One `AtomicU32` (`#[repr(transparent)]`): 4 bytes, aligned to 4, whatever `B`; all-zero
/// bytes are [`new()`](Self::new), unlocked. A zero-filled mapping shared with other processes
/// holds an unlocked one, for `RawMutex<backend::Shared<_>>` (README, "Across processes").
#[repr(transparent)]
pub struct RawMutex<B> {
    state: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> RawMutex<B> {
    /// An unlocked mutex.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        RawMutex { state: Word::new(UNLOCKED), backend: PhantomData }
    }

    /// An unlocked mutex (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        RawMutex { state: Word::new(UNLOCKED), backend: PhantomData }
    }

    /// A free mutex marked `MOVED`, as an earlier move leaves it once its sleeper has gone
    /// (for the loom model of the unlock's probe).
    #[cfg(all(loom, test))]
    pub(crate) fn once_moved_onto() -> Self {
        RawMutex { state: Word::new(MOVED), backend: PhantomData }
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for RawMutex<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for RawMutex<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.state.load(Relaxed);
        f.debug_struct("RawMutex")
            .field("locked", &(state & LOCKED != 0))
            .field("waiters", &(state / WAITER))
            .finish()
    }
}

/// What a registered waiter may turn `state` into to own the mutex, if it can now: `L` clear
/// (take it), or `G` set for it (pick up the hand-off: the hungry waiter's with `H`, anyone's
/// without). Either way the waiter stops being one (`−WAITER`) and has looked at the word
/// (`−W`).
#[inline]
fn take_as_waiter(state: u32, hungry: bool) -> Option<u32> {
    let owned = if state & LOCKED == 0 {
        // Free (and, if we are hungry, we take it ourselves: the claim is settled).
        (state | LOCKED) & !if hungry { HUNGRY } else { 0 }
    } else if state & GIVEN != 0 && (hungry || state & HUNGRY == 0) {
        // With `H`, only the hungry waiter may, and clears both. `G` without `H` stays so: a
        // fair unlock sets `G` only over a value without `H`, and a waiter claims `H` only
        // over a value it found without `G` (it would have picked the hand-off up instead).
        state & !(GIVEN | if hungry { HUNGRY } else { 0 })
    } else {
        return None;
    };
    Some(owned.wrapping_sub(WAITER) & !WOKEN)
}

/// What follows a release of the mutex whose word is `word`, when the release left `state`
/// (`L` clear) with waiters counted, a hungry one, or moved sleepers: wake one of them, or
/// hand the mutex to the hungry one, unless a running thread has taken it meanwhile (its
/// unlock then does this instead). Called after an unlock, by a waiter that unwinds out of
/// its wait, and by a condition variable that has just moved sleepers onto a free mutex.
fn after_release<B: FutexBackend>(word: &Word, mut state: u32) {
    // Whether we have taken the mutex back once to look for moved sleepers: once is enough.
    let mut looked = false;
    loop {
        if state & LOCKED != 0 {
            // Taken again: the new holder's unlock wakes or hands over.
            return;
        }
        let (new, wake) = if state & HUNGRY != 0 {
            // Take it back for the hungry waiter (`L` + `G`: nobody else can take it),
            // and wake every sleeper, since the futex cannot pick the hungry one. Moved
            // sleepers wake too, and look.
            (state | LOCKED | GIVEN, u32::MAX)
        } else if state >= WAITER && B::PROCESS_SHARED {
            // Across processes, no `W`: wake (every sleeper, as `word::wake` does there).
            super::word::wake::<B>(word, 1);
            return;
        } else if state & WOKEN != 0 {
            // A woken thread is on its way, and will look at the word.
            return;
        } else if state >= WAITER {
            // One wake for counted and moved sleepers alike: whoever the futex picks looks at
            // the word and clears `W`.
            (state | WOKEN, 1)
        } else if state & (MOVED | FRESH) == MOVED && !looked {
            // Only old moved sleepers, perhaps, and the mutex is free: take it back for a
            // moment (an empty critical section) and look for them while holding it, so that
            // a wake that finds nobody may clear `MOVED` (module docs, "Moved sleepers").
            looked = true;
            match word.compare_exchange(state, state | LOCKED, Acquire, Relaxed) {
                Ok(_) => state = look_for_moved::<B>(word),
                Err(now) => state = now,
            }
            continue;
        } else if state & (MOVED | FRESH) != 0 {
            // Fresh moves (or old ones we already looked for) and the mutex is free: take the
            // fresh moves in (`F` → `M`) and wake one, counting. No `W`, which nobody might
            // clear if the wake found nobody.
            let marked = state & !FRESH | MOVED;
            if marked != state {
                // Acquire: the moves whose mark we take in happen before our wake, which then
                // finds them (a mark read by a Relaxed failure below is read again here).
                if let Err(now) = word.compare_exchange(state, marked, Acquire, Relaxed) {
                    state = now;
                    continue;
                }
            }
            if super::word::wake_counted::<B>(word, 1) != Some(0) {
                // Woke one (or cannot tell): more are likely left, so mark the word fresh
                // again, and the next unlock, too, wakes after it releases rather than look
                // while it holds. Only a hint: `F` makes wakes, never loses one.
                word.fetch_or(FRESH, Relaxed);
            }
            return;
        } else {
            // Nobody waits.
            return;
        };
        // Relaxed: the unlock's Release heads a release sequence that this read-modify-
        // write continues, so the hungry waiter's Acquire of `G` still synchronises with
        // our critical section.
        match word.compare_exchange(state, new, Relaxed, Relaxed) {
            Ok(_) => {
                super::word::wake::<B>(word, wake);
                return;
            }
            Err(now) => state = now,
        }
    }
}

/// Holding the mutex (taken back by `after_release`), with nobody counted and the word
/// marked `MOVED` alone: set `W` and wake one sleeper, counting. If the wake found nobody, no
/// moved sleeper is left asleep (module docs, "Moved sleepers"): `MOVED` and `W` go; if it
/// woke one, that thread is on its way and clears `W` as it looks. Then release the mutex
/// again; the word as the release left it.
#[cold]
fn look_for_moved<B: FutexBackend>(word: &Word) -> u32 {
    /// Releases the mutex if the look's wake unwinds (a user's backend may panic), so that
    /// the mutex is not left held by nobody.
    struct Give<'a>(&'a Word);
    impl Drop for Give<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(LOCKED, Release);
        }
    }
    let give = Give(word);
    // `W` before the wake, as an unlock sets it before its wake: the thread woken looks at the
    // word and clears it. Set after the wake, it could land after that thread had come and
    // gone (a timed waiter that registered meanwhile, woken, and leaving on its deadline),
    // with nobody left to clear it. We hold the mutex and `W` was clear: it is ours.
    word.fetch_or(WOKEN, Relaxed);
    match super::word::wake_counted::<B>(word, 1) {
        Some(0) => {
            // Nobody asleep here when the wake looked: each sleeper moved before the marks
            // taken in (SeqCst and Acquire: the move before a mark happens before our wake)
            // was found, or had been woken already. A move since marks the word `FRESH`,
            // which only a wake after it takes in (while we hold the mutex, only ours), so
            // clearing `MOVED` alone cannot erase it: the release then sees it and wakes.
            // Nobody was woken to clear `W`: we do. Relaxed: nothing else rides on this.
            word.fetch_and(!(MOVED | WOKEN), Relaxed);
        }
        // A thread was woken: it looks at the word and clears `W`.
        Some(_) => {}
        // The backend cannot tell whether it woke anyone: no `W` (nobody might clear it; a
        // thread that was woken clears nothing then), and `MOVED` stays: the release wakes
        // once more.
        None => {
            word.fetch_and(!WOKEN, Relaxed);
        }
    }
    core::mem::forget(give);
    // AcqRel: Release for our (empty) critical section, as every unlock; Acquire, so that a
    // mover's mark (`FRESH`) read here brings its move with it, which the wake that follows
    // must find.
    word.fetch_sub(LOCKED, AcqRel).wrapping_sub(LOCKED)
}

impl<B: FutexBackend> RawMutex<B> {
    /// Takes the mutex, sleeping while another thread holds it.
    #[inline]
    pub(crate) fn lock_raw(&self) {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_err() {
            self.lock_slow(&mut Forever::<B>::new());
        }
    }

    /// Takes the mutex if nobody holds it. Never fails while the mutex is free (a release
    /// that looks for moved sleepers holds it for that moment: module docs, "Moved sleepers").
    #[inline]
    pub(crate) fn try_lock_raw(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & LOCKED != 0 {
                return false;
            }
            // Keep the rest: taking a free mutex ahead of woken waiters is allowed. `G` is
            // never set while `L` is clear; `H` may be (an unlock between its subtraction and
            // its hand-off), and then our own unlock hands over instead.
            match self.state.compare_exchange(state, state | LOCKED, Acquire, Relaxed) {
                Ok(_) => return true,
                // Only the count or `W` changed (or someone took and released it): look again.
                Err(now) => state = now,
            }
        }
    }

    /// Releases the mutex.
    ///
    /// # Safety
    ///
    /// The calling context holds the mutex (took it and has not released it).
    #[inline]
    pub(crate) unsafe fn unlock_raw(&self) {
        let before = self.state.fetch_sub(LOCKED, Release);
        if before != LOCKED {
            self.unlock_slow(before.wrapping_sub(LOCKED));
        }
    }

    /// Releases the mutex to a waiter: hands it to a registered waiter if there is one
    /// (module docs, "Fairness"), else releases it as [`unlock_raw`](Self::unlock_raw) does.
    ///
    /// # Safety
    ///
    /// The calling context holds the mutex.
    #[inline]
    pub(crate) unsafe fn unlock_fair_raw(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            // Nobody to hand to, or the hungry waiter is owed it (the plain unlock hands it
            // over), or across processes, where a dead waiter would never pick it up.
            if state < WAITER || state & HUNGRY != 0 || B::PROCESS_SHARED {
                // SAFETY: the caller holds the mutex.
                return unsafe { self.unlock_raw() };
            }
            // Release: the waiter that picks `G` up (Acquire) takes our critical section with
            // it, as the next holder after an unlock would.
            match self.state.compare_exchange(state, state | GIVEN | WOKEN, Release, Relaxed) {
                Ok(_) => {
                    if state & WOKEN == 0 {
                        super::word::wake::<B>(&self.state, 1);
                    }
                    return;
                }
                // A waiter arrived, left, or looked (`W`): decide again.
                Err(now) => state = now,
            }
        }
    }

    /// Lets a waiter have the mutex if one is registered, and takes it back: nothing at all
    /// when nobody is registered (sleepers a condition variable moved here are not: they get
    /// the mutex at a release). If taking it back unwinds (a user's backend may panic), the process
    /// aborts: the caller's guard would be left without its lock, which lock_api's `bump`
    /// forbids.
    ///
    /// # Safety
    ///
    /// The calling context holds the mutex, and holds it again when this returns.
    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) unsafe fn bump_raw(&self) {
        if self.state.load(Relaxed) >= WAITER {
            // SAFETY: the caller holds the mutex.
            unsafe { self.unlock_fair_raw() };
            // If the retake unwinds, the caller's guard would outlive its mutex: abort.
            super::word::or_abort("a bump could not take its mutex back", || self.lock_raw());
        }
    }

    /// After an unlock found waiters, a hungry one or moved sleepers: `state` is the word just
    /// after it (`L` clear). See [`after_release`].
    ///
    /// The mutex is no longer ours, yet we still read and write its word: `&self` keeps the
    /// memory alive until we return, whoever holds the mutex now.
    #[cold]
    fn unlock_slow(&self, state: u32) {
        after_release::<B>(&self.state, state);
    }

    /// A condition variable has just moved sleepers onto this word (a requeue answered
    /// `moved > 0`): mark them (`FRESH`), and if the mutex is free, do what its last unlock
    /// would have done had they been there (module docs, "Moved sleepers").
    ///
    /// The caller keeps the mutex alive until this returns (the condition variable's waiters
    /// wait for it before they leave their wait).
    #[cfg_attr(all(loom, test), allow(dead_code))]
    pub(crate) fn after_move(&self) {
        // SeqCst: in one total order with the unlocks' marking compare-and-swap and their
        // counted wakes, so that an unlock that reads this mark wakes after our move, and one
        // that does not read it fails to clear `MOVED` (module docs, "Moved sleepers").
        let before = self.state.fetch_or(FRESH, SeqCst);
        if before & LOCKED == 0 {
            after_release::<B>(&self.state, before | FRESH);
        }
    }

    /// Takes the mutex for a thread coming back from a condition variable's wait, which may
    /// have been moved onto this word and woken by an unlock as if it were a registered
    /// waiter: it clears `W` when it takes the mutex (it has looked at the word), so that the
    /// next unlock wakes again. Registered, it behaves as any waiter.
    #[inline]
    pub(crate) fn lock_returning(&self) {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_err() {
            let hungry_after = if B::PROCESS_SHARED { None } else { Some(HUNGRY_AFTER) };
            self.lock_slow_with(&mut Forever::<B>::new(), hungry_after, true);
        }
    }

    /// Takes the mutex, or gives up once `sleep` reports `Timeout`. True if taken.
    #[cold]
    pub(crate) fn lock_slow(&self, sleep: &mut impl Sleep) -> bool {
        // Across processes a waiter never claims (see `HUNGRY_AFTER`).
        let hungry_after = if B::PROCESS_SHARED { None } else { Some(HUNGRY_AFTER) };
        self.lock_slow_with(sleep, hungry_after, false)
    }

    /// [`lock_slow`](Self::lock_slow) with the hunger threshold as a parameter (`None`: never
    /// claim), so that the loom models can check the other rules with hunger out of the way;
    /// `returning`: the thread comes back from a condition variable's wait and clears `W` as
    /// it takes a free mutex ([`lock_returning`](Self::lock_returning)).
    #[inline]
    fn lock_slow_with(
        &self,
        sleep: &mut impl Sleep,
        hungry_after: Option<u32>,
        returning: bool,
    ) -> bool {
        let looked = if returning { WOKEN } else { 0 };
        // Spin first, while the holder is probably still running; and if a fair unlock has
        // just handed the mutex on, give the waiter it is for a while longer to pick it up.
        let mut state = self.spin(0);
        state =
            super::word::yield_while::<B>(&self.state, state, |s| s & (GIVEN | HUNGRY) == GIVEN);
        while state & LOCKED == 0 {
            match self.state.compare_exchange(state, (state | LOCKED) & !looked, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }

        // Register as a waiter. The guard takes the registration back if the wait unwinds (a
        // user's backend, or a user's `Clock` inside a `Deadline`, may panic), so that the
        // word stays true.
        let mut me = self.register();
        let mut state = self.state.load(Relaxed);
        let mut sleeps = 0u32;
        loop {
            let claim = hungry_after.is_some_and(|after| sleeps >= after);
            match me.look(state, claim) {
                Look::Taken => {
                    core::mem::forget(me);
                    return true;
                }
                // Sleep on exactly what we saw (and wrote). A change (an unlock, a hand-off,
                // another waiter arriving) makes the futex return at once, and we look again.
                Look::Sleep(seen) => {
                    if sleep.sleep(&self.state, seen).is_err() {
                        return me.give_up();
                    }
                }
            }
            sleeps = sleeps.saturating_add(1);
            // Wait a little if nobody else sleeps on it; else look once and sleep again. A
            // hand-off ends the wait: it may be ours to pick up.
            state = self.spin(WAITER);
        }
    }

    /// Takes the mutex for an async task: as [`lock_slow`](Self::lock_slow), but each sleep is
    /// an await of the word ([`word::wait_async`](super::word::wait_async)), a future that a
    /// wake of the word completes; threads and tasks are the same waiters to the word (counted,
    /// woken one at a time by unlocks, owed the mutex after [`HUNGRY_AFTER`] losses). A wake
    /// of the word goes to a waiting task before a sleeping thread
    /// ([`Futex::wake`](crate::Futex::wake)), so while tasks keep the mutex busy a sleeping
    /// thread is not woken by the plain unlocks; but a waiting task loses too, goes hungry,
    /// and its hand-off wakes every waiter, the thread included, which then loses its own
    /// turns and is owed the mutex in time (`tests/sync_async.rs`: a thread beside two tasks
    /// that pass the mutex between them; with hunger removed it waits for good). A task that
    /// arrives during a fair unlock's hand-off registers at once and may pick it up, where an
    /// arriving thread first yields to the waiters. A task woken but not polled keeps `W` set, so unlocks send no other wake
    /// until it runs or is dropped (as a thread woken but not yet scheduled). Before it
    /// registers it spins as a thread does, but never yields ([`Backoff::spin`]: about half a
    /// microsecond, which holds its executor's thread no longer than a short critical section;
    /// a task that waits longer gives the thread back at its first await).
    ///
    /// Cancel-safe: dropped while it waits, the registration's guard leaves as a waiter whose
    /// time is up would without the mutex (it clears `W`, releases a hand-off meant for it,
    /// and passes on the wake it may have absorbed), and the word's future passes on a wake
    /// that chose it.
    #[cfg(all(feature = "async", not(all(loom, test))))]
    pub(crate) async fn lock_async(&self) {
        let mut state = self.state.load(Relaxed);
        let mut backoff = Backoff::new();
        // Held by a running thread or task, with nobody asleep: it is likely to be free soon.
        while state & LOCKED != 0 && state < WAITER && backoff.spin() {
            state = self.state.load(Relaxed);
        }
        while state & LOCKED == 0 {
            match self.state.compare_exchange(state, state | LOCKED, Acquire, Relaxed) {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
        let hungry_after = if B::PROCESS_SHARED { None } else { Some(HUNGRY_AFTER) };
        let mut me = self.register();
        let mut state = self.state.load(Relaxed);
        let mut sleeps = 0u32;
        loop {
            let claim = hungry_after.is_some_and(|after| sleeps >= after);
            match me.look(state, claim) {
                Look::Taken => {
                    core::mem::forget(me);
                    return;
                }
                Look::Sleep(seen) => super::word::wait_async::<B>(&self.state, seen).await,
            }
            sleeps = sleeps.saturating_add(1);
            state = self.state.load(Relaxed);
        }
    }

    /// Registers a waiter (`+WAITER`): the returned guard takes the registration back when it
    /// is dropped without the mutex (an unwinding wait, a cancelled async lock).
    #[inline]
    fn register(&self) -> Waiter<'_, B> {
        self.state.fetch_add(WAITER, Relaxed);
        Waiter { word: &self.state, hungry: false, backend: PhantomData }
    }

    /// Waits ([`Backoff`]) while the mutex is held, nobody is hungry, and no other thread
    /// sleeps on it: the registered waiters are at most `own` (our own registration) once a
    /// woken one, on its way and not asleep, is left out. Returns the last value seen. Only
    /// then: once others sleep, the mutex is contended for longer than a wait is worth.
    /// (Leaving the woken waiter out matters: under contention one is nearly always on its
    /// way, and counting it made newcomers sleep at once; measured on `benches/sync.rs`'s
    /// contended rows, it is the difference between ~0.75x and ~1x parking_lot's throughput.)
    ///
    /// A fair unlock's hand-off (`G` without `H`) ends the wait of a registered waiter (`own` =
    /// `WAITER`), whom it may be for, and keeps a thread that has not registered (`own` = 0)
    /// waiting, however many sleep: the hand-off is for the waiters that were there first, and
    /// the newcomer registers (and may pick it up) only once its wait is used up.
    #[inline]
    fn spin(&self, own: u32) -> u32 {
        let mut backoff = Backoff::new();
        loop {
            let state = self.state.load(Relaxed);
            // A woken waiter (`W`) is on its way, not asleep: it does not count.
            let waiters = state & !FLAGS;
            let asleep = waiters.saturating_sub(if state & WOKEN != 0 { WAITER } else { 0 });
            let handed_on = state & (GIVEN | HUNGRY) == GIVEN;
            let wait = if handed_on {
                own == 0
            } else {
                state & (LOCKED | HUNGRY) == LOCKED && asleep <= own
            };
            if !wait || !backoff.wait::<B>() {
                return state;
            }
        }
    }

    /// Takes the mutex without ever claiming a hand-off (the loom models of the other rules).
    #[cfg(all(loom, test))]
    pub(crate) fn lock_never_hungry(&self) {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_err() {
            self.lock_slow_with(&mut Forever::<B>::new(), None, false);
        }
    }

    /// The word, for a condition variable that moves its waiters onto it.
    #[inline]
    pub(crate) fn word(&self) -> &Word {
        &self.state
    }

    /// Whether some thread holds the mutex (a snapshot; a mutex being handed over counts).
    #[inline]
    pub(crate) fn is_locked_raw(&self) -> bool {
        self.state.load(Relaxed) & LOCKED != 0
    }
}

/// A registered waiter: whether it is the hungry one, and, if dropped while still registered
/// (by unwinding out of a sleep, or with a `lock_async` future cancelled at its await: every
/// normal path forgets it after its final compare-and-swap), the way out that keeps the word
/// true.
struct Waiter<'a, B: FutexBackend> {
    word: &'a Word,
    hungry: bool,
    backend: PhantomData<fn() -> B>,
}

/// What a registered waiter's look at the word found.
enum Look {
    /// It took the mutex (its registration with it).
    Taken,
    /// Held, or handed to another waiter: sleep on this value (`W` cleared, `H` claimed if
    /// it was time).
    Sleep(u32),
}

impl<B: FutexBackend> Waiter<'_, B> {
    /// Looks at the word from `state`: takes the mutex if it may, else clears `W` (we have
    /// looked) and, if `claim` (we have lost often enough) and nobody else has, claims the
    /// next unlock (`H`).
    #[inline]
    fn look(&mut self, mut state: u32, claim: bool) -> Look {
        loop {
            if let Some(owned) = take_as_waiter(state, self.hungry) {
                match self.word.compare_exchange(state, owned, Acquire, Relaxed) {
                    Ok(_) => return Look::Taken,
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            let mut next = state & !WOKEN;
            let claim = claim && !self.hungry && state & HUNGRY == 0;
            if claim {
                next |= HUNGRY;
            }
            if next != state {
                match self.word.compare_exchange(state, next, Relaxed, Relaxed) {
                    Ok(_) => {
                        self.hungry |= claim;
                        state = next;
                    }
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            return Look::Sleep(state);
        }
    }

    /// Time is up: leave, or take the mutex if it is free or handed to us, since the wake
    /// that the last unlock sent may have been absorbed by us. True if taken.
    #[cold]
    fn give_up(self) -> bool {
        let mut state = self.word.load(Relaxed);
        loop {
            let (new, taken) = match take_as_waiter(state, self.hungry) {
                Some(owned) => (owned, true),
                None => (self.leaving(state), false),
            };
            match self.word.compare_exchange(state, new, Acquire, Relaxed) {
                Ok(_) => {
                    core::mem::forget(self);
                    return taken;
                }
                Err(now) => state = now,
            }
        }
    }

    /// `state` without us, while the mutex is held by someone else: `−WAITER`, `−W` (we
    /// looked), and `−H` if the claim was ours (the next unlock then releases as usual).
    fn leaving(&self, state: u32) -> u32 {
        let hungry = if self.hungry { HUNGRY } else { 0 };
        state.wrapping_sub(WAITER) & !(WOKEN | hungry)
    }
}

impl<B: FutexBackend> Drop for Waiter<'_, B> {
    fn drop(&mut self) {
        let mut state = self.word.load(Relaxed);
        loop {
            let mut new = self.leaving(state);
            if state & GIVEN != 0 && (self.hungry || state & HUNGRY == 0) {
                // Handed to us (or to any waiter, by a fair unlock): release it instead
                // (`HUNGRY`, if ours, already cleared by `leaving`).
                new &= !(GIVEN | LOCKED);
            }
            // Relaxed: a release sequence continues through any read-modify-write, so the next
            // holder still synchronises with the last unlock; we wrote nothing to publish.
            match self.word.compare_exchange(state, new, Relaxed, Relaxed) {
                Ok(_) => {
                    // Free with waiters (or moved sleepers) left: we may have absorbed the
                    // wake meant for one of them. Pass it on as an unlock would (with `W`, or
                    // across processes to all, without it: module docs, "Across processes").
                    if new & LOCKED == 0 && (new >= WAITER || new & (MOVED | FRESH) != 0) {
                        after_release::<B>(self.word, new);
                    }
                    return;
                }
                Err(now) => state = now,
            }
        }
    }
}

#[cfg(not(all(loom, test)))]
mod traits {
    use super::*;
    use crate::sync::lock_api;

    // SAFETY: there is one owner at a time. `L` is set only by a successful compare-and-swap
    // from a value with `L` clear: by a thread that takes the mutex (`lock_raw`,
    // `try_lock_raw`, `lock_slow`, `lock_returning`, `give_up`, and `after_release` taking it
    // back for a moment to look for moved sleepers, an empty critical section that releases it
    // before returning, also on unwind), which is then the owner, or by an unlock's
    // hand-off, which sets `G` with it and so makes the hungry waiter the owner. Only the
    // owner clears `L` (the unlock's subtraction; a hungry waiter unwinding out of a hand-off
    // it owns). `G` is cleared only by the hungry waiter, and there is at most one: `H` is set
    // only by a compare-and-swap from a value without it, by the thread that then counts
    // itself hungry, and cleared only by that thread. The count and the flags live in
    // separate bits (a carry out of bit 31 is discarded, never into the flags). The backend
    // decides only when threads sleep and wake, never who holds the lock, so even a backend
    // that breaks its contract (returns at once, panics, wakes everybody) cannot let two
    // threads in. Acquire on every take and Release on every unlock order the critical
    // sections.
    unsafe impl<B: FutexBackend> lock_api::RawMutex for RawMutex<B> {
        // A `const` item builds a new mutex at each use, which is what `lock_api` wants.
        #[allow(clippy::declare_interior_mutable_const)]
        const INIT: Self = RawMutex::new();

        /// Our guards may move to another thread (unlike std's): the futex mutex records no
        /// owner, so any thread may release it, and an async task that holds the guard across
        /// an `.await` may resume on another thread of its executor. Nothing is kept per
        /// acquisition: the word says everything.
        type Guard = lock_api::GuardSend;

        #[inline]
        fn lock(&self) -> Self::Guard {
            self.lock_raw();
            lock_api::GuardSend::new()
        }

        #[inline]
        fn try_lock(&self) -> Option<Self::Guard> {
            self.try_lock_raw().then(lock_api::GuardSend::new)
        }

        #[inline]
        unsafe fn unlock(&self, _: Self::Guard) {
            // SAFETY: `lock_api::RawMutex::unlock`'s contract: the caller holds the mutex.
            unsafe { self.unlock_raw() }
        }

        #[inline]
        fn is_locked(&self) -> bool {
            self.is_locked_raw()
        }
    }

    // SAFETY: `unlock_fair` either releases as `unlock` does or leaves `L` set and hands the
    // mutex to one registered waiter through `G` (see "Fair unlocks" in the module docs): the
    // owner changes, there is never a second one. The hand-off's Release orders this critical
    // section before the taker's, whose pick-up is Acquire.
    unsafe impl<B: FutexBackend> lock_api::RawMutexFair for RawMutex<B> {
        #[inline]
        unsafe fn unlock_fair(&self, _: Self::Guard) {
            // SAFETY: the trait's contract: the caller holds the mutex.
            unsafe { self.unlock_fair_raw() }
        }

        #[inline]
        unsafe fn bump(&self, _: &mut Self::Guard) {
            // SAFETY: the trait's contract: the caller holds the mutex, and holds it again when
            // this returns.
            unsafe { self.bump_raw() }
        }
    }

    impl<B: FutexBackend> RawMutex<B> {
        /// Takes the mutex unless `deadline` passes first (on any [`Clock`](crate::Clock),
        /// std or not). True if taken. The safe, typed form is
        /// [`generic::try_lock_by`](crate::sync::generic::try_lock_by).
        pub fn try_lock_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
            self.try_lock_raw() || self.lock_slow(deadline)
        }
    }

    crate::select::with_std_time! {
        // SAFETY: the same lock as the `RawMutex` impl above; the timed functions only add a way
        // to give up (`give_up`), which either takes the lock by the same compare-and-swap rule or
        // leaves it untouched.
        // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
        unsafe impl<B: FutexBackend> lock_api::RawMutexTimed for RawMutex<B> {
            type Duration = core::time::Duration;
            type Instant = std::time::Instant;

            fn try_lock_for(&self, timeout: core::time::Duration) -> Option<Self::Guard> {
                let mut deadline = crate::Deadline::<B, _>::after(timeout);
                self.try_lock_by(&mut deadline).then(lock_api::GuardSend::new)
            }

            fn try_lock_until(&self, instant: std::time::Instant) -> Option<Self::Guard> {
                self.try_lock_for(instant.saturating_duration_since(std::time::Instant::now()))
            }
        }
    }
}

/// The transitions one at a time, from words set up by hand, with a backend that records the
/// wakes asked of it (the suites in `tests/` check the same rules through threads).
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use core::sync::atomic::AtomicU32;
    use core::time::Duration;
    use std::vec::Vec;

    use super::*;
    use crate::test_support::{take_wake_counts, watchdog, Recording, RecordingShared};
    use crate::Timeout;

    /// [`Recording`], with a counted wake that answers that it woke `N`.
    struct Finds<const N: u32>;

    impl<const N: u32> FutexBackend for Finds<N> {
        fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
            Ok(())
        }
        fn wake(futex: *const AtomicU32, n: u32) {
            Recording::wake(futex, n)
        }
        fn wake_counted(futex: *const AtomicU32, n: u32) -> Option<u32> {
            Recording::wake(futex, n);
            Some(N)
        }
    }

    /// Unlocks a mutex (backend `B`) whose word is `before`; the word after, and the wakes
    /// sent.
    fn unlock_on<B: FutexBackend>(before: u32) -> (u32, Vec<u32>) {
        let m = RawMutex::<B>::new();
        m.state.store(before, Relaxed);
        take_wake_counts();
        // SAFETY: `before` has `LOCKED`: the test plays the holder.
        unsafe { m.unlock_raw() };
        (m.state.load(Relaxed), take_wake_counts())
    }

    #[test]
    fn an_unlock_looks_for_moved_sleepers_before_it_releases() {
        // Only moved sleepers may be there: one counted wake while still held. Nobody found:
        // `MOVED` (and `FRESH`) go, and the mutex is back to plain 0.
        assert_eq!(unlock_on::<Finds<0>>(LOCKED + MOVED), (UNLOCKED, std::vec![1]));
        // One found: it is on its way (`W`), `MOVED` stays for the next unlock to look again.
        assert_eq!(unlock_on::<Finds<1>>(LOCKED + MOVED), (WOKEN + MOVED, std::vec![1]));
        // Fresh moves: sleepers for sure; no look, the release wakes one once it is free, and
        // `MOVED` stays for the next holder's look.
        assert_eq!(unlock_on::<Finds<0>>(LOCKED + FRESH), (MOVED, std::vec![1]));
        assert_eq!(unlock_on::<Finds<0>>(LOCKED + MOVED + FRESH), (MOVED, std::vec![1]));
        // That wake found one: more are likely left, so the next unlock wakes after its
        // release too (`F` again).
        assert_eq!(unlock_on::<Finds<1>>(LOCKED + FRESH), (MOVED + FRESH, std::vec![1]));
        // A backend that cannot count: `MOVED` stays, and no `W` (the wake may have found
        // nobody to clear it); the release wakes once more, and marks the word fresh (more
        // may be left), so the next unlock wakes after its release instead of looking.
        assert_eq!(unlock_on::<Recording>(LOCKED + MOVED), (MOVED + FRESH, std::vec![1, 1]));
        assert_eq!(unlock_on::<Recording>(LOCKED + MOVED + FRESH), (MOVED + FRESH, std::vec![1]));
        // Waiters counted: the plain unlock's wake serves moved sleepers too; no look.
        let counted = LOCKED + MOVED + FRESH + 2 * WAITER;
        assert_eq!(
            unlock_on::<Finds<0>>(counted),
            (WOKEN + MOVED + FRESH + 2 * WAITER, std::vec![1])
        );
        // A woken thread on its way: nothing, it will look.
        assert_eq!(unlock_on::<Finds<0>>(LOCKED + WOKEN + MOVED), (WOKEN + MOVED, std::vec![]));
    }

    #[test]
    fn a_move_onto_a_free_mutex_wakes_one_and_onto_a_held_one_waits_for_its_unlock() {
        let m = RawMutex::<Finds<0>>::new();
        take_wake_counts();
        m.after_move();
        assert_eq!((m.state.load(Relaxed), take_wake_counts()), (MOVED, std::vec![1]));
        m.state.store(LOCKED, Relaxed);
        m.after_move();
        assert_eq!((m.state.load(Relaxed), take_wake_counts()), (LOCKED + FRESH, std::vec![]));
        // With a woken thread on its way, or waiters counted: the unlock's rules.
        m.state.store(WOKEN + WAITER, Relaxed);
        m.after_move();
        assert_eq!(
            (m.state.load(Relaxed), take_wake_counts()),
            (WOKEN + FRESH + WAITER, std::vec![])
        );
        m.state.store(WAITER, Relaxed);
        m.after_move();
        assert_eq!(
            (m.state.load(Relaxed), take_wake_counts()),
            (WOKEN + FRESH + WAITER, std::vec![1])
        );
    }

    #[test]
    fn a_thread_back_from_a_condvar_wait_clears_woken_as_it_takes_the_mutex() {
        let m = RawMutex::<Finds<0>>::new();
        m.state.store(WOKEN + MOVED, Relaxed);
        m.lock_returning();
        assert_eq!(m.state.load(Relaxed), LOCKED + MOVED);
        // A plain lock leaves `W` to the thread it belongs to.
        m.state.store(WOKEN + MOVED + WAITER, Relaxed);
        assert!(m.try_lock_raw());
        assert_eq!(m.state.load(Relaxed), LOCKED + WOKEN + MOVED + WAITER);
    }

    /// Unlocks a mutex whose word is `before`; the word after, and the wakes sent.
    fn unlock_from(before: u32) -> (u32, Vec<u32>) {
        let m = RawMutex::<Recording>::new();
        m.state.store(before, Relaxed);
        take_wake_counts();
        // SAFETY: `before` has `LOCKED`: the test plays the holder.
        unsafe { m.unlock_raw() };
        (m.state.load(Relaxed), take_wake_counts())
    }

    #[test]
    fn across_processes_every_unlock_with_waiters_wakes_and_nobody_gets_hungry() {
        // Under the watchdog: a `lock_slow` that never stops spinning would hang it.
        watchdog("process-shared unlocks and a losing waiter to finish", across_processes);
    }

    fn across_processes() {
        // A dead process's registration, or its `WOKEN` (set by an older build: never by
        // this one here), must not silence the unlocks.
        for before in [LOCKED + 2 * WAITER, LOCKED + WOKEN + 2 * WAITER] {
            let m = RawMutex::<RecordingShared>::new();
            m.state.store(before, Relaxed);
            take_wake_counts();
            // SAFETY: `before` has `LOCKED`: the test plays the holder.
            unsafe { m.unlock_raw() };
            assert_eq!(
                (m.state.load(Relaxed), take_wake_counts()),
                (before - LOCKED, std::vec![u32::MAX])
            );
        }
        // A waiter that loses every time never claims a hand-off.
        let m = RawMutex::<RecordingShared>::new();
        m.state.store(LOCKED, Relaxed);
        let mut sleeps = 0;
        let mut sleep = |_: &Word, expect: u32| {
            assert_eq!(expect & HUNGRY, 0, "a process-shared waiter went hungry");
            sleeps += 1;
            if sleeps > 4 * HUNGRY_AFTER {
                Err(Timeout)
            } else {
                Ok(())
            }
        };
        struct Calls<F>(F);
        impl<F: FnMut(&Word, u32) -> Result<(), Timeout>> Sleep for Calls<F> {
            fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
                (self.0)(word, expect)
            }
        }
        assert!(!m.lock_slow(&mut Calls(&mut sleep)));
        assert_eq!(m.state.load(Relaxed), LOCKED);
    }

    #[test]
    fn unlock_without_waiters_wakes_nobody() {
        assert_eq!(unlock_from(LOCKED), (UNLOCKED, std::vec![]));
    }

    #[test]
    fn unlock_with_waiters_wakes_one_and_marks_it() {
        assert_eq!(unlock_from(LOCKED + 2 * WAITER), (WOKEN + 2 * WAITER, std::vec![1]));
    }

    #[test]
    fn unlock_while_a_woken_waiter_is_on_its_way_wakes_nobody() {
        let before = LOCKED + WOKEN + 2 * WAITER;
        assert_eq!(unlock_from(before), (WOKEN + 2 * WAITER, std::vec![]));
    }

    #[test]
    fn unlock_with_a_hungry_waiter_hands_over_and_wakes_all() {
        let before = LOCKED + HUNGRY + 2 * WAITER;
        assert_eq!(
            unlock_from(before),
            (LOCKED + HUNGRY + GIVEN + 2 * WAITER, std::vec![u32::MAX])
        );
    }

    #[test]
    fn unlock_after_a_barging_thread_took_the_mutex_leaves_it_alone() {
        let m = RawMutex::<Recording>::new();
        take_wake_counts();
        for taken in [LOCKED + WAITER, LOCKED + HUNGRY + WAITER] {
            m.state.store(taken, Relaxed);
            m.unlock_slow(taken);
            assert_eq!((m.state.load(Relaxed), take_wake_counts()), (taken, std::vec![]));
        }
    }

    #[test]
    fn a_waiter_takes_a_free_mutex_and_leaves_the_count() {
        // `W` is cleared: this waiter has looked.
        assert_eq!(take_as_waiter(WOKEN + 2 * WAITER, false), Some(LOCKED + WAITER));
        // The hungry waiter taking it itself settles its claim.
        assert_eq!(take_as_waiter(HUNGRY + 2 * WAITER, true), Some(LOCKED + WAITER));
        // Anyone may take a free mutex, even with a claim pending (the claim stays).
        assert_eq!(take_as_waiter(HUNGRY + 2 * WAITER, false), Some(LOCKED + HUNGRY + WAITER));
    }

    #[test]
    fn a_fair_unlock_hands_the_mutex_to_a_waiter() {
        // (word before, word after, wakes): nobody waits, or the hungry one is owed it: a
        // plain unlock; else `G` and `W` with `L` kept, and a wake unless one is on its way.
        for (before, after, wakes) in [
            (LOCKED, UNLOCKED, std::vec![]),
            (LOCKED + 2 * WAITER, LOCKED + GIVEN + WOKEN + 2 * WAITER, std::vec![1]),
            (LOCKED + WOKEN + WAITER, LOCKED + GIVEN + WOKEN + WAITER, std::vec![]),
            (LOCKED + HUNGRY + WAITER, LOCKED + HUNGRY + GIVEN + WAITER, std::vec![u32::MAX]),
        ] {
            let m = RawMutex::<Recording>::new();
            m.state.store(before, Relaxed);
            take_wake_counts();
            // SAFETY: `before` has `LOCKED`: the test plays the holder.
            unsafe { m.unlock_fair_raw() };
            assert_eq!((m.state.load(Relaxed), take_wake_counts()), (after, wakes), "{before:#x}");
        }
        // Across processes a dead waiter could never pick it up: a plain unlock.
        let m = RawMutex::<RecordingShared>::new();
        m.state.store(LOCKED + WAITER, Relaxed);
        take_wake_counts();
        // SAFETY: as above.
        unsafe { m.unlock_fair_raw() };
        assert_eq!((m.state.load(Relaxed), take_wake_counts()), (WAITER, std::vec![u32::MAX]));
        // Any registered waiter picks a fair hand-off up, hungry or not.
        let handed = LOCKED + GIVEN + WOKEN + 2 * WAITER;
        assert_eq!(take_as_waiter(handed, false), Some(LOCKED + WAITER));
        assert_eq!(take_as_waiter(handed, true), Some(LOCKED + WAITER));
    }

    #[test]
    fn bump_without_waiters_keeps_the_mutex_and_wakes_nobody() {
        let m = RawMutex::<Recording>::new();
        m.lock_raw();
        take_wake_counts();
        // SAFETY: locked just above.
        unsafe { m.bump_raw() };
        assert_eq!((m.state.load(Relaxed), take_wake_counts()), (LOCKED, std::vec![]));
    }

    #[test]
    fn only_the_hungry_waiter_picks_a_hand_off_up() {
        let handed = LOCKED + HUNGRY + GIVEN + WOKEN + 2 * WAITER;
        assert_eq!(take_as_waiter(handed, true), Some(LOCKED + WAITER));
        assert_eq!(take_as_waiter(handed, false), None);
        assert_eq!(take_as_waiter(LOCKED + HUNGRY + WAITER, true), None);
    }

    #[test]
    fn a_waiter_that_leaves_takes_its_count_its_look_and_its_claim() {
        let word = Word::new(0);
        let me = |hungry| Waiter::<Recording> { word: &word, hungry, backend: PhantomData };
        let held = LOCKED + HUNGRY + WOKEN + 2 * WAITER;
        let (plain, hungry) = (me(false), me(true));
        assert_eq!(plain.leaving(held), LOCKED + HUNGRY + WAITER);
        assert_eq!(hungry.leaving(held), LOCKED + WAITER);
        core::mem::forget((plain, hungry));
    }

    #[test]
    fn a_timed_out_waiter_takes_a_free_or_handed_mutex_instead_of_leaving() {
        let m = RawMutex::<Recording>::new();
        for (before, hungry, after, taken) in [
            (LOCKED + WOKEN + 2 * WAITER, false, LOCKED + WAITER, false),
            (WOKEN + 2 * WAITER, false, LOCKED + WAITER, true),
            (LOCKED + HUNGRY + GIVEN + 2 * WAITER, true, LOCKED + WAITER, true),
            (LOCKED + HUNGRY + 2 * WAITER, true, LOCKED + WAITER, false),
        ] {
            m.state.store(before, Relaxed);
            let me = Waiter::<Recording> { word: &m.state, hungry, backend: PhantomData };
            assert_eq!(me.give_up(), taken, "from {before:#x}");
            assert_eq!(m.state.load(Relaxed), after, "from {before:#x}");
        }
    }

    #[test]
    fn unwinding_out_of_a_wait_passes_the_mutex_and_its_wake_on() {
        let m = RawMutex::<Recording>::new();
        take_wake_counts();
        for (before, hungry, after, woken) in [
            // Held elsewhere: just leave (the holder's unlock wakes).
            (LOCKED + WOKEN + 2 * WAITER, false, LOCKED + WAITER, std::vec![]),
            // Free with others waiting: we may have absorbed their wake, so pass one on.
            (WOKEN + 2 * WAITER, false, WOKEN + WAITER, std::vec![1]),
            // Free, and we were the last: nothing to pass on.
            (WAITER, false, UNLOCKED, std::vec![]),
            // Handed to us: release it, and wake the next.
            (LOCKED + HUNGRY + GIVEN + 2 * WAITER, true, WOKEN + WAITER, std::vec![1]),
            // Handed on by a fair unlock to any waiter: the same, and if we were the last,
            // nobody is left to wake.
            (LOCKED + GIVEN + WOKEN + 2 * WAITER, false, WOKEN + WAITER, std::vec![1]),
            (LOCKED + GIVEN + WOKEN + WAITER, false, UNLOCKED, std::vec![]),
        ] {
            m.state.store(before, Relaxed);
            drop(Waiter::<Recording> { word: &m.state, hungry, backend: PhantomData });
            assert_eq!(
                (m.state.load(Relaxed), take_wake_counts()),
                (after, woken),
                "from {before:#x}"
            );
        }
    }

    /// Across processes the wake an unwinding waiter passes on goes to every sleeper, and it
    /// sets no `W` (a dead waiter could never clear it).
    #[test]
    fn across_processes_unwinding_passes_its_wake_to_all_without_woken() {
        let m = RawMutex::<RecordingShared>::new();
        take_wake_counts();
        for (before, after, woken) in [
            (LOCKED + 2 * WAITER, LOCKED + WAITER, std::vec![]),
            (2 * WAITER, WAITER, std::vec![u32::MAX]),
            (WAITER, UNLOCKED, std::vec![]),
        ] {
            m.state.store(before, Relaxed);
            drop(Waiter::<RecordingShared> { word: &m.state, hungry: false, backend: PhantomData });
            assert_eq!(
                (m.state.load(Relaxed), take_wake_counts()),
                (after, woken),
                "from {before:#x}"
            );
        }
    }

    #[test]
    fn a_waiter_goes_hungry_after_losing_often_enough() {
        // Under the watchdog: a `lock_slow` that never stops spinning would hang it.
        watchdog("a waiter that keeps losing to go hungry, then give up", hungry_after_losing);
    }

    fn hungry_after_losing() {
        // `Recording` returns from every wait at once, and the word stays held (as if a
        // running thread beat the waiter each time): the waiter claims the next unlock, and a
        // deadline that passes then makes it leave with its claim taken back.
        let m = RawMutex::<Recording>::new();
        m.state.store(LOCKED, Relaxed);
        /// Sleeps that "return" at once, `HUNGRY_AFTER + 1` times, then report `Timeout`.
        struct Counting(u32, u32);
        impl Sleep for Counting {
            fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
                assert_eq!(word.load(Relaxed), expect, "sleeps on the value it saw");
                self.0 += 1;
                if self.0 > HUNGRY_AFTER {
                    // The claim is in the word the waiter sleeps on.
                    self.1 = expect;
                    return Err(Timeout);
                }
                Ok(())
            }
        }
        let mut sleep = Counting(0, 0);
        assert!(!m.lock_slow(&mut sleep));
        assert_eq!(sleep.1, LOCKED + HUNGRY + WAITER);
        assert_eq!(m.state.load(Relaxed), LOCKED);
    }

    std::thread_local! {
        static YIELDS: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
    }

    /// Counts the yields asked of it on this thread (and can always yield); never sleeps.
    struct Yielding;

    impl FutexBackend for Yielding {
        fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
            Ok(())
        }
        fn wake(_: *const AtomicU32, _: u32) {}
        fn yield_now() -> bool {
            YIELDS.with(|y| y.set(y.get() + 1));
            true
        }
    }

    #[test]
    fn spin_waits_only_on_a_held_mutex_nobody_else_sleeps_on() {
        watchdog("`spin` to return on each word", spin_cases);
    }

    fn spin_cases() {
        let m = RawMutex::<Yielding>::new();
        // (word, our own registration, whether `spin` waits its whole `Backoff` out)
        for (state, own, waits) in [
            (LOCKED, 0, true),
            (UNLOCKED, 0, false),
            (WAITER, WAITER, false),
            (LOCKED + HUNGRY, 0, false),
            (LOCKED + HUNGRY + GIVEN + WAITER, WAITER, false),
            // Another waiter asleep: not worth waiting.
            (LOCKED + WAITER, 0, false),
            (LOCKED + 2 * WAITER, WAITER, false),
            // Only ourselves, or the other is the woken one, on its way: wait.
            (LOCKED + WAITER, WAITER, true),
            (LOCKED + WOKEN + WAITER, 0, true),
            (LOCKED + WOKEN + 2 * WAITER, WAITER, true),
            (LOCKED + WOKEN + 3 * WAITER, WAITER, false),
            // A fair hand-off: a registered waiter looks at once; a newcomer waits it out,
            // however many sleep.
            (LOCKED + GIVEN + WOKEN + 3 * WAITER, WAITER, false),
            (LOCKED + GIVEN + WOKEN + 3 * WAITER, 0, true),
            (LOCKED + GIVEN + WAITER, 0, true),
        ] {
            m.state.store(state, Relaxed);
            YIELDS.with(|y| y.set(0));
            assert_eq!(m.spin(own), state, "the word as it was, from {state:#x}");
            // A whole `Backoff` ends with its yields; an answer at once asks none.
            let yields = YIELDS.with(|y| y.get());
            assert_eq!(yields > 0, waits, "from {state:#x}, own {own:#x}: {yields} yields");
        }
    }

    #[test]
    fn a_newcomer_takes_a_free_mutex_without_registering() {
        // Free, with a woken waiter on its way: the newcomer barges in without counting
        // itself, and leaves `W` to the woken waiter (who has not looked yet).
        watchdog("a newcomer to take a free mutex", || {
            let m = RawMutex::<Recording>::new();
            m.state.store(WOKEN + WAITER, Relaxed);
            assert!(m.lock_slow(&mut Forever::<Recording>::new()));
            assert_eq!(m.state.load(Relaxed), LOCKED + WOKEN + WAITER);
        });
    }

    #[test]
    fn unwinding_out_of_a_wait_leaves_a_mutex_not_handed_to_us_alone() {
        let m = RawMutex::<Recording>::new();
        take_wake_counts();
        for (before, hungry, after) in [
            // Hungry, but not handed over yet: take the claim back, leave the holder alone.
            (LOCKED + HUNGRY + 2 * WAITER, true, LOCKED + WAITER),
            // Handed to the other, hungry waiter: not ours to release.
            (LOCKED + HUNGRY + GIVEN + 2 * WAITER, false, LOCKED + HUNGRY + GIVEN + WAITER),
        ] {
            m.state.store(before, Relaxed);
            drop(Waiter::<Recording> { word: &m.state, hungry, backend: PhantomData });
            assert_eq!(
                (m.state.load(Relaxed), take_wake_counts()),
                (after, std::vec![]),
                "from {before:#x}"
            );
        }
    }
}
