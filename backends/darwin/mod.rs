//! Apple platforms (macOS, iOS, tvOS, watchOS, visionOS): `os_sync_wait_on_address`.
//!
//! Apple's public address-wait API (macOS 14.4, iOS 17.4, tvOS 17.4, watchOS 10.4) compares
//! the word and goes to sleep as one step under the kernel's wait-queue lock, which its wake
//! calls take too: the atomicity and the total order the front end asks for. The calls are
//! looked up once with `dlsym` instead of linked, so that one binary still loads on an older
//! OS, where the symbols are missing; there the backend falls back (see [`Darwin`]).
//!
//! Every choice is made once per process and cached, and both `wait` and `wake` consult the
//! same cached choice: a waiter asleep in the kernel and a waker that went to the user-space
//! queue would never meet.
//!
//! `Shared<Darwin>` makes the same calls with their `SHARED` flag (`os_sync`) or operation
//! (`__ulock`), which key the word by the memory behind it instead of this process's address.
//! Where neither exists it cannot use the queue, whose waiters live in one process: it polls,
//! in bounded sleeps (`poll.rs`).

mod poll;
mod timeout;

use core::ffi::{c_int, c_void, CStr};
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU8, Ordering};
use core::time::Duration;

use self::timeout::Nanos;
use crate::backend::SharedScope;
use crate::{FutexBackend, Timeout};

/// The Apple backend: `os_sync_wait_on_address` and `os_sync_wake_by_address_*`.
///
/// The default backend on Apple targets. The four `os_sync_*` functions exist from macOS 14.4
/// (iOS 17.4, tvOS 17.4, watchOS 10.4, visionOS 1.1); they are looked up at run time, once, so
/// the same binary runs on older systems. Where they are missing:
///
/// - with feature `darwin-ulock` (off by default), the private `__ulock_wait2` (macOS 11+)
///   or `__ulock_wait` and `__ulock_wake` (macOS 10.12+) are tried next. They are what the
///   system's own pthread and libc++ use, but they are not public API, and apps that reference
///   private symbols have been rejected from the App Store: leave the feature off for an app
///   that ships there.
/// - then, with feature `std`, `backend::Queue`, the user-space wait queue.
/// - without `std` there is no way to sleep: `wait` then polls the word, yielding the CPU
///   between reads, until it changes or the timeout passes (on the monotonic clock), and
///   `wake` has nothing to do. Correct, never a lost wakeup, but it burns CPU: on those
///   systems build with `std` (every Apple target has it).
///
/// A wake of `n` waiters with `1 < n < u32::MAX` calls the wake-one function up to `n` times,
/// stopping as soon as nobody is left: Apple offers only "one" and "all".
///
/// [`Shared<Darwin>`](crate::backend::Shared) makes the same calls in the process-shared
/// scope; where neither `os_sync_*` nor (with `darwin-ulock`) `__ulock_*` exists it cannot
/// use the queue, whose waiters live in one process, and polls in bounded sleeps instead.
#[derive(Debug, Clone, Copy)]
pub struct Darwin;

impl FutexBackend for Darwin {
    fn wait(futex: &AtomicU32, expect: u32, timeout: Option<Duration>) -> Result<(), Timeout> {
        match api() {
            Api::OsSync(os_sync) => os_sync.wait(futex, expect, timeout, Scope::Private),
            #[cfg(feature = "darwin-ulock")]
            Api::Ulock(ulock) => ulock.wait(futex, expect, timeout, Scope::Private),
            Api::Fallback => fallback::wait(futex, expect, timeout),
        }
    }

    fn wake(futex: *const AtomicU32, max_waiters: u32) {
        match api() {
            Api::OsSync(os_sync) => os_sync.wake(futex, max_waiters, Scope::Private),
            #[cfg(feature = "darwin-ulock")]
            Api::Ulock(ulock) => ulock.wake(futex, max_waiters, Scope::Private),
            Api::Fallback => fallback::wake(futex, max_waiters),
        }
    }

