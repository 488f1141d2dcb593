//! The behavioural suite of the one-shot and counting primitives of `portable_futex::sync`
//! (`Once`, `OnceLock`, `LazyLock`, `Semaphore`, `ResetEvent`, `WaitGroup`, `Barrier`,
//! `Parker`), written once in `suite`, generic over the backend, and run by `signals_tests!`
//! on `Linux`, `Counted<Linux>`, `Queue`, a one-bucket `QueueWith`, `Windows` (under Wine),
//! and the hostile adapter (`tests/common/hostile.rs`: spurious returns, wakes of more than
//! asked) over `Linux`, `Queue` and `Windows`. Plus the naming promises: the plain names need
//! no annotation, as locals and in statics.
//!
//! Two backends of the suite's own wrap the one under test to make a race happen on purpose:
//! `RunsAtWake` runs a closure on the waking thread just before a wake goes out (a `WaitGroup`
//! reused between its zero and its waiters' look), and `PanicsOnce` makes one wait panic
//! after it returns (a waiter that unwinds with the wake it absorbed).
//!
//! Every test that waits for another thread runs under `suite::watchdog`, which fails it,
//! naming what it waited for, instead of hanging. Timed waits are checked strictly on their
//! lower bound (a `Timeout` means the time really passed) and loosely on the upper one.

mod common;
#[path = "common/hostile.rs"]
mod hostile;

use portable_futex::backend::queue::{Bucket, ParkEvent, QueueConfig, SpinLock};
use portable_futex::sync::{self, generic};

mod suite {
    use std::cell::{Cell, RefCell};
    use std::marker::PhantomData;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
    use std::sync::{mpsc, Arc, Mutex};
    use std::thread;
    use std::time::{Duration, Instant};

    use portable_futex::sync::generic::{
        Barrier, LazyLock, Once, OnceLock, Parker, ResetEvent, Semaphore, WaitGroup,
    };
    use portable_futex::{FutexBackend, Timeout};

    pub use crate::common::scaled;
    pub use crate::common::watchdog::watchdog;

    /// The panic message of the tests' own panicking closures.
    const EXPECTED_PANIC: &str = "expected panic of an initialiser (the test checks what follows)";

