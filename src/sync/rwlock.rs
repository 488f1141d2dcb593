//! `RawRwLock<B>`: a reader-writer lock in two 32-bit words, sleeping through backend `B`.
//!
//! # The words
//!
//! `state` holds the lock and says who sleeps; readers sleep on it. `writer_wake` is a counter
//! that writers sleep on, so that waking a writer never wakes readers and the reverse: its low
//! 8 bits count the writers registered to sleep (sticky once full, see [`SLEEPERS_FULL`]),
//! the 24 above are a sequence that every waker of writers bumps ([`WAKE_SEQ`]).
//!
//! ```text
//!   31   30   29   28   27                     0
//!  +----+----+----+----+------------------------+
//!  | WW | RW | U  | H  | count: readers, or all |
//!  |    |    |    |    | ones for one writer    |
//!  +----+----+----+----+------------------------+
//! ```
//!
//! | `count` | meaning |
//! |---|---|
//! | `0` | free |
//! | `1 ..= MAX_READERS` | held by that many readers |
//! | `WRITE_LOCKED` (`2^28 − 1`) | held by one writer (or handed to one, with H) |
//!
//! | bit | meaning |
//! |---|---|
//! | `READERS_WAITING` (RW) | readers sleep (or are about to) on `state` |
//! | `WRITERS_WAITING` (WW) | writers sleep (or are about to) on `writer_wake`; or the upgradable reader waits to upgrade |
//! | `UPGRADABLE` (U) | one of the readers counted is the upgradable one (at most one at a time) |
//! | `HANDED` (H) | with `WRITE_LOCKED`: a fair unlock handed the write lock to a registered writer, which has not picked it up yet |
//!
//! # Who goes first
//!
//! Writers are preferred: a reader may join only while no writer holds the lock *and none is
//! waiting* (WW clear). A stream of readers therefore cannot starve a writer: once a writer
//! has set WW, new readers queue behind it, the readers inside drain, and the last one wakes the
//! writer, leaving WW (and RW) set so that the lock stays the writers' while the woken one
//! comes. Writers do not starve readers either: a writer's unlock clears both bits and wakes
//! every sleeping reader along with the next writer, so readers get the lock between writers.
//! (Across processes the last reader keeps nothing for a writer, which may be dead: see
//! "Across processes".)
//!
//! # Transitions
//!
//! - **read, fast**: `count += 1` if readable (Acquire): no writer holds or waits (WW), there
//!   is room, and RW is clear, or U is set. While the upgradable read is held the readers
//!   asleep may be upgradable ones waiting for U, which plain readers do not queue behind (an
//!   upgradable read coexists with plain ones); readers asleep for any other reason wait for a
//!   writer (WW) or a full count, which keep plain readers out by themselves.
//! - **read, slow**: while it is not readable and no reader sleeps (RW clear), wait a little
//!   ([`Backoff::wait`]: spins, then yields of the processor); then set RW (Relaxed) and sleep
//!   on the exact value seen; look again when woken, with a new wait.
//! - **read, recursive** (`RecursiveRwLock`'s read, lock_api 0.4's `read_recursive`): as
//!   **read**, but it joins whenever no writer holds the lock and there is room, WW or RW set
//!   or not (Acquire): a thread that holds a read lock must not wait behind a writer that waits
//!   for that very lock. It sleeps (RW set, on the exact value) only while a writer holds it
//!   or the count is full, and is woken as a reader is. Joining while WW is set, it may take
//!   the lock from under a writer that the last reader just woke (readers kept out): that
//!   writer finds readers again and sleeps again, and the recursive reader's own unlock, the
//!   last one out with WW set, wakes it as a read unlock does. So no wake is lost; a stream
//!   of recursive readers can keep a writer out (the trade parking_lot's `RecursiveRwLock`
//!   makes too). Its timed forms give up as a plain reader does: leaving RW set strands
//!   nobody, since readers are woken all together.
//! - **upgradable read**: as **read** (writers preferred), and only while U is clear (so RW
//!   clear too: it queues behind the readers asleep): `count += 1, U` in one compare-and-swap
//!   (Acquire); else sleep as a reader (RW set).
//! - **upgradable unlock**: `count −= 1, −U` (Release); if that freed the lock with a bit set,
//!   as **read unlock**; else, if RW is set and WW clear, clear RW and wake every reader (an
//!   upgradable reader may sleep there, waiting for U).
//! - **upgradable downgrade** (to a plain read): `−U` (Release), then the same wake of readers.
//! - **upgrade**: when the count is 1 (ours alone), `count: 1 + U → WRITE_LOCKED` keeping the
//!   bits (Acquire: from the readers' unlocks). Else set WW (new plain readers now wait), spin a
//!   little, register as a sleeper on `writer_wake` as a writer does, look again (count 1:
//!   take it; WW clear: set it again), sleep on `writer_wake`. The read unlock that leaves
//!   the count at 1 with U and WW set bumps `writer_wake` (Release) and wakes *every* writer
//!   registered (the upgrader is one of them; plain writers look, find the lock held, sleep
//!   again). Having waited, once it holds the write lock: if no writer is registered, WW is
//!   most likely its own, and would keep readers asleep through a later downgrade; clear it
//!   (Relaxed), bump `writer_wake` (Release) and wake one writer if the bump shows one
//!   registered, as a waker does (a writer still waiting sets WW again). Giving up (timed):
//!   clear WW and RW and wake every writer and reader, as a writer that gives up over
//!   readers does (not across processes: leave the bits); we still hold the upgradable
//!   read.
//! - **write downgrade to upgradable**: `WRITE_LOCKED → 1 + U` (Release), then as
//!   **downgrade**.
//! - **fair unlocks** (`RawRwLockFair`; not across processes, where they are the plain ones):
//!   a write unlock, or the read (or upgradable) unlock of the last reader, that finds WW set
//!   and a writer registered to sleep on `writer_wake` does not free the lock: one
//!   compare-and-swap (Release) makes it `WRITE_LOCKED + H`, keeping the bits; then bump
//!   `writer_wake` (Release) and wake one writer. A writer that has registered (or gives up)
//!   picks it up, `−H` (Acquire); a writer that has not yet registered yields to it (up to the
//!   `HAND_OFF_YIELDS`) first. Readers and arriving writers find it write-locked.
//!   Any registered writer may pick it up, not only one registered before the hand-off: the
//!   wake of one may reach a writer that registered after it, and a rule that sent that one
//!   back to sleep could leave the hand-off to a writer that no wake reaches. So an arrival is
//!   kept out for as long as its yields last (as at the mutex), then counts as a waiter.
//!   Why H is always picked up: it is set only while a writer is registered, and a registered
//!   writer looks at `state` after the bump (its registration, Acquire, either reads the bump
//!   and then sees H, or comes first and is woken, or finds its sleep's value changed); it
//!   leaves only by taking the lock, picking H up (giving up takes it), or unwinding, which
//!   releases a handed lock and wakes everyone. And the count it is judged by is not stale:
//!   a writer that leaves without the lock ends its registration before a Release on `state`
//!   (giving up, unwinding), so the next holder, whose Acquire on `state` comes later, sees
//!   the count without it (loom found the interleaving where a Relaxed give-up let a fair
//!   unlock hand the lock to a writer already gone).
//!
//!   Where there is nothing a hand-off could safely go to, a fair unlock is the plain one, and
//!   an arrival may get in ahead of the waiters:
//!   - a read unlock that leaves other readers inside: the lock is still theirs;
//!   - only readers wait (RW, no writer registered). RW says that readers *may* sleep, not
//!     that one does: readers are not counted (a reader that gives up leaves RW set, and
//!     nothing takes it off again for it), so a lock kept for "the readers" could stay kept
//!     with no reader ever coming for it, and writers would be shut out for good. Handing the
//!     lock to readers would need a count of sleeping readers, as `writer_wake` keeps of
//!     writers, which the two words leave no room for; the readers woken compete with
//!     arrivals;
//!   - WW set with no writer registered yet (it is about to look again: it takes the lock,
//!     or queues), or the sleeper count full (sticky there: it no longer says that one is);
//!   - across processes (see there).
//! - **bump** (`bump_shared`, `bump_exclusive`, `bump_upgradable`): if no waiting bit is set
//!   (one load, Relaxed: a waiter whose bit we do not see yet came after), nothing: nobody to
//!   yield to. Else the fair unlock, then the lock again as an arrival would, aborting if that
//!   unwinds (lock_api's rule: a bump unwinds only with its lock).
//! - **read unlock**: `count −= 1` (Release). If that left it free with a waiting bit set: if
//!   WW is set, the lock stays the writers': keep both bits, bump `writer_wake`'s sequence
//!   (Release, a read-modify-write: see `wake_after_readers`) and wake one writer if the bump
//!   shows one registered to sleep. With none registered, the writer that set WW waits for
//!   the readers to leave without sleeping and looks again (it takes the lock). Else (WW
//!   clear, across processes always, or the sleeper count full) wake as below.
//! - **write, fast**: `0 → WRITE_LOCKED` (Acquire).
//! - **write, slow**: when `count == 0`, take it keeping the bits (Acquire). Else, while no
//!   writer sleeps and its wait ([`Backoff::wait`]: spins, then yields) lasts: if a writer
//!   holds the lock, wait and look again, setting no bit (the holder keeps readers out by
//!   itself, and a bit would send its unlock down the slow path); if readers hold it, set WW
//!   (Relaxed: new readers now queue behind us, and the last reader out leaves the lock to
//!   us), wait and look again. Then set WW, register as a sleeper on `writer_wake` (`+1`,
//!   Acquire: the value to sleep on), check `state` again, sleep on `writer_wake`, and take
//!   the registration back (`−1`, Relaxed) however the sleep ends; a new wait after each
//!   sleep. A writer that has set WW keeps it when it takes the lock: other writers may
//!   still wait, and only their waker clears the bit. A writer unwinding out of a wait (the
//!   backend's yield) clears the bits and wakes everyone, as one unwinding out of its sleep.
//! - **write unlock**: `count −= WRITE_LOCKED` (Release); if a bit is set, wake.
//! - **wake** (the lock is free and bits are set; one compare-and-swap clears them, then):
//!   WW: bump `writer_wake`'s sequence (Release) and, if the bump's read shows a writer
//!   registered to sleep, wake one. RW: wake all readers. Both: both. The writers' count is
//!   what lets the last reader hand the lock to a writer (above) without stranding readers:
//!   a registered writer looks at the lock again whatever happens (it takes it, or gives up by
//!   taking it, or queues behind another writer), and whichever writer unlocks next wakes the
//!   readers. Std's futex rwlock learns the same from the kernel's count of woken threads;
//!   `FutexBackend::wake` does not return one.
//! - **downgrade**: `count: WRITE_LOCKED → 1` (Release). If WW is set with no writer
//!   registered, it is most likely the one we kept when we took the lock: clear it as a
//!   waker does (bump `writer_wake`, Release, wake one writer if the bump shows one), since
//!   the last reader out would keep the lock for a writer that is gone. Then, if readers
//!   sleep and no writer waits, clear RW and wake them.
//! - **writer gives up** (timed, time up): if the lock was handed over (H), pick it up
//!   (Acquire): it may have been handed to us. If the lock is free take it (we may have
//!   absorbed the wake meant for the next writer), keeping WW; else clear WW (and RW if
//!   readers hold the lock; AcqRel, see "fair unlocks") and wake every writer (and those
//!   readers): WW may have been ours alone, and any writer still waiting sets it again.
//!   Readers are always woken all together, so a reader that gives up strands nobody; it
//!   leaves RW set (the next wake clears it).
//! - **writer unwinds out of its sleep** (a user's backend or clock panics): it may be the
//!   writer an unlock chose, with readers kept out behind it, or the one a fair unlock handed
//!   the lock to, so it clears both bits, frees a handed lock (`WRITE_LOCKED + H → 0`), all in
//!   one compare-and-swap (Release), and wakes every writer and reader; those still waiting
//!   set their bits again.
//!
//! # Why no wake is lost
//!
//! Readers: a reader sleeps only on a value with RW set on which its own rule lets it not
//! join (a plain reader never on one with U set and WW clear: it joins there). Every
//! change of `state` is a read-modify-write in one modification order; the unlock that frees
//! the lock sees RW (set before it in that order) and wakes all sleepers of `state`, or comes
//! before the reader's check, which then sees the lock readable (or a changed value) and does
//! not sleep. The one unlock that sees RW and leaves it set (the last reader out with WW
//! set: it woke a writer, or left the lock to the unregistered writer that set WW) hands
//! that duty on: RW keeps readers out, so the lock is next taken by a writer (the woken one,
//! the one that set WW, which looks again whatever happens, or another), and that writer's
//! unlock sees RW in turn, or by recursive readers, the last of which is again the last
//! reader out. Nobody else leaves WW set on a free lock: a writer that gives up or unwinds
//! clears it, and a downgrade drops the WW its writer kept (above). A fair unlock's hand-off keeps RW too, and the
//! writer that picks it up unlocks next. An upgradable reader waiting for U (the lock held
//! by readers) is also woken by the release of U when no writer waits (the upgradable unlock
//! and the downgrades see RW in the same order); when one waits (WW), its wait is a reader's
//! behind a writer, and the unlocks above wake it.
//!
//! Writers: a writer sets WW, then registers on `writer_wake` (a read-modify-write, Acquire),
//! then re-reads `state`; it sleeps only if WW is still set and the lock held. A waker clears
//! WW, then bumps `writer_wake` (Release), then wakes if the bump read a registered writer.
//! If the writer's registration read the bump, the Acquire makes the waker's clearing of WW
//! visible to the re-read, and the writer does not sleep. If it did not, the registration
//! comes first in `writer_wake`'s modification order, so the bump reads it counted (the count
//! only drops when the writer leaves, after its sleep) and wakes; the writer sleeps on the
//! value before the bump, and the wake, which follows the bump, either finds the value changed
//! (the futex returns at once) or finds it asleep. The last reader out keeps WW and still
//! bumps (Release) after its unlock: a writer whose registration reads that bump sees the
//! lock free and takes it; one registered before it is counted, and woken.
//!
//! # Async tasks
//!
//! `RwLockAsync`'s futures (`read_async_with`, `write_async`, `upgrade_async`) run the same
//! looks as the threads (`reader_look`, `writer_look`, `upgrader_look`): a task that would
//! sleep awaits the same word instead (`state` for readers, `writer_wake`, registered, for
//! writers), so the transitions above and their argument are unchanged, with three
//! differences:
//!
//! - a task's wait before it sleeps only spins ([`Backoff::spin`]), never yields: a yield
//!   would hold its executor's thread;
//! - a writer task registers without first yielding to a fair unlock's hand-off, and may then
//!   pick it up (as at the mutex);
//! - a task dropped at its await (cancelled, or unwinding out of an executor's `Waker`)
//!   leaves as a writer or upgrader whose time is up: registration first, then
//!   `writer_gives_up` (a lock it takes, handed to it or free after a wake it absorbed, is
//!   unlocked at once, which wakes the next) or `upgrader_gives_up`. A reader task leaves
//!   nothing to undo. The word's future passes on a wake that chose it either way.
//!
//! A task's future that is leaked (a boxed one forgotten) while registered stays counted in
//! `writer_wake` for good, as a writer that never returns: wakes and hand-offs may go to it.
//! And with 255 writers registered at once (tasks make that easy) the count sticks at
//! [`SLEEPERS_FULL`]: hand-offs stop and every wake of writers wakes them all, for the lock's
//! lifetime.
//!
//! # Across processes
//!
//! On a backend with [`FutexBackend::PROCESS_SHARED`] a waiter may be killed at any point:
//! asleep (its writer registration is then never taken back), or after the kernel chose it
//! for a wake and before it ran (the wake dies with it). So there:
//!
//! - the last reader out never keeps the lock for a registered writer, which may be dead:
//!   it clears both bits and wakes writers and readers, as a writer's unlock does; readers
//!   and writers then compete (writers keep their preference only while one is waiting, WW
//!   set again by a living writer);
//! - every wake of writers wakes them all, not one: one that a single wake reached may die
//!   before it runs; readers are always woken all together;
//! - only a holder's unlock clears the waiting bits: a writer that gives up takes the lock if
//!   it is free and otherwise leaves the bits (and wakes nobody), and one unwinding out of its
//!   sleep does nothing, since a waiter killed between clearing a bit and waking would leave
//!   sleepers behind a bit nobody sees;
//! - fair unlocks are the plain ones: a lock handed to a writer that is dead, or dies before
//!   it picks it up, would stay write-locked for good (only a registered writer clears H);
//! - a dead writer's registration only makes the sleeper count too high, which costs wakes
//!   (and makes living writers sleep sooner instead of spinning), never skips one; a WW or
//!   RW bit a dead waiter set is cleared by the next unlock that finds the lock free, which
//!   a living holder (one exists while either bit can be set) makes.
//!
//! - an upgradable reader that dies holding its read leaves U set with its share: no other
//!   upgradable read until the lock is reinitialised, as a dead reader's share keeps writers
//!   out; one that dies waiting to upgrade is a dead writer (WW and a registration left),
//!   and the read unlock that would have woken it wakes every writer, as all wakes of
//!   writers do there.
//!
//! A process that dies holding the lock, for reading or writing, leaves it held: a dead
//! reader's share stays counted (other readers still get in while no writer waits). So does,
//! in effect, one killed inside an unlock, between freeing the lock and its wakes: the
//! sleepers stay asleep on a free lock until someone else takes and releases it (every futex
//! lock has this window; only the kernel's robust futexes close it).
//!
//! # Orderings
//!
//! Acquire on every take (the upgrade's and the pick-up of a hand-off included), Release on
//! every release (read, upgradable and write unlocks, the downgrades, the hand-off), so a
//! writer's critical section happens before any later reader's or writer's, and readers'
//! before the next writer's (the release sequence of the read unlocks' subtractions; the
//! upgrade reads it too, lock_api's rule that it acquire from the reads it replaces). The
//! waiting bits are set and cleared Relaxed: they order nothing but themselves, through the
//! single modification order of `state`. The writer's `Acquire`/`Release` pair on
//! `writer_wake` is the one ordering between the two words (above).