    /// `sched_yield`, which on Darwin is `swtch_pri(0)`: let another ready thread run.
    #[inline]
    fn yield_now() -> bool {
        // SAFETY: `sched_yield` takes nothing and touches no memory of ours.
        unsafe { libc::sched_yield() };
        true
    }
}

/// `Shared<Darwin>`: the same calls in the shared scope, where the system has them:
/// `os_sync_*` with `OS_SYNC_WAIT_ON_ADDRESS_SHARED` / `OS_SYNC_WAKE_BY_ADDRESS_SHARED`
/// (macOS 14.4+), else with `darwin-ulock` `__ulock_*` with `UL_COMPARE_AND_WAIT_SHARED`.
/// Without either, no call reaches another process: `wait` sleeps in bounded slices
/// re-reading the word and returns within `poll::BOUND` (2 ms), spuriously if nothing
/// changed, so that a wake it cannot receive is never lost; `wake` has nothing to call.
impl SharedScope for Darwin {
    fn wait_shared(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        match api() {
            Api::OsSync(os_sync) => os_sync.wait(futex, expect, timeout, Scope::Shared),
            #[cfg(feature = "darwin-ulock")]
            Api::Ulock(ulock) => ulock.wait(futex, expect, timeout, Scope::Shared),
            Api::Fallback => poll::wait(
                // Relaxed: the caller re-reads the word with the ordering it needs.
                || futex.load(Ordering::Relaxed),
                expect,
                timeout,
                monotonic_now,
                sleep,
            ),
        }
    }

    fn wake_shared(futex: *const AtomicU32, max_waiters: u32) {
        match api() {
            Api::OsSync(os_sync) => os_sync.wake(futex, max_waiters, Scope::Shared),
            #[cfg(feature = "darwin-ulock")]
            Api::Ulock(ulock) => ulock.wake(futex, max_waiters, Scope::Shared),
            // Nobody sleeps beyond `poll::BOUND`: the waiters see the change by themselves.
            Api::Fallback => {}
        }
    }
}

/// Whose waiters a call reaches: this process's (keyed by address), or every process's that
/// maps the memory (keyed by the memory). Waiters and wakers of one word must agree on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Private,
    Shared,
}

/// The monotonic clock (`CLOCK_MONOTONIC`, from macOS 10.12), or `None` if it cannot be read.
fn monotonic_now() -> Option<Duration> {
    let mut ts = core::mem::MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: `ts` is writable and sized for a timespec.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: a successful `clock_gettime` filled it.
    let ts = unsafe { ts.assume_init() };
    // tv_sec <= i64::MAX, so the nanosecond carry cannot overflow: no panic.
    Some(Duration::new(u64::try_from(ts.tv_sec).ok()?, u32::try_from(ts.tv_nsec).ok()?))
}

/// Sleeps about `duration` (at most `poll::LONGEST_SLICE`, so it fits any `timespec`); a
/// signal may end it early, which `poll::wait` allows.
fn sleep(duration: Duration) {
    let ts = libc::timespec {
        // At most a second: the conversions cannot truncate.
        tv_sec: duration.as_secs().min(1) as libc::time_t,
        tv_nsec: libc::c_long::from(duration.subsec_nanos()),
    };
    // SAFETY: `ts` is a valid timespec on this stack frame; the remainder pointer may be null.
    unsafe { libc::nanosleep(&ts, core::ptr::null_mut()) };
}

/// The size of the word, for the `size` argument of the `os_sync_*` calls.
const WORD_SIZE: usize = core::mem::size_of::<AtomicU32>();

