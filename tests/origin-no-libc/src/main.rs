//! portable-futex inside a program with no C library: origin starts the process and creates
//! the threads, rustix makes the system calls, and the futex is `backend::Linux` built with
//! `linux-raw` (its own `syscall` instruction). Run by `cargo xtask origin`, which also checks
//! that the binary links no libc.
//!
//! Each scenario runs on threads that origin created; the program prints one line per
//! scenario, then `N passed, M failed`, and exits non-zero on any failure.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use core::ffi::c_void;
use core::fmt::Write;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use origin::{program, thread};
use portable_futex::backend::Linux;
use portable_futex::sync::generic;
use portable_futex::{Clock, Deadline, Futex, Timeout};

#[global_allocator]
static ALLOCATOR: rustix_dlmalloc::GlobalDlmalloc = rustix_dlmalloc::GlobalDlmalloc;

type F = Futex<Linux>;

/// Writes to standard error through rustix, formatting into no buffer of its own.
struct Stderr;

impl Write for Stderr {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let mut bytes = text.as_bytes();
        // SAFETY: file descriptor 2 stays open for the whole program: nothing here closes it.
        let stderr = unsafe { rustix::stdio::stderr() };
        while !bytes.is_empty() {
            match rustix::io::write(stderr, bytes) {
                Ok(0) | Err(_) => return Err(core::fmt::Error),
                Ok(n) => bytes = &bytes[n..],
            }
        }
        Ok(())
    }
}

macro_rules! say {
    ($($arg:tt)*) => {{ let _ = writeln!(Stderr, $($arg)*); }};
}

/// The kernel's monotonic clock, through rustix: what `Deadline` reads here, where there is no
/// std and so no default clock.
struct Monotonic;

impl Clock for Monotonic {
    fn now(&self) -> Duration {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
    }
}

/// Runs `body(index)` on `count` origin threads and joins them all.
fn on_threads(count: usize, body: fn(usize)) {
    /// origin's thread entry: the first argument is `body`, the second the thread's index + 1
    /// (an argument is a non-null pointer or nothing).
    unsafe fn entry(args: &mut [Option<NonNull<c_void>>]) -> Option<NonNull<c_void>> {
        let body = args[0].expect("a body").as_ptr();
        // SAFETY: the first argument is a `fn(usize)` turned into a pointer by `on_threads`.
        let body: fn(usize) = unsafe { core::mem::transmute::<*mut c_void, fn(usize)>(body) };
        body(args[1].map_or(0, |p| p.as_ptr() as usize - 1));
        None
    }
    let mut threads = [None; 8];
    assert!(count <= threads.len());
    for (index, slot) in threads.iter_mut().enumerate().take(count) {
        let args = [NonNull::new(body as *mut c_void), NonNull::new((index + 1) as *mut c_void)];
        // SAFETY: `entry` reads exactly the two arguments passed here, as described above.
        let created = unsafe {
            thread::create(entry, &args, thread::default_stack_size(), thread::default_guard_size())
        };
        *slot = Some(created.expect("origin creates a thread"));
    }
    for created in threads.iter_mut().take(count) {
        // SAFETY: each thread is joined once, and was created above.
        unsafe { thread::join(created.take().expect("created above")) };
    }
}

// --- The seed's scenarios -------------------------------------------------------------------

const RING: usize = 4;
const RING_ROUNDS: u32 = 2_000;
static RING_WORDS: [AtomicU32; RING] = [const { AtomicU32::new(0) }; RING];
static RING_PASSES: AtomicU32 = AtomicU32::new(0);

/// A token passed around a ring of threads, each asleep on its own word until it arrives.
fn ring() -> Result<(), &'static str> {
    RING_WORDS[0].store(1, Ordering::Release);
    on_threads(RING, |me| {
        for _ in 0..RING_ROUNDS {
            // Acquire: what the previous holder did happens before our turn.
            while RING_WORDS[me].swap(0, Ordering::Acquire) == 0 {
                F::wait(&RING_WORDS[me], 0);
            }
            RING_PASSES.fetch_add(1, Ordering::Relaxed);
            let next = &RING_WORDS[(me + 1) % RING];
            next.store(1, Ordering::Release);
            F::wake(next, 1);
        }
    });
    let passes = RING_PASSES.load(Ordering::Relaxed);
    (passes == RING as u32 * RING_ROUNDS).then_some(()).ok_or("the token was lost or doubled")
}