use core::marker::PhantomData;

use super::word::{Backoff, Forever, Ordering::*, Sleep, Word};
use crate::FutexBackend;

/// One reader, counted in bits 0..28.
pub(crate) const READ_LOCKED: u32 = 1;
/// The count bits; all ones means one writer holds the lock.
const MASK: u32 = (1 << 28) - 1;
/// One writer holds the lock.
pub(crate) const WRITE_LOCKED: u32 = MASK;
/// The most readers at once (one less than `WRITE_LOCKED`). Past it, readers wait.
const MAX_READERS: u32 = MASK - 1;
/// With `WRITE_LOCKED`: the write lock was handed to a registered writer by a fair unlock.
const HANDED: u32 = 1 << 28;
/// One of the readers counted holds the upgradable read (at most one at a time).
pub(crate) const UPGRADABLE: u32 = 1 << 29;
/// Readers sleep on `state`, or are about to.
const READERS_WAITING: u32 = 1 << 30;
/// Writers sleep on `writer_wake`, or are about to.
const WRITERS_WAITING: u32 = 1 << 31;

/// `writer_wake`, bits 0..8: the writers registered to sleep on it (one each), so that a wake
/// is sent only when one sleeps. Sticky at [`SLEEPERS_FULL`].
const SLEEPER: u32 = 1;
/// The sleeper count's mask, and its sticky ceiling: with 255 writers registered at once the
/// count stops counting and stays there, and every wake is sent (as if it were always
/// unknown whether a writer sleeps), which is slower but never loses one.
const SLEEPERS_FULL: u32 = 0xFF;
/// `writer_wake`, bits 8..32: the wake sequence, bumped by every waker of writers.
///
/// 24 bits where std's futex rwlock has 32: the other 8 count sleepers. The window it must
/// cover is a writer's, from its registration (the read of the value it sleeps on) to the
/// futex's comparison: one load of `state` and a branch. The value repeats only after 2^24
/// (16.8 million) bumps inside that window, and while our writer is registered every bump
/// comes with a wake (a system call, a microsecond or more): the writer would have to be
/// off its processor for many seconds, a stopped process (`SIGSTOP`, a debugger) more than a
/// busy machine. Even then nothing is lost for good: the writer sleeps with its registration
/// counted, so the next waker of writers (any unlock that finds WW set) wakes it.
const WAKE_SEQ: u32 = 1 << 8;

fn sleepers(writer_wake: u32) -> u32 {
    writer_wake & SLEEPERS_FULL
}

fn count(state: u32) -> u32 {
    state & MASK
}

fn is_unlocked(state: u32) -> bool {
    count(state) == 0
}

fn is_write_locked(state: u32) -> bool {
    count(state) == WRITE_LOCKED
}

fn has_waiters(state: u32) -> bool {
    state & (READERS_WAITING | WRITERS_WAITING) != 0
}

/// A reader may join: no writer holds or waits, there is room, and no reader sleeps, unless
/// the upgradable read is held: the readers asleep then may be upgradable ones waiting for U,
/// which a plain reader does not queue behind (module docs, "read, fast").
pub(crate) fn is_readable(state: u32) -> bool {
    count(state) < MAX_READERS
        && state & WRITERS_WAITING == 0
        && state & (READERS_WAITING | UPGRADABLE) != READERS_WAITING
}

/// An upgradable reader may join: readable, and nobody holds the upgradable read.
pub(crate) fn is_upgradable(state: u32) -> bool {
    is_readable(state) && state & UPGRADABLE == 0
}

/// Whether a reader that cannot join may wait a little before it sleeps: unless readers
/// sleep already (it would join them). Performance only, as for writers.
#[inline]
fn reader_may_wait(state: u32) -> bool {
    state & READERS_WAITING == 0
}

/// A recursive reader may join: no writer holds the lock, and there is room (waiting writers
/// and sleepers do not stop it: see "read, recursive").
fn is_readable_recursively(state: u32) -> bool {
    count(state) < MAX_READERS
}

/// A reader-writer lock in two `u32`s that sleeps through backend `B`: the raw lock behind
/// [`generic::RwLock<B, T>`](crate::sync::generic::RwLock)
/// (`lock_api::RwLock<RawRwLock<B>, T>`). Writers are preferred; see the
/// [module docs](crate::sync).
///
/// # Layout
///
/// Two `AtomicU32`s (`#[repr(C)]`, the state word first): 8 bytes, aligned to 4, whatever
/// `B`; all-zero bytes are [`new()`](Self::new), unlocked. A zero-filled mapping shared with
/// other processes holds an unlocked one, for `RawRwLock<backend::Shared<_>>` (README,
/// "Across processes").
#[repr(C)]
pub struct RawRwLock<B> {
    state: Word,
    writer_wake: Word,
    backend: PhantomData<fn() -> B>,
}

impl<B> RawRwLock<B> {
    /// An unlocked lock.
    #[cfg(not(all(loom, test)))]
    pub const fn new() -> Self {
        RawRwLock { state: Word::new(0), writer_wake: Word::new(0), backend: PhantomData }
    }

    /// An unlocked lock (loom's atomics cannot be built in a `const fn`).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        RawRwLock { state: Word::new(0), writer_wake: Word::new(0), backend: PhantomData }
    }
}

#[cfg(not(all(loom, test)))]
impl<B> Default for RawRwLock<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> core::fmt::Debug for RawRwLock<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.state.load(Relaxed);
        f.debug_struct("RawRwLock")
            .field("write_locked", &is_write_locked(state))
            .field("readers", &if is_write_locked(state) { 0 } else { count(state) })
            .field("readers_waiting", &(state & READERS_WAITING != 0))
            .field("writers_waiting", &(state & WRITERS_WAITING != 0))
            .field("upgradable", &(state & UPGRADABLE != 0))
            .finish()
    }
}

impl<B: FutexBackend> RawRwLock<B> {
    #[inline]
    pub(crate) fn read_raw(&self) {
        let state = self.state.load(Relaxed);
        if !is_readable(state)
            || self
                .state
                .compare_exchange_weak(state, state + READ_LOCKED, Acquire, Relaxed)
                .is_err()
        {
            self.read_slow(&mut Forever::<B>::new());
        }
    }