// From <os/os_sync_wait_on_address.h> and <os/clock.h>. Declared here rather than taken from
// the libc crate, which has them only in recent releases.
const OS_SYNC_WAIT_ON_ADDRESS_NONE: u32 = 0;
const OS_SYNC_WAKE_BY_ADDRESS_NONE: u32 = 0;
const OS_SYNC_WAIT_ON_ADDRESS_SHARED: u32 = 1;
const OS_SYNC_WAKE_BY_ADDRESS_SHARED: u32 = 1;
const OS_CLOCK_MACH_ABSOLUTE_TIME: u32 = 32;

// The C declarations of the functions we look up. `size_t` is `usize` on every Apple target.
type OsSyncWait = unsafe extern "C" fn(*mut c_void, u64, usize, u32) -> c_int;
type OsSyncWaitWithTimeout = unsafe extern "C" fn(*mut c_void, u64, usize, u32, u32, u64) -> c_int;
type OsSyncWake = unsafe extern "C" fn(*mut c_void, usize, u32) -> c_int;

/// The wait/wake implementation this process uses, chosen once.
#[derive(Clone, Copy)]
enum Api {
    OsSync(OsSync),
    #[cfg(feature = "darwin-ulock")]
    Ulock(ulock::Ulock),
    Fallback,
}

/// The four public functions, all present (macOS 14.4+).
#[derive(Clone, Copy)]
struct OsSync {
    wait: OsSyncWait,
    wait_with_timeout: OsSyncWaitWithTimeout,
    wake_any: OsSyncWake,
    wake_all: OsSyncWake,
}

// The cache. `KIND` says which API was chosen; `SLOTS` hold its function addresses (which
// slot means what depends on the kind). The slots are written before `KIND`.
//
// Orderings: a thread that finds `KIND` resolved (Acquire) synchronises with the thread that
// stored it (Release), so it also sees the slots that thread stored before, with Relaxed
// loads. Two threads may resolve at the same time; `dlsym` is thread-safe and returns the
// same address for the same name in one process, so they store identical values and either
// store serves. The Release/Acquire pair also hands the reader whatever the resolving thread
// saw of the dynamic loader's work before `dlsym` returned, without relying on how dyld
// publishes a loaded image. It costs one load-acquire per call, next to a system call.
const UNRESOLVED: u8 = 0;
const KIND_OS_SYNC: u8 = 1;
#[cfg(feature = "darwin-ulock")]
const KIND_ULOCK2: u8 = 2;
#[cfg(feature = "darwin-ulock")]
const KIND_ULOCK: u8 = 3;
const KIND_FALLBACK: u8 = 4;

static KIND: AtomicU8 = AtomicU8::new(UNRESOLVED);
#[allow(clippy::declare_interior_mutable_const)] // only used to initialise the array below
const EMPTY_SLOT: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());
static SLOTS: [AtomicPtr<c_void>; 4] = [EMPTY_SLOT; 4];

/// The API of this process, looked up on the first call.
#[inline]
fn api() -> Api {
    let kind = match KIND.load(Ordering::Acquire) {
        UNRESOLVED => resolve(),
        kind => kind,
    };
    let slot = |i: usize| SLOTS[i].load(Ordering::Relaxed);
    match kind {
        // SAFETY: `resolve` stored kind KIND_OS_SYNC only after it stored into the four slots
        // the non-null addresses `dlsym` gave for these four names, in this order, and the
        // Acquire load above makes those stores visible. Each type is the function's C
        // declaration in the SDK header.
        KIND_OS_SYNC => unsafe {
            Api::OsSync(OsSync {
                wait: core::mem::transmute::<*mut c_void, OsSyncWait>(slot(0)),
                wait_with_timeout: core::mem::transmute::<*mut c_void, OsSyncWaitWithTimeout>(
                    slot(1),
                ),
                wake_any: core::mem::transmute::<*mut c_void, OsSyncWake>(slot(2)),
                wake_all: core::mem::transmute::<*mut c_void, OsSyncWake>(slot(3)),
            })
        },
        // SAFETY: as above, for the ulock names `resolve` stored under these kinds.
        #[cfg(feature = "darwin-ulock")]
        KIND_ULOCK2 | KIND_ULOCK => unsafe { ulock::Ulock::from_slots(kind, slot(0), slot(1)) },
        _ => Api::Fallback,
    }
}

