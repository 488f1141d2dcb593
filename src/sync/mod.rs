//! Locks and signals built on the futex, on any backend: [`Mutex`], [`FairMutex`],
//! [`ReentrantMutex`], [`RwLock`], [`Condvar`],
//! [`Once`], [`OnceLock`], [`LazyLock`], [`Semaphore`], [`ResetEvent`], [`WaitGroup`],
//! [`Barrier`], [`Parker`] (feature `sync`, on by default; no std, no heap).
//!
//! | primitive | size | what it is |
//! |---|---|---|
//! | [`Mutex<T>`] / [`generic::Mutex<B, T>`] | one `u32` + `T` | `lock_api::Mutex` over [`RawMutex<B>`]: spins and yields briefly, then sleeps; eventually fair (a sleeper that keeps losing to running threads is handed the lock); `const fn new`; no poisoning |
//! | [`RwLock<T>`] / [`generic::RwLock<B, T>`] | two `u32`s + `T` | `lock_api::RwLock` over [`RawRwLock<B>`]: many readers or one writer, writers preferred, downgrade, upgradable reads (one at a time, beside plain readers) |
//! | [`RecursiveRwLock<T>`] / [`generic::RecursiveRwLock<B, T>`] | two `u32`s + `T` | `lock_api::RwLock` over [`RawRecursiveRwLock<B>`]: readers never wait behind a waiting writer, so a thread may read twice (parking_lot 0.13's) |
//! | [`FairMutex<T>`] / [`generic::FairMutex<B, T>`] | one `u32` + `T` | `lock_api::Mutex` over [`RawFairMutex<B>`]: every unlock hands the mutex to a waiting thread (parking_lot's `FairMutex`) |
//! | [`ReentrantMutex<T>`] / [`generic::ReentrantMutex<B, G, T>`] | a `u32`, a `usize` owner, a count + `T` | `lock_api::ReentrantMutex` over [`RawMutex<B>`]: its holder may lock it again; threads told apart by [`StdThreadId`] (std) or your `lock_api::GetThreadId` |
//! | [`Condvar`] / [`generic::Condvar<B, R>`] | two `u32` and a pointer | `lock_api::Condvar` over [`RawCondvar<B, R>`], for the guards of any `lock_api` raw mutex `R` (ours by default): `wait`, `wait_while`, `wait_for` and friends (std), [`CondvarExt`]'s `wait_by`, `wait_while_by`, `wait_timeout` (any target), `notify_one`, `notify_all` |
//! | [`Once`] / [`generic::Once<B>`] | one `u32` | runs a closure exactly once; poisoned by a panic, `call_once_force` ([`OnceState`]) |
//! | [`OnceLock<T>`] / [`generic::OnceLock<B, T>`] | one `u32` + `T` | a cell written once: `get`, `set`, `get_or_init`, `get_or_try_init`, `take`, `into_inner` |
//! | [`LazyLock<T>`] / [`generic::LazyLock<B, T, F>`] | one `u32` + `T` + `F` | a value computed on first access; a panicking initialiser is run again by the next access |
//! | [`Semaphore`] / [`generic::Semaphore<B>`] | two `u32`s | permits: `acquire`, `try_acquire`, `try_acquire_for`/`_by`, `release(n)` (interrupt-safe) |
//! | [`ResetEvent`] / [`generic::ResetEvent<B>`] | one `u32` | a flag to wait for: `set` (interrupt-safe), `reset`, `is_set`, `wait`, `wait_timeout`/`_by` |
//! | [`WaitGroup`] / [`generic::WaitGroup<B>`] | one `u32` | `add(n)`/`start`, `done`/`finish` (interrupt-safe), `wait`, `wait_timeout`/`_by`; reusable |
//! | [`Barrier`] / [`generic::Barrier<B>`] | two `u32`s | `n` threads meet; one leader per generation ([`BarrierWaitResult`]); reusable |
//! | [`Parker`] / [`generic::Parker<B>`] | one `u32` | a thread's wake-up token: `park`, `park_timeout`/`_by`, `unpark` (interrupt-safe); at most one pending |
//!
//! From async tasks (feature `async`, on by default), on the same objects that threads use:
//! `LockAsync::lock_async` (`Mutex`, `FairMutex`), `RwLockAsync`'s `read_async`,
//! `write_async`, `upgradable_read_async` and `UpgradeAsync::upgrade_async` (`RwLock`),
//! `CondvarAsync`'s `wait_async` and `wait_while_async` (`Condvar`), and `acquire_async`,
//! `wait_async` on `Semaphore`, `ResetEvent`, `WaitGroup`: futures that complete when the
//! blocking call would return, and leave as a timed-out wait does when dropped (the README's
//! "Threads and tasks").
//!
//! "Interrupt-safe": the call never blocks and allocates nothing, so an interrupt handler may
//! make it when the backend's `wake` may be called there too, as `QueueWith` on
//! `CriticalSectionLock` allows (`tests/qemu-cortex-m` does it on Cortex-M0 and M3).
//!
//! The typed layer (guards, mapped guards, `get_mut`, `into_inner`, `try_lock`...) is
//! [`lock_api`]'s, as in `spin` and `parking_lot`, so code written against `lock_api`'s traits
//! runs on these locks; this crate supplies the raw state machines, one file each
//! (`src/sync/mutex.rs`, `rwlock.rs`, `condvar.rs`), where the states of each word, every
//! transition and every memory ordering are argued.
//!
//! # Naming
//!
//! The names at this level are the default backend's ([`DefaultBackend`]), so the common case
//! needs no annotation:
//!
//! ```
//! use portable_futex::sync::{Condvar, Mutex, RwLock};
//!
//! static COUNT: Mutex<u32> = Mutex::new(0);
//! static TABLE: RwLock<[u8; 4]> = RwLock::new([0; 4]);
//!
//! let local = Mutex::new(0); // inferred: no backend to name
//! *local.lock() += 1;
//! *COUNT.lock() += *local.lock();
//! TABLE.write()[0] = 1;
//! assert_eq!(TABLE.read()[0], 1);
//! let _changed = Condvar::new();
//! ```
//!
//! Another backend is named through [`generic`], backend first:
//! `generic::Mutex<backend::Queue, u32>`, `generic::RwLock<B, T>`, `generic::Condvar<B>` and
//! the guards (`generic::MutexGuard<'a, B, T>`...). (A default type parameter on one alias
//! cannot serve both: defaults do not drive inference, so `let m = Mutex::new(0);` would not
//! compile.) The raw locks, [`RawMutex<B>`] and [`RawRwLock<B>`], are public for code that
//! builds its own typed layer.
//!
//! # Your own backend
//!
//! Implement [`FutexBackend`] (two functions, see its docs), and the whole set is yours:
//!
//! ```
//! use core::sync::atomic::AtomicU32;
//! use core::time::Duration;
//! use portable_futex::sync::generic;
//! use portable_futex::{FutexBackend, Timeout};
//!
//! /// Stands in for an RTOS's "block this task on an address".
//! struct MyRtos;
//!
//! impl FutexBackend for MyRtos {
//!     fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) -> Result<(), Timeout> {
//!         std::thread::yield_now(); // a spurious return is always allowed
//!         Ok(())
//!     }
//!     fn wake(_: *const AtomicU32, _: u32) {}
//! }
//!
//! type Mutex<T> = generic::Mutex<MyRtos, T>;
//! type Condvar = generic::Condvar<MyRtos>;
//!
//! static SHARED: Mutex<u32> = Mutex::new(0);
//! static CHANGED: Condvar = Condvar::new();
//! *SHARED.lock() += 1;
//! CHANGED.notify_all();
//! ```
//!
//! With `custom-backend`, a backend installed by `set_backend!` is the [`DefaultBackend`], and
//! the plain names here use it.
//!
//! # Timed locking, with and without std
//!
//! - With `std`: `lock_api`'s timed functions (`try_lock_for`, `try_lock_until`, `try_read_for`,
//!   `try_write_until`...) take a `core::time::Duration` or a `std::time::Instant`, on every
//!   backend (the raw locks implement `RawMutexTimed` and `RawRwLockTimed`, timed by
//!   [`Deadline`] on `StdClock`), and so do `Condvar::wait_for`, `wait_until`,
//!   `wait_while_for` and `wait_while_until` (`RawCondvarTimed`).
//! - Without `std` there is no clock to default to (nor on wasm32-unknown-unknown, where std
//!   has none), so those traits are not implemented. Bring
//!   your [`Clock`](crate::Clock) in a [`Deadline`]: [`generic::try_lock_by`],
//!   [`generic::try_read_by`], [`generic::try_write_by`] and
//!   [`CondvarExt::wait_while_by`] work on any target and any clock (with std too).
//! - [`CondvarExt::wait_timeout`] needs no clock at all (the backend times its one wait), so
//!   it is there everywhere.
//!
//! A timed lock that gives up has really waited its time; one whose time runs out just as the
//! lock frees may still take it and report success.
//!
//! # Coming from std or parking_lot
//!
//! The types here carry std's names and most of std's methods, so code moves over with small
//! edits. The first table lists every place where code written for `std::sync` has to change, or
//! still compiles but does something else, and what to write instead. `m` is a mutex (or
//! rwlock), `g` its guard, `cv` a condvar, `d` a `Duration`, `cond` a `FnMut(&mut T) -> bool`.
//!
//! | std | here | why |
//! |---|---|---|
//! | `m.lock().unwrap()` | `m.lock()` | no poisoning: `lock`, `read` and `write` return the guard itself |
//! | an `.unwrap()` left after `m.lock()` | delete it | usually a compile error (no `unwrap` on the data); if the data is `Copy` and has one, as `Option<u32>`, it compiles and unwraps a copy of the data (example 1) |
//! | `m.try_lock()`: `Err(TryLockError::WouldBlock)` | `m.try_lock()`: `None` | `try_lock`, `try_read`, `try_write` return `Option<guard>` |
//! | `m.into_inner().unwrap()`, `m.get_mut().unwrap()` | `m.into_inner()`, `m.get_mut()` | no poisoning: the value itself |
//! | `is_poisoned()`, `clear_poison()`, `PoisonError::into_inner` | nothing | a panic that unwinds through a guard just unlocks; the next guard sees the data as the panic left it, half-updated perhaps (example 2) |
//! | `catch_unwind(\|\| m.lock().len())` | `catch_unwind(AssertUnwindSafe(\|\| m.lock().len()))` | lock_api's `Mutex` and `RwLock` are not `RefUnwindSafe` (an `UnsafeCell` inside, no impl; std's have one, backed by poisoning) |
//! | `g = cv.wait(g).unwrap()` | `cv.wait(&mut g)` | takes the guard by `&mut`, relocks it in place, returns `()` |
//! | `g = cv.wait_while(g, cond).unwrap()` | `cv.wait_while(&mut g, cond)` | the same |
//! | `let (g, r) = cv.wait_timeout(g, d).unwrap()` | `let r = cv.wait_for(&mut g, d)` | returns only lock_api's `WaitTimeoutResult`; `r.timed_out()` as std's (example 3) |
//! | `let (g, r) = cv.wait_timeout_while(g, d, cond).unwrap()` | `let r = cv.wait_while_for(&mut g, cond, d)` | the condition before the time, as lock_api orders them; needs std's clock; without it, `cv.wait_while_by(&mut g, &mut deadline, cond)` ([`CondvarExt`]) |
//! | a `Condvar` waits with std's `MutexGuard` | `Condvar` with our `Mutex`; `generic::Condvar<B, R>` with any `lock_api` raw mutex `R` | lock_api ties a condvar to its raw mutex type; not a mapped guard |
//! | `LazyLock::new(move \|\| v)` (an `FnOnce`) | `LazyLock::new(move \|\| v.clone())` | the initialiser is `F: Fn`, kept to run again (next row); sharing the `LazyLock` between threads needs `F: Send`, as std's (example 4) |
//! | a panicking initialiser poisons a `LazyLock` for good | nothing | the next access runs the initialiser again (example 4) |
//! | `LazyLock::get_mut(&mut lazy)` | `LazyLock::force_mut(&mut lazy)` to initialise, `LazyLock::get` to look | no `get_mut` yet |
//! | `let c = OnceLock::new(); let s = ..; c.set(&s)` | `let s = ..; let c = OnceLock::new(); c.set(&s)` | what a `OnceLock` borrows must still live when it is dropped: our `Drop` is a plain one, std's uses `#[may_dangle]` (nightly-only) (example 5) |
//! | a read guard of `RwLock<&'static str>` passed as one of `&'a str` | `RwLockReadGuard::map(g, \|s\| s)`, a [`MappedRwLockReadGuard`] | lock_api's read guard is invariant in `T` (std's is covariant); its own lifetime shortens as usual (example 6) |
//!
//! Unlike std, the mutexes' and rwlocks' guards are `Send` (their raw guards are `GuardSend`:
//! the futex locks record no owner, and a task that holds one across an `.await` may resume on
//! another thread); through lock_api 0.4's traits they are not, as std's. The same as std: guards are `Sync`
//! when `T: Sync`; `Mutex`, `RwLock` and `OnceLock` are `Send` and `Sync` under
//! std's bounds; `new` is a `const fn` for each type std also has, so all of them fit in
//! statics; `RwLockWriteGuard::downgrade(g)`; a thread that locks a mutex it holds deadlocks
//! (std: deadlock or panic). [`Once`] is poisoned by a panicking closure: `call_once` then
//! panics and `call_once_force` gets a `&`[`OnceState`] with `is_poisoned()`. `Once::wait`,
//! `Once::wait_force`, `OnceLock::wait`, `LazyLock::force_mut` and `*lazy = ..` (`DerefMut`)
//! are as std's. `Barrier::wait` returns a [`BarrierWaitResult`] whose `is_leader()` is true
//! for one thread of each generation (here the last to arrive; std does not say which).
//!
//! More than std: the guards' `map` and `try_map`, `MutexGuard::unlocked`, `try_lock_for` and the
//! other timed locks (see above), `OnceLock::get_or_try_init` and `LazyLock::into_inner` (std has
//! them on nightly only), and [`Semaphore`], [`ResetEvent`], [`WaitGroup`], [`Parker`].
//!
//! Example 1: the guard derefs to the data, so a leftover `.unwrap()` finds the data's own
//! `unwrap`, if it has one:
//!
//! ```
//! use portable_futex::sync::Mutex;
//!
//! let list = Mutex::new(vec![1]);
//! list.lock().push(2); // std: list.lock().unwrap().push(2)
//!
//! let slot: Mutex<Option<u32>> = Mutex::new(Some(3));
//! let three: u32 = slot.lock().unwrap(); // compiles: `Option::unwrap` on a copy of the data
//! assert_eq!(three, 3);
//! *slot.lock() = None; // std: *slot.lock().unwrap() = None
//! assert!(slot.lock().is_none()); // now `slot.lock().unwrap()` would panic
//! ```
//!
//! With data that has no `unwrap`, the leftover is an error:
//!
//! ```compile_fail,E0599
//! use portable_futex::sync::Mutex;
//!
//! let list = Mutex::new(vec![1]);
//! list.lock().unwrap().push(2); // no method named `unwrap` on the guard or the `Vec`
//! ```
//!
//! Example 2: a panic with the lock held leaves it unlocked, not poisoned; `catch_unwind` wants
//! the closure wrapped, since `&Mutex` is not `UnwindSafe`:
//!
//! ```
//! use std::panic::{self, AssertUnwindSafe};
//! use portable_futex::sync::Mutex;
//!
//! let list = Mutex::new(vec![1, 2]);
//! let result = panic::catch_unwind(AssertUnwindSafe(|| {
//!     let mut list = list.lock();
//!     list.push(3);
//!     panic!("before the update is finished");
//! }));
//! assert!(result.is_err());
//! assert_eq!(*list.lock(), [1, 2, 3]); // no poisoning: the data as the panic left it
//! ```
//!
//! ```compile_fail,E0277
//! use portable_futex::sync::Mutex;
//!
//! let list = Mutex::new(vec![1, 2]);
//! let _ = std::panic::catch_unwind(|| list.lock().len()); // `&Mutex` is not `UnwindSafe`
//! ```
//!
//! Example 3: the condvar keeps your guard where it is:
//!
//! ```
//! use core::time::Duration;
//! use portable_futex::sync::{Condvar, Mutex};
//!
//! let ready = Mutex::new(false);
//! let changed = Condvar::new();
//! let mut guard = ready.lock();
//! // std: let (guard, result) = changed.wait_timeout_while(guard, d, |r| !*r).unwrap();
//! let result = changed.wait_while_for(&mut guard, |ready| !*ready, Duration::from_millis(1));
//! assert!(result.timed_out()); // nobody set it
//! assert!(!*guard); // still locked, still ours
//! ```
//!
//! Example 4: a `LazyLock` whose initialiser panicked tries again; the initialiser must be callable
//! more than once:
//!
//! ```
//! use std::panic;
//! use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
//! use portable_futex::sync::LazyLock;
//!
//! static TRIES: AtomicU32 = AtomicU32::new(0);
//! static VALUE: LazyLock<u32> = LazyLock::new(|| match TRIES.fetch_add(1, Relaxed) {
//!     0 => panic!("the first try fails"),
//!     _ => 7,
//! });
//!
//! assert!(panic::catch_unwind(|| *VALUE).is_err());
//! assert_eq!(*VALUE, 7); // std's would panic here: poisoned
//!
//! let names = vec![String::from("a")];
//! let lazy = LazyLock::new(move || names.clone()); // std: `move || names`
//! assert_eq!(lazy.len(), 1);
//! ```
//!
//! ```compile_fail,E0525
//! use portable_futex::sync::LazyLock;
//!
//! let names = vec![String::from("a")];
//! let lazy = LazyLock::new(move || names); // only `FnOnce`: it gives `names` away
//! assert_eq!(lazy.len(), 1);
//! ```
//!
//! Example 5: declare what a `OnceLock` borrows before the `OnceLock`:
//!
//! ```
//! use portable_futex::sync::OnceLock;
//!
//! let name = String::from("a");
//! let cell = OnceLock::new();
//! cell.set(name.as_str()).unwrap();
//! ```
//!
//! ```compile_fail,E0597
//! use portable_futex::sync::OnceLock;
//!
//! let cell = OnceLock::new();
//! let name = String::from("a"); // dropped before `cell`, whose `Drop` could still see it
//! cell.set(name.as_str()).unwrap();
//! ```
//!
//! Example 6: a mapped read guard is covariant, so mapping to the whole value lets the data's
//! lifetime shrink:
//!
//! ```
//! use portable_futex::sync::{MappedRwLockReadGuard, RwLockReadGuard};
//!
//! fn shorten<'g, 'a>(g: RwLockReadGuard<'g, &'static str>) -> MappedRwLockReadGuard<'g, &'a str>
//! where
//!     'a: 'g,
//! {
//!     RwLockReadGuard::map(g, |s| s)
//! }
//! # let lock = portable_futex::sync::RwLock::new("std");
//! # assert_eq!(*shorten(lock.read()), "std");
//! ```
//!
//! ```compile_fail
//! use portable_futex::sync::RwLockReadGuard;
//!
//! fn shorten<'g, 'a>(g: RwLockReadGuard<'g, &'static str>) -> RwLockReadGuard<'g, &'a str>
//! where
//!     'a: 'g,
//! {
//!     g // compiles with std's guard
//! }
//! ```
//!
//! ## From parking_lot
//!
//! parking_lot 0.13's `Mutex<T>` and ours are both lock_api 0.5's `Mutex<_, T>`, and so on for
//! the other locks: the guards and their methods are the same code, and each method is there
//! when the raw lock implements the `lock_api` trait it needs. Ours implement, on every
//! backend: `RawMutex`, `RawMutexFair` (`unlock_fair`, `unlocked_fair`, `bump`), `RawRwLock`,
//! `RawRwLockDowngrade`, `RawRwLockFair`, `RawRwLockUpgrade`, `RawRwLockUpgradeDowngrade`,
//! `RawRwLockUpgradeFair`, `RawCondvar`, `GetThreadId` ([`StdThreadId`], std); and with std
//! (not on wasm32-unknown-unknown) the timed `RawMutexTimed`, `RawRwLockTimed`,
//! `RawRwLockUpgradeTimed`, `RawCondvarTimed`. So code written for parking_lot's types
//! compiles against ours with the names changed, but for:
//!
//! | parking_lot | here | why |
//! |---|---|---|
//! | `RwLockWriteGuard::unlock_fair` with only readers waiting | the same call, a plain unlock there | the rwlock hands over only to a writer registered to sleep; readers woken by it compete with arrivals |
//! | `RecursiveRwLock<T>`, `read()` while holding a read | [`RecursiveRwLock<T>`] (and lock_api 0.4's `read_recursive()` under `lock_api_04`) | the same split as parking_lot 0.13: a plain `RwLock`'s readers queue behind a waiting writer, so a second `read()` on one thread can deadlock there |
//! | `cv.notify_one()`: `true` if it woke a waiter, `notify_all()`: the count | always `false` and `0` | our waits may return spuriously, and lock_api then prescribes `false`/`0` ([`RawCondvar`]'s docs) |
//! | `call_once_force(\|s\| s.poisoned())` (`OnceState` by value), `once.state()` | `call_once_force(\|s\| s.is_poisoned())` (a `&OnceState`, std's), `once.state()` returning [`OnceStatus`] (`New`, `Poisoned`, `InProgress`, `Done`) | our `Once` is std's; parking_lot's state enum is here under another name |
//! | `ReentrantMutex<T>` (`RawThreadId`) | [`ReentrantMutex<T>`] ([`StdThreadId`]); without std, `generic::ReentrantMutex<B, G, T>` with your `G` | |
//! | `const_mutex(v)`, `const_rwlock(v)` | `Mutex::new(v)`, `RwLock::new(v)` | `new` is `const` |
//! | feature `send_guard` | none | guards are never `Send`, as std's |
//! | features `arc_lock` (`lock_arc`), `serde`, `owning_ref` | ours of the same names | they turn on lock_api's |
//! | feature `deadlock_detection` | none | |
//!
//! Code still on lock_api 0.4 (parking_lot 0.12's types, a crate's own `lock_api::Mutex<R,
//! T>`): the feature `lock_api_04` implements lock_api 0.4's traits on the same raw locks,
//! `RawRwLockRecursive` and its timed form included; that lock_api is re-exported as
//! `sync::lock_api_04`.
//!
//! # `SingleThreaded`
//!
//! With one thread, a lock that is already held can never be released while we wait, and a
//! condition variable can never be notified (unless a signal or interrupt handler does it).
//! `lock()` of a held mutex, `write()` of a held rwlock or `Condvar::wait` with nobody to
//! notify is then the program's deadlock: after its short spin, the lock makes the untimed wait
//! of `backend::SingleThreaded`, which with std sleeps without end (re-checking the word now
//! and then, for a handler) and without std returns at once, so the lock spins forever. The
//! locks never turn that into a panic themselves; if a backend does panic in a wait, the
//! unwind leaves them consistent (a mutex waiter takes its registration back). The timed forms
//! end: with std they sleep out their time and report a timeout; without std, give them a
//! [`Deadline`] on your clock (`generic::try_lock_by`).
//!
//! # In memory shared between processes
//!
//! On [`backend::Shared<B>`](crate::backend::Shared) (the target's is
//! [`DefaultSharedBackend`](crate::DefaultSharedBackend)) the locks work across processes that
//! map the same memory. `RawMutex`, `RawRwLock`, `Condvar`, `Semaphore`, `ResetEvent`,
//! `WaitGroup` and `Once` have a fixed layout whatever the backend (`#[repr(transparent)]`
//! over one `u32`, or `#[repr(C)]` over two) and all-zero bytes are their `new()` (for
//! `Semaphore`, `new(0)`), so a fresh zero-filled mapping holds ready ones; the README's
//! "Across processes" lists sizes and what does not cross (a process that dies holding a lock
//! leaves it held).
//!
//! # Targets without compare-and-swap
//!
//! thumbv6m, riscv32imc and other targets that load and store atomically but cannot
//! compare-and-swap build the locks with the `critical-section` feature: every
//! read-modify-write of a lock word is then a load and a store inside one critical section.
//!
//! # Conventions for primitives added here
//!
//! Each primitive is one file in `src/sync/`, a raw state machine over one or two words
//! (`word::Word`, which is `core`'s `AtomicU32`, a critical-section word on targets without
//! compare-and-swap, or loom's in the models), and reads the same way:
//!
//! - the states of each word as named `const`s, each with a comment; a table of values;
//! - each transition listed with its ordering, and why no wake is lost, in the module docs;
//! - the fast path `#[inline]`, the slow path `#[cold]`, generic over `word::Sleep` (sleep
//!   forever on backend `B`, or until a [`Deadline`]) so the timed forms share it;
//! - a short wait before sleeping, where one pays: the shared `word::Backoff` (doubling
//!   spins, then the backend's `yield_now`), explained where it is defined;
//! - `const fn new` (a `fn` under `cfg(all(loom, test))`, where atomics are not const);
//! - the size checked by a `const` assertion below; `Send`/`Sync` as std's counterpart;
//! - a loom model in `src/sync/loom_tests.rs` (the futex stand-in is `word::loom_futex`;
//!   test names contain `loom`), the behavioural suite in `tests/sync_suite/` run on every
//!   backend by `tests/sync.rs`, including the hostile adapter of `tests/common/hostile.rs`
//!   (spurious returns, wakes of more than asked), with a watchdog on every test that waits.
//!
//! [`DefaultBackend`]: crate::DefaultBackend
//! [`FutexBackend`]: crate::FutexBackend
//! [`Deadline`]: crate::Deadline
//! [`lock_api`]: https://docs.rs/lock_api