    /// Keeps the expected panics out of the output, so that they are not taken for failures.
    fn silent_panics() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if info.payload().downcast_ref::<&str>() != Some(&EXPECTED_PANIC) {
                    previous(info);
                }
            }));
        });
    }

    fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    }

    /// Asserts that `timed` (a timed wait of `timeout` that nobody answers) reports a timeout
    /// no earlier than asked, and not absurdly late.
    fn times_out_on_time(what: &str, timeout: Duration, timed: impl FnOnce(Duration) -> bool) {
        let start = Instant::now();
        assert!(!timed(timeout), "{what}: succeeded although nobody answered");
        let elapsed = start.elapsed();
        assert!(elapsed >= timeout, "{what}: Timeout after {elapsed:?}, asked for {timeout:?}");
        assert!(elapsed < timeout + crate::common::SLACK, "{what}: {timeout:?} took {elapsed:?}");
    }

    // -----------------------------------------------------------------------------------------
    // Backends that do something at a chosen moment

    std::thread_local! {
        static AT_WAKE: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
    }

    /// Makes the next wake that this thread sends through [`RunsAtWake`] run `f` first (here,
    /// on this thread), and only then go to `B`: what `f` does lands after the waker's change
    /// of the word and before any thread that the wake releases can look.
    fn at_next_wake(f: impl FnOnce() + 'static) {
        AT_WAKE.with(|hook| *hook.borrow_mut() = Some(Box::new(f)));
    }

    /// `B`, with the hook of [`at_next_wake`] in its `wake`.
    pub struct RunsAtWake<B>(PhantomData<fn() -> B>);

    impl<B: FutexBackend> FutexBackend for RunsAtWake<B> {
        fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
            B::wait(futex, expect, timeout)
        }
        fn wake(futex: *const AtomicU32, max_waiters: u32) {
            if let Some(f) = AT_WAKE.with(|hook| hook.borrow_mut().take()) {
                f();
            }
            B::wake(futex, max_waiters)
        }
        fn yield_now() -> bool {
            B::yield_now()
        }
    }

    /// The addresses of the words whose next wait panics when it returns.
    static ARMED: Mutex<Vec<usize>> = Mutex::new(Vec::new());

    /// Makes the next wait on `word` that returns (woken, or spuriously) panic instead, with
    /// [`EXPECTED_PANIC`]: a user's backend or clock that panics in a wait, perhaps after it
    /// absorbed a wake. Only the first such wait panics.
    fn panic_after_next_wait<W>(word: &W) {
        ARMED.lock().unwrap().push(word as *const W as usize);
    }

    /// Forgets an arming of `word` that no wait has used (before the memory is reused).
    fn disarm<W>(word: &W) {
        ARMED.lock().unwrap().retain(|&a| a != word as *const W as usize);
    }

    /// `B`, with the one-shot panics of [`panic_after_next_wait`].
    pub struct PanicsOnce<B>(PhantomData<fn() -> B>);

    impl<B: FutexBackend> FutexBackend for PanicsOnce<B> {
        fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
            let result = B::wait(futex, expect, timeout);
            let address = futex as *const AtomicU32 as usize;
            let armed = {
                let mut armed = ARMED.lock().unwrap();
                let found = armed.iter().position(|&a| a == address);
                found.map(|i| armed.swap_remove(i)).is_some()
            };
            if armed {
                panic!("{}", EXPECTED_PANIC);
            }
            result
        }
        fn wake(futex: *const AtomicU32, max_waiters: u32) {
            B::wake(futex, max_waiters)
        }
        fn yield_now() -> bool {
            B::yield_now()
        }
    }

    // -----------------------------------------------------------------------------------------
    // Once, OnceLock, LazyLock

    /// Many threads race `call_once` (and `call_once_force`) on fresh `Once`s, round after
    /// round: each closure runs exactly once, and every caller sees its write on return.
    pub fn once_runs_exactly_once<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
        watchdog("the threads racing call_once to return", move || {
            for _ in 0..rounds {
                let shared = Arc::new((Once::<B>::new(), AtomicU32::new(0), AtomicU32::new(0)));
                let start = Arc::new(std::sync::Barrier::new(threads));
                let handles: Vec<_> = (0..threads)
                    .map(|i| {
                        let (shared, start) = (shared.clone(), start.clone());
                        thread::spawn(move || {
                            let (once, runs, value) = &*shared;
                            start.wait();
                            let init = || {
                                runs.fetch_add(1, Relaxed);
                                // Give the others time to find it running and queue up.
                                thread::yield_now();
                                value.store(42, Relaxed);
                            };
                            if i % 2 == 0 {
                                once.call_once(init);
                            } else {
                                once.call_once_force(|state| {
                                    assert!(!state.is_poisoned());
                                    init()
                                });
                            }
                            // Relaxed: only the Once's own ordering makes the write visible.
                            assert_eq!(
                                value.load(Relaxed),
                                42,
                                "returned before the closure's write"
                            );
                            assert!(once.is_completed());
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.join().unwrap();
                }
                assert_eq!(shared.1.load(Relaxed), 1, "the closure ran more than once");
            }
        })
    }

    /// A panicking closure poisons the `Once`: `call_once` then panics, `call_once_force` runs
    /// and is told; a thread that was waiting for the panicking runner takes over.
    pub fn once_poisoned_by_panic<B: FutexBackend + 'static>() {
        silent_panics();
        watchdog("the waiter of a panicking Once to take over", || {
            let once = Arc::new(Once::<B>::new());
            let runner_in = Arc::new(AtomicBool::new(false));
            let runner = {
                let (once, runner_in) = (once.clone(), runner_in.clone());
                thread::spawn(move || {
                    once.call_once(|| {
                        runner_in.store(true, SeqCst);
                        thread::sleep(Duration::from_millis(20));
                        panic!("{}", EXPECTED_PANIC);
                    })
                })
            };
            while !runner_in.load(SeqCst) {
                thread::yield_now();
            }
            // We find it running, wait, and then run our own closure on the poisoned Once.
            let mut saw_poison = None;
            once.call_once_force(|state| saw_poison = Some(state.is_poisoned()));
            assert!(runner.join().is_err(), "the runner's panic is its caller's");
            assert_eq!(saw_poison, Some(true), "call_once_force must run, told of the poison");
            assert!(once.is_completed());
            once.call_once(|| panic!("a completed Once runs nothing"));

            let poisoned = Once::<B>::new();
            let first = catch_unwind(AssertUnwindSafe(|| {
                poisoned.call_once(|| panic!("{}", EXPECTED_PANIC))
            }));
            assert!(first.is_err());
            assert!(!poisoned.is_completed());
            assert_eq!(format!("{poisoned:?}"), "Once { state: \"poisoned\" }");
            let second = catch_unwind(AssertUnwindSafe(|| poisoned.call_once(|| {})))
                .expect_err("call_once on a poisoned Once panics");
            assert!(panic_message(&*second).contains("poisoned"), "{}", panic_message(&*second));
            poisoned.call_once_force(|state| assert!(state.is_poisoned()));
            assert!(poisoned.is_completed());
        })
    }

    /// Threads blocked in `wait` and `wait_force` on a `Once` nobody has run are released by
    /// another thread's `call_once` and see its write; on a `Once` whose runner panics, `wait`
    /// panics and `wait_force` sleeps on until a `call_once_force` completes it.
    pub fn once_wait<B: FutexBackend + 'static>(threads: usize) {
        silent_panics();
        watchdog("threads in Once::wait to be released by another thread's call", move || {
            let once = Arc::new(Once::<B>::new());
            let value = Arc::new(AtomicU32::new(0));
            let (tx, rx) = mpsc::channel();
            let waiters: Vec<_> = (0..threads)
                .map(|i| {
                    let (once, value, tx) = (once.clone(), value.clone(), tx.clone());
                    thread::spawn(move || {
                        tx.send(crate::common::thread_id()).unwrap();
                        if i % 2 == 0 {
                            once.wait();
                        } else {
                            once.wait_force();
                        }
                        // Relaxed: only the Once's ordering makes the write visible.
                        assert_eq!(value.load(Relaxed), 7, "returned before the closure's write");
                    })
                })
                .collect();
            let tids: Vec<_> = rx.iter().take(threads).collect();
            crate::common::wait_until_asleep(&tids);
            assert!(!once.is_completed());
            once.call_once(|| value.store(7, Relaxed));
            for waiter in waiters {
                waiter.join().unwrap();
            }
            once.wait();
            once.wait_force();

            // A runner that panics while they wait.
            let once = Arc::new(Once::<B>::new());
            let (tx, rx) = mpsc::channel();
            let (done, finished) = mpsc::channel();
            let waiters: Vec<_> = (0..threads)
                .map(|i| {
                    let (once, value, tx, done) =
                        (once.clone(), value.clone(), tx.clone(), done.clone());
                    thread::spawn(move || {
                        tx.send(crate::common::thread_id()).unwrap();
                        let forced = i % 2 == 1;
                        let waited = catch_unwind(AssertUnwindSafe(|| {
                            if forced {
                                once.wait_force();
                                assert_eq!(value.load(Relaxed), 9, "before the forced closure");
                            } else {
                                once.wait();
                            }
                        }));
                        done.send(forced).unwrap();
                        (forced, waited.map_err(|panic| panic_message(&*panic)))
                    })
                })
                .collect();
            let tids: Vec<_> = rx.iter().take(threads).collect();
            crate::common::wait_until_asleep(&tids);
            let panicking = || once.call_once(|| panic!("{}", EXPECTED_PANIC));
            assert!(catch_unwind(AssertUnwindSafe(panicking)).is_err());
            // The plain waits end (with the poison's panic); the forced ones sleep on.
            let plain = threads.div_ceil(2);
            for _ in 0..plain {
                let forced = finished.recv_timeout(crate::common::SLACK).expect("a wait to end");
                assert!(!forced, "wait_force returned on a poisoned Once");
            }
            thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
            assert!(finished.try_recv().is_err(), "wait_force returned on a poisoned Once");
            once.call_once_force(|state| {
                assert!(state.is_poisoned());
                value.store(9, Relaxed);
            });
            for waiter in waiters {
                match waiter.join().unwrap() {
                    (true, waited) => waited.unwrap(),
                    (false, waited) => {
                        let message = waited.expect_err("wait on a poisoned Once returned");
                        assert!(message.contains("poisoned"), "{message}");
                    }
                }
            }
        })
    }

    /// Counts drops, to check that a `OnceLock` drops its value exactly once.
    struct Counted(Arc<AtomicUsize>, u32);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    /// `get_or_init` under contention: one initialiser runs, everybody gets the same value;
    /// `set` racing it: at most one succeeds; the value is dropped exactly once.
    pub fn once_lock_contention<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
        watchdog("the threads racing get_or_init to return", move || {
            for _ in 0..rounds {
                let drops = Arc::new(AtomicUsize::new(0));
                let shared =
                    Arc::new((OnceLock::<B, Counted>::new(), AtomicU32::new(0), AtomicU32::new(0)));
                let start = Arc::new(std::sync::Barrier::new(threads));
                let handles: Vec<_> = (0..threads)
                    .map(|i| {
                        let (shared, start, drops) = (shared.clone(), start.clone(), drops.clone());
                        thread::spawn(move || {
                            let (cell, inits, sets) = &*shared;
                            start.wait();
                            let value = if i % 3 == 2 {
                                match cell.set(Counted(drops.clone(), 7)) {
                                    Ok(()) => {
                                        sets.fetch_add(1, Relaxed);
                                    }
                                    Err(back) => assert_eq!(back.1, 7),
                                }
                                cell.get().expect("set, by us or another").1
                            } else {
                                cell.get_or_init(|| {
                                    inits.fetch_add(1, Relaxed);
                                    thread::yield_now();
                                    Counted(drops.clone(), 7)
                                })
                                .1
                            };
                            assert_eq!(value, 7);
                            cell.get().unwrap() as *const Counted as usize
                        })
                    })
                    .collect();
                let addresses: Vec<usize> =
                    handles.into_iter().map(|h| h.join().unwrap()).collect();
                assert!(addresses.windows(2).all(|w| w[0] == w[1]), "everybody sees the one value");
                let (inits, sets) = (shared.1.load(Relaxed), shared.2.load(Relaxed));
                assert_eq!(inits + sets, 1, "{inits} initialisers and {sets} sets succeeded");
                // The values given back by failed `set`s have been dropped; the cell's has not.
                let dropped_before = drops.load(SeqCst);
                drop(Arc::try_unwrap(shared).ok().expect("all threads joined"));
                assert_eq!(drops.load(SeqCst), dropped_before + 1, "the cell drops its value once");
            }
        })
    }

    /// A panicking initialiser leaves the cell empty for the next caller; so does a failing
    /// one; `take`, `into_inner`, `get_mut`, `From`, `Clone`, `PartialEq` do what std's do.
    pub fn once_lock_failing_initialisers<B: FutexBackend + 'static>() {
        silent_panics();
        watchdog("a OnceLock initialiser after a panicking one", || {
            let cell = Arc::new(OnceLock::<B, u32>::new());
            let entered = Arc::new(AtomicBool::new(false));
            let panicker = {
                let (cell, entered) = (cell.clone(), entered.clone());
                thread::spawn(move || {
                    cell.get_or_init(|| {
                        entered.store(true, SeqCst);
                        thread::sleep(Duration::from_millis(20));
                        panic!("{}", EXPECTED_PANIC)
                    });
                })
            };
            while !entered.load(SeqCst) {
                thread::yield_now();
            }
            // We wait for the panicking initialiser, then run ours.
            assert_eq!(*cell.get_or_init(|| 5), 5);
            assert!(panicker.join().is_err());

            let cell = OnceLock::<B, u32>::new();
            assert_eq!(cell.get_or_try_init(|| Err::<u32, &str>("no")), Err("no"));
            assert_eq!(cell.get(), None, "a failed initialiser leaves it empty");
            assert_eq!(cell.get_or_try_init(|| Ok::<u32, ()>(3)), Ok(&3));
            assert_eq!(cell.get_or_try_init(|| Err::<u32, ()>(())), Ok(&3));
            assert_eq!(cell.set(4), Err(4));
            assert_eq!(cell.clone(), OnceLock::from(3));
            assert_eq!(format!("{cell:?}"), "OnceLock(3)");
            let mut cell = cell;
            *cell.get_mut().unwrap() += 1;
            assert_eq!(cell.take(), Some(4));
            assert_eq!(cell.get(), None);
            assert_eq!(format!("{cell:?}"), "OnceLock(<uninit>)");
            assert_eq!(cell.set(9), Ok(()));
            assert_eq!(cell.into_inner(), Some(9));
            assert_eq!(OnceLock::<B, u32>::new().into_inner(), None);
        })
    }

    /// Threads blocked in `OnceLock::wait` stay blocked through a panicking and a failing
    /// initialiser on another thread, and are all released, with the value, by one that
    /// succeeds.
    pub fn once_lock_wait<B: FutexBackend + 'static>(threads: usize) {
        silent_panics();
        watchdog("threads in OnceLock::wait to be released by an initialiser", move || {
            let cell = Arc::new(OnceLock::<B, u32>::new());
            let (tx, rx) = mpsc::channel();
            let waiters: Vec<_> = (0..threads)
                .map(|_| {
                    let (cell, tx) = (cell.clone(), tx.clone());
                    thread::spawn(move || {
                        tx.send(crate::common::thread_id()).unwrap();
                        *cell.wait()
                    })
                })
                .collect();
            let tids: Vec<_> = rx.iter().take(threads).collect();
            crate::common::wait_until_asleep(&tids);
            let init = catch_unwind(AssertUnwindSafe(|| {
                cell.get_or_init(|| panic!("{}", EXPECTED_PANIC));
            }));
            assert!(init.is_err());
            assert_eq!(cell.get_or_try_init(|| Err::<u32, ()>(())), Err(()));
            crate::common::wait_until_asleep(&tids);
            assert_eq!(cell.get(), None);
            assert_eq!(*cell.get_or_init(|| 5), 5);
            for waiter in waiters {
                assert_eq!(waiter.join().unwrap(), 5);
            }
            assert_eq!(*cell.wait(), 5, "a full cell: at once");
            assert_eq!(*OnceLock::<B, u32>::from(6).wait(), 6);
        })
    }

    /// `LazyLock`: the initialiser runs once under contention; a panicking one is run again by
    /// the next access; `into_inner`, `force_mut`, `get`.
    pub fn lazy_lock<B: FutexBackend + 'static>(threads: usize) {
        silent_panics();
        watchdog("the threads forcing a LazyLock to return", move || {
            let runs = Arc::new(AtomicU32::new(0));
            let compute = {
                let runs = runs.clone();
                move || {
                    runs.fetch_add(1, SeqCst);
                    thread::yield_now();
                    77
                }
            };
            let lazy = Arc::new(LazyLock::<B, u32, _>::new(compute.clone()));
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let lazy = lazy.clone();
                    thread::spawn(move || **lazy)
                })
                .collect();
            for handle in handles {
                assert_eq!(handle.join().unwrap(), 77);
            }
            assert_eq!(runs.load(SeqCst), 1);

            let attempts = AtomicU32::new(0);
            let flaky = LazyLock::<B, u32, _>::new(|| {
                if attempts.fetch_add(1, SeqCst) == 0 {
                    panic!("{}", EXPECTED_PANIC);
                }
                8
            });
            assert!(catch_unwind(AssertUnwindSafe(|| *flaky)).is_err());
            assert_eq!(LazyLock::get(&flaky), None, "a panicking initialiser leaves it empty");
            assert_eq!(*flaky, 8, "the next access runs the initialiser again");
            assert_eq!(attempts.load(SeqCst), 2);

            let mut lazy = LazyLock::<B, Vec<u32>>::new(Vec::new);
            LazyLock::force_mut(&mut lazy).push(1);
            lazy.push(2); // `DerefMut`
            assert_eq!(LazyLock::into_inner(lazy), Ok(vec![1, 2]));
            let mut lazy = LazyLock::<B, Vec<u32>>::new(|| vec![0]);
            lazy.push(3); // `DerefMut` computes it first
            assert_eq!(*lazy, [0, 3]);
            let untouched = LazyLock::<B, u32, _>::new(compute);
            assert!(LazyLock::into_inner(untouched).is_err());

            // `force_mut` after a panicking initialiser runs it again, as `force` does.
            let attempts = AtomicU32::new(0);
            let mut flaky = LazyLock::<B, u32, _>::new(|| {
                if attempts.fetch_add(1, SeqCst) == 0 {
                    panic!("{}", EXPECTED_PANIC);
                }
                10
            });
            assert!(catch_unwind(AssertUnwindSafe(|| *flaky += 1)).is_err());
            assert_eq!(LazyLock::get(&flaky), None);
            *flaky += 1;
            assert_eq!(*LazyLock::force_mut(&mut flaky), 11);
            assert_eq!(attempts.load(SeqCst), 2);
        })
    }

    /// A `LazyLock` whose initialiser is `Send` but not `Sync` (it keeps its state in a `Cell`)
    /// is shared by threads that race to force it: a first run that panics and a second that
    /// succeeds, each on whichever thread got there, one at a time.
    pub fn lazy_lock_with_a_send_initialiser<B: FutexBackend + 'static>(threads: usize) {
        silent_panics();
        watchdog("the threads forcing a LazyLock with a Send initialiser", move || {
            let attempts = Cell::new(0u32);
            let lazy = LazyLock::<B, u32, _>::new(move || {
                let attempt = attempts.get() + 1;
                attempts.set(attempt);
                thread::yield_now();
                if attempt == 1 {
                    panic!("{}", EXPECTED_PANIC);
                }
                attempt
            });
            // `&lazy` crosses to the threads: `LazyLock` is `Sync` with an `F` that is only
            // `Send`, as std's.
            let results: Vec<Option<u32>> = thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| s.spawn(|| catch_unwind(AssertUnwindSafe(|| *lazy)).ok()))
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert_eq!(results.iter().filter(|r| r.is_none()).count(), 1, "{results:?}");
            assert!(results.iter().flatten().all(|&v| v == 2), "{results:?}");
            assert_eq!(LazyLock::into_inner(lazy).ok(), Some(2));
        })
    }

    // -----------------------------------------------------------------------------------------
    // Semaphore

    /// A storm of acquires (untimed, tried, and timed with tiny timeouts) and releases (one
    /// and several at a time): never more holders than permits, and at the end exactly the
    /// permits we started with.
    pub fn semaphore_permits_conserved<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
        const PERMITS: u32 = 2;
        watchdog("the semaphore storm to finish", move || {
            let shared = Arc::new((Semaphore::<B>::new(PERMITS), AtomicU32::new(0)));
            let timeouts = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (shared, timeouts) = (shared.clone(), timeouts.clone());
                    thread::spawn(move || {
                        let (semaphore, holders) = &*shared;
                        for r in 0..rounds {
                            let mode = (t + r) % 4;
                            let taken = match mode {
                                0 | 1 => {
                                    semaphore.acquire();
                                    true
                                }
                                2 => semaphore.try_acquire(),
                                _ => semaphore.try_acquire_for(Duration::from_micros(20)),
                            };
                            if !taken {
                                if mode == 3 {
                                    timeouts.fetch_add(1, Relaxed);
                                }
                                continue;
                            }
                            let now = holders.fetch_add(1, SeqCst) + 1;
                            assert!(now <= PERMITS, "{now} holders of {PERMITS} permits");
                            if r % 8 == 0 {
                                thread::yield_now();
                            }
                            holders.fetch_sub(1, SeqCst);
                            semaphore.release(1);
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
            let semaphore = &shared.0;
            assert_eq!(semaphore.available_permits(), PERMITS, "permits lost or invented");
            // And all of them can still be taken, no more.
            for _ in 0..PERMITS {
                assert!(semaphore.try_acquire());
            }
            assert!(!semaphore.try_acquire());
        })
    }

    /// Sleepers on an empty semaphore are all released by one `release(n)` and by a stream of
    /// `release(1)`s; a release to nobody keeps its permits.
    pub fn semaphore_release_wakes_sleepers<B: FutexBackend + 'static>(threads: usize) {
        watchdog("acquirers asleep on an empty semaphore to be released", move || {
            for batch in [true, false] {
                let semaphore = Arc::new(Semaphore::<B>::new(0));
                let (tx, rx) = mpsc::channel();
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (semaphore, tx) = (semaphore.clone(), tx.clone());
                        thread::spawn(move || {
                            tx.send(crate::common::thread_id()).unwrap();
                            semaphore.acquire();
                        })
                    })
                    .collect();
                let tids: Vec<_> = rx.iter().take(threads).collect();
                crate::common::wait_until_asleep(&tids);
                if batch {
                    semaphore.release(threads as u32);
                } else {
                    for _ in 0..threads {
                        semaphore.release(1);
                    }
                }
                for handle in handles {
                    handle.join().unwrap();
                }
                assert_eq!(semaphore.available_permits(), 0);
            }
            let semaphore = Semaphore::<B>::new(u32::MAX - 1);
            semaphore.release(5);
            assert_eq!(semaphore.available_permits(), u32::MAX, "the count saturates");
            semaphore.release(0);
        })
    }

    /// Timed acquires of an empty semaphore time out no earlier than asked; one that a release
    /// answers returns `true`, even with a huge timeout.
    pub fn semaphore_timed<B: FutexBackend + 'static>() {
        watchdog("a timed acquire to be answered by a release", || {
            let semaphore = Arc::new(Semaphore::<B>::new(0));
            for millis in [1, 10] {
                times_out_on_time("try_acquire_for", Duration::from_millis(millis), |t| {
                    semaphore.try_acquire_for(t)
                });
            }
            assert!(!semaphore.try_acquire_for(Duration::ZERO));
            let releaser = {
                let semaphore = semaphore.clone();
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(5));
                    semaphore.release(1);
                })
            };
            assert!(semaphore.try_acquire_for(Duration::MAX));
            releaser.join().unwrap();
        })
    }

    /// Two acquirers asleep on an empty semaphore and one `release(1)`: the waiter it wakes
    /// unwinds out of its wait (a backend that panics); the other must get the permit rather
    /// than sleep on beside it.
    pub fn semaphore_unwinding_waiter_passes_its_wake_on<B: FutexBackend + 'static>() {
        silent_panics();
        watchdog("the other acquirer to get the permit an unwinding one was woken for", || {
            let semaphore = Arc::new(Semaphore::<PanicsOnce<B>>::new(0));
            let (tx, rx) = mpsc::channel();
            let (done, finished) = mpsc::channel();
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let (semaphore, tx, done) = (semaphore.clone(), tx.clone(), done.clone());
                    thread::spawn(move || {
                        tx.send(crate::common::thread_id()).unwrap();
                        let acquired = catch_unwind(AssertUnwindSafe(|| semaphore.acquire()));
                        done.send(acquired.is_ok()).unwrap();
                    })
                })
                .collect();
            let tids: Vec<_> = rx.iter().take(2).collect();
            crate::common::wait_until_asleep(&tids);
            // `Semaphore` is `#[repr(C)]` with the permits first: its address is theirs.
            panic_after_next_wait(&*semaphore);
            semaphore.release(1);
            let outcomes: Vec<bool> =
                (0..2).map_while(|_| finished.recv_timeout(crate::common::SLACK).ok()).collect();
            assert_eq!(
                outcomes.len(),
                2,
                "an acquirer still asleep after {:?} (the other unwound): {semaphore:?}",
                crate::common::SLACK
            );
            assert_eq!(outcomes.iter().filter(|&&acquired| acquired).count(), 1, "{outcomes:?}");
            for waiter in waiters {
                waiter.join().unwrap();
            }
            disarm(&*semaphore);
            assert_eq!(semaphore.available_permits(), 0);
        })
    }

    // -----------------------------------------------------------------------------------------
    // ResetEvent

    /// set, wait, reset, is_set on one thread; waiters released by a `set`; timed waits.
    pub fn reset_event_basics<B: FutexBackend + 'static>(threads: usize) {
        watchdog("waiters of a ResetEvent to be released by set", move || {
            let event = Arc::new(ResetEvent::<B>::new());
            assert!(!event.is_set());
            times_out_on_time("wait_timeout", Duration::from_millis(5), |t| {
                event.wait_timeout(t).is_ok()
            });
            assert_eq!(event.wait_timeout(Duration::ZERO), Err(Timeout));
            event.set();
            event.set();
            assert!(event.is_set());
            event.wait();
            assert_eq!(event.wait_timeout(Duration::ZERO), Ok(()));
            event.reset();
            event.reset();
            assert!(!event.is_set());

            let written = Arc::new(AtomicU32::new(0));
            let handles: Vec<_> = (0..threads)
                .map(|i| {
                    let (event, written) = (event.clone(), written.clone());
                    thread::spawn(move || {
                        if i % 2 == 0 {
                            event.wait();
                        } else {
                            assert_eq!(event.wait_timeout(Duration::MAX), Ok(()));
                        }
                        // Relaxed: only the event's ordering makes the write visible.
                        assert_eq!(written.load(Relaxed), 1, "woken before the setter's write");
                    })
                })
                .collect();
            thread::sleep(Duration::from_millis(5));
            written.store(1, Relaxed);
            event.set();
            for handle in handles {
                handle.join().unwrap();
            }
        })
    }

    /// A `set` followed at once by a `reset` releases every thread that was already waiting
    /// (the pulse is not lost), round after round; and a storm of sets and resets racing timed
    /// waits leaves the event consistent.
    pub fn reset_event_set_reset_race<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
        watchdog("waiters of a set-and-reset pulse to be released", move || {
            let event = Arc::new(ResetEvent::<B>::new());
            for _ in 0..rounds {
                let (tx, rx) = mpsc::channel();
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (event, tx) = (event.clone(), tx.clone());
                        thread::spawn(move || {
                            tx.send(crate::common::thread_id()).unwrap();
                            event.wait();
                        })
                    })
                    .collect();
                let tids: Vec<_> = rx.iter().take(threads).collect();
                // Each waiter is inside `wait` (asleep) before the pulse.
                crate::common::wait_until_asleep(&tids);
                event.set();
                event.reset();
                for handle in handles {
                    handle.join().unwrap();
                }
                assert!(!event.is_set());
            }

            let stop = Arc::new(AtomicBool::new(false));
            let toggler = {
                let (event, stop) = (event.clone(), stop.clone());
                thread::spawn(move || {
                    while !stop.load(Relaxed) {
                        event.set();
                        event.reset();
                    }
                    event.set();
                })
            };
            let waiters: Vec<_> = (0..threads)
                .map(|_| {
                    let event = event.clone();
                    thread::spawn(move || {
                        for _ in 0..scaled(200, 5) {
                            let _ = event.wait_timeout(Duration::from_micros(50));
                        }
                        event.wait();
                    })
                })
                .collect();
            thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
            stop.store(true, Relaxed);
            toggler.join().unwrap();
            for waiter in waiters {
                waiter.join().unwrap();
            }
            assert!(event.is_set());
        })
    }

    // -----------------------------------------------------------------------------------------
    // WaitGroup

    /// One group reused round after round by workers that finish in any order, with several
    /// waiters; each round's writes are visible when `wait` returns.
    pub fn wait_group_reused<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
        watchdog("each round's WaitGroup::wait to return", move || {
            let group = Arc::new(WaitGroup::<B>::new());
            let slots: Arc<Vec<AtomicUsize>> =
                Arc::new((0..threads).map(|_| AtomicUsize::new(0)).collect());
            for round in 1..=rounds {
                group.add(threads as u32);
                assert_eq!(group.pending(), threads as u32);
                let workers: Vec<_> = (0..threads)
                    .map(|t| {
                        let (group, slots) = (group.clone(), slots.clone());
                        thread::spawn(move || {
                            if (t + round) % 3 == 0 {
                                thread::yield_now();
                            }
                            slots[t].store(round, Relaxed);
                            if t % 2 == 0 {
                                group.done();
                            } else {
                                group.finish();
                            }
                        })
                    })
                    .collect();
                let second_waiter = {
                    let (group, slots) = (group.clone(), slots.clone());
                    thread::spawn(move || {
                        assert_eq!(group.wait_timeout(Duration::MAX), Ok(()));
                        assert!(slots.iter().all(|s| s.load(Relaxed) == round));
                    })
                };
                group.wait();
                // Relaxed: only the group's ordering makes the workers' writes visible.
                assert!(
                    slots.iter().all(|s| s.load(Relaxed) == round),
                    "a write of round {round} missing"
                );
                assert!(group.is_idle());
                second_waiter.join().unwrap();
                for worker in workers {
                    worker.join().unwrap();
                }
            }
            // Misuse is defined: a `done` with nothing pending is ignored.
            group.done();
            assert_eq!(group.pending(), 0);
            group.start();
            times_out_on_time("WaitGroup::wait_timeout", Duration::from_millis(5), |t| {
                group.wait_timeout(t).is_ok()
            });
            group.add(u32::MAX);
            assert_eq!(group.pending(), WaitGroup::<B>::MAX_PENDING, "the count saturates");
        })
    }

    /// Waiters asleep until a group's count reaches zero, and the next round's `add` landing
    /// between that zero and the waiters' look (it runs just before the zero's wake is sent):
    /// every waiter returns, none sleeps until the next round's zero.
    pub fn wait_group_zero_then_add_at_once<B: FutexBackend + 'static>(threads: usize) {
        watchdog("the waiters of a zero followed at once by an add to return", move || {
            let group = Arc::new(WaitGroup::<RunsAtWake<B>>::new());
            group.add(1);
            let (tx, rx) = mpsc::channel();
            let waiters: Vec<_> = (0..threads)
                .map(|_| {
                    let (group, tx) = (group.clone(), tx.clone());
                    thread::spawn(move || {
                        tx.send(crate::common::thread_id()).unwrap();
                        group.wait_timeout(crate::common::SLACK)
                    })
                })
                .collect();
            let tids: Vec<_> = rx.iter().take(threads).collect();
            crate::common::wait_until_asleep(&tids);
            let next_round = group.clone();
            at_next_wake(move || next_round.add(1));
            group.done();
            let missed =
                waiters.into_iter().map(|w| w.join().unwrap()).filter(|r| r.is_err()).count();
            assert_eq!(missed, 0, "{missed} of {threads} waiters slept through the zero");
            assert_eq!(group.pending(), 1, "the next round's task");
            group.done();
            group.wait();
        })
    }

    // -----------------------------------------------------------------------------------------
    // Barrier

    /// `threads` threads pass a barrier `rounds` times: each generation has exactly one leader,
    /// and nobody leaves a generation before everybody arrived in it (the slots of a
    /// generation all hold it once the barrier is passed).
    pub fn barrier_generations<B: FutexBackend + 'static>(threads: usize, rounds: usize) {
        watchdog("the threads to pass every generation of the barrier", move || {
            let barrier = Arc::new(Barrier::<B>::new(threads));
            // Two sets of slots: generation g writes set g % 2, which generation g + 2 may
            // overwrite only after everybody passed generation g + 1.
            let slots: Arc<[Vec<AtomicUsize>; 2]> = Arc::new([
                (0..threads).map(|_| AtomicUsize::new(usize::MAX)).collect(),
                (0..threads).map(|_| AtomicUsize::new(usize::MAX)).collect(),
            ]);
            let leaders: Arc<Vec<AtomicUsize>> =
                Arc::new((0..rounds).map(|_| AtomicUsize::new(0)).collect());
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (barrier, slots, leaders) =
                        (barrier.clone(), slots.clone(), leaders.clone());
                    thread::spawn(move || {
                        for g in 0..rounds {
                            slots[g % 2][t].store(g, Relaxed);
                            if (t + g) % 5 == 0 {
                                thread::yield_now();
                            }
                            if barrier.wait().is_leader() {
                                leaders[g].fetch_add(1, Relaxed);
                            }
                            for (i, slot) in slots[g % 2].iter().enumerate() {
                                let seen = slot.load(Relaxed);
                                assert_eq!(
                                    seen, g,
                                    "thread {t} left generation {g} before thread {i} arrived"
                                );
                            }
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
            for (g, leaders) in leaders.iter().enumerate() {
                assert_eq!(leaders.load(Relaxed), 1, "generation {g} had not exactly one leader");
            }
            // 0 and 1 let everyone through, each its own leader.
            assert!(Barrier::<B>::new(0).wait().is_leader());
            assert!(Barrier::<B>::new(1).wait().is_leader());
        })
    }

    // -----------------------------------------------------------------------------------------
    // Parker

    /// An `unpark` before the `park` is not lost; tokens do not pile up; timed parks time out
    /// no earlier than asked; an unpark releases a parked thread.
    pub fn parker_tokens<B: FutexBackend + 'static>() {
        watchdog("a parked thread to be unparked", || {
            let parker = Arc::new(Parker::<B>::new());
            parker.unpark();
            parker.park(); // the token was there: returns at once
            parker.unpark();
            parker.unpark();
            assert!(parker.try_park());
            assert!(!parker.try_park(), "two unparks leave one token");
            times_out_on_time("park_timeout", Duration::from_millis(5), |t| {
                parker.park_timeout(t).is_ok()
            });
            assert_eq!(parker.park_timeout(Duration::ZERO), Err(Timeout));

            let written = Arc::new(AtomicU32::new(0));
            let unparker = {
                let (parker, written) = (parker.clone(), written.clone());
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(5));
                    written.store(1, Relaxed);
                    parker.unpark();
                })
            };
            parker.park();
            assert_eq!(written.load(Relaxed), 1, "unparked before the unparker's write");
            unparker.join().unwrap();
            let unparker = {
                let parker = parker.clone();
                thread::spawn(move || parker.unpark())
            };
            assert_eq!(parker.park_timeout(Duration::MAX), Ok(()));
            unparker.join().unwrap();
        })
    }

    /// Two threads hand a turn back and forth through two parkers, `rounds` times; the
    /// unparks race the parks (one may land before, during or after the other's park).
    pub fn parker_ping_pong<B: FutexBackend + 'static>(rounds: usize) {
        watchdog("the parker ping-pong to finish", move || {
            let shared = Arc::new((Parker::<B>::new(), Parker::<B>::new(), AtomicUsize::new(0)));
            let other = {
                let shared = shared.clone();
                thread::spawn(move || {
                    let (ping, pong, turn) = &*shared;
                    for r in 0..rounds {
                        while turn.load(Acquire) != 2 * r + 1 {
                            pong.park();
                        }
                        turn.store(2 * r + 2, Release);
                        ping.unpark();
                    }
                })
            };
            let (ping, pong, turn) = &*shared;
            for r in 0..rounds {
                turn.store(2 * r + 1, Release);
                pong.unpark();
                while turn.load(Acquire) != 2 * r + 2 {
                    // Timed now and then: a timed park that gives up must not keep the token.
                    if r % 3 == 0 {
                        let _ = ping.park_timeout(Duration::from_micros(30));
                    } else {
                        ping.park();
                    }
                }
            }
            other.join().unwrap();
        })
    }

    /// Two threads parked on one parker and one `unpark`: the thread it wakes unwinds out of its
    /// wait (a backend that panics); the other must take the token rather than sleep on
    /// beside it.
    pub fn parker_unwinding_thread_passes_the_token_on<B: FutexBackend + 'static>() {
        silent_panics();
        watchdog("the other parked thread to take the token an unwinding one was woken for", || {
            let parker = Arc::new(Parker::<PanicsOnce<B>>::new());
            let (tx, rx) = mpsc::channel();
            let (done, finished) = mpsc::channel();
            let parked: Vec<_> = (0..2)
                .map(|_| {
                    let (parker, tx, done) = (parker.clone(), tx.clone(), done.clone());
                    thread::spawn(move || {
                        tx.send(crate::common::thread_id()).unwrap();
                        let took = catch_unwind(AssertUnwindSafe(|| parker.park()));
                        done.send(took.is_ok()).unwrap();
                    })
                })
                .collect();
            let tids: Vec<_> = rx.iter().take(2).collect();
            crate::common::wait_until_asleep(&tids);
            // `Parker` is `#[repr(transparent)]` over its word.
            panic_after_next_wait(&*parker);
            parker.unpark();
            let outcomes: Vec<bool> =
                (0..2).map_while(|_| finished.recv_timeout(crate::common::SLACK).ok()).collect();
            assert_eq!(
                outcomes.len(),
                2,
                "a parked thread still asleep after {:?} (the other unwound): {parker:?}",
                crate::common::SLACK
            );
            assert_eq!(outcomes.iter().filter(|&&took| took).count(), 1, "{outcomes:?}");
            for thread in parked {
                thread.join().unwrap();
            }
            disarm(&*parker);
            assert!(!parker.try_park(), "one unpark, one token");
        })
    }
}