/// Looks the functions up, stores them, and returns the kind chosen.
#[cold]
fn resolve() -> u8 {
    let kind = resolve_os_sync().or_else(resolve_ulock).unwrap_or(KIND_FALLBACK);
    KIND.store(kind, Ordering::Release);
    kind
}

/// The address of `name` in the process, or `None`.
fn lookup(name: &CStr) -> Option<*mut c_void> {
    // SAFETY: `name` is NUL-terminated; `RTLD_DEFAULT` searches every image already loaded
    // (the os_sync and ulock functions live in libSystem, which every process loads) and
    // loads nothing. `dlsym` is thread-safe.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!address.is_null()).then_some(address)
}

fn resolve_os_sync() -> Option<u8> {
    let wait = lookup(c"os_sync_wait_on_address")?;
    let wait_with_timeout = lookup(c"os_sync_wait_on_address_with_timeout")?;
    let wake_any = lookup(c"os_sync_wake_by_address_any")?;
    let wake_all = lookup(c"os_sync_wake_by_address_all")?;
    for (slot, address) in SLOTS.iter().zip([wait, wait_with_timeout, wake_any, wake_all]) {
        slot.store(address, Ordering::Relaxed);
    }
    Some(KIND_OS_SYNC)
}

#[cfg(not(feature = "darwin-ulock"))]
fn resolve_ulock() -> Option<u8> {
    None
}

#[cfg(feature = "darwin-ulock")]
fn resolve_ulock() -> Option<u8> {
    // Both variants wake with `__ulock_wake`; without it neither is usable.
    let wake = lookup(c"__ulock_wake")?;
    let (kind, wait) = match lookup(c"__ulock_wait2") {
        Some(wait2) => (KIND_ULOCK2, wait2),
        None => (KIND_ULOCK, lookup(c"__ulock_wait")?),
    };
    SLOTS[0].store(wait, Ordering::Relaxed);
    SLOTS[1].store(wake, Ordering::Relaxed);
    Some(kind)
}

/// The calling thread's `errno`.
fn errno() -> c_int {
    // SAFETY: `__error` returns the address of this thread's errno, valid for the thread's
    // life; reading it is a plain read of an initialised int.
    unsafe { *libc::__error() }
}

impl OsSync {
    fn wait(
        self,
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
        scope: Scope,
    ) -> Result<(), Timeout> {
        let flags = match scope {
            Scope::Private => OS_SYNC_WAIT_ON_ADDRESS_NONE,
            Scope::Shared => OS_SYNC_WAIT_ON_ADDRESS_SHARED,
        };
        let address = futex.as_ptr().cast::<c_void>();
        let expect = u64::from(expect);
        let (result, timeout) = match timeout {
            // SAFETY: `address` is a live, aligned 4-byte word for the whole call (it comes
            // from a reference) and `WORD_SIZE` says so; the kernel only reads it. The flags
            // choose the scope, private or shared. The pointer is the function `dlsym` found
            // for this name, with this C signature.
            None => (unsafe { (self.wait)(address, expect, WORD_SIZE, flags) }, None),
            Some(timeout) => {
                let timeout = Nanos::from_duration(timeout);
                // SAFETY: as above; the timeout is a plain integer of nanoseconds, at least 1,
                // on the Mach absolute clock, which the call accepts for relative timeouts.
                let result = unsafe {
                    (self.wait_with_timeout)(
                        address,
                        expect,
                        WORD_SIZE,
                        flags,
                        OS_CLOCK_MACH_ABSOLUTE_TIME,
                        timeout.nanos,
                    )
                };
                (result, Some(timeout))
            }
        };
        if result >= 0 {
            // Woken (the result counts the waiters left), or the word already differed.
            return Ok(());
        }
        match errno() {
            // The time passed: the Mach clock stops while the machine sleeps, so at least that
            // much real time went by. Unless we had shortened it: then only spurious.
            libc::ETIMEDOUT => match timeout {
                Some(timeout) if !timeout.clamped => Err(Timeout),
                _ => Ok(()),
            },
            // A signal handler ran, or the kernel interrupted the wait for its own reasons.
            libc::EINTR => Ok(()),
            // The kernel could not read the word (its page was paged out): retry is the cure.
            libc::EFAULT => Ok(()),
            // The kernel could not allocate its wait structure; the caller re-checks and waits
            // again, which is all we could do here too.
            libc::ENOMEM => Ok(()),
            // Bad size, flags or alignment: impossible with an `&AtomicU32` and our constants.
            // Anything else is unknown; returning is always correct.
            _ => Ok(()),
        }
    }