const BARRIER_THREADS: usize = 4;
const BARRIER_ROUNDS: u32 = 500;
static ARRIVED: AtomicU32 = AtomicU32::new(0);
static GENERATION: AtomicU32 = AtomicU32::new(0);
static MIXED: AtomicU32 = AtomicU32::new(0);

/// Barriers built on one broadcast wake: the last thread to arrive opens the next generation.
fn broadcast_barriers() -> Result<(), &'static str> {
    on_threads(BARRIER_THREADS, |_| {
        for round in 0..BARRIER_ROUNDS {
            let generation = GENERATION.load(Ordering::Acquire);
            if generation != round {
                MIXED.fetch_add(1, Ordering::Relaxed);
            }
            if ARRIVED.fetch_add(1, Ordering::AcqRel) + 1 == BARRIER_THREADS as u32 {
                ARRIVED.store(0, Ordering::Relaxed);
                GENERATION.store(generation + 1, Ordering::Release);
                F::wake(&GENERATION, u32::MAX);
            } else {
                while GENERATION.load(Ordering::Acquire) == generation {
                    F::wait(&GENERATION, generation);
                }
            }
        }
    });
    match (MIXED.load(Ordering::Relaxed), GENERATION.load(Ordering::Relaxed)) {
        (0, BARRIER_ROUNDS) => Ok(()),
        (0, _) => Err("a generation was skipped"),
        _ => Err("a thread ran ahead into the next generation"),
    }
}

/// A timed wait on an unchanging word times out, and not before its time.
fn timed_wait_times_out() -> Result<(), &'static str> {
    let word = AtomicU32::new(7);
    let asked = Duration::from_millis(30);
    let start = Monotonic.now();
    let result = F::timed_wait(&word, 7, asked);
    let waited = Monotonic.now() - start;
    match result {
        Err(Timeout) if waited >= asked => Ok(()),
        Err(Timeout) => Err("Timeout before the time asked"),
        // A spurious return is allowed, but one in a quiet process is suspicious enough here.
        Ok(()) => Err("a timed wait on an unchanging word returned Ok"),
    }
}

/// A `Deadline` spreads one timeout over a loop of waits, on a clock the program supplies.
fn deadline_expires() -> Result<(), &'static str> {
    let word = AtomicU32::new(0);
    let asked = Duration::from_millis(40);
    let start = Monotonic.now();
    let mut deadline = Deadline::<Linux, _>::with_clock(Some(asked), Monotonic);
    let mut rounds = 0u32;
    loop {
        rounds += 1;
        if deadline.wait(&word, 0).is_err() {
            break;
        }
        if rounds > 1_000 {
            return Err("the deadline never expired");
        }
    }
    if Monotonic.now() - start >= asked {
        Ok(())
    } else {
        Err("the deadline expired early")
    }
}

const FREES: u32 = 500;
/// The address of the word in flight, handed from the thread that owns it to the one that
/// wakes it.
static IN_FLIGHT: AtomicU32 = AtomicU32::new(0);
static WORD_ADDRESS: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// The woken thread frees the word at once; `wake_ptr` must not touch it.
fn word_freed_after_wake_ptr() -> Result<(), &'static str> {
    on_threads(2, |me| {
        for _ in 0..FREES {
            if me == 0 {
                // The owner: a fresh heap word, announced, waited on, then freed at once.
                let word: &'static AtomicU32 = Box::leak(Box::new(AtomicU32::new(0)));
                WORD_ADDRESS.store(word as *const AtomicU32 as usize, Ordering::Release);
                IN_FLIGHT.store(1, Ordering::Release);
                F::wake(&IN_FLIGHT, 1);
                while word.load(Ordering::Acquire) == 0 {
                    F::wait(word, 0);
                }
                // SAFETY: the word came from `Box::leak` above, and the waker only uses its
                // address (through `wake_ptr`) after its store, which we have seen.
                drop(unsafe { Box::from_raw(word as *const AtomicU32 as *mut AtomicU32) });
                while IN_FLIGHT.load(Ordering::Acquire) != 0 {
                    F::wait(&IN_FLIGHT, 1);
                }
            } else {
                while IN_FLIGHT.load(Ordering::Acquire) == 0 {
                    F::wait(&IN_FLIGHT, 0);
                }
                let word = WORD_ADDRESS.load(Ordering::Acquire) as *const AtomicU32;
                // SAFETY: the owner frees the word only after seeing this store.
                unsafe { (*word).store(1, Ordering::Release) };
                F::wake_ptr(word, 1);
                IN_FLIGHT.store(0, Ordering::Release);
                F::wake(&IN_FLIGHT, 1);
            }
        }
    });
    Ok(())
}