/// Every test of `suite` on backend `$backend`.
macro_rules! signals_tests {
    ($backend:ty) => {
        use $crate::suite;
        type B = $backend;
        const T: usize = 4;

        #[test]
        fn once_runs_exactly_once() {
            suite::once_runs_exactly_once::<B>(T * 2, suite::scaled(200, 3));
        }
        #[test]
        fn once_poisoned_by_panic() {
            suite::once_poisoned_by_panic::<B>();
        }
        #[test]
        fn once_wait() {
            suite::once_wait::<B>(T);
        }
        #[test]
        fn once_lock_contention() {
            suite::once_lock_contention::<B>(T * 2, suite::scaled(200, 3));
        }
        #[test]
        fn once_lock_failing_initialisers() {
            suite::once_lock_failing_initialisers::<B>();
        }
        #[test]
        fn once_lock_wait() {
            suite::once_lock_wait::<B>(T);
        }
        #[test]
        fn lazy_lock() {
            suite::lazy_lock::<B>(T);
        }
        #[test]
        fn lazy_lock_with_a_send_initialiser() {
            suite::lazy_lock_with_a_send_initialiser::<B>(T);
        }
        #[test]
        fn semaphore_permits_conserved() {
            suite::semaphore_permits_conserved::<B>(T, suite::scaled(5_000, 30));
        }
        #[test]
        fn semaphore_release_wakes_sleepers() {
            suite::semaphore_release_wakes_sleepers::<B>(T);
        }
        #[test]
        fn semaphore_timed() {
            suite::semaphore_timed::<B>();
        }
        #[test]
        fn semaphore_unwinding_waiter_passes_its_wake_on() {
            suite::semaphore_unwinding_waiter_passes_its_wake_on::<B>();
        }
        #[test]
        fn reset_event_basics() {
            suite::reset_event_basics::<B>(T);
        }
        #[test]
        fn reset_event_set_reset_race() {
            suite::reset_event_set_reset_race::<B>(T, suite::scaled(20, 2));
        }
        #[test]
        fn wait_group_reused() {
            suite::wait_group_reused::<B>(T, suite::scaled(100, 3));
        }
        #[test]
        fn wait_group_zero_then_add_at_once() {
            suite::wait_group_zero_then_add_at_once::<B>(T);
        }
        #[test]
        fn barrier_generations() {
            suite::barrier_generations::<B>(T, suite::scaled(2_000, 10));
        }
        #[test]
        fn parker_tokens() {
            suite::parker_tokens::<B>();
        }
        #[test]
        fn parker_ping_pong() {
            suite::parker_ping_pong::<B>(suite::scaled(5_000, 20));
        }
        #[test]
        fn parker_unwinding_thread_passes_the_token_on() {
            suite::parker_unwinding_thread_passes_the_token_on::<B>();
        }
    };
}