    fn wake(self, futex: *const AtomicU32, max_waiters: u32, scope: Scope) {
        miri_fence();
        let flags = match scope {
            Scope::Private => OS_SYNC_WAKE_BY_ADDRESS_NONE,
            Scope::Shared => OS_SYNC_WAKE_BY_ADDRESS_SHARED,
        };
        let address = futex.cast_mut().cast::<c_void>();
        if max_waiters == u32::MAX {
            // SAFETY: the wake calls use the address only to find the key (itself, or for the
            // shared scope the memory mapped there), never reading or writing the word, so a
            // freed `futex` is fine; the pointer is the `dlsym`ed function.
            while unsafe { (self.wake_all)(address, WORD_SIZE, flags) } < 0 {
                // Interrupted before it woke anyone: try again. ENOENT (nobody waiting) and
                // EINVAL (a null or misaligned address from `wake_ptr`) end it.
                if errno() != libc::EINTR {
                    return;
                }
            }
            return;
        }
        let mut woken = 0;
        while woken < max_waiters {
            // SAFETY: as above.
            if unsafe { (self.wake_any)(address, WORD_SIZE, flags) } >= 0 {
                woken += 1;
            } else if errno() != libc::EINTR {
                // ENOENT: nobody (left) to wake. EINVAL: not an address anyone can wait on.
                return;
            }
        }
    }
}

/// Miri's `os_sync_*` shims do not model the order that the kernel's wait-queue lock gives a
/// store before `wake` and the waiter's comparison: under weak-memory emulation the waiter may
/// compare against a stale value and sleep through the wake. On hardware the system call does
/// it; under Miri a SeqCst fence stands in for it. Not compiled outside Miri.
#[inline(always)]
fn miri_fence() {
    #[cfg(miri)]
    core::sync::atomic::fence(Ordering::SeqCst);
}

#[cfg(feature = "darwin-ulock")]
mod ulock {
    //! The private `__ulock_*` calls (XNU's `sys/ulock.h`), behind feature `darwin-ulock`.
    //!
    //! With `ULF_NO_ERRNO` they return `-errno` instead of setting `errno`.

    use core::ffi::{c_int, c_void};
    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    use super::timeout::{Micros32, Nanos};
    use super::{Api, Scope, KIND_ULOCK2};
    use crate::Timeout;

    const UL_COMPARE_AND_WAIT: u32 = 1;
    /// The same compare-and-wait, keyed by the memory behind the address (shared scope).
    const UL_COMPARE_AND_WAIT_SHARED: u32 = 3;
    const ULF_WAKE_ALL: u32 = 0x0000_0100;
    const ULF_NO_ERRNO: u32 = 0x0100_0000;

    /// The compare-and-wait operation of `scope`; a waiter and its waker must use the same.
    fn compare_and_wait(scope: Scope) -> u32 {
        match scope {
            Scope::Private => UL_COMPARE_AND_WAIT,
            Scope::Shared => UL_COMPARE_AND_WAIT_SHARED,
        }
    }