mod condvar;
#[cfg(all(feature = "async", not(all(loom, test))))]
mod condvar_async;
#[cfg(not(all(loom, test)))]
mod fair_mutex;
#[cfg(all(feature = "lock_api_04", not(all(loom, test))))]
mod lock_api_v04;
#[cfg(all(feature = "async", not(all(loom, test))))]
mod lock_async;
mod mutex;
#[cfg(not(all(loom, test)))]
mod recursive_rwlock;
#[cfg(all(feature = "std", not(all(loom, test))))]
mod reentrant_mutex;
mod rwlock;
#[cfg(all(feature = "async", not(all(loom, test))))]
mod rwlock_async;
// One-shot and counting primitives (see the table above).
#[cfg(not(all(loom, test)))]
mod barrier;
#[cfg(not(all(loom, test)))]
mod lazy_lock;
mod once;
#[cfg(not(all(loom, test)))]
mod once_lock;
mod parker;
mod reset_event;
mod semaphore;
#[cfg(not(all(loom, test)))]
mod wait_group;
pub(crate) mod word;

#[cfg(all(loom, test))]
mod loom_signals;
#[cfg(all(loom, test))]
mod loom_tests;

/// lock_api 0.4, whose traits the raw locks also implement (feature `lock_api_04`).
#[cfg(feature = "lock_api_04")]
pub use ::lock_api_04;
pub use lock_api;