/// Every address in one bucket: all the primitives' words share one queue and one lock.
struct OneBucket;

impl QueueConfig for OneBucket {
    type Lock = SpinLock;
    type Event = ParkEvent;
    fn buckets() -> &'static [Bucket<SpinLock, ParkEvent>] {
        static BUCKETS: [Bucket<SpinLock, ParkEvent>; 1] = Bucket::table();
        &BUCKETS
    }
}

#[cfg(all(feature = "linux", target_os = "linux"))]
mod linux {
    signals_tests!(portable_futex::backend::Linux);
}

#[cfg(all(feature = "linux", target_os = "linux"))]
mod counted_linux {
    signals_tests!(portable_futex::backend::Counted<portable_futex::backend::Linux>);
}

mod queue {
    signals_tests!(portable_futex::backend::Queue);
}

mod one_bucket {
    signals_tests!(portable_futex::backend::QueueWith<super::OneBucket>);
}

#[cfg(all(feature = "linux", target_os = "linux"))]
mod hostile_linux {
    signals_tests!(crate::hostile::Hostile<portable_futex::backend::Linux>);
}

mod hostile_queue {
    signals_tests!(crate::hostile::Hostile<portable_futex::backend::Queue>);
}

#[cfg(all(feature = "windows", windows))]
mod windows {
    signals_tests!(portable_futex::backend::Windows);
}