    type UlockWait2 = unsafe extern "C" fn(u32, *mut c_void, u64, u64, u64) -> c_int;
    type UlockWait = unsafe extern "C" fn(u32, *mut c_void, u64, u32) -> c_int;
    type UlockWake = unsafe extern "C" fn(u32, *mut c_void, u64) -> c_int;

    #[derive(Clone, Copy)]
    enum WaitFn {
        /// `__ulock_wait2` (macOS 11+): 64-bit nanoseconds.
        Wait2(UlockWait2),
        /// `__ulock_wait` (macOS 10.12+): 32-bit microseconds.
        Wait(UlockWait),
    }

    #[derive(Clone, Copy)]
    pub(super) struct Ulock {
        wait: WaitFn,
        wake: UlockWake,
    }

    impl Ulock {
        /// # Safety
        ///
        /// `wait` and `wake` are the non-null addresses `dlsym` returned for `__ulock_wait2`
        /// (kind `KIND_ULOCK2`) or `__ulock_wait` (kind `KIND_ULOCK`), and `__ulock_wake`.
        pub(super) unsafe fn from_slots(kind: u8, wait: *mut c_void, wake: *mut c_void) -> Api {
            // SAFETY: the caller's promise; the types are XNU's declarations of these calls.
            unsafe {
                let wait = if kind == KIND_ULOCK2 {
                    WaitFn::Wait2(core::mem::transmute::<*mut c_void, UlockWait2>(wait))
                } else {
                    WaitFn::Wait(core::mem::transmute::<*mut c_void, UlockWait>(wait))
                };
                Api::Ulock(Ulock {
                    wait,
                    wake: core::mem::transmute::<*mut c_void, UlockWake>(wake),
                })
            }
        }

        pub(super) fn wait(
            self,
            futex: &AtomicU32,
            expect: u32,
            timeout: Option<Duration>,
            scope: Scope,
        ) -> Result<(), Timeout> {
            let operation = compare_and_wait(scope) | ULF_NO_ERRNO;
            let address = futex.as_ptr().cast::<c_void>();
            let expect = u64::from(expect);
            // A timeout of 0 means "forever" to both calls; the conversions never yield 0 for
            // a real timeout.
            let (result, clamped) = match self.wait {
                WaitFn::Wait2(wait2) => {
                    let timeout = timeout.map(Nanos::from_duration);
                    let nanos = timeout.map_or(0, |t| t.nanos);
                    // SAFETY: `address` is a live, aligned u32 for the whole call, which the
                    // kernel only reads; the last argument (a second value) is unused by this
                    // operation. The pointer is `dlsym`'s `__ulock_wait2`.
                    (
                        unsafe { wait2(operation, address, expect, nanos, 0) },
                        timeout.map(|t| t.clamped),
                    )
                }
                WaitFn::Wait(wait) => {
                    let timeout = timeout.map(Micros32::from_duration);
                    let micros = timeout.map_or(0, |t| t.micros);
                    // SAFETY: as above; the pointer is `dlsym`'s `__ulock_wait`.
                    (
                        unsafe { wait(operation, address, expect, micros) },
                        timeout.map(|t| t.clamped),
                    )
                }
            };
            if result >= 0 {
                // Woken, or the word already differed.
                return Ok(());
            }
            match result.wrapping_neg() {
                // The time passed, unless we had shortened it (then only spurious).
                libc::ETIMEDOUT => match clamped {
                    Some(false) => Err(Timeout),
                    _ => Ok(()),
                },
                // A signal, or another spurious kernel wakeup.
                libc::EINTR => Ok(()),
                // The word's page was paged out; the system's pthread treats it as spurious.
                libc::EFAULT => Ok(()),
                // Nothing else is documented; returning is always correct.
                _ => Ok(()),
            }
        }