    /// Joins as a reader if the lock is readable now. Never fails while it is.
    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) fn try_read_raw(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while is_readable(state) {
            match self.state.compare_exchange(state, state + READ_LOCKED, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }

    /// # Safety
    ///
    /// The calling context holds a read lock.
    #[inline]
    pub(crate) unsafe fn read_unlock_raw(&self) {
        let state = self.state.fetch_sub(READ_LOCKED, Release).wrapping_sub(READ_LOCKED);
        // Sleepers while readers hold the lock are writers (and the readers behind them, or
        // past `MAX_READERS`): the last reader out wakes them.
        if is_unlocked(state) && has_waiters(state) {
            self.wake_after_readers(state);
        } else if count(state) == 1 && state & (UPGRADABLE | WRITERS_WAITING) != 0 {
            self.wake_upgrader(state);
        }
    }

    /// A read unlock left only the upgradable reader's share: if it waits to upgrade (WW set),
    /// wake it. It sleeps among the writers on `writer_wake`, and the futex cannot pick it, so
    /// every registered writer is woken (the others find the lock held and sleep again).
    #[cold]
    fn wake_upgrader(&self, state: u32) {
        if state & (UPGRADABLE | WRITERS_WAITING) != UPGRADABLE | WRITERS_WAITING {
            return;
        }
        // Release: an upgrader whose registration reads this bump sees our decrement.
        if sleepers(self.writer_wake.fetch_add(WAKE_SEQ, Release)) != 0 {
            super::word::wake::<B>(&self.writer_wake, u32::MAX);
        }
    }

    /// A fair unlock: releases `gone` (`WRITE_LOCKED` for the writer; one reader, plus U for
    /// the upgradable one) and, if that would free the lock while a writer is registered to
    /// sleep with WW set, hands the write lock to a registered writer instead ("fair unlocks"
    /// in the module docs). Else the plain unlock. True if handed over.
    ///
    /// # Safety
    ///
    /// The calling context holds what `gone` releases.
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) unsafe fn hand_over_raw(&self, gone: u32) -> bool {
        if B::PROCESS_SHARED {
            return false;
        }
        let mut state = self.state.load(Relaxed);
        loop {
            let left = state.wrapping_sub(gone);
            // A full count is sticky (`SLEEPERS_FULL`): it no longer says that anyone is
            // registered, so it is no ground for a hand-off.
            let registered = sleepers(self.writer_wake.load(Relaxed));
            if !is_unlocked(left)
                || left & WRITERS_WAITING == 0
                || registered == 0
                || registered == SLEEPERS_FULL
            {
                return false;
            }
            // Release: the writer that picks H up (Acquire) takes our critical section with it.
            let handed = left | WRITE_LOCKED | HANDED;
            match self.state.compare_exchange(state, handed, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        // Release: a writer whose registration reads the bump sees H.
        if sleepers(self.writer_wake.fetch_add(WAKE_SEQ, Release)) != 0 {
            super::word::wake::<B>(&self.writer_wake, 1);
        }
        true
    }

    /// Takes the upgradable read: joins as a reader while nobody else holds it.
    #[inline]
    pub(crate) fn upgradable_raw(&self) {
        if !self.try_upgradable_raw() {
            self.read_slow_with(&mut Forever::<B>::new(), is_upgradable, READ_LOCKED + UPGRADABLE);
        }
    }

    /// [`upgradable_raw`](Self::upgradable_raw) if it would not wait.
    #[inline]
    pub(crate) fn try_upgradable_raw(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while is_upgradable(state) {
            let taken = state + READ_LOCKED + UPGRADABLE;
            match self.state.compare_exchange(state, taken, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }

    /// Takes the upgradable read unless `sleep` reports `Timeout` first. True if taken.
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) fn upgradable_by(&self, sleep: &mut impl Sleep) -> bool {
        self.try_upgradable_raw()
            || self.read_slow_with(sleep, is_upgradable, READ_LOCKED + UPGRADABLE)
    }

    /// # Safety
    ///
    /// The calling context holds the upgradable read.
    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) unsafe fn upgradable_unlock_raw(&self) {
        let gone = READ_LOCKED + UPGRADABLE;
        let state = self.state.fetch_sub(gone, Release).wrapping_sub(gone);
        if is_unlocked(state) && has_waiters(state) {
            self.wake_after_readers(state);
        } else if state & (READERS_WAITING | WRITERS_WAITING) == READERS_WAITING {
            // An upgradable reader may sleep there, waiting for U.
            self.wake_readers_after_downgrade();
        }
    }

    /// The upgradable read becomes a plain one.
    ///
    /// # Safety
    ///
    /// The calling context holds the upgradable read.
    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) unsafe fn downgrade_upgradable_raw(&self) {
        let state = self.state.fetch_sub(UPGRADABLE, Release).wrapping_sub(UPGRADABLE);
        if state & (READERS_WAITING | WRITERS_WAITING) == READERS_WAITING {
            self.wake_readers_after_downgrade();
        }
    }

    /// The write lock becomes the upgradable read.
    ///
    /// # Safety
    ///
    /// The calling context holds the write lock.
    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) unsafe fn downgrade_to_upgradable_raw(&self) {
        // `WRITE_LOCKED → 1 + U`, as one wrapping addition (the count bits go down).
        let change = (READ_LOCKED + UPGRADABLE).wrapping_sub(WRITE_LOCKED);
        let state = self.state.fetch_add(change, Release).wrapping_add(change);
        self.after_downgrade(state);
    }

    /// Upgrades at once if ours is the only read. True if upgraded.
    ///
    /// # Safety
    ///
    /// The calling context holds the upgradable read.
    #[inline]
    pub(crate) unsafe fn try_upgrade_raw(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while count(state) == 1 {
            // Acquire: from the read unlocks of the readers who were inside with us.
            let write = (state & !(UPGRADABLE | MASK)) | WRITE_LOCKED;
            match self.state.compare_exchange(state, write, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }

    /// Upgrades, waiting for the other readers to leave, or gives up (still holding the
    /// upgradable read) once `sleep` reports `Timeout`. True if upgraded.
    ///
    /// # Safety
    ///
    /// The calling context holds the upgradable read.
    #[cold]
    pub(crate) unsafe fn upgrade_slow(&self, sleep: &mut impl Sleep) -> bool {
        let mut waited = false;
        loop {
            // SAFETY: the caller holds the upgradable read.
            let Some(me) = (unsafe { self.upgrader_look(&mut waited) }) else {
                return true;
            };
            let slept = self.sleep_registered(sleep, me);
            if slept.is_err() {
                // SAFETY: the caller holds the upgradable read.
                if unsafe { self.try_upgrade_raw() } {
                    self.drop_unclaimed_ww();
                    return true;
                }
                self.upgrader_gives_up();
                return false;
            }
        }
    }

    /// Upgrades for an async task: as [`upgrade_slow`](Self::upgrade_slow), each sleep an
    /// await of `writer_wake`.
    ///
    /// Cancel-safe: dropped at its await (or unwinding out of it), it leaves as an upgrader
    /// whose time is up, registration first ([`upgrader_gives_up`](Self::upgrader_gives_up)),
    /// still holding the upgradable read, which the caller then releases.
    ///
    /// # Safety
    ///
    /// The calling context holds the upgradable read while the future lives; once it
    /// completes, it holds the write lock instead.
    #[cfg(all(feature = "async", not(all(loom, test))))]
    pub(crate) async unsafe fn upgrade_async(&self) {
        let mut waited = false;
        loop {
            // SAFETY: the caller holds the upgradable read while we run.
            let Some(me) = (unsafe { self.upgrader_look(&mut waited) }) else {
                return;
            };
            let seen = me.seen;
            let waiting = Cancelled { lock: self, me: Some(me), leave: Self::upgrader_leaves };
            super::word::wait_async::<B>(&self.writer_wake, seen).await;
            waiting.woken();
        }
    }

    /// The upgrader's looks at the lock, up to its next sleep: upgrades (`None`: done) or
    /// returns its registration on `writer_wake` to sleep with (WW set, other readers
    /// inside). `waited`: whether it has set WW and spun before (kept across looks).
    ///
    /// # Safety
    ///
    /// The calling context holds the upgradable read.
    #[inline]
    unsafe fn upgrader_look(&self, waited: &mut bool) -> Option<Sleeper<'_>> {
        loop {
            // SAFETY: the caller holds the upgradable read.
            if unsafe { self.try_upgrade_raw() } {
                if *waited {
                    self.drop_unclaimed_ww();
                }
                return None;
            }
            let state = self.state.load(Relaxed);
            if state & WRITERS_WAITING == 0 {
                // Hold new plain readers back (writers preferred), and ask the last one out
                // to wake us.
                let flagged = state | WRITERS_WAITING;
                if self.state.compare_exchange(state, flagged, Relaxed, Relaxed).is_err() {
                    continue;
                }
            }
            if !*waited {
                *waited = true;
                self.spin_while(|state| count(state) != 1);
                continue;
            }
            // As a writer: register, then look again (a read unlock decrements before it bumps
            // the counter, Release, and our Acquire registration that reads the bump sees it).
            let me = Sleeper::register(&self.writer_wake);
            let state = self.state.load(Relaxed);
            if count(state) == 1 || state & WRITERS_WAITING == 0 {
                continue;
            }
            return Some(me);
        }
    }

    /// An async writer cancelled at its await (`Cancelled`, registration taken back): leaves
    /// as a writer whose time is up; a lock that gives it (handed to it, or free after the
    /// wake it may have absorbed) is not the task's any more, and is unlocked at once, which
    /// wakes the next (WW is kept set when a waiter takes the lock).
    #[cfg(all(feature = "async", not(all(loom, test))))]
    fn writer_leaves(&self) {
        if self.writer_gives_up() {
            // SAFETY: `writer_gives_up` returned true: the write lock is ours.
            unsafe { self.write_unlock_raw() };
        }
    }

    /// An async upgrader cancelled at its await (`Cancelled`, registration taken back):
    /// leaves as an upgrader whose time is up. The upgradable read stays held: the caller's
    /// guard, dropped with the future, releases it.
    #[cfg(all(feature = "async", not(all(loom, test))))]
    fn upgrader_leaves(&self) {
        self.upgrader_gives_up();
    }

    /// We hold the lock (the write lock after an upgrade that waited, or a read just
    /// downgraded from it) with WW set: by us, to hold plain readers back, or by writers too.
    /// With no writer registered to sleep it is most likely ours alone, and kept it would
    /// outlive us: readers asleep behind it, and new ones, would wait for a writer that does
    /// not exist (the last reader out leaves WW for the writer that set it, see "read
    /// unlock"). So clear it, as a waker does: then bump `writer_wake` (Release) and, if the
    /// bump shows a writer registered meanwhile, wake one, which looks again and sets WW again
    /// (the argument of "Why no wake is lost", writers). A writer that set WW and has not
    /// registered yet sets it again when it looks after registering; one that is waiting
    /// for readers to leave sets it again at its next look. True if we cleared it.
    #[cold]
    fn drop_unclaimed_ww(&self) -> bool {
        if sleepers(self.writer_wake.load(Relaxed)) != 0
            || self.state.fetch_and(!WRITERS_WAITING, Relaxed) & WRITERS_WAITING == 0
        {
            return false;
        }
        if sleepers(self.writer_wake.fetch_add(WAKE_SEQ, Release)) != 0 {
            super::word::wake::<B>(&self.writer_wake, 1);
        }
        true
    }

    /// An upgrader whose time is up, still holding its upgradable read: WW may be ours alone
    /// (it would hold readers back for nothing) and we may have absorbed a writer's wake, so
    /// clear WW and RW and wake every writer and reader; those that still wait set their bit
    /// again. Across processes leave the bits (as `writer_gives_up`): the holder's unlock
    /// clears them.
    #[cold]
    fn upgrader_gives_up(&self) {
        if !B::PROCESS_SHARED {
            self.wake_all_after_unwind();
        }
    }

    #[inline]
    pub(crate) fn write_raw(&self) {
        if self.state.compare_exchange(0, WRITE_LOCKED, Acquire, Relaxed).is_err() {
            self.write_slow(&mut Forever::<B>::new());
        }
    }

    /// Takes the write lock if nobody holds the lock now. Never fails while it is free.
    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) fn try_write_raw(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while is_unlocked(state) {
            match self.state.compare_exchange(state, state | WRITE_LOCKED, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }

    /// # Safety
    ///
    /// The calling context holds the write lock.
    #[inline]
    pub(crate) unsafe fn write_unlock_raw(&self) {
        let state = self.state.fetch_sub(WRITE_LOCKED, Release).wrapping_sub(WRITE_LOCKED);
        if has_waiters(state) {
            self.wake_writer_or_readers(state);
        }
    }

    /// Turns the write lock into a read lock, letting sleeping readers in unless a writer
    /// waits (writers stay preferred).
    ///
    /// # Safety
    ///
    /// The calling context holds the write lock.
    #[inline]
    pub(crate) unsafe fn downgrade_raw(&self) {
        let state = self
            .state
            .fetch_sub(WRITE_LOCKED - READ_LOCKED, Release)
            .wrapping_sub(WRITE_LOCKED - READ_LOCKED);
        self.after_downgrade(state);
    }

    /// A downgrade (to a read or the upgradable read) left `state`. If WW is set with no
    /// writer registered, it is most likely the bit we kept when we took the lock: drop it
    /// ([`Self::drop_unclaimed_ww`]), since the last reader out leaves WW for the writer that
    /// set it. Then, if readers sleep and no writer waits, let them in. (Across processes the
    /// last reader keeps nothing, and WW stays for the unlock to clear, as before.)
    #[inline]
    fn after_downgrade(&self, mut state: u32) {
        if !B::PROCESS_SHARED && state & WRITERS_WAITING != 0 && self.drop_unclaimed_ww() {
            state &= !WRITERS_WAITING;
        }
        if state & (READERS_WAITING | WRITERS_WAITING) == READERS_WAITING {
            self.wake_readers_after_downgrade();
        }
    }

    #[cold]
    fn wake_readers_after_downgrade(&self) {
        // Clear RW before waking, so that woken readers find the lock readable; a writer that
        // sets WW meanwhile makes them sleep again (setting RW), and our read unlock wakes them.
        self.state.fetch_and(!READERS_WAITING, Relaxed);
        super::word::wake::<B>(&self.state, u32::MAX);
    }

    /// Joins as a reader, or gives up once `sleep` reports `Timeout`. True if joined.
    #[cold]
    pub(crate) fn read_slow(&self, sleep: &mut impl Sleep) -> bool {
        self.read_slow_with(sleep, is_readable, READ_LOCKED)
    }

    /// Joins as a reader even while writers wait (only a writer that holds the lock, or a full
    /// count, makes it wait): the read of a thread that may already hold one. Never fails
    /// while the lock is so readable.
    #[inline]
    pub(crate) fn read_recursive_raw(&self) {
        if !self.try_read_recursive_raw() {
            self.read_slow_with(&mut Forever::<B>::new(), is_readable_recursively, READ_LOCKED);
        }
    }

    /// [`read_recursive_raw`](Self::read_recursive_raw) if it would not wait.
    #[inline]
    pub(crate) fn try_read_recursive_raw(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while is_readable_recursively(state) {
            match self.state.compare_exchange(state, state + READ_LOCKED, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        false
    }

    /// Joins as a recursive reader unless `sleep` reports `Timeout` first. True if joined.
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the timed forms
    fn read_recursive_by(&self, sleep: &mut impl Sleep) -> bool {
        self.try_read_recursive_raw()
            || self.read_slow_with(sleep, is_readable_recursively, READ_LOCKED)
    }

    /// [`read_slow`](Self::read_slow) with the rule for joining and what joining adds (one
    /// reader, and U for the upgradable one) as parameters.
    #[inline]
    fn read_slow_with(&self, sleep: &mut impl Sleep, readable: fn(u32) -> bool, add: u32) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            // How long we still wait before we sleep; a new budget after each sleep.
            let mut backoff = Backoff::new();
            let Some(seen) = self.reader_look(state, readable, add, || backoff.wait::<B>()) else {
                return true;
            };
            // Readers are woken all at once, so a reader that gives up strands nobody.
            if sleep.sleep(&self.state, seen).is_err() {
                return false;
            }
            state = self.state.load(Relaxed);
        }
    }

    /// [`read_slow_with`](Self::read_slow_with) for an async task: each sleep is an await of
    /// `state` ([`word::wait_async`](super::word::wait_async)), and its wait before that only
    /// spins ([`Backoff::spin`]: a task does not yield its executor's thread). Cancel-safe: a
    /// reader that leaves (here, its future dropped at the await) strands nobody, since
    /// readers are woken all at once, and the word's future passes on a wake that chose it.
    #[cfg(all(feature = "async", not(all(loom, test))))]
    pub(crate) async fn read_async_with(&self, readable: fn(u32) -> bool, add: u32) {
        let mut state = self.state.load(Relaxed);
        loop {
            let mut backoff = Backoff::new();
            let Some(seen) = self.reader_look(state, readable, add, || backoff.spin()) else {
                return;
            };
            super::word::wait_async::<B>(&self.state, seen).await;
            state = self.state.load(Relaxed);
        }
    }

    /// A reader's looks at the lock from `state`, up to its next sleep: joins (`None`: done)
    /// or returns the value to sleep on (RW set, not readable by `readable`). `wait` is its
    /// wait before it sleeps (true while it may go on waiting).
    #[inline]
    fn reader_look(
        &self,
        mut state: u32,
        readable: fn(u32) -> bool,
        add: u32,
        mut wait: impl FnMut() -> bool,
    ) -> Option<u32> {
        loop {
            if readable(state) {
                match self.state.compare_exchange_weak(state, state + add, Acquire, Relaxed) {
                    Ok(_) => return None,
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            // Not readable: a writer holds or waits, or the count is full. Unless readers
            // sleep already (we would join them), wait a little first ([`Backoff::wait`]):
            // spins, then yields, which hand the processor to a thread that can finish.
            if reader_may_wait(state) && wait() {
                state = self.state.load(Relaxed);
                continue;
            }
            // Say we sleep.
            if state & READERS_WAITING == 0 {
                let flagged = state | READERS_WAITING;
                if let Err(now) = self.state.compare_exchange(state, flagged, Relaxed, Relaxed) {
                    state = now;
                    continue;
                }
                state = flagged;
            }
            return Some(state);
        }
    }

    /// Takes the write lock, or gives up once `sleep` reports `Timeout`. True if taken.
    #[cold]
    pub(crate) fn write_slow(&self, sleep: &mut impl Sleep) -> bool {
        let mut writer = Writer { keep: 0, registered: false };
        let mut state = self.state.load(Relaxed);
        loop {
            // How long we still wait before we sleep; a new budget after each sleep.
            let mut backoff = Backoff::new();
            let wait = || self.wait_a_little(&mut backoff);
            let Some(me) = self.writer_look(state, &mut writer, true, wait) else {
                return true;
            };
            let slept = self.sleep_registered(sleep, me);
            if slept.is_err() {
                return self.writer_gives_up();
            }
            state = self.state.load(Relaxed);
        }
    }

    /// Takes the write lock for an async task: as [`write_slow`](Self::write_slow), but each
    /// sleep is an await of `writer_wake`, its wait before that only spins, and it registers
    /// without first yielding to a fair unlock's hand-off (a task does not yield its
    /// executor's thread; as at the mutex, it may then pick the hand-off up).
    ///
    /// Cancel-safe: dropped at its await (or unwinding out of it: an executor's `Waker`
    /// may panic), it leaves as a writer whose time is up, registration first
    /// ([`writer_gives_up`](Self::writer_gives_up)); a lock that gives it (handed to it, or
    /// free with the wake it absorbed) is unlocked at once, which passes the wake on.
    #[cfg(all(feature = "async", not(all(loom, test))))]
    pub(crate) async fn write_async(&self) {
        if self.state.compare_exchange(0, WRITE_LOCKED, Acquire, Relaxed).is_ok() {
            return;
        }
        let mut writer = Writer { keep: 0, registered: false };
        let mut state = self.state.load(Relaxed);
        loop {
            let mut backoff = Backoff::new();
            let Some(me) = self.writer_look(state, &mut writer, false, || backoff.spin()) else {
                return;
            };
            let seen = me.seen;
            let waiting = Cancelled { lock: self, me: Some(me), leave: Self::writer_leaves };
            super::word::wait_async::<B>(&self.writer_wake, seen).await;
            waiting.woken();
            state = self.state.load(Relaxed);
        }
    }

    /// A writer's looks at the lock from `state`, up to its next sleep: takes the lock (`None`:
    /// done) or returns its registration on `writer_wake` to sleep with (WW set, the lock
    /// held). `wait` is its wait before it sleeps (true while it may go on waiting);
    /// `yields`: before it first registers, it yields to a fair unlock's hand-off (threads).
    #[inline]
    fn writer_look(
        &self,
        mut state: u32,
        writer: &mut Writer,
        yields: bool,
        mut wait: impl FnMut() -> bool,
    ) -> Option<Sleeper<'_>> {
        loop {
            if writer.registered && state & HANDED != 0 {
                // Acquire: the fair unlock's Release.
                match self.state.compare_exchange(state, state & !HANDED, Acquire, Relaxed) {
                    Ok(_) => return None,
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            if is_unlocked(state) {
                let taken = state | WRITE_LOCKED | writer.keep;
                match self.state.compare_exchange(state, taken, Acquire, Relaxed) {
                    Ok(_) => return None,
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            // Wait a little before we sleep, while no writer sleeps (one that does was here
            // first: queue behind it) and no hand-off waits for the registered writers.
            let may_wait = self.writer_may_wait(state);
            if may_wait && is_write_locked(state) && wait() {
                // Another writer holds it: that keeps readers out by itself, so we set no
                // bit yet (a bit would send its unlock down the slow path to clear it).
                state = self.state.load(Relaxed);
                continue;
            }
            if state & WRITERS_WAITING == 0 {
                let flagged = state | WRITERS_WAITING;
                if let Err(now) = self.state.compare_exchange(state, flagged, Relaxed, Relaxed) {
                    state = now;
                    continue;
                }
                state = flagged;
            }
            writer.keep = WRITERS_WAITING;
            if may_wait && !is_write_locked(state) && wait() {
                // Readers hold it, and WW now holds new ones back: the readers inside are
                // usually about to leave, and the last one out leaves WW set for us (see
                // `wake_after_readers`). Waiting before setting WW instead would let a stream
                // of readers keep the lock for the whole wait (measured: a writer among four
                // readers then got under 1% of the acquisitions; std's writers got 12 to 18%).
                state = self.state.load(Relaxed);
                continue;
            }
            // Register as a sleeper, reading the counter in the same step, before checking
            // `state` again: a waker clears WW before it bumps the counter (see the module
            // docs). The guard takes the registration back however we leave, unwinding too.
            if yields && !writer.registered {
                // A fair unlock's hand-off is for the writers registered before us: let them
                // run first.
                super::word::yield_while::<B>(&self.state, state, |s| s & HANDED != 0);
            }
            let me = Sleeper::register(&self.writer_wake);
            writer.registered = true;
            state = self.state.load(Relaxed);
            if is_unlocked(state) || state & (WRITERS_WAITING | HANDED) != WRITERS_WAITING {
                continue;
            }
            return Some(me);
        }
    }

    /// Sleeps on `writer_wake` registered as `me` (a writer, or the upgrader), and takes the
    /// registration back however the sleep ends. If it unwinds (a user's backend or clock may
    /// panic), the registration goes first and then everyone is woken
    /// ([`wake_all_after_unwind`](Self::wake_all_after_unwind)): its compare-and-swap
    /// (Release) must come after the registration's end, or a fair unlock in between could
    /// count us and hand the lock to a writer that is gone (module docs, "fair unlocks").
    fn sleep_registered(
        &self,
        sleep: &mut impl Sleep,
        me: Sleeper<'_>,
    ) -> Result<(), crate::Timeout> {
        /// Armed around the sleep, disarmed after it.
        struct Unwinding<'a, 'b, B: FutexBackend> {
            lock: &'a RawRwLock<B>,
            me: Option<Sleeper<'b>>,
        }
        impl<B: FutexBackend> Drop for Unwinding<'_, '_, B> {
            fn drop(&mut self) {
                drop(self.me.take());
                self.lock.wake_all_after_unwind();
            }
        }
        let seen = me.seen;
        let mut unwinding = Unwinding { lock: self, me: Some(me) };
        let slept = sleep.sleep(&self.writer_wake, seen);
        let me = unwinding.me.take();
        core::mem::forget(unwinding);
        drop(me);
        slept
    }

    /// Whether a writer that finds the lock held may wait a little before it sleeps: while no
    /// writer sleeps (one that does was here first: queue behind it) and no hand-off waits
    /// for the registered writers. Performance only: a writer that sleeps at once, or waits
    /// when it need not (its wait ends by itself), looks at the lock again either way.
    #[inline]
    fn writer_may_wait(&self, state: u32) -> bool {
        state & HANDED == 0 && sleepers(self.writer_wake.load(Relaxed)) == 0
    }

    /// A writer's [`Backoff::wait`], true while it may go on waiting. The backend's yield is
    /// a user's code and may panic while WW is ours (set, or kept from an earlier look, with
    /// the last reader out leaving it set for us): unwinding, clear the bits and wake
    /// everyone, as a writer unwinding out of its sleep does.
    #[inline]
    fn wait_a_little(&self, backoff: &mut Backoff) -> bool {
        let unwinding = UnwindWake(self);
        let more = backoff.wait::<B>();
        core::mem::forget(unwinding);
        more
    }

    /// A writer whose time is up. If the lock is free, take it: the wake meant for the next
    /// writer may have been ours, and our unlock (WW kept set) passes it on. Else clear WW and
    /// wake every sleeping writer: the bit may be ours alone (a stale WW would hold readers
    /// back for nothing), or the wake we absorbed was another writer's; each writer that still
    /// waits sets WW again. When readers hold the lock, RW is cleared and readers woken too,
    /// so that readers a stale WW held back join their peers.
    ///
    /// Across processes, only the first: take a free lock, else leave the bits as they are. A
    /// writer killed between clearing WW and its wakes would strand the writers asleep behind
    /// it (nobody's unlock would see a bit), and there is nothing to pass on: every wake of
    /// writers went to all of them. A WW left stale is cleared by the holder's unlock, which
    /// wakes everyone (module docs, "Across processes").
    #[cold]
    fn writer_gives_up(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & HANDED != 0 {
                // Handed to the registered writers, of which we are one: ours.
                match self.state.compare_exchange(state, state & !HANDED, Acquire, Relaxed) {
                    Ok(_) => return true,
                    Err(now) => {
                        state = now;
                        continue;
                    }
                }
            }
            let new = if is_unlocked(state) {
                state | WRITE_LOCKED | WRITERS_WAITING
            } else if B::PROCESS_SHARED {
                return false;
            } else if is_write_locked(state) {
                state & !WRITERS_WAITING
            } else {
                state & !(WRITERS_WAITING | READERS_WAITING)
            };
            // AcqRel: Acquire for a lock we take; Release so that our registration's end (the
            // `Sleeper` dropped before this) happens before whoever next takes the lock, whose
            // fair unlock then does not count us as a writer to hand the lock to.
            match self.state.compare_exchange(state, new, AcqRel, Relaxed) {
                Ok(_) if is_unlocked(state) => return true,
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        // As in `wake_writer_or_readers`: WW cleared before the bump (Release).
        if sleepers(self.writer_wake.fetch_add(WAKE_SEQ, Release)) != 0 {
            super::word::wake::<B>(&self.writer_wake, u32::MAX);
        }
        if !is_write_locked(state) && state & READERS_WAITING != 0 {
            super::word::wake::<B>(&self.state, u32::MAX);
        }
        false
    }

    /// The last reader has just left with waiting bits set. Writers are preferred: if WW is
    /// set, the lock stays the writers': leave both bits set, so that readers stay out, bump
    /// `writer_wake` and wake one writer if the bump shows one registered to sleep. A WW
    /// with no writer registered belongs to a writer that waits for us to leave without
    /// sleeping (it spins or yields, or is about to register), and it looks at the lock again
    /// whatever happens: it takes the free lock, or registers and then looks (reading our
    /// bump, or counted in it and woken), or its time is up and it takes a free lock. A
    /// registered writer looks again too (it takes the lock, or gives up by taking it, or finds
    /// another writer in and queues behind it). Whichever writer takes the lock, its unlock
    /// wakes the readers. With WW clear, wake as any unlock.
    ///
    /// Not across processes (the writer the lock would be kept for may be dead: module docs,
    /// "Across processes"), and not once the sleeper count is full: it is sticky there and no
    /// longer says that a writer exists, so the readers are woken too, as after a writer.
    #[cold]
    fn wake_after_readers(&self, state: u32) {
        if !B::PROCESS_SHARED && state & WRITERS_WAITING != 0 {
            // Release, and a read-modify-write rather than a load: a writer registers (an
            // Acquire read-modify-write) and then reads `state`. Either its registration reads
            // our bump and its look sees the lock free, or the bump reads it counted and we
            // wake it. A plain load here could miss a registration whose look missed our
            // unlock (each side reading the other's word before the other's write), and the
            // writer would sleep with nobody to wake it.
            let sleeping = sleepers(self.writer_wake.fetch_add(WAKE_SEQ, Release));
            if sleeping == SLEEPERS_FULL {
                self.wake_writer_or_readers(state);
            } else if sleeping != 0 {
                super::word::wake::<B>(&self.writer_wake, 1);
            }
            return;
        }
        self.wake_writer_or_readers(state);
    }

    /// The lock has just become free with waiting bits set: clear them, and wake a writer (if
    /// one is registered to sleep) and the readers (if they sleep), so that both kinds compete
    /// and readers get the lock between writers.
    #[cold]
    fn wake_writer_or_readers(&self, mut state: u32) {
        loop {
            if !is_unlocked(state) || !has_waiters(state) {
                // Someone took the lock (their unlock will wake), or another waker did our job.
                return;
            }
            match self.state.compare_exchange(state, count(state), Relaxed, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state & WRITERS_WAITING != 0 {
            // Release: our clearing of WW, before this bump, is visible to a writer whose
            // Acquire registration reads the bump. A writer registered before it is counted
            // in the value the bump returns, so the wake is skipped only when none sleeps.
            if sleepers(self.writer_wake.fetch_add(WAKE_SEQ, Release)) != 0 {
                // One writer (every one across processes: `word::wake`).
                super::word::wake::<B>(&self.writer_wake, 1);
            }
        }
        if state & READERS_WAITING != 0 {
            super::word::wake::<B>(&self.state, u32::MAX);
        }
    }

    /// A writer unwinding out of its sleep (a user's backend or clock panicked) may have been
    /// the writer an unlock woke, with readers kept out behind it: let everyone look again.
    /// Clear both bits, wake every writer and every reader; those that still wait set their
    /// bit again. (Readers asleep behind a writer that holds the lock wake, see it held, and
    /// sleep again with RW set.)
    #[cold]
    fn wake_all_after_unwind(&self) {
        if B::PROCESS_SHARED {
            // Nobody waits for this writer across processes (the last reader keeps nothing
            // for it, and its wake went to every writer), and one killed between clearing the
            // bits and waking would strand the sleepers: leave it to the holder's unlock.
            return;
        }
        // A write lock handed to the registered writers may have been for us: release it, so
        // that nobody waits for a pick-up that may not come.
        let mut state = self.state.load(Relaxed);
        loop {
            let mut new = state & !(WRITERS_WAITING | READERS_WAITING);
            if state & HANDED != 0 {
                new = (new & !HANDED) - WRITE_LOCKED;
            }
            // Release: as in `writer_gives_up`, our registration's end happens before the next
            // holder's fair unlock.
            match self.state.compare_exchange(state, new, Release, Relaxed) {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        // As in `wake_writer_or_readers`: WW cleared before the bump (Release).
        self.writer_wake.fetch_add(WAKE_SEQ, Release);
        super::word::wake::<B>(&self.writer_wake, u32::MAX);
        super::word::wake::<B>(&self.state, u32::MAX);
    }

    /// Spins ([`Backoff::spin`]: doubling rounds, no yields; see there why) while `busy`;
    /// returns the last value seen.
    #[inline]
    fn spin_while(&self, busy: impl Fn(u32) -> bool) -> u32 {
        let mut backoff = Backoff::new();
        loop {
            let state = self.state.load(Relaxed);
            if !busy(state) || !backoff.spin() {
                return state;
            }
        }
    }

    #[inline]
    pub(crate) fn is_locked_raw(&self) -> bool {
        !is_unlocked(self.state.load(Relaxed))
    }

    /// How many writers are registered to sleep (the loom models check it drops back to 0).
    #[cfg(all(loom, test))]
    pub(crate) fn sleeping_writers(&self) -> u32 {
        sleepers(self.writer_wake.load(Relaxed))
    }

    #[inline]
    #[cfg_attr(all(loom, test), allow(dead_code))] // used by the lock_api impls
    pub(crate) fn is_write_locked_raw(&self) -> bool {
        is_write_locked(self.state.load(Relaxed))
    }
}

/// Armed around a writer's wait before it registers (`wait_a_little`: the backend's yield),
/// forgotten after it: if the wait unwinds, wake everyone
/// ([`RawRwLock::wake_all_after_unwind`]). (Around a registered sleep, `sleep_registered`
/// takes the registration back first.)
struct UnwindWake<'a, B: FutexBackend>(&'a RawRwLock<B>);

impl<B: FutexBackend> Drop for UnwindWake<'_, B> {
    fn drop(&mut self) {
        self.0.wake_all_after_unwind();
    }
}

/// A writer's progress from one look at the lock to the next (`writer_look`).
struct Writer {
    /// WRITERS_WAITING once we have set it: keep the bit for the writers that may sleep.
    keep: u32,
    /// Whether we have registered: only then may we pick up a fair unlock's hand-off.
    registered: bool,
}

/// An async writer's (or upgrader's) registration on `writer_wake` while its future awaits:
/// if the future is dropped there (cancelled, or unwinding out of a `Waker`), the
/// registration goes first, then `leave` runs, as after a sleep whose time is up. `woken`
/// disarms it when the await completes.
#[cfg(all(feature = "async", not(all(loom, test))))]
struct Cancelled<'a, B: FutexBackend> {
    lock: &'a RawRwLock<B>,
    me: Option<Sleeper<'a>>,
    leave: fn(&RawRwLock<B>),
}

#[cfg(all(feature = "async", not(all(loom, test))))]
impl<B: FutexBackend> Cancelled<'_, B> {
    /// The await completed: take the registration back, as after a sleep, and nothing more.
    fn woken(mut self) {
        drop(self.me.take());
        core::mem::forget(self);
    }
}

#[cfg(all(feature = "async", not(all(loom, test))))]
impl<B: FutexBackend> Drop for Cancelled<'_, B> {
    fn drop(&mut self) {
        // The registration's end comes before `leave`'s Release on `state` (see
        // `sleep_registered`: a fair unlock in between must not count us).
        drop(self.me.take());
        (self.leave)(self.lock);
    }
}

/// A writer registered as a sleeper on `writer_wake`, for as long as it lives: registered by
/// one read-modify-write that also gives the value to sleep on, and taken back on drop (after
/// the sleep, or when the sleep unwinds: a user's backend or clock may panic).
struct Sleeper<'a> {
    writer_wake: &'a Word,
    /// The counter as our registration left it: what we sleep on.
    seen: u32,
    /// Whether we counted ourselves (not once the count is full: it is sticky there).
    counted: bool,
}

impl<'a> Sleeper<'a> {
    /// Acquire: if our registration reads a waker's bump, its clearing of WW (before the bump)
    /// is visible to our next look at `state`, so we do not sleep; if it does not, the bump
    /// comes later in the counter's order, sees us counted, and wakes.
    fn register(writer_wake: &'a Word) -> Self {
        let mut now = writer_wake.load(Relaxed);
        loop {
            let counted = sleepers(now) != SLEEPERS_FULL;
            let seen = if counted { now + SLEEPER } else { now };
            match writer_wake.compare_exchange_weak(now, seen, Acquire, Relaxed) {
                Ok(_) => return Sleeper { writer_wake, seen, counted },
                Err(actual) => now = actual,
            }
        }
    }
}

impl Drop for Sleeper<'_> {
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        // Relaxed: the count orders nothing but the wakes' decisions, through the counter's
        // own modification order. A full count stays full (see `SLEEPERS_FULL`).
        let mut now = self.writer_wake.load(Relaxed);
        while sleepers(now) != SLEEPERS_FULL {
            match self.writer_wake.compare_exchange_weak(now, now - SLEEPER, Relaxed, Relaxed) {
                Ok(_) => return,
                Err(actual) => now = actual,
            }
        }
    }
}

#[cfg(not(all(loom, test)))]
mod traits {
    use super::*;
    use crate::sync::lock_api::{self, GuardSend};

    // SAFETY: the count bits change only by read-modify-writes that check them first: a
    // reader adds one only to a count below `MAX_READERS` (never reaching `WRITE_LOCKED`), a
    // writer sets `WRITE_LOCKED` only over a zero count, and only holders subtract what they
    // added. So a writer excludes everyone and readers exclude writers. The waiting bits and
    // the backend only decide who sleeps and when, never who holds the lock, so no backend,
    // however wrong, can let a writer in beside anyone. Acquire on every take and Release on
    // every release order the critical sections.
    unsafe impl<B: FutexBackend> lock_api::RawRwLock for RawRwLock<B> {
        // A `const` item builds a new lock at each use, which is what `lock_api` wants.
        #[allow(clippy::declare_interior_mutable_const)]
        const INIT: Self = RawRwLock::new();

        /// Nothing is kept per acquisition (the word says everything) and nothing ties a lock
        /// to the thread that took it, so a guard may move to another thread: an async task
        /// may hold one across an `.await` on a multi-threaded executor.
        type SharedGuard = lock_api::GuardSend;
        /// As the shared guard.
        type ExclusiveGuard = lock_api::GuardSend;

        #[inline]
        fn lock_shared(&self) -> Self::SharedGuard {
            self.read_raw();
            lock_api::GuardSend::new()
        }

        #[inline]
        fn try_lock_shared(&self) -> Option<Self::SharedGuard> {
            self.try_read_raw().then(lock_api::GuardSend::new)
        }

        #[inline]
        unsafe fn unlock_shared(&self, _: Self::SharedGuard) {
            // SAFETY: `lock_api`'s contract: the caller holds a read lock.
            unsafe { self.read_unlock_raw() }
        }

        #[inline]
        fn lock_exclusive(&self) -> Self::ExclusiveGuard {
            self.write_raw();
            lock_api::GuardSend::new()
        }

        #[inline]
        fn try_lock_exclusive(&self) -> Option<Self::ExclusiveGuard> {
            self.try_write_raw().then(lock_api::GuardSend::new)
        }

        #[inline]
        unsafe fn unlock_exclusive(&self, _: Self::ExclusiveGuard) {
            // SAFETY: `lock_api`'s contract: the caller holds the write lock.
            unsafe { self.write_unlock_raw() }
        }

        #[inline]
        fn is_locked(&self) -> bool {
            self.is_locked_raw()
        }

        #[inline]
        fn is_locked_exclusive(&self) -> bool {
            self.is_write_locked_raw()
        }
    }

    // SAFETY: `downgrade_raw` turns the writer's `WRITE_LOCKED` into one reader in a single
    // subtraction: no other thread can hold the lock in between.
    unsafe impl<B: FutexBackend> lock_api::RawRwLockDowngrade for RawRwLock<B> {
        #[inline]
        unsafe fn downgrade(&self, _: Self::ExclusiveGuard) -> Self::SharedGuard {
            // SAFETY: `lock_api`'s contract: the caller holds the write lock.
            unsafe { self.downgrade_raw() };
            lock_api::GuardSend::new()
        }
    }

    /// Releases the upgradable read if an upgrade unwinds (a user's backend or clock may
    /// panic in its sleep): lock_api's rule for an operation that consumes guard state.
    struct ReleaseOnUnwind<'a, B: FutexBackend>(&'a RawRwLock<B>);

    impl<B: FutexBackend> Drop for ReleaseOnUnwind<'_, B> {
        fn drop(&mut self) {
            // SAFETY: built only while the upgradable read is held, and forgotten once the
            // upgrade is done (or given up) without unwinding.
            unsafe { self.0.upgradable_unlock_raw() }
        }
    }

    // SAFETY: U is set only by a compare-and-swap from a value without it (`is_upgradable`),
    // so one upgradable reader at a time; it is counted as a reader, so writers stay out as
    // for any reader. `upgrade` turns `1 + U` (our share alone) into `WRITE_LOCKED` in one
    // compare-and-swap (Acquire, from the other readers' Release unlocks), so no other thread
    // holds the lock when it is ours for writing; nothing but the holder clears U.
    unsafe impl<B: FutexBackend> lock_api::RawRwLockUpgrade for RawRwLock<B> {
        /// As the shared guard.
        type UpgradableGuard = lock_api::GuardSend;

        #[inline]
        fn lock_upgradable(&self) -> Self::UpgradableGuard {
            self.upgradable_raw();
            lock_api::GuardSend::new()
        }

        #[inline]
        fn try_lock_upgradable(&self) -> Option<Self::UpgradableGuard> {
            self.try_upgradable_raw().then(lock_api::GuardSend::new)
        }

        #[inline]
        unsafe fn unlock_upgradable(&self, _: Self::UpgradableGuard) {
            // SAFETY: `lock_api`'s contract: the caller holds the upgradable read.
            unsafe { self.upgradable_unlock_raw() }
        }

        #[inline]
        unsafe fn upgrade(&self, _: Self::UpgradableGuard) -> Self::ExclusiveGuard {
            // SAFETY: `lock_api`'s contract: the caller holds the upgradable read.
            if !unsafe { self.try_upgrade_raw() } {
                let release = ReleaseOnUnwind(self);
                // SAFETY: as above; an untimed sleep never gives up.
                unsafe { self.upgrade_slow(&mut Forever::<B>::new()) };
                core::mem::forget(release);
            }
            lock_api::GuardSend::new()
        }

        #[inline]
        unsafe fn try_upgrade(
            &self,
            guard: Self::UpgradableGuard,
        ) -> Result<Self::ExclusiveGuard, Self::UpgradableGuard> {
            // SAFETY: `lock_api`'s contract: the caller holds the upgradable read.
            if unsafe { self.try_upgrade_raw() } {
                Ok(lock_api::GuardSend::new())
            } else {
                Err(guard)
            }
        }
    }

    // SAFETY: `−U` leaves a plain read (the share stays counted); `WRITE_LOCKED → 1 + U` in
    // one addition, with no other holder possible in between (we held the write lock).
    unsafe impl<B: FutexBackend> lock_api::RawRwLockUpgradeDowngrade for RawRwLock<B> {
        #[inline]
        unsafe fn downgrade_upgradable(&self, _: Self::UpgradableGuard) -> Self::SharedGuard {
            // SAFETY: `lock_api`'s contract: the caller holds the upgradable read.
            unsafe { self.downgrade_upgradable_raw() };
            lock_api::GuardSend::new()
        }

        #[inline]
        unsafe fn downgrade_to_upgradable(&self, _: Self::ExclusiveGuard) -> Self::UpgradableGuard {
            // SAFETY: `lock_api`'s contract: the caller holds the write lock.
            unsafe { self.downgrade_to_upgradable_raw() };
            lock_api::GuardSend::new()
        }
    }

    /// The slow half of the bumps: the lock was released fairly; take it back with `take`,
    /// aborting if that unwinds (a user's backend panics in its sleep): the caller's guard
    /// would outlive its lock, which lock_api forbids ("restoration fails, they must abort").
    #[cold]
    fn relock(take: impl FnOnce()) {
        crate::sync::word::or_abort("a bump could not take its rwlock back", take)
    }

    // SAFETY: a fair unlock either is the plain one or turns the lock, in one compare-and-swap,
    // from held by us into `WRITE_LOCKED + H`, held for the registered writers, of which only
    // the one whose compare-and-swap clears H becomes the writer: no moment with two holders,
    // and none with the lock free for an arrival. Release on the hand-off, Acquire on the
    // pick-up. A bump keeps the lock when nobody waits, else is the fair unlock and the lock
    // again (lock_api's default), aborting if the lock unwinds.
    unsafe impl<B: FutexBackend> lock_api::RawRwLockFair for RawRwLock<B> {
        #[inline]
        unsafe fn unlock_shared_fair(&self, _: Self::SharedGuard) {
            // SAFETY: `lock_api`'s contract: the caller holds a read lock.
            unsafe {
                if !self.hand_over_raw(READ_LOCKED) {
                    self.read_unlock_raw()
                }
            }
        }

        #[inline]
        unsafe fn unlock_exclusive_fair(&self, _: Self::ExclusiveGuard) {
            // SAFETY: `lock_api`'s contract: the caller holds the write lock.
            unsafe {
                if !self.hand_over_raw(WRITE_LOCKED) {
                    self.write_unlock_raw()
                }
            }
        }

        #[inline]
        unsafe fn bump_shared(&self, guard: &mut Self::SharedGuard) {
            if has_waiters(self.state.load(Relaxed)) {
                // SAFETY: `lock_api`'s contract: the caller holds a read lock (and gets it back).
                unsafe { self.unlock_shared_fair(core::mem::replace(guard, GuardSend::new())) };
                relock(|| self.read_raw());
            }
        }

        #[inline]
        unsafe fn bump_exclusive(&self, guard: &mut Self::ExclusiveGuard) {
            if has_waiters(self.state.load(Relaxed)) {
                // SAFETY: `lock_api`'s contract: the caller holds the write lock (and gets it
                // back).
                unsafe { self.unlock_exclusive_fair(core::mem::replace(guard, GuardSend::new())) };
                relock(|| self.write_raw());
            }
        }
    }

    // SAFETY: as `RawRwLockFair`, releasing the upgradable share and U.
    unsafe impl<B: FutexBackend> lock_api::RawRwLockUpgradeFair for RawRwLock<B> {
        #[inline]
        unsafe fn unlock_upgradable_fair(&self, _: Self::UpgradableGuard) {
            // SAFETY: `lock_api`'s contract: the caller holds the upgradable read.
            unsafe {
                if !self.hand_over_raw(READ_LOCKED + UPGRADABLE) {
                    self.upgradable_unlock_raw()
                }
            }
        }

        #[inline]
        unsafe fn bump_upgradable(&self, guard: &mut Self::UpgradableGuard) {
            if has_waiters(self.state.load(Relaxed)) {
                let gone = core::mem::replace(guard, GuardSend::new());
                // SAFETY: `lock_api`'s contract: the caller holds the upgradable read (and gets
                // it back).
                unsafe { self.unlock_upgradable_fair(gone) };
                relock(|| self.upgradable_raw());
            }
        }
    }

    crate::select::with_std_time! {
        // For lock_api 0.4's `RawRwLockRecursiveTimed` (under `lock_api_04`, in
        // `lock_api_v04.rs`), which is these two.
        impl<B: FutexBackend> RawRwLock<B> {
            /// [`try_read_recursive_by`](Self::try_read_recursive_by) for at most `timeout`,
            /// on [`StdClock`](crate::StdClock). True if joined.
            #[cfg_attr(not(feature = "lock_api_04"), allow(dead_code))] // lock_api_v04.rs
            pub(crate) fn try_read_recursive_for(&self, timeout: core::time::Duration) -> bool {
                self.read_recursive_by(&mut crate::Deadline::<B, _>::after(timeout))
            }

            /// [`try_read_recursive_by`](Self::try_read_recursive_by) until `instant`, on
            /// [`StdClock`](crate::StdClock). True if joined.
            #[cfg_attr(not(feature = "lock_api_04"), allow(dead_code))] // lock_api_v04.rs
            pub(crate) fn try_read_recursive_until(&self, instant: std::time::Instant) -> bool {
                let left = instant.saturating_duration_since(std::time::Instant::now());
                self.try_read_recursive_for(left)
            }
        }
    }

    impl<B: FutexBackend> RawRwLock<B> {
        /// Takes the upgradable read unless `deadline` passes first (on any
        /// [`Clock`](crate::Clock)). True if taken.
        pub fn try_upgradable_by<C: crate::Clock>(
            &self,
            deadline: &mut crate::Deadline<B, C>,
        ) -> bool {
            self.upgradable_by(deadline)
        }

        /// Upgrades the upgradable read unless `deadline` passes first (on any
        /// [`Clock`](crate::Clock)). True if upgraded; if not, the upgradable read is still
        /// held. If the wait unwinds (a user's backend or clock panics), the upgradable read
        /// is released first, as lock_api asks of an upgrade.
        ///
        /// # Safety
        ///
        /// The calling context holds the upgradable read.
        pub unsafe fn try_upgrade_by<C: crate::Clock>(
            &self,
            deadline: &mut crate::Deadline<B, C>,
        ) -> bool {
            // SAFETY: the caller's promise.
            if unsafe { self.try_upgrade_raw() } {
                return true;
            }
            let release = ReleaseOnUnwind(self);
            // SAFETY: the caller's promise.
            let upgraded = unsafe { self.upgrade_slow(deadline) };
            core::mem::forget(release);
            upgraded
        }
    }

    impl<B: FutexBackend> RawRwLock<B> {
        /// Joins as a reader unless `deadline` passes first (on any [`Clock`](crate::Clock)).
        /// True if joined. The safe, typed form is
        /// [`generic::try_read_by`](crate::sync::generic::try_read_by).
        pub fn try_read_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
            self.try_read_raw() || self.read_slow(deadline)
        }

        /// Joins as a reader *recursively* unless `deadline` passes first (on any
        /// [`Clock`](crate::Clock)): as [`try_read_by`](Self::try_read_by), but it joins
        /// whenever no writer holds the lock, writers waiting or not, so that a thread that
        /// already holds a read lock can take another without waiting behind a writer that
        /// waits for it (module docs of `rwlock.rs`, "read, recursive"). True if joined; the
        /// caller then holds a read lock, released as any other
        /// ([`RawRwLock::unlock_shared`](lock_api::RawRwLock::unlock_shared)). The safe,
        /// typed form of these reads is [`RecursiveRwLock`](crate::sync::RecursiveRwLock).
        pub fn try_read_recursive_by<C: crate::Clock>(
            &self,
            deadline: &mut crate::Deadline<B, C>,
        ) -> bool {
            self.read_recursive_by(deadline)
        }

        /// Takes the write lock unless `deadline` passes first (on any
        /// [`Clock`](crate::Clock)). True if taken. The safe, typed form is
        /// [`generic::try_write_by`](crate::sync::generic::try_write_by).
        pub fn try_write_by<C: crate::Clock>(&self, deadline: &mut crate::Deadline<B, C>) -> bool {
            self.try_write_raw() || self.write_slow(deadline)
        }
    }

    crate::select::with_std_time! {
        // SAFETY: the upgradable read and the upgrade as above; the timed forms only add a way
        // to give up, which takes nothing (the read) or keeps the upgradable read (the upgrade).
        // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
        unsafe impl<B: FutexBackend> lock_api::RawRwLockUpgradeTimed for RawRwLock<B> {
            fn try_lock_upgradable_for(
                &self,
                timeout: core::time::Duration,
            ) -> Option<Self::UpgradableGuard> {
                self.try_upgradable_by(&mut crate::Deadline::<B, _>::after(timeout))
                    .then(lock_api::GuardSend::new)
            }

            fn try_lock_upgradable_until(
                &self,
                instant: std::time::Instant,
            ) -> Option<Self::UpgradableGuard> {
                let left = instant.saturating_duration_since(std::time::Instant::now());
                self.try_lock_upgradable_for(left)
            }

            unsafe fn try_upgrade_for(
                &self,
                guard: Self::UpgradableGuard,
                timeout: core::time::Duration,
            ) -> Result<Self::ExclusiveGuard, Self::UpgradableGuard> {
                let mut deadline = crate::Deadline::<B, _>::after(timeout);
                // SAFETY: `lock_api`'s contract: the caller holds the upgradable read.
                if unsafe { self.try_upgrade_by(&mut deadline) } {
                    Ok(lock_api::GuardSend::new())
                } else {
                    Err(guard)
                }
            }

            unsafe fn try_upgrade_until(
                &self,
                guard: Self::UpgradableGuard,
                instant: std::time::Instant,
            ) -> Result<Self::ExclusiveGuard, Self::UpgradableGuard> {
                let left = instant.saturating_duration_since(std::time::Instant::now());
                // SAFETY: the caller's promise, passed on.
                unsafe { self.try_upgrade_for(guard, left) }
            }
        }
    }

    crate::select::with_std_time! {
        // SAFETY: the same lock as the `RawRwLock` impl; the timed functions only add ways to give
        // up, which take the lock by the same rules or leave it untouched.
        // Where `StdClock` exists: std, except wasm32-unknown-unknown (no clock there).
        unsafe impl<B: FutexBackend> lock_api::RawRwLockTimed for RawRwLock<B> {
            type Duration = core::time::Duration;
            type Instant = std::time::Instant;

            fn try_lock_shared_for(&self, timeout: core::time::Duration) -> Option<Self::SharedGuard> {
                self.try_read_by(&mut crate::Deadline::<B, _>::after(timeout))
                    .then(lock_api::GuardSend::new)
            }

            fn try_lock_shared_until(&self, instant: std::time::Instant) -> Option<Self::SharedGuard> {
                self.try_lock_shared_for(instant.saturating_duration_since(std::time::Instant::now()))
            }

            fn try_lock_exclusive_for(
                &self,
                timeout: core::time::Duration,
            ) -> Option<Self::ExclusiveGuard> {
                self.try_write_by(&mut crate::Deadline::<B, _>::after(timeout))
                    .then(lock_api::GuardSend::new)
            }

            fn try_lock_exclusive_until(
                &self,
                instant: std::time::Instant,
            ) -> Option<Self::ExclusiveGuard> {
                self.try_lock_exclusive_for(
                    instant.saturating_duration_since(std::time::Instant::now()),
                )
            }
        }
    }
}

/// The writers' sleeper count on its own (the suites and the loom models check it through
/// threads).
#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use super::*;
    use crate::sync::lock_api;
    use crate::test_support::{
        take_wake_counts, take_wakes, watchdog, Recording, RecordingShared, TimesOut,
    };
    use crate::Timeout;

    /// Which word a recorded wake went to.
    #[derive(Debug, PartialEq)]
    enum Woke {
        Readers(u32),
        Writers(u32),
    }

    /// Runs the wake of a lock just freed into `state` (bits as given, count 0), by the last
    /// reader or by a writer, with `sleeping` writers registered; the words after, and the
    /// wakes.
    fn wake_from(by_reader: bool, state: u32, sleeping: u32) -> (u32, u32, Vec<Woke>) {
        wake_on::<Recording>(by_reader, state, sleeping)
    }

    /// [`wake_from`] on backend `B`.
    fn wake_on<B: FutexBackend>(
        by_reader: bool,
        state: u32,
        sleeping: u32,
    ) -> (u32, u32, Vec<Woke>) {
        let lock = RawRwLock::<B>::new();
        lock.state.store(state, Relaxed);
        lock.writer_wake.store(sleeping * SLEEPER, Relaxed);
        take_wakes();
        if by_reader {
            lock.wake_after_readers(state);
        } else {
            lock.wake_writer_or_readers(state);
        }
        let (readers, writers) =
            (&lock.state as *const _ as usize, &lock.writer_wake as *const _ as usize);
        let woke = take_wakes().into_iter().map(|(at, n)| {
            assert!(at == readers || at == writers, "a wake of another address");
            if at == readers {
                Woke::Readers(n)
            } else {
                Woke::Writers(n)
            }
        });
        let woke = woke.collect();
        (lock.state.load(Relaxed), lock.writer_wake.load(Relaxed), woke)
    }

    const BOTH: u32 = READERS_WAITING | WRITERS_WAITING;

    #[test]
    fn the_last_reader_hands_the_lock_to_a_sleeping_writer() {
        // Both bits stay: readers stay out while the woken writer comes.
        let after = (BOTH, WAKE_SEQ + SLEEPER, std::vec![Woke::Writers(1)]);
        assert_eq!(wake_from(true, BOTH, 1), after);
        let after = (WRITERS_WAITING, WAKE_SEQ + SLEEPER, std::vec![Woke::Writers(1)]);
        assert_eq!(wake_from(true, WRITERS_WAITING, 1), after);
        // WW with no writer registered: its writer waits for us to leave and looks again, so
        // the lock stays its (both bits, no call).
        assert_eq!(wake_from(true, BOTH, 0), (BOTH, WAKE_SEQ, std::vec![]));
        let after = (WRITERS_WAITING, WAKE_SEQ, std::vec![]);
        assert_eq!(wake_from(true, WRITERS_WAITING, 0), after);
        assert_eq!(wake_from(true, READERS_WAITING, 0), (0, 0, std::vec![Woke::Readers(u32::MAX)]));
        // Readers alone: a writer registered but not waiting (WW clear) is about to look again
        // anyway, and the readers are not held back for it.
        let after = (0, SLEEPER, std::vec![Woke::Readers(u32::MAX)]);
        assert_eq!(wake_from(true, READERS_WAITING, 1), after);
    }

    #[test]
    fn a_writer_s_unlock_wakes_both_kinds_and_skips_the_call_nobody_needs() {
        let after = (0, WAKE_SEQ + SLEEPER, std::vec![Woke::Writers(1), Woke::Readers(u32::MAX)]);
        assert_eq!(wake_from(false, BOTH, 1), after);
        assert_eq!(wake_from(false, BOTH, 0), (0, WAKE_SEQ, std::vec![Woke::Readers(u32::MAX)]));
        assert_eq!(
            wake_from(false, READERS_WAITING, 3),
            (0, 3 * SLEEPER, std::vec![Woke::Readers(u32::MAX)])
        );
        assert_eq!(wake_from(false, WRITERS_WAITING, 0), (0, WAKE_SEQ, std::vec![]));
        let after = (0, WAKE_SEQ + 2 * SLEEPER, std::vec![Woke::Writers(1)]);
        assert_eq!(wake_from(false, WRITERS_WAITING, 2), after);
    }

    /// Across processes a registered writer may be dead: the last reader keeps nothing for it
    /// and wakes everyone, and every wake of writers goes to all of them.
    #[test]
    fn across_processes_nobody_is_kept_waiting_for_a_writer_that_may_be_dead() {
        let all = |n| {
            (0, WAKE_SEQ + n * SLEEPER, std::vec![Woke::Writers(u32::MAX), Woke::Readers(u32::MAX)])
        };
        for by_reader in [true, false] {
            assert_eq!(wake_on::<RecordingShared>(by_reader, BOTH, 1), all(1));
            assert_eq!(wake_on::<RecordingShared>(by_reader, BOTH, 3), all(3));
            let writers = (0, WAKE_SEQ + SLEEPER, std::vec![Woke::Writers(u32::MAX)]);
            assert_eq!(wake_on::<RecordingShared>(by_reader, WRITERS_WAITING, 1), writers);
            // With no writer registered the wake is still skipped: dead writers only raise
            // the count.
            let readers = (0, WAKE_SEQ, std::vec![Woke::Readers(u32::MAX)]);
            assert_eq!(wake_on::<RecordingShared>(by_reader, BOTH, 0), readers);
        }
    }

    /// Across processes a waiter never clears a waiting bit (it could be killed before its
    /// wakes): a writer that gives up takes a free lock or leaves the word alone, and one
    /// unwinding out of its sleep does nothing.
    #[test]
    fn across_processes_only_a_holder_clears_the_bits() {
        let lock = RawRwLock::<RecordingShared>::new();
        take_wakes();
        for held in [3 | BOTH, WRITE_LOCKED | BOTH, 1 | WRITERS_WAITING] {
            lock.state.store(held, Relaxed);
            assert!(!lock.writer_gives_up());
            lock.wake_all_after_unwind();
            assert_eq!((lock.state.load(Relaxed), take_wake_counts()), (held, std::vec![]));
        }
        lock.state.store(BOTH, Relaxed);
        assert!(lock.writer_gives_up(), "a free lock is taken");
        assert_eq!(lock.state.load(Relaxed), WRITE_LOCKED | BOTH);
        assert_eq!(lock.writer_wake.load(Relaxed), 0, "and nobody is woken");
    }

    #[test]
    fn a_writer_unwinding_out_of_its_sleep_lets_everyone_look_again() {
        let lock = RawRwLock::<Recording>::new();
        lock.state.store(READERS_WAITING | WRITERS_WAITING, Relaxed);
        take_wakes();
        lock.wake_all_after_unwind();
        assert_eq!(lock.state.load(Relaxed), 0);
        assert_eq!(lock.writer_wake.load(Relaxed), WAKE_SEQ);
        assert_eq!(take_wake_counts(), [u32::MAX, u32::MAX]);
    }

    /// A backend whose yield panics (a user's may).
    struct PanicsInYield;

    impl FutexBackend for PanicsInYield {
        fn wait(
            _: &core::sync::atomic::AtomicU32,
            _: u32,
            _: Option<core::time::Duration>,
        ) -> Result<(), Timeout> {
            Ok(())
        }
        fn wake(futex: *const core::sync::atomic::AtomicU32, n: u32) {
            Recording::wake(futex, n)
        }
        fn yield_now() -> bool {
            panic!("the backend's yield")
        }
    }

    #[test]
    fn a_writer_unwinding_out_of_its_wait_for_readers_takes_its_bit_back() {
        // Readers hold the lock: the writer sets WW (which the last reader out would leave
        // for it), then waits, and the backend's yield panics. A WW left behind would keep
        // every later reader out with no writer to let them in.
        watchdog("a writer to unwind out of its wait", || {
            let lock = lock_at::<PanicsInYield>(2 * READ_LOCKED, 0);
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                lock.write_slow(&mut Forever::<PanicsInYield>::new())
            }));
            assert!(unwound.is_err());
            assert_eq!(words(&lock), (2 * READ_LOCKED, WAKE_SEQ));
            assert!(lock.try_read_raw());
        });
    }

    /// A backend whose wait panics (a user's may).
    struct PanicsInWait;

    impl FutexBackend for PanicsInWait {
        fn wait(
            _: &core::sync::atomic::AtomicU32,
            _: u32,
            _: Option<core::time::Duration>,
        ) -> Result<(), Timeout> {
            panic!("the backend's wait")
        }
        fn wake(futex: *const core::sync::atomic::AtomicU32, n: u32) {
            Recording::wake(futex, n)
        }
    }

    std::thread_local! {
        /// What `RecordsSleepers`' wakes saw: the address woken and its value then.
        static SEEN_AT_WAKE: core::cell::RefCell<Vec<(usize, u32)>> =
            const { core::cell::RefCell::new(Vec::new()) };
    }

    /// A backend whose wait panics and whose wake records the value of the word it wakes.
    struct RecordsSleepers;

    impl FutexBackend for RecordsSleepers {
        fn wait(
            _: &core::sync::atomic::AtomicU32,
            _: u32,
            _: Option<core::time::Duration>,
        ) -> Result<(), Timeout> {
            panic!("the backend's wait")
        }
        fn wake(futex: *const core::sync::atomic::AtomicU32, _: u32) {
            // SAFETY: the tests wake only words of a lock that is alive during the call.
            let value = unsafe { (*futex).load(Relaxed) };
            SEEN_AT_WAKE.with(|seen| seen.borrow_mut().push((futex as usize, value)));
        }
    }

    #[test]
    fn a_writer_unwinding_out_of_its_sleep_leaves_the_count_before_it_wakes_everyone() {
        watchdog("a writer to unwind out of its sleep", || {
            // Readers hold the lock; the writer registers, sleeps, and its backend panics. By
            // the time it wakes everyone (and its compare-and-swap releases), it is no longer
            // counted: a fair unlock then cannot hand the lock to it.
            let lock = lock_at::<RecordsSleepers>(2 * READ_LOCKED, 0);
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                lock.write_slow(&mut Forever::<RecordsSleepers>::new())
            }));
            assert!(unwound.is_err());
            let writer_wake = &lock.writer_wake as *const Word as usize;
            let seen = SEEN_AT_WAKE.with(|seen| seen.take());
            let at_wake: Vec<u32> =
                seen.iter().filter(|w| w.0 == writer_wake).map(|w| sleepers(w.1)).collect();
            assert_eq!(at_wake, [0], "registered writers when everyone was woken");
            assert_eq!(words(&lock), (2 * READ_LOCKED, WAKE_SEQ));
        });
    }

    #[test]
    fn an_upgrade_unwinding_out_of_its_sleep_gives_the_upgradable_read_back() {
        use lock_api::RawRwLockUpgrade as _;
        watchdog("an upgrade to unwind out of its sleep", || {
            // Ours is the upgradable read, another reader's share keeps the upgrade waiting.
            let lock = lock_at::<PanicsInWait>(2 | U, 0);
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: "we" hold the upgradable read (set by hand).
                let _ = unsafe { lock.upgrade(lock_api::GuardSend::new()) };
            }));
            assert!(unwound.is_err());
            // lock_api's rule: the operation consumed the guard, so the read goes with the
            // panic; the other reader's share stays, the bits are cleared for everyone.
            assert_eq!(lock.state.load(Relaxed), READ_LOCKED);
        });
    }

    #[test]
    fn a_sleeper_counts_itself_and_sleeps_on_the_counted_value() {
        let word = Word::new(5 * WAKE_SEQ + 2 * SLEEPER);
        let me = Sleeper::register(&word);
        assert_eq!(me.seen, 5 * WAKE_SEQ + 3 * SLEEPER);
        assert_eq!(word.load(Relaxed), me.seen);
        // A waker's bump meanwhile: leaving keeps it.
        word.fetch_add(WAKE_SEQ, Relaxed);
        drop(me);
        assert_eq!(word.load(Relaxed), 6 * WAKE_SEQ + 2 * SLEEPER);
    }

    #[test]
    fn a_full_count_stays_full() {
        let word = Word::new(7 * WAKE_SEQ + SLEEPERS_FULL);
        let me = Sleeper::register(&word);
        assert!(!me.counted);
        assert_eq!(me.seen, 7 * WAKE_SEQ + SLEEPERS_FULL);
        drop(me);
        assert_eq!(sleepers(word.load(Relaxed)), SLEEPERS_FULL);
        // The one whose registration fills it counts itself, but once full the count no
        // longer says who sleeps, so nobody takes it down again.
        let word = Word::new(SLEEPERS_FULL - SLEEPER);
        let filler = Sleeper::register(&word);
        let next = Sleeper::register(&word);
        assert!(filler.counted && !next.counted);
        drop((filler, next));
        assert_eq!(sleepers(word.load(Relaxed)), SLEEPERS_FULL);
    }

    #[test]
    fn the_sequence_wraps_without_touching_the_count() {
        let word = Word::new(!SLEEPERS_FULL | (3 * SLEEPER));
        word.fetch_add(WAKE_SEQ, Relaxed);
        assert_eq!(word.load(Relaxed), 3 * SLEEPER);
    }

    /// The wakes recorded since the last call, as `Woke`s of `lock`'s two words.
    fn woke_on(lock: &RawRwLock<Recording>) -> Vec<Woke> {
        let readers = &lock.state as *const _ as usize;
        take_wakes()
            .into_iter()
            .map(|(at, n)| if at == readers { Woke::Readers(n) } else { Woke::Writers(n) })
            .collect()
    }

    #[test]
    fn a_timed_writer_that_gives_up_takes_a_free_lock_or_lets_everyone_look_again() {
        let lock = RawRwLock::<Recording>::new();
        for (state, sleeping, taken, after, woke) in [
            // Free: take it (the wake may have been ours), keeping WW for the others.
            (READERS_WAITING, 1, true, WRITE_LOCKED | BOTH, std::vec![]),
            (BOTH, 1, true, WRITE_LOCKED | BOTH, std::vec![]),
            // Another writer holds it: clear WW (maybe ours alone), wake the writers, not
            // the readers, which the holder's unlock wakes.
            (
                WRITE_LOCKED | BOTH,
                2,
                false,
                WRITE_LOCKED | READERS_WAITING,
                std::vec![Woke::Writers(u32::MAX)],
            ),
            (WRITE_LOCKED | WRITERS_WAITING, 0, false, WRITE_LOCKED, std::vec![]),
            // Readers hold it: clear both, wake the writers and the readers held back.
            (2 | BOTH, 1, false, 2, std::vec![Woke::Writers(u32::MAX), Woke::Readers(u32::MAX)]),
            (2 | WRITERS_WAITING, 0, false, 2, std::vec![]),
        ] {
            lock.state.store(state, Relaxed);
            lock.writer_wake.store(sleeping * SLEEPER, Relaxed);
            take_wakes();
            assert_eq!(lock.writer_gives_up(), taken, "from {state:#x}");
            assert_eq!(lock.state.load(Relaxed), after, "from {state:#x}");
            assert_eq!(woke_on(&lock), woke, "from {state:#x}");
            let bumped = if taken { 0 } else { WAKE_SEQ };
            assert_eq!(lock.writer_wake.load(Relaxed), bumped + sleeping * SLEEPER);
        }
    }

    #[test]
    fn a_wake_finds_the_lock_taken_again_and_leaves_it() {
        let lock = RawRwLock::<Recording>::new();
        for state in [WRITE_LOCKED | BOTH, 3 | WRITERS_WAITING] {
            lock.state.store(state, Relaxed);
            lock.writer_wake.store(SLEEPER, Relaxed);
            take_wakes();
            lock.wake_writer_or_readers(state);
            assert_eq!(
                (lock.state.load(Relaxed), lock.writer_wake.load(Relaxed)),
                (state, SLEEPER)
            );
            assert_eq!(woke_on(&lock), std::vec![]);
        }
    }

    #[test]
    fn a_writer_that_slept_keeps_the_writers_bit_when_it_takes_the_lock() {
        // Under the watchdog: a slow path that never ends would hang it.
        watchdog("a writer handed the lock in its sleep to take it", || {
            /// A sleep that ends with the lock handed to the writers by the last reader (free,
            /// both bits kept: another writer may still sleep).
            struct HandedOver<'a>(&'a Word);
            impl Sleep for HandedOver<'_> {
                fn sleep(&mut self, _: &Word, _: u32) -> Result<(), Timeout> {
                    self.0.store(BOTH, Relaxed);
                    Ok(())
                }
            }
            let lock = RawRwLock::<Recording>::new();
            lock.state.store(3, Relaxed);
            assert!(lock.write_slow(&mut HandedOver(&lock.state)));
            assert_eq!(lock.state.load(Relaxed), WRITE_LOCKED | BOTH);
        });
    }

    #[test]
    fn a_writer_whose_sleep_unwinds_lets_everyone_look_again() {
        // Under the watchdog: a slow path that never ends would hang it.
        watchdog("a writer whose sleep unwinds to leave", || {
            /// A sleep that panics (a user's backend or clock).
            struct Panics;
            impl Sleep for Panics {
                fn sleep(&mut self, _: &Word, _: u32) -> Result<(), Timeout> {
                    std::panic::panic_any("expected: a sleep that unwinds")
                }
            }
            let lock = RawRwLock::<Recording>::new();
            // Another writer holds it, readers sleep behind it.
            lock.state.store(WRITE_LOCKED | READERS_WAITING, Relaxed);
            take_wakes();
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                lock.write_slow(&mut Panics)
            }));
            assert!(unwound.is_err());
            assert_eq!(lock.state.load(Relaxed), WRITE_LOCKED, "both bits cleared");
            assert_eq!(sleepers(lock.writer_wake.load(Relaxed)), 0, "registration taken back");
            assert_eq!(woke_on(&lock), [Woke::Writers(u32::MAX), Woke::Readers(u32::MAX)]);
        });
    }

    #[test]
    fn readers_stop_one_short_of_the_writer_count() {
        // The most readers leave the count one below `WRITE_LOCKED`: one more reader would
        // read as a writer.
        assert!(is_readable(MASK - 2));
        assert!(!is_readable(MASK - 1));
        assert!(!is_write_locked(MASK - 1));
    }

    /// A lock on `B` with its words set by hand, and the wakes recorded so far dropped.
    fn lock_at<B: FutexBackend>(state: u32, sleeping: u32) -> RawRwLock<B> {
        let lock = RawRwLock::<B>::new();
        lock.state.store(state, Relaxed);
        lock.writer_wake.store(sleeping * SLEEPER, Relaxed);
        take_wakes();
        lock
    }

    /// Both words of `lock`.
    fn words<B>(lock: &RawRwLock<B>) -> (u32, u32) {
        (lock.state.load(Relaxed), lock.writer_wake.load(Relaxed))
    }

    const U: u32 = UPGRADABLE;
    const WW: u32 = WRITERS_WAITING;
    const RW: u32 = READERS_WAITING;

    #[test]
    fn an_upgradable_read_joins_readers_but_excludes_upgradables_and_writers() {
        let lock = lock_at::<Recording>(0, 0);
        assert!(lock.try_upgradable_raw());
        assert_eq!(words(&lock), (1 | U, 0));
        assert!(!lock.try_upgradable_raw(), "two upgradable reads");
        assert!(!lock.try_write_raw(), "a writer beside the upgradable read");
        assert!(lock.try_read_raw() && lock.try_read_recursive_raw());
        assert_eq!(words(&lock), (3 | U, 0));
        // Writers preferred: not while a writer waits or readers sleep, as a plain read.
        for state in [2 | WW, RW, WRITE_LOCKED, WRITE_LOCKED | HANDED | WW] {
            lock.state.store(state, Relaxed);
            assert!(!lock.try_upgradable_raw(), "joined {state:#x}");
            assert_eq!(lock.state.load(Relaxed), state);
        }
        // When it must wait it sleeps as a reader: RW set, on `state`, the exact value.
        lock.state.store(1 | U, Relaxed);
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        assert!(!lock.upgradable_by(&mut sleep));
        assert_eq!((sleep.slept_on, lock.state.load(Relaxed)), (std::vec![1 | U | RW], 1 | U | RW));
        assert_eq!(woke_on(&lock), []);
    }

    #[test]
    fn an_upgradable_read_that_waited_holds_one_share_and_u() {
        /// A sleep during which the writer leaves.
        struct WriterLeaves;
        impl Sleep for WriterLeaves {
            fn sleep(&mut self, word: &Word, _: u32) -> Result<(), Timeout> {
                word.store(0, Relaxed);
                Ok(())
            }
        }
        watchdog("an upgradable read to be taken once the writer leaves", || {
            let lock = lock_at::<Recording>(WRITE_LOCKED, 0);
            assert!(lock.upgradable_by(&mut WriterLeaves));
            assert_eq!(words(&lock), (READ_LOCKED | U, 0));
        });
    }

    #[test]
    fn a_plain_read_does_not_queue_behind_readers_waiting_for_u() {
        // RW with U held: the sleepers may wait for U; a plain reader joins.
        let lock = lock_at::<Recording>(1 | U | RW, 0);
        assert!(lock.try_read_raw());
        assert_eq!(lock.state.load(Relaxed), 2 | U | RW);
        // Not an upgradable one, nor a plain one once a writer waits or without U.
        assert!(!lock.try_upgradable_raw());
        for state in [1 | U | RW | WW, 1 | RW, RW] {
            lock.state.store(state, Relaxed);
            assert!(!lock.try_read_raw(), "joined {state:#x}");
        }
    }

    #[test]
    fn the_upgradable_unlock_lets_waiting_readers_in_or_wakes_as_the_last_reader() {
        for (state, sleeping, after, woke) in [
            // Nobody waits.
            (1 | U, 0, (0, 0), std::vec![]),
            // A reader (an upgradable one, waiting for U) sleeps, no writer waits: let it in.
            (2 | U | RW, 0, (1, 0), std::vec![Woke::Readers(u32::MAX)]),
            // A writer waits: readers stay behind it.
            (2 | U | RW | WW, 1, (1 | RW | WW, SLEEPER), std::vec![]),
            // The last reader out, a writer registered: keep the bits for it, wake it.
            (1 | U | RW | WW, 1, (RW | WW, WAKE_SEQ + SLEEPER), std::vec![Woke::Writers(1)]),
        ] {
            let lock = lock_at::<Recording>(state, sleeping);
            // SAFETY: words set by hand; nobody else uses the lock.
            unsafe { lock.upgradable_unlock_raw() };
            assert_eq!((words(&lock), woke_on(&lock)), (after, woke), "from {state:#x}");
        }
    }

    #[test]
    fn the_downgrades_keep_a_share_and_let_waiting_readers_in_unless_a_writer_waits() {
        type Downgrade = unsafe fn(&RawRwLock<Recording>);
        let plain: Downgrade = RawRwLock::downgrade_upgradable_raw;
        let to_upgradable: Downgrade = RawRwLock::downgrade_to_upgradable_raw;
        let readers = || std::vec![Woke::Readers(u32::MAX)];
        for (downgrade, state, sleeping, after, woke) in [
            (plain, 2 | U, 0, (2, 0), std::vec![]),
            (plain, 1 | U | RW, 0, (1, 0), readers()),
            (plain, 1 | U | RW | WW, 1, (1 | RW | WW, 1), std::vec![]),
            (to_upgradable, WRITE_LOCKED, 0, (1 | U, 0), std::vec![]),
            (to_upgradable, WRITE_LOCKED | RW, 0, (1 | U, 0), readers()),
            // A writer registered: it waits, and the readers stay behind it.
            (to_upgradable, WRITE_LOCKED | RW | WW, 1, (1 | U | RW | WW, 1), std::vec![]),
            // Nobody registered: WW is the one we kept when we took the lock (the last reader
            // out would leave it for a writer that does not exist), so it goes, as a waker
            // clears it (the bump), and the readers come in.
            (to_upgradable, WRITE_LOCKED | RW | WW, 0, (1 | U, WAKE_SEQ), readers()),
            (to_upgradable, WRITE_LOCKED | WW, 0, (1 | U, WAKE_SEQ), std::vec![]),
        ] {
            let lock = lock_at::<Recording>(state, sleeping);
            // SAFETY: words set by hand; nobody else uses the lock.
            unsafe { downgrade(&lock) };
            assert_eq!((words(&lock), woke_on(&lock)), (after, woke), "{state:#x}");
        }
    }

    #[test]
    fn try_upgrade_takes_our_share_alone_keeping_the_bits() {
        let lock = lock_at::<Recording>(1 | U | RW | WW, 0);
        // SAFETY: words set by hand: "we" hold the upgradable read.
        assert!(unsafe { lock.try_upgrade_raw() });
        assert_eq!(words(&lock), (WRITE_LOCKED | RW | WW, 0));
        let lock = lock_at::<Recording>(2 | U, 0);
        // SAFETY: as above.
        assert!(!unsafe { lock.try_upgrade_raw() }, "upgraded past a reader");
        assert_eq!(words(&lock), (2 | U, 0));
    }

    #[test]
    fn the_read_unlock_that_leaves_the_upgrader_alone_wakes_every_writer() {
        for (state, sleeping, after, woke) in [
            // The upgrader waits (U, WW) among the registered writers: all of them are woken,
            // the futex cannot pick it out.
            (2 | U | WW, 1, (1 | U | WW, WAKE_SEQ + SLEEPER), std::vec![Woke::Writers(u32::MAX)]),
            // Nobody registered yet (it is about to look): the bump alone.
            (2 | U | WW, 0, (1 | U | WW, WAKE_SEQ), std::vec![]),
            // Other readers still inside, or no upgrader waiting, or no upgradable reader.
            (3 | U | WW, 1, (2 | U | WW, SLEEPER), std::vec![]),
            (2 | U, 1, (1 | U, SLEEPER), std::vec![]),
            (2 | WW, 1, (1 | WW, SLEEPER), std::vec![]),
        ] {
            let lock = lock_at::<Recording>(state, sleeping);
            // SAFETY: words set by hand; nobody else uses the lock.
            unsafe { lock.read_unlock_raw() };
            assert_eq!((words(&lock), woke_on(&lock)), (after, woke), "from {state:#x}");
        }
    }

    #[test]
    fn an_upgrade_sleeps_among_the_writers_until_the_last_reader_leaves() {
        watchdog("an upgrade to take the lock once the reader leaves", || {
            /// The sleep of the upgrader: what it slept on, and the other reader leaving
            /// meanwhile (its read unlock, on this thread, so that its wakes are recorded).
            struct ReaderLeaves<'a> {
                lock: &'a RawRwLock<Recording>,
                slept_on: Vec<(u32, u32)>,
            }
            impl Sleep for ReaderLeaves<'_> {
                fn sleep(&mut self, word: &Word, expect: u32) -> Result<(), Timeout> {
                    assert!(core::ptr::eq(word, &self.lock.writer_wake), "not among the writers");
                    self.slept_on.push((self.lock.state.load(Relaxed), expect));
                    // SAFETY: the other reader's read, set by hand below.
                    unsafe { self.lock.read_unlock_raw() };
                    Ok(())
                }
            }
            let lock = lock_at::<Recording>(2 | U, 0);
            let mut sleep = ReaderLeaves { lock: &lock, slept_on: std::vec![] };
            // SAFETY: "we" hold the upgradable read (set by hand).
            assert!(unsafe { lock.upgrade_slow(&mut sleep) });
            // It set WW (new readers wait), registered (the value it slept on), and was woken
            // by the reader's unlock; with no writer registered behind it, it takes WW back
            // (a bump, nobody to wake), so that a downgrade lets readers in.
            assert_eq!(sleep.slept_on, [(2 | U | WW, SLEEPER)]);
            assert_eq!(words(&lock), (WRITE_LOCKED, 2 * WAKE_SEQ));
            assert_eq!(woke_on(&lock), [Woke::Writers(u32::MAX)]);
            // A writer registered behind it: WW stays for it.
            let lock = lock_at::<Recording>(2 | U, 1);
            let mut sleep = ReaderLeaves { lock: &lock, slept_on: std::vec![] };
            // SAFETY: as above.
            assert!(unsafe { lock.upgrade_slow(&mut sleep) });
            assert_eq!(sleep.slept_on, [(2 | U | WW, 2 * SLEEPER)]);
            assert_eq!(words(&lock), (WRITE_LOCKED | WW, WAKE_SEQ + SLEEPER));
        });
    }

    #[test]
    fn an_upgrader_whose_time_is_up_keeps_its_read_and_lets_everyone_look_again() {
        let lock = lock_at::<Recording>(2 | U | RW, 0);
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        // SAFETY: "we" hold the upgradable read (set by hand).
        assert!(!unsafe { lock.upgrade_slow(&mut sleep) });
        assert_eq!(sleep.slept_on, [SLEEPER], "slept registered among the writers");
        // WW (maybe ours alone) and RW cleared, everyone woken; the read still ours.
        assert_eq!(words(&lock), (2 | U, WAKE_SEQ));
        assert_eq!(woke_on(&lock), [Woke::Writers(u32::MAX), Woke::Readers(u32::MAX)]);
        // Across processes it leaves the bits to the holders' unlocks and wakes nobody.
        let lock = lock_at::<RecordingShared>(2 | U, 0);
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
        // SAFETY: as above.
        assert!(!unsafe { lock.upgrade_slow(&mut sleep) });
        assert_eq!((words(&lock), take_wake_counts()), ((2 | U | WW, 0), std::vec![]));
    }

    #[test]
    fn a_fair_unlock_hands_the_write_lock_to_a_registered_writer() {
        let writer = WRITE_LOCKED;
        for (state, gone) in [
            (WRITE_LOCKED | RW | WW, writer),
            (WRITE_LOCKED | WW, writer),
            (1 | WW | RW, READ_LOCKED),
            (1 | U | WW, READ_LOCKED + U),
        ] {
            let lock = lock_at::<Recording>(state, 1);
            // SAFETY: words set by hand: "we" hold what `gone` releases.
            assert!(unsafe { lock.hand_over_raw(gone) }, "from {state:#x}");
            // Held for the writers (the bits kept, U gone with its share), one writer woken.
            let handed = (state & (RW | WW)) | WRITE_LOCKED | HANDED;
            assert_eq!(words(&lock), (handed, WAKE_SEQ + SLEEPER), "from {state:#x}");
            assert_eq!(woke_on(&lock), [Woke::Writers(1)]);
            // Nobody else gets in: not a reader, recursive or not, nor an arriving writer.
            assert!(!lock.try_read_raw() && !lock.try_read_recursive_raw());
            assert!(!lock.try_upgradable_raw() && !lock.try_write_raw());
            assert!(lock.is_write_locked_raw());
        }
    }

    #[test]
    fn a_fair_unlock_is_the_plain_one_where_no_hand_off_is_safe() {
        for (state, gone, sleeping) in [
            // Other readers stay inside.
            (2 | WW, READ_LOCKED, 1),
            // No writer registered: readers (RW) are not counted, WW's writer is about to look.
            (WRITE_LOCKED | RW, WRITE_LOCKED, 0),
            (WRITE_LOCKED | RW | WW, WRITE_LOCKED, 0),
            // A registered writer that is not waiting (it is about to look again).
            (WRITE_LOCKED | RW, WRITE_LOCKED, 1),
            // The sticky full count says nothing.
            (1 | WW, READ_LOCKED, SLEEPERS_FULL),
        ] {
            let lock = lock_at::<Recording>(state, sleeping);
            // SAFETY: words set by hand: "we" hold what `gone` releases.
            assert!(!unsafe { lock.hand_over_raw(gone) }, "from {state:#x}");
            assert_eq!(words(&lock), (state, sleeping * SLEEPER), "from {state:#x}");
            assert_eq!(woke_on(&lock), []);
        }
        // Across processes, never: the writer may be dead.
        let lock = lock_at::<RecordingShared>(WRITE_LOCKED | WW, 1);
        // SAFETY: as above.
        assert!(!unsafe { lock.hand_over_raw(WRITE_LOCKED) });
        assert_eq!((words(&lock), take_wake_counts()), ((WRITE_LOCKED | WW, SLEEPER), std::vec![]));
    }

    #[test]
    fn a_hand_off_is_picked_up_by_a_registered_writer_or_one_giving_up_and_freed_on_unwind() {
        watchdog("a writer to pick a hand-off up", || {
            let handed = WRITE_LOCKED | HANDED | WW | RW;
            // A writer in its slow path (the backend cannot yield: no yields) registers, sees
            // H, and takes the lock with it, the bits kept.
            let lock = lock_at::<Recording>(handed, 1);
            assert!(lock.write_slow(&mut Forever::<Recording>::new()));
            assert_eq!(words(&lock), (WRITE_LOCKED | WW | RW, SLEEPER));
            // One whose time is up picks it up too: it may have been handed to it.
            let lock = lock_at::<Recording>(handed, 0);
            assert!(lock.writer_gives_up());
            assert_eq!((words(&lock), woke_on(&lock)), ((WRITE_LOCKED | WW | RW, 0), std::vec![]));
            // One unwinding out of its sleep frees it, and everyone looks again.
            let lock = lock_at::<Recording>(handed, 0);
            lock.wake_all_after_unwind();
            assert_eq!(words(&lock), (0, WAKE_SEQ));
            assert_eq!(woke_on(&lock), [Woke::Writers(u32::MAX), Woke::Readers(u32::MAX)]);
        });
    }

    #[test]
    fn a_bump_keeps_the_lock_when_nobody_waits_and_else_goes_through_the_fair_unlock() {
        use lock_api::{RawRwLockFair as _, RawRwLockUpgradeFair as _};
        watchdog("the bumps to take the lock back", || {
            let mut guard = lock_api::GuardSend::new();
            for state in [1, 3 | U, WRITE_LOCKED] {
                let lock = lock_at::<Recording>(state, 0);
                // SAFETY: words set by hand: "we" hold what each bump names.
                unsafe {
                    match state {
                        1 => lock.bump_shared(&mut guard),
                        WRITE_LOCKED => lock.bump_exclusive(&mut guard),
                        _ => lock.bump_upgradable(&mut guard),
                    }
                }
                assert_eq!((words(&lock), woke_on(&lock)), ((state, 0), std::vec![]));
            }
            // A writer registered: the write lock is handed to it, and ours is taken back
            // behind it (here, no other thread: by our own relock, registered in its turn).
            let lock = lock_at::<Recording>(WRITE_LOCKED | WW, 1);
            // SAFETY: as above.
            unsafe { lock.bump_exclusive(&mut guard) };
            assert_eq!(words(&lock), (WRITE_LOCKED | WW, WAKE_SEQ + SLEEPER));
            assert_eq!(woke_on(&lock), [Woke::Writers(1)]);
            // Readers asleep behind our read (a stale RW): woken by the unlock, read again.
            let lock = lock_at::<Recording>(1 | RW, 0);
            // SAFETY: as above.
            unsafe { lock.bump_shared(&mut guard) };
            assert_eq!((words(&lock), woke_on(&lock)), ((1, 0), [Woke::Readers(u32::MAX)].into()));
        });
    }

    #[test]
    fn a_recursive_read_joins_past_waiting_writers_but_not_a_writer() {
        // Readers inside, or the lock kept free for a woken writer (both bits): it joins.
        for state in [1 | WW | RW, WW | RW, 2 | U | WW] {
            let lock = lock_at::<Recording>(state, 1);
            assert!(lock.try_read_recursive_raw(), "from {state:#x}");
            assert_eq!(words(&lock), (state + 1, SLEEPER));
        }
        // A writer holds it, or the lock is handed to one, or the count is full: it waits.
        for state in [WRITE_LOCKED, WRITE_LOCKED | HANDED | WW, MAX_READERS] {
            let lock = lock_at::<Recording>(state, 0);
            assert!(!lock.try_read_recursive_raw(), "from {state:#x}");
            let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &|| {} };
            assert!(!lock.read_recursive_by(&mut sleep));
            // As a reader: RW set, on `state`, the exact value; giving up leaves RW.
            assert_eq!(sleep.slept_on, [state | RW]);
            assert_eq!(words(&lock), (state | RW, 0));
        }
        // Woken when the writer leaves, it joins past a writer that waits meanwhile.
        let lock = lock_at::<Recording>(WRITE_LOCKED, 0);
        let free_with_a_writer_waiting = || lock.state.store(WW | RW, Relaxed);
        let mut sleep = TimesOut { slept_on: std::vec![], meanwhile: &free_with_a_writer_waiting };
        assert!(!lock.read_recursive_by(&mut sleep), "gave up after the sleep");
        assert!(lock.read_recursive_by(&mut Forever::<Recording>::new()));
        assert_eq!(lock.state.load(Relaxed), 1 | WW | RW);
    }

    #[test]
    fn the_timed_recursive_reads_give_up_no_sooner_than_asked() {
        // Under the watchdog: a reader's loop that never ends would hang it.
        watchdog("the timed recursive reads to give up", || {
            let t = core::time::Duration::from_millis(5);
            let lock = lock_at::<Recording>(WRITE_LOCKED, 0);
            let start = std::time::Instant::now();
            assert!(!lock.try_read_recursive_for(t));
            assert!(start.elapsed() >= t);
            let start = std::time::Instant::now();
            assert!(!lock.try_read_recursive_until(start + t));
            assert!(start.elapsed() >= t);
            let mut deadline = crate::Deadline::<Recording, _>::after(t);
            assert!(!lock.try_read_recursive_by(&mut deadline));
            // Beside readers and a waiting writer: at once.
            lock.state.store(1 | WW, Relaxed);
            assert!(lock.try_read_recursive_for(core::time::Duration::ZERO));
            assert!(lock.try_read_recursive_until(std::time::Instant::now()));
            assert_eq!(lock.state.load(Relaxed), 3 | WW);
        });
    }
}