#[cfg(all(feature = "windows", windows))]
mod hostile_windows {
    signals_tests!(crate::hostile::Hostile<portable_futex::backend::Windows>);
}

/// One thread: what works, and timed waits that sleep out their time. (An untimed wait that
/// nobody can end hangs there, as the backend's docs say, so it is not tried.)
#[cfg(feature = "single-threaded")]
mod single_threaded {
    use std::time::{Duration, Instant};

    use portable_futex::backend::SingleThreaded as B;
    use portable_futex::sync::generic::{
        Barrier, LazyLock, Once, OnceLock, Parker, ResetEvent, Semaphore, WaitGroup,
    };
    use portable_futex::Timeout;

    const SHORT: Duration = Duration::from_millis(2);

    fn times_out(what: &str, timed: impl FnOnce() -> bool) {
        let start = Instant::now();
        assert!(!timed(), "{what}: nobody could answer it");
        assert!(start.elapsed() >= SHORT, "{what}: Timeout after {:?}", start.elapsed());
    }

    #[test]
    fn one_thread() {
        let once = Once::<B>::new();
        once.call_once(|| {});
        assert!(once.is_completed());
        assert_eq!(*OnceLock::<B, u32>::new().get_or_init(|| 1), 1);
        assert_eq!(*LazyLock::<B, u32>::new(|| 2), 2);

        let semaphore = Semaphore::<B>::new(1);
        semaphore.acquire();
        times_out("try_acquire_for", || semaphore.try_acquire_for(SHORT));
        semaphore.release(1);
        semaphore.acquire();

        let event = ResetEvent::<B>::new();
        times_out("ResetEvent::wait_timeout", || event.wait_timeout(SHORT).is_ok());
        event.set();
        event.wait();

        let group = WaitGroup::<B>::new();
        group.wait();
        group.add(1);
        times_out("WaitGroup::wait_timeout", || group.wait_timeout(SHORT).is_ok());
        group.done();
        group.wait();

        let parker = Parker::<B>::new();
        parker.unpark();
        parker.park();
        times_out("park_timeout", || parker.park_timeout(SHORT) == Ok(()));
        assert_eq!(parker.park_timeout(Duration::ZERO), Err(Timeout));

        assert!(Barrier::<B>::new(1).wait().is_leader());
    }
}