        pub(super) fn wake(self, futex: *const AtomicU32, max_waiters: u32, scope: Scope) {
            super::miri_fence();
            let address = futex.cast_mut().cast::<c_void>();
            let operation = compare_and_wait(scope) | ULF_NO_ERRNO;
            let (operation, calls) = if max_waiters == u32::MAX {
                (operation | ULF_WAKE_ALL, 1)
            } else {
                (operation, max_waiters)
            };
            let mut done = 0;
            while done < calls {
                // SAFETY: `__ulock_wake` uses the address only to find the key (itself, or the
                // memory mapped there) and never touches the word, so a freed `futex` is fine; the last argument (a thread to wake) is
                // unused without `ULF_WAKE_THREAD`.
                let result = unsafe { (self.wake)(operation, address, 0) };
                match result {
                    // One woken (or all, with ULF_WAKE_ALL).
                    0.. => done += 1,
                    // Interrupted: try again.
                    _ if result.wrapping_neg() == libc::EINTR => {}
                    // ENOENT: nobody (left) waiting there. Anything else: nothing to do.
                    _ => return,
                }
            }
        }
    }
}

mod fallback {
    //! Below macOS 14.4 (and without `__ulock_*`): the user-space queue, or polling.

    use core::sync::atomic::AtomicU32;
    use core::time::Duration;

    use crate::Timeout;

    #[cfg(all(feature = "std", not(all(loom, test))))]
    pub(super) fn wait(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        <crate::backend::Queue as crate::FutexBackend>::wait(futex, expect, timeout)
    }

    #[cfg(all(feature = "std", not(all(loom, test))))]
    pub(super) fn wake(futex: *const AtomicU32, max_waiters: u32) {
        <crate::backend::Queue as crate::FutexBackend>::wake(futex, max_waiters)
    }

    /// No std, no kernel wait: poll the word, yielding between reads, until it changes or the
    /// time passes. `wake` then has nothing to do: nobody sleeps.
    #[cfg(not(all(feature = "std", not(all(loom, test)))))]
    pub(super) fn wait(
        futex: &AtomicU32,
        expect: u32,
        timeout: Option<Duration>,
    ) -> Result<(), Timeout> {
        use core::sync::atomic::Ordering;
        let start = if timeout.is_some() { now() } else { None };
        loop {
            // Relaxed: the caller re-reads the word with the ordering it needs.
            if futex.load(Ordering::Relaxed) != expect {
                return Ok(());
            }
            if let Some(timeout) = timeout {
                match (start, now()) {
                    (Some(start), Some(now)) if now.saturating_sub(start) >= timeout => {
                        return Err(Timeout)
                    }
                    // Without a clock we cannot tell: a spurious return lets the caller's
                    // own clock (a `Deadline`) decide.
                    (None, _) | (_, None) => return Ok(()),
                    _ => {}
                }
            }
            // SAFETY: `sched_yield` takes nothing and cannot fail in a way that matters.
            unsafe { libc::sched_yield() };
        }
    }

    #[cfg(not(all(feature = "std", not(all(loom, test)))))]
    pub(super) fn wake(_futex: *const AtomicU32, _max_waiters: u32) {}

    /// The monotonic clock, or `None` if it cannot be read.
    #[cfg(not(all(feature = "std", not(all(loom, test)))))]
    fn now() -> Option<Duration> {
        let mut ts = core::mem::MaybeUninit::<libc::timespec>::uninit();
        // SAFETY: `ts` is writable and sized for a timespec; CLOCK_MONOTONIC exists from
        // macOS 10.12, below every target Rust supports.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: a successful `clock_gettime` filled it.
        let ts = unsafe { ts.assume_init() };
        // tv_sec <= i64::MAX, so the nanosecond carry cannot overflow: no panic.
        Some(Duration::new(u64::try_from(ts.tv_sec).ok()?, u32::try_from(ts.tv_nsec).ok()?))
    }
}