#[cfg(not(all(loom, test)))]
pub use self::barrier::BarrierWaitResult;
#[cfg(not(all(loom, test)))]
pub use self::condvar::CondvarExt;
pub use self::condvar::{RawCondvar, WaitTimeoutResult};
#[cfg(all(feature = "async", not(all(loom, test))))]
pub use self::condvar_async::CondvarAsync;
#[cfg(not(all(loom, test)))]
pub use self::fair_mutex::RawFairMutex;
#[cfg(all(feature = "async", not(all(loom, test))))]
pub use self::lock_async::{LockAsync, RawMutexAsync};
pub use self::mutex::RawMutex;
pub use self::once::{OnceState, OnceStatus};
#[cfg(not(all(loom, test)))]
pub use self::recursive_rwlock::RawRecursiveRwLock;
#[cfg(all(feature = "std", not(all(loom, test))))]
pub use self::reentrant_mutex::StdThreadId;
pub use self::rwlock::RawRwLock;
#[cfg(all(feature = "async", not(all(loom, test))))]
pub use self::rwlock_async::{RwLockAsync, UpgradeAsync};

use crate::DefaultBackend;

/// A mutual-exclusion lock on the default backend: `Mutex::new(value)`, in a `static` too.
/// [`generic::Mutex<B, T>`] names another backend.
pub type Mutex<T> = lock_api::Mutex<RawMutex<DefaultBackend>, T>;
/// The guard of a locked [`Mutex`]: the lock is released when it is dropped.
pub type MutexGuard<'a, T> = lock_api::MutexGuard<'a, RawMutex<DefaultBackend>, T>;
/// A [`MutexGuard`] mapped to a part of the data (`MutexGuard::map`).
pub type MappedMutexGuard<'a, T> = lock_api::MappedMutexGuard<'a, RawMutex<DefaultBackend>, T>;