/// The plain names need no annotation: `Semaphore::new(2)`, `static O: Once = Once::new();`
/// and the others, as locals and in statics.
#[test]
fn default_names_infer_and_live_in_statics() {
    common::watchdog::watchdog("the default names, in statics and locals, to finish", || {
        static ONCE: sync::Once = sync::Once::new();
        static CELL: sync::OnceLock<Vec<u32>> = sync::OnceLock::new();
        static LAZY: sync::LazyLock<Vec<u32>> = sync::LazyLock::new(|| vec![1, 2]);
        static PERMITS: sync::Semaphore = sync::Semaphore::new(1);
        static EVENT: sync::ResetEvent = sync::ResetEvent::new();
        static GROUP: sync::WaitGroup = sync::WaitGroup::new();
        static MEET: sync::Barrier = sync::Barrier::new(1);
        static TOKEN: sync::Parker = sync::Parker::new();

        ONCE.call_once(|| {});
        assert_eq!(CELL.get_or_init(|| vec![3]), &[3]);
        assert_eq!(LAZY.len(), 2);
        PERMITS.acquire();
        PERMITS.release(1);
        EVENT.set();
        EVENT.wait();
        GROUP.start();
        GROUP.done();
        GROUP.wait();
        assert!(MEET.wait().is_leader());
        TOKEN.unpark();
        TOKEN.park();

        let once = sync::Once::new();
        let cell = sync::OnceLock::new();
        let lazy = sync::LazyLock::new(|| 5u8);
        let permits = sync::Semaphore::new(2);
        let event = sync::ResetEvent::new();
        let group = sync::WaitGroup::new();
        let meet = sync::Barrier::new(1);
        let token = sync::Parker::new();
        once.call_once(|| {});
        assert_eq!(*cell.get_or_init(|| 1u16), 1);
        assert_eq!(*lazy, 5);
        assert!(permits.try_acquire());
        event.set();
        group.add(2);
        group.done();
        group.done();
        group.wait();
        assert!(meet.wait().is_leader());
        token.unpark();
        assert!(token.try_park());
    });
}