// --- The sync layer, on the same threads ----------------------------------------------------

const COUNTER_THREADS: usize = 4;
const INCREMENTS: u32 = 5_000;
static COUNTER: generic::Mutex<Linux, u32> = generic::Mutex::new(0);

/// Four threads increment one counter under a contended `Mutex`: the total is exact.
fn mutex_counter() -> Result<(), &'static str> {
    on_threads(COUNTER_THREADS, |_| {
        for _ in 0..INCREMENTS {
            *COUNTER.lock() += 1;
        }
    });
    (*COUNTER.lock() == COUNTER_THREADS as u32 * INCREMENTS)
        .then_some(())
        .ok_or("increments were lost: the mutex let two threads in")
}

const HANDOFFS: u32 = 1_000;
/// A one-slot mailbox: `None` while empty.
static MAILBOX: generic::Mutex<Linux, Option<u32>> = generic::Mutex::new(None);
static CHANGED: generic::Condvar<Linux> = generic::Condvar::new();
static RECEIVED_IN_ORDER: AtomicU32 = AtomicU32::new(0);

/// A producer hands numbers one at a time to a consumer through a `Mutex` and a `Condvar`.
fn condvar_handoff() -> Result<(), &'static str> {
    on_threads(2, |me| {
        for n in 0..HANDOFFS {
            let mut slot = MAILBOX.lock();
            if me == 0 {
                CHANGED.wait_while(&mut slot, |slot| slot.is_some());
                *slot = Some(n);
            } else {
                CHANGED.wait_while(&mut slot, |slot| slot.is_none());
                if slot.take() == Some(n) {
                    RECEIVED_IN_ORDER.fetch_add(1, Ordering::Relaxed);
                }
            }
            drop(slot);
            CHANGED.notify_all();
        }
    });
    (RECEIVED_IN_ORDER.load(Ordering::Relaxed) == HANDOFFS)
        .then_some(())
        .ok_or("a number was lost, doubled or reordered")
}

static ONCE: generic::Once<Linux> = generic::Once::new();
static RUNS: AtomicU32 = AtomicU32::new(0);
static SAW_IT_DONE: AtomicU32 = AtomicU32::new(0);

/// Four threads race `call_once`: the closure runs once, and everyone returns after it.
fn once_runs_once() -> Result<(), &'static str> {
    on_threads(4, |_| {
        ONCE.call_once(|| {
            RUNS.fetch_add(1, Ordering::Relaxed);
        });
        if RUNS.load(Ordering::Relaxed) == 1 && ONCE.is_completed() {
            SAW_IT_DONE.fetch_add(1, Ordering::Relaxed);
        }
    });
    match (RUNS.load(Ordering::Relaxed), SAW_IT_DONE.load(Ordering::Relaxed)) {
        (1, 4) => Ok(()),
        (1, _) => Err("call_once returned before the closure had run"),
        _ => Err("the closure ran more than once"),
    }
}

const PERMITS: u32 = 2;
static SEMAPHORE: generic::Semaphore<Linux> = generic::Semaphore::new(PERMITS);
static INSIDE: AtomicU32 = AtomicU32::new(0);
static MOST_INSIDE: AtomicU32 = AtomicU32::new(0);

/// Six threads share two permits: never more than two inside, and every permit comes back.
fn semaphore_permits() -> Result<(), &'static str> {
    on_threads(6, |_| {
        for _ in 0..500 {
            SEMAPHORE.acquire();
            let inside = INSIDE.fetch_add(1, Ordering::Relaxed) + 1;
            MOST_INSIDE.fetch_max(inside, Ordering::Relaxed);
            INSIDE.fetch_sub(1, Ordering::Relaxed);
            SEMAPHORE.release(1);
        }
    });
    if MOST_INSIDE.load(Ordering::Relaxed) > PERMITS {
        Err("more threads held a permit than there are permits")
    } else if SEMAPHORE.available_permits() != PERMITS {
        Err("permits were lost or invented")
    } else {
        Ok(())
    }
}