/// A mutex that hands itself to a waiting thread at every unlock, on the default backend:
/// `FairMutex::new(value)`. [`generic::FairMutex<B, T>`] names another backend.
#[cfg(not(all(loom, test)))]
pub type FairMutex<T> = generic::FairMutex<DefaultBackend, T>;
/// The guard of a locked [`FairMutex`].
#[cfg(not(all(loom, test)))]
pub type FairMutexGuard<'a, T> = generic::FairMutexGuard<'a, DefaultBackend, T>;
/// A [`FairMutexGuard`] mapped to a part of the data.
#[cfg(not(all(loom, test)))]
pub type MappedFairMutexGuard<'a, T> = generic::MappedFairMutexGuard<'a, DefaultBackend, T>;

/// A mutex its holder may lock again, on the default backend, for std's threads
/// ([`StdThreadId`]): `ReentrantMutex::new(value)`; its guards give `&T` only.
/// [`generic::ReentrantMutex<B, G, T>`] names another backend, or your own thread identity
/// (without std).
#[cfg(all(feature = "std", not(all(loom, test))))]
pub type ReentrantMutex<T> = generic::ReentrantMutex<DefaultBackend, StdThreadId, T>;
/// The guard of a locked [`ReentrantMutex`].
#[cfg(all(feature = "std", not(all(loom, test))))]
pub type ReentrantMutexGuard<'a, T> =
    generic::ReentrantMutexGuard<'a, DefaultBackend, StdThreadId, T>;
