//! Waiters killed with `SIGKILL` at each point of a shared primitive's protocol, then a living
//! waiter that must get through: across processes a dead waiter is an ordinary event, and a
//! free lock must stay enterable, a released permit or a notification must reach a living
//! waiter, whatever waiters die and whenever.
//!
//! Each case runs trials on a fresh zero-filled mapping, in two ways of dying:
//!
//! - **asleep**: the doomed waiter blocks, is killed, and only then does the living waiter
//!   come and the parent release; whatever the dead one left in the word (a registration, a
//!   waiting bit) must not strand the living one;
//! - **woken**: the doomed waiter blocks first and the living one after it, so that a wake of
//!   one (the kernel wakes a word's waiters in arrival order) would go to the doomed one; the
//!   parent then moves it to `SCHED_IDLE` on a processor that a busy process keeps, so that
//!   after the parent's release it is woken but does not run before the parent kills it. A
//!   design that wakes only it loses that wake with it, and the living waiter sleeps on, the
//!   primitive free: the case fails after [`LIMIT`], showing the primitive.
//!
//! A woken trial is a real one only if the doomed waiter was runnable (`R` in `/proc`) just
//! before the kill, that is woken and not yet back asleep, and the living waiter then got
//! through. The doomed waiter may still run before it dies, now and then, and take what was
//! released (and die holding it, a dead owner, which stays held by design); such a trial
//! proves nothing and is counted apart. At least one woken trial of each case must be real.
//!
//! What each case guards (each checked by running it against the code before the fix):
//! the mutex, the rwlock's writers, the semaphore and `notify_one` fail in the woken way if
//! they wake one waiter; the rwlock's "writer behind a reader" fails in both ways if the last
//! reader keeps the lock for a registered writer. The asleep ways of the others, the rwlock's
//! readers, the event and the wait group pass with a wake of one too (the kernel drops a
//! killed sleeper from its queue, and readers, events and groups wake everyone anyway): they
//! check that what a dead waiter leaves in a word (a registration, a bit) strands nobody.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU32, Ordering::*};
use std::time::{Duration, Instant};

use portable_futex::backend::{Linux, Shared};
use portable_futex::sync::generic::{Condvar, Mutex, ResetEvent, Semaphore, WaitGroup};
// The raw locks keep no guard state (`GuardSend` is empty, without `Drop`): a trial drops
// the guard it takes and releases with a new one, as the process that holds the lock may not
// be the one that took it in the code.
use portable_futex::sync::lock_api::{GuardSend, RawMutex as _, RawRwLock as _};
use portable_futex::sync::{RawMutex, RawRwLock};

use crate::linux::{fork, Child, Mapping, LIMIT};

type S = Shared<Linux>;

/// How long the living waiter may take before a trial where the doomed one may hold what was
/// released is judged to be one.
const GRACE: Duration = Duration::from_secs(1);
/// Trials of each way of dying.
const ASLEEP_TRIALS: u32 = 4;
const WOKEN_TRIALS: u32 = 10;

/// The mapping's contents: the primitive, and the living waiter's word that it got through.
#[repr(C)]
struct Arena<T> {
    through: AtomicU32,
    primitive: T,
}