static EVENT: generic::ResetEvent<Linux> = generic::ResetEvent::new();
static BEFORE_THE_EVENT: AtomicU32 = AtomicU32::new(0);
static SAW_BEFORE: AtomicU32 = AtomicU32::new(0);

/// Three threads wait on a `ResetEvent` that a fourth sets: all see what came before the set.
fn reset_event_releases_all() -> Result<(), &'static str> {
    on_threads(4, |me| {
        if me == 0 {
            BEFORE_THE_EVENT.store(42, Ordering::Relaxed);
            EVENT.set();
        } else {
            EVENT.wait();
            if BEFORE_THE_EVENT.load(Ordering::Relaxed) == 42 {
                SAW_BEFORE.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    (SAW_BEFORE.load(Ordering::Relaxed) == 3)
        .then_some(())
        .ok_or("a waiter missed the data published before `set`")
}

const WORKERS: u32 = 4;
static GROUP: generic::WaitGroup<Linux> = generic::WaitGroup::new();
static WORK_DONE: AtomicU32 = AtomicU32::new(0);
static WORK_SEEN: AtomicU32 = AtomicU32::new(0);

/// A `WaitGroup` joins four workers: the waiter returns after all their work.
fn wait_group_joins() -> Result<(), &'static str> {
    GROUP.add(WORKERS);
    on_threads(WORKERS as usize + 1, |me| {
        if me == 0 {
            GROUP.wait();
            WORK_SEEN.store(WORK_DONE.load(Ordering::Relaxed), Ordering::Relaxed);
        } else {
            WORK_DONE.fetch_add(1, Ordering::Relaxed);
            GROUP.done();
        }
    });
    (WORK_SEEN.load(Ordering::Relaxed) == WORKERS)
        .then_some(())
        .ok_or("wait returned before every worker was done")
}

const TABLE_READERS: usize = 3;
static TABLE: generic::RwLock<Linux, [u32; 4]> = generic::RwLock::new([0; 4]);
static TORN_READS: AtomicU32 = AtomicU32::new(0);

/// A writer rewrites a whole table under an `RwLock` while readers read it: no reader ever sees
/// a half-written table.
fn rwlock_no_torn_reads() -> Result<(), &'static str> {
    on_threads(TABLE_READERS + 1, |me| {
        for round in 1..=1_000u32 {
            if me == 0 {
                *TABLE.write() = [round; 4];
            } else {
                let table = TABLE.read();
                if table.iter().any(|&cell| cell != table[0]) {
                    TORN_READS.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    match (TORN_READS.load(Ordering::Relaxed), *TABLE.read()) {
        (0, [1_000, 1_000, 1_000, 1_000]) => Ok(()),
        (0, _) => Err("the writer's last table is not there"),
        _ => Err("a reader saw a half-written table"),
    }
}

static CELL: generic::OnceLock<Linux, u32> = generic::OnceLock::new();
static INITS: AtomicU32 = AtomicU32::new(0);
static LAZY_RUNS: AtomicU32 = AtomicU32::new(0);
static LAZY: generic::LazyLock<Linux, u32> = generic::LazyLock::new(|| {
    LAZY_RUNS.fetch_add(1, Ordering::Relaxed);
    7
});
static AGREED: AtomicU32 = AtomicU32::new(0);

/// Threads race `OnceLock::get_or_init` and a `LazyLock`'s first access: one initialiser run
/// each, and everyone gets its value.
fn once_lock_and_lazy_lock() -> Result<(), &'static str> {
    on_threads(4, |me| {
        let value = *CELL.get_or_init(|| {
            INITS.fetch_add(1, Ordering::Relaxed);
            100 + me as u32
        });
        if CELL.get() == Some(&value) && *LAZY == 7 {
            AGREED.fetch_add(1, Ordering::Relaxed);
        }
    });
    match (INITS.load(Ordering::Relaxed), LAZY_RUNS.load(Ordering::Relaxed)) {
        (1, 1) if AGREED.load(Ordering::Relaxed) == 4 => Ok(()),
        (1, 1) => Err("a thread saw a value other than the one stored"),
        _ => Err("an initialiser ran more than once"),
    }
}

const MEETERS: usize = 4;
const MEETINGS: u32 = 300;
static MEETING: generic::Barrier<Linux> = generic::Barrier::new(MEETERS);
static LEADERS: AtomicU32 = AtomicU32::new(0);
static ARRIVALS: AtomicU32 = AtomicU32::new(0);
static EARLY_LEAVERS: AtomicU32 = AtomicU32::new(0);

/// A `Barrier` of four: nobody leaves a generation before all arrived; one leader each.
fn barrier_generations() -> Result<(), &'static str> {
    on_threads(MEETERS, |_| {
        for meeting in 0..MEETINGS {
            ARRIVALS.fetch_add(1, Ordering::Relaxed);
            if MEETING.wait().is_leader() {
                LEADERS.fetch_add(1, Ordering::Relaxed);
            }
            if ARRIVALS.load(Ordering::Relaxed) < (meeting + 1) * MEETERS as u32 {
                EARLY_LEAVERS.fetch_add(1, Ordering::Relaxed);
            }
            // The second barrier keeps the next generation's arrivals out of this check.
            MEETING.wait();
        }
    });
    match (EARLY_LEAVERS.load(Ordering::Relaxed), LEADERS.load(Ordering::Relaxed)) {
        (0, MEETINGS) => Ok(()),
        (0, _) => Err("a generation had no leader, or two"),
        _ => Err("a thread left a generation before all had arrived"),
    }
}

const PINGS: u32 = 1_000;
static PARKERS: [generic::Parker<Linux>; 2] = [generic::Parker::new(), generic::Parker::new()];
static BALL: AtomicU32 = AtomicU32::new(0);

/// Two threads play ping-pong with `Parker`s: each parks until the other unparks it.
fn parker_ping_pong() -> Result<(), &'static str> {
    on_threads(2, |me| {
        for turn in 0..PINGS {
            // Thread 0 plays the even moves, thread 1 the odd ones.
            let mine = 2 * turn + me as u32;
            while BALL.load(Ordering::Acquire) != mine {
                PARKERS[me].park();
            }
            BALL.store(mine + 1, Ordering::Release);
            PARKERS[1 - me].unpark();
        }
    });
    (BALL.load(Ordering::Relaxed) == 2 * PINGS).then_some(()).ok_or("the ball was dropped")
}

#[unsafe(no_mangle)]
unsafe fn origin_main(_argc: usize, _argv: *mut *mut u8, _envp: *mut *mut u8) -> i32 {
    let scenarios: &[(&str, fn() -> Result<(), &'static str>)] = &[
        ("a token passed around a ring of four origin threads", ring),
        ("broadcast barriers keep generations apart", broadcast_barriers),
        ("a timed wait times out, no earlier than asked", timed_wait_times_out),
        ("a Deadline on the program's own clock expires on time", deadline_expires),
        ("a word freed right after wake_ptr", word_freed_after_wake_ptr),
        ("a contended Mutex counts exactly", mutex_counter),
        ("a Condvar hands numbers over one at a time", condvar_handoff),
        ("Once runs its closure once", once_runs_once),
        ("a Semaphore keeps its permits", semaphore_permits),
        ("a ResetEvent releases every waiter", reset_event_releases_all),
        ("a WaitGroup joins its workers", wait_group_joins),
        ("an RwLock never shows a half-written table", rwlock_no_torn_reads),
        ("OnceLock and LazyLock initialise once", once_lock_and_lazy_lock),
        ("a Barrier keeps its generations whole", barrier_generations),
        ("Parkers play ping-pong", parker_ping_pong),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, scenario) in scenarios {
        match scenario() {
            Ok(()) => {
                passed += 1;
                say!("ok     {name}");
            }
            Err(why) => {
                failed += 1;
                say!("FAILED {name}: {why}");
            }
        }
    }
    say!("{passed} passed, {failed} failed");
    program::exit(if failed == 0 { 0 } else { 1 })
}