/// Compiles only if `$t` is not `Sync`: with `$t: Sync`, both implementations apply and the
/// name of `check` is ambiguous (the negative half of a compile test, without trybuild).
macro_rules! assert_not_sync {
    ($t:ty) => {{
        trait AmbiguousIfSync<A> {
            fn check() {}
        }
        impl<T: ?Sized> AmbiguousIfSync<()> for T {}
        impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
        <$t as AmbiguousIfSync<_>>::check();
    }};
}

/// Any backend by name, in a static too; sizes as documented; `Send` and `Sync` as std's.
#[test]
fn generic_names_sizes_and_traits() {
    common::watchdog::watchdog("the generic names in statics to finish", || {
        use portable_futex::backend::Queue;
        use std::mem::size_of;

        static QUEUED: generic::Semaphore<Queue> = generic::Semaphore::new(1);
        static QUEUED_ONCE: generic::Once<Queue> = generic::Once::new();
        static QUEUED_LAZY: generic::LazyLock<Queue, u32> = generic::LazyLock::new(|| 3);
        assert!(QUEUED.try_acquire());
        QUEUED_ONCE.call_once(|| {});
        assert_eq!(*QUEUED_LAZY, 3);

        assert_eq!(size_of::<sync::Once>(), 4);
        assert_eq!(size_of::<sync::OnceLock<u32>>(), 8);
        assert_eq!(size_of::<sync::Semaphore>(), 8);
        assert_eq!(size_of::<sync::ResetEvent>(), 4);
        assert_eq!(size_of::<sync::WaitGroup>(), 4);
        assert_eq!(size_of::<sync::Barrier>(), 8);
        assert_eq!(size_of::<sync::Parker>(), 4);

        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<sync::Once>();
        send_sync::<sync::OnceLock<u32>>();
        send_sync::<sync::LazyLock<u32>>();
        send_sync::<sync::Semaphore>();
        send_sync::<sync::ResetEvent>();
        send_sync::<sync::WaitGroup>();
        send_sync::<sync::Barrier>();
        send_sync::<sync::Parker>();
        // As std's: a OnceLock of a `Send + !Sync` type is `Send` only.
        send::<sync::OnceLock<std::cell::Cell<u32>>>();
        // As std's: a LazyLock is `Sync` with an initialiser that is `Send` but not `Sync`
        // (only one thread at a time runs it)...
        struct SendOnly(#[allow(dead_code)] std::cell::Cell<u32>);
        send_sync::<sync::LazyLock<u32, SendOnly>>();
        send_sync::<generic::LazyLock<Queue, Vec<u8>, SendOnly>>();
        // ...and not with one that is not `Send`, nor with a value that is not `Sync`.
        assert_not_sync!(sync::LazyLock<u32, std::rc::Rc<u32>>);
        assert_not_sync!(sync::LazyLock<std::cell::Cell<u32>>);
    });
}