/// A [`ReentrantMutexGuard`] mapped to a part of the data.
#[cfg(all(feature = "std", not(all(loom, test))))]
pub type MappedReentrantMutexGuard<'a, T> =
    generic::MappedReentrantMutexGuard<'a, DefaultBackend, StdThreadId, T>;

/// A reader-writer lock on the default backend: `RwLock::new(value)`, in a `static` too.
/// [`generic::RwLock<B, T>`] names another backend.
pub type RwLock<T> = lock_api::RwLock<RawRwLock<DefaultBackend>, T>;
/// The guard of a read-locked [`RwLock`].
pub type RwLockReadGuard<'a, T> = lock_api::RwLockReadGuard<'a, RawRwLock<DefaultBackend>, T>;
/// The guard of a write-locked [`RwLock`].
pub type RwLockWriteGuard<'a, T> = lock_api::RwLockWriteGuard<'a, RawRwLock<DefaultBackend>, T>;
/// An [`RwLockReadGuard`] mapped to a part of the data.
pub type MappedRwLockReadGuard<'a, T> =
    lock_api::MappedRwLockReadGuard<'a, RawRwLock<DefaultBackend>, T>;
/// An [`RwLockWriteGuard`] mapped to a part of the data.
pub type MappedRwLockWriteGuard<'a, T> =
    lock_api::MappedRwLockWriteGuard<'a, RawRwLock<DefaultBackend>, T>;