/// One primitive's protocol, as the parent and the two waiters play it.
struct Case<T> {
    name: &'static str,
    /// The parent, before any waiter comes: takes what the waiters will wait for.
    hold: fn(&T),
    /// What the doomed waiter blocks in.
    doomed: fn(&T),
    /// What the living waiter blocks in, until it gets through.
    living: fn(&T),
    /// The parent: lets (at least) one waiter through.
    release: fn(&T),
    /// Whether a living waiter could get through now (false while something is held, by the
    /// doomed waiter if it ran before it died).
    free: fn(&T) -> bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Death {
    Asleep,
    Woken,
}

/// The processor the doomed waiter and the busy process share: the last one this process may
/// run on.
fn shared_cpu() -> usize {
    // SAFETY: a zeroed `cpu_set_t` is an empty set, filled in by the call.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid out-parameter of the size given.
    let got = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    assert_eq!(got, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
    // SAFETY: `CPU_ISSET` reads the set within its size.
    (0..libc::CPU_SETSIZE as usize)
        .rev()
        .find(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .unwrap()
}

/// Pins process `pid` (0: the calling one) to `cpu`.
fn pin_to(pid: libc::pid_t, cpu: usize) {
    // SAFETY: a zeroed `cpu_set_t` is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below `CPU_SETSIZE` (it came from `shared_cpu`).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid set of the size given.
    let done = unsafe { libc::sched_setaffinity(pid, std::mem::size_of_val(&set), &set) };
    assert_eq!(done, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());
}

/// Moves process `pid` to `cpu` at `SCHED_IDLE`, the lowest priority there is: once the
/// processor is busy, it runs only in what the busy process leaves.
fn idle_on(pid: libc::pid_t, cpu: usize) {
    pin_to(pid, cpu);
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is valid; SCHED_IDLE needs no privilege for one's own child.
    let done = unsafe { libc::sched_setscheduler(pid, libc::SCHED_IDLE, &param) };
    assert_eq!(done, 0, "sched_setscheduler(SCHED_IDLE): {}", std::io::Error::last_os_error());
}

/// A process that keeps `cpu` busy until it is killed (when the returned child drops).
fn hog(cpu: usize) -> Child {
    fork("nothing: it keeps a processor busy", move || {
        pin_to(0, cpu);
        loop {
            std::hint::spin_loop();
        }
    })
}

/// Kills `child` at once and reaps it.
fn kill(child: Child) {
    // SAFETY: our own child, not yet reaped (its `Drop` reaps it).
    unsafe { libc::kill(child.pid, libc::SIGKILL) };
    drop(child);
}

/// One trial. True if it proved something: the living waiter got through, and in the woken
/// way the doomed one had been woken and not yet run when it was killed. False if it was
/// not, or if it took what was released first.
fn trial<T: Debug>(case: &Case<T>, death: Death, cpu: usize) -> bool {
    let map = Mapping::anonymous(4096);
    // SAFETY: an `Arena<T>` fits in a page, and all-zero bytes are every primitive here in its
    // initial state (README, "Across processes") and a zero word.
    let arena: &Arena<T> = unsafe { map.get() };
    let primitive = &arena.primitive;
    (case.hold)(primitive);

    let doomed = fork("nothing: it is killed", move || {
        (case.doomed)(primitive);
        true
    });
    doomed.wait_until_asleep();
    let mut busy = None;
    let doomed = match death {
        Death::Asleep => {
            kill(doomed);
            None
        }
        Death::Woken => {
            idle_on(doomed.pid, cpu);
            busy = Some(hog(cpu));
            Some(doomed)
        }
    };

    let living = fork("its turn, after a waiter was killed", || {
        (case.living)(primitive);
        arena.through.store(1, Release);
        true
    });
    living.wait_until_asleep();
    (case.release)(primitive);
    // Woken: whether the doomed waiter is runnable now, woken and not yet run to its next
    // sleep. Then the kill, before anything else, and the busy process goes at once (the
    // killed one needs the processor to exit).
    let woken = doomed.as_ref().map(|doomed| doomed.state() == "R");
    if let Some(doomed) = doomed {
        // SAFETY: our own child, not yet reaped.
        unsafe { libc::kill(doomed.pid, libc::SIGKILL) };
        drop(busy.take());
        drop(doomed);
    }

    let start = Instant::now();
    loop {
        if arena.through.load(Acquire) == 1 {
            living.join();
            return woken.unwrap_or(true);
        }
        if death == Death::Woken && start.elapsed() > GRACE && !(case.free)(primitive) {
            // Held: by the doomed waiter, which ran before it died (the living one, had it
            // taken it, would say so at once).
            std::thread::sleep(Duration::from_millis(50));
            if arena.through.load(Acquire) == 0 {
                return false;
            }
            continue;
        }
        assert!(
            start.elapsed() < LIMIT,
            "{}: a waiter killed {death:?} stranded the living one for {LIMIT:?}: {:?}",
            case.name,
            primitive
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Every trial of `case`; in the woken way at least one must be a real one.
fn run<T: Debug>(case: Case<T>, deaths: &[Death]) {
    let cpu = shared_cpu();
    for &death in deaths {
        let trials = if death == Death::Asleep { ASLEEP_TRIALS } else { WOKEN_TRIALS };
        let real = (0..trials).filter(|_| trial(&case, death, cpu)).count();
        print!("[{} {death:?}: {real} of {trials}] ", case.name);
        assert!(real > 0, "{}: no trial reached the race it tests ({death:?})", case.name);
    }
}

const BOTH: &[Death] = &[Death::Asleep, Death::Woken];

/// The mutex: a waiter killed asleep leaves its registration; one killed after its wake
/// must not take the wake with it.
pub fn mutex() {
    run(
        Case::<RawMutex<S>> {
            name: "mutex",
            hold: |m| {
                let _ = m.lock();
            },
            doomed: |m| {
                let _ = m.lock();
            },
            living: |m| {
                let _ = m.lock();
            },
            // SAFETY: `hold` took it in this (the parent) process.
            release: |m| unsafe { m.unlock(GuardSend::new()) },
            free: |m| !m.is_locked(),
        },
        BOTH,
    );
}

/// A writer killed while it sleeps behind readers: the last reader must not keep the lock for
/// it, and a reader behind it gets in.
pub fn rwlock_writer_asleep() {
    run(
        Case::<RawRwLock<S>> {
            name: "rwlock, a writer behind a reader, then a reader",
            hold: |l| {
                let _ = l.lock_shared();
            },
            doomed: |l| {
                let _ = l.lock_exclusive();
            },
            living: |l| {
                let _ = l.lock_shared();
            },
            // SAFETY: `hold` took a share in this process.
            release: |l| unsafe { l.unlock_shared(GuardSend::new()) },
            free: |l| !l.is_locked(),
        },
        BOTH,
    );
}

/// Writers behind a writer: the unlock's wake of writers must reach a living one.
pub fn rwlock_writers() {
    run(
        Case::<RawRwLock<S>> {
            name: "rwlock, writers",
            hold: |l| {
                let _ = l.lock_exclusive();
            },
            doomed: |l| {
                let _ = l.lock_exclusive();
            },
            living: |l| {
                let _ = l.lock_exclusive();
            },
            // SAFETY: `hold` took the write lock in this process.
            release: |l| unsafe { l.unlock_exclusive(GuardSend::new()) },
            free: |l| !l.is_locked(),
        },
        BOTH,
    );
}

/// Readers behind a writer: all of them are woken, and a dead one's share blocks no reader.
pub fn rwlock_readers() {
    run(
        Case::<RawRwLock<S>> {
            name: "rwlock, readers",
            hold: |l| {
                let _ = l.lock_exclusive();
            },
            doomed: |l| {
                let _ = l.lock_shared();
            },
            living: |l| {
                let _ = l.lock_shared();
            },
            // SAFETY: `hold` took the write lock in this process.
            release: |l| unsafe { l.unlock_exclusive(GuardSend::new()) },
            free: |_| true,
        },
        BOTH,
    );
}

/// A reader killed while it holds a share: the share stays counted (a dead owner), but other
/// readers still get in.
pub fn rwlock_reader_holding_a_share() {
    let map = Mapping::anonymous(4096);
    // SAFETY: fits; all zero is an unlocked lock.
    let lock: &RawRwLock<S> = unsafe { map.get() };
    let holder = fork("nothing: it holds a share until it is killed", || {
        lock.lock_shared();
        loop {
            // SAFETY: sleeps until a signal; the only one coming is SIGKILL.
            unsafe { libc::pause() };
        }
    });
    holder.wait_until_asleep();
    assert!(lock.is_locked());
    kill(holder);
    fork("a share beside a dead reader's", || {
        lock.lock_shared();
        true
    })
    .join();
    assert!(lock.try_lock_shared().is_some(), "a dead reader's share kept a reader out");
}

/// The semaphore: a released permit reaches a living waiter.
pub fn semaphore() {
    run(
        Case::<Semaphore<S>> {
            name: "semaphore",
            hold: |_| {},
            doomed: |s| s.acquire(),
            living: |s| s.acquire(),
            release: |s| s.release(1),
            free: |s| s.available_permits() > 0,
        },
        BOTH,
    );
}

/// A flag under a mutex, and a condition variable.
#[derive(Debug)]
#[repr(C)]
struct Signal {
    ready: Mutex<S, bool>,
    changed: Condvar<S>,
}

fn wait_for_ready(signal: &Signal) {
    let mut ready = signal.ready.lock();
    while !*ready {
        signal.changed.wait(&mut ready);
    }
}

/// The condition variable: a `notify_one` reaches a living waiter.
pub fn condvar() {
    run(
        Case::<Signal> {
            name: "condvar, notify_one",
            hold: |_| {},
            doomed: wait_for_ready,
            living: wait_for_ready,
            release: |s| {
                *s.ready.lock() = true;
                s.changed.notify_one();
            },
            free: |s| !s.ready.is_locked(),
        },
        BOTH,
    );
}

/// The event and the wait group, which wake everybody anyway: a dead waiter strands nobody.
pub fn event_and_group() {
    run(
        Case::<ResetEvent<S>> {
            name: "reset event",
            hold: |_| {},
            doomed: |e| e.wait(),
            living: |e| e.wait(),
            release: |e| e.set(),
            free: |_| true,
        },
        BOTH,
    );
    run(
        Case::<WaitGroup<S>> {
            name: "wait group",
            hold: |g| g.add(1),
            doomed: |g| g.wait(),
            living: |g| g.wait(),
            release: |g| g.done(),
            free: |_| true,
        },
        BOTH,
    );
}