/// A reader-writer lock whose readers never wait behind a waiting writer, so that a thread
/// may read it twice, on the default backend: `RecursiveRwLock::new(value)` (parking_lot
/// 0.13's `RecursiveRwLock`). [`generic::RecursiveRwLock<B, T>`] names another backend.
#[cfg(not(all(loom, test)))]
pub type RecursiveRwLock<T> = generic::RecursiveRwLock<DefaultBackend, T>;
/// The guard of a read-locked [`RecursiveRwLock`].
#[cfg(not(all(loom, test)))]
pub type RecursiveRwLockReadGuard<'a, T> = generic::RecursiveRwLockReadGuard<'a, DefaultBackend, T>;
/// The guard of a write-locked [`RecursiveRwLock`].
#[cfg(not(all(loom, test)))]
pub type RecursiveRwLockWriteGuard<'a, T> =
    generic::RecursiveRwLockWriteGuard<'a, DefaultBackend, T>;

/// A condition variable for [`Mutex`], on the default backend: `Condvar::new()`, in a `static`
/// too. `lock_api`'s `Condvar` over [`RawCondvar`]: no spurious wake-ups, so `notify_one` and
/// `notify_all` report exactly how many waiters they notified. [`generic::Condvar<B, R>`] names
/// another backend or another raw mutex.
pub type Condvar = generic::Condvar<DefaultBackend>;

/// Runs a closure exactly once, on the default backend: `static INIT: Once = Once::new();`.
/// [`generic::Once<B>`] names another backend.
pub type Once = generic::Once<DefaultBackend>;
/// A cell written once, on the default backend: `OnceLock::new()`, in a `static` too.
/// [`generic::OnceLock<B, T>`] names another backend.
#[cfg(not(all(loom, test)))]
pub type OnceLock<T> = generic::OnceLock<DefaultBackend, T>;
/// A value computed on first access, on the default backend:
/// `static V: LazyLock<T> = LazyLock::new(|| ...);`. [`generic::LazyLock<B, T, F>`] names
/// another backend.
#[cfg(not(all(loom, test)))]
pub type LazyLock<T, F = fn() -> T> = generic::LazyLock<DefaultBackend, T, F>;
/// A counting semaphore on the default backend: `Semaphore::new(2)`.
/// [`generic::Semaphore<B>`] names another backend.
pub type Semaphore = generic::Semaphore<DefaultBackend>;
/// A flag threads wait for, on the default backend: `ResetEvent::new()`.
/// [`generic::ResetEvent<B>`] names another backend.
pub type ResetEvent = generic::ResetEvent<DefaultBackend>;
/// Waits for a group of tasks, on the default backend: `WaitGroup::new()`.
/// [`generic::WaitGroup<B>`] names another backend.
#[cfg(not(all(loom, test)))]
pub type WaitGroup = generic::WaitGroup<DefaultBackend>;
/// `n` threads meet, generation after generation, on the default backend: `Barrier::new(4)`.
/// [`generic::Barrier<B>`] names another backend.
#[cfg(not(all(loom, test)))]
pub type Barrier = generic::Barrier<DefaultBackend>;
/// A wake-up token for one thread, on the default backend: `Parker::new()`.
/// [`generic::Parker<B>`] names another backend.
pub type Parker = generic::Parker<DefaultBackend>;

/// The same locks on any backend `B`, named backend first: `generic::Mutex<backend::Queue, T>`.
pub mod generic {
    #[cfg(not(all(loom, test)))]
    pub use super::barrier::Barrier;
    #[cfg(not(all(loom, test)))]
    pub use super::lazy_lock::LazyLock;
    pub use super::once::Once;
    #[cfg(not(all(loom, test)))]
    pub use super::once_lock::OnceLock;
    pub use super::parker::Parker;
    pub use super::reset_event::ResetEvent;
    pub use super::semaphore::Semaphore;
    #[cfg(not(all(loom, test)))]
    pub use super::wait_group::WaitGroup;
    use super::{lock_api, RawMutex, RawRwLock};
    #[cfg(not(all(loom, test)))]
    use crate::{Clock, Deadline, FutexBackend};

    /// A condition variable that sleeps through backend `B`, for the guards of raw mutex `R`
    /// (by default [`Mutex<B, T>`]'s; any `lock_api::RawMutex` works, another backend's or
    /// another crate's).
    pub type Condvar<B, R = RawMutex<B>> = lock_api::Condvar<super::RawCondvar<B, R>>;

    /// A mutual-exclusion lock that sleeps through backend `B`.
    pub type Mutex<B, T> = lock_api::Mutex<RawMutex<B>, T>;
    /// The guard of a locked [`Mutex`].
    pub type MutexGuard<'a, B, T> = lock_api::MutexGuard<'a, RawMutex<B>, T>;
    /// A [`MutexGuard`] mapped to a part of the data.
    pub type MappedMutexGuard<'a, B, T> = lock_api::MappedMutexGuard<'a, RawMutex<B>, T>;

    /// A mutex that sleeps through backend `B` and hands itself to a waiting thread at every
    /// unlock ([`RawFairMutex<B>`](super::RawFairMutex)).
    #[cfg(not(all(loom, test)))]
    pub type FairMutex<B, T> = lock_api::Mutex<super::RawFairMutex<B>, T>;
    /// The guard of a locked [`FairMutex`].
    #[cfg(not(all(loom, test)))]
    pub type FairMutexGuard<'a, B, T> = lock_api::MutexGuard<'a, super::RawFairMutex<B>, T>;
    /// A [`FairMutexGuard`] mapped to a part of the data.
    #[cfg(not(all(loom, test)))]
    pub type MappedFairMutexGuard<'a, B, T> =
        lock_api::MappedMutexGuard<'a, super::RawFairMutex<B>, T>;

    /// A mutex its holder may lock again, sleeping through backend `B`, that tells threads
    /// apart by `G` (`sync::StdThreadId` with std, or your own `lock_api::GetThreadId`).
    pub type ReentrantMutex<B, G, T> = lock_api::ReentrantMutex<RawMutex<B>, G, T>;
    /// The guard of a locked [`ReentrantMutex`].
    pub type ReentrantMutexGuard<'a, B, G, T> =
        lock_api::ReentrantMutexGuard<'a, RawMutex<B>, G, T>;
    /// A [`ReentrantMutexGuard`] mapped to a part of the data.
    pub type MappedReentrantMutexGuard<'a, B, G, T> =
        lock_api::MappedReentrantMutexGuard<'a, RawMutex<B>, G, T>;

    /// A reader-writer lock that sleeps through backend `B`.
    pub type RwLock<B, T> = lock_api::RwLock<RawRwLock<B>, T>;
    /// A reader-writer lock that sleeps through backend `B`, whose readers never wait behind
    /// a waiting writer ([`RawRecursiveRwLock<B>`](super::RawRecursiveRwLock)).
    #[cfg(not(all(loom, test)))]
    pub type RecursiveRwLock<B, T> = lock_api::RwLock<super::RawRecursiveRwLock<B>, T>;
    /// The guard of a read-locked [`RecursiveRwLock`].
    #[cfg(not(all(loom, test)))]
    pub type RecursiveRwLockReadGuard<'a, B, T> =
        lock_api::RwLockReadGuard<'a, super::RawRecursiveRwLock<B>, T>;
    /// The guard of a write-locked [`RecursiveRwLock`].
    #[cfg(not(all(loom, test)))]
    pub type RecursiveRwLockWriteGuard<'a, B, T> =
        lock_api::RwLockWriteGuard<'a, super::RawRecursiveRwLock<B>, T>;
    /// The guard of a read-locked [`RwLock`].
    pub type RwLockReadGuard<'a, B, T> = lock_api::RwLockReadGuard<'a, RawRwLock<B>, T>;
    /// The guard of a write-locked [`RwLock`].
    pub type RwLockWriteGuard<'a, B, T> = lock_api::RwLockWriteGuard<'a, RawRwLock<B>, T>;
    /// An [`RwLockReadGuard`] mapped to a part of the data.
    pub type MappedRwLockReadGuard<'a, B, T> = lock_api::MappedRwLockReadGuard<'a, RawRwLock<B>, T>;
    /// An [`RwLockWriteGuard`] mapped to a part of the data.
    pub type MappedRwLockWriteGuard<'a, B, T> =
        lock_api::MappedRwLockWriteGuard<'a, RawRwLock<B>, T>;

    #[cfg(not(all(loom, test)))]
    pub use self::timed::*;

    #[cfg(not(all(loom, test)))]
    mod timed {
        use super::*;

        /// Locks `mutex` unless `deadline` passes first, on any [`Clock`]: the timed lock of
        /// targets without std (with std, `mutex.try_lock_for(duration)` is simpler).
        ///
        /// ```
        /// use core::time::Duration;
        /// use portable_futex::sync::generic::{self, Mutex};
        /// use portable_futex::{DefaultBackend, Deadline, StdClock};
        ///
        /// let mutex: Mutex<DefaultBackend, u32> = Mutex::new(0);
        /// let held = mutex.lock();
        /// let mut deadline = Deadline::with_clock(Some(Duration::from_millis(1)), StdClock::new());
        /// assert!(generic::try_lock_by(&mutex, &mut deadline).is_none());
        /// drop(held);
        /// ```
        pub fn try_lock_by<'a, B: FutexBackend, C: Clock, T: ?Sized>(
            mutex: &'a Mutex<B, T>,
            deadline: &mut Deadline<B, C>,
        ) -> Option<MutexGuard<'a, B, T>> {
            // SAFETY: `raw` is unsafe because unlocking through it could pull the lock from under
            // a live guard; we only take the lock, and hand it to a guard at once.
            if unsafe { mutex.raw() }.try_lock_by(deadline) {
                // SAFETY: the lock was just taken by this thread, and nothing else owns it.
                Some(unsafe { mutex.make_guard_unchecked(lock_api::GuardSend::new()) })
            } else {
                None
            }
        }

        /// Read-locks `lock` unless `deadline` passes first, on any [`Clock`].
        pub fn try_read_by<'a, B: FutexBackend, C: Clock, T: ?Sized>(
            lock: &'a RwLock<B, T>,
            deadline: &mut Deadline<B, C>,
        ) -> Option<RwLockReadGuard<'a, B, T>> {
            // SAFETY: as in `try_lock_by`: we only take the lock.
            if unsafe { lock.raw() }.try_read_by(deadline) {
                // SAFETY: a read lock was just taken by this thread, and nothing else owns it.
                Some(unsafe { lock.make_read_guard_unchecked(lock_api::GuardSend::new()) })
            } else {
                None
            }
        }

        /// Write-locks `lock` unless `deadline` passes first, on any [`Clock`].
        pub fn try_write_by<'a, B: FutexBackend, C: Clock, T: ?Sized>(
            lock: &'a RwLock<B, T>,
            deadline: &mut Deadline<B, C>,
        ) -> Option<RwLockWriteGuard<'a, B, T>> {
            // SAFETY: as in `try_lock_by`: we only take the lock.
            if unsafe { lock.raw() }.try_write_by(deadline) {
                // SAFETY: the write lock was just taken by this thread, and nothing else owns it.
                Some(unsafe { lock.make_write_guard_unchecked(lock_api::GuardSend::new()) })
            } else {
                None
            }
        }
    }
}

// The sizes promised in the docs: a `Mutex<()>` is one `u32`, an `RwLock<()>` two, a
// `Condvar` two and a pointer.
#[cfg(not(all(loom, test)))]
const _: () = {
    use core::mem::size_of;
    assert!(size_of::<generic::Mutex<crate::NoDefaultBackend, ()>>() == 4);
    assert!(
        size_of::<generic::Condvar<crate::NoDefaultBackend>>()
            == (8 + size_of::<usize>()).next_multiple_of(size_of::<usize>())
    );
    assert!(size_of::<generic::RwLock<crate::NoDefaultBackend, ()>>() == 8);
};
